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

/*
 * Creates, in db's main schema, one virtual table per table of the file
 * schema (flows, events, collector_stats), with the columns schema_db
 * declares plus a hidden column "file" (the path a row comes from). Every
 * scan reads the usable files of c that can hold matching rows, pushing
 * equality, range, LIKE and GLOB constraints into each file's own query so
 * that its indexes serve them, and skipping files whose time range cannot
 * match first_seen, last_seen or time constraints or the window *w (read at
 * each scan, so the caller may change it between statements). c, w and
 * schema_db must outlive db. Returns SQLITE_OK or an SQLite error code.
 */
int union_register(sqlite3 *db, sqlite3 *schema_db, struct catalog *c,
		   const struct union_window *w);

/* The tables union_register() creates, ending with NULL. */
extern const char *const union_tables[];

#endif /* UNION_H */
