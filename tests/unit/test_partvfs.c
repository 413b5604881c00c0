// SPDX-License-Identifier: BSD-2-Clause
/* The part VFS: a connection moved from file to file, in memory or on
 * disk, writes each its own rows, read back by stock SQLite, and never the
 * old file's cached pages. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "partvfs.h"

#define SCHEMA "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX t_v ON t (v);"

struct fixture {
	char dir[64];
	void *image;
	sqlite3_int64 image_size;
};

/* An empty database of SCHEMA, as bytes, and a directory for its copies. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	sqlite3 *db;

	if (!f || partvfs_register())
		return -1;
	strcpy(f->dir, "/tmp/test_partvfs.XXXXXX");
	if (!mkdtemp(f->dir) || sqlite3_open(":memory:", &db) ||
	    sqlite3_exec(db, SCHEMA, NULL, NULL, NULL))
		return -1;
	f->image = sqlite3_serialize(db, "main", &f->image_size, 0);
	sqlite3_close(db);
	*state = f;
	return f->image ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd))
		return -1;
	sqlite3_free(f->image);
	free(f);
	return 0;
}

/* dir/name as a new copy of the image; its path in path. */
static void copy_image(const struct fixture *f, const char *name, char *path, size_t size)
{
	int fd;

	snprintf(path, size, "%s/%s", f->dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, f->image, f->image_size), f->image_size);
	close(fd);
}

/* A connection on path through the part VFS. */
static sqlite3 *part_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, PARTVFS_NAME),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=MEMORY", NULL, NULL, NULL),
			 SQLITE_OK);
	return db;
}

/* Inserts ids from..to-1 with stmt, whose v is "x<id>", in one
 * transaction. */
static void insert_ids(sqlite3 *db, sqlite3_stmt *stmt, int from, int to)
{
	char v[32];
	int id;

	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	for (id = from; id < to; id++) {
		snprintf(v, sizeof(v), "x%d", id);
		sqlite3_bind_int(stmt, 1, id);
		sqlite3_bind_text(stmt, 2, v, -1, SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(stmt), SQLITE_DONE);
		sqlite3_reset(stmt);
	}
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
}

/* One integer from sql over path, opened by stock SQLite read-only. */
static int64_t stock_int(const char *path, const char *sql)
{
	sqlite3_stmt *stmt;
	sqlite3 *db;
	int64_t v;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return v;
}

/* Whether path passes stock SQLite's integrity check. */
static bool stock_whole(const char *path)
{
	sqlite3_stmt *stmt;
	sqlite3 *db;
	bool ok;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, NULL),
			 SQLITE_OK);
	ok = sqlite3_step(stmt) == SQLITE_ROW &&
	     !strcmp((const char *)sqlite3_column_text(stmt, 0), "ok");
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return ok;
}

/* One prepared statement writes three files in turn, enough rows to split
 * pages; each file holds its own rows only, whole, its index agreeing. */
static void test_switch_writes_each_file(void **state)
{
	const struct fixture *f = *state;
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX];
	sqlite3_stmt *stmt;
	sqlite3 *db;

	copy_image(f, "a.db", a, sizeof(a));
	copy_image(f, "b.db", b, sizeof(b));
	copy_image(f, "c.db", c, sizeof(c));
	db = part_open(a);
	assert_int_equal(sqlite3_prepare_v3(db, "INSERT INTO t VALUES (?, ?)", -1,
					    SQLITE_PREPARE_PERSISTENT, &stmt, NULL),
			 SQLITE_OK);
	insert_ids(db, stmt, 0, 3000);
	assert_int_equal(partvfs_switch(db, b), 0);
	insert_ids(db, stmt, 3000, 3500);
	assert_int_equal(partvfs_switch(db, c), 0);
	insert_ids(db, stmt, 10000, 10001);
	sqlite3_finalize(stmt);
	sqlite3_close(db);

	assert_true(stock_whole(a));
	assert_true(stock_whole(b));
	assert_true(stock_whole(c));
	assert_int_equal(stock_int(a, "SELECT count(*) FROM t"), 3000);
	assert_int_equal(stock_int(a, "SELECT max(id) FROM t"), 2999);
	assert_int_equal(stock_int(b, "SELECT count(*) FROM t"), 500);
	assert_int_equal(stock_int(b, "SELECT min(id) FROM t"), 3000);
	assert_int_equal(stock_int(c, "SELECT count(*) FROM t INDEXED BY t_v WHERE v > ''"), 1);
	assert_int_equal(stock_int(c, "SELECT id FROM t"), 10000);
}

/* Two files at the same change counter but of other contents: the pages
 * cached from the first must not be read as the second's. */
static void test_switch_drops_cached_pages(void **state)
{
	const struct fixture *f = *state;
	char a[PATH_MAX], b[PATH_MAX];
	sqlite3_stmt *stmt;
	sqlite3 *db, *other;

	copy_image(f, "same-a.db", a, sizeof(a));
	copy_image(f, "same-b.db", b, sizeof(b));
	/* One commit each: both counters move from the image's by one. */
	assert_int_equal(sqlite3_open(b, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "INSERT INTO t VALUES (7, 'theirs')", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	sqlite3_close(other);
	db = part_open(a);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO t VALUES (7, 'ours')", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(partvfs_switch(db, b), 0);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT v FROM t WHERE id = 7", -1, &stmt, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(stmt, 0), "theirs");
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}

/* Refused mid-transaction, mid-statement, for a connection of another VFS
 * and for a file that is not there; the connection goes on with its file. */
static void test_switch_refused(void **state)
{
	const struct fixture *f = *state;
	char a[PATH_MAX], b[PATH_MAX], missing[PATH_MAX];
	sqlite3_stmt *stmt;
	sqlite3 *db, *stock;

	copy_image(f, "r-a.db", a, sizeof(a));
	copy_image(f, "r-b.db", b, sizeof(b));
	snprintf(missing, sizeof(missing), "%s/none.db", f->dir);
	db = part_open(a);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO t VALUES (1, 'a'), (2, 'a')", NULL, NULL,
				      NULL),
			 SQLITE_OK);

	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(partvfs_switch(db, b), -EBUSY);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id FROM t", -1, &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_int_equal(partvfs_switch(db, b), -EBUSY);
	sqlite3_finalize(stmt);
	assert_int_equal(partvfs_switch(db, missing), -ENOENT);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO t VALUES (3, 'a')", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(stock_int(a, "SELECT count(*) FROM t"), 3);
	assert_int_equal(stock_int(b, "SELECT count(*) FROM t"), 0);

	assert_int_equal(sqlite3_open(a, &stock), SQLITE_OK);
	assert_int_equal(partvfs_switch(stock, b), -EINVAL);
	sqlite3_close(stock);
}

/* A copy of the image, from malloc(). */
static void *image_copy(const struct fixture *f)
{
	void *copy = malloc(f->image_size);

	assert_non_null(copy);
	memcpy(copy, f->image, f->image_size);
	return copy;
}

/* Writes size bytes of image to dir/name, its path in path. */
static void save_image(const struct fixture *f, const char *name, const void *image,
		       sqlite3_int64 size, char *path, size_t path_size)
{
	int fd;

	snprintf(path, path_size, "%s/%s", f->dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, image, size), size);
	close(fd);
}

/* In memory: one statement writes two images loaded in turn, enough rows
 * to grow each; taken out and saved, each is a whole file of its own rows.
 * Then to a file on disk and back to memory. */
static void test_memory_load_take(void **state)
{
	const struct fixture *f = *state;
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX];
	sqlite3_int64 size;
	sqlite3_stmt *stmt;
	bool in_memory;
	void *image;
	sqlite3 *db;

	assert_int_equal(sqlite3_open_v2(PARTVFS_MEMORY, &db,
					 SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, PARTVFS_NAME),
			 SQLITE_OK);
	assert_int_equal(partvfs_load(db, image_copy(f), f->image_size), 0);
	assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=MEMORY", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v3(db, "INSERT INTO t VALUES (?, ?)", -1,
					    SQLITE_PREPARE_PERSISTENT, &stmt, NULL),
			 SQLITE_OK);
	insert_ids(db, stmt, 0, 5000);
	assert_int_equal(partvfs_size(db, &size, &in_memory), 0);
	assert_true(in_memory);
	assert_true(size > f->image_size);
	assert_int_equal(partvfs_take(db, &image, &size), 0);
	save_image(f, "mem-a.db", image, size, a, sizeof(a));
	free(image);

	assert_int_equal(partvfs_load(db, image_copy(f), f->image_size), 0);
	insert_ids(db, stmt, 5000, 5010);
	assert_int_equal(partvfs_take(db, &image, &size), 0);
	save_image(f, "mem-b.db", image, size, b, sizeof(b));
	free(image);

	copy_image(f, "mem-c.db", c, sizeof(c));
	assert_int_equal(partvfs_switch(db, c), 0);
	assert_int_equal(partvfs_size(db, &size, &in_memory), 0);
	assert_false(in_memory);
	assert_int_equal(size, f->image_size);
	insert_ids(db, stmt, 7, 8);
	assert_int_equal(partvfs_take(db, &image, &size), -EINVAL);
	assert_int_equal(partvfs_load(db, image_copy(f), f->image_size), 0);
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(partvfs_take(db, &image, &size), -EBUSY);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_finalize(stmt);
	sqlite3_close(db);

	assert_true(stock_whole(a));
	assert_true(stock_whole(b));
	assert_true(stock_whole(c));
	assert_int_equal(stock_int(a, "SELECT count(*) FROM t INDEXED BY t_v WHERE v > ''"), 5000);
	assert_int_equal(stock_int(b, "SELECT count(*) FROM t"), 10);
	assert_int_equal(stock_int(b, "SELECT min(id) FROM t"), 5000);
	assert_int_equal(stock_int(c, "SELECT id FROM t"), 7);
}

/* Whether path holds exactly text. */
static bool holds(const char *path, const char *text)
{
	char buf[64] = { 0 };
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n == (ssize_t)strlen(text) && !memcmp(buf, text, n);
}

/* A -journal or -wal beside a file of ours is somebody else's: never read,
 * rolled back into ours or removed. */
static void test_stray_journal_left_alone(void **state)
{
	const struct fixture *f = *state;
	char a[PATH_MAX], journal[PATH_MAX + 16], wal[PATH_MAX + 16];
	sqlite3 *db;
	int fd;

	copy_image(f, "stray.db", a, sizeof(a));
	snprintf(journal, sizeof(journal), "%s-journal", a);
	snprintf(wal, sizeof(wal), "%s-wal", a);
	fd = open(journal, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, "not ours, j", 11), 11);
	close(fd);
	fd = open(wal, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, "not ours, w", 11), 11);
	close(fd);
	db = part_open(a);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO t VALUES (1, 'a')", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_true(holds(journal, "not ours, j"));
	assert_true(holds(wal, "not ours, w"));
	unlink(journal);
	unlink(wal);
	assert_true(stock_whole(a));
	assert_int_equal(stock_int(a, "SELECT count(*) FROM t"), 1);
}

/* Only an existing file opens, and only read-write. */
static void test_open_needs_existing_file(void **state)
{
	const struct fixture *f = *state;
	char missing[PATH_MAX], a[PATH_MAX];
	sqlite3 *db = NULL;

	snprintf(missing, sizeof(missing), "%s/absent.db", f->dir);
	assert_int_equal(sqlite3_open_v2(missing, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
					 PARTVFS_NAME),
			 SQLITE_CANTOPEN);
	sqlite3_close(db);
	assert_int_equal(access(missing, F_OK), -1);
	copy_image(f, "ro.db", a, sizeof(a));
	assert_int_equal(sqlite3_open_v2(a, &db, SQLITE_OPEN_READONLY, PARTVFS_NAME),
			 SQLITE_CANTOPEN);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_switch_writes_each_file),
		cmocka_unit_test(test_switch_drops_cached_pages),
		cmocka_unit_test(test_switch_refused),
		cmocka_unit_test(test_memory_load_take),
		cmocka_unit_test(test_stray_journal_left_alone),
		cmocka_unit_test(test_open_needs_existing_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
