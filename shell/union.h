/* SPDX-License-Identifier: BSD-2-Clause */
/* One flows, events and collector_stats relation over every file (a vtab). */
#ifndef UNION_H
#define UNION_H

#include <stdbool.h>
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

/*
 * Lets stmt, about to run, be stopped before any of its rows is shown
 * when its inner loop over the files takes longer than copying the tables
 * it reads would (only if it is read-only), or no statement any longer
 * (NULL: a row was shown). A statement the union tables stop fails with
 * SQLITE_ABORT and union_copy_wanted() true; one its caller stops
 * (union_copy_state()) is reset. Either way the caller then calls
 * union_copy() and prepares and runs the same text again, on the copies.
 */
void union_allow_copy(struct union_module *mod, sqlite3_stmt *stmt);
bool union_copy_wanted(const struct union_module *mod);

/* What the caller of a statement that may be run again over copies does
 * with the row it just got: show it (UNION_COPY_NO: the statement will
 * not be stopped any more), hold it back (held.h) as the statement may
 * yet be, or stop the statement now and run it again (UNION_COPY_DUE: it
 * is in an inner loop that copies serve better, as the union tables
 * decide between scans). */
enum union_copy { UNION_COPY_NO, UNION_COPY_HOLD, UNION_COPY_DUE };
enum union_copy union_copy_state(const struct union_module *mod);

/* Copies every table the stopped statement read into a temp table of the
 * same name (its rowids, declared types, the columns it uses and the file
 * schema's indexes), for the statement's second run; union_release()
 * drops them. Returns SQLITE_OK, SQLITE_CONSTRAINT when a temp table of
 * the user's has such a name (nothing is copied), or another SQLite code
 * (an interrupt among them). */
int union_copy(struct union_module *mod);

#endif /* UNION_H */
