// SPDX-License-Identifier: BSD-2-Clause
/* The policy file read into rules, every error named by its line; block
 * rules from flowdb-ctl's parts; the canonical text of a rule. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "policy.h"
#include "units.h"

/* No valid line has more words than this: the longest rule has 12. */
#define MAX_WORDS 24
#define READ_CHUNK 65536
/* How much of a bad word an error message shows. */
#define SHOW_MAX 48
/* The longest block the file takes, "for 5200w": a hundred years is for
 * ever, and keeps every expiry time far from overflowing. */
#define DURATION_MAX_US (5200ULL * 7 * 86400 * USEC_PER_SEC)
/* The largest burst: 2^32-1 packets or SYNs, 1 TiB. */
#define BURST_MAX_COUNT 4294967295ULL
#define BURST_MAX_BYTES (1ULL << 40)

/* One word of a line: not NUL-terminated. */
struct word {
	const char *s;
	size_t len;
};

enum line_kind {
	LINE_EMPTY = 0,
	LINE_RULE = 1,
	LINE_MODE = 2,
};

/* The options after a rule's network or rate, a bit each. */
enum {
	OPT_PROTO = 1,
	OPT_PORT = 2,
	OPT_FOR = 4,
	OPT_REASON = 8,
	OPT_BURST = 16,
};

static const struct {
	const char *name;
	uint8_t num;
} proto_names[] = {
	{ "icmp", 1 },	 { "igmp", 2 },	   { "ipip", 4 },   { "tcp", 6 },
	{ "udp", 17 },	 { "ipv6", 41 },   { "gre", 47 },   { "esp", 50 },
	{ "ah", 51 },	 { "icmpv6", 58 }, { "ospf", 89 },  { "pim", 103 },
	{ "vrrp", 112 }, { "l2tp", 115 },  { "sctp", 132 }, { "udplite", 136 },
};

/* The protocols whose headers carry ports, as the kernel parses them. */
static bool has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 136;
}

/* Writes the message into why and returns -EINVAL, for one-line returns. */
static int fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A word as an error message shows it: printable ASCII as is, other bytes
 * as \xHH, cut to SHOW_MAX characters with "..." after. Returns buf
 * (SHOW_MAX + 8 bytes). */
static const char *shown(const char *s, size_t n, char *buf)
{
	size_t i, used = 0;

	for (i = 0; i < n && used < SHOW_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[used++] = (char)c;
		else
			used += (size_t)sprintf(buf + used, "\\x%02x", c);
	}
	strcpy(buf + used, i < n ? "..." : "");
	return buf;
}

static bool is(const struct word *w, const char *keyword)
{
	return w->len == strlen(keyword) && !memcmp(w->s, keyword, w->len);
}

/*
 * Parses digits s[0..n) into *out, at most max. Returns 0, -EINVAL for
 * anything but digits (signs, spaces, nothing) or -ERANGE above max,
 * checked digit by digit so that no run of digits overflows.
 */
static int parse_uint(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Clears the bits of n's address past its prefix length. */
static void clear_host_bits(struct addr_net *n)
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		unsigned int keep = n->bits > i * 8 ? n->bits - i * 8 : 0;

		if (keep < 8)
			n->addr[i] &= (unsigned char)(0xff00 >> keep);
	}
}

const char *policy_net_text(const struct addr_net *n, char *buf, size_t len)
{
	unsigned int max = n->family == AF_INET6 ? 128 : 32;
	size_t used;

	if (!inet_ntop(n->family, n->addr, buf, (socklen_t)len)) {
		snprintf(buf, len, "?");
		return buf;
	}
	used = strlen(buf);
	if (n->bits != max)
		snprintf(buf + used, len - used, "/%u", n->bits);
	return buf;
}

/*
 * Parses a network as the file writes it into *n (all 16 address bytes
 * set, so that networks compare with memcmp). Host bits set are an error,
 * as nftables has it: "10.0.0.1/8" is more likely a typo than a wish for
 * 10.0.0.0/8. Returns 0 or -EINVAL with why.
 */
static int parse_net(const char *s, size_t n, struct addr_net *net, char *why, size_t len)
{
	char text[INET6_ADDRSTRLEN + 8], show[SHOW_MAX + 8], good[INET6_ADDRSTRLEN + 8];
	struct addr_net masked;

	memset(net, 0, sizeof(*net));
	if (n >= sizeof(text))
		return fail(why, len, "'%s' is not an IPv4 or IPv6 address or network",
			    shown(s, n, show));
	memcpy(text, s, n);
	text[n] = '\0';
	if (addr_parse_net(text, net)) {
		memset(net, 0, sizeof(*net));
		return fail(why, len, "'%s' is not an IPv4 or IPv6 address or network",
			    shown(s, n, show));
	}
	masked = *net;
	clear_host_bits(&masked);
	if (memcmp(masked.addr, net->addr, sizeof(net->addr)))
		return fail(why, len, "%s has host bits set: the network is %s", text,
			    policy_net_text(&masked, good, sizeof(good)));
	return 0;
}

/*
 * Whether s[0..n) is printable UTF-8: well-formed (no overlong forms, no
 * surrogates, nothing past U+10FFFF), and without control characters (C0,
 * DEL, C1), line separators or the bidirectional overrides that make text
 * read other than it is. Returns -1, or the offset of the first bad byte.
 */
static long bad_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0, k, more;
	uint32_t cp;

	while (i < n) {
		unsigned char c = s[i];

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return (long)i;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			more = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			more = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			more = 3, cp = c & 0x07;
		else
			return (long)i;
		if (n - i <= more)
			return (long)i;
		for (k = 1; k <= more; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (long)i;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f) ||
		    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
			return (long)i;
		i += more + 1;
	}
	return -1;
}

/* Checks a reason's bytes and copies them into out (POLICY_REASON_MAX).
 * Returns 0 or -EINVAL with why. */
static int take_reason(const char *s, size_t n, char *out, char *why, size_t len)
{
	long bad;

	if (n >= POLICY_REASON_MAX)
		return fail(why, len, "reason is %zu bytes long, at most %d", n,
			    POLICY_REASON_MAX - 1);
	bad = bad_utf8((const unsigned char *)s, n);
	if (bad >= 0)
		return fail(
			why, len,
			"reason has a byte that is not printable UTF-8 (0x%02x, byte %ld of it)",
			(unsigned char)s[bad], bad + 1);
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* Decodes a quoted word ("text", with \" and \\) into a rule's reason.
 * Returns 0 or -EINVAL with why. */
static int parse_reason(const struct word *w, char *out, char *why, size_t len)
{
	char text[POLICY_LINE_MAX], show[SHOW_MAX + 8];
	size_t i, n = 0;

	if (w->len < 2 || w->s[0] != '"')
		return fail(why, len, "reason takes a quoted text, reason \"...\", not '%s'",
			    shown(w->s, w->len, show));
	for (i = 1; i + 1 < w->len; i++) {
		char c = w->s[i];

		if (c == '\\') {
			c = w->s[++i];
			if (c != '"' && c != '\\')
				return fail(why, len,
					    "reason: unknown escape '\\%s' (only \\\" and \\\\)",
					    shown(&w->s[i], 1, show));
		}
		text[n++] = c;
	}
	return take_reason(text, n, out, why, len);
}

/*
 * Splits line[0..n) into words at spaces and tabs, up to a '#' outside a
 * quoted text (the rest is a comment). A word that starts with '"' runs to
 * the closing quote; \" and \\ inside it do not end it. Other words are
 * printable ASCII. Returns 0 or -EINVAL with why.
 */
static int split(const char *line, size_t n, struct word *w, size_t *count, char *why, size_t len)
{
	size_t i = 0;

	*count = 0;
	while (i < n) {
		unsigned char c = (unsigned char)line[i];
		size_t start = i;

		if (c == ' ' || c == '\t') {
			i++;
			continue;
		}
		if (c == '#')
			break;
		if (*count == MAX_WORDS)
			return fail(why, len, "more than %d words", MAX_WORDS);
		if (c == '"') {
			for (i++; i < n && line[i] != '"'; i++)
				if (line[i] == '\\' && i + 1 < n)
					i++;
			if (i == n)
				return fail(why, len, "no closing quote for the text at column %zu",
					    start + 1);
			i++;
			if (i < n && line[i] != ' ' && line[i] != '\t' && line[i] != '#')
				return fail(why, len,
					    "no space after the quoted text at column %zu",
					    start + 1);
		} else {
			for (; i < n; i++) {
				c = (unsigned char)line[i];
				if (c == ' ' || c == '\t' || c == '#')
					break;
				if (c == '"')
					return fail(why, len, "a quote inside a word at column %zu",
						    i + 1);
				if (c < 0x20 || c >= 0x7f)
					return fail(why, len,
						    "byte 0x%02x at column %zu: outside quotes and "
						    "comments a line is printable ASCII",
						    c, i + 1);
			}
		}
		w[*count].s = line + start;
		w[*count].len = i - start;
		(*count)++;
	}
	return 0;
}

/* Parses a protocol, a name of proto_names or a number 1-255, into *proto.
 * Returns 0 or -EINVAL with why. */
static int parse_proto(const struct word *w, uint8_t *proto, char *why, size_t len)
{
	char show[SHOW_MAX + 8];
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++) {
		if (is(w, proto_names[i].name)) {
			*proto = proto_names[i].num;
			return 0;
		}
	}
	if (parse_uint(w->s, w->len, 255, &v))
		return fail(why, len,
			    "unknown protocol '%s' (a name such as tcp, udp, icmp, icmpv6, or a "
			    "number 1-255)",
			    shown(w->s, w->len, show));
	if (!v)
		return fail(why, len, "proto 0 matches no packet (leave proto out for any)");
	*proto = (uint8_t)v;
	return 0;
}

/* The name of a protocol for the canonical text, or NULL when it has none. */
static const char *proto_name(uint8_t proto)
{
	size_t i;

	for (i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++)
		if (proto_names[i].num == proto)
			return proto_names[i].name;
	return NULL;
}

/*
 * Parses a rate, "1000pps", "20Mbps" (bits, decimal prefixes K or k, M, G)
 * or "50/s" followed by the word "syn", into r. *used says how many words
 * it took. Returns 0 or -EINVAL with why.
 */
static int parse_rate(const struct word *w, size_t left, struct policy_rule *r, size_t *used,
		      char *why, size_t len)
{
	static const struct {
		const char *suffix;
		enum policy_unit unit;
		uint64_t scale;
	} units[] = {
		{ "pps", POLICY_PPS, 1 },	 { "bps", POLICY_BPS, 1 },
		{ "Kbps", POLICY_BPS, 1000 },	 { "kbps", POLICY_BPS, 1000 },
		{ "Mbps", POLICY_BPS, 1000000 }, { "Gbps", POLICY_BPS, 1000000000 },
		{ "/s", POLICY_SYN, 1 },
	};
	char show[SHOW_MAX + 8];
	size_t digits = 0, i;
	uint64_t v, max;
	int ret;

	while (digits < w->len && w->s[digits] >= '0' && w->s[digits] <= '9')
		digits++;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (w->len - digits == strlen(units[i].suffix) &&
		    !memcmp(w->s + digits, units[i].suffix, w->len - digits))
			break;
	}
	if (!digits || i == sizeof(units) / sizeof(units[0]))
		return fail(why, len,
			    "bad rate '%s' (use e.g. 1000pps, 20Mbps, or 50/s syn for new TCP "
			    "connections)",
			    shown(w->s, w->len, show));
	r->unit = units[i].unit;
	max = r->unit == POLICY_BPS ? POLICY_RATE_MAX_BPS : POLICY_RATE_MAX_PPS;
	ret = parse_uint(w->s, digits, max / units[i].scale, &v);
	if (ret)
		return fail(why, len, "rate '%s' is too high: at most %s",
			    shown(w->s, w->len, show),
			    r->unit == POLICY_BPS ? "1000Gbps" :
			    r->unit == POLICY_PPS ? "1000000000pps" :
						    "1000000000/s syn");
	if (!v)
		return fail(why, len, "a rate of 0 lets nothing through: write a block rule");
	r->rate = v * units[i].scale;
	*used = 1;
	if (r->unit != POLICY_SYN)
		return 0;
	if (left < 2 || !is(&w[1], "syn"))
		return fail(why, len,
			    "'%s' is a rate of SYNs: write '%s syn' (or Npps for packets)",
			    shown(w->s, w->len, show), shown(w->s, w->len, show));
	*used = 2;
	return 0;
}

/* Parses a limit's key, "src/N" or "src/N/M", into r. Returns 0 or -EINVAL
 * with why. */
static int parse_limit_key(const struct word *w, struct policy_rule *r, char *why, size_t len)
{
	const char *slash;
	char show[SHOW_MAX + 8];
	uint64_t v4, v6;
	size_t n4;

	if (w->len < 5 || memcmp(w->s, "src/", 4))
		return fail(why, len,
			    "limit takes src/N or src/N/M (one bucket per source cut to N bits "
			    "of IPv4, M of IPv6), not '%s'",
			    shown(w->s, w->len, show));
	slash = memchr(w->s + 4, '/', w->len - 4);
	n4 = slash ? (size_t)(slash - (w->s + 4)) : w->len - 4;
	if (parse_uint(w->s + 4, n4, 32, &v4))
		return fail(why, len, "limit %s: the IPv4 prefix length is 0 to 32",
			    shown(w->s, w->len, show));
	v6 = v4 == 32 ? 128 : 64;
	if (slash && parse_uint(slash + 1, (size_t)(w->s + w->len - slash - 1), 128, &v6))
		return fail(why, len, "limit %s: the IPv6 prefix length is 0 to 128",
			    shown(w->s, w->len, show));
	r->limit_bits4 = (uint8_t)v4;
	r->limit_bits6 = (uint8_t)v6;
	return 0;
}

/* A limit's burst when none is given: one second of its rate. */
static uint64_t default_burst(const struct policy_rule *r)
{
	return r->unit == POLICY_BPS ? (r->rate + 7) / 8 : r->rate;
}

/* Parses the burst of limit r. Returns 0 or -EINVAL with why. */
static int parse_burst(const struct word *w, struct policy_rule *r, char *why, size_t len)
{
	char text[32], show[SHOW_MAX + 8];
	int ret;

	if (r->unit != POLICY_BPS) {
		ret = parse_uint(w->s, w->len, BURST_MAX_COUNT, &r->burst);
		if (ret || !r->burst)
			return fail(why, len, "burst '%s' is not a count from 1 to %llu (%s)",
				    shown(w->s, w->len, show), BURST_MAX_COUNT,
				    r->unit == POLICY_PPS ? "packets" : "SYNs");
		return 0;
	}
	ret = -EINVAL;
	if (w->len < sizeof(text)) {
		memcpy(text, w->s, w->len);
		text[w->len] = '\0';
		ret = units_parse_size(text, &r->burst);
	}
	if (!ret && r->burst > BURST_MAX_BYTES)
		ret = -ERANGE;
	if (ret)
		return fail(why, len,
			    "burst '%s' is not a size from 1 byte to 1TB (e.g. 64KB, 2MB)",
			    shown(w->s, w->len, show));
	return 0;
}

/* Parses "for DUR" of a block. Returns 0 or -EINVAL with why. */
static int parse_for(const struct word *w, struct policy_rule *r, char *why, size_t len)
{
	char text[32], show[SHOW_MAX + 8];
	int ret = -EINVAL;

	if (w->len < sizeof(text)) {
		memcpy(text, w->s, w->len);
		text[w->len] = '\0';
		ret = units_parse_duration(text, &r->duration_us);
	}
	if (!ret && r->duration_us > DURATION_MAX_US)
		ret = -ERANGE;
	if (ret == -ERANGE)
		return fail(why, len, "for %s: at most 5200w (leave 'for' out for ever)",
			    shown(w->s, w->len, show));
	if (ret)
		return fail(why, len, "for '%s': bad duration (use e.g. 30s, 5m, 1h, 7d)",
			    shown(w->s, w->len, show));
	return 0;
}

/*
 * Parses the options of a rule, words w[0..n), each a keyword and its
 * value, each at most once, only those of allowed. Returns 0 or -EINVAL
 * with why.
 */
static int parse_options(const struct word *w, size_t n, unsigned int allowed,
			 struct policy_rule *r, char *why, size_t len)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} opts[] = { { "proto", OPT_PROTO },
		     { "port", OPT_PORT },
		     { "for", OPT_FOR },
		     { "reason", OPT_REASON },
		     { "burst", OPT_BURST } };
	static const char *const expected[] = {
		[POLICY_ALLOW] = "proto, port or reason",
		[POLICY_BLOCK] = "proto, port, for or reason",
		[POLICY_LIMIT] = "burst, proto, port or reason",
	};
	const char *kind = r->kind == POLICY_ALLOW ? "allow" :
			   r->kind == POLICY_BLOCK ? "block" :
						     "limit";
	char show[SHOW_MAX + 8];
	unsigned int seen = 0;
	size_t i, k;
	uint64_t v;
	int ret = 0;

	for (i = 0; i < n && !ret; i += 2) {
		for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (is(&w[i], opts[k].name))
				break;
		if (k == sizeof(opts) / sizeof(opts[0]) || !(allowed & opts[k].bit))
			return fail(why, len, "unexpected '%s' in %s rule (expected %s)",
				    shown(w[i].s, w[i].len, show), kind, expected[r->kind]);
		if (seen & opts[k].bit)
			return fail(why, len, "%s given twice", opts[k].name);
		seen |= opts[k].bit;
		if (i + 1 == n)
			return fail(why, len, "%s needs a value", opts[k].name);
		switch (opts[k].bit) {
		case OPT_PROTO:
			ret = parse_proto(&w[i + 1], &r->proto, why, len);
			break;
		case OPT_PORT:
			if (parse_uint(w[i + 1].s, w[i + 1].len, 65535, &v) || !v)
				return fail(why, len, "port '%s' is not a number from 1 to 65535",
					    shown(w[i + 1].s, w[i + 1].len, show));
			r->port = (uint16_t)v;
			break;
		case OPT_FOR:
			ret = parse_for(&w[i + 1], r, why, len);
			break;
		case OPT_REASON:
			ret = parse_reason(&w[i + 1], r->reason, why, len);
			break;
		case OPT_BURST:
			ret = parse_burst(&w[i + 1], r, why, len);
			break;
		}
	}
	return ret;
}

/* The checks across options, once all are read: ports need a protocol with
 * ports, a SYN limit is TCP's. Returns 0 or -EINVAL with why. */
static int check_rule(struct policy_rule *r, char *why, size_t len)
{
	char number[4];
	const char *name;

	if (r->kind == POLICY_LIMIT && r->unit == POLICY_SYN) {
		if (r->proto && r->proto != 6)
			return fail(why, len, "a syn limit counts TCP SYNs: its proto is tcp");
		r->proto = 6;
	}
	if (r->port && !r->proto)
		return fail(why, len, "port %u needs proto tcp, udp, udplite or sctp", r->port);
	if (r->port && !has_ports(r->proto)) {
		name = proto_name(r->proto);
		snprintf(number, sizeof(number), "%u", r->proto);
		return fail(why, len,
			    "port %u with proto %s: only tcp, udp, udplite and sctp have ports",
			    r->port, name ? name : number);
	}
	if (r->kind == POLICY_LIMIT && !r->burst)
		r->burst = default_burst(r);
	return 0;
}

/* Parses "mode enforce|monitor". Returns LINE_MODE or -EINVAL with why. */
static int parse_mode(const struct word *w, size_t n, enum policy_mode *mode, char *why, size_t len)
{
	if (n == 2 && is(&w[1], "enforce"))
		*mode = POLICY_ENFORCE;
	else if (n == 2 && is(&w[1], "monitor"))
		*mode = POLICY_MONITOR;
	else
		return fail(why, len, "mode is 'mode enforce' or 'mode monitor'");
	return LINE_MODE;
}

/*
 * Parses one line (no newline) into *r or *mode. Returns LINE_EMPTY,
 * LINE_RULE, LINE_MODE, or -EINVAL with why (the line's first error).
 */
static int parse_line(const char *line, size_t n, struct policy_rule *r, enum policy_mode *mode,
		      char *why, size_t len)
{
	struct word w[MAX_WORDS];
	char show[SHOW_MAX + 8];
	size_t count, i = 1, used = 0;
	unsigned int allowed;
	int ret;

	if (split(line, n, w, &count, why, len))
		return -EINVAL;
	if (!count)
		return LINE_EMPTY;
	if (is(&w[0], "mode"))
		return parse_mode(w, count, mode, why, len);
	memset(r, 0, sizeof(*r));
	if (is(&w[0], "allow")) {
		r->kind = POLICY_ALLOW;
		allowed = OPT_PROTO | OPT_PORT | OPT_REASON;
	} else if (is(&w[0], "block")) {
		r->kind = POLICY_BLOCK;
		allowed = OPT_PROTO | OPT_PORT | OPT_FOR | OPT_REASON;
	} else if (is(&w[0], "limit")) {
		r->kind = POLICY_LIMIT;
		allowed = OPT_BURST | OPT_PROTO | OPT_PORT | OPT_REASON;
	} else if (is(&w[0], "alert")) {
		return fail(why, len, "alert rules are not supported by this version");
	} else {
		return fail(why, len, "unknown rule '%s' (expected allow, block, limit or mode)",
			    shown(w[0].s, w[0].len, show));
	}

	if (r->kind == POLICY_LIMIT) {
		if (count < 3)
			return fail(why, len, "limit needs a key and a rate: limit src/N RATE");
		ret = parse_limit_key(&w[1], r, why, len);
		if (!ret)
			ret = parse_rate(&w[2], count - 2, r, &used, why, len);
		if (ret)
			return ret;
		i = 2 + used;
	} else {
		if (count > 1 && (is(&w[1], "src") || is(&w[1], "dst"))) {
			r->side = is(&w[1], "src") ? POLICY_SIDE_SRC : POLICY_SIDE_DST;
			i = 2;
		} else if (r->kind == POLICY_BLOCK) {
			return fail(why, len, "block needs src or dst before the network");
		}
		if (i == count)
			return fail(why, len, "%s needs a network",
				    r->kind == POLICY_BLOCK ? "block" : "allow");
		ret = parse_net(w[i].s, w[i].len, &r->net, why, len);
		if (ret)
			return ret;
		i++;
	}
	ret = parse_options(w + i, count - i, allowed, r, why, len);
	if (!ret)
		ret = check_rule(r, why, len);
	return ret ? ret : LINE_RULE;
}

int policy_add(struct policy *p, const struct policy_rule *r)
{
	if (p->n_rules == p->cap_rules) {
		size_t cap = p->cap_rules ? p->cap_rules * 2 : 64;
		struct policy_rule *rules = reallocarray(p->rules, cap, sizeof(*rules));

		if (!rules)
			return -ENOMEM;
		p->rules = rules;
		p->cap_rules = cap;
	}
	p->rules[p->n_rules++] = *r;
	return 0;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	free(p->rules);
	free(p->file);
	memset(p, 0, sizeof(*p));
}

/* What the file reader carries from line to line. */
struct reader {
	const char *path;
	FILE *err;
	struct policy *out;
	unsigned int line;
	unsigned int mode_line; /* where mode was set; 0: not yet */
	unsigned long errors;
	int fatal; /* -ENOMEM: stop */
};

/* Takes one line of the file (without its newline), too_long when it was
 * cut at POLICY_LINE_MAX: a rule added, or one error line printed. */
static void take_line(struct reader *rd, const char *line, size_t n, bool too_long)
{
	struct policy_rule r;
	enum policy_mode mode;
	char why[POLICY_ERR_MAX];
	const char *nul;
	int ret;

	rd->line++;
	/* A file edited on Windows: CRLF line ends, a byte order mark. */
	if (n && line[n - 1] == '\r')
		n--;
	if (rd->line == 1 && n >= 3 && !memcmp(line, "\xef\xbb\xbf", 3))
		line += 3, n -= 3;
	nul = memchr(line, '\0', n);
	if (too_long)
		ret = fail(why, sizeof(why), "line longer than %d bytes", POLICY_LINE_MAX);
	else if (nul)
		ret = fail(why, sizeof(why), "a NUL byte at column %zu (not a text file?)",
			   (size_t)(nul - line) + 1);
	else
		ret = parse_line(line, n, &r, &mode, why, sizeof(why));
	if (ret == LINE_MODE && rd->mode_line)
		ret = fail(why, sizeof(why), "mode given twice (first on line %u)", rd->mode_line);
	if (ret < 0) {
		fprintf(rd->err, "flowdb-collector: %s:%u: %s\n", rd->path, rd->line, why);
		rd->errors++;
	} else if (ret == LINE_MODE) {
		rd->out->mode = mode;
		rd->mode_line = rd->line;
	} else if (ret == LINE_RULE && !rd->errors) {
		/* Once a line is wrong the rules are thrown away: keep only
		 * looking for errors. */
		r.origin = POLICY_ORIGIN_FILE;
		r.line = rd->line;
		rd->fatal = policy_add(rd->out, &r);
	}
}

/*
 * Reads fd chunk by chunk and hands each line to take_line(): a line is
 * copied into a buffer of POLICY_LINE_MAX bytes and anything longer is
 * skipped to its newline, so that no line costs more memory than that.
 * Returns 0 or a negative errno from read().
 */
static int read_lines(struct reader *rd, int fd)
{
	char *chunk = malloc(READ_CHUNK), *line = malloc(POLICY_LINE_MAX);
	size_t used = 0;
	bool too_long = false;
	ssize_t got;
	int ret = 0;

	if (!chunk || !line) {
		ret = -ENOMEM;
		goto cleanup;
	}
	while (!rd->fatal && (got = read(fd, chunk, READ_CHUNK)) != 0) {
		const char *p = chunk, *end;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto cleanup;
		}
		end = chunk + got;
		while (p < end && !rd->fatal) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t part = (size_t)((nl ? nl : end) - p);

			if (used + part > POLICY_LINE_MAX) {
				too_long = true;
			} else {
				memcpy(line + used, p, part);
				used += part;
			}
			if (!nl)
				break;
			take_line(rd, line, used, too_long);
			used = 0;
			too_long = false;
			p = nl + 1;
		}
	}
	/* The last line needs no newline. */
	if (!rd->fatal && (used || too_long))
		take_line(rd, line, used, too_long);
	ret = rd->fatal;
cleanup:
	free(chunk);
	free(line);
	return ret;
}

int policy_parse_file(const char *path, struct policy *out, FILE *err)
{
	struct reader rd = { .path = path, .err = err, .out = out };
	struct stat st;
	int fd, ret;

	memset(out, 0, sizeof(*out));
	/* O_NONBLOCK: a FIFO must be refused, not waited on by open(). */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = -errno;
		fprintf(err, "flowdb-collector: %s: %s\n", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		fprintf(err, "flowdb-collector: %s: %s\n", path, strerror(-ret));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		fprintf(err, "flowdb-collector: %s: not a regular file\n", path);
		goto cleanup;
	}
	out->file = strdup(path);
	if (!out->file) {
		ret = -ENOMEM;
		goto cleanup;
	}
	ret = read_lines(&rd, fd);
	if (ret == -ENOMEM)
		fprintf(err, "flowdb-collector: %s: out of memory after line %u\n", path, rd.line);
	else if (ret)
		fprintf(err, "flowdb-collector: %s: %s\n", path, strerror(-ret));
	else if (rd.errors)
		ret = -EINVAL;
cleanup:
	close(fd);
	if (ret)
		policy_free(out);
	return ret;
}

int policy_parse_line(const char *text, struct policy_rule *out, char *errbuf, size_t len)
{
	size_t n = strlen(text);
	enum policy_mode mode;
	int ret;

	if (n > POLICY_LINE_MAX)
		return fail(errbuf, len, "line longer than %d bytes", POLICY_LINE_MAX);
	ret = parse_line(text, n, out, &mode, errbuf, len);
	if (ret == LINE_MODE)
		return fail(errbuf, len, "mode is a setting of the policy file, not a rule");
	if (ret == LINE_RULE) {
		out->origin = POLICY_ORIGIN_CTL;
		out->line = 0;
		return 1;
	}
	return ret;
}

int policy_block_rule(const char *cidr, enum policy_side side, uint64_t duration_us,
		      const char *reason, struct policy_rule *out, char *errbuf, size_t len)
{
	int ret;

	memset(out, 0, sizeof(*out));
	out->kind = POLICY_BLOCK;
	out->origin = POLICY_ORIGIN_CTL;
	if (side != POLICY_SIDE_SRC && side != POLICY_SIDE_DST)
		return fail(errbuf, len, "a block is of src or dst");
	out->side = side;
	ret = parse_net(cidr, strlen(cidr), &out->net, errbuf, len);
	if (ret)
		return ret;
	if (duration_us % 1000)
		return fail(errbuf, len, "a block lasts a whole number of milliseconds");
	if (duration_us > DURATION_MAX_US)
		return fail(errbuf, len, "a block lasts at most 5200w (no duration: for ever)");
	out->duration_us = duration_us;
	return reason ? take_reason(reason, strlen(reason), out->reason, errbuf, len) : 0;
}

/* Appends to a text being built, cut at its size. */
struct text {
	char *buf;
	size_t len, used;
};

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->used >= t->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->used += (size_t)n;
}

/* Writes v with the largest of units[] (scale descending, ending at 1) that
 * divides it exactly, then suffix (e.g. "bps"). */
static void put_scaled(struct text *t, uint64_t v, const char *const *names, const uint64_t *scales,
		       const char *suffix)
{
	size_t i = 0;

	while (scales[i] > 1 && v % scales[i])
		i++;
	put(t, "%llu%s%s", (unsigned long long)(v / scales[i]), names[i], suffix);
}

const char *policy_rule_text(const struct policy_rule *r, char *buf, size_t len)
{
	static const char *const rate_names[] = { "G", "M", "K", "" };
	static const uint64_t rate_scales[] = { 1000000000, 1000000, 1000, 1 };
	static const char *const size_names[] = { "T", "G", "M", "K", "" };
	static const uint64_t size_scales[] = { 1ULL << 40, 1ULL << 30, 1ULL << 20, 1ULL << 10, 1 };
	static const char *const dur_names[] = { "w", "d", "h", "m", "s", "ms" };
	static const uint64_t dur_scales[] = {
		7 * 86400 * USEC_PER_SEC, 86400 * USEC_PER_SEC, 3600 * USEC_PER_SEC,
		60 * USEC_PER_SEC,	  USEC_PER_SEC,		1000
	};
	static const char *const sides[] = { "", " src", " dst" };
	char net[INET6_ADDRSTRLEN + 8];
	struct text t = { buf, len, 0 };
	const char *name;
	size_t i;

	if (len)
		buf[0] = '\0';
	if (r->kind == POLICY_LIMIT) {
		put(&t, "limit src/%u", r->limit_bits4);
		if (r->limit_bits6 != (r->limit_bits4 == 32 ? 128 : 64))
			put(&t, "/%u", r->limit_bits6);
		put(&t, " ");
		if (r->unit == POLICY_BPS)
			put_scaled(&t, r->rate, rate_names, rate_scales, "bps");
		else
			put(&t, r->unit == POLICY_PPS ? "%llupps" : "%llu/s syn",
			    (unsigned long long)r->rate);
		if (r->burst != default_burst(r)) {
			put(&t, " burst ");
			if (r->unit == POLICY_BPS)
				put_scaled(&t, r->burst, size_names, size_scales, "B");
			else
				put(&t, "%llu", (unsigned long long)r->burst);
		}
	} else {
		put(&t, "%s%s %s", r->kind == POLICY_ALLOW ? "allow" : "block",
		    sides[r->side <= POLICY_SIDE_DST ? r->side : 0],
		    policy_net_text(&r->net, net, sizeof(net)));
	}
	/* A syn limit's tcp goes without saying. */
	if (r->proto && !(r->kind == POLICY_LIMIT && r->unit == POLICY_SYN)) {
		name = proto_name(r->proto);
		if (name)
			put(&t, " proto %s", name);
		else
			put(&t, " proto %u", r->proto);
	}
	if (r->port)
		put(&t, " port %u", r->port);
	if (r->kind == POLICY_BLOCK && r->duration_us) {
		put(&t, " for ");
		/* Rounded up to milliseconds, the least the grammar writes. */
		put_scaled(&t, (r->duration_us + 999) / 1000 * 1000, dur_names, dur_scales, "");
	}
	if (r->reason[0]) {
		put(&t, " reason \"");
		for (i = 0; i < POLICY_REASON_MAX && r->reason[i]; i++)
			put(&t, "%s%c", r->reason[i] == '"' || r->reason[i] == '\\' ? "\\" : "",
			    r->reason[i]);
		put(&t, "\"");
	}
	return buf;
}
