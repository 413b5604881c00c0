// SPDX-License-Identifier: BSD-2-Clause
/* HTTP/1.x: a request line or a status line, and the header lines that follow (RFC 9112). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "inspect.h"
#include "wire.h"

#define HTTP_VERSION_PREFIX "HTTP/1."
#define HTTP_VERSION_PREFIX_LEN 7
/* "HTTP/1.1 " */
#define HTTP_STATUS_LINE_MIN (HTTP_VERSION_PREFIX_LEN + 2)
#define HTTP_STATUS_DIGITS 3
#define HTTP_STATUS_MIN 100
#define HTTP_SP ' '
#define HTTP_HTAB '\t'
/* The header names read, in lower case; names compare without case. */
#define HTTP_AUTHORIZATION "authorization"
#define HTTP_HOST "host"
#define HTTP_UPGRADE "upgrade"
#define HTTP_HTTP2_SETTINGS "http2-settings"
#define HTTP_CONTENT_LENGTH "content-length"
#define HTTP_TRANSFER_ENCODING "transfer-encoding"
#define HTTP_CHUNKED "chunked"
/* Responses that never have a body (RFC 9112 6.3): 1xx, 204, 304. */
#define HTTP_NO_CONTENT 204
#define HTTP_NOT_MODIFIED 304
#define HTTP_INFORMATIONAL_END 200
/* A chunk size in hex digits: more than 15 cannot be a body within a buffer. */
#define HTTP_CHUNK_DIGITS_MAX 15
/* What HTTP/2's preface starts with, from which on a cut one is HTTP/2 (http2.h). */
#define HTTP2_PREFACE_START "PRI * HTTP/2"
/* Spaces between a method and its target read at most. */
#define HTTP_SPACES_MAX 64
/* The method whose target is an authority (RFC 9112 3.2.3). */
#define HTTP_CONNECT "CONNECT"

/* ASCII case-insensitive comparison of n bytes of p with the lower-case string lower. */
static bool ascii_prefix_ci(const uint8_t *p, size_t n, const char *lower)
{
	size_t i, want = strlen(lower);

	if (n < want)
		return false;
	for (i = 0; i < want; i++) {
		uint8_t c = p[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if (c != (uint8_t)lower[i])
			return false;
	}
	return true;
}

/* Methods recognised with only the start of their target; any other upper-case token needs
 * the whole request line with its version. */
static const char *const http_methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
};

/* How the message's body is delimited, from its whole header lines (RFC 9112 6). */
struct http_framing {
	size_t head_end; /* the offset after the empty line ending the headers; 0: not in buf */
	bool has_length, bad_length; /* Content-Length seen; unusable (malformed, disagreeing) */
	uint64_t length;
	bool has_te, chunked; /* Transfer-Encoding seen; its last coding is chunked */
};

/* Whether a byte may appear in a header field name (a token character, RFC 9110 5.6.2). */
static bool http_tchar(uint8_t c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return in_set(c, "!#$%&'*+-.^_`|~");
}

/* Whether a byte may appear in a request target: visible, and allowing the raw 8-bit bytes
 * that real clients send in paths. */
static bool http_target_char(uint8_t c)
{
	return c > HTTP_SP && c != 0x7f;
}

/* Strips spaces and tabs from both ends of [*start, *end). */
static void http_trim(const uint8_t *buf, size_t *start, size_t *end)
{
	while (*start < *end && (buf[*start] == HTTP_SP || buf[*start] == HTTP_HTAB))
		(*start)++;
	while (*end > *start && (buf[*end - 1] == HTTP_SP || buf[*end - 1] == HTTP_HTAB))
		(*end)--;
}

/*
 * Copies the target's bytes from off up to the first byte of stop, or the target's end, into
 * dst (escaped). The copy is kept when it ended inside the target or filled dst: either way it
 * is what the whole message would give. When the target runs to the end of a cut buffer
 * (target_whole false) and dst did not fill, more may follow: dst is left empty.
 */
static void http_copy_until(const uint8_t *buf, size_t target_end, bool target_whole, size_t off,
			    const char *stop, char *dst, size_t size)
{
	struct text t;
	size_t i = off;

	text_init(&t, dst, size);
	while (i < target_end && !in_set(buf[i], stop) && text_byte(&t, buf[i], ESCAPE_NONE))
		i++;
	if (i == target_end && !target_whole && !t.cut)
		text_init(&t, dst, size);
}

/* Splits a request target [off, end) into path and host; whole says whether the target ended
 * inside the buffer. Returns false when it is none of the four forms (RFC 9112 3.2): not HTTP. */
static bool http_target(const uint8_t *buf, size_t off, size_t end, bool whole, bool connect,
			struct inspect_http *http)
{
	size_t n = end - off, auth_end, at, i;
	size_t scheme_len;

	if (connect) {
		/* authority-form: host:port */
		http_copy_until(buf, end, whole, off, "", http->host, sizeof(http->host));
		return true;
	}
	if (buf[off] == '/') {
		http_copy_until(buf, end, whole, off, "?#", http->path, sizeof(http->path));
		return true;
	}
	if (buf[off] == '*') {
		/* asterisk-form: OPTIONS *. Known once what follows the star is. */
		if (n > 1)
			return false;
		if (whole)
			snprintf(http->path, sizeof(http->path), "*");
		return true;
	}
	/* absolute-form: a proxy request. */
	if (ascii_prefix_ci(buf + off, n, "http://"))
		scheme_len = sizeof("http://") - 1;
	else if (ascii_prefix_ci(buf + off, n, "https://"))
		scheme_len = sizeof("https://") - 1;
	else
		return false;
	off += scheme_len;
	auth_end = off;
	while (auth_end < end && !in_set(buf[auth_end], "/?#"))
		auth_end++;
	if (auth_end == end && !whole)
		return true; /* the authority is cut: neither host nor path is known */
	/* user:password@ never reaches the database. */
	at = off;
	for (i = off; i < auth_end; i++)
		if (buf[i] == '@')
			at = i + 1;
	set_text(http->host, sizeof(http->host), buf + at, auth_end - at, ESCAPE_NAME);
	http_copy_until(buf, end, whole, auth_end, "?#", http->path, sizeof(http->path));
	return true;
}

/* A Content-Length value [start, end): digits only; several headers must agree (a list, "5, 5",
 * is taken for malformed: its length is then not known). */
static void http_content_length(const uint8_t *buf, size_t start, size_t end,
				struct http_framing *f)
{
	uint64_t v = 0;
	size_t i;
	bool first = !f->has_length;

	f->has_length = true;
	if (start == end)
		f->bad_length = true;
	for (i = start; i < end; i++) {
		if (buf[i] < '0' || buf[i] > '9' || v > (UINT64_MAX - 9) / 10) {
			f->bad_length = true;
			return;
		}
		v = v * 10 + (uint64_t)(buf[i] - '0');
	}
	if (!first && f->length != v)
		f->bad_length = true;
	f->length = v;
}

/* Transfer-Encoding [start, end): whether its last coding is chunked, as every such header
 * seen so far says (the codings of several headers add up in order). */
static void http_transfer_encoding(const uint8_t *buf, size_t start, size_t end,
				   struct http_framing *f)
{
	size_t last = start, i;

	for (i = start; i < end; i++)
		if (buf[i] == ',')
			last = i + 1;
	http_trim(buf, &last, &end);
	f->has_te = true;
	f->chunked = end - last == strlen(HTTP_CHUNKED) &&
		     ascii_prefix_ci(buf + last, end - last, HTTP_CHUNKED);
}

/* Whether the header line's name [off, colon) is the lower-case name. */
static bool http_name_is(const uint8_t *buf, size_t off, size_t colon, const char *name)
{
	return colon - off == strlen(name) && ascii_prefix_ci(buf + off, colon - off, name);
}

/*
 * The header lines from off on: the first Host, Authorization and Upgrade, whether
 * HTTP2-Settings is there, and the body's framing into f. Only whole lines count, except that
 * an Authorization header's name is enough to say it is there. f->head_end is set when the
 * empty line ending the section is in buf.
 */
static void http_headers(const uint8_t *buf, size_t len, size_t off, struct inspect_result *r,
			 struct http_framing *f)
{
	struct inspect_http *http = &r->http;
	size_t end, next, colon, vstart, vend, tok;
	bool whole, have_host = false, have_upgrade = false;
	int i;

	for (i = 0; i < INSPECT_HTTP_MAX_HEADERS && off < len; i++) {
		whole = find_line(buf, len, off, &end, &next);
		if (!whole)
			end = next = len;
		if (end == off) {
			/* the empty line: the end of the header section */
			if (whole)
				f->head_end = next;
			return;
		}
		for (colon = off; colon < end && http_tchar(buf[colon]); colon++)
			;
		if (colon == off || colon == end || buf[colon] != ':') {
			if (!whole)
				return;
			off = next; /* obsolete folding or junk: skip the line */
			continue;
		}
		vstart = colon + 1;
		vend = end;
		if (http_name_is(buf, off, colon, HTTP_AUTHORIZATION) && !r->authorization) {
			r->authorization = true;
			/* The scheme: the value's first token, once something follows it. */
			while (vstart < vend &&
			       (buf[vstart] == HTTP_SP || buf[vstart] == HTTP_HTAB))
				vstart++;
			for (tok = vstart; tok < vend && http_tchar(buf[tok]); tok++)
				;
			if (tok > vstart && (tok < vend || whole))
				set_text(http->auth_scheme, sizeof(http->auth_scheme), buf + vstart,
					 tok - vstart, ESCAPE_NONE);
		}
		if (!whole)
			return;
		http_trim(buf, &vstart, &vend);
		if (!have_host && http_name_is(buf, off, colon, HTTP_HOST)) {
			if (vend > vstart && !http->host[0])
				set_text(http->host, sizeof(http->host), buf + vstart,
					 vend - vstart, ESCAPE_NAME);
			have_host = true;
		} else if (!have_upgrade && http_name_is(buf, off, colon, HTTP_UPGRADE)) {
			/* The first protocol of the list, without its version ("h2c",
			 * "websocket"; "HTTP/2.0" would be "HTTP"). */
			for (tok = vstart; tok < vend && http_tchar(buf[tok]); tok++)
				;
			set_text(http->upgrade, sizeof(http->upgrade), buf + vstart, tok - vstart,
				 ESCAPE_NONE);
			have_upgrade = true;
		} else if (http_name_is(buf, off, colon, HTTP_HTTP2_SETTINGS)) {
			http->http2_settings = true;
		} else if (http_name_is(buf, off, colon, HTTP_CONTENT_LENGTH)) {
			http_content_length(buf, vstart, vend, f);
		} else if (http_name_is(buf, off, colon, HTTP_TRANSFER_ENCODING)) {
			http_transfer_encoding(buf, vstart, vend, f);
		}
		off = next;
	}
}

/* "HTTP/1.d" at off, as much as the buffer holds. Returns 1 when it is all there (*version set),
 * 0 when the buffer ends inside it, -1 when it is something else. */
static int http_version(const uint8_t *buf, size_t len, size_t off, uint16_t *version)
{
	size_t n = len - off;

	if (n < HTTP_VERSION_PREFIX_LEN + 1)
		return is_prefix_of(buf + off, n, HTTP_VERSION_PREFIX) ? 0 : -1;
	if (memcmp(buf + off, HTTP_VERSION_PREFIX, HTTP_VERSION_PREFIX_LEN) ||
	    buf[off + HTTP_VERSION_PREFIX_LEN] < '0' || buf[off + HTTP_VERSION_PREFIX_LEN] > '9')
		return -1;
	*version = (uint16_t)(10 + buf[off + HTTP_VERSION_PREFIX_LEN] - '0');
	return 1;
}

/* A status line: "HTTP/1.d SP ddd", then a space or the line's end, and its header lines once
 * the line is whole. The status is filled once its three digits are there. Returns 1 (r
 * filled) or 0 (r cleared). */
static int http_response(const uint8_t *buf, size_t len, struct inspect_result *r,
			 struct http_framing *f)
{
	struct inspect_http *http = &r->http;
	size_t off = HTTP_VERSION_PREFIX_LEN + 1, i, end, next;
	uint16_t status = 0;

	if (len < HTTP_STATUS_LINE_MIN || http_version(buf, len, 0, &http->version) != 1 ||
	    buf[off] != HTTP_SP)
		return not_this(r);
	off++;
	for (i = 0; i < HTTP_STATUS_DIGITS && off + i < len; i++) {
		if (buf[off + i] < '0' || buf[off + i] > '9')
			return not_this(r);
		status = (uint16_t)(status * 10 + buf[off + i] - '0');
	}
	if (i == HTTP_STATUS_DIGITS) {
		if (status < HTTP_STATUS_MIN)
			return not_this(r);
		i = off + HTTP_STATUS_DIGITS;
		if (i < len && buf[i] != HTTP_SP && buf[i] != '\r' && buf[i] != '\n')
			return not_this(r);
		http->status = status;
		set_text(r->info, sizeof(r->info), buf + off, HTTP_STATUS_DIGITS, ESCAPE_NONE);
		if (find_line(buf, len, 0, &end, &next))
			http_headers(buf, len, next, r, f);
	}
	http->response = true;
	r->proto = INSPECT_HTTP;
	r->encrypted = 0;
	return 1;
}

/*
 * What follows a request's target and its space, [off, len): when the line ends in buf, it
 * must end in "HTTP/1.d" (right there, or after more words: a target with spaces), whose
 * version is set; while it is cut, it may still become that, unless a control character
 * already says otherwise. Returns false when the line is not a request line.
 */
static bool http_request_version(const uint8_t *buf, size_t len, size_t off, uint16_t *version)
{
	size_t end, next, v, i;

	if (!find_line(buf, len, off, &end, &next)) {
		/* A CR last may be the start of the line's end. */
		for (i = off; i < len; i++)
			if (buf[i] != HTTP_SP && !http_target_char(buf[i]) &&
			    !(buf[i] == '\r' && i == len - 1))
				return false;
		return true;
	}
	for (i = off; i < end; i++)
		if (buf[i] != HTTP_SP && !http_target_char(buf[i]))
			return false;
	if (end - off < HTTP_VERSION_PREFIX_LEN + 1)
		return false;
	v = end - HTTP_VERSION_PREFIX_LEN - 1;
	if (v > off && buf[v - 1] != HTTP_SP)
		return false;
	return http_version(buf, end, v, version) == 1;
}

/* The request line's method, target and version, and its header lines: see inspect_http(). */
static int http_request(const uint8_t *buf, size_t len, struct inspect_result *r,
			struct http_framing *f)
{
	struct inspect_http *http = &r->http;
	size_t m, t0, tend, end, next, i;
	bool known = false, target_whole, connect;
	struct text t;

	/* HTTP/2's preface is the http2 row's, cut or not; a line that starts as it does and
	 * then differs is neither's (else a cut of it would be HTTP/2, the whole HTTP/1). */
	if (len >= strlen(HTTP2_PREFACE_START) &&
	    !memcmp(buf, HTTP2_PREFACE_START, strlen(HTTP2_PREFACE_START)))
		return not_this(r);
	/* The method: an upper-case token and a space. */
	for (m = 0; m < len && m < INSPECT_METHOD_SIZE && buf[m] >= 'A' && buf[m] <= 'Z'; m++)
		;
	if (m == 0 || m == len || m == INSPECT_METHOD_SIZE || buf[m] != HTTP_SP)
		return not_this(r);
	for (i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++)
		if (strlen(http_methods[i]) == m && !memcmp(buf, http_methods[i], m))
			known = true;
	connect = m == strlen(HTTP_CONNECT) && !memcmp(buf, HTTP_CONNECT, m);
	memcpy(http->method, buf, m);
	http->method[m] = '\0';

	/* The target, after the space (or more, as tshark and lenient servers take them: a
	 * manipulated request), up to a space or the end of the line or buffer. */
	for (t0 = m + 1; t0 < len && t0 < m + HTTP_SPACES_MAX && buf[t0] == HTTP_SP; t0++)
		;
	if (t0 == len || !http_target_char(buf[t0]))
		return not_this(r);
	for (tend = t0; tend < len && http_target_char(buf[tend]); tend++)
		;
	target_whole = tend < len;
	if (target_whole && buf[tend] != HTTP_SP && buf[tend] != '\r' && buf[tend] != '\n')
		return not_this(r); /* a control character */

	/* The version closing the line, when it has one. */
	if (target_whole && buf[tend] == HTTP_SP &&
	    !http_request_version(buf, len, tend + 1, &http->version))
		return not_this(r);
	if (!known && !http->version)
		return not_this(r);
	if (!http_target(buf, t0, tend, target_whole, connect, http))
		return not_this(r);

	if (find_line(buf, len, m + 1, &end, &next))
		http_headers(buf, len, next, r, f);

	r->proto = INSPECT_HTTP;
	r->encrypted = 0;
	/* The method first: a request's info then never reads like a response's (three digits,
	 * or empty), whatever its host, and a CONNECT shows as one. */
	text_init(&t, r->info, sizeof(r->info));
	text_str(&t, http->method);
	if (http->host[0] || http->path[0])
		text_str(&t, " ");
	text_str(&t, http->host);
	text_str(&t, http->path);
	return 1;
}

/* A request or a response at buf's start, its body's framing into f. */
static int http_message(const uint8_t *buf, size_t len, struct inspect_result *r,
			struct http_framing *f)
{
	memset(f, 0, sizeof(*f));
	result_clear(r);
	if (!buf || len == 0)
		return 0;
	if (buf[0] == 'H' && is_prefix_of(buf, len, HTTP_VERSION_PREFIX))
		return http_response(buf, len, r, f);
	return http_request(buf, len, r, f);
}

int inspect_http(const uint8_t *buf, size_t len, struct inspect_result *r)
{
	struct http_framing f;

	return http_message(buf, len, r, &f);
}

/*
 * Walks a chunked body from off (RFC 9112 7.1): chunk-size [; extensions] CRLF, the data, CRLF;
 * the last chunk's size is 0, then trailer lines up to an empty one. Returns the offset after
 * the body, or 0 when it does not end within buf or is malformed. Each round moves at least
 * one line on, so the loop ends with the buffer.
 */
static size_t http_chunked_end(const uint8_t *buf, size_t len, size_t off)
{
	size_t end, next, i, digits;
	uint64_t size;
	uint8_t c;
	int lines;

	for (;;) {
		if (!find_line(buf, len, off, &end, &next))
			return 0;
		size = 0;
		for (i = off, digits = 0; i < end; i++, digits++) {
			c = buf[i];
			if (c >= '0' && c <= '9')
				c = (uint8_t)(c - '0');
			else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
				c = (uint8_t)((c | 0x20) - 'a' + 10);
			else
				break;
			if (digits == HTTP_CHUNK_DIGITS_MAX)
				return 0;
			size = size << 4 | c;
		}
		if (digits == 0 ||
		    (i < end && buf[i] != ';' && buf[i] != HTTP_SP && buf[i] != HTTP_HTAB))
			return 0;
		off = next;
		if (size == 0)
			break;
		/* The data, then its CRLF (or a bare LF). */
		if (size > len - off)
			return 0;
		off += (size_t)size;
		if (!find_line(buf, len, off, &end, &next) || end != off)
			return 0;
		off = next;
	}
	/* The trailer section, bounded as the header section is. */
	for (lines = 0; lines <= INSPECT_HTTP_MAX_HEADERS; lines++) {
		if (!find_line(buf, len, off, &end, &next))
			return 0;
		if (end == off)
			return next;
		off = next;
	}
	return 0;
}

int inspect_http_next(const uint8_t *buf, size_t len, struct inspect_result *r, size_t *next)
{
	struct http_framing f;
	uint16_t status;

	*next = 0;
	if (!http_message(buf, len, r, &f))
		return 0;
	if (!f.head_end)
		return 1;
	status = r->http.status;
	if (r->http.response && (status < HTTP_INFORMATIONAL_END || status == HTTP_NO_CONTENT ||
				 status == HTTP_NOT_MODIFIED)) {
		*next = f.head_end;
	} else if (f.has_te) {
		/* Transfer-Encoding overrides Content-Length; one not ending in chunked leaves a
		 * request malformed and a response running to the connection's end. */
		if (f.chunked)
			*next = http_chunked_end(buf, len, f.head_end);
	} else if (f.has_length) {
		if (!f.bad_length)
			r->http.message_length = f.head_end + f.length;
		if (!f.bad_length && f.length <= len - f.head_end)
			*next = f.head_end + (size_t)f.length;
	} else if (!r->http.response) {
		*next = f.head_end;
	}
	if (*next)
		r->http.message_length = *next;
	return 1;
}
