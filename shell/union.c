// SPDX-License-Identifier: BSD-2-Clause
/* One flows, events and collector_stats relation over every file (a vtab). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "union.h"

/* Columns a table may have; collector_stats, the widest, has 18. The
 * columns in use, the hidden one included, travel in idxNum as a bit mask
 * of one bit per column. */
#define UNION_COLS_MAX 30
/* Constraints pushed into one scan; more are left to SQLite to check. */
#define UNION_ARGS_MAX 32
#define FILE_COLUMN "file"
/* What a full scan of one file is assumed to cost, in rows. */
#define ROWS_PER_FILE 1e6

const char *const union_tables[] = { "flows", "events", "collector_stats", NULL };

/* Which time a column holds, for pruning files by their time range. */
enum time_role {
	TIME_NONE,
	TIME_FIRST, /* first_seen: the window's upper bound applies */
	TIME_LAST, /* last_seen: the window's lower bound applies */
	TIME_POINT, /* time: both bounds apply */
};

struct union_module {
	struct catalog *catalog;
	const struct union_window *window;
	sqlite3 *schema_db;
};

struct union_vtab {
	sqlite3_vtab base;
	struct union_module *mod;
	char *table;
	int n_cols; /* real columns; the hidden file column comes after them */
	char *cols[UNION_COLS_MAX];
	enum time_role roles[UNION_COLS_MAX];
	int first_col, last_col, time_col; /* -1 when the table has none */
};

/* One constraint of a scan: column, operator and the value it compares to. */
struct pushed {
	int col;
	int op;
	sqlite3_value *value;
};

struct union_cursor {
	sqlite3_vtab_cursor base;
	struct pushed args[UNION_ARGS_MAX];
	int n_args;
	/* The query each file runs, by the file's schema version: an older
	 * file reads the columns it lacks as NULL. */
	char *sql[CATALOG_SCHEMA_VERSION + 1];
	bool window_args; /* it takes the window's bounds after the constraints */
	int out_col[UNION_COLS_MAX]; /* result column of each vtab column, or -1 */
	struct catalog_file **files; /* those that can match, in time order */
	size_t n_files, next_file;
	struct catalog_file *file; /* being read */
	sqlite3_stmt *stmt; /* NULL at the end */
	sqlite3_int64 rowid;
};

/* Whether a column holds addresses: indexed in every file, and selective. */
static bool is_address(const char *col)
{
	return !strcmp(col, "src_addr") || !strcmp(col, "dst_addr");
}

/* SQL text of the operators pushed into files, by SQLITE_INDEX_CONSTRAINT_*. */
static const char *op_sql(int op)
{
	switch (op) {
	case SQLITE_INDEX_CONSTRAINT_EQ:
		return "=";
	case SQLITE_INDEX_CONSTRAINT_GT:
		return ">";
	case SQLITE_INDEX_CONSTRAINT_LE:
		return "<=";
	case SQLITE_INDEX_CONSTRAINT_LT:
		return "<";
	case SQLITE_INDEX_CONSTRAINT_GE:
		return ">=";
	case SQLITE_INDEX_CONSTRAINT_NE:
		return "<>";
	case SQLITE_INDEX_CONSTRAINT_IS:
		return "IS";
	case SQLITE_INDEX_CONSTRAINT_ISNOT:
		return "IS NOT";
	case SQLITE_INDEX_CONSTRAINT_LIKE:
		return "LIKE";
	case SQLITE_INDEX_CONSTRAINT_GLOB:
		return "GLOB";
	default:
		return NULL;
	}
}

/* Frees a vtab and its column names. */
static void vtab_free(struct union_vtab *vt)
{
	int i;

	for (i = 0; i < vt->n_cols; i++)
		free(vt->cols[i]);
	free(vt->table);
	sqlite3_free(vt);
}

/* Reads table's columns from the schema into vt and writes the CREATE
 * TABLE that declares them, hidden file column last, into *decl
 * (sqlite3_free it). Returns an SQLite result code. */
static int load_columns(struct union_vtab *vt, sqlite3 *schema_db, char **decl)
{
	sqlite3_str *s = sqlite3_str_new(NULL);
	sqlite3_stmt *stmt;
	int rc;

	rc = sqlite3_prepare_v2(schema_db, "SELECT name, type FROM pragma_table_info(?)", -1, &stmt,
				NULL);
	if (rc)
		goto cleanup;
	sqlite3_bind_text(stmt, 1, vt->table, -1, SQLITE_STATIC);
	sqlite3_str_appendf(s, "CREATE TABLE x(");
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(stmt, 0);
		int i = vt->n_cols;

		if (i == UNION_COLS_MAX) {
			rc = SQLITE_TOOBIG;
			goto cleanup;
		}
		vt->cols[i] = strdup(name);
		if (!vt->cols[i]) {
			rc = SQLITE_NOMEM;
			goto cleanup;
		}
		vt->n_cols++;
		if (!strcmp(name, "first_seen")) {
			vt->roles[i] = TIME_FIRST;
			vt->first_col = i;
		} else if (!strcmp(name, "last_seen")) {
			vt->roles[i] = TIME_LAST;
			vt->last_col = i;
		} else if (!strcmp(name, "time")) {
			vt->roles[i] = TIME_POINT;
			vt->time_col = i;
		}
		sqlite3_str_appendf(s, "\"%w\" %s, ", name, sqlite3_column_text(stmt, 1));
	}
	if (rc != SQLITE_DONE)
		goto cleanup;
	rc = vt->n_cols ? SQLITE_OK : SQLITE_ERROR;
	sqlite3_str_appendf(s, FILE_COLUMN " TEXT HIDDEN)");
cleanup:
	sqlite3_finalize(stmt);
	*decl = sqlite3_str_finish(s);
	if (!rc && !*decl)
		rc = SQLITE_NOMEM;
	return rc;
}

/* xCreate and xConnect: argv[3] names the file table to present. */
static int union_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
			 sqlite3_vtab **out, char **err)
{
	struct union_vtab *vt;
	char *decl = NULL;
	int rc;

	if (argc != 4) {
		*err = sqlite3_mprintf("flowdb: one argument, the table, expected");
		return SQLITE_ERROR;
	}
	vt = sqlite3_malloc(sizeof(*vt));
	if (!vt)
		return SQLITE_NOMEM;
	memset(vt, 0, sizeof(*vt));
	vt->mod = aux;
	vt->first_col = vt->last_col = vt->time_col = -1;
	vt->table = strdup(argv[3]);
	rc = vt->table ? load_columns(vt, vt->mod->schema_db, &decl) : SQLITE_NOMEM;
	if (!rc)
		rc = sqlite3_declare_vtab(db, decl);
	sqlite3_free(decl);
	if (rc) {
		*err = sqlite3_mprintf("flowdb: no table %s in the file schema", argv[3]);
		vtab_free(vt);
		return rc;
	}
	*out = &vt->base;
	return SQLITE_OK;
}

/* xDisconnect and xDestroy. */
static int union_disconnect(sqlite3_vtab *base)
{
	vtab_free((struct union_vtab *)base);
	return SQLITE_OK;
}

/*
 * xBestIndex: every usable comparison on a column is handed to xFilter
 * (idxStr lists "column operator" pairs in argv order, idxNum the columns
 * in use). None is marked omitted: SQLite checks again, so a file's
 * different collation or affinity can never make a row appear that the
 * query excludes. Costs favour address lookups, then time ranges.
 */
static int union_best_index(sqlite3_vtab *base, sqlite3_index_info *info)
{
	struct union_vtab *vt = (struct union_vtab *)base;
	sqlite3_str *s = sqlite3_str_new(NULL);
	double rows = ROWS_PER_FILE * 100;
	int i, n = 0;

	for (i = 0; i < info->nConstraint && n < UNION_ARGS_MAX; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];

		if (!c->usable || c->iColumn < 0 || c->iColumn > vt->n_cols || !op_sql(c->op))
			continue;
		if (c->iColumn == vt->n_cols && c->op != SQLITE_INDEX_CONSTRAINT_EQ)
			continue;
		info->aConstraintUsage[i].argvIndex = ++n;
		sqlite3_str_appendf(s, "%d %d,", c->iColumn, c->op);
		if (c->iColumn == vt->n_cols)
			rows /= 100;
		else if (c->op == SQLITE_INDEX_CONSTRAINT_EQ && is_address(vt->cols[c->iColumn]))
			rows /= 10000;
		else if (c->op == SQLITE_INDEX_CONSTRAINT_EQ)
			rows /= 10;
		else
			rows /= vt->roles[c->iColumn] ? 4 : 2;
	}
	info->idxStr = sqlite3_str_finish(s);
	if (!info->idxStr && n)
		return SQLITE_NOMEM;
	info->needToFreeIdxStr = 1;
	info->idxNum = (int)(info->colUsed & ((1ULL << (UNION_COLS_MAX + 1)) - 1));
	info->estimatedRows = rows < 1 ? 1 : (sqlite3_int64)rows;
	info->estimatedCost = rows < 1 ? 1 : rows;
	return SQLITE_OK;
}

/* xOpen. */
static int union_open(sqlite3_vtab *base, sqlite3_vtab_cursor **out)
{
	struct union_cursor *cur = sqlite3_malloc(sizeof(*cur));

	if (!cur)
		return SQLITE_NOMEM;
	memset(cur, 0, sizeof(*cur));
	*out = &cur->base;
	return SQLITE_OK;
}

/* Gives the current file back and forgets the scan. */
static void cursor_reset(struct union_cursor *cur)
{
	struct union_vtab *vt = (struct union_vtab *)cur->base.pVtab;
	int i;

	if (cur->stmt)
		catalog_finish(vt->mod->catalog, cur->file, cur->stmt);
	cur->stmt = NULL;
	cur->file = NULL;
	for (i = 0; i < cur->n_args; i++)
		sqlite3_value_free(cur->args[i].value);
	cur->n_args = 0;
	for (i = 0; i <= CATALOG_SCHEMA_VERSION; i++) {
		sqlite3_free(cur->sql[i]);
		cur->sql[i] = NULL;
	}
	free(cur->files);
	cur->files = NULL;
	cur->n_files = cur->next_file = 0;
}

/* xClose. */
static int union_close(sqlite3_vtab_cursor *base)
{
	struct union_cursor *cur = (struct union_cursor *)base;

	cursor_reset(cur);
	sqlite3_free(cur);
	return SQLITE_OK;
}

/* Whether value v, compared with op to a time in [lo, hi], can hold. */
static bool time_can_match(int op, double v, double lo, double hi)
{
	switch (op) {
	case SQLITE_INDEX_CONSTRAINT_EQ:
	case SQLITE_INDEX_CONSTRAINT_IS:
		return lo <= v && v <= hi;
	case SQLITE_INDEX_CONSTRAINT_GT:
		return hi > v;
	case SQLITE_INDEX_CONSTRAINT_GE:
		return hi >= v;
	case SQLITE_INDEX_CONSTRAINT_LT:
		return lo < v;
	case SQLITE_INDEX_CONSTRAINT_LE:
		return lo <= v;
	default:
		return true;
	}
}

/* Whether file f can hold a row of the scan: its time range against the
 * window and the time constraints, its path against a file constraint. */
static bool file_can_match(const struct union_vtab *vt, const struct union_cursor *cur,
			   const struct catalog_file *f)
{
	const struct union_window *w = vt->mod->window;
	double lo = (double)f->time_start_us;
	double hi = (double)catalog_time_end(f);
	int i;

	if ((vt->first_col >= 0 || vt->time_col >= 0) &&
	    !catalog_overlaps(f, w->since_us, w->until_us))
		return false;
	for (i = 0; i < cur->n_args; i++) {
		const struct pushed *p = &cur->args[i];
		int type = sqlite3_value_numeric_type(p->value);

		if (p->col == vt->n_cols) {
			const char *path = (const char *)sqlite3_value_text(p->value);

			if (!path || strcmp(path, f->path))
				return false;
		} else if (vt->roles[p->col] && (type == SQLITE_INTEGER || type == SQLITE_FLOAT) &&
			   !time_can_match(p->op, sqlite3_value_double(p->value), lo, hi)) {
			return false;
		}
	}
	return true;
}

/* Columns the schema gained after version 1, which older files lack. */
static const struct {
	const char *table, *column;
	int version;
} added_columns[] = {
	{ "flows", "app_proto", 2 },	      { "flows", "app_info", 2 },
	{ "flows", "encrypted", 2 },	      { "events", "detail", 2 },
	{ "collector_stats", "payload_events", 2 }, { "collector_stats", "payload_bytes", 2 },
};

/* Appends column i of vt as a file of schema version sees it: its name,
 * or NULL when the file is older than the column. */
static void append_column(sqlite3_str *s, const struct union_vtab *vt, int i, int version)
{
	size_t j;

	for (j = 0; j < sizeof(added_columns) / sizeof(added_columns[0]); j++)
		if (version < added_columns[j].version && !strcmp(vt->table, added_columns[j].table) &&
		    !strcmp(vt->cols[i], added_columns[j].column)) {
			sqlite3_str_appendall(s, "NULL");
			return;
		}
	sqlite3_str_appendf(s, "\"%w\"", vt->cols[i]);
}

/* Builds the query each file of schema version runs: the columns in use,
 * the pushed constraints as ?1..?n, then the window as ?n+1 and ?n+2.
 * Returns an SQLite result code. */
static int build_sql(struct union_vtab *vt, struct union_cursor *cur, int col_used, int version)
{
	const struct union_window *w = vt->mod->window;
	sqlite3_str *s = sqlite3_str_new(NULL);
	const char *sep = "";
	int i, n_out = 0;

	cur->window_args = true;
	sqlite3_str_appendall(s, "SELECT ");
	for (i = 0; i < vt->n_cols; i++) {
		bool used = col_used & (1 << i);

		cur->out_col[i] = used ? n_out++ : -1;
		if (used) {
			sqlite3_str_appendall(s, sep);
			append_column(s, vt, i, version);
			sep = ", ";
		}
	}
	if (!n_out)
		sqlite3_str_appendall(s, "1");
	sqlite3_str_appendf(s, " FROM \"%w\"", vt->table);
	sep = " WHERE ";
	for (i = 0; i < cur->n_args; i++) {
		if (cur->args[i].col == vt->n_cols)
			continue;
		sqlite3_str_appendall(s, sep);
		append_column(s, vt, cur->args[i].col, version);
		sqlite3_str_appendf(s, " %s ?%d", op_sql(cur->args[i].op), i + 1);
		sep = " AND ";
	}
	/* An unbounded window adds nothing: a range over everything could
	 * lead a file's planner to an index scan of the whole table. */
	if (w->since_us == INT64_MIN && w->until_us == INT64_MAX) {
		cur->window_args = false;
	} else if (vt->last_col >= 0 && vt->first_col >= 0) {
		sqlite3_str_appendf(s, "%s\"%w\" >= ?%d AND \"%w\" <= ?%d", sep,
				    vt->cols[vt->last_col], cur->n_args + 1,
				    vt->cols[vt->first_col], cur->n_args + 2);
	} else if (vt->time_col >= 0) {
		sqlite3_str_appendf(s, "%s\"%w\" BETWEEN ?%d AND ?%d", sep, vt->cols[vt->time_col],
				    cur->n_args + 1, cur->n_args + 2);
	} else {
		cur->window_args = false;
	}
	cur->sql[version] = sqlite3_str_finish(s);
	return cur->sql[version] ? SQLITE_OK : SQLITE_NOMEM;
}

/* Reports a file's failure: an interrupt ends the scan with an error,
 * anything else skips the file with a warning. Returns an SQLite result
 * code: SQLITE_OK to go on with the next file. */
static int file_failed(struct union_cursor *cur, int rc)
{
	struct union_vtab *vt = (struct union_vtab *)cur->base.pVtab;
	struct catalog *c = vt->mod->catalog;
	struct catalog_file *f = cur->file;
	char why[256];

	if (rc == SQLITE_INTERRUPT || rc == SQLITE_NOMEM) {
		sqlite3_free(vt->base.zErrMsg);
		vt->base.zErrMsg = sqlite3_mprintf("%s", sqlite3_errstr(rc));
		return rc;
	}
	snprintf(why, sizeof(why), "%s", sqlite3_errmsg(f->db));
	catalog_finish(c, f, cur->stmt);
	cur->stmt = NULL;
	return catalog_skip(c, f, why) ? SQLITE_NOMEM : SQLITE_OK;
}

/* Moves to the next row, going on to the next file when one is done.
 * Returns an SQLite result code; at the end cur->stmt is NULL. */
static int advance(struct union_cursor *cur)
{
	struct union_vtab *vt = (struct union_vtab *)cur->base.pVtab;
	const struct union_window *w = vt->mod->window;
	struct catalog *c = vt->mod->catalog;
	int i, rc;

	for (;;) {
		if (cur->stmt) {
			rc = sqlite3_step(cur->stmt);
			if (rc == SQLITE_ROW) {
				cur->rowid++;
				c->rows_read++;
				return SQLITE_OK;
			}
			if (rc != SQLITE_DONE) {
				rc = file_failed(cur, rc);
				if (rc)
					return rc;
				continue;
			}
			catalog_finish(c, cur->file, cur->stmt);
			cur->stmt = NULL;
		}
		if (cur->next_file == cur->n_files)
			return SQLITE_OK;
		cur->file = cur->files[cur->next_file++];
		cur->stmt = catalog_prepare(c, cur->file, cur->sql[cur->file->version]);
		if (!cur->stmt)
			continue;
		for (i = 0; i < cur->n_args; i++)
			sqlite3_bind_value(cur->stmt, i + 1, cur->args[i].value);
		if (cur->window_args) {
			sqlite3_bind_int64(cur->stmt, cur->n_args + 1, w->since_us);
			sqlite3_bind_int64(cur->stmt, cur->n_args + 2, w->until_us);
		}
	}
}

/* xFilter: decodes the constraints xBestIndex chose, keeps the files that
 * can match and starts reading the first of them. */
static int union_filter(sqlite3_vtab_cursor *base, int idx_num, const char *idx_str, int argc,
			sqlite3_value **argv)
{
	struct union_cursor *cur = (struct union_cursor *)base;
	struct union_vtab *vt = (struct union_vtab *)base->pVtab;
	struct catalog *c = vt->mod->catalog;
	const char *p = idx_str;
	size_t i;
	int rc, v;

	cursor_reset(cur);
	for (; p && *p && cur->n_args < argc; cur->n_args++) {
		struct pushed *a = &cur->args[cur->n_args];
		char *end;

		a->col = (int)strtol(p, &end, 10);
		a->op = (int)strtol(end, &end, 10);
		p = end + 1;
		a->value = sqlite3_value_dup(argv[cur->n_args]);
		if (!a->value)
			return SQLITE_NOMEM;
	}
	for (v = 0; v <= CATALOG_SCHEMA_VERSION; v++) {
		rc = build_sql(vt, cur, idx_num, v);
		if (rc)
			return rc;
	}
	cur->files = malloc((c->n_files + 1) * sizeof(*cur->files));
	if (!cur->files)
		return SQLITE_NOMEM;
	for (i = 0; i < c->n_files; i++)
		if (!c->files[i]->error && file_can_match(vt, cur, c->files[i]))
			cur->files[cur->n_files++] = c->files[i];
	cur->rowid = 0;
	return advance(cur);
}

/* xNext. */
static int union_next(sqlite3_vtab_cursor *base)
{
	return advance((struct union_cursor *)base);
}

/* xEof. */
static int union_eof(sqlite3_vtab_cursor *base)
{
	return !((struct union_cursor *)base)->stmt;
}

/* xColumn: the file's value as it is; columns not in use were not read. */
static int union_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int col)
{
	struct union_cursor *cur = (struct union_cursor *)base;
	struct union_vtab *vt = (struct union_vtab *)base->pVtab;

	if (col == vt->n_cols)
		sqlite3_result_text(ctx, cur->file->path, -1, SQLITE_TRANSIENT);
	else if (col >= 0 && col < vt->n_cols && cur->out_col[col] >= 0)
		sqlite3_result_value(ctx, sqlite3_column_value(cur->stmt, cur->out_col[col]));
	return SQLITE_OK;
}

/* xRowid: a row's position in this scan. */
static int union_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid)
{
	*rowid = ((struct union_cursor *)base)->rowid;
	return SQLITE_OK;
}

static const sqlite3_module union_module_methods = {
	.iVersion = 1,
	.xCreate = union_connect,
	.xConnect = union_connect,
	.xBestIndex = union_best_index,
	.xDisconnect = union_disconnect,
	.xDestroy = union_disconnect,
	.xOpen = union_open,
	.xClose = union_close,
	.xFilter = union_filter,
	.xNext = union_next,
	.xEof = union_eof,
	.xColumn = union_column,
	.xRowid = union_rowid,
};

int union_register(sqlite3 *db, sqlite3 *schema_db, struct catalog *c, const struct union_window *w)
{
	struct union_module *mod = sqlite3_malloc(sizeof(*mod));
	const char *const *t;
	int rc;

	if (!mod)
		return SQLITE_NOMEM;
	mod->catalog = c;
	mod->window = w;
	mod->schema_db = schema_db;
	rc = sqlite3_create_module_v2(db, "flowdb", &union_module_methods, mod, sqlite3_free);
	for (t = union_tables; !rc && *t; t++) {
		char *sql = sqlite3_mprintf("CREATE VIRTUAL TABLE \"%w\" USING flowdb(%s)", *t, *t);

		rc = sql ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
		sqlite3_free(sql);
	}
	return rc;
}
