// SPDX-License-Identifier: BSD-2-Clause
/* The POP3 inspector: curl's commands and a Dovecot-like server's replies (capture_cleartext.sh),
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

static void pop3_greeting(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_true(r->mail.reply);
	assert_true(r->mail.go_ahead);
	assert_false(r->mail.announced); /* Dovecot does not say "POP3" */
}

static void pop3_capa(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_true(r->mail.reply);
	/* The list's "STLS" line is a capability, not the client's request. */
	assert_false(r->mail.starttls);
	assert_non_null(memmem(p, len, "\r\nSTLS\r\n", 8));
}

static void pop3_stls(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_false(r->mail.reply);
	assert_string_equal(r->mail.verb, "STLS");
	assert_true(r->mail.starttls);
}

static void pop3_ready(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_true(r->mail.reply);
	assert_true(r->mail.go_ahead);
}

static const struct fixture fixtures[] = {
	{ "pop3_greeting.bin", TCP, 110, CLIENT_PORT, INSPECT_POP3, 0,
	  "+OK Dovecot (Debian) ready.", pop3_greeting },
	{ "pop3_capa.bin", TCP, 110, CLIENT_PORT, INSPECT_POP3, 0, "+OK", pop3_capa },
	{ "pop3_stls.bin", TCP, CLIENT_PORT, 110, INSPECT_POP3, 0, "STLS", pop3_stls },
	{ "pop3_ready.bin", TCP, 110, CLIENT_PORT, INSPECT_POP3, 0,
	  "+OK Begin TLS negotiation now.", pop3_ready },
};

/* ---- Hand-made lines ---- */

/* A payload over TCP between the ports. */
static enum inspect_proto tcp(const char *s, uint16_t sport, uint16_t dport,
			      struct inspect_result *r)
{
	return run(s, strlen(s), TCP, sport, dport, r);
}

/* Commands and replies; what info keeps; the ports. */
static void test_pop3_lines(void **state)
{
	struct inspect_result r;

	assert_int_equal(tcp("USER bob\r\nPASS hunter2\r\n", CLIENT_PORT, 110, &r), INSPECT_POP3);
	assert_string_equal(r.info, "USER");
	assert_null(memmem(&r, sizeof(r), "hunter2", 7));
	assert_null(memmem(&r, sizeof(r), "bob", 3));
	assert_int_equal(tcp("CAPA\r\nstls\r\n", CLIENT_PORT, 110, &r), INSPECT_POP3);
	assert_true(r.mail.starttls);
	assert_int_equal(tcp("STLS x\r\n", CLIENT_PORT, 110, &r), INSPECT_POP3);
	assert_false(r.mail.starttls);
	assert_int_equal(tcp("-ERR no\r\n", 110, CLIENT_PORT, &r), INSPECT_POP3);
	assert_false(r.mail.go_ahead);
	assert_int_equal(tcp("+OK\n", 110, CLIENT_PORT, &r), INSPECT_POP3);
	assert_true(r.mail.go_ahead);
	/* Not POP3. */
	assert_int_equal(tcp("+OKAY\r\n", 110, CLIENT_PORT, &r), INSPECT_NONE);
	assert_int_equal(tcp("+ \r\n", 110, CLIENT_PORT, &r), INSPECT_NONE);
	assert_int_equal(tcp("-ER\r\n", 110, CLIENT_PORT, &r), INSPECT_NONE);
	assert_int_equal(tcp("RETRIEVE 1\r\n", CLIENT_PORT, 110, &r), INSPECT_NONE);
	assert_int_equal(tcp("+OK", 110, CLIENT_PORT, &r), INSPECT_NONE);

	/* Off port 110: only a +OK naming POP3 (Redis answers "+OK" too). */
	assert_int_equal(tcp("+OK\r\n", 6379, CLIENT_PORT, &r), INSPECT_NONE);
	assert_int_equal(tcp("+OK POP3 server ready\r\n", 1110, CLIENT_PORT, &r), INSPECT_POP3);
	assert_int_equal(tcp("-ERR POP3 no\r\n", 1110, CLIENT_PORT, &r), INSPECT_NONE);
	assert_int_equal(tcp("USER bob\r\n", CLIENT_PORT, 1110, &r), INSPECT_NONE);
}

static const struct CMUnitTest cases[] = {
	cmocka_unit_test(test_pop3_lines),
};

INSPECT_TEST(pop3, INSPECT_POP3, 0, NULL, NULL);
