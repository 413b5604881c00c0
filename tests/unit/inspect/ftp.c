// SPDX-License-Identifier: BSD-2-Clause
/* The FTP inspector: curl's commands and a vsftpd-like server's replies (capture_cleartext.sh),
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

static void ftp_greeting(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_true(r->mail.reply);
	assert_int_equal(r->mail.code, 220);
	assert_true(r->mail.announced);
	assert_false(r->mail.go_ahead);
}

static void ftp_auth(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_false(r->mail.reply);
	assert_string_equal(r->mail.verb, "AUTH");
	assert_true(r->mail.starttls);
}

static void ftp_ready(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_true(r->mail.reply);
	assert_int_equal(r->mail.code, 234);
	assert_true(r->mail.go_ahead);
	assert_false(r->mail.announced);
}

static const struct fixture fixtures[] = {
	{ "ftp_greeting.bin", TCP, 21, CLIENT_PORT, INSPECT_FTP, 0, "220 (vsFTPd 3.0.3)",
	  ftp_greeting },
	{ "ftp_auth.bin", TCP, CLIENT_PORT, 21, INSPECT_FTP, 0, "AUTH SSL", ftp_auth },
	{ "ftp_ready.bin", TCP, 21, CLIENT_PORT, INSPECT_FTP, 0, "234 Proceed with negotiation.",
	  ftp_ready },
};

/* ---- Hand-made lines ---- */

/* A payload over TCP between the ports. */
static enum inspect_proto tcp(const char *s, uint16_t sport, uint16_t dport,
			      struct inspect_result *r)
{
	return run(s, strlen(s), TCP, sport, dport, r);
}

/* AUTH's mechanisms, what info keeps, FTP and SMTP apart by ports and greetings. */
static void test_ftp_lines(void **state)
{
	struct inspect_result r;

	assert_int_equal(tcp("AUTH TLS\r\n", CLIENT_PORT, 21, &r), INSPECT_FTP);
	assert_true(r.mail.starttls);
	assert_int_equal(tcp("auth tls-c\r\n", CLIENT_PORT, 21, &r), INSPECT_FTP);
	assert_true(r.mail.starttls);
	assert_string_equal(r.info, "AUTH tls-c");
	assert_int_equal(tcp("AUTH TLS-P\r\n", CLIENT_PORT, 21, &r), INSPECT_FTP);
	assert_true(r.mail.starttls);
	assert_int_equal(tcp("AUTH KERBEROS_V4\r\n", CLIENT_PORT, 21, &r), INSPECT_FTP);
	assert_false(r.mail.starttls);
	assert_int_equal(tcp("AUTH TLS x\r\n", CLIENT_PORT, 21, &r), INSPECT_FTP);
	assert_false(r.mail.starttls);
	assert_int_equal(tcp("AUTH\r\n", CLIENT_PORT, 21, &r), INSPECT_FTP);
	assert_false(r.mail.starttls);
	assert_string_equal(r.info, "AUTH");
	assert_int_equal(tcp("USER anonymous\r\nPASS me@example.test\r\n", CLIENT_PORT, 21, &r),
			 INSPECT_FTP);
	assert_string_equal(r.info, "USER");
	assert_null(memmem(&r, sizeof(r), "me@example", 10));
	/* A multi-line greeting; a reply 234 after other lines. */
	assert_int_equal(tcp("220-Welcome\r\n220 ProFTPD Server\r\n", 21, CLIENT_PORT, &r),
			 INSPECT_FTP);
	assert_int_equal(r.mail.code, 220);
	assert_string_equal(r.info, "220-Welcome");
	assert_int_equal(tcp("530 x\r\n234 y\r\n", 21, CLIENT_PORT, &r), INSPECT_FTP);
	assert_true(r.mail.go_ahead);
	assert_int_equal(tcp("FROB\r\n", CLIENT_PORT, 21, &r), INSPECT_NONE);
	assert_int_equal(tcp("099 x\r\n", 21, CLIENT_PORT, &r), INSPECT_NONE);

	/* Off port 21: only a 220 naming FTP; an ESMTP greeting there is SMTP's. */
	assert_int_equal(tcp("220 (vsFTPd 3.0.3)\r\n", 2121, CLIENT_PORT, &r), INSPECT_FTP);
	assert_int_equal(tcp("220 ready\r\n", 2121, CLIENT_PORT, &r), INSPECT_NONE);
	assert_int_equal(tcp("220 ftp.example ESMTP\r\n", 2121, CLIENT_PORT, &r), INSPECT_SMTP);
	assert_int_equal(tcp("220 mx ESMTP\r\n", 21, CLIENT_PORT, &r), INSPECT_FTP);
	assert_int_equal(tcp("USER x\r\n", CLIENT_PORT, 2121, &r), INSPECT_NONE);
	/* On POP3's port, USER is POP3's. */
	assert_int_equal(tcp("USER x\r\n", CLIENT_PORT, 110, &r), INSPECT_POP3);
}

static const struct CMUnitTest cases[] = {
	cmocka_unit_test(test_ftp_lines),
};

INSPECT_TEST(ftp, INSPECT_FTP, 0, NULL, NULL);
