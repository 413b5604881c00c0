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
	INSPECT_TEXT(tls.sni),	    INSPECT_TEXT(tls.alpn),
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

static const struct CMUnitTest cases[] = {
	cmocka_unit_test(test_tls_malformed),
};

INSPECT_TEST(tls, INSPECT_TLS, 1, info_tls, NULL);
