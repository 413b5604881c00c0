// SPDX-License-Identifier: BSD-2-Clause
/* Rows a statement gives while it may still be run again (over copies of
 * the union tables): held back, then given to the renderer. */
#include <stdlib.h>
#include "held.h"

struct held {
	sqlite3 *db; /* in memory, its own: table rows */
	sqlite3_stmt *insert, *replay;
	int n_cols; /* of the rows held; 0: none */
};

int held_open(struct held **out)
{
	struct held *h = calloc(1, sizeof(*h));
	int rc;

	*out = NULL;
	if (!h)
		return SQLITE_NOMEM;
	rc = sqlite3_open_v2(":memory:", &h->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc) {
		held_close(h);
		return rc;
	}
	*out = h;
	return SQLITE_OK;
}

void held_forget(struct held *h)
{
	if (!h)
		return;
	sqlite3_finalize(h->insert);
	sqlite3_finalize(h->replay);
	h->insert = h->replay = NULL;
	if (h->n_cols)
		sqlite3_exec(h->db, "DROP TABLE IF EXISTS rows", NULL, NULL, NULL);
	h->n_cols = 0;
}

void held_close(struct held *h)
{
	if (!h)
		return;
	held_forget(h);
	sqlite3_close(h->db);
	free(h);
}

/* Makes the table for rows of n columns, and its insert. Returns an
 * SQLite result code. */
static int held_start(struct held *h, int n)
{
	/* Columns without a declared type: no affinity changes a value. */
	sqlite3_str *create = sqlite3_str_new(NULL), *insert = sqlite3_str_new(NULL);
	char *create_sql, *insert_sql;
	int i, rc;

	sqlite3_str_appendall(create, "CREATE TABLE rows(");
	sqlite3_str_appendall(insert, "INSERT INTO rows VALUES(");
	for (i = 0; i < n; i++) {
		sqlite3_str_appendf(create, "%sc%d", i ? ", " : "", i);
		sqlite3_str_appendall(insert, i ? ", ?" : "?");
	}
	sqlite3_str_appendall(create, ")");
	sqlite3_str_appendall(insert, ")");
	create_sql = sqlite3_str_finish(create);
	insert_sql = sqlite3_str_finish(insert);
	rc = create_sql && insert_sql ? sqlite3_exec(h->db, create_sql, NULL, NULL, NULL) :
					SQLITE_NOMEM;
	if (!rc) {
		h->n_cols = n;
		rc = sqlite3_prepare_v2(h->db, insert_sql, -1, &h->insert, NULL);
	}
	sqlite3_free(create_sql);
	sqlite3_free(insert_sql);
	return rc;
}

int held_add(struct held *h, sqlite3_stmt *stmt)
{
	int i, n = sqlite3_data_count(stmt), rc;

	if (!n)
		return SQLITE_OK;
	if (!h->insert) {
		rc = held_start(h, n);
		if (rc)
			return rc;
	}
	for (i = 0; i < n && i < h->n_cols; i++)
		sqlite3_bind_value(h->insert, i + 1, sqlite3_column_value(stmt, i));
	rc = sqlite3_step(h->insert);
	sqlite3_reset(h->insert);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int held_replay(struct held *h, sqlite3_stmt **out)
{
	sqlite3_str *s;
	char *sql;
	int i, rc;

	*out = NULL;
	if (!h->n_cols)
		return SQLITE_OK;
	s = sqlite3_str_new(NULL);
	sqlite3_str_appendall(s, "SELECT ");
	for (i = 0; i < h->n_cols; i++)
		sqlite3_str_appendf(s, "%sc%d", i ? ", " : "", i);
	sqlite3_str_appendall(s, " FROM rows ORDER BY rowid");
	sql = sqlite3_str_finish(s);
	sqlite3_finalize(h->replay);
	h->replay = NULL;
	rc = sql ? sqlite3_prepare_v2(h->db, sql, -1, &h->replay, NULL) : SQLITE_NOMEM;
	sqlite3_free(sql);
	*out = h->replay;
	return rc;
}
