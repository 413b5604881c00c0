// SPDX-License-Identifier: BSD-2-Clause
/* Per-packet cost of the flow tracker, measured with BPF_PROG_TEST_RUN in
 * one run, interleaved so that noise hits all alike, next to an empty XDP
 * program (the floor) and a minimal reference (5-tuple, one LRU hash update),
 * on one hot flow and on many flows; what payload inspection costs a new
 * flow, in time and in ring-buffer bytes; and what a policy costs a packet
 * with 0 to a million block entries, hit and missed, next to Debian's
 * xdp-filter when bench/policy_xdp_filter.sh hands over its program. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"
#include "pktbuild.h"
#include "ref.skel.h"
#include "spread.skel.h"
#include "tracker.h"

#define REPEAT 1000000
#define ROUNDS 7
#define MANY_FLOWS 1000000
/* Room above MANY_FLOWS, so that the LRU maps never need to evict. */
#define MAP_ENTRIES (1 << 20)
#define NEW_FLOWS 10000
/* A prime that divides no flow count used here: consecutive runs land on
 * flows far apart, all of them in turn. */
#define SCATTER_STEP 2654435761u
/* A ring-buffer record's header, and the alignment of every record. */
#define RINGBUF_HDR 8
#define RINGBUF_ALIGN 8
/* Copies per flow of the tracker with inspection: see bench_open(). */
#define ESTABLISHED_BUDGET 2
/* flowdb's cost over the reference's that the issue allows. */
#define TARGET_RATIO 1.3
/* Block entries of the policy measurements: room for the largest and for
 * the entry added and removed to time live changes. */
#define POLICY_ENTRIES_MAX 1000000
#define POLICY_SLOTS (POLICY_ENTRIES_MAX + 16)
/* One entry in PREFIX_EVERY is a /24 network, the others single hosts. */
#define PREFIX_EVERY 4

enum prog { PROG_FLOOR, PROG_REF, PROG_FLOWDB, PROG_INSPECT, PROGS };

static const char *const prog_names[PROGS] = { "empty", "reference", "flowdb", "+inspect" };

struct workload {
	const char *name;
	struct pkt_spec spec;
	__u32 flows; /* 1: the frame as built; more: spread over that many */
	__u32 step;
};

static const struct pkt_spec ipv4_tcp = {
	.ip_version = 4,
	.proto = 6,
	.src = { 10, 0, 0, 1 },
	.dst = { 10, 0, 0, 2 },
	.sport = 40000,
	.dport = 443,
	.tcp_flags = 0x10,
	.payload_len = 64,
};

static const struct pkt_spec ipv6_udp_vlan = {
	.ip_version = 6,
	.proto = 17,
	.src = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
	.dst = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 },
	.sport = 5353,
	.dport = 53,
	.vlans = 1,
	.vlan_id = { 42 },
	.payload_len = 64,
};

static const struct workload workloads[] = {
	{ "ipv4 tcp, one flow", ipv4_tcp, 1, 1 },
	{ "ipv4 tcp, 10,000 flows in turn", ipv4_tcp, 10000, 1 },
	{ "ipv4 tcp, 1e6 flows scattered", ipv4_tcp, MANY_FLOWS, SCATTER_STEP },
	{ "ipv6 udp in 802.1q, one flow", ipv6_udp_vlan, 1, 1 },
};

struct bench {
	struct floor_bpf *floor;
	struct ref_bpf *ref;
	struct spread_bpf *spread;
	struct tracker *off, *on;
	int fds[PROGS];
};

/* Runs prog_fd REPEAT times over frame. Returns the kernel's mean ns per
 * run, or -1 with errno set. */
static double ns_per_packet(int prog_fd, const uint8_t *frame, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len,
		    .repeat = REPEAT);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -1;
	return opts.duration;
}

/* Runs prog_fd behind the spread program, which makes each run a packet of
 * the next of w's flows, the source address rewritten at addr_off. Returns
 * the mean ns per run, the rewrite and the tail call included, or -1. */
static double ns_spread(struct bench *b, int prog_fd, const struct workload *w, size_t addr_off,
			const uint8_t *frame, size_t len)
{
	__u32 slot = 0;

	if (bpf_map_update_elem(bpf_map__fd(b->spread->maps.target), &slot, &prog_fd, BPF_ANY))
		return -1;
	b->spread->bss->flows = w->flows;
	b->spread->bss->step = w->step;
	b->spread->bss->addr_off = addr_off;
	b->spread->bss->runs = 0;
	return ns_per_packet(bpf_program__fd(b->spread->progs.spread_xdp), frame, len);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	return v[n / 2];
}

/* Sums the ring-buffer bytes the records take. */
static int count_bytes(void *ctx, void *data, size_t len)
{
	*(uint64_t *)ctx += (RINGBUF_HDR + len + RINGBUF_ALIGN - 1) / RINGBUF_ALIGN * RINGBUF_ALIGN;
	return 0;
}

/* Runs NEW_FLOWS frames of distinct flows once each through prog_fd, one
 * test run per frame. Returns the kernel's mean ns per packet, or -1. */
static double new_flows_ns(int prog_fd)
{
	struct pkt_spec s = ipv4_tcp;
	uint8_t frame[PKT_MAX_FRAME];
	struct pkt_layout l;
	double total = 0;
	int i;

	for (i = 0; i < NEW_FLOWS; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .repeat = 1);

		s.src[0] = 172; /* away from the workloads above, inspected already */
		s.src[2] = i >> 8;
		s.src[3] = i;
		s.payload_len = 200;
		if (pkt_build(&s, frame, sizeof(frame), &l))
			return -1;
		opts.data_size_in = l.len;
		if (bpf_prog_test_run_opts(prog_fd, &opts))
			return -1;
		total += opts.duration;
	}
	return total / NEW_FLOWS;
}

static int drain_nothing(const struct flow_key *k, const struct flow_counters *c, void *arg)
{
	return 0;
}

/* Opens and loads everything, the maps sized for MANY_FLOWS. Returns 0 or
 * a negative errno. */
static int bench_open(struct bench *b)
{
	struct tracker_opts off_opts = { .map_entries = MAP_ENTRIES };
	/* A budget of two copies: the flows measured are past it after their
	 * first packets, as a flow is once the collector has stopped its
	 * copies (nothing here reads them to stop it); a new flow's first copy
	 * is the same whatever the budget. */
	struct tracker_opts on_opts = { .map_entries = MAP_ENTRIES,
					.inspect_packets = ESTABLISHED_BUDGET,
					.inspect_bytes = INSPECT_BYTES_DEFAULT };
	int err;

	b->floor = floor_bpf__open_and_load();
	b->spread = spread_bpf__open_and_load();
	b->ref = ref_bpf__open();
	if (!b->floor || !b->spread || !b->ref)
		return -errno;
	if (bpf_map__set_max_entries(b->ref->maps.ref_flows4, MAP_ENTRIES) ||
	    bpf_map__set_max_entries(b->ref->maps.ref_flows6, MAP_ENTRIES))
		return -EINVAL;
	err = ref_bpf__load(b->ref);
	if (!err)
		err = tracker_open(&b->off, &off_opts);
	if (!err)
		err = tracker_open(&b->on, &on_opts);
	if (err)
		return err;
	b->fds[PROG_FLOOR] = bpf_program__fd(b->floor->progs.xdp_floor);
	b->fds[PROG_REF] = bpf_program__fd(b->ref->progs.ref_xdp);
	b->fds[PROG_FLOWDB] = tracker_xdp_fd(b->off);
	b->fds[PROG_INSPECT] = tracker_xdp_fd(b->on);
	return 0;
}

static void bench_close(struct bench *b)
{
	tracker_close(b->off);
	tracker_close(b->on);
	spread_bpf__destroy(b->spread);
	ref_bpf__destroy(b->ref);
	floor_bpf__destroy(b->floor);
}

/*
 * Measures every program on w: first one untimed pass, which creates the
 * flows, then ROUNDS interleaved timed passes over existing flows. Spread
 * workloads are shown net of the spreading, which is measured in the same
 * rounds as the spread empty program minus the plain empty one. Returns 0
 * and sets med[] (ns) and *net_drv, or -1.
 */
static int bench_workload(struct bench *b, const struct workload *w, double med[PROGS],
			  double *drv)
{
	double t[PROGS][ROUNDS], direct_floor[ROUNDS];
	uint8_t frame[PKT_MAX_FRAME];
	struct pkt_layout l;
	size_t addr_off;
	int p, r;

	if (pkt_build(&w->spec, frame, sizeof(frame), &l))
		return -1;
	addr_off = l.l3_off + (w->spec.ip_version == 4 ? 12 : 8 + 12);
	for (r = -1; r < ROUNDS; r++) {
		for (p = 0; p < PROGS; p++) {
			double ns = w->flows > 1 ? ns_spread(b, b->fds[p], w, addr_off, frame, l.len) :
						   ns_per_packet(b->fds[p], frame, l.len);

			if (ns < 0)
				return -1;
			if (r >= 0)
				t[p][r] = ns;
		}
		if (r >= 0 && w->flows > 1) {
			direct_floor[r] = ns_per_packet(b->fds[PROG_FLOOR], frame, l.len);
			if (direct_floor[r] < 0)
				return -1;
		}
	}
	*drv = 0;
	if (w->flows > 1)
		*drv = median(t[PROG_FLOOR], ROUNDS) - median(direct_floor, ROUNDS);
	for (p = 0; p < PROGS; p++)
		med[p] = median(t[p], ROUNDS) - *drv;
	return 0;
}

/*
 * Block entry i of the policy measurements, all on the source side: every
 * PREFIX_EVERY-th the /24 number i / PREFIX_EVERY from 12.0.0.0/24 up, the
 * others the single hosts from 11.0.0.0 up, in turn. bench/
 * policy_xdp_filter.sh gives xdp-filter the hosts of the first entries by
 * the same formula.
 */
static void block_entry(__u32 i, struct policy_rule *r)
{
	__u32 n = i / PREFIX_EVERY * (PREFIX_EVERY - 1) + i % PREFIX_EVERY;

	memset(r, 0, sizeof(*r));
	r->kind = POLICY_BLOCK;
	r->origin = POLICY_ORIGIN_CTL;
	r->side = POLICY_SIDE_SRC;
	r->net.family = AF_INET;
	if (i % PREFIX_EVERY == PREFIX_EVERY - 1) {
		n = i / PREFIX_EVERY;
		r->net.bits = 24;
		r->net.addr[0] = 12 + (n >> 16);
		r->net.addr[1] = n >> 8;
		r->net.addr[2] = n;
		return;
	}
	r->net.bits = 32;
	r->net.addr[0] = 11;
	r->net.addr[1] = n >> 16;
	r->net.addr[2] = n >> 8;
	r->net.addr[3] = n;
}

static double mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

enum policy_case { CASE_MISS, CASE_HOST, CASE_NET, CASES };

static const char *const case_names[CASES] = { "miss", "hit host", "hit /24" };

/*
 * Measures, with nblocks entries loaded, flowdb without a policy, and with
 * one on each case's packet (one flow, its source missed, a blocked host,
 * inside a blocked /24), and xdp-filter's program (xf_fd >= 0) on the same
 * packets. ROUNDS interleaved passes; med[case][0] without the policy,
 * [1] with, [2] xdp-filter. Returns 0 or -1.
 */
static int bench_policy(struct bench *b, struct tracker *pol, int xf_fd, double med[CASES][3])
{
	double t[CASES][3][ROUNDS];
	uint8_t frames[CASES][PKT_MAX_FRAME];
	size_t len[CASES];
	int c, r, k;

	for (c = 0; c < CASES; c++) {
		struct pkt_spec s = ipv4_tcp;
		struct pkt_layout l;

		if (c == CASE_HOST)
			memcpy(s.src, (uint8_t[]){ 11, 0, 0, 0 }, 4);
		else if (c == CASE_NET)
			memcpy(s.src, (uint8_t[]){ 12, 0, 0, 7 }, 4);
		if (pkt_build(&s, frames[c], sizeof(frames[c]), &l))
			return -1;
		len[c] = l.len;
	}
	for (r = -1; r < ROUNDS; r++)
		for (c = 0; c < CASES; c++)
			for (k = 0; k < 3; k++) {
				int fd = k == 0 ? b->fds[PROG_FLOWDB] :
					 k == 1 ? tracker_xdp_fd(pol) :
						  xf_fd;
				double ns = fd < 0 ? 0 : ns_per_packet(fd, frames[c], len[c]);

				if (ns < 0)
					return -1;
				if (r >= 0)
					t[c][k][r] = ns;
			}
	for (c = 0; c < CASES; c++)
		for (k = 0; k < 3; k++)
			med[c][k] = median(t[c][k], ROUNDS);
	return 0;
}

/*
 * The policy table: for 0, 1,000, 100,000 and 1,000,000 block entries
 * (added live, one by one, as flowdb-ctl would), the per-packet cost of
 * each case, and how long one more block takes to add and to remove.
 * xf_fd, xf_entries: xdp-filter's program and the entries it holds, or -1.
 */
static int policy_table(struct bench *b, int xf_fd, long xf_entries)
{
	static const __u32 sizes[] = { 0, 1000, 100000, POLICY_ENTRIES_MAX };
	struct tracker_opts opts = { .map_entries = 1024,
				     .policy = true,
				     .policy_max_entries = POLICY_SLOTS };
	struct policy empty = { .mode = POLICY_ENFORCE };
	struct flow_totals tot;
	struct tracker *pol = NULL;
	struct policy_rule extra;
	double med[CASES][3], t0, add_us, del_us, fill_us = 0;
	__u32 have = 0, id;
	size_t i;
	int c, err = -1;

	if (tracker_open(&pol, &opts) || tracker_policy_load(pol, &empty, NULL, NULL))
		goto cleanup;
	printf("\npolicy: per-packet cost, ns, ipv4 tcp one flow; block entries on the source, "
	       "1 in %d a /24, the rest hosts\n",
	       PREFIX_EVERY);
	printf("%-9s %-9s %9s %9s %9s %11s %9s %9s\n", "entries", "packet", "no policy", "policy",
	       "xdp-filter", "fill us/add", "add us", "del us");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct policy_rule r;

		t0 = mono_us();
		for (; have < sizes[i]; have++) {
			block_entry(have, &r);
			if (tracker_block_add(pol, &r, &id))
				goto cleanup;
		}
		if (sizes[i])
			fill_us = (mono_us() - t0) / (sizes[i] - (i ? sizes[i - 1] : 0));
		/* One more, and away again: what flowdb-ctl waits for. */
		block_entry(POLICY_SLOTS - 1, &extra);
		t0 = mono_us();
		if (tracker_block_add(pol, &extra, &id))
			goto cleanup;
		add_us = mono_us() - t0;
		t0 = mono_us();
		if (tracker_block_del(pol, &extra, NULL, NULL, NULL))
			goto cleanup;
		del_us = mono_us() - t0;
		if (bench_policy(b, pol, xf_entries == (long)sizes[i] ? xf_fd : -1, med))
			goto cleanup;
		for (c = 0; c < CASES; c++) {
			printf("%-9u %-9s %9.1f %9.1f ", sizes[i], case_names[c], med[c][0],
			       med[c][1]);
			if (xf_entries == (long)sizes[i] && c != CASE_NET)
				printf("%10.1f", med[c][2]);
			else
				printf("%10s", "-");
			if (c == 0)
				printf(" %11.2f %9.1f %9.1f", fill_us, add_us, del_us);
			printf("\n");
		}
		if (tracker_drain(pol, drain_nothing, NULL, &tot) ||
		    tracker_drain(b->off, drain_nothing, NULL, &tot))
			goto cleanup;
	}
	printf("xdp-filter: %s\n",
	       xf_fd < 0 ? "not measured (run bench/policy_xdp_filter.sh)" :
			   "its program as loaded by xdp-filter (libxdp dispatcher included), "
			   "its ipv4 map holding the hosts of as many entries; it has no prefixes");
	err = 0;
cleanup:
	tracker_close(pol);
	return err;
}

int main(int argc, char **argv)
{
	struct bench b = {};
	struct ring_buffer *rb = NULL;
	struct flow_totals tot;
	uint64_t ring_bytes = 0, created;
	double new_ref, new_off, new_on, med[PROGS], drv;
	size_t w;
	const char *xf_id = getenv("XDP_FILTER_PROG_ID"), *xf_n = getenv("XDP_FILTER_ENTRIES");
	bool policy_only = argc > 1 && !strcmp(argv[1], "--policy-only");
	int p, err = 1, xf_fd = -1;

	if (geteuid() != 0) {
		fprintf(stderr, "bpf_cost: needs root to load BPF programs\n");
		return 1;
	}
	if (bench_open(&b)) {
		fprintf(stderr, "bpf_cost: cannot load the BPF programs: %s\n", strerror(errno));
		goto cleanup;
	}
	rb = ring_buffer__new(tracker_events_fd(b.on), count_bytes, &ring_bytes, NULL);
	if (!rb || ring_buffer__add(rb, tracker_payloads_fd(b.on), count_bytes, &ring_bytes))
		goto cleanup;
	if (xf_id && xf_n) {
		xf_fd = bpf_prog_get_fd_by_id(atoi(xf_id));
		if (xf_fd < 0) {
			fprintf(stderr, "bpf_cost: no program of id %s: %s\n", xf_id, strerror(errno));
			goto cleanup;
		}
	}
	if (policy_only)
		goto policy;
	printf("XDP per-packet cost, ns, BPF_PROG_TEST_RUN, median of %d x %d runs\n", ROUNDS,
	       REPEAT);
	printf("%-31s", "workload");
	for (p = 0; p < PROGS; p++)
		printf(" %9s", prog_names[p]);
	printf(" %9s %9s\n", "flowdb/ref", "+insp/ref");
	for (w = 0; w < sizeof(workloads) / sizeof(workloads[0]); w++) {
		if (bench_workload(&b, &workloads[w], med, &drv)) {
			fprintf(stderr, "bpf_cost: test run failed: %s\n", strerror(errno));
			goto cleanup;
		}
		printf("%-31s", workloads[w].name);
		for (p = 0; p < PROGS; p++)
			printf(" %9.1f", med[p]);
		printf(" %9.2f %9.2f\n", med[PROG_FLOWDB] / med[PROG_REF],
		       med[PROG_INSPECT] / med[PROG_REF]);
		if (drv > 0)
			printf("%-31s (net of %.1f ns of spreading)\n", "", drv);
		if (tracker_drain(b.off, drain_nothing, NULL, &tot))
			goto cleanup;
		created = tot.new_flows;
		if (tracker_drain(b.on, drain_nothing, NULL, &tot))
			goto cleanup;
		/* An evicted flow would be created again in a later round. */
		if (created != workloads[w].flows || tot.new_flows != workloads[w].flows) {
			fprintf(stderr, "bpf_cost: %s: flowdb created %llu and %llu flows, not %u\n",
				workloads[w].name, (unsigned long long)created,
				(unsigned long long)tot.new_flows, workloads[w].flows);
			goto cleanup;
		}
		ring_buffer__consume(rb);
	}
	printf("target: flowdb with inspection at most %.1fx the reference\n", TARGET_RATIO);

	ring_bytes = 0;
	new_ref = new_flows_ns(b.fds[PROG_REF]);
	new_off = new_flows_ns(b.fds[PROG_FLOWDB]);
	new_on = new_flows_ns(b.fds[PROG_INSPECT]);
	if (new_ref < 0 || new_off < 0 || new_on < 0 ||
	    tracker_drain(b.on, drain_nothing, NULL, &tot))
		goto cleanup;
	ring_buffer__consume(rb);
	printf("%-31s %9s %9.1f %9.1f %9.1f %9.2f %9.2f\n", "new flow, 200 B payload (1e4)", "-",
	       new_ref, new_off, new_on, new_off / new_ref, new_on / new_ref);
	printf("inspection: %llu payload events for %llu new flows, %.0f ring-buffer bytes per new "
	       "flow (a budget of %d bytes per flow)\n",
	       (unsigned long long)tot.payload_events, (unsigned long long)tot.new_flows,
	       (double)ring_bytes / tot.new_flows, INSPECT_BYTES_DEFAULT);
policy:
	if (policy_table(&b, xf_fd, xf_fd < 0 ? -1 : atol(xf_n))) {
		fprintf(stderr, "bpf_cost: policy measurements failed: %s\n", strerror(errno));
		goto cleanup;
	}
	err = 0;
cleanup:
	if (xf_fd >= 0)
		close(xf_fd);
	ring_buffer__free(rb);
	bench_close(&b);
	return err;
}
