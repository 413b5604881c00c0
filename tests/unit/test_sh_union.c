// SPDX-License-Identifier: BSD-2-Clause
/* The union tables over real files: pruning, pushdown, skipping, read-only. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "queries.h"
#include "shell.h"

extern const char schema_sql[];

#define HOUR_US 3600000000LL
#define T0 1795352400000000LL /* 2026-11-22T00:00Z */
#define FILES 100
#define FLOWS_PER_FILE 3

struct fixture {
	char dir[64];
	struct shell *sh;
	char *out_buf, *err_buf;
	size_t out_len, err_len;
};

/* Opens a new flow file at path with the project's schema and meta for
 * [start, end]. Returns the open connection. */
static sqlite3 *new_file(const char *path, int64_t start, int64_t end)
{
	sqlite3 *db;
	char *sql;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, schema_sql, NULL, NULL, NULL), SQLITE_OK);
	sql = sqlite3_mprintf("INSERT INTO meta VALUES ('schema_version', 2), ('host', 'h'),"
			      "('time_start_us', %lld), ('time_end_us', %lld)",
			      (long long)start, (long long)end);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(sql);
	return db;
}

/* Inserts a TCP flow from src to dst:443 over [first, last] with bytes,
 * and app_info (NULL for none) as what TLS inspection found. */
static void add_flow(sqlite3 *db, const char *src, const char *dst, int64_t first, int64_t last,
		     int64_t bytes, const char *app_info)
{
	char *sql = sqlite3_mprintf("INSERT INTO flows VALUES (%lld, %lld, 'eth0', 'in', 4, 6,"
				    " %Q, %Q, 40000, 443, 0, 1, %lld, 2, 'idle', %Q, %Q, %s, 0, 0, 0, NULL)",
				    (long long)first, (long long)last, src, dst, (long long)bytes,
				    app_info ? "tls" : NULL, app_info, app_info ? "1" : "NULL");

	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(sql);
}

/* Writes FILES hourly files: file i holds flows from 10.0.0.(i % 5) to
 * 10.0.1.j, j < FLOWS_PER_FILE, each of i * 10 + j bytes, inside hour i. */
static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct catalog *c;
	char path[128], src[32], dst[32];
	int i, j;

	strcpy(fx->dir, "/tmp/test_sh_union.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	for (i = 0; i < FILES; i++) {
		int64_t start = T0 + i * HOUR_US;
		sqlite3 *db;

		snprintf(path, sizeof(path), "%s/flows-%03d.db", fx->dir, i);
		db = new_file(path, start + 10, start + 1000 + FLOWS_PER_FILE);
		snprintf(src, sizeof(src), "10.0.0.%d", i % 5);
		for (j = 0; j < FLOWS_PER_FILE; j++) {
			snprintf(dst, sizeof(dst), "10.0.1.%d", j);
			add_flow(db, src, dst, start + 10 + j, start + 1000 + j, i * 10 + j,
				 i % 2 ? "example.test" : NULL);
		}
		sqlite3_close(db);
	}
	c = catalog_new(open_memstream(&fx->err_buf, &fx->err_len));
	assert_int_equal(catalog_add(c, fx->dir, true), 0);
	fx->sh = shell_new(c, c->warn);
	assert_non_null(fx->sh);
	fx->sh->out = open_memstream(&fx->out_buf, &fx->out_len);
	fx->sh->render.mode = RENDER_CSV;
	fx->sh->render.headers = false;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	FILE *warn = fx->sh->catalog->warn;
	char cmd[128];

	shell_free(fx->sh);
	fclose(warn);
	free(fx->out_buf);
	free(fx->err_buf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

/* Empties the captured output before a statement runs. */
static void out_reset(struct fixture *fx)
{
	rewind(fx->sh->out);
	fflush(fx->sh->out);
	memset(fx->out_buf, 0, fx->out_len);
}

/* Returns what the statement printed, valid until the next out_reset(). */
static const char *out_text(struct fixture *fx)
{
	fputc('\0', fx->sh->out);
	fflush(fx->sh->out);
	return fx->out_buf;
}

/* Runs sql; returns what it printed (csv, no header), valid until the
 * next call. */
static const char *run(struct fixture *fx, const char *sql)
{
	out_reset(fx);
	assert_int_equal(shell_exec_sql(fx->sh, sql), 0);
	return out_text(fx);
}

/* Every file is read when nothing bounds the time; the sums are exact. */
static void test_whole_history(void **state)
{
	struct fixture *fx = *state;
	char want[64];
	long long bytes = 0;
	int i, j;

	for (i = 0; i < FILES; i++)
		for (j = 0; j < FLOWS_PER_FILE; j++)
			bytes += i * 10 + j;
	snprintf(want, sizeof(want), "%d,%lld\r\n", FILES * FLOWS_PER_FILE, bytes);
	assert_string_equal(run(fx, "SELECT count(*), sum(bytes) FROM flows"), want);
	assert_int_equal(fx->sh->catalog->files_read, FILES);
	assert_true(fx->sh->catalog->n_open <= CATALOG_OPEN_MAX);
}

/* Time constraints open only the files whose range overlaps them. */
static void test_time_pruning(void **state)
{
	struct fixture *fx = *state;
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM flows WHERE first_seen >= %lld AND first_seen < %lld",
		 T0 + 3 * HOUR_US, T0 + 5 * HOUR_US);
	assert_string_equal(run(fx, sql), "6\r\n");
	assert_int_equal(fx->sh->catalog->files_read, 2);

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM flows WHERE last_seen > %lld",
		 T0 + (FILES - 1) * HOUR_US + 1001);
	assert_string_equal(run(fx, sql), "1\r\n");
	assert_int_equal(fx->sh->catalog->files_read, 1);

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM flows WHERE first_seen = %lld",
		 T0 + 7 * HOUR_US + 11);
	assert_string_equal(run(fx, sql), "1\r\n");
	assert_int_equal(fx->sh->catalog->files_read, 1);

	/* BETWEEN is two range constraints; a numeric text bound compares as
	 * the number it is (the column's INTEGER affinity), so it prunes too. */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM flows WHERE last_seen BETWEEN %lld AND %lld",
		 T0 + 10 * HOUR_US, T0 + 12 * HOUR_US - 1);
	assert_string_equal(run(fx, sql), "6\r\n");
	assert_int_equal(fx->sh->catalog->files_read, 2);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM flows WHERE first_seen >= '%lld'",
		 T0 + 98 * HOUR_US);
	assert_string_equal(run(fx, sql), "6\r\n");
	assert_int_equal(fx->sh->catalog->files_read, 2);
	/* Any number is less than any text: nothing matches, nothing pruned. */
	assert_string_equal(run(fx, "SELECT count(*) FROM flows WHERE first_seen >= 'x'"), "0\r\n");
	assert_int_equal(fx->sh->catalog->files_read, FILES);
}

/* The session window bounds ad-hoc SQL and prunes files the same way. */
static void test_session_window(void **state)
{
	struct fixture *fx = *state;
	char since[32], until[32];

	snprintf(since, sizeof(since), "@%lld", (T0 + 20 * HOUR_US) / 1000000);
	snprintf(until, sizeof(until), "@%lld", (T0 + 23 * HOUR_US) / 1000000);
	assert_int_equal(shell_set_window(fx->sh, false, since), 0);
	assert_int_equal(shell_set_window(fx->sh, true, until), 0);
	assert_string_equal(run(fx, "SELECT count(*) FROM flows"), "9\r\n");
	assert_int_equal(fx->sh->catalog->files_read, 3);
	assert_int_equal(shell_set_window(fx->sh, true, "off"), 0);
	assert_string_equal(run(fx, "SELECT count(*) FROM flows"), "240\r\n");
	assert_int_equal(shell_set_window(fx->sh, false, "bad"), -EINVAL);
}

/* Equality on an address reaches each file's query, where its index
 * serves it. */
static void test_pushdown_uses_index(void **state)
{
	struct fixture *fx = *state;
	struct catalog_file *f;
	sqlite3_stmt *plan;
	char *sql;
	bool indexed = false;

	assert_string_equal(run(fx, "SELECT count(*) FROM flows WHERE src_addr = '10.0.0.3'"),
			    "60\r\n");
	/* The most recently read file still has its handle and statement. */
	f = fx->sh->catalog->files[FILES - 1];
	assert_non_null(f->idle_stmts[0]);
	assert_non_null(strstr(sqlite3_sql(f->idle_stmts[0]), "\"src_addr\" = ?1"));
	sql = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sqlite3_sql(f->idle_stmts[0]));
	assert_int_equal(sqlite3_prepare_v2(f->db, sql, -1, &plan, NULL), SQLITE_OK);
	while (sqlite3_step(plan) == SQLITE_ROW)
		indexed |= strstr((const char *)sqlite3_column_text(plan, 3),
				  "INDEX flows_src_addr (src_addr=?)") != NULL;
	sqlite3_finalize(plan);
	sqlite3_free(sql);
	assert_true(indexed);
}

/* The hidden file column names a row's file and prunes to it. */
static void test_file_column(void **state)
{
	struct fixture *fx = *state;
	char sql[256], want[128];

	snprintf(sql, sizeof(sql),
		 "SELECT file, count(*) FROM flows WHERE file = '%s/flows-042.db'", fx->dir);
	snprintf(want, sizeof(want), "%s/flows-042.db,3\r\n", fx->dir);
	assert_string_equal(run(fx, sql), want);
	assert_int_equal(fx->sh->catalog->files_read, 1);
	assert_string_equal(run(fx, "SELECT count(*) FROM flows WHERE file = 'nope'"), "0\r\n");
	assert_int_equal(fx->sh->catalog->files_read, 0);
}

/* Two scans of one file at once (a self-join) each get their own statement. */
static void test_self_join(void **state)
{
	struct fixture *fx = *state;

	/* Each source sends 3 flows in 20 files: 60 rows, joined 60 x 60. */
	assert_string_equal(run(fx, "SELECT count(*) FROM flows a JOIN flows b "
				    "ON a.src_addr = b.src_addr WHERE a.src_addr = '10.0.0.1'"),
			    "3600\r\n");
}

/* The SQL the most recently read file last ran, valid until the next
 * statement. */
static const char *last_file_sql(struct fixture *fx)
{
	struct catalog_file *f = fx->sh->catalog->files[FILES - 1];

	assert_non_null(f->idle_stmts[0]);
	return sqlite3_sql(f->idle_stmts[0]);
}

/* Rowids are unique across files and stable across scans: the multi-index
 * OR plan (one scan per term, duplicates removed by rowid; the regression
 * queries of sql_diff.sh meet it) and rowid lookups see every row once. */
static void test_or_over_files(void **state)
{
	struct fixture *fx = *state;
	char sql[128];

	/* 10.0.0.1 sends 60 flows, 10.0.1.2 receives 100: 20 of them both. */
	assert_string_equal(run(fx, "SELECT count(*) FROM flows WHERE src_addr = '10.0.0.1'"
				    " OR dst_addr = '10.0.1.2'"),
			    "140\r\n");
	assert_string_equal(run(fx, "SELECT count(*), count(DISTINCT rowid) FROM flows"),
			    "300,300\r\n");
	/* A rowid finds its row again, in its one file. */
	assert_string_equal(run(fx, "SELECT count(*) FROM flows a WHERE a.rowid IN"
				    " (SELECT rowid FROM flows WHERE src_addr = '10.0.0.4')"),
			    "60\r\n");
	snprintf(sql, sizeof(sql), "SELECT bytes FROM flows WHERE rowid = %s",
		 run(fx, "SELECT rowid FROM flows WHERE bytes = 421"));
	assert_string_equal(run(fx, sql), "421\r\n");
	assert_int_equal(fx->sh->catalog->files_read, 1);
}

/* An IN list reaches the files whole: a short one as parameters, a long
 * one as one JSON array; a list of files prunes to them. */
static void test_in_lists(void **state)
{
	struct fixture *fx = *state;
	char sql[512];

	assert_string_equal(run(fx, "SELECT count(*) FROM flows WHERE src_addr IN"
				    " ('10.0.0.1', '10.0.0.2', 'x')"),
			    "120\r\n");
	assert_non_null(strstr(last_file_sql(fx), "\"src_addr\" IN (?1, ?2, ?3)"));
	assert_string_equal(run(fx, "SELECT count(*) FROM flows WHERE bytes IN (WITH RECURSIVE"
				    " s(v) AS (SELECT 1 UNION ALL SELECT v + 2 FROM s WHERE v < 999)"
				    " SELECT v FROM s)"),
			    "100\r\n");
	assert_non_null(strstr(last_file_sql(fx), "\"bytes\" IN (SELECT value FROM json_each(?1))"));
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM flows WHERE file IN ('%1$s/flows-001.db', '%1$s/flows-007.db')",
		 fx->dir);
	assert_string_equal(run(fx, sql), "6\r\n");
	assert_int_equal(fx->sh->catalog->files_read, 2);
}

/* ORDER BY is served by merging each file's ordered rows: the first rows
 * come without reading every file to the end. */
static void test_order_merged(void **state)
{
	struct fixture *fx = *state;

	assert_string_equal(run(fx, "SELECT bytes FROM flows ORDER BY first_seen DESC LIMIT 4"),
			    "992\r\n991\r\n990\r\n982\r\n");
	assert_true(fx->sh->catalog->rows_read <= FILES + 4);
	assert_string_equal(run(fx, "SELECT src_addr, bytes FROM flows ORDER BY src_addr DESC,"
				    " bytes LIMIT 2"),
			    "10.0.0.4,40\r\n10.0.0.4,41\r\n");
}

/* The union table as the inner loop of a correlated subquery: the answer
 * is exact, and the files are read a bounded number of times (the plan's
 * rows are copied once into an indexed table in memory). */
static void test_inner_loop(void **state)
{
	struct fixture *fx = *state;

	assert_string_equal(run(fx, "SELECT count(*), sum((SELECT count(*) FROM flows b"
				    " WHERE b.src_addr = a.src_addr AND b.dst_addr = a.dst_addr))"
				    " FROM flows a"),
			    "300,6000\r\n");
	/* Without the copy: 100 file queries for each of the 300 rows. */
	assert_true(fx->sh->catalog->file_queries < 3000);
}

/* A value that could compare otherwise in a file (numeric-looking text, a
 * collation) is not given to the files; SQLite's answer stands. */
static void test_not_pushed(void **state)
{
	struct fixture *fx = *state;

	assert_string_equal(run(fx, "SELECT count(*) FROM flows WHERE src_port = '40000'"),
			    "300\r\n");
	assert_null(strstr(last_file_sql(fx), "\"src_port\" ="));
	assert_string_equal(run(fx, "SELECT count(*) FROM flows WHERE ifname = 'ETH0' COLLATE NOCASE"),
			    "300\r\n");
	assert_null(strstr(last_file_sql(fx), "\"ifname\" ="));
	assert_string_equal(run(fx, "SELECT count(*) FROM flows WHERE src_addr = '10.0.0.3'"),
			    "60\r\n");
	assert_non_null(strstr(last_file_sql(fx), "\"src_addr\" = ?1"));
	/* A numeric-looking literal stays text against a TEXT column. */
	assert_string_equal(run(fx, "SELECT count(*) FROM flows WHERE app_info = '443'"), "0\r\n");
	assert_non_null(strstr(last_file_sql(fx), "\"app_info\" = ?1"));
}

/* Opens the fixture with FLOWDB_COPY=always: a read-only statement in an
 * inner loop runs again over copies at once. */
static int setup_copies(void **state)
{
	int rc;

	setenv("FLOWDB_COPY", "always", 1);
	rc = setup(state);
	unsetenv("FLOWDB_COPY");
	return rc;
}

/* Statements run again over copies answer as over the files: rows a
 * statement gave before it was stopped are shown once, the file column is
 * copied when used, and the copies are gone afterwards. */
static void test_copies(void **state)
{
	struct fixture *fx = *state;
	const char *sql = "SELECT a.bytes FROM flows a WHERE a.bytes < 25 AND EXISTS (SELECT 1"
			  " FROM flows b WHERE b.src_addr = a.src_addr AND b.bytes > a.bytes)"
			  " ORDER BY 1";
	char *want;

	assert_string_equal(run(fx, sql), "0\r\n1\r\n2\r\n10\r\n11\r\n12\r\n20\r\n21\r\n22\r\n");
	/* A residual term (b.bytes = b.bytes + 1 is never true) no file is
	 * given: the copy's automatic index serves the lookups all the same. */
	assert_string_equal(run(fx, "SELECT count(*) FROM flows a WHERE NOT EXISTS (SELECT 1"
				    " FROM flows b WHERE b.dst_addr = a.dst_addr"
				    " AND b.bytes = b.bytes + 1)"),
			    "300\r\n");
	assert_true(fx->sh->stmt_copied);
	assert_string_equal(run(fx, "SELECT count(*) FROM flows a WHERE EXISTS (SELECT 1 FROM"
				    " flows b WHERE b.file = a.file AND b.bytes > a.bytes)"),
			    "200\r\n");
	assert_string_equal(run(fx, "SELECT count(*) FROM temp.sqlite_schema"), "0\r\n");
	want = strdup(run(fx, "SELECT a.*, b.file FROM flows a, flows b WHERE a.rowid = b.rowid"
			      " AND a.bytes = 7"));
	/* With "*" the file column must not become one of the copy's own. */
	assert_string_equal(run(fx, "SELECT a.*, a.file FROM flows a WHERE a.bytes = 7 AND EXISTS"
				    " (SELECT 1 FROM flows b WHERE b.src_addr = a.src_addr)"),
			    want);
	assert_false(fx->sh->stmt_copied);
	free(want);
}

/* A temp table of the user's named as a union table is left alone: the
 * statement reads the files instead of copies. */
static void test_copies_user_table(void **state)
{
	struct fixture *fx = *state;

	run(fx, "CREATE TEMP TABLE events(x)");
	assert_string_equal(run(fx, "SELECT count(*) FROM flows a WHERE NOT EXISTS (SELECT 1 FROM"
				    " main.events e WHERE e.src_addr = a.src_addr)"),
			    "300\r\n");
	assert_false(fx->sh->stmt_copied);
	assert_string_equal(run(fx, "SELECT name FROM temp.sqlite_schema"), "events\r\n");
}

/* A file whose rowids do not fit under its id is skipped with a warning. */
static void test_rowid_range(void **state)
{
	struct fixture *fx = *state;
	char path[128];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/flows-big.db", fx->dir);
	db = new_file(path, T0, T0 + 1000);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO flows (rowid, first_seen, last_seen, ifname,"
					  " direction, ip_version, proto, src_addr, dst_addr,"
					  " src_port, dst_port, vlan, packets, bytes, tcp_flags,"
					  " end_reason) VALUES (1099511627776, 1, 1, 'e', 'in', 4, 6,"
					  " 'a', 'b', 0, 0, 0, 1, 1, 0, 'idle')",
					  NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_string_equal(run(fx, "SELECT count(*) FROM flows"), "300\r\n");
	fflush(fx->sh->catalog->warn);
	assert_non_null(strstr(fx->err_buf, "/flows-big.db: flows has row ids outside 0 to 2^40; "
					    "skipped\n"));
}

/* Appends raw bytes to a file named under dir. */
static void write_file(const char *dir, const char *name, const void *data, size_t n)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

/* Files that are not flow files are skipped with one warning each, once;
 * the others are still read. A file being created (empty, or SQLite's
 * header in WAL mode and no table yet, as the collector starts one) is
 * skipped without a warning. */
static void test_bad_files_skipped(void **state)
{
	struct fixture *fx = *state;
	char path[128], *want;
	sqlite3 *db;
	FILE *f;
	char buf[4096];
	size_t n;

	write_file(fx->dir, "a-text.db", "hello\n", 6);
	write_file(fx->dir, "f-empty.db", "", 0);
	snprintf(path, sizeof(path), "%s/g-new.db", fx->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=wal", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	snprintf(path, sizeof(path), "%s/b-foreign.db", fx->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	snprintf(path, sizeof(path), "%s/c-newer.db", fx->dir);
	db = new_file(path, T0, T0);
	assert_int_equal(sqlite3_exec(db, "UPDATE meta SET value = 7 WHERE key = 'schema_version'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	/* A flow file cut to its first page and a bit: SQLite header intact. */
	snprintf(path, sizeof(path), "%s/flows-000.db", fx->dir);
	f = fopen(path, "r");
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	write_file(fx->dir, "d-cut.db", buf, n);
	memset(buf + 100, 0xa5, n - 100);
	write_file(fx->dir, "e-garbled.db", buf, n);

	assert_string_equal(run(fx, "SELECT count(*) FROM flows"), "300\r\n");
	assert_string_equal(run(fx, "SELECT count(*) FROM flows"), "300\r\n");
	fflush(fx->sh->catalog->warn);
	assert_true(asprintf(&want,
			     "flowdb: warning: %1$s/a-text.db: not an SQLite database; skipped\n"
			     "flowdb: warning: %1$s/b-foreign.db: not a flowdb file (no meta "
			     "table); skipped\n"
			     "flowdb: warning: %1$s/c-newer.db: schema version 7 is newer than "
			     "this flowdb reads (6); skipped\n",
			     fx->dir) > 0);
	/* The cut and garbled files are reported in SQLite's own words. */
	assert_memory_equal(fx->err_buf, want, strlen(want));
	assert_non_null(strstr(fx->err_buf + strlen(want), "/d-cut.db: "));
	assert_non_null(strstr(fx->err_buf + strlen(want), "/e-garbled.db: "));
	assert_null(strstr(fx->err_buf, "f-empty"));
	assert_null(strstr(fx->err_buf, "g-new"));
	assert_int_equal(catalog_usable(fx->sh->catalog), FILES);
	free(want);
}

/* A file being written (WAL, with its -wal) shows new rows as they come. */
static void test_live_file(void **state)
{
	struct fixture *fx = *state;
	char path[128];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/flows-live.db", fx->dir);
	db = new_file(path, T0 + 200 * HOUR_US, T0 + 200 * HOUR_US);
	assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=wal; PRAGMA wal_autocheckpoint=0",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	add_flow(db, "10.9.9.9", "10.0.1.0", T0 + 200 * HOUR_US, T0 + 200 * HOUR_US + 5, 7, NULL);
	assert_string_equal(run(fx, "SELECT sum(bytes) FROM flows WHERE src_addr = '10.9.9.9'"),
			    "7\r\n");
	/* Later than the range in meta: the file being written is never pruned. */
	add_flow(db, "10.9.9.9", "10.0.1.0", T0 + 300 * HOUR_US, T0 + 300 * HOUR_US, 5, NULL);
	assert_string_equal(run(fx, "SELECT sum(bytes) FROM flows WHERE src_addr = '10.9.9.9' "
				    "AND last_seen > 1795352400000000 + 250 * 3600000000"),
			    "5\r\n");
	sqlite3_close(db);
}

/* Rewrites table of db without the columns listed in drop (", "
 * separated), keeping the others' declarations and the indexes, as a
 * collector of schema version 1 wrote it. */
static void drop_columns(sqlite3 *db, const char *table, const char *drop)
{
	sqlite3_str *cols = sqlite3_str_new(NULL), *names = sqlite3_str_new(NULL);
	char *sql, *c, *n, *err = NULL;
	sqlite3_stmt *stmt;

	sql = sqlite3_mprintf("SELECT name, type, \"notnull\" FROM pragma_table_info(%Q)"
			      " WHERE instr(', ' || %Q || ',', ', ' || name || ',') = 0",
			      table, drop);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	sqlite3_free(sql);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *sep = sqlite3_str_length(names) ? ", " : "";

		sqlite3_str_appendf(cols, "%s%s %s%s", sep, sqlite3_column_text(stmt, 0),
				    sqlite3_column_text(stmt, 1),
				    sqlite3_column_int(stmt, 2) ? " NOT NULL" : "");
		sqlite3_str_appendf(names, "%s%s", sep, sqlite3_column_text(stmt, 0));
	}
	sqlite3_finalize(stmt);
	c = sqlite3_str_finish(cols);
	n = sqlite3_str_finish(names);
	sql = sqlite3_mprintf("CREATE TABLE old (%s); INSERT INTO old SELECT %s FROM %s;"
			      " DROP TABLE %s; ALTER TABLE old RENAME TO %s;",
			      c, n, table, table, table);
	sqlite3_exec(db, sql, NULL, NULL, &err);
	if (err)
		fail_msg("%s: %s", table, err);
	sqlite3_free(sql);
	sqlite3_free(c);
	sqlite3_free(n);
}

/* Files of schema version 1, from before payload inspection, lack the
 * columns version 2 added: they read there as NULL, constraints on them
 * included, beside version 2 files and with no warning. */
static void test_version_1_files(void **state)
{
	struct fixture *fx = *state;
	char path[128], want[128];
	int i, v2_tls = 0;

	for (i = 0; i < 10; i++) {
		char *err = NULL;
		sqlite3 *db;

		snprintf(path, sizeof(path), "%s/flows-%03d.db", fx->dir, i);
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		/* Version 1's tables: version 2's without the columns it added. */
		drop_columns(db, "flows", "app_proto, app_info, encrypted");
		drop_columns(db, "events", "detail");
		drop_columns(db, "collector_stats", "payload_events, payload_bytes");
		sqlite3_exec(db, "UPDATE meta SET value = 1 WHERE key = 'schema_version'", NULL,
			     NULL, &err);
		if (err)
			fail_msg("%s: %s", path, err);
		sqlite3_close(db);
	}
	for (i = 10; i < FILES; i++)
		v2_tls += i % 2;
	snprintf(want, sizeof(want), "%d,%d,%d\r\n", FILES * FLOWS_PER_FILE,
		 v2_tls * FLOWS_PER_FILE, v2_tls * FLOWS_PER_FILE);
	assert_string_equal(run(fx, "SELECT count(*), count(app_info), sum(encrypted) FROM flows"),
			    want);
	snprintf(want, sizeof(want), "%d\r\n", v2_tls * FLOWS_PER_FILE);
	assert_string_equal(run(fx, "SELECT count(*) FROM flows WHERE app_proto = 'tls'"), want);
	assert_string_equal(run(fx, "SELECT count(*) FROM flows WHERE app_proto IS NULL AND "
				    "file LIKE '%flows-003.db'"),
			    "3\r\n");
	assert_string_equal(run(fx, "SELECT count(*) FROM events WHERE detail IS NULL"), "0\r\n");
	assert_string_equal(run(fx, "SELECT count(*) FROM collector_stats WHERE payload_events"),
			    "0\r\n");
	assert_int_equal(fx->sh->catalog->files_read, FILES);
	fflush(fx->sh->catalog->warn);
	assert_int_equal(fx->err_len, 0);
}

/* Files of schema version 2, from before enforcement, lack the tables
 * actions and rule_counters and the columns flows.dropped_packets and
 * dropped_bytes: they open without a warning, the tables read as empty
 * there and the columns as NULL, beside version 3 files that have them. A
 * file whose actions is a view is still refused. */
static void test_version_2_files(void **state)
{
	struct fixture *fx = *state;
	char path[128], want[256];
	int i, v3 = 0;
	sqlite3 *db;

	for (i = 0; i < FILES; i++) {
		char *err = NULL, *sql;

		snprintf(path, sizeof(path), "%s/flows-%03d.db", fx->dir, i);
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		if (i % 3 == 0) {
			/* Version 3: a load, a block added, its counters, and
			 * drops in the flows. */
			sql = sqlite3_mprintf(
				"INSERT INTO actions VALUES (%lld, 'load', '/etc/flowdb/policy', NULL,"
				" NULL, NULL, 'file', NULL, '2 rules'), (%lld, 'add', '10.0.0.%d',"
				" 'block src 10.0.0.%d', 'scan', %lld, 'ctl', 0, NULL);"
				"INSERT INTO rule_counters VALUES (%lld, 'block src 10.0.0.%d', 'block',"
				" 4, 240, 'enforce', 'ctl', NULL);"
				"UPDATE flows SET dropped_packets = 1, dropped_bytes = 60;",
				(long long)(T0 + i * HOUR_US + 20), (long long)(T0 + i * HOUR_US + 30),
				i % 5, i % 5, (long long)(T0 + (i + 1) * HOUR_US),
				(long long)(T0 + i * HOUR_US + 40), i % 5);
			sqlite3_exec(db, sql, NULL, NULL, &err);
			sqlite3_free(sql);
			v3++;
		} else {
			drop_columns(db, "flows", "dropped_packets, dropped_bytes");
			/* One file with one of the two tables, the others with none. */
			sqlite3_exec(db, i == 1 ? "DROP TABLE rule_counters" :
						  "DROP TABLE actions; DROP TABLE rule_counters",
				     NULL, NULL, &err);
			if (!err)
				sqlite3_exec(db,
					     "UPDATE meta SET value = 2 WHERE key = 'schema_version'",
					     NULL, NULL, &err);
		}
		if (err)
			fail_msg("%s: %s", path, err);
		sqlite3_close(db);
	}
	snprintf(want, sizeof(want), "%d,%d,%d\r\n", 2 * v3, v3, v3);
	assert_string_equal(run(fx, "SELECT count(*), count(rule), count(DISTINCT file) FROM actions"),
			    want);
	snprintf(want, sizeof(want), "%d,%d\r\n", v3, 4 * v3);
	assert_string_equal(run(fx, "SELECT count(*), sum(packets) FROM rule_counters"), want);
	snprintf(want, sizeof(want), "%d,%d,%d\r\n", FILES * FLOWS_PER_FILE,
		 v3 * FLOWS_PER_FILE, v3 * FLOWS_PER_FILE * 60);
	assert_string_equal(run(fx, "SELECT count(*), count(dropped_packets), sum(dropped_bytes)"
				    " FROM flows"),
			    want);
	assert_string_equal(run(fx, "SELECT count(*) FROM flows WHERE dropped_packets IS NULL AND "
				    "file LIKE '%flows-001.db'"),
			    "3\r\n");
	/* Constraints on the new tables, and a join of old and new. */
	assert_string_equal(run(fx, "SELECT target FROM actions WHERE action = 'add' AND "
				    "file LIKE '%flows-003.db'"),
			    "10.0.0.3\r\n");
	/* Each add of 10.0.0.k meets the 3 flows of every version 3 file from
	 * that source: 34 adds, 6 or 7 such files each (Python says 696). */
	assert_string_equal(run(fx, "SELECT count(*) FROM actions a JOIN flows f ON f.src_addr = "
				    "a.target AND f.dropped_packets = 1"),
			    "696\r\n");
	assert_string_equal(run(fx, "SELECT count(*) FROM actions WHERE file LIKE '%flows-002.db'"),
			    "0\r\n");
	fflush(fx->sh->catalog->warn);
	assert_int_equal(fx->err_len, 0);

	/* An actions that is a view is not the schema's table. */
	snprintf(path, sizeof(path), "%s/flows-002.db", fx->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE VIEW actions AS SELECT 1 AS time", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	run(fx, "SELECT count(*) FROM actions");
	fflush(fx->sh->catalog->warn);
	snprintf(want, sizeof(want),
		 "flowdb: warning: %s: not a flowdb file (actions is a view, not a plain table); "
		 "skipped\n",
		 path);
	assert_string_equal(fx->err_buf, want);
}

/* Querying changes no byte of any file and leaves no -wal or -shm. */
static void test_read_only(void **state)
{
	struct fixture *fx = *state;
	char cmd[256], *before = NULL, *after = NULL;
	size_t n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "cd %s && ls -A && sha256sum *", fx->dir);
	p = popen(cmd, "r");
	assert_true(getdelim(&before, &n, '\0', p) > 0);
	pclose(p);
	run(fx, "SELECT count(*) FROM flows");
	run(fx, "SELECT src_addr, sum(bytes) FROM flows GROUP BY 1");
	run(fx, "SELECT * FROM events");
	run(fx, "SELECT * FROM collector_stats");
	assert_int_not_equal(shell_exec_sql(fx->sh, "DELETE FROM flows"), 0);
	assert_int_not_equal(shell_exec_sql(fx->sh, "INSERT INTO flows (packets) VALUES (1)"), 0);
	n = 0;
	p = popen(cmd, "r");
	assert_true(getdelim(&after, &n, '\0', p) > 0);
	pclose(p);
	assert_string_equal(before, after);
	assert_null(strstr(after, "-wal"));
	assert_null(strstr(after, "-shm"));
	free(before);
	free(after);
}

/* Prints what .q name runs with its halves; returns it (csv, no header),
 * valid until the next call. */
static const char *run_query(struct fixture *fx, const char *name, int argc, char **argv)
{
	out_reset(fx);
	assert_int_equal(shell_run_query(fx->sh, name, argc, argv), 0);
	return out_text(fx);
}

/* Gives every other file rollups, as the collector writes them when it
 * finishes a file; adds extra to the bytes of file tamper's talkers, and
 * to its minutes too when consistent. */
static void add_rollups(struct fixture *fx, int tamper, int extra, bool consistent)
{
	char path[128], *sql;
	sqlite3 *db;
	int i;

	for (i = 0; i < FILES; i += 2) {
		snprintf(path, sizeof(path), "%s/flows-%03d.db", fx->dir, i);
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		sql = sqlite3_mprintf("DELETE FROM talkers; INSERT INTO talkers SELECT src_addr,"
				      " count(*), sum(packets), sum(bytes) + %d FROM flows"
				      " GROUP BY src_addr;"
				      "DELETE FROM minutes; INSERT INTO minutes SELECT"
				      " first_seen / 60000000 * 60000000, count(*), sum(packets),"
				      " sum(bytes) + %d * (first_seen = (SELECT min(first_seen)"
				      " FROM flows)) FROM flows GROUP BY 1;"
				      "INSERT OR REPLACE INTO meta VALUES ('rollups', 1)",
				      i == tamper ? extra : 0, i == tamper && consistent ? extra : 0);
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
		sqlite3_free(sql);
		sqlite3_close(db);
	}
}

/* A canned query's per-file and merge halves answer exactly what its one
 * statement does, over the whole history and over a window that cuts
 * files, where files have rollups and where they have none. */
static void test_query_halves(void **state)
{
	static const int64_t windows[][2] = { { 0, INT64_MAX },
					      { T0 + 30 * HOUR_US + 500, T0 + 61 * HOUR_US } };
	struct fixture *fx = *state;
	const struct query *q;
	size_t n, i, w;
	int halves = 0, p;
	char *one;

	add_rollups(fx, -1, 0, false);
	q = queries_all(&n);
	for (i = 0; i < n; i++) {
		if (!q[i].per_file)
			continue;
		halves++;
		for (w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
			char args[QUERY_PARAMS_MAX + 1][64], *argv[QUERY_PARAMS_MAX + 1];
			char value[32];
			int argc = 0;

			shell_clear_params(fx->sh);
			for (p = 0; p <= q[i].n_params; p++) {
				const char *name = p < q[i].n_params ? q[i].params[p].name :
								       "until";
				int64_t t = !strcmp(name, "since") ? windows[w][0] : windows[w][1];

				if (!strcmp(name, "since") || !strcmp(name, "until")) {
					snprintf(args[argc], sizeof(args[argc]), "%s=@%lld.%06lld",
						 name, (long long)(t / 1000000),
						 (long long)(t % 1000000));
					snprintf(value, sizeof(value), "%lld", (long long)t);
				} else if (!strcmp(name, "host")) {
					snprintf(args[argc], sizeof(args[argc]), "host=10.0.1.2");
					snprintf(value, sizeof(value), "10.0.1.2");
				} else if (!strcmp(name, "limit")) {
					snprintf(args[argc], sizeof(args[argc]), "limit=3");
					snprintf(value, sizeof(value), "3");
				} else if (!strcmp(name, "bucket")) {
					/* Whole minutes, which rollups answer, and not. */
					snprintf(args[argc], sizeof(args[argc]), "bucket=%s",
						 w ? "90s" : "2h");
					snprintf(value, sizeof(value), "%lld",
						 w ? 90000000LL : 2 * HOUR_US);
				} else if (!strcmp(name, "by")) {
					snprintf(args[argc], sizeof(args[argc]), "by=flows");
					snprintf(value, sizeof(value), "flows");
				} else {
					fail_msg("%s: no test value for %s", q[i].name, name);
				}
				argv[argc] = args[argc];
				argc++;
				assert_int_equal(shell_set_param(fx->sh, name, value), 0);
			}
			one = strdup(run(fx, q[i].sql));
			assert_non_null(one);
			assert_true(strchr(one, '\n'));
			assert_string_equal(run_query(fx, q[i].name, argc, argv), one);
			free(one);
		}
	}
	assert_true(halves >= 3);

	/* Rollups that disagree with the flows (talkers against minutes)
	 * are not used: the file is read in full, with one warning. */
	add_rollups(fx, 40, 1000000, false);
	shell_clear_params(fx->sh);
	assert_int_equal(shell_set_param(fx->sh, "since", "0"), 0);
	assert_int_equal(shell_set_param(fx->sh, "until", "9223372036854775807"), 0);
	assert_int_equal(shell_set_param(fx->sh, "limit", "20"), 0);
	assert_int_equal(shell_set_param(fx->sh, "by", "bytes"), 0);
	one = strdup(run(fx, queries_find("top-talkers")->sql));
	assert_non_null(one);
	assert_string_equal(run_query(fx, "top-talkers", 0, NULL), one);
	fflush(fx->sh->catalog->warn);
	assert_non_null(strstr(fx->err_buf, "/flows-040.db: its rollups disagree with its flows; "
					    "read in full\n"));
	/* Rollups forged alike in both tables pass the checks: they are
	 * what top talkers reads of a file inside the window. */
	add_rollups(fx, 42, 1000000, true);
	assert_string_not_equal(run_query(fx, "top-talkers", 0, NULL), one);
	free(one);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_whole_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_pruning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pushdown_uses_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_column, setup, teardown),
		cmocka_unit_test_setup_teardown(test_self_join, setup, teardown),
		cmocka_unit_test_setup_teardown(test_or_over_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_merged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inner_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_pushed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copies, setup_copies, teardown),
		cmocka_unit_test_setup_teardown(test_copies_user_table, setup_copies, teardown),
		cmocka_unit_test_setup_teardown(test_rowid_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_files_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_1_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_2_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_halves, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
