// SPDX-License-Identifier: BSD-2-Clause
/* flowdb: SQL over every flow file, interactive or for cron. */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "fleet.h"
#include "fmt.h"
#include "follow.h"
#include "input.h"
#include "queries.h"
#include "report.h"
#include "safe.h"
#include "shell.h"

#define DEFAULT_DATA_DIR "/var/lib/flowdb"
/* -c commands and canned query arguments one command line can hold. */
#define ARGS_MAX 64

struct args {
	const char *commands[ARGS_MAX];
	int n_commands;
	const char *query;
	char *params[ARGS_MAX]; /* name=value, for the canned query */
	int n_params;
	const char *since, *until;
	const char *output;
	enum render_mode mode;
	const char *format; /* as typed: a render mode, or a report format */
	const char *report;
	const char *follow; /* --follow's table; NULL: not following */
	const char *clickhouse; /* --clickhouse's URL; NULL: the files */
	/* --host values: the machines of a fleet (--clickhouse), or else the
	 * host query's address */
	char *hosts[ARGS_MAX];
	int n_hosts;
	bool sources; /* -d or a FILE named */
	bool headers, stats, bail, exact, no_rollups;
	uint64_t budget_time_us, budget_memory;
	bool needs_query; /* --limit or --host */
	enum report_kind report_kind;
	enum report_format report_format;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: flowdb [options] [-d DIR | FILE...]\n"
		"SQL over the flow files flowdb-collector writes: one flows, events,\n"
		"collector_stats, actions, rule_counters, alerts and requests table\n"
		"spanning every file, opened read-only.\n"
		"\n"
		"  -d, --data-dir DIR      read every *.db file in DIR (default %s\n"
		"                          when no FILE or DIR is named; repeatable)\n"
		"  -c, --command CMD       run SQL or a dot-command, then exit (repeatable)\n"
		"  -q, --query NAME        run a canned query, then exit (.queries lists them)\n"
		"  -r, --report KIND       write the daily or hourly report, then exit\n"
		"      --follow [TABLE]    print TABLE's new rows as the collector commits\n"
		"                          them, across rotations, until Ctrl-C: alerts\n"
		"                          (default), events, flows, requests, actions,\n"
		"                          collector_stats or rule_counters; json lines\n"
		"                          unless standard output is a terminal (-f\n"
		"                          chooses)\n"
		"      --since WHEN        start of the time window\n"
		"      --until WHEN        end of the time window\n"
		"      --limit N           canned query: rows to show\n"
		"      --host ADDR         canned query: the host, for the host query\n"
		"      --clickhouse URL    query a fleet's ClickHouse tables (flowdb-ship's)\n"
		"                          instead of files: http[s]://[USER@]HOST:PORT/;\n"
		"                          answers gain a host column, per host\n"
		"      --host NAME[,NAME]  with --clickhouse: only these hosts' rows\n"
		"                          (repeatable); the host query's address is then\n"
		"                          -p host=ADDR\n"
		"  -p, --param NAME=VALUE  a canned query's parameter, or the value of :NAME\n"
		"                          in SQL (repeatable)\n"
		"  -f, --format MODE       table (default), csv, json, line or html;\n"
		"                          a report: text (default), csv, json or html\n"
		"      --no-headers        no header row in table and csv output\n"
		"      --exact             csv: values byte for byte, for programs; without it\n"
		"                          controls are escaped and formulas guarded with '\n"
		"  -o, --output FILE       write results to FILE\n"
		"      --no-rollups        canned queries read every file's flows, never the\n"
		"                          rollups a finished file carries (slower, proof)\n"
		"      --stats             after each statement, files and rows read (stderr)\n"
		"      --bail              stop at the first error\n"
		"      --budget-time DUR   stop a statement after DUR (default 10m; off: never)\n"
		"      --budget-memory SIZE  SQLite's memory at most (default 4G; off: no limit)\n"
		"  -h, --help              this text\n"
		"  -V, --version           the version\n"
		"\n"
		"WHEN is a duration back from now (30m, 2h, 7d), an ISO 8601 time\n"
		"(2026-11-22T14:00Z), @seconds since the epoch, or all. Without -c or -q,\n"
		"commands come from standard input, with line editing when it is a\n"
		"terminal; .help lists them. Exit status: 0, or 1 when anything failed.\n",
		DEFAULT_DATA_DIR);
}

enum {
	OPT_SINCE = 256,
	OPT_UNTIL,
	OPT_LIMIT,
	OPT_HOST,
	OPT_NO_HEADERS,
	OPT_STATS,
	OPT_BAIL,
	OPT_EXACT,
	OPT_NO_ROLLUPS,
	OPT_BUDGET_TIME,
	OPT_BUDGET_MEMORY,
	OPT_FOLLOW,
	OPT_CLICKHOUSE,
};

static const struct option longopts[] = {
	{ "data-dir", required_argument, NULL, 'd' },
	{ "command", required_argument, NULL, 'c' },
	{ "query", required_argument, NULL, 'q' },
	{ "report", required_argument, NULL, 'r' },
	{ "follow", no_argument, NULL, OPT_FOLLOW },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "clickhouse", required_argument, NULL, OPT_CLICKHOUSE },
	{ "param", required_argument, NULL, 'p' },
	{ "format", required_argument, NULL, 'f' },
	{ "no-headers", no_argument, NULL, OPT_NO_HEADERS },
	{ "output", required_argument, NULL, 'o' },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "bail", no_argument, NULL, OPT_BAIL },
	{ "exact", no_argument, NULL, OPT_EXACT },
	{ "no-rollups", no_argument, NULL, OPT_NO_ROLLUPS },
	{ "budget-time", required_argument, NULL, OPT_BUDGET_TIME },
	{ "budget-memory", required_argument, NULL, OPT_BUDGET_MEMORY },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Adds "name=value" to the canned query's arguments. Returns 0, or -E2BIG
 * or -ENOMEM after printing why. */
static int add_param(struct args *a, const char *name, const char *value)
{
	if (a->n_params == ARGS_MAX) {
		fprintf(stderr, "flowdb: more than %d query parameters\n", ARGS_MAX);
		return -E2BIG;
	}
	if (asprintf(&a->params[a->n_params], "%s%s%s", name ? name : "", name ? "=" : "", value) <
	    0) {
		fprintf(stderr, "flowdb: out of memory\n");
		return -ENOMEM;
	}
	a->n_params++;
	return 0;
}

/* Adds a data directory, or a file or directory named as an argument, to
 * the catalog. Returns 0 or -EINVAL after printing why. */
static int add_source(struct catalog *c, const char *path, bool must_be_dir)
{
	struct stat st;
	bool is_dir;
	int err;

	if (stat(path, &st)) {
		safe_fprintf(stderr, "flowdb: cannot open \"%s\": %s\n", path, strerror(errno));
		return -EINVAL;
	}
	is_dir = S_ISDIR(st.st_mode);
	if (must_be_dir && !is_dir) {
		safe_fprintf(stderr, "flowdb: \"%s\" is not a directory\n", path);
		return -EINVAL;
	}
	/* Opening a FIFO or a device could block, or read forever. */
	if (!is_dir && !S_ISREG(st.st_mode)) {
		safe_fprintf(stderr, "flowdb: \"%s\" is not a regular file\n", path);
		return -EINVAL;
	}
	err = catalog_add(c, path, is_dir);
	if (err) {
		safe_fprintf(stderr, "flowdb: cannot read \"%s\": %s\n", path, strerror(-err));
		return -EINVAL;
	}
	return 0;
}

/* Parses the command line into *a and the catalog's sources. Returns 0 to
 * run, 1 after answering --help or --version, or -EINVAL after printing
 * one line naming the problem. */
static int parse_args(int argc, char **argv, struct args *a, struct catalog *c)
{
	int64_t us;
	int opt;

	while ((opt = getopt_long(argc, argv, "d:c:q:r:p:f:o:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (add_source(c, optarg, true))
				return -EINVAL;
			a->sources = true;
			break;
		case OPT_CLICKHOUSE:
			a->clickhouse = optarg;
			break;
		case 'c':
			if (a->n_commands == ARGS_MAX) {
				fprintf(stderr, "flowdb: more than %d -c commands\n", ARGS_MAX);
				return -EINVAL;
			}
			a->commands[a->n_commands++] = optarg;
			break;
		case 'q':
			a->query = optarg;
			break;
		case 'r':
			if (report_kind_parse(optarg, &a->report_kind)) {
				safe_fprintf(stderr,
					     "flowdb: bad --report \"%s\": use daily or hourly\n",
					     optarg);
				return -EINVAL;
			}
			a->report = optarg;
			break;
		case OPT_FOLLOW:
			a->follow = "alerts";
			break;
		case OPT_SINCE:
		case OPT_UNTIL:
			if (strcmp(optarg, "all") && fmt_parse_time(optarg, shell_now_us(), &us)) {
				safe_fprintf(
					stderr,
					"flowdb: bad time for --%s: \"%s\": expected a duration "
					"back from now (2h), an ISO 8601 time, @seconds or all\n",
					opt == OPT_SINCE ? "since" : "until", optarg);
				return -EINVAL;
			}
			*(opt == OPT_SINCE ? &a->since : &a->until) = optarg;
			break;
		case OPT_LIMIT:
			if (add_param(a, "limit", optarg))
				return -EINVAL;
			a->needs_query = true;
			break;
		case OPT_HOST:
			/* What it names depends on --clickhouse, which may come later. */
			if (a->n_hosts == ARGS_MAX) {
				fprintf(stderr, "flowdb: more than %d --host\n", ARGS_MAX);
				return -EINVAL;
			}
			a->hosts[a->n_hosts++] = optarg;
			break;
		case 'p':
			if (!strchr(optarg, '=')) {
				safe_fprintf(stderr,
					     "flowdb: bad --param \"%s\": expected NAME=VALUE\n",
					     optarg);
				return -EINVAL;
			}
			if (add_param(a, NULL, optarg))
				return -EINVAL;
			break;
		case 'f':
			a->format = optarg;
			break;
		case OPT_NO_HEADERS:
			a->headers = false;
			break;
		case 'o':
			a->output = optarg;
			break;
		case OPT_STATS:
			a->stats = true;
			break;
		case OPT_BAIL:
			a->bail = true;
			break;
		case OPT_EXACT:
			a->exact = true;
			break;
		case OPT_NO_ROLLUPS:
			a->no_rollups = true;
			break;
		case OPT_BUDGET_TIME:
		case OPT_BUDGET_MEMORY:
			if (shell_budget_parse(opt == OPT_BUDGET_MEMORY, optarg,
					       opt == OPT_BUDGET_MEMORY ? &a->budget_memory :
									  &a->budget_time_us)) {
				safe_fprintf(stderr, "flowdb: bad --%s \"%s\": %s\n",
					     opt == OPT_BUDGET_MEMORY ? "budget-memory" : "budget-time",
					     optarg,
					     opt == OPT_BUDGET_MEMORY ? "give a size such as 512M or 4G, or off" :
									"give a duration such as 30s or 10m, or off");
				return -EINVAL;
			}
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("flowdb %s (SQLite %s)\n", FLOWDB_VERSION, sqlite3_libversion());
			return 1;
		default:
			fprintf(stderr, "flowdb: try --help\n");
			return -EINVAL;
		}
	}
	if (!!a->query + !!a->n_commands + !!a->report + !!a->follow > 1) {
		fprintf(stderr, a->follow ? "flowdb: use one of --query, --command, --report and --follow\n" :
					    "flowdb: use one of --query, --command and --report\n");
		return -EINVAL;
	}
	/* The table is a word, as files are named by paths: "flowdb --follow
	 * events /var/lib/flowdb". A word that names no table is a mistake,
	 * not a file. */
	if (a->follow && optind < argc && argv[optind][strspn(argv[optind], "abcdefghijklmnopqrstuvwxyz_")] == '\0') {
		a->follow = argv[optind++];
		if (!follow_table_valid(a->follow)) {
			safe_fprintf(stderr,
				     "flowdb: --follow: unknown table \"%s\": use alerts, events, "
				     "flows, requests, actions, collector_stats or rule_counters\n",
				     a->follow);
			return -EINVAL;
		}
	}
	if (a->follow && (a->since || a->until)) {
		fprintf(stderr, "flowdb: --follow prints new rows only: --since and --until do not "
				"apply\n");
		return -EINVAL;
	}
	if (a->report && a->format && report_format_parse(a->format, &a->report_format)) {
		safe_fprintf(
			stderr,
			"flowdb: bad --format \"%s\" for a report: use text, csv, json or html\n",
			a->format);
		return -EINVAL;
	}
	if (!a->report && a->format && render_mode_parse(a->format, &a->mode)) {
		safe_fprintf(stderr,
			     "flowdb: bad --format \"%s\": use table, csv, json, line or html\n",
			     a->format);
		return -EINVAL;
	}
	if (a->follow && a->mode == RENDER_HTML) {
		fprintf(stderr, "flowdb: --follow writes table, csv, json or line, not html\n");
		return -EINVAL;
	}
	/* Elsewhere it would change nothing: json is exact already, table,
	 * line and html are for people and never are. */
	if (a->exact && (!a->format || strcmp(a->format, "csv"))) {
		fprintf(stderr, "flowdb: --exact needs --format csv\n");
		return -EINVAL;
	}
	if (a->clickhouse && (a->sources || optind < argc)) {
		fprintf(stderr, "flowdb: use either --clickhouse or flow files (-d DIR, FILE), not "
				"both\n");
		return -EINVAL;
	}
	if (a->clickhouse && a->follow) {
		fprintf(stderr, "flowdb: --follow reads the files being written, not "
				"--clickhouse\n");
		return -EINVAL;
	}
	for (int i = 0; !a->clickhouse && i < a->n_hosts; i++) {
		if (add_param(a, "host", a->hosts[i]))
			return -EINVAL;
		a->needs_query = true;
	}
	if (a->needs_query && !a->query) {
		fprintf(stderr, "flowdb: --limit and --host need --query\n");
		return -EINVAL;
	}
	for (; optind < argc; optind++)
		if (add_source(c, argv[optind], false))
			return -EINVAL;
	if (!a->clickhouse && !c->n_dirs && !c->n_paths &&
	    add_source(c, DEFAULT_DATA_DIR, true))
		return -EINVAL;
	return 0;
}

/* Connects sh to the fleet at a's --clickhouse URL, keeping the rows of
 * the hosts --host names (comma lists split). Returns 0 or -EINVAL after
 * printing one line naming the problem. */
static int open_fleet(struct shell *sh, const struct args *a)
{
	char *names[ARGS_MAX], *copies[ARGS_MAX], *save, *w, err[512];
	int i, n = 0, n_copies = 0, rc = 0;

	for (i = 0; i < a->n_hosts && !rc; i++) {
		if (!a->hosts[i][strspn(a->hosts[i], ",")]) {
			safe_fprintf(stderr, "flowdb: bad --host \"%s\": name a host\n",
				     a->hosts[i]);
			rc = -EINVAL;
			break;
		}
		copies[n_copies] = strdup(a->hosts[i]);
		if (!copies[n_copies]) {
			fprintf(stderr, "flowdb: out of memory\n");
			rc = -ENOMEM;
			break;
		}
		for (w = strtok_r(copies[n_copies++], ",", &save); w && !rc;
		     w = strtok_r(NULL, ",", &save)) {
			if (n == ARGS_MAX) {
				fprintf(stderr, "flowdb: more than %d hosts\n", ARGS_MAX);
				rc = -EINVAL;
			} else {
				names[n++] = w;
			}
		}
	}
	if (!rc && (rc = fleet_open(&sh->fleet, a->clickhouse, names, n, err, sizeof(err))))
		safe_fprintf(stderr, "flowdb: %s\n", err);
	for (i = 0; i < n_copies; i++)
		free(copies[i]);
	return rc ? -EINVAL : 0;
}

/* SIGINT: stop the statement running; the shell goes on when interactive. */
static void on_sigint(int sig)
{
	shell_interrupted = 1;
}

/* Prints the interactive greeting: what the session sees. */
static void greet(struct shell *sh)
{
	struct catalog *c = sh->catalog;
	size_t usable = catalog_usable(c);
	char from[FMT_BUF_SIZE], to[FMT_BUF_SIZE];
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	size_t i;

	if (sh->fleet) {
		safe_fprintf(stdout, "flowdb %s: the fleet at %s. Enter \".help\" for help.\n",
			     FLOWDB_VERSION, fleet_url(sh->fleet));
		return;
	}
	for (i = 0; i < c->n_files; i++) {
		if (c->files[i]->error)
			continue;
		lo = c->files[i]->time_start_us < lo ? c->files[i]->time_start_us : lo;
		hi = c->files[i]->time_end_us > hi ? c->files[i]->time_end_us : hi;
	}
	printf("flowdb %s: %zu file%s", FLOWDB_VERSION, usable, usable == 1 ? "" : "s");
	if (usable)
		printf(", %s to %s", fmt_time(from, sizeof(from), lo, 0),
		       fmt_time(to, sizeof(to), hi, 0));
	printf(". Enter \".help\" for help.\n");
}

int main(int argc, char **argv)
{
	struct args a = { .mode = RENDER_TABLE,
			  .headers = true,
			  .budget_time_us = SHELL_BUDGET_TIME_US,
			  .budget_memory = SHELL_BUDGET_MEMORY };
	struct catalog *c = catalog_new(stderr);
	struct sigaction sa = { .sa_handler = on_sigint };
	struct shell *sh;
	int i, err = 0;

	if (!c) {
		fprintf(stderr, "flowdb: out of memory\n");
		return 1;
	}
	/* The character set only: charts draw with block characters in UTF-8. */
	setlocale(LC_CTYPE, "");
	err = parse_args(argc, argv, &a, c);
	if (err) {
		catalog_free(c);
		for (i = 0; i < a.n_params; i++)
			free(a.params[i]);
		return err > 0 ? 0 : 1;
	}
	c->no_rollups = a.no_rollups;
	sh = shell_new(c, stderr);
	if (!sh)
		return 1;
	sh->render.mode = a.mode;
	sh->render.headers = a.headers;
	sh->stats = a.stats;
	sh->render.exact = a.exact;
	shell_set_budget(sh, a.budget_time_us, a.budget_memory);
	if (shell_set_window(sh, false, a.since) || shell_set_window(sh, true, a.until)) {
		fprintf(stderr, "flowdb: out of memory\n");
		err = -ENOMEM;
		goto cleanup;
	}
	if (a.output && (err = shell_set_output(sh, a.output))) {
		safe_fprintf(stderr, "flowdb: cannot write \"%s\": %s\n", a.output, strerror(-err));
		goto cleanup;
	}
	/* Without --query, --param values are for the SQL's :NAME parameters. */
	for (i = 0; !a.query && i < a.n_params; i++) {
		char *eq = strchr(a.params[i], '=');

		*eq = '\0';
		err = shell_set_param(sh, a.params[i], eq + 1);
		if (err == -EINVAL)
			safe_fprintf(stderr,
				     "flowdb: bad --param name \"%s\": use letters, digits and _\n",
				     a.params[i]);
		else if (err)
			fprintf(stderr, "flowdb: out of memory\n");
		if (err)
			goto cleanup;
	}
	sigaction(SIGINT, &sa, NULL);
	if (a.clickhouse && (err = open_fleet(sh, &a)))
		goto cleanup;
	if (shell_refresh(sh)) {
		err = -EINVAL;
		goto cleanup;
	}
	if (!c->n_files && !a.clickhouse)
		fprintf(stderr, "flowdb: warning: no flow files found\n");
	if (a.follow) {
		struct render_opts opts = sh->render;

		/* A program reads a pipe or a file: one JSON object per line. */
		if (!a.format && (a.output || !isatty(STDOUT_FILENO)))
			opts.mode = RENDER_JSON;
		opts.json_lines = true;
		err = follow_run(sh, a.follow, &opts);
	} else if (a.report) {
		err = report_run(sh, a.report_kind, a.report_format, shell_now_us());
	} else if (a.query) {
		err = shell_run_query(sh, a.query, a.n_params, a.params);
	} else if (a.n_commands) {
		for (i = 0; i < a.n_commands && !sh->quit; i++) {
			if (shell_exec(sh, a.commands[i]))
				err = -EINVAL;
			if ((err && a.bail) || shell_interrupted)
				break;
		}
	} else if (isatty(STDIN_FILENO)) {
		greet(sh);
		err = input_interactive(sh);
	} else {
		err = input_stream(sh, stdin, a.bail);
	}
cleanup:
	shell_free(sh);
	for (i = 0; i < a.n_params; i++)
		free(a.params[i]);
	return err ? 1 : 0;
}
