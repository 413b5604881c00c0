/* SPDX-License-Identifier: BSD-2-Clause */
/* The inspectors' tests, one file per protocol: what each protocol's file gives, and the
 * helpers they share with test_inspect.c and the fuzzer. */
#ifndef INSPECT_TEST_H
#define INSPECT_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "inspect.h"

#define TCP 6
#define UDP 17
#define CLIENT_PORT 40000

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

/* A field of struct inspect_result that a protocol fills: a NUL-terminated text, or a number
 * of 1, 2, 4 or 8 bytes (bool included). */
struct inspect_field {
	const char *name; /* "tls.sni" */
	size_t offset, size;
	bool text;
};

#define INSPECT_FIELD(MEMBER, TEXT)                                              \
	{                                                                        \
#MEMBER, offsetof(struct inspect_result, MEMBER),                \
			sizeof(((const struct inspect_result *)0)->MEMBER), TEXT \
	}
#define INSPECT_TEXT(MEMBER) INSPECT_FIELD(MEMBER, true)
#define INSPECT_NUM(MEMBER) INSPECT_FIELD(MEMBER, false)

/*
 * One protocol's tests, a row of inspect_tests[]: a new protocol is its file
 * here and that row. The generic tests (test_inspect.c) run every fixture
 * whole, cut at every length and mutated, through inspect_payload() and
 * every inspector, checking each result with every row's functions; the
 * fuzzer checks what it finds with them too.
 */
struct inspect_test {
	enum inspect_proto proto;
	const char *name; /* what inspect_proto_name() must say */
	int encrypted; /* what every result of the protocol says */
	const struct fixture *fixtures;
	size_t n_fixtures;
	/* The protocol's fields: every text is printable and terminated in
	 * every result, and in a cut buffer's result every field is the whole
	 * buffer's or still empty. */
	const struct inspect_field *fields;
	size_t n_fields;
	/* NULL, or what else a cut buffer's result c of the protocol must
	 * share with w, the whole buffer's. */
	void (*check_cut)(const char *file, size_t cut, const struct inspect_result *c,
			  const struct inspect_result *w);
	/* Writes the info c's own fields make into want (w: the whole
	 * buffer's result, for what a cut either has whole or not at all).
	 * NULL: info is w's. */
	void (*info)(const struct inspect_result *c, const struct inspect_result *w, char *want,
		     size_t size);
	/* The protocol's own cases: hand-made and malformed messages. */
	const struct CMUnitTest *cases;
	size_t n_cases;
};

/*
 * Defines inspect_test_NAME, the row of inspect_tests[] for a protocol's file,
 * from what the file defines: fixtures[], fields[] and cases[]; INFO and
 * CHECK_CUT are the file's functions or NULL.
 */
#define INSPECT_TEST(NAME, PROTO, ENCRYPTED, INFO, CHECK_CUT)         \
	const struct inspect_test inspect_test_##NAME = {             \
		.proto = PROTO,                                       \
		.name = #NAME,                                        \
		.encrypted = ENCRYPTED,                               \
		.fixtures = fixtures,                                 \
		.n_fixtures = sizeof(fixtures) / sizeof(fixtures[0]), \
		.fields = fields,                                     \
		.n_fields = sizeof(fields) / sizeof(fields[0]),       \
		.check_cut = CHECK_CUT,                               \
		.info = INFO,                                         \
		.cases = cases,                                       \
		.n_cases = sizeof(cases) / sizeof(cases[0]),          \
	}

/* The PROXY protocol header's cases (proxy.c): no row of the table, a group of its own. */
extern const struct CMUnitTest inspect_proxy_cases[];
extern const size_t inspect_proxy_n_cases;

/* Every protocol's tests, in the order of the fixtures' runs. */
extern const struct inspect_test *const inspect_tests[];
extern const size_t inspect_tests_len;

/* The tests of a protocol; NULL when it has none. */
const struct inspect_test *inspect_test_of(enum inspect_proto proto);

/* Reads a fixture into a buffer of exactly its size (so that ASan sees a read past the end).
 * Returns the buffer, *len its size. */
uint8_t *load(const char *file, size_t *len);

/* Copies len bytes of p into a buffer of exactly that size. */
uint8_t *dup_exact(const void *p, size_t len);

/* Writes n bytes of p at m + at. Returns at + n. */
size_t put(uint8_t *m, size_t at, const void *p, size_t n);

/* Fails unless s is NUL-terminated within size bytes and printable ASCII. */
void check_text(const char *what, const char *s, size_t size);

/* Every text field of a result is printable and terminated; a result that recognised nothing
 * is all clear. */
void check_result_sane(const struct inspect_result *r);

/* A text field of a cut buffer's result against the whole one's: the same, or empty. */
void check_text_cut(const char *file, size_t cut, const char *what, const char *c, const char *w);

/* A number of a cut buffer's result against the whole one's: the same or 0. */
void check_num_cut(const char *file, size_t cut, const char *what, uint64_t c, uint64_t w);

/* Every field of a cut buffer's result c, of w's protocol, against the whole one's w: the same
 * or still empty. */
void check_cut_fields(const char *file, size_t cut, const struct inspect_result *c,
		      const struct inspect_result *w);

/* Runs inspect_payload() over a copy of len bytes of p of exactly that size. */
enum inspect_proto run(const void *p, size_t len, uint8_t l4proto, uint16_t sport, uint16_t dport,
		       struct inspect_result *r);

/* The largest payload quic_seal_initial() takes (its Length is a 2-byte varint). */
#define QUIC_SEAL_MAX (0x3fff - 4 - 16)

/*
 * Seals a client Initial packet of version 1 (or 2) into out, independently of inspect/quic.c
 * (tests/unit/inspect/quic.c): the RFCs' sample DCID, no SCID, no token, packet number pn in
 * 4 bytes, the n bytes of frames (at most QUIC_SEAL_MAX) as its payload. Returns its length,
 * 22 + n + 16.
 */
size_t quic_seal_initial(bool v2, uint32_t pn, const uint8_t *frames, size_t n, uint8_t *out);

#endif /* INSPECT_TEST_H */
