// SPDX-License-Identifier: BSD-2-Clause
/* The per-flow inspection state over payload copies as the kernel sends them: a TLS hello cut
 * across segments at every place, retransmitted, reordered and lost copies; an HTTP keep-alive
 * connection's every request, named with its response's status; what a stream holds back and
 * hands over when it ends; and when it tells the kernel to stop. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "streams.h"
#include "quic_vectors.h"

#define MAX_SEEN 64
#define EVENT_MAX (sizeof(struct payload_event) + INSPECT_PACKET_BYTES_MAX)
#define HELLO_MAX 4096
#define SNI "www.flowdb.test"

/* What the sink was handed. */
struct seen {
	int findings, messages, requests, skips;
	uint32_t skipped_to;
	struct inspect_result finding[MAX_SEEN];
	char fingerprint[MAX_SEEN][INSPECT_JA4_SIZE];
	struct flow_key finding_key[MAX_SEEN];
	struct {
		char method[INSPECT_METHOD_SIZE], host[INSPECT_NAME_SIZE], path[INSPECT_PATH_SIZE];
		int status;
		uint64_t time_us;
	} request[MAX_SEEN];
};

static int on_finding(void *arg, const struct flow_key *key, uint64_t time_us,
		      const struct inspect_result *r, const char *fingerprint)
{
	struct seen *s = arg;

	(void)time_us;
	assert_true(s->findings < MAX_SEEN);
	s->finding[s->findings] = *r;
	s->finding_key[s->findings] = *key;
	snprintf(s->fingerprint[s->findings], INSPECT_JA4_SIZE, "%s", fingerprint ? fingerprint : "");
	s->findings++;
	return 0;
}

static int on_message(void *arg, const struct flow_key *key, uint64_t time_us,
		      const struct inspect_result *r)
{
	struct seen *s = arg;

	(void)key;
	(void)time_us;
	(void)r;
	s->messages++;
	return 0;
}

static int on_request(void *arg, const struct streams_request *q)
{
	struct seen *s = arg;

	assert_true(s->requests < MAX_SEEN);
	snprintf(s->request[s->requests].method, INSPECT_METHOD_SIZE, "%s", q->method);
	snprintf(s->request[s->requests].host, INSPECT_NAME_SIZE, "%s", q->host);
	snprintf(s->request[s->requests].path, INSPECT_PATH_SIZE, "%s", q->path);
	s->request[s->requests].status = q->status;
	s->request[s->requests].time_us = q->time_us;
	s->requests++;
	return 0;
}

static int on_skip(void *arg, const struct flow_key *key, uint32_t until)
{
	struct seen *s = arg;

	(void)key;
	s->skipped_to = until;
	s->skips++;
	return 0;
}

struct ctx {
	struct streams *streams;
	struct seen seen;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct streams_sink sink = { on_finding, on_message, on_request, on_skip, NULL };

	if (!c)
		return -1;
	sink.arg = &c->seen;
	if (streams_new(&c->streams, 4, &sink)) {
		free(c);
		return -1;
	}
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	streams_free(c->streams);
	free(c);
	return 0;
}

static const struct flow_key client = {
	.src_addr = { 10, 0, 0, 1 }, .dst_addr = { 10, 0, 0, 2 }, .ifindex = 3,
	.src_port = 40000, .dst_port = 443, .proto = 6, .ip_version = 4,
};

/* The key of the other direction of k. */
static struct flow_key reverse(const struct flow_key *k)
{
	struct flow_key r = *k;

	memcpy(r.src_addr, k->dst_addr, 16);
	memcpy(r.dst_addr, k->src_addr, 16);
	r.src_port = k->dst_port;
	r.dst_port = k->src_port;
	return r;
}

/* Hands one copy over: len of the segment's payload_len bytes copied
 * (len < payload_len: the copy is cut), copy number seq. Returns what
 * streams_payload() returns. */
static int copy(struct ctx *c, const struct flow_key *k, uint32_t tcp_seq, uint8_t seq,
		const uint8_t *data, size_t len, size_t payload_len, bool last)
{
	static uint8_t ev[EVENT_MAX];
	struct payload_event *p = (struct payload_event *)ev;

	assert_true(len <= INSPECT_PACKET_BYTES_MAX);
	memset(p, 0, sizeof(*p));
	p->head.key = *k;
	p->head.kind = FLOW_EVENT_PAYLOAD;
	p->len = (uint16_t)len;
	p->payload_len = (uint16_t)payload_len;
	p->tcp_seq = k->proto == 6 ? tcp_seq : 0;
	p->seq = seq;
	p->last = last;
	memcpy(p->data, data, len);
	return streams_payload(c->streams, ev, sizeof(*p) + len, 1000 + seq);
}

static size_t put16(uint8_t *p, size_t off, unsigned v)
{
	p[off] = (uint8_t)(v >> 8);
	p[off + 1] = (uint8_t)v;
	return off + 2;
}

/* A TLS 1.3 ClientHello as a browser sends one with a post-quantum key
 * share: its SNI after the share, so that only the whole hello names the
 * server, in one handshake record (or two when split_records). Returns its
 * length. */
static size_t client_hello(uint8_t *out, bool split_records)
{
	uint8_t hs[HELLO_MAX];
	size_t n = 0, ext_len_at, ext_start, len, i, half;

	hs[n++] = 1; /* ClientHello */
	n += 3; /* length, below */
	n = put16(hs, n, 0x0303);
	for (i = 0; i < 32; i++)
		hs[n++] = (uint8_t)i; /* random */
	hs[n++] = 32;
	for (i = 0; i < 32; i++)
		hs[n++] = (uint8_t)(0xa0 + i); /* session id */
	n = put16(hs, n, 6);
	n = put16(hs, n, 0x1301);
	n = put16(hs, n, 0x1302);
	n = put16(hs, n, 0x1303);
	hs[n++] = 1;
	hs[n++] = 0; /* null compression */
	ext_len_at = n;
	n += 2;
	ext_start = n;
	/* supported_versions: TLS 1.3, 1.2 */
	n = put16(hs, n, 0x002b);
	n = put16(hs, n, 5);
	hs[n++] = 4;
	n = put16(hs, n, 0x0304);
	n = put16(hs, n, 0x0303);
	/* supported_groups */
	n = put16(hs, n, 0x000a);
	n = put16(hs, n, 6);
	n = put16(hs, n, 4);
	n = put16(hs, n, 0x11ec);
	n = put16(hs, n, 0x001d);
	/* signature_algorithms */
	n = put16(hs, n, 0x000d);
	n = put16(hs, n, 4);
	n = put16(hs, n, 2);
	n = put16(hs, n, 0x0403);
	/* key_share: X25519MLKEM768, 1216 bytes */
	n = put16(hs, n, 0x0033);
	n = put16(hs, n, 2 + 4 + 1216);
	n = put16(hs, n, 4 + 1216);
	n = put16(hs, n, 0x11ec);
	n = put16(hs, n, 1216);
	for (i = 0; i < 1216; i++)
		hs[n++] = (uint8_t)(i * 13);
	/* ALPN: h2, http/1.1 */
	n = put16(hs, n, 0x0010);
	n = put16(hs, n, 14);
	n = put16(hs, n, 12);
	hs[n++] = 2;
	memcpy(hs + n, "h2", 2);
	n += 2;
	hs[n++] = 8;
	memcpy(hs + n, "http/1.1", 8);
	n += 8;
	/* server_name */
	n = put16(hs, n, 0x0000);
	n = put16(hs, n, (unsigned)(5 + strlen(SNI)));
	n = put16(hs, n, (unsigned)(3 + strlen(SNI)));
	hs[n++] = 0;
	n = put16(hs, n, (unsigned)strlen(SNI));
	memcpy(hs + n, SNI, strlen(SNI));
	n += strlen(SNI);
	put16(hs, ext_len_at, (unsigned)(n - ext_start));
	hs[1] = (uint8_t)((n - 4) >> 16);
	hs[2] = (uint8_t)((n - 4) >> 8);
	hs[3] = (uint8_t)(n - 4);

	half = split_records ? n / 3 : n;
	len = 0;
	for (i = 0; i < n; i += half) {
		size_t part = n - i < half ? n - i : half;

		out[len++] = 0x16;
		len = put16(out, len, 0x0301);
		len = put16(out, len, (unsigned)part);
		memcpy(out + len, hs + i, part);
		len += part;
	}
	return len;
}

/* The hello cut into two segments at every place (and into three records)
 * gives one finding, the whole one, when the second segment comes; the
 * stream then asks for no more copies, once. */
static void test_hello_every_cut(void **state)
{
	struct ctx *c = *state;
	uint8_t hello[HELLO_MAX];
	size_t len, cut;
	int records;

	for (records = 0; records < 2; records++) {
		len = client_hello(hello, records);
		for (cut = 1; cut < len; cut++) {
			struct flow_key k = client;

			k.src_port = (uint16_t)(1000 + cut);
			memset(&c->seen, 0, sizeof(c->seen));
			assert_int_equal(copy(c, &k, 7, 0, hello, cut, cut, false), 0);
			assert_int_equal(c->seen.findings, 0);
			assert_int_equal(copy(c, &k, 7 + (uint32_t)cut, 1, hello + cut, len - cut,
					      len - cut, false),
					 1);
			assert_int_equal(c->seen.findings, 1);
			assert_int_equal(c->seen.finding[0].proto, INSPECT_TLS);
			assert_string_equal(c->seen.finding[0].info, SNI);
			assert_true(c->seen.finding[0].tls.complete);
			assert_int_equal(c->seen.finding[0].tls.version, 0x0304);
			assert_string_equal(c->seen.fingerprint[0], c->seen.finding[0].tls.ja4);
			/* Copies still on their way are read no more. */
			assert_int_equal(copy(c, &k, 7 + (uint32_t)len, 2, hello, 10, 10, false), 0);
			assert_int_equal(c->seen.findings, 1);
			streams_end_all(c->streams);
		}
	}
}

/* A retransmitted segment, and one overlapping what was read, add
 * nothing twice; a missing segment ends the run: the finding is made of
 * what came before, cut. */
static void test_retransmit_and_hole(void **state)
{
	struct ctx *c = *state;
	uint8_t hello[HELLO_MAX];
	size_t len = client_hello(hello, false), a = 500, b = 1000;
	struct flow_key k = client;

	assert_int_equal(copy(c, &k, 0xfffffe00, 0, hello, a, a, false), 0);
	assert_int_equal(copy(c, &k, 0xfffffe00, 1, hello, a, a, false), 0);
	/* Overlaps the first by 100 bytes, wrapping the sequence space. */
	assert_int_equal(copy(c, &k, 0xfffffe00 + (uint32_t)a - 100, 2, hello + a - 100,
			      b - a + 100, b - a + 100, false),
			 0);
	assert_int_equal(copy(c, &k, 0xfffffe00 + (uint32_t)b, 3, hello + b, len - b, len - b, false),
			 1);
	assert_int_equal(c->seen.findings, 1);
	assert_string_equal(c->seen.finding[0].info, SNI);

	/* Another flow: its second segment lost, the third arrives. */
	k.src_port = 40001;
	memset(&c->seen, 0, sizeof(c->seen));
	assert_int_equal(copy(c, &k, 1, 0, hello, a, a, false), 0);
	assert_int_equal(copy(c, &k, 1 + (uint32_t)b, 1, hello + b, len - b, len - b, false), 1);
	assert_int_equal(c->seen.findings, 1);
	assert_int_equal(c->seen.finding[0].proto, INSPECT_TLS);
	assert_false(c->seen.finding[0].tls.complete);
	assert_string_equal(c->seen.finding[0].info, ""); /* the SNI lay past the hole */
	assert_string_equal(c->seen.fingerprint[0], "");
}

/* A keep-alive connection: every request counts and is named with its
 * response's status, pipelined ones too; an informational response
 * answers none; what has no response when the stream ends is named
 * without a status. */
static void test_keep_alive(void **state)
{
	struct ctx *c = *state;
	struct flow_key k = client, back;
	char req[512], resp[256];
	uint32_t seq = 100, rseq = 5000;
	uint8_t n = 0, rn = 0;
	int i, len;

	k.dst_port = 80;
	back = reverse(&k);
	for (i = 0; i < 5; i++) {
		len = snprintf(req, sizeof(req),
			       "GET /api/v1/item/%d?token=secret HTTP/1.1\r\nHost: api.flowdb.test\r\n"
			       "\r\n",
			       i);
		assert_int_equal(copy(c, &k, seq, n++, (uint8_t *)req, (size_t)len, (size_t)len, false),
				 0);
		seq += (uint32_t)len;
		len = snprintf(resp, sizeof(resp),
			       "HTTP/1.1 %d OK\r\nContent-Length: 2\r\n\r\nok", 200 + i);
		assert_int_equal(copy(c, &back, rseq, rn++, (uint8_t *)resp, (size_t)len, (size_t)len,
				      false),
				 0);
		rseq += (uint32_t)len;
	}
	/* Two pipelined in one segment, a 100 Continue, then their answers. */
	len = snprintf(req, sizeof(req),
		       "POST /upload HTTP/1.1\r\nHost: api.flowdb.test\r\nContent-Length: 4\r\n\r\n"
		       "abcdDELETE /item/9 HTTP/1.1\r\nHost: api.flowdb.test\r\n\r\n");
	assert_int_equal(copy(c, &k, seq, n++, (uint8_t *)req, (size_t)len, (size_t)len, false), 0);
	len = snprintf(resp, sizeof(resp), "HTTP/1.1 100 Continue\r\n\r\n");
	copy(c, &back, rseq, rn++, (uint8_t *)resp, (size_t)len, (size_t)len, false);
	rseq += (uint32_t)len;
	len = snprintf(resp, sizeof(resp), "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
	copy(c, &back, rseq, rn++, (uint8_t *)resp, (size_t)len, (size_t)len, false);
	assert_int_equal(c->seen.requests, 6);
	for (i = 0; i < 5; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/api/v1/item/%d", i);
		assert_string_equal(c->seen.request[i].method, "GET");
		assert_string_equal(c->seen.request[i].host, "api.flowdb.test");
		assert_string_equal(c->seen.request[i].path, path);
		assert_int_equal(c->seen.request[i].status, 200 + i);
	}
	assert_string_equal(c->seen.request[5].method, "POST");
	assert_int_equal(c->seen.request[5].status, 201);
	/* 7 requests and 7 responses read; one finding per direction. */
	assert_int_equal(c->seen.messages, 14);
	assert_int_equal(c->seen.findings, 2);
	assert_string_equal(c->seen.finding[0].info, "GET api.flowdb.test/api/v1/item/0");
	streams_fin(c->streams, &k, 2000);
	assert_int_equal(streams_expire(c->streams, 2000, 1000000), 1);
	assert_int_equal(c->seen.requests, 7);
	assert_string_equal(c->seen.request[6].method, "DELETE");
	assert_int_equal(c->seen.request[6].status, -1);
}

/* A payload nothing recognises is tried four times, then given up; a
 * request after a SOCKS handshake is found; the kernel's last copy needs no
 * stop. */
static void test_unknown_and_last(void **state)
{
	struct ctx *c = *state;
	struct flow_key k = client;
	const uint8_t junk[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	static const uint8_t socks_greeting[] = { 5, 1, 0 };
	static const uint8_t socks_connect[] = { 5, 1, 0, 1, 10, 0, 0, 2, 0, 80 };
	static const char get[] = "GET /x HTTP/1.1\r\nHost: h.test\r\n\r\n";
	uint8_t hello[HELLO_MAX];
	size_t len = client_hello(hello, false);

	assert_int_equal(copy(c, &k, 1, 0, junk, sizeof(junk), sizeof(junk), false), 0);
	assert_int_equal(copy(c, &k, 9, 1, junk, sizeof(junk), sizeof(junk), false), 0);
	assert_int_equal(copy(c, &k, 17, 2, junk, sizeof(junk), sizeof(junk), false), 0);
	assert_int_equal(copy(c, &k, 25, 3, junk, sizeof(junk), sizeof(junk), false), 1);
	assert_int_equal(c->seen.findings, 0);
	/* A SOCKS handshake's two messages, then a request: read alone. */
	k.src_port = 40003;
	assert_int_equal(copy(c, &k, 1, 0, socks_greeting, sizeof(socks_greeting),
			      sizeof(socks_greeting), false),
			 0);
	assert_int_equal(copy(c, &k, 4, 1, socks_connect, sizeof(socks_connect),
			      sizeof(socks_connect), false),
			 0);
	assert_int_equal(copy(c, &k, 4 + sizeof(socks_connect), 2, (const uint8_t *)get,
			      sizeof(get) - 1, sizeof(get) - 1, false),
			 0);
	assert_int_equal(c->seen.findings, 1);
	assert_string_equal(c->seen.finding[0].info, "GET h.test/x");
	memset(&c->seen, 0, sizeof(c->seen));
	/* The budget ends in the hello: the cut hello is the finding. */
	k.src_port = 40002;
	assert_int_equal(copy(c, &k, 1, 0, hello, 300, len, true), 0);
	assert_int_equal(c->seen.findings, 1);
	assert_false(c->seen.finding[0].tls.complete);
}

/* A response whose body runs past its copy has the rest skipped: the
 * kernel is told where the next message starts, a body copy already on
 * its way is not read (though it looks like a response), and the next
 * response is read and answers the next request. */
static void test_skip_body(void **state)
{
	struct ctx *c = *state;
	struct flow_key k = client, back;
	static const char req[] = "GET /a HTTP/1.1\r\nHost: h.test\r\n\r\n";
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n";
	static const char fake[] = "HTTP/1.1 500 Fake\r\n\r\n";
	static const char next[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
	uint8_t first[sizeof(head) - 1 + 1000];
	uint32_t h = sizeof(head) - 1, n = sizeof(req) - 1, r0 = 70000;

	k.dst_port = 80;
	back = reverse(&k);
	memcpy(first, head, h);
	memset(first + h, 'x', 1000);
	copy(c, &k, 1, 0, (const uint8_t *)req, n, n, false);
	copy(c, &k, 1 + n, 1, (const uint8_t *)req, n, n, false);
	assert_int_equal(copy(c, &back, r0, 0, first, sizeof(first), sizeof(first), false), 0);
	assert_int_equal(c->seen.skips, 1);
	assert_int_equal(c->seen.skipped_to, r0 + h + 5000);
	/* A body segment sent before the kernel learnt of the skip. */
	copy(c, &back, r0 + h + 1000, 1, (const uint8_t *)fake, sizeof(fake) - 1, sizeof(fake) - 1,
	     false);
	copy(c, &back, r0 + h + 5000, 2, (const uint8_t *)next, sizeof(next) - 1, sizeof(next) - 1,
	     false);
	assert_int_equal(c->seen.requests, 2);
	assert_int_equal(c->seen.request[0].status, 200);
	assert_int_equal(c->seen.request[1].status, 404);
	assert_int_equal(c->seen.messages, 4);
}

/* An h2c upgrade: the 101 answers the request, and neither direction
 * needs HTTP/1 copies after it. */
static void test_upgrade(void **state)
{
	struct ctx *c = *state;
	struct flow_key k = client, back;
	static const char req[] = "GET / HTTP/1.1\r\nHost: h.test\r\nConnection: Upgrade, "
				  "HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n";
	static const char resp[] = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
				   "Upgrade: h2c\r\n\r\n";
	static const uint8_t frame[] = { 0, 0, 0, 4, 0, 0, 0, 0, 0 }; /* SETTINGS */
	uint32_t n = sizeof(req) - 1, m = sizeof(resp) - 1;

	k.dst_port = 80;
	back = reverse(&k);
	assert_int_equal(copy(c, &k, 1, 0, (const uint8_t *)req, n, n, false), 0);
	assert_int_equal(copy(c, &back, 1, 0, (const uint8_t *)resp, m, m, false), 1);
	assert_int_equal(c->seen.requests, 1);
	assert_int_equal(c->seen.request[0].status, 101);
	assert_int_equal(copy(c, &k, 1 + n, 1, frame, sizeof(frame), sizeof(frame), false), 1);
	assert_int_equal(c->seen.messages, 2);
}

/* A later request whose head spans two segments is read whole once the
 * second comes; after a lost segment, what waited is read as it is. */
static void test_head_across_segments(void **state)
{
	struct ctx *c = *state;
	struct flow_key k = client;
	static const char first[] = "GET /a HTTP/1.1\r\nHost: h.test\r\n\r\n";
	static const char second[] = "GET /b HTTP/1.1\r\nCookie: x\r\nHost: h.test\r\n\r\n";
	size_t cut, n1 = sizeof(first) - 1, n2 = sizeof(second) - 1;

	k.dst_port = 80;
	for (cut = 1; cut < n2; cut++) {
		k.src_port = (uint16_t)(2000 + cut);
		memset(&c->seen, 0, sizeof(c->seen));
		copy(c, &k, 1, 0, (const uint8_t *)first, n1, n1, false);
		copy(c, &k, 1 + (uint32_t)n1, 1, (const uint8_t *)second, cut, cut, false);
		copy(c, &k, 1 + (uint32_t)(n1 + cut), 2, (const uint8_t *)second + cut, n2 - cut,
		     n2 - cut, false);
		streams_end_all(c->streams);
		assert_int_equal(c->seen.messages, 2);
		assert_int_equal(c->seen.requests, 2);
		assert_string_equal(c->seen.request[1].host, "h.test");
		assert_string_equal(c->seen.request[1].path, "/b");
	}
	/* The second segment lost: the head's start is read as it is. */
	memset(&c->seen, 0, sizeof(c->seen));
	k.src_port = 3000;
	copy(c, &k, 1, 0, (const uint8_t *)second, 20, 20, false);
	copy(c, &k, 1 + (uint32_t)n2, 1, (const uint8_t *)first, n1, n1, false);
	streams_end_all(c->streams);
	assert_int_equal(c->seen.requests, 2);
	assert_string_equal(c->seen.request[0].method, "GET");
	assert_string_equal(c->seen.request[0].host, "");
	assert_string_equal(c->seen.request[1].path, "/a");
}

/* At most STREAMS_PENDING_MAX requests wait for their responses: the
 * oldest beyond them is named without a status, none is lost. */
static void test_pending_bound(void **state)
{
	struct ctx *c = *state;
	struct flow_key k = client;
	static const char req[] = "GET /x HTTP/1.1\r\nHost: h.test\r\n\r\n";
	uint32_t seq = 1;
	int i;

	k.dst_port = 80;
	for (i = 0; i < STREAMS_PENDING_MAX + 8; i++) {
		assert_int_equal(copy(c, &k, seq, (uint8_t)i, (const uint8_t *)req, sizeof(req) - 1,
				      sizeof(req) - 1, false),
				 0);
		seq += sizeof(req) - 1;
	}
	assert_int_equal(c->seen.messages, STREAMS_PENDING_MAX + 8);
	assert_int_equal(c->seen.requests, 8);
	streams_end_all(c->streams);
	assert_int_equal(c->seen.requests, STREAMS_PENDING_MAX + 8);
	for (i = 0; i < STREAMS_PENDING_MAX + 8; i++) {
		assert_int_equal(c->seen.request[i].status, -1);
		assert_int_equal(c->seen.request[i].time_us, 1000 + i);
	}
}

/* What waits for its rest when the stream ends is read as it is: a
 * request head never finished names the flow and is counted. */
static void test_end_reads_what_waits(void **state)
{
	struct ctx *c = *state;
	struct flow_key k = client;
	static const char head[] = "GET /slow HTTP/1.1\r\nHost: h.test\r\nX-Pad: 1";

	k.dst_port = 80;
	assert_int_equal(copy(c, &k, 1, 0, (const uint8_t *)head, sizeof(head) - 1, sizeof(head) - 1,
			      false),
			 0);
	assert_int_equal(c->seen.findings, 0);
	streams_end_all(c->streams);
	assert_int_equal(c->seen.findings, 1);
	assert_string_equal(c->seen.finding[0].info, "GET h.test/slow");
	assert_int_equal(c->seen.messages, 1);
	assert_int_equal(c->seen.requests, 1);
	assert_int_equal(c->seen.request[0].status, -1);
}

/* With every stream taken the copies of a new flow are refused (and
 * stopped); a stream ended makes room. */
static void test_full(void **state)
{
	struct ctx *c = *state;
	struct flow_key k = client;
	const uint8_t junk[] = { 0, 1, 2, 3 };
	struct streams_counts counts;
	int i;

	for (i = 0; i < 4; i++) {
		k.src_port = (uint16_t)(50000 + i);
		assert_int_equal(copy(c, &k, 1, 0, junk, sizeof(junk), sizeof(junk), false), 0);
	}
	k.src_port = 60000;
	assert_int_equal(copy(c, &k, 1, 0, junk, sizeof(junk), sizeof(junk), false), 1);
	streams_counts(c->streams, &counts);
	assert_int_equal(counts.full, 1);
	assert_int_equal(streams_count(c->streams), 4);
	assert_int_equal(streams_expire(c->streams, 1000 + 10, 5), 4);
	assert_int_equal(copy(c, &k, 1, 0, junk, sizeof(junk), sizeof(junk), false), 0);
	assert_int_equal(streams_count(c->streams), 1);
}

static int count_finding(void *arg, const struct flow_key *key, uint64_t time_us,
			 const struct inspect_result *r, const char *fingerprint)
{
	(void)key;
	(void)time_us;
	(void)fingerprint;
	if (r->proto == INSPECT_HTTP)
		++*(int *)arg;
	return 0;
}

static int ignore_message(void *arg, const struct flow_key *key, uint64_t time_us,
			  const struct inspect_result *r)
{
	(void)arg;
	(void)key;
	(void)time_us;
	(void)r;
	return 0;
}

static int ignore_request(void *arg, const struct streams_request *q)
{
	(void)arg;
	(void)q;
	return 0;
}

static int ignore_skip(void *arg, const struct flow_key *key, uint32_t until)
{
	(void)arg;
	(void)key;
	(void)until;
	return 0;
}

#define MANY 20000

/* Streams by the ten thousand, as an import holds them: each request cut
 * in two copies is put together in its own stream, and each found once,
 * however many times the buckets grew between its two copies. */
static void test_many(void **state)
{
	static const char first[] = "GET /ma", rest[] = "ny HTTP/1.1\r\nHost: many.test\r\n\r\n";
	static uint8_t ev[EVENT_MAX];
	struct payload_event *p = (struct payload_event *)ev;
	int found = 0, i, pass;
	struct streams_sink sink = { count_finding, ignore_message, ignore_request, ignore_skip,
				     &found };
	struct streams *s;

	(void)state;
	assert_int_equal(streams_new(&s, 2 * MANY, &sink), 0);
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < MANY; i++) {
			const char *data = pass ? rest : first;
			size_t len = strlen(data);

			memset(p, 0, sizeof(*p));
			p->head.key = client;
			p->head.key.src_addr[3] = (uint8_t)(i >> 14);
			p->head.key.src_port = (uint16_t)(1024 + (i & 0x3fff));
			p->head.kind = FLOW_EVENT_PAYLOAD;
			p->len = (uint16_t)len;
			p->payload_len = (uint16_t)len;
			p->tcp_seq = pass ? 1 + (uint32_t)strlen(first) : 1;
			p->seq = (uint8_t)pass;
			memcpy(p->data, data, len);
			assert_true(streams_payload(s, ev, sizeof(*p) + len, 1000 + (uint64_t)pass) >= 0);
		}
	assert_int_equal(found, MANY);
	assert_int_equal(streams_count(s), MANY);
	assert_int_equal(streams_expire(s, 1000000000, 5), MANY);
	assert_int_equal(streams_count(s), 0);
	streams_free(s);
}

/* A QUIC client's Initial (RFC 9001 A.2) is decrypted and its ClientHello
 * names the flow, as QUIC with the hello's server name and a JA4 of QUIC's;
 * a packet that cannot be decrypted is named by its header. */
static void test_quic_initial(void **state)
{
	struct ctx *c = *state;
	struct flow_key k = client;
	struct streams_counts counts;
	uint8_t greased[64] = { 0xc0, 0x0a, 0x0a, 0x0a, 0x0a, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0 };

	k.proto = 17;
	assert_int_equal(copy(c, &k, 0, 0, rfc9001_a2_packet, sizeof(rfc9001_a2_packet),
			      sizeof(rfc9001_a2_packet), false),
			 1);
	assert_int_equal(c->seen.findings, 1);
	assert_int_equal(c->seen.finding[0].proto, INSPECT_QUIC);
	assert_int_equal(c->seen.finding[0].encrypted, 1);
	assert_string_equal(c->seen.finding[0].info, "example.com");
	assert_int_equal(c->seen.finding[0].quic.version, 1);
	assert_memory_equal(c->seen.fingerprint[0], "q13", 3);
	streams_counts(c->streams, &counts);
	assert_int_equal(counts.quic_decrypted, 1);

	/* A greased version's packet cannot be decrypted: its header names
	 * the flow. */
	k.src_port = 40001;
	assert_int_equal(copy(c, &k, 0, 0, greased, sizeof(greased), sizeof(greased), false), 1);
	assert_int_equal(c->seen.findings, 2);
	assert_int_equal(c->seen.finding[1].proto, INSPECT_QUIC);
	assert_string_equal(c->seen.finding[1].info, "version 0x0a0a0a0a");
}

/* A fixture of tests/fixtures/inspect (tests run from the top directory);
 * *len its length. */
static uint8_t *load(const char *file, size_t *len)
{
	char path[256];
	uint8_t *buf = malloc(EVENT_MAX);
	FILE *f;

	snprintf(path, sizeof(path), "tests/fixtures/inspect/%s", file);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, EVENT_MAX, f);
	fclose(f);
	assert_true(*len > 0 && *len < EVENT_MAX - sizeof(struct payload_event));
	return buf;
}

/* Chromium's two QUIC Initials, in either order: its ClientHello, split
 * over 18 CRYPTO frames out of order, names the flow as tshark does; and
 * its TCP hello cut at every place into two segments. */
static void test_chrome(void **state)
{
	struct ctx *c = *state;
	struct flow_key k = client;
	size_t len1, len2, len, cut;
	uint8_t *a = load("chrome_quic_initial_1.bin", &len1);
	uint8_t *b = load("chrome_quic_initial_2.bin", &len2);
	uint8_t *hello = load("chrome_client_hello.bin", &len);
	int order;

	k.proto = 17;
	for (order = 0; order < 2; order++) {
		k.src_port = (uint16_t)(50000 + order);
		assert_int_equal(copy(c, &k, 0, 0, order ? b : a, order ? len2 : len1,
				      order ? len2 : len1, false),
				 0);
		assert_int_equal(c->seen.findings, order);
		assert_int_equal(copy(c, &k, 0, 1, order ? a : b, order ? len1 : len2,
				      order ? len1 : len2, false),
				 1);
		assert_int_equal(c->seen.findings, order + 1);
		assert_int_equal(c->seen.finding[order].proto, INSPECT_QUIC);
		assert_string_equal(c->seen.finding[order].info, "flowdb.test");
		assert_memory_equal(c->seen.fingerprint[order], "q13d", 4);
	}
	k = client;
	for (cut = 1; cut < len; cut++) {
		k.src_port = (uint16_t)(1000 + cut % 60000);
		memset(&c->seen, 0, sizeof(c->seen));
		copy(c, &k, 1, 0, hello, cut, cut, false);
		copy(c, &k, 1 + (uint32_t)cut, 1, hello + cut, len - cut, len - cut, false);
		assert_int_equal(c->seen.findings, 1);
		assert_string_equal(c->seen.finding[0].info, "flowdb.test");
		assert_string_equal(c->seen.fingerprint[0], "t13d1517h2_8daaf6152771_cb7bf5808d99");
		streams_end_all(c->streams);
	}
	free(a);
	free(b);
	free(hello);
}

/* Every DNS message of a flow counts, the first names it. */
static void test_dns_messages(void **state)
{
	struct ctx *c = *state;
	struct flow_key k = client;
	static const uint8_t query[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
					 3, 'w', 'w', 'w', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1 };
	uint8_t i;

	k.proto = 17;
	k.dst_port = 53;
	for (i = 0; i < 3; i++)
		assert_int_equal(copy(c, &k, 0, i, query, sizeof(query), sizeof(query), false), 0);
	assert_int_equal(c->seen.findings, 1);
	assert_string_equal(c->seen.finding[0].info, "www.test");
	assert_int_equal(c->seen.messages, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello_every_cut, setup, teardown),
		cmocka_unit_test(test_many),
		cmocka_unit_test_setup_teardown(test_retransmit_and_hole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_alive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_across_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skip_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_reads_what_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quic_initial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chrome, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
