/* SPDX-License-Identifier: BSD-2-Clause */
/* IPv4 and IPv6 addresses and networks as people write them, for every tool. */
#ifndef ADDR_H
#define ADDR_H

#include <stddef.h>

/* A parsed network: only the first bits of addr count. */
struct addr_net {
	int family; /* AF_INET or AF_INET6 */
	unsigned int bits;
	unsigned char addr[16];
};

/*
 * Parses "addr/bits" or a bare address (/32 or /128) into *n: "10.0.0.0/8",
 * "2001:db8::/32". Host bits set in the address are kept, and ignored by
 * addr_in_net(). Returns 0, or -EINVAL for a malformed network (bad
 * address, prefix not a number, longer than the family allows).
 */
int addr_parse_net(const char *text, struct addr_net *n);

/* Whether addr (an address in any form inet_pton accepts) lies in n.
 * Returns 1, or 0 when it does not or is no address of n's family (the
 * other family never matches). */
int addr_in_net(const struct addr_net *n, const char *addr);

/* Whether network outer holds every address of inner: one family, outer's
 * prefix no longer than inner's and equal to inner's first outer->bits. */
int addr_net_contains(const struct addr_net *outer, const struct addr_net *inner);

/* Writes an IPv4 or IPv6 address in its canonical inet_ntop form ("::1",
 * "2001:db8::1", "10.0.0.1") into buf (INET6_ADDRSTRLEN bytes suffice):
 * the form the collector stores. Returns 0, or -EINVAL when text is
 * neither address. */
int addr_canonical(const char *text, char *buf, size_t size);

#endif /* ADDR_H */
