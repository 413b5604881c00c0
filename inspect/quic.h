/* SPDX-License-Identifier: BSD-2-Clause */
/* QUIC: a long-header Initial packet of a known version, read without decrypting it. */
#ifndef INSPECT_QUIC_H
#define INSPECT_QUIC_H

#include <stddef.h>
#include <stdint.h>

/* QUIC versions with a known Initial packet type. */
#define INSPECT_QUIC_V1 0x00000001 /* RFC 9000 */
#define INSPECT_QUIC_V2 0x6b3343cf /* RFC 9369 */

struct inspect_quic {
	uint32_t version; /* INSPECT_QUIC_V1, INSPECT_QUIC_V2, 0xff0000NN (drafts) */
	uint8_t dcid_len, scid_len;
	uint64_t token_len;
	uint64_t length; /* the Length field: packet number and protected payload */
};

struct inspect_result;

/*
 * A long-header Initial packet of a known version (nothing is decrypted),
 * with its lengths consistent. As every inspector (inspect.h): 1 with r
 * filled, 0 with r cleared.
 *
 * info: "version 0x00000001" (8 hex digits).
 */
int inspect_quic(const uint8_t *buf, size_t len, struct inspect_result *r);

#endif /* INSPECT_QUIC_H */
