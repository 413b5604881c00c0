// SPDX-License-Identifier: BSD-2-Clause
/* SSH: the identification line each side sends first (RFC 4253 4.2). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "inspect.h"
#include "wire.h"

#define SSH_PREFIX "SSH-"
#define SSH_PREFIX_LEN 4
/* The identification line is at most 255 characters, CR LF included. */
#define SSH_LINE_MAX 255

/* "SSH-protoversion-" at the start of [off, len): protoversion is digits and dots. Returns 1
 * with it in ssh->proto_version, 0 when the buffer ends first, -1 when the line is not one. */
static int ssh_ident(const uint8_t *buf, size_t len, size_t off, struct inspect_ssh *ssh)
{
	size_t n = len - off, i;
	bool digit = false, dot = false;

	if (n < SSH_PREFIX_LEN)
		return is_prefix_of(buf + off, n, SSH_PREFIX) ? 0 : -1;
	if (memcmp(buf + off, SSH_PREFIX, SSH_PREFIX_LEN))
		return -1;
	for (i = SSH_PREFIX_LEN; i < n && i - SSH_PREFIX_LEN < INSPECT_VERSION_SIZE; i++) {
		uint8_t c = buf[off + i];

		if (c == '-') {
			if (!digit || !dot || buf[off + i - 1] == '.')
				return -1;
			memcpy(ssh->proto_version, buf + off + SSH_PREFIX_LEN, i - SSH_PREFIX_LEN);
			ssh->proto_version[i - SSH_PREFIX_LEN] = '\0';
			return 1;
		}
		if (c == '.' && digit && !dot && buf[off + i - 1] != '.')
			dot = true;
		else if (c >= '0' && c <= '9')
			digit = true;
		else
			return -1;
	}
	return i == n ? 0 : -1;
}

int inspect_ssh(const uint8_t *buf, size_t len, struct inspect_result *r)
{
	size_t end, next;

	result_clear(r);
	/* The identification line must come first. RFC 4253 4.2 lets a server send lines of
	 * text before it, but those are rare, and taking them would make a cut request line
	 * HTTP and the same payload whole SSH. */
	if (!buf || ssh_ident(buf, len, 0, &r->ssh) != 1)
		return not_this(r);
	r->proto = INSPECT_SSH;
	r->encrypted = 1;
	if (find_line(buf, len, 0, &end, &next) && next <= SSH_LINE_MAX) {
		set_text(r->ssh.banner, sizeof(r->ssh.banner), buf, end, ESCAPE_NONE);
		set_info(r, r->ssh.banner);
	}
	return 1;
}
