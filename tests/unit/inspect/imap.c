// SPDX-License-Identifier: BSD-2-Clause
/* The IMAP inspector: curl's commands and a Dovecot-like server's replies (capture_cleartext.sh),
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

static void imap_greeting(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_true(r->mail.reply);
	assert_true(r->mail.announced);
	assert_false(r->mail.go_ahead); /* untagged */
	assert_false(r->mail.starttls); /* STARTTLS among the capabilities is no request */
	assert_int_equal(r->mail.code, 0);
}

static void imap_capability(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_false(r->mail.reply);
	assert_string_equal(r->mail.verb, "CAPABILITY");
	assert_false(r->mail.starttls);
}

static void imap_starttls(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_string_equal(r->mail.verb, "STARTTLS");
	assert_true(r->mail.starttls);
}

static void imap_ready(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_true(r->mail.reply);
	assert_true(r->mail.go_ahead);
	assert_false(r->mail.announced);
}

static const struct fixture fixtures[] = {
	{ "imap_greeting.bin", TCP, 143, CLIENT_PORT, INSPECT_IMAP, 0,
	  "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS "
	  "LOGINDISABLED] Dovecot (Debian) ready.",
	  imap_greeting },
	{ "imap_capability.bin", TCP, CLIENT_PORT, 143, INSPECT_IMAP, 0, "CAPABILITY",
	  imap_capability },
	{ "imap_starttls.bin", TCP, CLIENT_PORT, 143, INSPECT_IMAP, 0, "STARTTLS", imap_starttls },
	{ "imap_ready.bin", TCP, 143, CLIENT_PORT, INSPECT_IMAP, 0,
	  "A002 OK Begin TLS negotiation now.", imap_ready },
};

/* ---- Hand-made lines ---- */

/* A payload over TCP between the ports. */
static enum inspect_proto tcp(const char *s, uint16_t sport, uint16_t dport,
			      struct inspect_result *r)
{
	return run(s, strlen(s), TCP, sport, dport, r);
}

/* Tags, commands, replies; what info keeps; the ports. */
static void test_imap_lines(void **state)
{
	struct inspect_result r;

	/* A password never reaches info; AUTHENTICATE keeps its mechanism. */
	assert_int_equal(tcp("a1 login user s3cr3t\r\n", CLIENT_PORT, 143, &r), INSPECT_IMAP);
	assert_string_equal(r.info, "LOGIN");
	assert_null(memmem(&r, sizeof(r), "s3cr3t", 6));
	assert_int_equal(tcp("x.9 AUTHENTICATE PLAIN\r\n", CLIENT_PORT, 143, &r), INSPECT_IMAP);
	assert_string_equal(r.info, "AUTHENTICATE PLAIN");
	/* Replies: untagged, tagged; only a tagged OK is a go-ahead. */
	assert_int_equal(tcp("* BYE shutting down\r\n", 143, CLIENT_PORT, &r), INSPECT_IMAP);
	assert_true(r.mail.reply);
	assert_false(r.mail.go_ahead);
	assert_int_equal(tcp("* CAPABILITY IMAP4rev1 STARTTLS\r\nA1 OK done\r\n", 143, CLIENT_PORT,
			     &r),
			 INSPECT_IMAP);
	assert_true(r.mail.go_ahead);
	assert_true(r.mail.announced);
	assert_int_equal(tcp("A1 NO nope\r\n", 143, CLIENT_PORT, &r), INSPECT_IMAP);
	assert_false(r.mail.go_ahead);
	assert_int_equal(tcp("a2 STARTTLS\r\n", CLIENT_PORT, 143, &r), INSPECT_IMAP);
	assert_true(r.mail.starttls);
	assert_int_equal(tcp("a2 STARTTLS now\r\n", CLIENT_PORT, 143, &r), INSPECT_IMAP);
	assert_false(r.mail.starttls);
	/* Not IMAP: a continuation, tags with specials, unknown commands and replies, no tag. */
	assert_int_equal(tcp("+ go ahead\r\n", 143, CLIENT_PORT, &r), INSPECT_NONE);
	assert_int_equal(tcp("a{1 CAPABILITY\r\n", CLIENT_PORT, 143, &r), INSPECT_NONE);
	assert_int_equal(tcp("a*1 CAPABILITY\r\n", CLIENT_PORT, 143, &r), INSPECT_NONE);
	assert_int_equal(tcp("a1 FROB\r\n", CLIENT_PORT, 143, &r), INSPECT_NONE);
	assert_int_equal(tcp("* FROB\r\n", 143, CLIENT_PORT, &r), INSPECT_NONE);
	assert_int_equal(tcp("CAPABILITY\r\n", CLIENT_PORT, 143, &r), INSPECT_NONE);
	assert_int_equal(tcp(" CAPABILITY\r\n", CLIENT_PORT, 143, &r), INSPECT_NONE);
	assert_int_equal(tcp("a1 CAPABILITY", CLIENT_PORT, 143, &r), INSPECT_NONE);
	assert_int_equal(tcp("a\x01 CAPABILITY\r\n", CLIENT_PORT, 143, &r), INSPECT_NONE);

	/* Off port 143: only a greeting naming IMAP4. */
	assert_int_equal(tcp("* OK IMAP4rev1 ready\r\n", 1143, CLIENT_PORT, &r), INSPECT_IMAP);
	assert_int_equal(tcp("* PREAUTH imap4 ready\r\n", 1143, CLIENT_PORT, &r), INSPECT_IMAP);
	assert_int_equal(tcp("* BYE IMAP4 no\r\n", 1143, CLIENT_PORT, &r), INSPECT_NONE);
	assert_int_equal(tcp("* OK ready\r\n", 1143, CLIENT_PORT, &r), INSPECT_NONE);
	assert_int_equal(tcp("a1 CAPABILITY\r\n", CLIENT_PORT, 1143, &r), INSPECT_NONE);
}

static const struct CMUnitTest cases[] = {
	cmocka_unit_test(test_imap_lines),
};

INSPECT_TEST(imap, INSPECT_IMAP, 0, NULL, NULL);
