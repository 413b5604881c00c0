/* SPDX-License-Identifier: BSD-2-Clause */
/* Reading a flow file without changing it or anything beside it. */
#ifndef EVIDENCE_H
#define EVIDENCE_H

#include <stddef.h>

/* What lies beside a flow file, and who holds it. */
enum evidence_state {
	EVIDENCE_FINISHED, /* nothing beside it: read as it is, immutable */
	EVIDENCE_LIVE, /* a writer (a collector) holds it: read its commits */
	EVIDENCE_ORPHAN_WAL, /* a -wal no writer holds: a killed collector's, or planted */
	EVIDENCE_HOT_JOURNAL, /* a -journal no writer holds: an interrupted write */
};

/*
 * Classifies path by what lies beside it: a -wal with a -shm some other
 * process holds locked is a writer's (SQLite holds a shared lock on the
 * -shm's DMS byte for as long as a connection has it), a -journal is a
 * writer's while another process locks the file. Opens nothing with
 * SQLite and creates nothing. Returns the state.
 */
enum evidence_state evidence_classify(const char *path);

/* Whether path names a regular file, opened without blocking (a FIFO
 * named *.db must not hang the shell) and starting with SQLite's header.
 * Returns 0, -EINVAL when it is not a regular file, -ENOTSUP when it is
 * not an SQLite database, or the negative errno of open() or read(). */
int evidence_check(const char *path);

/*
 * Copies path and its -wal (ORPHAN_WAL) or -journal (HOT_JOURNAL) into
 * the directory dir as name, then lets SQLite recover the copy (replay
 * the WAL into it, or roll the journal back) and makes it one
 * self-contained file. The evidence is only read. Writes the copy's path
 * into *copy (free it). Returns 0, or a negative errno with one line in
 * why (no room for the copy, a copy SQLite cannot recover).
 */
int evidence_copy(const char *path, enum evidence_state state, const char *dir, const char *name,
		  char **copy, char *why, size_t size);

#endif /* EVIDENCE_H */
