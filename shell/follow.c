// SPDX-License-Identifier: BSD-2-Clause
/* --follow and .follow: a table's new rows as the collector commits them. */

/*
 * How the files are read: through the session's catalog, as every query
 * reads them. The file the collector is writing has a -wal
 * and a -shm the collector holds (flowfile.h: FLOWFILE_LIVE); the catalog
 * opens it read-only without "immutable", so that each read sees the
 * latest commit, which a WAL reader can only do through the -shm: SQLite
 * maps it and takes read locks there, and writes nothing to the database
 * or its -wal. It is the collector's own live file, not evidence under
 * analysis. Finished files (no -wal: the collector leaves its files in
 * rollback mode when it closes them) are opened immutable as always, and
 * an orphaned -wal is read from a private copy.
 *
 * Where the rows stop: per file, the largest rowid printed. The collector
 * only appends, so a file's new rows are those past it, in rowid order,
 * a lookup in the file's table. Files are read in the order the
 * catalog found them (their ids), which is the order the collector made
 * them: a rotation's last rows of the old file come before the new
 * file's first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "follow.h"

/* The tables --follow takes: those that grow by appending rows. */
static const char *const tables[] = { "alerts",	 "events",	    "flows",	     "requests",
				      "actions", "collector_stats", "rule_counters", NULL };

/* Of one file of the catalog: its rows up to rowid pos are printed. */
struct position {
	uint32_t id;
	int64_t pos;
};

struct follower {
	struct shell *sh;
	int ti; /* index in catalog_tables */
	struct position *pos; /* of every file in the catalog, by id */
	size_t n_pos;
	struct render *render;
};

bool follow_table_valid(const char *name)
{
	const char *const *t;

	for (t = tables; *t; t++)
		if (!strcmp(*t, name))
			return true;
	return false;
}

/* Orders positions by file id. */
static int by_id(const void *a, const void *b)
{
	const struct position *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Brings the file list up to date within a fresh time budget, as each
 * poll is a statement of its own, without clearing a pending Ctrl-C as
 * shell_refresh() would. Returns 0, 1 when Ctrl-C stopped it, or -EINVAL
 * after printing why. */
static int refresh(struct shell *sh)
{
	int err;

	sh->over_time = 0;
	sh->deadline_us = sh->budget_time_us ? shell_now_us() + (int64_t)sh->budget_time_us : 0;
	err = catalog_refresh(sh->catalog);
	if (err == -EINTR && !sh->over_time)
		return 1;
	if (err == -EINTR)
		shell_error(sh, "over the time budget (--budget-time, .budget) while checking the "
				"files");
	else if (err)
		shell_error(sh, "out of memory");
	return err ? -EINVAL : 0;
}

/*
 * Makes fo->pos list every file of the catalog, sorted by id: files known
 * before keep their position; new ones start at start_at_end ? the largest
 * rowid they had when checked (what existed when following began) : 0 (a
 * file that appeared since: every row is new). Returns 0 or -ENOMEM.
 */
static int track_files(struct follower *fo, bool start_at_end)
{
	const struct catalog *c = fo->sh->catalog;
	struct position *next = calloc(c->n_files ? c->n_files : 1, sizeof(*next));
	size_t i;

	if (!next)
		return -ENOMEM;
	for (i = 0; i < c->n_files; i++) {
		const struct catalog_file *f = c->files[i];
		struct position key = { .id = f->id }, *old;

		old = fo->n_pos ? bsearch(&key, fo->pos, fo->n_pos, sizeof(key), by_id) : NULL;
		next[i].id = f->id;
		next[i].pos = old ? old->pos : start_at_end && !f->error ? f->rows[fo->ti] : 0;
	}
	qsort(next, c->n_files, sizeof(*next), by_id);
	free(fo->pos);
	fo->pos = next;
	fo->n_pos = c->n_files;
	return 0;
}

/* The catalog's file of id, or NULL. */
static struct catalog_file *file_of(const struct catalog *c, uint32_t id)
{
	size_t i;

	for (i = 0; i < c->n_files; i++)
		if (c->files[i]->id == id)
			return c->files[i];
	return NULL;
}

/* Writes into a new string the query of f's rows past ?1: the table's
 * columns in the schema's order, NULL for those f's schema version lacks,
 * then the rowid. Read from the file directly, as the union table reads
 * it (values as stored), since a rowid range is a lookup in the file's own
 * table while the union table would scan it. Returns it (sqlite3_free()),
 * or NULL on ENOMEM. */
static char *rows_sql(const struct catalog *c, const struct catalog_file *f, int ti)
{
	const struct catalog_table *t = &c->tables[ti];
	sqlite3_str *s = sqlite3_str_new(NULL);
	int i;

	sqlite3_str_appendall(s, "SELECT ");
	for (i = 0; i < t->n_cols; i++)
		sqlite3_str_appendf(s, f->columns[ti] >> i & 1 ? "\"%w\", " : "NULL, ", t->cols[i]);
	sqlite3_str_appendf(s, "rowid FROM \"%w\" WHERE rowid > ?1 ORDER BY rowid", t->name);
	return sqlite3_str_finish(s);
}

/* Prints f's rows past *pos and moves *pos on. Returns 0, 1 when Ctrl-C
 * stopped it, or -EINVAL after printing why. */
static int print_file(struct follower *fo, struct catalog_file *f, int64_t *pos)
{
	struct catalog *c = fo->sh->catalog;
	int ncol = c->tables[fo->ti].n_cols;
	char *sql = rows_sql(c, f, fo->ti);
	sqlite3_stmt *stmt;
	int rc, err = 0;

	if (!sql) {
		shell_error(fo->sh, "out of memory");
		return -EINVAL;
	}
	stmt = catalog_prepare(c, f, sql);
	sqlite3_free(sql);
	/* Skipped (it broke since it was checked): catalog_skip() warned. */
	if (!stmt && f->error)
		return 0;
	if (!stmt) {
		shell_error(fo->sh, "out of memory");
		return -EINVAL;
	}
	sqlite3_bind_int64(stmt, 1, *pos);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (render_row(fo->render, stmt))
			break;
		*pos = sqlite3_column_int64(stmt, ncol);
	}
	if (rc == SQLITE_INTERRUPT && shell_interrupted) {
		err = 1;
	} else if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		shell_error(fo->sh, "%s: %s", f->path, sqlite3_errmsg(f->db));
		err = -EINVAL;
	}
	catalog_finish(c, f, stmt);
	return err;
}

/*
 * Prints the rows of each file past its position, files by id, and moves
 * the positions on. Returns 0, 1 when Ctrl-C stopped it or nobody reads
 * the output any more, or -EINVAL after printing why.
 */
static int poll_once(struct follower *fo)
{
	struct shell *sh = fo->sh;
	size_t i;
	int err;

	err = refresh(sh);
	if (!err && track_files(fo, false)) {
		shell_error(sh, "out of memory");
		err = -EINVAL;
	}
	for (i = 0; !err && i < fo->n_pos; i++) {
		struct catalog_file *f = file_of(sh->catalog, fo->pos[i].id);

		if (!f || f->error || !f->columns[fo->ti])
			continue;
		err = print_file(fo, f, &fo->pos[i].pos);
		/* The rows of a file are out before the next file's. */
		if (err >= 0 && render_flush(fo->render)) {
			if (errno == EPIPE)
				return 1;
			shell_error(sh, "cannot write the results: %s", strerror(errno));
			err = -EINVAL;
		}
	}
	/* Between polls the collector may finish its file: no handle on it. */
	catalog_close_live(sh->catalog);
	return err;
}

int follow_run(struct shell *sh, const char *table, const struct render_opts *opts)
{
	struct follower fo = { .sh = sh };
	const struct timespec pause = { 0, FOLLOW_POLL_MS * 1000000L };
	sqlite3_stmt *head = NULL;
	char *sql = NULL;
	int err = -EINVAL;

	if (!follow_table_valid(table)) {
		shell_error(sh,
			    "cannot follow \"%s\": use alerts, events, flows, requests, "
			    "actions, collector_stats or rule_counters",
			    table);
		return -EINVAL;
	}
	for (fo.ti = 0; strcmp(catalog_tables[fo.ti], table); fo.ti++)
		;
	/* Every new row, whatever its time: the window is for queries. */
	sh->window.since_us = INT64_MIN;
	sh->window.until_us = INT64_MAX;
	err = refresh(sh);
	if (err)
		return err > 0 ? 0 : err;
	err = -EINVAL;
	if (track_files(&fo, true)) {
		shell_error(sh, "out of memory");
		goto cleanup;
	}
	sql = sqlite3_mprintf("SELECT * FROM \"%w\"", table);
	/* The union table's columns name the rows each file gives. */
	if (!sql || sqlite3_prepare_v2(sh->db, sql, -1, &head, NULL)) {
		shell_sql_error(sh, sh->db);
		goto cleanup;
	}
	fo.render = render_begin(sh->out, opts, head);
	if (!fo.render) {
		shell_error(sh, "out of memory");
		goto cleanup;
	}
	/* The csv header goes out before any row comes. */
	if (render_flush(fo.render) && errno != EPIPE) {
		shell_error(sh, "cannot write the results: %s", strerror(errno));
		goto cleanup;
	}
	err = 0;
	while (!err && !shell_interrupted) {
		/* Ctrl-C cuts the pause short: nanosleep() fails with EINTR. */
		nanosleep(&pause, NULL);
		if (!shell_interrupted)
			err = poll_once(&fo);
	}
	err = err < 0 ? err : 0;
cleanup:
	/* Each poll flushed what it printed; a table's header alone, or a
	 * write to a closed pipe, is not wanted now. */
	render_discard(fo.render);
	sqlite3_finalize(head);
	sqlite3_free(sql);
	free(fo.pos);
	return err;
}
