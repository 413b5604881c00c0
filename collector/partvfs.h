/* SPDX-License-Identifier: BSD-2-Clause */
/* An SQLite VFS for the files an offline import writes before it publishes
 * them: each is its maker's alone (in memory, or on disk under a hidden
 * name held by a flock()), so it takes no locks; and one connection moves
 * from file to file, keeping its parsed schema and prepared statements:
 * opening a connection per small file was a third of an import of many
 * small captures, and the system calls of one on disk another third. */
#ifndef PARTVFS_H
#define PARTVFS_H

#include <stdbool.h>
#include <sqlite3.h>

/* The name to give sqlite3_open_v2(). Its main database files are opened
 * read-write and must exist, or are in memory, empty, when the name is
 * PARTVFS_MEMORY (with SQLITE_OPEN_URI); they keep their journal in memory
 * (PRAGMA journal_mode=MEMORY before their first write): a -journal or
 * -wal beside one is never read. Temporary files are the default VFS's. */
#define PARTVFS_NAME "flowdb-part"
#define PARTVFS_MEMORY "file:/flowdb-part-memory?memory=1"

/* Registers the VFS, not as the default; again is harmless. Returns an
 * SQLite result code. */
int partvfs_register(void);

/* Each of these moves db, on PARTVFS_NAME, between transactions with no
 * statement running, from its main file to another, which must hold a
 * database of the very schema db has parsed (the same schema cookie): a
 * copy of the image db's first file was. Each returns 0, -EINVAL when db is
 * not on PARTVFS_NAME (or, for partvfs_take(), not in memory), -EBUSY when
 * it is mid-transaction, or another negative errno; on failure db stays
 * on its file. */

/* To the file at path. */
int partvfs_switch(sqlite3 *db, const char *path);

/* To image, size bytes from malloc(), which db takes. */
int partvfs_load(sqlite3 *db, void *image, sqlite3_int64 size);

/* Takes db's file in memory into *image (for free()) and *size, leaving db
 * on an empty file in memory, for partvfs_load() only. */
int partvfs_take(sqlite3 *db, void **image, sqlite3_int64 *size);

/* The size of db's main file and whether it is in memory. Returns 0,
 * -EINVAL when db is not on PARTVFS_NAME, or fstat()'s negative errno. */
int partvfs_size(sqlite3 *db, sqlite3_int64 *size, bool *in_memory);

#endif
