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

int evidence_copy(const char *path, enum flowfile_state state, const char *dir, const char *name,
		  char **copy, char *why, size_t size)
{
	const char *suffix = state == FLOWFILE_ORPHAN_WAL ? "-wal" : "-journal";
	char from[PATH_MAX], to[PATH_MAX], side[PATH_MAX];
	int err, rc;

	*copy = NULL;
	if (snprintf(to, sizeof(to), "%s/%s", dir, name) >= (int)sizeof(to) ||
	    snprintf(from, sizeof(from), "%s%s", path, suffix) >= (int)sizeof(from) ||
	    snprintf(side, sizeof(side), "%s%s", to, suffix) >= (int)sizeof(side)) {
		snprintf(why, size, "its name is too long for a private copy");
		return -ENAMETOOLONG;
	}
	err = flowfile_copy(path, to);
	if (!err) {
		err = flowfile_copy(from, side);
		if (err)
			unlink(to);
	}
	if (err) {
		snprintf(why, size, "cannot make a private copy in %s: %s", dir, strerror(-err));
		return err;
	}
	rc = flowfile_recover(to);
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
