// SPDX-License-Identifier: BSD-2-Clause
/* Bar charts: bucket choice, gap filling, text and SVG, and .chart on files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "chart.h"
#include "fmt.h"
#include "shell.h"

#define SEC 1000000LL
#define MIN (60 * SEC)
#define HOUR (3600 * SEC)
#define WEEK (7 * 86400 * SEC)
/* 2026-11-22T14:00:00Z */
#define T0 (1795356000LL * SEC)

extern const char schema_sql[];

/* Prepares "VALUES (time, value), ..." from rows on a memory database. */
static sqlite3_stmt *rows_stmt(sqlite3 *db, const char *rows)
{
	sqlite3_stmt *stmt;
	char *sql = sqlite3_mprintf("SELECT * FROM (VALUES %s)", rows);

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	sqlite3_free(sql);
	return stmt;
}

/* The shortest bucket that fits, from a fixed ladder. */
static void test_bucket(void **state)
{
	assert_int_equal(chart_bucket(0, 25), SEC);
	assert_int_equal(chart_bucket(24 * HOUR, 25), HOUR);
	assert_int_equal(chart_bucket(24 * HOUR, 24), 3 * HOUR);
	assert_int_equal(chart_bucket(24 * HOUR, 100), 15 * MIN);
	assert_int_equal(chart_bucket(HOUR, 25), 5 * MIN);
	assert_int_equal(chart_bucket(HOUR, 100), MIN);
	/* Past 7d, the fewest whole weeks: 1000 days in 10 bars need more
	 * than 100 days a bar, so 15 weeks (105 days; 14 make 11 bars). */
	assert_int_equal(chart_bucket(1000 * 86400 * SEC, 10), 15 * WEEK);
	/* The whole of int64_t, as a hostile file's meta claims it: in 25
	 * bars, 610012 weeks (Python: (2**63 - 1) // 25 // WEEK + 1); in one,
	 * the most whole weeks an int64_t holds, 15250284. */
	assert_int_equal(chart_bucket(INT64_MAX, 25), 610012 * WEEK);
	assert_int_equal(chart_bucket(INT64_MAX, 1), 15250284 * WEEK);
}

/* Buckets without rows are zero; rows outside the range are dropped; a
 * row inside a bucket counts in it. */
static void test_fill(void **state)
{
	struct chart c = { .bucket_us = 5 * MIN, .metric = "bytes" };
	sqlite3 *db;
	sqlite3_stmt *stmt;
	char rows[256];

	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	snprintf(rows, sizeof(rows), "(%lld, 7), (%lld, 5), (%lld, 3), (%lld, 100)",
		 (long long)T0, (long long)(T0 + 10 * MIN + SEC), (long long)(T0 + 10 * MIN),
		 (long long)(T0 + HOUR));
	stmt = rows_stmt(db, rows);
	assert_int_equal(chart_fill(&c, stmt, 1, T0 + 2 * MIN, T0 + 14 * MIN), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.bars[0].time_us, T0);
	assert_int_equal(c.bars[0].value, 7);
	assert_int_equal(c.bars[1].time_us, T0 + 5 * MIN);
	assert_int_equal(c.bars[1].value, 0);
	assert_int_equal(c.bars[2].value, 8);
	chart_free(&c);
	sqlite3_finalize(stmt);

	c.bucket_us = SEC;
	stmt = rows_stmt(db, "(0, 1)");
	assert_int_equal(chart_fill(&c, stmt, 1, T0, T0 + HOUR), -E2BIG);
	assert_int_equal(c.n, 3601);
	assert_null(c.bars);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}

/* At the ends of int64_t: the first bucket, which would start before
 * INT64_MIN, starts there; values add up to INT64_MAX and no further;
 * before 1970 a time is in the bucket it lies in, not the one after. */
static void test_fill_extremes(void **state)
{
	struct chart c = { .bucket_us = WEEK, .metric = "bytes" };
	sqlite3 *db;
	sqlite3_stmt *stmt;
	char rows[256];

	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	/* Python: (-2**63) // WEEK is -15250285, whose start lies below
	 * INT64_MIN; INT64_MIN + 14 days is in bucket -15250283: 3 bars, the
	 * next two starting at -15250284 and -15250283 weeks. */
	snprintf(rows, sizeof(rows), "(%lld, 5), (%lld, %lld), (%lld, 1), (%lld, 1)",
		 (long long)INT64_MIN, (long long)(INT64_MIN + 1), (long long)INT64_MAX,
		 (long long)(-15250284LL * WEEK), (long long)INT64_MAX);
	stmt = rows_stmt(db, rows);
	assert_int_equal(chart_fill(&c, stmt, 1, INT64_MIN, INT64_MIN + 14 * 86400 * SEC), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.bars[0].time_us, INT64_MIN);
	assert_int_equal(c.bars[0].value, INT64_MAX);
	assert_int_equal(c.bars[1].time_us, -15250284LL * WEEK);
	assert_int_equal(c.bars[1].value, 1);
	assert_int_equal(c.bars[2].time_us, -15250283LL * WEEK);
	assert_int_equal(c.bars[2].value, 0);
	chart_free(&c);
	sqlite3_finalize(stmt);

	/* The whole range in 1 us buckets: 2^64 of them, more than a size_t
	 * counts, refused without overflow. */
	c.bucket_us = 1;
	stmt = rows_stmt(db, "(0, 1)");
	assert_int_equal(chart_fill(&c, stmt, 1, INT64_MIN, INT64_MAX), -E2BIG);
	assert_int_equal(c.n, SIZE_MAX);
	assert_null(c.bars);
	sqlite3_finalize(stmt);

	/* -1.5 s is in the second from -2 s; -0.5 s in the one from -1 s. */
	c.bucket_us = SEC;
	stmt = rows_stmt(db, "(-1500000, 3), (-500000, 4), (-2000000, 1)");
	assert_int_equal(chart_fill(&c, stmt, 1, -2 * SEC, -1), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.bars[0].time_us, -2 * SEC);
	assert_int_equal(c.bars[0].value, 4);
	assert_int_equal(c.bars[1].time_us, -SEC);
	assert_int_equal(c.bars[1].value, 4);
	chart_free(&c);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}

/* Writes c as text into a string the caller frees. */
static char *text_of(const struct chart *c, int width, bool utf8)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(chart_text(f, c, width, utf8), 0);
	fclose(f);
	return buf;
}

/* Bars scale to the largest value; a small non-zero value still shows. */
static void test_text(void **state)
{
	struct chart_bar bars[] = { { T0, 2048 }, { T0 + HOUR, 0 }, { T0 + 2 * HOUR, 1 },
				    { T0 + 3 * HOUR, 1024 } };
	struct chart c = { bars, 4, HOUR, CHART_BYTES, "bytes" };
	char *s;

	s = text_of(&c, 20 + 1 + 7 + 1 + 10, false);
	assert_string_equal(s, "time                   bytes per 1h\n"
			       "2026-11-22T14:00:00Z 2.0 KiB ##########\n"
			       "2026-11-22T15:00:00Z     0 B \n"
			       "2026-11-22T16:00:00Z     1 B #\n"
			       "2026-11-22T17:00:00Z 1.0 KiB #####\n");
	free(s);
	bars[3].value = 1100; /* 1100 / 2048 of 80 eighths: 42.97, so 43 */
	c.unit = CHART_COUNT;
	c.metric = "packets";
	s = text_of(&c, 20 + 1 + 7 + 1 + 10, true);
	assert_string_equal(s, "time                 packets per 1h\n"
			       "2026-11-22T14:00:00Z    2048 \u2588\u2588\u2588\u2588\u2588\u2588"
			       "\u2588\u2588\u2588\u2588\n"
			       "2026-11-22T15:00:00Z       0 \n"
			       "2026-11-22T16:00:00Z       1 \u258f\n"
			       "2026-11-22T17:00:00Z    1100 \u2588\u2588\u2588\u2588\u2588\u258d\n");
	free(s);
}

/* Times at the ends and before 1970 as labels; a negative value (hostile
 * bytes) draws no bar; the largest value a full one. */
static void test_text_extremes(void **state)
{
	struct chart_bar bars[] = { { INT64_MIN, -5 }, { -SEC, INT64_MAX }, { INT64_MAX, 1 } };
	struct chart c = { bars, 3, SEC, CHART_COUNT, "flows" };
	char *s;

	s = text_of(&c, 20 + 1 + 19 + 1 + 10, false);
	assert_string_equal(s, "time                               flows per 1s\n"
			       "-290308-12-21T19:59:05Z                  -5 \n"
			       "1969-12-31T23:59:59Z 9223372036854775807 ##########\n"
			       "294247-01-10T04:00:54Z                   1 #\n");
	free(s);
}

/* Counts the occurrences of needle in s. */
static int count(const char *s, const char *needle)
{
	int n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* One rect per non-zero bar, with its exact time and value as a tooltip;
 * the axis tops out at a round number of binary units. */
static void test_svg(void **state)
{
	struct chart_bar bars[] = { { T0, 300LL << 20 }, { T0 + MIN, 0 }, { T0 + 2 * MIN, 1 } };
	struct chart c = { bars, 3, MIN, CHART_BYTES, "bytes" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(chart_svg(f, &c), 0);
	fclose(f);
	assert_int_equal(count(buf, "<svg "), 1);
	assert_int_equal(count(buf, "</svg>"), 1);
	assert_int_equal(count(buf, "<rect "), 2);
	assert_non_null(strstr(buf, "<title>2026-11-22T14:00:00Z: 300.0 MiB</title>"));
	assert_non_null(strstr(buf, "<title>2026-11-22T14:02:00Z: 1 B</title>"));
	/* 300 MiB rounds up to 400 MiB, in four ticks of 100 MiB. */
	assert_non_null(strstr(buf, ">400.0 MiB</text>"));
	assert_non_null(strstr(buf, ">100.0 MiB</text>"));
	assert_non_null(strstr(buf, ">11-22 14:00</text>"));
	assert_non_null(strstr(buf, "aria-label=\"bytes per 1m\""));
	free(buf);
}

/* The SVG at the ends of int64_t: exact tooltips; labels from the second
 * a time is in (INT64_MIN + 1 s is 19:59:06.224192, not :07); no bar for a
 * negative value. */
static void test_svg_extremes(void **state)
{
	struct chart_bar bars[] = { { INT64_MIN, INT64_MAX },
				    { INT64_MIN + SEC, 0 },
				    { -SEC, -7 } };
	struct chart c = { bars, 3, SEC, CHART_COUNT, "flows" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(chart_svg(f, &c), 0);
	fclose(f);
	assert_int_equal(count(buf, "<rect "), 1);
	assert_non_null(strstr(buf, "<title>-290308-12-21T19:59:05Z: 9223372036854775807</title>"));
	assert_non_null(strstr(buf, ">12-21 19:59</text>"));
	assert_non_null(strstr(buf, ">19:59:06</text>"));
	assert_non_null(strstr(buf, ">12-31 23:59</text>"));
	free(buf);
}

/* Writes dir/flows-20261122T1400Z.db with meta host and a time range of
 * start to end, and two flows: 3 packets at T0 + 1 min, 1 at T0 + 12 min.
 * Returns a shell over dir, results and messages into memory streams. */
static struct shell *shell_over(const char *dir, const char *host, int64_t start, int64_t end,
				char **out, size_t *out_len, FILE *err_stream)
{
	struct catalog *c;
	struct shell *sh;
	char path[64];
	sqlite3 *db;
	char *sql;

	snprintf(path, sizeof(path), "%s/flows-20261122T1400Z.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, schema_sql, NULL, NULL, NULL), SQLITE_OK);
	sql = sqlite3_mprintf(
		"INSERT INTO meta VALUES ('schema_version', 2), ('host', %Q),"
		"('time_start_us', %lld), ('time_end_us', %lld);"
		/* The shell reads a file's span from its rows, not from meta:
		 * two empty flushes at the claimed ends make it so. */
		"INSERT INTO collector_stats (time, kernel_packets, kernel_bytes,"
		" drained_packets, drained_bytes, lost_packets, lost_bytes, non_ip, malformed,"
		" truncated, map_update_failures, events, ringbuf_drops, active_flows,"
		" rows_written, pending_rows, write_errors, flush_duration_us) VALUES"
		" (%lld, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),"
		" (%lld, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);"
		"INSERT INTO flows VALUES (%lld, %lld, 'eth0', 'in', 4, 6, '10.0.0.1', '10.0.0.2',"
		" 40000, 443, 0, 3, 3000, 2, 'idle', NULL, NULL, NULL, 0, 0, 0, NULL), (%lld, %lld,"
		" 'eth0', 'in', 4, 17, '10.0.0.1', '10.0.0.3', 5353, 53, 0, 1, 100, 0, 'idle', 'dns',"
		" 'example.com', 0, 0, 0, 0, NULL);",
		host, (long long)start, (long long)end, (long long)start, (long long)end,
		(long long)(T0 + MIN),
		(long long)(T0 + 2 * MIN), (long long)(T0 + 12 * MIN), (long long)(T0 + 20 * MIN));
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(sql);
	sqlite3_close(db);

	c = catalog_new(err_stream);
	assert_int_equal(catalog_add(c, dir, true), 0);
	sh = shell_new(c, err_stream);
	assert_non_null(sh);
	sh->out = open_memstream(out, out_len);
	/* A memory stream has no terminal size: $COLUMNS leaves 10 for bars. */
	setenv("COLUMNS", "39", 1);
	return sh;
}

/* Frees sh and removes dir's flow file and dir. */
static void shell_done(struct shell *sh, const char *dir)
{
	char path[64];

	fclose(sh->out);
	sh->out = stdout;
	shell_free(sh);
	snprintf(path, sizeof(path), "%s/flows-20261122T1400Z.db", dir);
	unlink(path);
	rmdir(dir);
}

/* .chart over a real flow file: the session window picks the buckets. */
static void test_chart_command(void **state)
{
	char dir[] = "/tmp/test_sh_chart.XXXXXX", *out = NULL, *err = NULL;
	size_t out_len = 0, err_len = 0;
	FILE *err_stream = open_memstream(&err, &err_len);
	struct shell *sh;

	assert_non_null(mkdtemp(dir));
	sh = shell_over(dir, "h", T0, T0 + 20 * MIN, &out, &out_len, err_stream);
	assert_int_equal(shell_exec(sh, ".since 2026-11-22T14:00Z"), 0);
	assert_int_equal(shell_exec(sh, ".until 2026-11-22T14:19Z"), 0);
	assert_int_equal(shell_exec(sh, ".chart packets 10m"), 0);
	fflush(sh->out);
	assert_string_equal(out, "time                 packets per 10m\n"
				 "2026-11-22T14:00:00Z       3 ##########\n"
				 "2026-11-22T14:10:00Z       1 ###\n");
	fflush(err_stream);
	assert_string_equal(err, "");
	shell_done(sh, dir);
	fclose(err_stream);
	free(out);
	free(err);
}

/* .chart over a file whose meta claims all of int64_t: the window from
 * INT64_MIN saturates its span, the bucket is whole weeks that fit 40
 * bars, the first bar starts at INT64_MIN. */
static void test_chart_command_extremes(void **state)
{
	/* Python: b = ((2**63 - 1) // 40 // WEEK + 1) * WEEK, 381258 weeks;
	 * (-2**63) // b is -40 and (T0 + 19 min) // b is 0: 41 bars. */
	const int64_t bucket = 381258 * WEEK;
	char dir[] = "/tmp/test_sh_chart.XXXXXX", *out = NULL, *err = NULL, *want = NULL;
	char label[FMT_BUF_SIZE];
	size_t out_len = 0, err_len = 0, want_len = 0;
	FILE *err_stream = open_memstream(&err, &err_len), *w;
	struct shell *sh;
	int64_t i;

	assert_non_null(mkdtemp(dir));
	sh = shell_over(dir, "h", INT64_MIN, INT64_MAX, &out, &out_len, err_stream);
	assert_int_equal(shell_exec(sh, ".until 2026-11-22T14:19Z"), 0);
	assert_int_equal(shell_exec(sh, ".chart packets"), 0);
	fflush(sh->out);
	w = open_memstream(&want, &want_len);
	fprintf(w, "time                 packets per 2668806d\n");
	for (i = -40; i <= 0; i++)
		fprintf(w, "%-20s %7d %s\n",
			fmt_time(label, sizeof(label), i == -40 ? INT64_MIN : i * bucket, 0),
			i ? 0 : 4, i ? "" : "##########");
	fclose(w);
	assert_string_equal(out, want);
	fflush(err_stream);
	assert_string_equal(err, "");
	/* All of int64_t in 1 s buckets is too many bars: said in one line. */
	assert_int_equal(shell_exec(sh, ".until all"), 0);
	assert_int_equal(shell_exec(sh, ".chart 1s"), -EINVAL);
	fflush(err_stream);
	assert_non_null(strstr(err, "1s buckets make "));
	assert_non_null(strstr(err, " bars, more than 2000: give a longer bucket\n"));
	shell_done(sh, dir);
	fclose(err_stream);
	free(want);
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_svg),
		cmocka_unit_test(test_chart_command),
		cmocka_unit_test(test_fill_extremes),
		cmocka_unit_test(test_text_extremes),
		cmocka_unit_test(test_svg_extremes),
		cmocka_unit_test(test_chart_command_extremes),
	};

	return cmocka_run_group_tests_name("sh_chart", tests, NULL, NULL);
}
