// SPDX-License-Identifier: BSD-2-Clause
/* flowdb --clickhouse: canned queries and SQL over a fleet's ClickHouse tables. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chttp.h"
#include "fleet.h"

/* How answers travel: names, types, then rows; 18.16 has it, and every
 * value arrives exact (floats in full, strings escaped). */
#define FLEET_FORMAT " FORMAT TabSeparatedWithNamesAndTypes"

struct fleet {
	struct chttp *ch;
	char **hosts;
	size_t n_hosts;
};

/* What a column of an answer becomes in SQLite. */
enum fleet_type {
	FLEET_INTEGER,
	FLEET_REAL,
	FLEET_TEXT,
};

const char *fleet_url(const struct fleet *f)
{
	return chttp_url(f->ch);
}

void fleet_close(struct fleet *f)
{
	size_t i;

	if (!f)
		return;
	chttp_close(f->ch);
	for (i = 0; i < f->n_hosts; i++)
		free(f->hosts[i]);
	free(f->hosts);
	free(f);
}

/* Checks that the server answers and holds the fleet tables of our schema
 * version. Returns 0 or -EINVAL after writing why into err. */
static int check_schema(struct fleet *f, char *err, size_t err_size)
{
	struct chttp_result res = { 0 };
	long version;
	char *end;
	int rc;

	rc = chttp_query(f->ch, "SELECT max(version) FROM flowdb_schema", NULL, NULL, 0, &res);
	if (rc == CHTTP_QUERY && (res.code == CHTTP_CODE_UNKNOWN_TABLE ||
				  res.code == CHTTP_CODE_UNKNOWN_DATABASE))
		snprintf(err, err_size,
			 "ClickHouse at %s holds no fleet tables (no flowdb_schema): create them "
			 "with flowdb-ship --clickhouse URL --create",
			 chttp_url(f->ch));
	else if (rc)
		snprintf(err, err_size, "%s", res.error);
	if (!rc) {
		errno = 0;
		version = strtol(res.body, &end, 10);
		if (errno || end == res.body || (*end && *end != '\n') ||
		    version != FLEET_SCHEMA_VERSION) {
			snprintf(err, err_size,
				 "ClickHouse at %s holds fleet schema version %.*s; this flowdb "
				 "reads version %d",
				 chttp_url(f->ch), (int)strcspn(res.body, "\n"), res.body,
				 FLEET_SCHEMA_VERSION);
			rc = -EINVAL;
		}
	}
	chttp_result_free(&res);
	return rc ? -EINVAL : 0;
}

int fleet_open(struct fleet **out, const char *url, char **hosts, size_t n, char *err,
	       size_t err_size)
{
	struct fleet *f = calloc(1, sizeof(*f));
	size_t i;
	int rc;

	*out = NULL;
	if (!f || (n && !(f->hosts = calloc(n, sizeof(*f->hosts))))) {
		snprintf(err, err_size, "out of memory");
		free(f);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++, f->n_hosts++) {
		f->hosts[i] = strdup(hosts[i]);
		if (!f->hosts[i]) {
			snprintf(err, err_size, "out of memory");
			rc = -ENOMEM;
			goto cleanup;
		}
	}
	rc = chttp_open(&f->ch, url, err, err_size);
	if (rc) {
		if (rc == CHTTP_NOMEM)
			snprintf(err, err_size, "out of memory");
		rc = rc == CHTTP_NOMEM ? -ENOMEM : -EINVAL;
		goto cleanup;
	}
	rc = check_schema(f, err, err_size);
cleanup:
	if (rc)
		fleet_close(f);
	else
		*out = f;
	return rc;
}

/* The SQLite type of a ClickHouse type name, Nullable() and
 * LowCardinality() seen through. */
static enum fleet_type type_of(const char *t, size_t n)
{
	while (1) {
		if (n > 9 && !strncmp(t, "Nullable(", 9)) {
			t += 9;
			n -= 10;
		} else if (n > 15 && !strncmp(t, "LowCardinality(", 15)) {
			t += 15;
			n -= 16;
		} else {
			break;
		}
	}
	if ((n > 3 && !strncmp(t, "Int", 3)) || (n > 4 && !strncmp(t, "UInt", 4)))
		return FLEET_INTEGER;
	if (n > 5 && !strncmp(t, "Float", 5))
		return FLEET_REAL;
	return FLEET_TEXT;
}

/* Undoes TabSeparated's escapes in the field [s, s + n) in place. Returns
 * its new length. */
static size_t unescape(char *s, size_t n)
{
	static const char from[] = "bfrnt0", to[] = "\b\f\r\n\t\0";
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		const char *e;

		if (s[i] != '\\' || i + 1 == n) {
			s[o++] = s[i];
			continue;
		}
		e = strchr(from, s[++i]);
		s[o++] = e && *e ? to[e - from] : s[i];
	}
	return o;
}

/* Binds one field (s, n bytes, escaped) of a column of type t to stmt's
 * parameter idx. Returns an SQLite code. */
static int bind_field(sqlite3_stmt *stmt, int idx, enum fleet_type t, char *s, size_t n)
{
	char *end;

	if (n == 2 && s[0] == '\\' && s[1] == 'N')
		return sqlite3_bind_null(stmt, idx);
	n = unescape(s, n);
	s[n] = '\0';
	if (t == FLEET_INTEGER) {
		long long v;

		errno = 0;
		v = strtoll(s, &end, 10);
		/* A UInt64 beyond int64_t stays exact as text. */
		if (!errno && n && !*end)
			return sqlite3_bind_int64(stmt, idx, v);
	} else if (t == FLEET_REAL) {
		double v = strtod(s, &end);

		if (n && !*end)
			return sqlite3_bind_double(stmt, idx, v);
	}
	return sqlite3_bind_text(stmt, idx, s, (int)n, SQLITE_TRANSIENT);
}

/* Cuts the next line off *p (the answer's lines end with '\n'). Returns
 * it, NUL-terminated, or NULL at the end. */
static char *next_line(char **p)
{
	char *line = *p, *nl;

	if (!*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = line + strlen(line);
	}
	return line;
}

/* Splits line at tabs into at most max fields. Returns how many. */
static int split(char *line, char **fields, size_t *lens, int max)
{
	int n = 0;

	for (;;) {
		size_t len = strcspn(line, "\t");

		if (n == max)
			return max + 1;
		fields[n] = line;
		lens[n++] = len;
		if (!line[len])
			return n;
		line[len] = '\0';
		line += len + 1;
	}
}

/* Appends s to q as an SQL identifier in double quotes. */
static void append_ident(sqlite3_str *q, const char *s)
{
	sqlite3_str_appendchar(q, 1, '"');
	for (; *s; s++)
		sqlite3_str_appendf(q, *s == '"' ? "\"\"" : "%c", *s);
	sqlite3_str_appendchar(q, 1, '"');
}

/* Loads an answer (body: names line, types line, rows) into
 * temp.fleet_rows and creates the views over it: temp.fleet (named
 * columns) and the SELECT in *select (free it with sqlite3_free()).
 * Returns 0 or -EINVAL after writing why into err. */
static int load(sqlite3 *db, char *body, char **select, char *err, size_t err_size)
{
	char *names_line = next_line(&body), *types_line = next_line(&body), *line;
	char **names = NULL, **types = NULL;
	size_t *name_lens = NULL, *type_lens = NULL;
	enum fleet_type *kinds = NULL;
	sqlite3_str *create = sqlite3_str_new(db), *view = sqlite3_str_new(db),
		    *ins = sqlite3_str_new(db), *sel = sqlite3_str_new(db);
	char *create_sql = NULL, *view_sql = NULL, *ins_sql = NULL;
	sqlite3_stmt *stmt = NULL;
	int n, i, max, rc = SQLITE_OK, err_ret = -EINVAL;

	*select = NULL;
	if (!names_line || !types_line) {
		snprintf(err, err_size, "ClickHouse answered no column names");
		goto cleanup;
	}
	max = 1;
	for (line = names_line; *line; line++)
		max += *line == '\t';
	names = calloc(max + 1, sizeof(*names));
	types = calloc(max + 1, sizeof(*types));
	name_lens = calloc(max + 1, sizeof(*name_lens));
	type_lens = calloc(max + 1, sizeof(*type_lens));
	kinds = calloc(max + 1, sizeof(*kinds));
	if (!names || !types || !name_lens || !type_lens || !kinds) {
		snprintf(err, err_size, "out of memory");
		goto cleanup;
	}
	n = split(names_line, names, name_lens, max);
	if (split(types_line, types, type_lens, max) != n) {
		snprintf(err, err_size, "ClickHouse answered %d names but other types", n);
		goto cleanup;
	}
	sqlite3_str_appendall(create, "CREATE TEMP TABLE fleet_rows (");
	sqlite3_str_appendall(view, "CREATE TEMP VIEW fleet AS SELECT ");
	sqlite3_str_appendall(ins, "INSERT INTO temp.fleet_rows VALUES (");
	sqlite3_str_appendall(sel, "SELECT ");
	for (i = 0; i < n; i++) {
		names[i][unescape(names[i], name_lens[i])] = '\0';
		kinds[i] = type_of(types[i], type_lens[i]);
		/* No declared type: every value keeps the class it is bound as. */
		sqlite3_str_appendf(create, "%sc%d", i ? ", " : "", i + 1);
		sqlite3_str_appendf(view, "%sc%d AS ", i ? ", " : "", i + 1);
		append_ident(view, names[i]);
		sqlite3_str_appendf(sel, "%sc%d AS ", i ? ", " : "", i + 1);
		append_ident(sel, names[i]);
		sqlite3_str_appendf(ins, "%s?", i ? ", " : "");
	}
	sqlite3_str_appendall(create, ")");
	sqlite3_str_appendall(view, " FROM temp.fleet_rows");
	sqlite3_str_appendall(ins, ")");
	sqlite3_str_appendall(sel, " FROM temp.fleet_rows ORDER BY rowid");
	create_sql = sqlite3_str_finish(create);
	view_sql = sqlite3_str_finish(view);
	ins_sql = sqlite3_str_finish(ins);
	*select = sqlite3_str_finish(sel);
	create = view = ins = sel = NULL;
	if (!create_sql || !view_sql || !ins_sql || !*select) {
		snprintf(err, err_size, "out of memory");
		goto cleanup;
	}
	/* A view with two columns of one name would not be created: then
	 * only the plain SELECT serves (ad-hoc SQL as "SELECT 1, 1"). */
	rc = sqlite3_exec(db,
			  "DROP VIEW IF EXISTS temp.fleet; DROP TABLE IF EXISTS temp.fleet_rows",
			  NULL, NULL, NULL);
	if (!rc)
		rc = sqlite3_exec(db, create_sql, NULL, NULL, NULL);
	if (!rc)
		sqlite3_exec(db, view_sql, NULL, NULL, NULL);
	if (!rc)
		rc = sqlite3_prepare_v2(db, ins_sql, -1, &stmt, NULL);
	if (!rc)
		rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	while (!rc && (line = next_line(&body))) {
		if (split(line, names, name_lens, n) != n) {
			snprintf(err, err_size, "ClickHouse answered a row of other than %d columns",
				 n);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			goto cleanup;
		}
		for (i = 0; !rc && i < n; i++)
			rc = bind_field(stmt, i + 1, kinds[i], names[i], name_lens[i]);
		if (!rc && sqlite3_step(stmt) != SQLITE_DONE)
			rc = sqlite3_errcode(db);
		sqlite3_reset(stmt);
	}
	if (!rc)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	else
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	if (rc) {
		snprintf(err, err_size, "cannot hold ClickHouse's answer: %s", sqlite3_errmsg(db));
		err_ret = rc == SQLITE_NOMEM ? -ENOMEM : -EINVAL;
		goto cleanup;
	}
	err_ret = 0;
cleanup:
	sqlite3_finalize(stmt);
	sqlite3_free(sqlite3_str_finish(create));
	sqlite3_free(sqlite3_str_finish(view));
	sqlite3_free(sqlite3_str_finish(ins));
	sqlite3_free(sqlite3_str_finish(sel));
	sqlite3_free(create_sql);
	sqlite3_free(view_sql);
	sqlite3_free(ins_sql);
	if (err_ret) {
		sqlite3_free(*select);
		*select = NULL;
	}
	free(names);
	free(types);
	free(name_lens);
	free(type_lens);
	free(kinds);
	return err_ret;
}

int fleet_run(struct fleet *f, sqlite3 *db, const char *sql, const char *finish,
	      sqlite3_stmt **stmt, char *err, size_t err_size)
{
	struct chttp_result res = { 0 };
	size_t len = strlen(sql);
	char *full = NULL, *select = NULL;
	int rc;

	*stmt = NULL;
	/* The format is ours to add: a statement's own ';' would end it first. */
	while (len && (isspace((unsigned char)sql[len - 1]) || sql[len - 1] == ';'))
		len--;
	if (asprintf(&full, "%.*s%s", (int)len, sql, FLEET_FORMAT) < 0) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	rc = chttp_query(f->ch, full, NULL, NULL, 0, &res);
	if (rc) {
		snprintf(err, err_size, "%s", res.error);
		rc = rc == CHTTP_NOMEM ? -ENOMEM : -EINVAL;
		goto cleanup;
	}
	rc = load(db, res.body, &select, err, err_size);
	if (rc)
		goto cleanup;
	if (sqlite3_prepare_v2(db, finish ? finish : select, -1, stmt, NULL)) {
		snprintf(err, err_size, "%s", sqlite3_errmsg(db));
		rc = -EINVAL;
	}
cleanup:
	sqlite3_free(select);
	chttp_result_free(&res);
	free(full);
	return rc;
}

/* Appends a ClickHouse string literal of s to q. Returns 0 or -ENOMEM. */
static int append_literal(sqlite3_str *q, const char *s)
{
	size_t size = 4 * strlen(s) + 1;
	char *buf = malloc(size);

	if (!buf)
		return -ENOMEM;
	chttp_escape(s, buf, size);
	sqlite3_str_appendf(q, "'%s'", buf);
	free(buf);
	return 0;
}

/* Appends the hosts filter of f to q: "host IN (...)", or 1 for all. */
static int append_hosts(const struct fleet *f, sqlite3_str *q)
{
	size_t i;

	if (!f->n_hosts) {
		sqlite3_str_appendall(q, "1");
		return 0;
	}
	sqlite3_str_appendall(q, "host IN (");
	for (i = 0; i < f->n_hosts; i++) {
		if (i)
			sqlite3_str_appendall(q, ", ");
		if (append_literal(q, f->hosts[i]))
			return -ENOMEM;
	}
	sqlite3_str_appendall(q, ")");
	return 0;
}

char *fleet_hosts_filter(const struct fleet *f)
{
	sqlite3_str *q = sqlite3_str_new(NULL);

	if (append_hosts(f, q)) {
		sqlite3_free(sqlite3_str_finish(q));
		return NULL;
	}
	return sqlite3_str_finish(q);
}

int fleet_ask(struct fleet *f, sqlite3 *db, const char *sql, sqlite3_stmt **stmt, char *err,
	      size_t err_size)
{
	int rc;

	rc = fleet_run(f, db, sql, NULL, stmt, err, err_size);
	if (!rc && sqlite3_step(*stmt) != SQLITE_ROW) {
		snprintf(err, err_size, "ClickHouse answered no row: %s", sqlite3_errmsg(db));
		rc = -EINVAL;
	}
	if (rc) {
		sqlite3_finalize(*stmt);
		*stmt = NULL;
	}
	return rc;
}

/* Appends column i of probe, a bound value, to q as a ClickHouse literal.
 * Returns 0 or -ENOMEM. */
static int append_value(sqlite3_stmt *probe, int i, sqlite3_str *q)
{
	switch (sqlite3_column_type(probe, i)) {
	case SQLITE_INTEGER:
		sqlite3_str_appendf(q, "%lld", (long long)sqlite3_column_int64(probe, i));
		return 0;
	case SQLITE_NULL:
		sqlite3_str_appendall(q, "NULL");
		return 0;
	default:
		return append_literal(q, (const char *)sqlite3_column_text(probe, i));
	}
}

int fleet_query_sql(struct fleet *f, sqlite3 *db, const struct query *q, int argc, char **argv,
		    const struct query_defaults *d, int64_t now_us, char **out, char *err,
		    size_t err_size)
{
	sqlite3_str *probe_sql = sqlite3_str_new(db), *text = sqlite3_str_new(db);
	sqlite3_stmt *probe = NULL;
	const char *p;
	char *sql = NULL;
	int i, rc = -EINVAL;

	*out = NULL;
	/* Binding them on SQLite checks them as the files' queries do. */
	sqlite3_str_appendall(probe_sql, "SELECT :until");
	for (i = 0; i < q->n_params; i++)
		sqlite3_str_appendf(probe_sql, ", :%s", q->params[i].name);
	sql = sqlite3_str_finish(probe_sql);
	if (!sql || sqlite3_prepare_v2(db, sql, -1, &probe, NULL)) {
		snprintf(err, err_size, "%s: %s", q->name, sql ? sqlite3_errmsg(db) : "out of memory");
		goto cleanup;
	}
	if (queries_bind(q, probe, argc, argv, d, now_us, err, err_size))
		goto cleanup;
	if (sqlite3_step(probe) != SQLITE_ROW) {
		snprintf(err, err_size, "%s: %s", q->name, sqlite3_errmsg(db));
		goto cleanup;
	}
	/* :NAME, where NAME is a parameter, becomes its value; the queries'
	 * ClickHouse SQL holds no other colons but in '::'-free literals. */
	for (p = q->ch_sql; *p;) {
		size_t n = 0;
		int col = -1;

		if (*p == ':') {
			n = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz_");
			if (n == 7 && !strncmp(p + 1, "host_ok", 7))
				col = -2;
			else if (n == 5 && !strncmp(p + 1, "until", 5))
				col = 0;
			for (i = 0; col == -1 && i < q->n_params; i++)
				if (strlen(q->params[i].name) == n &&
				    !strncmp(p + 1, q->params[i].name, n))
					col = i + 1;
		}
		if (col == -1) {
			sqlite3_str_appendchar(text, 1, *p++);
			continue;
		}
		if (col == -2 ? append_hosts(f, text) : append_value(probe, col, text)) {
			snprintf(err, err_size, "out of memory");
			rc = -ENOMEM;
			goto cleanup;
		}
		p += n + 1;
	}
	*out = sqlite3_str_finish(text);
	text = NULL;
	if (!*out) {
		snprintf(err, err_size, "out of memory");
		rc = -ENOMEM;
		goto cleanup;
	}
	rc = 0;
cleanup:
	sqlite3_free(sql);
	sqlite3_free(sqlite3_str_finish(text));
	sqlite3_finalize(probe);
	return rc;
}
