/* SPDX-License-Identifier: BSD-2-Clause */
/* Values for people (human bytes, ISO 8601 times) and the times they type. */
#ifndef FMT_H
#define FMT_H

#include <stddef.h>
#include <stdint.h>

/* Big enough for every string the fmt_* functions write. */
#define FMT_BUF_SIZE 48

/*
 * Writes n bytes in binary units into buf: "0 B", "1023 B", "1.0 KiB",
 * "1.5 MiB", ... up to EiB, one decimal from KiB on (rounded half up, so
 * 1535 is "1.5 KiB" and 1536 "1.5 KiB", 1587 "1.5 KiB", 1588 "1.6 KiB").
 * Negative n gets a leading '-'. Returns buf.
 */
char *fmt_bytes(char *buf, size_t size, int64_t n);

/*
 * Writes us (microseconds since the Unix epoch) as ISO 8601 UTC into buf:
 * "2026-11-22T14:03:07Z" with digits 0, "...07.123Z" with 3, "...07.123456Z"
 * with 6 (truncated, not rounded). Times before 1970 work too
 * ("1969-12-31T23:59:59.999Z" is -1000 us), and so do years beyond four
 * digits at the ends of int64_t ("294247-01-10T04:00:54Z", a '-' before
 * year 0, as GNU date writes them). Returns buf.
 */
char *fmt_time(char *buf, size_t size, int64_t us, int digits);

/* Writes us as "@SECONDS.MICROS", six fraction digits, with a '-' before
 * 1970 ("@-1.500000" is 1.5 s before the epoch): a time as a parameter
 * that fmt_parse_time() reads back exactly, INT64_MIN and INT64_MAX
 * included. Returns buf. */
char *fmt_epoch(char *buf, size_t size, int64_t us);

/* a - b, saturated at INT64_MIN or INT64_MAX where it would overflow: a
 * window's bound or span past the ends of int64_t stays at the end rather
 * than wrapping (signed overflow is undefined behaviour in C). */
static inline int64_t fmt_sub_sat(int64_t a, int64_t b)
{
	int64_t v;

	if (__builtin_sub_overflow(a, b, &v))
		return b > 0 ? INT64_MIN : INT64_MAX;
	return v;
}

/*
 * Writes a span of us microseconds compactly into buf: "0s", "850ms",
 * "45.2s" (one decimal under a minute, none from 10 s on: "12s"),
 * "2m05s", "1h02m", "3d04h". Negative spans get a leading '-'. Returns buf.
 */
char *fmt_duration(char *buf, size_t size, int64_t us);

/*
 * Parses a point in time into *us (microseconds since the epoch, UTC):
 *  - "now": now_us;
 *  - a duration back from now_us, as units_parse_duration() reads it
 *    ("90s", "15m", "2h", "7d");
 *  - ISO 8601: "2026-11-22", "2026-11-22T14:00", "2026-11-22T14:00:05",
 *    "2026-11-22T14:00:05.25", with ' ' allowed for 'T', then optionally
 *    "Z" or an offset "+01:00"/"-0530" (none means UTC);
 *  - "@" then seconds since the epoch, e.g. "@1795356000" (fraction and a
 *    '-' before 1970 allowed, down to INT64_MIN microseconds).
 * Returns 0, or -EINVAL for anything else (including an impossible date
 * such as 2026-02-30 or hour 24).
 */
int fmt_parse_time(const char *s, int64_t now_us, int64_t *us);

#endif /* FMT_H */
