/* SPDX-License-Identifier: BSD-2-Clause */
/* One flows, events and collector_stats relation over every file (a vtab). */
#ifndef UNION_H
#define UNION_H

#include <stdint.h>
#include <sqlite3.h>
#include "catalog.h"

/* The session's time window, applied to every read: rows whose time span
 * meets [since_us, until_us]. INT64_MIN and INT64_MAX: unbounded. */
struct union_window {
	int64_t since_us, until_us;
};

struct union_module;

/*
 * Creates, in db's main schema, one virtual table per table of the file
 * schema (catalog_tables: flows, events, collector_stats), with the
 * columns c's schema declares (catalog_set_schema() first) plus a hidden
 * column "file" (the path a row comes from). Every scan reads the usable
 * files of c that can hold matching rows, passing the constraints it can
 * on to each file's own query so that its indexes serve them, and skipping
 * files whose time range cannot match first_seen, last_seen or time
 * constraints or the window *w (read at each scan, so the caller may
 * change it between statements). schema_db names which columns lead an
 * index. c, w and schema_db must outlive db. Sets *mod, for
 * union_release(). Returns SQLITE_OK or an SQLite error code.
 */
int union_register(sqlite3 *db, sqlite3 *schema_db, struct catalog *c,
		   const struct union_window *w, struct union_module **mod);

/* Frees what a statement's scans kept for the statement's own later scans
 * (in-memory copies of inner-loop scans). Call it when a statement ends,
 * before the next one starts. NULL is fine. */
void union_release(struct union_module *mod);

#endif /* UNION_H */
