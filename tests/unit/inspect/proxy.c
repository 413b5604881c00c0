// SPDX-License-Identifier: BSD-2-Clause
/* The PROXY protocol header (v1 and v2): whole, cut at every length, and garbage. No row of
 * the table: test_inspect.c runs these cases as a group of their own. */
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

#define SIG "\r\n\r\n\0\r\nQUIT\n"
#define SIG_LEN 12

/* inspect_proxy() over a copy of exactly n bytes of s; checks that *p is cleared unless the
 * header is whole, and that its texts are printable and terminated. */
static int proxy(const void *s, size_t n, struct inspect_proxy *p)
{
	static const struct inspect_proxy none;
	uint8_t *b = dup_exact(s, n);
	int ret = inspect_proxy(n ? b : NULL, n, p);

	free(b);
	assert_true(ret >= -1 && ret <= (int)n);
	if (ret <= 0)
		assert_memory_equal(p, &none, sizeof(*p));
	else
		assert_true(p->version == 1 || p->version == 2);
	check_text("src_addr", p->src_addr, sizeof(p->src_addr));
	check_text("dst_addr", p->dst_addr, sizeof(p->dst_addr));
	check_text("authority", p->authority, sizeof(p->authority));
	return ret;
}

/* Every cut of a whole header of hlen bytes in s is -1; the whole one hlen. */
static void check_cuts(const void *s, size_t hlen)
{
	struct inspect_proxy p;
	size_t n;

	for (n = 0; n < hlen; n++)
		if (proxy(s, n, &p) != -1)
			fail_msg("cut at %zu of %zu: not -1", n, hlen);
	assert_int_equal(proxy(s, hlen, &p), (int)hlen);
}

/* Version 1: TCP4, TCP6, UNKNOWN; what follows is not the header's. */
static void test_proxy_v1(void **state)
{
	static const char tcp4[] = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n\x16\x03\x01";
	static const char tcp6[] = "PROXY TCP6 2001:0db8::1 2001:db8:0:0::2 0 65535\r\nGET /";
	struct inspect_proxy p;
	size_t h4 = strlen(tcp4) - 3, h6 = strlen(tcp6) - 5;

	assert_int_equal(proxy(tcp4, sizeof(tcp4) - 1, &p), (int)h4);
	assert_int_equal(p.version, 1);
	assert_false(p.local);
	assert_int_equal(p.ip_version, 4);
	assert_int_equal(p.l4proto, 6);
	assert_string_equal(p.src_addr, "192.0.2.1");
	assert_string_equal(p.dst_addr, "198.51.100.2");
	assert_int_equal(p.src_port, 56324);
	assert_int_equal(p.dst_port, 443);
	check_cuts(tcp4, h4);

	assert_int_equal(proxy(tcp6, sizeof(tcp6) - 1, &p), (int)h6);
	assert_int_equal(p.ip_version, 6);
	assert_string_equal(p.src_addr, "2001:db8::1"); /* inet_ntop's form */
	assert_string_equal(p.dst_addr, "2001:db8::2");
	assert_int_equal(p.src_port, 0);
	assert_int_equal(p.dst_port, 65535);
	check_cuts(tcp6, h6);

	assert_int_equal(proxy("PROXY UNKNOWN\r\n", 15, &p), 15);
	assert_true(p.local);
	assert_string_equal(p.src_addr, "");
	assert_int_equal(proxy("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\nX", 36, &p), 35);
	assert_true(p.local);
}

/* curl --haproxy-protocol's header (capture_cleartext.sh): a packet of its own, before the
 * request. */
static void test_proxy_curl(void **state)
{
	struct inspect_proxy p;
	uint8_t *buf;
	size_t len;

	buf = load("proxy_v1_http.bin", &len);
	assert_int_equal(proxy(buf, len, &p), (int)len);
	assert_int_equal(p.version, 1);
	assert_int_equal(p.ip_version, 4);
	assert_string_equal(p.src_addr, "127.0.0.1");
	assert_string_equal(p.dst_addr, "127.0.0.1");
	assert_true(p.src_port > 0);
	assert_int_equal(p.dst_port, 8082);
	check_cuts(buf, len);
	free(buf);
}

/* Version 1 garbage: every field malformed in turn, and lines too long. */
static void test_proxy_v1_garbage(void **state)
{
	static const char *const bad[] = {
		"PROXY TCP4 192.0.2.1 198.51.100.2 56324 65536\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 -1 443\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 123456 443\r\n",
		"PROXY TCP4 ::1 198.51.100.2 1 443\r\n",
		"PROXY TCP6 192.0.2.1 ::2 1 443\r\n",
		"PROXY TCP4 192.0.2.1  198.51.100.2 1 443\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 1 443 \r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 1 443 9\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 1\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 1 443\n",
		"PROXY tcp4 192.0.2.1 198.51.100.2 1 443\r\n",
		"PROXY UDP4 192.0.2.1 198.51.100.2 1 443\r\n",
		"PROXY TCP4 256.0.2.1 198.51.100.2 1 443\r\n",
		"PROXY \r\n",
		"PROXY\r\n",
		"PROXYTCP4\r\n",
		"GET / HTTP/1.1\r\n",
		"PX",
		"PROXY TCP4 1.2.3.4\x01",
	};
	struct inspect_proxy p;
	char line[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (proxy(bad[i], strlen(bad[i]), &p) != 0)
			fail_msg("taken for a header: \"%s\"", bad[i]);
	/* 107 bytes at most, CR LF included: an UNKNOWN line of 107 is one, of 108 not, and
	 * 107 bytes without a line end are not cut but wrong. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	memcpy(line + 105, "\r\n", 2);
	assert_int_equal(proxy(line, 107, &p), 107);
	memset(line, 'x', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	memcpy(line + 106, "\r\n", 2);
	assert_int_equal(proxy(line, 108, &p), 0);
	assert_int_equal(proxy(line, 106, &p), -1);
	assert_int_equal(proxy(line, 107, &p), 0);
	/* Prefixes of "PROXY " are cut; so is the empty buffer. */
	assert_int_equal(proxy("P", 1, &p), -1);
	assert_int_equal(proxy("PROX", 4, &p), -1);
	assert_int_equal(proxy("", 0, &p), -1);
}

/* Writes a version 2 header: signature, ver_cmd, fam, length, then n bytes of body. */
static size_t v2(uint8_t *m, uint8_t ver_cmd, uint8_t fam, const void *body, size_t n)
{
	memcpy(m, SIG, SIG_LEN);
	m[12] = ver_cmd;
	m[13] = fam;
	m[14] = (uint8_t)(n >> 8);
	m[15] = (uint8_t)n;
	memcpy(m + 16, body, n);
	return 16 + n;
}

/* Version 2: each family, LOCAL, TLVs, every cut. */
static void test_proxy_v2(void **state)
{
	/* 192.0.2.1:56324 -> 198.51.100.2:443, then AUTHORITY "example.test", then ALPN "h2". */
	static const uint8_t inet[] = {
		192,  0,    2,	  1,   198, 51,	  100,	2,   0xdc, 0x04, 0x01,
		0xbb, 0x02, 0x00, 12,  'e', 'x',  'a',	'm', 'p',  'l',	 'e',
		'.',  't',  'e',  's', 't', 0x01, 0x00, 2,   'h',  '2',
	};
	uint8_t m[512], body[300];
	struct inspect_proxy p;
	size_t n;

	n = v2(m, 0x21, 0x11, inet, sizeof(inet));
	m[n] = 0x16; /* what follows: a TLS record */
	assert_int_equal(proxy(m, n + 1, &p), (int)n);
	assert_int_equal(p.version, 2);
	assert_false(p.local);
	assert_int_equal(p.ip_version, 4);
	assert_int_equal(p.l4proto, 6);
	assert_string_equal(p.src_addr, "192.0.2.1");
	assert_string_equal(p.dst_addr, "198.51.100.2");
	assert_int_equal(p.src_port, 56324);
	assert_int_equal(p.dst_port, 443);
	assert_string_equal(p.authority, "example.test");
	check_cuts(m, n);

	/* A TLV running past the header: the header still ends where its length says. */
	n = v2(m, 0x21, 0x12, inet, 17);
	assert_int_equal(proxy(m, n, &p), (int)n);
	assert_int_equal(p.l4proto, 17);
	assert_string_equal(p.authority, "");

	/* IPv6, UDP. */
	memset(body, 0, 36);
	body[0] = 0x20;
	body[1] = 0x01;
	body[15] = 1;
	body[16] = 0x20;
	body[17] = 0x01;
	body[31] = 2;
	body[33] = 53;
	body[35] = 53;
	n = v2(m, 0x21, 0x22, body, 36);
	assert_int_equal(proxy(m, n, &p), 52);
	assert_string_equal(p.src_addr, "2001::1");
	assert_string_equal(p.dst_addr, "2001::2");
	assert_int_equal(p.src_port, 53);
	assert_int_equal(p.ip_version, 6);
	check_cuts(m, n);

	/* AF_UNIX: no address kept. UNSPEC with PROXY: none given. */
	memset(body, 'x', 216);
	n = v2(m, 0x21, 0x31, body, 216);
	assert_int_equal(proxy(m, n, &p), 232);
	assert_int_equal(p.ip_version, 0);
	assert_string_equal(p.src_addr, "");
	n = v2(m, 0x21, 0x00, body, 0);
	assert_int_equal(proxy(m, n, &p), 16);
	assert_false(p.local);

	/* LOCAL: a health check, whatever the body says. */
	n = v2(m, 0x20, 0x11, inet, 5);
	assert_int_equal(proxy(m, n, &p), 21);
	assert_true(p.local);
	assert_string_equal(p.src_addr, "");
	check_cuts(m, n);
	n = v2(m, 0x20, 0xff, inet, 0);
	assert_int_equal(proxy(m, n, &p), 16);
	assert_true(p.local);

	/* Not a header: another version or command, an unknown family or transport, a length
	 * too short for the family's addresses. */
	n = v2(m, 0x11, 0x11, inet, 12);
	assert_int_equal(proxy(m, n, &p), 0);
	assert_int_equal(proxy(m, 13, &p), 0);
	n = v2(m, 0x22, 0x11, inet, 12);
	assert_int_equal(proxy(m, n, &p), 0);
	n = v2(m, 0x21, 0x41, inet, 12);
	assert_int_equal(proxy(m, n, &p), 0);
	assert_int_equal(proxy(m, 14, &p), 0);
	n = v2(m, 0x21, 0x13, inet, 12);
	assert_int_equal(proxy(m, n, &p), 0);
	n = v2(m, 0x21, 0x11, inet, 11);
	assert_int_equal(proxy(m, n, &p), 0);
	n = v2(m, 0x21, 0x21, inet, 35 > sizeof(inet) ? sizeof(inet) : 35);
	assert_int_equal(proxy(m, n, &p), 0);
	/* The signature wrong in its last byte. */
	n = v2(m, 0x21, 0x11, inet, 12);
	m[11] = 'X';
	assert_int_equal(proxy(m, n, &p), 0);
	assert_int_equal(proxy(m, 11, &p), -1);
}

/* Random bytes, and random bytes after each signature: never out of bounds, never a length
 * past the buffer, *p cleared unless whole. */
static void test_proxy_garbage(void **state)
{
	uint8_t m[300];
	struct inspect_proxy p;
	uint32_t seed = 4242;
	size_t i, n;
	int round;

	for (round = 0; round < 20000; round++) {
		for (i = 0; i < sizeof(m); i++) {
			seed = seed * 1103515245 + 12345;
			m[i] = (uint8_t)(seed >> 16);
		}
		seed = seed * 1103515245 + 12345;
		n = (seed >> 8) % sizeof(m);
		if (round % 3 == 1) {
			/* A valid start, so that the random rest gets read. */
			memcpy(m, SIG, SIG_LEN);
			m[12] = 0x20 | (m[12] & 1);
			m[14] = 0;
		} else if (round % 3 == 2) {
			memcpy(m, "PROXY TCP4 ", 11);
		}
		proxy(m, n, &p);
	}
}

const struct CMUnitTest inspect_proxy_cases[] = {
	cmocka_unit_test(test_proxy_v1),
	cmocka_unit_test(test_proxy_curl),
	cmocka_unit_test(test_proxy_v1_garbage),
	cmocka_unit_test(test_proxy_v2),
	cmocka_unit_test(test_proxy_garbage),
};

const size_t inspect_proxy_n_cases = sizeof(inspect_proxy_cases) / sizeof(inspect_proxy_cases[0]);
