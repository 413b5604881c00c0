/* SPDX-License-Identifier: BSD-2-Clause */
/* A client of ClickHouse's HTTP interface (libcurl): one query, one answer, one-line errors. */
#ifndef CHTTP_H
#define CHTTP_H

#include <stdbool.h>
#include <stddef.h>

/* What a query came to. The chttp_* calls return 0 (CHTTP_OK) or one of
 * these, positive; chttp_retryable() says which are worth another try. */
enum chttp_status {
	CHTTP_OK = 0,
	/* No answer: connection refused, host unreachable or unknown, a
	 * timeout, the connection cut mid-way. Retry. */
	CHTTP_CONNECT,
	/* A gateway answered 502, 503 or 504 (ClickHouse behind it is away),
	 * or ClickHouse answered an exception without a code, or one that passes (too many queries or
	 * parts, memory, a network error between shards). Retry. */
	CHTTP_SERVER,
	/* Unknown user, wrong or missing password (HTTP 401/403, ClickHouse
	 * codes 192, 193, 194, 516). Retrying changes nothing. */
	CHTTP_AUTH,
	/* ClickHouse refused the query: chttp_result.code holds its exception
	 * code (60: no such table, 81: no such database, 62: syntax...). */
	CHTTP_QUERY,
	/* Something answered HTTP at the URL, but not ClickHouse. */
	CHTTP_NOT_CLICKHOUSE,
	/* A URL libcurl cannot use (not http or https, malformed). */
	CHTTP_URL,
	CHTTP_NOMEM,
};

/* ClickHouse exception codes the callers look at. */
#define CHTTP_CODE_UNKNOWN_TABLE 60
#define CHTTP_CODE_UNKNOWN_DATABASE 81
#define CHTTP_CODE_QUERY_ID_RUNNING 216

/* One answer. body is NUL-terminated (len excludes the NUL) and owned by
 * the result until chttp_result_free(). */
struct chttp_result {
	long http_status; /* 0 when nothing answered */
	int code; /* ClickHouse's exception code, 0 for none */
	char *body;
	size_t len;
	/* For anything but CHTTP_OK: one line naming the server (its URL
	 * without the password) and the problem, ClickHouse's own message
	 * cut to its first sentence. */
	char error[512];
};

struct chttp;

/*
 * Prepares queries to the server at url: http[s]://[USER[:PASSWORD]@]HOST[:PORT]/
 * with optional parameters (?database=NAME, settings). The user and
 * password travel as HTTP basic authentication; without a password in the
 * URL, the environment's FLOWDB_CLICKHOUSE_PASSWORD is used when set.
 * Contacts nothing yet. Returns CHTTP_OK and sets *out, CHTTP_URL with one
 * line in err, or CHTTP_NOMEM.
 */
int chttp_open(struct chttp **out, const char *url, char *err, size_t size);

/* Frees c. NULL is fine. */
void chttp_close(struct chttp *c);

/* The URL without its password, for messages. */
const char *chttp_url(const struct chttp *c);

/*
 * Runs one statement. Without data, sql is the POST body; with data
 * (len bytes, an INSERT's rows in the format sql names), sql goes in the
 * URL and data is the body. settings is NULL or more URL parameters,
 * "name=value&name=value", each value URL-safe already (query_id,
 * max_insert_block_size...). Fills *res (free it with chttp_result_free()
 * whatever the return). Returns CHTTP_OK when ClickHouse answered 200, or
 * an enum chttp_status with res->error set.
 */
int chttp_query(struct chttp *c, const char *sql, const char *settings, const void *data,
		size_t len, struct chttp_result *res);

/* Whether another try of a query that returned status may succeed. */
bool chttp_retryable(int status);

/* Frees what res holds and clears it. */
void chttp_result_free(struct chttp_result *res);

/*
 * Writes s into out as the body of a ClickHouse string literal (the
 * quotes not included): backslash and quote escaped, control bytes as
 * \xHH. Returns the length written, or -ENOSPC when out (size bytes,
 * NUL included) is too small.
 */
int chttp_escape(const char *s, char *out, size_t size);

#endif /* CHTTP_H */
