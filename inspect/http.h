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
	/* Response. */
	uint16_t status; /* 100..999; 0 when not known */
};

struct inspect_result;

/*
 * An HTTP/1.x request line (a known method, or any upper-case token when
 * " HTTP/1.x" follows the target) or status line, then the header lines
 * that are whole (at most INSPECT_HTTP_MAX_HEADERS). As every inspector
 * (inspect.h): 1 with r filled, 0 with r cleared.
 *
 * info: a request's method, a space, then host and path: "GET
 * example.test/api/v1/items", "CONNECT example.test:443"; the path alone
 * without a Host; the method alone when neither is known (cut). Never empty
 * or three digits, unlike a response's: its status code, "200", or "" when
 * cut before it.
 */
int inspect_http(const uint8_t *buf, size_t len, struct inspect_result *r);

#endif /* INSPECT_HTTP_H */
