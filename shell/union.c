// SPDX-License-Identifier: BSD-2-Clause
/* One flows, events, collector_stats, actions, rule_counters, alerts and
 * requests relation over every file (a vtab). */

/*
 * What each callback promises, against SQLite's virtual-table contract
 * (https://sqlite.org/vtab.html, "The xBestIndex Method" in particular):
 *
 * xBestIndex  Offers to pass every usable constraint it can translate to
 *     the files (comparisons in BINARY collation, LIKE, GLOB, IS [NOT]
 *     NULL, the rowid's and the file column's equality), asks for IN lists
 *     all at once (sqlite3_vtab_in) so that one scan of the files serves a
 *     whole list, and consumes an ORDER BY of plain columns by merging the
 *     files' ordered rows. It never sets omit: SQLite checks every
 *     constraint again, so a constraint passed to a file can only save
 *     work. It never consumes LIMIT or OFFSET (SQLite offers them only
 *     when every constraint is omitted). The plan travels in idxStr;
 *     idxNum is unused. Costs are rows and files read, from the files'
 *     row counts (catalog_file.rows) and the window: a scan of every file
 *     costs what it reads, a lookup in a file's index a few rows, and each
 *     file a scan opens a fixed price, so that SQLite weighs the union
 *     table as the inner loop of a join honestly.
 * xFilter     May be called many times on one cursor (inner loops, OR
 *     terms, correlated subqueries): it starts a new scan each time. It
 *     passes a constraint on to the files only where the files' own
 *     comparison cannot exclude a row SQLite's would keep (see
 *     pushable()), prunes files by their checked time range, the file
 *     column and the rowid, and reads them one after another, or all at
 *     once merged when the plan is ordered. When the same plan has been
 *     scanned again and again in one statement (the inner loop of a join),
 *     it copies the rows of the window once into an indexed in-memory
 *     table and answers the plan's later scans from it: SQLite's automatic
 *     index, which it does not build for virtual tables.
 * xNext, xEof Go through the rows; a file that fails before giving a row
 *     is skipped with one warning, one that fails after fails the
 *     statement: an answer is never silently partial.
 * xColumn     The file's value as stored (no affinity applied), or NULL for
 *     a column the file's schema version lacks; "file" is the file's path.
 * xRowid      The file's id above CATALOG_ROWID_BITS, its rowid in the file
 *     below: unique across files and stable for the session, so that the
 *     multi-index OR plan (one scan per OR term, duplicates removed by
 *     rowid) and "rowid IN (SELECT rowid ...)" see every row exactly once.
 * Copies      A read-only statement whose inner loop the memo does not
 *     serve well (not built yet, many steps to a probe, many more probes
 *     than rows) once it has run as long as copying the tables it reads
 *     would take is stopped (before its first row is shown: the shell
 *     holds rows back meanwhile) and run again over copies: temp tables
 *     of the same names, declared types, file schema indexes and
 *     statistics, holding the window's rows under the same rowids and the
 *     columns it uses (the rest NULL; the file column, when used, as an
 *     ordinary one). SQLite plans them as it plans one file (automatic
 *     partial indexes, an index's order feeding a LIMIT), which no
 *     virtual table can offer. The files' values have their column's
 *     affinity already (check_table() in catalog.c compares the declared
 *     types), so the copy holds them unchanged. Statements where the file
 *     column would show (with "*", or a NATURAL or USING join), and tables
 *     over COPY_ROWS_MAX rows, stay on the files: see union_copy_state().
 * DISTINCT    Not used: sqlite3_vtab_distinct() only allows returning
 *     fewer rows, which saves nothing here.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "union.h"

/* Constraints one plan passes on; more are left to SQLite to check. */
#define UNION_TERMS_MAX 32
#define UNION_ORDER_MAX 8
/* Cost, in rows read, of starting a scan of one file: a statement reset,
 * bound and stepped, as measured against reading rows. */
#define FILE_COST 40.0
/* The work of the memo, in SQLite's virtual machine steps (what the files'
 * queries are charged): per file, what starting its query costs besides;
 * per row copied, reading and inserting it and its index entry, per
 * column in use and besides. */
#define MEMO_FILE_STEPS 200.0
#define MEMO_COLUMN_STEPS 4.0
#define MEMO_ROW_STEPS 24.0
/* The in-memory copy's size at most, in bytes; larger tables are read
 * from the files every time. */
#define MEMO_BYTES_MAX (256LL << 20)
/* Bytes a copied row takes: its rowid and file, then each column. */
#define MEMO_ROW_BYTES 24
#define MEMO_VALUE_BYTES 16
/* Rows the memo takes in one insert. */
#define MEMO_BATCH 64
/* What copying a table for a statement takes, in microseconds, as
 * measured: per file read, per row, per column in use of each row, and
 * per row of each index. */
#define COPY_FILE_US 25.0
#define COPY_ROW_US 0.3
#define COPY_COLUMN_US 0.05
#define COPY_INDEX_ROW_US 0.3
/* Rows copied at most: beyond, copying and indexing them costs more
 * than the memo's probes save (a second or more). */
#define COPY_ROWS_MAX 250000.0
/* Steps a probe of a memo takes on average from which copies pay: a
 * lookup that finds a row or two takes about ten. */
#define COPY_PROBE_STEPS 40
/* Probes of memos, per row of the tables copied, from which copies pay:
 * an inner loop run once per outer row probes about once a row. */
#define COPY_PROBES_PER_ROW 4.0

#define TERM_IN 1 /* all values of an IN list at once */
/* IN lists longer than this go to the files as one JSON array, so that the
 * query's text (and the files' prepared statements) stay the same and no
 * list meets SQLite's limit on parameters. */
#define IN_LIST_MAX 16
#define TERM_LITERAL 2 /* the value is a literal of the statement */

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
	sqlite3 *memo_db; /* in memory: the copies of inner-loop scans */
	bool memo_closing; /* memo_db is replaced: its tables need no dropping */
	unsigned int memo_seq;
	struct union_vtab *vtabs[CATALOG_TABLES];
	sqlite3 *db; /* the connection the tables are in */
	/* The running statement: the tables its plans read (bit: catalog
	 * table) and their columns in use (bit n_cols: the file column). */
	uint32_t stmt_tables;
	uint64_t stmt_cols[CATALOG_TABLES];
	/* Copies: whether the statement may be stopped for them, whether it
	 * joins by column names (NATURAL, USING), since when it runs and
	 * from when it is to be stopped (INT64_MAX: never), whether it was,
	 * and which tables are copied now. */
	bool copy_allowed, copy_named_join;
	int64_t copy_from_us, copy_at_us;
	bool inner_loop; /* a scan of the statement started again */
	/* The steps the statement's probes of memos took, the probes, and
	 * the rows of its tables in the window: many steps to a probe, or
	 * many more probes than rows, and the probes do work a copy's own
	 * indexes (and SQLite's planning over them) would skip. */
	uint64_t memo_steps, memo_probes;
	double copy_rows;
	bool memo_ready; /* a memo of the statement serves probes */
	bool copy_wanted;
	uint32_t copied;
	bool copy_stat1; /* temp.sqlite_stat1 is the copies' own (ANALYZE) */
	/* FLOWDB_COPY: "always" copies at the first inner loop, "never"
	 * never; for tests that want one way or the other. */
	enum { COPY_AUTO, COPY_ALWAYS, COPY_NEVER } copy_mode;
};

/* A constraint of a plan. */
struct term {
	int col; /* vtab column; -1 the rowid; n_cols the hidden file column */
	int op; /* SQLITE_INDEX_CONSTRAINT_* */
	int argv; /* its value's xFilter argument, or -1 (IS NULL) */
	int flags; /* TERM_* */
};

/* What xBestIndex chose, as idxStr carries it. */
struct plan {
	uint64_t used; /* columns read, bit n_cols the file column */
	int n_terms;
	struct term terms[UNION_TERMS_MAX];
	int n_order;
	struct {
		int col; /* as in struct term */
		bool desc;
	} order[UNION_ORDER_MAX];
};

/* The files' queries for one plan, by the columns a file has and the
 * terms passed on. */
struct sql_cache {
	uint64_t columns;
	unsigned char args[UNION_TERMS_MAX]; /* each term's parameters */
	char *sql;
};
#define SQL_CACHE_MAX 4

/*
 * What the scans of one plan in one statement share: the plan, the files'
 * queries, and the plan's in-memory copy (the memo) with the work its
 * scans did before it existed. Cursors come and go (SQLite opens one for
 * each run of a correlated subquery); this lasts the statement.
 */
struct scan {
	struct scan *next;
	char *key; /* the plan's idxStr */
	uint64_t stamp; /* the statement's (catalog stamp) */
	struct plan plan;
	int out_col[CATALOG_COLS_MAX]; /* result column of each vtab column, or -1 */
	struct sql_cache cache[SQL_CACHE_MAX];
	int n_cache;
	enum { MEMO_COUNTING, MEMO_READY, MEMO_NEVER } state;
	double work; /* rows and files the plan's scans read so far */
	uint64_t filters; /* scans started */
	double cost; /* of copying the window's rows and indexing them */
	uint64_t n_rows;
	unsigned int seq; /* names its table, never reused */
	char *table; /* in memo_db */
	char **paths; /* of the files, by the fid column */
	size_t n_paths;
	/* The query on the memo, for the next scan of the same terms. */
	sqlite3_stmt *memo_stmt;
	unsigned char memo_args[UNION_TERMS_MAX];
	bool memo_busy; /* a cursor reads it now */
};

struct union_vtab {
	sqlite3_vtab base;
	struct union_module *mod;
	const struct catalog_table *t;
	int ti; /* index of t in the catalog's tables */
	int n_cols; /* real columns; the hidden file column comes after them */
	bool text[CATALOG_COLS_MAX]; /* TEXT affinity, else INTEGER */
	bool indexed[CATALOG_COLS_MAX]; /* leads an index of the file schema */
	uint64_t notnull; /* bit i: the file schema declares column i NOT NULL */
	enum time_role roles[CATALOG_COLS_MAX];
	int first_col, last_col, time_col; /* -1 when the table has none */
	struct scan *scans;
};

/* A term's values in one scan. */
struct bound {
	sqlite3_value **vals;
	int n;
	sqlite3_value *one; /* vals of a single value: no array */
	bool borrowed; /* vals are SQLite's arguments, valid in xFilter only */
	bool push; /* into the files' query */
	char *json; /* a long IN list, as a JSON array for json_each() */
};

/* A query over one file, or over the memo, and its current row. */
struct source {
	struct catalog_file *file; /* NULL: the memo */
	sqlite3_stmt *stmt;
	uint64_t rows; /* returned so far */
};

struct union_cursor {
	sqlite3_vtab_cursor base;
	struct scan *scan; /* of the current plan */
	struct bound bound[UNION_TERMS_MAX];
	int n_bound;
	uint64_t push; /* bit i: term i passed on */
	/* Parameters of each term in the sources' queries: none when it is
	 * not passed on, 1 for a value or a JSON list, else one per value. */
	unsigned char args[UNION_TERMS_MAX];
	sqlite3_stmt *own_stmt; /* on the memo, when another cursor reads the scan's */
	struct catalog_file **files; /* those that can match, in time order */
	size_t n_files, next_file;
	struct source *srcs; /* merged: every open one, a heap; else the current */
	size_t n_srcs;
	struct source memo_src; /* srcs of a scan of the memo */
	bool merge;
	bool eof;
	int cols_base; /* result column of the first vtab column */
};

/* SQL text of the comparison operators, by SQLITE_INDEX_CONSTRAINT_*. */
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
	case SQLITE_INDEX_CONSTRAINT_ISNULL:
		return "IS NULL";
	case SQLITE_INDEX_CONSTRAINT_ISNOTNULL:
		return "IS NOT NULL";
	default:
		return NULL;
	}
}

/* Whether op compares its column with a value by the rules of affinity
 * and collation (not LIKE, GLOB or a NULL test). */
static bool is_comparison(int op)
{
	return op != SQLITE_INDEX_CONSTRAINT_LIKE && op != SQLITE_INDEX_CONSTRAINT_GLOB &&
	       op != SQLITE_INDEX_CONSTRAINT_ISNULL && op != SQLITE_INDEX_CONSTRAINT_ISNOTNULL;
}

/* Reads which columns of table lead an index of the file schema, and
 * which it declares NOT NULL. Returns an SQLite result code. */
static int load_indexed(struct union_vtab *vt, sqlite3 *schema_db)
{
	sqlite3_stmt *stmt;
	int i, rc;

	rc = sqlite3_prepare_v2(schema_db,
				"SELECT i.name, 0 FROM pragma_index_list(?1) l,"
				" pragma_index_info(l.name) i WHERE i.seqno = 0"
				" UNION ALL SELECT name, 1 FROM pragma_table_info(?1) WHERE \"notnull\"",
				-1, &stmt, NULL);
	if (rc)
		return rc;
	sqlite3_bind_text(stmt, 1, vt->t->name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		for (i = 0; i < vt->n_cols; i++)
			if (!strcmp(vt->t->cols[i], (const char *)sqlite3_column_text(stmt, 0))) {
				if (sqlite3_column_int(stmt, 1))
					vt->notnull |= 1ULL << i;
				else
					vt->indexed[i] = true;
			}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Frees a scan, its queries and its memo's table (unless the whole memo
 * database is about to go: see union_release()). */
static void scan_free(struct union_module *mod, struct scan *sc)
{
	size_t i;

	sqlite3_finalize(sc->memo_stmt);
	if (sc->table && !mod->memo_closing) {
		char *sql = sqlite3_mprintf("DROP TABLE IF EXISTS \"%w\"", sc->table);

		if (sql)
			sqlite3_exec(mod->memo_db, sql, NULL, NULL, NULL);
		sqlite3_free(sql);
	}
	for (i = 0; i < (size_t)sc->n_cache; i++)
		sqlite3_free(sc->cache[i].sql);
	for (i = 0; i < sc->n_paths; i++)
		free(sc->paths[i]);
	free(sc->paths);
	free(sc->table);
	free(sc->key);
	free(sc);
}

/* Frees vt's scans of statements other than stamp (all for 0). */
static void scans_release(struct union_vtab *vt, uint64_t keep_stamp)
{
	struct scan **p = &vt->scans;

	while (*p) {
		struct scan *sc = *p;

		if (keep_stamp && sc->stamp == keep_stamp) {
			p = &sc->next;
			continue;
		}
		*p = sc->next;
		scan_free(vt->mod, sc);
	}
}

/* Frees a vtab. */
static void vtab_free(struct union_vtab *vt)
{
	scans_release(vt, 0);
	if (vt->ti >= 0 && vt->mod->vtabs[vt->ti] == vt)
		vt->mod->vtabs[vt->ti] = NULL;
	sqlite3_free(vt);
}

/* xCreate and xConnect: argv[3] names the file table to present, with the
 * columns and declared types the catalog read from the schema. */
static int union_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
			 sqlite3_vtab **out, char **err)
{
	struct union_module *mod = aux;
	sqlite3_str *decl;
	struct union_vtab *vt;
	char *sql;
	int i, rc;

	if (argc != 4) {
		*err = sqlite3_mprintf("flowdb: one argument, the table, expected");
		return SQLITE_ERROR;
	}
	vt = sqlite3_malloc(sizeof(*vt));
	if (!vt)
		return SQLITE_NOMEM;
	memset(vt, 0, sizeof(*vt));
	vt->mod = mod;
	vt->first_col = vt->last_col = vt->time_col = vt->ti = -1;
	for (i = 0; i < CATALOG_TABLES; i++)
		if (!strcmp(argv[3], catalog_tables[i]))
			vt->ti = i;
	if (vt->ti < 0 || !mod->catalog->tables[vt->ti].n_cols) {
		*err = sqlite3_mprintf("flowdb: no table %s in the file schema", argv[3]);
		sqlite3_free(vt);
		return SQLITE_ERROR;
	}
	vt->t = &mod->catalog->tables[vt->ti];
	vt->n_cols = vt->t->n_cols;
	decl = sqlite3_str_new(NULL);
	sqlite3_str_appendall(decl, "CREATE TABLE x(");
	for (i = 0; i < vt->n_cols; i++) {
		const char *name = vt->t->cols[i];

		vt->text[i] = !sqlite3_stricmp(vt->t->types[i], "TEXT");
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
		sqlite3_str_appendf(decl, "\"%w\" %s%s, ", name, vt->t->types[i],
				    vt->t->not_null >> i & 1 ? " NOT NULL" : "");
	}
	sqlite3_str_appendall(decl, "file TEXT HIDDEN)");
	sql = sqlite3_str_finish(decl);
	rc = sql ? sqlite3_declare_vtab(db, sql) : SQLITE_NOMEM;
	sqlite3_free(sql);
	if (!rc)
		rc = load_indexed(vt, mod->schema_db);
	if (rc) {
		*err = sqlite3_mprintf("flowdb: cannot declare %s: %s", argv[3], sqlite3_errstr(rc));
		sqlite3_free(vt);
		return rc;
	}
	mod->vtabs[vt->ti] = vt;
	*out = &vt->base;
	return SQLITE_OK;
}

/* xDisconnect and xDestroy. */
static int union_disconnect(sqlite3_vtab *base)
{
	vtab_free((struct union_vtab *)base);
	return SQLITE_OK;
}

/* Compares integer i with real r exactly, as SQLite orders them: -1, 0
 * or 1. */
static int int_real_cmp(int64_t i, double r)
{
	int64_t y;

	if (r < -9223372036854775808.0)
		return 1;
	if (r >= 9223372036854775808.0)
		return -1;
	y = (int64_t)r;
	if (i != y)
		return i < y ? -1 : 1;
	/* Below 2^53 the fraction decides; above, r has none. */
	return r > (double)y ? -1 : r < (double)y ? 1 : 0;
}

/* A value to order by: one of a row's, the rowid or the file's path. */
struct key {
	int type; /* SQLITE_NULL, _INTEGER, _FLOAT, _TEXT or _BLOB */
	int64_t i;
	double r;
	const void *p;
	int n;
};

/* The key of value v. */
static struct key value_key(sqlite3_value *v)
{
	struct key k = { .type = sqlite3_value_type(v) };

	switch (k.type) {
	case SQLITE_INTEGER:
		k.i = sqlite3_value_int64(v);
		break;
	case SQLITE_FLOAT:
		k.r = sqlite3_value_double(v);
		break;
	case SQLITE_TEXT:
		k.p = sqlite3_value_text(v);
		k.n = sqlite3_value_bytes(v);
		break;
	case SQLITE_BLOB:
		k.p = sqlite3_value_blob(v);
		k.n = sqlite3_value_bytes(v);
		break;
	}
	return k;
}

/* Orders two keys as SQLite does in BINARY collation: NULL, then numbers
 * by value, then text and blobs bytewise. Returns <0, 0 or >0. */
static int key_cmp(const struct key *a, const struct key *b)
{
	static const int rank[] = { [SQLITE_NULL] = 0,	  [SQLITE_INTEGER] = 1, [SQLITE_FLOAT] = 1,
				    [SQLITE_TEXT] = 2, [SQLITE_BLOB] = 3 };
	int d = rank[a->type] - rank[b->type], n;

	if (d)
		return d;
	switch (a->type) {
	case SQLITE_NULL:
		return 0;
	case SQLITE_INTEGER:
		if (b->type == SQLITE_INTEGER)
			return (a->i > b->i) - (a->i < b->i);
		return int_real_cmp(a->i, b->r);
	case SQLITE_FLOAT:
		if (b->type == SQLITE_INTEGER)
			return -int_real_cmp(b->i, a->r);
		return (a->r > b->r) - (a->r < b->r);
	default:
		n = memcmp(a->p, b->p, a->n < b->n ? a->n : b->n);
		return n ? n : a->n - b->n;
	}
}

/* Whether c is a space to SQLite's number parser. */
static bool is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Whether text value v becomes a number under numeric affinity: spaces,
 * a sign, digits with at most one point, an exponent, spaces, and nothing
 * else (https://sqlite.org/datatype3.html, 3.0: text that is a
 * well-formed integer or real literal). */
static bool looks_numeric(sqlite3_value *v)
{
	const unsigned char *t = sqlite3_value_text(v);
	int i = 0, n = sqlite3_value_bytes(v), digits = 0;

	while (i < n && is_space(t[i]))
		i++;
	if (i < n && (t[i] == '+' || t[i] == '-'))
		i++;
	for (; i < n && t[i] >= '0' && t[i] <= '9'; i++)
		digits++;
	if (i < n && t[i] == '.')
		for (i++; i < n && t[i] >= '0' && t[i] <= '9'; i++)
			digits++;
	if (!digits)
		return false;
	if (i < n && (t[i] == 'e' || t[i] == 'E')) {
		i++;
		if (i < n && (t[i] == '+' || t[i] == '-'))
			i++;
		/* A bare exponent: say yes, which is always safe. */
		if (i == n || t[i] < '0' || t[i] > '9')
			return true;
		while (i < n && t[i] >= '0' && t[i] <= '9')
			i++;
	}
	while (i < n && is_space(t[i]))
		i++;
	return i == n;
}

/*
 * Whether term t with value v may go into the files' own query: only when
 * the file's comparison cannot exclude a row that SQLite's keeps. SQLite
 * applies affinity by the operands (https://sqlite.org/datatype3.html,
 * 4.2): a file compares its column with a bound parameter, which has no
 * affinity, while SQLite may compare with an expression that has one.
 * So: LIKE, GLOB and NULL tests always; NULL and blob values always (no
 * affinity converts them); numbers against INTEGER columns; text that no
 * affinity would turn into a number against any column, but for ranges
 * on TEXT columns only a literal (an operand with numeric affinity would
 * turn the column's numeric-looking values into numbers); numeric-looking
 * text against a TEXT column only as a literal. Collations other
 * than BINARY are never offered (xBestIndex). The rowid takes integers;
 * the file column prunes by exact text.
 */
static bool pushable(const struct union_vtab *vt, const struct term *t, sqlite3_value *v)
{
	int type = sqlite3_value_type(v);

	if (t->col < 0)
		return type == SQLITE_INTEGER;
	if (t->col == vt->n_cols)
		return type == SQLITE_TEXT;
	if (!is_comparison(t->op) || type == SQLITE_NULL || type == SQLITE_BLOB)
		return true;
	if (type != SQLITE_TEXT)
		return !vt->text[t->col];
	/* A literal has no affinity: against a TEXT column it stays text. */
	if (looks_numeric(v))
		return vt->text[t->col] && (t->flags & TERM_LITERAL);
	return !vt->text[t->col] || t->op == SQLITE_INDEX_CONSTRAINT_EQ ||
	       t->op == SQLITE_INDEX_CONSTRAINT_NE || t->op == SQLITE_INDEX_CONSTRAINT_IS ||
	       t->op == SQLITE_INDEX_CONSTRAINT_ISNOT || (t->flags & TERM_LITERAL);
}

/*
 * Whether a time column of file f can satisfy op against v, by the file's
 * checked range. A number compares as it is; numeric-looking text as the
 * number it becomes, but only where the text, compared as text, could
 * match no integer (=, IS, >, >=): the range holds integers only.
 */
static bool time_can_match(const struct catalog_file *f, int op, sqlite3_value *v)
{
	int64_t lo = catalog_time_start(f), hi = catalog_time_end(f);
	int type = sqlite3_value_type(v);
	sqlite3_value *num = NULL;
	struct key k, klo = { SQLITE_INTEGER, .i = lo }, khi = { SQLITE_INTEGER, .i = hi };
	bool can = true;
	int cl, ch;

	if (type == SQLITE_TEXT && (op == SQLITE_INDEX_CONSTRAINT_EQ || op == SQLITE_INDEX_CONSTRAINT_IS ||
				    op == SQLITE_INDEX_CONSTRAINT_GT || op == SQLITE_INDEX_CONSTRAINT_GE)) {
		num = sqlite3_value_dup(v);
		type = num ? sqlite3_value_numeric_type(num) : SQLITE_TEXT;
		v = num;
	}
	if (type != SQLITE_INTEGER && type != SQLITE_FLOAT)
		goto cleanup;
	k = value_key(v);
	/* INT64_MIN and INT64_MAX stand for no bound. */
	cl = lo == INT64_MIN ? 1 : key_cmp(&k, &klo);
	ch = hi == INT64_MAX ? -1 : key_cmp(&k, &khi);
	switch (op) {
	case SQLITE_INDEX_CONSTRAINT_EQ:
	case SQLITE_INDEX_CONSTRAINT_IS:
		can = cl >= 0 && ch <= 0;
		break;
	case SQLITE_INDEX_CONSTRAINT_GT:
		can = ch < 0;
		break;
	case SQLITE_INDEX_CONSTRAINT_GE:
		can = ch <= 0;
		break;
	case SQLITE_INDEX_CONSTRAINT_LT:
		can = cl > 0;
		break;
	case SQLITE_INDEX_CONSTRAINT_LE:
		can = cl >= 0;
		break;
	}
cleanup:
	sqlite3_value_free(num);
	return can;
}

/* Whether file f can hold a row where term t holds for value v. */
static bool term_can_match(const struct union_vtab *vt, const struct term *t,
			   const struct catalog_file *f, sqlite3_value *v)
{
	if (t->col < 0)
		return sqlite3_value_type(v) != SQLITE_INTEGER ||
		       (sqlite3_value_int64(v) >= 0 &&
			sqlite3_value_int64(v) >> CATALOG_ROWID_BITS == f->id);
	if (t->col == vt->n_cols)
		return sqlite3_value_type(v) != SQLITE_TEXT ||
		       !strcmp((const char *)sqlite3_value_text(v), f->path);
	if (vt->roles[t->col] && is_comparison(t->op))
		return time_can_match(f, t->op, v);
	return true;
}

/* Whether file f can hold rows of the window: it has the table (a file
 * from before the table was added has none, and is never asked for it),
 * and for a table with times, its range meets the window. */
static bool in_window(const struct union_vtab *vt, const struct catalog_file *f)
{
	const struct union_window *w = vt->mod->window;

	return f->columns[vt->ti] &&
	       ((vt->first_col < 0 && vt->time_col < 0) ||
		catalog_overlaps(f, w->since_us, w->until_us));
}

/* Appends the plan to idxStr: "u<used>;" then "t<col>,<op>,<argv>,<flags>;"
 * per term and "o<col>,<desc>;" per ORDER BY term. */
static void plan_write(sqlite3_str *s, const struct plan *p)
{
	int i;

	sqlite3_str_appendf(s, "u%llx;", (unsigned long long)p->used);
	for (i = 0; i < p->n_terms; i++)
		sqlite3_str_appendf(s, "t%d,%d,%d,%d;", p->terms[i].col, p->terms[i].op,
				    p->terms[i].argv, p->terms[i].flags);
	for (i = 0; i < p->n_order; i++)
		sqlite3_str_appendf(s, "o%d,%d;", p->order[i].col, p->order[i].desc);
}

/* Reads a plan plan_write() wrote. Returns 0, or -EINVAL for text it did
 * not write. */
static int plan_read(const char *s, struct plan *p)
{
	memset(p, 0, sizeof(*p));
	while (s && *s) {
		unsigned long long used;
		int a, b, c, d, n = 0;

		if (*s == 'u' && sscanf(s, "u%llx;%n", &used, &n) == 1 && n) {
			p->used = used;
		} else if (*s == 't' && p->n_terms < UNION_TERMS_MAX &&
			   sscanf(s, "t%d,%d,%d,%d;%n", &a, &b, &c, &d, &n) == 4 && n) {
			p->terms[p->n_terms++] = (struct term){ a, b, c, d };
		} else if (*s == 'o' && p->n_order < UNION_ORDER_MAX &&
			   sscanf(s, "o%d,%d;%n", &a, &b, &n) == 2 && n) {
			p->order[p->n_order].col = a;
			p->order[p->n_order++].desc = b;
		} else {
			return -EINVAL;
		}
		s += n;
	}
	return 0;
}

/* The share of rows term t leaves, and whether a file's index serves it. */
static double term_selectivity(const struct union_vtab *vt, const struct term *t, int n_values,
			       bool *indexed)
{
	bool eq = t->op == SQLITE_INDEX_CONSTRAINT_EQ || t->op == SQLITE_INDEX_CONSTRAINT_IS;
	double sel;

	*indexed = false;
	if (t->col < 0)
		return 0; /* one row at most: xBestIndex sets it apart */
	if (t->col == vt->n_cols)
		return 1; /* pruned files are counted apart */
	switch (t->op) {
	case SQLITE_INDEX_CONSTRAINT_EQ:
	case SQLITE_INDEX_CONSTRAINT_IS:
		sel = vt->roles[t->col] ? 1e-4 : vt->indexed[t->col] ? 1e-3 : 0.1;
		break;
	case SQLITE_INDEX_CONSTRAINT_NE:
	case SQLITE_INDEX_CONSTRAINT_ISNOT:
	case SQLITE_INDEX_CONSTRAINT_ISNOTNULL:
		sel = 0.9;
		break;
	case SQLITE_INDEX_CONSTRAINT_ISNULL:
		sel = 0.1;
		break;
	case SQLITE_INDEX_CONSTRAINT_LIKE:
	case SQLITE_INDEX_CONSTRAINT_GLOB:
		sel = 0.25;
		break;
	default: /* a range */
		sel = vt->roles[t->col] ? 0.5 : 0.25;
	}
	if (eq && n_values > 1)
		sel = fmin(1, sel * n_values);
	*indexed = vt->indexed[t->col] && t->op != SQLITE_INDEX_CONSTRAINT_NE &&
		   t->op != SQLITE_INDEX_CONSTRAINT_ISNOT && t->op != SQLITE_INDEX_CONSTRAINT_LIKE &&
		   t->op != SQLITE_INDEX_CONSTRAINT_GLOB && t->op != SQLITE_INDEX_CONSTRAINT_ISNULL &&
		   t->op != SQLITE_INDEX_CONSTRAINT_ISNOTNULL;
	return sel;
}

/*
 * xBestIndex: see the contract at the top. The files and rows a plan
 * reads are counted over the files the window and the statement's literal
 * time, file and rowid constraints leave; a file's index lookup costs the
 * rows it finds and a few more.
 */
static int union_best_index(sqlite3_vtab *base, sqlite3_index_info *info)
{
	struct union_vtab *vt = (struct union_vtab *)base;
	struct catalog *c = vt->mod->catalog;
	sqlite3_value *literal[UNION_TERMS_MAX] = { 0 };
	struct plan p = { .used = info->colUsed };
	double sel = 1, files = 0, rows = 0, cost;
	bool unique = false, any_index = false;
	sqlite3_str *s;
	size_t f;
	int i, n_argv = 0;

	/* Bit 63 of colUsed stands for every column from 63 on. */
	if (info->colUsed >> 63)
		p.used = ~0ULL;
	vt->mod->stmt_tables |= 1U << vt->ti;
	vt->mod->stmt_cols[vt->ti] |= p.used;
	for (i = 0; i < info->nConstraint && p.n_terms < UNION_TERMS_MAX; i++) {
		const struct sqlite3_index_constraint *k = &info->aConstraint[i];
		struct term *t = &p.terms[p.n_terms];
		const char *coll;
		bool indexed, in;
		double term_sel;

		if (!k->usable || k->iColumn < -1 || k->iColumn > vt->n_cols || !op_sql(k->op))
			continue;
		if ((k->iColumn < 0 || k->iColumn == vt->n_cols) && k->op != SQLITE_INDEX_CONSTRAINT_EQ)
			continue;
		/* One rowid lookup: SQLite would loop over every rowid IN list
		 * taken, one inside the other. */
		if (k->iColumn < 0 && unique)
			continue;
		coll = sqlite3_vtab_collation(info, i);
		if (is_comparison(k->op) && coll && sqlite3_stricmp(coll, "BINARY"))
			continue;
		*t = (struct term){ k->iColumn, k->op, -1, 0 };
		/* A list of rowids is a lookup per value, each in one file. */
		in = k->iColumn >= 0 && sqlite3_vtab_in(info, i, -1);
		if (in) {
			sqlite3_vtab_in(info, i, 1);
			t->flags |= TERM_IN;
		}
		if (k->op != SQLITE_INDEX_CONSTRAINT_ISNULL && k->op != SQLITE_INDEX_CONSTRAINT_ISNOTNULL) {
			t->argv = n_argv++;
			info->aConstraintUsage[i].argvIndex = n_argv;
			if (!in && sqlite3_vtab_rhs_value(info, i, &literal[p.n_terms]) == SQLITE_OK)
				t->flags |= TERM_LITERAL;
		}
		term_sel = term_selectivity(vt, t, in ? 4 : 1, &indexed);
		if (k->iColumn < 0)
			unique = true;
		sel *= term_sel;
		any_index |= indexed;
		p.n_terms++;
	}
	/* An ORDER BY of plain columns comes out of merging ordered files. */
	if (info->nOrderBy <= UNION_ORDER_MAX) {
		for (i = 0; i < info->nOrderBy; i++) {
			if (info->aOrderBy[i].iColumn < -1 || info->aOrderBy[i].iColumn > vt->n_cols)
				break;
			p.order[i].col = info->aOrderBy[i].iColumn;
			p.order[i].desc = info->aOrderBy[i].desc;
		}
		if (i == info->nOrderBy && i) {
			p.n_order = i;
			info->orderByConsumed = 1;
		}
	}
	for (f = 0; f < c->n_files; f++) {
		const struct catalog_file *cf = c->files[f];
		bool can = !cf->error && in_window(vt, cf);

		for (i = 0; can && i < p.n_terms; i++)
			if (literal[i])
				can = term_can_match(vt, &p.terms[i], cf, literal[i]);
		if (can) {
			files++;
			rows += (double)cf->rows[vt->ti];
		}
	}
	if (unique) {
		files = fmin(files, 1);
		info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
		rows = fmin(rows, 1);
		cost = files * FILE_COST + 1;
	} else if (any_index) {
		/* A lookup in each file's index, then the rows it finds. */
		cost = files * (FILE_COST + log2(rows / fmax(files, 1) + 1)) + 2 * rows * sel;
		rows *= sel;
	} else {
		cost = files * FILE_COST + rows;
		rows *= sel;
	}
	if (p.n_order)
		cost += rows * log2(files + 1) * 0.1;
	s = sqlite3_str_new(NULL);
	plan_write(s, &p);
	info->idxStr = sqlite3_str_finish(s);
	if (!info->idxStr)
		return SQLITE_NOMEM;
	info->needToFreeIdxStr = 1;
	info->estimatedRows = rows < 1 ? 1 : (sqlite3_int64)rows;
	info->estimatedCost = cost < 1 ? 1 : cost;
	return SQLITE_OK;
}

/* xOpen. */
static int union_open(sqlite3_vtab *base, sqlite3_vtab_cursor **out)
{
	struct union_cursor *cur = sqlite3_malloc(sizeof(*cur));

	if (!cur)
		return SQLITE_NOMEM;
	memset(cur, 0, sizeof(*cur));
	cur->eof = true;
	*out = &cur->base;
	return SQLITE_OK;
}

/* Gives a source's statement back. */
static void source_close(struct union_cursor *cur, struct source *src)
{
	struct union_vtab *vt = (struct union_vtab *)cur->base.pVtab;

	if (src->file) {
		/* What the file's query did, index lookups included: the rows
		 * it returned alone would hide a lookup's cost. */
		if (src->stmt && cur->scan->state == MEMO_COUNTING)
			cur->scan->work += sqlite3_stmt_status(src->stmt, SQLITE_STMTSTATUS_VM_STEP, 1);
		catalog_finish(vt->mod->catalog, src->file, src->stmt);
	} else if (src->stmt) {
		vt->mod->memo_steps +=
			(uint64_t)sqlite3_stmt_status(src->stmt, SQLITE_STMTSTATUS_VM_STEP, 1);
		vt->mod->memo_probes++;
		sqlite3_reset(src->stmt);
		if (src->stmt == cur->scan->memo_stmt)
			cur->scan->memo_busy = false;
	}
	src->stmt = NULL;
}

/* Ends the scan: gives back every source and forgets the values. */
static void cursor_reset(struct union_cursor *cur)
{
	size_t i;
	int j, k;

	for (i = 0; i < cur->n_srcs; i++)
		source_close(cur, &cur->srcs[i]);
	if (cur->srcs != &cur->memo_src)
		free(cur->srcs);
	cur->srcs = NULL;
	cur->n_srcs = 0;
	for (j = 0; j < cur->n_bound; j++) {
		for (k = 0; k < cur->bound[j].n && !cur->bound[j].borrowed; k++)
			sqlite3_value_free(cur->bound[j].vals[k]);
		if (cur->bound[j].vals != &cur->bound[j].one)
			free(cur->bound[j].vals);
		sqlite3_free(cur->bound[j].json);
		cur->bound[j] = (struct bound){ 0 };
	}
	cur->n_bound = 0;
	free(cur->files);
	cur->files = NULL;
	cur->n_files = cur->next_file = 0;
	cur->eof = true;
}

/* xClose. */
static int union_close(sqlite3_vtab_cursor *base)
{
	struct union_cursor *cur = (struct union_cursor *)base;

	cursor_reset(cur);
	sqlite3_finalize(cur->own_stmt);
	sqlite3_free(cur);
	return SQLITE_OK;
}

/* Appends column col as the source sees it: in a file its name, or NULL
 * when the file's table lacks it; in the memo its copy. */
static void append_column(sqlite3_str *s, const struct union_vtab *vt, int col, uint64_t columns,
			  bool memo)
{
	if (col < 0)
		sqlite3_str_appendall(s, memo ? "rid" : "rowid");
	else if (memo)
		sqlite3_str_appendf(s, "c%d", col);
	else if (columns & 1ULL << col)
		sqlite3_str_appendf(s, "\"%w\"", vt->t->cols[col]);
	else
		sqlite3_str_appendall(s, "NULL");
}

/* Whether term t is the file column's equality, which a scan of the memo
 * applies by the file's number (memo_fid()). */
static bool memo_file_term(const struct union_vtab *vt, const struct term *t)
{
	return t->col == vt->n_cols && t->op == SQLITE_INDEX_CONSTRAINT_EQ && !(t->flags & TERM_IN) &&
	       t->argv >= 0;
}

/* The memo's number of the file whose path is v as text (SQLite compares
 * the TEXT file column so), or -1 when no file of the memo has it. */
static int memo_fid(const struct scan *sc, sqlite3_value *v)
{
	const char *path = (const char *)sqlite3_value_text(v);
	size_t lo = 0, hi = sc->n_paths;

	while (path && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(sc->paths[mid], path);

		if (!cmp)
			return (int)mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * Builds the query of one source: the rowid (and, in the memo, the file),
 * the columns in use, the terms passed on (push) as ?1..?n (in the memo,
 * the file's equality too, by its number), the window as
 * the next two in a file, the plan's order unless ordered is false. A file
 * has columns (a mask of the schema's); the memo (memo true) has them all.
 * Returns the SQL (sqlite3_free it) or NULL when out of memory.
 */
static char *build_sql(const struct union_vtab *vt, const struct union_cursor *cur,
		       uint64_t columns, uint64_t push, bool memo, bool ordered, const char *from)
{
	const struct union_window *w = vt->mod->window;
	const struct plan *p = &cur->scan->plan;
	sqlite3_str *s = sqlite3_str_new(NULL);
	const char *sep = " WHERE ";
	int i, j, n = 0;

	sqlite3_str_appendall(s, memo ? "SELECT rid, fid" : "SELECT rowid");
	for (i = 0; i < vt->n_cols; i++)
		if (p->used & 1ULL << i) {
			sqlite3_str_appendall(s, ", ");
			append_column(s, vt, i, columns, memo);
		}
	sqlite3_str_appendf(s, " FROM \"%w\"", from);
	for (i = 0; i < p->n_terms; i++) {
		const struct term *t = &p->terms[i];

		if (memo && memo_file_term(vt, t)) {
			sqlite3_str_appendf(s, "%sfid = ?%d", sep, ++n);
			sep = " AND ";
			continue;
		}
		if (!(push & 1ULL << i) || t->col == vt->n_cols)
			continue;
		sqlite3_str_appendall(s, sep);
		sep = " AND ";
		append_column(s, vt, t->col, columns, memo);
		if (!(t->flags & TERM_IN)) {
			sqlite3_str_appendf(s, " %s", op_sql(t->op));
			if (t->argv >= 0)
				sqlite3_str_appendf(s, " ?%d", ++n);
			continue;
		}
		if (cur->bound[i].json) {
			sqlite3_str_appendf(s, " IN (SELECT value FROM json_each(?%d))", ++n);
			continue;
		}
		sqlite3_str_appendall(s, " IN (");
		for (j = 0; j < cur->bound[i].n; j++)
			sqlite3_str_appendf(s, "%s?%d", j ? ", " : "", ++n);
		sqlite3_str_appendall(s, ")");
	}
	/* An unbounded window adds nothing: a range over everything could
	 * lead a file's planner to an index scan of the whole table. */
	if (!memo && (w->since_us != INT64_MIN || w->until_us != INT64_MAX)) {
		if (vt->last_col >= 0 && vt->first_col >= 0) {
			sqlite3_str_appendf(s, "%s", sep);
			append_column(s, vt, vt->last_col, columns, false);
			sqlite3_str_appendf(s, " >= ?%d AND ", n + 1);
			append_column(s, vt, vt->first_col, columns, false);
			sqlite3_str_appendf(s, " <= ?%d", n + 2);
		} else if (vt->time_col >= 0) {
			sqlite3_str_appendf(s, "%s", sep);
			append_column(s, vt, vt->time_col, columns, false);
			sqlite3_str_appendf(s, " BETWEEN ?%d AND ?%d", n + 1, n + 2);
		}
	}
	sep = " ORDER BY ";
	for (i = 0; ordered && i < p->n_order; i++) {
		int col = p->order[i].col;

		/* A file's path is the same on all its rows; the memo numbers
		 * the files in the order of their paths. */
		if (col == vt->n_cols && !memo)
			continue;
		if (col >= 0 && col < vt->n_cols && !memo && !(columns & 1ULL << col))
			continue;
		sqlite3_str_appendall(s, sep);
		if (col == vt->n_cols)
			sqlite3_str_appendall(s, "fid");
		else
			append_column(s, vt, col, columns, memo);
		sqlite3_str_appendall(s, p->order[i].desc ? " DESC" : "");
		sep = ", ";
	}
	return sqlite3_str_finish(s);
}

/* The query of file f for the current scan, from the scan's cache.
 * Returns it (owned by the scan) or NULL when out of memory. */
static const char *file_sql(struct union_cursor *cur, const struct catalog_file *f)
{
	struct union_vtab *vt = (struct union_vtab *)cur->base.pVtab;
	uint64_t columns = f->columns[vt->ti];
	struct scan *sc = cur->scan;
	struct sql_cache *e;
	int i;

	for (i = 0; i < sc->n_cache; i++)
		if (sc->cache[i].columns == columns && !memcmp(sc->cache[i].args, cur->args,
								      sizeof(cur->args)))
			return sc->cache[i].sql;
	if (sc->n_cache == SQL_CACHE_MAX) {
		sqlite3_free(sc->cache[0].sql);
		memmove(sc->cache, sc->cache + 1, sizeof(sc->cache[0]) * --sc->n_cache);
	}
	e = &sc->cache[sc->n_cache];
	e->sql = build_sql(vt, cur, columns, cur->push, false, true, vt->t->name);
	if (!e->sql)
		return NULL;
	e->columns = columns;
	memcpy(e->args, cur->args, sizeof(cur->args));
	sc->n_cache++;
	return e->sql;
}

/* Binds v to parameter n of stmt without copying it: the caller resets
 * stmt before v goes (the scan's values are freed with its cursor). */
static void bind_static(sqlite3_stmt *stmt, int n, sqlite3_value *v)
{
	switch (sqlite3_value_type(v)) {
	case SQLITE_INTEGER:
		sqlite3_bind_int64(stmt, n, sqlite3_value_int64(v));
		break;
	case SQLITE_FLOAT:
		sqlite3_bind_double(stmt, n, sqlite3_value_double(v));
		break;
	case SQLITE_TEXT:
		sqlite3_bind_text(stmt, n, (const char *)sqlite3_value_text(v),
				  sqlite3_value_bytes(v), SQLITE_STATIC);
		break;
	case SQLITE_BLOB:
		sqlite3_bind_blob(stmt, n, sqlite3_value_blob(v), sqlite3_value_bytes(v),
				  SQLITE_STATIC);
		break;
	default:
		sqlite3_bind_null(stmt, n);
	}
}

/* Binds the scan's values to stmt in build_sql()'s order; a file takes a
 * rowid without its file's id, and the window. The statement's literals
 * only when literals is true: they do not change from one scan of a plan
 * to the next, and binding again a parameter SQLite planned by (that of a
 * LIKE) makes it prepare the statement again. */
static void bind_scan(const struct union_cursor *cur, sqlite3_stmt *stmt, bool memo, bool literals)
{
	struct union_vtab *vt = (struct union_vtab *)cur->base.pVtab;
	const struct union_window *w = vt->mod->window;
	const struct plan *p = &cur->scan->plan;
	int i, j, n = 0;

	for (i = 0; i < p->n_terms; i++) {
		if (memo && memo_file_term(vt, &p->terms[i])) {
			sqlite3_bind_int(stmt, ++n, memo_fid(cur->scan, cur->bound[i].vals[0]));
			continue;
		}
		if (!(cur->push & 1ULL << i) || p->terms[i].col == vt->n_cols || p->terms[i].argv < 0)
			continue;
		if (!literals && p->terms[i].flags & TERM_LITERAL) {
			n += cur->bound[i].json ? 1 : cur->bound[i].n;
			continue;
		}
		if (cur->bound[i].json) {
			sqlite3_bind_text(stmt, ++n, cur->bound[i].json, -1, SQLITE_STATIC);
			continue;
		}
		for (j = 0; j < cur->bound[i].n; j++) {
			sqlite3_value *v = cur->bound[i].vals[j];

			if (p->terms[i].col < 0 && !memo)
				sqlite3_bind_int64(stmt, ++n, sqlite3_value_int64(v) &
								      ((1LL << CATALOG_ROWID_BITS) - 1));
			else if (memo)
				/* A copy: v goes with xFilter (borrowed) or the
				 * cursor, and a literal stays bound after both. */
				sqlite3_bind_value(stmt, ++n, v);
			else
				bind_static(stmt, ++n, v);
		}
	}
	if (!memo && sqlite3_bind_parameter_count(stmt) == n + 2) {
		sqlite3_bind_int64(stmt, n + 1, w->since_us);
		sqlite3_bind_int64(stmt, n + 2, w->until_us);
	}
}

/* The key of ORDER BY term i on src's current row. */
static struct key order_key(const struct union_cursor *cur, const struct source *src, int i,
			    const struct scan *m)
{
	struct union_vtab *vt = (struct union_vtab *)cur->base.pVtab;
	int col = cur->scan->plan.order[i].col;
	struct key k = { SQLITE_NULL };

	if (col < 0) {
		k.type = SQLITE_INTEGER;
		k.i = sqlite3_column_int64(src->stmt, 0);
		if (src->file)
			k.i = catalog_rowid(src->file, k.i);
	} else if (col == vt->n_cols) {
		k.type = SQLITE_TEXT;
		k.p = src->file ? src->file->path : m->paths[sqlite3_column_int(src->stmt, 1)];
		k.n = (int)strlen(k.p);
	} else if (cur->scan->out_col[col] >= 0) {
		k = value_key(sqlite3_column_value(src->stmt, cur->cols_base + cur->scan->out_col[col]));
	}
	return k;
}

/* Orders two sources' current rows by the plan's ORDER BY. */
static int source_cmp(const struct union_cursor *cur, const struct source *a,
		      const struct source *b)
{
	int i, d;

	for (i = 0; i < cur->scan->plan.n_order; i++) {
		struct key ka = order_key(cur, a, i, cur->scan), kb = order_key(cur, b, i, cur->scan);

		d = key_cmp(&ka, &kb);
		if (d)
			return cur->scan->plan.order[i].desc ? -d : d;
	}
	return 0;
}

/* Restores the heap order of cur->srcs below position i. */
static void sift_down(struct union_cursor *cur, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct source tmp;

		if (l < cur->n_srcs && source_cmp(cur, &cur->srcs[l], &cur->srcs[m]) < 0)
			m = l;
		if (r < cur->n_srcs && source_cmp(cur, &cur->srcs[r], &cur->srcs[m]) < 0)
			m = r;
		if (m == i)
			return;
		tmp = cur->srcs[i];
		cur->srcs[i] = cur->srcs[m];
		cur->srcs[m] = tmp;
		i = m;
	}
}

/* Records a failure that ends the statement, with msg. Returns rc. */
static int scan_fail(struct union_cursor *cur, int rc, const char *msg)
{
	struct union_vtab *vt = (struct union_vtab *)cur->base.pVtab;

	sqlite3_free(vt->base.zErrMsg);
	vt->base.zErrMsg = sqlite3_mprintf("%s", msg);
	return rc;
}

/*
 * Steps src after a failure-free start. Returns SQLITE_ROW, SQLITE_DONE,
 * SQLITE_OK when src's file failed before giving a row (it is skipped,
 * warned about once) or an error that ends the statement: an interrupt, a
 * file failing after it gave rows (an answer must not be partial), or a
 * rowid that does not fit.
 */
static int source_step(struct union_cursor *cur, struct source *src)
{
	struct union_vtab *vt = (struct union_vtab *)cur->base.pVtab;
	struct catalog *c = vt->mod->catalog;
	char why[512];
	int rc = sqlite3_step(src->stmt);

	if (rc == SQLITE_ROW) {
		if (src->file && catalog_rowid(src->file, sqlite3_column_int64(src->stmt, 0)) < 0) {
			snprintf(why, sizeof(why), "%s: a row id of %s is outside 0 to 2^%d",
				 src->file->path, vt->t->name, CATALOG_ROWID_BITS);
			return scan_fail(cur, SQLITE_CORRUPT, why);
		}
		src->rows++;
		c->rows_read++;
		return SQLITE_ROW;
	}
	if (rc == SQLITE_DONE)
		return rc;
	if (!src->file)
		return scan_fail(cur, rc, sqlite3_errmsg(vt->mod->memo_db));
	if (rc == SQLITE_INTERRUPT || rc == SQLITE_NOMEM) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s while reading %s", sqlite3_errstr(rc),
			 src->file->path);
		return scan_fail(cur, rc, msg);
	}
	snprintf(why, sizeof(why), "%s", sqlite3_errmsg(src->file->db));
	if (src->rows) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s: %s after %llu rows of %s; the file is skipped from now on",
			 src->file->path, why, (unsigned long long)src->rows, vt->t->name);
		catalog_finish(c, src->file, src->stmt);
		src->stmt = NULL;
		catalog_skip_quietly(c, src->file, why);
		return scan_fail(cur, rc, msg);
	}
	catalog_finish(c, src->file, src->stmt);
	src->stmt = NULL;
	return catalog_skip(c, src->file, why) ? scan_fail(cur, SQLITE_NOMEM, "out of memory") :
						  SQLITE_OK;
}

/* Starts src on file f: prepares and binds its query and steps to its
 * first row. Returns as source_step() does, SQLITE_OK when f is skipped. */
static int source_start(struct union_cursor *cur, struct source *src, struct catalog_file *f)
{
	struct union_vtab *vt = (struct union_vtab *)cur->base.pVtab;
	const char *sql = file_sql(cur, f);

	*src = (struct source){ .file = f };
	if (!sql)
		return scan_fail(cur, SQLITE_NOMEM, "out of memory");
	if (cur->scan->state == MEMO_COUNTING)
		cur->scan->work += MEMO_FILE_STEPS;
	src->stmt = catalog_prepare(vt->mod->catalog, f, sql);
	if (!src->stmt)
		return SQLITE_OK;
	bind_scan(cur, src->stmt, false, true);
	return source_step(cur, src);
}

/* Moves to the next row of a scan reading files one after another.
 * Returns an SQLite result code; at the end cur->eof is set. */
static int advance_sequential(struct union_cursor *cur, bool first)
{
	struct source *src = &cur->srcs[0];
	int rc = first ? SQLITE_DONE : source_step(cur, src);

	while (rc != SQLITE_ROW) {
		if (rc != SQLITE_DONE && rc != SQLITE_OK)
			return rc;
		source_close(cur, src);
		if (cur->next_file == cur->n_files) {
			cur->eof = true;
			return SQLITE_OK;
		}
		rc = source_start(cur, src, cur->files[cur->next_file++]);
	}
	cur->eof = false;
	return SQLITE_OK;
}

/* Moves to the next row of a merged scan: the least of the sources'
 * current rows. Returns an SQLite result code; at the end cur->eof is
 * set. */
static int advance_merged(struct union_cursor *cur)
{
	int rc = source_step(cur, &cur->srcs[0]);

	if (rc != SQLITE_ROW && rc != SQLITE_DONE && rc != SQLITE_OK)
		return rc;
	if (rc != SQLITE_ROW) {
		source_close(cur, &cur->srcs[0]);
		cur->srcs[0] = cur->srcs[--cur->n_srcs];
	}
	if (cur->n_srcs)
		sift_down(cur, 0);
	cur->eof = !cur->n_srcs;
	return SQLITE_OK;
}

/* Starts every file of a merged scan and orders them into a heap. Returns
 * an SQLite result code. */
static int start_merged(struct union_cursor *cur)
{
	size_t i;
	int rc;

	for (i = 0; i < cur->n_files; i++) {
		struct source *src = &cur->srcs[cur->n_srcs];

		rc = source_start(cur, src, cur->files[i]);
		if (rc == SQLITE_ROW)
			cur->n_srcs++;
		else if (rc != SQLITE_DONE && rc != SQLITE_OK)
			return rc;
		else
			source_close(cur, src);
	}
	for (i = cur->n_srcs / 2; i-- > 0;)
		sift_down(cur, i);
	cur->eof = !cur->n_srcs;
	return SQLITE_OK;
}

/* The rows of vt's table in the files the window can touch, and those
 * files' number. */
static double window_rows(const struct union_vtab *vt, size_t *n_files)
{
	const struct catalog *c = vt->mod->catalog;
	double rows = 0;
	size_t i;

	*n_files = 0;
	for (i = 0; i < c->n_files; i++)
		if (!c->files[i]->error && in_window(vt, c->files[i])) {
			rows += (double)c->files[i]->rows[vt->ti];
			(*n_files)++;
		}
	return rows;
}

/* The work of copying rows of the window from n_files into the memo and
 * indexing them, for the scan's plan, in virtual machine steps. */
static double memo_cost(const struct union_cursor *cur, double rows, size_t n_files)
{
	int col, n_used = 0;

	for (col = 0; col < CATALOG_COLS_MAX; col++)
		n_used += cur->scan->plan.used >> col & 1;
	return rows * (MEMO_ROW_STEPS + MEMO_COLUMN_STEPS * n_used) + n_files * MEMO_FILE_STEPS + 1;
}

/* The scan of plan key in the running statement, made (its plan read,
 * its memo counting) when new; scans of earlier statements are dropped.
 * Returns it, or NULL with *rc set. */
static struct scan *scan_get(struct union_vtab *vt, const char *key, int *rc)
{
	uint64_t stamp = vt->mod->catalog->stamp;
	struct scan *sc;
	int i, n = 0;

	scans_release(vt, stamp);
	for (sc = vt->scans; sc; sc = sc->next)
		if (!strcmp(sc->key, key))
			return sc;
	sc = calloc(1, sizeof(*sc));
	if (!sc || !(sc->key = strdup(key))) {
		free(sc);
		*rc = SQLITE_NOMEM;
		return NULL;
	}
	if (plan_read(key, &sc->plan)) {
		scan_free(vt->mod, sc);
		*rc = SQLITE_ERROR;
		return NULL;
	}
	for (i = 0; i < vt->n_cols; i++)
		sc->out_col[i] = sc->plan.used & 1ULL << i ? n++ : -1;
	sc->stamp = stamp;
	sc->next = vt->scans;
	vt->scans = sc;
	return sc;
}

/* Orders files by path, as the memo numbers them. */
static int path_order(const void *a, const void *b)
{
	return strcmp((*(struct catalog_file *const *)a)->path,
		      (*(struct catalog_file *const *)b)->path);
}

/* Runs sql on the memo database. Returns an SQLite result code. */
static int memo_exec(struct union_module *mod, const char *fmt, ...)
{
	va_list ap;
	char *sql;
	int rc;

	va_start(ap, fmt);
	sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	rc = sql ? sqlite3_exec(mod->memo_db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
	sqlite3_free(sql);
	return rc;
}

/* Writes into s the columns a lookup in the memo goes by: the terms passed
 * on that compare for equality, then one range, so that a lookup finds its
 * rows directly. Returns them as a mask of columns. */
static uint64_t memo_key_columns(const struct union_cursor *cur, int n_cols, sqlite3_str *s)
{
	uint64_t done = 0;
	int i, pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < cur->scan->plan.n_terms; i++) {
			const struct term *t = &cur->scan->plan.terms[i];
			bool eq = t->op == SQLITE_INDEX_CONSTRAINT_EQ ||
				  t->op == SQLITE_INDEX_CONSTRAINT_IS;

			if (!(cur->push & 1ULL << i) || t->col < 0 || t->col >= n_cols ||
			    done >> t->col & 1 || !is_comparison(t->op) ||
			    t->op == SQLITE_INDEX_CONSTRAINT_NE || t->op == SQLITE_INDEX_CONSTRAINT_ISNOT ||
			    eq != !pass)
				continue;
			sqlite3_str_appendf(s, "%sc%d", done ? ", " : "", t->col);
			done |= 1ULL << t->col;
			if (pass)
				break;
		}
	return done;
}

/* Writes into s the columns of the memo's index: its key columns, then
 * every other column, so that the index alone answers (SQLite's covering
 * index). */
static void memo_index_columns(const struct union_cursor *cur, int n_cols, sqlite3_str *s)
{
	uint64_t done = memo_key_columns(cur, n_cols, s);
	int col;

	for (col = 0; col < n_cols; col++)
		if (cur->scan->plan.used >> col & 1 && !(done >> col & 1)) {
			sqlite3_str_appendf(s, "%sc%d", done ? ", " : "", col);
			done |= 1ULL << col;
		}
	sqlite3_str_appendf(s, "%sfid", done ? ", " : "");
}

/* True when the memo can keep its rows in the order of its key columns
 * alone, in a table without rowid: one b-tree instead of a table and a
 * sorted copy of it as an index. Not when the plan passes a term on the
 * rowid to its scans (the rows are then found by rid), nor when a key
 * column may be NULL in one of the n files (such a table's key cannot
 * hold NULL). */
static bool memo_keyed(const struct union_cursor *cur, struct catalog_file **files, size_t n)
{
	struct union_vtab *vt = (struct union_vtab *)cur->base.pVtab;
	sqlite3_str *s = sqlite3_str_new(NULL);
	uint64_t keys = memo_key_columns(cur, vt->n_cols, s);
	size_t i;

	sqlite3_free(sqlite3_str_finish(s));
	for (i = 0; i < (size_t)cur->scan->plan.n_terms; i++)
		if (cur->push & 1ULL << i && cur->scan->plan.terms[i].col < 0)
			return false;
	if ((keys & vt->notnull) != keys)
		return false;
	for (i = 0; i < n; i++)
		if ((files[i]->columns[vt->ti] & keys) != keys)
			return false;
	return true;
}

/* Copies one file's rows of the window into the memo's table under file
 * number fid, MEMO_BATCH rows to a run of insert (whose last parameter
 * says how many of its rows to take): a statement's start and end cost
 * more than the row it inserts. Returns SQLITE_DONE, SQLITE_FULL when the
 * memo outgrew its budget, or another SQLite result code. */
static int memo_copy_file(struct union_cursor *cur, struct scan *m, struct catalog_file *f,
			  int fid, sqlite3_stmt *insert)
{
	struct union_vtab *vt = (struct union_vtab *)cur->base.pVtab;
	struct catalog *c = vt->mod->catalog;
	uint64_t saved = cur->push;
	sqlite3_stmt *stmt;
	char *sql;
	int rc, col, n_out = 0, held = 0, limit = sqlite3_bind_parameter_count(insert);

	for (col = 0; col < vt->n_cols; col++)
		n_out += !!(cur->scan->plan.used & 1ULL << col);
	sql = build_sql(vt, cur, f->columns[vt->ti], 0, false, false, vt->t->name);
	if (!sql)
		return SQLITE_NOMEM;
	stmt = catalog_prepare(c, f, sql);
	sqlite3_free(sql);
	if (!stmt)
		return SQLITE_ERROR;
	cur->push = 0;
	bind_scan(cur, stmt, false, true);
	cur->push = saved;
	for (;;) {
		int64_t rowid;
		int used, high, at = held * (n_out + 2);

		rc = sqlite3_step(stmt);
		/* A full batch, or the file's last rows. */
		if (held == MEMO_BATCH || (rc != SQLITE_ROW && held)) {
			int done;

			sqlite3_bind_int(insert, limit, held);
			done = sqlite3_step(insert);
			sqlite3_reset(insert);
			if (done != SQLITE_DONE) {
				rc = done;
				break;
			}
			m->n_rows += (uint64_t)held;
			held = at = 0;
			if (!sqlite3_db_status(vt->mod->memo_db, SQLITE_DBSTATUS_CACHE_USED, &used,
					       &high, 0) &&
			    used > MEMO_BYTES_MAX) {
				rc = SQLITE_FULL;
				break;
			}
		}
		if (rc != SQLITE_ROW)
			break;
		rowid = catalog_rowid(f, sqlite3_column_int64(stmt, 0));
		if (rowid < 0) {
			rc = SQLITE_CORRUPT;
			break;
		}
		sqlite3_bind_int64(insert, at + 1, rowid);
		sqlite3_bind_int(insert, at + 2, fid);
		/* Copied: the source steps on before the batch is inserted. */
		for (col = 0; col < n_out; col++)
			sqlite3_bind_value(insert, at + col + 3, sqlite3_column_value(stmt, col + 1));
		held++;
	}
	sqlite3_clear_bindings(insert);
	catalog_finish(c, f, stmt);
	return rc;
}

/*
 * Copies the window's rows of every file into an indexed table of the
 * memo database, for the plan's later scans: the files' columns in use as
 * they are stored (no declared type, so no affinity changes them), each
 * row's session rowid and its file's number. A memo over its budget, or a
 * file that cannot be read, leaves the plan to read the files (MEMO_NEVER).
 * Returns an SQLite result code: only an interrupt ends the statement.
 */
static int memo_build(struct union_cursor *cur, struct scan *m)
{
	struct union_vtab *vt = (struct union_vtab *)cur->base.pVtab;
	struct union_module *mod = vt->mod;
	struct catalog *c = mod->catalog;
	struct catalog_file **files = NULL;
	sqlite3_stmt *insert = NULL;
	sqlite3_str *s;
	size_t i, n = 0;
	char *sql;
	int rc, col, n_out = 0;
	double bytes = 0;
	bool keyed;

	for (col = 0; col < vt->n_cols; col++)
		n_out += !!(cur->scan->plan.used & 1ULL << col);
	m->state = MEMO_NEVER;
	files = malloc((c->n_files + 1) * sizeof(*files));
	if (!files)
		return SQLITE_NOMEM;
	for (i = 0; i < c->n_files; i++)
		if (!c->files[i]->error && in_window(vt, c->files[i])) {
			files[n++] = c->files[i];
			/* The table, and its index as large again. */
			bytes += (double)c->files[i]->rows[vt->ti] * 2 *
				 (MEMO_ROW_BYTES + MEMO_VALUE_BYTES * n_out);
		}
	rc = SQLITE_OK;
	if (bytes > MEMO_BYTES_MAX)
		goto cleanup;
	qsort(files, n, sizeof(*files), path_order);
	m->paths = calloc(n + 1, sizeof(*m->paths));
	m->table = malloc(32);
	if (!m->paths || !m->table) {
		rc = SQLITE_NOMEM;
		goto cleanup;
	}
	m->seq = mod->memo_seq++;
	snprintf(m->table, 32, "m%u", m->seq);
	keyed = memo_keyed(cur, files, n);
	s = sqlite3_str_new(NULL);
	sqlite3_str_appendf(s, "CREATE TABLE \"%w\"(rid INTEGER%s, fid", m->table,
			    keyed ? "" : " PRIMARY KEY");
	for (col = 0; col < vt->n_cols; col++)
		if (cur->scan->plan.used & 1ULL << col)
			sqlite3_str_appendf(s, ", c%d", col);
	if (keyed) {
		sqlite3_str_appendall(s, ", PRIMARY KEY(");
		if (memo_key_columns(cur, vt->n_cols, s))
			sqlite3_str_appendall(s, ", ");
		sqlite3_str_appendall(s, "rid)) WITHOUT ROWID");
	} else {
		sqlite3_str_appendall(s, ")");
	}
	sql = sqlite3_str_finish(s);
	rc = sql ? sqlite3_exec(mod->memo_db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
	sqlite3_free(sql);
	if (rc)
		goto cleanup;
	s = sqlite3_str_new(NULL);
	sqlite3_str_appendf(s, "INSERT INTO \"%w\" SELECT * FROM (VALUES ", m->table);
	for (i = 0; i < MEMO_BATCH; i++) {
		sqlite3_str_appendall(s, i ? ", (?, ?" : "(?, ?");
		for (col = 0; col < n_out; col++)
			sqlite3_str_appendall(s, ", ?");
		sqlite3_str_appendall(s, ")");
	}
	sqlite3_str_appendall(s, ") LIMIT ?");
	sql = sqlite3_str_finish(s);
	rc = sql ? sqlite3_prepare_v2(mod->memo_db, sql, -1, &insert, NULL) : SQLITE_NOMEM;
	sqlite3_free(sql);
	if (!rc)
		rc = memo_exec(mod, "SAVEPOINT memo");
	for (i = 0; !rc && i < n; i++) {
		m->paths[m->n_paths] = strdup(files[i]->path);
		if (!m->paths[m->n_paths]) {
			rc = SQLITE_NOMEM;
			break;
		}
		m->n_paths++;
		rc = memo_copy_file(cur, m, files[i], (int)i, insert);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(insert);
	if (rc) {
		memo_exec(mod, "ROLLBACK TO memo");
		memo_exec(mod, "RELEASE memo");
		goto cleanup;
	}
	rc = memo_exec(mod, "RELEASE memo");
	if (!keyed) {
		s = sqlite3_str_new(NULL);
		memo_index_columns(cur, vt->n_cols, s);
		sql = sqlite3_str_finish(s);
		if (!rc)
			rc = sql ? memo_exec(mod, "CREATE INDEX \"%w_i\" ON \"%w\"(%s)", m->table,
					     m->table, sql) :
				   SQLITE_NOMEM;
		sqlite3_free(sql);
	}
	/* One read transaction for all the probes that follow, not one
	 * each: it ends with the statement (union_release()). */
	if (!rc && sqlite3_get_autocommit(mod->memo_db))
		rc = memo_exec(mod, "BEGIN");
	if (!rc)
		m->state = MEMO_READY;
cleanup:
	free(files);
	if (m->state != MEMO_READY && m->table) {
		memo_exec(mod, "DROP TABLE IF EXISTS \"%w\"", m->table);
		free(m->table);
		m->table = NULL;
	}
	/* Only an interrupt ends the statement: without the memo (too large
	 * for the memory budget, say) the files answer, more slowly. */
	return rc == SQLITE_INTERRUPT ? rc : SQLITE_OK;
}

/* Starts the scan on the memo: its query for the terms passed on (the
 * scan's, or the cursor's own while another cursor reads that), bound, at
 * its first row. Returns an SQLite result code. */
static int start_memo(struct union_cursor *cur)
{
	struct union_vtab *vt = (struct union_vtab *)cur->base.pVtab;
	struct source *src = &cur->srcs[0];
	struct scan *sc = cur->scan;
	sqlite3_stmt **stmt = sc->memo_busy ? &cur->own_stmt : &sc->memo_stmt;
	bool fresh = !*stmt || sc->memo_busy || memcmp(sc->memo_args, cur->args, sizeof(cur->args));
	char *sql;
	int rc;

	*src = (struct source){ 0 };
	if (fresh) {
		sqlite3_finalize(*stmt);
		*stmt = NULL;
		sql = build_sql(vt, cur, ~0ULL, cur->push, true, true, sc->table);
		rc = sql ? sqlite3_prepare_v2(vt->mod->memo_db, sql, -1, stmt, NULL) : SQLITE_NOMEM;
		sqlite3_free(sql);
		if (rc)
			return scan_fail(cur, rc, sqlite3_errmsg(vt->mod->memo_db));
		if (stmt == &sc->memo_stmt)
			memcpy(sc->memo_args, cur->args, sizeof(cur->args));
	}
	src->stmt = *stmt;
	sc->memo_busy |= stmt == &sc->memo_stmt;
	cur->n_srcs = 1;
	bind_scan(cur, src->stmt, true, fresh);
	rc = source_step(cur, src);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rc;
	cur->eof = rc == SQLITE_DONE;
	return SQLITE_OK;
}

/* Whether n bytes at s are valid UTF-8, which json_each() reads back as
 * the same text. */
static bool valid_utf8(const unsigned char *s, int n)
{
	int i = 0, more;

	while (i < n) {
		unsigned char c = s[i++];

		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf)
			more = 1;
		else if (c >= 0xe0 && c <= 0xef)
			more = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			more = 3;
		else
			return false;
		for (; more; more--)
			if (i >= n || (s[i++] & 0xc0) != 0x80)
				return false;
	}
	return true;
}

/* Writes b's values as a JSON array that json_each() gives back exactly:
 * integers, text and NULL only (a real could come back rounded, a blob not
 * at all). Returns it (sqlite3_free it), or NULL when a value cannot be
 * written so or out of memory. */
static char *json_list(const struct bound *b)
{
	sqlite3_str *s = sqlite3_str_new(NULL);
	int i, j;

	sqlite3_str_appendchar(s, 1, '[');
	for (i = 0; i < b->n; i++) {
		sqlite3_value *v = b->vals[i];
		const unsigned char *t;

		if (i)
			sqlite3_str_appendchar(s, 1, ',');
		switch (sqlite3_value_type(v)) {
		case SQLITE_INTEGER:
			sqlite3_str_appendf(s, "%lld", sqlite3_value_int64(v));
			break;
		case SQLITE_NULL:
			sqlite3_str_appendall(s, "null");
			break;
		case SQLITE_TEXT:
			t = sqlite3_value_text(v);
			if (!valid_utf8(t, sqlite3_value_bytes(v)))
				goto fail;
			sqlite3_str_appendchar(s, 1, '"');
			for (j = 0; j < sqlite3_value_bytes(v); j++) {
				if (t[j] == '"' || t[j] == '\\' || t[j] < 0x20)
					sqlite3_str_appendf(s, "\\u%04x", t[j]);
				else
					sqlite3_str_appendchar(s, 1, (char)t[j]);
			}
			sqlite3_str_appendchar(s, 1, '"');
			break;
		default:
			goto fail;
		}
	}
	sqlite3_str_appendchar(s, 1, ']');
	return sqlite3_str_finish(s);
fail:
	sqlite3_free(sqlite3_str_finish(s));
	return NULL;
}

/* Takes the values of term i of the scan from argv: one, or a whole IN
 * list. Returns an SQLite result code. */
static int bind_term(struct union_cursor *cur, int i, sqlite3_value **argv)
{
	const struct term *t = &cur->scan->plan.terms[i];
	struct bound *b = &cur->bound[i];
	sqlite3_value *v;
	int rc;

	if (!(t->flags & TERM_IN)) {
		b->vals = &b->one;
		b->n = 1;
		/* A scan of the memo binds its values before xFilter returns. */
		b->borrowed = cur->scan->state == MEMO_READY;
		b->one = b->borrowed ? argv[t->argv] : sqlite3_value_dup(argv[t->argv]);
		if (!b->one) {
			b->n = 0;
			return SQLITE_NOMEM;
		}
		return SQLITE_OK;
	}
	for (rc = sqlite3_vtab_in_first(argv[t->argv], &v); rc == SQLITE_OK && v;
	     rc = sqlite3_vtab_in_next(argv[t->argv], &v)) {
		sqlite3_value **grown = realloc(b->vals, (b->n + 1) * sizeof(*grown));

		if (!grown)
			return SQLITE_NOMEM;
		b->vals = grown;
		b->vals[b->n] = sqlite3_value_dup(v);
		if (!b->vals[b->n])
			return SQLITE_NOMEM;
		b->n++;
	}
	return rc == SQLITE_DONE || rc == SQLITE_OK ? SQLITE_OK : rc;
}

/* Whether file f can hold rows of the scan: the window, and every term
 * whose values are known, for one value at least. */
static bool file_can_match(const struct union_cursor *cur, const struct catalog_file *f)
{
	struct union_vtab *vt = (struct union_vtab *)cur->base.pVtab;
	int i, j;

	if (f->error || !in_window(vt, f))
		return false;
	for (i = 0; i < cur->scan->plan.n_terms; i++) {
		const struct bound *b = &cur->bound[i];
		bool any = !b->n;

		for (j = 0; !any && j < b->n; j++)
			any = term_can_match(vt, &cur->scan->plan.terms[i], f, b->vals[j]);
		if (!any)
			return false;
	}
	return true;
}

/* xFilter: takes the plan and its values, decides what the files are
 * given, and starts reading the memo, or the files one after another or
 * merged. */
/* Microseconds of a monotonic clock. */
static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The columns of table ti a copy holds: those the statement uses, the
 * file column among them. */
static int copy_columns(const struct union_module *mod, int ti)
{
	int col, n = 0;

	for (col = 0; col <= mod->catalog->tables[ti].n_cols; col++)
		n += mod->stmt_cols[ti] >> col & 1;
	return n;
}

/* The file schema indexes of table ti a copy makes: those led by a
 * column in use. */
static int copy_indexes(const struct union_module *mod, int ti)
{
	const struct union_vtab *vt = mod->vtabs[ti];
	int col, n = 0;

	for (col = 0; col < vt->n_cols; col++)
		n += vt->indexed[col] && (mod->stmt_cols[ti] >> col & 1);
	return n;
}

/* Whether a copy of table ti can stand in for it in the statement: the
 * file column it uses becomes an ordinary column of the copy, which a
 * "*" or a join by column names would see. */
static bool copy_can_stand_in(const struct union_module *mod, int ti)
{
	const struct union_vtab *vt = mod->vtabs[ti];
	uint64_t cols = mod->stmt_cols[ti];
	uint64_t all = vt->n_cols >= 64 ? ~0ULL : (1ULL << vt->n_cols) - 1;

	if (!(cols >> vt->n_cols & 1))
		return true;
	return (cols & all) != all && !mod->copy_named_join;
}

/* When the statement that starts now may be run again over copies: once
 * it has taken as long as copying the tables it reads would (INT64_MAX:
 * never). Only when copies can stand in for every table
 * (copy_can_stand_in), hold COPY_ROWS_MAX rows at most and fit
 * MEMO_BYTES_MAX. Sets mod->copy_rows. */
static int64_t copy_deadline(struct union_module *mod)
{
	double us = 0, bytes = 0, rows = 0;
	size_t n_files;
	int ti;

	if (mod->copy_mode == COPY_NEVER || !mod->stmt_tables)
		return INT64_MAX;
	for (ti = 0; ti < CATALOG_TABLES; ti++) {
		double n;
		int n_cols;

		if (!(mod->stmt_tables >> ti & 1))
			continue;
		if (!mod->vtabs[ti] || !copy_can_stand_in(mod, ti))
			return INT64_MAX;
		n = window_rows(mod->vtabs[ti], &n_files);
		n_cols = copy_columns(mod, ti);
		rows += n;
		bytes += n * 2 * (MEMO_ROW_BYTES + MEMO_VALUE_BYTES * n_cols);
		us += (double)n_files * COPY_FILE_US +
		      n * (COPY_ROW_US + COPY_COLUMN_US * n_cols +
			   COPY_INDEX_ROW_US * copy_indexes(mod, ti));
	}
	if (rows > COPY_ROWS_MAX || bytes > MEMO_BYTES_MAX)
		return INT64_MAX;
	mod->copy_rows = rows;
	return now_us() + (mod->copy_mode == COPY_ALWAYS ? 0 : (int64_t)us);
}

enum union_copy union_copy_state(const struct union_module *mod)
{
	int64_t now;

	if (!mod || !mod->copy_allowed || mod->copy_at_us == INT64_MAX)
		return UNION_COPY_NO;
	if (mod->copy_mode == COPY_ALWAYS)
		return mod->inner_loop ? UNION_COPY_DUE : UNION_COPY_HOLD;
	now = now_us();
	/* An inner loop whose memo serves its probes in a few steps each is
	 * left to finish: a copy would cost as much again. One whose memo is
	 * not ready yet, or whose probes of it read many rows (terms no file
	 * is given, long IN lists, counts), is not. */
	if (mod->inner_loop && now >= mod->copy_at_us &&
	    (!mod->memo_ready || mod->memo_steps >= COPY_PROBE_STEPS * mod->memo_probes ||
	     (double)mod->memo_probes >= COPY_PROBES_PER_ROW * mod->copy_rows))
		return UNION_COPY_DUE;
	/* Rows are held twice as long as a copy would take: the inner loop's
	 * probes may only then tell. */
	return now < mod->copy_at_us + (mod->copy_at_us - mod->copy_from_us) ? UNION_COPY_HOLD :
										UNION_COPY_NO;
}

static int union_filter(sqlite3_vtab_cursor *base, int idx_num, const char *idx_str, int argc,
			sqlite3_value **argv)
{
	struct union_cursor *cur = (struct union_cursor *)base;
	struct union_vtab *vt = (struct union_vtab *)base->pVtab;
	struct catalog *c = vt->mod->catalog;
	struct scan *sc;
	size_t i, n_window;
	int t, j, rc;

	cursor_reset(cur);
	sc = scan_get(vt, idx_str ? idx_str : "", &rc);
	if (!sc)
		return scan_fail(cur, rc, rc == SQLITE_NOMEM ? "out of memory" :
							 "flowdb: a plan this table did not make");
	cur->scan = sc;
	vt->mod->inner_loop |= ++sc->filters > 1;
	if (union_copy_state(vt->mod) == UNION_COPY_DUE) {
		vt->mod->copy_wanted = true;
		return scan_fail(cur, SQLITE_ABORT, "flowdb: stopped to run again over copies");
	}
	cur->push = 0;
	memset(cur->args, 0, sizeof(cur->args));
	for (t = 0; t < sc->plan.n_terms; t++) {
		const struct term *term = &sc->plan.terms[t];
		struct bound *b = &cur->bound[t];

		cur->n_bound = t + 1;
		if (term->argv >= argc)
			return scan_fail(cur, SQLITE_ERROR, "flowdb: a plan this table did not make");
		if (term->argv >= 0 && (rc = bind_term(cur, t, argv)))
			return rc;
		b->push = true;
		for (j = 0; j < b->n; j++)
			b->push &= pushable(vt, term, b->vals[j]);
		if (b->push && b->n > IN_LIST_MAX && term->col >= 0 && term->col < vt->n_cols) {
			b->json = json_list(b);
			b->push = b->json != NULL;
		}
		if (b->push && term->col != vt->n_cols) {
			cur->push |= 1ULL << t;
			cur->args[t] = (unsigned char)(b->json ? 1 : b->n);
		}
	}
	if (sc->state == MEMO_COUNTING && !sc->cost) {
		double rows = window_rows(vt, &n_window);

		sc->cost = memo_cost(cur, rows, n_window);
	}
	if (sc->state == MEMO_COUNTING && sc->work >= sc->cost) {
		rc = memo_build(cur, sc);
		if (rc)
			return scan_fail(cur, rc, "interrupted while copying the rows of an inner loop");
	}
	if (sc->state == MEMO_READY) {
		vt->mod->memo_ready = true;
		cur->srcs = &cur->memo_src;
		cur->cols_base = 2;
		return start_memo(cur);
	}
	cur->srcs = calloc(c->n_files + 1, sizeof(*cur->srcs));
	if (!cur->srcs)
		return SQLITE_NOMEM;
	cur->cols_base = 1;
	cur->files = malloc((c->n_files + 1) * sizeof(*cur->files));
	if (!cur->files)
		return SQLITE_NOMEM;
	for (i = 0; i < c->n_files; i++)
		if (file_can_match(cur, c->files[i]))
			cur->files[cur->n_files++] = c->files[i];
	cur->merge = cur->scan->plan.n_order > 0;
	if (cur->merge)
		return start_merged(cur);
	cur->n_srcs = 1;
	return advance_sequential(cur, true);
}

/* xNext. */
static int union_next(sqlite3_vtab_cursor *base)
{
	struct union_cursor *cur = (struct union_cursor *)base;

	if (cur->merge)
		return advance_merged(cur);
	return advance_sequential(cur, false);
}

/* xEof. */
static int union_eof(sqlite3_vtab_cursor *base)
{
	return ((struct union_cursor *)base)->eof;
}

/* xColumn: the value as the source stored it; columns not in use were
 * not read. */
static int union_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int col)
{
	struct union_cursor *cur = (struct union_cursor *)base;
	struct union_vtab *vt = (struct union_vtab *)base->pVtab;
	const struct source *src = &cur->srcs[0];

	if (col == vt->n_cols)
		sqlite3_result_text(ctx,
				    src->file ? src->file->path :
						cur->scan->paths[sqlite3_column_int(src->stmt, 1)],
				    -1, SQLITE_TRANSIENT);
	else if (col >= 0 && col < vt->n_cols && cur->scan->out_col[col] >= 0)
		sqlite3_result_value(ctx, sqlite3_column_value(src->stmt,
							       cur->cols_base + cur->scan->out_col[col]));
	return SQLITE_OK;
}

/* xRowid: see the contract at the top. */
static int union_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid)
{
	struct union_cursor *cur = (struct union_cursor *)base;
	const struct source *src = &cur->srcs[0];
	int64_t v = sqlite3_column_int64(src->stmt, 0);

	*rowid = src->file ? catalog_rowid(src->file, v) : v;
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

/* Opens an empty memo database into *db. Returns an SQLite result code. */
static int memo_open(struct union_module *mod, sqlite3 **db)
{
	int rc = sqlite3_open_v2(":memory:", db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc) {
		sqlite3_close(*db);
		*db = NULL;
		return rc;
	}
	if (mod->catalog->progress)
		sqlite3_progress_handler(*db, 1000, mod->catalog->progress,
					 mod->catalog->progress_arg);
	return SQLITE_OK;
}

/* Frees the module when its connection closes. */
static void module_free(void *arg)
{
	struct union_module *mod = arg;

	sqlite3_close(mod->memo_db);
	sqlite3_free(mod);
}

int union_register(sqlite3 *db, sqlite3 *schema_db, struct catalog *c, const struct union_window *w,
		   struct union_module **out)
{
	struct union_module *mod = sqlite3_malloc(sizeof(*mod));
	const char *copy_mode;
	int i, rc;

	if (!mod)
		return SQLITE_NOMEM;
	memset(mod, 0, sizeof(*mod));
	mod->catalog = c;
	mod->window = w;
	mod->schema_db = schema_db;
	mod->db = db;
	copy_mode = getenv("FLOWDB_COPY");
	if (copy_mode && !strcmp(copy_mode, "always"))
		mod->copy_mode = COPY_ALWAYS;
	else if (copy_mode && !strcmp(copy_mode, "never"))
		mod->copy_mode = COPY_NEVER;
	rc = memo_open(mod, &mod->memo_db);
	if (rc) {
		sqlite3_free(mod);
		return rc;
	}
	rc = sqlite3_create_module_v2(db, "flowdb", &union_module_methods, mod, module_free);
	for (i = 0; !rc && i < CATALOG_TABLES; i++) {
		char *sql = sqlite3_mprintf("CREATE VIRTUAL TABLE \"%w\" USING flowdb(%s)",
					    catalog_tables[i], catalog_tables[i]);

		rc = sql ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
		sqlite3_free(sql);
	}
	*out = mod;
	return rc;
}

/* True when a scan of mod holds a table in the memo database. */
static bool memo_tables(const struct union_module *mod)
{
	const struct scan *sc;
	int i;

	for (i = 0; i < CATALOG_TABLES; i++)
		for (sc = mod->vtabs[i] ? mod->vtabs[i]->scans : NULL; sc; sc = sc->next)
			if (sc->table)
				return true;
	return false;
}

/* Drops the copies of the last statement's tables. */
static void copies_drop(struct union_module *mod)
{
	int ti;

	for (ti = 0; ti < CATALOG_TABLES; ti++)
		if (mod->copied >> ti & 1) {
			char *sql = sqlite3_mprintf(
				"DROP TABLE IF EXISTS temp.\"%w\"; DELETE FROM temp.sqlite_stat1"
				" WHERE tbl = %Q",
				catalog_tables[ti], catalog_tables[ti]);

			if (sql)
				sqlite3_exec(mod->db, sql, NULL, NULL, NULL);
			sqlite3_free(sql);
		}
	if (mod->copy_stat1)
		sqlite3_exec(mod->db, "DROP TABLE IF EXISTS temp.sqlite_stat1", NULL, NULL, NULL);
	mod->copied = 0;
	mod->copy_stat1 = false;
}

void union_release(struct union_module *mod)
{
	sqlite3 *fresh = NULL;
	int i;

	if (!mod)
		return;
	copies_drop(mod);
	mod->stmt_tables = 0;
	memset(mod->stmt_cols, 0, sizeof(mod->stmt_cols));
	mod->copy_allowed = mod->copy_named_join = mod->inner_loop = mod->copy_wanted = false;
	mod->memo_steps = mod->memo_probes = 0;
	mod->memo_ready = false;
	mod->copy_at_us = INT64_MAX;
	/* Dropping a memo table walks and frees it page by page (a tenth of
	 * a query that built one); closing the whole in-memory database only
	 * frees its pages. Without a new one, the tables are dropped. */
	if (!sqlite3_get_autocommit(mod->memo_db))
		memo_exec(mod, "COMMIT");
	mod->memo_closing = memo_tables(mod) && !memo_open(mod, &fresh);
	for (i = 0; i < CATALOG_TABLES; i++)
		if (mod->vtabs[i])
			scans_release(mod->vtabs[i], 0);
	if (mod->memo_closing) {
		sqlite3_close_v2(mod->memo_db);
		mod->memo_db = fresh;
		mod->memo_closing = false;
	}
}

/* Whether stmt's program starts virtual-table scans in two places at
 * least: with one, no scan of a union table can be an inner loop (bar a
 * table-valued function's), and its rows need not be held back. */
static bool scans_twice(sqlite3 *db, sqlite3_stmt *stmt)
{
	char *sql = sqlite3_mprintf("EXPLAIN %s", sqlite3_sql(stmt));
	sqlite3_stmt *explain;
	int n = 0;

	if (!sql || sqlite3_prepare_v2(db, sql, -1, &explain, NULL)) {
		sqlite3_free(sql);
		return true;
	}
	sqlite3_free(sql);
	while (n < 2 && sqlite3_step(explain) == SQLITE_ROW)
		n += !sqlite3_stricmp((const char *)sqlite3_column_text(explain, 1), "VFilter");
	sqlite3_finalize(explain);
	return n >= 2;
}

void union_allow_copy(struct union_module *mod, sqlite3_stmt *stmt)
{
	const char *sql = stmt ? sqlite3_sql(stmt) : NULL;

	if (!mod)
		return;
	mod->copy_allowed = stmt && mod->stmt_tables && mod->copy_mode != COPY_NEVER &&
			    sqlite3_stmt_readonly(stmt) && scans_twice(mod->db, stmt);
	/* Read loosely: a word in a string only forgoes the copies. */
	mod->copy_named_join = sql && (!sqlite3_strlike("%natural%", sql, 0) ||
				       !sqlite3_strlike("%using%", sql, 0));
	mod->copy_from_us = now_us();
	mod->copy_at_us = mod->copy_allowed ? copy_deadline(mod) : INT64_MAX;
}

bool union_copy_wanted(const struct union_module *mod)
{
	return mod && mod->copy_wanted;
}

/* Makes, on the copy of table ti, the file schema's indexes of the table
 * led by a column in use, under names of their own. Returns an SQLite
 * result code. */
static int copy_make_indexes(struct union_module *mod, int ti)
{
	static const char *const sql =
		"SELECT printf('CREATE INDEX temp.\"flowdb_copy_%w\" ON \"%w\"(%s)', l.name, ?1,"
		" (SELECT group_concat(printf('\"%w\"', name), ', ') FROM"
		" (SELECT name FROM pragma_index_info(l.name) ORDER BY seqno))),"
		" (SELECT name FROM pragma_index_info(l.name) WHERE seqno = 0)"
		" FROM pragma_index_list(?1) l WHERE l.origin = 'c' ORDER BY l.name";
	const struct union_vtab *vt = mod->vtabs[ti];
	sqlite3_stmt *stmt;
	int rc = sqlite3_prepare_v2(mod->schema_db, sql, -1, &stmt, NULL);

	if (rc)
		return rc;
	sqlite3_bind_text(stmt, 1, catalog_tables[ti], -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *index_sql = (const char *)sqlite3_column_text(stmt, 0);
		const char *lead = (const char *)sqlite3_column_text(stmt, 1);
		int col;

		/* An index led by a column the copy leaves NULL serves nothing. */
		for (col = 0; lead && col < vt->n_cols; col++)
			if (!strcmp(vt->t->cols[col], lead))
				break;
		if (lead && col < vt->n_cols && !(mod->stmt_cols[ti] >> col & 1))
			continue;
		rc = index_sql ? sqlite3_exec(mod->db, index_sql, NULL, NULL, NULL) : SQLITE_NOMEM;
		if (rc)
			break;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Copies table ti for the statement: see "Copies" at the top. Returns an
 * SQLite result code. */
static int copy_table(struct union_module *mod, int ti)
{
	const struct union_vtab *vt = mod->vtabs[ti];
	const char *name = catalog_tables[ti];
	sqlite3_str *create = sqlite3_str_new(NULL), *cols = sqlite3_str_new(NULL);
	char *create_sql, *cols_sql, *insert_sql = NULL;
	int col, rc;

	sqlite3_str_appendf(create, "CREATE TEMP TABLE \"%w\"(", name);
	for (col = 0; col < vt->n_cols; col++) {
		sqlite3_str_appendf(create, "%s\"%w\" %s", col ? ", " : "", vt->t->cols[col],
				    vt->t->types[col]);
		if (mod->stmt_cols[ti] >> col & 1)
			sqlite3_str_appendf(cols, ", \"%w\"", vt->t->cols[col]);
	}
	if (mod->stmt_cols[ti] >> vt->n_cols & 1) {
		sqlite3_str_appendall(create, ", file TEXT");
		sqlite3_str_appendall(cols, ", file");
	}
	sqlite3_str_appendall(create, ")");
	create_sql = sqlite3_str_finish(create);
	cols_sql = sqlite3_str_finish(cols);
	if (!create_sql || (!cols_sql && copy_columns(mod, ti))) {
		rc = SQLITE_NOMEM;
		goto cleanup;
	}
	rc = sqlite3_exec(mod->db, create_sql, NULL, NULL, NULL);
	if (rc)
		goto cleanup;
	mod->copied |= 1U << ti;
	insert_sql = sqlite3_mprintf(
		"INSERT INTO temp.\"%w\"(rowid%s) SELECT rowid%s FROM main.\"%w\"", name,
		cols_sql ? cols_sql : "", cols_sql ? cols_sql : "", name);
	rc = insert_sql ? sqlite3_exec(mod->db, insert_sql, NULL, NULL, NULL) : SQLITE_NOMEM;
	if (!rc)
		rc = copy_make_indexes(mod, ti);
	sqlite3_free(insert_sql);
	/* Without statistics SQLite takes a table for a million rows and
	 * builds no automatic index for a correlated subquery. */
	insert_sql = rc ? NULL : sqlite3_mprintf("ANALYZE temp.\"%w\"", name);
	if (!rc)
		rc = insert_sql ? sqlite3_exec(mod->db, insert_sql, NULL, NULL, NULL) : SQLITE_NOMEM;
cleanup:
	sqlite3_free(insert_sql);
	sqlite3_free(create_sql);
	sqlite3_free(cols_sql);
	return rc;
}

int union_copy(struct union_module *mod)
{
	sqlite3_stmt *stmt;
	int ti, rc;

	mod->copy_allowed = mod->copy_wanted = false;
	/* The user's own temp tables of these names stay theirs. */
	rc = sqlite3_prepare_v2(mod->db, "SELECT 1 FROM temp.sqlite_schema WHERE name = ?1 COLLATE NOCASE",
				-1, &stmt, NULL);
	for (ti = 0; !rc && ti < CATALOG_TABLES; ti++) {
		if (!(mod->stmt_tables >> ti & 1))
			continue;
		sqlite3_reset(stmt);
		sqlite3_bind_text(stmt, 1, catalog_tables[ti], -1, SQLITE_STATIC);
		rc = sqlite3_step(stmt);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc == SQLITE_ROW ? SQLITE_CONSTRAINT : rc;
	}
	if (!rc) {
		sqlite3_reset(stmt);
		sqlite3_bind_text(stmt, 1, "sqlite_stat1", -1, SQLITE_STATIC);
		rc = sqlite3_step(stmt);
		mod->copy_stat1 = rc == SQLITE_DONE;
		rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
	}
	sqlite3_finalize(stmt);
	for (ti = 0; !rc && ti < CATALOG_TABLES; ti++)
		if (mod->stmt_tables >> ti & 1)
			rc = copy_table(mod, ti);
	if (rc)
		copies_drop(mod);
	return rc;
}
