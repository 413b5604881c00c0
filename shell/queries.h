/* SPDX-License-Identifier: BSD-2-Clause */
/* Canned queries: shell/queries/NAME.sql, embedded, with typed parameters. */
#ifndef QUERIES_H
#define QUERIES_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#define QUERY_PARAMS_MAX 8
/* An error message of queries_bind() fits in this. */
#define QUERY_ERR_SIZE 256

enum query_kind {
	QUERY_TIME, /* 2h, an ISO 8601 time, @seconds or all: bound as microseconds */
	QUERY_DURATION, /* 5m: bound as microseconds */
	QUERY_COUNT, /* a whole number */
	QUERY_ADDR, /* an IPv4 or IPv6 address: bound in canonical text */
	QUERY_CHOICE, /* one word of a list */
	QUERY_GLOB, /* a GLOB pattern of names (scan*): bound as text */
};

struct query_param {
	const char *name;
	enum query_kind kind;
	const char *choices; /* QUERY_CHOICE: "bytes,packets,flows" */
	const char *def; /* "-": none, the caller must give one */
	const char *about;
};

struct query {
	const char *name;
	const char *about;
	const char *sql;
	/* Optional: the same answer in two halves, SQL run on every file
	 * apart, and SQL over the table "partial" its rows make (see
	 * queries_load()); and, also optional, SQL that gives a file's
	 * per-file rows from its rollups when the window holds all of it. */
	const char *per_file, *rollup, *merge;
	/* The same answer over a fleet's ClickHouse tables, with a host column
	 * (shell/queries/clickhouse/NAME.sql, see fleet.h): ClickHouse SQL
	 * with the same :NAME parameters and :host_ok, and optionally SQLite
	 * over its rows (the view "fleet") that finishes the answer. */
	const char *ch_sql, *ch_finish;
	struct query_param params[QUERY_PARAMS_MAX];
	int n_params;
};

/* Values that apply when an argument is not given: the session window. */
struct query_defaults {
	const char *since; /* NULL: the query's own default */
	const char *until; /* NULL: no upper bound */
};

/* Parses the embedded queries once. A query may end with its halves, as
 * comments so that the file stays one statement for the sqlite3 CLI: a
 * "-- per-file:" line and "-- | " lines of per-file SQL, optionally a
 * "-- rollup:" line and "-- | " lines of rollup SQL, then a "-- merge:"
 * line and "-- | " lines of merge SQL. After the queries come their
 * ClickHouse versions, each from a "-- clickhouse: NAME" line: the SQL,
 * then optionally a "-- finish:" line and "-- | " lines of SQLite. Every
 * query has one. Returns 0, -ENOMEM, or -EINVAL when one is malformed or
 * missing (a build defect: the test suite loads them all). */
int queries_load(void);

/* The canned queries, sorted by name, and how many there are. */
const struct query *queries_all(size_t *n);

/* The query named name, or NULL. */
const struct query *queries_find(const char *name);

/*
 * Binds q's parameters on stmt (prepared from q->sql): argv holds values
 * in the order of q->params, or "name=value" for any of them, "until"
 * included; missing ones take d's window, then the query's default. Times
 * relative to now_us. On a bad or missing argument writes one line naming
 * it into err and returns -EINVAL; returns 0 on success.
 */
int queries_bind(const struct query *q, sqlite3_stmt *stmt, int argc, char **argv,
		 const struct query_defaults *d, int64_t now_us, char *err, size_t err_size);

/* Writes q's usage, e.g. ".q host HOST [SINCE] [LIMIT]", into buf. */
void queries_usage(const struct query *q, char *buf, size_t size);

#endif /* QUERIES_H */
