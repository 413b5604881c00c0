/* SPDX-License-Identifier: BSD-2-Clause */
/* QUIC: long-header packets recognised without decrypting them, and the client Initial packets
 * of a datagram decrypted to hand over their CRYPTO frames. */
#ifndef INSPECT_QUIC_H
#define INSPECT_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* QUIC versions with a known Initial packet type. */
#define INSPECT_QUIC_V1 0x00000001 /* RFC 9000 */
#define INSPECT_QUIC_V2 0x6b3343cf /* RFC 9369 */

/* The kind of long-header packet a result holds (struct inspect_quic.packet_type). */
enum inspect_quic_packet {
	INSPECT_QUIC_PKT_NONE = 0,
	INSPECT_QUIC_PKT_INITIAL,
	INSPECT_QUIC_PKT_0RTT,
	INSPECT_QUIC_PKT_HANDSHAKE,
	INSPECT_QUIC_PKT_RETRY,
	INSPECT_QUIC_PKT_VERSION_NEGOTIATION, /* version 0 */
	/* A long header of a greased or vendor version: only the fields every version shares
	 * (RFC 8999 5.1) are read, so its type is not known. */
	INSPECT_QUIC_PKT_OTHER,
};

struct inspect_quic {
	/* INSPECT_QUIC_V1, INSPECT_QUIC_V2, 0xff0000NN (drafts 22..34), 0 (version
	 * negotiation), a greased version 0x?a?a?a?a, a vendor version (quic.c lists them). */
	uint32_t version;
	uint8_t packet_type; /* enum inspect_quic_packet */
	uint8_t dcid_len, scid_len;
	uint64_t token_len; /* Initial only; 0 otherwise */
	/* Initial, 0-RTT, Handshake: the Length field (packet number and protected payload);
	 * 0 otherwise. */
	uint64_t length;
};

struct inspect_result;

/* inspect.h's, repeated (C11 allows the same typedef twice) because inspect.h includes this
 * header before it defines it. */
typedef void (*inspect_frag_fn)(void *arg, uint64_t offset, const uint8_t *data, size_t n);

/*
 * A long-header QUIC packet at buf's start (nothing is decrypted), with its
 * lengths consistent:
 * - versions 1, 2 and drafts 22..34: an Initial, 0-RTT, Handshake or Retry
 *   packet, so a flow whose first datagram is 0-RTT is QUIC too;
 * - version 0: a Version Negotiation packet listing at least one version, no
 *   version 0, and a Destination Connection ID of any length but 1 (quic.c);
 * - greased versions (0x?a?a?a?a, RFC 9000 15) and the vendor versions listed
 *   in quic.c: the version-independent header (RFC 8999 5.1), packet type
 *   INSPECT_QUIC_PKT_OTHER.
 * As every inspector (inspect.h): 1 with r filled, 0 with r cleared.
 *
 * info: "version 0x00000001" (8 hex digits), whatever the packet type.
 */
int inspect_quic(const uint8_t *buf, size_t len, struct inspect_result *r);

/*
 * The QUIC row's port hints (struct inspect_entry). own_port: UDP 443, where
 * every kind counts. off_port: elsewhere the packets whose content says most
 * (Initial, 0-RTT, Handshake) count anywhere, the others (Retry, Version
 * Negotiation, greased and vendor versions) only off the DNS ports, where a
 * DNS message, or a cut of one, could otherwise read as one of them.
 */
bool inspect_quic_port(uint16_t src_port, uint16_t dst_port);
bool inspect_quic_off_port(const struct inspect_result *r, uint16_t src_port, uint16_t dst_port);

/*
 * Decrypts each client Initial packet coalesced in the UDP payload dgram
 * (len bytes): versions 1 (RFC 9001 5.2), 2 (RFC 9369 3.3) and drafts 29..34
 * (draft-29's salt up to draft 32, version 1's from draft 33 on, as those
 * drafts say), with keys from that packet's own Destination Connection ID;
 * a greased version's (0x?a?a?a?a) packet as draft 29's or version 1's,
 * which it is when its client greases the version of such an Initial
 * (ngtcp2 does; tshark reads it as draft 29's): the AEAD tag tells.
 * Header protection is removed and the AEAD tag checked; only then are the
 * frames read (PADDING, PING, ACK, CRYPTO, CONNECTION_CLOSE; any other frame
 * ends the packet), each CRYPTO frame's bytes handed to fn with their offset
 * in the crypto stream. Other long-header packets are stepped over by their
 * Length; a short header, a Retry, a Version Negotiation or an unknown
 * version ends the datagram. Nothing outside dgram[0..len) is read, and a
 * cut or altered packet gives no fragment.
 *
 * Returns the number of Initial packets that decrypted, 0 when none (also
 * when libcrypto fails).
 */
int inspect_quic_initial(const uint8_t *dgram, size_t len, inspect_frag_fn fn, void *arg);

#endif /* INSPECT_QUIC_H */
