/* SPDX-License-Identifier: BSD-2-Clause */
/* HTTP/1.x: a request line or a status line, and the header lines that follow (RFC 9112). */
#ifndef INSPECT_HTTP_H
#define INSPECT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fields.h"

#define INSPECT_METHOD_SIZE 16
#define INSPECT_PATH_SIZE 128
#define INSPECT_SCHEME_SIZE 16
#define INSPECT_UPGRADE_SIZE 16

/* The bound on the work per buffer: header lines read. */
#define INSPECT_HTTP_MAX_HEADERS 64

struct inspect_http {
	bool response;
	uint16_t version; /* 10: HTTP/1.0, 11: HTTP/1.1; 0 when not known */
	/* Request. */
	char method[INSPECT_METHOD_SIZE];
	/* The request target's path, without its query or fragment (which may
	 * carry tokens: they are not stored), cut to fit; empty while a cut
	 * buffer leaves its end unknown and it does not fill the array. From
	 * an absolute-form target (a proxy request) the path only; "*" for
	 * OPTIONS *; empty for CONNECT, whose authority-form target goes to
	 * host. */
	char path[INSPECT_PATH_SIZE];
	/* The Host header's value (port included when sent), or the authority
	 * of an absolute-form or CONNECT target, any user:password@ dropped. */
	char host[INSPECT_NAME_SIZE];
	/* The Authorization header's scheme ("Basic", "Bearer"...), never its
	 * credentials; struct inspect_result's authorization says it was there. */
	char auth_scheme[INSPECT_SCHEME_SIZE];
	/* The Upgrade header's first protocol as sent ("h2c", "websocket"),
	 * in a request asking to switch or a 101 response agreeing to; with
	 * http2_settings (the request's HTTP2-Settings header) an h2c upgrade
	 * (RFC 7540 3.2). Only from whole header lines. */
	char upgrade[INSPECT_UPGRADE_SIZE];
	bool http2_settings;
	/* Response. */
	uint16_t status; /* 100..999; 0 when not known */
	/* inspect_http_next() only: the message's length, head and body, when
	 * its head is whole and says it (Content-Length, or no body), though
	 * the buffer ends first; 0 when not known (a chunked body, one that
	 * runs to the connection's end). */
	uint64_t message_length;
};

struct inspect_result;

/*
 * An HTTP/1.x request line (a known method, or any upper-case token when
 * the whole line ends in " HTTP/1.x") or status line, then the header lines
 * that are whole (at most INSPECT_HTTP_MAX_HEADERS). As every inspector
 * (inspect.h): 1 with r filled, 0 with r cleared.
 *
 * The target is the line's second word, up to the first space, as
 * tshark's http.request.uri (Wireshark 4.0: "GET /a b/c HTTP/1.1" is
 * "/a"); what lies between it and the line's closing " HTTP/1.x" (attack
 * traffic puts spaces in targets) is skipped, and such a line is still a
 * request. So version is that closing word's, known once the line's end is
 * in the buffer; 0 before, and for a line without one (HTTP/0.9).
 *
 * info: a request's method, a space, then host and path: "GET
 * example.test/api/v1/items", "CONNECT example.test:443"; the path alone
 * without a Host; the method alone when neither is known (cut). Never empty
 * or three digits, unlike a response's: its status code, "200", or "" when
 * cut before it. An Upgrade is not in info: a third word would read as part
 * of the request in the http-hosts query; it is in upgrade.
 */
int inspect_http(const uint8_t *buf, size_t len, struct inspect_result *r);

/*
 * As inspect_http() for the message at buf's start; *next is set to the
 * offset in buf of the message after it (keep-alive, pipelining) when this
 * one's header section ended within the first INSPECT_HTTP_MAX_HEADERS
 * lines, its body's length is known and the body ends within buf, else 0:
 * len itself when the message ends exactly at buf's end (the next one
 * starts with the stream's following bytes). A 101 response's next is where
 * the upgraded protocol begins, not another HTTP/1 message.
 * The body (RFC 9112 6.3): chunked when Transfer-Encoding's last coding is
 * chunked (the chunks walked, trailers included, only when all are in buf),
 * else Content-Length (several must agree); a request without either has
 * none; a response 1xx, 204 or 304 has none, any other without either runs
 * to the connection's end (0). A response to HEAD carries Content-Length
 * without a body: only the caller, who saw the request, can know it is one.
 * r->http.message_length: the message's length when its head is whole and
 * says it, even when buf ends first (a body still to come can be skipped).
 * Returns what inspect_http() returns (*next 0 with 0).
 */
int inspect_http_next(const uint8_t *buf, size_t len, struct inspect_result *r, size_t *next);

#endif /* INSPECT_HTTP_H */
