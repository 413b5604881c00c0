// SPDX-License-Identifier: BSD-2-Clause
/* Reports over a hostile file: meta times at the ends of int64_t, a host
 * name with escape sequences, a forged line, a bidi override and a formula. */
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
#include "report.h"
#include "shell.h"

#define SEC 1000000LL
#define MIN (60 * SEC)
/* 2026-11-22T14:00:00Z */
#define T0 (1795356000LL * SEC)
/* What the file's meta says its host is. */
#define HOST "=h\x1b]0;pwned\x07\nflowdb: forged\xe2\x80\xae"

extern const char schema_sql[];

struct fixture {
	char dir[64], path[96];
	struct shell *sh;
	char *out, *err;
	size_t out_len, err_len;
	FILE *err_stream;
};

/* A flow file claiming every time there is, with one flow whose app_info
 * is hostile too, and a shell over it. */
static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct catalog *c;
	sqlite3 *db;
	char *sql;

	strcpy(fx->dir, "/tmp/test_sh_report.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/flows-20261122T1400Z.db", fx->dir);
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
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
		" 40000, 443, 0, 3, 3000, 2, 'idle', 'http', %Q, 0, 0, 0, 0, NULL);",
		HOST, (long long)INT64_MIN, (long long)INT64_MAX, (long long)INT64_MIN,
		(long long)INT64_MAX, (long long)(T0 + MIN),
		(long long)(T0 + 2 * MIN), "=cmd|' /C calc'!A0\x1b[2J");
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(sql);
	sqlite3_close(db);
	fx->err_stream = open_memstream(&fx->err, &fx->err_len);
	c = catalog_new(fx->err_stream);
	assert_int_equal(catalog_add(c, fx->dir, true), 0);
	fx->sh = shell_new(c, fx->err_stream);
	assert_non_null(fx->sh);
	fx->sh->out = open_memstream(&fx->out, &fx->out_len);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	fclose(fx->sh->out);
	fx->sh->out = stdout;
	shell_free(fx->sh);
	fclose(fx->err_stream);
	free(fx->out);
	free(fx->err);
	unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* Runs the daily report in format over the window since to until (NULL:
 * the report's default), now at T0 + 1 h; checks it succeeds with no
 * message. Returns the output, which the fixture owns. */
static const char *report(struct fixture *fx, enum report_format format, const char *since,
			  const char *until)
{
	rewind(fx->sh->out);
	rewind(fx->err_stream);
	assert_int_equal(shell_set_window(fx->sh, false, since), 0);
	assert_int_equal(shell_set_window(fx->sh, true, until), 0);
	assert_int_equal(report_run(fx->sh, REPORT_DAILY, format, T0 + 60 * MIN), 0);
	fputc('\0', fx->sh->out);
	fputc('\0', fx->err_stream);
	fflush(fx->sh->out);
	fflush(fx->err_stream);
	assert_string_equal(fx->err, "");
	return fx->out;
}

/* Whether s holds a raw control character other than the newline (and,
 * with crlf, CR before LF), a DEL, a C1 control or a bidi override. */
static bool raw_hostile(const char *s, bool crlf)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '\n' || (crlf && *p == '\r' && p[1] == '\n'))
			continue;
		if (*p < 0x20 || *p == 0x7f || (*p == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0) ||
		    (*p == 0xe2 && p[1] == 0x80 && p[2] == 0xae))
			return true;
	}
	return false;
}

/* The text report for a mail: the host as escapes on the title line, the
 * window from INT64_MIN, the formula in a table as escapes. */
static void test_text(void **state)
{
	struct fixture *fx = *state;
	const char *out = report(fx, REPORT_TEXT, "all", "2026-11-22T15:00Z");

	assert_false(raw_hostile(out, false));
	assert_true(!strncmp(out,
			     "flowdb daily report: =h\\x1b]0;pwned\\x07\\nflowdb: forged\\u202e\n"
			     "-290308-12-21T19:59:05Z to 2026-11-22T15:00:00Z, 1 file\n",
			     strlen("flowdb daily report: =h\\x1b]0;pwned\\x07\\nflowdb: forged"
				    "\\u202e\n-290308-12-21T19:59:05Z to 2026-11-22T15:00:00Z, "
				    "1 file\n")));
	/* The chart of all of int64_t: 610012-week bars (Python: (2**63 - 1)
	 * // 25 // WEEK + 1), the first from INT64_MIN, the traffic in the
	 * one from 1970. */
	assert_non_null(strstr(out, "time                   bytes per 4270084d\n"
				    "-290308-12-21T19:59:05Z     0 B \n"));
	assert_non_null(strstr(out, "1970-01-01T00:00:00Z 2.9 KiB "));
	/* Rows are read over the whole window too. */
	assert_non_null(strstr(out, "10.0.0.1 "));
	/* The default window, the last 24 hours, over the same file. */
	out = report(fx, REPORT_TEXT, NULL, NULL);
	assert_false(raw_hostile(out, false));
	assert_non_null(strstr(out, "2026-11-21T15:00:00Z to 2026-11-22T15:00:00Z, 1 file\n"));
}

/* CSV: the host guarded and escaped, the window's exact bounds; with
 * .exact on, the host byte for byte. */
static void test_csv(void **state)
{
	struct fixture *fx = *state;
	const char *out = report(fx, REPORT_CSV, "all", "2026-11-22T15:00Z");

	assert_false(raw_hostile(out, true));
	assert_true(
		!strncmp(out,
			 "report,daily\r\nsince,-9223372036854775808\r\nuntil,1795359600000000\r\n"
			 "hosts,\"'=h\\x1b]0;pwned\\x07\\nflowdb: forged\\u202e\"\r\n",
			 strlen("report,daily\r\nsince,-9223372036854775808\r\nuntil,"
				"1795359600000000\r\nhosts,\"'=h\\x1b]0;pwned\\x07\\nflowdb: "
				"forged\\u202e\"\r\n")));
	fx->sh->render.exact = true;
	out = report(fx, REPORT_CSV, "all", "2026-11-22T15:00Z");
	assert_non_null(strstr(out, "\r\nhosts,\"" HOST "\"\r\n"));
	fx->sh->render.exact = false;
}

/* JSON: exact, the host's controls as JSON escapes. */
static void test_json(void **state)
{
	struct fixture *fx = *state;
	const char *out = report(fx, REPORT_JSON, "all", "2026-11-22T15:00Z");

	assert_false(raw_hostile(out, false));
	assert_non_null(strstr(out, "\"since\":-9223372036854775808,\"until\":1795359600000000,"));
	assert_non_null(
		strstr(out, "\"hosts\":[\"=h\\u001b]0;pwned\\u0007\\nflowdb: forged\\u202e\"]"));
}

/* HTML: the host as escapes in the title and the heading, nothing raw. */
static void test_html(void **state)
{
	struct fixture *fx = *state;
	const char *out = report(fx, REPORT_HTML, "all", "2026-11-22T15:00Z");

	assert_false(raw_hostile(out, false));
	assert_non_null(strstr(out, "<title>flowdb daily report: =h\\x1b]0;pwned\\x07\\nflowdb: "
				    "forged\\u202e, 2026-11-22T15:00:00Z</title>"));
	assert_non_null(strstr(out, "<p class=\"meta\">-290308-12-21T19:59:05Z to "
				    "2026-11-22T15:00:00Z &middot; 1 file</p>"));
}

/* The enforcement sections: absent without rule counters or actions in
 * the window (whatever lies outside it), present with them, hostile texts
 * escaped as everywhere else. */
static void test_enforcement(void **state)
{
	struct fixture *fx = *state;
	const char *out;
	sqlite3 *db;
	char *sql;
	int f;

	for (f = REPORT_TEXT; f <= REPORT_HTML; f++) {
		out = report(fx, f, "2026-11-22T14:00Z", "2026-11-22T15:00Z");
		assert_null(strstr(out, "nforcement"));
		assert_null(strstr(out, "blocked"));
	}
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	sql = sqlite3_mprintf(
		"INSERT INTO actions VALUES (%lld, 'add', '192.0.2.0/24', 'block src 192.0.2.0/24',"
		" %Q, NULL, 'ctl', 0, NULL);"
		"UPDATE flows SET dropped_packets = 2, dropped_bytes = 2000;",
		(long long)(T0 - 120 * MIN), "\x1b[2Jspoofed\nline");
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(sql);
	/* Outside the window: still none. */
	out = report(fx, REPORT_TEXT, "2026-11-22T14:00Z", "2026-11-22T15:00Z");
	assert_null(strstr(out, "nforcement"));
	sql = sqlite3_mprintf("INSERT INTO rule_counters VALUES (%lld, 'block src 192.0.2.0/24',"
			      " 'block', 7, 7000, 'enforce', 'ctl', NULL)",
			      (long long)(T0 + 5 * MIN));
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(sql);
	sqlite3_close(db);

	out = report(fx, REPORT_JSON, "2026-11-22T14:00Z", "2026-11-22T15:00Z");
	assert_non_null(strstr(out, ",\n\"blocked\":[\n{\"per\":\"rule\",\"what\":\"block src "
				    "192.0.2.0/24\",\"kind\":\"block\",\"mode\":\"enforce\","
				    "\"packets\":7,\"bytes\":7000,"));
	assert_non_null(strstr(out, "{\"per\":\"source\",\"what\":\"10.0.0.1\",\"kind\":null,"
				    "\"mode\":null,\"packets\":2,\"bytes\":2000,"));
	assert_non_null(strstr(out, ",\n\"actions\":[]\n}}\n"));
	/* The whole history holds the change to the rules, its reason escaped. */
	out = report(fx, REPORT_TEXT, "all", "2026-11-22T15:00Z");
	assert_false(raw_hostile(out, false));
	assert_non_null(strstr(out, "\nEnforcement: what the policy dropped\n"
				    "------------------------------------\n"));
	assert_non_null(strstr(out, "\nEnforcement: changes to the rules\n"));
	assert_non_null(strstr(out, "\\x1b[2Jspoofed\\nline"));
	out = report(fx, REPORT_HTML, "all", "2026-11-22T15:00Z");
	assert_false(raw_hostile(out, false));
	assert_non_null(strstr(out, "<section><h2>Enforcement: what the policy dropped</h2>"));
	out = report(fx, REPORT_CSV, "all", "2026-11-22T15:00Z");
	assert_non_null(strstr(out, "\r\nblocked\r\nper,what,kind,mode,packets,bytes,"));
}

/* The alerts sections: absent without alerts rows in the window, present
 * with them, between resets and enforcement, hostile texts escaped. */
static void test_alerts(void **state)
{
	struct fixture *fx = *state;
	const char *out;
	sqlite3 *db;
	char *sql;
	int f;

	for (f = REPORT_TEXT; f <= REPORT_HTML; f++)
		assert_null(strstr(report(fx, f, "2026-11-22T14:00Z", "2026-11-22T15:00Z"), "lert"));
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	sql = sqlite3_mprintf(
		"INSERT INTO alerts VALUES (%lld, 'scan', 'high', '192.0.2.9', 'src', 'syn', 150.5,"
		" 100, 60000000, NULL, NULL, %Q, 'block 10m', 2, 3);"
		"INSERT INTO alerts VALUES (%lld, 'scan', 'high', '192.0.2.9', 'src', 'syn', 99,"
		" 100, 60000000, NULL, NULL, NULL, 'none', 1, 3);",
		(long long)(T0 + 5 * MIN), "\x1b[2Jspoofed\nline", (long long)(T0 + 6 * MIN));
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(sql);
	sqlite3_close(db);

	out = report(fx, REPORT_JSON, "2026-11-22T14:00Z", "2026-11-22T15:00Z");
	assert_non_null(strstr(out, "\"resets\":"));
	assert_true(strstr(out, "\"resets\":") < strstr(out, "\"alert-counts\":"));
	assert_non_null(strstr(out, ",\n\"alert-counts\":[\n{\"per\":\"rule\",\"what\":\"scan\","
				    "\"severity\":\"high\",\"alerts\":2,\"suppressed\":3,\"keys\":1,"
				    "\"rules\":null,"));
	assert_non_null(strstr(out, "{\"per\":\"key\",\"what\":\"192.0.2.9\",\"severity\":\"high\","
				    "\"alerts\":2,\"suppressed\":3,\"keys\":null,\"rules\":1,"));
	assert_non_null(strstr(out, ",\n\"alerts\":[\n{\"time\":1795356360000000,\"rule\":\"scan\""));
	assert_true(strstr(out, "\"alerts\":[\n{\"time\":1795356360000000") <
		    strstr(out, "{\"time\":1795356300000000"));
	out = report(fx, REPORT_TEXT, "2026-11-22T14:00Z", "2026-11-22T15:00Z");
	assert_false(raw_hostile(out, false));
	assert_non_null(strstr(out, "\nAlerts by rule and severity, and the keys alerted most\n---"));
	assert_non_null(strstr(out, "\nAlerts: the latest\n------------------\n"));
	assert_non_null(strstr(out, "\\x1b[2Jspoofed\\nline"));
	out = report(fx, REPORT_HTML, "2026-11-22T14:00Z", "2026-11-22T15:00Z");
	assert_false(raw_hostile(out, false));
	assert_non_null(strstr(out, "<section><h2>Alerts: the latest</h2>"));
	out = report(fx, REPORT_CSV, "2026-11-22T14:00Z", "2026-11-22T15:00Z");
	assert_non_null(strstr(out, "\r\nalert-counts\r\nper,what,severity,alerts,suppressed,"));
	/* Outside the window: none. */
	assert_null(strstr(report(fx, REPORT_TEXT, "2026-11-22T14:07Z", "2026-11-22T15:00Z"),
			   "lert"));
}

/* --until near INT64_MIN: the day before it saturates, no overflow. */
static void test_window_at_the_start(void **state)
{
	struct fixture *fx = *state;
	const char *out = report(fx, REPORT_CSV, NULL, "@-9223372036854");

	assert_true(!strncmp(out,
			     "report,daily\r\nsince,-9223372036854775808\r\n"
			     "until,-9223372036854000000\r\n",
			     strlen("report,daily\r\nsince,-9223372036854775808\r\n"
				    "until,-9223372036854000000\r\n")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_html, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_at_the_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enforcement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts, setup, teardown),
	};

	return cmocka_run_group_tests_name("sh_report", tests, NULL, NULL);
}
