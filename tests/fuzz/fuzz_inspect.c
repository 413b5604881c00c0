// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer harness for the payload inspectors: any bytes, any cut, any ports.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinspect -Itests/unit/inspect \
 *	-D_GNU_SOURCE tests/fuzz/fuzz_inspect.c inspect/[a-z]*.c tests/unit/inspect/[a-z]*.c \
 *	-lcmocka -o /tmp/fuzz_inspect
 *   mkdir -p /tmp/inspect-corpus
 *   /tmp/fuzz_inspect -max_total_time=120 /tmp/inspect-corpus tests/fixtures/inspect/
 *
 * libFuzzer writes what it finds into the first directory: give it a scratch one, so that the
 * fixtures stay as captured.
 *
 * Every row of inspect_table runs, on its own and through inspect_payload(), so a new protocol
 * is fuzzed with nothing added here. So do the parsers that are no row: inspect_tls_hello()
 * with each carrier (a payload that is one handshake message), and inspect_dtls_fragments(),
 * whose fragments must lie within the datagram and their message. Besides memory errors, it checks what the headers promise
 * with the unit tests' own checks (tests/unit/inspect/, one file per protocol): printable,
 * terminated texts, and a cut of the payload never giving a field the whole one would not.
 *
 * The seed corpus is the fixtures, which are bare payloads: with too few bytes for a header,
 * or a first byte that is not a known selector, a payload runs over TCP and over UDP with ports
 * chosen from its length, so the seeds are recognised as they are. Otherwise the first byte
 * picks the transport and the port hints, and the rest is the payload.
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

/* Selector bytes: 0xf0..0xf7 pick TCP or UDP (bit 0) and a port pair (bits 1-2). */
#define SELECTOR_BASE 0xf0
#define SELECTOR_MASK 0xf8
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

	run_one(data, len, l4proto, sport, dport, &whole);
	run_one(data, at, l4proto, sport, dport, &cut);
	check_cut(&cut, &whole, at);
	run_parsers(data, len, at);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint16_t *p;
	uint8_t sel;

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
