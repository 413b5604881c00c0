/* SPDX-License-Identifier: BSD-2-Clause */
/* flowdb --clickhouse: canned queries and SQL over a fleet's ClickHouse tables. */
#ifndef FLEET_H
#define FLEET_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "queries.h"

/* The fleet schema version (schema/clickhouse.sql's flowdb_schema) read. */
#define FLEET_SCHEMA_VERSION 1

struct fleet;

/*
 * Connects to the ClickHouse server at url (as flowdb-ship takes it) and
 * checks that it holds the fleet tables of FLEET_SCHEMA_VERSION. hosts
 * (n of them, copied) restrict every canned query to those hosts' rows;
 * none: every host. Returns 0 and sets *out, or -EINVAL after writing one
 * line naming the problem (a bad URL, no answer, credentials refused, no
 * fleet tables, another schema version) into err.
 */
int fleet_open(struct fleet **out, const char *url, char **hosts, size_t n, char *err,
	       size_t err_size);

/* Frees f. NULL is fine. */
void fleet_close(struct fleet *f);

/* The server's URL without its password, for messages. */
const char *fleet_url(const struct fleet *f);

/*
 * Runs sql on ClickHouse and holds its answer in db as the temporary table
 * temp.fleet_rows (columns c1, c2 ...: ClickHouse's integers as INTEGER,
 * floats as REAL, NULL as NULL, anything else as TEXT, in the server's row
 * order as rowid order), replacing the previous answer. Sets *stmt to a
 * statement over it that yields the rows with the server's column names,
 * or, when finish is not NULL, prepares finish, SQLite over the view
 * temp.fleet of those rows with their names, instead. On failure writes
 * one line into err and returns -EINVAL (-ENOMEM when out of memory);
 * returns 0 on success.
 */
int fleet_run(struct fleet *f, sqlite3 *db, const char *sql, const char *finish,
	      sqlite3_stmt **stmt, char *err, size_t err_size);

/*
 * Writes into *out (free it with sqlite3_free()) the ClickHouse SQL of canned query q (its
 * ch_sql) with its parameters as literals: each :NAME of q's parameters
 * and :until as bound by queries_bind() from argc, argv and d (checked on
 * a statement of db), and :host_ok as the hosts filter (1 when there is
 * none). Returns 0, or -EINVAL after writing why into err.
 */
int fleet_query_sql(struct fleet *f, sqlite3 *db, const struct query *q, int argc, char **argv,
		    const struct query_defaults *d, int64_t now_us, char **out, char *err,
		    size_t err_size);

/* The hosts filter of f as ClickHouse SQL: "host IN ('a', 'b')", or "1"
 * for every host. Returns it (free it with sqlite3_free()) or NULL when
 * out of memory. */
char *fleet_hosts_filter(const struct fleet *f);

/*
 * Runs a question about the fleet's rows, sql (ClickHouse's), and steps
 * to its first row: *stmt (finalize it) yields it and the next in db, as
 * fleet_run() holds them. Returns 0, or -EINVAL after writing why into err
 * (no row is an error).
 */
int fleet_ask(struct fleet *f, sqlite3 *db, const char *sql, sqlite3_stmt **stmt, char *err,
	      size_t err_size);

#endif /* FLEET_H */
