// SPDX-License-Identifier: BSD-2-Clause
/* IPv4 and IPv6 addresses and networks as people write them, for every tool. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include "addr.h"

int addr_parse_net(const char *text, struct addr_net *n)
{
	char buf[INET6_ADDRSTRLEN];
	const char *slash, *p;
	unsigned int max;
	size_t len;

	if (!text)
		return -EINVAL;
	slash = strchr(text, '/');
	len = slash ? (size_t)(slash - text) : strlen(text);
	/* Longer than any address inet_ntop writes, so not one. */
	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, text, len);
	buf[len] = '\0';
	n->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	max = n->family == AF_INET6 ? 128 : 32;
	if (inet_pton(n->family, buf, n->addr) != 1)
		return -EINVAL;
	n->bits = max;
	if (!slash)
		return 0;
	/* Digits only: strtoul would let through signs and leading spaces. */
	if (!slash[1])
		return -EINVAL;
	n->bits = 0;
	for (p = slash + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		n->bits = n->bits * 10 + (unsigned int)(*p - '0');
		/* Checked per digit, so a long run of digits cannot overflow. */
		if (n->bits > max)
			return -EINVAL;
	}
	return 0;
}

int addr_in_net(const struct addr_net *n, const char *addr)
{
	unsigned int whole = n->bits / 8, rest = n->bits % 8;
	unsigned char a[16];

	if (!addr || inet_pton(n->family, addr, a) != 1)
		return 0;
	if (memcmp(a, n->addr, whole))
		return 0;
	/* Comparing the prefix bits only is what ignores host bits in n. */
	if (rest && ((a[whole] ^ n->addr[whole]) & (0xff << (8 - rest)) & 0xff))
		return 0;
	return 1;
}

int addr_canonical(const char *text, char *buf, size_t size)
{
	unsigned char a[16];
	int family;

	if (inet_pton(AF_INET, text, a) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, text, a) == 1)
		family = AF_INET6;
	else
		return -EINVAL;
	return inet_ntop(family, a, buf, (socklen_t)size) ? 0 : -EINVAL;
}

int addr_net_contains(const struct addr_net *outer, const struct addr_net *inner)
{
	unsigned int whole = outer->bits / 8, rest = outer->bits % 8;

	if (outer->family != inner->family || outer->bits > inner->bits)
		return 0;
	if (memcmp(outer->addr, inner->addr, whole))
		return 0;
	return !rest || !((outer->addr[whole] ^ inner->addr[whole]) & (0xff00 >> rest) & 0xff);
}
