/* SPDX-License-Identifier: BSD-2-Clause */
/* An SQLite VFS for the hidden files an offline import writes: each is its
 * maker's alone (held by a flock() until it is published), so it takes no
 * locks; and one connection moves from file to file, keeping its parsed
 * schema and prepared statements: opening a connection per small file was
 * a third of an import of many small captures. */
#ifndef PARTVFS_H
#define PARTVFS_H

#include <sqlite3.h>

/* The name to give sqlite3_open_v2(). Its main database files are opened
 * read-write and must exist; journals and temporary files are the default
 * VFS's. */
#define PARTVFS_NAME "flowdb-part"

/* Registers the VFS, not as the default; again is harmless. Returns an
 * SQLite result code. */
int partvfs_register(void);

/* Moves db, opened on PARTVFS_NAME, from its main file to path. db must be
 * between transactions with no statement running, and path must hold a
 * database of the very schema db has parsed (the same schema cookie): a
 * copy of the image db's first file was. Returns 0, -EINVAL when db is not
 * on PARTVFS_NAME, -EBUSY when it is mid-transaction, or open()'s negative
 * errno; on failure db stays on its file. */
int partvfs_switch(sqlite3 *db, const char *path);

#endif
