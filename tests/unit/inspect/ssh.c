// SPDX-License-Identifier: BSD-2-Clause
/* The SSH inspector: captured identification lines, and hand-made ones. */
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
	INSPECT_TEXT(ssh.proto_version),
	INSPECT_TEXT(ssh.banner),
};

/* ---- What each fixture holds ---- */

static void ssh_banner(const struct inspect_result *r, const uint8_t *p, size_t len)
{
	assert_string_equal(r->ssh.proto_version, "2.0");
	assert_string_equal(r->ssh.banner, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10");
}

#define SSH_BANNER "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10"

static const struct fixture fixtures[] = {
	{ "ssh_client_banner.bin", TCP, CLIENT_PORT, 22, INSPECT_SSH, 1, SSH_BANNER, ssh_banner },
	{ "ssh_server_banner.bin", TCP, 22, CLIENT_PORT, INSPECT_SSH, 1, SSH_BANNER, ssh_banner },
};

/* ---- Results of cut payloads ---- */

static void info_ssh(const struct inspect_result *c, const struct inspect_result *w, char *want,
		     size_t size)
{
	snprintf(want, size, "%s", c->ssh.banner);
}

/* ---- Hand-made messages ---- */

/* SSH: banners cut or wrong, lines before the banner. */
static void test_ssh_malformed(void **state)
{
	struct inspect_result r;
	char line[400];

#define SSH(s, r) run(s, sizeof(s) - 1, TCP, CLIENT_PORT, 22, r)
	/* The identification line first: lines before it (RFC 4253 4.2) are not skipped. */
	assert_int_equal(SSH("Welcome\r\nSSH-2.0-x y\r\n", &r), INSPECT_NONE);
	assert_int_equal(SSH("SSH-2.0-x y\r\n", &r), INSPECT_SSH);
	assert_string_equal(r.ssh.banner, "SSH-2.0-x y");
	assert_string_equal(r.info, "SSH-2.0-x y");
	assert_int_equal(SSH("SSH-1.99-old\n", &r), INSPECT_SSH);
	assert_string_equal(r.ssh.proto_version, "1.99");
	assert_string_equal(r.ssh.banner, "SSH-1.99-old");
	/* Cut before the line's end: SSH, banner unknown. */
	assert_int_equal(SSH("SSH-2.0-OpenSSH_9", &r), INSPECT_SSH);
	assert_string_equal(r.ssh.proto_version, "2.0");
	assert_string_equal(r.ssh.banner, "");
	assert_string_equal(r.info, "");
	assert_int_equal(SSH("SSH-2.0", &r), INSPECT_NONE);
	assert_int_equal(SSH("SSH-", &r), INSPECT_NONE);
	assert_int_equal(SSH("SSH-2-x\r\n", &r), INSPECT_NONE);
	assert_int_equal(SSH("SSH-2.-x\r\n", &r), INSPECT_NONE);
	assert_int_equal(SSH("SSH-.0-x\r\n", &r), INSPECT_NONE);
	assert_int_equal(SSH("SSH-2.0.1-x\r\n", &r), INSPECT_NONE);
	assert_int_equal(SSH("SSH-22222222.0-x\r\n", &r), INSPECT_NONE);
	assert_int_equal(SSH(" SSH-2.0-x\r\n", &r), INSPECT_NONE);
	assert_int_equal(SSH("ssh-2.0-x\r\n", &r), INSPECT_NONE);
	/* A line over 255 bytes: SSH, but no banner. */
	memset(line, 'a', sizeof(line));
	memcpy(line, "SSH-2.0-", 8);
	memcpy(line + 300, "\r\n", 2);
	assert_int_equal(run(line, 302, TCP, CLIENT_PORT, 22, &r), INSPECT_SSH);
	assert_string_equal(r.ssh.banner, "");
	assert_int_equal(SSH("SSH-2.0-\x1b[31mred\r\n", &r), INSPECT_SSH);
	assert_string_equal(r.ssh.banner, "SSH-2.0-\\x1b[31mred");
#undef SSH
}

static const struct CMUnitTest cases[] = {
	cmocka_unit_test(test_ssh_malformed),
};

INSPECT_TEST(ssh, INSPECT_SSH, 1, info_ssh, NULL);
