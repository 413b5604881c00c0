/* SPDX-License-Identifier: BSD-2-Clause */
/* Rows a statement gives while it may still be run again (over copies of
 * the union tables): held back, then given to the renderer. */
#ifndef HELD_H
#define HELD_H

#include <sqlite3.h>

struct held;

/* Opens an empty holder (a private in-memory database) into *out.
 * Returns an SQLite result code. */
int held_open(struct held **out);

/* Frees it. NULL is fine. */
void held_close(struct held *h);

/* Holds stmt's current row, every value as it is (type and bytes), after
 * those held since held_forget() (rows of one statement). Returns an
 * SQLite result code. */
int held_add(struct held *h, sqlite3_stmt *stmt);

/* The rows held since held_forget(), in order, as a statement with as
 * many columns: step it and read it as the original (*out NULL when none
 * are held). Returns an SQLite result code. */
int held_replay(struct held *h, sqlite3_stmt **out);

/* Drops the rows held (and the replay statement). */
void held_forget(struct held *h);

#endif /* HELD_H */
