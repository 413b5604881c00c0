// SPDX-License-Identifier: BSD-2-Clause
/* The SMTP inspector: curl's commands and a Postfix-like server's replies (capture_cleartext.sh),
 * and hand-made lines. */
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
	INSPECT_NUM(mail.reply),    INSPECT_NUM(mail.code),	INSPECT_TEXT(mail.verb),
	INSPECT_NUM(mail.starttls), INSPECT_NUM(mail.go_ahead), INSPECT_NUM(mail.announced),
};

/* ---- What each fixture holds ---- */

static void smtp_greeting(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_true(r->mail.reply);
	assert_int_equal(r->mail.code, 220);
	assert_true(r->mail.announced);
	assert_true(r->mail.go_ahead); /* a greeting is a 220 too: the caller knows better */
	assert_false(r->mail.starttls);
	assert_string_equal(r->mail.verb, "");
}

static void smtp_ehlo(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_false(r->mail.reply);
	assert_string_equal(r->mail.verb, "EHLO");
	assert_false(r->mail.starttls);
	assert_int_equal(r->mail.code, 0);
}

static void smtp_starttls(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_false(r->mail.reply);
	assert_string_equal(r->mail.verb, "STARTTLS");
	assert_true(r->mail.starttls);
}

static void smtp_ready(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_true(r->mail.reply);
	assert_int_equal(r->mail.code, 220);
	assert_true(r->mail.go_ahead);
	assert_false(r->mail.announced);
}

static const struct fixture fixtures[] = {
	{ "smtp_greeting.bin", TCP, 25, CLIENT_PORT, INSPECT_SMTP, 0,
	  "220 mail.example.test ESMTP Postfix (Debian/GNU)", smtp_greeting },
	{ "smtp_ehlo.bin", TCP, CLIENT_PORT, 25, INSPECT_SMTP, 0, "EHLO client.example.test",
	  smtp_ehlo },
	{ "smtp_starttls.bin", TCP, CLIENT_PORT, 25, INSPECT_SMTP, 0, "STARTTLS", smtp_starttls },
	{ "smtp_ready.bin", TCP, 25, CLIENT_PORT, INSPECT_SMTP, 0, "220 2.0.0 Ready to start TLS",
	  smtp_ready },
};

/* ---- Hand-made lines ---- */

/* A payload over TCP between the ports. */
static enum inspect_proto tcp(const char *s, uint16_t sport, uint16_t dport,
			      struct inspect_result *r)
{
	return run(s, strlen(s), TCP, sport, dport, r);
}

/* Commands and replies: verbs in any case, what info keeps, STARTTLS wherever it is. */
static void test_smtp_lines(void **state)
{
	struct inspect_result r;
	char buf[4096], *p;
	int i;

	assert_int_equal(tcp("ehlo Mx.Example\r\n", CLIENT_PORT, 25, &r), INSPECT_SMTP);
	assert_string_equal(r.mail.verb, "EHLO");
	assert_string_equal(r.info, "EHLO Mx.Example");
	assert_int_equal(tcp("HELO a b\r\n", CLIENT_PORT, 25, &r), INSPECT_SMTP);
	assert_string_equal(r.info, "HELO a");
	/* Credentials never: AUTH keeps its mechanism only. */
	assert_int_equal(tcp("AUTH PLAIN AHVzZXIAc2VjcmV0\r\n", CLIENT_PORT, 587, &r),
			 INSPECT_SMTP);
	assert_string_equal(r.info, "AUTH PLAIN");
	assert_null(memmem(&r, sizeof(r), "AHVzZXIAc2VjcmV0", 16));
	assert_int_equal(tcp("MAIL FROM:<a@example.test>\r\n", CLIENT_PORT, 2525, &r),
			 INSPECT_SMTP);
	assert_string_equal(r.info, "MAIL");
	/* STARTTLS pipelined after EHLO, alone on its line; not after DATA, not with more. */
	assert_int_equal(tcp("EHLO a\r\nSTARTTLS\r\n", CLIENT_PORT, 25, &r), INSPECT_SMTP);
	assert_true(r.mail.starttls);
	assert_string_equal(r.info, "EHLO a");
	assert_int_equal(tcp("EHLO a\r\nstarttls  \r\n", CLIENT_PORT, 25, &r), INSPECT_SMTP);
	assert_true(r.mail.starttls);
	assert_int_equal(tcp("STARTTLS x\r\n", CLIENT_PORT, 25, &r), INSPECT_SMTP);
	assert_false(r.mail.starttls);
	assert_int_equal(tcp("DATA\r\nSTARTTLS\r\n", CLIENT_PORT, 25, &r), INSPECT_SMTP);
	assert_false(r.mail.starttls);
	assert_int_equal(tcp("EHLO a\r\nSTARTTLS", CLIENT_PORT, 25, &r), INSPECT_SMTP);
	assert_false(r.mail.starttls); /* its line is not whole */
	/* A server's capability list is not a request; its last line is no go-ahead. */
	assert_int_equal(tcp("250-a\r\n250-STARTTLS\r\n250 8BITMIME\r\n", 25, CLIENT_PORT, &r),
			 INSPECT_SMTP);
	assert_true(r.mail.reply);
	assert_int_equal(r.mail.code, 250);
	assert_false(r.mail.starttls);
	assert_false(r.mail.go_ahead);
	assert_string_equal(r.info, "250-a");
	/* Beyond INSPECT_MAIL_MAX_LINES lines, nothing is read. */
	p = buf;
	for (i = 0; i < INSPECT_MAIL_MAX_LINES; i++)
		p += sprintf(p, "NOOP\r\n");
	sprintf(p, "STARTTLS\r\n");
	assert_int_equal(tcp(buf, CLIENT_PORT, 25, &r), INSPECT_SMTP);
	assert_false(r.mail.starttls);

	/* Not SMTP: a cut first line, an unknown verb, malformed codes. */
	assert_int_equal(tcp("EHLO a", CLIENT_PORT, 25, &r), INSPECT_NONE);
	assert_int_equal(tcp("220", 25, CLIENT_PORT, &r), INSPECT_NONE);
	assert_int_equal(tcp("220\r\n", 25, CLIENT_PORT, &r), INSPECT_SMTP);
	assert_int_equal(tcp("XYZZY\r\n", CLIENT_PORT, 25, &r), INSPECT_NONE);
	assert_int_equal(tcp("\r\n", CLIENT_PORT, 25, &r), INSPECT_NONE);
	assert_int_equal(tcp("600 x\r\n", 25, CLIENT_PORT, &r), INSPECT_NONE);
	assert_int_equal(tcp("22 x\r\n", 25, CLIENT_PORT, &r), INSPECT_NONE);
	assert_int_equal(tcp("2200 x\r\n", 25, CLIENT_PORT, &r), INSPECT_NONE);
	assert_int_equal(tcp("2a0 x\r\n", 25, CLIENT_PORT, &r), INSPECT_NONE);
	assert_int_equal(tcp("STARTTLSSTARTTLSX\r\n", CLIENT_PORT, 25, &r), INSPECT_NONE);
	/* Bytes outside ASCII in a greeting are escaped. */
	assert_int_equal(tcp("220 h\xff\x01 ESMTP\r\n", 25, CLIENT_PORT, &r), INSPECT_SMTP);
	assert_string_equal(r.info, "220 h\\xff\\x01 ESMTP");
}

/* Ports: any SMTP line on its own ports, off them only an ESMTP greeting or EHLO/HELO; other
 * protocols still win on content. */
static void test_smtp_ports(void **state)
{
	struct inspect_result r;

	assert_int_equal(tcp("220 mx ESMTP\r\n", 2500, CLIENT_PORT, &r), INSPECT_SMTP);
	assert_int_equal(tcp("220 mx ready\r\n", 2500, CLIENT_PORT, &r), INSPECT_NONE);
	assert_int_equal(tcp("220 mx ready\r\n", 587, CLIENT_PORT, &r), INSPECT_SMTP);
	assert_int_equal(tcp("EHLO a\r\n", CLIENT_PORT, 8025, &r), INSPECT_SMTP);
	assert_int_equal(tcp("QUIT\r\n", CLIENT_PORT, 8025, &r), INSPECT_NONE);
	assert_int_equal(tcp("QUIT\r\n", CLIENT_PORT, 25, &r), INSPECT_SMTP);
	assert_int_equal(tcp("GET / HTTP/1.1\r\n\r\n", CLIENT_PORT, 25, &r), INSPECT_HTTP);
	assert_int_equal(tcp("SSH-2.0-x\r\n", CLIENT_PORT, 25, &r), INSPECT_SSH);
	assert_int_equal(run("EHLO a\r\n", 8, UDP, CLIENT_PORT, 25, &r), INSPECT_NONE);
}

/* Every cut of a pipelined client buffer: nothing before the first line ends, then the verb,
 * and STARTTLS once its line is whole. */
static void test_smtp_cuts(void **state)
{
	static const char s[] = "EHLO a.test\r\nSTARTTLS\r\n";
	struct inspect_result r;
	size_t n;

	for (n = 0; n <= strlen(s); n++) {
		assert_int_equal(run(s, n, TCP, CLIENT_PORT, 25, &r),
				 n < 13 ? INSPECT_NONE : INSPECT_SMTP);
		if (n >= 13) {
			assert_string_equal(r.info, "EHLO a.test");
			assert_int_equal(r.mail.starttls, n == strlen(s));
		}
	}
}

static const struct CMUnitTest cases[] = {
	cmocka_unit_test(test_smtp_lines),
	cmocka_unit_test(test_smtp_ports),
	cmocka_unit_test(test_smtp_cuts),
};

INSPECT_TEST(smtp, INSPECT_SMTP, 0, NULL, NULL);
