// SPDX-License-Identifier: BSD-2-Clause
/* The payload inspectors over payloads of real clients and servers, every cut of them, and
 * hand-made malformed messages. */
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

/* Where tests/fixtures/inspect/capture.sh wrote the payloads; tests run from the top directory.
 * INSPECT_FIXTURES overrides it. */
#define FIXTURE_DIR "tests/fixtures/inspect"
#define FIXTURE_MAX 4096
#define TCP 6
#define UDP 17
#define CLIENT_PORT 40000
/* Rounds of the byte-flipping test, per fixture. */
#define MUTATIONS 20000

/* A captured payload and what every inspector must make of it. */
struct fixture {
	const char *file;
	uint8_t l4proto;
	uint16_t src_port, dst_port;
	enum inspect_proto proto;
	int encrypted;
	const char *info;
	/* The protocol's own fields, checked by the fixture's function. */
	void (*details)(const struct inspect_result *r, const uint8_t *payload, size_t len);
};

/* Reads a fixture into a buffer of exactly its size (so that ASan sees a read past the end).
 * Returns the buffer, *len its size. */
static uint8_t *load(const char *file, size_t *len)
{
	const char *dir = getenv("INSPECT_FIXTURES");
	char path[512];
	uint8_t tmp[FIXTURE_MAX], *buf;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : FIXTURE_DIR, file);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (run from the top directory, or set INSPECT_FIXTURES)",
			 path);
	*len = fread(tmp, 1, sizeof(tmp), f);
	fclose(f);
	buf = malloc(*len ? *len : 1);
	assert_non_null(buf);
	memcpy(buf, tmp, *len);
	return buf;
}

/* Copies len bytes of p into a buffer of exactly that size. */
static uint8_t *dup_exact(const void *p, size_t len)
{
	uint8_t *b = malloc(len ? len : 1);

	assert_non_null(b);
	if (len)
		memcpy(b, p, len);
	return b;
}

/* Writes n bytes of p at m + at. Returns at + n. */
static size_t put(uint8_t *m, size_t at, const void *p, size_t n)
{
	memcpy(m + at, p, n);
	return at + n;
}

/* Fails unless s is NUL-terminated within size bytes and printable ASCII. */
static void check_text(const char *what, const char *s, size_t size)
{
	size_t i;

	for (i = 0; i < size && s[i]; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			fail_msg("%s has byte 0x%02x at %zu", what, (uint8_t)s[i], i);
	if (i == size)
		fail_msg("%s is not NUL-terminated", what);
}

/* Every text field of a result is printable and terminated; a result that recognised nothing
 * is all clear. */
static void check_result_sane(const struct inspect_result *r)
{
	static const struct inspect_result none = { .proto = INSPECT_NONE, .encrypted = -1 };

	check_text("info", r->info, sizeof(r->info));
	check_text("tls.sni", r->tls.sni, sizeof(r->tls.sni));
	check_text("tls.alpn", r->tls.alpn, sizeof(r->tls.alpn));
	check_text("http.method", r->http.method, sizeof(r->http.method));
	check_text("http.path", r->http.path, sizeof(r->http.path));
	check_text("http.host", r->http.host, sizeof(r->http.host));
	check_text("http.auth_scheme", r->http.auth_scheme, sizeof(r->http.auth_scheme));
	check_text("dns.qname", r->dns.qname, sizeof(r->dns.qname));
	check_text("dns.answer", r->dns.answer, sizeof(r->dns.answer));
	check_text("ssh.proto_version", r->ssh.proto_version, sizeof(r->ssh.proto_version));
	check_text("ssh.banner", r->ssh.banner, sizeof(r->ssh.banner));
	switch (r->proto) {
	case INSPECT_NONE:
		if (memcmp(r, &none, sizeof(*r)))
			fail_msg("a result that recognised nothing is not cleared");
		break;
	case INSPECT_TLS:
	case INSPECT_SSH:
	case INSPECT_QUIC:
		assert_int_equal(r->encrypted, 1);
		break;
	case INSPECT_HTTP:
	case INSPECT_DNS:
		assert_int_equal(r->encrypted, 0);
		break;
	default:
		fail_msg("proto %d", r->proto);
	}
}

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

static void http_request(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_false(r->http.response);
	assert_int_equal(r->http.version, 11);
	assert_string_equal(r->http.method, "GET");
	assert_string_equal(r->http.path, "/api/v1/items");
	assert_string_equal(r->http.host, "example.test");
	assert_string_equal(r->http.auth_scheme, "");
	assert_false(r->authorization);
	assert_int_equal(r->http.status, 0);
}

static void http_request_auth(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_string_equal(r->http.method, "GET");
	assert_string_equal(r->http.path, "/api/v1/items");
	assert_string_equal(r->http.host, "example.test");
	assert_true(r->authorization);
	assert_string_equal(r->http.auth_scheme, "Basic");
	/* user:pass in base64 is nowhere. */
	assert_non_null(memmem(p, len, "dXNlcjpwYXNz", 12));
	assert_null(memmem(r, sizeof(*r), "dXNlcjpwYXNz", 12));
}

static void http_response(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_true(r->http.response);
	assert_int_equal(r->http.version, 10); /* python's http.server answers HTTP/1.0 */
	assert_int_equal(r->http.status, 200);
	assert_string_equal(r->http.method, "");
	assert_string_equal(r->http.host, "");
}

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

static void ssh_banner(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_string_equal(r->ssh.proto_version, "2.0");
	assert_string_equal(r->ssh.banner, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10");
}

static void quic_client_initial(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_int_equal(r->quic.version, INSPECT_QUIC_V1);
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
	/* The connection ids swap places. */
	assert_int_equal(r->quic.dcid_len, 17);
	assert_int_equal(r->quic.scid_len, 18);
	assert_int_equal(r->quic.token_len, 0);
	assert_int_equal(r->quic.length, 119); /* of this capture's Initial */
}

#define SSH_BANNER "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10"

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
	{ "http_request.bin", TCP, CLIENT_PORT, 80, INSPECT_HTTP, 0,
	  "GET example.test/api/v1/items", http_request },
	{ "http_request_auth.bin", TCP, CLIENT_PORT, 80, INSPECT_HTTP, 0,
	  "GET example.test/api/v1/items", http_request_auth },
	{ "http_response.bin", TCP, 80, CLIENT_PORT, INSPECT_HTTP, 0, "200", http_response },
	{ "dns_query.bin", UDP, CLIENT_PORT, 53, INSPECT_DNS, 0, "www.example.test", dns_query },
	{ "dns_response.bin", UDP, 53, CLIENT_PORT, INSPECT_DNS, 0, "www.example.test",
	  dns_response },
	{ "dns_nxdomain_query.bin", UDP, CLIENT_PORT, 53, INSPECT_DNS, 0, "missing.example.test",
	  dns_nxdomain_query },
	{ "dns_nxdomain_response.bin", UDP, 53, CLIENT_PORT, INSPECT_DNS, 0, "missing.example.test",
	  dns_nxdomain_response },
	{ "ssh_client_banner.bin", TCP, CLIENT_PORT, 22, INSPECT_SSH, 1, SSH_BANNER, ssh_banner },
	{ "ssh_server_banner.bin", TCP, 22, CLIENT_PORT, INSPECT_SSH, 1, SSH_BANNER, ssh_banner },
	{ "quic_client_initial.bin", UDP, CLIENT_PORT, 443, INSPECT_QUIC, 1, "version 0x00000001",
	  quic_client_initial },
	{ "quic_server_initial.bin", UDP, 443, CLIENT_PORT, INSPECT_QUIC, 1, "version 0x00000001",
	  quic_server_initial },
};
#define N_FIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

/* inspect_proto_name()'s answers, by enum inspect_proto. */
static const char *const proto_names[] = { NULL, "tls", "http", "dns", "ssh", "quic" };

/* The one inspector for a protocol. */
static int inspect_one(enum inspect_proto proto, const uint8_t *buf, size_t len,
		       struct inspect_result *r)
{
	switch (proto) {
	case INSPECT_TLS:
		return inspect_tls(buf, len, r);
	case INSPECT_HTTP:
		return inspect_http(buf, len, r);
	case INSPECT_DNS:
		return inspect_dns(buf, len, r);
	case INSPECT_SSH:
		return inspect_ssh(buf, len, r);
	case INSPECT_QUIC:
		return inspect_quic(buf, len, r);
	default:
		fail_msg("no inspector for %d", proto);
	}
	return 0;
}

/* Each fixture, whole: through inspect_payload() with its ports and through its own
 * inspector, exactly as expected; no other inspector claims it. */
static void test_fixtures(void **state)
{
	struct inspect_result r;
	enum inspect_proto p;
	uint8_t *buf;
	size_t i, len;

	for (i = 0; i < N_FIXTURES; i++) {
		const struct fixture *fx = &fixtures[i];

		print_message("    %s\n", fx->file);
		buf = load(fx->file, &len);
		assert_true(len > 0 && len <= 256);
		assert_int_equal(inspect_payload(buf, len, fx->l4proto, fx->src_port, fx->dst_port,
						 &r),
				 fx->proto);
		check_result_sane(&r);
		assert_int_equal(r.proto, fx->proto);
		assert_int_equal(r.encrypted, fx->encrypted);
		assert_string_equal(r.info, fx->info);
		assert_string_equal(inspect_proto_name(r.proto), proto_names[fx->proto]);
		fx->details(&r, buf, len);

		assert_int_equal(inspect_one(fx->proto, buf, len, &r), 1);
		assert_string_equal(r.info, fx->info);
		fx->details(&r, buf, len);

		for (p = INSPECT_TLS; p <= INSPECT_QUIC; p++) {
			if (p == fx->proto)
				continue;
			if (inspect_one(p, buf, len, &r))
				fail_msg("%s taken for %s", fx->file, inspect_proto_name(p));
			check_result_sane(&r);
		}
		free(buf);
	}
}

/* A text field of a cut buffer's result against the whole one's: the same, or empty. */
static void check_text_cut(const char *file, size_t cut, const char *what, const char *c,
			   const char *w)
{
	if (!strcmp(c, w) || !c[0])
		return;
	fail_msg("%s cut at %zu: %s \"%s\", whole \"%s\"", file, cut, what, c, w);
}

/* A number of a cut buffer's result against the whole one's: the same or 0. */
static void check_num_cut(const char *file, size_t cut, const char *what, uint64_t c, uint64_t w)
{
	if (c != w && c != 0)
		fail_msg("%s cut at %zu: %s %llu, whole %llu", file, cut, what,
			 (unsigned long long)c, (unsigned long long)w);
}

/* Whether info is what the header says it is made of, from the result's own fields. */
static void check_info_derived(const char *file, size_t cut, const struct inspect_result *c,
			       const struct inspect_result *w)
{
	char want[INSPECT_METHOD_SIZE + INSPECT_NAME_SIZE + INSPECT_PATH_SIZE];

	switch (c->proto) {
	case INSPECT_TLS:
		if (c->tls.handshake == INSPECT_TLS_CLIENT_HELLO)
			snprintf(want, sizeof(want), "%s", c->tls.sni);
		else
			snprintf(want, sizeof(want), "%s", c->tls.version ? w->info : "");
		break;
	case INSPECT_HTTP:
		if (c->http.response)
			snprintf(want, sizeof(want), "%s", c->http.status ? w->info : "");
		else
			snprintf(want, sizeof(want), "%s%s%s%s", c->http.method,
				 c->http.host[0] || c->http.path[0] ? " " : "", c->http.host,
				 c->http.path);
		break;
	case INSPECT_DNS:
		snprintf(want, sizeof(want), "%s", c->dns.qname);
		break;
	case INSPECT_SSH:
		snprintf(want, sizeof(want), "%s", c->ssh.banner);
		break;
	default:
		snprintf(want, sizeof(want), "%s", w->info);
		break;
	}
	/* info is cut to fit; the fixtures' never need it. */
	if (strcmp(c->info, want))
		fail_msg("%s cut at %zu: info \"%s\", want \"%s\"", file, cut, c->info, want);
}

/* A cut buffer's result against the whole buffer's: not recognised, or the same protocol with
 * every field equal to the whole one's or still empty. */
static void check_cut(const char *file, size_t cut, const struct inspect_result *c,
		      const struct inspect_result *w)
{
	check_result_sane(c);
	if (c->proto == INSPECT_NONE)
		return;
	if (c->proto != w->proto)
		fail_msg("%s cut at %zu: %s, whole %s", file, cut, inspect_proto_name(c->proto),
			 inspect_proto_name(w->proto));
	assert_int_equal(c->encrypted, w->encrypted);
	check_num_cut(file, cut, "authorization", c->authorization, w->authorization);
	check_info_derived(file, cut, c, w);

	check_num_cut(file, cut, "tls.handshake", c->tls.handshake, w->tls.handshake);
	check_num_cut(file, cut, "tls.version", c->tls.version, w->tls.version);
	check_num_cut(file, cut, "tls.legacy_version", c->tls.legacy_version,
		      w->tls.legacy_version);
	check_num_cut(file, cut, "tls.cipher", c->tls.cipher, w->tls.cipher);
	check_num_cut(file, cut, "tls.hello_retry", c->tls.hello_retry, w->tls.hello_retry);
	check_num_cut(file, cut, "tls.complete", c->tls.complete, w->tls.complete);
	check_text_cut(file, cut, "tls.sni", c->tls.sni, w->tls.sni);
	check_text_cut(file, cut, "tls.alpn", c->tls.alpn, w->tls.alpn);

	check_num_cut(file, cut, "http.response", c->http.response, w->http.response);
	check_num_cut(file, cut, "http.version", c->http.version, w->http.version);
	check_num_cut(file, cut, "http.status", c->http.status, w->http.status);
	check_text_cut(file, cut, "http.method", c->http.method, w->http.method);
	check_text_cut(file, cut, "http.path", c->http.path, w->http.path);
	check_text_cut(file, cut, "http.host", c->http.host, w->http.host);
	check_text_cut(file, cut, "http.auth_scheme", c->http.auth_scheme, w->http.auth_scheme);

	/* A DNS message is only recognised with its whole question. */
	if (c->proto == INSPECT_DNS) {
		assert_int_equal(c->dns.id, w->dns.id);
		assert_int_equal(c->dns.flags, w->dns.flags);
		assert_int_equal(c->dns.qtype, w->dns.qtype);
		assert_int_equal(c->dns.qclass, w->dns.qclass);
		assert_int_equal(c->dns.ancount, w->dns.ancount);
		assert_string_equal(c->dns.qname, w->dns.qname);
	}
	check_text_cut(file, cut, "dns.answer", c->dns.answer, w->dns.answer);

	check_text_cut(file, cut, "ssh.proto_version", c->ssh.proto_version, w->ssh.proto_version);
	check_text_cut(file, cut, "ssh.banner", c->ssh.banner, w->ssh.banner);

	check_num_cut(file, cut, "quic.version", c->quic.version, w->quic.version);
	check_num_cut(file, cut, "quic.dcid_len", c->quic.dcid_len, w->quic.dcid_len);
	check_num_cut(file, cut, "quic.scid_len", c->quic.scid_len, w->quic.scid_len);
	check_num_cut(file, cut, "quic.length", c->quic.length, w->quic.length);
}

/* Every fixture cut at every length 0..len, each cut in a buffer of exactly that size: through
 * inspect_payload() and through every inspector. Recognised or not, never a field the whole
 * payload would not give. */
static void test_cuts(void **state)
{
	struct inspect_result whole, r;
	enum inspect_proto p;
	uint8_t *buf, *cut;
	size_t i, n, len, recognised;

	for (i = 0; i < N_FIXTURES; i++) {
		const struct fixture *fx = &fixtures[i];

		buf = load(fx->file, &len);
		inspect_payload(buf, len, fx->l4proto, fx->src_port, fx->dst_port, &whole);
		assert_int_equal(whole.proto, fx->proto);
		recognised = 0;
		for (n = 0; n <= len; n++) {
			cut = dup_exact(buf, n);
			inspect_payload(n ? cut : NULL, n, fx->l4proto, fx->src_port, fx->dst_port,
					&r);
			check_cut(fx->file, n, &r, &whole);
			recognised += r.proto != INSPECT_NONE;
			if (n == len)
				assert_memory_equal(&r, &whole, sizeof(r));
			for (p = INSPECT_TLS; p <= INSPECT_QUIC; p++) {
				inspect_one(p, cut, n, &r);
				if (p == fx->proto)
					check_cut(fx->file, n, &r, &whole);
				else
					check_result_sane(&r);
			}
			free(cut);
		}
		print_message("    %s: %zu cuts, recognised from %zu bytes on\n", fx->file, len + 1,
			      len + 1 - recognised);
		free(buf);
	}
}

/* Each fixture with bytes overwritten at random (a fixed seed): nothing crashes, every result
 * is sane. */
static void test_mutations(void **state)
{
	struct inspect_result r;
	uint8_t *buf, *m;
	size_t i, len, k, flips;
	uint32_t seed = 12345;
	int round;

	for (i = 0; i < N_FIXTURES; i++) {
		const struct fixture *fx = &fixtures[i];

		buf = load(fx->file, &len);
		for (round = 0; round < MUTATIONS; round++) {
			m = dup_exact(buf, len);
			seed = seed * 1103515245 + 12345;
			flips = 1 + (seed >> 16) % 4;
			for (k = 0; k < flips; k++) {
				seed = seed * 1103515245 + 12345;
				m[(seed >> 8) % len] = (uint8_t)(seed >> 24);
			}
			seed = seed * 1103515245 + 12345;
			inspect_payload(m, (seed >> 8) % (len + 1), fx->l4proto, fx->src_port,
					fx->dst_port, &r);
			check_result_sane(&r);
			free(m);
		}
		free(buf);
	}
}

/* ---- Hand-made messages ---- */

/* Runs inspect_payload() over a copy of len bytes of p of exactly that size. */
static enum inspect_proto run(const void *p, size_t len, uint8_t l4proto, uint16_t sport,
			      uint16_t dport, struct inspect_result *r)
{
	uint8_t *b = dup_exact(p, len);
	enum inspect_proto proto = inspect_payload(b, len, l4proto, sport, dport, r);

	free(b);
	check_result_sane(r);
	return proto;
}

/* An HTTP request over TCP to port 80. */
static enum inspect_proto http(const char *s, struct inspect_result *r)
{
	return run(s, strlen(s), TCP, CLIENT_PORT, 80, r);
}

/* A DNS message over UDP to port 53. */
static enum inspect_proto dns(const uint8_t *p, size_t len, struct inspect_result *r)
{
	return run(p, len, UDP, CLIENT_PORT, 53, r);
}

/* Content decides, not the port; ports only where content cannot. */
static void test_ports(void **state)
{
	struct inspect_result r;
	uint8_t *buf;
	size_t len;

	buf = load("http_request.bin", &len);
	assert_int_equal(run(buf, len, TCP, CLIENT_PORT, 443, &r), INSPECT_HTTP);
	assert_string_equal(r.info, "GET example.test/api/v1/items");
	assert_int_equal(run(buf, len, UDP, CLIENT_PORT, 80, &r), INSPECT_NONE);
	assert_int_equal(run(buf, len, 1, 0, 0, &r), INSPECT_NONE);
	free(buf);

	buf = load("tls13_client_hello.bin", &len);
	assert_int_equal(run(buf, len, TCP, CLIENT_PORT, 80, &r), INSPECT_TLS);
	assert_int_equal(run(buf, len, UDP, CLIENT_PORT, 443, &r), INSPECT_NONE);
	free(buf);

	buf = load("ssh_client_banner.bin", &len);
	assert_int_equal(run(buf, len, TCP, CLIENT_PORT, 2222, &r), INSPECT_SSH);
	free(buf);

	/* DNS only over UDP; off its ports only an ordinary message... */
	buf = load("dns_query.bin", &len);
	assert_int_equal(run(buf, len, TCP, CLIENT_PORT, 53, &r), INSPECT_NONE);
	assert_int_equal(run(buf, len, UDP, CLIENT_PORT, 5300, &r), INSPECT_DNS);
	assert_string_equal(r.info, "www.example.test");
	assert_int_equal(run(buf, len, UDP, CLIENT_PORT, 5353, &r), INSPECT_DNS);
	/* ...and never NetBIOS name service's. */
	assert_int_equal(run(buf, len, UDP, 137, 137, &r), INSPECT_NONE);
	free(buf);

	/* QUIC only over UDP, on any port. */
	buf = load("quic_client_initial.bin", &len);
	assert_int_equal(run(buf, len, UDP, CLIENT_PORT, 8443, &r), INSPECT_QUIC);
	assert_int_equal(run(buf, len, TCP, CLIENT_PORT, 443, &r), INSPECT_NONE);
	free(buf);

	/* Nothing at all. */
	assert_int_equal(inspect_payload(NULL, 0, TCP, 1, 2, &r), INSPECT_NONE);
	check_result_sane(&r);
	assert_int_equal(inspect_payload(NULL, 0, UDP, 53, 53, &r), INSPECT_NONE);
	assert_int_equal(inspect_tls(NULL, 0, &r), 0);
	assert_int_equal(inspect_http(NULL, 0, &r), 0);
	assert_int_equal(inspect_dns(NULL, 0, &r), 0);
	assert_int_equal(inspect_ssh(NULL, 0, &r), 0);
	assert_int_equal(inspect_quic(NULL, 0, &r), 0);
	assert_null(inspect_proto_name(INSPECT_NONE));
	assert_null(inspect_proto_name((enum inspect_proto)99));
}

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

/* HTTP: lines without ends, many headers, forms of targets, what is never stored. */
static void test_http_malformed(void **state)
{
	struct inspect_result r;
	char req[8192], *p;
	int i;

	/* No CRLF anywhere: the request line is enough; a Host line without its end is not. */
	assert_int_equal(http("GET /x HTTP/1.1", &r), INSPECT_HTTP);
	assert_string_equal(r.http.path, "/x");
	assert_int_equal(r.http.version, 11);
	assert_string_equal(r.http.host, "");
	assert_string_equal(r.info, "GET /x");
	assert_int_equal(http("GET /x HTTP/1.1\r\nHost: a.test", &r), INSPECT_HTTP);
	assert_string_equal(r.http.host, "");
	assert_int_equal(http("GET /x HTTP/1.1\r\nHost:  a.test \r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.http.host, "a.test");
	assert_string_equal(r.info, "GET a.test/x");
	/* Bare LF line ends. */
	assert_int_equal(http("GET /x HTTP/1.0\nhOsT: b.test\n\n", &r), INSPECT_HTTP);
	assert_string_equal(r.http.host, "b.test");
	assert_int_equal(r.http.version, 10);

	/* A huge header count: only the first INSPECT_HTTP_MAX_HEADERS lines are read. */
	p = req + sprintf(req, "GET / HTTP/1.1\r\n");
	for (i = 0; i < 200; i++)
		p += sprintf(p, "X-%d: y\r\n", i);
	sprintf(p, "Host: late.test\r\n\r\n");
	assert_int_equal(http(req, &r), INSPECT_HTTP);
	assert_string_equal(r.http.host, "");
	p = req + sprintf(req, "GET / HTTP/1.1\r\n");
	for (i = 0; i < INSPECT_HTTP_MAX_HEADERS - 1; i++)
		p += sprintf(p, "X-%d: y\r\n", i);
	sprintf(p, "Host: last.test\r\n\r\n");
	assert_int_equal(http(req, &r), INSPECT_HTTP);
	assert_string_equal(r.http.host, "last.test");
	/* Headers after the empty line are the body's. */
	assert_int_equal(http("GET / HTTP/1.1\r\n\r\nHost: body.test\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.http.host, "");
	/* A junk line is skipped, the first Host counts. */
	assert_int_equal(http("GET / HTTP/1.1\r\n junk\r\nHost: one\r\nHost: two\r\n", &r),
			 INSPECT_HTTP);
	assert_string_equal(r.http.host, "one");

	/* Authorization: the scheme, never the credentials, even cut. */
	assert_int_equal(http("GET / HTTP/1.1\r\nAuthorization: Bearer s3cr3t", &r), INSPECT_HTTP);
	assert_true(r.authorization);
	assert_string_equal(r.http.auth_scheme, "Bearer");
	assert_null(memmem(&r, sizeof(r), "s3cr3t", 6));
	assert_int_equal(http("GET / HTTP/1.1\r\nauthorization: Bas", &r), INSPECT_HTTP);
	assert_true(r.authorization);
	assert_string_equal(r.http.auth_scheme, "");
	assert_int_equal(http("GET / HTTP/1.1\r\nAuthorization", &r), INSPECT_HTTP);
	assert_false(r.authorization);

	/* Query strings and a proxy request's user:password stay out. */
	assert_int_equal(http("GET /search?q=secret#frag HTTP/1.1\r\n\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.http.path, "/search");
	assert_int_equal(http("GET http://user:pw@proxy.test:8080/a/b?token=1 HTTP/1.1\r\n\r\n",
			      &r),
			 INSPECT_HTTP);
	assert_string_equal(r.http.host, "proxy.test:8080");
	assert_string_equal(r.http.path, "/a/b");
	assert_string_equal(r.info, "GET proxy.test:8080/a/b");
	assert_null(memmem(&r, sizeof(r), "pw", 2));
	assert_null(memmem(&r, sizeof(r), "token", 5));
	/* The absolute form's authority wins over Host. */
	assert_int_equal(http("GET HTTPS://a.test HTTP/1.1\r\nHost: b.test\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.http.host, "a.test");
	assert_string_equal(r.http.path, "");
	assert_int_equal(http("CONNECT example.test:443 HTTP/1.1\r\n\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.http.host, "example.test:443");
	assert_string_equal(r.http.path, "");
	assert_string_equal(r.info, "CONNECT example.test:443");
	assert_int_equal(http("OPTIONS * HTTP/1.1\r\n\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.http.path, "*");
	assert_string_equal(r.info, "OPTIONS *");
	assert_int_equal(http("OPTIONS *x HTTP/1.1\r\n\r\n", &r), INSPECT_NONE);

	/* Every method is a request, and a request's info never reads like a response's: the
	 * method comes first, even when nothing else is known. */
	assert_int_equal(http("PATCH /p HTTP/1.1\r\nHost: h\r\n\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.info, "PATCH h/p");
	assert_int_equal(http("TRACE / HTTP/1.1\r\n\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.info, "TRACE /");
	assert_int_equal(http("CONNECT 200 HTTP/1.1\r\n\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.info, "CONNECT 200");
	assert_int_equal(http("GET http://404 HTTP/1.1\r\n\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.info, "GET 404");
	assert_int_equal(http("GET /abc", &r), INSPECT_HTTP);
	assert_string_equal(r.info, "GET");
	/* A space inside a Host is escaped: a name is one word. Quotes and slashes are not. */
	assert_int_equal(http("GET /x HTTP/1.1\r\nHost: a b\t\"c'/d \r\n\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.http.host, "a\\x20b\\x09\"c'/d");
	assert_string_equal(r.info, "GET a\\x20b\\x09\"c'/d/x");

	/* info cut to fit: the method, a 250-character host, then as much of the path as fits. */
	p = req + sprintf(req, "GET /abcdefgh HTTP/1.1\r\nHost: ");
	memset(p, 'h', 250);
	sprintf(p + 250, "\r\n\r\n");
	assert_int_equal(http(req, &r), INSPECT_HTTP);
	assert_int_equal(strlen(r.http.host), 250);
	assert_int_equal(strlen(r.info), INSPECT_INFO_SIZE - 1);
	assert_memory_equal(r.info, "GET ", 4);
	assert_memory_equal(r.info + 4, p, 250);
	assert_string_equal(r.info + 254, "/");
	/* ...never splitting an escape: "/\xff" does not fit after 252 characters. */
	p = req + sprintf(req, "GET /\xff HTTP/1.1\r\nHost: ");
	memset(p, 'h', 248);
	sprintf(p + 248, "\r\n\r\n");
	assert_int_equal(http(req, &r), INSPECT_HTTP);
	assert_string_equal(r.http.path, "/\\xff");
	assert_int_equal(strlen(r.info), 253);
	assert_string_equal(r.info + 252, "/");

	/* A path longer than its array: the start of it. */
	p = req + sprintf(req, "GET /");
	for (i = 0; i < 300; i++)
		*p++ = 'a' + i % 26;
	*p = '\0';
	assert_int_equal(http(req, &r), INSPECT_HTTP);
	assert_int_equal(strlen(r.http.path), INSPECT_PATH_SIZE - 1);
	assert_memory_equal(r.http.path, req + 4, INSPECT_PATH_SIZE - 1);
	/* A short one cut by the buffer is not known yet. */
	assert_int_equal(http("GET /abc", &r), INSPECT_HTTP);
	assert_string_equal(r.http.path, "");
	/* Bytes outside printable ASCII are escaped. */
	assert_int_equal(http("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\\\x7f\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.http.path, "/caf\\xc3\\xa9");
	assert_string_equal(r.http.host, "h\\x5c\\x7f");

	/* Methods and versions. */
	assert_int_equal(http("PROPFIND /x HTTP/1.1\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.http.method, "PROPFIND");
	assert_int_equal(http("PROPFIND /x", &r), INSPECT_NONE);
	assert_int_equal(http("FOO bar HTTP/1.1\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("GET bar HTTP/1.1\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("get / HTTP/1.1\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("ABCDEFGHIJKLMNOP / HTTP/1.1\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("GET / HTTP/2.0\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("GET / HTTP/1.1x\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("GET /\x01 HTTP/1.1\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("GET ", &r), INSPECT_NONE);
	assert_int_equal(http("GET", &r), INSPECT_NONE);
	assert_int_equal(http("GET /x\r\n\r\n", &r), INSPECT_HTTP); /* HTTP/0.9 */
	assert_int_equal(r.http.version, 0);

	/* Responses. */
	assert_int_equal(http("HTTP/1.1 404 Not Found\r\n", &r), INSPECT_HTTP);
	assert_int_equal(r.http.status, 404);
	assert_string_equal(r.info, "404");
	assert_int_equal(http("HTTP/1.1 204\r\n", &r), INSPECT_HTTP);
	assert_int_equal(r.http.status, 204);
	assert_int_equal(http("HTTP/1.1 20", &r), INSPECT_HTTP);
	assert_int_equal(r.http.status, 0);
	assert_string_equal(r.info, "");
	assert_int_equal(http("HTTP/1.1 x", &r), INSPECT_NONE);
	assert_int_equal(http("HTTP/1.1 2000 OK\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("HTTP/1.1 099 OK\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("HTTP/1.1 2x0 OK\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("HTTP/1.1200 OK\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("HTTP/2 200\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("HTTP/1.", &r), INSPECT_NONE);
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
	 * one read; too many questions, or none, are not. */
	n = dns_header(m, 0x0100, 2, 0);
	n = put_question(m, n, "a", 1, 1);
	assert_int_equal(dns(m, n, &r), INSPECT_DNS);
	assert_string_equal(r.info, "a");
	assert_int_equal(r.dns.qdcount, 2);
	m[5] = 5;
	assert_int_equal(dns(m, n, &r), INSPECT_NONE);
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

/* SSH: banners cut or wrong, lines before the banner. */
static void test_ssh_malformed(void **state)
{
	struct inspect_result r;
	char line[400];

#define SSH(s, r) run(s, sizeof(s) - 1, TCP, CLIENT_PORT, 22, r)
	/* The identification line first: lines before it (RFC 4253 4.2) are not skipped. */
	assert_int_equal(SSH("Welcome\r\nSSH-2.0-x y\r\n", &r), INSPECT_NONE);
	assert_int_equal(SSH("SSH-2.0-x y\r\n", &r), INSPECT_SSH);
	assert_string_equal(r.ssh.banner, "SSH-2.0-x y");
	assert_string_equal(r.info, "SSH-2.0-x y");
	assert_int_equal(SSH("SSH-1.99-old\n", &r), INSPECT_SSH);
	assert_string_equal(r.ssh.proto_version, "1.99");
	assert_string_equal(r.ssh.banner, "SSH-1.99-old");
	/* Cut before the line's end: SSH, banner unknown. */
	assert_int_equal(SSH("SSH-2.0-OpenSSH_9", &r), INSPECT_SSH);
	assert_string_equal(r.ssh.proto_version, "2.0");
	assert_string_equal(r.ssh.banner, "");
	assert_string_equal(r.info, "");
	assert_int_equal(SSH("SSH-2.0", &r), INSPECT_NONE);
	assert_int_equal(SSH("SSH-", &r), INSPECT_NONE);
	assert_int_equal(SSH("SSH-2-x\r\n", &r), INSPECT_NONE);
	assert_int_equal(SSH("SSH-2.-x\r\n", &r), INSPECT_NONE);
	assert_int_equal(SSH("SSH-.0-x\r\n", &r), INSPECT_NONE);
	assert_int_equal(SSH("SSH-2.0.1-x\r\n", &r), INSPECT_NONE);
	assert_int_equal(SSH("SSH-22222222.0-x\r\n", &r), INSPECT_NONE);
	assert_int_equal(SSH(" SSH-2.0-x\r\n", &r), INSPECT_NONE);
	assert_int_equal(SSH("ssh-2.0-x\r\n", &r), INSPECT_NONE);
	/* A line over 255 bytes: SSH, but no banner. */
	memset(line, 'a', sizeof(line));
	memcpy(line, "SSH-2.0-", 8);
	memcpy(line + 300, "\r\n", 2);
	assert_int_equal(run(line, 302, TCP, CLIENT_PORT, 22, &r), INSPECT_SSH);
	assert_string_equal(r.ssh.banner, "");
	assert_int_equal(SSH("SSH-2.0-\x1b[31mred\r\n", &r), INSPECT_SSH);
	assert_string_equal(r.ssh.banner, "SSH-2.0-\\x1b[31mred");
#undef SSH
}

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
	m[0] = 0xd7; /* 0-RTT */
	assert_int_equal(QUIC(&r), INSPECT_NONE);
	m[0] = 0x87; /* the fixed bit greased (RFC 9287) */
	assert_int_equal(QUIC(&r), INSPECT_QUIC);
	m[0] = buf[0];
	m[4] = 0; /* version 0: Version Negotiation */
	assert_int_equal(QUIC(&r), INSPECT_NONE);
	memcpy(m + 1, "\x1a\x2a\x3a\x4a", 4); /* a reserved (greasing) version */
	assert_int_equal(QUIC(&r), INSPECT_NONE);
	memcpy(m + 1, "\xff\x00\x00\x1d", 4); /* draft-29 */
	assert_int_equal(QUIC(&r), INSPECT_QUIC);
	assert_string_equal(r.info, "version 0xff00001d");
	memcpy(m + 1, "\xff\x00\x00\x11", 4); /* draft-17: another header layout */
	assert_int_equal(QUIC(&r), INSPECT_NONE);
	memcpy(m + 1, "\x6b\x33\x43\xcf", 4); /* version 2: Initial is type 1 */
	assert_int_equal(QUIC(&r), INSPECT_NONE);
	m[0] = 0xd7;
	assert_int_equal(QUIC(&r), INSPECT_QUIC);
	assert_int_equal(r.quic.version, INSPECT_QUIC_V2);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),       cmocka_unit_test(test_cuts),
		cmocka_unit_test(test_mutations),      cmocka_unit_test(test_ports),
		cmocka_unit_test(test_tls_malformed),  cmocka_unit_test(test_http_malformed),
		cmocka_unit_test(test_dns_malformed),  cmocka_unit_test(test_ssh_malformed),
		cmocka_unit_test(test_quic_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
