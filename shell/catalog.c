// SPDX-License-Identifier: BSD-2-Clause
/* The flow files a session reads: discovery, validation, time ranges, handles. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "catalog.h"
#include "evidence.h"
#include "safe.h"

/* A writer holds the file for this long at most while committing. */
#define BUSY_TIMEOUT_MS 2000
/* Bytes of each file mapped rather than read; files are rarely larger. */
#define MMAP_SIZE "1073741824"
/* A value read from a file at most: a flow row's are tens of bytes. */
#define VALUE_MAX (16 << 20)
/* The SQL the shell gives a file at most: lists travel as parameters. */
#define SQL_MAX (1 << 20)
/* The file and what may lie beside it, in the order of catalog_file.sig. */
static const char *const sides[] = { "", "-wal", "-journal" };
#define ROWID_LIMIT (1LL << CATALOG_ROWID_BITS)

const char *const catalog_tables[CATALOG_TABLES + 1] = {
	"flows", "events", "collector_stats", "actions", "rule_counters", "alerts",
	"requests", NULL
};

/* Columns the schema gained after version 1: files written before lack
 * them, and the shell reads them there as NULL. Every other column of the
 * schema is required. */
static const struct {
	const char *table, *column;
} added_columns[] = {
	/* Version 2: payload inspection. */
	{ "flows", "app_proto" },
	{ "flows", "app_info" },
	{ "flows", "encrypted" },
	{ "events", "detail" },
	{ "collector_stats", "payload_events" },
	{ "collector_stats", "payload_bytes" },
	/* Version 3: enforcement. */
	{ "flows", "dropped_packets" },
	{ "flows", "dropped_bytes" },
	{ "collector_stats", "dropped_packets" },
	{ "collector_stats", "dropped_bytes" },
	{ "collector_stats", "policy_mode" },
	/* Version 4: alerts. */
	{ "collector_stats", "alerts" },
	{ "collector_stats", "alerts_suppressed" },
	{ "collector_stats", "sink_failures" },
	/* Version 5: IPFIX export. */
	{ "collector_stats", "ipfix_records" },
	{ "collector_stats", "ipfix_send_errors" },
	{ "collector_stats", "ipfix_dropped" },
	/* Version 6: HTTP requests, TLS fingerprints. */
	{ "flows", "requests" },
	{ "flows", "fingerprint" },
	{ "collector_stats", "payload_drops" },
};

/* Tables the schema gained after version 2 (enforcement's audit in 3, the
 * alerts in 4, the HTTP requests in 6): files written before lack them, and
 * the shell reads them there as empty. */
static const char *const added_tables[] = { "actions", "rule_counters", "alerts", "requests",
					    NULL };

struct catalog *catalog_new(FILE *warn)
{
	struct catalog *c = calloc(1, sizeof(*c));

	if (c)
		c->warn = warn;
	return c;
}

/* Whether column of table was added after schema version 1. */
static bool is_added_column(const char *table, const char *column)
{
	size_t i;

	for (i = 0; i < sizeof(added_columns) / sizeof(added_columns[0]); i++)
		if (!strcmp(added_columns[i].table, table) && !strcmp(added_columns[i].column, column))
			return true;
	return false;
}

/* Whether table was added after schema version 2 (added_tables). */
static bool is_added_table(const char *table)
{
	const char *const *t;

	for (t = added_tables; *t; t++)
		if (!strcmp(*t, table))
			return true;
	return false;
}

int catalog_set_schema(struct catalog *c, sqlite3 *schema_db)
{
	sqlite3_stmt *stmt = NULL;
	int i, rc;

	rc = sqlite3_prepare_v2(schema_db, "SELECT name, type, \"notnull\" FROM pragma_table_info(?)",
				-1, &stmt, NULL);
	for (i = 0; !rc && i < CATALOG_TABLES; i++) {
		struct catalog_table *t = &c->tables[i];

		t->name = catalog_tables[i];
		sqlite3_bind_text(stmt, 1, t->name, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(stmt, 0);
			const char *type = (const char *)sqlite3_column_text(stmt, 1);

			if (t->n_cols == CATALOG_COLS_MAX) {
				rc = SQLITE_TOOBIG;
				break;
			}
			t->cols[t->n_cols] = strdup(name);
			t->types[t->n_cols] = strdup(type ? type : "");
			if (!t->cols[t->n_cols] || !t->types[t->n_cols]) {
				free(t->cols[t->n_cols]);
				free(t->types[t->n_cols]);
				rc = SQLITE_NOMEM;
				break;
			}
			if (!is_added_column(t->name, name))
				t->required |= 1ULL << t->n_cols;
			if (sqlite3_column_int(stmt, 2))
				t->not_null |= 1ULL << t->n_cols;
			t->n_cols++;
		}
		rc = rc == SQLITE_DONE ? (t->n_cols ? SQLITE_OK : SQLITE_ERROR) : rc;
		sqlite3_reset(stmt);
	}
	sqlite3_finalize(stmt);
	return rc;
}

int64_t catalog_rowid(const struct catalog_file *f, int64_t rowid)
{
	if (rowid < 0 || rowid >= ROWID_LIMIT)
		return -1;
	return (int64_t)f->id << CATALOG_ROWID_BITS | rowid;
}

/* Closes f's handle, if any. */
static void close_handle(struct catalog *c, struct catalog_file *f)
{
	if (!f->db)
		return;
	int i;

	for (i = 0; i < CATALOG_IDLE_MAX; i++) {
		sqlite3_finalize(f->idle_stmts[i]);
		f->idle_stmts[i] = NULL;
	}
	/* A statement still out (a skip mid-scan) finalizes the handle later. */
	sqlite3_close_v2(f->db);
	f->db = NULL;
	c->n_open--;
}

/* Removes f's private copy, if any. */
static void drop_copy(struct catalog_file *f)
{
	if (f->copy)
		unlink(f->copy);
	free(f->copy);
	f->copy = NULL;
}

/* Frees f and its handle. */
static void file_free(struct catalog *c, struct catalog_file *f)
{
	close_handle(c, f);
	drop_copy(f);
	free(f->path);
	free(f->host);
	free(f->error);
	free(f);
}

void catalog_free(struct catalog *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n_files; i++)
		file_free(c, c->files[i]);
	for (i = 0; i < c->n_dirs; i++)
		free(c->dirs[i]);
	for (i = 0; i < c->n_paths; i++)
		free(c->paths[i]);
	for (i = 0; i < CATALOG_TABLES; i++) {
		int j;

		for (j = 0; j < c->tables[i].n_cols; j++) {
			free(c->tables[i].cols[j]);
			free(c->tables[i].types[j]);
		}
	}
	if (c->tmp_dir)
		rmdir(c->tmp_dir);
	free(c->tmp_dir);
	free(c->files);
	free(c->dirs);
	free(c->paths);
	free(c);
}

/* Appends a copy of s to *list. Returns 0 or -ENOMEM. */
static int push_string(char ***list, size_t *n, const char *s)
{
	char **grown = realloc(*list, (*n + 1) * sizeof(**list));

	if (!grown)
		return -ENOMEM;
	*list = grown;
	grown[*n] = strdup(s);
	if (!grown[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

int catalog_add(struct catalog *c, const char *path, bool is_dir)
{
	struct stat st;
	int fd;

	if (is_dir) {
		DIR *d = opendir(path);

		if (!d)
			return -errno;
		closedir(d);
		return push_string(&c->dirs, &c->n_dirs, path);
	}
	if (stat(path, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	return push_string(&c->paths, &c->n_paths, path);
}

int64_t catalog_time_start(const struct catalog_file *f)
{
	return f->wal ? INT64_MIN : f->time_start_us;
}

int64_t catalog_time_end(const struct catalog_file *f)
{
	return f->wal ? INT64_MAX : f->time_end_us;
}

bool catalog_overlaps(const struct catalog_file *f, int64_t lo, int64_t hi)
{
	return catalog_time_start(f) <= hi && catalog_time_end(f) >= lo;
}

/* Marks f skipped for reason, warning when warn is set. Returns 0 or
 * -ENOMEM. */
static int skip(struct catalog *c, struct catalog_file *f, const char *reason, bool warn)
{
	if (f->error)
		return 0;
	f->error = strdup(reason);
	if (!f->error)
		return -ENOMEM;
	if (warn && c->warn)
		safe_fprintf(c->warn, "flowdb: warning: %s: %s; skipped\n", f->path, reason);
	close_handle(c, f);
	return 0;
}

int catalog_skip(struct catalog *c, struct catalog_file *f, const char *reason)
{
	return skip(c, f, reason, true);
}

int catalog_skip_quietly(struct catalog *c, struct catalog_file *f, const char *reason)
{
	return skip(c, f, reason, false);
}

/* Writes an SQLite URI for path into a new string: read-only, and immutable
 * unless a writer holds it, so that SQLite takes no locks and creates no
 * -shm next to evidence. Returns it, or NULL on ENOMEM. */
static char *file_uri(const char *path, bool live)
{
	static const char hex[] = "0123456789abcdef";
	const char *query = live ? "?mode=ro" : "?mode=ro&immutable=1";
	size_t n = strlen(path);
	char *uri = malloc(5 + 3 * n + strlen(query) + 1);
	char *p = uri;

	if (!uri)
		return NULL;
	p = stpcpy(p, "file:");
	for (; *path; path++) {
		unsigned char ch = *path;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("/-._~", ch)) {
			*p++ = ch;
		} else {
			*p++ = '%';
			*p++ = hex[ch >> 4];
			*p++ = hex[ch & 15];
		}
	}
	strcpy(p, query);
	return uri;
}

int catalog_open(const struct catalog *c, const struct catalog_file *f, sqlite3 **db)
{
	char *uri = file_uri(f->copy ? f->copy : f->path, f->wal);
	int rc;

	*db = NULL;
	if (!uri)
		return SQLITE_NOMEM;
	rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
			     NULL);
	free(uri);
	if (rc) {
		sqlite3_close(*db);
		*db = NULL;
		return rc;
	}
	/* Evidence may be hostile: its schema runs no function of ours and
	 * nothing can write it through this handle. */
	sqlite3_db_config(*db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(*db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_limit(*db, SQLITE_LIMIT_LENGTH, VALUE_MAX);
	sqlite3_limit(*db, SQLITE_LIMIT_SQL_LENGTH, SQL_MAX);
	sqlite3_limit(*db, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_busy_timeout(*db, BUSY_TIMEOUT_MS);
	/* Sorts and temporary tables in memory, where the session's memory
	 * budget bounds them: never a hidden file filling the disk. */
	sqlite3_exec(*db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
	/* Pages straight from the page cache: no read() copy per page. */
	sqlite3_exec(*db, "PRAGMA mmap_size=" MMAP_SIZE, NULL, NULL, NULL);
	if (c->progress)
		sqlite3_progress_handler(*db, 1000, c->progress, c->progress_arg);
	return SQLITE_OK;
}

/* Whether name is a plain table of db (not a view, nor a virtual table,
 * whose reads could run anything). On a problem writes why. */
static bool is_plain_table(sqlite3 *db, const char *name, char *why, size_t size)
{
	sqlite3_stmt *stmt;
	bool plain = false;

	if (sqlite3_prepare_v2(db, "SELECT type, sql FROM sqlite_schema WHERE name = ?1 COLLATE NOCASE",
			       -1, &stmt, NULL)) {
		snprintf(why, size, "%s", sqlite3_errmsg(db));
		return false;
	}
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		snprintf(why, size, "not a flowdb file (no %s table)", name);
	} else if (strcmp((const char *)sqlite3_column_text(stmt, 0), "table") ||
		   sqlite3_strnicmp((const char *)sqlite3_column_text(stmt, 1), "CREATE TABLE", 12)) {
		snprintf(why, size, "not a flowdb file (%s is a %s, not a plain table)", name,
			 strcmp((const char *)sqlite3_column_text(stmt, 0), "table") ?
				 (const char *)sqlite3_column_text(stmt, 0) : "virtual table");
	} else {
		plain = true;
	}
	sqlite3_finalize(stmt);
	return plain;
}

/* Whether the file has an object (of any type) named name, as SQLite
 * matches names. Returns 1, 0, or -1 on an error (why written). */
static int has_object(sqlite3 *db, const char *name, char *why, size_t size)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE name = ?1 COLLATE NOCASE",
			       -1, &stmt, NULL)) {
		snprintf(why, size, "%s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		snprintf(why, size, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Runs sql, one integer or NULL, into *v. Returns 1 for an integer, 0 for
 * NULL (no rows), -1 for another type, or -2 on an error (why written). */
static int query_int(sqlite3 *db, const char *sql, int64_t *v, char *why, size_t size)
{
	sqlite3_stmt *stmt;
	int rc = -2;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL)) {
		snprintf(why, size, "%s", sqlite3_errmsg(db));
		return -2;
	}
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		switch (sqlite3_column_type(stmt, 0)) {
		case SQLITE_INTEGER:
			*v = sqlite3_column_int64(stmt, 0);
			rc = 1;
			break;
		case SQLITE_NULL:
			rc = 0;
			break;
		default:
			rc = -1;
		}
	} else {
		snprintf(why, size, "%s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(stmt);
	return rc;
}

/* Widens f's time range by the range of column col of table: the file's
 * own rows, so that pruning never trusts meta. One min() or max() at a
 * time, which an index answers in a lookup. Returns 0, or -EINVAL with
 * why written. */
static int widen_range(sqlite3 *db, struct catalog_file *f, const char *table, const char *col,
		       char *why, size_t size)
{
	char sql[128];
	int64_t v;
	int rc, end;

	for (end = 0; end < 2; end++) {
		snprintf(sql, sizeof(sql), "SELECT %s(\"%s\") FROM \"%s\"", end ? "max" : "min", col,
			 table);
		rc = query_int(db, sql, &v, why, size);
		if (rc == -2)
			return -EINVAL;
		if (rc < 0) {
			/* A time that is not an integer: no range can be trusted. */
			f->time_start_us = INT64_MIN;
			f->time_end_us = INT64_MAX;
		} else if (rc && end && v > f->time_end_us) {
			f->time_end_us = v;
		} else if (rc && !end && v < f->time_start_us) {
			f->time_start_us = v;
		}
	}
	return 0;
}

/* The affinity a column declared with type has, by SQLite's rules
 * (https://sqlite.org/datatype3.html, 3.1): 'I'nteger, 'T'ext, 'B'lob,
 * 'R'eal or 'N'umeric. */
static char affinity(const char *type)
{
	char up[64];
	size_t i;

	for (i = 0; type[i] && i < sizeof(up) - 1; i++)
		up[i] = (char)toupper((unsigned char)type[i]);
	up[i] = '\0';
	if (strstr(up, "INT"))
		return 'I';
	if (strstr(up, "CHAR") || strstr(up, "CLOB") || strstr(up, "TEXT"))
		return 'T';
	if (strstr(up, "BLOB") || !up[0])
		return 'B';
	if (strstr(up, "REAL") || strstr(up, "FLOA") || strstr(up, "DOUB"))
		return 'R';
	return 'N';
}

/* Checks that table t of the file is one this shell reads: a plain table
 * whose every column is one of the schema's, declared with the same
 * affinity (so that comparisons passed on to the file mean what they mean
 * in the session) and NOT NULL where the schema says so (the session's
 * planner relies on it), holding at least the required ones; notes which it has, its
 * rows and their time range. A table added after version 2 may be missing
 * altogether: the file has none of its columns (columns 0) and no rows.
 * Returns 0, or -EINVAL with why written. */
static int check_table(sqlite3 *db, const struct catalog_table *t, int ti, struct catalog_file *f,
		       char *why, size_t size)
{
	sqlite3_stmt *stmt = NULL;
	uint64_t have = 0;
	int64_t lo = 0, hi = 0;
	char sql[128];
	int rc, i, err = -EINVAL;

	if (is_added_table(t->name)) {
		rc = has_object(db, t->name, why, size);
		if (rc < 0)
			return -EINVAL;
		if (!rc) {
			f->columns[ti] = 0;
			f->rows[ti] = 0;
			return 0;
		}
	}
	if (!is_plain_table(db, t->name, why, size))
		return -EINVAL;
	if (sqlite3_prepare_v2(db,
			       "SELECT name, type, hidden, \"notnull\" FROM pragma_table_xinfo(?1)",
			       -1, &stmt, NULL)) {
		snprintf(why, size, "%s", sqlite3_errmsg(db));
		return -EINVAL;
	}
	sqlite3_bind_text(stmt, 1, t->name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(stmt, 0);
		const char *type = (const char *)sqlite3_column_text(stmt, 1);

		for (i = 0; i < t->n_cols && strcmp(t->cols[i], name); i++)
			;
		if (i == t->n_cols || sqlite3_column_int(stmt, 2) ||
		    affinity(type ? type : "") != affinity(t->types[i]) ||
		    (t->not_null >> i & 1) > (uint64_t)sqlite3_column_int(stmt, 3)) {
			snprintf(why, size, "not a flowdb file (%s.%s is not the schema's column)",
				 t->name, name);
			goto cleanup;
		}
		have |= 1ULL << i;
	}
	if (rc != SQLITE_DONE) {
		snprintf(why, size, "%s", sqlite3_errmsg(db));
		goto cleanup;
	}
	if ((have & t->required) != t->required) {
		for (i = 0; !(~have & t->required & 1ULL << i); i++)
			;
		snprintf(why, size, "not a flowdb file (%s has no column %s)", t->name, t->cols[i]);
		goto cleanup;
	}
	/* Rowids travel in the session's rowids, under the file's id. */
	snprintf(sql, sizeof(sql), "SELECT min(rowid) FROM \"%s\"", t->name);
	rc = query_int(db, sql, &lo, why, size);
	if (rc == 1) {
		snprintf(sql, sizeof(sql), "SELECT max(rowid) FROM \"%s\"", t->name);
		rc = query_int(db, sql, &hi, why, size);
	}
	if (rc == -2)
		goto cleanup;
	if (rc == 1 && (lo < 0 || hi >= ROWID_LIMIT)) {
		snprintf(why, size, "%s has row ids outside 0 to 2^%d", t->name, CATALOG_ROWID_BITS);
		goto cleanup;
	}
	f->columns[ti] = have;
	f->rows[ti] = rc == 1 ? hi : 0;
	for (i = 0; i < t->n_cols; i++)
		if ((!strcmp(t->cols[i], "first_seen") || !strcmp(t->cols[i], "last_seen") ||
		     !strcmp(t->cols[i], "time")) &&
		    widen_range(db, f, t->name, t->cols[i], why, size))
			goto cleanup;
	err = 0;
cleanup:
	sqlite3_finalize(stmt);
	return err;
}

/* Reads f's meta (schema version, host, rollups) and checks its tables.
 * On a problem writes the reason into why and returns -EINVAL, or -EAGAIN
 * for a file being created (empty, or SQLite's header and no table yet:
 * the collector opens a new file, then writes its schema and meta in one
 * transaction), which holds no rows and is not worth a warning; returns
 * -ENOMEM or 0. */
static int read_meta(const struct catalog *c, struct catalog_file *f, char *why, size_t size)
{
	sqlite3_stmt *stmt = NULL;
	int64_t version = -1;
	sqlite3 *db;
	int i, rc, err = -EINVAL;

	if (f->size == 0) {
		snprintf(why, size, "empty (a file being created)");
		return -EAGAIN;
	}
	rc = evidence_check(f->copy ? f->copy : f->path);
	if (rc) {
		snprintf(why, size, "%s", rc == -ENOTSUP ? "not an SQLite database" :
					  rc == -EINVAL	 ? "not a regular file" :
							   strerror(-rc));
		return -EINVAL;
	}
	rc = catalog_open(c, f, &db);
	if (rc) {
		snprintf(why, size, "%s", sqlite3_errstr(rc));
		return rc == SQLITE_NOMEM ? -ENOMEM : -EINVAL;
	}
	rc = query_int(db, "SELECT count(*) FROM sqlite_schema", &version, why, size);
	if (rc == 1 && version == 0) {
		snprintf(why, size, "no tables yet (a file being created)");
		err = -EAGAIN;
		goto cleanup;
	}
	version = -1;
	if (!is_plain_table(db, "meta", why, size))
		goto cleanup;
	rc = sqlite3_prepare_v2(db, "SELECT key, value FROM meta", -1, &stmt, NULL);
	if (rc) {
		snprintf(why, size, "%s", sqlite3_errmsg(db));
		goto cleanup;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(stmt, 0);

		if (!key)
			continue;
		if (!strcmp(key, "schema_version"))
			version = sqlite3_column_int64(stmt, 1);
		else if (!strcmp(key, "rollups"))
			f->rollups = sqlite3_column_int64(stmt, 1) == 1;
		else if (!strcmp(key, "host") && sqlite3_column_text(stmt, 1)) {
			free(f->host);
			f->host = strdup((const char *)sqlite3_column_text(stmt, 1));
			if (!f->host) {
				err = -ENOMEM;
				goto cleanup;
			}
		}
	}
	if (rc != SQLITE_DONE) {
		snprintf(why, size, "%s", sqlite3_errmsg(db));
		goto cleanup;
	}
	if (version < 0) {
		snprintf(why, size, "not a flowdb file (no schema_version in meta)");
		goto cleanup;
	}
	if (version > CATALOG_SCHEMA_VERSION) {
		snprintf(why, size, "schema version %lld is newer than this flowdb reads (%d)",
			 (long long)version, CATALOG_SCHEMA_VERSION);
		goto cleanup;
	}
	f->version = (int)version;
	f->time_start_us = INT64_MAX;
	f->time_end_us = INT64_MIN;
	for (i = 0; i < CATALOG_TABLES; i++)
		if (check_table(db, &c->tables[i], i, f, why, size))
			goto cleanup;
	err = 0;
cleanup:
	/* Stopped by Ctrl-C, the file is checked again next time; by the
	 * time budget, it would stop every statement: it is skipped. */
	if (err == -EINVAL && sqlite3_errcode(db) == SQLITE_INTERRUPT) {
		if (c->over_time && *c->over_time)
			snprintf(why, size, "over the time budget while checking it");
		else
			err = -EINTR;
	}
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return err;
}

/* Reads the signature of path and of its -wal and -journal into sig.
 * Returns 0, or a negative errno when path itself cannot be stat'ed or is
 * not a regular file. */
static int file_sig(const char *path, struct catalog_sig sig[3])
{
	char name[PATH_MAX];
	struct stat st;
	int i;

	for (i = 0; i < 3; i++) {
		if (snprintf(name, sizeof(name), "%s%s", path, sides[i]) >= (int)sizeof(name))
			return -ENAMETOOLONG;
		if (stat(name, &st) || !S_ISREG(st.st_mode)) {
			if (!i)
				return -ENOENT;
			sig[i] = (struct catalog_sig){ .size = -1 };
			continue;
		}
		sig[i] = (struct catalog_sig){ st.st_dev, st.st_ino, st.st_size, st.st_mtim };
	}
	return 0;
}

/* Whether f was checked as the file and what lies beside it are now. */
static bool unchanged(const struct catalog_file *f, const struct catalog_sig sig[3])
{
	int i;

	for (i = 0; i < 3; i++)
		if (f->sig[i].dev != sig[i].dev || f->sig[i].ino != sig[i].ino ||
		    f->sig[i].size != sig[i].size || f->sig[i].mtime.tv_sec != sig[i].mtime.tv_sec ||
		    f->sig[i].mtime.tv_nsec != sig[i].mtime.tv_nsec)
			return false;
	return true;
}

/*
 * Decides how f is read: as it is (immutable), as a writer's file (its
 * commits as they come), or through a private copy when a -wal or a hot
 * -journal no writer holds lies beside it: applying either to the file
 * would change evidence, ignoring it would show a state the file never
 * committed (a journal's half-written pages) or lose a killed collector's
 * last commits (a -wal). Warns once which. Returns 0, -EINVAL with why
 * written (no copy could be made), or -ENOMEM.
 */
static int choose_reading(struct catalog *c, struct catalog_file *f, char *why, size_t size)
{
	enum flowfile_state state = flowfile_classify(f->path);
	char name[32], tmpl[PATH_MAX];
	const char *tmp = getenv("TMPDIR");

	drop_copy(f);
	f->wal = state == FLOWFILE_LIVE;
	if (state == FLOWFILE_FINISHED || state == FLOWFILE_LIVE)
		return 0;
	if (!c->tmp_dir) {
		snprintf(tmpl, sizeof(tmpl), "%s/flowdb-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(tmpl)) {
			snprintf(why, size, "cannot make a directory for private copies in %s: %s",
				 tmp && *tmp ? tmp : "/tmp", strerror(errno));
			return -EINVAL;
		}
		c->tmp_dir = strdup(tmpl);
		if (!c->tmp_dir) {
			rmdir(tmpl);
			return -ENOMEM;
		}
	}
	snprintf(name, sizeof(name), "%u.db", f->id);
	if (evidence_copy(f->path, state, c->tmp_dir, name, &f->copy, why, size)) {
		size_t n = strlen(why);

		snprintf(why + n, size - n, " (copy the file with its %s elsewhere to read it)",
			 state == FLOWFILE_ORPHAN_WAL ? "-wal" : "-journal");
		return -EINVAL;
	}
	if (c->warn)
		safe_fprintf(c->warn,
			     "flowdb: warning: %s: %s; read from a private copy, the file and its "
			     "%s left as they are\n",
			     f->path,
			     state == FLOWFILE_ORPHAN_WAL ?
				     "a -wal no collector is writing (one killed, or planted)" :
				     "a -journal of a write that never finished",
			     state == FLOWFILE_ORPHAN_WAL ? "-wal" : "-journal");
	return 0;
}

/* Reads f afresh from the file as sig shows it: how to read it, its meta
 * and tables, or why it is skipped. Returns 0 or -ENOMEM. */
static int load_file(struct catalog *c, struct catalog_file *f, const struct catalog_sig sig[3])
{
	char why[512];
	int err;

	close_handle(c, f);
	free(f->error);
	f->error = NULL;
	memcpy(f->sig, sig, sizeof(f->sig));
	f->size = sig[0].size + (sig[1].size > 0 ? sig[1].size : 0);
	f->time_start_us = f->time_end_us = 0;
	f->rollups = f->rollups_checked = false;
	memset(f->columns, 0, sizeof(f->columns));
	memset(f->rows, 0, sizeof(f->rows));
	err = choose_reading(c, f, why, sizeof(why));
	if (!err)
		err = read_meta(c, f, why, sizeof(why));
	if (err == -EINVAL)
		return catalog_skip(c, f, why);
	if (err == -EAGAIN)
		return catalog_skip_quietly(c, f, why);
	if (err == -EINTR)
		memset(f->sig, 0, sizeof(f->sig));
	return err;
}

/* Finds the file named path. Returns it or NULL. */
static struct catalog_file *find_file(const struct catalog *c, const char *path)
{
	size_t i;

	for (i = 0; i < c->n_files; i++)
		if (!strcmp(c->files[i]->path, path))
			return c->files[i];
	return NULL;
}

/* Makes sure path is in the catalog as it is now. A file that can no
 * longer be stat'ed is left out (it vanished). Returns 0 or -ENOMEM. */
static int visit(struct catalog *c, const char *path)
{
	struct catalog_file *f = find_file(c, path);
	struct catalog_file **grown;
	struct catalog_sig sig[3];

	if (file_sig(path, sig))
		return 0;
	if (f) {
		f->seen = true;
		if (unchanged(f, sig))
			return 0;
		/* A rewritten file may have become readable, or broken. */
		return load_file(c, f, sig);
	}
	grown = realloc(c->files, (c->n_files + 1) * sizeof(*c->files));
	if (!grown)
		return -ENOMEM;
	c->files = grown;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(path))) {
		free(f);
		return -ENOMEM;
	}
	f->seen = true;
	f->id = c->next_id++;
	c->files[c->n_files++] = f;
	return load_file(c, f, sig);
}

/* Whether a directory entry names a flow file candidate: *.db. */
static int is_db_entry(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return n > 3 && !strcmp(de->d_name + n - 3, ".db") && de->d_name[0] != '.';
}

/* Orders usable files by time, then path; skipped ones after, by path. */
static int file_order(const void *a, const void *b)
{
	const struct catalog_file *x = *(struct catalog_file *const *)a;
	const struct catalog_file *y = *(struct catalog_file *const *)b;

	if (!x->error != !y->error)
		return x->error ? 1 : -1;
	if (!x->error && x->time_start_us != y->time_start_us)
		return x->time_start_us < y->time_start_us ? -1 : 1;
	return strcmp(x->path, y->path);
}

int catalog_refresh(struct catalog *c)
{
	char path[PATH_MAX];
	size_t i, kept;
	int err = 0;

	for (i = 0; i < c->n_files; i++)
		c->files[i]->seen = false;
	for (i = 0; !err && i < c->n_dirs; i++) {
		struct dirent **names;
		int j, n = scandir(c->dirs[i], &names, is_db_entry, alphasort);

		/* In name order, so that warnings come in a stable order. */
		for (j = 0; j < n; j++) {
			if (!err && snprintf(path, sizeof(path), "%s/%s", c->dirs[i],
					     names[j]->d_name) < (int)sizeof(path))
				err = visit(c, path);
			free(names[j]);
		}
		free(names);
	}
	for (i = 0; !err && i < c->n_paths; i++)
		err = visit(c, c->paths[i]);
	for (i = kept = 0; i < c->n_files; i++) {
		/* A cursor still reading a vanished file keeps it until done. */
		if (c->files[i]->seen || c->files[i]->users)
			c->files[kept++] = c->files[i];
		else
			file_free(c, c->files[i]);
	}
	c->n_files = kept;
	/* files is NULL in an empty catalog, which qsort may not be given. */
	if (c->n_files)
		qsort(c->files, c->n_files, sizeof(*c->files), file_order);
	return err;
}

/* Closes idle handles, least recently used first, down to the limit. */
static void trim_handles(struct catalog *c)
{
	while (c->n_open > CATALOG_OPEN_MAX) {
		struct catalog_file *lru = NULL;
		size_t i;

		for (i = 0; i < c->n_files; i++) {
			struct catalog_file *f = c->files[i];

			if (f->db && !f->users && (!lru || f->last_used < lru->last_used))
				lru = f;
		}
		if (!lru)
			return;
		close_handle(c, lru);
	}
}

sqlite3_stmt *catalog_prepare(struct catalog *c, struct catalog_file *f, const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	int rc, i;

	if (f->error)
		return NULL;
	if (!f->db) {
		rc = catalog_open(c, f, &f->db);
		if (rc) {
			catalog_skip(c, f, sqlite3_errstr(rc));
			return NULL;
		}
		c->n_open++;
	}
	for (i = 0; !stmt && i < CATALOG_IDLE_MAX; i++)
		if (f->idle_stmts[i] && !strcmp(sqlite3_sql(f->idle_stmts[i]), sql)) {
			stmt = f->idle_stmts[i];
			f->idle_stmts[i] = NULL;
		}
	if (!stmt && sqlite3_prepare_v3(f->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL)) {
		catalog_skip(c, f, sqlite3_errmsg(f->db));
		return NULL;
	}
	f->users++;
	c->file_queries++;
	f->last_used = ++c->tick;
	if (f->read_stamp != c->stamp) {
		f->read_stamp = c->stamp;
		c->files_read++;
	}
	return stmt;
}

void catalog_finish(struct catalog *c, struct catalog_file *f, sqlite3_stmt *stmt)
{
	if (!stmt)
		return;
	f->users--;
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (!f->db) {
		sqlite3_finalize(stmt);
	} else {
		/* The latest first; the oldest goes when all are taken. */
		sqlite3_finalize(f->idle_stmts[CATALOG_IDLE_MAX - 1]);
		memmove(&f->idle_stmts[1], &f->idle_stmts[0],
			(CATALOG_IDLE_MAX - 1) * sizeof(f->idle_stmts[0]));
		f->idle_stmts[0] = stmt;
	}
	trim_handles(c);
}

void catalog_close_live(struct catalog *c)
{
	size_t i;

	for (i = 0; i < c->n_files; i++)
		if (c->files[i]->wal && !c->files[i]->users)
			close_handle(c, c->files[i]);
}

void catalog_stats_reset(struct catalog *c)
{
	c->stamp++;
	c->files_read = 0;
	c->file_queries = 0;
	c->rows_read = 0;
}

size_t catalog_usable(const struct catalog *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->n_files; i++)
		n += !c->files[i]->error;
	return n;
}
