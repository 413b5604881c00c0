// SPDX-License-Identifier: BSD-2-Clause
/* The DNS inspector: captured queries and answers, and hand-made messages. */
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
	INSPECT_TEXT(dns.qname),
	INSPECT_TEXT(dns.answer),
};

/* ---- What each fixture holds ---- */

/* The message id, read straight from the payload. */
static uint16_t dns_id(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void dns_query(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_false(r->dns.is_response);
	assert_int_equal(r->dns.id, dns_id(p));
	assert_int_equal(r->dns.flags, 0x0120); /* RD, AD: dig's defaults */
	assert_int_equal(r->dns.opcode, 0);
	assert_int_equal(r->dns.rcode, 0);
	assert_int_equal(r->dns.qtype, 1);
	assert_int_equal(r->dns.qclass, 1);
	assert_int_equal(r->dns.ancount, 0);
	assert_string_equal(r->dns.qname, "www.example.test");
	assert_string_equal(r->dns.answer, "");
}

static void dns_response(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_true(r->dns.is_response);
	assert_int_equal(r->dns.id, dns_id(p));
	assert_int_equal(r->dns.flags, 0x8580); /* QR, AA, RD, RA */
	assert_int_equal(r->dns.rcode, 0);
	assert_int_equal(r->dns.qtype, 1);
	assert_int_equal(r->dns.ancount, 1);
	assert_string_equal(r->dns.qname, "www.example.test");
	/* The answer's owner is a compression pointer to the question. */
	assert_string_equal(r->dns.answer, "192.0.2.10");
}

static void dns_nxdomain_query(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_false(r->dns.is_response);
	assert_int_equal(r->dns.id, dns_id(p));
	assert_int_equal(r->dns.qtype, 28);
	assert_int_equal(r->dns.rcode, 0);
	assert_string_equal(r->dns.qname, "missing.example.test");
}

static void dns_nxdomain_response(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_true(r->dns.is_response);
	assert_int_equal(r->dns.id, dns_id(p));
	assert_int_equal(r->dns.flags, 0x8183);
	assert_int_equal(r->dns.rcode, 3);
	assert_int_equal(r->dns.qtype, 28);
	assert_int_equal(r->dns.ancount, 0);
	assert_string_equal(r->dns.qname, "missing.example.test");
	assert_string_equal(r->dns.answer, "");
}

static const struct fixture fixtures[] = {
	{ "dns_query.bin", UDP, CLIENT_PORT, 53, INSPECT_DNS, 0, "www.example.test", dns_query },
	{ "dns_response.bin", UDP, 53, CLIENT_PORT, INSPECT_DNS, 0, "www.example.test",
	  dns_response },
	{ "dns_nxdomain_query.bin", UDP, CLIENT_PORT, 53, INSPECT_DNS, 0, "missing.example.test",
	  dns_nxdomain_query },
	{ "dns_nxdomain_response.bin", UDP, 53, CLIENT_PORT, INSPECT_DNS, 0, "missing.example.test",
	  dns_nxdomain_response },
};

/* ---- Results of cut payloads ---- */

static void check_cut_dns(const char *file, size_t cut, const struct inspect_result *c,
			  const struct inspect_result *w)
{
	/* A DNS message is only recognised with its whole question. */
	if (c->proto == INSPECT_DNS) {
		assert_int_equal(c->dns.id, w->dns.id);
		assert_int_equal(c->dns.flags, w->dns.flags);
		assert_int_equal(c->dns.qtype, w->dns.qtype);
		assert_int_equal(c->dns.qclass, w->dns.qclass);
		assert_int_equal(c->dns.ancount, w->dns.ancount);
		assert_string_equal(c->dns.qname, w->dns.qname);
	}
}

static void info_dns(const struct inspect_result *c, const struct inspect_result *w, char *want,
		     size_t size)
{
	snprintf(want, size, "%s", c->dns.qname);
}

/* ---- Hand-made messages ---- */

/* A DNS message over UDP to port 53. */
static enum inspect_proto dns(const uint8_t *p, size_t len, struct inspect_result *r)
{
	return run(p, len, UDP, CLIENT_PORT, 53, r);
}

/* A DNS header: id 0x1234, the given flags and counts. */
static size_t dns_header(uint8_t *m, uint16_t flags, uint16_t qd, uint16_t an)
{
	static const uint8_t h[] = { 0x12, 0x34 };

	memcpy(m, h, 2);
	m[2] = flags >> 8;
	m[3] = flags & 0xff;
	m[4] = qd >> 8;
	m[5] = qd & 0xff;
	m[6] = an >> 8;
	m[7] = an & 0xff;
	memset(m + 8, 0, 4);
	return 12;
}

/* Writes the dotted name (no escapes) in wire form at m + at. Returns where it ends. */
static size_t put_name(uint8_t *m, size_t at, const char *dotted)
{
	const char *dot;
	size_t n;

	while (*dotted) {
		dot = strchr(dotted, '.');
		n = dot ? (size_t)(dot - dotted) : strlen(dotted);
		m[at++] = (uint8_t)n;
		at = put(m, at, dotted, n);
		dotted += n + (dot ? 1 : 0);
	}
	m[at++] = 0;
	return at;
}

/* Writes a big-endian 16-bit number at m + at. Returns where it ends. */
static size_t put16(uint8_t *m, size_t at, uint16_t v)
{
	m[at] = (uint8_t)(v >> 8);
	m[at + 1] = (uint8_t)v;
	return at + 2;
}

/* A question of the given name, type and class at m + at. Returns where it ends. */
static size_t put_question(uint8_t *m, size_t at, const char *dotted, uint16_t type, uint16_t class)
{
	at = put_name(m, at, dotted);
	at = put16(m, at, type);
	return put16(m, at, class);
}

/* DNS: compression pointers that loop or run forward, long names, strict checks off port. */
static void test_dns_malformed(void **state)
{
	struct inspect_result r;
	uint8_t m[1024];
	size_t n, q, k;
	int i;

	/* A question whose name points at itself, or forward: not DNS. */
	n = dns_header(m, 0x0100, 1, 0);
	n = put(m, n, "\xc0\x0c\x00\x01\x00\x01", 6);
	assert_int_equal(dns(m, n, &r), INSPECT_NONE);
	n = dns_header(m, 0x0100, 1, 0);
	n = put(m, n, "\x01\x61\xc0\x0c\x00\x01\x00\x01", 8); /* "a", then itself */
	assert_int_equal(dns(m, n, &r), INSPECT_NONE);
	n = dns_header(m, 0x0100, 1, 0);
	n = put(m, n, "\xc0\x10\x00\x01\x00\x01\x01\x61\x00", 9);
	assert_int_equal(dns(m, n, &r), INSPECT_NONE);
	/* Extended label types, a label past the end, a pointer cut in half. */
	n = dns_header(m, 0x0100, 1, 0);
	n = put(m, n, "\x41\x61\x00\x00\x01\x00\x01", 7);
	assert_int_equal(dns(m, n, &r), INSPECT_NONE);
	n = dns_header(m, 0x0100, 1, 0);
	n = put(m, n, "\x3f\x61\x62\x63", 4);
	assert_int_equal(dns(m, n, &r), INSPECT_NONE);
	n = dns_header(m, 0x0100, 1, 0);
	n = put(m, n, "\xc0", 1);
	assert_int_equal(dns(m, n, &r), INSPECT_NONE);

	/* A response: question www.example.test A, answers below. */
	n = dns_header(m, 0x8180, 1, 1);
	q = n;
	n = put_question(m, n, "www.example.test", 1, 1);
	assert_int_equal(n, q + 22);
	/* An answer whose owner points forward, to a pointer back to it: the message is DNS, the
	 * answer unknown. */
	n = put(m, n, "\xc0\x24\xc0\x22\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01",
		18);
	assert_int_equal(dns(m, n, &r), INSPECT_DNS);
	assert_string_equal(r.dns.qname, "www.example.test");
	assert_string_equal(r.dns.answer, "");
	/* A CNAME whose target is "cdn" then a pointer to the question's "example.test". */
	n = q + 22;
	n = put(m, n, "\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x06", 12);
	m[n++] = 3;
	n = put(m, n, "cdn", 3);
	n = put(m, n, "\xc0\x10", 2);
	assert_int_equal(dns(m, n, &r), INSPECT_DNS);
	assert_string_equal(r.dns.answer, "cdn.example.test");
	/* The same CNAME with an RDLENGTH one short: the name overruns its record. */
	m[q + 22 + 11] = 5;
	assert_int_equal(dns(m, n, &r), INSPECT_DNS);
	assert_string_equal(r.dns.answer, "");
	/* An AAAA answer. */
	n = q + 22;
	n = put(m, n, "\xc0\x0c\x00\x1c\x00\x01\x00\x00\x00\x3c\x00\x10", 12);
	n = put(m, n, "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16);
	assert_int_equal(dns(m, n, &r), INSPECT_DNS);
	assert_string_equal(r.dns.answer, "2001:db8::1");
	/* An A record with a wrong RDLENGTH. */
	n = q + 22;
	n = put(m, n, "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x05\xc0\x00\x02\x01\x00", 17);
	assert_int_equal(dns(m, n, &r), INSPECT_DNS);
	assert_string_equal(r.dns.answer, "");

	/* Chains of pointers. The question's one label holds 20 pointers, each to the one before
	 * it, the first to a zero byte in the header (ARCOUNT's): a name made only of jumps. An
	 * A answer's owner enters the chain at pointer k, which makes k + 2 jumps in all. */
	n = dns_header(m, 0x8180, 1, 1);
	m[n++] = 40;
	for (i = 0; i < 20; i++) {
		size_t to = i ? 13 + 2 * (size_t)(i - 1) : 10;

		m[n++] = 0xc0 | (uint8_t)(to >> 8);
		m[n++] = (uint8_t)to;
	}
	n = put(m, n, "\x00\x00\x01\x00\x01", 5);
	q = n;
	n = put(m, n, "\xc0\x00\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01", 16);
	m[q + 1] = 13 + 2 * 14; /* 16 jumps: the most allowed */
	assert_int_equal(dns(m, n, &r), INSPECT_DNS);
	assert_string_equal(r.dns.answer, "192.0.2.1");
	m[q + 1] = 13 + 2 * 15; /* 17 */
	assert_int_equal(dns(m, n, &r), INSPECT_DNS);
	assert_string_equal(r.dns.answer, "");

	/* A name over 255 octets: five labels of 63. */
	n = dns_header(m, 0x0100, 1, 0);
	for (i = 0; i < 5; i++) {
		m[n++] = 63;
		memset(m + n, 'x', 63);
		n += 63;
	}
	n = put(m, n, "\x00\x00\x01\x00\x01", 5);
	assert_int_equal(dns(m, n, &r), INSPECT_NONE);
	/* Three labels of 63 and one of 61: 255 octets with the root, the longest name (253
	 * characters). One more octet is too many. */
	for (k = 61; k <= 62; k++) {
		n = dns_header(m, 0x0100, 1, 0);
		for (i = 0; i < 3; i++) {
			m[n++] = 63;
			memset(m + n, 'x', 63);
			n += 63;
		}
		m[n++] = (uint8_t)k;
		memset(m + n, 'y', k);
		n += k;
		n = put(m, n, "\x00\x00\x01\x00\x01", 5);
		if (k == 61) {
			assert_int_equal(dns(m, n, &r), INSPECT_DNS);
			assert_int_equal(strlen(r.dns.qname), 253);
		} else {
			assert_int_equal(dns(m, n, &r), INSPECT_NONE);
		}
	}

	/* The root, a dot inside a label, bytes outside ASCII. */
	n = dns_header(m, 0x0000, 1, 0);
	n = put(m, n, "\x00\x00\x02\x00\x01", 5);
	assert_int_equal(dns(m, n, &r), INSPECT_DNS);
	assert_string_equal(r.dns.qname, ".");
	assert_string_equal(r.info, ".");
	n = dns_header(m, 0x0000, 1, 0);
	m[n++] = 3;
	n = put(m, n, "a.b", 3);
	n = put(m, n, "\x02\xc3\xa9\x00\x00\x01\x00\x01", 8);
	assert_int_equal(dns(m, n, &r), INSPECT_DNS);
	assert_string_equal(r.dns.qname, "a\\x2eb.\\xc3\\xa9");

	/* Counts and opcodes: a scanner's two questions are DNS, the first
	 * one read; more than 64 questions, or none, are not. */
	n = dns_header(m, 0x0100, 2, 0);
	n = put_question(m, n, "a", 1, 1);
	assert_int_equal(dns(m, n, &r), INSPECT_DNS);
	assert_string_equal(r.info, "a");
	assert_int_equal(r.dns.qdcount, 2);
	m[5] = 64;
	assert_int_equal(dns(m, n, &r), INSPECT_DNS);
	m[5] = 65;
	assert_int_equal(dns(m, n, &r), INSPECT_NONE);
	m[4] = 1;
	m[5] = 0;
	assert_int_equal(dns(m, n, &r), INSPECT_NONE);
	m[4] = 0;
	m[5] = 0;
	assert_int_equal(dns(m, n, &r), INSPECT_NONE);
	m[5] = 1;
	m[2] = 3 << 3; /* opcode 3: unassigned */
	assert_int_equal(dns(m, n, &r), INSPECT_NONE);
	m[2] = 0;
	m[n - 1] = 0; /* class 0 */
	assert_int_equal(dns(m, n, &r), INSPECT_NONE);

	/* CHAOS class VERSION.BIND: DNS on port 53, not off it; NOTIFY likewise. */
	n = dns_header(m, 0x0000, 1, 0);
	n = put_question(m, n, "VERSION.BIND", 16, 3);
	assert_int_equal(dns(m, n, &r), INSPECT_DNS);
	assert_string_equal(r.info, "VERSION.BIND");
	assert_int_equal(r.dns.qclass, 3);
	assert_int_equal(run(m, n, UDP, CLIENT_PORT, 5300, &r), INSPECT_NONE);
	n = dns_header(m, 4 << 11, 1, 0);
	n = put_question(m, n, "a", 6, 1);
	assert_int_equal(dns(m, n, &r), INSPECT_DNS);
	assert_int_equal(r.dns.opcode, 4);
	assert_int_equal(run(m, n, UDP, CLIENT_PORT, 5300, &r), INSPECT_NONE);
	/* A type outside the common ones, and the Z bit, off port. */
	n = dns_header(m, 0x0000, 1, 0);
	n = put_question(m, n, "a", 33, 1);
	assert_int_equal(run(m, n, UDP, CLIENT_PORT, 5300, &r), INSPECT_DNS); /* SRV */
	m[n - 3] = 0x20; /* NB */
	assert_int_equal(run(m, n, UDP, CLIENT_PORT, 5300, &r), INSPECT_NONE);
	m[n - 3] = 0x01;
	m[3] = 0x40;
	assert_int_equal(run(m, n, UDP, CLIENT_PORT, 5300, &r), INSPECT_NONE);
	assert_int_equal(dns(m, n, &r), INSPECT_DNS);
}

/* mDNS: a Bonjour query of 8 questions (tshark names the first, _airplay._tcp.local, in its
 * column and lists 8), and a response whose answer follows three questions. */
static void test_dns_questions(void **state)
{
	static const char *const names[] = {
		"_airplay._tcp.local",	       "_raop._tcp.local",	  "_homekit._tcp.local",
		"_companion-link._tcp.local",  "_sleep-proxy._udp.local", "_googlecast._tcp.local",
		"_spotify-connect._tcp.local", "_device-info._tcp.local",
	};
	struct inspect_result r;
	uint8_t m[1024];
	size_t n, i, whole;

	n = dns_header(m, 0x0000, 8, 0);
	for (i = 0; i < 8; i++)
		n = put_question(m, n, names[i], 12, i ? 1 : 0x8001); /* PTR, the first QU */
	assert_int_equal(run(m, n, UDP, 5353, 5353, &r), INSPECT_DNS);
	assert_string_equal(r.info, "_airplay._tcp.local");
	assert_int_equal(r.dns.qdcount, 8);
	assert_int_equal(r.dns.qtype, 12);
	assert_int_equal(r.dns.qclass, 0x8001);
	/* Off the DNS ports, many questions are not an ordinary message. */
	assert_int_equal(run(m, n, UDP, CLIENT_PORT, 5300, &r), INSPECT_NONE);

	/* A response: three questions, then an A answer for the third. */
	n = dns_header(m, 0x8400, 3, 1);
	n = put_question(m, n, "a.local", 1, 1);
	n = put_question(m, n, "b.local", 1, 1);
	n = put_question(m, n, "c.local", 1, 1);
	n = put(m, n, "\x01\x63\xc0\x0e\x00\x01\x00\x01\x00\x00\x00\x78\x00\x04\xc0\x00\x02\x07",
		18);
	whole = n;
	assert_int_equal(run(m, n, UDP, 5353, 5353, &r), INSPECT_DNS);
	assert_string_equal(r.info, "a.local");
	assert_string_equal(r.dns.answer, "192.0.2.7");
	/* Cut inside the later questions or the answer: the first question still, no answer. */
	for (n = 12 + 13; n < whole; n++) {
		assert_int_equal(run(m, n, UDP, 5353, 5353, &r), INSPECT_DNS);
		assert_string_equal(r.info, "a.local");
		assert_string_equal(r.dns.answer, "");
	}
	/* A later question that is malformed: the message is DNS, its answer unknown. */
	m[12 + 13] = 0x40;
	assert_int_equal(run(m, whole, UDP, 5353, 5353, &r), INSPECT_DNS);
	assert_string_equal(r.dns.answer, "");
}

static const struct CMUnitTest cases[] = {
	cmocka_unit_test(test_dns_malformed),
	cmocka_unit_test(test_dns_questions),
};

INSPECT_TEST(dns, INSPECT_DNS, 0, info_dns, check_cut_dns);
