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
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "inspect.h"
#include "inspect_test.h"
#include "quic_vectors.h"

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

/* Chromium 156's two Initials (from_clients.sh), whose CRYPTO frames hold its ClientHello:
 * only the header is read here; test_streams decrypts them. */
static void chrome_quic_initial(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_int_equal(r->quic.version, INSPECT_QUIC_V1);
	assert_int_equal(r->quic.packet_type, INSPECT_QUIC_PKT_INITIAL);
	assert_int_equal(r->quic.dcid_len, 8);
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
	{ "chrome_quic_initial_1.bin", UDP, CLIENT_PORT, 443, INSPECT_QUIC, 1,
	  "version 0x00000001", chrome_quic_initial },
	{ "chrome_quic_initial_2.bin", UDP, CLIENT_PORT, 443, INSPECT_QUIC, 1,
	  "version 0x00000001", chrome_quic_initial },
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

/* Ports: on a DNS port only Initial, 0-RTT and Handshake packets count; the others count on
 * 443 and elsewhere. */
static void test_quic_ports(void **state)
{
	struct inspect_result r;
	uint8_t *buf, *m;
	size_t len;

	buf = load("quic_client_initial.bin", &len);
	m = dup_exact(buf, len);
	assert_int_equal(run(m, len, UDP, CLIENT_PORT, 53, &r), INSPECT_QUIC);
	memset(m + 1, 0, 4); /* Version Negotiation */
	assert_int_equal(run(m, len, UDP, CLIENT_PORT, 443, &r), INSPECT_QUIC);
	assert_int_equal(run(m, len, UDP, 443, 53, &r), INSPECT_QUIC);
	assert_int_equal(run(m, len, UDP, CLIENT_PORT, 8443, &r), INSPECT_QUIC);
	assert_int_equal(run(m, len, UDP, CLIENT_PORT, 53, &r), INSPECT_NONE);
	assert_int_equal(run(m, len, UDP, 5353, CLIENT_PORT, &r), INSPECT_NONE);
	memcpy(m + 1, "\x1a\x2a\x3a\x4a", 4); /* greased */
	assert_int_equal(run(m, len, UDP, CLIENT_PORT, 53, &r), INSPECT_NONE);
	assert_int_equal(run(m, len, UDP, CLIENT_PORT, 4433, &r), INSPECT_QUIC);
	memcpy(m, buf, len);
	m[0] = 0xf7; /* Retry */
	assert_int_equal(run(m, len, UDP, 53, CLIENT_PORT, &r), INSPECT_NONE);
	assert_int_equal(run(m, len, UDP, 443, CLIENT_PORT, &r), INSPECT_QUIC);
	m[0] = 0xe7; /* Handshake, its Length where the Initial's token length was */
	memcpy(m + 6 + 18 + 1 + 17, "\x44\x81", 2);
	assert_int_equal(run(m, len, UDP, 53, CLIENT_PORT, &r), INSPECT_QUIC);
	assert_int_equal(r.quic.packet_type, INSPECT_QUIC_PKT_HANDSHAKE);
	free(m);
	free(buf);
}

/* ---- Client Initial packets decrypted ---- */

/* The ClientHello the RFCs' sample Initial packets carry: their CRYPTO frame after its 4-byte
 * frame header. */
#define HELLO (rfc9001_a2_crypto + 4)
#define HELLO_LEN (sizeof(rfc9001_a2_crypto) - 4)
#define FRAGS_MAX 16

/* What inspect_quic_initial() handed over: every fragment must be bytes of want at their
 * offset. */
struct frags {
	const uint8_t *want;
	size_t want_len;
	size_t n, bytes;
	uint64_t offset[FRAGS_MAX];
	size_t len[FRAGS_MAX];
};

static void frag_record(void *arg, uint64_t offset, const uint8_t *data, size_t n)
{
	struct frags *f = arg;

	assert_true(n > 0);
	assert_true(offset <= f->want_len && n <= f->want_len - offset);
	assert_memory_equal(data, f->want + offset, n);
	assert_true(f->n < FRAGS_MAX);
	f->offset[f->n] = offset;
	f->len[f->n] = n;
	f->n++;
	f->bytes += n;
}

/* Runs inspect_quic_initial() over a copy of exactly len bytes of p, fragments checked against
 * the ClientHello. Returns what it returned, *f what it handed over. */
static int initial(const uint8_t *p, size_t len, struct frags *f)
{
	uint8_t *b = dup_exact(p, len);
	int n;

	memset(f, 0, sizeof(*f));
	f->want = HELLO;
	f->want_len = HELLO_LEN;
	n = inspect_quic_initial(len ? b : NULL, len, frag_record, f);
	free(b);
	return n;
}

/* Both RFCs' samples: one packet, one fragment, the whole ClientHello at offset 0; and the
 * inspector row names them Initial packets. */
static void test_quic_initial_vectors(void **state)
{
	const uint8_t *pkts[] = { rfc9001_a2_packet, rfc9369_a2_packet };
	const uint32_t versions[] = { INSPECT_QUIC_V1, INSPECT_QUIC_V2 };
	struct inspect_result r;
	struct frags f;
	size_t i;

	assert_int_equal(sizeof(rfc9001_a2_packet), 1200);
	assert_int_equal(sizeof(rfc9369_a2_packet), 1200);
	for (i = 0; i < 2; i++) {
		assert_int_equal(initial(pkts[i], 1200, &f), 1);
		assert_int_equal(f.n, 1);
		assert_int_equal(f.offset[0], 0);
		assert_int_equal(f.len[0], HELLO_LEN);
		assert_int_equal(run(pkts[i], 1200, UDP, CLIENT_PORT, 443, &r), INSPECT_QUIC);
		assert_int_equal(r.quic.version, versions[i]);
		assert_int_equal(r.quic.packet_type, INSPECT_QUIC_PKT_INITIAL);
		assert_int_equal(r.quic.dcid_len, 8);
		assert_int_equal(r.quic.length, 1182);
	}
	assert_int_equal(inspect_quic_initial(NULL, 0, frag_record, &f), 0);
}

/* Cut at every length: nothing decrypts, nothing is handed over, until the packet is whole. */
static void test_quic_initial_cuts(void **state)
{
	const uint8_t *pkts[] = { rfc9001_a2_packet, rfc9369_a2_packet };
	struct frags f;
	size_t i, n;

	for (i = 0; i < 2; i++) {
		for (n = 0; n < 1200; n++) {
			assert_int_equal(initial(pkts[i], n, &f), 0);
			assert_int_equal(f.n, 0);
		}
		assert_int_equal(initial(pkts[i], 1200, &f), 1);
	}
}

/* Every bit of the packet flipped in turn, header, protected payload and tag alike: nothing
 * decrypts, nothing is handed over. */
static void test_quic_initial_flips(void **state)
{
	const uint8_t *pkts[] = { rfc9001_a2_packet, rfc9369_a2_packet };
	struct frags f;
	uint8_t m[1200];
	size_t i, at;
	int bit;

	for (i = 0; i < 2; i++) {
		for (at = 0; at < sizeof(m); at++) {
			for (bit = 0; bit < 8; bit++) {
				memcpy(m, pkts[i], sizeof(m));
				m[at] ^= (uint8_t)(1 << bit);
				if (initial(m, sizeof(m), &f) != 0 || f.n != 0)
					fail_msg("packet %zu, bit %d of byte %zu flipped: decrypted", i,
						 bit, at);
			}
		}
	}
}

/* A 0-RTT packet of version 1 (RFC 9000 17.2.3): 8-byte DCID, no SCID, 2-byte packet number,
 * Length 20 of bytes that need not decrypt. */
static size_t zero_rtt(uint8_t *m, size_t at)
{
	static const uint8_t head[] = { 0xd1, 0x00, 0x00, 0x00, 0x01, 0x08, 0x83, 0x94, 0xc8, 0xf0,
					0x3e, 0x51, 0x57, 0x08, 0x00, 0x14 };
	size_t i;

	at = put(m, at, head, sizeof(head));
	for (i = 0; i < 20; i++)
		m[at++] = (uint8_t)(0x55 + i);
	return at;
}

/* Packets coalesced in one datagram: each Initial decrypts, a 0-RTT packet is stepped over
 * (before or after), trailing zeros end the walk. */
static void test_quic_initial_coalesced(void **state)
{
	uint8_t m[2 * 1200 + 2 * 36 + 8];
	struct inspect_result r;
	struct frags f;
	size_t at;

	at = put(m, 0, rfc9001_a2_packet, 1200);
	at = put(m, at, rfc9369_a2_packet, 1200);
	assert_int_equal(initial(m, at, &f), 2);
	assert_int_equal(f.n, 2);
	assert_int_equal(f.bytes, 2 * HELLO_LEN);
	/* The second cut: the first still decrypts. */
	assert_int_equal(initial(m, at - 1, &f), 1);
	assert_int_equal(f.n, 1);

	at = put(m, 0, rfc9001_a2_packet, 1200);
	at = zero_rtt(m, at);
	assert_int_equal(initial(m, at, &f), 1);
	assert_int_equal(f.n, 1);

	at = zero_rtt(m, 0);
	assert_int_equal(run(m, at, UDP, CLIENT_PORT, 443, &r), INSPECT_QUIC);
	assert_int_equal(r.quic.packet_type, INSPECT_QUIC_PKT_0RTT);
	at = put(m, at, rfc9369_a2_packet, 1200);
	at = zero_rtt(m, at);
	memset(m + at, 0, 8);
	at += 8;
	assert_int_equal(initial(m, at, &f), 1);
	assert_int_equal(f.n, 1);
	/* A 0-RTT Length past the datagram's end ends the walk. */
	m[15] = 0x7f;
	assert_int_equal(initial(m, at, &f), 0);
}

/* ---- An independent sealer: Initial packets built here, to reach every frame ---- */

/* What protects a version's Initial packets: RFC 9001 5.2, RFC 9369 3.3. */
struct seal_version {
	uint32_t version;
	uint8_t first; /* the Initial's first byte, 4-byte packet number */
	uint8_t salt[20];
	const char *key, *iv, *hp;
};

static const struct seal_version seal_v1 = {
	INSPECT_QUIC_V1, 0xc3,
	{ 0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	  0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a },
	"quic key", "quic iv", "quic hp",
};

static const struct seal_version seal_v2 = {
	INSPECT_QUIC_V2, 0xd3,
	{ 0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
	  0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9 },
	"quicv2 key", "quicv2 iv", "quicv2 hp",
};

/* Drafts 29..32 derive Initial keys from draft-29's salt (draft-ietf-quic-tls-29 5.2), 33 and
 * 34 from version 1's (draft-ietf-quic-tls-33 5.2). */
static const struct seal_version seal_draft29 = {
	0xff00001d, 0xc3,
	{ 0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
	  0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99 },
	"quic key", "quic iv", "quic hp",
};

static const uint8_t sample_dcid[] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };

/* HKDF-Expand-Label (RFC 8446 7.1) of at most 32 bytes: one HMAC-SHA256 block, computed with
 * HMAC() rather than the EVP_KDF the inspector uses. */
static void expand_label(const uint8_t *secret, const char *label, uint8_t *out, size_t n)
{
	uint8_t info[64], block[32];
	size_t at = 0, l = strlen(label);
	unsigned int len = 0;

	info[at++] = 0;
	info[at++] = (uint8_t)n;
	info[at++] = (uint8_t)(6 + l);
	at = put(info, at, "tls13 ", 6);
	at = put(info, at, label, l);
	info[at++] = 0; /* context */
	info[at++] = 1; /* the block counter */
	assert_non_null(HMAC(EVP_sha256(), secret, 32, info, at, block, &len));
	memcpy(out, block, n);
}

/* Seals an Initial packet into out, as quic_seal_initial(). */
static size_t seal(const struct seal_version *v, uint32_t pn, const uint8_t *frames, size_t n,
		   uint8_t *out)
{
	uint8_t initial[32], client[32], key[16], iv[12], hp[16], mask[16];
	EVP_CIPHER_CTX *ctx;
	unsigned int len = 0;
	size_t at = 0, pn_off, i;
	int got;

	assert_non_null(HMAC(EVP_sha256(), v->salt, sizeof(v->salt), sample_dcid,
			     sizeof(sample_dcid), initial, &len));
	expand_label(initial, "client in", client, 32);
	expand_label(client, v->key, key, 16);
	expand_label(client, v->iv, iv, 12);
	expand_label(client, v->hp, hp, 16);

	out[at++] = v->first;
	for (i = 0; i < 4; i++)
		out[at++] = (uint8_t)(v->version >> (24 - 8 * i));
	out[at++] = sizeof(sample_dcid);
	at = put(out, at, sample_dcid, sizeof(sample_dcid));
	out[at++] = 0; /* SCID */
	out[at++] = 0; /* token */
	out[at++] = (uint8_t)(0x40 | (4 + n + 16) >> 8);
	out[at++] = (uint8_t)(4 + n + 16);
	pn_off = at;
	for (i = 0; i < 4; i++)
		out[at++] = (uint8_t)(pn >> (24 - 8 * i));
	for (i = 0; i < 4; i++)
		iv[8 + i] ^= (uint8_t)(pn >> (24 - 8 * i));

	ctx = EVP_CIPHER_CTX_new();
	assert_non_null(ctx);
	assert_true(EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, key, iv) > 0);
	assert_true(EVP_EncryptUpdate(ctx, NULL, &got, out, (int)at) > 0);
	assert_true(EVP_EncryptUpdate(ctx, out + at, &got, frames, (int)n) > 0);
	assert_true(EVP_EncryptFinal_ex(ctx, out + at + got, &got) > 0);
	assert_true(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out + at + n) > 0);
	assert_true(EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, hp, NULL) > 0);
	assert_true(EVP_EncryptUpdate(ctx, mask, &got, out + pn_off + 4, 16) > 0);
	EVP_CIPHER_CTX_free(ctx);
	out[0] ^= mask[0] & 0x0f;
	for (i = 0; i < 4; i++)
		out[pn_off + i] ^= mask[1 + i];
	return at + n + 16;
}

size_t quic_seal_initial(bool v2, uint32_t pn, const uint8_t *frames, size_t n, uint8_t *out)
{
	return seal(v2 ? &seal_v2 : &seal_v1, pn, frames, n, out);
}

/* The sealer makes the RFCs' samples byte for byte from their unprotected payload: the CRYPTO
 * frame, PADDING to 1162 bytes, packet number 2. */
static void test_quic_initial_sealer(void **state)
{
	uint8_t frames[1162] = { 0 }, out[1200];

	memcpy(frames, rfc9001_a2_crypto, sizeof(rfc9001_a2_crypto));
	assert_int_equal(seal(&seal_v1, 2, frames, sizeof(frames), out), 1200);
	assert_memory_equal(out, rfc9001_a2_packet, 1200);
	assert_int_equal(seal(&seal_v2, 2, frames, sizeof(frames), out), 1200);
	assert_memory_equal(out, rfc9369_a2_packet, 1200);
}

/* Draft versions: 29..32 with draft-29's salt, 33 and 34 with version 1's; drafts before 29
 * and a draft sealed with the other salt do not decrypt. */
static void test_quic_initial_drafts(void **state)
{
	struct seal_version v;
	uint8_t frames[100] = { 0 }, m[200];
	struct frags f;
	size_t len, i;
	uint32_t draft;
	bool want;

	memcpy(frames, rfc9001_a2_crypto, 50 + 4);
	frames[3] = 50; /* a CRYPTO frame of the ClientHello's first 50 bytes */
	for (draft = 0x1c; draft <= 0x23; draft++) {
		for (i = 0; i < 2; i++) {
			v = i ? seal_draft29 : seal_v1;
			v.version = 0xff000000 | draft;
			len = seal(&v, 1, frames, sizeof(frames), m);
			/* 0x1c (28) and 0x23 (35): not decrypted; 29..32 with draft-29's salt,
			 * 33 and 34 with version 1's. */
			want = draft >= 0x1d && draft <= 0x22 && (draft <= 0x20) == (i == 1);

			assert_int_equal(initial(m, len, &f), want);
			assert_int_equal(f.n, want);
			if (want)
				assert_int_equal(f.len[0], 50);
		}
	}
}

/* Appends a CRYPTO frame of the ClientHello's bytes [off, off + n) (2-byte varints). */
static size_t crypto_frame(uint8_t *m, size_t at, size_t off, size_t n)
{
	m[at++] = 0x06;
	m[at++] = (uint8_t)(0x40 | off >> 8);
	m[at++] = (uint8_t)off;
	m[at++] = (uint8_t)(0x40 | n >> 8);
	m[at++] = (uint8_t)n;
	return put(m, at, HELLO + off, n);
}

/* The frames of an Initial: PING, ACK with ranges, ACK with ECN counts, CONNECTION_CLOSE and
 * PADDING stepped over; CRYPTO frames handed over in order, across two coalesced packets; a
 * frame not allowed ends the packet; a CRYPTO frame longer than the payload is not handed
 * over. */
static void test_quic_initial_frames(void **state)
{
	static const uint8_t ack[] = { 0x02, 0x05, 0x00, 0x02, 0x01, 0x00, 0x00, 0x01, 0x00 };
	/* Largest 0x400, delay 0x11, 1 range after the first; ECN counts 3, 0x4004 (2 bytes),
	 * 5. */
	static const uint8_t ack_ecn[] = { 0x03, 0x44, 0x00, 0x11, 0x01, 0x00,
					   0x01, 0x02, 0x03, 0x40, 0x04, 0x05 };
	static const uint8_t close[] = { 0x1c, 0x0a, 0x06, 0x03, 'b', 'y', 'e' };
	uint8_t a[400] = { 0 }, b[400] = { 0 }, m[1000];
	size_t na, nb, at;
	struct frags f;

	na = put(a, 0, "\x01", 1);
	na = put(a, na, ack, sizeof(ack));
	na = put(a, na, ack_ecn, sizeof(ack_ecn));
	na = crypto_frame(a, na, 0, 100);
	na = put(a, na, close, sizeof(close));
	na += 10; /* PADDING */
	na = crypto_frame(a, na, 100, 50);
	nb = crypto_frame(b, 0, 150, HELLO_LEN - 150);
	nb = put(b, nb, "\x08", 1); /* STREAM: not in an Initial; what follows is not read */
	nb = crypto_frame(b, nb, 0, 10);
	at = seal(&seal_v1, 0, a, na, m);
	at += seal(&seal_v2, 1, b, nb, m + at);
	assert_int_equal(initial(m, at, &f), 2);
	assert_int_equal(f.n, 3);
	assert_int_equal(f.offset[0], 0);
	assert_int_equal(f.len[0], 100);
	assert_int_equal(f.offset[1], 100);
	assert_int_equal(f.len[1], 50);
	assert_int_equal(f.offset[2], 150);
	assert_int_equal(f.len[2], HELLO_LEN - 150);

	/* A CRYPTO frame claiming more than the payload holds: decrypted, nothing handed over. */
	na = crypto_frame(a, 0, 0, 100);
	a[3] = 0x40 | 101 >> 8;
	a[4] = 101;
	at = seal(&seal_v1, 7, a, 100 + 5, m);
	assert_int_equal(initial(m, at, &f), 1);
	assert_int_equal(f.n, 0);
	/* An ACK whose range count runs past the payload. */
	na = put(a, 0, ack, sizeof(ack));
	a[3] = 0x3f;
	na = crypto_frame(a, na, 0, 10);
	at = seal(&seal_v1, 7, a, na, m);
	assert_int_equal(initial(m, at, &f), 1);
	assert_int_equal(f.n, 0);
}

static const struct CMUnitTest cases[] = {
	cmocka_unit_test(test_quic_malformed),
	cmocka_unit_test(test_quic_initial_vectors),
	cmocka_unit_test(test_quic_initial_cuts),
	cmocka_unit_test(test_quic_initial_flips),
	cmocka_unit_test(test_quic_initial_coalesced),
	cmocka_unit_test(test_quic_initial_sealer),
	cmocka_unit_test(test_quic_initial_frames),
	cmocka_unit_test(test_quic_initial_drafts),
	cmocka_unit_test(test_quic_ports),
};

INSPECT_TEST(quic, INSPECT_QUIC, 1, NULL, NULL);
