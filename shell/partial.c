// SPDX-License-Identifier: BSD-2-Clause
/* A canned query's per-file half, run on every file in parallel: partial
 * aggregates gathered into one small table for the query's merge half. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "partial.h"
#include "safe.h"

/*
 * What a file's rollups must agree with before they stand for its flows,
 * all cheap (lookups, and sums of the few rollup rows): plain tables; as
 * many flows as the flows table's rowids count (the collector only adds
 * rows); talkers and minutes with the same totals; no talker whose
 * address no flow has (the flows_src_addr index answers each); no minute
 * outside the flows' own time range. A forger who rewrites the flows and
 * every rollup alike is not caught: nothing short of reading every flow
 * would catch it.
 */
static const char rollup_checks[] =
	"SELECT (SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND"
	"        name IN ('talkers', 'minutes') AND sql LIKE 'CREATE TABLE%') = 2"
	" AND (SELECT total(flows) FROM talkers) = (SELECT max(rowid) FROM flows)"
	" AND (SELECT min(rowid) FROM flows) IS 1"
	" AND (SELECT total(flows) FROM talkers) = (SELECT total(flows) FROM minutes)"
	" AND (SELECT total(packets) FROM talkers) = (SELECT total(packets) FROM minutes)"
	" AND (SELECT total(bytes) FROM talkers) = (SELECT total(bytes) FROM minutes)"
	" AND NOT EXISTS (SELECT 1 FROM talkers t WHERE NOT EXISTS"
	"      (SELECT 1 FROM flows f WHERE f.src_addr = t.src_addr))"
	" AND (SELECT min(minute) FROM minutes) >="
	"     (SELECT min(first_seen) FROM flows) / 60000000 * 60000000"
	" AND (SELECT max(minute) FROM minutes) <= (SELECT max(first_seen) FROM flows)";

/* Whether the rollups of the file open as db pass rollup_checks. */
static bool rollups_agree(sqlite3 *db)
{
	sqlite3_stmt *stmt;
	bool agree;

	if (sqlite3_prepare_v2(db, rollup_checks, -1, &stmt, NULL))
		return false;
	agree = sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0) == 1;
	sqlite3_finalize(stmt);
	return agree;
}

struct partial_job {
	struct catalog *c;
	struct catalog_file **files;
	char **why; /* per file: why it is skipped, or NULL */
	bool *said; /* per file: the run's error names it already */
	/* Per file: its rollups were checked and agree (1) or disagree (2)
	 * with its flows, or not checked (0). */
	unsigned char *rollups_state;
	size_t n_files;
	const struct partial_sql *sql;
	int64_t lo_us, hi_us;
	pthread_mutex_t lock; /* guards everything below, and db */
	sqlite3 *db;
	sqlite3_stmt *insert;
	int n_cols;
	size_t next; /* the next file to take */
	int rc; /* the first failure that ends the run: SQLITE_INTERRUPT, ... */
	char *rc_msg;
};

/* Records a failure that ends the whole run, the first one only. */
static void job_fail(struct partial_job *j, int rc, const char *msg)
{
	pthread_mutex_lock(&j->lock);
	if (!j->rc) {
		j->rc = rc;
		j->rc_msg = msg ? strdup(msg) : NULL;
	}
	pthread_mutex_unlock(&j->lock);
}

/* Copies stmt's current row into temp.partial. Returns an SQLite result
 * code. */
static int store_row(struct partial_job *j, sqlite3_stmt *stmt)
{
	int col, rc;

	pthread_mutex_lock(&j->lock);
	for (col = 0; col < j->n_cols; col++)
		sqlite3_bind_value(j->insert, col + 1, sqlite3_column_value(stmt, col));
	rc = sqlite3_step(j->insert);
	sqlite3_reset(j->insert);
	pthread_mutex_unlock(&j->lock);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Runs the per-file SQL on file i. A file that cannot be read gets its
 * reason in j->why[i]; an interrupt or a failure to store ends the run. */
static void file_run(struct partial_job *j, size_t i)
{
	const struct catalog_file *f = j->files[i];
	bool whole = f->time_start_us >= j->lo_us && catalog_time_end(f) <= j->hi_us;
	const char *sql = j->sql->per_file;
	sqlite3_stmt *stmt = NULL;
	uint64_t rows = 0;
	sqlite3 *fdb;
	int rc;

	rc = catalog_open(j->c, f, &fdb);
	if (rc) {
		j->why[i] = strdup(sqlite3_errstr(rc));
		return;
	}
	if (j->sql->rollup && f->rollups && whole && !j->c->no_rollups) {
		if (!f->rollups_checked)
			j->rollups_state[i] = rollups_agree(fdb) ? 1 : 2;
		if (j->rollups_state[i] != 2)
			sql = j->sql->rollup;
	}
	rc = sqlite3_prepare_v2(fdb, sql, -1, &stmt, NULL);
	if (rc) {
		j->why[i] = strdup(sqlite3_errmsg(fdb));
		goto cleanup;
	}
	if (j->sql->bind(stmt, j->sql->arg)) {
		job_fail(j, SQLITE_ERROR, "cannot bind the query's parameters");
		goto cleanup;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		rc = store_row(j, stmt);
		if (rc) {
			job_fail(j, rc, sqlite3_errstr(rc));
			goto cleanup;
		}
		rows++;
	}
	if (rc == SQLITE_INTERRUPT) {
		job_fail(j, rc, NULL);
	} else if (rc != SQLITE_DONE) {
		j->why[i] = strdup(sqlite3_errmsg(fdb));
		/* Rows of it are in the answer already: it cannot stand. */
		if (rows) {
			char *msg = sqlite3_mprintf("%s: %s after %llu rows; the file is skipped from "
						    "now on",
						    f->path, sqlite3_errmsg(fdb),
						    (unsigned long long)rows);

			job_fail(j, rc, msg ? msg : "out of memory");
			sqlite3_free(msg);
			j->said[i] = true;
		}
	}
cleanup:
	sqlite3_finalize(stmt);
	sqlite3_close(fdb);
}

/* A reading thread: takes files in turn until none is left or the run
 * failed. */
static void *worker(void *arg)
{
	struct partial_job *j = arg;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&j->lock);
		i = j->rc ? j->n_files : j->next++;
		pthread_mutex_unlock(&j->lock);
		if (i >= j->n_files)
			return NULL;
		file_run(j, i);
	}
}

/* Makes temp.partial anew with the columns sql returns, and the statement
 * that fills it. Returns an SQLite result code, with one line in err. */
static int partial_table(struct partial_job *j, sqlite3 *schema_db, char *err, size_t err_size)
{
	sqlite3_str *create = sqlite3_str_new(NULL), *insert = sqlite3_str_new(NULL);
	sqlite3_stmt *shape = NULL;
	char *create_sql = NULL, *insert_sql = NULL;
	int col, rc;

	rc = sqlite3_prepare_v2(schema_db, j->sql->per_file, -1, &shape, NULL);
	if (rc) {
		snprintf(err, err_size, "%s", sqlite3_errmsg(schema_db));
		goto cleanup;
	}
	j->n_cols = sqlite3_column_count(shape);
	sqlite3_str_appendall(create, "DROP TABLE IF EXISTS temp.partial; CREATE TEMP TABLE partial (");
	sqlite3_str_appendall(insert, "INSERT INTO temp.partial VALUES (");
	for (col = 0; col < j->n_cols; col++) {
		sqlite3_str_appendf(create, "%s\"%w\"", col ? ", " : "",
				    sqlite3_column_name(shape, col));
		sqlite3_str_appendf(insert, "%s?", col ? ", " : "");
	}
	sqlite3_str_appendall(create, ")");
	sqlite3_str_appendall(insert, ")");
	create_sql = sqlite3_str_finish(create);
	insert_sql = sqlite3_str_finish(insert);
	create = insert = NULL;
	if (!create_sql || !insert_sql) {
		rc = SQLITE_NOMEM;
		snprintf(err, err_size, "out of memory");
		goto cleanup;
	}
	rc = sqlite3_exec(j->db, create_sql, NULL, NULL, NULL);
	if (!rc)
		rc = sqlite3_prepare_v2(j->db, insert_sql, -1, &j->insert, NULL);
	if (rc)
		snprintf(err, err_size, "%s", sqlite3_errmsg(j->db));
cleanup:
	sqlite3_free(sqlite3_str_finish(create));
	sqlite3_free(sqlite3_str_finish(insert));
	sqlite3_free(create_sql);
	sqlite3_free(insert_sql);
	sqlite3_finalize(shape);
	return rc;
}

/* Threads to read n_files with: one per online core, within bounds. */
static size_t thread_count(size_t n_files)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = cores > 0 ? (size_t)cores : 1;

	if (n > PARTIAL_THREADS_MAX)
		n = PARTIAL_THREADS_MAX;
	return n < n_files ? n : n_files;
}

int partial_run(struct catalog *c, sqlite3 *db, sqlite3 *schema_db, const struct partial_sql *sql,
		int64_t lo_us, int64_t hi_us, char *err, size_t err_size)
{
	struct partial_job j = { .c = c, .db = db, .sql = sql, .lo_us = lo_us, .hi_us = hi_us };
	pthread_t threads[PARTIAL_THREADS_MAX];
	size_t i, n_threads = 0;
	int ret = -EINVAL;

	pthread_mutex_init(&j.lock, NULL);
	j.files = calloc(c->n_files ? c->n_files : 1, sizeof(*j.files));
	j.why = calloc(c->n_files ? c->n_files : 1, sizeof(*j.why));
	j.rollups_state = calloc(c->n_files ? c->n_files : 1, sizeof(*j.rollups_state));
	j.said = calloc(c->n_files ? c->n_files : 1, sizeof(*j.said));
	if (!j.files || !j.why || !j.rollups_state || !j.said) {
		snprintf(err, err_size, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < c->n_files; i++)
		if (!c->files[i]->error && catalog_overlaps(c->files[i], lo_us, hi_us))
			j.files[j.n_files++] = c->files[i];
	if (partial_table(&j, schema_db, err, err_size))
		goto cleanup;
	while (n_threads < thread_count(j.n_files) &&
	       !pthread_create(&threads[n_threads], NULL, worker, &j))
		n_threads++;
	if (!n_threads && j.n_files) {
		snprintf(err, err_size, "cannot start a thread to read the files");
		goto cleanup;
	}
	for (i = 0; i < n_threads; i++)
		pthread_join(threads[i], NULL);

	for (i = 0; i < j.n_files; i++) {
		struct catalog_file *f = j.files[i];

		if (j.why[i] && (j.said[i] ? catalog_skip_quietly(c, f, j.why[i]) :
					     catalog_skip(c, f, j.why[i]))) {
			snprintf(err, err_size, "out of memory");
			goto cleanup;
		}
		if (j.rollups_state[i] == 2) {
			f->rollups = false;
			if (c->warn)
				safe_fprintf(c->warn,
					     "flowdb: warning: %s: its rollups disagree with its "
					     "flows; read in full\n",
					     f->path);
		} else if (j.rollups_state[i] == 1) {
			f->rollups_checked = true;
		}
	}
	c->files_read += j.n_files;
	if (j.rc == SQLITE_INTERRUPT) {
		ret = -EINTR;
		goto cleanup;
	}
	if (j.rc) {
		snprintf(err, err_size, "%s", j.rc_msg ? j.rc_msg : sqlite3_errstr(j.rc));
		goto cleanup;
	}
	ret = 0;
cleanup:
	sqlite3_finalize(j.insert);
	if (j.why)
		for (i = 0; i < j.n_files; i++)
			free(j.why[i]);
	free(j.why);
	free(j.rollups_state);
	free(j.said);
	free(j.files);
	free(j.rc_msg);
	pthread_mutex_destroy(&j.lock);
	return ret;
}
