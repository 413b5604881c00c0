// SPDX-License-Identifier: BSD-2-Clause
/* The policy's guard rails: rules that cannot do what they say (a block an
 * allow overrides, a burst that passes no packet, a repeated rule, an
 * alert's block in monitor mode), blocks that would cut the host off its
 * own addresses, and alerts a spoofed source can turn against anyone. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "policy.h"

/* Lines of warnings written before the rest are only counted: a file of a
 * million repeated rules says so in a screenful. */
#define WARN_PRINT_MAX 100
/* Allows a block is compared with, on or inside its network, that cannot
 * meet it (other sides, protocols, ports): past this many the block is
 * left, so that a hostile file cannot make the check quadratic. */
#define SCAN_MAX 64

struct checker {
	const struct policy *p;
	FILE *warn;
	int count;
	size_t unchecked; /* blocks left at SCAN_MAX */
};

/* Where a rule came from, for a message about another rule: "line 7" or
 * "flowdb-ctl". Returns buf (32 bytes). */
static const char *where(const struct policy_rule *r, char *buf, size_t len)
{
	if (r->line)
		snprintf(buf, len, "line %u", r->line);
	else
		snprintf(buf, len, "%s",
			 r->origin == POLICY_ORIGIN_ALERT ? "an alert" : "flowdb-ctl");
	return buf;
}

/* Counts a warning about the rule on line (0: not from the file) whose
 * text is text, and writes it while fewer than WARN_PRINT_MAX were: the
 * file and line when it has them, then the text, then the message. */
static void vwarn(struct checker *c, unsigned int line, const char *text, const char *fmt,
		  va_list ap)
{
	if (c->count++ >= WARN_PRINT_MAX)
		return;
	if (line && c->p->file)
		fprintf(c->warn, "flowdb-collector: %s:%u: warning: ", c->p->file, line);
	else
		fprintf(c->warn, "flowdb-collector: warning: ");
	fprintf(c->warn, "%s: ", text);
	vfprintf(c->warn, fmt, ap);
	fputc('\n', c->warn);
}

/* A warning about rule r, as vwarn() writes it. */
static void warn(struct checker *c, const struct policy_rule *r, const char *fmt, ...)
{
	char text[POLICY_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vwarn(c, r->line, policy_rule_text(r, text, sizeof(text)), fmt, ap);
	va_end(ap);
}

/* A warning about alert rule a, as vwarn() writes it. */
static void warn_alert(struct checker *c, const struct policy_alert *a, const char *fmt, ...)
{
	char text[POLICY_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vwarn(c, a->line, policy_alert_text(a, text, sizeof(text)), fmt, ap);
	va_end(ap);
}

/* What a rule matches (and for a limit, how it keys and counts), as bytes
 * that compare with memcmp: equal for rules that fill one kernel entry or
 * bucket. Sorting these rather than the rules keeps the sort of a million
 * rules in the cache. */
struct match_key {
	unsigned char key[26];
	uint32_t index; /* in the policy: the earlier rule first among equals */
};

static void match_key(const struct policy_rule *r, uint32_t index, struct match_key *k)
{
	unsigned char *p = k->key;

	*p++ = (unsigned char)r->kind;
	*p++ = (unsigned char)r->side;
	*p++ = (unsigned char)r->net.family;
	memcpy(p, r->net.addr, sizeof(r->net.addr));
	p += sizeof(r->net.addr);
	*p++ = (unsigned char)r->net.bits;
	*p++ = r->proto;
	*p++ = (unsigned char)(r->port >> 8);
	*p++ = (unsigned char)r->port;
	*p++ = r->limit_bits4;
	*p++ = r->limit_bits6;
	*p = (unsigned char)r->unit;
	k->index = index;
}

static int cmp_match(const void *a, const void *b)
{
	const struct match_key *x = a, *y = b;
	int d = memcmp(x->key, y->key, sizeof(x->key));

	return d ? d : x->index < y->index ? -1 : x->index > y->index;
}

/* Orders networks by family, address, length: the networks inside one lie
 * right after it. */
static int cmp_net(const struct addr_net *x, const struct addr_net *y)
{
	int d;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	d = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (d)
		return d;
	return x->bits < y->bits ? -1 : x->bits > y->bits;
}

static int cmp_rule_net(const void *a, const void *b)
{
	return cmp_net(&(*(const struct policy_rule *const *)a)->net,
		       &(*(const struct policy_rule *const *)b)->net);
}

/* Whether two networks share an address: the shorter prefix holds the
 * longer one. */
static bool overlap(const struct addr_net *a, const struct addr_net *b)
{
	return addr_net_contains(a, b) || addr_net_contains(b, a);
}

/* Whether allow a and block b can match one packet: the same side (an
 * allow of either side matches both), protocols and ports that meet. */
static bool can_meet(const struct policy_rule *a, const struct policy_rule *b)
{
	return (a->side == POLICY_SIDE_ANY || a->side == b->side) &&
	       (!a->proto || !b->proto || a->proto == b->proto) &&
	       (!a->port || !b->port || a->port == b->port);
}

/* Whether allow a, whose network holds block b's, matches every packet b
 * does. */
static bool covers(const struct policy_rule *a, const struct policy_rule *b)
{
	return (a->side == POLICY_SIDE_ANY || a->side == b->side) &&
	       (!a->proto || a->proto == b->proto) && (!a->port || a->port == b->port);
}

/* Warns about every rule that repeats an earlier one: one kernel entry or
 * bucket holds both, so only one of them can apply. Returns 0 or -ENOMEM. */
static int check_repeats(struct checker *c)
{
	const struct policy_rule *rules = c->p->rules;
	struct match_key *keys = calloc(c->p->n_rules, sizeof(*keys));
	size_t i, start = 0;
	char first[32];

	if (!keys)
		return -ENOMEM;
	for (i = 0; i < c->p->n_rules; i++)
		match_key(&rules[i], (uint32_t)i, &keys[i]);
	qsort(keys, c->p->n_rules, sizeof(*keys), cmp_match);
	for (i = 1; i < c->p->n_rules; i++) {
		if (memcmp(keys[start].key, keys[i].key, sizeof(keys[i].key))) {
			start = i;
			continue;
		}
		warn(c, &rules[keys[i].index], "repeats %s: only one of them applies",
		     where(&rules[keys[start].index], first, sizeof(first)));
	}
	free(keys);
	return 0;
}

/*
 * Warns about each block an allow overrides, once per block: an allow whose
 * network holds the block's (found by looking up the block's address cut
 * to each length the allows have), else one inside it (the allows right
 * after the block's address in network order). allows is sorted by
 * network; lengths[f][l] says whether an allow of family f has length l.
 * A block is left (and counted) after SCAN_MAX allows that cannot meet it.
 */
static void check_allows(struct checker *c, const struct policy_rule *b,
			 const struct policy_rule **allows, size_t n_allows,
			 const bool lengths[2][129])
{
	unsigned int max = b->net.family == AF_INET6 ? 128 : 32, l;
	const bool *has = lengths[b->net.family == AF_INET6];
	char text[POLICY_TEXT_MAX], at[32];
	struct policy_rule key = { 0 };
	const struct policy_rule *kp = &key;
	size_t lo, hi, i, looked = 0;

	key.net = b->net;
	for (l = 0; l <= max && l <= b->net.bits; l++) {
		if (!has[l])
			continue;
		key.net.bits = l;
		memcpy(key.net.addr, b->net.addr, sizeof(key.net.addr));
		for (i = l / 8; i < 16; i++)
			key.net.addr[i] &= i == l / 8 ? (unsigned char)(0xff00 >> (l % 8)) : 0;
		/* The first allow not before the key, then those equal to it. */
		for (lo = 0, hi = n_allows; lo < hi;) {
			size_t mid = lo + (hi - lo) / 2;

			if (cmp_rule_net(&allows[mid], &kp) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (i = lo; i < n_allows && !cmp_rule_net(&allows[i], &kp); i++) {
			if (!can_meet(allows[i], b)) {
				if (++looked == SCAN_MAX)
					goto unchecked;
				continue;
			}
			if (covers(allows[i], b))
				warn(c, b, "never drops: %s (%s) wins over all it matches",
				     policy_rule_text(allows[i], text, sizeof(text)),
				     where(allows[i], at, sizeof(at)));
			else
				warn(c, b, "%s (%s) wins over part of what it matches",
				     policy_rule_text(allows[i], text, sizeof(text)),
				     where(allows[i], at, sizeof(at)));
			return;
		}
	}
	/* Allows inside the block: from its own address on, while they share
	 * its prefix. Those as long as it or shorter were found above. */
	key.net = b->net;
	for (lo = 0, hi = n_allows; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_rule_net(&allows[mid], &kp) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < n_allows && overlap(&allows[i]->net, &b->net); i++) {
		if (allows[i]->net.bits <= b->net.bits)
			continue;
		if (!can_meet(allows[i], b)) {
			if (++looked == SCAN_MAX)
				goto unchecked;
			continue;
		}
		warn(c, b, "%s (%s) inside it wins: what it matches there is not dropped",
		     policy_rule_text(allows[i], text, sizeof(text)),
		     where(allows[i], at, sizeof(at)));
		return;
	}
	return;
unchecked:
	c->unchecked++;
}

/* Warns about a block that covers or overlaps one of the host's own
 * addresses or networks, once per block. */
static void check_local(struct checker *c, const struct policy_rule *b,
			const struct addr_net *local, size_t n_local)
{
	char text[INET6_ADDRSTRLEN + 8];
	size_t i;

	for (i = 0; i < n_local; i++) {
		bool host = local[i].bits == (local[i].family == AF_INET6 ? 128u : 32u);

		if (!overlap(&b->net, &local[i]))
			continue;
		warn(c, b, "%s %s, %s of this host", host ? "covers" : "overlaps",
		     policy_net_text(&local[i], text, sizeof(text)),
		     host ? "an address" : "a network");
		return;
	}
}

/*
 * Warns about the alerts whose "then block" can go wrong: once per policy
 * when its mode is monitor (the blocks then drop nothing), and for each
 * alert keyed by the source whose metric a packet with a forged source
 * address can drive, unless it blocks only keys that completed a
 * handshake. HTTP requests and cleartext breaches need a payload the
 * server accepted, which a forger does not get to send.
 */
static void check_alerts(struct checker *c)
{
	const struct policy *p = c->p;
	bool noted = false;
	size_t i;

	for (i = 0; i < p->n_alerts; i++) {
		const struct policy_alert *a = &p->alerts[i];

		if (!a->block_us)
			continue;
		if (p->mode == POLICY_MONITOR && !noted) {
			warn_alert(c, a,
				   "mode monitor: the blocks of alerts drop nothing, they "
				   "only count");
			noted = true;
		}
		if (a->side != POLICY_SIDE_SRC || a->established)
			continue;
		switch (a->metric) {
		case POLICY_METRIC_SYN:
		case POLICY_METRIC_FAILED:
			warn_alert(c, a,
				   "a spoofed source can make it block anyone; add "
				   "'established'");
			break;
		case POLICY_METRIC_HTTP_REQUESTS:
		case POLICY_METRIC_CLEARTEXT:
			break;
		default:
			warn_alert(c, a,
				   "a spoofed source can make it block anyone; add "
				   "'established' or use a TCP metric");
			break;
		}
	}
}

int policy_check(const struct policy *p, const struct addr_net *local, size_t n_local,
		 FILE *warn_to)
{
	struct checker c = { .p = p, .warn = warn_to };
	const struct policy_rule **allows = NULL;
	bool lengths[2][129] = { { false } };
	size_t i, n_allows = 0;

	check_alerts(&c);
	if (!p->n_rules)
		goto cleanup;
	allows = calloc(p->n_rules, sizeof(*allows));
	if (!allows || p->n_rules > UINT32_MAX) {
		c.count = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (r->kind != POLICY_ALLOW)
			continue;
		allows[n_allows++] = r;
		lengths[r->net.family == AF_INET6][r->net.bits <= 128 ? r->net.bits : 128] = true;
	}
	qsort(allows, n_allows, sizeof(*allows), cmp_rule_net);

	for (i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (r->kind == POLICY_LIMIT && r->unit == POLICY_BPS &&
		    r->burst < POLICY_PACKET_BYTES)
			warn(&c, r,
			     "a burst of %llu bytes is less than a full-size packet (%d bytes): "
			     "such packets are always dropped",
			     (unsigned long long)r->burst, POLICY_PACKET_BYTES);
		if (r->kind != POLICY_BLOCK)
			continue;
		if (n_allows)
			check_allows(&c, r, allows, n_allows, lengths);
		check_local(&c, r, local, n_local);
	}
	if (check_repeats(&c)) {
		c.count = -ENOMEM;
		goto cleanup;
	}
	/* Said even past WARN_PRINT_MAX: the check is incomplete. */
	if (c.unchecked) {
		c.count++;
		fprintf(warn_to,
			"flowdb-collector: %s%swarning: %zu blocks were not checked against every "
			"allow on or inside their networks (more than %d that cannot meet them)\n",
			p->file ? p->file : "", p->file ? ": " : "", c.unchecked, SCAN_MAX);
	}
cleanup:
	if (c.count > WARN_PRINT_MAX)
		fprintf(warn_to, "flowdb-collector: %s%s%d more warnings not shown\n",
			p->file ? p->file : "", p->file ? ": " : "", c.count - WARN_PRINT_MAX);
	free(allows);
	return c.count;
}

int policy_local_addrs(const char *const *ifnames, int n, struct addr_net **out, size_t *n_out,
		       FILE *err)
{
	struct ifaddrs *ifa = NULL, *a;
	struct addr_net *addrs = NULL;
	size_t count = 0;
	int i, ret = 0;

	*out = NULL;
	*n_out = 0;
	for (i = 0; i < n; i++) {
		if (!if_nametoindex(ifnames[i])) {
			fprintf(err, "flowdb-collector: unknown interface '%s'\n", ifnames[i]);
			return -ENODEV;
		}
	}
	if (getifaddrs(&ifa)) {
		ret = -errno;
		fprintf(err, "flowdb-collector: cannot list the host's addresses: %s\n",
			strerror(-ret));
		return ret;
	}
	for (a = ifa; a; a = a->ifa_next)
		count++;
	addrs = calloc(count ? count : 1, sizeof(*addrs));
	if (!addrs) {
		ret = -ENOMEM;
		goto cleanup;
	}
	count = 0;
	for (a = ifa; a; a = a->ifa_next) {
		int family = a->ifa_addr ? a->ifa_addr->sa_family : AF_UNSPEC;
		struct addr_net *net = &addrs[count];

		if (family != AF_INET && family != AF_INET6)
			continue;
		for (i = 0; i < n && strcmp(ifnames[i], a->ifa_name); i++)
			;
		if (n && i == n)
			continue;
		net->family = family;
		if (family == AF_INET) {
			net->bits = 32;
			memcpy(net->addr, &((struct sockaddr_in *)a->ifa_addr)->sin_addr, 4);
		} else {
			net->bits = 128;
			memcpy(net->addr, &((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr, 16);
		}
		count++;
	}
	*out = addrs;
	*n_out = count;
	addrs = NULL;
cleanup:
	free(addrs);
	freeifaddrs(ifa);
	return ret;
}

int policy_check_file(const char *path, const char *const *ifnames, int n, FILE *out, FILE *err)
{
	struct policy p;
	struct addr_net *local = NULL;
	size_t n_local = 0, i, kinds[4] = { 0 };
	int ret;

	ret = policy_parse_file(path, &p, err);
	if (ret)
		return ret;
	ret = policy_local_addrs(ifnames, n, &local, &n_local, err);
	if (ret)
		goto cleanup;
	ret = policy_check(&p, local, n_local, err);
	if (ret < 0) {
		fprintf(err, "flowdb-collector: %s: out of memory checking it\n", path);
		goto cleanup;
	}
	ret = 0;
	for (i = 0; i < p.n_rules; i++)
		kinds[p.rules[i].kind <= POLICY_LIMIT ? p.rules[i].kind : 0]++;
	fprintf(out, "%zu rules: %zu allow, %zu block, %zu limit, %zu alert; %zu sinks; mode %s\n",
		p.n_rules + p.n_alerts, kinds[POLICY_ALLOW], kinds[POLICY_BLOCK],
		kinds[POLICY_LIMIT], p.n_alerts, p.n_sinks,
		p.mode == POLICY_MONITOR ? "monitor" : "enforce");
cleanup:
	free(local);
	policy_free(&p);
	return ret;
}
