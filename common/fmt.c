// SPDX-License-Identifier: BSD-2-Clause
/* Values for people (human bytes, ISO 8601 times) and the times they type. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "fmt.h"
#include "units.h"

/* Signed, unlike units.h's USEC_PER_SEC: times before 1970 are negative. */
#define USEC INT64_C(1000000)
#define SEC_PER_DAY 86400
/* Days in 400 Gregorian years, after which the calendar repeats. */
#define DAYS_PER_400Y 146097
/* The widest UTC offset in use (Line Islands, +14:00), in minutes. */
#define MAX_OFFSET_MIN (14 * 60)
/* From here on a tenth of a second is noise next to the whole seconds. */
#define DURATION_TENTHS_BELOW (10 * USEC)
/* fmt_time() shows at most microseconds, the resolution of the data. */
#define MAX_DIGITS 6

static const char *const byte_units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
#define N_BYTE_UNITS (sizeof(byte_units) / sizeof(byte_units[0]))

/* Days in the months before month m (1-12) of a common year, at index m - 1. */
static const int days_before_month[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };

/* |v| without overflow, INT64_MIN included. */
static uint64_t magnitude(int64_t v)
{
	return v < 0 ? -(uint64_t)v : (uint64_t)v;
}

/* a / b rounded towards minus infinity (b > 0), so that dates before 1970
 * fall on the day they are in rather than the one after. */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

/* Whether year y of the proleptic Gregorian calendar has a 29 February. */
static bool is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* Days in month m (1-12) of year y. */
static int month_days(int64_t y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return days[m - 1] + (m == 2 && is_leap(y));
}

/* Leap years from an arbitrary fixed origin up to, not including, year y;
 * only differences of two calls mean anything. */
static int64_t leaps_before(int64_t y)
{
	return floor_div(y - 1, 4) - floor_div(y - 1, 100) + floor_div(y - 1, 400);
}

/* Days from 1970-01-01 to y-m-d (a valid date), negative before. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	return 365 * (y - 1970) + leaps_before(y) - leaps_before(1970) + days_before_month[m - 1] +
	       (m > 2 && is_leap(y)) + d - 1;
}

/* The date days after 1970-01-01 (before it when negative) into *y, *m
 * and *d. The year is first guessed from the mean Gregorian year, which is
 * off by at most one, then settled by counting forward from 1 January. */
static void civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t year = 1970 + floor_div(days * 400, DAYS_PER_400Y);
	int doy, month;

	while (days_from_civil(year + 1, 1, 1) <= days)
		year++;
	while (days_from_civil(year, 1, 1) > days)
		year--;
	doy = (int)(days - days_from_civil(year, 1, 1));
	for (month = 12; doy < days_before_month[month - 1] + (month > 2 && is_leap(year)); month--)
		;
	*y = year;
	*m = month;
	*d = doy - days_before_month[month - 1] - (month > 2 && is_leap(year)) + 1;
}

/* Writes n as "<n> B" under 1 KiB, else in the smallest binary unit that
 * keeps the rounded value under 1024.0 (so 1048575 is "1.0 MiB", not
 * "1024.0 KiB"), one decimal, half up. Returns buf. */
char *fmt_bytes(char *buf, size_t size, int64_t n)
{
	const char *sign = n < 0 ? "-" : "";
	uint64_t m = magnitude(n), whole, rest, tenths;
	unsigned int i, shift;

	if (m < 1024) {
		snprintf(buf, size, "%s%" PRIu64 " B", sign, m);
		return buf;
	}
	for (i = 0;; i++) {
		shift = 10 * (i + 1);
		/* Whole units and the rest apart, as m * 10 could overflow; the
		 * rest is below 2^60, so ten times it plus a half still fits. */
		whole = m >> shift;
		rest = m & ((UINT64_C(1) << shift) - 1);
		tenths = whole * 10 + ((rest * 10 + (UINT64_C(1) << (shift - 1))) >> shift);
		if (tenths < 10240 || i + 1 == N_BYTE_UNITS)
			break;
	}
	snprintf(buf, size, "%s%" PRIu64 ".%" PRIu64 " %s", sign, tenths / 10, tenths % 10,
		 byte_units[i]);
	return buf;
}

/* Writes us as "YYYY-MM-DDTHH:MM:SS[.f]Z" with digits (0-6; less is 0, more
 * is 6) fraction digits, truncated towards the past so a time never shows
 * later than it is. Returns buf. */
char *fmt_time(char *buf, size_t size, int64_t us, int digits)
{
	int64_t secs = us / USEC, frac = us % USEC, days, sod, year;
	char fraction[MAX_DIGITS + 2] = "";
	int month, day, i;

	if (frac < 0) {
		frac += USEC;
		secs--;
	}
	days = floor_div(secs, SEC_PER_DAY);
	sod = secs - days * SEC_PER_DAY;
	civil_from_days(days, &year, &month, &day);
	if (digits > MAX_DIGITS)
		digits = MAX_DIGITS;
	if (digits > 0) {
		/* All six digits, then cut: truncation, not rounding. */
		fraction[0] = '.';
		for (i = MAX_DIGITS; i > 0; i--) {
			fraction[i] = (char)('0' + frac % 10);
			frac /= 10;
		}
		fraction[digits + 1] = '\0';
	}
	/* The sign apart, so that year -5 is "-0005", not "-005". */
	snprintf(buf, size, "%s%04" PRIu64 "-%02d-%02dT%02d:%02d:%02d%sZ", year < 0 ? "-" : "",
		 magnitude(year), month, day, (int)(sod / 3600), (int)(sod / 60 % 60),
		 (int)(sod % 60), fraction);
	return buf;
}

/* Writes "@" and us in seconds, sign and magnitude apart: us / USEC and
 * us % USEC would both be negative before 1970, "@-1.-500000". Returns
 * buf. */
char *fmt_epoch(char *buf, size_t size, int64_t us)
{
	uint64_t m = magnitude(us);

	snprintf(buf, size, "@%s%" PRIu64 ".%06" PRIu64, us < 0 ? "-" : "", m / USEC, m % USEC);
	return buf;
}

/* Writes the span us with the largest unit first, every part truncated
 * (never rounded up into the next unit): "0s", "850ms" (under 1 ms is
 * "0ms"), "4.5s" under 10 s, "45s" under a minute, "2m05s", "1h02m",
 * "3d04h". Returns buf. */
char *fmt_duration(char *buf, size_t size, int64_t us)
{
	const char *sign = us < 0 ? "-" : "";
	uint64_t m = magnitude(us), s = m / USEC;

	if (!m)
		snprintf(buf, size, "0s");
	else if (m < (uint64_t)USEC)
		snprintf(buf, size, "%s%" PRIu64 "ms", sign, m / 1000);
	else if (m < (uint64_t)DURATION_TENTHS_BELOW)
		snprintf(buf, size, "%s%" PRIu64 ".%" PRIu64 "s", sign, s, m / (USEC / 10) % 10);
	else if (s < 60)
		snprintf(buf, size, "%s%" PRIu64 "s", sign, s);
	else if (s < 3600)
		snprintf(buf, size, "%s%" PRIu64 "m%02" PRIu64 "s", sign, s / 60, s % 60);
	else if (s < SEC_PER_DAY)
		snprintf(buf, size, "%s%" PRIu64 "h%02" PRIu64 "m", sign, s / 3600, s / 60 % 60);
	else
		snprintf(buf, size, "%s%" PRIu64 "d%02" PRIu64 "h", sign, s / SEC_PER_DAY,
			 s / 3600 % 24);
	return buf;
}

/* Whether c is an ASCII digit; isdigit() would follow the locale. */
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads exactly n digits at *p into *v and moves *p past them. Returns
 * false, leaving *p, when fewer than n digits are there. */
static bool get_digits(const char **p, int n, int *v)
{
	int i, x = 0;

	for (i = 0; i < n; i++) {
		if (!is_digit((*p)[i]))
			return false;
		x = x * 10 + (*p)[i] - '0';
	}
	*p += n;
	*v = x;
	return true;
}

/* Moves *p past c when it is next. Returns whether it was. */
static bool expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* Reads the digits of a fraction of a second at *p (one at least) into *us,
 * truncating past microseconds, and moves *p past all of them. Returns
 * false when there is no digit. */
static bool get_fraction(const char **p, int64_t *us)
{
	int64_t scale = USEC, v = 0;

	if (!is_digit(**p))
		return false;
	for (; is_digit(**p); (*p)++) {
		/* Past microseconds scale is 0: the digits are truncated. */
		scale /= 10;
		v += (**p - '0') * scale;
	}
	*us = v;
	return true;
}

/* Reads an optional zone at *p: nothing or "Z" (UTC), or "+HH:MM", "+HHMM",
 * "-HH:MM", "-HHMM" up to 14 hours, into *min, minutes east of UTC. Returns
 * false for a malformed or impossible offset. */
static bool get_zone(const char **p, int *min)
{
	int sign, h, m;

	*min = 0;
	if (expect(p, 'Z'))
		return true;
	if (**p != '+' && **p != '-')
		return true;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (!get_digits(p, 2, &h))
		return false;
	expect(p, ':');
	if (!get_digits(p, 2, &m) || m > 59 || h * 60 + m > MAX_OFFSET_MIN)
		return false;
	*min = sign * (h * 60 + m);
	return true;
}

/* Parses the whole of s as an ISO 8601 date, optionally followed by a time:
 * hours and minutes, then optionally seconds, after which a fraction may
 * follow, then optionally a zone. A zone needs a time, as ISO 8601 has no
 * zone on a bare date. Returns 0 or -EINVAL. */
static int parse_iso(const char *s, int64_t *us)
{
	int year, month, day, hour = 0, min = 0, sec = 0, offset = 0;
	int64_t frac = 0, secs;
	const char *p = s;

	if (!get_digits(&p, 4, &year) || !expect(&p, '-') || !get_digits(&p, 2, &month) ||
	    !expect(&p, '-') || !get_digits(&p, 2, &day))
		return -EINVAL;
	if (month < 1 || month > 12 || day < 1 || day > month_days(year, month))
		return -EINVAL;
	if (expect(&p, 'T') || expect(&p, ' ')) {
		if (!get_digits(&p, 2, &hour) || !expect(&p, ':') || !get_digits(&p, 2, &min))
			return -EINVAL;
		if (expect(&p, ':')) {
			if (!get_digits(&p, 2, &sec))
				return -EINVAL;
			if (expect(&p, '.') && !get_fraction(&p, &frac))
				return -EINVAL;
		}
		/* No leap seconds: the data has none, being Unix times. */
		if (hour > 23 || min > 59 || sec > 59 || !get_zone(&p, &offset))
			return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	secs = days_from_civil(year, month, day) * SEC_PER_DAY + hour * 3600 + min * 60 + sec -
	       offset * 60;
	*us = secs * USEC + frac;
	return 0;
}

/* Parses what follows the '@' of "@SECONDS[.FRACTION]", the whole of s,
 * with an optional '-' for times before 1970. The magnitude is summed
 * unsigned, as INT64_MIN's has no int64_t. Returns 0, or -EINVAL when
 * malformed or out of int64_t microseconds. */
static int parse_epoch(const char *s, int64_t *us)
{
	bool neg = expect(&s, '-');
	uint64_t max = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX, secs = 0, m;
	int64_t frac = 0;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		secs = secs * 10 + (uint64_t)(*s - '0');
		if (secs > max / USEC)
			return -EINVAL;
	}
	if (expect(&s, '.') && !get_fraction(&s, &frac))
		return -EINVAL;
	if (*s)
		return -EINVAL;
	m = secs * USEC;
	if ((uint64_t)frac > max - m)
		return -EINVAL;
	m += (uint64_t)frac;
	/* -(m - 1) - 1 reaches INT64_MIN without an int64_t of 2^63. */
	*us = neg && m ? -(int64_t)(m - 1) - 1 : (int64_t)m;
	return 0;
}

/* Parses a duration ending in a unit as a time that long before now_us.
 * units_parse_duration() also takes a bare number as seconds, but here a
 * bare number is likelier an epoch time missing its '@', so it needs a
 * unit. Returns 0, or -EINVAL also when the result is out of range. */
static int parse_ago(const char *s, int64_t now_us, int64_t *us)
{
	size_t n = strlen(s);
	uint64_t span;
	int64_t v;

	if (!n || is_digit(s[n - 1]) || units_parse_duration(s, &span) || span > INT64_MAX ||
	    __builtin_sub_overflow(now_us, (int64_t)span, &v))
		return -EINVAL;
	*us = v;
	return 0;
}

/* Parses "now", a duration ago, ISO 8601 or "@SECONDS" into *us, leaving
 * it alone on error. Returns 0 or -EINVAL. */
int fmt_parse_time(const char *s, int64_t now_us, int64_t *us)
{
	if (!s)
		return -EINVAL;
	if (!strcmp(s, "now")) {
		*us = now_us;
		return 0;
	}
	if (*s == '@')
		return parse_epoch(s + 1, us);
	if (!parse_iso(s, us))
		return 0;
	return parse_ago(s, now_us, us);
}
