// SPDX-License-Identifier: BSD-2-Clause
/* The flow files a session reads: discovery, validation, time ranges, handles. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "catalog.h"

#define SQLITE_MAGIC "SQLite format 3"
/* A writer holds the file for this long at most while committing. */
#define BUSY_TIMEOUT_MS 2000
/* Bytes of each file mapped rather than read; files are rarely larger. */
#define MMAP_SIZE "1073741824"

struct catalog *catalog_new(FILE *warn)
{
	struct catalog *c = calloc(1, sizeof(*c));

	if (c)
		c->warn = warn;
	return c;
}

/* Closes f's handle, if any. */
static void close_handle(struct catalog *c, struct catalog_file *f)
{
	if (!f->db)
		return;
	sqlite3_finalize(f->idle_stmt);
	f->idle_stmt = NULL;
	/* A statement still out (a skip mid-scan) finalizes the handle later. */
	sqlite3_close_v2(f->db);
	f->db = NULL;
	c->n_open--;
}

/* Frees f and its handle. */
static void file_free(struct catalog *c, struct catalog_file *f)
{
	close_handle(c, f);
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
	if (is_dir) {
		DIR *d = opendir(path);

		if (!d)
			return -errno;
		closedir(d);
		return push_string(&c->dirs, &c->n_dirs, path);
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return push_string(&c->paths, &c->n_paths, path);
}

int64_t catalog_time_end(const struct catalog_file *f)
{
	return f->wal ? INT64_MAX : f->time_end_us;
}

bool catalog_overlaps(const struct catalog_file *f, int64_t lo, int64_t hi)
{
	return f->time_start_us <= hi && catalog_time_end(f) >= lo;
}

/* Records why f is skipped and warns once. Returns 0 or -ENOMEM. */
int catalog_skip(struct catalog *c, struct catalog_file *f, const char *reason)
{
	if (f->error)
		return 0;
	f->error = strdup(reason);
	if (!f->error)
		return -ENOMEM;
	if (c->warn)
		fprintf(c->warn, "flowdb: warning: %s: %s; skipped\n", f->path, reason);
	close_handle(c, f);
	return 0;
}

/* Writes an SQLite URI for path into a new string: read-only, and immutable
 * when no -wal file shows a writer, so that SQLite takes no locks and
 * creates no -shm next to evidence. Returns it, or NULL on ENOMEM. */
static char *file_uri(const char *path, bool wal)
{
	static const char hex[] = "0123456789abcdef";
	const char *query = wal ? "?mode=ro" : "?mode=ro&immutable=1";
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
	char *uri = file_uri(f->path, f->wal);
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
	sqlite3_busy_timeout(*db, BUSY_TIMEOUT_MS);
	/* Pages straight from the page cache: no read() copy per page. */
	sqlite3_exec(*db, "PRAGMA mmap_size=" MMAP_SIZE, NULL, NULL, NULL);
	if (c->progress)
		sqlite3_progress_handler(*db, 1000, c->progress, c->progress_arg);
	return SQLITE_OK;
}

/* Whether the file starts with SQLite's header. */
static bool has_sqlite_magic(const char *path)
{
	char head[sizeof(SQLITE_MAGIC)];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, head, sizeof(head));
	close(fd);
	return n == sizeof(head) && !memcmp(head, SQLITE_MAGIC, sizeof(head));
}

/* Reads f's meta: schema version, host, time range. On a problem writes
 * the reason into why and returns -EINVAL; returns -ENOMEM or 0. */
static int read_meta(const struct catalog *c, struct catalog_file *f, char *why, size_t size)
{
	static const char *const tables[] = { "flows", "events", "collector_stats" };
	sqlite3_stmt *stmt = NULL;
	int64_t version = -1;
	sqlite3 *db;
	size_t i;
	int rc, err = -EINVAL;

	if (!has_sqlite_magic(f->path)) {
		snprintf(why, size, "not an SQLite database");
		return -EINVAL;
	}
	rc = catalog_open(c, f, &db);
	if (rc) {
		snprintf(why, size, "%s", sqlite3_errstr(rc));
		return rc == SQLITE_NOMEM ? -ENOMEM : -EINVAL;
	}
	rc = sqlite3_prepare_v2(db, "SELECT key, value FROM meta", -1, &stmt, NULL);
	if (rc) {
		if (strstr(sqlite3_errmsg(db), "no such table"))
			snprintf(why, size, "not a flowdb file (no meta table)");
		else
			snprintf(why, size, "%s", sqlite3_errmsg(db));
		goto cleanup;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(stmt, 0);

		if (!key)
			continue;
		if (!strcmp(key, "schema_version"))
			version = sqlite3_column_int64(stmt, 1);
		else if (!strcmp(key, "time_start_us"))
			f->time_start_us = sqlite3_column_int64(stmt, 1);
		else if (!strcmp(key, "time_end_us"))
			f->time_end_us = sqlite3_column_int64(stmt, 1);
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
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char sql[64];

		sqlite3_finalize(stmt);
		snprintf(sql, sizeof(sql), "SELECT * FROM %s LIMIT 0", tables[i]);
		if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL)) {
			snprintf(why, size, "not a flowdb file (%s)", sqlite3_errmsg(db));
			goto cleanup;
		}
	}
	err = 0;
cleanup:
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return err;
}

/* What identifies a version of a file: its own stat and its -wal's. */
struct file_state {
	struct stat db, wal;
	bool has_wal;
};

/* Stats path and path-wal into *st. Returns 0 or a negative errno. */
static int file_state(const char *path, struct file_state *st)
{
	char wal[PATH_MAX];

	if (stat(path, &st->db))
		return -errno;
	if (snprintf(wal, sizeof(wal), "%s-wal", path) >= (int)sizeof(wal))
		return -ENAMETOOLONG;
	st->has_wal = !stat(wal, &st->wal);
	return 0;
}

/* Whether f was read from the file as it is now. */
static bool unchanged(const struct catalog_file *f, const struct file_state *st)
{
	if (f->dev != st->db.st_dev || f->ino != st->db.st_ino || f->db_size != st->db.st_size ||
	    f->mtime.tv_sec != st->db.st_mtim.tv_sec ||
	    f->mtime.tv_nsec != st->db.st_mtim.tv_nsec || f->wal != st->has_wal)
		return false;
	return !f->wal ||
	       (f->wal_size == st->wal.st_size && f->wal_mtime.tv_sec == st->wal.st_mtim.tv_sec &&
		f->wal_mtime.tv_nsec == st->wal.st_mtim.tv_nsec);
}

/* Reads f afresh from the file in state st: meta, or why it is skipped.
 * Returns 0 or -ENOMEM. */
static int load_file(struct catalog *c, struct catalog_file *f, const struct file_state *st)
{
	char why[256];
	int err;

	close_handle(c, f);
	free(f->error);
	f->error = NULL;
	f->dev = st->db.st_dev;
	f->ino = st->db.st_ino;
	f->db_size = st->db.st_size;
	f->mtime = st->db.st_mtim;
	f->wal = st->has_wal;
	f->wal_size = st->has_wal ? st->wal.st_size : 0;
	f->wal_mtime = st->has_wal ? st->wal.st_mtim : (struct timespec){ 0 };
	f->size = f->db_size + f->wal_size;
	f->time_start_us = f->time_end_us = 0;
	f->rollups = false;
	err = read_meta(c, f, why, sizeof(why));
	if (err == -EINVAL)
		return catalog_skip(c, f, why);
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
	struct file_state st;

	if (file_state(path, &st) || !S_ISREG(st.db.st_mode))
		return 0;
	if (f) {
		f->seen = true;
		if (unchanged(f, &st))
			return 0;
		/* A rewritten file may have become readable, or broken. */
		return load_file(c, f, &st);
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
	c->files[c->n_files++] = f;
	return load_file(c, f, &st);
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
	int rc;

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
	if (f->idle_stmt && !strcmp(sqlite3_sql(f->idle_stmt), sql)) {
		stmt = f->idle_stmt;
		f->idle_stmt = NULL;
	} else if (sqlite3_prepare_v3(f->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL)) {
		catalog_skip(c, f, sqlite3_errmsg(f->db));
		return NULL;
	}
	f->users++;
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
	if (f->idle_stmt || !f->db)
		sqlite3_finalize(stmt);
	else
		f->idle_stmt = stmt;
	trim_handles(c);
}

void catalog_stats_reset(struct catalog *c)
{
	c->stamp++;
	c->files_read = 0;
	c->rows_read = 0;
}

size_t catalog_usable(const struct catalog *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->n_files; i++)
		n += !c->files[i]->error;
	return n;
}
