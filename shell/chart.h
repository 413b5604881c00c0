/* SPDX-License-Identifier: BSD-2-Clause */
/* Time series as bar charts: text for the terminal, SVG for reports. */
#ifndef CHART_H
#define CHART_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>

/* More bars than this make neither a readable chart nor a sane report. */
#define CHART_BARS_MAX 2000

/* What the values count: bytes are shown in binary units. */
enum chart_unit {
	CHART_COUNT,
	CHART_BYTES,
};

/* One bucket of a series: its start and its value. */
struct chart_bar {
	int64_t time_us;
	int64_t value;
};

/* A series of equal buckets, gaps filled with zeros. */
struct chart {
	struct chart_bar *bars;
	size_t n;
	int64_t bucket_us;
	enum chart_unit unit;
	const char *metric; /* "bytes", "packets", "flows" */
};

/*
 * The shortest of 1s, 5s, 10s, 30s, 1m, 5m, 10m, 15m, 30m, 1h, 3h, 6h,
 * 12h, 1d and 7d that covers span_us (0 or more) in at most max_bars (1 or
 * more) buckets; when none does, the fewest whole weeks that do, up to the
 * longest whole number of weeks an int64_t holds.
 */
int64_t chart_bucket(int64_t span_us, size_t max_bars);

/* Writes a bucket length of us microseconds as one types it: "5m", "1h",
 * "90s". Returns buf. */
char *chart_bucket_text(char *buf, size_t size, int64_t us);

/*
 * Fills c with one bar per bucket from the bucket holding from_us to the
 * one holding to_us (buckets start at multiples of c->bucket_us since the
 * epoch), taking values from the rows of stmt: column 0 the bucket's
 * start, column col the value; buckets without a row are zero. Steps stmt
 * to the end. Returns 0, -E2BIG when that is more than CHART_BARS_MAX bars
 * (c->n then says how many), -ENOMEM, or -EIO when a step fails.
 */
int chart_fill(struct chart *c, sqlite3_stmt *stmt, int col, int64_t from_us, int64_t to_us);

/* Frees c's bars. */
void chart_free(struct chart *c);

/*
 * Draws c as one line per bucket: its start (ISO 8601), its value (human
 * units for bytes) and a bar scaled to the largest value, the whole line
 * at most width columns. utf8: eighth-block characters, else '#'. Returns
 * 0 or -EIO on a write error.
 */
int chart_text(FILE *out, const struct chart *c, int width, bool utf8);

/*
 * Writes c as an inline <svg> bar chart with axes, tick labels and a
 * tooltip per bar, styled by the classes chart-bar, chart-axis and
 * chart-label. Returns 0 or -EIO.
 */
int chart_svg(FILE *out, const struct chart *c);

#endif /* CHART_H */
