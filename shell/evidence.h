/* SPDX-License-Identifier: BSD-2-Clause */
/* Reading a flow file without changing it or anything beside it. */
#ifndef EVIDENCE_H
#define EVIDENCE_H

#include <stddef.h>
#include "flowfile.h"

/* Whether path names a regular file, opened without blocking (a FIFO
 * named *.db must not hang the shell) and starting with SQLite's header.
 * Returns 0, -EINVAL when it is not a regular file, -ENOTSUP when it is
 * not an SQLite database, or the negative errno of open() or read(). */
int evidence_check(const char *path);

/*
 * Copies path and its -wal (FLOWFILE_ORPHAN_WAL) or -journal
 * (FLOWFILE_HOT_JOURNAL, as flowfile_classify() finds them) into
 * the directory dir as name, then lets SQLite recover the copy (replay
 * the WAL into it, or roll the journal back) and makes it one
 * self-contained file. The evidence is only read. Writes the copy's path
 * into *copy (free it). Returns 0, or a negative errno with one line in
 * why (no room for the copy, a copy SQLite cannot recover).
 */
int evidence_copy(const char *path, enum flowfile_state state, const char *dir, const char *name,
		  char **copy, char *why, size_t size);

#endif /* EVIDENCE_H */
