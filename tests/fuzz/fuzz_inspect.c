// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer harness for the payload inspectors: any bytes, any cut, any ports.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinspect -Itests/unit/inspect \
 *	-D_GNU_SOURCE tests/fuzz/fuzz_inspect.c inspect/[a-z]*.c tests/unit/inspect/[a-z]*.c \
 *	-lcrypto -lcmocka -o /tmp/fuzz_inspect
 *   mkdir -p /tmp/inspect-corpus
 *   /tmp/fuzz_inspect -max_total_time=120 /tmp/inspect-corpus tests/fixtures/inspect/
 *
 * libFuzzer writes what it finds into the first directory: give it a scratch one, so that the
 * fixtures stay as captured.
 *
 * Every row of inspect_table runs, on its own and through inspect_payload(), so a new protocol
 * is fuzzed with nothing added here; so do the functions outside the table:
 * inspect_http_next() (the same result as inspect_http(), a next within the buffer, the same
 * next for a cut that holds the message), inspect_proxy() (a length within the buffer, its
 * result cleared unless whole, printable texts), inspect_tls_hello() with each carrier (a
 * payload that is one handshake message), and inspect_dtls_fragments(), whose fragments must
 * lie within the datagram and their message. Besides memory errors, it checks what the headers promise
 * with the unit tests' own checks (tests/unit/inspect/, one file per protocol): printable,
 * terminated texts, and a cut of the payload never giving a field the whole one would not.
 *
 * The seed corpus is the fixtures, which are bare payloads: with too few bytes for a header,
 * or a first byte that is not a known selector, a payload runs over TCP and over UDP with ports
 * chosen from its length, so the seeds are recognised as they are. Otherwise the first byte
 * picks the transport and the port hints, and the rest is the payload.
 *
 * Every UDP payload also goes through inspect_quic_initial(), whose fragments must lie within
 * what it was given. Random bytes hardly ever pass its AEAD tag, so selector 0xf8 (0xf9:
 * version 2) seals the rest as the frames of a client Initial (the unit tests' own sealer),
 * which then decrypts and has its frames read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "inspect.h"
#include "inspect_test.h"

/* Selector bytes: 0xf0..0xf7 pick TCP or UDP (bit 0) and a port pair (bits 1-2); 0xf8 and
 * 0xf9 seal a QUIC Initial (version 1 or 2, bit 0). */
#define SELECTOR_BASE 0xf0
#define SELECTOR_MASK 0xf8
#define SELECTOR_SEAL_MASK 0xfe
#define SELECTOR_SEAL 0xf8
/* Bytes of a sealed Initial's header (22) and tag (16) around its frames. */
#define SEAL_OVERHEAD 38
static const uint16_t ports[][2] = {
	{ 40000, 443 },
	{ 53, 40000 },
	{ 40000, 5353 },
	{ 137, 137 },
};

/* cmocka's checks, shared with the unit tests, abort() here instead of leaving a test: a crash
 * that libFuzzer reports with its input. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setenv("CMOCKA_TEST_ABORT", "1", 1);
	return 0;
}

/* Aborts unless a result keeps the headers' promises, as every protocol's tests check them. */
static void check(const struct inspect_result *r, enum inspect_proto ret)
{
	if (ret != r->proto)
		abort();
	check_result_sane(r);
}

/* A fragment inspect_quic_initial() hands over: within a payload of at most *arg bytes, within
 * the crypto stream's offsets, every byte readable. */
static void frag_check(void *arg, uint64_t offset, const uint8_t *data, size_t n)
{
	const size_t *len = arg;
	volatile uint8_t sum = 0;
	size_t i;

	if (n == 0 || n > *len || offset >= (uint64_t)1 << 62 || n > ((uint64_t)1 << 62) - offset)
		abort();
	for (i = 0; i < n; i++)
		sum ^= data[i];
}

/* inspect_quic_initial() over exactly len bytes: no more packets than could fit. */
static void run_initial(const uint8_t *buf, size_t len)
{
	int n = inspect_quic_initial(len ? buf : NULL, len, frag_check, &len);

	if (n < 0 || (size_t)n > len / SEAL_OVERHEAD)
		abort();
}

/* Runs inspect_payload() over a copy of exactly len bytes (so that a read past the end is
 * ASan's) and checks the result; each inspector of the table on its own as well. Returns the
 * inspect_payload() result in *out. */
static void run_one(const uint8_t *data, size_t len, uint8_t l4proto, uint16_t sport,
		    uint16_t dport, struct inspect_result *out)
{
	const struct inspect_entry *e;
	struct inspect_result r;
	uint8_t *buf = malloc(len ? len : 1);
	size_t i;

	if (!buf)
		abort();
	if (len)
		memcpy(buf, data, len);
	check(out, inspect_payload(len ? buf : NULL, len, l4proto, sport, dport, out));
	for (i = 0; i < inspect_table_len; i++) {
		e = &inspect_table[i];
		check(&r, e->inspect(buf, len, &r) ? e->proto : INSPECT_NONE);
	}
	if (l4proto == 17)
		run_initial(buf, len);
	free(buf);
}

/* inspect_http_next() over a copy of exactly len bytes: what inspect_http() says, and a next
 * within the buffer. Returns its next in *next, and whether it recognised HTTP. */
static int run_next(const uint8_t *data, size_t len, size_t *next)
{
	struct inspect_result r, plain;
	uint8_t *buf = malloc(len ? len : 1);
	int ret;

	if (!buf)
		abort();
	if (len)
		memcpy(buf, data, len);
	ret = inspect_http_next(len ? buf : NULL, len, &r, next);
	if (ret != inspect_http(len ? buf : NULL, len, &plain) ||
	    (*next && r.http.message_length != *next))
		abort();
	/* message_length is inspect_http_next()'s alone. */
	plain.http.message_length = r.http.message_length;
	if (memcmp(&r, &plain, sizeof(r)) || *next > len || (!ret && *next))
		abort();
	free(buf);
	return ret;
}

/* inspect_proxy() over a copy of exactly len bytes: a length within the buffer, the result
 * cleared unless whole, its texts printable and terminated. */
static void run_proxy(const uint8_t *data, size_t len)
{
	static const struct inspect_proxy none;
	struct inspect_proxy p;
	uint8_t *buf = malloc(len ? len : 1);
	int ret;

	if (!buf)
		abort();
	if (len)
		memcpy(buf, data, len);
	ret = inspect_proxy(len ? buf : NULL, len, &p);
	if (ret < -1 || (ret > 0 && (size_t)ret > len) ||
	    (ret <= 0 && memcmp(&p, &none, sizeof(p))) ||
	    (ret > 0 && p.version != 1 && p.version != 2))
		abort();
	check_text("proxy src_addr", p.src_addr, sizeof(p.src_addr));
	check_text("proxy dst_addr", p.dst_addr, sizeof(p.dst_addr));
	check_text("proxy authority", p.authority, sizeof(p.authority));
	free(buf);
}

/* What inspect_dtls_fragments() hands over must lie in the datagram and in its message. */
struct frag_check {
	const uint8_t *buf;
	size_t len;
	uint64_t max_end; /* the furthest fragment end in its message */
};

/* inspect_dtls_fragments()'s callback: each fragment within the datagram. */
static void frag_seen(void *arg, uint64_t offset, const uint8_t *data, size_t n)
{
	struct frag_check *f = arg;

	if (n == 0 || data < f->buf || data + n > f->buf + f->len)
		abort();
	if (offset + n > f->max_end)
		f->max_end = offset + n;
}

/* The parsers outside the table over copies of exactly len and at bytes: inspect_tls_hello()
 * with each carrier, whole and cut at at (fields the whole one's or empty), and
 * inspect_dtls_fragments(). */
static void run_parsers(const uint8_t *data, size_t len, size_t at)
{
	static const enum inspect_tls_carrier carriers[] = { INSPECT_TLS_TCP, INSPECT_TLS_QUIC,
							     INSPECT_TLS_DTLS };
	struct inspect_result whole, cut;
	struct frag_check f = { .max_end = 0 };
	uint8_t *buf = malloc(len ? len : 1), *head = malloc(at ? at : 1), type;
	uint32_t msg_len;
	size_t i;
	int n;

	if (!buf || !head)
		abort();
	if (len)
		memcpy(buf, data, len);
	if (at)
		memcpy(head, data, at);
	for (i = 0; i < sizeof(carriers) / sizeof(carriers[0]); i++) {
		check(&whole, inspect_tls_hello(buf, len, carriers[i], &whole) ? whole.proto :
										 INSPECT_NONE);
		check(&cut,
		      inspect_tls_hello(head, at, carriers[i], &cut) ? cut.proto : INSPECT_NONE);
		if (whole.proto != INSPECT_NONE && cut.proto != INSPECT_NONE)
			check_cut_fields("the input as a hello", at, &cut, &whole);
	}
	f.buf = buf;
	f.len = len;
	n = inspect_dtls_fragments(buf, len, &type, &msg_len, frag_seen, &f);
	if (n < 0 || (n > 0 && f.max_end > msg_len))
		abort();
	free(head);
	free(buf);
}

/* The headers' promise about cuts: when both are recognised, the cut buffer's fields are the
 * whole one's or still empty. */
static void check_cut(const struct inspect_result *c, const struct inspect_result *w, size_t at)
{
	if (c->proto == INSPECT_NONE || w->proto == INSPECT_NONE)
		return;
	if (c->proto != w->proto)
		abort();
	check_cut_fields("the input", at, c, w);
}

/* The payload whole and cut at a point its last byte chooses: both sane, and consistent. */
static void fuzz_payload(const uint8_t *data, size_t len, uint8_t l4proto, uint16_t sport,
			 uint16_t dport)
{
	struct inspect_result whole, cut;
	size_t at = len ? len * data[len - 1] / 256 : 0;
	size_t next, cut_next;

	run_one(data, len, l4proto, sport, dport, &whole);
	run_one(data, at, l4proto, sport, dport, &cut);
	check_cut(&cut, &whole, at);
	/* A cut that holds the whole message finds the same next; one that does not, none. */
	if (run_next(data, len, &next) && run_next(data, at, &cut_next) &&
	    cut_next != (next && next <= at ? next : 0))
		abort();
	run_proxy(data, len);
	run_proxy(data, at);
	run_parsers(data, len, at);
}

/* The frames sealed into a client Initial, then that datagram whole and cut as any other. */
static void fuzz_sealed(bool v2, const uint8_t *frames, size_t n)
{
	uint8_t *pkt;
	size_t len;

	if (n > QUIC_SEAL_MAX)
		n = QUIC_SEAL_MAX;
	pkt = malloc(n + SEAL_OVERHEAD);
	if (!pkt)
		abort();
	len = quic_seal_initial(v2, 0, frames, n, pkt);
	if (len != n + SEAL_OVERHEAD || inspect_quic_initial(pkt, len, frag_check, &len) != 1)
		abort();
	fuzz_payload(pkt, len, 17, ports[0][0], ports[0][1]);
	free(pkt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint16_t *p;
	uint8_t sel;

	if (size > 0 && (data[0] & SELECTOR_SEAL_MASK) == SELECTOR_SEAL) {
		fuzz_sealed(data[0] & 1, data + 1, size - 1);
		return 0;
	}
	if (size > 0 && (data[0] & SELECTOR_MASK) == SELECTOR_BASE) {
		sel = data[0];
		p = ports[(sel >> 1) & 3];
		fuzz_payload(data + 1, size - 1, sel & 1 ? 17 : 6, p[0], p[1]);
		return 0;
	}
	/* A bare payload (a seed): both transports, the ports by its length. */
	p = ports[size & 3];
	fuzz_payload(data, size, 6, p[0], p[1]);
	fuzz_payload(data, size, 17, p[0], p[1]);
	fuzz_payload(data, size, 17, p[1], p[0]);
	return 0;
}
