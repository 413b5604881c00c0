/* SPDX-License-Identifier: BSD-2-Clause */
/* Dot-commands: tokenized once, checked for arity, dispatched from a table. */
#ifndef DOTCMD_H
#define DOTCMD_H

#include "shell.h"

/* Arguments of one command line, the command name included. */
#define DOTCMD_ARGS_MAX 32

/* One dot-command, for dispatch, .help and completion. */
struct dotcmd {
	const char *name; /* ".mode" */
	const char *alias; /* ".query" for ".q", or NULL */
	int min_args, max_args; /* after the name; max -1: any number */
	const char *usage; /* ".mode [table|csv|json|line]" */
	const char *help; /* one line */
	int (*run)(struct shell *sh, int argc, char **argv); /* argv[0] is the name */
	/* It reads the files or SQLite's settings: over ClickHouse
	 * (--clickhouse) it says so in one line instead of running. */
	bool files_only;
};

/* Every dot-command, ending with a zeroed entry. */
extern const struct dotcmd dotcmds[];

/*
 * Splits line into words in place: blanks separate, '...' quotes
 * literally, "..." quotes with \" and \\ escapes. Returns the number of
 * words, or -EINVAL for an unterminated quote, -E2BIG for more than max.
 */
int dotcmd_tokenize(char *line, char **argv, int max);

/* Runs a dot-command line. Prints one "Error: ..." line for an unknown
 * command, a wrong number of arguments or a bad value. Returns 0 or
 * -EINVAL. */
int dotcmd_run(struct shell *sh, const char *line);

#endif /* DOTCMD_H */
