// SPDX-License-Identifier: BSD-2-Clause
/* A client of ClickHouse's HTTP interface (libcurl): one query, one answer, one-line errors. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include "chttp.h"

/* No connection within this long is an outage. */
#define CONNECT_TIMEOUT_S 10L
/* A transfer that moves less than a byte a second for this long is cut:
 * a dead server behind a live connection. A long query streams nothing
 * until it ends, so the window is wide. */
#define STALL_TIME_S 600L
/* An answer larger than this is refused: fleet answers are small. */
#define BODY_MAX (256u << 20)

struct chttp {
	CURL *curl;
	CURLU *url; /* without user and password */
	char *display; /* the URL for messages: the user kept, no password */
	char *user, *password;
};

/* What the header callback learns. */
struct answer {
	struct chttp_result *res;
	size_t cap;
	bool clickhouse; /* an X-ClickHouse-* header came */
	bool too_big;
};

/* ClickHouse exception codes that pass: busy, memory, a shard's network,
 * our own insert still running after a cut connection. */
static const int transient_codes[] = {
	159, /* TIMEOUT_EXCEEDED */
	202, /* TOO_MANY_SIMULTANEOUS_QUERIES */
	209, /* SOCKET_TIMEOUT */
	210, /* NETWORK_ERROR */
	216, /* QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING */
	236, /* ABORTED */
	241, /* MEMORY_LIMIT_EXCEEDED */
	252, /* TOO_MANY_PARTS */
	279, /* ALL_CONNECTION_TRIES_FAILED */
	394, /* QUERY_WAS_CANCELLED */
};

/* Unknown user, wrong password, password required, authentication failed. */
static const int auth_codes[] = { 192, 193, 194, 516 };

/* Whether code is one of the n codes. */
static bool code_in(int code, const int *codes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (codes[i] == code)
			return true;
	return false;
}

/* Appends to the answer's body, refusing past BODY_MAX. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct answer *a = arg;
	struct chttp_result *r = a->res;
	size_t n = size * nmemb;

	if (r->len + n + 1 > BODY_MAX) {
		a->too_big = true;
		return 0;
	}
	if (r->len + n + 1 > a->cap) {
		size_t cap = a->cap ? a->cap : 4096;
		char *grown;

		while (cap < r->len + n + 1)
			cap *= 2;
		grown = realloc(r->body, cap);
		if (!grown)
			return 0;
		r->body = grown;
		a->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/* Notes ClickHouse's headers: that it is ClickHouse, and its exception code
 * (current versions send it; 18.16 only writes it in the body). */
static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	static const char code_hdr[] = "X-ClickHouse-Exception-Code:";
	struct answer *a = arg;
	size_t n = size * nmemb;

	if (n >= 13 && !strncasecmp(data, "X-ClickHouse-", 13))
		a->clickhouse = true;
	if (n > sizeof(code_hdr) - 1 && !strncasecmp(data, code_hdr, sizeof(code_hdr) - 1))
		a->res->code = atoi(data + sizeof(code_hdr) - 1);
	return n;
}

int chttp_open(struct chttp **out, const char *url, char *err, size_t size)
{
	struct chttp *c = calloc(1, sizeof(*c));
	char *scheme = NULL, *user = NULL, *password = NULL, *plain = NULL;
	const char *env = getenv("FLOWDB_CLICKHOUSE_PASSWORD");
	int ret = CHTTP_NOMEM;
	CURLUcode uc;

	if (!c || curl_global_init(CURL_GLOBAL_DEFAULT) || !(c->url = curl_url()))
		goto cleanup;
	uc = curl_url_set(c->url, CURLUPART_URL, url, 0);
	if (!uc)
		uc = curl_url_get(c->url, CURLUPART_SCHEME, &scheme, 0);
	if (uc || (strcmp(scheme, "http") && strcmp(scheme, "https"))) {
		snprintf(err, size, "%s: not an http:// or https:// URL%s%s", url, uc ? ": " : "",
			 uc ? curl_url_strerror(uc) : "");
		ret = CHTTP_URL;
		goto cleanup;
	}
	curl_url_get(c->url, CURLUPART_USER, &user, CURLU_URLDECODE);
	curl_url_get(c->url, CURLUPART_PASSWORD, &password, CURLU_URLDECODE);
	if ((user && !(c->user = strdup(user))) ||
	    ((password || env) && !(c->password = strdup(password ? password : env))))
		goto cleanup;
	/* Messages name the server and the user, never the password. */
	curl_url_set(c->url, CURLUPART_PASSWORD, NULL, 0);
	if (curl_url_get(c->url, CURLUPART_URL, &plain, 0) || !(c->display = strdup(plain)))
		goto cleanup;
	curl_url_set(c->url, CURLUPART_USER, NULL, 0);
	c->curl = curl_easy_init();
	if (!c->curl)
		goto cleanup;
	ret = CHTTP_OK;

cleanup:
	curl_free(scheme);
	curl_free(user);
	curl_free(password);
	curl_free(plain);
	if (ret) {
		chttp_close(c);
		return ret;
	}
	*out = c;
	return CHTTP_OK;
}

void chttp_close(struct chttp *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	curl_url_cleanup(c->url);
	free(c->display);
	free(c->user);
	free(c->password);
	free(c);
}

const char *chttp_url(const struct chttp *c)
{
	return c->display;
}

bool chttp_retryable(int status)
{
	return status == CHTTP_CONNECT || status == CHTTP_SERVER;
}

void chttp_result_free(struct chttp_result *res)
{
	free(res->body);
	memset(res, 0, sizeof(*res));
}

int chttp_escape(const char *s, char *out, size_t size)
{
	size_t n = 0;

	for (; *s; s++) {
		unsigned char ch = *s;
		char piece[5];
		size_t k;

		if (ch == '\\' || ch == '\'')
			k = (size_t)snprintf(piece, sizeof(piece), "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			k = (size_t)snprintf(piece, sizeof(piece), "\\x%02x", ch);
		else
			k = (size_t)snprintf(piece, sizeof(piece), "%c", ch);
		if (n + k + 1 > size)
			return -ENOSPC;
		memcpy(out + n, piece, k);
		n += k;
	}
	if (n + 1 > size)
		return -ENOSPC;
	out[n] = '\0';
	return (int)n;
}

/* Writes ClickHouse's message from body into buf as one printable line: the
 * text after "Exception: " up to where 18.16 (", e.what()") or current
 * versions (" (version ") add their trailer; the whole first line when
 * there is no such text. */
static void exception_text(const char *body, char *buf, size_t size)
{
	const char *p = body ? strstr(body, "Exception: ") : NULL;
	const char *end, *cut;
	size_t n, i;

	p = p ? p + strlen("Exception: ") : body ? body : "";
	end = p + strcspn(p, "\r\n");
	cut = strstr(p, ", e.what()");
	if (cut && cut < end)
		end = cut;
	cut = strstr(p, " (version ");
	if (cut && cut < end)
		end = cut;
	n = (size_t)(end - p) < size - 1 ? (size_t)(end - p) : size - 1;
	/* A server's text goes to a terminal: nothing but printable ASCII. */
	for (i = 0; i < n; i++)
		buf[i] = isprint((unsigned char)p[i]) ? p[i] : '?';
	buf[n] = '\0';
}

/* Reads the exception code 18.16 writes at the start of the body: "Code: 60, ...". */
static int body_code(const char *body)
{
	return body && !strncmp(body, "Code: ", 6) ? atoi(body + 6) : 0;
}

/* Classifies a finished transfer into an enum chttp_status and writes
 * res->error for anything but success. */
static int classify(struct chttp *c, CURLcode cc, const char *curl_err, const struct answer *a,
		    struct chttp_result *res)
{
	char text[400];

	if (cc == CURLE_WRITE_ERROR && a->too_big) {
		snprintf(res->error, sizeof(res->error), "ClickHouse at %s: an answer over %u MiB",
			 c->display, BODY_MAX >> 20);
		return CHTTP_QUERY;
	}
	if (cc == CURLE_WRITE_ERROR || cc == CURLE_OUT_OF_MEMORY) {
		snprintf(res->error, sizeof(res->error), "ClickHouse at %s: out of memory",
			 c->display);
		return CHTTP_NOMEM;
	}
	if (cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL) {
		snprintf(res->error, sizeof(res->error), "%s: %s", c->display,
			 *curl_err ? curl_err : curl_easy_strerror(cc));
		return CHTTP_URL;
	}
	if (cc != CURLE_OK) {
		snprintf(res->error, sizeof(res->error), "ClickHouse at %s: no answer: %s",
			 c->display, *curl_err ? curl_err : curl_easy_strerror(cc));
		return CHTTP_CONNECT;
	}
	if (res->http_status == 200)
		return CHTTP_OK;
	if (!res->code)
		res->code = body_code(res->body);
	exception_text(res->body, text, sizeof(text));
	if (res->http_status == 401 || res->http_status == 403 ||
	    code_in(res->code, auth_codes, sizeof(auth_codes) / sizeof(auth_codes[0]))) {
		snprintf(res->error, sizeof(res->error),
			 "ClickHouse at %s: wrong user or password (%s)", c->display, text);
		return CHTTP_AUTH;
	}
	if (!a->clickhouse && !res->code) {
		snprintf(res->error, sizeof(res->error),
			 "%s answers HTTP %ld, not as ClickHouse does", c->display, res->http_status);
		/* A gateway's outage passes; anything else answering is the wrong URL. */
		return res->http_status == 502 || res->http_status == 503 ||
				       res->http_status == 504 ?
			       CHTTP_SERVER :
			       CHTTP_NOT_CLICKHOUSE;
	}
	snprintf(res->error, sizeof(res->error), "ClickHouse at %s: %s", c->display, text);
	if (!res->code ||
	    code_in(res->code, transient_codes, sizeof(transient_codes) / sizeof(transient_codes[0])))
		return CHTTP_SERVER;
	return CHTTP_QUERY;
}

int chttp_query(struct chttp *c, const char *sql, const char *settings, const void *data,
		size_t len, struct chttp_result *res)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	struct answer a = { .res = res };
	struct curl_slist *headers = NULL;
	CURLU *u = curl_url_dup(c->url);
	char *query = NULL;
	CURLcode cc;
	int ret = CHTTP_NOMEM;

	memset(res, 0, sizeof(*res));
	if (!u)
		goto cleanup;
	if (data) {
		query = malloc(strlen(sql) + sizeof("query="));
		if (!query)
			goto cleanup;
		sprintf(query, "query=%s", sql);
		if (curl_url_set(u, CURLUPART_QUERY, query, CURLU_APPENDQUERY | CURLU_URLENCODE))
			goto cleanup;
	}
	if (settings && *settings && curl_url_set(u, CURLUPART_QUERY, settings, CURLU_APPENDQUERY))
		goto cleanup;
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_CURLU, u);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_TIME, STALL_TIME_S);
	curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, data ? data : (const void *)sql);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)(data ? len : strlen(sql)));
	/* No "Expect: 100-continue" round trip before each batch. */
	headers = curl_slist_append(NULL, "Expect:");
	if (!headers)
		goto cleanup;
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
	if (c->user)
		curl_easy_setopt(c->curl, CURLOPT_USERNAME, c->user);
	if (c->password)
		curl_easy_setopt(c->curl, CURLOPT_PASSWORD, c->password);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, &a);
	cc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &res->http_status);
	if (cc != CURLE_OK)
		res->http_status = cc == CURLE_WRITE_ERROR ? res->http_status : 0;
	ret = classify(c, cc, curl_err, &a, res);

cleanup:
	if (ret == CHTTP_NOMEM && !res->error[0])
		snprintf(res->error, sizeof(res->error), "ClickHouse at %s: out of memory",
			 c->display);
	curl_slist_free_all(headers);
	free(query);
	curl_url_cleanup(u);
	return ret;
}
