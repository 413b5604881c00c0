// SPDX-License-Identifier: BSD-2-Clause
/* Dot-commands, canned query arguments and completion, message by message. */
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
#include "dotcmd.h"
#include "input.h"
#include "queries.h"

struct fixture {
	char dir[64];
	struct shell *sh;
	char *out, *err;
	size_t out_len, err_len;
	FILE *err_stream;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct catalog *c;

	strcpy(fx->dir, "/tmp/test_sh_dotcmd.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
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

	shell_free(fx->sh);
	fclose(fx->err_stream);
	free(fx->out);
	free(fx->err);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* Runs line; checks its return code, its error text (exactly) and, when
 * want_out is not NULL, its output (exactly). */
static void check(struct fixture *fx, const char *line, int want_rc, const char *want_out,
		  const char *want_err)
{
	rewind(fx->sh->out);
	rewind(fx->err_stream);
	assert_int_equal(shell_exec(fx->sh, line), want_rc);
	fputc('\0', fx->sh->out);
	fputc('\0', fx->err_stream);
	fflush(fx->sh->out);
	fflush(fx->err_stream);
	if (want_out)
		assert_string_equal(fx->out, want_out);
	assert_string_equal(fx->err, want_err);
}

/* Every command with too few and too many arguments gets its usage. */
static void test_arity(void **state)
{
	struct fixture *fx = *state;
	const struct dotcmd *c;
	char line[256], want[512];

	for (c = dotcmds; c->name; c++) {
		if (c->min_args > 0) {
			snprintf(line, sizeof(line), "%s", c->name);
			snprintf(want, sizeof(want), "Error: %s: missing argument; usage: %s\n",
				 c->name, c->usage);
			check(fx, line, -EINVAL, "", want);
		}
		if (c->max_args >= 0) {
			int i, n = snprintf(line, sizeof(line), "%s", c->name);

			for (i = 0; i <= c->max_args; i++)
				n += snprintf(line + n, sizeof(line) - n, " a");
			snprintf(want, sizeof(want), "Error: %s: too many arguments; usage: %s\n",
				 c->name, c->usage);
			check(fx, line, -EINVAL, "", want);
		}
	}
}

/* Valid arguments, and bad values, command by command. */
static void test_commands(void **state)
{
	struct fixture *fx = *state;

	check(fx, ".foo", -EINVAL, "", "Error: unknown command \".foo\"; .help lists them\n");
	check(fx, ".mode", 0, "table\n", "");
	check(fx, ".mode json", 0, "", "");
	check(fx, ".mode", 0, "json\n", "");
	check(fx, ".mode xml", -EINVAL, "",
	      "Error: .mode: unknown mode \"xml\"; use table, csv, json, line or html\n");
	check(fx, ".headers off", 0, "", "");
	assert_false(fx->sh->render.headers);
	check(fx, ".headers maybe", -EINVAL, "",
	      "Error: .headers: expected on or off, not \"maybe\"\n");
	check(fx, ".timer on", 0, "", "");
	assert_true(fx->sh->timer);
	check(fx, ".stats on", 0, "", "");
	assert_true(fx->sh->stats);
	check(fx, ".tables", 0,
	      "flows  events  collector_stats  actions  rule_counters  alerts  requests\n", "");
	check(fx, ".schema nope", -EINVAL, "", "Error: .schema: no table \"nope\"\n");
	check(fx, ".help nope", -EINVAL, "", "Error: .help: no command \".nope\"\n");
	check(fx, ".help mode", 0,
	      ".mode [table|csv|json|line|html]\n    set the output format, or show it\n", "");
	check(fx, ".help .q", 0, ".q NAME [ARG...]\n    run a canned query (arguments: .queries)\n",
	      "");
	check(fx, ".since", 0, "off\n", "");
	check(fx, ".since @1795356000", 0, "", "");
	check(fx, ".since", 0, "@1795356000 (2026-11-22T14:00:00Z)\n", "");
	check(fx, ".since yesterday", -EINVAL, "",
	      "Error: .since: bad time \"yesterday\": expected a duration back from now (2h), an "
	      "ISO 8601 time, @seconds, all or off\n");
	check(fx, ".since all", 0, "", "");
	check(fx, ".since", 0, "all\n", "");
	check(fx, ".since off", 0, "", "");
	assert_null(fx->sh->since);
	check(fx, ".until 2026-11-22T15:00Z", 0, "", "");
	check(fx, ".until", 0, "2026-11-22T15:00Z (2026-11-22T15:00:00Z)\n", "");
	check(fx, ".output /nonexistent/dir/x", -EINVAL, "",
	      "Error: .output: cannot write \"/nonexistent/dir/x\": No such file or directory\n");
	check(fx, ".budget", 0, "  time: 10m00s\nmemory: 4.0 GiB\n", "");
	check(fx, ".budget time 30s memory 512M", 0, "", "");
	assert_int_equal(fx->sh->budget_time_us, 30000000);
	assert_int_equal(fx->sh->budget_memory, 512 << 20);
	check(fx, ".budget time off", 0, "", "");
	check(fx, ".budget", 0, "  time: off\nmemory: 512.0 MiB\n", "");
	check(fx, ".budget time", -EINVAL, "",
	      "Error: usage: .budget [time DUR|off] [memory SIZE|off]\n");
	check(fx, ".budget memory lots", -EINVAL, "",
	      "Error: bad budget \"memory lots\": time DUR (30s, 10m) or memory SIZE (512M, 4G), "
	      "or off\n");
	check(fx, ".budget time 1s memory 1G extra", -EINVAL, "",
	      "Error: .budget: too many arguments; usage: .budget [time DUR|off] [memory "
	      "SIZE|off]\n");
	check(fx, ".q nope", -EINVAL, "", "Error: unknown query \"nope\"; .queries lists them\n");
	check(fx, ".query nope 1", -EINVAL, "",
	      "Error: unknown query \"nope\"; .queries lists them\n");
	check(fx, ".mode 'csv", -EINVAL, "", "Error: unterminated quote\n");
	check(fx, ".quit", 0, "", "");
	assert_true(fx->sh->quit);
}

/* .param sets, lists and removes the values of :NAME, and SQL uses them:
 * whole numbers as integers, anything else as text. */
static void test_param(void **state)
{
	struct fixture *fx = *state;

	check(fx, ".param", 0, "", "");
	check(fx, ".param set", -EINVAL, "",
	      "Error: .param set: missing argument; usage: .param set NAME VALUE\n");
	check(fx, ".param set ip", -EINVAL, "",
	      "Error: .param set: missing argument; usage: .param set NAME VALUE\n");
	check(fx, ".param set ip 1 2", -EINVAL, "",
	      "Error: .param: too many arguments; usage: .param [list|set NAME VALUE|unset "
	      "NAME|clear]\n");
	check(fx, ".param unset ip 1", -EINVAL, "",
	      "Error: .param unset: too many arguments; usage: .param unset NAME\n");
	check(fx, ".param list x", -EINVAL, "",
	      "Error: .param list: too many arguments; usage: .param list\n");
	check(fx, ".param drop x", -EINVAL, "",
	      "Error: .param: unknown action \"drop\"; usage: .param [list|set NAME VALUE|unset "
	      "NAME|clear]\n");
	check(fx, ".param set 1x 5", -EINVAL, "",
	      "Error: .param set: bad name \"1x\": use letters, digits and _\n");
	check(fx, ".param unset ip", -EINVAL, "", "Error: .param unset: no parameter \"ip\"\n");
	check(fx, ".param set ip 10.0.0.1", 0, "", "");
	check(fx, ".param set :n -42", 0, "", "");
	check(fx, ".param set s ' 7'", 0, "", "");
	check(fx, ".param list", 0, ":ip              10.0.0.1\n:n               -42\n:s                7\n",
	      "");
	check(fx, ".mode csv", 0, "", "");
	/* The name "@n + 1" is text a spreadsheet would compute: guarded;
	 * -41 is a number and stays one. */
	check(fx, "SELECT :ip, typeof($n), @n + 1, typeof(:s)", 0,
	      ":ip,typeof($n),'@n + 1,typeof(:s)\r\n10.0.0.1,integer,-41,text\r\n", "");
	check(fx, "SELECT :nope", -EINVAL, "",
	      "Error: no value for :nope: give it with -p nope=VALUE or .param set nope VALUE\n");
	check(fx, "SELECT ?", -EINVAL, "",
	      "Error: parameter 1 has no name: write :name, and give its value with -p "
	      "name=VALUE or .param set name VALUE\n");
	check(fx, ".param unset ip", 0, "", "");
	check(fx, ".param", 0, ":n               -42\n:s                7\n", "");
	check(fx, ".param clear", 0, "", "");
	check(fx, ".param", 0, "", "");
}

/* .chart checks its words before it reads anything. */
static void test_chart_arguments(void **state)
{
	struct fixture *fx = *state;

	check(fx, ".chart bits", -EINVAL, "",
	      "Error: .chart: \"bits\" is neither bytes, packets, flows nor a bucket length (5m, "
	      "1h)\n");
	check(fx, ".chart flows 0s", -EINVAL, "",
	      "Error: .chart: \"0s\" is neither bytes, packets, flows nor a bucket length (5m, "
	      "1h)\n");
	check(fx, ".chart packets 5m", -EINVAL, "", "Error: no flow files to chart\n");
}

/* .output sends results to a file, and back. */
static void test_output(void **state)
{
	struct fixture *fx = *state;
	char path[128], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/out.csv", fx->dir);
	check(fx, ".mode csv", 0, "", "");
	fclose(fx->sh->out);
	fx->sh->out = stdout; /* .output replaces it, as at start-up */
	free(fx->out);
	fx->out = NULL;
	assert_int_equal(shell_set_output(fx->sh, path), 0);
	assert_int_equal(shell_exec(fx->sh, "SELECT 1 AS a, 'x,y' AS b"), 0);
	assert_int_equal(shell_set_output(fx->sh, NULL), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, sizeof(buf) - 1, f), 14);
	fclose(f);
	unlink(path);
	assert_string_equal(buf, "a,b\r\n1,\"x,y\"\r\n");
	fx->sh->out = open_memstream(&fx->out, &fx->out_len);
}

/* Bad SQL prints SQLite's message; the next statement still runs. */
static void test_sql_errors(void **state)
{
	struct fixture *fx = *state;

	check(fx, ".mode csv", 0, "", "");
	check(fx, "SELEC 1", -EINVAL, "", "Error: near \"SELEC\": syntax error\n");
	check(fx, "SELECT nope FROM flows", -EINVAL, "", "Error: no such column: nope\n");
	check(fx, "SELECT 41 + 1 AS x; SELECT 'b' AS y", 0, "x\r\n42\r\ny\r\nb\r\n", "");
	check(fx, "SELECT 1 AS x; SELEC", -EINVAL, "x\r\n1\r\n",
	      "Error: near \"SELEC\": syntax error\n");
	check(fx, "-- only a comment", 0, "", "");
}

/* Messages carry SQLite's text, file names and what was typed: a title
 * escape, a forged line or a bidi override shows as escapes, on one line. */
static void test_hostile_messages(void **state)
{
	struct fixture *fx = *state;

	check(fx, "SELECT * FROM \"t\x1b]0;pwned\x07\"", -EINVAL, "",
	      "Error: no such table: t\\x1b]0;pwned\\x07\n");
	check(fx, ".mode \"csv\nflowdb: warning: forged\"", -EINVAL, "",
	      "Error: .mode: unknown mode \"csv\\nflowdb: warning: forged\"; use table, csv, "
	      "json, line or html\n");
	check(fx, ".since \"1h\xe2\x80\xae\"", -EINVAL, "",
	      "Error: .since: bad time \"1h\\u202e\": expected a duration back from now (2h), an "
	      "ISO 8601 time, @seconds, all or off\n");
	check(fx, ".output \"/nonexistent/\x1b[2J\"", -EINVAL, "",
	      "Error: .output: cannot write \"/nonexistent/\\x1b[2J\": No such file or "
	      "directory\n");
	check(fx, ".q host \"\xc0\x80\"", -EINVAL, "",
	      "Error: host: bad host \"\\xc0\\x80\": expected an IPv4 or IPv6 address\n");
	/* What was set shows back escaped too. */
	check(fx, ".param set p \"a\x1b[2Jb\"", 0, "", "");
	check(fx, ".param list", 0, ":p               a\\x1b[2Jb\n", "");
	check(fx, ".since \"@0\x0b\"", -EINVAL, "",
	      "Error: .since: bad time \"@0\\x0b\": expected a duration back from now (2h), an "
	      "ISO 8601 time, @seconds, all or off\n");
}

/* .exact switches csv between guarded and byte for byte; .show says so. */
static void test_exact(void **state)
{
	struct fixture *fx = *state;

	check(fx, ".mode csv", 0, "", "");
	check(fx, "SELECT '=1+1' AS f, -5 AS n, 'a' || char(10) || 'b' AS t", 0,
	      "f,n,t\r\n'=1+1,-5,\"a\\nb\"\r\n", "");
	check(fx, ".exact on", 0, "", "");
	assert_true(fx->sh->render.exact);
	check(fx, "SELECT '=1+1' AS f, -5 AS n, 'a' || char(10) || 'b' AS t", 0,
	      "f,n,t\r\n=1+1,-5,\"a\nb\"\r\n", "");
	check(fx, ".show", 0,
	      "   mode: csv\nheaders: on\n  exact: on\n  timer: off\n  stats: off\n output: stdout\n"
	      "  since: off\n  until: off\n budget: 10m00s, 4.0 GiB\n"
	      "  files: 0 usable, 0 skipped\n",
	      "");
	check(fx, ".exact maybe", -EINVAL, "",
	      "Error: .exact: expected on or off, not \"maybe\"\n");
	check(fx, ".exact off", 0, "", "");
	assert_false(fx->sh->render.exact);
}

/* Canned query arguments: positions, names, defaults and every error. */
static void test_query_arguments(void **state)
{
	struct fixture *fx = *state;

	check(fx, ".mode csv", 0, "", "");
	check(fx, ".q top-talkers", 0, "host,flows,packets,bytes\r\n", "");
	check(fx, ".q top-talkers 1h 5 packets", 0, "host,flows,packets,bytes\r\n", "");
	check(fx, ".q top-talkers limit=5 by=flows until=2026-11-22", 0,
	      "host,flows,packets,bytes\r\n", "");
	check(fx, ".q top-talkers 1h 5 packets extra", -EINVAL, "",
	      "Error: top-talkers: too many arguments; usage: .q top-talkers [SINCE] [LIMIT] [BY]\n");
	check(fx, ".q top-talkers 1h 5 bits", -EINVAL, "",
	      "Error: top-talkers: bad by \"bits\": expected one of bytes,packets,flows\n");
	check(fx, ".q top-talkers 1h x", -EINVAL, "",
	      "Error: top-talkers: bad limit \"x\": expected a whole number\n");
	check(fx, ".q top-talkers soon", -EINVAL, "",
	      "Error: top-talkers: bad since \"soon\": expected a duration back from now (2h), an "
	      "ISO 8601 time or all\n");
	check(fx, ".q top-talkers color=red", -EINVAL, "",
	      "Error: top-talkers: no parameter \"color\"\n");
	check(fx, ".q host", -EINVAL, "",
	      "Error: host: missing host; usage: .q host HOST [SINCE] [LIMIT]\n");
	check(fx, ".q host 10.0.0.300", -EINVAL, "",
	      "Error: host: bad host \"10.0.0.300\": expected an IPv4 or IPv6 address\n");
	check(fx, ".q traffic all 90x", -EINVAL, "",
	      "Error: traffic: bad bucket \"90x\": expected a duration such as 30s, 5m or 1h\n");
	check(fx, ".q host 2001:DB8::1 all", 0,
	      "peer,proto,flows,packets,sent_bytes,received_bytes,first_seen,last_seen\r\n", "");
}

/* Every embedded query has a description, parameters and SQL that
 * prepares against the union tables. */
static void test_queries_load(void **state)
{
	struct fixture *fx = *state;
	const struct query *q;
	sqlite3_stmt *stmt;
	size_t i, n;

	q = queries_all(&n);
	assert_true(n >= 10);
	for (i = 0; i < n; i++) {
		assert_non_null(q[i].about);
		assert_int_equal(sqlite3_prepare_v2(fx->sh->db, q[i].sql, -1, &stmt, NULL),
				 SQLITE_OK);
		sqlite3_finalize(stmt);
		assert_ptr_equal(queries_find(q[i].name), &q[i]);
		if (i)
			assert_true(strcmp(q[i - 1].name, q[i].name) < 0);
	}
	assert_null(queries_find("nope"));
}

/* The tokenizer: blanks, both quotes, escapes, limits. */
static void test_tokenize(void **state)
{
	char line[] = ".q  host\t'a b'  \"c \\\"d\\\\\" name=\"x y\" ''";
	char *argv[8];
	char many[] = "a b c d";

	assert_int_equal(dotcmd_tokenize(line, argv, 8), 6);
	assert_string_equal(argv[0], ".q");
	assert_string_equal(argv[1], "host");
	assert_string_equal(argv[2], "a b");
	assert_string_equal(argv[3], "c \"d\\");
	assert_string_equal(argv[4], "name=x y");
	assert_string_equal(argv[5], "");
	assert_int_equal(dotcmd_tokenize(many, argv, 3), -E2BIG);
}

/* Collects candidates into a comma-separated list. */
static void gather(const char *candidate, void *arg)
{
	char *list = arg;

	if (*list)
		strcat(list, ",");
	strcat(list, candidate);
}

/* Completion offers what fits where the cursor is. */
static void test_completion(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *line, *word, *want;
	} cases[] = {
		{ ".mo", ".mo", ".mode" },
		{ ".q", ".q", ".q,.query,.queries,.quit" },
		{ ".q top-t", "top-t", "top-talkers" },
		{ ".query lo", "lo", "long-flows,loss" },
		{ ".mode j", "j", "json" },
		{ ".headers o", "o", "on,off" },
		{ ".schema ev", "ev", "events" },
		{ "SELECT sum(pack", "pack", "packets" },
		{ "select * from flo", "flo", "flows" },
		{ "SELECT src_", "src_", "src_addr,src_port" },
		{ "SELECT cidr", "cidr", "cidr_match" },
		{ "SELECT * FROM flows whe", "whe", "WHERE,WHEN" },
		{ "SELECT ", "", "" },
	};
	char list[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		list[0] = '\0';
		input_candidates(fx->sh, cases[i].line, cases[i].word, gather, list);
		assert_string_equal(list, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_param, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chart_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sql_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queries_load, setup, teardown),
		cmocka_unit_test(test_tokenize),
		cmocka_unit_test_setup_teardown(test_completion, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
