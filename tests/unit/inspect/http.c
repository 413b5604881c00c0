// SPDX-License-Identifier: BSD-2-Clause
/* The HTTP/1.x inspector: captured requests and responses, and hand-made ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "inspect.h"
#include "inspect_test.h"

/* The protocol's fields, which every result is checked for. */
static const struct inspect_field fields[] = {
	INSPECT_NUM(http.response),	INSPECT_NUM(http.version), INSPECT_NUM(http.status),
	INSPECT_TEXT(http.method),	INSPECT_TEXT(http.path),   INSPECT_TEXT(http.host),
	INSPECT_TEXT(http.auth_scheme),
};

/* ---- What each fixture holds ---- */

static void http_request(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_false(r->http.response);
	assert_int_equal(r->http.version, 11);
	assert_string_equal(r->http.method, "GET");
	assert_string_equal(r->http.path, "/api/v1/items");
	assert_string_equal(r->http.host, "example.test");
	assert_string_equal(r->http.auth_scheme, "");
	assert_false(r->authorization);
	assert_int_equal(r->http.status, 0);
}

static void http_request_auth(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_string_equal(r->http.method, "GET");
	assert_string_equal(r->http.path, "/api/v1/items");
	assert_string_equal(r->http.host, "example.test");
	assert_true(r->authorization);
	assert_string_equal(r->http.auth_scheme, "Basic");
	/* user:pass in base64 is nowhere. */
	assert_non_null(memmem(p, len, "dXNlcjpwYXNz", 12));
	assert_null(memmem(r, sizeof(*r), "dXNlcjpwYXNz", 12));
}

static void http_response(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_true(r->http.response);
	assert_int_equal(r->http.version, 10); /* python's http.server answers HTTP/1.0 */
	assert_int_equal(r->http.status, 200);
	assert_string_equal(r->http.method, "");
	assert_string_equal(r->http.host, "");
}

static const struct fixture fixtures[] = {
	{ "http_request.bin", TCP, CLIENT_PORT, 80, INSPECT_HTTP, 0,
	  "GET example.test/api/v1/items", http_request },
	{ "http_request_auth.bin", TCP, CLIENT_PORT, 80, INSPECT_HTTP, 0,
	  "GET example.test/api/v1/items", http_request_auth },
	{ "http_response.bin", TCP, 80, CLIENT_PORT, INSPECT_HTTP, 0, "200", http_response },
};

/* ---- Results of cut payloads ---- */

static void info_http(const struct inspect_result *c, const struct inspect_result *w, char *want,
		      size_t size)
{
	if (c->http.response)
		snprintf(want, size, "%s", c->http.status ? w->info : "");
	else
		snprintf(want, size, "%s%s%s%s", c->http.method,
			 c->http.host[0] || c->http.path[0] ? " " : "", c->http.host, c->http.path);
}

/* ---- Hand-made messages ---- */

/* An HTTP request over TCP to port 80. */
static enum inspect_proto http(const char *s, struct inspect_result *r)
{
	return run(s, strlen(s), TCP, CLIENT_PORT, 80, r);
}

/* HTTP: lines without ends, many headers, forms of targets, what is never stored. */
static void test_http_malformed(void **state)
{
	struct inspect_result r;
	char req[8192], *p;
	int i;

	/* No CRLF anywhere: the request line is enough; a Host line without its end is not,
	 * nor the version, which is the line's last word ("GET /x HTTP/1.1 y HTTP/1.0"). */
	assert_int_equal(http("GET /x HTTP/1.1", &r), INSPECT_HTTP);
	assert_string_equal(r.http.path, "/x");
	assert_int_equal(r.http.version, 0);
	assert_string_equal(r.http.host, "");
	assert_string_equal(r.info, "GET /x");
	assert_int_equal(http("GET /x HTTP/1.1\r\nHost: a.test", &r), INSPECT_HTTP);
	assert_string_equal(r.http.host, "");
	assert_int_equal(http("GET /x HTTP/1.1\r\nHost:  a.test \r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.http.host, "a.test");
	assert_string_equal(r.info, "GET a.test/x");
	/* Bare LF line ends. */
	assert_int_equal(http("GET /x HTTP/1.0\nhOsT: b.test\n\n", &r), INSPECT_HTTP);
	assert_string_equal(r.http.host, "b.test");
	assert_int_equal(r.http.version, 10);

	/* A huge header count: only the first INSPECT_HTTP_MAX_HEADERS lines are read. */
	p = req + sprintf(req, "GET / HTTP/1.1\r\n");
	for (i = 0; i < 200; i++)
		p += sprintf(p, "X-%d: y\r\n", i);
	sprintf(p, "Host: late.test\r\n\r\n");
	assert_int_equal(http(req, &r), INSPECT_HTTP);
	assert_string_equal(r.http.host, "");
	p = req + sprintf(req, "GET / HTTP/1.1\r\n");
	for (i = 0; i < INSPECT_HTTP_MAX_HEADERS - 1; i++)
		p += sprintf(p, "X-%d: y\r\n", i);
	sprintf(p, "Host: last.test\r\n\r\n");
	assert_int_equal(http(req, &r), INSPECT_HTTP);
	assert_string_equal(r.http.host, "last.test");
	/* Headers after the empty line are the body's. */
	assert_int_equal(http("GET / HTTP/1.1\r\n\r\nHost: body.test\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.http.host, "");
	/* A junk line is skipped, the first Host counts. */
	assert_int_equal(http("GET / HTTP/1.1\r\n junk\r\nHost: one\r\nHost: two\r\n", &r),
			 INSPECT_HTTP);
	assert_string_equal(r.http.host, "one");

	/* Authorization: the scheme, never the credentials, even cut. */
	assert_int_equal(http("GET / HTTP/1.1\r\nAuthorization: Bearer s3cr3t", &r), INSPECT_HTTP);
	assert_true(r.authorization);
	assert_string_equal(r.http.auth_scheme, "Bearer");
	assert_null(memmem(&r, sizeof(r), "s3cr3t", 6));
	assert_int_equal(http("GET / HTTP/1.1\r\nauthorization: Bas", &r), INSPECT_HTTP);
	assert_true(r.authorization);
	assert_string_equal(r.http.auth_scheme, "");
	assert_int_equal(http("GET / HTTP/1.1\r\nAuthorization", &r), INSPECT_HTTP);
	assert_false(r.authorization);

	/* Query strings and a proxy request's user:password stay out. */
	assert_int_equal(http("GET /search?q=secret#frag HTTP/1.1\r\n\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.http.path, "/search");
	assert_int_equal(http("GET http://user:pw@proxy.test:8080/a/b?token=1 HTTP/1.1\r\n\r\n",
			      &r),
			 INSPECT_HTTP);
	assert_string_equal(r.http.host, "proxy.test:8080");
	assert_string_equal(r.http.path, "/a/b");
	assert_string_equal(r.info, "GET proxy.test:8080/a/b");
	assert_null(memmem(&r, sizeof(r), "pw", 2));
	assert_null(memmem(&r, sizeof(r), "token", 5));
	/* The absolute form's authority wins over Host. */
	assert_int_equal(http("GET HTTPS://a.test HTTP/1.1\r\nHost: b.test\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.http.host, "a.test");
	assert_string_equal(r.http.path, "");
	assert_int_equal(http("CONNECT example.test:443 HTTP/1.1\r\n\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.http.host, "example.test:443");
	assert_string_equal(r.http.path, "");
	assert_string_equal(r.info, "CONNECT example.test:443");
	assert_int_equal(http("OPTIONS * HTTP/1.1\r\n\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.http.path, "*");
	assert_string_equal(r.info, "OPTIONS *");
	assert_int_equal(http("OPTIONS *x HTTP/1.1\r\n\r\n", &r), INSPECT_NONE);

	/* Every method is a request, and a request's info never reads like a response's: the
	 * method comes first, even when nothing else is known. */
	assert_int_equal(http("PATCH /p HTTP/1.1\r\nHost: h\r\n\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.info, "PATCH h/p");
	assert_int_equal(http("TRACE / HTTP/1.1\r\n\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.info, "TRACE /");
	assert_int_equal(http("CONNECT 200 HTTP/1.1\r\n\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.info, "CONNECT 200");
	assert_int_equal(http("GET http://404 HTTP/1.1\r\n\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.info, "GET 404");
	assert_int_equal(http("GET /abc", &r), INSPECT_HTTP);
	assert_string_equal(r.info, "GET");
	/* A space inside a Host is escaped: a name is one word. Quotes and slashes are not. */
	assert_int_equal(http("GET /x HTTP/1.1\r\nHost: a b\t\"c'/d \r\n\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.http.host, "a\\x20b\\x09\"c'/d");
	assert_string_equal(r.info, "GET a\\x20b\\x09\"c'/d/x");

	/* info cut to fit: the method, a 250-character host, then as much of the path as fits. */
	p = req + sprintf(req, "GET /abcdefgh HTTP/1.1\r\nHost: ");
	memset(p, 'h', 250);
	sprintf(p + 250, "\r\n\r\n");
	assert_int_equal(http(req, &r), INSPECT_HTTP);
	assert_int_equal(strlen(r.http.host), 250);
	assert_int_equal(strlen(r.info), INSPECT_INFO_SIZE - 1);
	assert_memory_equal(r.info, "GET ", 4);
	assert_memory_equal(r.info + 4, p, 250);
	assert_string_equal(r.info + 254, "/");
	/* ...never splitting an escape: "/\xff" does not fit after 252 characters. */
	p = req + sprintf(req, "GET /\xff HTTP/1.1\r\nHost: ");
	memset(p, 'h', 248);
	sprintf(p + 248, "\r\n\r\n");
	assert_int_equal(http(req, &r), INSPECT_HTTP);
	assert_string_equal(r.http.path, "/\\xff");
	assert_int_equal(strlen(r.info), 253);
	assert_string_equal(r.info + 252, "/");

	/* A path longer than its array: the start of it. */
	p = req + sprintf(req, "GET /");
	for (i = 0; i < 300; i++)
		*p++ = 'a' + i % 26;
	*p = '\0';
	assert_int_equal(http(req, &r), INSPECT_HTTP);
	assert_int_equal(strlen(r.http.path), INSPECT_PATH_SIZE - 1);
	assert_memory_equal(r.http.path, req + 4, INSPECT_PATH_SIZE - 1);
	/* A short one cut by the buffer is not known yet. */
	assert_int_equal(http("GET /abc", &r), INSPECT_HTTP);
	assert_string_equal(r.http.path, "");
	/* Bytes outside printable ASCII are escaped. */
	assert_int_equal(http("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\\\x7f\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.http.path, "/caf\\xc3\\xa9");
	assert_string_equal(r.http.host, "h\\x5c\\x7f");

	/* Methods and versions. */
	assert_int_equal(http("PROPFIND /x HTTP/1.1\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.http.method, "PROPFIND");
	assert_int_equal(http("PROPFIND /x", &r), INSPECT_NONE);
	assert_int_equal(http("FOO bar HTTP/1.1\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("GET bar HTTP/1.1\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("get / HTTP/1.1\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("ABCDEFGHIJKLMNOP / HTTP/1.1\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("GET / HTTP/2.0\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("GET / HTTP/1.1x\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("GET /\x01 HTTP/1.1\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("GET ", &r), INSPECT_NONE);
	assert_int_equal(http("GET", &r), INSPECT_NONE);
	assert_int_equal(http("GET /x\r\n\r\n", &r), INSPECT_HTTP); /* HTTP/0.9 */
	assert_int_equal(r.http.version, 0);

	/* Responses. */
	assert_int_equal(http("HTTP/1.1 404 Not Found\r\n", &r), INSPECT_HTTP);
	assert_int_equal(r.http.status, 404);
	assert_string_equal(r.info, "404");
	assert_int_equal(http("HTTP/1.1 204\r\n", &r), INSPECT_HTTP);
	assert_int_equal(r.http.status, 204);
	assert_int_equal(http("HTTP/1.1 20", &r), INSPECT_HTTP);
	assert_int_equal(r.http.status, 0);
	assert_string_equal(r.info, "");
	assert_int_equal(http("HTTP/1.1 x", &r), INSPECT_NONE);
	assert_int_equal(http("HTTP/1.1 2000 OK\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("HTTP/1.1 099 OK\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("HTTP/1.1 2x0 OK\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("HTTP/1.1200 OK\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("HTTP/2 200\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("HTTP/1.", &r), INSPECT_NONE);
}

static const struct CMUnitTest cases[] = {
	cmocka_unit_test(test_http_malformed),
};

INSPECT_TEST(http, INSPECT_HTTP, 0, info_http, NULL);
