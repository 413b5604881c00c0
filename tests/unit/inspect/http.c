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
	INSPECT_NUM(http.response),	  INSPECT_NUM(http.version),
	INSPECT_NUM(http.status),	  INSPECT_TEXT(http.method),
	INSPECT_TEXT(http.path),	  INSPECT_TEXT(http.host),
	INSPECT_TEXT(http.auth_scheme),	  INSPECT_TEXT(http.upgrade),
	INSPECT_NUM(http.http2_settings),
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

static void http_h2c_upgrade(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	size_t next;

	assert_false(r->http.response);
	assert_int_equal(r->http.version, 11);
	assert_string_equal(r->http.method, "GET");
	assert_string_equal(r->http.upgrade, "h2c");
	assert_true(r->http.http2_settings);
	/* A GET without a body: the next request starts where this one's headers end. */
	assert_int_equal(inspect_http_next(p, len, (struct inspect_result[1]){ 0 }, &next), 1);
	assert_int_equal(next, len);
}

static const struct fixture fixtures[] = {
	{ "http_request.bin", TCP, CLIENT_PORT, 80, INSPECT_HTTP, 0,
	  "GET example.test/api/v1/items", http_request },
	{ "http_request_auth.bin", TCP, CLIENT_PORT, 80, INSPECT_HTTP, 0,
	  "GET example.test/api/v1/items", http_request_auth },
	{ "http_response.bin", TCP, 80, CLIENT_PORT, INSPECT_HTTP, 0, "200", http_response },
	{ "http_h2c_upgrade.bin", TCP, CLIENT_PORT, 8081, INSPECT_HTTP, 0,
	  "GET example.test/api/v1/items", http_h2c_upgrade },
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

/* Targets with spaces (attack traffic): the first word is the target, as tshark's
 * http.request.uri ("GET /a b/c?x y HTTP/1.1\r\nHost: h.test" gives "/a" and h.test in tshark
 * 4.0), the version is the line's closing word. */
static void test_http_spaces(void **state)
{
	static const char req[] = "GET /a b/c?x y HTTP/1.1\r\nHost: h.test\r\n\r\n";
	struct inspect_result r;
	size_t n, line = strlen("GET /a b/c?x y HTTP/1.1\r\n");

	assert_int_equal(http(req, &r), INSPECT_HTTP);
	assert_string_equal(r.http.method, "GET");
	assert_string_equal(r.http.path, "/a");
	assert_string_equal(r.http.host, "h.test");
	assert_int_equal(r.http.version, 11);
	assert_string_equal(r.info, "GET h.test/a");
	/* Every cut: the request from "GET /" on, its path once the space after it is there, the
	 * version once the line has ended. */
	for (n = 0; n <= strlen(req); n++) {
		assert_int_equal(run(req, n, TCP, CLIENT_PORT, 80, &r),
				 n < 5 ? INSPECT_NONE : INSPECT_HTTP);
		if (n >= 5) {
			assert_string_equal(r.http.path, n > 6 ? "/a" : "");
			assert_int_equal(r.http.version, n >= line ? 11 : 0);
		}
	}
	/* The closing word counts, not the first version-like one. */
	assert_int_equal(http("GET /a HTTP/1.1 b HTTP/1.0\r\n\r\n", &r), INSPECT_HTTP);
	assert_int_equal(r.http.version, 10);
	assert_string_equal(r.http.path, "/a");
	assert_int_equal(http("FOO /a b HTTP/1.1\r\n\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.info, "FOO /a");
	assert_int_equal(http("POST http://h.test/x y HTTP/1.1\r\n", &r), INSPECT_HTTP);
	assert_string_equal(r.info, "POST h.test/x");
	/* A line that starts as HTTP/2's preface is not HTTP/1, whatever follows: a cut of it
	 * is HTTP/2's (the fuzzer's find). */
	assert_int_equal(http("PRI * HTTP/2.0ems HTTP/1.1\r\nHost: h\r\n\r\n", &r), INSPECT_NONE);
	/* Spaces before the target (nDPI's http-manipulated.pcap), as tshark reads them. */
	assert_int_equal(http("GET      /long HTTP/1.1\r\nHost: www.lan:8080\r\n\r\n", &r),
			 INSPECT_HTTP);
	assert_string_equal(r.info, "GET www.lan:8080/long");
	/* Without a closing version, with a control character, a trailing space: not HTTP. */
	assert_int_equal(http("GET /a b\r\n\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("GET /a \x01 HTTP/1.1\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("GET /a b\x01", &r), INSPECT_NONE);
	assert_int_equal(http("GET / HTTP/1.1 \r\n", &r), INSPECT_NONE);
	assert_int_equal(http("GET /a bHTTP/1.1\r\n", &r), INSPECT_NONE);
	assert_int_equal(http("FOO /a b", &r), INSPECT_NONE);
	/* Cut before the line ends, a known method still is one. */
	assert_int_equal(http("GET /a b/c HTTP/1", &r), INSPECT_HTTP);
	assert_int_equal(r.http.version, 0);
}

/* The Upgrade header: the first protocol, whole lines only. */
static void test_http_upgrade(void **state)
{
	struct inspect_result r;

	assert_int_equal(http("GET /chat HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", &r),
			 INSPECT_HTTP);
	assert_string_equal(r.http.upgrade, "websocket");
	assert_false(r.http.http2_settings);
	assert_int_equal(http("GET / HTTP/1.1\r\nupgrade:  h2c, foo/2\r\nHTTP2-Settings: x\r\n",
			      &r),
			 INSPECT_HTTP);
	assert_string_equal(r.http.upgrade, "h2c");
	assert_true(r.http.http2_settings);
	assert_int_equal(http("GET / HTTP/1.1\r\nUpgrade: h2c", &r), INSPECT_HTTP);
	assert_string_equal(r.http.upgrade, "");
	assert_int_equal(http("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", &r),
			 INSPECT_HTTP);
	assert_string_equal(r.http.upgrade, "h2c");
	assert_string_equal(r.info, "101");
}

/* inspect_http_next() over buf: checks that it says what inspect_http() says, and that every
 * cut of buf gives the same next when the message fits in the cut and 0 otherwise. Returns
 * the whole buffer's next. */
static size_t next_of(const void *buf, size_t len)
{
	struct inspect_result r, plain;
	size_t next, cut_next, n;
	uint8_t *b;
	int ret;

	b = dup_exact(buf, len);
	ret = inspect_http_next(b, len, &r, &next);
	assert_int_equal(ret, inspect_http(b, len, &plain));
	/* message_length is inspect_http_next()'s alone: next when known. */
	if (next)
		assert_int_equal(r.http.message_length, next);
	plain.http.message_length = r.http.message_length;
	assert_memory_equal(&r, &plain, sizeof(r));
	free(b);
	assert_true(next <= len);
	if (!ret)
		assert_int_equal(next, 0);
	for (n = 0; ret && n < len; n++) {
		b = dup_exact(buf, n);
		inspect_http_next(n ? b : NULL, n, &r, &cut_next);
		if (cut_next != (next && next <= n ? next : 0))
			fail_msg("cut at %zu of %zu: next %zu, whole %zu", n, len, cut_next, next);
		free(b);
	}
	return next;
}

/* next_of() over a string literal, its NUL left out. */
#define NEXT(s) next_of(s, sizeof(s) - 1)

/* Counts the requests of a keep-alive buffer as the caller does: each next in turn. */
static int count_requests(const char *s, size_t len, const char *methods)
{
	struct inspect_result r;
	size_t off = 0, next;
	char got[256] = "";
	int n = 0;

	while (off < len && inspect_http_next((const uint8_t *)s + off, len - off, &r, &next)) {
		n++;
		strcat(got, r.http.method);
		strcat(got, " ");
		if (!next)
			break;
		off += next;
	}
	assert_string_equal(got, methods);
	return n;
}

/* Pipelined and keep-alive buffers: each framing rule of RFC 9112 6.3. */
static void test_http_next(void **state)
{
	static const char pipelined[] =
		"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
		"POST /2 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
		"PUT /3 HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
		"5;ext=1\r\nhello\r\n0a\r\n0123456789\r\n0\r\nX-T: y\r\n\r\n"
		"DELETE /4 HTTP/1.1\r\n\r\n";
	struct inspect_result r;
	char buf[8192], *p;
	size_t len = strlen(pipelined), n;
	int i;

	assert_int_equal(count_requests(pipelined, len, "GET POST PUT DELETE "), 4);
	n = next_of(pipelined, len);
	assert_int_equal(n, strlen("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"));
	assert_int_equal(next_of(pipelined + n, len - n),
			 strlen("POST /2 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"));
	assert_int_equal(NEXT("DELETE /4 HTTP/1.1\r\n\r\n"), 22);

	/* Content-Length: several that agree, or not; malformed; past the buffer; huge. */
	assert_int_equal(NEXT("POST / HTTP/1.1\r\nContent-Length: 2\r\ncontent-length: 2\r\n"
			      "\r\nokGET"),
			 59);
	assert_int_equal(NEXT("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n"
			      "\r\nokGET"),
			 0);
	assert_int_equal(NEXT("POST / HTTP/1.1\r\nContent-Length: 2x\r\n\r\nokGET"), 0);
	assert_int_equal(NEXT("POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\nokGET"), 0);
	assert_int_equal(NEXT("POST / HTTP/1.1\r\nContent-Length:\r\n\r\nokGET"), 0);
	assert_int_equal(NEXT("POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nokGET"), 0);
	assert_int_equal(NEXT("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n"
			      "\r\nok"),
			 0);
	assert_int_equal(NEXT("POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n"
			      "\r\nok"),
			 0);
	/* Transfer-Encoding overrides Content-Length; not ending in chunked, the length is
	 * unknown; cut chunks, bad sizes, too many digits. */
	assert_int_equal(NEXT("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: "
			      "chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nX"),
			 78);
	assert_int_equal(NEXT("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"
			      "0\r\n\r\nX"),
			 0);
	assert_int_equal(NEXT("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			      "g\r\n\r\n0\r\n\r\n"),
			 0);
	assert_int_equal(NEXT("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			      "2\r\nokX\r\n0\r\n\r\n"),
			 0);
	assert_int_equal(NEXT("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			      "0000000000000001\r\nx\r\n0\r\n\r\n"),
			 0);
	assert_int_equal(NEXT("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			      "000000000000001\r\nx\r\n0\r\n\r\n"),
			 72);
	/* Responses: 1xx, 204 and 304 have no body, whatever they say; others without a length
	 * run to the connection's end. */
	assert_int_equal(NEXT("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"), 25);
	assert_int_equal(NEXT("HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\nHTTP"), 46);
	assert_int_equal(NEXT("HTTP/1.1 304 x\r\n\r\nHTTP"), 18);
	assert_int_equal(NEXT("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP"), 40);
	assert_int_equal(NEXT("HTTP/1.0 200 OK\r\n\r\nbody"), 0);
	assert_int_equal(NEXT("HTTP/1.1 101 Switching\r\nUpgrade: h2c\r\n\r\n\x00\x00"), 40);
	/* A head that does not end, or ends after INSPECT_HTTP_MAX_HEADERS lines; HTTP/0.9;
	 * not HTTP. */
	assert_int_equal(NEXT("GET / HTTP/1.1\r\nHost: a\r\n"), 0);
	p = buf + sprintf(buf, "GET / HTTP/1.1\r\n");
	for (i = 0; i < INSPECT_HTTP_MAX_HEADERS; i++)
		p += sprintf(p, "X-%d: y\r\n", i);
	p += sprintf(p, "\r\nGET / HTTP/1.1\r\n\r\n");
	assert_int_equal(next_of(buf, strlen(buf)), 0);
	assert_int_equal(NEXT("GET /x\r\n"), 0);
	assert_int_equal(inspect_http_next((const uint8_t *)"SSH-2.0-x\r\n", 11, &r, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(inspect_http_next(NULL, 0, &r, &n), 0);
	assert_int_equal(n, 0);
}

static const struct CMUnitTest cases[] = {
	cmocka_unit_test(test_http_malformed),
	cmocka_unit_test(test_http_spaces),
	cmocka_unit_test(test_http_upgrade),
	cmocka_unit_test(test_http_next),
};

INSPECT_TEST(http, INSPECT_HTTP, 0, info_http, NULL);
