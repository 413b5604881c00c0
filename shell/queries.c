// SPDX-License-Identifier: BSD-2-Clause
/* Canned queries: shell/queries/NAME.sql, embedded, with typed parameters. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "fmt.h"
#include "queries.h"
#include "units.h"

/* shell/queries/NAME.sql one after another, NUL-terminated (queries_sql.S). */
extern const char queries_sql[];

#define QUERIES_MAX 32
#define NAME_TAG "-- name:"
#define ABOUT_TAG "-- about:"
#define PARAM_TAG "-- param:"
#define PER_FILE_TAG "-- per-file:"
#define ROLLUP_TAG "-- rollup:"
#define MERGE_TAG "-- merge:"
#define CLICKHOUSE_TAG "-- clickhouse:"
#define FINISH_TAG "-- finish:"
#define HALF_LINE "-- | "

static struct query queries[QUERIES_MAX];
static size_t n_queries;
static char *text; /* the parsed copy every pointer above points into */

static const struct {
	const char *name;
	enum query_kind kind;
} kinds[] = {
	{ "time", QUERY_TIME }, { "duration", QUERY_DURATION }, { "count", QUERY_COUNT },
	{ "addr", QUERY_ADDR }, { "choice:", QUERY_CHOICE }, { "glob", QUERY_GLOB },
};

/* Cuts the next whitespace-separated word off *p. Returns it or NULL. */
static char *next_word(char **p)
{
	char *w = *p + strspn(*p, " \t");
	char *end;

	if (!*w)
		return NULL;
	end = w + strcspn(w, " \t");
	*p = end + (*end != '\0');
	*end = '\0';
	return w;
}

/* Parses the words of a "-- param: NAME KIND DEFAULT ABOUT" line into q.
 * Returns 0 or -EINVAL. */
static int parse_param(struct query *q, char *line)
{
	struct query_param *p = &q->params[q->n_params];
	char *kind;
	size_t i;

	if (q->n_params == QUERY_PARAMS_MAX)
		return -EINVAL;
	p->name = next_word(&line);
	kind = next_word(&line);
	p->def = next_word(&line);
	p->about = line + strspn(line, " \t");
	if (!p->name || !kind || !p->def || !*p->about)
		return -EINVAL;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].name);

		if (kinds[i].kind == QUERY_CHOICE ? !strncmp(kind, kinds[i].name, n) :
						    !strcmp(kind, kinds[i].name)) {
			p->kind = kinds[i].kind;
			p->choices = kinds[i].kind == QUERY_CHOICE ? kind + n : NULL;
			q->n_params++;
			return 0;
		}
	}
	return -EINVAL;
}

/* Orders queries by name. */
static int query_order(const void *a, const void *b)
{
	return strcmp(((const struct query *)a)->name, ((const struct query *)b)->name);
}

/* Copies the "-- | " lines from *p on, without that prefix, into a new
 * string, and moves *p past them. Returns it, or NULL when there is none
 * (or on ENOMEM). */
static char *half_lines(char **p)
{
	sqlite3_str *s = sqlite3_str_new(NULL);
	char *line = *p, *end;

	while (!strncmp(line, HALF_LINE, strlen(HALF_LINE))) {
		end = strchrnul(line, '\n');
		sqlite3_str_appendf(s, "%.*s\n", (int)(end - line - strlen(HALF_LINE)),
				    line + strlen(HALF_LINE));
		line = *end ? end + 1 : end;
	}
	*p = line;
	if (!sqlite3_str_length(s)) {
		sqlite3_free(sqlite3_str_finish(s));
		return NULL;
	}
	return sqlite3_str_finish(s);
}

/* Returns the start of the line after the one p is in, or the end. */
static char *line_after(char *p)
{
	p = strchrnul(p, '\n');
	return *p ? p + 1 : p;
}

/* Cuts q's per-file half, rollup and merge half off the end of its SQL.
 * Returns 0, or -EINVAL when they are not there, in order, at the end. */
static int split_halves(struct query *q)
{
	char *p = strstr(q->sql, "\n" PER_FILE_TAG);

	if (!p)
		return 0;
	*p++ = '\0';
	p = line_after(p);
	q->per_file = half_lines(&p);
	if (q->per_file && !strncmp(p, ROLLUP_TAG, strlen(ROLLUP_TAG))) {
		p = line_after(p);
		q->rollup = half_lines(&p);
		if (!q->rollup)
			return -EINVAL;
	}
	if (!q->per_file || strncmp(p, MERGE_TAG, strlen(MERGE_TAG)))
		return -EINVAL;
	p = line_after(p);
	q->merge = half_lines(&p);
	return q->merge && !p[strspn(p, " \n")] ? 0 : -EINVAL;
}

/* The start of the next query's name line or ClickHouse line after p, or
 * NULL. */
static char *next_tag(char *p)
{
	char *name = strstr(p, "\n" NAME_TAG), *ch = strstr(p, "\n" CLICKHOUSE_TAG);

	return name && (!ch || name < ch) ? name : ch;
}

/* Parses the ClickHouse version that starts at line (its "-- clickhouse:"
 * line) into the query of its name: the SQL to the next tag, a finish
 * half at its end. Sets *next past it. Returns 0 or -EINVAL. */
static int parse_clickhouse(char *line, char **next)
{
	char *name = line + strlen(CLICKHOUSE_TAG), *sql, *finish;
	struct query *q;

	name += strspn(name, " ");
	sql = strchr(name, '\n');
	if (!sql)
		return -EINVAL;
	*sql++ = '\0';
	q = (struct query *)queries_find(name);
	if (!q || q->ch_sql)
		return -EINVAL;
	*next = next_tag(sql);
	if (*next)
		*(*next)++ = '\0';
	q->ch_sql = sql;
	finish = strstr(sql, "\n" FINISH_TAG);
	if (!finish)
		return 0;
	*finish++ = '\0';
	finish = line_after(finish);
	q->ch_finish = half_lines(&finish);
	return q->ch_finish && !finish[strspn(finish, " \n")] ? 0 : -EINVAL;
}

int queries_load(void)
{
	char *line, *next;
	struct query *q = NULL;
	size_t i;

	if (text)
		return 0;
	text = strdup(queries_sql);
	if (!text)
		return -ENOMEM;
	for (line = text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (!strncmp(line, CLICKHOUSE_TAG, strlen(CLICKHOUSE_TAG)))
			break;
		if (!strncmp(line, NAME_TAG, strlen(NAME_TAG))) {
			if (n_queries == QUERIES_MAX)
				return -EINVAL;
			*next++ = '\0';
			q = &queries[n_queries++];
			q->name = line + strlen(NAME_TAG) + strspn(line + strlen(NAME_TAG), " ");
		} else if (q && !q->sql && !strncmp(line, ABOUT_TAG, strlen(ABOUT_TAG))) {
			*next++ = '\0';
			q->about = line + strlen(ABOUT_TAG) + strspn(line + strlen(ABOUT_TAG), " ");
		} else if (q && !q->sql && !strncmp(line, PARAM_TAG, strlen(PARAM_TAG))) {
			*next++ = '\0';
			if (parse_param(q, line + strlen(PARAM_TAG)))
				return -EINVAL;
		} else if (q && !q->sql) {
			/* The SQL runs to the next query's name line. */
			q->sql = line;
			next = next_tag(line);
			if (next)
				*next++ = '\0';
		} else {
			return -EINVAL;
		}
	}
	for (i = 0; i < n_queries; i++)
		if (!queries[i].about || !queries[i].sql || split_halves(&queries[i]))
			return -EINVAL;
	qsort(queries, n_queries, sizeof(queries[0]), query_order);
	for (; line && *line; line = next)
		if (strncmp(line, CLICKHOUSE_TAG, strlen(CLICKHOUSE_TAG)) ||
		    parse_clickhouse(line, &next))
			return -EINVAL;
	for (i = 0; i < n_queries; i++)
		if (!queries[i].ch_sql)
			return -EINVAL;
	return 0;
}

const struct query *queries_all(size_t *n)
{
	*n = n_queries;
	return queries;
}

const struct query *queries_find(const char *name)
{
	struct query key = { .name = name };

	return bsearch(&key, queries, n_queries, sizeof(queries[0]), query_order);
}

void queries_usage(const struct query *q, char *buf, size_t size)
{
	int n = snprintf(buf, size, ".q %s", q->name);
	int i;

	for (i = 0; i < q->n_params && n >= 0 && (size_t)n < size; i++) {
		char upper[32];
		size_t j;

		for (j = 0; q->params[i].name[j] && j < sizeof(upper) - 1; j++)
			upper[j] = q->params[i].name[j] >= 'a' && q->params[i].name[j] <= 'z' ?
					   q->params[i].name[j] - 'a' + 'A' :
					   q->params[i].name[j];
		upper[j] = '\0';
		n += snprintf(buf + n, size - n, strcmp(q->params[i].def, "-") ? " [%s]" : " %s",
			      upper);
	}
}

/* Whether word is one of the comma-separated choices. */
static bool is_choice(const char *choices, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = choices; n && (p = strstr(p, word)); p += n)
		if ((p == choices || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

/* Parses a QUERY_TIME value; "all" is since's 0 or until's INT64_MAX.
 * Returns 0 or -EINVAL. */
static int parse_time(const char *name, const char *v, int64_t now_us, int64_t *us)
{
	if (!strcmp(v, "all")) {
		*us = strcmp(name, "until") ? 0 : INT64_MAX;
		return 0;
	}
	return fmt_parse_time(v, now_us, us);
}

/* Binds one value of parameter p to stmt's :name. On a bad value writes
 * why into err. Returns 0 or -EINVAL. */
static int bind_value(const struct query *q, const struct query_param *p, const char *v,
		      sqlite3_stmt *stmt, int64_t now_us, char *err, size_t err_size)
{
	char name[40], canon[INET6_ADDRSTRLEN];
	uint64_t u;
	int64_t i64;
	int idx;
	char *end;

	snprintf(name, sizeof(name), ":%s", p->name);
	idx = sqlite3_bind_parameter_index(stmt, name);
	switch (p->kind) {
	case QUERY_TIME:
		if (parse_time(p->name, v, now_us, &i64))
			goto bad;
		break;
	case QUERY_DURATION:
		if (units_parse_duration(v, &u) || u > INT64_MAX)
			goto bad;
		i64 = (int64_t)u;
		break;
	case QUERY_COUNT:
		errno = 0;
		i64 = strtoll(v, &end, 10);
		if (*v < '0' || *v > '9' || *end || errno)
			goto bad;
		break;
	case QUERY_ADDR:
		if (addr_canonical(v, canon, sizeof(canon)))
			goto bad;
		return idx ? -(sqlite3_bind_text(stmt, idx, canon, -1, SQLITE_TRANSIENT) != 0) : 0;
	case QUERY_CHOICE:
		if (!is_choice(p->choices, v))
			goto bad;
		return idx ? -(sqlite3_bind_text(stmt, idx, v, -1, SQLITE_TRANSIENT) != 0) : 0;
	case QUERY_GLOB:
		/* Any pattern is valid GLOB; an empty one would match nothing
		 * but the empty name, which no rule has: a slip, not a wish. */
		if (!*v)
			goto bad;
		return idx ? -(sqlite3_bind_text(stmt, idx, v, -1, SQLITE_TRANSIENT) != 0) : 0;
	}
	return idx ? -(sqlite3_bind_int64(stmt, idx, i64) != 0) : 0;
bad:
	switch (p->kind) {
	case QUERY_TIME:
		snprintf(
			err, err_size,
			"%s: bad %s \"%s\": expected a duration back from now (2h), an ISO 8601 time or all",
			q->name, p->name, v);
		break;
	case QUERY_DURATION:
		snprintf(err, err_size,
			 "%s: bad %s \"%s\": expected a duration such as 30s, 5m or 1h", q->name,
			 p->name, v);
		break;
	case QUERY_COUNT:
		snprintf(err, err_size, "%s: bad %s \"%s\": expected a whole number", q->name,
			 p->name, v);
		break;
	case QUERY_ADDR:
		snprintf(err, err_size, "%s: bad %s \"%s\": expected an IPv4 or IPv6 address",
			 q->name, p->name, v);
		break;
	case QUERY_CHOICE:
		snprintf(err, err_size, "%s: bad %s \"%s\": expected one of %s", q->name, p->name,
			 v, p->choices);
		break;
	case QUERY_GLOB:
		snprintf(err, err_size, "%s: bad %s \"%s\": expected a pattern such as scan* or *",
			 q->name, p->name, v);
		break;
	}
	return -EINVAL;
}

int queries_bind(const struct query *q, sqlite3_stmt *stmt, int argc, char **argv,
		 const struct query_defaults *d, int64_t now_us, char *err, size_t err_size)
{
	static const struct query_param until = { "until", QUERY_TIME, NULL, "all", "" };
	const char *values[QUERY_PARAMS_MAX + 1] = { NULL };
	const struct query_param *p;
	char usage[160];
	int i, j, err_ret;

	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	for (i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');

		if (!eq) {
			if (i >= q->n_params) {
				queries_usage(q, usage, sizeof(usage));
				snprintf(err, err_size, "%s: too many arguments; usage: %s",
					 q->name, usage);
				return -EINVAL;
			}
			values[i] = argv[i];
			continue;
		}
		for (j = 0; j < q->n_params; j++)
			if (!strncmp(argv[i], q->params[j].name, eq - argv[i]) &&
			    !q->params[j].name[eq - argv[i]])
				break;
		if (j == q->n_params && strncmp(argv[i], "until=", 6)) {
			snprintf(err, err_size, "%s: no parameter \"%.*s\"", q->name,
				 (int)(eq - argv[i]), argv[i]);
			return -EINVAL;
		}
		values[j] = eq + 1;
	}
	for (j = 0; j <= q->n_params; j++) {
		const char *v = values[j];

		p = j < q->n_params ? &q->params[j] : &until;
		if (!v && p->kind == QUERY_TIME)
			v = !strcmp(p->name, "until") ? d->until : d->since;
		if (!v)
			v = p->def;
		if (!strcmp(v, "-")) {
			queries_usage(q, usage, sizeof(usage));
			snprintf(err, err_size, "%s: missing %s; usage: %s", q->name, p->name,
				 usage);
			return -EINVAL;
		}
		err_ret = bind_value(q, p, v, stmt, now_us, err, err_size);
		if (err_ret)
			return err_ret;
	}
	return 0;
}
