/* SPDX-License-Identifier: BSD-2-Clause */
/* Reading commands: readline with history and completion, or a plain stream. */
#ifndef INPUT_H
#define INPUT_H

#include <stdbool.h>
#include <stdio.h>
#include "shell.h"

/* Reads and runs commands from in until EOF or .quit: dot-commands one per
 * line, SQL until a statement is complete. bail: stop at the first error.
 * Returns 0, or -EINVAL when any command failed. */
int input_stream(struct shell *sh, FILE *in, bool bail);

/* Runs an interactive session on the terminal: prompts, line editing,
 * history in $FLOWDB_HISTORY or ~/.flowdb_history, and tab completion of
 * dot-commands, canned queries, tables, columns and functions. Returns 0
 * at EOF or .quit. */
int input_interactive(struct shell *sh);

/* Candidates for completing word (the text before the cursor is line, of
 * which word is the end), for readline and tests: calls found(word, arg)
 * for each, in a fixed order. */
void input_candidates(struct shell *sh, const char *line, const char *word,
		      void (*found)(const char *candidate, void *arg), void *arg);

#endif /* INPUT_H */
