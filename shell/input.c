// SPDX-License-Identifier: BSD-2-Clause
/* Reading commands: readline with history and completion, or a plain stream. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/select.h>
#include <readline/history.h>
#include <readline/readline.h>
#include "dotcmd.h"
#include "funcs.h"
#include "input.h"
#include "queries.h"

#define PROMPT "flowdb> "
#define PROMPT_MORE "   ...> "
#define HISTORY_LINES 2000

static const char *const sql_keywords[] = {
	"SELECT", "FROM", "WHERE", "GROUP", "BY",   "ORDER", "LIMIT",	"HAVING",   "DESC",  "ASC",
	"AND",	  "OR",	  "NOT",   "IN",    "LIKE", "GLOB",  "BETWEEN", "DISTINCT", "COUNT", "SUM",
	"MIN",	  "MAX",  "AVG",   "AS",    "JOIN", "ON",    "UNION",	"ALL",	    "WITH",  "CASE",
	"WHEN",	  "THEN", "ELSE",  "END",   "IS",   "NULL",  "OFFSET",	"EXISTS",   NULL,
};

/* Appends line to buf (with a newline). Returns 0 or -ENOMEM. */
static int append(char **buf, size_t *len, const char *line)
{
	size_t n = strlen(line);
	char *grown = realloc(*buf, *len + n + 2);

	if (!grown)
		return -ENOMEM;
	memcpy(grown + *len, line, n);
	*len += n;
	grown[(*len)++] = '\n';
	grown[*len] = '\0';
	*buf = grown;
	return 0;
}

/* Feeds one input line to the session: a dot-command alone on a line
 * runs at once, SQL collects in *buf until complete. Sets *failed when a
 * command failed. Returns 0, or -ENOMEM. */
static int feed(struct shell *sh, char **buf, size_t *len, const char *line, bool *failed)
{
	const char *p = line + strspn(line, " \t");

	if (!*len && *p == '.') {
		*failed = dotcmd_run(sh, p) != 0;
		return 0;
	}
	if (!*len && !*p)
		return 0;
	if (append(buf, len, line))
		return -ENOMEM;
	*failed = false;
	if (sqlite3_complete(*buf)) {
		*failed = shell_exec_sql(sh, *buf) != 0;
		*len = 0;
		(*buf)[0] = '\0';
	}
	return 0;
}

int input_stream(struct shell *sh, FILE *in, bool bail)
{
	char *line = NULL, *buf = NULL;
	size_t cap = 0, len = 0;
	bool failed, any = false;
	ssize_t n;

	while (!sh->quit && (n = getline(&line, &cap, in)) >= 0) {
		if (n && line[n - 1] == '\n')
			line[n - 1] = '\0';
		failed = false;
		if (feed(sh, &buf, &len, line, &failed)) {
			shell_error(sh, "out of memory");
			any = true;
			break;
		}
		any |= failed;
		if ((failed && bail) || shell_interrupted)
			break;
	}
	if (!sh->quit && len && !shell_interrupted) {
		/* Whatever is left lacks its ';': run it as sqlite3 does. */
		any |= shell_exec_sql(sh, buf) != 0;
	}
	free(line);
	free(buf);
	return any ? -EINVAL : 0;
}

static struct shell *completing; /* readline's callbacks take no argument */

/* Whether word starts candidate, ignoring case. */
static bool prefixes(const char *word, const char *candidate)
{
	return !strncasecmp(word, candidate, strlen(word));
}

/* Offers the columns of every table, each once. */
static void column_candidates(struct shell *sh, const char *word,
			      void (*found)(const char *, void *), void *arg)
{
	sqlite3_stmt *stmt;

	if (sqlite3_prepare_v2(
		    sh->schema_db,
		    "SELECT DISTINCT p.name FROM sqlite_schema s, pragma_table_info(s.name) p "
		    "WHERE s.type = 'table' AND s.name <> 'meta' ORDER BY p.name",
		    -1, &stmt, NULL))
		return;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(stmt, 0);

		if (prefixes(word, name))
			found(name, arg);
	}
	sqlite3_finalize(stmt);
}

void input_candidates(struct shell *sh, const char *line, const char *word,
		      void (*found)(const char *candidate, void *arg), void *arg)
{
	const char *p = line + strspn(line, " \t");
	size_t cmd_len = strcspn(p, " \t");
	bool first_word = p + cmd_len >= line + strlen(line);
	const struct dotcmd *c;
	const char *const *t;
	size_t i, n;

	if (*p == '.') {
		if (first_word) {
			for (c = dotcmds; c->name; c++) {
				if (prefixes(word, c->name))
					found(c->name, arg);
				if (c->alias && prefixes(word, c->alias))
					found(c->alias, arg);
			}
			return;
		}
		if (!strncmp(p, ".q ", 3) || !strncmp(p, ".query ", 7)) {
			const struct query *q = queries_all(&n);

			for (i = 0; i < n; i++)
				if (prefixes(word, q[i].name))
					found(q[i].name, arg);
		} else if (!strncmp(p, ".mode ", 6)) {
			static const char *const modes[] = { "table", "csv", "json", "line", NULL };

			for (t = modes; *t; t++)
				if (prefixes(word, *t))
					found(*t, arg);
		} else if (!strncmp(p, ".headers ", 9) || !strncmp(p, ".timer ", 7) ||
			   !strncmp(p, ".stats ", 7)) {
			if (prefixes(word, "on"))
				found("on", arg);
			if (prefixes(word, "off"))
				found("off", arg);
		} else if (!strncmp(p, ".schema ", 8) || !strncmp(p, ".follow ", 8)) {
			for (t = catalog_tables; *t; t++)
				if (prefixes(word, *t))
					found(*t, arg);
		}
		return;
	}
	if (!*word)
		return;
	for (t = catalog_tables; *t; t++)
		if (prefixes(word, *t))
			found(*t, arg);
	column_candidates(sh, word, found, arg);
	for (i = 0; funcs_docs[i].name; i++)
		if (prefixes(word, funcs_docs[i].name))
			found(funcs_docs[i].name, arg);
	for (t = sql_keywords; *t; t++)
		if (prefixes(word, *t))
			found(*t, arg);
}

/* Candidates gathered for readline, as malloc'ed strings. */
struct matches {
	char **v;
	size_t n, cap;
	bool lower; /* the word was typed in lower case: keywords follow */
};

/* Collects a candidate for readline. */
static void collect(const char *candidate, void *arg)
{
	struct matches *m = arg;
	char *copy;
	size_t i;

	if (m->n + 2 > m->cap) {
		char **grown = realloc(m->v, (m->cap * 2 + 8) * sizeof(*m->v));

		if (!grown)
			return;
		m->v = grown;
		m->cap = m->cap * 2 + 8;
	}
	copy = strdup(candidate);
	if (!copy)
		return;
	for (i = 0; m->lower && copy[i]; i++)
		if (copy[i] >= 'A' && copy[i] <= 'Z')
			copy[i] += 'a' - 'A';
	m->v[m->n++] = copy;
}

/* readline's completion entry: every candidate for the word being typed. */
static char **complete(const char *word, int start, int end)
{
	struct matches m = { .lower = word[0] >= 'a' && word[0] <= 'z' };
	char *line = strndup(rl_line_buffer, end);
	char *prefix;
	size_t i;

	rl_attempted_completion_over = 1; /* never fall back to file names */
	if (!line)
		return NULL;
	/* A space after a column would land inside "sum(bytes )". */
	rl_completion_append_character = line[strspn(line, " \t")] == '.' ? ' ' : '\0';
	input_candidates(completing, line, word, collect, &m);
	free(line);
	if (!m.n) {
		free(m.v);
		return NULL;
	}
	/* readline wants the longest common prefix first. */
	prefix = strdup(m.v[0]);
	for (i = 1; prefix && i < m.n; i++) {
		size_t j = 0;

		while (prefix[j] && prefix[j] == m.v[i][j])
			j++;
		prefix[j] = '\0';
	}
	if (!prefix) {
		for (i = 0; i < m.n; i++)
			free(m.v[i]);
		free(m.v);
		return NULL;
	}
	memmove(m.v + 1, m.v, m.n * sizeof(*m.v));
	m.v[0] = prefix;
	m.v[m.n + 1] = NULL;
	return m.v;
}

/* The history file: $FLOWDB_HISTORY, else ~/.flowdb_history; NULL when
 * there is no home. Returns a malloc'ed path or NULL. */
static char *history_path(void)
{
	const char *env = getenv("FLOWDB_HISTORY");
	const char *home = getenv("HOME");
	char *path;

	if (env && *env)
		return strdup(env);
	if (!home || !*home)
		return NULL;
	if (asprintf(&path, "%s/.flowdb_history", home) < 0)
		return NULL;
	return path;
}

static char *read_result; /* the line readline's callback handed over */
static bool read_done;

/* readline's callback for a finished line (NULL at EOF). */
static void on_line(char *line)
{
	read_result = line;
	read_done = true;
	/* Otherwise readline prompts again before we decide the prompt. */
	rl_callback_handler_remove();
}

/* Reads a line with prompt through readline's callback interface, which
 * leaves waiting for input to us: so Ctrl-C can abandon the line. Returns
 * the line (free it) or NULL at EOF or, with *interrupted set, on Ctrl-C. */
static char *read_line(const char *prompt, bool *interrupted)
{
	fd_set fds;

	*interrupted = false;
	read_done = false;
	rl_callback_handler_install(prompt, on_line);
	while (!read_done) {
		FD_ZERO(&fds);
		FD_SET(STDIN_FILENO, &fds);
		if (select(STDIN_FILENO + 1, &fds, NULL, NULL, NULL) < 0) {
			if (errno != EINTR || !shell_interrupted)
				continue;
			shell_interrupted = 0;
			*interrupted = true;
			rl_free_line_state();
			rl_callback_sigcleanup();
			rl_callback_handler_remove();
			fputc('\n', stdout);
			return NULL;
		}
		rl_callback_read_char();
	}
	return read_result;
}

int input_interactive(struct shell *sh)
{
	char *history = history_path();
	char *buf = NULL, *line;
	size_t len = 0;
	bool failed, interrupted;

	completing = sh;
	rl_readline_name = "flowdb";
	rl_attempted_completion_function = complete;
	using_history();
	stifle_history(HISTORY_LINES);
	if (history && read_history(history) == ENOENT)
		write_history(history); /* append_history() needs the file */
	while (!sh->quit) {
		line = read_line(len ? PROMPT_MORE : PROMPT, &interrupted);
		if (interrupted) {
			len = 0; /* Ctrl-C drops the statement being typed */
			continue;
		}
		if (!line)
			break;
		if (line[strspn(line, " \t")]) {
			add_history(line);
			if (history)
				append_history(1, history);
		}
		if (feed(sh, &buf, &len, line, &failed)) {
			shell_error(sh, "out of memory");
			free(line);
			break;
		}
		free(line);
	}
	if (!sh->quit) {
		fputc('\n', stdout);
		/* Ctrl-D after an unfinished statement runs it, as piped input does. */
		if (len)
			shell_exec_sql(sh, buf);
	}
	if (history)
		history_truncate_file(history, HISTORY_LINES);
	free(history);
	free(buf);
	return 0;
}
