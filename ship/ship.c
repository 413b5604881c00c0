// SPDX-License-Identifier: BSD-2-Clause
/* Finished flow files into ClickHouse, exactly once: the fleet schema, batches, resumption. */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "ship.h"

/* schema/clickhouse.sql, NUL-terminated, from schema/clickhouse_sql.S. */
extern const char clickhouse_sql[];

#define DAY_US 86400000000LL
/* ClickHouse's Date counts days from 1970-01-01 in 16 bits. */
#define DAY_MAX 65535
/* A batch of ClickHouse's that may still be running (a cut connection's
 * insert) is waited for this long at most before counting. */
#define INFLIGHT_WAIT_MS 60000
#define INFLIGHT_POLL_US 100000
/* Longest text of ours in a query: names, escaped host and file. */
#define SQL_MAX 4096

/* How a column travels: Int64, String or Float64 in ClickHouse. */
enum col_type { COL_INT, COL_TEXT, COL_REAL };

/* A column of a flow file's table, as ClickHouse holds it. */
struct col {
	const char *name;
	enum col_type type;
	bool nullable; /* Nullable in ClickHouse: NULL in the file, or added later */
	bool added; /* added after schema version 1: older files lack it (NULL) */
	/* Its name in ClickHouse when not name: one that every row's origin
	 * columns (host, file, rowid, day) take already. */
	const char *ch_name;
};

/* Nullable kinds, in short. */
#define I(n) { n, COL_INT, false, false }
#define T(n) { n, COL_TEXT, false, false }
#define R(n) { n, COL_REAL, false, false }
#define NI(n) { n, COL_INT, true, false }
#define NT(n) { n, COL_TEXT, true, false }
#define AI(n) { n, COL_INT, true, true }
#define AT(n) { n, COL_TEXT, true, true }
#define NT_AS(n, ch) { n, COL_TEXT, true, false, ch }

#define COLS_MAX 32

/* The tables shipped, in the order they are shipped (a file's batches
 * always come in this order, so that what ClickHouse holds of a file is a
 * prefix of it). Their columns as schema/flowdb.sql has them; the first
 * is the time the day comes from. */
static const struct table {
	const char *name;
	struct col cols[COLS_MAX];
} tables[] = {
	{ "flows",
	  { I("first_seen"), I("last_seen"), T("ifname"), T("direction"), I("ip_version"),
	    I("proto"), T("src_addr"), T("dst_addr"), I("src_port"), I("dst_port"), I("vlan"),
	    I("packets"), I("bytes"), I("tcp_flags"), T("end_reason"), AT("app_proto"),
	    AT("app_info"), AI("encrypted"), AI("dropped_packets"), AI("dropped_bytes"),
	    AI("requests"), AT("fingerprint") } },
	{ "events",
	  { I("time"), T("kind"), T("ifname"), T("direction"), I("ip_version"), I("proto"),
	    T("src_addr"), T("dst_addr"), I("src_port"), I("dst_port"), I("vlan"), I("tcp_flags"),
	    AT("detail") } },
	{ "collector_stats",
	  { I("time"), I("kernel_packets"), I("kernel_bytes"), I("drained_packets"),
	    I("drained_bytes"), I("lost_packets"), I("lost_bytes"), I("non_ip"), I("malformed"),
	    I("truncated"), I("map_update_failures"), I("events"), I("ringbuf_drops"),
	    I("active_flows"), I("rows_written"), I("pending_rows"), I("write_errors"),
	    I("flush_duration_us"), AI("payload_events"), AI("payload_bytes"),
	    AI("dropped_packets"), AI("dropped_bytes"), AT("policy_mode"), AI("alerts"),
	    AI("alerts_suppressed"), AI("sink_failures"), AI("ipfix_records"),
	    AI("ipfix_send_errors"), AI("ipfix_dropped"), AI("payload_drops") } },
	{ "actions",
	  { I("time"), T("action"), T("target"), NT("rule"), NT("reason"), NI("expires"),
	    T("origin"), NI("uid"), NT("detail") } },
	{ "rule_counters",
	  { I("time"), T("rule"), T("kind"), I("packets"), I("bytes"), T("mode"), T("origin"),
	    NI("line") } },
	{ "alerts",
	  { I("time"), T("rule"), T("severity"), T("key"), T("side"), T("metric"), R("value"),
	    R("threshold"), I("window"), NI("first_seen"), NI("last_seen"), NT("example"),
	    T("action"), I("suppressed"), NI("line") } },
	{ "requests",
	  { I("time"), T("ifname"), T("direction"), I("ip_version"), I("proto"), T("src_addr"),
	    T("dst_addr"), I("src_port"), I("dst_port"), I("vlan"), T("method"),
	    NT_AS("host", "http_host"), NT("path"), NI("status") } },
};
#define N_TABLES (sizeof(tables) / sizeof(tables[0]))

/* A growing byte buffer: a batch's RowBinary, a query's text. */
struct buf {
	unsigned char *p;
	size_t len, cap;
	bool failed; /* out of memory: further appends are dropped */
};

/* Appends n bytes. */
static void buf_add(struct buf *b, const void *data, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1 << 16;
		unsigned char *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

/* Appends v as ClickHouse's RowBinary does: little-endian. */
static void buf_le(struct buf *b, uint64_t v, int bytes)
{
	unsigned char le[8];
	int i;

	for (i = 0; i < bytes; i++)
		le[i] = v >> (8 * i);
	buf_add(b, le, bytes);
}

/* Appends a RowBinary String: its length as a LEB128 varint, its bytes. */
static void buf_string(struct buf *b, const void *s, size_t n)
{
	unsigned char v[10];
	size_t k = 0, len = n;

	do {
		v[k] = len & 0x7f;
		len >>= 7;
		if (len)
			v[k] |= 0x80;
		k++;
	} while (len);
	buf_add(b, v, k);
	buf_add(b, s, n);
}

/* printf into the buffer as text (NUL kept out of len). */
static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[SQL_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(tmp)) {
		b->failed = true;
		return;
	}
	buf_add(b, tmp, n + 1);
	b->len--;
}

/* Sets sh->error from a failed query's result and frees it. Returns status. */
static int query_failed(struct shipper *sh, int status, struct chttp_result *r)
{
	snprintf(sh->error, sizeof(sh->error), "%s", r->error);
	chttp_result_free(r);
	return status;
}

/* Runs sql and reads its answer as one unsigned number into *v. Returns 0
 * or an enum chttp_status with sh->error set. */
static int query_u64(struct shipper *sh, const char *sql, uint64_t *v)
{
	struct chttp_result r;
	char *end;
	int st;

	st = chttp_query(sh->ch, sql, NULL, NULL, 0, &r);
	if (st)
		return query_failed(sh, st, &r);
	errno = 0;
	*v = strtoull(r.body ? r.body : "", &end, 10);
	if (!r.body || end == r.body || (*end && *end != '\n') || errno) {
		snprintf(sh->error, sizeof(sh->error), "ClickHouse at %s: unexpected answer to %.60s",
			 chttp_url(sh->ch), sql);
		chttp_result_free(&r);
		return CHTTP_NOT_CLICKHOUSE;
	}
	chttp_result_free(&r);
	return 0;
}

int ship_create(struct shipper *sh, const char *cluster)
{
	const char *p = clickhouse_sql;
	struct buf stmt = { 0 };
	struct chttp_result r;
	int st = 0;

	while (*p && !st) {
		const char *eol = p + strcspn(p, "\n");

		/* Comment lines stay here; a line of ';' ends a statement. */
		if (eol - p == 1 && *p == ';') {
			buf_add(&stmt, "", 1);
			if (stmt.failed) {
				snprintf(sh->error, sizeof(sh->error), "out of memory");
				st = CHTTP_NOMEM;
				break;
			}
			st = chttp_query(sh->ch, (char *)stmt.p, NULL, NULL, 0, &r);
			if (st)
				query_failed(sh, st, &r);
			else
				chttp_result_free(&r);
			stmt.len = 0;
		} else if (strncmp(p, "--", 2)) {
			for (const char *q = p; q < eol; q++) {
				if (!strncmp(q, "{cluster}", 9)) {
					buf_add(&stmt, cluster, strlen(cluster));
					q += 8;
				} else {
					buf_add(&stmt, q, 1);
				}
			}
			buf_add(&stmt, "\n", 1);
		}
		p = *eol ? eol + 1 : eol;
	}
	free(stmt.p);
	return st;
}

/* c's name in ClickHouse. */
static const char *ch_name(const struct col *c)
{
	return c->ch_name ? c->ch_name : c->name;
}

/* ClickHouse's type for c. */
static const char *col_type_name(const struct col *c)
{
	static const char *const plain[] = { "Int64", "String", "Float64" };
	static const char *const nullable[] = { "Nullable(Int64)", "Nullable(String)",
						"Nullable(Float64)" };

	return c->nullable ? nullable[c->type] : plain[c->type];
}

/* Whether column name of type is what this shipper writes into table t:
 * the four columns every row carries first, then the file's. */
static const char *expected_type(const struct table *t, const char *name)
{
	static const struct {
		const char *name, *type;
	} origin[] = { { "host", "String" }, { "file", "String" }, { "rowid", "Int64" },
		       { "day", "Date" } };
	size_t i;

	for (i = 0; i < sizeof(origin) / sizeof(origin[0]); i++)
		if (!strcmp(origin[i].name, name))
			return origin[i].type;
	for (i = 0; i < COLS_MAX && t->cols[i].name; i++)
		if (!strcmp(ch_name(&t->cols[i]), name))
			return col_type_name(&t->cols[i]);
	return NULL;
}

int ship_check_schema(struct shipper *sh)
{
	struct chttp_result r;
	uint64_t version;
	size_t i, found[N_TABLES] = { 0 }, want;
	char *line, *save = NULL;
	int st;

	st = query_u64(sh, "SELECT max(version) FROM flowdb_schema", &version);
	if (st == CHTTP_QUERY && strstr(sh->error, "flowdb_schema")) {
		snprintf(sh->error + strlen(sh->error), sizeof(sh->error) - strlen(sh->error),
			 " (flowdb-ship --create makes the tables)");
		return SHIP_REFUSED;
	}
	if (st)
		return st;
	if (version != SHIP_SCHEMA_VERSION) {
		snprintf(sh->error, sizeof(sh->error),
			 "ClickHouse at %s: fleet schema version %" PRIu64
			 ", flowdb-ship writes version %d",
			 chttp_url(sh->ch), version, SHIP_SCHEMA_VERSION);
		return SHIP_REFUSED;
	}
	st = chttp_query(sh->ch,
			 "SELECT table, name, type FROM system.columns WHERE database = "
			 "currentDatabase() AND table LIKE '%\\_local' FORMAT TabSeparated",
			 NULL, NULL, 0, &r);
	if (st)
		return query_failed(sh, st, &r);
	for (line = strtok_r(r.body ? r.body : (char *)"", "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *table = line, *name = strchr(line, '\t'), *type;
		const char *want_type;

		if (!name || !(type = strchr(name + 1, '\t')))
			continue;
		*name++ = '\0';
		*type++ = '\0';
		for (i = 0; i < N_TABLES; i++) {
			size_t n = strlen(tables[i].name);

			if (strncmp(table, tables[i].name, n) || strcmp(table + n, "_local"))
				continue;
			want_type = expected_type(&tables[i], name);
			if (!want_type || strcmp(want_type, type)) {
				snprintf(sh->error, sizeof(sh->error),
					 "ClickHouse at %s: table %.40s is of another schema: column "
					 "%.40s is %.40s, flowdb-ship writes %s",
					 chttp_url(sh->ch), table, name, type,
					 want_type ? want_type : "no such column");
				chttp_result_free(&r);
				return SHIP_REFUSED;
			}
			found[i]++;
		}
	}
	chttp_result_free(&r);
	for (i = 0; i < N_TABLES; i++) {
		for (want = 4; want < 4 + COLS_MAX && tables[i].cols[want - 4].name; want++)
			;
		if (found[i] != want) {
			snprintf(sh->error, sizeof(sh->error),
				 "ClickHouse at %s: table %s_local %s", chttp_url(sh->ch),
				 tables[i].name,
				 found[i] ? "is of another schema: it lacks columns" :
					    "is missing (flowdb-ship --create makes it)");
			return SHIP_REFUSED;
		}
	}
	return 0;
}

/* The day of a time in microseconds, clamped to ClickHouse's Date. */
static int64_t day_of(int64_t t)
{
	int64_t d = t / DAY_US - (t % DAY_US < 0);

	return d < 0 ? 0 : d > DAY_MAX ? DAY_MAX : d;
}

/* What shipping one file needs. */
struct file_job {
	struct shipper *sh;
	const char *dir;
	struct flowfile_progress *p;
	struct flowfile_entry *e;
	sqlite3 *db;
	char host[SQL_MAX / 8]; /* meta host */
	char host_sql[SQL_MAX / 4]; /* escaped for a string literal */
	char file_sql[2 * FLOWFILE_NAME_SIZE];
	uint64_t host_hash;
	bool checking; /* ClickHouse may hold rows of the next batch: count first */
	struct buf rows; /* the batch's RowBinary */
	struct batch_row {
		int64_t rowid;
		size_t off; /* where its bytes start in rows */
	} *batch; /* the batch's rows, in rowid order */
	size_t n_rows, cap_rows;
	/* Per column of the table: its index in the SELECT, -1 when the file
	 * lacks it (NULL). */
	int sel[COLS_MAX];
};

/* FNV-1a over s, continuing h. */
static uint64_t fnv(uint64_t h, const void *s, size_t n)
{
	const unsigned char *p = s;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/* Marks the file refused with why (one line), records it. Returns SHIP_REFUSED. */
static int refuse(struct file_job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(struct file_job *j, const char *fmt, ...)
{
	va_list ap;
	char *c;

	va_start(ap, fmt);
	vsnprintf(j->e->why, sizeof(j->e->why), fmt, ap);
	va_end(ap);
	for (c = j->e->why; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	j->e->state = FLOWFILE_REFUSED;
	snprintf(j->sh->error, sizeof(j->sh->error), "%s/%s: not shipped: %s", j->dir, j->e->name,
		 j->e->why);
	if (flowfile_progress_write(j->dir, j->p))
		return SHIP_LOCAL;
	return SHIP_REFUSED;
}

/* Reads the file's meta: its host (required) and schema version (at most
 * SHIP_FILE_VERSION). Returns 0, SHIP_REFUSED or SHIP_LOCAL. */
static int read_meta(struct file_job *j)
{
	sqlite3_stmt *stmt;
	int64_t version = -1;
	bool has_host = false;
	int rc;

	rc = sqlite3_prepare_v2(j->db, "SELECT key, value FROM meta", -1, &stmt, NULL);
	if (rc)
		return refuse(j, "not a flowdb file: %s", sqlite3_errmsg(j->db));
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(stmt, 0);
		const char *value = (const char *)sqlite3_column_text(stmt, 1);

		if (!key || !value)
			continue;
		/* meta's values are TEXT: the version is its digits. */
		if (!strcmp(key, "schema_version"))
			version = strlen(value) < 10 && strspn(value, "0123456789") == strlen(value) ?
					  atoi(value) :
					  -1;
		if (!strcmp(key, "host") && strlen(value) < sizeof(j->host)) {
			strcpy(j->host, value);
			has_host = true;
		}
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return refuse(j, "cannot read meta: %s", sqlite3_errstr(rc));
	if (version < 1)
		return refuse(j, "not a flowdb file (no schema_version in meta)");
	if (version > SHIP_FILE_VERSION)
		return refuse(j, "file schema version %" PRId64 ", newer than flowdb-ship reads (%d)",
			      version, SHIP_FILE_VERSION);
	if (!has_host || !*j->host)
		return refuse(j, "no host in meta (or one over %zu bytes)", sizeof(j->host) - 1);
	if (chttp_escape(j->host, j->host_sql, sizeof(j->host_sql)) < 0)
		return refuse(j, "meta host too long");
	j->host_hash = fnv(0xcbf29ce484222325ULL, j->host, strlen(j->host));
	chttp_escape(j->e->name, j->file_sql, sizeof(j->file_sql));
	return 0;
}

/* Fills j->sel for table t from the file's columns: 1 + its place in the
 * SELECT (after rowid), or -1 for a column added later that the file lacks.
 * Returns 1 when the file has the table, 0 when it lacks it (a file older
 * than the table), SHIP_REFUSED for a required column missing. */
static int map_columns(struct file_job *j, const struct table *t)
{
	sqlite3_stmt *stmt;
	char sql[128];
	int i, n = 0, rc;
	bool any = false;

	snprintf(sql, sizeof(sql), "SELECT name FROM pragma_table_info('%s')", t->name);
	for (i = 0; i < COLS_MAX; i++)
		j->sel[i] = -1;
	rc = sqlite3_prepare_v2(j->db, sql, -1, &stmt, NULL);
	if (rc)
		return refuse(j, "cannot read the tables: %s", sqlite3_errmsg(j->db));
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(stmt, 0);

		any = true;
		for (i = 0; i < COLS_MAX && t->cols[i].name; i++)
			if (name && !strcmp(name, t->cols[i].name))
				j->sel[i] = 0;
	}
	sqlite3_finalize(stmt);
	if (!any)
		return 0;
	for (i = 0; i < COLS_MAX && t->cols[i].name; i++) {
		if (j->sel[i] == 0)
			j->sel[i] = ++n;
		else if (!t->cols[i].added)
			return refuse(j, "table %s lacks column %s", t->name, t->cols[i].name);
	}
	return 1;
}

/* Encodes the row stmt stands on into j->rows (RowBinary, the INSERT's
 * column order) and its rowid into j->rowids. Returns 0, SHIP_REFUSED for a
 * value the schema does not allow, or SHIP_LOCAL (out of memory). */
static int add_row(struct file_job *j, const struct table *t, sqlite3_stmt *stmt, int64_t day)
{
	int64_t rowid = sqlite3_column_int64(stmt, 0);
	uint64_t bits;
	double d;
	int i;

	if (j->n_rows == j->cap_rows) {
		size_t cap = j->cap_rows ? j->cap_rows * 2 : 1024;
		struct batch_row *grown = realloc(j->batch, cap * sizeof(*grown));

		if (!grown)
			return SHIP_LOCAL;
		j->batch = grown;
		j->cap_rows = cap;
	}
	j->batch[j->n_rows++] = (struct batch_row){ rowid, j->rows.len };
	buf_string(&j->rows, j->host, strlen(j->host));
	buf_string(&j->rows, j->e->name, strlen(j->e->name));
	buf_le(&j->rows, (uint64_t)rowid, 8);
	buf_le(&j->rows, (uint64_t)day, 2);
	for (i = 0; i < COLS_MAX && t->cols[i].name; i++) {
		const struct col *c = &t->cols[i];
		int type = j->sel[i] < 0 ? SQLITE_NULL : sqlite3_column_type(stmt, j->sel[i]);

		if (type == SQLITE_NULL) {
			if (!c->nullable)
				return refuse(j, "%s row %" PRId64 ": %s is NULL", t->name, rowid,
					      c->name);
			buf_add(&j->rows, "\1", 1);
			continue;
		}
		if (c->nullable)
			buf_add(&j->rows, "\0", 1);
		switch (c->type) {
		case COL_INT:
			if (type != SQLITE_INTEGER)
				return refuse(j, "%s row %" PRId64 ": %s is not an integer", t->name,
					      rowid, c->name);
			buf_le(&j->rows, (uint64_t)sqlite3_column_int64(stmt, j->sel[i]), 8);
			break;
		case COL_TEXT:
			if (type != SQLITE_TEXT)
				return refuse(j, "%s row %" PRId64 ": %s is not text", t->name, rowid,
					      c->name);
			buf_string(&j->rows, sqlite3_column_text(stmt, j->sel[i]),
				   sqlite3_column_bytes(stmt, j->sel[i]));
			break;
		case COL_REAL:
			if (type != SQLITE_FLOAT && type != SQLITE_INTEGER)
				return refuse(j, "%s row %" PRId64 ": %s is not a number", t->name,
					      rowid, c->name);
			d = sqlite3_column_double(stmt, j->sel[i]);
			memcpy(&bits, &d, sizeof(bits));
			buf_le(&j->rows, bits, 8);
			break;
		}
	}
	return j->rows.failed ? SHIP_LOCAL : 0;
}

/* Writes the day (days since 1970-01-01, at most DAY_MAX) as YYYY-MM-DD
 * into buf (11 bytes). */
static void day_text(int64_t day, char *buf)
{
	time_t secs = (time_t)day * 86400;
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(buf, 11, "%Y-%m-%d", &tm);
}

/* Waits until no insert of this host's (query ids flowdb-ship-HOSTHASH-...)
 * runs on the server: a connection cut mid-insert (a shipper killed) may
 * leave ClickHouse still writing what it got, and counting before it ends
 * would miss it. Returns 0 or an enum chttp_status with sh->error set. */
static int wait_inflight(struct file_job *j)
{
	char sql[SQL_MAX];
	uint64_t running;
	int waited, st;

	snprintf(sql, sizeof(sql),
		 "SELECT count() FROM system.processes WHERE query_id LIKE 'flowdb-ship-%016" PRIx64
		 "-%%'",
		 j->host_hash);
	for (waited = 0;; waited += INFLIGHT_POLL_US / 1000) {
		st = query_u64(j->sh, sql, &running);
		if (st || !running)
			return st;
		if (waited >= INFLIGHT_WAIT_MS) {
			snprintf(j->sh->error, sizeof(j->sh->error),
				 "ClickHouse at %s: an earlier insert of host %s still runs",
				 chttp_url(j->sh->ch), j->host);
			return CHTTP_SERVER;
		}
		usleep(INFLIGHT_POLL_US);
	}
}

/* The WHERE clause naming the rows of the batch in ClickHouse. */
static void batch_where(struct file_job *j, int64_t day, char *buf, size_t size)
{
	char date[11];

	day_text(day, date);
	snprintf(buf, size,
		 "host = '%s' AND file = '%s' AND day = '%s' AND rowid BETWEEN %" PRId64
		 " AND %" PRId64,
		 j->host_sql, j->file_sql, date, j->batch[0].rowid, j->batch[j->n_rows - 1].rowid);
}

/* Reads which rowids of the batch ClickHouse holds (an insert cut at a row
 * boundary left a prefix of it) into *body the rows it lacks. Returns 0 or
 * an enum chttp_status; SHIP_LOCAL when out of memory. */
static int missing_rows(struct file_job *j, const struct table *t, const char *where,
			struct buf *body, size_t *n_missing)
{
	struct chttp_result r;
	char sql[SQL_MAX];
	char *p, *end;
	size_t i;
	int st;

	snprintf(sql, sizeof(sql), "SELECT rowid FROM %s_local WHERE %s ORDER BY rowid", t->name,
		 where);
	st = chttp_query(j->sh->ch, sql, NULL, NULL, 0, &r);
	if (st)
		return query_failed(j->sh, st, &r);
	p = r.body ? r.body : (char *)"";
	*n_missing = 0;
	for (i = 0; i < j->n_rows; i++) {
		size_t from = j->batch[i].off;
		size_t to = i + 1 < j->n_rows ? j->batch[i + 1].off : j->rows.len;
		long long held = *p ? strtoll(p, &end, 10) : 0;

		if (*p && held == j->batch[i].rowid) {
			p = *end ? end + 1 : end;
			continue;
		}
		buf_add(body, j->rows.p + from, to - from);
		(*n_missing)++;
	}
	chttp_result_free(&r);
	return body->failed ? SHIP_LOCAL : 0;
}

/* Ships the batch in j (rows of table t and one day): counts first while
 * checking, inserts what ClickHouse lacks, records progress. Returns 0,
 * SHIP_LOCAL or an enum chttp_status with sh->error set. */
static int ship_batch(struct file_job *j, const struct table *t, int64_t day)
{
	struct shipper *sh = j->sh;
	struct buf sql = { 0 }, part = { 0 };
	char where[SQL_MAX / 2], settings[160];
	struct chttp_result r;
	const void *body = j->rows.p;
	size_t len = j->rows.len, n_send = j->n_rows, i;
	uint64_t held = 0;
	int st = 0;

	if (!j->n_rows)
		return 0;
	batch_where(j, day, where, sizeof(where));
	if (j->checking) {
		st = wait_inflight(j);
		if (!st) {
			buf_printf(&sql, "SELECT count() FROM %s_local WHERE %s", t->name, where);
			st = sql.failed ? SHIP_LOCAL : query_u64(sh, (char *)sql.p, &held);
			sql.len = 0;
		}
		if (st)
			goto cleanup;
		if (held > j->n_rows) {
			snprintf(sh->error, sizeof(sh->error),
				 "ClickHouse holds %" PRIu64 " rows of a batch of %zu rows of %s "
				 "(%s, day %" PRId64 "): rows were inserted by something else",
				 held, j->n_rows, j->e->name, t->name, day);
			st = CHTTP_QUERY;
			goto cleanup;
		}
		if (held == j->n_rows) {
			sh->rows_found += held;
			j->e->rows += held;
			goto record;
		}
		/* Whatever ClickHouse lacks of this batch, it lacks every later
		 * batch of the file: batches go in one order, one at a time. */
		j->checking = false;
		if (held) {
			st = missing_rows(j, t, where, &part, &n_send);
			if (st)
				goto cleanup;
			sh->rows_found += held;
			j->e->rows += held;
			body = part.p;
			len = part.len;
		}
	}
	buf_printf(&sql, "INSERT INTO %s_local (host, file, rowid, day", t->name);
	for (i = 0; i < COLS_MAX && t->cols[i].name; i++)
		buf_printf(&sql, ", `%s`", ch_name(&t->cols[i]));
	buf_printf(&sql, ") FORMAT RowBinary");
	if (sql.failed) {
		st = SHIP_LOCAL;
		goto cleanup;
	}
	/* One block, so one part: ClickHouse cuts a larger input into blocks
	 * and writes each as it comes. The query id lets a resumption wait for
	 * an insert a killed shipper left running. */
	snprintf(settings, sizeof(settings),
		 "query_id=flowdb-ship-%016" PRIx64 "-%016" PRIx64 "&max_insert_block_size=%zu",
		 j->host_hash,
		 fnv(fnv(j->host_hash, where, strlen(where)), t->name, strlen(t->name)),
		 j->n_rows + 1);
	st = chttp_query(sh->ch, (char *)sql.p, settings, body, len, &r);
	if (st) {
		/* It may have landed: the next try counts before sending. */
		j->checking = true;
		query_failed(sh, st, &r);
		goto cleanup;
	}
	chttp_result_free(&r);
	sh->rows_sent += n_send;
	sh->batches++;
	j->e->rows += n_send;
record:
	if (flowfile_progress_write(j->dir, j->p)) {
		snprintf(sh->error, sizeof(sh->error), "%s/%s: cannot write: %s", j->dir,
			 FLOWFILE_PROGRESS, strerror(errno));
		st = SHIP_LOCAL;
	}

cleanup:
	free(sql.p);
	free(part.p);
	j->rows.len = 0;
	j->n_rows = 0;
	return st;
}

/* Reads one integer answer of the file into *v (*null when NULL). Returns
 * 0 or SHIP_REFUSED. */
static int file_int(struct file_job *j, const char *sql, int64_t *v, bool *null)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = sqlite3_prepare_v2(j->db, sql, -1, &stmt, NULL);
	if (!rc && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*null = sqlite3_column_type(stmt, 0) == SQLITE_NULL;
		*v = sqlite3_column_int64(stmt, 0);
		rc = 0;
	}
	sqlite3_finalize(stmt);
	return rc ? refuse(j, "cannot read: %s", sqlite3_errstr(rc)) : 0;
}

/* Ships table t of the file, day by day, each day's rows in rowid order.
 * Returns 0, SHIP_REFUSED, SHIP_STOPPED, SHIP_LOCAL or an enum chttp_status. */
static int ship_table(struct file_job *j, const struct table *t)
{
	const char *tc = t->cols[0].name;
	struct buf sql = { 0 };
	sqlite3_stmt *stmt = NULL;
	int64_t tmin, tmax, bad, day, lo, hi;
	bool null;
	int i, rc, st;

	st = map_columns(j, t);
	if (st <= 0)
		return st;
	buf_printf(&sql, "SELECT count(*) FROM \"%s\" WHERE typeof(\"%s\") <> 'integer'", t->name,
		   tc);
	st = sql.failed ? SHIP_LOCAL : file_int(j, (char *)sql.p, &bad, &null);
	if (!st && bad)
		st = refuse(j, "%s: %" PRId64 " rows with a %s that is not an integer", t->name, bad,
			    tc);
	sql.len = 0;
	buf_printf(&sql, "SELECT min(\"%s\") FROM \"%s\"", tc, t->name);
	if (!st)
		st = sql.failed ? SHIP_LOCAL : file_int(j, (char *)sql.p, &tmin, &null);
	if (st || null)
		goto cleanup;
	sql.len = 0;
	buf_printf(&sql, "SELECT max(\"%s\") FROM \"%s\"", tc, t->name);
	st = sql.failed ? SHIP_LOCAL : file_int(j, (char *)sql.p, &tmax, &null);
	if (st)
		goto cleanup;
	/* Each day's rows by one walk in rowid order; a file of few days (the
	 * collector's, hourly) reads fastest without the time index. */
	for (day = day_of(tmin); !st;) {
		lo = day == 0 ? INT64_MIN : day * DAY_US;
		hi = day == DAY_MAX ? INT64_MAX : (day + 1) * DAY_US - 1;
		sql.len = 0;
		buf_printf(&sql, "SELECT rowid");
		for (i = 0; i < COLS_MAX && t->cols[i].name; i++)
			if (j->sel[i] > 0)
				buf_printf(&sql, ", \"%s\"", t->cols[i].name);
		buf_printf(&sql,
			   " FROM \"%s\" %s WHERE \"%s\" BETWEEN %" PRId64 " AND %" PRId64
			   " ORDER BY rowid",
			   t->name, day_of(tmax) - day_of(tmin) < 3 ? "NOT INDEXED" : "", tc, lo, hi);
		if (sql.failed) {
			st = SHIP_LOCAL;
			break;
		}
		rc = sqlite3_prepare_v2(j->db, (char *)sql.p, -1, &stmt, NULL);
		while (!rc && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			rc = 0;
			st = add_row(j, t, stmt, day);
			if (!st && j->n_rows >= j->sh->batch_rows) {
				if (j->sh->stop && *j->sh->stop)
					st = SHIP_STOPPED;
				else
					st = ship_batch(j, t, day);
			}
			if (st)
				break;
		}
		if (!st && rc != SQLITE_DONE)
			st = refuse(j, "cannot read %s: %s", t->name, sqlite3_errstr(rc));
		sqlite3_finalize(stmt);
		stmt = NULL;
		if (!st)
			st = ship_batch(j, t, day);
		if (st || hi == INT64_MAX || hi >= tmax)
			break;
		/* The next day that holds rows. */
		sql.len = 0;
		buf_printf(&sql, "SELECT min(\"%s\") FROM \"%s\" WHERE \"%s\" > %" PRId64, tc,
			   t->name, tc, hi);
		st = sql.failed ? SHIP_LOCAL : file_int(j, (char *)sql.p, &lo, &null);
		if (st || null)
			break;
		day = day_of(lo);
	}

cleanup:
	j->rows.len = 0;
	j->n_rows = 0;
	free(sql.p);
	return st;
}

/* The URI that opens path read-only and immutable: '%', '?' and '#' of
 * the path percent-encoded. Returns it (free it) or NULL. */
static char *file_uri(const char *path)
{
	static const char prefix[] = "file:", suffix[] = "?immutable=1";
	char *uri = malloc(sizeof(prefix) + 3 * strlen(path) + sizeof(suffix)), *u;

	if (!uri)
		return NULL;
	u = stpcpy(uri, prefix);
	for (; *path; path++) {
		if (*path == '%' || *path == '?' || *path == '#')
			u += sprintf(u, "%%%02x", (unsigned char)*path);
		else
			*u++ = *path;
	}
	strcpy(u, suffix);
	return uri;
}

/* Copies path and its -wal (FLOWFILE_ORPHAN_WAL) or -journal
 * (FLOWFILE_HOT_JOURNAL) into a new private directory under $TMPDIR (else
 * /tmp), named into dir, lets SQLite recover the copy (replay the WAL,
 * roll the journal back) and leaves it one file, named into copy. Only
 * reads path. Returns 0; a negative errno (no copy could be made); or an
 * SQLite result code (the copy cannot be recovered). On failure nothing is
 * left behind and dir is "". */
static int recovered_copy(const char *path, enum flowfile_state state, char *dir, char *copy)
{
	const char *suffix = state == FLOWFILE_ORPHAN_WAL ? "-wal" : "-journal";
	const char *tmp = getenv("TMPDIR");
	char from[PATH_MAX], side[PATH_MAX + 32];
	int err;

	if (snprintf(dir, PATH_MAX, "%s/flowdb-ship-XXXXXX", tmp && *tmp ? tmp : "/tmp") >=
		    PATH_MAX - 16 ||
	    snprintf(from, sizeof(from), "%s%s", path, suffix) >= (int)sizeof(from)) {
		*dir = '\0';
		return -ENAMETOOLONG;
	}
	if (!mkdtemp(dir)) {
		err = -errno;
		*dir = '\0';
		return err;
	}
	snprintf(copy, PATH_MAX, "%s/copy.db", dir);
	snprintf(side, sizeof(side), "%s%s", copy, suffix);
	err = flowfile_copy(path, copy);
	if (!err)
		err = flowfile_copy(from, side);
	if (!err)
		err = flowfile_recover(copy);
	unlink(side);
	if (err) {
		unlink(copy);
		rmdir(dir);
		*dir = '\0';
	}
	return err;
}

int ship_file(struct shipper *sh, const char *dir, struct flowfile_progress *p,
	      struct flowfile_entry *e)
{
	struct file_job j = { .sh = sh, .dir = dir, .p = p, .e = e, .checking = true };
	char path[PATH_MAX], copy_dir[PATH_MAX] = "", copy[PATH_MAX + 16], *uri;
	enum flowfile_state state;
	int64_t n_tables;
	bool null;
	size_t i;
	int st, rc;

	sh->rows_sent = sh->rows_found = sh->batches = 0;
	sh->error[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/%s", dir, e->name) >= (int)sizeof(path)) {
		snprintf(sh->error, sizeof(sh->error), "%s/%s: name too long", dir, e->name);
		return SHIP_LOCAL;
	}
	state = flowfile_classify(path);
	if (state == FLOWFILE_LIVE) {
		snprintf(sh->error, sizeof(sh->error), "%.400s: not finished: a collector writes it",
			 path);
		return SHIP_NOT_YET;
	}
	/* A killed collector's last file, or an interrupted write: read as
	 * SQLite recovers it, from a private copy, the evidence untouched. */
	if (state != FLOWFILE_FINISHED) {
		rc = recovered_copy(path, state, copy_dir, copy);
		if (rc < 0) {
			snprintf(sh->error, sizeof(sh->error),
				 "%.400s: cannot make a private copy to read it: %s", path,
				 strerror(-rc));
			return SHIP_LOCAL;
		}
		if (rc)
			return refuse(&j, "a -wal or -journal no writer holds, and a copy cannot "
					  "be recovered: %s",
				      sqlite3_errstr(rc));
	}
	/* immutable: SQLite neither locks nor writes anything, -shm included:
	 * nothing writes a finished file (or our copy) again. */
	uri = file_uri(state == FLOWFILE_FINISHED ? path : copy);
	if (!uri) {
		snprintf(sh->error, sizeof(sh->error), "out of memory");
		st = SHIP_LOCAL;
		goto cleanup;
	}
	rc = sqlite3_open_v2(uri, &j.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	free(uri);
	if (rc) {
		st = refuse(&j, "cannot open: %s", sqlite3_errstr(rc));
		goto cleanup;
	}
	/* The collector makes a file, then its tables in one transaction. */
	rc = sqlite3_exec(j.db, "SELECT 1 FROM sqlite_schema LIMIT 1", NULL, NULL, NULL);
	if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) {
		st = refuse(&j, "not an SQLite database");
		goto cleanup;
	}
	st = file_int(&j, "SELECT count(*) FROM sqlite_schema", &n_tables, &null);
	if (!st && !n_tables) {
		snprintf(sh->error, sizeof(sh->error),
			 "%.400s: no tables yet (a file being created)", path);
		st = SHIP_NOT_YET;
	}
	if (st)
		goto cleanup;
	e->state = FLOWFILE_SHIPPING;
	e->rows = 0;
	e->why[0] = '\0';
	st = read_meta(&j);
	for (i = 0; !st && i < N_TABLES; i++)
		st = ship_table(&j, &tables[i]);
	if (!st) {
		e->state = FLOWFILE_SHIPPED;
		if (flowfile_progress_write(dir, p)) {
			snprintf(sh->error, sizeof(sh->error), "%s/%s: cannot write: %s", dir,
				 FLOWFILE_PROGRESS, strerror(errno));
			st = SHIP_LOCAL;
		}
	}

cleanup:
	sqlite3_close(j.db);
	if (*copy_dir) {
		unlink(copy);
		rmdir(copy_dir);
	}
	free(j.rows.p);
	free(j.batch);
	return st;
}

int ship_drop_before(struct shipper *sh, unsigned int yyyymmdd, unsigned int *dropped)
{
	struct chttp_result r, d;
	char sql[SQL_MAX], *line, *save = NULL;
	int st;

	*dropped = 0;
	snprintf(sql, sizeof(sql),
		 "SELECT DISTINCT table, partition FROM system.parts WHERE database = "
		 "currentDatabase() AND active AND table LIKE '%%\\_local' AND partition < '%08u' "
		 "ORDER BY table, partition FORMAT TabSeparated",
		 yyyymmdd);
	st = chttp_query(sh->ch, sql, NULL, NULL, 0, &r);
	if (st)
		return query_failed(sh, st, &r);
	for (line = strtok_r(r.body ? r.body : (char *)"", "\n", &save); line && !st;
	     line = strtok_r(NULL, "\n", &save)) {
		char *part = strchr(line, '\t');
		size_t i;
		bool ours = false;

		if (!part)
			continue;
		*part++ = '\0';
		for (i = 0; i < N_TABLES; i++)
			ours |= !strncmp(line, tables[i].name, strlen(tables[i].name)) &&
				!strcmp(line + strlen(tables[i].name), "_local");
		/* Partitions are toYYYYMMDD(day): eight digits. */
		if (!ours || strlen(part) != 8 || strspn(part, "0123456789") != 8)
			continue;
		snprintf(sql, sizeof(sql), "ALTER TABLE %s DROP PARTITION %s", line, part);
		st = chttp_query(sh->ch, sql, NULL, NULL, 0, &d);
		if (st)
			query_failed(sh, st, &d);
		else {
			chttp_result_free(&d);
			(*dropped)++;
		}
	}
	chttp_result_free(&r);
	return st;
}
