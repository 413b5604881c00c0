/* SPDX-License-Identifier: BSD-2-Clause */
/* A flowdb session: the connection, its settings, and running commands. */
#ifndef SHELL_H
#define SHELL_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sqlite3.h>
#include "catalog.h"
#include "chart.h"
#include "held.h"
#include "render.h"
#include "union.h"

/* A value for the named parameter :name of ad-hoc SQL. */
struct shell_param {
	char *name; /* without the ':' */
	char *value;
};

struct fleet;

struct shell {
	sqlite3 *db; /* in memory: the union tables and helper functions */
	/* flowdb --clickhouse: canned queries, reports, charts and SQL go to
	 * the fleet's ClickHouse tables instead of the files (fleet.h); its
	 * answers are held in db (temp.fleet_rows) to be rendered. NULL: the
	 * files. */
	struct fleet *fleet;
	sqlite3 *schema_db; /* the file schema, for columns and .schema */
	struct catalog *catalog;
	struct union_module *union_mod;
	struct held *held; /* rows of a statement that may yet be run again */
	struct union_window window; /* applied to every read, for ad-hoc SQL */
	char *since, *until; /* the session window as typed; NULL: unbounded */
	struct render_opts render;
	FILE *out; /* stdout or .output's file */
	char *out_path; /* NULL: stdout */
	FILE *err; /* messages */
	bool timer, stats;
	/* When the statement running began, for .timer: the files a canned
	 * query reads on its own threads count too. */
	int64_t stmt_start_us;
	double stmt_user0, stmt_sys0;
	bool stmt_copied; /* it was run again over copies (union_copy()) */
	bool quit;
	/* Each statement's budget (0: none): time it may run, and memory all
	 * of SQLite may hold (sqlite3_hard_heap_limit64). */
	uint64_t budget_time_us, budget_memory;
	int64_t deadline_us; /* of the statement running; 0: none */
	volatile sig_atomic_t over_time;
	struct shell_param *params; /* bound by name in ad-hoc SQL */
	size_t n_params;
};

/* Set by SIGINT: stops the statement running and, when not interactive,
 * the shell. */
extern volatile sig_atomic_t shell_interrupted;

/* Opens a session over c (taken over: freed with the shell), writing
 * results to stdout and messages to err. Returns it, or NULL after
 * printing why. */
struct shell *shell_new(struct catalog *c, FILE *err);

/* Closes the output file and everything else. NULL is fine. */
void shell_free(struct shell *sh);

/* Runs one input: a dot-command when it starts with '.', else SQL (any
 * number of complete statements). Errors are printed on sh->err as
 * "Error: ..." lines. Returns 0, or -EINVAL when anything failed. */
int shell_exec(struct shell *sh, const char *input);

/* Runs SQL text statement by statement, rendering results. Returns 0 or
 * -EINVAL after printing the first error (later statements do not run). */
int shell_exec_sql(struct shell *sh, const char *sql);

/* Prepares the canned query name and binds its arguments as .q takes
 * them, for a caller that steps *stmt itself and finalizes it. Returns 0,
 * or -EINVAL after printing why (*stmt is NULL then). */
int shell_prepare_query(struct shell *sh, const char *name, int argc, char **argv,
			sqlite3_stmt **stmt);

/* Runs the canned query name with arguments as .q takes them (values in
 * order or name=value). Returns 0 or -EINVAL after printing why. */
int shell_run_query(struct shell *sh, const char *name, int argc, char **argv);

/* Sets the session window's start or end (is_until) from text: "off" or
 * NULL clears it; "all" is unbounded too, and also overrides a canned
 * query's default. Returns 0, or -EINVAL when text is not a time. */
int shell_set_window(struct shell *sh, bool is_until, const char *text);

/* Sets the ad-hoc SQL parameter name (a leading ':', '@' or '$' is
 * dropped) to value, or removes it when value is NULL. Returns 0, -EINVAL
 * when name is not an identifier, -ENOENT when removing one not set, or
 * -ENOMEM. */
int shell_set_param(struct shell *sh, const char *name, const char *value);

/* Removes every ad-hoc SQL parameter. */
void shell_clear_params(struct shell *sh);

/*
 * Resolves the session window for a chart or report: an unbounded start
 * becomes the start of the oldest file, an unbounded end the end of the
 * newest (or now, when that is earlier). Returns 0, or -EINVAL after
 * printing why (no files, or nothing in the window).
 */
int shell_window_range(struct shell *sh, int64_t now_us, int64_t *from_us, int64_t *to_us);

/* Over the fleet (sh->fleet): sets *lo and *hi to the earliest start and
 * the latest end of the flows of the hosts asked for; leaves them alone
 * when there are none. Returns 0, or -EINVAL after printing why. */
int shell_fleet_range(struct shell *sh, int64_t *lo, int64_t *hi);

/*
 * Fills c (its bucket_us and metric, "flows", "packets" or "bytes", set)
 * from the traffic canned query over [from_us, to_us]. Returns 0, or
 * -EINVAL after printing why.
 */
int shell_series(struct shell *sh, struct chart *c, int64_t from_us, int64_t to_us);

/* Redirects results to path, or back to stdout when path is NULL.
 * Returns 0 or a negative errno (the output is unchanged then). */
int shell_set_output(struct shell *sh, const char *path);

/* Defaults of the budget: a cron job never runs for ever, nor takes the
 * machine's memory, whatever a file holds. */
#define SHELL_BUDGET_TIME_US (10 * 60 * 1000000ULL)
#define SHELL_BUDGET_MEMORY (4ULL << 30)

/* Brings the file list up to date (catalog_refresh()) within a fresh
 * time budget. Returns 0, or -EINVAL after printing why (interrupted,
 * over the budget, out of memory). */
int shell_refresh(struct shell *sh);

/* Parses a budget as typed: a duration (30s, 10m, 2h) or, for memory, a
 * size (512M, 4G); "off" or 0 for none. Returns 0 or -EINVAL. */
int shell_budget_parse(bool memory, const char *text, uint64_t *value);

/* Sets the statement budget: time_us of time and memory bytes, 0 for no
 * limit. */
void shell_set_budget(struct shell *sh, uint64_t time_us, uint64_t memory);

/* Prints db's latest error in one line as "Error: ...", saying when it is
 * the budget that stopped the statement, or ATTACH that was refused. */
void shell_sql_error(struct shell *sh, sqlite3 *db);

/* Prints "Error: " and the formatted message on sh->err, escaped as
 * safe_fprintf() does, then a newline. */
void shell_error(struct shell *sh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Microseconds since the epoch, now. */
int64_t shell_now_us(void);

#endif /* SHELL_H */
