// SPDX-License-Identifier: BSD-2-Clause
/* The PROXY protocol header a load balancer puts before a connection's own bytes (HAProxy's
 * proxy-protocol.txt, versions 1 and 2). */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include "proxy.h"
#include "wire.h"

#define V1_PREFIX "PROXY "
#define V1_TCP4 "TCP4"
#define V1_TCP6 "TCP6"
#define V1_UNKNOWN "UNKNOWN"
#define V1_PORT_DIGITS 5
#define V1_PORT_MAX 65535
#define V1_FIELDS 4 /* source, destination, source port, destination port */
static const uint8_t v2_signature[] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
					0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };
#define V2_SIG_LEN 12
#define V2_VERSION 0x20 /* the high nibble of the byte after the signature; the low: command */
#define V2_HIGH 0xf0
#define V2_LOW 0x0f
#define V2_LEN_AT 14 /* the 16-bit length of what follows the fixed part */
#define V2_LOCAL 0x0
#define V2_PROXY 0x1
#define V2_AF_UNSPEC 0x0
#define V2_AF_INET 0x1
#define V2_AF_INET6 0x2
#define V2_AF_UNIX 0x3
#define V2_UNSPEC 0x0
#define V2_STREAM 0x1
#define V2_DGRAM 0x2
/* What each family's addresses take: two addresses and two ports, or two paths. */
#define V2_INET_LEN 12
#define V2_INET6_LEN 36
#define V2_UNIX_LEN 216
#define V2_PORTS_LEN 4
#define V2_TLV_HEADER 3
#define V2_TLV_AUTHORITY 0x02
#define IPPROTO_TCP_NUM 6
#define IPPROTO_UDP_NUM 17

/* A decimal port of 1 to 5 digits, 0..65535, in [s, s + n). */
static bool v1_port(const uint8_t *s, size_t n, uint16_t *port)
{
	uint32_t v = 0;
	size_t i;

	if (n == 0 || n > V1_PORT_DIGITS)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v > V1_PORT_MAX)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* An address of family af in [s, s + n), rewritten in inet_ntop's form into dst. */
static bool v1_addr(const uint8_t *s, size_t n, int af, char *dst)
{
	char text[INSPECT_ADDR_SIZE];
	uint8_t bin[16];

	if (n == 0 || n >= sizeof(text))
		return false;
	memcpy(text, s, n);
	text[n] = '\0';
	return inet_pton(af, text, bin) == 1 && inet_ntop(af, bin, dst, INSPECT_ADDR_SIZE);
}

/* Version 1: a line "PROXY TCP4|TCP6 src dst sport dport\r\n" or "PROXY UNKNOWN...\r\n". */
static int proxy_v1(const uint8_t *buf, size_t len, struct inspect_proxy *p)
{
	const uint8_t *lf;
	size_t end, off, word, i, n = len < INSPECT_PROXY_V1_MAX ? len : INSPECT_PROXY_V1_MAX;
	const uint8_t *field;
	size_t flen;
	bool ok;
	int af;

	lf = memchr(buf, '\n', n);
	if (!lf) {
		/* Cut, unless it is already too long or holds what a header cannot. */
		if (len >= INSPECT_PROXY_V1_MAX)
			return 0;
		for (i = 0; i < len; i++)
			if ((buf[i] < 0x20 || buf[i] > 0x7e) && !(buf[i] == '\r' && i == len - 1))
				return 0;
		return -1;
	}
	end = (size_t)(lf - buf);
	if (end == 0 || buf[end - 1] != '\r')
		return 0;
	end--;
	off = strlen(V1_PREFIX);
	word = off;
	while (word < end && buf[word] != ' ')
		word++;
	p->version = 1;
	if (word - off == strlen(V1_UNKNOWN) && !memcmp(buf + off, V1_UNKNOWN, word - off)) {
		p->local = true;
		return (int)(end + 2);
	}
	if (word - off != strlen(V1_TCP4) ||
	    (memcmp(buf + off, V1_TCP4, word - off) && memcmp(buf + off, V1_TCP6, word - off)))
		return 0;
	af = buf[off + 3] == '4' ? AF_INET : AF_INET6;
	/* Four fields, each after exactly one space. */
	off = word;
	for (i = 0; i < V1_FIELDS; i++) {
		if (off >= end || buf[off] != ' ')
			return 0;
		off++;
		field = buf + off;
		while (off < end && buf[off] != ' ')
			off++;
		flen = (size_t)(buf + off - field);
		if (i == 0)
			ok = v1_addr(field, flen, af, p->src_addr);
		else if (i == 1)
			ok = v1_addr(field, flen, af, p->dst_addr);
		else
			ok = v1_port(field, flen, i == 2 ? &p->src_port : &p->dst_port);
		if (!ok)
			return 0;
	}
	if (off != end)
		return 0;
	p->ip_version = af == AF_INET ? 4 : 6;
	p->l4proto = IPPROTO_TCP_NUM;
	return (int)(end + 2);
}

/* The TLVs of a version 2 header, [off, end) of buf: AUTHORITY kept; read while whole. */
static void v2_tlvs(const uint8_t *buf, size_t off, size_t end, struct inspect_proxy *p)
{
	struct cursor c, value;
	uint8_t type;
	uint16_t n;

	cur_init(&c, buf + off, end - off);
	while (cur_u8(&c, &type) && cur_u16(&c, &n) && cur_take(&c, n, &value)) {
		if (type == V2_TLV_AUTHORITY && !p->authority[0])
			set_text(p->authority, sizeof(p->authority), value.buf, value.len,
				 ESCAPE_NAME);
	}
}

/* Version 2: the signature, version and command, family and transport, the length, then the
 * addresses and TLVs. */
static int proxy_v2(const uint8_t *buf, size_t len, struct inspect_proxy *p)
{
	uint8_t cmd, fam, tr;
	size_t total, need, alen, off;
	int af;

	if (len > V2_SIG_LEN && (buf[V2_SIG_LEN] & V2_HIGH) != V2_VERSION)
		return 0;
	cmd = len > V2_SIG_LEN ? buf[V2_SIG_LEN] & V2_LOW : V2_LOCAL;
	if (cmd != V2_LOCAL && cmd != V2_PROXY)
		return 0;
	fam = len > V2_SIG_LEN + 1 ? buf[V2_SIG_LEN + 1] >> 4 : V2_AF_UNSPEC;
	tr = len > V2_SIG_LEN + 1 ? buf[V2_SIG_LEN + 1] & V2_LOW : V2_UNSPEC;
	/* LOCAL's family is ignored, whatever it says (proxy-protocol.txt 2.2). */
	if (cmd == V2_PROXY && (fam > V2_AF_UNIX || tr > V2_DGRAM))
		return 0;
	if (len < INSPECT_PROXY_V2_FIXED)
		return -1;
	total = INSPECT_PROXY_V2_FIXED + ((size_t)buf[V2_LEN_AT] << 8 | buf[V2_LEN_AT + 1]);
	need = fam == V2_AF_INET  ? V2_INET_LEN :
	       fam == V2_AF_INET6 ? V2_INET6_LEN :
	       fam == V2_AF_UNIX  ? V2_UNIX_LEN :
				    0;
	/* A PROXY command must carry its family's addresses; LOCAL's are ignored. */
	if (cmd == V2_PROXY && total - INSPECT_PROXY_V2_FIXED < need)
		return 0;
	if (len < total)
		return -1;
	p->version = 2;
	if (cmd == V2_LOCAL) {
		p->local = true;
		return (int)total;
	}
	p->l4proto = tr == V2_STREAM ? IPPROTO_TCP_NUM : tr == V2_DGRAM ? IPPROTO_UDP_NUM : 0;
	if (fam == V2_AF_INET || fam == V2_AF_INET6) {
		af = fam == V2_AF_INET ? AF_INET : AF_INET6;
		/* Source address, destination address, source port, destination port. */
		alen = (need - V2_PORTS_LEN) / 2;
		off = INSPECT_PROXY_V2_FIXED;
		if (!inet_ntop(af, buf + off, p->src_addr, sizeof(p->src_addr)) ||
		    !inet_ntop(af, buf + off + alen, p->dst_addr, sizeof(p->dst_addr)))
			return 0;
		off += 2 * alen;
		p->src_port = (uint16_t)(buf[off] << 8 | buf[off + 1]);
		p->dst_port = (uint16_t)(buf[off + 2] << 8 | buf[off + 3]);
		p->ip_version = af == AF_INET ? 4 : 6;
	}
	v2_tlvs(buf, INSPECT_PROXY_V2_FIXED + need, total, p);
	return (int)total;
}

int inspect_proxy(const uint8_t *buf, size_t len, struct inspect_proxy *p)
{
	size_t n = len < V2_SIG_LEN ? len : V2_SIG_LEN;
	int ret = 0;

	memset(p, 0, sizeof(*p));
	if (!buf || len == 0)
		return -1;
	if (!memcmp(buf, v2_signature, n))
		ret = proxy_v2(buf, len, p);
	else if (is_prefix_of(buf, len, V1_PREFIX))
		ret = len < strlen(V1_PREFIX) ? -1 : proxy_v1(buf, len, p);
	if (ret <= 0)
		memset(p, 0, sizeof(*p));
	return ret;
}
