// SPDX-License-Identifier: BSD-2-Clause
/* The inspectors' tests: the table of protocols, and the checks every protocol's results pass,
 * for test_inspect.c, the protocols' files and the fuzzer. */
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

/* Where tests/fixtures/inspect/capture.sh wrote the payloads; tests run from the top directory.
 * INSPECT_FIXTURES overrides it. */
#define FIXTURE_DIR "tests/fixtures/inspect"
#define FIXTURE_MAX 4096

extern const struct inspect_test inspect_test_tls, inspect_test_http, inspect_test_dns,
	inspect_test_ssh, inspect_test_quic, inspect_test_http2, inspect_test_smtp,
	inspect_test_imap, inspect_test_pop3, inspect_test_ftp, inspect_test_dtls;

const struct inspect_test *const inspect_tests[] = {
	&inspect_test_tls,  &inspect_test_http,	 &inspect_test_dns,  &inspect_test_ssh,
	&inspect_test_quic, &inspect_test_http2, &inspect_test_smtp, &inspect_test_imap,
	&inspect_test_pop3, &inspect_test_ftp,	 &inspect_test_dtls,
};

const size_t inspect_tests_len = sizeof(inspect_tests) / sizeof(inspect_tests[0]);

uint8_t *load(const char *file, size_t *len)
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

uint8_t *dup_exact(const void *p, size_t len)
{
	uint8_t *b = malloc(len ? len : 1);

	assert_non_null(b);
	if (len)
		memcpy(b, p, len);
	return b;
}

size_t put(uint8_t *m, size_t at, const void *p, size_t n)
{
	memcpy(m + at, p, n);
	return at + n;
}

void check_text(const char *what, const char *s, size_t size)
{
	size_t i;

	for (i = 0; i < size && s[i]; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			fail_msg("%s has byte 0x%02x at %zu", what, (uint8_t)s[i], i);
	if (i == size)
		fail_msg("%s is not NUL-terminated", what);
}

const struct inspect_test *inspect_test_of(enum inspect_proto proto)
{
	size_t i;

	for (i = 0; i < inspect_tests_len; i++)
		if (inspect_tests[i]->proto == proto)
			return inspect_tests[i];
	return NULL;
}

/* A field's text in r. */
static const char *field_text(const struct inspect_result *r, const struct inspect_field *f)
{
	return (const char *)r + f->offset;
}

/* A number field's value in r. */
static uint64_t field_num(const struct inspect_result *r, const struct inspect_field *f)
{
	union {
		uint8_t u8;
		uint16_t u16;
		uint32_t u32;
		uint64_t u64;
	} v;

	if (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8)
		fail_msg("%s: a number of %zu bytes", f->name, f->size);
	memcpy(&v, (const unsigned char *)r + f->offset, f->size);
	return f->size == 1 ? v.u8 : f->size == 2 ? v.u16 : f->size == 4 ? v.u32 : v.u64;
}

void check_result_sane(const struct inspect_result *r)
{
	static const struct inspect_result none = { .proto = INSPECT_NONE, .encrypted = -1 };
	const struct inspect_field *f;
	const struct inspect_test *t;
	size_t i, j;

	check_text("info", r->info, sizeof(r->info));
	for (i = 0; i < inspect_tests_len; i++) {
		for (j = 0; j < inspect_tests[i]->n_fields; j++) {
			f = &inspect_tests[i]->fields[j];
			if (f->text)
				check_text(f->name, field_text(r, f), f->size);
		}
	}
	if (r->proto == INSPECT_NONE) {
		if (memcmp(r, &none, sizeof(*r)))
			fail_msg("a result that recognised nothing is not cleared");
		return;
	}
	t = inspect_test_of(r->proto);
	if (!t)
		fail_msg("proto %d", r->proto);
	assert_int_equal(r->encrypted, t->encrypted);
}

void check_text_cut(const char *file, size_t cut, const char *what, const char *c, const char *w)
{
	if (!strcmp(c, w) || !c[0])
		return;
	fail_msg("%s cut at %zu: %s \"%s\", whole \"%s\"", file, cut, what, c, w);
}

void check_num_cut(const char *file, size_t cut, const char *what, uint64_t c, uint64_t w)
{
	if (c != w && c != 0)
		fail_msg("%s cut at %zu: %s %llu, whole %llu", file, cut, what,
			 (unsigned long long)c, (unsigned long long)w);
}

void check_cut_fields(const char *file, size_t cut, const struct inspect_result *c,
		      const struct inspect_result *w)
{
	const struct inspect_field *f;
	const struct inspect_test *t;
	size_t i, j;

	check_num_cut(file, cut, "authorization", c->authorization, w->authorization);
	for (i = 0; i < inspect_tests_len; i++) {
		t = inspect_tests[i];
		for (j = 0; j < t->n_fields; j++) {
			f = &t->fields[j];
			if (f->text)
				check_text_cut(file, cut, f->name, field_text(c, f),
					       field_text(w, f));
			else
				check_num_cut(file, cut, f->name, field_num(c, f), field_num(w, f));
		}
		if (t->check_cut)
			t->check_cut(file, cut, c, w);
	}
}

enum inspect_proto run(const void *p, size_t len, uint8_t l4proto, uint16_t sport, uint16_t dport,
		       struct inspect_result *r)
{
	uint8_t *b = dup_exact(p, len);
	enum inspect_proto proto = inspect_payload(b, len, l4proto, sport, dport, r);

	free(b);
	check_result_sane(r);
	return proto;
}
