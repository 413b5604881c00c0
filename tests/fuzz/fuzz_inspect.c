// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer harness for the payload inspectors: any bytes, any cut, any ports.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinspect \
 *	tests/fuzz/fuzz_inspect.c inspect/*.c -o /tmp/fuzz_inspect
 *   mkdir -p /tmp/inspect-corpus
 *   /tmp/fuzz_inspect -max_total_time=120 /tmp/inspect-corpus tests/fixtures/inspect/
 *
 * libFuzzer writes what it finds into the first directory: give it a scratch one, so that the
 * fixtures stay as captured.
 *
 * Besides memory errors, it checks what inspect.h promises: printable, terminated texts, and a
 * cut of the payload never giving a field the whole one would not.
 *
 * The seed corpus is the fixtures, which are bare payloads: with too few bytes for a header,
 * or a first byte that is not a known selector, a payload runs over TCP and over UDP with ports
 * chosen from its length, so the seeds are recognised as they are. Otherwise the first byte
 * picks the transport and the port hints, and the rest is the payload.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "inspect.h"

/* Selector bytes: 0xf0..0xf7 pick TCP or UDP (bit 0) and a port pair (bits 1-2). */
#define SELECTOR_BASE 0xf0
#define SELECTOR_MASK 0xf8
static const uint16_t ports[][2] = {
	{ 40000, 443 },
	{ 53, 40000 },
	{ 40000, 5353 },
	{ 137, 137 },
};

/* Aborts (a crash libFuzzer reports) unless s is printable ASCII, terminated within size. */
static void check_text(const char *s, size_t size)
{
	size_t i;

	for (i = 0; i < size && s[i]; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			abort();
	if (i == size)
		abort();
}

/* Aborts unless a result keeps the header's promises. */
static void check(const struct inspect_result *r, enum inspect_proto ret)
{
	if (ret != r->proto)
		abort();
	check_text(r->info, sizeof(r->info));
	check_text(r->tls.sni, sizeof(r->tls.sni));
	check_text(r->tls.alpn, sizeof(r->tls.alpn));
	check_text(r->http.method, sizeof(r->http.method));
	check_text(r->http.path, sizeof(r->http.path));
	check_text(r->http.host, sizeof(r->http.host));
	check_text(r->http.auth_scheme, sizeof(r->http.auth_scheme));
	check_text(r->dns.qname, sizeof(r->dns.qname));
	check_text(r->dns.answer, sizeof(r->dns.answer));
	check_text(r->ssh.proto_version, sizeof(r->ssh.proto_version));
	check_text(r->ssh.banner, sizeof(r->ssh.banner));
	switch (r->proto) {
	case INSPECT_NONE:
		if (r->encrypted != -1 || r->info[0])
			abort();
		break;
	case INSPECT_TLS:
	case INSPECT_SSH:
	case INSPECT_QUIC:
		if (r->encrypted != 1)
			abort();
		break;
	case INSPECT_HTTP:
	case INSPECT_DNS:
		if (r->encrypted != 0)
			abort();
		break;
	default:
		abort();
	}
}

/* Runs inspect_payload() over a copy of exactly len bytes (so that a read past the end is
 * ASan's) and checks the result; each inspector on its own as well. Returns the
 * inspect_payload() result in *out. */
static void run_one(const uint8_t *data, size_t len, uint8_t l4proto, uint16_t sport,
		    uint16_t dport, struct inspect_result *out)
{
	struct inspect_result r;
	uint8_t *buf = malloc(len ? len : 1);

	if (!buf)
		abort();
	if (len)
		memcpy(buf, data, len);
	check(out, inspect_payload(len ? buf : NULL, len, l4proto, sport, dport, out));
	check(&r, inspect_tls(buf, len, &r) ? INSPECT_TLS : INSPECT_NONE);
	check(&r, inspect_http(buf, len, &r) ? INSPECT_HTTP : INSPECT_NONE);
	check(&r, inspect_dns(buf, len, &r) ? INSPECT_DNS : INSPECT_NONE);
	check(&r, inspect_ssh(buf, len, &r) ? INSPECT_SSH : INSPECT_NONE);
	check(&r, inspect_quic(buf, len, &r) ? INSPECT_QUIC : INSPECT_NONE);
	free(buf);
}

/* A text of a cut buffer's result against the whole one's: equal or empty. */
static void same_text(const char *cut, const char *whole)
{
	if (strcmp(cut, whole) && cut[0])
		abort();
}

/* A number of a cut buffer's result against the whole one's: equal or 0. */
static void same_num(uint64_t cut, uint64_t whole)
{
	if (cut != whole && cut != 0)
		abort();
}

/* The header's promise about cuts: when both are recognised, the cut buffer's fields are the
 * whole one's or still empty. */
static void check_cut(const struct inspect_result *c, const struct inspect_result *w)
{
	if (c->proto == INSPECT_NONE || w->proto == INSPECT_NONE)
		return;
	if (c->proto != w->proto)
		abort();
	same_num(c->authorization, w->authorization);
	same_num(c->tls.handshake, w->tls.handshake);
	same_num(c->tls.version, w->tls.version);
	same_num(c->tls.legacy_version, w->tls.legacy_version);
	same_num(c->tls.cipher, w->tls.cipher);
	same_num(c->tls.hello_retry, w->tls.hello_retry);
	same_num(c->tls.complete, w->tls.complete);
	same_text(c->tls.sni, w->tls.sni);
	same_text(c->tls.alpn, w->tls.alpn);
	same_num(c->http.response, w->http.response);
	same_num(c->http.version, w->http.version);
	same_num(c->http.status, w->http.status);
	same_text(c->http.method, w->http.method);
	same_text(c->http.path, w->http.path);
	same_text(c->http.host, w->http.host);
	same_text(c->http.auth_scheme, w->http.auth_scheme);
	if (c->proto == INSPECT_DNS &&
	    (c->dns.id != w->dns.id || c->dns.flags != w->dns.flags ||
	     c->dns.qtype != w->dns.qtype || c->dns.qclass != w->dns.qclass ||
	     strcmp(c->dns.qname, w->dns.qname)))
		abort();
	same_text(c->dns.answer, w->dns.answer);
	same_text(c->ssh.proto_version, w->ssh.proto_version);
	same_text(c->ssh.banner, w->ssh.banner);
	same_num(c->quic.version, w->quic.version);
	same_num(c->quic.dcid_len, w->quic.dcid_len);
	same_num(c->quic.scid_len, w->quic.scid_len);
	same_num(c->quic.length, w->quic.length);
}

/* The payload whole and cut at a point its last byte chooses: both sane, and consistent. */
static void run(const uint8_t *data, size_t len, uint8_t l4proto, uint16_t sport, uint16_t dport)
{
	struct inspect_result whole, cut;
	size_t at = len ? len * data[len - 1] / 256 : 0;

	run_one(data, len, l4proto, sport, dport, &whole);
	run_one(data, at, l4proto, sport, dport, &cut);
	check_cut(&cut, &whole);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint16_t *p;
	uint8_t sel;

	if (size > 0 && (data[0] & SELECTOR_MASK) == SELECTOR_BASE) {
		sel = data[0];
		p = ports[(sel >> 1) & 3];
		run(data + 1, size - 1, sel & 1 ? 17 : 6, p[0], p[1]);
		return 0;
	}
	/* A bare payload (a seed): both transports, the ports by its length. */
	p = ports[size & 3];
	run(data, size, 6, p[0], p[1]);
	run(data, size, 17, p[0], p[1]);
	run(data, size, 17, p[1], p[0]);
	return 0;
}
