// SPDX-License-Identifier: BSD-2-Clause
/* Enforcement through the real BPF programs (BPF_PROG_TEST_RUN): verdicts of
 * every rule kind, per-rule counters, flow and total drop counts, token
 * buckets against an independent reference under a controlled clock,
 * monitor mode, reloads and live block changes. Needs root. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "addr.h"
#include "pktbuild.h"
#include "policy.h"
#include "tracker.h"

#define LO_IFINDEX 1
#define CLOCK_START_NS 1700000000000000000ULL
#define MAX_RULES 32
#define MAX_FLOWS 256
#define NONE -1 /* no rule decides */
#define TCP 6
#define UDP 17
#define ICMP 1
#define ICMPV6 58

#define V4(a, b, c, d)     \
	{                  \
		a, b, c, d \
	}
#define V6(w2, w3, last)                                                                        \
	{                                                                                       \
		0x20, 0x01, 0x0d, 0xb8, (w2) >> 8, (w2)&0xff, (w3) >> 8, (w3)&0xff, [15] = last \
	}

/* A rule as the policy file would say it. */
struct rule_text {
	enum policy_kind kind;
	enum policy_side side;
	const char *net;
	uint8_t proto;
	uint16_t port;
};

/* The rule set of the verdict fixtures; the index is the rule's id. */
static const struct rule_text verdict_rules[] = {
	{ POLICY_ALLOW, POLICY_SIDE_ANY, "10.1.2.3", 0, 0 }, /* 0 */
	{ POLICY_BLOCK, POLICY_SIDE_SRC, "10.0.0.0/8", 0, 0 }, /* 1 */
	{ POLICY_BLOCK, POLICY_SIDE_DST, "198.51.100.7", TCP, 25 }, /* 2 */
	{ POLICY_BLOCK, POLICY_SIDE_SRC, "2001:db8:bad::/48", 0, 0 }, /* 3 */
	{ POLICY_BLOCK, POLICY_SIDE_DST, "2001:db8::99", 0, 0 }, /* 4 */
	{ POLICY_BLOCK, POLICY_SIDE_SRC, "192.0.2.1", UDP, 0 }, /* 5 */
	{ POLICY_BLOCK, POLICY_SIDE_DST, "203.0.113.0/24", 0, 53 }, /* 6 */
	{ POLICY_ALLOW, POLICY_SIDE_SRC, "10.9.0.0/16", 0, 0 }, /* 7 */
	{ POLICY_ALLOW, POLICY_SIDE_ANY, "2001:db8:bad:1::/64", 0, 0 }, /* 8 */
	{ POLICY_BLOCK, POLICY_SIDE_DST, "198.51.100.0/24", UDP, 4000 }, /* 9 */
};

struct verdict_fixture {
	const char *name;
	struct pkt_spec spec;
	int rule; /* the deciding rule's id, or NONE */
	bool drop;
};

/* clang-format off */
static const struct verdict_fixture verdicts[] = {
	{ "block src prefix", { .ip_version = 4, .proto = TCP, .src = V4(10, 5, 5, 5),
	  .dst = V4(172, 16, 0, 1), .sport = 40000, .dport = 80, .tcp_flags = 0x02 }, 1, true },
	{ "allow host as source", { .ip_version = 4, .proto = TCP, .src = V4(10, 1, 2, 3),
	  .dst = V4(172, 16, 0, 1), .sport = 40000, .dport = 80 }, 0, false },
	{ "allow host as destination", { .ip_version = 4, .proto = UDP, .src = V4(172, 16, 0, 1),
	  .dst = V4(10, 1, 2, 3), .sport = 53, .dport = 40000 }, 0, false },
	{ "allow destination over block source", { .ip_version = 4, .proto = UDP,
	  .src = V4(10, 5, 5, 5), .dst = V4(10, 1, 2, 3), .sport = 1, .dport = 2 }, 0, false },
	{ "allow prefix over block prefix", { .ip_version = 4, .proto = ICMP,
	  .src = V4(10, 9, 1, 1), .dst = V4(172, 16, 0, 1), .icmp_type = 8 }, 7, false },
	{ "block dst host tcp port", { .ip_version = 4, .proto = TCP, .src = V4(172, 16, 0, 9),
	  .dst = V4(198, 51, 100, 7), .sport = 50000, .dport = 25 }, 2, true },
	{ "other port passes", { .ip_version = 4, .proto = TCP, .src = V4(172, 16, 0, 9),
	  .dst = V4(198, 51, 100, 7), .sport = 50000, .dport = 80 }, NONE, false },
	{ "other protocol passes", { .ip_version = 4, .proto = UDP, .src = V4(172, 16, 0, 9),
	  .dst = V4(198, 51, 100, 7), .sport = 50000, .dport = 25 }, NONE, false },
	{ "source port is no port", { .ip_version = 4, .proto = TCP, .src = V4(198, 51, 100, 7),
	  .dst = V4(172, 16, 0, 9), .sport = 25, .dport = 50000 }, NONE, false },
	{ "block dst prefix udp port", { .ip_version = 4, .proto = UDP, .src = V4(172, 16, 0, 9),
	  .dst = V4(198, 51, 100, 200), .sport = 1, .dport = 4000 }, 9, true },
	{ "ipv6 block src prefix", { .ip_version = 6, .proto = UDP, .src = V6(0xbad, 2, 5),
	  .dst = V6(0, 0, 1), .sport = 1, .dport = 2, .payload_len = 10 }, 3, true },
	{ "ipv6 allow inside a blocked prefix", { .ip_version = 6, .proto = UDP,
	  .src = V6(0xbad, 1, 5), .dst = V6(0, 0, 1), .sport = 1, .dport = 2 }, 8, false },
	{ "ipv6 block src prefix in 802.1q", { .ip_version = 6, .proto = TCP,
	  .src = V6(0xbad, 7, 1), .dst = V6(0, 0, 1), .sport = 1, .dport = 2, .vlans = 1,
	  .vlan_id = { 7 } }, 3, true },
	{ "ipv6 block dst host", { .ip_version = 6, .proto = ICMPV6, .src = V6(0, 0, 5),
	  .dst = V6(0, 0, 0x99), .icmp_type = 128, .payload_len = 8 }, 4, true },
	{ "ipv6 neighbour of the blocked host", { .ip_version = 6, .proto = ICMPV6,
	  .src = V6(0, 0, 5), .dst = V6(0, 0, 0x98), .icmp_type = 128 }, NONE, false },
	{ "block src host udp", { .ip_version = 4, .proto = UDP, .src = V4(192, 0, 2, 1),
	  .dst = V4(172, 16, 0, 1), .sport = 1, .dport = 53 }, 5, true },
	{ "block src host udp: tcp passes", { .ip_version = 4, .proto = TCP,
	  .src = V4(192, 0, 2, 1), .dst = V4(172, 16, 0, 1), .sport = 1, .dport = 53 }, NONE,
	  false },
	{ "block src host udp: first fragment", { .ip_version = 4, .proto = UDP,
	  .src = V4(192, 0, 2, 1), .dst = V4(172, 16, 0, 1), .sport = 1, .dport = 9,
	  .more_fragments = true, .payload_len = 100 }, 5, true },
	{ "block src host udp: later fragment", { .ip_version = 4, .proto = UDP,
	  .src = V4(192, 0, 2, 1), .dst = V4(172, 16, 0, 1), .frag_offset = 20,
	  .payload_len = 100 }, 5, true },
	{ "port only rule, udp", { .ip_version = 4, .proto = UDP, .src = V4(172, 16, 0, 1),
	  .dst = V4(203, 0, 113, 9), .sport = 1, .dport = 53 }, 6, true },
	{ "port only rule, tcp", { .ip_version = 4, .proto = TCP, .src = V4(172, 16, 0, 1),
	  .dst = V4(203, 0, 113, 9), .sport = 1, .dport = 53 }, 6, true },
	{ "port only rule, icmp", { .ip_version = 4, .proto = ICMP, .src = V4(172, 16, 0, 1),
	  .dst = V4(203, 0, 113, 9), .icmp_type = 0, .icmp_code = 53 }, NONE, false },
	{ "port rule, first fragment", { .ip_version = 4, .proto = UDP, .src = V4(172, 16, 0, 1),
	  .dst = V4(203, 0, 113, 9), .sport = 1, .dport = 53, .more_fragments = true,
	  .payload_len = 64 }, 6, true },
	{ "port rule, later fragment", { .ip_version = 4, .proto = UDP, .src = V4(172, 16, 0, 1),
	  .dst = V4(203, 0, 113, 9), .frag_offset = 9, .payload_len = 64 }, NONE, false },
	{ "blocked source, later fragment", { .ip_version = 4, .proto = UDP,
	  .src = V4(10, 5, 5, 5), .dst = V4(172, 16, 0, 1), .frag_offset = 185,
	  .payload_len = 500 }, 1, true },
	{ "ipv6 blocked source, later fragment", { .ip_version = 6, .proto = UDP,
	  .src = V6(0xbad, 3, 3), .dst = V6(0, 0, 1), .n_ext = 1, .ext = { 44 },
	  .frag_offset = 150, .payload_len = 300 }, 3, true },
	{ "blocked source in qinq", { .ip_version = 4, .proto = UDP, .src = V4(10, 7, 7, 7),
	  .dst = V4(172, 16, 0, 1), .sport = 1, .dport = 2, .vlans = 2,
	  .vlan_tpid = { 0x88a8, 0x8100 }, .vlan_id = { 200, 300 } }, 1, true },
	{ "arp passes", { .ip_version = 4, .ethertype = 0x0806, .pad = true }, NONE, false },
};
/* clang-format on */

#define N_VERDICTS (sizeof(verdicts) / sizeof(verdicts[0]))

static bool have_root;

static int group_setup(void **state)
{
	have_root = geteuid() == 0;
	if (!have_root)
		fprintf(stderr, "test_bpf_policy: SKIP: loading BPF programs needs root\n");
	return 0;
}

/* Fills r from text; asserts the network parses. */
static void rule_from(struct policy_rule *r, const struct rule_text *text)
{
	memset(r, 0, sizeof(*r));
	r->kind = text->kind;
	r->origin = POLICY_ORIGIN_FILE;
	r->side = text->side;
	r->proto = text->proto;
	r->port = text->port;
	assert_int_equal(addr_parse_net(text->net, &r->net), 0);
}

/* A policy of n rule texts in mode. The rules live in rules[]. */
static void policy_from(struct policy *p, struct policy_rule *rules, const struct rule_text *texts,
			size_t n, enum policy_mode mode)
{
	size_t i;

	assert_true(n <= MAX_RULES);
	for (i = 0; i < n; i++)
		rule_from(&rules[i], &texts[i]);
	p->mode = mode;
	p->rules = rules;
	p->n_rules = n;
	p->cap_rules = n;
}

static struct tracker *open_tracker(bool policy, bool sequential)
{
	struct tracker_opts opts = { .map_entries = 16384,
				     .offline_clock = true,
				     .sequential = sequential,
				     .egress = true,
				     .policy = policy,
				     .policy_max_entries = 64,
				     .limit_buckets = 256 };
	struct tracker *t = NULL;
	int err = tracker_open(&t, &opts);

	if (err)
		fail_msg("cannot load the BPF programs: %s", strerror(-err));
	tracker_set_clock(t, CLOCK_START_NS);
	return t;
}

/* Runs frame through t's XDP program on lo. Returns its verdict. */
static int run_xdp(struct tracker *t, const uint8_t *frame, size_t len)
{
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = LO_IFINDEX };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(tracker_xdp_fd(t), &opts), 0);
	return opts.retval;
}

/* Runs frame through t's tc egress program. Returns its verdict. */
static int run_tc(struct tracker *t, const uint8_t *frame, size_t len)
{
	struct __sk_buff ctx = { .ifindex = LO_IFINDEX };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(tracker_tc_fd(t), &opts), 0);
	return opts.retval;
}

struct counts {
	uint64_t packets[MAX_RULES], bytes[MAX_RULES];
	bool seen[MAX_RULES];
};

static int take_counts(__u32 id, __u64 packets, __u64 bytes, void *arg)
{
	struct counts *c = arg;

	if (id >= MAX_RULES || c->seen[id])
		return -EINVAL;
	c->seen[id] = true;
	c->packets[id] = packets;
	c->bytes[id] = bytes;
	return 0;
}

struct flow_sums {
	int n;
	uint64_t packets, bytes, dropped_packets, dropped_bytes;
	struct flow_key key[MAX_FLOWS];
	struct flow_counters c[MAX_FLOWS];
};

static int take_flow(const struct flow_key *key, const struct flow_counters *c, void *arg)
{
	struct flow_sums *s = arg;

	if (s->n < MAX_FLOWS) {
		s->key[s->n] = *key;
		s->c[s->n] = *c;
	}
	s->n++;
	s->packets += c->packets;
	s->bytes += c->bytes;
	s->dropped_packets += c->dropped_packets;
	s->dropped_bytes += c->dropped_bytes;
	return 0;
}

static void drain(struct tracker *t, struct flow_sums *s, struct flow_totals *tot)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(tracker_drain(t, take_flow, s, tot), 0);
	/* The exactness the collector checks still holds. */
	assert_int_equal(s->packets, tot->packets);
	assert_int_equal(s->bytes, tot->bytes);
	assert_int_equal(s->dropped_packets, tot->dropped_packets);
	assert_int_equal(s->dropped_bytes, tot->dropped_bytes);
}

/* Without opts.policy the programs hold no policy: every fixture passes,
 * nothing counts as dropped, and the policy calls say so. */
static void test_no_policy(void **state)
{
	struct policy_rule rules[MAX_RULES];
	struct tracker *t;
	struct flow_sums s;
	struct flow_totals tot;
	struct policy p;
	size_t i;

	if (!have_root)
		skip();
	t = open_tracker(false, true);
	policy_from(&p, rules, verdict_rules, sizeof(verdict_rules) / sizeof(verdict_rules[0]),
		    POLICY_ENFORCE);
	assert_int_equal(tracker_policy_load(t, &p, NULL, NULL), -EOPNOTSUPP);
	assert_int_equal(tracker_block_add(t, &rules[1], NULL), -EOPNOTSUPP);
	for (i = 0; i < N_VERDICTS; i++) {
		uint8_t frame[PKT_MAX_FRAME];
		struct pkt_layout l;

		assert_int_equal(pkt_build(&verdicts[i].spec, frame, sizeof(frame), &l), 0);
		assert_int_equal(run_xdp(t, frame, l.len), XDP_PASS);
		assert_int_equal(run_tc(t, frame, l.len), TC_ACT_OK);
	}
	drain(t, &s, &tot);
	assert_int_equal(tot.dropped_packets, 0);
	assert_int_equal(tot.packets, 2 * (N_VERDICTS - 1));
	tracker_close(t);
}

/*
 * Every verdict fixture through XDP and tc egress in mode: the verdict, the
 * deciding rule's counters (exact packets and layer-3 bytes, every other
 * rule at 0), each flow's dropped counts and the totals. Monitor mode
 * counts the same and passes everything.
 */
static void check_verdicts(enum policy_mode mode)
{
	struct policy_rule rules[MAX_RULES];
	uint64_t want_packets[MAX_RULES] = { 0 }, want_bytes[MAX_RULES] = { 0 };
	uint64_t dropped = 0, dropped_bytes = 0, seen = 0;
	static struct counts got;
	static struct flow_sums s;
	struct flow_totals tot;
	struct tracker *t;
	struct policy p;
	size_t i;
	int k;

	t = open_tracker(true, true);
	policy_from(&p, rules, verdict_rules, sizeof(verdict_rules) / sizeof(verdict_rules[0]),
		    mode);
	assert_int_equal(tracker_policy_load(t, &p, NULL, NULL), 0);
	for (i = 0; i < N_VERDICTS; i++) {
		const struct verdict_fixture *fx = &verdicts[i];
		bool drop = fx->drop && mode == POLICY_ENFORCE;
		uint8_t frame[PKT_MAX_FRAME];
		struct pkt_layout l;

		print_message("    %s\n", fx->name);
		assert_int_equal(pkt_build(&fx->spec, frame, sizeof(frame), &l), 0);
		assert_int_equal(run_xdp(t, frame, l.len), drop ? XDP_DROP : XDP_PASS);
		assert_int_equal(run_tc(t, frame, l.len), drop ? TC_ACT_SHOT : TC_ACT_OK);
		if (fx->spec.ethertype)
			continue;
		seen += 2;
		if (fx->rule != NONE) {
			want_packets[fx->rule] += 2;
			want_bytes[fx->rule] += 2 * l.l3_bytes;
		}
		if (fx->drop) {
			dropped += 2;
			dropped_bytes += 2 * l.l3_bytes;
		}
	}
	memset(&got, 0, sizeof(got));
	assert_int_equal(tracker_policy_counters(t, take_counts, &got), 0);
	for (k = 0; k < (int)p.n_rules; k++) {
		assert_true(got.seen[k]);
		assert_int_equal(got.packets[k], want_packets[k]);
		assert_int_equal(got.bytes[k], want_bytes[k]);
	}
	drain(t, &s, &tot);
	assert_int_equal(tot.packets, seen);
	assert_int_equal(tot.non_ip, 2);
	assert_int_equal(tot.dropped_packets, dropped);
	assert_int_equal(tot.dropped_bytes, dropped_bytes);
	/* Each flow is all dropped or all passed here. */
	for (k = 0; k < s.n && k < MAX_FLOWS; k++)
		assert_true(s.c[k].dropped_packets == 0 ||
			    s.c[k].dropped_packets == s.c[k].packets);
	tracker_close(t);
}

static void test_verdicts(void **state)
{
	if (!have_root)
		skip();
	check_verdicts(POLICY_ENFORCE);
}

static void test_monitor(void **state)
{
	if (!have_root)
		skip();
	check_verdicts(POLICY_MONITOR);
}

/*
 * The reference: GCRA by virtual scheduling (ITU-T I.371), in exact
 * rational time: time scaled by the rate, so that a unit takes 1e9. A
 * packet of c units conforms when the theoretical arrival time, once the
 * packet is added, is at most burst units ahead of now. Written apart from
 * the kernel's (which counts from a stored time and an idle shortcut,
 * modulo 2^64) so that the two can disagree.
 */
struct gcra_ref {
	unsigned __int128 tat; /* ns * rate */
	bool started;
};

static bool gcra_conforms(struct gcra_ref *g, uint64_t now_ns, uint64_t rate, uint64_t burst,
			  uint64_t cost)
{
	unsigned __int128 now = (unsigned __int128)now_ns * rate, next;

	if (!g->started || g->tat < now)
		g->tat = now;
	g->started = true;
	next = g->tat + (unsigned __int128)cost * 1000000000u;
	if (next > now + (unsigned __int128)burst * 1000000000u)
		return false;
	g->tat = next;
	return true;
}

struct limit_case {
	const char *name;
	enum policy_unit unit;
	uint64_t rate, burst; /* burst in bytes for bps */
	uint8_t proto;
	uint16_t port;
	int packets;
	uint64_t gap_min_ns, gap_spread_ns; /* gaps between packets: min + lcg % spread */
	bool v6; /* IPv6 sources in two /64s, else IPv4 in two /24s */
};

/* Each arrives at about 1.5 times its rate per bucket (two buckets). */
static const struct limit_case limit_cases[] = {
	{ "7 pps, burst 3", POLICY_PPS, 7, 3, 0, 0, 600, 0, 100000000 },
	{ "1000 pps, burst 50", POLICY_PPS, 1000, 50, 0, 0, 3000, 0, 666666 },
	{ "999999 pps, burst 1", POLICY_PPS, 999999, 1, 0, 0, 3000, 100, 500 },
	{ "1 Mbps, burst 3000 B, sizes vary", POLICY_BPS, 1000000, 3000, 0, 0, 2000, 0, 3300000 },
	{ "3 Mbps, udp port 53 only", POLICY_BPS, 3000000, 1500, UDP, 53, 2000, 0, 550000 },
	{ "50 syn/s, burst 5", POLICY_SYN, 50, 5, 0, 0, 2000, 0, 5300000 },
	{ "ipv6, 1000 pps, burst 20", POLICY_PPS, 1000, 20, 0, 0, 3000, 0, 666666, true },
	{ "ipv6, 2 Mbps, burst 4000 B", POLICY_BPS, 2000000, 4000, 0, 0, 2000, 0, 1650000, true },
};

/* A fixed pseudo-random sequence: 31 bits per call. */
static uint32_t lcg(uint32_t *x)
{
	*x = *x * 1103515245u + 12345u;
	return *x >> 1;
}

/*
 * Runs c's packets from sources in two /24 networks (each its own bucket:
 * limit src/24) at generated times under the offline clock, some of them
 * not subject to the rule (other protocol, port or TCP flags). Each verdict
 * must equal the reference's, and the counters must add up.
 */
static void check_limit(const struct limit_case *c)
{
	struct policy_rule rule = { .kind = POLICY_LIMIT,
				    .origin = POLICY_ORIGIN_FILE,
				    .unit = c->unit,
				    .rate = c->rate,
				    .burst = c->burst,
				    .proto = c->proto,
				    .port = c->port,
				    .limit_bits4 = 24,
				    .limit_bits6 = 64 };
	struct policy p = { .mode = POLICY_ENFORCE, .rules = &rule, .n_rules = 1, .cap_rules = 1 };
	struct gcra_ref ref[2] = { 0 };
	uint64_t now = CLOCK_START_NS, passed = 0, dropped = 0, dropped_bytes = 0;
	static struct counts got;
	static struct flow_sums s;
	struct flow_totals tot;
	struct tracker *t;
	uint32_t x = 12345;
	int i;

	print_message("    %s\n", c->name);
	t = open_tracker(true, true);
	assert_int_equal(tracker_policy_load(t, &p, NULL, NULL), 0);
	for (i = 0; i < c->packets; i++) {
		int net = lcg(&x) % 2;
		struct pkt_spec spec = { .ip_version = 4,
					 .proto = lcg(&x) % 4 ? UDP : TCP,
					 .src = V4(10, 20, 30 + net, lcg(&x) % 64),
					 .dst = V4(172, 16, 0, 1),
					 .sport = 1000 + i % 7,
					 .dport = lcg(&x) % 3 ? 53 : 80,
					 .payload_len = lcg(&x) % 1200 };
		uint8_t frame[PKT_MAX_FRAME];
		bool subject, expect;
		struct pkt_layout l;
		uint64_t cost;
		int b;

		if (c->v6) {
			/* 2001:db8:0:30::/64 or :31::/64, the host part at random. */
			static const uint8_t prefix[8] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0x30 };

			spec.ip_version = 6;
			memcpy(spec.src, prefix, 8);
			spec.src[7] += net;
			for (b = 8; b < 16; b++)
				spec.src[b] = lcg(&x);
			memcpy(spec.dst, prefix, 8);
			spec.dst[15] = 1;
		}
		if (c->unit == POLICY_SYN) {
			static const uint8_t flags[] = { 0x02, 0x12, 0x10, 0x02, 0x11 };

			spec.proto = TCP;
			spec.tcp_flags = flags[lcg(&x) % 5];
		}
		assert_int_equal(pkt_build(&spec, frame, sizeof(frame), &l), 0);
		subject = (!c->proto || c->proto == spec.proto) &&
			  (!c->port || c->port == spec.dport) &&
			  (c->unit != POLICY_SYN || spec.tcp_flags == 0x02);
		cost = c->unit == POLICY_BPS ? (uint64_t)l.l3_bytes * 8 : 1;
		expect = !subject ||
			 gcra_conforms(&ref[net], now, c->rate,
				       c->unit == POLICY_BPS ? c->burst * 8 : c->burst, cost);
		tracker_set_clock(t, now);
		assert_int_equal(run_xdp(t, frame, l.len), expect ? XDP_PASS : XDP_DROP);
		if (expect) {
			passed++;
		} else {
			dropped++;
			dropped_bytes += l.l3_bytes;
		}
		now += c->gap_min_ns + (c->gap_spread_ns ? lcg(&x) % c->gap_spread_ns : 0);
	}
	print_message("      %llu passed, %llu dropped\n", (unsigned long long)passed,
		      (unsigned long long)dropped);
	/* A case where nothing or everything drops tests little. */
	assert_true(passed > 0 && dropped > 0);
	memset(&got, 0, sizeof(got));
	assert_int_equal(tracker_policy_counters(t, take_counts, &got), 0);
	assert_true(got.seen[0]);
	assert_int_equal(got.packets[0], dropped);
	assert_int_equal(got.bytes[0], dropped_bytes);
	drain(t, &s, &tot);
	assert_int_equal(tot.packets, c->packets);
	assert_int_equal(tot.dropped_packets, dropped);
	assert_int_equal(tot.dropped_bytes, dropped_bytes);
	tracker_close(t);
}

static void test_limits(void **state)
{
	size_t i;

	if (!have_root)
		skip();
	for (i = 0; i < sizeof(limit_cases) / sizeof(limit_cases[0]); i++)
		check_limit(&limit_cases[i]);
}

/* A long idle stretch (days, far past where rate * time wraps 64 bits)
 * leaves a bucket full, not empty. */
static void test_limit_idle(void **state)
{
	struct policy_rule rule = { .kind = POLICY_LIMIT,
				    .unit = POLICY_PPS,
				    .rate = 999983, /* prime: no common divisor with 1e9 */
				    .burst = 4,
				    .limit_bits4 = 32,
				    .limit_bits6 = 128 };
	struct policy p = { .mode = POLICY_ENFORCE, .rules = &rule, .n_rules = 1, .cap_rules = 1 };
	struct pkt_spec spec = { .ip_version = 6,
				 .proto = UDP,
				 .src = V6(1, 2, 3),
				 .dst = V6(0, 0, 1),
				 .sport = 1,
				 .dport = 2 };
	uint64_t now = CLOCK_START_NS;
	uint8_t frame[PKT_MAX_FRAME];
	struct pkt_layout l;
	struct tracker *t;
	int round, i;

	if (!have_root)
		skip();
	t = open_tracker(true, true);
	assert_int_equal(tracker_policy_load(t, &p, NULL, NULL), 0);
	assert_int_equal(pkt_build(&spec, frame, sizeof(frame), &l), 0);
	for (round = 0; round < 3; round++) {
		tracker_set_clock(t, now);
		for (i = 0; i < 4; i++)
			assert_int_equal(run_xdp(t, frame, l.len), XDP_PASS);
		assert_int_equal(run_xdp(t, frame, l.len), XDP_DROP);
		now += 3 * 86400ULL * 1000000000ULL;
	}
	tracker_close(t);
}

/* The rules of tests below: a blocked source in both sets, at other ids. */
static const struct rule_text set_a[] = {
	{ POLICY_BLOCK, POLICY_SIDE_SRC, "10.0.0.0/8", 0, 0 },
	{ POLICY_BLOCK, POLICY_SIDE_SRC, "192.0.2.0/24", 0, 0 },
};
static const struct rule_text set_b[] = {
	{ POLICY_BLOCK, POLICY_SIDE_DST, "198.51.100.0/24", 0, 0 },
	{ POLICY_BLOCK, POLICY_SIDE_SRC, "192.0.2.77", 0, 0 },
	{ POLICY_BLOCK, POLICY_SIDE_SRC, "10.0.0.0/8", 0, 0 },
};

/* Runs one UDP packet from src to dst through t. Returns the verdict. */
static int verdict_of(struct tracker *t, const uint8_t src[4], const uint8_t dst[4])
{
	struct pkt_spec spec = { .ip_version = 4, .proto = UDP, .sport = 1, .dport = 2 };
	uint8_t frame[PKT_MAX_FRAME];
	struct pkt_layout l;

	memcpy(spec.src, src, 4);
	memcpy(spec.dst, dst, 4);
	assert_int_equal(pkt_build(&spec, frame, sizeof(frame), &l), 0);
	return run_xdp(t, frame, l.len);
}

/* Live changes: a block added takes the next packet, removed it lets the
 * next one through, with its final counters; a reload hands over the old
 * set's final counters and the new set decides alone. */
static void test_live_changes(void **state)
{
	static const uint8_t ten[4] = { 10, 1, 1, 1 }, doc2[4] = { 192, 0, 2, 77 },
			     doc2b[4] = { 192, 0, 2, 5 }, other[4] = { 172, 16, 5, 5 },
			     doc3[4] = { 198, 51, 100, 1 };
	struct rule_text text = { POLICY_BLOCK, POLICY_SIDE_SRC, "172.16.0.0/12", 0, 0 };
	struct policy_rule rules[MAX_RULES], extra;
	__u64 packets, bytes;
	static struct counts got;
	struct tracker *t;
	struct policy p;
	__u32 id, id2;

	if (!have_root)
		skip();
	t = open_tracker(true, false);
	policy_from(&p, rules, set_a, 2, POLICY_ENFORCE);
	assert_int_equal(tracker_policy_load(t, &p, NULL, NULL), 0);
	assert_int_equal(verdict_of(t, other, doc3), XDP_PASS);
	rule_from(&extra, &text);
	assert_int_equal(tracker_block_add(t, &extra, &id), 0);
	assert_int_equal(id, 2);
	assert_int_equal(tracker_block_add(t, &extra, &id2), -EEXIST);
	assert_int_equal(verdict_of(t, other, doc3), XDP_DROP);
	assert_int_equal(verdict_of(t, other, doc3), XDP_DROP);
	/* A narrower block of the same network is another rule. */
	text.net = "172.16.5.0/24";
	rule_from(&extra, &text);
	assert_int_equal(tracker_block_del(t, &extra, NULL, NULL, NULL), -ENOENT);
	text.net = "172.16.0.0/12";
	rule_from(&extra, &text);
	assert_int_equal(tracker_block_del(t, &extra, &id2, &packets, &bytes), 0);
	assert_int_equal(id2, 2);
	assert_int_equal(packets, 2);
	assert_int_equal(bytes, 2 * 28);
	assert_int_equal(verdict_of(t, other, doc3), XDP_PASS);
	assert_int_equal(tracker_block_del(t, &extra, NULL, NULL, NULL), -ENOENT);
	extra.kind = POLICY_ALLOW;
	assert_int_equal(tracker_block_add(t, &extra, NULL), -EINVAL);

	assert_int_equal(verdict_of(t, ten, other), XDP_DROP);
	assert_int_equal(verdict_of(t, doc2b, other), XDP_DROP);
	policy_from(&p, rules, set_b, 3, POLICY_ENFORCE);
	memset(&got, 0, sizeof(got));
	assert_int_equal(tracker_policy_load(t, &p, take_counts, &got), 0);
	assert_true(got.seen[0] && got.seen[1] && !got.seen[2]);
	assert_int_equal(got.packets[0], 1);
	assert_int_equal(got.packets[1], 1);
	assert_int_equal(verdict_of(t, doc2b, other), XDP_PASS);
	assert_int_equal(verdict_of(t, doc2, other), XDP_DROP);
	assert_int_equal(verdict_of(t, ten, other), XDP_DROP);
	assert_int_equal(verdict_of(t, other, doc3), XDP_DROP);
	memset(&got, 0, sizeof(got));
	assert_int_equal(tracker_policy_counters(t, take_counts, &got), 0);
	assert_int_equal(got.packets[0], 1);
	assert_int_equal(got.packets[1], 1);
	assert_int_equal(got.packets[2], 1);
	tracker_close(t);
}

#define SENDER_RUNS 300
#define SENDER_REPEAT 100

struct sender {
	struct tracker *t;
	uint8_t frame[128];
	size_t len;
	int err;
	volatile bool done;
};

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	int i;

	for (i = 0; i < SENDER_RUNS; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = s->frame, .data_size_in = s->len,
			    .repeat = SENDER_REPEAT);

		if (bpf_prog_test_run_opts(tracker_xdp_fd(s->t), &opts)) {
			s->err = -errno;
			break;
		}
	}
	s->done = true;
	return NULL;
}

/*
 * Reloads over and over while another thread sends from a source both sets
 * block: every packet is dropped, none slips through between two sets.
 */
static void test_reload_under_load(void **state)
{
	static struct sender s;
	struct policy_rule rules[MAX_RULES];
	static struct flow_sums sums;
	struct flow_totals tot;
	struct pkt_spec spec = { .ip_version = 4,
				 .proto = UDP,
				 .src = V4(10, 3, 3, 3),
				 .dst = V4(172, 16, 0, 1),
				 .sport = 1,
				 .dport = 2 };
	struct pkt_layout l;
	pthread_t thread;
	struct policy p;
	int reloads = 0;

	if (!have_root)
		skip();
	memset(&s, 0, sizeof(s));
	s.t = open_tracker(true, false);
	assert_int_equal(pkt_build(&spec, s.frame, sizeof(s.frame), &l), 0);
	s.len = l.len;
	policy_from(&p, rules, set_a, 2, POLICY_ENFORCE);
	assert_int_equal(tracker_policy_load(s.t, &p, NULL, NULL), 0);
	assert_int_equal(pthread_create(&thread, NULL, sender_main, &s), 0);
	while (!s.done) {
		if (reloads % 2)
			policy_from(&p, rules, set_a, 2, POLICY_ENFORCE);
		else
			policy_from(&p, rules, set_b, 3, POLICY_ENFORCE);
		assert_int_equal(tracker_policy_load(s.t, &p, NULL, NULL), 0);
		reloads++;
	}
	pthread_join(thread, NULL);
	assert_int_equal(s.err, 0);
	drain(s.t, &sums, &tot);
	print_message("    %d reloads, %llu packets\n", reloads, (unsigned long long)tot.packets);
	assert_true(reloads > 2);
	assert_int_equal(tot.packets, SENDER_RUNS * SENDER_REPEAT);
	assert_int_equal(tot.dropped_packets, tot.packets);
	tracker_close(s.t);
}

/* An allow on both sides after one on the source side alone: the source
 * side stays the first rule's, the destination side is the second's. */
static void test_overlapping_rules(void **state)
{
	static const struct rule_text texts[] = {
		{ POLICY_ALLOW, POLICY_SIDE_SRC, "10.1.0.0/16", 0, 0 },
		{ POLICY_ALLOW, POLICY_SIDE_ANY, "10.1.0.0/16", 0, 0 },
		{ POLICY_BLOCK, POLICY_SIDE_DST, "10.0.0.0/8", 0, 0 },
		{ POLICY_BLOCK, POLICY_SIDE_SRC, "10.0.0.0/8", 0, 0 },
		{ POLICY_BLOCK, POLICY_SIDE_SRC, "10.0.0.0/8", 0, 0 },
	};
	static const uint8_t inside[4] = { 10, 1, 2, 2 }, other[4] = { 172, 16, 0, 1 },
			     ten[4] = { 10, 2, 0, 1 };
	struct policy_rule rules[MAX_RULES];
	static struct counts got;
	struct tracker *t;
	struct policy p;

	if (!have_root)
		skip();
	t = open_tracker(true, true);
	policy_from(&p, rules, texts, 5, POLICY_ENFORCE);
	assert_int_equal(tracker_policy_load(t, &p, NULL, NULL), 0);
	assert_int_equal(verdict_of(t, other, inside), XDP_PASS);
	assert_int_equal(verdict_of(t, inside, other), XDP_PASS);
	assert_int_equal(verdict_of(t, inside, ten), XDP_PASS);
	assert_int_equal(verdict_of(t, other, ten), XDP_DROP);
	assert_int_equal(verdict_of(t, ten, other), XDP_DROP);
	memset(&got, 0, sizeof(got));
	assert_int_equal(tracker_policy_counters(t, take_counts, &got), 0);
	assert_int_equal(got.packets[0], 2);
	assert_int_equal(got.packets[1], 1);
	assert_int_equal(got.packets[2], 1);
	assert_int_equal(got.packets[3], 1);
	/* The repeated block is the first one: no counters of its own. */
	assert_false(got.seen[4]);
	tracker_close(t);
}

/* Rules the kernel cannot hold are refused, and the set in force stays. */
static void test_refused(void **state)
{
	static const uint8_t ten[4] = { 10, 1, 1, 1 }, other[4] = { 172, 16, 5, 5 };
	struct policy_rule rules[MAX_RULES],
		bad = { .kind = POLICY_LIMIT, .unit = POLICY_PPS, .rate = 0, .burst = 1 };
	struct policy p, q = { .rules = &bad, .n_rules = 1, .cap_rules = 1 };
	struct tracker *t;

	if (!have_root)
		skip();
	t = open_tracker(true, true);
	policy_from(&p, rules, set_a, 2, POLICY_ENFORCE);
	assert_int_equal(tracker_policy_load(t, &p, NULL, NULL), 0);
	assert_int_equal(tracker_policy_load(t, &q, NULL, NULL), -EINVAL);
	bad.rate = 1000000000;
	bad.burst = (1ULL << 62) + 1; /* cap_s past 2^62 */
	assert_int_equal(tracker_policy_load(t, &q, NULL, NULL), -EINVAL);
	bad.burst = 10;
	assert_int_equal(addr_parse_net("10.0.0.0/8", &bad.net), 0);
	assert_int_equal(tracker_policy_load(t, &q, NULL, NULL), -EINVAL);
	assert_int_equal(verdict_of(t, ten, other), XDP_DROP);
	assert_int_equal(verdict_of(t, other, ten), XDP_PASS);
	tracker_close(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_policy),	  cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_monitor),		  cmocka_unit_test(test_limits),
		cmocka_unit_test(test_limit_idle),	  cmocka_unit_test(test_live_changes),
		cmocka_unit_test(test_reload_under_load), cmocka_unit_test(test_overlapping_rules),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
