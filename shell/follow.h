/* SPDX-License-Identifier: BSD-2-Clause */
/* --follow and .follow: a table's new rows as the collector commits them. */
#ifndef FOLLOW_H
#define FOLLOW_H

#include "render.h"
#include "shell.h"

/* How often the files are looked at for new rows and new files. */
#define FOLLOW_POLL_MS 200

/* Whether name is a table follow_run() follows. */
bool follow_table_valid(const char *name);

/*
 * Prints the rows of table that appear from now on in the session's
 * files, as opts renders them (table, csv, json lines or line), like
 * tail -f: every poll (FOLLOW_POLL_MS) refreshes the catalog, so that a
 * new file (the collector rotated) is read from its first row, and reads
 * each file's rows past the last one printed from it, files in the order
 * they were found, rows in rowid order: no row twice, none missed. The
 * session window does not apply. Runs until SIGINT (shell_interrupted,
 * left set) or until out is a pipe nobody reads any more (EPIPE). Returns
 * 0 then, or -EINVAL after printing why (an unknown table, a write error,
 * a failed read).
 */
int follow_run(struct shell *sh, const char *table, const struct render_opts *opts);

#endif /* FOLLOW_H */
