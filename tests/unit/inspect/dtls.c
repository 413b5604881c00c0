// SPDX-License-Identifier: BSD-2-Clause
/* The DTLS inspector: captured hellos, a hello's fragments over two datagrams, and records
 * that are not a hello's. */
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

#define DTLS_PORT 4433
#define RECORD_HEADER 13
#define FRAGMENT_HEADER 12
#define BODY_MAX 4096

/* DTLS results fill the TLS fields (tls.c checks them for every result too). */
static const struct inspect_field fields[] = {
	INSPECT_NUM(tls.handshake), INSPECT_NUM(tls.version), INSPECT_NUM(tls.cipher),
	INSPECT_NUM(tls.complete),  INSPECT_TEXT(tls.sni),    INSPECT_TEXT(tls.ja4),
};

/* ---- What each fixture holds ---- */

static void dtls_client_hello(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_int_equal(r->tls.handshake, INSPECT_TLS_CLIENT_HELLO);
	assert_int_equal(r->tls.version, INSPECT_DTLS1_2);
	assert_int_equal(r->tls.legacy_version, INSPECT_DTLS1_2);
	assert_true(r->tls.complete);
	assert_string_equal(r->tls.sni, "example.test");
	assert_string_equal(r->tls.alpn, "http/1.1");
	assert_string_equal(r->tls.versions, "");
	/* ja4_ref.py ja4 over the fixture named .udp (tests/integration/ja4_ref.sh) */
	assert_string_equal(r->tls.ja4, "dd2d2808h1_d943125447b4_e7e480e5a997");
}

static void dtls_server_hello(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_int_equal(r->tls.handshake, INSPECT_TLS_SERVER_HELLO);
	assert_int_equal(r->tls.version, INSPECT_DTLS1_2);
	assert_int_equal(r->tls.cipher, 0xc02c);
	assert_true(r->tls.complete);
	assert_string_equal(r->tls.alpn, "http/1.1");
	assert_string_equal(r->tls.ja4, "");
}

static const struct fixture fixtures[] = {
	{ "dtls_client_hello.bin", UDP, CLIENT_PORT, DTLS_PORT, INSPECT_DTLS, 1, "example.test",
	  dtls_client_hello },
	{ "dtls_server_hello.bin", UDP, DTLS_PORT, CLIENT_PORT, INSPECT_DTLS, 1,
	  "DTLS1.2 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", dtls_server_hello },
};

/* ---- Results of cut payloads ---- */

static void info_dtls(const struct inspect_result *c, const struct inspect_result *w, char *want,
		      size_t size)
{
	if (c->tls.handshake == INSPECT_TLS_CLIENT_HELLO)
		snprintf(want, size, "%s", c->tls.sni);
	else
		snprintf(want, size, "%s", c->tls.version ? w->info : "");
}

/* ---- Fragments ---- */

/* A message being put back together from fragments: body bytes at their offsets. */
struct reassembly {
	uint8_t body[BODY_MAX];
	size_t end; /* the furthest byte written + 1 */
	int calls;
};

/* inspect_dtls_fragments()'s callback for the tests. */
static void collect(void *arg, uint64_t offset, const uint8_t *data, size_t n)
{
	struct reassembly *a = arg;

	assert_true(offset + n <= BODY_MAX);
	memcpy(a->body + offset, data, n);
	if (offset + n > a->end)
		a->end = (size_t)(offset + n);
	a->calls++;
}

/* Writes a handshake record of epoch 0 holding the fragment [from, to) of a message of type
 * and body (len bytes) at out. Returns the bytes written. */
static size_t fragment_record(uint8_t *out, uint8_t type, const uint8_t *body, size_t len,
			      size_t from, size_t to, uint16_t record_seq)
{
	size_t n = 0, frag = to - from;

	out[n++] = 22;
	out[n++] = 0xfe;
	out[n++] = 0xfd;
	memset(out + n, 0, 8); /* epoch 0, sequence number */
	out[n + 7] = (uint8_t)record_seq;
	n += 8;
	out[n++] = (uint8_t)((FRAGMENT_HEADER + frag) >> 8);
	out[n++] = (uint8_t)(FRAGMENT_HEADER + frag);
	out[n++] = type;
	out[n++] = (uint8_t)(len >> 16);
	out[n++] = (uint8_t)(len >> 8);
	out[n++] = (uint8_t)len;
	out[n++] = 0; /* message_seq */
	out[n++] = 0;
	out[n++] = (uint8_t)(from >> 16);
	out[n++] = (uint8_t)(from >> 8);
	out[n++] = (uint8_t)from;
	out[n++] = (uint8_t)(frag >> 16);
	out[n++] = (uint8_t)(frag >> 8);
	out[n++] = (uint8_t)frag;
	return put(out, n, body + from, frag);
}

/* The captured ClientHello's fragments over two datagrams: each hands its fragments with
 * their offsets; put together, they are the hello the whole datagram gives. The first
 * datagram alone is a cut hello; the second, with no fragment at offset 0, none. */
static void test_dtls_fragments(void **state)
{
	struct inspect_result whole, r;
	struct reassembly a = { .end = 0 };
	uint8_t *fx, d1[BODY_MAX], d2[BODY_MAX], msg[4 + BODY_MAX], type = 0;
	const uint8_t *body;
	size_t len, body_len, n1, n2, k, m;
	uint32_t msg_len = 0;

	fx = load("dtls_client_hello.bin", &len);
	assert_int_equal(run(fx, len, UDP, CLIENT_PORT, DTLS_PORT, &whole), INSPECT_DTLS);
	body = fx + RECORD_HEADER + FRAGMENT_HEADER;
	body_len = len - RECORD_HEADER - FRAGMENT_HEADER;
	k = 60; /* inside the cipher suites */
	m = 150;
	n1 = fragment_record(d1, INSPECT_TLS_CLIENT_HELLO, body, body_len, 0, k, 0);
	n2 = fragment_record(d2, INSPECT_TLS_CLIENT_HELLO, body, body_len, k, m, 1);
	n2 += fragment_record(d2 + n2, INSPECT_TLS_CLIENT_HELLO, body, body_len, m, body_len, 2);

	assert_int_equal(inspect_dtls_fragments(d1, n1, &type, &msg_len, collect, &a), 1);
	assert_int_equal(type, INSPECT_TLS_CLIENT_HELLO);
	assert_int_equal(msg_len, body_len);
	assert_int_equal(inspect_dtls_fragments(d2, n2, &type, &msg_len, collect, &a), 2);
	assert_int_equal(msg_len, body_len);
	assert_int_equal(a.calls, 3);
	assert_int_equal(a.end, body_len);
	memcpy(msg, "\x01\x00", 2);
	msg[2] = (uint8_t)(body_len >> 8);
	msg[3] = (uint8_t)body_len;
	memcpy(msg + 4, a.body, body_len);
	assert_int_equal(inspect_tls_hello(msg, 4 + body_len, INSPECT_TLS_DTLS, &r), 1);
	assert_memory_equal(&r, &whole, sizeof(r));

	assert_int_equal(run(d1, n1, UDP, CLIENT_PORT, DTLS_PORT, &r), INSPECT_DTLS);
	assert_false(r.tls.complete);
	assert_string_equal(r.tls.ja4, "");
	check_cut_fields("first datagram", n1, &r, &whole);
	assert_int_equal(run(d2, n2, UDP, CLIENT_PORT, DTLS_PORT, &r), INSPECT_NONE);

	/* All three fragments in one datagram: the whole hello. */
	memmove(d2 + n1, d2, n2);
	memcpy(d2, d1, n1);
	assert_int_equal(run(d2, n1 + n2, UDP, CLIENT_PORT, DTLS_PORT, &r), INSPECT_DTLS);
	assert_memory_equal(&r, &whole, sizeof(r));
	/* In the wrong order, a later fragment first: the datagram does not start with the
	 * hello's start (the caller's reassembly takes them, through inspect_dtls_fragments()). */
	n2 = fragment_record(d2, INSPECT_TLS_CLIENT_HELLO, body, body_len, k, body_len, 1);
	n2 += fragment_record(d2 + n2, INSPECT_TLS_CLIENT_HELLO, body, body_len, 0, k, 0);
	assert_int_equal(run(d2, n2, UDP, CLIENT_PORT, DTLS_PORT, &r), INSPECT_NONE);
	free(fx);
}

/* Records that are not a DTLS hello's start; over TCP never. */
static void test_dtls_malformed(void **state)
{
	struct inspect_result r;
	struct reassembly a = { .end = 0 };
	uint8_t *fx, *m, type;
	uint32_t msg_len;
	size_t len;

	fx = load("dtls_client_hello.bin", &len);
	assert_int_equal(run(fx, len, TCP, CLIENT_PORT, DTLS_PORT, &r), INSPECT_NONE);
	/* DNS's port changes nothing: the header is no DNS message (opcode 15). */
	assert_int_equal(run(fx, len, UDP, CLIENT_PORT, 53, &r), INSPECT_DTLS);
	m = dup_exact(fx, len);
	m[4] = 1; /* epoch 1 */
	assert_int_equal(run(m, len, UDP, CLIENT_PORT, DTLS_PORT, &r), INSPECT_NONE);
	assert_int_equal(inspect_dtls_fragments(m, len, &type, &msg_len, collect, &a), 0);
	assert_int_equal(type, 0);
	memcpy(m, fx, len);
	m[2] = 0xfe; /* version 0xfefe */
	assert_int_equal(run(m, len, UDP, CLIENT_PORT, DTLS_PORT, &r), INSPECT_NONE);
	memcpy(m, fx, len);
	m[0] = 23; /* application data */
	assert_int_equal(run(m, len, UDP, CLIENT_PORT, DTLS_PORT, &r), INSPECT_NONE);
	memcpy(m, fx, len);
	m[RECORD_HEADER] = 3; /* HelloVerifyRequest */
	assert_int_equal(run(m, len, UDP, CLIENT_PORT, DTLS_PORT, &r), INSPECT_NONE);
	memcpy(m, fx, len);
	m[RECORD_HEADER + 11] = 0xff; /* a fragment past its message */
	assert_int_equal(run(m, len, UDP, CLIENT_PORT, DTLS_PORT, &r), INSPECT_NONE);
	assert_int_equal(inspect_dtls_fragments(m, len, &type, &msg_len, collect, &a), 0);
	free(m);
	assert_int_equal(inspect_dtls(NULL, 0, &r), 0);
	check_result_sane(&r);
	assert_int_equal(inspect_dtls_fragments(NULL, 0, &type, &msg_len, collect, &a), 0);
	free(fx);
}

static const struct CMUnitTest cases[] = {
	cmocka_unit_test(test_dtls_fragments),
	cmocka_unit_test(test_dtls_malformed),
};

INSPECT_TEST(dtls, INSPECT_DTLS, 1, info_dtls, NULL);
