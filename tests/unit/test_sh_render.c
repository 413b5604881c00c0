// SPDX-License-Identifier: BSD-2-Clause
/* The shell's result renderers, fed by real queries on an in-memory SQLite. */
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
#include <sqlite3.h>
#include "render.h"

/* render.c's RENDER_TABLE_SAMPLE: the rows that size the table columns. */
#define SAMPLE 1000

static int db_open(void **state)
{
	sqlite3 *db;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return -1;
	*state = db;
	return 0;
}

static int db_close(void **state)
{
	sqlite3_close(*state);
	return 0;
}

/* Renders every row of sql as opts say, checking each call succeeds.
 * Returns the output, to be freed. */
static char *render_opts_sql(sqlite3 *db, const char *sql, const struct render_opts *opts)
{
	sqlite3_stmt *stmt;
	struct render *r;
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	int rc;

	out = open_memstream(&text, &len);
	assert_non_null(out);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	r = render_begin(out, opts, stmt);
	assert_non_null(r);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		assert_int_equal(render_row(r, stmt), 0);
	assert_int_equal(rc, SQLITE_DONE);
	assert_int_equal(render_end(r), 0);
	sqlite3_finalize(stmt);
	assert_int_equal(fclose(out), 0);
	return text;
}

/* Renders every row of sql in mode. Returns the output, to be freed. */
static char *render_sql(sqlite3 *db, const char *sql, enum render_mode mode, bool headers)
{
	const struct render_opts opts = { .mode = mode, .headers = headers };

	return render_opts_sql(db, sql, &opts);
}

/* Renders sql and compares the output with expected. */
static void check(sqlite3 *db, const char *sql, enum render_mode mode, bool headers,
		  const char *expected)
{
	char *text = render_sql(db, sql, mode, headers);

	assert_string_equal(text, expected);
	free(text);
}

/* Whether SQLite's own JSON parser takes text as valid JSON. */
static bool json_valid(sqlite3 *db, const char *text)
{
	sqlite3_stmt *stmt;
	bool valid;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT json_valid(?)", -1, &stmt, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(stmt, 1, text, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	valid = sqlite3_column_int(stmt, 0) == 1;
	sqlite3_finalize(stmt);
	return valid;
}

static void test_mode_names(void **state)
{
	static const struct {
		const char *name;
		enum render_mode mode;
	} modes[] = { { "table", RENDER_TABLE },
		      { "csv", RENDER_CSV },
		      { "json", RENDER_JSON },
		      { "line", RENDER_LINE } };
	enum render_mode mode = RENDER_LINE;
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(render_mode_parse(modes[i].name, &mode), 0);
		assert_int_equal(mode, modes[i].mode);
		assert_string_equal(render_mode_name(modes[i].mode), modes[i].name);
	}
	assert_int_equal(render_mode_parse("TABLE", &mode), -EINVAL);
	assert_int_equal(render_mode_parse("", &mode), -EINVAL);
	assert_int_equal(render_mode_parse("lines", &mode), -EINVAL);
	assert_int_equal(render_mode_parse(NULL, &mode), -EINVAL);
	assert_int_equal(mode, RENDER_LINE);
	assert_string_equal(render_mode_name((enum render_mode)42), "?");
	assert_int_equal(render_end(NULL), 0);
}

static void test_csv(void **state)
{
	const char *sql =
		"SELECT 'a,b' AS a, 'say \"hi\"' AS b, 'x' || char(13, 10) || 'y' AS c, "
		"' lead' AS d, 'trail ' AS e, NULL AS f, x'00ff10' AS g, 42 AS h, -1.5 AS i, "
		"'' AS j, 'in side' AS k, 'cr' || char(13) AS l, 9223372036854775807 AS m";
	const struct render_opts exact = { .mode = RENDER_CSV, .headers = true, .exact = true };
	char *text;

	/* For spreadsheets and terminals, CR and LF show as escapes (the
	 * fields stay quoted, as the exact values need). */
	check(*state, sql, RENDER_CSV, true,
	      "a,b,c,d,e,f,g,h,i,j,k,l,m\r\n"
	      "\"a,b\",\"say \"\"hi\"\"\",\"x\\r\\ny\",\" lead\",\"trail \",,00ff10,42,-1.5,,"
	      "in side,\"cr\\r\",9223372036854775807\r\n");
	/* Exact: RFC 4180 keeps CR and LF inside the quotes. */
	text = render_opts_sql(*state, sql, &exact);
	assert_string_equal(text,
			    "a,b,c,d,e,f,g,h,i,j,k,l,m\r\n"
			    "\"a,b\",\"say \"\"hi\"\"\",\"x\r\ny\",\" lead\",\"trail \",,00ff10,42,"
			    "-1.5,,in side,\"cr\r\",9223372036854775807\r\n");
	free(text);
	/* Names are quoted by the same rule; headers off leaves only records. */
	check(*state, "SELECT 1 AS \"x,y\", 'v' AS \"q\"\"\" UNION ALL SELECT NULL, x''",
	      RENDER_CSV, true, "\"x,y\",\"q\"\"\"\r\n1,v\r\n,\r\n");
	check(*state, "SELECT 1 AS \"x,y\", 'v' AS \"q\"\"\" UNION ALL SELECT NULL, x''",
	      RENDER_CSV, false, "1,v\r\n,\r\n");
	/* A header even without rows. */
	check(*state, "SELECT 1 AS a, 2 AS b WHERE 0", RENDER_CSV, true, "a,b\r\n");
	check(*state, "SELECT 1 AS a, 2 AS b WHERE 0", RENDER_CSV, false, "");
	/* Exact values in human-named columns: no human formatting. */
	check(*state, "SELECT 1536 AS bytes, 0 AS time, 125000000 AS duration", RENDER_CSV, false,
	      "1536,0,125000000\r\n");
}

static void test_json(void **state)
{
	const char *sql =
		"SELECT 42 AS i, 2.5 AS r, 'a\"b\\c' || char(10, 13, 9, 8, 12, 1, 31, 127) AS t, "
		"CAST(x'ff' AS TEXT) AS bad, 'é€😀' AS u, x'0aff' AS b, NULL AS n, 1e999 AS inf, "
		"-1e999 AS ninf "
		"UNION ALL SELECT -7, 0.5, '', CAST(x'61e282' AS TEXT), 'x', x'', NULL, 1, 2";
	const char *expected =
		"[\n"
		"{\"i\":42,\"r\":2.5,\"t\":\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\","
		"\"bad\":\"\\ufffd\",\"u\":\"é€😀\",\"b\":\"0aff\",\"n\":null,\"inf\":null,"
		"\"ninf\":null},\n"
		"{\"i\":-7,\"r\":0.5,\"t\":\"\",\"bad\":\"a\\ufffd\\ufffd\",\"u\":\"x\",\"b\":\"\","
		"\"n\":null,\"inf\":1,\"ninf\":2}\n"
		"]\n";
	char *text;

	check(*state, sql, RENDER_JSON, true, expected);
	/* headers does not matter to json. */
	text = render_sql(*state, sql, RENDER_JSON, false);
	assert_string_equal(text, expected);
	assert_true(json_valid(*state, text));
	free(text);

	/* One U+FFFD per byte of an overlong form (c0 af), a surrogate
	 * (ed a0 80) and a code point above U+10FFFF (f4 90 80 80); U+10FFFF
	 * itself (f4 8f bf bf) is fine. */
	text = render_sql(*state, "SELECT CAST(x'c0afeda080f4908080f48fbfbf' AS TEXT) AS x",
			  RENDER_JSON, true);
	assert_string_equal(text, "[\n{\"x\":\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd"
				  "\\ufffd\\ufffd\xf4\x8f\xbf\xbf\"}\n]\n");
	assert_true(json_valid(*state, text));
	free(text);

	/* Names are JSON strings too, duplicates kept in column order. */
	check(*state, "SELECT 1 AS a, 2 AS a, 3 AS \"k\"\"q\\\"", RENDER_JSON, true,
	      "[\n{\"a\":1,\"a\":2,\"k\\\"q\\\\\":3}\n]\n");
	check(*state, "SELECT 1 AS a WHERE 0", RENDER_JSON, true, "[]\n");
	check(*state, "SELECT 1 AS a WHERE 0", RENDER_JSON, false, "[]\n");
	assert_true(json_valid(*state, "[]\n"));
}

static void test_table_align(void **state)
{
	const char *sql =
		"SELECT 'a' AS name, 1 AS n, 2.5 AS r UNION ALL SELECT 'ééé', 12345, -0.25";

	/* Widths: name 4 (the header; ééé is 3 characters), n 5, r 5 ("-0.25").
	 * Numbers and their headers to the right, text to the left. */
	check(*state, sql, RENDER_TABLE, true,
	      "name      n      r\n"
	      "----  -----  -----\n"
	      "a         1    2.5\n"
	      "ééé   12345  -0.25\n");
	/* Without headers name is 3 wide. */
	check(*state, sql, RENDER_TABLE, false,
	      "a        1    2.5\n"
	      "ééé  12345  -0.25\n");
}

static void test_table_human(void **state)
{
	/* 1709210096789012 us is 2024-02-29T12:34:56.789012Z: 19782 days
	 * (54 years and 13 leap days to 2024, then 59) and 45296 s. */
	const char *sql =
		"SELECT 1536 AS bytes, 1536.0 AS tx_bytes, 1709210096789012 AS first_seen, "
		"125000000 AS duration, 1536 AS seen, 2048 AS RX_BYTES "
		"UNION ALL SELECT 1048576, 7.0, 'soon', 3720000000, 2, NULL";

	/* bytes "1.5 KiB" and "1.0 MiB", 7 wide; tx_bytes is REAL, so as is, 8
	 * wide; first_seen 24 wide and left as time reads like text, the text
	 * in it as is; duration "2m05s" and "1h02m", 8 wide; seen is no time;
	 * RX_BYTES is bytes whatever the case. */
	check(*state, sql, RENDER_TABLE, true,
	      "  bytes  tx_bytes  first_seen                duration  seen  RX_BYTES\n"
	      "-------  --------  ------------------------  --------  ----  --------\n"
	      "1.5 KiB    1536.0  2024-02-29T12:34:56.789Z     2m05s  1536   2.0 KiB\n"
	      "1.0 MiB       7.0  soon                         1h02m     2\n");
}

static void test_table_escapes_and_nulls(void **state)
{
	/* Controls and bad bytes escaped, one line per row; widths count the
	 * escapes: t is 14 wide. A NULL last cell leaves no trailing spaces;
	 * n's header is left as its first non-NULL cell is text. */
	check(*state,
	      "SELECT 'a' || char(10) || 'b' || char(9, 1, 127) AS t, NULL AS n "
	      "UNION ALL SELECT CAST(x'ff41' AS TEXT), 'x' "
	      "UNION ALL SELECT char(133) || char(13), NULL",
	      RENDER_TABLE, true,
	      "t               n\n"
	      "--------------  -\n"
	      "a\\nb\\t\\x01\\x7f\n"
	      "\\xffA           x\n"
	      "\\u0085\\r\n");
	/* A NULL first cell still takes its room, and the header of a number
	 * column is right even when the number comes after a NULL. */
	check(*state, "SELECT NULL AS a, 'b' AS b UNION ALL SELECT 12345, NULL", RENDER_TABLE, true,
	      "    a  b\n"
	      "-----  -\n"
	      "       b\n"
	      "12345\n");
	/* Blobs show as SQLite's text of them, escaped (9 wide); the empty
	 * one as nothing, left-aligned as a blob is no number. */
	check(*state, "SELECT x'00ff41' AS b, x'' AS e", RENDER_TABLE, true,
	      "b          e\n"
	      "---------  -\n"
	      "\\x00\\xffA\n");
	/* Names are escaped like values. */
	check(*state, "SELECT 1 AS \"x\ty\"", RENDER_TABLE, true,
	      "x\\ty\n"
	      "----\n"
	      "   1\n");
}

static void test_table_zero_rows(void **state)
{
	check(*state, "SELECT 1 AS a, 'x' AS bb WHERE 0", RENDER_TABLE, true,
	      "a  bb\n"
	      "-  --\n");
	check(*state, "SELECT 1 AS a, 'x' AS bb WHERE 0", RENDER_TABLE, false, "");
}

/* Text from a compromised host: escape sequences (clear the screen, set
 * the title), a newline forging a "flowdb:" line, bidi controls, zero-width
 * characters and a tag, bytes that are not UTF-8 and a C1 CSI. */
#define HOSTILE_SQL                                                              \
	"SELECT char(27) || '[2J' || char(27) || ']0;pwned' || char(7) AS esc, " \
	"'x' || char(10) || 'flowdb: warning: forged' AS nl, "                   \
	"'a' || char(8238) || 'cod.exe' || char(8297) AS bidi, "                 \
	"'z' || char(8203, 65279, 8288, 917569) AS zw, "                         \
	"CAST(x'c0af9b' AS TEXT) || char(155) AS bad, 'C:\\x <b>' || char(233, 128512) AS ok"

static void test_hostile_people(void **state)
{
	/* Every mode for people shows each as its escape; backslashes, markup
	 * (outside html) and printable Unicode stay as they are. */
	check(*state, HOSTILE_SQL, RENDER_LINE, true,
	      " esc = \\x1b[2J\\x1b]0;pwned\\x07\n"
	      "  nl = x\\nflowdb: warning: forged\n"
	      "bidi = a\\u202ecod.exe\\u2069\n"
	      "  zw = z\\u200b\\ufeff\\u2060\\U000e0041\n"
	      " bad = \\xc0\\xaf\\x9b\\u009b\n"
	      "  ok = C:\\x <b>\u00e9\U0001f600\n");
	/* Widths count the escapes: 23, 26, 20, 29, 18 and 10. */
	check(*state, HOSTILE_SQL, RENDER_TABLE, true,
	      "esc                      nl                          bidi                  "
	      "zw                             bad                 ok\n"
	      "-----------------------  --------------------------  --------------------  "
	      "-----------------------------  ------------------  ----------\n"
	      "\\x1b[2J\\x1b]0;pwned\\x07  x\\nflowdb: warning: forged  a\\u202ecod.exe\\u2069  "
	      "z\\u200b\\ufeff\\u2060\\U000e0041  \\xc0\\xaf\\x9b\\u009b  C:\\x <b>\u00e9\U0001f600\n");
	check(*state, HOSTILE_SQL, RENDER_HTML, true,
	      "<table>\n<thead><tr><th>esc</th><th>nl</th><th>bidi</th><th>zw</th><th>bad</th>"
	      "<th>ok</th></tr></thead>\n<tbody>\n"
	      "<tr><td>\\x1b[2J\\x1b]0;pwned\\x07</td><td>x\\nflowdb: warning: forged</td>"
	      "<td>a\\u202ecod.exe\\u2069</td><td>z\\u200b\\ufeff\\u2060\\U000e0041</td>"
	      "<td>\\xc0\\xaf\\x9b\\u009b</td><td>C:\\x &lt;b&gt;\u00e9\U0001f600</td></tr>\n"
	      "</tbody>\n</table>\n");
	/* CSV for spreadsheets likewise; the newline's field stays quoted. */
	check(*state, HOSTILE_SQL, RENDER_CSV, true,
	      "esc,nl,bidi,zw,bad,ok\r\n"
	      "\\x1b[2J\\x1b]0;pwned\\x07,\"x\\nflowdb: warning: forged\",a\\u202ecod.exe\\u2069,"
	      "z\\u200b\\ufeff\\u2060\\U000e0041,\\xc0\\xaf\\x9b\\u009b,C:\\x <b>\u00e9\U0001f600\r\n");
	/* Names are values too. */
	check(*state, "SELECT 1 AS \"a\u202eb\"", RENDER_LINE, true, "a\\u202eb = 1\n");
}

static void test_hostile_exact(void **state)
{
	const struct render_opts exact = { .mode = RENDER_CSV, .headers = false, .exact = true };
	sqlite3_stmt *stmt;
	char *text;

	/* JSON escapes all of them the JSON way (U+E0041 as a surrogate
	 * pair): still exact, as SQLite's own JSON reader shows, but inert on
	 * a terminal; only the bytes that are not UTF-8 are lost, as JSON
	 * must be UTF-8. */
	text = render_sql(*state, HOSTILE_SQL, RENDER_JSON, true);
	assert_string_equal(
		text,
		"[\n{\"esc\":\"\\u001b[2J\\u001b]0;pwned\\u0007\","
		"\"nl\":\"x\\nflowdb: warning: forged\",\"bidi\":\"a\\u202ecod.exe\\u2069\","
		"\"zw\":\"z\\u200b\\ufeff\\u2060\\udb40\\udc41\","
		"\"bad\":\"\\ufffd\\ufffd\\ufffd\\u009b\",\"ok\":\"C:\\\\x <b>\u00e9\U0001f600\"}\n]\n");
	assert_int_equal(sqlite3_prepare_v2(*state,
					    "WITH h AS (" HOSTILE_SQL ") SELECT "
					    "json_extract(?1, '$[0].esc') = esc AND "
					    "json_extract(?1, '$[0].nl') = nl AND "
					    "json_extract(?1, '$[0].bidi') = bidi AND "
					    "json_extract(?1, '$[0].zw') = zw AND "
					    "json_extract(?1, '$[0].ok') = ok FROM h",
					    -1, &stmt, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(stmt, 1, text, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(stmt, 0), 1);
	sqlite3_finalize(stmt);
	free(text);
	/* CSV with exact: every byte as stored, quoted where RFC 4180 says. */
	text = render_opts_sql(*state, HOSTILE_SQL, &exact);
	assert_string_equal(text, "\x1b[2J\x1b]0;pwned\x07,\"x\nflowdb: warning: forged\","
				  "a\u202ecod.exe\u2069,z\u200b\ufeff\u2060\U000e0041,"
				  "\xc0\xaf\x9b\xc2\x9b,C:\\x <b>\u00e9\U0001f600\r\n");
	free(text);
}

static void test_csv_formulas(void **state)
{
	const char *sql =
		"SELECT '=HYPERLINK(\"http://x\",\"y\")' AS f1, '+1+1' AS f2, '-2+3' AS f3, "
		"'@SUM(A1)' AS f4, char(9) || '=1' AS f5, char(13) || '=1' AS f6, "
		"'  =1' AS f7, -5 AS n1, -2.5 AS n2, '-' AS t1, CAST(-5 AS TEXT) AS t2, "
		"'a=b' AS ok, x'2d' AS b";
	const struct render_opts exact = { .mode = RENDER_CSV, .headers = false, .exact = true };
	char *text;

	/* Text that starts, after spaces, with =, +, -, @, tab or CR gets an
	 * apostrophe (tab and CR are escaped besides); numbers are never
	 * guarded, whatever their sign, nor blobs (hex); text is guarded by
	 * its type, even when it reads as a number. */
	check(*state, sql, RENDER_CSV, false,
	      "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'+1+1,'-2+3,'@SUM(A1),\"'\\t=1\","
	      "\"'\\r=1\",\"'  =1\",-5,-2.5,'-,'-5,a=b,2d\r\n");
	text = render_opts_sql(*state, sql, &exact);
	assert_string_equal(text, "\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",+1+1,-2+3,@SUM(A1),"
				  "\"\t=1\",\"\r=1\",\"  =1\",-5,-2.5,-,-5,a=b,2d\r\n");
	free(text);
	/* Names are guarded as text. */
	check(*state, "SELECT 1 AS \"=x\", 2 AS \"-y\"", RENDER_CSV, true, "'=x,'-y\r\n1,2\r\n");
}

/* Writes s with render_string() as opts say into a string to be freed. */
static char *string_of(const struct render_opts *opts, const char *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	render_string(out, opts, s);
	assert_int_equal(fclose(out), 0);
	return text;
}

static void test_render_string(void **state)
{
	static const struct {
		struct render_opts opts;
		const char *text;
	} cases[] = {
		{ { .mode = RENDER_TABLE }, "=h\\x1b]0;x\\x07<\\u202e" },
		{ { .mode = RENDER_LINE }, "=h\\x1b]0;x\\x07<\\u202e" },
		{ { .mode = RENDER_HTML }, "=h\\x1b]0;x\\x07&lt;\\u202e" },
		{ { .mode = RENDER_CSV }, "'=h\\x1b]0;x\\x07<\\u202e" },
		{ { .mode = RENDER_CSV, .exact = true }, "=h\x1b]0;x\x07<\u202e" },
		{ { .mode = RENDER_JSON }, "\"=h\\u001b]0;x\\u0007<\\u202e\"" },
	};
	size_t i;
	char *text;

	/* A host name from a file's meta, as reports write it. */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		text = string_of(&cases[i].opts, "=h\x1b]0;x\x07<\u202e");
		assert_string_equal(text, cases[i].text);
		free(text);
	}
}

/* Renders SAMPLE + 1 rows, all "ab" but row wide_row, which is "wide!". */
static void check_sample(sqlite3 *db, int wide_row)
{
	char sql[256], *expected, *text;
	size_t len = 0;
	FILE *f;
	int x;

	snprintf(sql, sizeof(sql),
		 "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %d) "
		 "SELECT CASE x WHEN %d THEN 'wide!' ELSE 'ab' END AS t, x AS n FROM c",
		 SAMPLE + 1, wide_row);
	f = open_memstream(&expected, &len);
	assert_non_null(f);
	/* Sized by the first SAMPLE rows: t is 5 wide if "wide!" is among
	 * them, else 2 and "wide!" pushes its line out; n is 4 ("1000"). */
	if (wide_row <= SAMPLE)
		fprintf(f, "t         n\n-----  ----\n");
	else
		fprintf(f, "t      n\n--  ----\n");
	for (x = 1; x <= SAMPLE + 1; x++)
		fprintf(f, "%-*s  %4d\n", wide_row <= SAMPLE ? 5 : 2,
			x == wide_row ? "wide!" : "ab", x);
	assert_int_equal(fclose(f), 0);
	text = render_sql(db, sql, RENDER_TABLE, true);
	assert_string_equal(text, expected);
	free(text);
	free(expected);
}

static void test_table_sample(void **state)
{
	check_sample(*state, SAMPLE);
	check_sample(*state, SAMPLE + 1);
}

static void test_line(void **state)
{
	const char *sql = "SELECT 1 AS a, 'x y' AS long_name, NULL AS n, x'00ff' AS b "
			  "UNION ALL SELECT 2.5, 'multi' || char(10) || 'line', 3, 'é'";
	const char *expected = "        a = 1\n"
			       "long_name = x y\n"
			       "        n = \n"
			       "        b = 00ff\n"
			       "\n"
			       "        a = 2.5\n"
			       "long_name = multi\\nline\n"
			       "        n = 3\n"
			       "        b = é\n";

	check(*state, sql, RENDER_LINE, true, expected);
	check(*state, sql, RENDER_LINE, false, expected);
	/* Names align by characters; values are exact, not human. */
	check(*state, "SELECT 1 AS \"é\", 1536 AS bytes", RENDER_LINE, true,
	      "    é = 1\n"
	      "bytes = 1536\n");
	check(*state, "SELECT 1 AS a WHERE 0", RENDER_LINE, true, "");
}

static void test_temp_table(void **state)
{
	static const char *const setup[] = {
		"CREATE TEMP TABLE flows (first_seen INTEGER, src_addr TEXT, packets INTEGER, "
		"bytes INTEGER)",
		/* 1795356000 s is 2026-11-22T14:00:00Z (20779 days and 50400 s). */
		"INSERT INTO flows VALUES (1795356000000000, '10.0.0.1', 3, 180), "
		"(1795356000250000, '2001:db8::1', 12000, 15000000), "
		"(1795356001000000, NULL, 1, 40)",
	};
	const char *sql = "SELECT * FROM flows ORDER BY bytes";
	size_t i;

	for (i = 0; i < sizeof(setup) / sizeof(setup[0]); i++)
		assert_int_equal(sqlite3_exec(*state, setup[i], NULL, NULL, NULL), SQLITE_OK);
	/* 15000000 bytes are 14.305 MiB. */
	check(*state, sql, RENDER_TABLE, true,
	      "first_seen                src_addr     packets     bytes\n"
	      "------------------------  -----------  -------  --------\n"
	      "2026-11-22T14:00:01.000Z                     1      40 B\n"
	      "2026-11-22T14:00:00.000Z  10.0.0.1           3     180 B\n"
	      "2026-11-22T14:00:00.250Z  2001:db8::1    12000  14.3 MiB\n");
	check(*state, sql, RENDER_CSV, true,
	      "first_seen,src_addr,packets,bytes\r\n"
	      "1795356001000000,,1,40\r\n"
	      "1795356000000000,10.0.0.1,3,180\r\n"
	      "1795356000250000,2001:db8::1,12000,15000000\r\n");
	assert_int_equal(sqlite3_exec(*state, "DROP TABLE temp.flows", NULL, NULL, NULL),
			 SQLITE_OK);
}

/* Renders two rows of "SELECT 1 AS a" to /dev/full; with unbuffered set
 * the first write fails at once. Returns what render_end() returned, after
 * checking render_row()'s returns against row_ret. */
static int render_full(sqlite3 *db, enum render_mode mode, bool unbuffered, int row_ret)
{
	const struct render_opts opts = { .mode = mode, .headers = true };
	sqlite3_stmt *stmt;
	struct render *r;
	FILE *out;
	int i, ret;

	out = fopen("/dev/full", "w");
	assert_non_null(out);
	if (unbuffered)
		assert_int_equal(setvbuf(out, NULL, _IONBF, 0), 0);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT 1 AS a", -1, &stmt, NULL), SQLITE_OK);
	r = render_begin(out, &opts, stmt);
	assert_non_null(r);
	for (i = 0; i < 2; i++) {
		assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
		assert_int_equal(render_row(r, stmt), row_ret);
		sqlite3_reset(stmt);
	}
	ret = render_end(r);
	sqlite3_finalize(stmt);
	fclose(out);
	return ret;
}

static void test_write_errors(void **state)
{
	/* Buffered: the error shows when render_end() flushes. */
	assert_int_equal(render_full(*state, RENDER_CSV, false, 0), -EIO);
	assert_int_equal(render_full(*state, RENDER_JSON, false, 0), -EIO);
	assert_int_equal(render_full(*state, RENDER_LINE, false, 0), -EIO);
	assert_int_equal(render_full(*state, RENDER_TABLE, false, 0), -EIO);
	/* Unbuffered: at the row already. */
	assert_int_equal(render_full(*state, RENDER_CSV, true, -EIO), -EIO);
	assert_int_equal(render_full(*state, RENDER_JSON, true, -EIO), -EIO);
	assert_int_equal(render_full(*state, RENDER_LINE, true, -EIO), -EIO);
	/* Table mode holds its rows and writes nothing before the end. */
	assert_int_equal(render_full(*state, RENDER_TABLE, true, 0), -EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_names),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_table_align),
		cmocka_unit_test(test_table_human),
		cmocka_unit_test(test_table_escapes_and_nulls),
		cmocka_unit_test(test_table_zero_rows),
		cmocka_unit_test(test_table_sample),
		cmocka_unit_test(test_line),
		cmocka_unit_test(test_hostile_people),
		cmocka_unit_test(test_hostile_exact),
		cmocka_unit_test(test_csv_formulas),
		cmocka_unit_test(test_render_string),
		cmocka_unit_test(test_temp_table),
		cmocka_unit_test(test_write_errors),
	};

	return cmocka_run_group_tests_name("sh_render", tests, db_open, db_close);
}
