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
#include "shell.h"

#define SEC 1000000LL
#define MIN (60 * SEC)
#define HOUR (3600 * SEC)
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
	assert_int_equal(chart_bucket(1000 * 86400 * SEC, 10), 7 * 86400 * SEC);
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

/* .chart over a real flow file: the session window picks the buckets. */
static void test_chart_command(void **state)
{
	char dir[] = "/tmp/test_sh_chart.XXXXXX", path[64], *out = NULL, *err = NULL;
	size_t out_len = 0, err_len = 0;
	FILE *err_stream = open_memstream(&err, &err_len);
	struct catalog *c;
	struct shell *sh;
	sqlite3 *db;
	char *sql;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/flows-20261122T1400Z.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, schema_sql, NULL, NULL, NULL), SQLITE_OK);
	sql = sqlite3_mprintf(
		"INSERT INTO meta VALUES ('schema_version', 2), ('host', 'h'),"
		"('time_start_us', %lld), ('time_end_us', %lld);"
		"INSERT INTO flows VALUES (%lld, %lld, 'eth0', 'in', 4, 6, '10.0.0.1', '10.0.0.2',"
		" 40000, 443, 0, 3, 3000, 2, 'idle', NULL, NULL, NULL), (%lld, %lld, 'eth0', 'in', 4,"
		" 17, '10.0.0.1', '10.0.0.3', 5353, 53, 0, 1, 100, 0, 'idle', 'dns', 'example.com',"
		" 0);",
		(long long)T0, (long long)(T0 + 20 * MIN), (long long)(T0 + MIN),
		(long long)(T0 + 2 * MIN), (long long)(T0 + 12 * MIN), (long long)(T0 + 20 * MIN));
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(sql);
	sqlite3_close(db);

	c = catalog_new(err_stream);
	assert_int_equal(catalog_add(c, dir, true), 0);
	sh = shell_new(c, err_stream);
	assert_non_null(sh);
	sh->out = open_memstream(&out, &out_len);
	/* A memory stream has no terminal size: $COLUMNS leaves 10 for bars. */
	setenv("COLUMNS", "39", 1);
	assert_int_equal(shell_exec(sh, ".since 2026-11-22T14:00Z"), 0);
	assert_int_equal(shell_exec(sh, ".until 2026-11-22T14:19Z"), 0);
	assert_int_equal(shell_exec(sh, ".chart packets 10m"), 0);
	fflush(sh->out);
	assert_string_equal(out, "time                 packets per 10m\n"
				 "2026-11-22T14:00:00Z       3 ##########\n"
				 "2026-11-22T14:10:00Z       1 ###\n");
	fflush(err_stream);
	assert_string_equal(err, "");
	fclose(sh->out);
	sh->out = stdout;
	shell_free(sh);
	fclose(err_stream);
	free(out);
	free(err);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket),	  cmocka_unit_test(test_fill),
		cmocka_unit_test(test_text),	  cmocka_unit_test(test_svg),
		cmocka_unit_test(test_chart_command),
	};

	return cmocka_run_group_tests_name("sh_chart", tests, NULL, NULL);
}
