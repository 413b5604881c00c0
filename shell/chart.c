// SPDX-License-Identifier: BSD-2-Clause
/* Time series as bar charts: text for the terminal, SVG for reports. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "chart.h"
#include "fmt.h"

#define SEC 1000000LL
#define WEEK (7 * 86400 * SEC)
/* The time label of a text chart: "2026-11-22T14:00:00Z". */
#define TEXT_LABEL_WIDTH 20
/* A text bar never gets narrower than this, however small the terminal. */
#define TEXT_BAR_MIN 10
/* The SVG's size and the margins that hold the axis labels, in pixels. */
#define SVG_WIDTH 960
#define SVG_HEIGHT 280
#define SVG_LEFT 76
#define SVG_RIGHT 12
#define SVG_TOP 12
#define SVG_BOTTOM 36
#define SVG_Y_TICKS 4
#define SVG_X_LABELS 8

static const int64_t bucket_ladder[] = {
	1 * SEC,	5 * SEC,	 10 * SEC,	 30 * SEC,	 60 * SEC,
	300 * SEC,	600 * SEC,	 900 * SEC,	 1800 * SEC,	 3600 * SEC,
	3 * 3600 * SEC, 6 * 3600 * SEC, 12 * 3600 * SEC, 86400 * SEC, WEEK,
};

int64_t chart_bucket(int64_t span_us, size_t max_bars)
{
	size_t i, n = sizeof(bucket_ladder) / sizeof(bucket_ladder[0]);
	int64_t weeks;

	for (i = 0; i < n; i++)
		if (span_us / bucket_ladder[i] + 1 <= (int64_t)max_bars)
			return bucket_ladder[i];
	/* span / (k weeks) + 1 <= max_bars holds from k = span / max_bars /
	 * WEEK + 1 on; computed so, no step can overflow, even for the whole
	 * of int64_t that a file's meta may claim. */
	weeks = span_us / (int64_t)max_bars / WEEK + 1;
	return weeks > INT64_MAX / WEEK ? INT64_MAX / WEEK * WEEK : weeks * WEEK;
}

/* The number of the bucket holding t, buckets aligned to the epoch:
 * t / bucket rounded down, so that a time before 1970 falls in the bucket
 * it is in. Never overflows, for any t. */
static int64_t bucket_index(int64_t t, int64_t bucket)
{
	return t / bucket - (t % bucket < 0);
}

/* The start of bucket index: the first bucket of all starts before
 * INT64_MIN, which no int64_t holds, so it starts at INT64_MIN. */
static int64_t bucket_time(int64_t index, int64_t bucket)
{
	int64_t t;

	return __builtin_mul_overflow(index, bucket, &t) ? INT64_MIN : t;
}

/* The buckets from a to b (a <= b): unsigned, as b - a need not fit an
 * int64_t when the bucket is short; the count saturates at SIZE_MAX. */
static size_t bucket_count(int64_t a, int64_t b)
{
	uint64_t gaps = (uint64_t)b - (uint64_t)a;

	return gaps >= SIZE_MAX ? SIZE_MAX : (size_t)gaps + 1;
}

int chart_fill(struct chart *c, sqlite3_stmt *stmt, int col, int64_t from_us, int64_t to_us)
{
	int64_t first = bucket_index(from_us, c->bucket_us), index, v;
	size_t i;
	int rc;

	c->bars = NULL;
	c->n = from_us <= to_us ? bucket_count(first, bucket_index(to_us, c->bucket_us)) : 0;
	if (c->n > CHART_BARS_MAX)
		return -E2BIG;
	if (c->n) {
		c->bars = calloc(c->n, sizeof(*c->bars));
		if (!c->bars)
			return -ENOMEM;
	}
	for (i = 0; i < c->n; i++)
		c->bars[i].time_us = bucket_time(first + (int64_t)i, c->bucket_us);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		index = bucket_index(sqlite3_column_int64(stmt, 0), c->bucket_us);
		if (index < first || (uint64_t)index - (uint64_t)first >= c->n)
			continue;
		i = (size_t)((uint64_t)index - (uint64_t)first);
		/* Values from the evidence may add up past INT64_MAX: the bar
		 * stays full rather than wrapping negative. */
		if (__builtin_add_overflow(c->bars[i].value, sqlite3_column_int64(stmt, col), &v))
			v = sqlite3_column_int64(stmt, col) < 0 ? INT64_MIN : INT64_MAX;
		c->bars[i].value = v;
	}
	return rc == SQLITE_DONE ? 0 : -EIO;
}

void chart_free(struct chart *c)
{
	free(c->bars);
	c->bars = NULL;
	c->n = 0;
}

/* Formats v as the chart shows values to people. Returns buf. */
static char *value_text(char *buf, size_t size, const struct chart *c, int64_t v)
{
	if (c->unit == CHART_BYTES)
		return fmt_bytes(buf, size, v);
	snprintf(buf, size, "%" PRId64, v);
	return buf;
}

char *chart_bucket_text(char *buf, size_t size, int64_t us)
{
	static const struct {
		int64_t len;
		char unit;
	} units[] = { { 86400 * SEC, 'd' }, { 3600 * SEC, 'h' }, { 60 * SEC, 'm' } };
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (us % units[i].len == 0) {
			snprintf(buf, size, "%" PRId64 "%c", us / units[i].len, units[i].unit);
			return buf;
		}
	snprintf(buf, size, "%gs", us / 1e6);
	return buf;
}

/* The largest value of c, at least 1 so that it divides. */
static int64_t max_value(const struct chart *c)
{
	int64_t max = 1;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->bars[i].value > max)
			max = c->bars[i].value;
	return max;
}

/* Writes a bar of eighths/8 cells: full blocks, then one partial block. */
static void put_blocks(FILE *out, int64_t eighths)
{
	/* U+2588 full block down to U+258F one eighth. */
	static const char *const partial[] = { "", "\u258f", "\u258e", "\u258d",
					       "\u258c", "\u258b", "\u258a", "\u2589" };

	for (; eighths >= 8; eighths -= 8)
		fputs("\u2588", out);
	fputs(partial[eighths], out);
}

int chart_text(FILE *out, const struct chart *c, int width, bool utf8)
{
	char label[FMT_BUF_SIZE], value[FMT_BUF_SIZE], bucket[FMT_BUF_SIZE];
	int64_t max = max_value(c), cells;
	int vw = (int)strlen(c->metric), bar_width;
	size_t i;

	for (i = 0; i < c->n; i++) {
		int len = (int)strlen(value_text(value, sizeof(value), c, c->bars[i].value));

		vw = len > vw ? len : vw;
	}
	bar_width = width - TEXT_LABEL_WIDTH - vw - 2;
	if (bar_width < TEXT_BAR_MIN)
		bar_width = TEXT_BAR_MIN;
	fprintf(out, "%-*s %*s per %s\n", TEXT_LABEL_WIDTH, "time", vw, c->metric,
		chart_bucket_text(bucket, sizeof(bucket), c->bucket_us));
	for (i = 0; i < c->n; i++) {
		int64_t v = c->bars[i].value;

		fprintf(out, "%-*s %*s ", TEXT_LABEL_WIDTH,
			fmt_time(label, sizeof(label), c->bars[i].time_us, 0), vw,
			value_text(value, sizeof(value), c, v));
		/* Rounded to the nearest eighth (or cell), and never zero for
		 * traffic that was there. */
		cells = llround((double)v * bar_width * (utf8 ? 8 : 1) / (double)max);
		if (v > 0 && cells == 0)
			cells = 1;
		/* A negative value (hostile bytes) draws no bar. */
		if (cells < 0)
			cells = 0;
		if (utf8)
			put_blocks(out, cells);
		else
			while (cells-- > 0)
				fputc('#', out);
		fputc('\n', out);
	}
	return ferror(out) ? -EIO : 0;
}

/* The smallest "nice" axis maximum at least max, a multiple of the tick
 * count: 1, 2, 4, 5 or 8 times a power of ten, of a power of 1024 bytes
 * for bytes, so that the ticks read 100 MiB rather than 104.9 MB. */
static int64_t nice_ceiling(int64_t max, enum chart_unit unit)
{
	static const double mantissa[] = { 1, 2, 4, 5, 8 };
	double scale = 1, pow10, top;
	size_t i;

	if (max <= SVG_Y_TICKS)
		return SVG_Y_TICKS;
	while (unit == CHART_BYTES && max / scale >= 1024)
		scale *= 1024;
	for (pow10 = 1;; pow10 *= 10)
		for (i = 0; i < sizeof(mantissa) / sizeof(mantissa[0]); i++) {
			top = mantissa[i] * pow10 * scale;
			if (top < (double)max)
				continue;
			if (top > (double)(INT64_MAX / 2))
				return max;
			return ((int64_t)top + SVG_Y_TICKS - 1) / SVG_Y_TICKS * SVG_Y_TICKS;
		}
}

/* The UTC calendar time of t into *tm, the second rounded down so that a
 * time before 1970 is in the second it is in rather than the one after.
 * Returns false where gmtime_r() cannot tell (a year beyond int). */
static bool utc_tm(int64_t t, struct tm *tm)
{
	time_t s = (time_t)(t / SEC - (t % SEC < 0));

	return gmtime_r(&s, tm) != NULL;
}

/* A short x-axis label for a bucket starting at tm: the hour and minute,
 * with the date where it changes or the buckets are days long. */
static void x_label(char *buf, size_t size, const struct tm *tm, int64_t bucket, bool with_date)
{
	if (bucket >= 86400 * SEC)
		strftime(buf, size, "%m-%d", tm);
	else if (with_date)
		strftime(buf, size, "%m-%d %H:%M", tm);
	else
		strftime(buf, size, bucket < 60 * SEC ? "%H:%M:%S" : "%H:%M", tm);
}

int chart_svg(FILE *out, const struct chart *c)
{
	const double plot_w = SVG_WIDTH - SVG_LEFT - SVG_RIGHT;
	const double plot_h = SVG_HEIGHT - SVG_TOP - SVG_BOTTOM;
	int64_t top = nice_ceiling(max_value(c), c->unit);
	double bar_w = c->n ? plot_w / c->n : plot_w;
	double gap = bar_w > 4 ? 1 : 0;
	char text[FMT_BUF_SIZE], when[FMT_BUF_SIZE], bucket[FMT_BUF_SIZE];
	size_t i, label_every = c->n / SVG_X_LABELS + 1;
	int last_day = -1;

	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" role=\"img\" "
		"aria-label=\"%s per %s\">\n",
		SVG_WIDTH, SVG_HEIGHT, c->metric,
		chart_bucket_text(bucket, sizeof(bucket), c->bucket_us));
	for (i = 0; i <= SVG_Y_TICKS; i++) {
		double y = SVG_TOP + plot_h - plot_h * i / SVG_Y_TICKS;

		fprintf(out,
			"<line class=\"chart-grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			"<text class=\"chart-label\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			SVG_LEFT, y, SVG_WIDTH - SVG_RIGHT, y, SVG_LEFT - 6, y + 4,
			value_text(text, sizeof(text), c, top / SVG_Y_TICKS * (int64_t)i));
	}
	for (i = 0; i < c->n; i++) {
		const struct chart_bar *b = &c->bars[i];
		double h = plot_h * (double)b->value / (double)top;
		double x = SVG_LEFT + bar_w * i;

		if (b->value > 0)
			fprintf(out,
				"<rect class=\"chart-bar\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
				"height=\"%.2f\"><title>%s: %s</title></rect>\n",
				x + gap / 2, SVG_TOP + plot_h - h, bar_w - gap, h,
				fmt_time(when, sizeof(when), b->time_us, 0),
				value_text(text, sizeof(text), c, b->value));
		if (i % label_every == 0) {
			struct tm tm;

			if (utc_tm(b->time_us, &tm)) {
				x_label(text, sizeof(text), &tm, c->bucket_us,
					tm.tm_yday != last_day);
				last_day = tm.tm_yday;
			} else {
				text[0] = '\0';
			}
			fprintf(out,
				"<line class=\"chart-axis\" x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" "
				"y2=\"%.1f\"/><text class=\"chart-label\" x=\"%.2f\" y=\"%.1f\" "
				"text-anchor=\"start\">%s</text>\n",
				x, SVG_TOP + plot_h, x, SVG_TOP + plot_h + 5, x,
				SVG_TOP + plot_h + 18, text);
		}
	}
	fprintf(out,
		"<line class=\"chart-axis\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n"
		"</svg>\n",
		SVG_LEFT, SVG_TOP + plot_h, SVG_WIDTH - SVG_RIGHT, SVG_TOP + plot_h);
	return ferror(out) ? -EIO : 0;
}
