/* SPDX-License-Identifier: BSD-2-Clause */
/* SQL helper functions for ad-hoc queries: cidr_match, human_bytes, ts, ... */
#ifndef FUNCS_H
#define FUNCS_H

#include <sqlite3.h>

/* One registered function, for .help and tab completion. */
struct funcs_doc {
	const char *name; /* "cidr_match" */
	const char *usage; /* "cidr_match(addr, network)" */
	const char *about; /* one line: what it returns */
};

/* The registered functions, ending with a zeroed entry. */
extern const struct funcs_doc funcs_docs[];

/* Registers every function in funcs_docs on db (deterministic, UTF-8).
 * Returns SQLITE_OK or an SQLite error code. */
int funcs_register(sqlite3 *db);

/*
 * Whether addr (an IPv4 or IPv6 address in any form inet_pton accepts) lies
 * in network ("10.0.0.0/8", "2001:db8::/32", or a bare address meaning
 * /32 or /128). Host bits set in network are ignored ("10.1.2.3/8" is
 * 10.0.0.0/8). An address of the other family never matches. Returns 1, 0
 * (also when addr is not an address), or -EINVAL when network is malformed
 * (bad address, prefix not a number, longer than the family allows).
 */
int funcs_cidr_match(const char *addr, const char *network);

/* IANA keyword for an IP protocol number ("tcp", "udp", "icmp", "ipv6-icmp",
 * "gre", "esp", ...), or NULL when it has none here. */
const char *funcs_proto_name(int proto);

/* Well-known service name for a destination port of a protocol ("https" for
 * 443/tcp, "dns" for 53/udp); for ICMP (1) and ICMPv6 (58) the port is
 * type * 256 + code and the name is the message type ("echo-request").
 * NULL when unknown. */
const char *funcs_service(int port, int proto);

#endif /* FUNCS_H */
