// SPDX-License-Identifier: BSD-2-Clause
/* The TLS inspector: captured hellos, and hand-made ones with lengths that lie. */
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
	INSPECT_NUM(tls.handshake), INSPECT_NUM(tls.version),	  INSPECT_NUM(tls.legacy_version),
	INSPECT_NUM(tls.cipher),    INSPECT_NUM(tls.hello_retry), INSPECT_NUM(tls.complete),
	INSPECT_TEXT(tls.sni),	    INSPECT_TEXT(tls.alpn),	  INSPECT_TEXT(tls.versions),
	INSPECT_TEXT(tls.ja4),
};

/* ---- What each fixture holds ---- */

static void tls13_client_hello(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_int_equal(r->tls.handshake, INSPECT_TLS_CLIENT_HELLO);
	/* curl's supported_versions lies past the 256 bytes: the version is not known. */
	assert_int_equal(r->tls.version, 0);
	assert_int_equal(r->tls.legacy_version, INSPECT_TLS1_2);
	assert_int_equal(r->tls.cipher, 0);
	assert_false(r->tls.hello_retry);
	assert_false(r->tls.complete);
	assert_string_equal(r->tls.sni, "example.test");
	assert_string_equal(r->tls.alpn, "h2,http/1.1");
	assert_string_equal(r->tls.versions, "");
	assert_string_equal(r->tls.ja4, "");
}

/* Chromium 156's hello (tests/fixtures/inspect/from_clients.sh): 1,914 bytes over two TCP
 * segments, an X25519MLKEM768 key share, its extensions permuted; the JA4 is what the
 * independent ja4_ref.py computes from the same bytes. */
static void chrome_client_hello(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_int_equal(r->tls.handshake, INSPECT_TLS_CLIENT_HELLO);
	assert_int_equal(r->tls.version, INSPECT_TLS1_3);
	assert_true(r->tls.complete);
	assert_string_equal(r->tls.alpn, "h2,http/1.1");
	assert_string_equal(r->tls.versions, "TLS1.3,TLS1.2");
	assert_string_equal(r->tls.ja4, "t13d1517h2_8daaf6152771_cb7bf5808d99");
}

static void tls13_server_hello(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_int_equal(r->tls.handshake, INSPECT_TLS_SERVER_HELLO);
	assert_int_equal(r->tls.version, INSPECT_TLS1_3);
	assert_int_equal(r->tls.legacy_version, INSPECT_TLS1_2);
	assert_int_equal(r->tls.cipher, 0x1302);
	assert_false(r->tls.hello_retry);
	assert_true(r->tls.complete);
	assert_string_equal(r->tls.sni, "");
	assert_string_equal(r->tls.alpn, ""); /* TLS 1.3 sends it encrypted */
}

static void tls13_hello_retry(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_int_equal(r->tls.handshake, INSPECT_TLS_SERVER_HELLO);
	assert_int_equal(r->tls.version, INSPECT_TLS1_3);
	assert_int_equal(r->tls.cipher, 0x1302);
	assert_true(r->tls.hello_retry);
	assert_true(r->tls.complete);
}

static void tls12_client_hello(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_int_equal(r->tls.handshake, INSPECT_TLS_CLIENT_HELLO);
	/* -tls1_2: no supported_versions, and the whole hello fits. */
	assert_int_equal(r->tls.version, INSPECT_TLS1_2);
	assert_int_equal(r->tls.legacy_version, INSPECT_TLS1_2);
	assert_true(r->tls.complete);
	assert_string_equal(r->tls.sni, "example.test");
	assert_string_equal(r->tls.alpn, "http/1.1");
	assert_string_equal(r->tls.versions, "");
	/* ja4_ref.py ja4 tests/fixtures/inspect/tls12_client_hello.bin */
	assert_string_equal(r->tls.ja4, "t12d2808h1_d943125447b4_e7e480e5a997");
}

static void tls12_server_hello(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_int_equal(r->tls.handshake, INSPECT_TLS_SERVER_HELLO);
	assert_int_equal(r->tls.version, INSPECT_TLS1_2);
	assert_int_equal(r->tls.legacy_version, INSPECT_TLS1_2);
	assert_int_equal(r->tls.cipher, 0xc02c);
	assert_false(r->tls.hello_retry);
	assert_true(r->tls.complete);
	assert_string_equal(r->tls.alpn, "http/1.1");
}

static const struct fixture fixtures[] = {
	{ "tls13_client_hello.bin", TCP, CLIENT_PORT, 443, INSPECT_TLS, 1, "example.test",
	  tls13_client_hello },
	{ "tls13_server_hello.bin", TCP, 443, CLIENT_PORT, INSPECT_TLS, 1,
	  "TLS1.3 TLS_AES_256_GCM_SHA384", tls13_server_hello },
	{ "tls13_hello_retry.bin", TCP, 9443, CLIENT_PORT, INSPECT_TLS, 1,
	  "TLS1.3 TLS_AES_256_GCM_SHA384 HRR", tls13_hello_retry },
	{ "tls12_client_hello.bin", TCP, CLIENT_PORT, 8443, INSPECT_TLS, 1, "example.test",
	  tls12_client_hello },
	{ "chrome_client_hello.bin", TCP, CLIENT_PORT, 443, INSPECT_TLS, 1, "flowdb.test",
	  chrome_client_hello },
	{ "tls12_server_hello.bin", TCP, 8443, CLIENT_PORT, INSPECT_TLS, 1,
	  "TLS1.2 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", tls12_server_hello },
};

/* ---- Results of cut payloads ---- */

static void info_tls(const struct inspect_result *c, const struct inspect_result *w, char *want,
		     size_t size)
{
	if (c->tls.handshake == INSPECT_TLS_CLIENT_HELLO)
		snprintf(want, size, "%s", c->tls.sni);
	else
		snprintf(want, size, "%s", c->tls.version ? w->info : "");
}

/* ---- Hand-made messages ---- */

/* Offset of the first occurrence of needle in a fixture (it must be there). */
static size_t find(const uint8_t *buf, size_t len, const char *needle)
{
	const uint8_t *p = memmem(buf, len, needle, strlen(needle));

	assert_non_null(p);
	return (size_t)(p - buf);
}

/* Writes a TLS 1.2-style ClientHello record with the given extensions block (none when
 * ext_len is 0): a zero random, no session id, one suite, null compression. Returns its size. */
static size_t client_hello(uint8_t *out, const uint8_t *ext, size_t ext_len)
{
	static const uint8_t fixed[] = { 0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00 };
	size_t body = 2 + 32 + sizeof(fixed) + (ext_len ? 2 + ext_len : 0), n = 0;

	out[n++] = 0x16;
	out[n++] = 0x03;
	out[n++] = 0x01;
	out[n++] = (uint8_t)((body + 4) >> 8);
	out[n++] = (uint8_t)(body + 4);
	out[n++] = INSPECT_TLS_CLIENT_HELLO;
	out[n++] = 0;
	out[n++] = (uint8_t)(body >> 8);
	out[n++] = (uint8_t)body;
	out[n++] = 0x03;
	out[n++] = 0x03;
	memset(out + n, 0, 32);
	n += 32;
	n = put(out, n, fixed, sizeof(fixed));
	if (ext_len) {
		out[n++] = (uint8_t)(ext_len >> 8);
		out[n++] = (uint8_t)ext_len;
		n = put(out, n, ext, ext_len);
	}
	return n;
}

/* TLS: lengths that lie, wrong types, GREASE, odd bytes in names. */
static void test_tls_malformed(void **state)
{
	struct inspect_result r;
	uint8_t *buf, *m, hello[256];
	size_t len, sni, i, n;
	/* supported_versions: GREASE 0x3a3a, 1.3, 1.2 */
	static const uint8_t sv[] = { 0x00, 0x2b, 0x00, 0x07, 0x06, 0x3a,
				      0x3a, 0x03, 0x04, 0x03, 0x03 };
	/* server_name "a\x01\\" */
	static const uint8_t sni_a[] = { 0x00, 0x00, 0x00, 0x08, 0x00, 0x06,
					 0x00, 0x00, 0x03, 0x61, 0x01, 0x5c };
	/* server_name "TLS1.3 x" */
	static const uint8_t sni_space[] = { 0x00, 0x00, 0x00, 0x0d, 0x00, 0x0b, 0x00, 0x00, 0x08,
					     'T',  'L',	 'S',  '1',  '.',  '3',	 ' ',  'x' };
	/* server_name "b", ALPN "x" and "yz", ALPN "w" */
	static const uint8_t sni_b[] = {
		0x00, 0x00, 0x00, 0x06, 0x00, 0x04, 0x00, 0x00, 0x01, 0x62
	};
	static const uint8_t alpn[] = { 0x00, 0x10, 0x00, 0x07, 0x00, 0x05,
					0x01, 0x78, 0x02, 0x79, 0x7a };
	static const uint8_t alpn2[] = { 0x00, 0x10, 0x00, 0x04, 0x00, 0x02, 0x01, 0x77 };
	uint8_t ext[128];

	/* GREASE is no version; names are escaped. */
	n = put(ext, 0, sv, sizeof(sv));
	n = put(ext, n, sni_a, sizeof(sni_a));
	n = client_hello(hello, ext, n);
	assert_int_equal(run(hello, n, TCP, CLIENT_PORT, 443, &r), INSPECT_TLS);
	assert_int_equal(r.tls.version, INSPECT_TLS1_3);
	assert_true(r.tls.complete);
	assert_string_equal(r.tls.sni, "a\\x01\\x5c");
	assert_string_equal(r.info, "a\\x01\\x5c");
	/* A space in a name is escaped, so that no name reads like a ServerHello's "TLS1.3 ...". */
	n = put(ext, 0, sni_space, sizeof(sni_space));
	n = client_hello(hello, ext, n);
	assert_int_equal(run(hello, n, TCP, CLIENT_PORT, 443, &r), INSPECT_TLS);
	assert_string_equal(r.info, "TLS1.3\\x20x");
	/* Repeated extensions: the first counts (whatever a cut leaves, it is the same). */
	n = put(ext, 0, sni_b, sizeof(sni_b));
	n = put(ext, n, alpn, sizeof(alpn));
	n = put(ext, n, sni_a, sizeof(sni_a));
	n = put(ext, n, alpn2, sizeof(alpn2));
	n = client_hello(hello, ext, n);
	assert_int_equal(run(hello, n, TCP, CLIENT_PORT, 443, &r), INSPECT_TLS);
	assert_string_equal(r.tls.sni, "b");
	assert_string_equal(r.tls.alpn, "x,yz");
	/* No extensions at all: the legacy version is the version. */
	n = client_hello(hello, ext, 0);
	assert_int_equal(run(hello, n, TCP, CLIENT_PORT, 443, &r), INSPECT_TLS);
	assert_int_equal(r.tls.version, INSPECT_TLS1_2);
	assert_true(r.tls.complete);
	assert_string_equal(r.info, "");
	assert_string_equal(r.tls.ja4, "t12i010000_0f2cb44170f4_000000000000"); /* ja4_ref.py */

	buf = load("tls12_client_hello.bin", &len);
	sni = find(buf, len, "example.test");
	/* The name's length beyond its extension: no name, still a ClientHello. */
	m = dup_exact(buf, len);
	m[sni - 1] = 0xff;
	assert_int_equal(run(m, len, TCP, CLIENT_PORT, 443, &r), INSPECT_TLS);
	assert_string_equal(r.tls.sni, "");
	assert_string_equal(r.tls.alpn, "http/1.1");
	free(m);
	/* The server_name extension's length beyond the hello, which is all there: not TLS. */
	m = dup_exact(buf, len);
	m[sni - 7] = 0x0f;
	assert_int_equal(run(m, len, TCP, CLIENT_PORT, 443, &r), INSPECT_NONE);
	/* The same with the buffer cut inside that extension: a ClientHello, name unknown. */
	assert_int_equal(run(m, sni + 4, TCP, CLIENT_PORT, 443, &r), INSPECT_TLS);
	assert_string_equal(r.tls.sni, "");
	free(m);
	/* The extensions' total length one more than the hello holds: not TLS. */
	m = dup_exact(buf, len);
	i = 44;
	i += 2 + (size_t)(m[i] << 8 | m[i + 1]); /* past the cipher suites */
	i += 1 + m[i]; /* past the compression methods */
	assert_int_equal(m[i] << 8 | m[i + 1], len - i - 2);
	m[i + 1]++;
	assert_int_equal(run(m, len, TCP, CLIENT_PORT, 443, &r), INSPECT_NONE);
	free(m);
	/* A session id longer than 32; no cipher suites; an odd suite list. */
	m = dup_exact(buf, len);
	m[43] = 33;
	assert_int_equal(run(m, len, TCP, CLIENT_PORT, 443, &r), INSPECT_NONE);
	memcpy(m, buf, len);
	m[44] = m[45] = 0;
	assert_int_equal(run(m, len, TCP, CLIENT_PORT, 443, &r), INSPECT_NONE);
	memcpy(m, buf, len);
	m[45] |= 1;
	assert_int_equal(run(m, len, TCP, CLIENT_PORT, 443, &r), INSPECT_NONE);
	/* Other record types, versions, lengths, handshake types. */
	memcpy(m, buf, len);
	m[0] = 0x17;
	assert_int_equal(run(m, len, TCP, CLIENT_PORT, 443, &r), INSPECT_NONE);
	memcpy(m, buf, len);
	m[1] = 0x02;
	assert_int_equal(run(m, len, TCP, CLIENT_PORT, 443, &r), INSPECT_NONE);
	memcpy(m, buf, len);
	m[2] = 0x05;
	assert_int_equal(run(m, len, TCP, CLIENT_PORT, 443, &r), INSPECT_NONE);
	memcpy(m, buf, len);
	m[3] = 0x48;
	m[4] = 0x01; /* 18433: over any record */
	assert_int_equal(run(m, len, TCP, CLIENT_PORT, 443, &r), INSPECT_NONE);
	memcpy(m, buf, len);
	m[5] = 11; /* Certificate */
	assert_int_equal(run(m, len, TCP, CLIENT_PORT, 443, &r), INSPECT_NONE);
	memcpy(m, buf, len);
	m[9] = 0x7f; /* legacy_version 0x7f03 */
	assert_int_equal(run(m, len, TCP, CLIENT_PORT, 443, &r), INSPECT_NONE);
	free(m);
	/* After a ChangeCipherSpec record (a second ClientHello), but not after two. */
	m = malloc(len + 12);
	assert_non_null(m);
	memcpy(m, "\x14\x03\x03\x00\x01\x01", 6);
	memcpy(m + 6, buf, len);
	assert_int_equal(run(m, len + 6, TCP, CLIENT_PORT, 443, &r), INSPECT_TLS);
	assert_string_equal(r.info, "example.test");
	memcpy(m, "\x14\x03\x03\x00\x01\x01\x14\x03\x03\x00\x01\x01", 12);
	memcpy(m + 12, buf, len);
	assert_int_equal(run(m, len + 12, TCP, CLIENT_PORT, 443, &r), INSPECT_NONE);
	free(m);
	free(buf);

	/* A cipher suite without a name. */
	buf = load("tls12_server_hello.bin", &len);
	m = dup_exact(buf, len);
	i = 5 + 4 + 2 + 32;
	i += 1 + m[i]; /* past the session id */
	m[i] = 0xc0;
	m[i + 1] = 0xff;
	assert_int_equal(run(m, len, TCP, 443, CLIENT_PORT, &r), INSPECT_TLS);
	assert_string_equal(r.info, "TLS1.2 0xc0ff");
	free(m);
	free(buf);
}

/* ---- JA4, and hellos over several records ---- */

/* ja4_ref.py chrome: the fingerprint of chrome_hello()'s hello, whatever its order. */
#define CHROME_JA4 "t13d1516h2_8daaf6152771_d8a2da3f94cd"
#define CHROME_SNI "www.example.test"
/* X25519MLKEM768's key share: an ML-KEM-768 encapsulation key and an X25519 one. */
#define MLKEM_SHARE 1216
#define HELLO_BUF 20000

/* An extension: its type and body. */
struct ext {
	uint16_t type;
	const uint8_t *body;
	size_t len;
};

/* Writes a 16-bit number at m + at. Returns at + 2. */
static size_t put16(uint8_t *m, size_t at, size_t v)
{
	m[at] = (uint8_t)(v >> 8);
	m[at + 1] = (uint8_t)v;
	return at + 2;
}

/* Writes a ClientHello handshake message (type, length, body) of the given legacy version,
 * suites and extensions (in that order; none at all when n_exts is 0 and exts is NULL) at m,
 * with a random and session id from seed. Returns its size. */
static size_t hello_msg(uint8_t *m, uint16_t legacy, const uint16_t *suites, size_t n_suites,
			const struct ext *exts, size_t n_exts, unsigned seed)
{
	size_t n = 4, i, ext_start;

	n = put16(m, n, legacy);
	for (i = 0; i < 32 + 1 + 32; i++)
		m[n + i] = (uint8_t)(seed * 131 + i * 7);
	m[n + 32] = 32; /* the session id's length */
	n += 32 + 1 + 32;
	n = put16(m, n, n_suites * 2);
	for (i = 0; i < n_suites; i++)
		n = put16(m, n, suites[i]);
	m[n++] = 1;
	m[n++] = 0;
	if (exts) {
		ext_start = n;
		n += 2;
		for (i = 0; i < n_exts; i++) {
			n = put16(m, n, exts[i].type);
			n = put16(m, n, exts[i].len);
			if (exts[i].len)
				n = put(m, n, exts[i].body, exts[i].len);
		}
		put16(m, ext_start, n - ext_start - 2);
	}
	m[0] = INSPECT_TLS_CLIENT_HELLO;
	m[1] = (uint8_t)((n - 4) >> 16);
	m[2] = (uint8_t)((n - 4) >> 8);
	m[3] = (uint8_t)(n - 4);
	return n;
}

/* Wraps a handshake message in TLS records, a new one starting at each of the n_cuts offsets
 * (increasing, inside msg). Returns the bytes written to out. */
static size_t records(uint8_t *out, const uint8_t *msg, size_t len, const size_t *cuts,
		      size_t n_cuts)
{
	size_t n = 0, prev = 0, end, i;

	for (i = 0; i <= n_cuts; i++) {
		end = i < n_cuts ? cuts[i] : len;
		out[n++] = 0x16;
		out[n++] = 0x03;
		out[n++] = 0x01;
		n = put16(out, n, end - prev);
		n = put(out, n, msg + prev, end - prev);
		prev = end;
	}
	return n;
}

static const uint16_t chrome_suites[] = {
	0x2a2a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
	0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
};

/*
 * Writes a ClientHello as Chrome sends it (2024-2025) at m: a GREASE suite, GREASE extensions
 * first and last and the others in an order drawn from seed (Chrome permutes them), SNI
 * CHROME_SNI, ALPN h2,http/1.1, supported_versions GREASE, 1.3, 1.2, and a key share of
 * X25519MLKEM768 (1216 bytes) and X25519. Returns its size (1721 bytes).
 */
static size_t chrome_hello(uint8_t *m, unsigned seed)
{
	static const uint8_t sni[] = { 0x00, 0x13, 0x00, 0x00, 0x10, 'w', 'w', 'w', '.', 'e', 'x',
				       'a',  'm',  'p',	 'l',  'e',  '.', 't', 'e', 's', 't' };
	static const uint8_t reneg[] = { 0x00 };
	static const uint8_t groups[] = { 0x00, 0x0a, 0x3a, 0x3a, 0x11, 0xec,
					  0x00, 0x1d, 0x00, 0x17, 0x00, 0x18 };
	static const uint8_t ec_formats[] = { 0x01, 0x00 };
	static const uint8_t alpn[] = { 0x00, 0x0c, 0x02, 'h', '2', 0x08, 'h',
					't',  't',  'p',  '/', '1', '.',  '1' };
	static const uint8_t status[] = { 0x01, 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t sigs[] = { 0x00, 0x10, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05,
					0x03, 0x08, 0x05, 0x05, 0x01, 0x08, 0x06, 0x06, 0x01 };
	static const uint8_t psk_modes[] = { 0x01, 0x01 };
	static const uint8_t versions[] = { 0x06, 0x5a, 0x5a, 0x03, 0x04, 0x03, 0x03 };
	static const uint8_t cert_comp[] = { 0x02, 0x00, 0x02 };
	static const uint8_t alps[] = { 0x00, 0x03, 0x02, 'h', '2' };
	static const uint8_t grease_last[] = { 0x00 };
	static uint8_t ech[186], share[2 + 5 + 4 + MLKEM_SHARE + 4 + 32];
	struct ext exts[] = {
		{ 0x0000, sni, sizeof(sni) },
		{ 0x0017, NULL, 0 },
		{ 0xff01, reneg, sizeof(reneg) },
		{ 0x000a, groups, sizeof(groups) },
		{ 0x000b, ec_formats, sizeof(ec_formats) },
		{ 0x0023, NULL, 0 },
		{ 0x0010, alpn, sizeof(alpn) },
		{ 0x0005, status, sizeof(status) },
		{ 0x000d, sigs, sizeof(sigs) },
		{ 0x0012, NULL, 0 },
		{ 0x0033, share, sizeof(share) },
		{ 0x002d, psk_modes, sizeof(psk_modes) },
		{ 0x002b, versions, sizeof(versions) },
		{ 0x001b, cert_comp, sizeof(cert_comp) },
		{ 0x44cd, alps, sizeof(alps) },
		{ 0xfe0d, ech, sizeof(ech) },
	};
	struct ext all[sizeof(exts) / sizeof(exts[0]) + 2], tmp;
	size_t n_exts = sizeof(exts) / sizeof(exts[0]), i, j, n;

	/* The key share: GREASE (one byte), X25519MLKEM768, X25519. */
	n = put16(share, 0, sizeof(share) - 2);
	n = put(share, n, "\x1a\x1a\x00\x01\x00", 5);
	n = put(share, n, "\x11\xec\x04\xc0", 4);
	memset(share + n, 0x42, MLKEM_SHARE);
	n += MLKEM_SHARE;
	n = put(share, n, "\x00\x1d\x00\x20", 4);
	memset(share + n, 0x43, 32);
	/* GREASE first and last, the others shuffled (Fisher-Yates with an LCG). */
	all[0] = (struct ext){ 0x0a0a, NULL, 0 };
	memcpy(all + 1, exts, sizeof(exts));
	all[n_exts + 1] = (struct ext){ 0xdada, grease_last, sizeof(grease_last) };
	for (i = n_exts; i > 1; i--) {
		seed = seed * 1103515245 + 12345;
		j = 1 + (seed >> 16) % i;
		tmp = all[i];
		all[i] = all[j];
		all[j] = tmp;
	}
	return hello_msg(m, INSPECT_TLS1_2, chrome_suites,
			 sizeof(chrome_suites) / sizeof(chrome_suites[0]), all, n_exts + 2, seed);
}

/* What a whole chrome_hello() gives. */
static void check_chrome(const struct inspect_result *r)
{
	assert_int_equal(r->proto, INSPECT_TLS);
	assert_int_equal(r->tls.handshake, INSPECT_TLS_CLIENT_HELLO);
	assert_int_equal(r->tls.version, INSPECT_TLS1_3);
	assert_int_equal(r->tls.legacy_version, INSPECT_TLS1_2);
	assert_true(r->tls.complete);
	assert_string_equal(r->tls.sni, CHROME_SNI);
	assert_string_equal(r->tls.alpn, "h2,http/1.1");
	assert_string_equal(r->tls.versions, "TLS1.3,TLS1.2");
	assert_string_equal(r->tls.ja4, CHROME_JA4);
	assert_string_equal(r->info, CHROME_SNI);
}

/* Every cut of a TCP stream start holding a hello (stream, len bytes), each in a buffer of
 * exactly that size: not TLS, or TLS with each field the whole stream's or empty, and no JA4
 * before the whole hello is there. */
static void check_stream_cuts(const char *what, const uint8_t *stream, size_t len,
			      const struct inspect_result *whole)
{
	struct inspect_result r;
	uint8_t *cut;
	size_t n;

	for (n = 0; n <= len; n++) {
		cut = dup_exact(stream, n);
		inspect_tls(n ? cut : NULL, n, &r);
		free(cut);
		check_result_sane(&r);
		if (r.proto == INSPECT_NONE)
			continue;
		assert_int_equal(r.proto, INSPECT_TLS);
		check_cut_fields(what, n, &r, whole);
		assert_string_equal(r.info, r.tls.sni);
		if (n < len && r.tls.ja4[0])
			fail_msg("%s cut at %zu of %zu: JA4 %s", what, n, len, r.tls.ja4);
	}
}

/* A Chrome-like ClientHello of 1.7 KB, its extensions in several orders: read whole in
 * one record, over two or three records (one of them cutting the handshake header), after a
 * ChangeCipherSpec, and from QUIC; every cut of it gives whole fields or none. */
static void test_tls_chrome(void **state)
{
	static uint8_t msg[HELLO_BUF], stream[HELLO_BUF];
	struct inspect_result whole, r;
	size_t len, n, cuts[2];
	unsigned seed;

	for (seed = 1; seed <= 6; seed++) {
		len = chrome_hello(msg, seed);
		assert_int_equal(len, 1721);
		assert_int_equal(inspect_tls_hello(msg, len, INSPECT_TLS_TCP, &whole), 1);
		check_chrome(&whole);

		n = records(stream, msg, len, NULL, 0);
		assert_int_equal(run(stream, n, TCP, CLIENT_PORT, 443, &r), INSPECT_TLS);
		assert_memory_equal(&r, &whole, sizeof(r));
		/* Two records, split where a TCP segment might end. */
		cuts[0] = 200 + seed * 250;
		n = records(stream, msg, len, cuts, 1);
		assert_int_equal(run(stream, n, TCP, CLIENT_PORT, 443, &r), INSPECT_TLS);
		assert_memory_equal(&r, &whole, sizeof(r));
		if (seed <= 2)
			check_stream_cuts("two records", stream, n, &whole);
		/* The same stream in two buffers, as two segments: the first alone is a cut
		 * hello, the two together the whole one. */
		assert_int_equal(run(stream, 1448, TCP, CLIENT_PORT, 443, &r), INSPECT_TLS);
		assert_string_equal(r.tls.ja4, "");
		assert_false(r.tls.complete);
		check_cut_fields("first segment", 1448, &r, &whole);
		/* Three records, the first holding only two bytes of the handshake header. */
		cuts[0] = 2;
		cuts[1] = len - 5;
		n = records(stream, msg, len, cuts, 2);
		assert_int_equal(run(stream, n, TCP, CLIENT_PORT, 443, &r), INSPECT_TLS);
		assert_memory_equal(&r, &whole, sizeof(r));
		/* After a ChangeCipherSpec record. */
		memcpy(stream, "\x14\x03\x03\x00\x01\x01", 6);
		n = 6 + records(stream + 6, msg, len, cuts, 2);
		assert_int_equal(run(stream, n, TCP, CLIENT_PORT, 443, &r), INSPECT_TLS);
		assert_memory_equal(&r, &whole, sizeof(r));
		/* From QUIC: the same but its first character. */
		assert_int_equal(inspect_tls_hello(msg, len, INSPECT_TLS_QUIC, &r), 1);
		assert_int_equal(r.proto, INSPECT_TLS);
		assert_int_equal(r.tls.ja4[0], 'q');
		assert_string_equal(&r.tls.ja4[1], &CHROME_JA4[1]);
	}
	check_stream_cuts("one message", msg, 0, &whole);

	/* A record of another type ends the hello: the part before it is a cut one. */
	len = chrome_hello(msg, 1);
	cuts[0] = 1000;
	n = records(stream, msg, len, cuts, 1);
	stream[5 + 1000] = 0x17;
	assert_int_equal(run(stream, n, TCP, CLIENT_PORT, 443, &r), INSPECT_TLS);
	assert_false(r.tls.complete);
	assert_string_equal(r.tls.ja4, "");
	assert_string_equal(r.tls.sni, CHROME_SNI);
	/* A carrier outside the enum. */
	assert_int_equal(inspect_tls_hello(msg, len, (enum inspect_tls_carrier)'x', &r), 0);
	check_result_sane(&r);
}

/* FoxIO's own example (JA4.md): its suites, extensions and signature algorithms give its
 * fingerprint, and with no signature algorithms its other published hash. */
static void test_tls_ja4_example(void **state)
{
	static const uint16_t suites[] = { 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
					   0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
					   0xc014, 0x009c, 0x009d, 0x002f, 0x0035 };
	static const uint8_t sni[] = { 0x00, 0x04, 0x00, 0x00, 0x01, 'a' };
	static const uint8_t alpn[] = { 0x00, 0x03, 0x02, 'h', '2' };
	static const uint8_t sigs[] = { 0x00, 0x10, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05,
					0x03, 0x08, 0x05, 0x05, 0x01, 0x08, 0x06, 0x06, 0x01 };
	static const uint8_t no_sigs[] = { 0x00, 0x00 };
	static const uint8_t versions[] = { 0x02, 0x03, 0x04 };
	static const uint16_t types[] = { 0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017,
					  0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b,
					  0xff01, 0x000b, 0x000a, 0x0015 };
	struct ext exts[sizeof(types) / sizeof(types[0])];
	static uint8_t msg[HELLO_BUF];
	struct inspect_result r;
	size_t i, len;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		exts[i] = (struct ext){ types[i], NULL, 0 };
		if (types[i] == 0x0000)
			exts[i] = (struct ext){ types[i], sni, sizeof(sni) };
		if (types[i] == 0x0010)
			exts[i] = (struct ext){ types[i], alpn, sizeof(alpn) };
		if (types[i] == 0x000d)
			exts[i] = (struct ext){ types[i], sigs, sizeof(sigs) };
		if (types[i] == 0x002b)
			exts[i] = (struct ext){ types[i], versions, sizeof(versions) };
	}
	len = hello_msg(msg, INSPECT_TLS1_2, suites, sizeof(suites) / sizeof(suites[0]), exts,
			sizeof(types) / sizeof(types[0]), 1);
	assert_int_equal(inspect_tls_hello(msg, len, INSPECT_TLS_TCP, &r), 1);
	assert_string_equal(r.tls.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
	assert_string_equal(r.tls.versions, "TLS1.3");
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i] == 0x000d)
			exts[i] = (struct ext){ types[i], no_sigs, sizeof(no_sigs) };
	len = hello_msg(msg, INSPECT_TLS1_2, suites, sizeof(suites) / sizeof(suites[0]), exts,
			sizeof(types) / sizeof(types[0]), 1);
	assert_int_equal(inspect_tls_hello(msg, len, INSPECT_TLS_TCP, &r), 1);
	assert_string_equal(r.tls.ja4, "t13d1516h2_8daaf6152771_6d807ffa2a79");
}

/* JA4's corners, each value from ja4_ref.py: no extensions, odd ALPN values, more than 99
 * suites; and hellos past the bounds, which have none. */
static void test_tls_ja4_corners(void **state)
{
	static const uint16_t one[] = { 0x1301 };
	static const uint8_t alpn_hex[] = { 0x00, 0x03, 0x02, 0xab, 0xcd };
	static const uint8_t alpn_x[] = { 0x00, 0x02, 0x01, 'x' };
	static const uint8_t alpn_empty[] = { 0x00, 0x01, 0x00 };
	static const uint8_t sni[] = { 0x00, 0x04, 0x00, 0x00, 0x01, 'a' };
	static uint8_t msg[HELLO_BUF], stream[HELLO_BUF + 100], pad[INSPECT_HELLO_MAX];
	uint16_t many[120];
	struct ext e[2];
	struct inspect_result r;
	size_t i, len, n, cuts[2];

	len = hello_msg(msg, INSPECT_TLS1_2, one, 1, NULL, 0, 1);
	assert_int_equal(inspect_tls_hello(msg, len, INSPECT_TLS_TCP, &r), 1);
	assert_string_equal(r.tls.ja4, "t12i010000_0f2cb44170f4_000000000000");
	e[0] = (struct ext){ 0x0010, alpn_hex, sizeof(alpn_hex) };
	len = hello_msg(msg, INSPECT_TLS1_2, one, 1, e, 1, 1);
	assert_int_equal(inspect_tls_hello(msg, len, INSPECT_TLS_TCP, &r), 1);
	assert_string_equal(r.tls.ja4, "t12i0101ad_0f2cb44170f4_000000000000");
	assert_string_equal(r.tls.alpn, "\\xab\\xcd");
	e[0] = (struct ext){ 0x0010, alpn_x, sizeof(alpn_x) };
	len = hello_msg(msg, INSPECT_TLS1_2, one, 1, e, 1, 1);
	assert_int_equal(inspect_tls_hello(msg, len, INSPECT_TLS_TCP, &r), 1);
	assert_string_equal(r.tls.ja4, "t12i0101xx_0f2cb44170f4_000000000000");
	e[0] = (struct ext){ 0x0010, alpn_empty, sizeof(alpn_empty) };
	len = hello_msg(msg, INSPECT_TLS1_2, one, 1, e, 1, 1);
	assert_int_equal(inspect_tls_hello(msg, len, INSPECT_TLS_TCP, &r), 1);
	assert_string_equal(r.tls.ja4, "t12i010100_0f2cb44170f4_000000000000");
	assert_string_equal(r.tls.alpn, "");
	for (i = 0; i < 120; i++)
		many[i] = (uint16_t)(i + 1);
	len = hello_msg(msg, INSPECT_TLS1_2, many, 120, NULL, 0, 1);
	assert_int_equal(inspect_tls_hello(msg, len, INSPECT_TLS_TCP, &r), 1);
	assert_string_equal(r.tls.ja4, "t12i990000_0f8860b09f90_000000000000");

	/* A hello longer than INSPECT_HELLO_MAX (a huge padding extension), over two records:
	 * read up to the bound, never complete, no fingerprint; the SNI before it is read. */
	e[0] = (struct ext){ 0x0000, sni, sizeof(sni) };
	e[1] = (struct ext){ 0x0015, pad, sizeof(pad) };
	len = hello_msg(msg, INSPECT_TLS1_2, one, 1, e, 2, 1);
	assert_true(len > INSPECT_HELLO_MAX + 4);
	cuts[0] = 16000;
	n = records(stream, msg, len, cuts, 1);
	assert_int_equal(run(stream, n, TCP, CLIENT_PORT, 443, &r), INSPECT_TLS);
	assert_false(r.tls.complete);
	assert_string_equal(r.tls.sni, "a");
	assert_string_equal(r.tls.ja4, "");
}

static const struct CMUnitTest cases[] = {
	cmocka_unit_test(test_tls_malformed),
	cmocka_unit_test(test_tls_chrome),
	cmocka_unit_test(test_tls_ja4_example),
	cmocka_unit_test(test_tls_ja4_corners),
};

INSPECT_TEST(tls, INSPECT_TLS, 1, info_tls, NULL);
