// SPDX-License-Identifier: BSD-2-Clause
/* The shell's human values: bytes, ISO 8601 times, durations, typed times. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "fmt.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define US INT64_C(1000000)
#define DAY INT64_C(86400)
/*
 * 2026-11-22T00:00:00Z in seconds: 1970-2025 are 56 years with 14 leap
 * years (1972, 1976, ..., 2024), so 56 * 365 + 14 = 20454 days to 1 January
 * 2026; January to October add 31+28+31+30+31+30+31+31+30+31 = 304 and the
 * 22nd 21 more: 20779 days (GNU date agrees: date -u -d 2026-11-22 +%s).
 */
#define NOV22 (20779 * DAY)
/* 2024-02-29T00:00:00Z: 54 years 1970-2023 with 13 leap years (1972-2020)
 * make 19723 days, January 31 and February's first 28 days 59 more. */
#define LEAP_DAY (19782 * DAY)

static void test_bytes(void **state)
{
	static const struct {
		int64_t n;
		const char *text;
	} cases[] = {
		{ 0, "0 B" },
		{ 1, "1 B" },
		{ 1023, "1023 B" },
		{ 1024, "1.0 KiB" },
		/* tenths = n * 10 / 1024 rounded half up: 14.99, 15.0, 15.498, 15.508 */
		{ 1535, "1.5 KiB" },
		{ 1536, "1.5 KiB" },
		{ 1587, "1.5 KiB" },
		{ 1588, "1.6 KiB" },
		/* 10239 * 10 / 1024 = 99.99 tenths of KiB */
		{ 10239, "10.0 KiB" },
		/* 1048524 * 10 / 1024 = 10239.49 tenths, 1048525 is 10239.50 which
		 * rounds to 1024.0 KiB and so shows in the next unit */
		{ 1048524, "1023.9 KiB" },
		{ 1048525, "1.0 MiB" },
		{ 1048575, "1.0 MiB" },
		{ 1048576, "1.0 MiB" },
		{ INT64_C(3) << 29, "1.5 GiB" },
		{ INT64_C(5) << 40, "5.0 TiB" },
		{ INT64_C(1) << 50, "1.0 PiB" },
		/* 2^63 - 1 bytes: 8 EiB less one byte */
		{ INT64_MAX, "8.0 EiB" },
		{ -1, "-1 B" },
		{ -1023, "-1023 B" },
		{ -1588, "-1.6 KiB" },
		{ INT64_MIN, "-8.0 EiB" },
	};
	char buf[FMT_BUF_SIZE];
	size_t i;

	for (i = 0; i < N(cases); i++)
		assert_string_equal(fmt_bytes(buf, sizeof(buf), cases[i].n), cases[i].text);
	/* Truncated to the buffer, as snprintf does. */
	assert_string_equal(fmt_bytes(buf, 4, 1024), "1.0");
}

static void test_time(void **state)
{
	static const struct {
		int64_t us;
		int digits;
		const char *text;
	} cases[] = {
		{ 0, 0, "1970-01-01T00:00:00Z" },
		{ 0, 3, "1970-01-01T00:00:00.000Z" },
		{ 0, 6, "1970-01-01T00:00:00.000000Z" },
		/* 12:34:56 is 45296 s into the day */
		{ (LEAP_DAY + 45296) * US + 789012, 0, "2024-02-29T12:34:56Z" },
		{ (LEAP_DAY + 45296) * US + 789012, 3, "2024-02-29T12:34:56.789Z" },
		{ (LEAP_DAY + 45296) * US + 789012, 6, "2024-02-29T12:34:56.789012Z" },
		/* the next day is 1 March */
		{ (LEAP_DAY + DAY) * US, 0, "2024-03-01T00:00:00Z" },
		/* truncated, not rounded up into the next second */
		{ (NOV22 + 50400 + 7) * US + 999999, 3, "2026-11-22T14:00:07.999Z" },
		{ (NOV22 + 50400 + 7) * US + 999999, 0, "2026-11-22T14:00:07Z" },
		/* before 1970 the fraction still counts up from the second before */
		{ -1, 6, "1969-12-31T23:59:59.999999Z" },
		{ -1, 0, "1969-12-31T23:59:59Z" },
		{ -DAY * US, 0, "1969-12-31T00:00:00Z" },
		/* 1960-1969 hold three leap years: 3653 days before 1970 */
		{ -3653 * DAY * US, 0, "1960-01-01T00:00:00Z" },
		/* 1900 is no leap year: 1900-1969 have 17 leap days, 25567 days
		 * in all, of which Jan and Feb 1900 are 59 */
		{ -(25567 - 59) * DAY * US, 0, "1900-03-01T00:00:00Z" },
		/* 2000 is a leap year (divisible by 400): 10957 days to 2000-01-01 */
		{ (10957 + 59) * DAY * US, 0, "2000-02-29T00:00:00Z" },
		/* the ends of int64_t, as GNU date shows @9223372036854 and
		 * @-9223372036855 */
		{ INT64_MAX, 6, "294247-01-10T04:00:54.775807Z" },
		{ INT64_MIN, 6, "-290308-12-21T19:59:05.224192Z" },
		{ INT64_MAX, 3, "294247-01-10T04:00:54.775Z" },
		{ INT64_MIN, 3, "-290308-12-21T19:59:05.224Z" },
		/* a millisecond before 1970, as table mode shows it */
		{ -1000, 3, "1969-12-31T23:59:59.999Z" },
		/* Proleptic Gregorian: 1 January of year 1 is 719162 days before
		 * 1970 (Python: date(1970, 1, 1).toordinal() - 1); year 0 is a
		 * leap year (366 days), -4 too, -5, -3, -2 and -1 not:
		 * -0005-01-01 is 719162 + 366 + 4 * 365 + 366 = 721354 days
		 * before. The sign stands apart from the four digits. */
		{ -721354 * DAY * US, 0, "-0005-01-01T00:00:00Z" },
		{ -(719162 + 366) * DAY * US, 0, "0000-01-01T00:00:00Z" },
		{ -(719162 + 366) * DAY * US - 1, 0, "-0001-12-31T23:59:59Z" },
		/* digits outside 0-6 are clamped */
		{ 123456, 9, "1970-01-01T00:00:00.123456Z" },
		{ 123456, -1, "1970-01-01T00:00:00Z" },
		{ 123456, 1, "1970-01-01T00:00:00.1Z" },
	};
	char buf[FMT_BUF_SIZE];
	size_t i;

	for (i = 0; i < N(cases); i++)
		assert_string_equal(fmt_time(buf, sizeof(buf), cases[i].us, cases[i].digits),
				    cases[i].text);
}

static void test_duration(void **state)
{
	static const struct {
		int64_t us;
		const char *text;
	} cases[] = {
		{ 0, "0s" },
		{ 1, "0ms" },
		{ 1000, "1ms" },
		{ 850000, "850ms" },
		{ 999999, "999ms" },
		{ US, "1.0s" },
		{ 4560000, "4.5s" },
		{ 9999999, "9.9s" },
		{ 10 * US, "10s" },
		{ 45200000, "45s" },
		{ 60 * US - 1, "59s" },
		{ 60 * US, "1m00s" },
		{ 125 * US, "2m05s" },
		{ 3600 * US - 1, "59m59s" },
		{ 3600 * US, "1h00m" },
		{ 3720 * US, "1h02m" },
		{ DAY * US - 1, "23h59m" },
		{ DAY * US, "1d00h" },
		{ (3 * DAY + 4 * 3600) * US, "3d04h" },
		{ -850000, "-850ms" },
		{ -125 * US, "-2m05s" },
		/* 2^63 us is 9223372036854 s: 106751991 days and 14454 s, 4 h */
		{ INT64_MAX, "106751991d04h" },
		{ INT64_MIN, "-106751991d04h" },
	};
	char buf[FMT_BUF_SIZE];
	size_t i;

	for (i = 0; i < N(cases); i++)
		assert_string_equal(fmt_duration(buf, sizeof(buf), cases[i].us), cases[i].text);
}

static void test_parse_absolute(void **state)
{
	static const struct {
		const char *text;
		int64_t us;
	} cases[] = {
		{ "2026-11-22", NOV22 * US },
		/* 14:00 is 50400 s into the day */
		{ "2026-11-22T14:00", (NOV22 + 50400) * US },
		{ "2026-11-22 14:00", (NOV22 + 50400) * US },
		{ "2026-11-22T14:00:05", (NOV22 + 50405) * US },
		{ "2026-11-22T14:00:05.25", (NOV22 + 50405) * US + 250000 },
		{ "2026-11-22T14:00:05.000001", (NOV22 + 50405) * US + 1 },
		/* past microseconds truncated */
		{ "2026-11-22T14:00:05.1234569", (NOV22 + 50405) * US + 123456 },
		{ "2026-11-22T14:00Z", (NOV22 + 50400) * US },
		{ "2026-11-22T14:00:05.5Z", (NOV22 + 50405) * US + 500000 },
		/* 14:00 at +01:00 is 13:00 UTC; at -05:30 it is 19:30 UTC */
		{ "2026-11-22T14:00+01:00", (NOV22 + 50400 - 3600) * US },
		{ "2026-11-22T14:00+0100", (NOV22 + 50400 - 3600) * US },
		{ "2026-11-22T14:00-0530", (NOV22 + 50400 + 19800) * US },
		{ "2026-11-22T14:00:05-05:30", (NOV22 + 50405 + 19800) * US },
		{ "2026-11-22T14:00+14:00", (NOV22 + 50400 - 14 * 3600) * US },
		{ "2026-11-22T14:00-14:00", (NOV22 + 50400 + 14 * 3600) * US },
		{ "2024-02-29", LEAP_DAY * US },
		{ "2000-02-29", (10957 + 59) * DAY * US },
		{ "1970-01-01", 0 },
		{ "1969-12-31T23:59:59", -US },
		{ "1960-01-01", -3653 * DAY * US },
		{ "1900-03-01", -(25567 - 59) * DAY * US },
		/* 1970-9999 are 8030 years with 1947 leap years: 2007 divisible
		 * by 4 less the 60 centuries not divisible by 400 */
		{ "9999-12-31T23:59:59", ((8030 * 365 + 1947) * DAY - 1) * US },
		{ "@0", 0 },
		{ "@1795356000", (NOV22 + 50400) * US },
		{ "@1795356000.5", (NOV22 + 50400) * US + 500000 },
		{ "@1.000001", US + 1 },
		{ "@-1.5", -1500000 },
		/* the last whole second that fits int64_t microseconds */
		{ "@9223372036854", 9223372036854 * US },
		/* the ends of int64_t, as fmt_epoch() writes them */
		{ "@9223372036854.775807", INT64_MAX },
		{ "@-9223372036854.775808", INT64_MIN },
		{ "@-9223372036854.775807", INT64_MIN + 1 },
		{ "@-0.000001", -1 },
		{ "@-0", 0 },
	};
	int64_t us;
	size_t i;

	for (i = 0; i < N(cases); i++) {
		us = -42;
		assert_int_equal(fmt_parse_time(cases[i].text, 0, &us), 0);
		assert_int_equal(us, cases[i].us);
	}
}

static void test_parse_relative(void **state)
{
	const int64_t now = (NOV22 + 50400) * US + 123;
	static const struct {
		const char *text;
		int64_t ago;
	} cases[] = {
		{ "90s", 90 * US },	{ "15m", 900 * US },	{ "2h", 7200 * US },
		{ "7d", 7 * DAY * US }, { "1w", 7 * DAY * US }, { "250ms", 250000 },
	};
	int64_t us;
	size_t i;

	for (i = 0; i < N(cases); i++) {
		assert_int_equal(fmt_parse_time(cases[i].text, now, &us), 0);
		assert_int_equal(us, now - cases[i].ago);
	}
	assert_int_equal(fmt_parse_time("now", now, &us), 0);
	assert_int_equal(us, now);
	/* Absolute times do not depend on now. */
	assert_int_equal(fmt_parse_time("2026-11-22", now, &us), 0);
	assert_int_equal(us, NOV22 * US);
	/* Too far back for int64_t. */
	assert_int_equal(fmt_parse_time("1w", INT64_MIN + 1, &us), -EINVAL);
}

/* fmt_epoch() writes what fmt_parse_time() reads back exactly, before
 * 1970 and at the ends of int64_t too. */
static void test_epoch(void **state)
{
	static const struct {
		int64_t us;
		const char *text;
	} cases[] = {
		{ 0, "@0.000000" },
		{ 1, "@0.000001" },
		{ -1, "@-0.000001" },
		{ -1500000, "@-1.500000" },
		{ -2 * US, "@-2.000000" },
		{ (NOV22 + 50400) * US + 250000, "@1795356000.250000" },
		{ INT64_MAX, "@9223372036854.775807" },
		{ INT64_MIN, "@-9223372036854.775808" },
		{ INT64_MIN + 1, "@-9223372036854.775807" },
	};
	char buf[FMT_BUF_SIZE];
	int64_t us, v = INT64_MIN;
	size_t i;

	for (i = 0; i < N(cases); i++) {
		assert_string_equal(fmt_epoch(buf, sizeof(buf), cases[i].us), cases[i].text);
		assert_int_equal(fmt_parse_time(buf, 0, &us), 0);
		assert_int_equal(us, cases[i].us);
	}
	/* Round trips across the range, both signs, varied fractions: about
	 * 4096 steps from INT64_MIN until the next would leave int64_t. */
	do {
		fmt_epoch(buf, sizeof(buf), v);
		assert_int_equal(fmt_parse_time(buf, 0, &us), 0);
		assert_int_equal(us, v);
	} while (!__builtin_add_overflow(v, INT64_MAX / 2048 + 7919, &v));
}

/* fmt_sub_sat() saturates where a - b leaves int64_t. */
static void test_sub_sat(void **state)
{
	assert_int_equal(fmt_sub_sat(5, 7), -2);
	assert_int_equal(fmt_sub_sat(INT64_MAX, INT64_MIN), INT64_MAX);
	assert_int_equal(fmt_sub_sat(INT64_MIN, 1), INT64_MIN);
	assert_int_equal(fmt_sub_sat(INT64_MIN, 24 * 3600 * US), INT64_MIN);
	assert_int_equal(fmt_sub_sat(INT64_MAX, -1), INT64_MAX);
	assert_int_equal(fmt_sub_sat(-1, INT64_MAX), INT64_MIN);
	assert_int_equal(fmt_sub_sat(0, INT64_MIN), INT64_MAX);
}

static void test_parse_rejected(void **state)
{
	static const char *const bad[] = {
		"",
		"yesterday",
		"Now",
		"now ",
		" now",
		"now-5m",
		/* impossible dates */
		"2026-02-29",
		"2026-02-30",
		"1900-02-29",
		"2100-02-29",
		"2026-04-31",
		"2026-13-01",
		"2026-00-10",
		"2026-01-00",
		"2026-01-32",
		/* impossible times */
		"2026-11-22T24:00",
		"2026-11-22T23:60",
		"2026-11-22T23:59:60",
		"2026-11-22T23:59:61",
		/* offsets beyond 14 h or with bad minutes */
		"2026-11-22T14:00+14:01",
		"2026-11-22T14:00-15:00",
		"2026-11-22T14:00+01:60",
		"2026-11-22T14:00+01",
		"2026-11-22T14:00+1:00",
		"2026-11-22T14:00+01:0",
		/* malformed */
		"26-11-22",
		"2026-1-22",
		"2026-11-2",
		"2026/11/22",
		"2026-11-22T",
		"2026-11-22T14",
		"2026-11-22T14:0",
		"2026-11-22T14:00:5",
		"2026-11-22T14:00:05.",
		"2026-11-22T14:00:05,25",
		"2026-11-22T14:00.5",
		"2026-11-22t14:00",
		"2026-11-22T14:00z",
		"2026-11-22Z",
		"2026-11-22+01:00",
		/* trailing junk */
		"2026-11-22x",
		"2026-11-22 ",
		"2026-11-22T14:00 ",
		"2026-11-22T14:00Zjunk",
		"2026-11-22T14:00+01:00:00",
		" 2026-11-22",
		/* epoch seconds */
		"@",
		"@-",
		"@abc",
		"@12x",
		"@1.",
		"@.5",
		"@ 1",
		"@+1",
		"@1e9",
		"@9223372036855",
		"@9223372036854.9",
		"@9223372036854.775808",
		"@-9223372036854.775809",
		"@-9223372036855",
		"@99999999999999999999999",
		/* durations */
		"0s",
		"-5m",
		"1.5h",
		"5x",
		"5 m",
		/* a bare number is not taken as seconds ago */
		"45",
		"1795356000",
		/* beyond int64_t */
		"99999999999999999999s",
	};
	int64_t us = 7;
	size_t i;

	for (i = 0; i < N(bad); i++) {
		if (fmt_parse_time(bad[i], 0, &us) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(us, 7);
	}
	assert_int_equal(fmt_parse_time(NULL, 0, &us), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),	       cmocka_unit_test(test_time),
		cmocka_unit_test(test_duration),       cmocka_unit_test(test_parse_absolute),
		cmocka_unit_test(test_parse_relative), cmocka_unit_test(test_parse_rejected),
		cmocka_unit_test(test_epoch),	       cmocka_unit_test(test_sub_sat),
	};

	return cmocka_run_group_tests_name("sh_fmt", tests, NULL, NULL);
}
