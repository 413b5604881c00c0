// SPDX-License-Identifier: BSD-2-Clause
/* The QUIC inspector: captured Initial packets, and changed ones; the client Initial decrypted
 * from the RFCs' sample packets, cut, altered and coalesced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "inspect.h"
#include "inspect_test.h"

/* The protocol's fields, which every result is checked for. */
static const struct inspect_field fields[] = {
	INSPECT_NUM(quic.version),
	INSPECT_NUM(quic.packet_type),
	INSPECT_NUM(quic.dcid_len),
	INSPECT_NUM(quic.scid_len),
	INSPECT_NUM(quic.length),
};

/* ---- What each fixture holds ---- */

static void quic_client_initial(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_int_equal(r->quic.version, INSPECT_QUIC_V1);
	assert_int_equal(r->quic.packet_type, INSPECT_QUIC_PKT_INITIAL);
	assert_int_equal(r->quic.dcid_len, 18);
	assert_int_equal(r->quic.scid_len, 17);
	assert_int_equal(r->quic.token_len, 0);
	/* Padded to a 1200-byte datagram: 1200 minus the 47 header bytes before the packet
	 * number. */
	assert_int_equal(r->quic.length, 1153);
}

static void quic_server_initial(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_int_equal(r->quic.version, INSPECT_QUIC_V1);
	assert_int_equal(r->quic.packet_type, INSPECT_QUIC_PKT_INITIAL);
	/* The connection ids swap places. */
	assert_int_equal(r->quic.dcid_len, 17);
	assert_int_equal(r->quic.scid_len, 18);
	assert_int_equal(r->quic.token_len, 0);
	assert_int_equal(r->quic.length, 119); /* of this capture's Initial */
}

static const struct fixture fixtures[] = {
	{ "quic_client_initial.bin", UDP, CLIENT_PORT, 443, INSPECT_QUIC, 1, "version 0x00000001",
	  quic_client_initial },
	{ "quic_server_initial.bin", UDP, 443, CLIENT_PORT, INSPECT_QUIC, 1, "version 0x00000001",
	  quic_server_initial },
};

/* ---- Hand-made messages ---- */

/* QUIC: versions, packet types, lengths. */
static void test_quic_malformed(void **state)
{
	struct inspect_result r;
	uint8_t *buf, *m;
	size_t len;

	buf = load("quic_client_initial.bin", &len);
	m = dup_exact(buf, len);
#define QUIC(r) run(m, len, UDP, CLIENT_PORT, 443, r)
	m[0] = 0x47; /* a short header */
	assert_int_equal(QUIC(&r), INSPECT_NONE);
	m[0] = 0xd7; /* 0-RTT: no token, so the token length byte 0 is read as Length */
	assert_int_equal(QUIC(&r), INSPECT_NONE);
	memcpy(m + 6 + 18 + 1 + 17, "\x44\x81", 2); /* Length 1153 where the token length was */
	assert_int_equal(QUIC(&r), INSPECT_QUIC);
	assert_int_equal(r.quic.packet_type, INSPECT_QUIC_PKT_0RTT);
	assert_int_equal(r.quic.length, 1153);
	assert_int_equal(r.quic.token_len, 0);
	m[0] = 0xe7; /* Handshake */
	assert_int_equal(QUIC(&r), INSPECT_QUIC);
	assert_int_equal(r.quic.packet_type, INSPECT_QUIC_PKT_HANDSHAKE);
	m[0] = 0xf7; /* Retry: what follows the connection ids is a token and a 16-byte tag */
	assert_int_equal(QUIC(&r), INSPECT_QUIC);
	assert_int_equal(r.quic.packet_type, INSPECT_QUIC_PKT_RETRY);
	assert_int_equal(r.quic.length, 0);
	assert_int_equal(run(m, 6 + 18 + 1 + 17 + 15, UDP, CLIENT_PORT, 443, &r), INSPECT_NONE);
	assert_int_equal(run(m, 6 + 18 + 1 + 17 + 16, UDP, CLIENT_PORT, 443, &r), INSPECT_QUIC);
	memcpy(m, buf, len);
	m[0] = 0x87; /* the fixed bit greased (RFC 9287) */
	assert_int_equal(QUIC(&r), INSPECT_QUIC);
	m[0] = buf[0];
	memset(m + 1, 0, 4); /* version 0: Version Negotiation, versions after the ids */
	assert_int_equal(QUIC(&r), INSPECT_QUIC);
	assert_int_equal(r.quic.packet_type, INSPECT_QUIC_PKT_VERSION_NEGOTIATION);
	assert_int_equal(r.quic.length, 0);
	assert_string_equal(r.info, "version 0x00000000");
	memcpy(m + 6 + 18 + 1 + 17 + 4, "\0\0\0\0", 4); /* an offered version 0 */
	assert_int_equal(QUIC(&r), INSPECT_NONE);
	assert_int_equal(run(m, 6 + 18 + 1 + 17 + 4, UDP, CLIENT_PORT, 443, &r), INSPECT_QUIC);
	assert_int_equal(run(m, 6 + 18 + 1 + 17 + 3, UDP, CLIENT_PORT, 443, &r), INSPECT_NONE);
	memcpy(m, buf, len);
	memcpy(m + 1, "\x1a\x2a\x3a\x4a", 4); /* a reserved (greasing) version */
	assert_int_equal(QUIC(&r), INSPECT_QUIC);
	assert_int_equal(r.quic.packet_type, INSPECT_QUIC_PKT_OTHER);
	assert_int_equal(r.quic.dcid_len, 18);
	assert_int_equal(r.quic.scid_len, 17);
	assert_int_equal(r.quic.length, 0);
	assert_string_equal(r.info, "version 0x1a2a3a4a");
	assert_int_equal(run(m, 6 + 18 + 1 + 16, UDP, CLIENT_PORT, 443, &r), INSPECT_NONE);
	memcpy(m + 1, "\x1a\x2a\x3a\x4b", 4); /* not quite */
	assert_int_equal(QUIC(&r), INSPECT_NONE);
	memcpy(m + 1, "T051", 4); /* Google's */
	assert_int_equal(QUIC(&r), INSPECT_QUIC);
	assert_int_equal(r.quic.packet_type, INSPECT_QUIC_PKT_OTHER);
	memcpy(m + 1, "Q046", 4); /* before RFC 8999's layout */
	assert_int_equal(QUIC(&r), INSPECT_NONE);
	memcpy(m + 1, "\xfa\xce\xb0\x02", 4); /* mvfst */
	assert_int_equal(QUIC(&r), INSPECT_QUIC);
	assert_string_equal(r.info, "version 0xfaceb002");
	memcpy(m + 1, "\xfa\xce\xb0\x0f", 4); /* mvfst's "invalid" version */
	assert_int_equal(QUIC(&r), INSPECT_NONE);
	memcpy(m + 1, "\xff\x00\x00\x1d", 4); /* draft-29 */
	assert_int_equal(QUIC(&r), INSPECT_QUIC);
	assert_string_equal(r.info, "version 0xff00001d");
	memcpy(m + 1, "\xff\x00\x00\x11", 4); /* draft-17: another header layout */
	assert_int_equal(QUIC(&r), INSPECT_NONE);
	memcpy(m + 1, "\x6b\x33\x43\xcf", 4); /* version 2: Initial is type 1, Retry type 0 */
	assert_int_equal(QUIC(&r), INSPECT_QUIC);
	assert_int_equal(r.quic.packet_type, INSPECT_QUIC_PKT_RETRY);
	m[0] = 0xd7;
	assert_int_equal(QUIC(&r), INSPECT_QUIC);
	assert_int_equal(r.quic.version, INSPECT_QUIC_V2);
	assert_int_equal(r.quic.packet_type, INSPECT_QUIC_PKT_INITIAL);
	assert_string_equal(r.info, "version 0x6b3343cf");
	memcpy(m, buf, len);
	m[5] = 21; /* a connection id over 20 */
	assert_int_equal(QUIC(&r), INSPECT_NONE);
	memcpy(m, buf, len);
	m[6 + 18] = 21;
	assert_int_equal(QUIC(&r), INSPECT_NONE);
	memcpy(m, buf, len);
	m[6 + 18 + 1 + 17] = 0x80; /* a token longer than the datagram */
	m[6 + 18 + 1 + 17 + 1] = 0xff;
	assert_int_equal(QUIC(&r), INSPECT_NONE);
	memcpy(m, buf, len);
	memcpy(m + 6 + 18 + 1 + 17 + 1, "\x80\x00\x00\x13", 4); /* Length 19 */
	assert_int_equal(QUIC(&r), INSPECT_NONE);
	memcpy(m + 6 + 18 + 1 + 17 + 1, "\x14", 1); /* Length 20, in one byte */
	assert_int_equal(QUIC(&r), INSPECT_QUIC);
	assert_int_equal(r.quic.length, 20);
#undef QUIC
	free(m);
	free(buf);
}

static const struct CMUnitTest cases[] = {
	cmocka_unit_test(test_quic_malformed),
};

INSPECT_TEST(quic, INSPECT_QUIC, 1, NULL, NULL);
