/* SPDX-License-Identifier: BSD-2-Clause */
/* The flow files a session reads: discovery, validation, time ranges, handles. */
#ifndef CATALOG_H
#define CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sqlite3.h>

/* The newest file schema this shell reads. */
#define CATALOG_SCHEMA_VERSION 2
/* Read-only handles kept open between queries; more are closed, least
 * recently used first, so hundreds of files never exhaust descriptors. */
#define CATALOG_OPEN_MAX 64

struct catalog_file {
	char *path;
	char *host; /* meta host, "" when missing */
	int64_t time_start_us, time_end_us; /* meta: every row's times lie within */
	int version; /* meta schema_version: older files lack later columns */
	int64_t size; /* bytes, with the -wal */
	char *error; /* why the file is skipped; NULL when usable */
	/* What the file looked like when its meta was read: a change means a
	 * writer touched it, so meta is read again and handles reopened. */
	dev_t dev;
	ino_t ino;
	struct timespec mtime, wal_mtime;
	off_t db_size, wal_size;
	bool wal; /* a -wal file exists: a collector may be writing it */
	bool rollups; /* meta rollups: the talkers table sums the file's flows */
	bool seen; /* found by the latest refresh */
	sqlite3 *db; /* read-only handle, or NULL */
	/* One idle statement kept for reuse: a join or a subquery scans the
	 * same file many times with the same SQL. */
	sqlite3_stmt *idle_stmt;
	unsigned int users; /* statements reading db now: never closed under them */
	uint64_t last_used; /* catalog tick of the last open, for LRU */
	uint64_t read_stamp; /* statement that last read the file, for stats */
};

struct catalog {
	char **dirs; /* scanned for *.db at each refresh */
	size_t n_dirs;
	char **paths; /* named on the command line */
	size_t n_paths;
	struct catalog_file **files; /* usable and skipped, by time_start_us, path */
	size_t n_files;
	size_t n_open;
	uint64_t tick;
	FILE *warn; /* one line per skipped file, once */
	/* Installed on every handle: lets an interrupt stop a long read. */
	int (*progress)(void *arg);
	void *progress_arg;
	/* Per statement, for .stats: files read and rows returned. */
	uint64_t stamp;
	size_t files_read;
	uint64_t rows_read;
};

/* Creates an empty catalog that warns on warn (NULL: quietly). Returns it,
 * or NULL when out of memory. */
struct catalog *catalog_new(FILE *warn);

/* Closes every handle and frees the catalog. NULL is fine. */
void catalog_free(struct catalog *c);

/* Adds a directory to scan, or a file to read, checking that it can be
 * read now. Prints nothing. Returns 0, -ENOMEM, or the negative errno of
 * opendir()/open() (-ENOENT, -EACCES, -ENOTDIR for a directory that is
 * not one, ...). */
int catalog_add(struct catalog *c, const char *path, bool is_dir);

/*
 * Brings the file list up to date: finds new *.db files, drops vanished
 * ones, rereads the meta of changed ones (a live collector's current file
 * grows) and validates new ones. A file that is not SQLite, not a flowdb
 * file, of a newer schema or corrupt is kept with its error and warned
 * about once as "flowdb: warning: PATH: REASON; skipped". Returns 0 or
 * -ENOMEM.
 */
int catalog_refresh(struct catalog *c);

/* The latest time f's rows may have: its meta's, or unbounded for the
 * file being written, whose range grows while it is read. */
int64_t catalog_time_end(const struct catalog_file *f);

/* Whether f's rows may have a time (first_seen, last_seen or time) between
 * lo and hi inclusive. */
bool catalog_overlaps(const struct catalog_file *f, int64_t lo, int64_t hi);

/*
 * Prepares sql on f, opening f read-only if needed (immutable when no -wal
 * shows a writer, so that SQLite takes no lock and leaves no -shm beside
 * evidence), reusing the idle statement when it has the same text. The
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

/* Marks f unusable for the rest of the session with reason, warning once.
 * Returns -ENOMEM or 0. */
int catalog_skip(struct catalog *c, struct catalog_file *f, const char *reason);

/* Starts counting reads for a new statement. */
void catalog_stats_reset(struct catalog *c);

/* Number of usable files. */
size_t catalog_usable(const struct catalog *c);

#endif /* CATALOG_H */
