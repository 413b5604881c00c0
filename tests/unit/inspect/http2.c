// SPDX-License-Identifier: BSD-2-Clause
/* The HTTP/2 prior-knowledge inspector: curl's connection preface (capture_cleartext.sh), and
 * every cut of it against HTTP/1. */
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

#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

/* The protocol's fields, which every result is checked for. */
static const struct inspect_field fields[] = {
	INSPECT_NUM(http2.preface),
	INSPECT_NUM(http2.have_frame),
	INSPECT_NUM(http2.frame_type),
};

/* ---- What each fixture holds ---- */

static void http2_preface(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_true(r->http2.preface);
	assert_true(r->http2.have_frame);
	assert_int_equal(r->http2.frame_type, 4); /* SETTINGS */
	assert_string_equal(r->http.method, "");
}

static const struct fixture fixtures[] = {
	{ "http2_preface.bin", TCP, CLIENT_PORT, 8080, INSPECT_HTTP2, 0, "preface", http2_preface },
};

/* ---- Results of cut payloads ---- */

static void info_http2(const struct inspect_result *c, const struct inspect_result *w, char *want,
		       size_t size)
{
	snprintf(want, size, "%s", c->http2.preface ? "preface" : "");
}

/* ---- Hand-made payloads ---- */

/* Every cut of the preface: neither HTTP/2 nor HTTP/1 before "PRI * HTTP/2", HTTP/2 from
 * there on, on any port; and the HTTP/1 lines that start the same way. */
static void test_http2_cuts(void **state)
{
	struct inspect_result r;
	size_t n;

	for (n = 0; n <= strlen(PREFACE); n++) {
		assert_int_equal(run(PREFACE, n, TCP, CLIENT_PORT, 80, &r),
				 n < 12 ? INSPECT_NONE : INSPECT_HTTP2);
		assert_int_equal(inspect_http(n ? (const uint8_t *)PREFACE : NULL, n, &r), 0);
		if (n >= 12) {
			assert_int_equal(r.proto, INSPECT_NONE);
			run(PREFACE, n, TCP, CLIENT_PORT, 80, &r);
			assert_int_equal(r.http2.preface, n == strlen(PREFACE));
			assert_string_equal(r.info, n == strlen(PREFACE) ? "preface" : "");
			assert_false(r.http2.have_frame);
		}
	}
	/* HTTP/1 with the method PRI is HTTP/1's; other versions are nobody's. */
	assert_int_equal(run("PRI * HTTP/1.1\r\n\r\n", 18, TCP, CLIENT_PORT, 80, &r), INSPECT_HTTP);
	assert_string_equal(r.http.method, "PRI");
	assert_int_equal(run("PRI * HTTP/2.1\r\n\r\n", 18, TCP, CLIENT_PORT, 80, &r), INSPECT_NONE);
	assert_int_equal(run("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", 24, TCP, CLIENT_PORT, 80, &r),
			 INSPECT_NONE);
	/* A frame header cut: the preface alone. */
	assert_int_equal(run(PREFACE "\x00\x00\x00\x04", 28, TCP, CLIENT_PORT, 80, &r),
			 INSPECT_HTTP2);
	assert_true(r.http2.preface);
	assert_false(r.http2.have_frame);
	assert_int_equal(run(PREFACE, strlen(PREFACE), UDP, CLIENT_PORT, 80, &r), INSPECT_NONE);
}

static const struct CMUnitTest cases[] = {
	cmocka_unit_test(test_http2_cuts),
};

INSPECT_TEST(http2, INSPECT_HTTP2, 0, info_http2, NULL);
