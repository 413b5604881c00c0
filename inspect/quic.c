// SPDX-License-Identifier: BSD-2-Clause
/* QUIC: a long-header Initial packet of a known version, read without decrypting it (RFC 9000
 * 17.2, RFC 9369, RFC 9287). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "inspect.h"
#include "wire.h"

#define QUIC_LONG_HEADER 0x80
#define QUIC_TYPE_SHIFT 4
#define QUIC_TYPE_MASK 0x3
#define QUIC_V1_INITIAL 0
#define QUIC_V2_INITIAL 1
#define QUIC_DRAFT_MASK 0xffffff00
#define QUIC_DRAFT_BASE 0xff000000
/* Drafts from 22 on have the header layout of version 1 (one length octet per connection id). */
#define QUIC_DRAFT_MIN 22
#define QUIC_DRAFT_MAX 34
#define QUIC_CID_MAX 20
/* Header protection samples 16 bytes starting 4 bytes after the packet number's start
 * (RFC 9001 5.4.2), so the Length field can never be smaller. */
#define QUIC_LENGTH_MIN 20
#define QUIC_VARINT_LEN_SHIFT 6

/* Reads a QUIC variable-length integer (RFC 9000 16). Returns false, moving nothing, when it
 * is not all there. */
static bool quic_varint(struct cursor *c, uint64_t *v)
{
	size_t n, i;

	if (cur_left(c) < 1)
		return false;
	n = (size_t)1 << (c->buf[c->off] >> QUIC_VARINT_LEN_SHIFT);
	if (cur_left(c) < n)
		return false;
	*v = c->buf[c->off] & 0x3f;
	for (i = 1; i < n; i++)
		*v = *v << 8 | c->buf[c->off + i];
	c->off += n;
	return true;
}

/* Whether a version is one whose Initial packet this reader knows; sets its Initial type. */
static bool quic_known_version(uint32_t v, uint8_t *initial_type)
{
	uint32_t draft = v & ~QUIC_DRAFT_MASK;

	if (v == INSPECT_QUIC_V1 || ((v & QUIC_DRAFT_MASK) == QUIC_DRAFT_BASE &&
				     draft >= QUIC_DRAFT_MIN && draft <= QUIC_DRAFT_MAX)) {
		*initial_type = QUIC_V1_INITIAL;
		return true;
	}
	if (v == INSPECT_QUIC_V2) {
		*initial_type = QUIC_V2_INITIAL;
		return true;
	}
	return false;
}

int inspect_quic(const uint8_t *buf, size_t len, struct inspect_result *r)
{
	struct inspect_quic *quic = &r->quic;
	struct cursor c;
	uint8_t first, initial_type, dcid_len, scid_len;
	uint32_t version;
	uint64_t token_len, length;
	char info[sizeof("version 0x00000000")];

	result_clear(r);
	cur_init(&c, buf, len);
	/* The fixed bit (0x40) is not checked: RFC 9287 lets endpoints grease it. */
	if (!cur_u8(&c, &first) || !(first & QUIC_LONG_HEADER) || !cur_u32(&c, &version) ||
	    !quic_known_version(version, &initial_type) ||
	    (first >> QUIC_TYPE_SHIFT & QUIC_TYPE_MASK) != initial_type)
		return 0;
	if (!cur_u8(&c, &dcid_len) || dcid_len > QUIC_CID_MAX || !cur_skip(&c, dcid_len) ||
	    !cur_u8(&c, &scid_len) || scid_len > QUIC_CID_MAX || !cur_skip(&c, scid_len) ||
	    !quic_varint(&c, &token_len) || token_len > cur_left(&c) ||
	    !cur_skip(&c, (size_t)token_len) || !quic_varint(&c, &length) ||
	    length < QUIC_LENGTH_MIN)
		return 0;

	r->proto = INSPECT_QUIC;
	r->encrypted = 1;
	quic->version = version;
	quic->dcid_len = dcid_len;
	quic->scid_len = scid_len;
	quic->token_len = token_len;
	quic->length = length;
	snprintf(info, sizeof(info), "version 0x%08x", version);
	set_info(r, info);
	return 1;
}
