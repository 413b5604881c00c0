// SPDX-License-Identifier: BSD-2-Clause
/* Packet fixtures through the real BPF programs (BPF_PROG_TEST_RUN): verdict,
 * exact map contents, kernel totals and ring-buffer events. Needs root. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "pktbuild.h"
#include "tracker.h"

#define LO_IFINDEX 1
#define FIXED_CLOCK_NS 1700000000123456789ULL
#define MAX_FLOWS 64

enum outcome { FLOW, NON_IP, MALFORMED };

struct fixture {
	const char *name;
	struct pkt_spec spec;
	void (*corrupt)(uint8_t *frame, const struct pkt_layout *l);
	enum outcome outcome;
	/* expected, for outcome FLOW */
	uint16_t sport, dport, vlan;
	uint32_t bytes;
	uint8_t flags;
	uint8_t event;
	size_t keep; /* bytes of the frame to run, from the start; 0: all */
};

#define V4(a, b, c, d)     \
	{                  \
		a, b, c, d \
	}
#define V6(last)                                    \
	{                                           \
		0x20, 0x01, 0x0d, 0xb8, [15] = last \
	}
#define TCP 6
#define UDP 17

static void ihl_too_small(uint8_t *f, const struct pkt_layout *l)
{
	f[l->l3_off] = 0x44;
}

static void tot_len_below_ihl(uint8_t *f, const struct pkt_layout *l)
{
	f[l->l3_off + 2] = 0;
	f[l->l3_off + 3] = 19;
}

static void version_6_in_ipv4(uint8_t *f, const struct pkt_layout *l)
{
	f[l->l3_off] = 0x65;
}

static void tcp_doff_4(uint8_t *f, const struct pkt_layout *l)
{
	f[l->l3_off + 20 + 12] = 4 << 4;
}

static void ext_longer_than_payload(uint8_t *f, const struct pkt_layout *l)
{
	f[l->l3_off + 40 + 1] = 200; /* hop-by-hop hdrlen: 1608 bytes */
}

/* PPPoE's length field, 4 bytes before the IP header. */
static void set_pppoe_len(uint8_t *f, const struct pkt_layout *l, uint16_t len)
{
	f[l->l3_off - 4] = len >> 8;
	f[l->l3_off - 3] = len & 0xff;
}

static void pppoe_len_1(uint8_t *f, const struct pkt_layout *l)
{
	set_pppoe_len(f, l, 1);
}

/* One byte short of the PPP protocol and the IP packet. */
static void pppoe_len_below_ip(uint8_t *f, const struct pkt_layout *l)
{
	set_pppoe_len(f, l, 2 + l->l3_bytes - 1);
}

/* More than the frame holds: a cut frame, not a malformed one. */
static void pppoe_len_beyond_frame(uint8_t *f, const struct pkt_layout *l)
{
	set_pppoe_len(f, l, 2 + l->l3_bytes + 100);
}

/* One fixture per block: the formatter would put every field on its own line. */
/* clang-format off */
static const struct fixture fixtures[] = {
	{ "ipv4 tcp syn, padded", { .ip_version = 4, .proto = TCP, .src = V4(10, 0, 0, 1),
	  .dst = V4(10, 0, 0, 2), .sport = 40000, .dport = 80, .tcp_flags = 0x02, .pad = true },
	  NULL, FLOW, 40000, 80, 0, 40, 0x02, FLOW_EVENT_SYN },
	{ "ipv4 options, tcp options, psh ack", { .ip_version = 4, .proto = TCP,
	  .src = V4(192, 168, 1, 10), .dst = V4(192, 168, 1, 20), .sport = 1234, .dport = 22,
	  .tcp_flags = 0x18, .ipv4_option_words = 2, .tcp_option_words = 3, .payload_len = 100 },
	  NULL, FLOW, 1234, 22, 0, 160, 0x18, 0 },
	{ "ipv4 udp dns", { .ip_version = 4, .proto = UDP, .src = V4(10, 1, 1, 1),
	  .dst = V4(10, 1, 1, 53), .sport = 53000, .dport = 53, .payload_len = 30 },
	  NULL, FLOW, 53000, 53, 0, 58, 0, 0 },
	{ "ipv4 icmp echo request", { .ip_version = 4, .proto = 1, .src = V4(10, 0, 0, 1),
	  .dst = V4(10, 0, 0, 9), .icmp_type = 8, .payload_len = 56 },
	  NULL, FLOW, 0, 2048, 0, 84, 0, 0 },
	{ "ipv4 icmp port unreachable", { .ip_version = 4, .proto = 1, .src = V4(10, 0, 0, 9),
	  .dst = V4(10, 0, 0, 1), .icmp_type = 3, .icmp_code = 3, .payload_len = 28 },
	  NULL, FLOW, 0, 771, 0, 56, 0, 0 },
	{ "ipv4 first fragment udp", { .ip_version = 4, .proto = UDP, .src = V4(10, 2, 0, 1),
	  .dst = V4(10, 2, 0, 2), .sport = 5001, .dport = 5002, .more_fragments = true,
	  .payload_len = 1000 }, NULL, FLOW, 5001, 5002, 0, 1028, 0, 0 },
	{ "ipv4 non-first fragment", { .ip_version = 4, .proto = UDP, .src = V4(10, 2, 0, 1),
	  .dst = V4(10, 2, 0, 2), .sport = 5001, .dport = 5002, .frag_offset = 185,
	  .payload_len = 500 }, NULL, FLOW, 0, 0, 0, 520, 0, 0 },
	{ "ipv4 gre", { .ip_version = 4, .proto = 47, .src = V4(172, 16, 0, 1),
	  .dst = V4(172, 16, 0, 2), .payload_len = 40 }, NULL, FLOW, 0, 0, 0, 60, 0, 0 },
	{ "ipv4 sctp", { .ip_version = 4, .proto = 132, .src = V4(10, 3, 0, 1),
	  .dst = V4(10, 3, 0, 2), .sport = 5000, .dport = 38412, .payload_len = 20 },
	  NULL, FLOW, 5000, 38412, 0, 52, 0, 0 },
	{ "ipv4 udp-lite", { .ip_version = 4, .proto = 136, .src = V4(10, 3, 0, 1),
	  .dst = V4(10, 3, 0, 2), .sport = 7000, .dport = 7001, .payload_len = 12 },
	  NULL, FLOW, 7000, 7001, 0, 40, 0, 0 },
	{ "802.1q ipv4 tcp fin", { .ip_version = 4, .proto = TCP, .src = V4(10, 0, 1, 1),
	  .dst = V4(10, 0, 1, 2), .sport = 443, .dport = 50000, .tcp_flags = 0x11, .vlans = 1,
	  .vlan_id = { 100 } }, NULL, FLOW, 443, 50000, 100, 40, 0x11, FLOW_EVENT_FIN },
	{ "qinq ipv4 tcp rst", { .ip_version = 4, .proto = TCP, .src = V4(10, 0, 2, 1),
	  .dst = V4(10, 0, 2, 2), .sport = 8080, .dport = 33000, .tcp_flags = 0x14, .vlans = 2,
	  .vlan_tpid = { 0x88a8, 0x8100 }, .vlan_id = { 200, 300 } },
	  NULL, FLOW, 8080, 33000, 200, 40, 0x14, FLOW_EVENT_RST },
	{ "priority tag outside 802.1q", { .ip_version = 4, .proto = UDP, .src = V4(10, 0, 3, 1),
	  .dst = V4(10, 0, 3, 2), .sport = 1, .dport = 2, .vlans = 2, .vlan_id = { 0, 300 } },
	  NULL, FLOW, 1, 2, 0, 28, 0, 0 },
	{ "ipv6 tcp syn-ack", { .ip_version = 6, .proto = TCP, .src = V6(1), .dst = V6(2),
	  .sport = 443, .dport = 50000, .tcp_flags = 0x12 },
	  NULL, FLOW, 443, 50000, 0, 60, 0x12, 0 },
	{ "ipv6 hop-by-hop, dst opts, routing, udp", { .ip_version = 6, .proto = UDP,
	  .src = V6(3), .dst = V6(4), .sport = 4000, .dport = 4001, .n_ext = 3,
	  .ext = { 0, 60, 43 }, .payload_len = 10 }, NULL, FLOW, 4000, 4001, 0, 82, 0, 0 },
	{ "ipv6 icmpv6 echo request", { .ip_version = 6, .proto = 58, .src = V6(1), .dst = V6(2),
	  .icmp_type = 128, .payload_len = 16 }, NULL, FLOW, 0, 32768, 0, 64, 0, 0 },
	{ "ipv6 neighbour solicitation", { .ip_version = 6, .proto = 58, .src = V6(1),
	  .dst = V6(2), .icmp_type = 135, .payload_len = 16 },
	  NULL, FLOW, 0, 34560, 0, 64, 0, 0 },
	{ "ipv6 first fragment tcp", { .ip_version = 6, .proto = TCP, .src = V6(5), .dst = V6(6),
	  .sport = 80, .dport = 40000, .tcp_flags = 0x10, .n_ext = 1, .ext = { 44 },
	  .more_fragments = true, .payload_len = 1200 },
	  NULL, FLOW, 80, 40000, 0, 1268, 0x10, 0 },
	{ "ipv6 non-first fragment", { .ip_version = 6, .proto = UDP, .src = V6(5), .dst = V6(6),
	  .sport = 80, .dport = 40000, .n_ext = 1, .ext = { 44 }, .frag_offset = 150,
	  .payload_len = 300 }, NULL, FLOW, 0, 0, 0, 348, 0, 0 },
	{ "ipv6 eight extension headers", { .ip_version = 6, .proto = UDP, .src = V6(7),
	  .dst = V6(8), .sport = 9, .dport = 10, .n_ext = 8,
	  .ext = { 0, 60, 43, 60, 43, 60, 43, 60 } }, NULL, FLOW, 9, 10, 0, 112, 0, 0 },
	{ "ipv6 esp", { .ip_version = 6, .proto = 50, .src = V6(9), .dst = V6(10),
	  .payload_len = 64 }, NULL, FLOW, 0, 0, 0, 104, 0, 0 },
	{ "802.1q ipv6 udp", { .ip_version = 6, .proto = UDP, .src = V6(11), .dst = V6(12),
	  .sport = 123, .dport = 123, .vlans = 1, .vlan_id = { 4094 }, .payload_len = 48 },
	  NULL, FLOW, 123, 123, 4094, 96, 0, 0 },
	{ "arp", { .ip_version = 4, .ethertype = 0x0806, .pad = true }, NULL, NON_IP },
	{ "ipv4 ihl 4", { .ip_version = 4, .proto = UDP, .sport = 1, .dport = 2 },
	  ihl_too_small, MALFORMED },
	{ "ipv4 total length below header", { .ip_version = 4, .proto = UDP },
	  tot_len_below_ihl, MALFORMED },
	{ "ipv4 ethertype, version 6", { .ip_version = 4, .proto = UDP }, version_6_in_ipv4,
	  MALFORMED },
	{ "tcp data offset 4", { .ip_version = 4, .proto = TCP, .payload_len = 8 }, tcp_doff_4,
	  MALFORMED },
	{ "ipv4 gre header only, padded", { .ip_version = 4, .proto = 47, .pad = true },
	  NULL, FLOW, 0, 0, 0, 20, 0, 0 },
	{ "ipv6 extension longer than payload", { .ip_version = 6, .proto = UDP, .n_ext = 1,
	  .ext = { 0 } }, ext_longer_than_payload, MALFORMED },
	{ "ipv6 nine extension headers", { .ip_version = 6, .proto = UDP, .n_ext = 9,
	  .ext = { 0, 60, 43, 60, 43, 60, 43, 60, 43 } }, NULL, MALFORMED },
	{ "three vlan tags", { .ip_version = 4, .proto = UDP, .vlans = 3, .vlan_id = { 1, 2, 3 } },
	  NULL, MALFORMED },
	{ "pppoe ipv4 tcp syn, padded", { .ip_version = 4, .proto = TCP, .src = V4(100, 64, 0, 1),
	  .dst = V4(10, 0, 0, 2), .sport = 40000, .dport = 443, .tcp_flags = 0x02, .pppoe = true,
	  .pad = true }, NULL, FLOW, 40000, 443, 0, 40, 0x02, FLOW_EVENT_SYN },
	{ "pppoe ipv4 udp, padded", { .ip_version = 4, .proto = UDP, .src = V4(100, 64, 0, 1),
	  .dst = V4(10, 0, 0, 53), .sport = 5353, .dport = 53, .payload_len = 4, .pppoe = true,
	  .pad = true }, NULL, FLOW, 5353, 53, 0, 32, 0, 0 },
	{ "802.1q pppoe ipv4 tcp options, fin", { .ip_version = 4, .proto = TCP,
	  .src = V4(100, 64, 0, 2), .dst = V4(10, 0, 0, 3), .sport = 40001, .dport = 80,
	  .tcp_flags = 0x11, .ipv4_option_words = 1, .tcp_option_words = 3, .payload_len = 200,
	  .vlans = 1, .vlan_id = { 35 }, .pppoe = true },
	  NULL, FLOW, 40001, 80, 35, 256, 0x11, FLOW_EVENT_FIN },
	{ "qinq pppoe ipv4 icmp echo reply", { .ip_version = 4, .proto = 1,
	  .src = V4(100, 64, 0, 3), .dst = V4(10, 0, 0, 4), .payload_len = 56, .vlans = 2,
	  .vlan_tpid = { 0x88a8, 0x8100 }, .vlan_id = { 1000, 7 }, .pppoe = true },
	  NULL, FLOW, 0, 0, 1000, 84, 0, 0 },
	{ "pppoe ipv6 tcp", { .ip_version = 6, .proto = TCP, .src = V6(20), .dst = V6(21),
	  .sport = 50000, .dport = 443, .tcp_flags = 0x18, .payload_len = 100, .pppoe = true },
	  NULL, FLOW, 50000, 443, 0, 160, 0x18, 0 },
	{ "802.1q pppoe ipv6 fragment, udp", { .ip_version = 6, .proto = UDP, .src = V6(22),
	  .dst = V6(23), .sport = 4500, .dport = 4500, .n_ext = 1, .ext = { 44 },
	  .more_fragments = true, .payload_len = 100, .vlans = 1, .vlan_id = { 36 },
	  .pppoe = true }, NULL, FLOW, 4500, 4500, 36, 156, 0, 0 },
	{ "qinq pppoe ipv6 udp", { .ip_version = 6, .proto = UDP, .src = V6(24), .dst = V6(25),
	  .sport = 123, .dport = 123, .payload_len = 48, .vlans = 2,
	  .vlan_tpid = { 0x88a8, 0x8100 }, .vlan_id = { 1001, 8 }, .pppoe = true },
	  NULL, FLOW, 123, 123, 1001, 96, 0, 0 },
	{ "pppoe length beyond the frame: a cut frame", { .ip_version = 4, .proto = UDP,
	  .src = V4(100, 64, 0, 4), .dst = V4(10, 0, 0, 5), .sport = 1, .dport = 2,
	  .payload_len = 10, .pppoe = true }, pppoe_len_beyond_frame, FLOW, 1, 2, 0, 38, 0, 0 },
	{ "pppoe lcp", { .ip_version = 4, .proto = UDP, .pppoe = true, .ppp_proto = 0xc021,
	  .pad = true }, NULL, NON_IP },
	{ "pppoe ipcp (0x8021, not ipv4's 0x0021)", { .ip_version = 4, .proto = UDP,
	  .pppoe = true, .ppp_proto = 0x8021, .pad = true }, NULL, NON_IP },
	{ "qinq pppoe ipv6cp (0x8057, not ipv6's 0x0057)", { .ip_version = 6, .proto = UDP,
	  .vlans = 2, .vlan_id = { 1, 2 }, .pppoe = true, .ppp_proto = 0x8057 },
	  NULL, NON_IP },
	{ "pppoe discovery", { .ip_version = 4, .proto = UDP, .ethertype = 0x8863, .pad = true },
	  NULL, NON_IP },
	{ "pppoe header cut in the ppp protocol", { .ip_version = 4, .proto = UDP,
	  .pppoe = true }, NULL, MALFORMED, .keep = 14 + 7 },
	{ "802.1q pppoe header cut in the length", { .ip_version = 6, .proto = UDP, .vlans = 1,
	  .pppoe = true }, NULL, MALFORMED, .keep = 18 + 5 },
	{ "pppoe lcp cut in the ppp protocol", { .ip_version = 4, .proto = UDP, .pppoe = true,
	  .ppp_proto = 0xc021 }, NULL, MALFORMED, .keep = 14 + 7 },
	{ "pppoe length 1", { .ip_version = 4, .proto = UDP, .pppoe = true, .pad = true },
	  pppoe_len_1, MALFORMED },
	{ "pppoe length below the ipv4 packet", { .ip_version = 4, .proto = TCP, .pppoe = true,
	  .payload_len = 20 }, pppoe_len_below_ip, MALFORMED },
	{ "qinq pppoe length below the ipv6 packet", { .ip_version = 6, .proto = UDP,
	  .vlans = 2, .pppoe = true }, pppoe_len_below_ip, MALFORMED },
	{ "pppoe ipv4 header cut short", { .ip_version = 4, .proto = UDP, .pppoe = true },
	  NULL, MALFORMED, .keep = 14 + 8 + 19 },
	{ "ipv4 total length 0 (tso), tcp", { .ip_version = 4, .proto = TCP,
	  .src = V4(10, 5, 0, 1), .dst = V4(10, 5, 0, 2), .sport = 41000, .dport = 443,
	  .tcp_flags = 0x18, .payload_len = 2896, .len_zero = true },
	  NULL, FLOW, 41000, 443, 0, 2936, 0x18, 0 },
	{ "ipv4 total length 0, padding counted as tshark does", { .ip_version = 4,
	  .proto = TCP, .src = V4(10, 5, 0, 1), .dst = V4(10, 5, 0, 2), .sport = 41000,
	  .dport = 443, .tcp_flags = 0x10, .len_zero = true, .pad = true },
	  NULL, FLOW, 41000, 443, 0, 46, 0x10, 0 },
	{ "qinq ipv4 total length 0, udp", { .ip_version = 4, .proto = UDP,
	  .src = V4(10, 5, 0, 3), .dst = V4(10, 5, 0, 4), .sport = 443, .dport = 41001,
	  .payload_len = 1400, .vlans = 2, .vlan_tpid = { 0x88a8, 0x8100 },
	  .vlan_id = { 40, 41 }, .len_zero = true }, NULL, FLOW, 443, 41001, 40, 1428, 0, 0 },
	{ "pppoe ipv4 total length 0: pppoe's length, not its padding", { .ip_version = 4,
	  .proto = UDP, .src = V4(10, 5, 0, 5), .dst = V4(10, 5, 0, 6), .sport = 7,
	  .dport = 8, .pppoe = true, .len_zero = true, .pad = true },
	  NULL, FLOW, 7, 8, 0, 28, 0, 0 },
	{ "ipv4 total length 0, frame shorter than the header", { .ip_version = 4,
	  .proto = UDP, .len_zero = true }, NULL, MALFORMED, .keep = 14 + 19 },
	{ "ipv4 total length 0, ihl beyond the frame", { .ip_version = 4, .proto = 47,
	  .ipv4_option_words = 1, .len_zero = true }, NULL, MALFORMED, .keep = 14 + 20 },
	{ "ipv6 payload length 0, tcp: no tcp header, as tshark", { .ip_version = 6,
	  .proto = TCP, .payload_len = 100, .len_zero = true }, NULL, MALFORMED },
	{ "ipv6 payload length 0, esp: 40 bytes, as tshark", { .ip_version = 6, .proto = 50,
	  .src = V6(30), .dst = V6(31), .payload_len = 64, .len_zero = true },
	  NULL, FLOW, 0, 0, 0, 40, 0, 0 },
};
/* clang-format on */

/* An IPv4 header whose protocol says TCP but whose total length leaves no
 * room for it: the padding behind it must not be parsed as TCP. */
static void tcp_in_padding(uint8_t *f, const struct pkt_layout *l)
{
	f[l->l3_off + 9] = TCP;
	f[l->l3_off + 10] = 0; /* checksum is not checked by flowdb */
}

static const struct fixture padding_fixture = { "ipv4 header only, tcp in padding",
						{ .ip_version = 4, .proto = 47, .pad = true },
						tcp_in_padding,
						MALFORMED };

struct flow_set {
	int n;
	struct flow_key key[MAX_FLOWS];
	struct flow_counters c[MAX_FLOWS];
};

struct event_set {
	int n;
	struct flow_event ev[MAX_FLOWS];
};

static struct tracker *tracker;
static struct ring_buffer *ringbuf;
static struct event_set events_seen;

static int collect_flow(const struct flow_key *key, const struct flow_counters *c, void *arg)
{
	struct flow_set *set = arg;

	if (set->n == MAX_FLOWS)
		return -E2BIG;
	set->key[set->n] = *key;
	set->c[set->n++] = *c;
	return 0;
}

static int collect_event(void *ctx, void *data, size_t len)
{
	if (len != sizeof(struct flow_event) || events_seen.n == MAX_FLOWS)
		return -EINVAL;
	memcpy(&events_seen.ev[events_seen.n++], data, len);
	return 0;
}

static int group_setup(void **state)
{
	struct tracker_opts opts = { .map_entries = 1024, .offline_clock = true, .egress = true };
	int err;

	if (geteuid() != 0) {
		fprintf(stderr, "test_bpf: SKIP: loading BPF programs needs root\n");
		return 0;
	}
	err = tracker_open(&tracker, &opts);
	if (err) {
		fprintf(stderr, "test_bpf: cannot load the BPF programs: %s\n", strerror(-err));
		return -1;
	}
	ringbuf = ring_buffer__new(tracker_events_fd(tracker), collect_event, NULL, NULL);
	if (!ringbuf)
		return -1;
	tracker_set_clock(tracker, FIXED_CLOCK_NS);
	return 0;
}

static int group_teardown(void **state)
{
	ring_buffer__free(ringbuf);
	tracker_close(tracker);
	return 0;
}

static void build(const struct fixture *fx, uint8_t *frame, struct pkt_layout *l)
{
	assert_int_equal(pkt_build(&fx->spec, frame, PKT_MAX_FRAME, l), 0);
	if (fx->corrupt)
		fx->corrupt(frame, l);
}

/* Runs one frame through the XDP program as if received on lo. */
static void run_xdp(const uint8_t *frame, size_t len)
{
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = LO_IFINDEX };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(tracker_xdp_fd(tracker), &opts), 0);
	assert_int_equal(opts.retval, XDP_PASS);
}

/* Runs one frame through the tc egress program, as gso_segs segments. */
static void run_tc(const uint8_t *frame, size_t len, uint32_t gso_segs)
{
	struct __sk_buff ctx = { .ifindex = LO_IFINDEX,
				 .gso_segs = gso_segs,
				 .gso_size = gso_segs > 1 ? 1000 : 0 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(tracker_tc_fd(tracker), &opts), 0);
	assert_int_equal(opts.retval, TC_ACT_OK);
}

static void drain(struct flow_set *set, struct flow_totals *tot)
{
	set->n = 0;
	assert_int_equal(tracker_drain(tracker, collect_flow, set, tot), 0);
}

static void assert_key(const struct fixture *fx, const struct flow_key *k, uint8_t direction)
{
	size_t alen = fx->spec.ip_version == 4 ? 4 : 16;
	static const uint8_t zero[16];

	assert_int_equal(k->ifindex, LO_IFINDEX);
	assert_int_equal(k->direction, direction);
	assert_int_equal(k->ip_version, fx->spec.ip_version);
	assert_int_equal(k->proto, fx->spec.proto);
	assert_memory_equal(k->src_addr, fx->spec.src, alen);
	assert_memory_equal(k->dst_addr, fx->spec.dst, alen);
	assert_memory_equal(k->src_addr + alen, zero, 16 - alen);
	assert_memory_equal(k->dst_addr + alen, zero, 16 - alen);
	assert_int_equal(k->src_port, fx->sport);
	assert_int_equal(k->dst_port, fx->dport);
	assert_int_equal(k->vlan, fx->vlan);
	assert_memory_equal(k->pad, zero, sizeof(k->pad));
}

static void check_fixture(const struct fixture *fx)
{
	uint8_t frame[PKT_MAX_FRAME];
	struct pkt_layout l;
	struct flow_totals tot;
	struct flow_set set;
	int expect_events;

	print_message("    %s\n", fx->name);
	build(fx, frame, &l);
	events_seen.n = 0;
	run_xdp(frame, fx->keep ? fx->keep : l.len);
	drain(&set, &tot);
	ring_buffer__consume(ringbuf);

	assert_int_equal(tot.non_ip, fx->outcome == NON_IP);
	assert_int_equal(tot.malformed, fx->outcome == MALFORMED);
	assert_int_equal(tot.map_update_failures, 0);
	if (fx->outcome != FLOW) {
		assert_int_equal(set.n, 0);
		assert_int_equal(tot.packets, 0);
		assert_int_equal(events_seen.n, 0);
		return;
	}
	assert_int_equal(set.n, 1);
	assert_key(fx, &set.key[0], FLOW_DIR_IN);
	assert_int_equal(set.c[0].packets, 1);
	assert_int_equal(set.c[0].bytes, fx->bytes);
	assert_int_equal(set.c[0].tcp_flags, fx->flags);
	assert_int_equal(set.c[0].first_seen_ns, FIXED_CLOCK_NS);
	assert_int_equal(set.c[0].last_seen_ns, FIXED_CLOCK_NS);
	assert_int_equal(tot.packets, 1);
	assert_int_equal(tot.bytes, fx->bytes);
	assert_int_equal(tot.truncated, 0);

	expect_events = fx->event != 0;
	assert_int_equal(tot.events, expect_events);
	assert_int_equal(events_seen.n, expect_events);
	if (expect_events) {
		assert_int_equal(events_seen.ev[0].kind, fx->event);
		assert_int_equal(events_seen.ev[0].tcp_flags, fx->flags);
		assert_int_equal(events_seen.ev[0].ts_ns, FIXED_CLOCK_NS);
		assert_memory_equal(&events_seen.ev[0].key, &set.key[0], sizeof(set.key[0]));
	}
}

static void test_fixtures(void **state)
{
	size_t i;

	if (!tracker)
		skip();
	for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
		check_fixture(&fixtures[i]);
	check_fixture(&padding_fixture);
}

/* The layer-3 bytes fx's frame cut to len counts: what the IP header
 * declares, but with an IPv4 total length of 0 the frame's bytes from the
 * IP header on (in PPPoE, PPPoE's length, which the cut leaves alone). */
static uint32_t cut_bytes(const struct fixture *fx, const struct pkt_layout *l, size_t len)
{
	if (fx->spec.len_zero && fx->spec.ip_version == 4 && !fx->spec.pppoe)
		return len - l->l3_off;
	return fx->bytes;
}

/*
 * Every flow fixture cut at every length the kernel will run (from the
 * Ethernet header on): a cut before the end of the headers is malformed, a
 * cut after them is the same flow with the declared layer-3 bytes, flagged
 * truncated when the frame ends before them. Any misparse would show up
 * as a second flow.
 */
static void test_cuts(void **state)
{
	const size_t eth_hlen = 14;
	size_t i, len;

	if (!tracker)
		skip();
	for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		const struct fixture *fx = &fixtures[i];
		uint64_t good = 0, bad = 0, truncated = 0, bytes = 0;
		uint8_t frame[PKT_MAX_FRAME];
		struct pkt_layout l;
		struct flow_totals tot;
		struct flow_set set;

		if (fx->outcome != FLOW)
			continue;
		build(fx, frame, &l);
		for (len = eth_hlen; len <= l.len; len++) {
			run_xdp(frame, len);
			if (len < l.hdr_end) {
				bad++;
				continue;
			}
			good++;
			bytes += cut_bytes(fx, &l, len);
			if (len < l.l3_off + cut_bytes(fx, &l, len))
				truncated++;
		}
		drain(&set, &tot);
		ring_buffer__consume(ringbuf);
		print_message("    %s: %zu cuts, %llu malformed\n", fx->name, l.len - eth_hlen + 1,
			      (unsigned long long)bad);
		assert_int_equal(tot.malformed, bad);
		assert_int_equal(tot.non_ip, 0);
		assert_int_equal(tot.packets, good);
		assert_int_equal(tot.truncated, truncated);
		assert_int_equal(set.n, 1);
		assert_key(fx, &set.key[0], FLOW_DIR_IN);
		assert_int_equal(set.c[0].packets, good);
		assert_int_equal(set.c[0].bytes, bytes);
	}
}

/* Egress: the same parser, direction out, and a GSO packet counted as the
 * wire packets it becomes, each with its own headers. */
static void test_tc_egress_gso(void **state)
{
	const struct fixture *fx = &fixtures[1]; /* 28-byte IPv4, 32-byte TCP header */
	const uint32_t segs = 5, hdr_bytes = 28 + 32, payload = 100;
	uint8_t frame[PKT_MAX_FRAME];
	struct pkt_layout l;
	struct flow_totals tot;
	struct flow_set set;

	if (!tracker)
		skip();
	build(fx, frame, &l);
	run_tc(frame, l.len, 1);
	run_tc(frame, l.len, segs);
	drain(&set, &tot);
	ring_buffer__consume(ringbuf);
	assert_int_equal(set.n, 1);
	assert_key(fx, &set.key[0], FLOW_DIR_OUT);
	assert_int_equal(set.c[0].packets, 1 + segs);
	assert_int_equal(set.c[0].bytes, fx->bytes + payload + segs * hdr_bytes);
	assert_int_equal(tot.packets, 1 + segs);
}

/* A send-side TSO packet (IPv4 total length 0) leaving as GSO: the frame's
 * bytes from the IP header on, and the headers of its other segments. */
static void test_tc_egress_tso(void **state)
{
	static const struct fixture fx = {
		"tso on egress", { .ip_version = 4, .proto = TCP, .src = V4(10, 6, 0, 1),
		.dst = V4(10, 6, 0, 2), .sport = 41000, .dport = 443, .tcp_flags = 0x18,
		.payload_len = 2896, .len_zero = true }, NULL, FLOW, 41000, 443
	};
	const uint32_t segs = 2, hdr_bytes = 20 + 20;
	uint8_t frame[PKT_MAX_FRAME];
	struct pkt_layout l;
	struct flow_totals tot;
	struct flow_set set;

	if (!tracker)
		skip();
	build(&fx, frame, &l);
	run_tc(frame, l.len, segs);
	drain(&set, &tot);
	ring_buffer__consume(ringbuf);
	assert_int_equal(tot.malformed, 0);
	assert_int_equal(set.n, 1);
	assert_key(&fx, &set.key[0], FLOW_DIR_OUT);
	assert_int_equal(set.c[0].packets, segs);
	assert_int_equal(set.c[0].bytes, l.len - 14 + (segs - 1) * hdr_bytes);
	assert_int_equal(tot.truncated, 0);
}

#define SENDER_FRAMES 256
#define SENDER_RUNS 400
#define SENDER_REPEAT 50

struct sender {
	uint8_t frames[SENDER_FRAMES][128];
	size_t len[SENDER_FRAMES];
	uint64_t packets, bytes;
	int err;
};

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	int i;

	for (i = 0; i < SENDER_RUNS; i++) {
		int f = i % SENDER_FRAMES;
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = s->frames[f],
			    .data_size_in = s->len[f], .repeat = SENDER_REPEAT);

		if (bpf_prog_test_run_opts(tracker_xdp_fd(tracker), &opts)) {
			s->err = -errno;
			break;
		}
		s->packets += SENDER_REPEAT;
		s->bytes += SENDER_REPEAT * (s->len[f] - 14);
	}
	return NULL;
}

struct sums {
	uint64_t packets, bytes;
};

static int sum_flow(const struct flow_key *key, const struct flow_counters *c, void *arg)
{
	struct sums *s = arg;

	s->packets += c->packets;
	s->bytes += c->bytes;
	return 0;
}

/*
 * Drains over and over while another thread (on the other CPU) keeps sending:
 * every drain's flows add up to its own kernel totals, and all drains add up
 * to what was sent. Nothing lost, nothing counted twice.
 */
static void test_drain_under_load(void **state)
{
	static struct sender s;
	struct sums all = { 0 }, part;
	struct flow_totals tot;
	pthread_t thread;
	int drains = 0, i;

	if (!tracker)
		skip();
	memset(&s, 0, sizeof(s));
	for (i = 0; i < SENDER_FRAMES; i++) {
		struct pkt_spec spec = { .ip_version = 4,
					 .proto = UDP,
					 .src = V4(10, 9, 0, 1),
					 .dst = V4(10, 9, 0, 2),
					 .sport = 1000 + i,
					 .dport = 53,
					 .payload_len = i % 60 };
		struct pkt_layout l;

		assert_int_equal(pkt_build(&spec, s.frames[i], sizeof(s.frames[i]), &l), 0);
		s.len[i] = l.len;
	}
	assert_int_equal(pthread_create(&thread, NULL, sender_main, &s), 0);
	for (;;) {
		bool done = pthread_tryjoin_np(thread, NULL) == 0;

		memset(&part, 0, sizeof(part));
		assert_int_equal(tracker_drain(tracker, sum_flow, &part, &tot), 0);
		assert_int_equal(part.packets, tot.packets);
		assert_int_equal(part.bytes, tot.bytes);
		assert_int_equal(tot.map_update_failures, 0);
		all.packets += part.packets;
		all.bytes += part.bytes;
		drains++;
		if (done)
			break;
	}
	/* The last drain ran after the sender had finished. */
	ring_buffer__consume(ringbuf);
	print_message("    %d drains, %llu packets\n", drains, (unsigned long long)all.packets);
	assert_int_equal(s.err, 0);
	assert_true(drains > 2);
	assert_int_equal(all.packets, s.packets);
	assert_int_equal(all.bytes, s.bytes);
}

/* Longest kernel tick there is (HZ=100): how far the coarse clock lags. */
#define TICK_MAX_NS 10000000ULL
#define GAP_NS 30000000ULL

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Runs frame through t's XDP program; returns CLOCK_MONOTONIC just before. */
static uint64_t run_at(struct tracker *t, const struct pkt_spec *spec)
{
	uint8_t frame[PKT_MAX_FRAME];
	struct pkt_layout l;
	uint64_t before;

	assert_int_equal(pkt_build(spec, frame, sizeof(frame), &l), 0);
	before = mono_ns();
	assert_int_equal(tracker_run_xdp(t, frame, l.len), 0);
	return before;
}

/* With the kernel's clock, a flow's first packet and its FIN are timed
 * exactly, its other packets to a tick; in IPv4's short-key map and in
 * IPv6's alike. */
static void test_kernel_clock(void **state)
{
	struct tracker_opts opts = { .map_entries = 64, .sequential = true };
	static const struct pkt_spec specs[] = {
		{ .ip_version = 4, .proto = TCP, .src = V4(10, 8, 0, 1), .dst = V4(10, 8, 0, 2),
		  .sport = 1234, .dport = 80, .tcp_flags = 0x10 },
		{ .ip_version = 6, .proto = TCP, .src = V6(1), .dst = V6(2), .sport = 1234,
		  .dport = 80, .tcp_flags = 0x10 },
	};
	static struct flow_set set;
	struct flow_totals tot;
	struct tracker *t = NULL;
	size_t i;

	if (!tracker)
		skip();
	assert_int_equal(tracker_open(&t, &opts), 0);
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct pkt_spec fin = specs[i];
		uint64_t first, middle, end, after;

		fin.tcp_flags = 0x11;
		first = run_at(t, &specs[i]);
		usleep(GAP_NS / 1000);
		middle = run_at(t, &specs[i]);
		after = mono_ns();
		set.n = 0;
		assert_int_equal(tracker_drain(t, collect_flow, &set, &tot), 0);
		assert_int_equal(set.n, 1);
		assert_int_equal(set.key[0].ip_version, specs[i].ip_version);
		assert_memory_equal(set.key[0].src_addr, specs[i].src, 16);
		assert_int_equal(set.c[0].packets, 2);
		assert_true(set.c[0].first_seen_ns >= first && set.c[0].first_seen_ns < middle);
		assert_true(set.c[0].last_seen_ns + TICK_MAX_NS >= middle);
		assert_true(set.c[0].last_seen_ns <= after);
		assert_true(set.c[0].last_seen_ns > set.c[0].first_seen_ns);

		first = run_at(t, &specs[i]);
		usleep(GAP_NS / 1000);
		end = run_at(t, &fin);
		after = mono_ns();
		set.n = 0;
		assert_int_equal(tracker_drain(t, collect_flow, &set, &tot), 0);
		assert_int_equal(set.n, 1);
		assert_true(set.c[0].first_seen_ns >= first && set.c[0].first_seen_ns < end);
		assert_true(set.c[0].last_seen_ns >= end && set.c[0].last_seen_ns <= after);
	}
	tracker_close(t);
}

/* tracker_run_xdp() takes frames from an Ethernet header, which the
 * kernel's test run needs, to one page of data. */
static void test_run_xdp_sizes(void **state)
{
	static uint8_t frame[TRACKER_FRAME_MAX + 1];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .repeat = 1);
	static struct flow_set set;
	struct flow_totals tot;

	if (!tracker)
		skip();
	assert_int_equal(tracker_run_xdp(tracker, frame, TRACKER_FRAME_MIN), 0);
	assert_int_equal(tracker_run_xdp(tracker, frame, TRACKER_FRAME_MAX), 0);
	assert_int_equal(tracker_run_xdp(tracker, frame, TRACKER_FRAME_MIN - 1), -EMSGSIZE);
	assert_int_equal(tracker_run_xdp(tracker, frame, TRACKER_FRAME_MAX + 1), -EMSGSIZE);
	opts.data_size_in = TRACKER_FRAME_MIN - 1;
	assert_int_not_equal(bpf_prog_test_run_opts(tracker_xdp_fd(tracker), &opts), 0);
	/* Two zeroed frames: not IP, counted as such, no flow. */
	assert_int_equal(tracker_drain(tracker, collect_flow, &set, &tot), 0);
	assert_int_equal(tot.non_ip, 2);
	assert_int_equal(set.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_xdp_sizes),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_cuts),
		cmocka_unit_test(test_tc_egress_gso),
		cmocka_unit_test(test_tc_egress_tso),
		cmocka_unit_test(test_drain_under_load),
		cmocka_unit_test(test_kernel_clock),
	};

	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	return cmocka_run_group_tests_name("bpf", tests, group_setup, group_teardown);
}
