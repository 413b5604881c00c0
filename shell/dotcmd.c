// SPDX-License-Identifier: BSD-2-Clause
/* Dot-commands: tokenized once, checked for arity, dispatched from a table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <langinfo.h>
#include <sys/ioctl.h>
#include "dotcmd.h"
#include "fleet.h"
#include "fmt.h"
#include "follow.h"
#include "funcs.h"
#include "queries.h"
#include "safe.h"
#include "units.h"

/* Bars of a chart whose bucket is not given: one screen. */
#define CHART_TEXT_BARS 40

static const char dotcmds_param_usage[] = ".param [list|set NAME VALUE|unset NAME|clear]";

int dotcmd_tokenize(char *line, char **argv, int max)
{
	char *in = line, *out = line;
	int argc = 0;

	for (;;) {
		char quote = 0;

		in += strspn(in, " \t\r\n");
		if (!*in)
			return argc;
		if (argc == max)
			return -E2BIG;
		argv[argc++] = out;
		/* Quotes may sit inside a word, as in a shell: name="a b". */
		while (*in && (quote || !strchr(" \t\r\n", *in))) {
			if (quote && *in == quote) {
				quote = 0;
				in++;
			} else if (!quote && (*in == '\'' || *in == '"')) {
				quote = *in++;
			} else if (quote == '"' && *in == '\\' && (in[1] == '"' || in[1] == '\\')) {
				*out++ = in[1];
				in += 2;
			} else {
				*out++ = *in++;
			}
		}
		if (quote)
			return -EINVAL;
		if (*in)
			in++;
		*out++ = '\0';
	}
}

/* Parses on or off for the command argv[0]. Returns 0 and sets *v, or
 * -EINVAL after printing the error. */
static int parse_switch(struct shell *sh, char **argv, bool *v)
{
	if (!strcmp(argv[1], "on") || !strcmp(argv[1], "off")) {
		*v = !strcmp(argv[1], "on");
		return 0;
	}
	shell_error(sh, "%s: expected on or off, not \"%s\"", argv[0], argv[1]);
	return -EINVAL;
}

/* Finds the command named name (or its alias). Returns it or NULL. */
static const struct dotcmd *find(const char *name)
{
	const struct dotcmd *c;

	for (c = dotcmds; c->name; c++)
		if (!strcmp(c->name, name) || (c->alias && !strcmp(c->alias, name)))
			return c;
	return NULL;
}

/* .help [COMMAND] */
static int cmd_help(struct shell *sh, int argc, char **argv)
{
	const struct dotcmd *c;
	const struct funcs_doc *f;

	if (argc == 2) {
		char name[64];

		snprintf(name, sizeof(name), "%s%s", argv[1][0] == '.' ? "" : ".", argv[1]);
		c = find(name);
		if (!c) {
			shell_error(sh, ".help: no command \"%s\"", name);
			return -EINVAL;
		}
		fprintf(sh->out, "%s\n    %s\n", c->usage, c->help);
		return 0;
	}
	for (c = dotcmds; c->name; c++)
		fprintf(sh->out, "%-26s %s\n", c->usage, c->help);
	fprintf(sh->out,
		"\nSQL over every file: flows, events, collector_stats, actions, rule_counters,\n"
		"alerts, requests "
		"(.schema shows them; the hidden column \"file\" names a row's file).\n"
		"Functions:\n");
	for (f = funcs_docs; f->name; f++)
		fprintf(sh->out, "  %-24s %s\n", f->usage, f->about);
	fprintf(sh->out,
		"Times are microseconds since the epoch, UTC; WHEN is a duration back from\n"
		"now (2h), an ISO 8601 time (2026-11-22T14:00Z) or @seconds.\n");
	return 0;
}

/* .follow [TABLE]: until Ctrl-C, which ends the follow, not the session. */
static int cmd_follow(struct shell *sh, int argc, char **argv)
{
	struct render_opts opts = sh->render;
	int err;

	if (opts.mode == RENDER_HTML) {
		shell_error(sh, ".follow: writes table, csv, json or line, not html (.mode)");
		return -EINVAL;
	}
	opts.json_lines = true;
	err = follow_run(sh, argc > 1 ? argv[1] : "alerts", &opts);
	shell_interrupted = 0;
	return err;
}

/* .tables */
static int cmd_tables(struct shell *sh, int argc, char **argv)
{
	const char *const *t;

	for (t = catalog_tables; *t; t++)
		fprintf(sh->out, "%s%s", t == catalog_tables ? "" : "  ", *t);
	fputc('\n', sh->out);
	return 0;
}

/* .schema [TABLE] */
static int cmd_schema(struct shell *sh, int argc, char **argv)
{
	sqlite3_stmt *stmt;
	int rc, n = 0;

	rc = sqlite3_prepare_v2(
		sh->schema_db,
		"SELECT sql FROM sqlite_schema WHERE sql NOT NULL AND name <> 'meta' "
		"AND tbl_name <> 'meta' AND (?1 IS NULL OR tbl_name = ?1) ORDER BY rowid",
		-1, &stmt, NULL);
	if (rc) {
		shell_error(sh, "%s", sqlite3_errmsg(sh->schema_db));
		return -EINVAL;
	}
	if (argc == 2)
		sqlite3_bind_text(stmt, 1, argv[1], -1, SQLITE_STATIC);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		fprintf(sh->out, "%s;\n", sqlite3_column_text(stmt, 0));
		n++;
	}
	sqlite3_finalize(stmt);
	if (!n) {
		shell_error(sh, ".schema: no table \"%s\"", argv[1]);
		return -EINVAL;
	}
	return 0;
}

/* .mode [MODE] */
static int cmd_mode(struct shell *sh, int argc, char **argv)
{
	if (argc == 1) {
		fprintf(sh->out, "%s\n", render_mode_name(sh->render.mode));
		return 0;
	}
	if (render_mode_parse(argv[1], &sh->render.mode)) {
		shell_error(sh, ".mode: unknown mode \"%s\"; use table, csv, json, line or html",
			    argv[1]);
		return -EINVAL;
	}
	return 0;
}

/* .headers on|off */
static int cmd_headers(struct shell *sh, int argc, char **argv)
{
	return parse_switch(sh, argv, &sh->render.headers);
}

/* .exact on|off */
static int cmd_exact(struct shell *sh, int argc, char **argv)
{
	return parse_switch(sh, argv, &sh->render.exact);
}

/* .timer on|off */
static int cmd_timer(struct shell *sh, int argc, char **argv)
{
	return parse_switch(sh, argv, &sh->timer);
}

/* .stats on|off */
static int cmd_stats(struct shell *sh, int argc, char **argv)
{
	return parse_switch(sh, argv, &sh->stats);
}

/* .output [FILE] */
static int cmd_output(struct shell *sh, int argc, char **argv)
{
	int err = shell_set_output(sh, argc == 2 ? argv[1] : NULL);

	if (err)
		shell_error(sh, ".output: cannot write \"%s\": %s", argv[1], strerror(-err));
	return err ? -EINVAL : 0;
}

/* .files: rendered like any result, so csv and json work for scripts. */
static int cmd_files(struct shell *sh, int argc, char **argv)
{
	struct catalog *c = sh->catalog;
	sqlite3_stmt *stmt = NULL;
	size_t i;
	int rc, err;

	if (shell_refresh(sh))
		return -EINVAL;
	rc = sqlite3_exec(
		sh->db,
		"DROP TABLE IF EXISTS temp.flowdb_files;"
		"CREATE TEMP TABLE flowdb_files (file TEXT, host TEXT, start_time INTEGER,"
		" end_time INTEGER, size_bytes INTEGER, status TEXT)",
		NULL, NULL, NULL);
	if (!rc)
		rc = sqlite3_prepare_v2(sh->db,
					"INSERT INTO temp.flowdb_files VALUES (?,?,?,?,?,?)", -1,
					&stmt, NULL);
	for (i = 0; !rc && i < c->n_files; i++) {
		const struct catalog_file *f = c->files[i];

		sqlite3_bind_text(stmt, 1, f->path, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, f->host ? f->host : "", -1, SQLITE_STATIC);
		if (!f->error) {
			sqlite3_bind_int64(stmt, 3, f->time_start_us);
			sqlite3_bind_int64(stmt, 4, f->time_end_us);
		}
		sqlite3_bind_int64(stmt, 5, f->size);
		sqlite3_bind_text(stmt, 6,
				  f->error ? f->error :
				  f->wal   ? "writing" :
					     "ok",
				  -1, SQLITE_STATIC);
		rc = sqlite3_step(stmt) == SQLITE_DONE ? sqlite3_reset(stmt) : SQLITE_ERROR;
		sqlite3_clear_bindings(stmt);
	}
	sqlite3_finalize(stmt);
	if (rc) {
		shell_sql_error(sh, sh->db);
		return -EINVAL;
	}
	err = shell_exec_sql(sh, "SELECT * FROM temp.flowdb_files");
	sqlite3_exec(sh->db, "DROP TABLE temp.flowdb_files", NULL, NULL, NULL);
	return err;
}

/* .since and .until [WHEN|off] */
static int cmd_window(struct shell *sh, int argc, char **argv)
{
	bool is_until = !strcmp(argv[0], ".until");
	const char *text = is_until ? sh->until : sh->since;
	char buf[FMT_BUF_SIZE];
	int64_t us;
	int err;

	if (argc == 1) {
		if (!text)
			fprintf(sh->out, "off\n");
		else if (fmt_parse_time(text, shell_now_us(), &us))
			safe_fprintf(sh->out, "%s\n", text);
		else
			safe_fprintf(sh->out, "%s (%s)\n", text, fmt_time(buf, sizeof(buf), us, 0));
		return 0;
	}
	err = shell_set_window(sh, is_until, argv[1]);
	if (err == -EINVAL)
		shell_error(
			sh,
			"%s: bad time \"%s\": expected a duration back from now (2h), an ISO 8601 "
			"time, @seconds, all or off",
			argv[0], argv[1]);
	else if (err)
		shell_error(sh, "out of memory");
	return err ? -EINVAL : 0;
}

/* .queries */
static int cmd_queries(struct shell *sh, int argc, char **argv)
{
	const struct query *q;
	size_t i, n;

	q = queries_all(&n);
	for (i = 0; i < n; i++) {
		char usage[160];
		int j;

		queries_usage(&q[i], usage, sizeof(usage));
		fprintf(sh->out, "%-14s %s\n    %s\n", q[i].name, q[i].about, usage);
		for (j = 0; j < q[i].n_params; j++)
			fprintf(sh->out, "      %-8s %s%s%s%s\n", q[i].params[j].name,
				q[i].params[j].about,
				strcmp(q[i].params[j].def, "-") ? " (default " : "",
				strcmp(q[i].params[j].def, "-") ? q[i].params[j].def : "",
				strcmp(q[i].params[j].def, "-") ? ")" : "");
	}
	return 0;
}

/* .q NAME [ARGS...] */
static int cmd_query(struct shell *sh, int argc, char **argv)
{
	return shell_run_query(sh, argv[1], argc - 2, argv + 2);
}

/* .param [list | set NAME VALUE | unset NAME | clear] */
static int cmd_param(struct shell *sh, int argc, char **argv)
{
	static const struct {
		const char *action;
		int n_args;
		const char *usage;
	} actions[] = {
		{ "list", 0, ".param list" },
		{ "set", 2, ".param set NAME VALUE" },
		{ "unset", 1, ".param unset NAME" },
		{ "clear", 0, ".param clear" },
	};
	const char *action = argc > 1 ? argv[1] : "list";
	size_t i, n = sizeof(actions) / sizeof(actions[0]);
	int err;

	for (i = 0; i < n && strcmp(actions[i].action, action); i++)
		;
	if (i == n) {
		shell_error(sh, ".param: unknown action \"%s\"; usage: %s", action,
			    dotcmds_param_usage);
		return -EINVAL;
	}
	if (argc > 1 && argc - 2 != actions[i].n_args) {
		shell_error(sh, ".param %s: %s; usage: %s", action,
			    argc - 2 < actions[i].n_args ? "missing argument" : "too many arguments",
			    actions[i].usage);
		return -EINVAL;
	}
	if (!strcmp(action, "list")) {
		for (i = 0; i < sh->n_params; i++)
			safe_fprintf(sh->out, ":%-15s %s\n", sh->params[i].name,
				     sh->params[i].value);
		return 0;
	}
	if (!strcmp(action, "clear")) {
		shell_clear_params(sh);
		return 0;
	}
	err = shell_set_param(sh, argv[2], argc == 4 ? argv[3] : NULL);
	if (err == -EINVAL)
		shell_error(sh, ".param %s: bad name \"%s\": use letters, digits and _", action,
			    argv[2]);
	else if (err == -ENOENT)
		shell_error(sh, ".param unset: no parameter \"%s\"", argv[2]);
	else if (err)
		shell_error(sh, "out of memory");
	return err ? -EINVAL : 0;
}

/* The columns a chart on out may fill: the terminal's width, else
 * $COLUMNS, else 80. */
static int out_columns(FILE *out)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");

	if (!ioctl(fileno(out), TIOCGWINSZ, &ws) && ws.ws_col)
		return ws.ws_col;
	if (env && atoi(env) > 0)
		return atoi(env);
	return 80;
}

/* .chart [bytes|packets|flows] [BUCKET] */
static int cmd_chart(struct shell *sh, int argc, char **argv)
{
	struct chart c = { .metric = "bytes", .unit = CHART_BYTES };
	int64_t from, to;
	uint64_t bucket = 0;
	int i, err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "bytes") || !strcmp(argv[i], "packets") ||
		    !strcmp(argv[i], "flows")) {
			c.metric = argv[i];
			c.unit = strcmp(argv[i], "bytes") ? CHART_COUNT : CHART_BYTES;
		} else if (units_parse_duration(argv[i], &bucket) || !bucket ||
			   bucket > INT64_MAX) {
			shell_error(sh, ".chart: \"%s\" is neither bytes, packets, flows nor a "
					"bucket length (5m, 1h)", argv[i]);
			return -EINVAL;
		}
	}
	if (shell_window_range(sh, shell_now_us(), &from, &to))
		return -EINVAL;
	/* A file's meta may reach INT64_MIN and INT64_MAX: the span saturates. */
	c.bucket_us = bucket ? (int64_t)bucket :
			       chart_bucket(fmt_sub_sat(to, from), CHART_TEXT_BARS);
	err = shell_series(sh, &c, from, to);
	if (err)
		return err;
	err = chart_text(sh->out, &c, out_columns(sh->out),
			 !strcmp(nl_langinfo(CODESET), "UTF-8"));
	chart_free(&c);
	fflush(sh->out);
	if (err)
		shell_error(sh, "cannot write the chart: %s", strerror(EIO));
	return err ? -EINVAL : 0;
}

/* .show */
static int cmd_show(struct shell *sh, int argc, char **argv)
{
	char t[32], m[32];

	fprintf(sh->out, "   mode: %s\nheaders: %s\n  exact: %s\n  timer: %s\n  stats: %s\n",
		render_mode_name(sh->render.mode), sh->render.headers ? "on" : "off",
		sh->render.exact ? "on" : "off", sh->timer ? "on" : "off",
		sh->stats ? "on" : "off");
	/* One line each: what was typed may hold anything. */
	safe_fprintf(sh->out, " output: %s\n", sh->out_path ? sh->out_path : "stdout");
	safe_fprintf(sh->out, "  since: %s\n", sh->since ? sh->since : "off");
	safe_fprintf(sh->out, "  until: %s\n", sh->until ? sh->until : "off");
	fprintf(sh->out, " budget: %s, %s\n",
		sh->budget_time_us ? fmt_duration(t, sizeof(t), (int64_t)sh->budget_time_us) :
				     "no time limit",
		sh->budget_memory ? fmt_bytes(m, sizeof(m), (int64_t)sh->budget_memory) :
				    "no memory limit");
	if (sh->fleet)
		safe_fprintf(sh->out, "  fleet: %s\n", fleet_url(sh->fleet));
	else
		fprintf(sh->out, "  files: %zu usable, %zu skipped\n", catalog_usable(sh->catalog),
			sh->catalog->n_files - catalog_usable(sh->catalog));
	return 0;
}

/* .budget [time DUR|off] [memory SIZE|off]: shows or sets what a statement
 * may use. */
static int cmd_budget(struct shell *sh, int argc, char **argv)
{
	uint64_t time_us = sh->budget_time_us, memory = sh->budget_memory;
	char t[32], m[32];
	int i;

	if (argc % 2 == 0) {
		shell_error(sh, "usage: .budget [time DUR|off] [memory SIZE|off]");
		return -EINVAL;
	}
	for (i = 1; i < argc; i += 2) {
		bool is_memory = !strcmp(argv[i], "memory");

		if ((!is_memory && strcmp(argv[i], "time")) ||
		    shell_budget_parse(is_memory, argv[i + 1], is_memory ? &memory : &time_us)) {
			shell_error(sh, "bad budget \"%s %s\": time DUR (30s, 10m) or memory SIZE "
					"(512M, 4G), or off",
				    argv[i], argv[i + 1]);
			return -EINVAL;
		}
	}
	shell_set_budget(sh, time_us, memory);
	if (argc == 1) {
		fprintf(sh->out, "  time: %s\nmemory: %s\n",
			time_us ? fmt_duration(t, sizeof(t), (int64_t)time_us) : "off",
			memory ? fmt_bytes(m, sizeof(m), (int64_t)memory) : "off");
	}
	return 0;
}

/* .quit */
static int cmd_quit(struct shell *sh, int argc, char **argv)
{
	sh->quit = true;
	return 0;
}

const struct dotcmd dotcmds[] = {
	{ ".budget", NULL, 0, 4, ".budget [time DUR|off] [memory SIZE|off]",
	  "what one statement may take: time, and SQLite's memory", cmd_budget, true },
	{ ".chart", NULL, 0, 2, ".chart [bytes|packets|flows] [BUCKET]",
	  "traffic over the session window as a bar chart", cmd_chart },
	{ ".exact", NULL, 1, 1, ".exact on|off", "csv byte for byte: no escapes, no formula guard",
	  cmd_exact },
	{ ".files", NULL, 0, 0, ".files", "list the flow files: time range, size, host, status",
	  cmd_files, true },
	{ ".follow", NULL, 0, 1, ".follow [TABLE]",
	  "print TABLE's new rows (default alerts) as they are written, until Ctrl-C",
	  cmd_follow, true },
	{ ".headers", NULL, 1, 1, ".headers on|off", "column names in table and csv output",
	  cmd_headers },
	{ ".help", NULL, 0, 1, ".help [COMMAND]", "this list, or one command's help", cmd_help },
	{ ".mode", NULL, 0, 1, ".mode [table|csv|json|line|html]", "set the output format, or show it",
	  cmd_mode },
	{ ".output", NULL, 0, 1, ".output [FILE]", "write results to FILE, or to standard output",
	  cmd_output },
	{ ".param", NULL, 0, 3, dotcmds_param_usage,
	  "values for :NAME parameters of SQL", cmd_param, true },
	{ ".q", ".query", 1, -1, ".q NAME [ARG...]", "run a canned query (arguments: .queries)",
	  cmd_query },
	{ ".queries", NULL, 0, 0, ".queries", "list the canned queries and their arguments",
	  cmd_queries },
	{ ".quit", ".exit", 0, 0, ".quit", "leave the shell", cmd_quit },
	{ ".schema", NULL, 0, 1, ".schema [TABLE]", "the file schema: tables, columns, indexes",
	  cmd_schema, true },
	{ ".show", NULL, 0, 0, ".show", "the current settings", cmd_show },
	{ ".since", NULL, 0, 1, ".since [WHEN|all|off]",
	  "start of the session window, for every query", cmd_window },
	{ ".stats", NULL, 1, 1, ".stats on|off", "files and rows each statement read", cmd_stats,
	  true },
	{ ".tables", NULL, 0, 0, ".tables", "list the tables", cmd_tables, true },
	{ ".timer", NULL, 1, 1, ".timer on|off", "time each statement", cmd_timer },
	{ ".until", NULL, 0, 1, ".until [WHEN|all|off]", "end of the session window", cmd_window },
	{ NULL },
};

int dotcmd_run(struct shell *sh, const char *line)
{
	char *argv[DOTCMD_ARGS_MAX];
	const struct dotcmd *c;
	char *copy = strdup(line);
	int argc, err = -EINVAL;

	if (!copy) {
		shell_error(sh, "out of memory");
		return -ENOMEM;
	}
	argc = dotcmd_tokenize(copy, argv, DOTCMD_ARGS_MAX);
	if (argc == -EINVAL) {
		shell_error(sh, "unterminated quote");
		goto cleanup;
	}
	if (argc < 0) {
		shell_error(sh, "more than %d words", DOTCMD_ARGS_MAX);
		goto cleanup;
	}
	c = find(argv[0]);
	if (!c)
		shell_error(sh, "unknown command \"%s\"; .help lists them", argv[0]);
	else if (sh->fleet && c->files_only)
		shell_error(sh, "%s reads the flow files; over ClickHouse (--clickhouse) it does "
				"not apply", c->name);
	else if (argc - 1 < c->min_args)
		shell_error(sh, "%s: missing argument; usage: %s", argv[0], c->usage);
	else if (c->max_args >= 0 && argc - 1 > c->max_args)
		shell_error(sh, "%s: too many arguments; usage: %s", argv[0], c->usage);
	else
		err = c->run(sh, argc, argv);
cleanup:
	free(copy);
	return err;
}
