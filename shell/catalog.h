/* SPDX-License-Identifier: BSD-2-Clause */
/* The flow files a session reads: discovery, validation, time ranges, handles. */
#ifndef CATALOG_H
#define CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sqlite3.h>

/* The newest file schema this shell reads. */
#define CATALOG_SCHEMA_VERSION 6
/* The tables flow files hold and the shell presents as relations, in the
 * order of catalog_tables[]; files from before version 3 lack actions and
 * rule_counters, from before version 4 alerts, from before version 6
 * requests. */
#define CATALOG_TABLES 7
/* Columns of one table at most, so that a set of them fits in 64 bits. */
#define CATALOG_COLS_MAX 63
/* Rows take their file's id in the bits above these (catalog_rowid()). */
#define CATALOG_ROWID_BITS 40
/* Read-only handles kept open between queries; more are closed, least
 * recently used first, so hundreds of files never exhaust descriptors. */
#define CATALOG_OPEN_MAX 64
/* Idle statements kept per open file. */
#define CATALOG_IDLE_MAX 4

/* A table of the file schema, as schema/flowdb.sql declares it. */
struct catalog_table {
	const char *name;
	int n_cols;
	char *cols[CATALOG_COLS_MAX];
	char *types[CATALOG_COLS_MAX]; /* declared types: they decide affinity */
	uint64_t not_null; /* columns declared NOT NULL */
	uint64_t required; /* columns every file has: all but those added later */
};

struct catalog_file {
	char *path;
	/* Unique in the session, never reused: the upper bits of the rowid
	 * of every row read from the file. */
	uint32_t id;
	char *host; /* meta host, "" when missing */
	/* Every row's times lie within: read from the file's own rows (its
	 * time indexes), not from what meta claims. INT64_MAX, INT64_MIN when
	 * it has no rows; INT64_MIN, INT64_MAX when a time is not an integer. */
	int64_t time_start_us, time_end_us;
	int version; /* meta schema_version: older files lack later columns */
	int64_t size; /* bytes, with the -wal */
	char *error; /* why the file is skipped; NULL when usable */
	/* What the file and its -wal and -journal looked like when it was
	 * checked: a change means a writer touched it, so it is checked again
	 * and handles reopened. */
	struct catalog_sig {
		dev_t dev;
		ino_t ino;
		off_t size; /* -1: there is none */
		struct timespec mtime;
	} sig[3];
	bool wal; /* a writer (a collector) holds it: its rows change as it is read */
	/* A private copy read instead of path, when a -wal or -journal no
	 * writer holds lies beside it (evidence.h); NULL otherwise. */
	char *copy;
	bool rollups; /* meta rollups: the talkers table sums the file's flows */
	bool rollups_checked; /* and they agreed with the flows (partial.c) */
	/* Per table of catalog_tables[]: bit i set when the file's table has
	 * the schema's column i (older files lack later columns; 0: the file
	 * lacks the table), and its number of rows, estimated by its largest
	 * rowid. */
	uint64_t columns[CATALOG_TABLES];
	int64_t rows[CATALOG_TABLES];
	bool seen; /* found by the latest refresh */
	sqlite3 *db; /* read-only handle, or NULL */
	/* Idle statements kept for reuse, the latest given back first: a
	 * join or a subquery scans the same file many times with the same
	 * SQL, and an outer scan of the file may be another. */
	sqlite3_stmt *idle_stmts[CATALOG_IDLE_MAX];
	unsigned int users; /* statements reading db now: never closed under them */
	uint64_t last_used; /* catalog tick of the last open, for LRU */
	uint64_t read_stamp; /* statement that last read the file, for stats */
};

struct catalog {
	/* The tables files must hold, set by catalog_set_schema(). */
	struct catalog_table tables[CATALOG_TABLES];
	uint32_t next_id;
	char *tmp_dir; /* private copies, made when first needed; removed at the end */
	char **dirs; /* scanned for *.db at each refresh */
	size_t n_dirs;
	char **paths; /* named on the command line */
	size_t n_paths;
	struct catalog_file **files; /* usable and skipped, by time_start_us, path */
	size_t n_files;
	size_t n_open;
	uint64_t tick;
	FILE *warn; /* one line per skipped file, once */
	/* --no-rollups: canned queries read every file's flows, never its
	 * rollups, which a forger can keep consistent with the flows. */
	bool no_rollups;
	/* Installed on every handle: lets an interrupt stop a long read. */
	int (*progress)(void *arg);
	void *progress_arg;
	/* Set by the session when progress stopped a statement for its time
	 * budget rather than Ctrl-C; NULL: never. */
	const volatile sig_atomic_t *over_time;
	/* Per statement, for .stats: files read, queries run on them and
	 * rows returned. */
	uint64_t stamp;
	size_t files_read;
	uint64_t file_queries;
	uint64_t rows_read;
};

/* The names of the tables of struct catalog_table, in order. */
extern const char *const catalog_tables[CATALOG_TABLES + 1];

/* Creates an empty catalog that warns on warn (NULL: quietly). Returns it,
 * or NULL when out of memory. */
struct catalog *catalog_new(FILE *warn);

/* Reads the tables files must hold from schema_db (the file schema, run in
 * a database of its own): their columns and declared types, in order.
 * Call it before the first refresh. Returns an SQLite result code. */
int catalog_set_schema(struct catalog *c, sqlite3 *schema_db);

/* The rowid the session gives row rowid of file f: f's id above
 * CATALOG_ROWID_BITS, unique across files and stable for the session.
 * Returns -1 when rowid does not fit (negative, or 2^40 and above). */
int64_t catalog_rowid(const struct catalog_file *f, int64_t rowid);

/* Closes every handle and frees the catalog. NULL is fine. */
void catalog_free(struct catalog *c);

/* Adds a directory to scan, or a file to read, checking that it can be
 * read now. Prints nothing. Returns 0, -ENOMEM, -EINVAL for a file that is
 * not a regular file (a FIFO would block), or the negative errno of
 * opendir()/open() (-ENOENT, -EACCES, -ENOTDIR for a directory that is
 * not one, ...). */
int catalog_add(struct catalog *c, const char *path, bool is_dir);

/*
 * Brings the file list up to date: finds new *.db files, drops vanished
 * ones, rereads the meta of changed ones (a live collector's current file
 * grows) and validates new ones: meta, the shape of each table (a plain
 * table with the schema's columns and declared types, older files lacking
 * later columns), each table's time range and rowids. A file that is not
 * SQLite, not a flowdb file, of a newer schema or corrupt is kept with its
 * error and warned about once as "flowdb: warning: PATH: REASON; skipped",
 * as is one whose checks ran over the time budget. Returns 0, -EINTR when
 * progress interrupted a check (the file is checked again next time), or
 * -ENOMEM.
 */
int catalog_refresh(struct catalog *c);

/* The earliest and latest times f's rows may have: the range of its rows
 * when last checked, or unbounded for the file being written, whose rows
 * change while it is read (a long flow ends with an early first_seen). */
int64_t catalog_time_start(const struct catalog_file *f);
int64_t catalog_time_end(const struct catalog_file *f);

/* Whether f's rows may have a time (first_seen, last_seen or time) between
 * lo and hi inclusive. */
bool catalog_overlaps(const struct catalog_file *f, int64_t lo, int64_t hi);

/*
 * Prepares sql on f, opening f read-only if needed (immutable when no -wal
 * shows a writer, so that SQLite takes no lock and leaves no -shm beside
 * evidence), reusing an idle statement when it has the same text. The
 * handle stays open until the statement is given back. Returns the
 * statement, or NULL after marking f skipped (the file cannot be opened or
 * lacks a column: it is not one this shell reads) or on ENOMEM.
 */
sqlite3_stmt *catalog_prepare(struct catalog *c, struct catalog_file *f, const char *sql);

/* Opens f read-only into a new handle of the caller's own, as
 * catalog_prepare() does (immutable unless a writer shows), for a thread
 * of its own to read. Returns an SQLite result code; *db is NULL unless it
 * is SQLITE_OK. */
int catalog_open(const struct catalog *c, const struct catalog_file *f, sqlite3 **db);

/* Gives back a statement catalog_prepare() made: kept reset for reuse or
 * finalized; idle handles beyond CATALOG_OPEN_MAX are closed, least
 * recently used first. NULL stmt is fine. */
void catalog_finish(struct catalog *c, struct catalog_file *f, sqlite3_stmt *stmt);

/* Closes the idle handles of files a writer holds (catalog_file.wal): an
 * open reader, even idle, makes the collector's switch of a finished file
 * out of WAL mode fail (SQLite refuses it while another connection has the
 * file), so that a follower keeps none between its reads. */
void catalog_close_live(struct catalog *c);

/* Marks f unusable for the rest of the session with reason, warning once.
 * Returns -ENOMEM or 0. */
int catalog_skip(struct catalog *c, struct catalog_file *f, const char *reason);

/* Marks f unusable as catalog_skip() does, without the warning: for a
 * caller whose own error line says so. */
int catalog_skip_quietly(struct catalog *c, struct catalog_file *f, const char *reason);

/* Starts counting reads for a new statement. */
void catalog_stats_reset(struct catalog *c);

/* Number of usable files. */
size_t catalog_usable(const struct catalog *c);

#endif /* CATALOG_H */
