/* SPDX-License-Identifier: BSD-2-Clause */
/* SSH: the identification line each side sends first (RFC 4253 4.2). */
#ifndef INSPECT_SSH_H
#define INSPECT_SSH_H

#include <stddef.h>
#include <stdint.h>

#define INSPECT_VERSION_SIZE 8
#define INSPECT_BANNER_SIZE 256

struct inspect_ssh {
	char proto_version[INSPECT_VERSION_SIZE]; /* "2.0", "1.99"... */
	/* The identification line without CR LF: "SSH-2.0-OpenSSH_9.2p1 ...". */
	char banner[INSPECT_BANNER_SIZE];
};

struct inspect_result;

/*
 * "SSH-<protoversion>-" at the start of the buffer (the lines of text RFC
 * 4253 lets a server send before it are not skipped). As every inspector
 * (inspect.h): 1 with r filled, 0 with r cleared.
 *
 * info: the identification line without CR LF; "" when cut.
 */
int inspect_ssh(const uint8_t *buf, size_t len, struct inspect_result *r);

#endif /* INSPECT_SSH_H */
