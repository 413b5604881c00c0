// SPDX-License-Identifier: BSD-2-Clause
/* Payload events of the real BPF programs (BPF_PROG_TEST_RUN): which packets
 * are copied, how many and how many bytes per flow (the budget), how much of
 * each, that user space can stop a flow, and nothing more. Needs root. */
#include <errno.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "pktbuild.h"
#include "tracker.h"

#define LO_IFINDEX 1
#define INSPECT_BYTES 700 /* the budget of each flow under test */
#define MAX_EVENTS 32

/* A copy of each payload event, and the number of connection events. */
struct seen {
	struct payload_event ev[MAX_EVENTS];
	uint8_t data[MAX_EVENTS][INSPECT_PACKET_BYTES_MAX];
	size_t size[MAX_EVENTS];
	int n, others;
};

struct ctx {
	struct tracker *tracker;
	struct ring_buffer *ringbuf;
	struct seen seen;
};

static int collect(void *arg, void *data, size_t len)
{
	struct seen *s = arg;
	const struct flow_event *head = data;

	if (head->kind != FLOW_EVENT_PAYLOAD) {
		s->others++;
		return 0;
	}
	if (s->n == MAX_EVENTS || len > sizeof(struct payload_event) + INSPECT_PACKET_BYTES_MAX)
		return -E2BIG;
	memcpy(&s->ev[s->n], data, sizeof(struct payload_event));
	memcpy(s->data[s->n], (const uint8_t *)data + sizeof(struct payload_event),
	       len - sizeof(struct payload_event));
	s->size[s->n++] = len;
	return 0;
}

/* Loads the programs with inspect_packets payload packets per flow. */
static int open_with(void **state, __u8 inspect_packets)
{
	struct tracker_opts opts = { .map_entries = 1024,
				     .egress = true,
				     .offline_clock = true,
				     .inspect_packets = inspect_packets,
				     .inspect_bytes = INSPECT_BYTES };
	struct ctx *c;
	int err;

	*state = NULL;
	if (geteuid() != 0) {
		fprintf(stderr, "test_bpf_payload: SKIP: loading BPF programs needs root\n");
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	err = tracker_open(&c->tracker, &opts);
	if (err) {
		fprintf(stderr, "test_bpf_payload: cannot load the BPF programs: %s\n",
			strerror(-err));
		free(c);
		return -1;
	}
	c->ringbuf = ring_buffer__new(tracker_events_fd(c->tracker), collect, &c->seen, NULL);
	if (!c->ringbuf ||
	    ring_buffer__add(c->ringbuf, tracker_payloads_fd(c->tracker), collect, &c->seen))
		return -1;
	tracker_set_clock(c->tracker, 1700000000000000000ULL);
	*state = c;
	return 0;
}

static int setup_two(void **state)
{
	return open_with(state, 2);
}

static int setup_off(void **state)
{
	return open_with(state, 0);
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	if (c) {
		ring_buffer__free(c->ringbuf);
		tracker_close(c->tracker);
		free(c);
	}
	return 0;
}

/* Builds s and runs it through XDP (or tc egress) cut to keep bytes of
 * the frame (0: all). Returns the layout. */
static struct pkt_layout send(struct ctx *c, const struct pkt_spec *s, size_t keep, bool tc)
{
	static uint8_t frame[PKT_MAX_FRAME];
	struct pkt_layout l;
	struct xdp_md xdp = { .ingress_ifindex = LO_IFINDEX };
	struct __sk_buff skb = { .ifindex = LO_IFINDEX };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .repeat = 1);

	assert_int_equal(pkt_build(s, frame, sizeof(frame), &l), 0);
	opts.data_size_in = keep ? keep : l.len;
	if (tc) {
		opts.ctx_in = &skb;
		opts.ctx_size_in = sizeof(skb);
	} else {
		xdp.data_end = opts.data_size_in;
		opts.ctx_in = &xdp;
		opts.ctx_size_in = sizeof(xdp);
	}
	assert_int_equal(bpf_prog_test_run_opts(tc ? tracker_tc_fd(c->tracker) :
						     tracker_xdp_fd(c->tracker),
						&opts),
			 0);
	assert_int_equal(opts.retval, tc ? TC_ACT_OK : XDP_PASS);
	return l;
}

static int ignore_flow(const struct flow_key *key, const struct flow_counters *fc, void *arg)
{
	return 0;
}

/* Drains the flows (their totals into *tot) and takes the events. */
static void drain(struct ctx *c, struct flow_totals *tot)
{
	c->seen.n = c->seen.others = 0;
	assert_int_equal(tracker_drain(c->tracker, ignore_flow, NULL, tot), 0);
	ring_buffer__consume(c->ringbuf);
}

/* Checks event i: its flow's ports, sequence number, that its bytes are
 * the payload's first ones (the frame's from l.hdr_end), and that the event
 * takes no more room than they do. */
static void check_event(const struct ctx *c, int i, const struct pkt_spec *s, uint8_t seq,
			uint16_t len)
{
	const struct payload_event *e = &c->seen.ev[i];
	uint8_t want[INSPECT_PACKET_BYTES_MAX];
	int j;

	for (j = 0; j < len; j++)
		want[j] = (uint8_t)(j * 7 + 3); /* pktbuild's payload pattern */
	assert_int_equal(e->head.kind, FLOW_EVENT_PAYLOAD);
	assert_int_equal(e->head.key.src_port, s->sport);
	assert_int_equal(e->head.key.dst_port, s->dport);
	assert_int_equal(e->head.key.proto, s->proto);
	assert_int_equal(e->seq, seq);
	assert_int_equal(e->len, len);
	assert_int_equal(e->payload_len, s->payload_len);
	assert_int_equal(e->tcp_seq, s->proto == 6 ? (s->tcp_seq ? s->tcp_seq : 1000) : 0);
	assert_int_equal(c->seen.size[i], sizeof(*e) + len);
	assert_memory_equal(c->seen.data[i], want, len);
}

static const struct pkt_spec tcp = {
	.ip_version = 4, .proto = 6, .src = { 10, 0, 0, 1 }, .dst = { 10, 0, 0, 2 },
	.sport = 40000, .dport = 443, .tcp_flags = 0x18,
};

/* A TCP flow: the handshake has no payload; of five payload packets the
 * first two are copied, in order, the second marked last; a drain (a new
 * generation) does not start the count again. */
static void test_first_two_per_flow(void **state)
{
	struct ctx *c = *state;
	struct pkt_spec s = tcp;
	struct flow_totals tot;
	int i;

	if (!c)
		skip();
	s.tcp_flags = 0x02;
	send(c, &s, 0, false);
	s.tcp_flags = 0x10;
	send(c, &s, 0, false);
	s.tcp_flags = 0x18;
	s.payload_len = 100;
	send(c, &s, 0, false);
	s.payload_len = 300;
	for (i = 0; i < 2; i++)
		send(c, &s, 0, false);
	drain(c, &tot);
	assert_int_equal(c->seen.n, 2);
	assert_int_equal(c->seen.others, 1); /* the SYN */
	s.payload_len = 100;
	check_event(c, 0, &s, 0, 100);
	assert_int_equal(c->seen.ev[0].last, 0);
	s.payload_len = 300;
	check_event(c, 1, &s, 1, 300);
	assert_int_equal(c->seen.ev[1].last, 1);
	assert_int_equal(tot.payload_events, 2);
	assert_int_equal(tot.payload_bytes, 100 + 300);
	assert_int_equal(tot.packets, 5);

	for (i = 0; i < 2; i++)
		send(c, &s, 0, false);
	drain(c, &tot);
	assert_int_equal(c->seen.n, 0);
	assert_int_equal(tot.payload_events, 0);
	assert_int_equal(tot.packets, 2);
}

/* Each direction and each flow has its own count; UDP too; the tc egress
 * program copies as XDP does. */
static void test_flows_and_directions(void **state)
{
	struct ctx *c = *state;
	struct pkt_spec a = tcp, b = tcp, u = tcp;
	struct flow_totals tot;

	if (!c)
		skip();
	a.payload_len = 40;
	b.sport = 443;
	b.dport = 40000;
	b.payload_len = 50;
	u.proto = 17;
	u.dport = 53;
	u.payload_len = 30;
	send(c, &a, 0, false);
	send(c, &b, 0, false);
	send(c, &u, 0, false);
	send(c, &a, 0, true);
	drain(c, &tot);
	assert_int_equal(c->seen.n, 4);
	check_event(c, 0, &a, 0, 40);
	check_event(c, 1, &b, 0, 50);
	check_event(c, 2, &u, 0, 30);
	check_event(c, 3, &a, 0, 40);
	assert_int_equal(c->seen.ev[3].head.key.direction, FLOW_DIR_OUT);
}

/* Only what the frame holds is copied; packets without TCP or UDP payload
 * (ICMP, a non-first fragment, a header-only frame) send nothing. */
static void test_what_is_copied(void **state)
{
	struct ctx *c = *state;
	struct pkt_spec s = tcp, v6 = tcp, icmp = tcp, frag = tcp;
	struct pkt_layout l;
	struct flow_totals tot;

	if (!c)
		skip();
	s.payload_len = 500;
	l = send(c, &s, 0, false);
	send(c, &s, l.hdr_end + 20, false); /* the second: cut short */
	drain(c, &tot);
	assert_int_equal(c->seen.n, 2);
	check_event(c, 0, &s, 0, 500);
	check_event(c, 1, &s, 1, 20);

	v6.ip_version = 6;
	v6.src[0] = 0x20;
	v6.dst[0] = 0x20;
	v6.vlans = 2;
	v6.vlan_id[0] = 7;
	v6.vlan_id[1] = 8;
	v6.n_ext = 1;
	v6.ext[0] = 0;
	v6.payload_len = 64;
	send(c, &v6, 0, false);
	icmp.proto = 1;
	icmp.icmp_type = 8;
	icmp.payload_len = 64;
	send(c, &icmp, 0, false);
	frag.proto = 17;
	frag.frag_offset = 10;
	frag.payload_len = 64;
	send(c, &frag, 0, false);
	s.sport = 40001;
	l = send(c, &s, 0, false);
	drain(c, &tot);
	send(c, &s, l.hdr_end, false); /* a new flow, its payload all cut off */
	assert_int_equal(c->seen.n, 2);
	check_event(c, 0, &v6, 0, 64);
	assert_int_equal(c->seen.ev[0].head.key.vlan, 7);
	assert_int_equal(c->seen.ev[1].head.key.src_port, 40001);
	drain(c, &tot);
	assert_int_equal(c->seen.n, 0);
	assert_int_equal(tot.packets, 1);
}

/* Under PPPoE (here inside QinQ) the payload starts past the PPPoE header;
 * the payload length of an IPv4 packet whose total length is 0 (TSO) is
 * what the frame, or PPPoE's length, leaves after the headers. */
static void test_pppoe_and_tso(void **state)
{
	struct ctx *c = *state;
	struct pkt_spec p = tcp, t = tcp, u = tcp;
	struct flow_totals tot;

	if (!c)
		skip();
	p.pppoe = true;
	p.vlans = 2;
	p.vlan_tpid[0] = 0x88a8;
	p.vlan_id[0] = 300;
	p.vlan_id[1] = 12;
	p.payload_len = 100;
	t.sport = 40002;
	t.len_zero = true;
	t.payload_len = 1000;
	u.proto = 17;
	u.dport = 53;
	u.pppoe = true;
	u.len_zero = true;
	u.payload_len = 30;
	send(c, &p, 0, false);
	send(c, &t, 0, false);
	send(c, &u, 0, true);
	drain(c, &tot);
	assert_int_equal(tot.malformed, 0);
	assert_int_equal(c->seen.n, 3);
	check_event(c, 0, &p, 0, 100);
	assert_int_equal(c->seen.ev[0].head.key.vlan, 300);
	check_event(c, 1, &t, 0, INSPECT_BYTES);
	assert_int_equal(c->seen.ev[1].last, 1); /* the budget is spent */
	check_event(c, 2, &u, 0, 30);
}

/* The bytes of a flow's copies never exceed its budget: the packet that
 * reaches it is cut there and marked last, and no packet follows; a packet
 * larger than INSPECT_PACKET_BYTES_MAX is cut at it. */
static void test_byte_budget(void **state)
{
	struct ctx *c = *state;
	struct pkt_spec s = tcp;
	struct flow_totals tot;

	if (!c)
		skip();
	s.payload_len = 400;
	s.tcp_seq = 0xfffffff0; /* any value comes through, wrapping ones too */
	send(c, &s, 0, false);
	send(c, &s, 0, false);
	drain(c, &tot);
	assert_int_equal(c->seen.n, 2);
	check_event(c, 0, &s, 0, 400);
	assert_int_equal(c->seen.ev[0].last, 0);
	check_event(c, 1, &s, 1, INSPECT_BYTES - 400);
	assert_int_equal(c->seen.ev[1].last, 1);
	assert_int_equal(tot.payload_bytes, INSPECT_BYTES);
	send(c, &s, 0, false);
	drain(c, &tot);
	assert_int_equal(c->seen.n, 0);
	assert_int_equal(tot.payload_events, 0);
}

/* A flow user space stopped sends nothing more, in this generation or the
 * next; stopping a flow the kernel never inspected is -ENOENT. */
static void test_stop(void **state)
{
	struct ctx *c = *state;
	struct pkt_spec s = tcp, other = tcp;
	struct flow_totals tot;
	struct flow_key key;

	if (!c)
		skip();
	s.payload_len = 10;
	send(c, &s, 0, false);
	drain(c, &tot);
	assert_int_equal(c->seen.n, 1);
	key = c->seen.ev[0].head.key;
	assert_int_equal(tracker_inspect_stop(c->tracker, &key), 0);
	send(c, &s, 0, false);
	send(c, &s, 0, false);
	drain(c, &tot);
	assert_int_equal(c->seen.n, 0);
	assert_int_equal(tot.packets, 2);
	other.sport = 40009;
	key.src_port = 40009;
	assert_int_equal(tracker_inspect_stop(c->tracker, &key), -ENOENT);
	other.payload_len = 10;
	send(c, &other, 0, false);
	drain(c, &tot);
	assert_int_equal(c->seen.n, 1);
}

/* The packets of a TCP flow that end at or before the sequence number user
 * space skips to are not copied and claim nothing of the budget; one that
 * ends past it is copied whole. */
static void test_skip(void **state)
{
	struct ctx *c = *state;
	struct pkt_spec s = tcp;
	struct flow_totals tot;
	struct flow_key key;

	if (!c)
		skip();
	s.payload_len = 100;
	s.tcp_seq = 5000;
	send(c, &s, 0, false);
	drain(c, &tot);
	assert_int_equal(c->seen.n, 1);
	key = c->seen.ev[0].head.key;
	assert_int_equal(tracker_inspect_skip(c->tracker, &key, 5300), 0);
	s.tcp_seq = 5100;
	send(c, &s, 0, false);
	s.tcp_seq = 5200; /* ends at 5300: skipped too */
	send(c, &s, 0, false);
	drain(c, &tot);
	assert_int_equal(c->seen.n, 0);
	assert_int_equal(tot.packets, 2);
	s.tcp_seq = 5250; /* ends past it */
	send(c, &s, 0, false);
	drain(c, &tot);
	assert_int_equal(c->seen.n, 1);
	check_event(c, 0, &s, 1, 100); /* the second copy of the flow */
	assert_int_equal(c->seen.ev[0].last, 1); /* the budget of two is spent */
}

/* With inspection off nothing is copied, and the count stays zero. */
static void test_off(void **state)
{
	struct ctx *c = *state;
	struct pkt_spec s = tcp;
	struct flow_totals tot;

	if (!c)
		skip();
	s.payload_len = 100;
	send(c, &s, 0, false);
	send(c, &s, 0, true);
	drain(c, &tot);
	assert_int_equal(c->seen.n, 0);
	assert_int_equal(tot.payload_events, 0);
	assert_int_equal(tot.packets, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_two_per_flow, setup_two, teardown),
		cmocka_unit_test_setup_teardown(test_flows_and_directions, setup_two, teardown),
		cmocka_unit_test_setup_teardown(test_what_is_copied, setup_two, teardown),
		cmocka_unit_test_setup_teardown(test_pppoe_and_tso, setup_two, teardown),
		cmocka_unit_test_setup_teardown(test_byte_budget, setup_two, teardown),
		cmocka_unit_test_setup_teardown(test_stop, setup_two, teardown),
		cmocka_unit_test_setup_teardown(test_skip, setup_two, teardown),
		cmocka_unit_test_setup_teardown(test_off, setup_off, teardown),
	};

	return cmocka_run_group_tests_name("bpf_payload", tests, NULL, NULL);
}
