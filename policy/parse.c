// SPDX-License-Identifier: BSD-2-Clause
/* The policy file read into rules, alert rules and sinks, every error named
 * by its line; block rules from flowdb-ctl's parts; the canonical text of a
 * rule and of an alert rule. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>
#include "policy.h"
#include "units.h"

/* No valid line has more words than this: the longest rule has 12, the
 * longest alert rule 18. */
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
/* An alert's window, suppression and anomaly bucket: counting over more
 * than a day is a report's job, and the engine's memory per key grows with
 * what it must remember. */
#define WINDOW_MAX_US (86400 * USEC_PER_SEC)
#define BUCKET_MIN_US USEC_PER_SEC
#define BUCKET_MAX_US (3600 * USEC_PER_SEC)
#define WARMUP_MAX_US (30 * 86400 * USEC_PER_SEC)
/* The largest thresholds: more than a day of packets at 10 Gbit/s, a
 * petabyte. */
#define THRESHOLD_MAX_COUNT 1000000000000000ULL
#define THRESHOLD_MAX_BYTES (1ULL << 50)
/* Sigmas are read to a thousandth, so that their text reads back the same. */
#define SIGMA_SCALE 1000
#define SIGMA_MAX 100
/* A command's or webhook's timeout, and how many alerts may wait for it. */
#define SINK_TIMEOUT_MAX_US (300 * USEC_PER_SEC)
#define SINK_QUEUE_MAX 1000000
#define SYSLOG_SOCKET_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* One word of a line: not NUL-terminated. */
struct word {
	const char *s;
	size_t len;
};

enum line_kind {
	LINE_EMPTY = 0,
	LINE_RULE = 1,
	LINE_MODE = 2,
	LINE_ALERT = 3,
	LINE_SINK = 4,
};

/* What one line holds, by its kind. */
struct parsed {
	struct policy_rule rule;
	struct policy_alert alert;
	struct policy_sink sink;
	enum policy_mode mode;
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

/* Checks the bytes of a text (what: "reason", "command") and copies them
 * into out, which holds max bytes. Returns 0 or -EINVAL with why. */
static int take_text(const char *s, size_t n, const char *what, char *out, size_t max, char *why,
		     size_t len)
{
	long bad;

	if (n >= max)
		return fail(why, len, "%s is %zu bytes long, at most %zu", what, n, max - 1);
	bad = bad_utf8((const unsigned char *)s, n);
	if (bad >= 0)
		return fail(why, len,
			    "%s has a byte that is not printable UTF-8 (0x%02x, byte %ld of it)",
			    what, (unsigned char)s[bad], bad + 1);
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* Decodes a quoted word ("text", with \" and \\) of option what into out
 * (max bytes), checked as take_text() does. Returns 0 or -EINVAL with why. */
static int parse_quoted(const struct word *w, const char *what, char *out, size_t max, char *why,
			size_t len)
{
	char text[POLICY_LINE_MAX], show[SHOW_MAX + 8];
	size_t i, n = 0;

	if (w->len < 2 || w->s[0] != '"')
		return fail(why, len, "%s takes a quoted text, %s \"...\", not '%s'", what, what,
			    shown(w->s, w->len, show));
	for (i = 1; i + 1 < w->len; i++) {
		char c = w->s[i];

		if (c == '\\') {
			c = w->s[++i];
			if (c != '"' && c != '\\')
				return fail(why, len,
					    "%s: unknown escape '\\%s' (only \\\" and \\\\)", what,
					    shown(&w->s[i], 1, show));
		}
		text[n++] = c;
	}
	return take_text(text, n, what, out, max, why, len);
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
			ret = parse_quoted(&w[i + 1], "reason", r->reason, POLICY_REASON_MAX, why,
					   len);
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

/* Parses a duration word of option what, from 1 ms to max (whose text is
 * max_text), into *us. Returns 0 or -EINVAL with why. */
static int parse_dur(const struct word *w, const char *what, uint64_t max, const char *max_text,
		     uint64_t *us, char *why, size_t len)
{
	char text[32], show[SHOW_MAX + 8];
	int ret = -EINVAL;

	if (w->len < sizeof(text)) {
		memcpy(text, w->s, w->len);
		text[w->len] = '\0';
		ret = units_parse_duration(text, us);
	}
	if (!ret && *us > max)
		ret = -ERANGE;
	if (ret == -ERANGE)
		return fail(why, len, "%s %s: at most %s", what, shown(w->s, w->len, show),
			    max_text);
	if (ret)
		return fail(why, len, "%s '%s': bad duration (use e.g. 30s, 5m, 1h)", what,
			    shown(w->s, w->len, show));
	return 0;
}

/* The keywords of alert rules, indexed by their enums; as the alerts
 * table's metric column and the canonical text write them. */
static const char *const metric_names[] = {
	[POLICY_METRIC_DISTINCT] = "distinct",
	[POLICY_METRIC_SYN] = "syn",
	[POLICY_METRIC_HTTP_REQUESTS] = "http_requests",
	[POLICY_METRIC_DNS_QUERIES] = "dns_queries",
	[POLICY_METRIC_BYTES] = "bytes",
	[POLICY_METRIC_PACKETS] = "packets",
	[POLICY_METRIC_FLOWS] = "flows",
	[POLICY_METRIC_FAILED] = "failed",
	[POLICY_METRIC_CLEARTEXT] = "cleartext",
	[POLICY_METRIC_ANOMALY] = "anomaly",
};
static const char *const field_names[] = {
	[POLICY_FIELD_DST_PORT] = "dst_port",
	[POLICY_FIELD_DST_ADDR] = "dst_addr",
	[POLICY_FIELD_SRC_ADDR] = "src_addr",
	[POLICY_FIELD_SRC_PORT] = "src_port",
};
static const char *const severity_names[] = {
	[POLICY_SEVERITY_LOW] = "low",
	[POLICY_SEVERITY_MEDIUM] = "medium",
	[POLICY_SEVERITY_HIGH] = "high",
	[POLICY_SEVERITY_CRITICAL] = "critical",
};

/* The index of w among names[1..n) (index 0 is no keyword), or 0. */
static unsigned int lookup(const struct word *w, const char *const *names, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (names[i] && is(w, names[i]))
			return (unsigned int)i;
	return 0;
}

/* The name of an enum value of names[0..n), or "?" for none. */
static const char *name_of(unsigned int v, const char *const *names, size_t n)
{
	return v < n && names[v] ? names[v] : "?";
}

const char *policy_severity_name(enum policy_severity s)
{
	return name_of(s, severity_names, COUNT_OF(severity_names));
}

const char *policy_metric_text(const struct policy_alert *a, char *buf, size_t len)
{
	const char *metric = name_of(a->metric, metric_names, COUNT_OF(metric_names));

	if (a->metric == POLICY_METRIC_DISTINCT)
		snprintf(buf, len, "%s %s", metric,
			 name_of(a->field, field_names, COUNT_OF(field_names)));
	else if (a->metric == POLICY_METRIC_ANOMALY)
		snprintf(buf, len, "%s %s", metric,
			 name_of(a->base, metric_names, COUNT_OF(metric_names)));
	else
		snprintf(buf, len, "%s", metric);
	return buf;
}

/* Parses an alert rule's NAME into out: 1 to POLICY_NAME_MAX - 1 of
 * [A-Za-z0-9_.-], a letter first, so that it reads the same in a log line,
 * a JSON string and a shell argument. Returns 0 or -EINVAL with why. */
static int parse_name(const struct word *w, char *out, char *why, size_t len)
{
	char show[SHOW_MAX + 8];
	bool ok = w->len && w->len < POLICY_NAME_MAX;
	size_t i;

	for (i = 0; ok && i < w->len; i++) {
		char c = w->s[i];
		bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

		ok = letter || (i && ((c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'));
	}
	if (!ok)
		return fail(why, len,
			    "alert name '%s' is not 1 to %d letters, digits, '_', '.' or '-' "
			    "starting with a letter",
			    shown(w->s, w->len, show), POLICY_NAME_MAX - 1);
	memcpy(out, w->s, w->len);
	out[w->len] = '\0';
	return 0;
}

/* Parses a threshold: a whole number, or for bytes a size (or 0). Returns
 * 0 or -EINVAL with why. */
static int parse_count(const struct word *w, enum policy_metric m, uint64_t *out, char *why,
		       size_t len)
{
	char text[32], show[SHOW_MAX + 8];
	int ret = -EINVAL;

	if (m != POLICY_METRIC_BYTES) {
		if (parse_uint(w->s, w->len, THRESHOLD_MAX_COUNT, out))
			return fail(why, len, "threshold '%s' is not a whole number from 0 to %llu",
				    shown(w->s, w->len, show), THRESHOLD_MAX_COUNT);
		return 0;
	}
	/* units_parse_size() takes no 0, but "more than no byte" is a rule. */
	if (w->len == 1 && w->s[0] == '0') {
		*out = 0;
		return 0;
	}
	if (w->len < sizeof(text)) {
		memcpy(text, w->s, w->len);
		text[w->len] = '\0';
		ret = units_parse_size(text, out);
	}
	if (!ret && *out > THRESHOLD_MAX_BYTES)
		ret = -ERANGE;
	if (ret)
		return fail(why, len,
			    "threshold '%s' is not a size from 0 to 1024T (e.g. 500M, 1G)",
			    shown(w->s, w->len, show));
	return 0;
}

/*
 * Parses "> N in DUR" (syn also "> N/s") after the metric of a, words
 * w[0..left); *used says how many it took. Returns 0 or -EINVAL with why.
 */
static int parse_threshold(const struct word *w, size_t left, struct policy_alert *a, size_t *used,
			   char *why, size_t len)
{
	char show[SHOW_MAX + 8], show2[SHOW_MAX + 8], metric[32];
	struct word count;
	int ret;

	if (left < 2 || !is(&w[0], ">"))
		return fail(why, len, "expected '> N in DUR'%s after %s",
			    a->metric == POLICY_METRIC_SYN ? " or '> N/s'" : "",
			    policy_metric_text(a, metric, sizeof(metric)));
	count = w[1];
	if (count.len > 2 && !memcmp(count.s + count.len - 2, "/s", 2)) {
		if (a->metric != POLICY_METRIC_SYN)
			return fail(why, len, "'%s': only syn takes N/s, write '> %s in 1s'",
				    shown(count.s, count.len, show),
				    shown(count.s, count.len - 2, show2));
		count.len -= 2;
		ret = parse_count(&count, a->metric, &a->threshold, why, len);
		a->window_us = USEC_PER_SEC;
		*used = 2;
		return ret;
	}
	ret = parse_count(&count, a->metric, &a->threshold, why, len);
	if (ret)
		return ret;
	if (left < 4 || !is(&w[2], "in"))
		return fail(why, len, "expected 'in DUR' after > %s",
			    shown(count.s, count.len, show));
	*used = 4;
	return parse_dur(&w[3], "in", WINDOW_MAX_US, "24h", &a->window_us, why, len);
}

/* Parses "Ksigma": a number above 0 and at most SIGMA_MAX, with at most
 * three decimals. Returns 0 or -EINVAL with why. */
static int parse_sigmas(const struct word *w, double *out, char *why, size_t len)
{
	char show[SHOW_MAX + 8];
	const char *dot;
	size_t n, whole_len, frac_len = 0, k;
	uint64_t whole = 0, frac = 0, milli;
	int ret;

	n = w->len > 5 && !memcmp(w->s + w->len - 5, "sigma", 5) ? w->len - 5 : 0;
	dot = memchr(w->s, '.', n);
	whole_len = dot ? (size_t)(dot - w->s) : n;
	if (dot)
		frac_len = n - whole_len - 1;
	/* Past SIGMA_MAX whole is out of range, whatever its digits. */
	ret = n ? parse_uint(w->s, whole_len, SIGMA_MAX + 1, &whole) : -EINVAL;
	if (ret == -ERANGE)
		whole = SIGMA_MAX + 1;
	if (ret == -EINVAL ||
	    (dot && (frac_len < 1 || frac_len > 3 || parse_uint(dot + 1, frac_len, 999, &frac))))
		return fail(why, len,
			    "'%s' is not a number of standard deviations such as 4sigma or "
			    "3.5sigma (at most 3 decimals)",
			    shown(w->s, w->len, show));
	for (k = frac_len; k < 3; k++)
		frac *= 10;
	milli = whole * SIGMA_SCALE + frac;
	if (!milli || milli > SIGMA_MAX * SIGMA_SCALE)
		return fail(why, len,
			    "%s: the number of standard deviations is above 0, at most %d",
			    shown(w->s, w->len, show), SIGMA_MAX);
	*out = (double)milli / SIGMA_SCALE;
	return 0;
}

/* The options of an alert rule, a bit each. */
enum {
	AOPT_THEN = 1,
	AOPT_SEVERITY = 2,
	AOPT_SUPPRESS = 4,
	AOPT_PER = 8,
	AOPT_WARMUP = 16,
};

/*
 * Parses an alert rule's options, words w[0..n), each at most once, per
 * and warmup for an anomaly only; then fills in the defaults and checks
 * what depends on more than one. Returns 0 or -EINVAL with why.
 */
static int parse_alert_options(const struct word *w, size_t n, struct policy_alert *a, char *why,
			       size_t len)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} opts[] = { { "then", AOPT_THEN },
		     { "severity", AOPT_SEVERITY },
		     { "suppress", AOPT_SUPPRESS },
		     { "per", AOPT_PER },
		     { "warmup", AOPT_WARMUP } };
	bool anomaly = a->metric == POLICY_METRIC_ANOMALY;
	const struct word *warmup = NULL, *per = NULL;
	char show[SHOW_MAX + 8], show2[SHOW_MAX + 8];
	unsigned int seen = 0;
	size_t i = 0, k;
	int ret = 0;

	while (i < n && !ret) {
		for (k = 0; k < COUNT_OF(opts); k++)
			if (is(&w[i], opts[k].name))
				break;
		if (is(&w[i], "established"))
			return fail(why, len, "'established' goes right after then block DUR");
		if (k == COUNT_OF(opts) || (!anomaly && opts[k].bit >= AOPT_PER))
			return fail(why, len, "unexpected '%s' in alert rule (expected %s)",
				    shown(w[i].s, w[i].len, show),
				    anomaly ? "per, warmup, then block, severity or suppress" :
					      "then block, severity or suppress");
		if (seen & opts[k].bit)
			return fail(why, len, "%s given twice",
				    opts[k].bit == AOPT_THEN ? "then block" : opts[k].name);
		seen |= opts[k].bit;
		if (opts[k].bit == AOPT_THEN) {
			if (i + 2 >= n || !is(&w[i + 1], "block"))
				return fail(why, len, "then takes block DUR: then block 10m");
			ret = parse_dur(&w[i + 2], "then block", DURATION_MAX_US, "5200w",
					&a->block_us, why, len);
			i += 3;
			if (i < n && is(&w[i], "established")) {
				a->established = true;
				i++;
			}
			continue;
		}
		if (i + 1 == n)
			return fail(why, len, "%s needs a value", opts[k].name);
		switch (opts[k].bit) {
		case AOPT_SEVERITY:
			a->severity = lookup(&w[i + 1], severity_names, COUNT_OF(severity_names));
			if (!a->severity)
				return fail(why, len,
					    "severity is low, medium, high or critical, not '%s'",
					    shown(w[i + 1].s, w[i + 1].len, show));
			break;
		case AOPT_SUPPRESS:
			ret = parse_dur(&w[i + 1], "suppress", WINDOW_MAX_US, "24h",
					&a->suppress_us, why, len);
			break;
		case AOPT_PER:
			per = &w[i + 1];
			ret = parse_dur(per, "per", BUCKET_MAX_US, "1h", &a->bucket_us, why, len);
			if (!ret && a->bucket_us < BUCKET_MIN_US)
				return fail(why, len, "per %s: a bucket is at least 1s",
					    shown(per->s, per->len, show));
			break;
		case AOPT_WARMUP:
			warmup = &w[i + 1];
			ret = parse_dur(warmup, "warmup", WARMUP_MAX_US, "30d", &a->warmup_us, why,
					len);
			break;
		}
		i += 2;
	}
	if (ret)
		return ret;
	if (!a->severity)
		a->severity = POLICY_SEVERITY_MEDIUM;
	if (anomaly) {
		if (!a->bucket_us)
			a->bucket_us = 60 * USEC_PER_SEC;
		if (!a->warmup_us)
			a->warmup_us = 30 * a->bucket_us;
		if (a->warmup_us < a->bucket_us)
			return fail(why, len, "warmup %s is shorter than one bucket (per %s)",
				    shown(warmup->s, warmup->len, show),
				    per ? shown(per->s, per->len, show2) : "1m");
		a->window_us = a->bucket_us;
	}
	if (!a->suppress_us)
		a->suppress_us = a->window_us > 60 * USEC_PER_SEC ? a->window_us :
								    60 * USEC_PER_SEC;
	return 0;
}

/*
 * Parses "alert NAME src|dst METRIC ... [options]", words w[0..n) (w[0] is
 * "alert"), into *a. Returns LINE_ALERT or -EINVAL with why.
 */
static int parse_alert(const struct word *w, size_t n, struct policy_alert *a, char *why,
		       size_t len)
{
	static const char metrics[] = "distinct, syn, http_requests, dns_queries, bytes, packets, "
				      "flows, failed, cleartext or anomaly";
	char show[SHOW_MAX + 8];
	size_t i, used = 0;
	int ret;

	memset(a, 0, sizeof(*a));
	if (n < 2)
		return fail(why, len, "alert needs a name: alert NAME src|dst METRIC > N in DUR");
	ret = parse_name(&w[1], a->name, why, len);
	if (ret)
		return ret;
	if (n < 3 || !(is(&w[2], "src") || is(&w[2], "dst")))
		return fail(why, len,
			    "alert %s needs src or dst after its name (whose address is "
			    "the key)",
			    a->name);
	a->side = is(&w[2], "src") ? POLICY_SIDE_SRC : POLICY_SIDE_DST;
	if (n < 4)
		return fail(why, len, "alert %s needs a metric: %s", a->name, metrics);
	a->metric = lookup(&w[3], metric_names, COUNT_OF(metric_names));
	if (!a->metric)
		return fail(why, len, "unknown metric '%s' (expected %s)",
			    shown(w[3].s, w[3].len, show), metrics);
	i = 4;
	if (a->metric == POLICY_METRIC_DISTINCT) {
		if (i < n)
			a->field = lookup(&w[i], field_names, COUNT_OF(field_names));
		if (!a->field)
			return fail(why, len,
				    "distinct takes dst_port, dst_addr, src_addr or src_port%s%s%s",
				    i < n ? ", not '" : "",
				    i < n ? shown(w[i].s, w[i].len, show) : "", i < n ? "'" : "");
		if ((a->side == POLICY_SIDE_SRC && a->field == POLICY_FIELD_SRC_ADDR) ||
		    (a->side == POLICY_SIDE_DST && a->field == POLICY_FIELD_DST_ADDR))
			return fail(why, len,
				    "%s distinct %s counts the key itself: it is always 1",
				    a->side == POLICY_SIDE_SRC ? "src" : "dst",
				    field_names[a->field]);
		i++;
	}
	if (a->metric == POLICY_METRIC_ANOMALY) {
		if (i < n)
			a->base = lookup(&w[i], metric_names, COUNT_OF(metric_names));
		if (a->base != POLICY_METRIC_BYTES && a->base != POLICY_METRIC_PACKETS &&
		    a->base != POLICY_METRIC_FLOWS)
			return fail(why, len, "anomaly takes bytes, packets or flows%s%s%s",
				    i < n ? ", not '" : "",
				    i < n ? shown(w[i].s, w[i].len, show) : "", i < n ? "'" : "");
		if (++i == n)
			return fail(why, len,
				    "anomaly %s needs a number of standard deviations, "
				    "such as 4sigma",
				    metric_names[a->base]);
		ret = parse_sigmas(&w[i], &a->sigmas, why, len);
		used = 1;
	} else {
		ret = parse_threshold(&w[i], n - i, a, &used, why, len);
	}
	if (!ret)
		ret = parse_alert_options(&w[i + used], n - i - used, a, why, len);
	return ret ? ret : LINE_ALERT;
}

/* The syslog facilities a sink takes: the daemon's own, the security ones,
 * the user's, and those left to the site. */
static const struct {
	const char *name;
	int facility;
} facilities[] = {
	{ "daemon", LOG_DAEMON }, { "auth", LOG_AUTH },	    { "authpriv", LOG_AUTHPRIV },
	{ "user", LOG_USER },	  { "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

/* Copies a path or URL word into a sink's target (which holds max bytes).
 * Returns 0 or -EINVAL with why. */
static int take_target(const struct word *w, const char *what, size_t max, struct policy_sink *s,
		       char *why, size_t len)
{
	char show[SHOW_MAX + 8];

	if (w->s[0] == '"')
		return fail(why, len, "%s %s is one word without quotes (no spaces)", what,
			    shown(w->s, w->len, show));
	if (w->len >= max)
		return fail(why, len, "%s is %zu bytes long, at most %zu", what, w->len, max - 1);
	memcpy(s->target, w->s, w->len);
	s->target[w->len] = '\0';
	return 0;
}

/* The options of a sink, a bit each. */
enum {
	SOPT_FACILITY = 1,
	SOPT_SOCKET = 2,
	SOPT_TIMEOUT = 4,
	SOPT_QUEUE = 8,
};

/* Parses a sink's options, words w[0..n), each at most once, only those of
 * allowed. Returns 0 or -EINVAL with why. */
static int parse_sink_options(const struct word *w, size_t n, unsigned int allowed,
			      struct policy_sink *s, char *why, size_t len)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} opts[] = { { "facility", SOPT_FACILITY },
		     { "socket", SOPT_SOCKET },
		     { "timeout", SOPT_TIMEOUT },
		     { "queue", SOPT_QUEUE } };
	static const char *const kinds[] = { [POLICY_SINK_SYSLOG] = "syslog",
					     [POLICY_SINK_JSONL] = "jsonl",
					     [POLICY_SINK_COMMAND] = "command",
					     [POLICY_SINK_WEBHOOK] = "webhook" };
	char show[SHOW_MAX + 8];
	unsigned int seen = 0;
	size_t i, k;
	uint64_t v;
	int ret = 0;

	for (i = 0; i < n && !ret; i += 2) {
		for (k = 0; k < COUNT_OF(opts); k++)
			if (is(&w[i], opts[k].name))
				break;
		if (k == COUNT_OF(opts) || !(allowed & opts[k].bit)) {
			if (!allowed)
				return fail(why, len, "unexpected '%s' after sink jsonl FILE",
					    shown(w[i].s, w[i].len, show));
			return fail(why, len, "unexpected '%s' in sink %s (expected %s)",
				    shown(w[i].s, w[i].len, show), kinds[s->kind],
				    allowed & SOPT_FACILITY ? "facility or socket" :
							      "timeout or queue");
		}
		if (seen & opts[k].bit)
			return fail(why, len, "%s given twice", opts[k].name);
		seen |= opts[k].bit;
		if (i + 1 == n)
			return fail(why, len, "%s needs a value", opts[k].name);
		switch (opts[k].bit) {
		case SOPT_FACILITY:
			for (k = 0; k < COUNT_OF(facilities); k++)
				if (is(&w[i + 1], facilities[k].name))
					break;
			if (k == COUNT_OF(facilities))
				return fail(why, len,
					    "facility '%s' is not daemon, auth, authpriv, user or "
					    "local0 to local7",
					    shown(w[i + 1].s, w[i + 1].len, show));
			s->facility = facilities[k].facility;
			break;
		case SOPT_SOCKET:
			ret = take_target(&w[i + 1], "socket", SYSLOG_SOCKET_MAX + 1, s, why, len);
			break;
		case SOPT_TIMEOUT:
			ret = parse_dur(&w[i + 1], "timeout", SINK_TIMEOUT_MAX_US, "5m",
					&s->timeout_us, why, len);
			break;
		case SOPT_QUEUE:
			if (parse_uint(w[i + 1].s, w[i + 1].len, SINK_QUEUE_MAX, &v) || !v)
				return fail(why, len, "queue '%s' is not a number from 1 to %d",
					    shown(w[i + 1].s, w[i + 1].len, show), SINK_QUEUE_MAX);
			s->queue = (unsigned int)v;
			break;
		}
	}
	return ret;
}

/*
 * Parses "sink syslog|jsonl|command|webhook ...", words w[0..n) (w[0] is
 * "sink"), into *s with its defaults. Returns LINE_SINK or -EINVAL with why.
 */
static int parse_sink(const struct word *w, size_t n, struct policy_sink *s, char *why, size_t len)
{
	char show[SHOW_MAX + 8];
	unsigned int allowed = SOPT_TIMEOUT | SOPT_QUEUE;
	int ret;

	memset(s, 0, sizeof(*s));
	if (n < 2)
		return fail(why, len,
			    "sink needs a kind: syslog, jsonl FILE, command \"CMD\" or "
			    "webhook URL");
	if (is(&w[1], "syslog")) {
		s->kind = POLICY_SINK_SYSLOG;
		s->facility = LOG_DAEMON;
		strcpy(s->target, "/dev/log");
		ret = parse_sink_options(w + 2, n - 2, SOPT_FACILITY | SOPT_SOCKET, s, why, len);
		return ret ? ret : LINE_SINK;
	}
	if (is(&w[1], "jsonl")) {
		s->kind = POLICY_SINK_JSONL;
		if (n < 3)
			return fail(why, len, "sink jsonl needs a file, or - for standard output");
		ret = take_target(&w[2], "sink jsonl", POLICY_SINK_TARGET_MAX, s, why, len);
		if (!ret)
			ret = parse_sink_options(w + 3, n - 3, 0, s, why, len);
		return ret ? ret : LINE_SINK;
	}
	if (is(&w[1], "command")) {
		s->kind = POLICY_SINK_COMMAND;
		if (n < 3)
			return fail(why, len,
				    "sink command needs a command line in quotes: sink "
				    "command \"CMD\"");
		ret = parse_quoted(&w[2], "command", s->target, POLICY_SINK_TARGET_MAX, why, len);
		if (!ret && !s->target[0])
			return fail(why, len, "sink command: the command is empty");
	} else if (is(&w[1], "webhook")) {
		s->kind = POLICY_SINK_WEBHOOK;
		if (n < 3)
			return fail(why, len,
				    "sink webhook needs a URL, http://... or https://...");
		ret = take_target(&w[2], "webhook URL", POLICY_SINK_TARGET_MAX, s, why, len);
		if (!ret && !((w[2].len > 7 && !memcmp(w[2].s, "http://", 7)) ||
			      (w[2].len > 8 && !memcmp(w[2].s, "https://", 8))))
			return fail(why, len,
				    "webhook URL '%s' does not start with http:// or "
				    "https:// and a host",
				    shown(w[2].s, w[2].len, show));
	} else {
		return fail(why, len,
			    "unknown sink '%s' (expected syslog, jsonl, command or webhook)",
			    shown(w[1].s, w[1].len, show));
	}
	s->timeout_us = 5 * USEC_PER_SEC;
	s->queue = 1000;
	if (!ret)
		ret = parse_sink_options(w + 3, n - 3, allowed, s, why, len);
	return ret ? ret : LINE_SINK;
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
 * Parses one line (no newline) into out: its rule, alert rule, sink or
 * mode. Alert rules and sinks only when file (not from flowdb-ctl).
 * Returns LINE_EMPTY, LINE_RULE, LINE_MODE, LINE_ALERT, LINE_SINK, or
 * -EINVAL with why (the line's first error).
 */
static int parse_line(const char *line, size_t n, bool file, struct parsed *out, char *why,
		      size_t len)
{
	struct policy_rule *r = &out->rule;
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
		return parse_mode(w, count, &out->mode, why, len);
	if (is(&w[0], "alert") || is(&w[0], "sink")) {
		if (!file)
			return fail(why, len,
				    "%s is read from the policy file only: edit it, then "
				    "flowdb-ctl reload",
				    is(&w[0], "alert") ? "an alert rule" : "a sink");
		return is(&w[0], "alert") ? parse_alert(w, count, &out->alert, why, len) :
					    parse_sink(w, count, &out->sink, why, len);
	}
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
	} else {
		return fail(why, len,
			    "unknown rule '%s' (expected allow, block, limit, alert, sink or mode)",
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

/* Makes room for one more of n elements of size bytes in *array, whose
 * room is *cap (first, then doubled). Returns 0 or -ENOMEM (unchanged). */
static int room_for_one(void **array, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t want = *cap ? *cap * 2 : first;
	void *grown;

	if (n < *cap)
		return 0;
	grown = reallocarray(*array, want, size);
	if (!grown)
		return -ENOMEM;
	*array = grown;
	*cap = want;
	return 0;
}

int policy_add(struct policy *p, const struct policy_rule *r)
{
	if (room_for_one((void **)&p->rules, &p->cap_rules, p->n_rules, sizeof(*r), 64))
		return -ENOMEM;
	p->rules[p->n_rules++] = *r;
	return 0;
}

/* Appends a copy of *a to p's alert rules. Returns 0 or -ENOMEM. */
static int add_alert(struct policy *p, const struct policy_alert *a)
{
	if (room_for_one((void **)&p->alerts, &p->cap_alerts, p->n_alerts, sizeof(*a), 16))
		return -ENOMEM;
	p->alerts[p->n_alerts++] = *a;
	return 0;
}

/* Appends a copy of *s to p's sinks. Returns 0 or -ENOMEM. */
static int add_sink(struct policy *p, const struct policy_sink *s)
{
	if (room_for_one((void **)&p->sinks, &p->cap_sinks, p->n_sinks, sizeof(*s), 4))
		return -ENOMEM;
	p->sinks[p->n_sinks++] = *s;
	return 0;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	free(p->rules);
	free(p->alerts);
	free(p->sinks);
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

/* The checks of an alert rule or sink against the lines before it: names
 * are unique, sinks differ, and their numbers are bounded (so that these
 * checks stay linear). Returns 0 or -EINVAL with why. */
static int check_unique(const struct policy *p, int kind, const struct parsed *pl, char *why,
			size_t len)
{
	size_t i;

	if (kind == LINE_ALERT) {
		if (p->n_alerts == POLICY_ALERTS_MAX)
			return fail(why, len, "more than %d alert rules", POLICY_ALERTS_MAX);
		for (i = 0; i < p->n_alerts; i++)
			if (!strcmp(p->alerts[i].name, pl->alert.name))
				return fail(why, len, "alert %s given twice (first on line %u)",
					    pl->alert.name, p->alerts[i].line);
		return 0;
	}
	if (p->n_sinks == POLICY_SINKS_MAX)
		return fail(why, len, "more than %d sinks", POLICY_SINKS_MAX);
	for (i = 0; i < p->n_sinks; i++)
		if (p->sinks[i].kind == pl->sink.kind &&
		    !strcmp(p->sinks[i].target, pl->sink.target))
			return fail(why, len, "the same sink as line %u", p->sinks[i].line);
	return 0;
}

/* Takes one line of the file (without its newline), too_long when it was
 * cut at POLICY_LINE_MAX: a rule added, or one error line printed. */
static void take_line(struct reader *rd, const char *line, size_t n, bool too_long)
{
	struct parsed pl;
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
		ret = parse_line(line, n, true, &pl, why, sizeof(why));
	if (ret == LINE_MODE && rd->mode_line)
		ret = fail(why, sizeof(why), "mode given twice (first on line %u)", rd->mode_line);
	if ((ret == LINE_ALERT || ret == LINE_SINK) &&
	    check_unique(rd->out, ret, &pl, why, sizeof(why)))
		ret = -EINVAL;
	if (ret < 0) {
		fprintf(rd->err, "flowdb-collector: %s:%u: %s\n", rd->path, rd->line, why);
		rd->errors++;
	} else if (ret == LINE_MODE) {
		rd->out->mode = pl.mode;
		rd->mode_line = rd->line;
	} else if (ret == LINE_RULE && !rd->errors) {
		/* Once a line is wrong the rules are thrown away: keep only
		 * looking for errors. */
		pl.rule.origin = POLICY_ORIGIN_FILE;
		pl.rule.line = rd->line;
		rd->fatal = policy_add(rd->out, &pl.rule);
	} else if (ret == LINE_ALERT) {
		/* Kept after an error too, bounded by POLICY_ALERTS_MAX, so
		 * that a repeated name is still named with its first line. */
		pl.alert.line = rd->line;
		rd->fatal = add_alert(rd->out, &pl.alert);
	} else if (ret == LINE_SINK) {
		pl.sink.line = rd->line;
		rd->fatal = add_sink(rd->out, &pl.sink);
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
	struct parsed pl;
	int ret;

	if (n > POLICY_LINE_MAX)
		return fail(errbuf, len, "line longer than %d bytes", POLICY_LINE_MAX);
	ret = parse_line(text, n, false, &pl, errbuf, len);
	if (ret == LINE_MODE)
		return fail(errbuf, len, "mode is a setting of the policy file, not a rule");
	if (ret == LINE_RULE) {
		*out = pl.rule;
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
	return reason ? take_text(reason, strlen(reason), "reason", out->reason, POLICY_REASON_MAX,
				  errbuf, len) :
			0;
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

/* Writes a duration in the largest unit that divides it, rounded up to
 * milliseconds, the least the grammar writes. */
static void put_dur(struct text *t, uint64_t us)
{
	static const char *const dur_names[] = { "w", "d", "h", "m", "s", "ms" };
	static const uint64_t dur_scales[] = {
		7 * 86400 * USEC_PER_SEC, 86400 * USEC_PER_SEC, 3600 * USEC_PER_SEC,
		60 * USEC_PER_SEC,	  USEC_PER_SEC,		1000
	};

	put_scaled(t, (us + 999) / 1000 * 1000, dur_names, dur_scales, "");
}

static const char *const size_names[] = { "T", "G", "M", "K", "" };
static const uint64_t size_scales[] = { 1ULL << 40, 1ULL << 30, 1ULL << 20, 1ULL << 10, 1 };

const char *policy_rule_text(const struct policy_rule *r, char *buf, size_t len)
{
	static const char *const rate_names[] = { "G", "M", "K", "" };
	static const uint64_t rate_scales[] = { 1000000000, 1000000, 1000, 1 };
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
		put_dur(&t, r->duration_us);
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

const char *policy_alert_text(const struct policy_alert *a, char *buf, size_t len)
{
	uint64_t minute = 60 * USEC_PER_SEC, suppress, milli;
	struct text t = { buf, len, 0 };
	char metric[32], frac[4];
	size_t i;

	if (len)
		buf[0] = '\0';
	put(&t, "alert %s %s %s", a->name, a->side == POLICY_SIDE_DST ? "dst" : "src",
	    policy_metric_text(a, metric, sizeof(metric)));
	if (a->metric == POLICY_METRIC_ANOMALY) {
		/* Read to thousandths: this is the number that was read. */
		milli = (uint64_t)(a->sigmas * SIGMA_SCALE + 0.5);
		put(&t, " %llu", (unsigned long long)(milli / SIGMA_SCALE));
		if (milli % SIGMA_SCALE) {
			/* Thousandths, their trailing zeros left out. */
			snprintf(frac, sizeof(frac), "%03llu",
				 (unsigned long long)(milli % SIGMA_SCALE));
			for (i = 3; frac[i - 1] == '0'; i--)
				frac[i - 1] = '\0';
			put(&t, ".%s", frac);
		}
		put(&t, "sigma");
		if (a->bucket_us != minute) {
			put(&t, " per ");
			put_dur(&t, a->bucket_us);
		}
		if (a->warmup_us != 30 * a->bucket_us) {
			put(&t, " warmup ");
			put_dur(&t, a->warmup_us);
		}
	} else if (a->metric == POLICY_METRIC_SYN && a->window_us == USEC_PER_SEC) {
		put(&t, " > %llu/s", (unsigned long long)a->threshold);
	} else {
		put(&t, " > ");
		if (a->metric == POLICY_METRIC_BYTES && a->threshold)
			put_scaled(&t, a->threshold, size_names, size_scales, "");
		else
			put(&t, "%llu", (unsigned long long)a->threshold);
		put(&t, " in ");
		put_dur(&t, a->window_us);
	}
	if (a->block_us) {
		put(&t, " then block ");
		put_dur(&t, a->block_us);
		if (a->established)
			put(&t, " established");
	}
	if (a->severity != POLICY_SEVERITY_MEDIUM)
		put(&t, " severity %s", policy_severity_name(a->severity));
	suppress = a->window_us > minute ? a->window_us : minute;
	if (a->suppress_us != suppress) {
		put(&t, " suppress ");
		put_dur(&t, a->suppress_us);
	}
	return buf;
}
