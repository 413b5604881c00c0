// SPDX-License-Identifier: BSD-2-Clause
/* The control socket's messages: requests and replies both ways, and what
 * a hostile peer may send (long lines, NULs, bad escapes, ragged rows). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ctlproto.h"

/* Decodes line (a C string) and returns the result, why in why. */
static int decode(const char *line, struct ctl_request *req, char *why)
{
	return ctlproto_decode_request(line, strlen(line), req, why, 256);
}

static void test_request_round_trip(void **state)
{
	struct ctl_request in = { .cmd = CTL_BLOCK_ADD,
				  .side = CTL_SIDE_DST,
				  .for_us = 3600000000 },
			   out;
	char line[CTLPROTO_LINE_MAX], why[256];
	int n, c, b;

	strcpy(in.net_text, "2001:db8::/32");
	/* Every printable byte, spaces and '%' included, survives. */
	for (b = ' ', n = 0; b <= '~' && n < CTLPROTO_REASON_MAX - 1; b++)
		in.reason[n++] = (char)b;
	in.reason[n] = '\0';
	n = ctlproto_encode_request(&in, line, sizeof(line));
	assert_true(n > 0);
	assert_int_equal(line[n - 1], '\n');
	assert_null(memchr(line, '\n', (size_t)n - 1));
	assert_int_equal(ctlproto_decode_request(line, (size_t)n - 1, &out, why, sizeof(why)), 0);
	assert_int_equal(out.cmd, CTL_BLOCK_ADD);
	assert_int_equal(out.side, CTL_SIDE_DST);
	assert_int_equal(out.for_us, 3600000000ULL);
	assert_string_equal(out.net_text, "2001:db8::/32");
	assert_int_equal(out.net.bits, 32);
	assert_string_equal(out.reason, in.reason);

	/* The exact wire form, which both ends and the man page show. */
	memset(&in, 0, sizeof(in));
	in.cmd = CTL_BLOCK_ADD;
	in.side = CTL_SIDE_SRC;
	strcpy(in.net_text, "10.0.0.0/8");
	strcpy(in.reason, "noisy scanner 100%");
	assert_int_equal(ctlproto_encode_request(&in, line, sizeof(line)), 66);
	assert_string_equal(line,
			    "block-add net=10.0.0.0/8 side=src reason=noisy%20scanner%20100%25\n");

	for (c = CTL_BLOCK_LIST; c <= CTL_ALERTS; c++) {
		memset(&in, 0, sizeof(in));
		in.cmd = (enum ctl_cmd)c;
		n = ctlproto_encode_request(&in, line, sizeof(line));
		assert_int_equal(n, (int)strlen(ctlproto_verb(in.cmd)) + 1);
		assert_int_equal(
			ctlproto_decode_request(line, (size_t)n - 1, &out, why, sizeof(why)), 0);
		assert_int_equal(out.cmd, c);
		/* alerts without n= asks for the default; the others have none. */
		assert_int_equal(out.n, c == CTL_ALERTS ? CTLPROTO_ALERTS_DEFAULT : 0);
	}
	/* alerts with its count, at both ends of its range. */
	memset(&in, 0, sizeof(in));
	in.cmd = CTL_ALERTS;
	in.n = 1;
	assert_int_equal(ctlproto_encode_request(&in, line, sizeof(line)), 11);
	assert_string_equal(line, "alerts n=1\n");
	assert_int_equal(ctlproto_decode_request(line, 10, &out, why, sizeof(why)), 0);
	assert_int_equal(out.cmd, CTL_ALERTS);
	assert_int_equal(out.n, 1);
	in.n = CTLPROTO_ALERTS_MAX;
	n = ctlproto_encode_request(&in, line, sizeof(line));
	assert_string_equal(line, "alerts n=1000\n");
	assert_int_equal(ctlproto_decode_request(line, (size_t)n - 1, &out, why, sizeof(why)), 0);
	assert_int_equal(out.n, CTLPROTO_ALERTS_MAX);
	/* A count written with an escape is the same count. */
	assert_int_equal(decode("alerts n=%31%30", &out, why), 0);
	assert_int_equal(out.n, 10);
	assert_int_equal(decode("block-del net=192.0.2.7 side=src", &out, why), 0);
	assert_int_equal(out.net.bits, 32);
}

static void test_request_refused_encoding(void **state)
{
	struct ctl_request in = { .cmd = CTL_BLOCK_ADD, .side = CTL_SIDE_SRC };
	char line[CTLPROTO_LINE_MAX];

	strcpy(in.net_text, "10.0.0.0/33");
	assert_int_equal(ctlproto_encode_request(&in, line, sizeof(line)), -EINVAL);
	/* More alerts than a reply carries: decoding would refuse it. */
	{
		struct ctl_request alerts = { .cmd = CTL_ALERTS, .n = CTLPROTO_ALERTS_MAX + 1 };

		assert_int_equal(ctlproto_encode_request(&alerts, line, sizeof(line)), -EINVAL);
		alerts.n = UINT32_MAX;
		assert_int_equal(ctlproto_encode_request(&alerts, line, sizeof(line)), -EINVAL);
		alerts.n = 7;
		assert_int_equal(ctlproto_encode_request(&alerts, line, 10), -ENAMETOOLONG);
	}
	strcpy(in.net_text, "10.0.0.0/8");
	strcpy(in.reason, "tab\there");
	assert_int_equal(ctlproto_encode_request(&in, line, sizeof(line)), -EINVAL);
	in.reason[0] = '\0';
	in.side = 0;
	assert_int_equal(ctlproto_encode_request(&in, line, sizeof(line)), -EINVAL);
	in.side = CTL_SIDE_SRC;
	assert_int_equal(ctlproto_encode_request(&in, line, 10), -ENAMETOOLONG);
	in.cmd = 0;
	assert_int_equal(ctlproto_encode_request(&in, line, sizeof(line)), -EINVAL);
}

static void test_request_hostile(void **state)
{
	static const struct {
		const char *line, *why;
	} bad[] = {
		{ "", "unknown command ''" },
		{ "stop", "unknown command 'stop'" },
		{ "status ", "words are separated by one space" },
		{ "status x=1", "status takes no arguments" },
		{ "block-list net=10.0.0.0/8", "block-list takes no arguments" },
		{ "block-add", "block-add needs net= and side=" },
		{ "block-add net=10.0.0.0/8", "block-add needs net= and side=" },
		{ "block-add  net=10.0.0.0/8 side=src", "words are separated by one space" },
		{ "block-add net=10.0.0.0/8 side=src ", "words are separated by one space" },
		{ "block-add net=10.0.0.0/8 side=up", "side is src or dst, not 'up'" },
		{ "block-add net=10.0.0.0/8 net=10.0.0.0/8 side=src", "key net given twice" },
		{ "block-add net=10.0.0.0/8 side=src colour=red",
		  "unknown key 'colour' for block-add" },
		{ "block-del net=10.0.0.0/8 side=src for=1", "unknown key 'for' for block-del" },
		{ "block-add net side=src", "key net without a value" },
		{ "block-add net=10.0.0.0/33 side=src", "not a network: '10.0.0.0/33'" },
		{ "block-add net=10.0.0.0%2F8 side=src for=0",
		  "for is a positive number of microseconds" },
		{ "block-add net=10.0.0.0/8 side=src for=01",
		  "for is a positive number of microseconds" },
		{ "block-add net=10.0.0.0/8 side=src for=18446744073709551616",
		  "for is a positive number of microseconds" },
		{ "block-add net=10.0.0.0/8 side=src reason=%00x",
		  "bad value of reason (a bad %-escape or a NUL)" },
		{ "block-add net=10.0.0.0/8 side=src reason=%4",
		  "bad value of reason (a bad %-escape or a NUL)" },
		{ "block-add net=10.0.0.0/8 side=src reason=%zz",
		  "bad value of reason (a bad %-escape or a NUL)" },
		{ "block-add net=10.0.0.0/8 side=src reason=%0A",
		  "reason is printable ASCII of 127 bytes at most" },
		{ "block-add net=10.0.0.0/8 side=src reason=%C3%A9",
		  "reason is printable ASCII of 127 bytes at most" },
		{ "alerts ", "words are separated by one space" },
		{ "alerts  n=1", "words are separated by one space" },
		{ "alerts n=0", "n is a number of alerts from 1 to 1000" },
		{ "alerts n=1001", "n is a number of alerts from 1 to 1000" },
		{ "alerts n=01", "n is a number of alerts from 1 to 1000" },
		{ "alerts n=-1", "n is a number of alerts from 1 to 1000" },
		{ "alerts n=+5", "n is a number of alerts from 1 to 1000" },
		{ "alerts n=1.5", "n is a number of alerts from 1 to 1000" },
		{ "alerts n=", "n is a number of alerts from 1 to 1000" },
		{ "alerts n=%20", "n is a number of alerts from 1 to 1000" },
		{ "alerts n=4294967297", "n is a number of alerts from 1 to 1000" },
		{ "alerts n=18446744073709551617", "n is a number of alerts from 1 to 1000" },
		{ "alerts n=99999999999999999999999999999999",
		  "n is a number of alerts from 1 to 1000" },
		{ "alerts n=%00", "bad value of n (a bad %-escape or a NUL)" },
		{ "alerts n", "key n without a value" },
		{ "alerts n=1 n=2", "key n given twice" },
		{ "alerts net=10.0.0.0/8", "unknown key 'net' for alerts" },
		{ "alerts reason=x", "unknown key 'reason' for alerts" },
		{ "block-add net=10.0.0.0/8 side=src n=5", "unknown key 'n' for block-add" },
		{ "block-list n=5", "block-list takes no arguments" },
		{ "status n=5", "status takes no arguments" },
		{ "alert", "unknown command 'alert'" },
		{ "alertsx", "unknown command 'alertsx'" },
	};
	struct ctl_request req;
	char why[256], line[2 * CTLPROTO_LINE_MAX];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(decode(bad[i].line, &req, why), -EINVAL);
		if (strcmp(why, bad[i].why))
			fail_msg("'%s': '%s', not '%s'", bad[i].line, why, bad[i].why);
	}
	/* A NUL, a raw tab, a byte above 0x7e: said with its offset. */
	assert_int_equal(ctlproto_decode_request("status\0x", 8, &req, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "request holds byte 0x00 at 6: not printable ASCII");
	assert_int_equal(decode("block-add\tnet=1.2.3.4", &req, why), -EINVAL);
	assert_string_equal(why, "request holds byte 0x09 at 9: not printable ASCII");
	assert_int_equal(decode("status\xff", &req, why), -EINVAL);
	assert_string_equal(why, "request holds byte 0xff at 6: not printable ASCII");
	/* A reason of 127 bytes is whole; 128 is refused; a long line too. */
	strcpy(line, "block-add net=1.2.3.4 side=src reason=");
	memset(line + strlen(line), 'r', 127);
	line[38 + 127] = '\0';
	assert_int_equal(decode(line, &req, why), 0);
	assert_int_equal(strlen(req.reason), 127);
	strcat(line, "r");
	assert_int_equal(decode(line, &req, why), -EINVAL);
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(decode(line, &req, why), -EINVAL);
	assert_string_equal(why, "request longer than 1023 bytes");
	/* A network value longer than any network, escaped or not. */
	strcpy(line, "block-add side=src net=");
	memset(line + strlen(line), '1', 600);
	line[23 + 600] = '\0';
	assert_int_equal(decode(line, &req, why), -EINVAL);
	assert_string_equal(
		why,
		"not a network: '111111111111111111111111111111111111111111111111111111111111'");
}

/* Every count around the range, and random words after "n=" from digits,
 * signs and other bytes: accepted exactly when the word is a decimal
 * 1..1000 without a leading zero, which a regular check says here. */
static void test_request_alerts_counts(void **state)
{
	static const char alphabet[] = "0123456789+-. x";
	struct ctl_request req;
	char line[64], why[256], word[8];
	unsigned int n, i, len, k;
	bool want;

	for (n = 0; n <= 2 * CTLPROTO_ALERTS_MAX; n++) {
		snprintf(line, sizeof(line), "alerts n=%u", n);
		assert_int_equal(decode(line, &req, why),
				 n >= 1 && n <= CTLPROTO_ALERTS_MAX ? 0 : -EINVAL);
		if (n >= 1 && n <= CTLPROTO_ALERTS_MAX)
			assert_int_equal(req.n, n);
	}
	srand(17);
	for (i = 0; i < 100000; i++) {
		len = (unsigned int)rand() % 6;
		for (k = 0; k < len; k++)
			word[k] = alphabet[rand() % (sizeof(alphabet) - 1)];
		word[len] = '\0';
		want = len >= 1 && len <= 4 && word[0] >= '1' && word[0] <= '9';
		for (k = 1; want && k < len; k++)
			want = word[k] >= '0' && word[k] <= '9';
		want = want && atoi(word) <= CTLPROTO_ALERTS_MAX;
		snprintf(line, sizeof(line), "alerts n=%s", word);
		if ((decode(line, &req, why) == 0) != want)
			fail_msg("'%s' %s", line, want ? "refused" : "accepted");
		if (want)
			assert_int_equal(req.n, (unsigned int)atoi(word));
	}
}

/* Decodes the reply in s (a C string). */
static int decode_reply(const char *s, struct ctl_table *t, char *why)
{
	return ctlproto_decode_reply(s, strlen(s), t, why, 256);
}

static void test_reply_round_trip(void **state)
{
	static const char *const cols[] = { "name", "value", "note" };
	const char *row1[] = { "tab\there", "100%", NULL };
	const char *row2[] = { "esc\x1b[2J", "", "caf\xc3\xa9 \n" };
	struct ctl_reply r;
	struct ctl_table t;
	const char *bytes;
	char why[256];
	size_t len;

	ctlproto_reply_init(&r);
	assert_int_equal(ctlproto_reply_row(&r, row1), -EINVAL);
	assert_int_equal(ctlproto_reply_columns(&r, 3, cols), 0);
	assert_int_equal(ctlproto_reply_columns(&r, 3, cols), -EINVAL);
	assert_int_equal(ctlproto_reply_row(&r, row1), 0);
	assert_int_equal(ctlproto_reply_row(&r, row2), 0);
	bytes = ctlproto_reply_bytes(&r, &len);
	assert_int_equal(len, strlen(bytes));
	assert_string_equal(bytes, "ok\nname\tvalue\tnote\ntab%09here\t100%25\t\n"
				   "esc%1B[2J\t\tcaf%C3%A9%20%0A\n");
	assert_int_equal(ctlproto_decode_reply(bytes, len, &t, why, sizeof(why)), 0);
	assert_true(t.ok);
	assert_int_equal(t.n_cols, 3);
	assert_int_equal(t.n_rows, 2);
	assert_string_equal(t.cols[2], "note");
	assert_string_equal(t.cells[0], "tab\there");
	assert_string_equal(t.cells[1], "100%");
	assert_null(t.cells[2]);
	assert_string_equal(t.cells[3], "esc\x1b[2J");
	assert_null(t.cells[4]); /* "" travels as no value */
	assert_string_equal(t.cells[5], "caf\xc3\xa9 \n");
	ctlproto_table_free(&t);

	/* An error replaces the table, one printable line whatever it held. */
	ctlproto_reply_error(&r, "no block of %s", "1.2.3.4\n\x1b");
	bytes = ctlproto_reply_bytes(&r, &len);
	assert_string_equal(bytes, "error no block of 1.2.3.4??\n");
	assert_int_equal(ctlproto_reply_row(&r, row1), -EINVAL);
	assert_int_equal(decode_reply(bytes, &t, why), 0);
	assert_false(t.ok);
	assert_string_equal(t.error, "no block of 1.2.3.4??");
	ctlproto_table_free(&t);
	ctlproto_reply_free(&r);

	/* An empty reply is "ok", without a table. */
	ctlproto_reply_init(&r);
	bytes = ctlproto_reply_bytes(&r, &len);
	assert_int_equal(decode_reply(bytes, &t, why), 0);
	assert_true(t.ok);
	assert_int_equal(t.n_cols, 0);
	ctlproto_table_free(&t);
}

static void test_reply_hostile(void **state)
{
	static const struct {
		const char *reply, *why;
	} bad[] = {
		{ "", "a reply without a status line" },
		{ "ok", "a reply without a status line" },
		{ "okay\n", "a reply whose status is neither ok nor error" },
		{ "ok\na\tb\nc\n", "a reply row of 1 fields under 2 columns" },
		{ "ok\na\tb\nc\td\te\n", "a reply row of 3 fields under 2 columns" },
		{ "ok\na\tb\nc\td", "a reply cut short (a line without its end)" },
		{ "ok\na\t\n", "a reply with an empty column name" },
		{ "ok\na b\n", "a field with a bad %-escape, a NUL or a raw byte" },
		{ "ok\na\n%0\n", "a field with a bad %-escape, a NUL or a raw byte" },
		{ "ok\na\n%00\n", "a field with a bad %-escape, a NUL or a raw byte" },
		{ "ok\na\n\xc3\xa9\n", "a field with a bad %-escape, a NUL or a raw byte" },
	};
	struct ctl_table t;
	char why[256], *big;
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(decode_reply(bad[i].reply, &t, why), -EINVAL);
		if (strcmp(why, bad[i].why))
			fail_msg("'%s': '%s', not '%s'", bad[i].reply, why, bad[i].why);
		ctlproto_table_free(&t);
	}
	assert_int_equal(ctlproto_decode_reply("ok\na\nb\0\n", 8, &t, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "a reply holding a NUL byte");
	ctlproto_table_free(&t);
	/* An error message with raw control bytes is made printable. */
	assert_int_equal(decode_reply("error \x1b]0;x\x07\n", &t, why), 0);
	assert_string_equal(t.error, "?]0;x?");
	ctlproto_table_free(&t);
	/* 33 columns: more than any reply has. */
	big = calloc(1, 4096);
	assert_non_null(big);
	strcpy(big, "ok\n");
	for (i = 0, n = 3; i < 33; i++)
		n += (size_t)sprintf(big + n, "%sc%zu", i ? "\t" : "", i);
	strcpy(big + n, "\n");
	assert_int_equal(decode_reply(big, &t, why), -EINVAL);
	assert_string_equal(why, "a reply with more than 32 columns");
	ctlproto_table_free(&t);
	free(big);
}

static void test_reply_limit(void **state)
{
	static const char *const cols[] = { "v" };
	struct ctl_reply r;
	struct ctl_table t;
	char *value = malloc(65536), why[256];
	const char *row[1] = { value }, *bytes;
	size_t len;
	int err = 0, rows = 0;

	assert_non_null(value);
	memset(value, '\n', 65535); /* each byte takes three on the wire */
	value[65535] = '\0';
	ctlproto_reply_init(&r);
	assert_int_equal(ctlproto_reply_columns(&r, 1, cols), 0);
	while (!err) {
		err = ctlproto_reply_row(&r, row);
		rows += !err;
	}
	assert_int_equal(err, -ENOMEM);
	assert_int_equal(rows, CTLPROTO_REPLY_MAX / (3 * 65535 + 1));
	/* Past its size, the reply says so rather than arriving cut. */
	bytes = ctlproto_reply_bytes(&r, &len);
	assert_int_equal(decode_reply(bytes, &t, why), 0);
	assert_string_equal(t.error,
			    "the reply is over 64 MiB or the collector out of memory for it");
	ctlproto_table_free(&t);
	ctlproto_reply_free(&r);
	free(value);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_request_refused_encoding),
		cmocka_unit_test(test_request_hostile),
		cmocka_unit_test(test_request_alerts_counts),
		cmocka_unit_test(test_reply_round_trip),
		cmocka_unit_test(test_reply_hostile),
		cmocka_unit_test(test_reply_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
