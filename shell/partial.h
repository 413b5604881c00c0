/* SPDX-License-Identifier: BSD-2-Clause */
/* A canned query's per-file half, run on every file in parallel. */
#ifndef PARTIAL_H
#define PARTIAL_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "catalog.h"

/* Threads reading files at once, at most; fewer on fewer cores. */
#define PARTIAL_THREADS_MAX 8

/* Binds a statement of the per-file SQL. Returns 0 or a negative errno. */
typedef int (*partial_bind_fn)(sqlite3_stmt *stmt, void *arg);

/* What to run on each file. */
struct partial_sql {
	/* Reads only columns every file schema has, and calls no flowdb
	 * function. */
	const char *per_file;
	/* NULL, or the rows per_file gives, from the rollup tables, for a file
	 * with rollups that lies wholly between lo_us and hi_us. */
	const char *rollup;
	partial_bind_fn bind; /* binds each statement */
	void *arg;
};

/*
 * Runs sql->per_file (or sql->rollup where it applies) on each usable file
 * of c that may hold rows between lo_us and hi_us, each file on a handle
 * of its own, several files at once. Every row goes into the table
 * temp.partial of db, made anew with the columns per_file returns (named
 * as schema_db, which has the file schema, names them). A file that
 * cannot be read is skipped with a warning, as the union tables skip it.
 * Returns 0, -EINTR when interrupted (the progress handler said so), or
 * -EINVAL with one line in err.
 */
int partial_run(struct catalog *c, sqlite3 *db, sqlite3 *schema_db, const struct partial_sql *sql,
		int64_t lo_us, int64_t hi_us, char *err, size_t err_size);

#endif /* PARTIAL_H */
