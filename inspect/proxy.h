/* SPDX-License-Identifier: BSD-2-Clause */
/* The PROXY protocol header a load balancer puts before a connection's own bytes (HAProxy's
 * proxy-protocol.txt, versions 1 and 2). */
#ifndef INSPECT_PROXY_H
#define INSPECT_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fields.h"

#define INSPECT_ADDR_SIZE 46 /* INET6_ADDRSTRLEN */
/* Version 1's header is a line of at most 107 bytes, CR LF included. */
#define INSPECT_PROXY_V1_MAX 107
/* Version 2's fixed part: the 12-byte signature, version and command, family and transport,
 * and the 16-bit length of what follows. */
#define INSPECT_PROXY_V2_FIXED 16

struct inspect_proxy {
	uint8_t version; /* 1 or 2 */
	/* The balancer speaks for itself (a health check: v2 LOCAL, or v1 UNKNOWN): the
	 * connection's own addresses stand, and nothing below is filled. */
	bool local;
	uint8_t ip_version; /* 4 or 6; 0 when no address is given (local, UNSPEC, AF_UNIX) */
	uint8_t l4proto; /* 6 TCP, 17 UDP (v2 DGRAM); 0 unspecified */
	/* The original connection: the client's address and port, and the address and port
	 * it connected to (inet_ntop form). */
	char src_addr[INSPECT_ADDR_SIZE], dst_addr[INSPECT_ADDR_SIZE];
	uint16_t src_port, dst_port;
	/* v2's PP2_TYPE_AUTHORITY TLV: the host name the client asked for (a TLS server name,
	 * written as fields.h writes host names); "" when none. */
	char authority[INSPECT_NAME_SIZE];
};

/*
 * A PROXY protocol header, v1 ("PROXY TCP4|TCP6|UNKNOWN ...\r\n") or v2
 * (the binary signature), at buf's start (len bytes; buf may be NULL when
 * len is 0). Returns the header's length (> 0; its TLVs included) when it
 * is whole and well formed, with *p filled; 0 when buf is not one; -1 when
 * buf is a cut start of one (the empty buffer too): more bytes decide. *p
 * is cleared unless the header is whole. The caller strips that many bytes
 * and inspects what follows (TLS, HTTP...) as the connection's start.
 *
 * v1: the addresses must be of the named family and the ports 0..65535 in
 * decimal; UNKNOWN takes anything up to the line's end. v2: version 2,
 * command LOCAL (its family ignored) or PROXY with a known family and
 * transport and a length that holds the family's addresses; TLVs are read while whole (AUTHORITY kept), the
 * length field alone says where the header ends.
 */
int inspect_proxy(const uint8_t *buf, size_t len, struct inspect_proxy *p);

#endif /* INSPECT_PROXY_H */
