// SPDX-License-Identifier: BSD-2-Clause
/* The sanitizer for text shown to people: what it escapes, how, and the
 * message line it writes (as catalog.c's warning uses it). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "safe.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Where the hidden ranges start and end, and their neighbours. */
static void test_hidden(void **state)
{
	static const uint32_t hidden[] = {
		0x00,	 0x1b,	  0x1f,	   0x7f,    0x85,    0x9b,    0x9f,    0xad,
		0x61c,	 0x600,	  0x115f,  0x180e,  0x200b,  0x200d,  0x200e,  0x200f,
		0x2028,	 0x2029,  0x202a,  0x202e,  0x2060,  0x2066,  0x2069,  0x206f,
		0x3164,	 0xfe0f,  0xfeff,  0xfff0,  0xfff9,  0xfffb,  0x110bd, 0x13430,
		0x1343f, 0x1bca0, 0x1d173, 0xe0000, 0xe0001, 0xe0041, 0xe007f, 0xe0fff,
	};
	static const uint32_t shown[] = {
		' ',	'A',	'~',	'\\',	0xa0,	 0xac,	  0xae,	   0xe9,
		0x5ff,	0x606,	0x200a, 0x2010, 0x2027,	 0x202f,  0x205f,  0x2070,
		0x20ac, 0xfe10, 0xfffc, 0xfffd, 0x1f600, 0x13440, 0xe1000, 0x10ffff,
	};
	size_t i;

	for (i = 0; i < N(hidden); i++)
		if (!safe_hidden(hidden[i]))
			fail_msg("U+%04X shows raw", (unsigned int)hidden[i]);
	for (i = 0; i < N(shown); i++)
		if (safe_hidden(shown[i]))
			fail_msg("U+%04X is escaped", (unsigned int)shown[i]);
}

/* Writes s escaped into a string, which the caller frees. */
static char *escaped(const char *s, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	assert_int_equal(safe_fwrite(out, s, n), 0);
	assert_int_equal(fclose(out), 0);
	return text;
}

static void test_escapes(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain C:\\x é 😀", "plain C:\\x é 😀" },
		{ "\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07" },
		{ "a\nflowdb: forged\r\t", "a\\nflowdb: forged\\r\\t" },
		{ "\x7f\xc2\x9b", "\\x7f\\u009b" },
		{ "evil\xe2\x80\xaetxt", "evil\\u202etxt" },
		{ "\xef\xbb\xbf", "\\ufeff" },
		{ "\xf3\xa0\x80\x81", "\\U000e0001" },
		/* Not UTF-8, byte by byte: a lone continuation byte, a cut
		 * sequence, an overlong form, a surrogate, beyond U+10FFFF. */
		{ "\x80", "\\x80" },
		{ "\xe2\x80", "\\xe2\\x80" },
		{ "\xc0\xaf", "\\xc0\\xaf" },
		{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },
		{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },
		{ "\xff", "\\xff" },
	};
	char *text;
	size_t i;

	for (i = 0; i < N(cases); i++) {
		text = escaped(cases[i].in, strlen(cases[i].in));
		assert_string_equal(text, cases[i].out);
		free(text);
	}
	/* NUL is a byte like any: n says where the text ends. */
	text = escaped("a\0b", 3);
	assert_string_equal(text, "a\\x00b");
	free(text);
}

/* The message line: everything formatted is escaped but the final
 * newline, so a forged line stays on the warning's own. */
static void test_fprintf(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	assert_int_equal(safe_fprintf(out, "flowdb: warning: %s: %s; skipped\n",
				      "/e/flows\x1b]0;x\x07\nflowdb: warning: forged.db",
				      "file is not a database\xe2\x80\xae"),
			 0);
	assert_int_equal(safe_fprintf(out, "%s", "two\n\n"), 0);
	assert_int_equal(safe_fprintf(out, "no newline %d", 7), 0);
	assert_int_equal(fclose(out), 0);
	assert_string_equal(text, "flowdb: warning: /e/flows\\x1b]0;x\\x07\\nflowdb: warning: "
				  "forged.db: file is not a database\\u202e; skipped\n"
				  "two\\n\n"
				  "no newline 7");
	free(text);
}

/* A write error is reported. */
static void test_write_error(void **state)
{
	FILE *out = fopen("/dev/full", "w");

	assert_non_null(out);
	assert_int_equal(setvbuf(out, NULL, _IONBF, 0), 0);
	assert_int_equal(safe_fputs(out, "x\x1b"), -EIO);
	assert_int_equal(safe_fprintf(out, "%s\n", "y"), -EIO);
	fclose(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hidden),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_fprintf),
		cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests_name("sh_safe", tests, NULL, NULL);
}
