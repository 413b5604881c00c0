// SPDX-License-Identifier: BSD-2-Clause
/* Reading a flow file without changing it or anything beside it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include "evidence.h"

#define SQLITE_MAGIC "SQLite format 3"
/* The -shm byte every connection of a WAL database holds a shared lock on
 * (SQLite's unix VFS: UNIX_SHM_DMS, after the 120-byte wal-index header
 * and its 8 lock bytes). */
#define SHM_DMS_OFFSET 128
#define COPY_CHUNK (1 << 20)

/* Whether another process holds a lock on byte off of the file at path
 * (any byte when len is 0). Opens it read-only and without blocking; the
 * lock is only tested. */
static bool locked_by_other(const char *path, off_t off, off_t len)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = off, .l_len = len };
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	bool held;

	if (fd < 0)
		return false;
	held = !fcntl(fd, F_GETLK, &fl) && fl.l_type != F_UNLCK;
	close(fd);
	return held;
}

/* Size of the file beside path with suffix, or -1 when there is none. */
static off_t beside_size(const char *path, const char *suffix)
{
	char name[PATH_MAX];
	struct stat st;

	if (snprintf(name, sizeof(name), "%s%s", path, suffix) >= (int)sizeof(name) ||
	    stat(name, &st) || !S_ISREG(st.st_mode))
		return -1;
	return st.st_size;
}

enum evidence_state evidence_classify(const char *path)
{
	char shm[PATH_MAX];

	if (beside_size(path, "-wal") >= 0) {
		snprintf(shm, sizeof(shm), "%s-shm", path);
		return locked_by_other(shm, SHM_DMS_OFFSET, 1) ? EVIDENCE_LIVE : EVIDENCE_ORPHAN_WAL;
	}
	/* An empty journal, or none, holds nothing to roll back. */
	if (beside_size(path, "-journal") > 0)
		return locked_by_other(path, 0, 0) ? EVIDENCE_LIVE : EVIDENCE_HOT_JOURNAL;
	return EVIDENCE_FINISHED;
}

int evidence_check(const char *path)
{
	char head[sizeof(SQLITE_MAGIC)];
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), err = 0;
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto cleanup;
	}
	n = read(fd, head, sizeof(head));
	if (n < 0)
		err = -errno;
	else if (n != sizeof(head) || memcmp(head, SQLITE_MAGIC, sizeof(head)))
		err = -ENOTSUP;
cleanup:
	close(fd);
	return err;
}

/* Copies the regular file from to a new file to. Returns 0 or a negative
 * errno; a partial copy is removed. */
static int copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_NONBLOCK | O_CLOEXEC), out = -1, err = 0;
	char *buf = malloc(COPY_CHUNK);
	ssize_t n;

	if (in < 0 || !buf) {
		err = in < 0 ? -errno : -ENOMEM;
		goto cleanup;
	}
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		err = -errno;
		goto cleanup;
	}
	while ((n = read(in, buf, COPY_CHUNK)) > 0) {
		ssize_t done = 0;

		while (done < n) {
			ssize_t w = write(out, buf + done, n - done);

			if (w < 0) {
				err = -errno;
				goto cleanup;
			}
			done += w;
		}
	}
	if (n < 0)
		err = -errno;
	if (!err && fsync(out))
		err = -errno;
cleanup:
	if (out >= 0 && close(out) && !err)
		err = -errno;
	if (in >= 0)
		close(in);
	if (err && out >= 0)
		unlink(to);
	free(buf);
	return err;
}

/* Lets SQLite recover the copy at path (it finds the -wal or -journal
 * beside it) and leaves it one file in rollback-journal mode. Returns an
 * SQLite result code. */
static int recover(const char *path)
{
	sqlite3 *db;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);

	if (!rc) {
		/* The copy's schema is the evidence's: it runs nothing of ours. */
		sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
		sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
		rc = sqlite3_exec(db,
				  "SELECT count(*) FROM sqlite_schema;"
				  " PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE",
				  NULL, NULL, NULL);
	}
	sqlite3_close(db);
	return rc;
}

int evidence_copy(const char *path, enum evidence_state state, const char *dir, const char *name,
		  char **copy, char *why, size_t size)
{
	const char *suffix = state == EVIDENCE_ORPHAN_WAL ? "-wal" : "-journal";
	char from[PATH_MAX], to[PATH_MAX], side[PATH_MAX];
	int err, rc;

	*copy = NULL;
	if (snprintf(to, sizeof(to), "%s/%s", dir, name) >= (int)sizeof(to) ||
	    snprintf(from, sizeof(from), "%s%s", path, suffix) >= (int)sizeof(from) ||
	    snprintf(side, sizeof(side), "%s%s", to, suffix) >= (int)sizeof(side)) {
		snprintf(why, size, "its name is too long for a private copy");
		return -ENAMETOOLONG;
	}
	err = copy_file(path, to);
	if (!err) {
		err = copy_file(from, side);
		if (err)
			unlink(to);
	}
	if (err) {
		snprintf(why, size, "cannot make a private copy in %s: %s", dir, strerror(-err));
		return err;
	}
	rc = recover(to);
	unlink(side);
	if (rc) {
		snprintf(why, size, "its private copy cannot be recovered: %s", sqlite3_errstr(rc));
		unlink(to);
		return -EINVAL;
	}
	*copy = strdup(to);
	if (!*copy) {
		unlink(to);
		return -ENOMEM;
	}
	return 0;
}
