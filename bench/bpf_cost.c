// SPDX-License-Identifier: BSD-2-Clause
/* Per-packet cost of the flow tracker next to an empty XDP program, with
 * payload inspection off and on, measured with BPF_PROG_TEST_RUN in one run,
 * interleaved so noise hits all alike; and what inspection costs a new
 * flow, in time and in ring-buffer bytes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"
#include "pktbuild.h"
#include "tracker.h"

#define REPEAT 1000000
#define ROUNDS 7
#define NEW_FLOWS 10000
/* A ring-buffer record's header, and the alignment of every record. */
#define RINGBUF_HDR 8
#define RINGBUF_ALIGN 8

struct workload {
	const char *name;
	struct pkt_spec spec;
};

static const struct workload workloads[] = {
	{ "ipv4 tcp, one flow",
	  { .ip_version = 4,
	    .proto = 6,
	    .src = { 10, 0, 0, 1 },
	    .dst = { 10, 0, 0, 2 },
	    .sport = 40000,
	    .dport = 443,
	    .tcp_flags = 0x10,
	    .payload_len = 64 } },
	{ "ipv6 udp in 802.1q, one flow",
	  { .ip_version = 6,
	    .proto = 17,
	    .src = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
	    .dst = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 },
	    .sport = 5353,
	    .dport = 53,
	    .vlans = 1,
	    .vlan_id = { 42 },
	    .payload_len = 64 } },
};

/* Returns the kernel's mean ns per run of prog_fd over frame, or -1. */
static double ns_per_packet(int prog_fd, const uint8_t *frame, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len,
		    .repeat = REPEAT);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -1;
	return opts.duration;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sums the ring-buffer bytes the records take. */
static int count_bytes(void *ctx, void *data, size_t len)
{
	*(uint64_t *)ctx += (RINGBUF_HDR + len + RINGBUF_ALIGN - 1) / RINGBUF_ALIGN * RINGBUF_ALIGN;
	return 0;
}

/* Runs NEW_FLOWS frames of distinct flows once each through prog_fd.
 * Returns the kernel's mean ns per packet, or -1. */
static double new_flows_ns(int prog_fd)
{
	struct pkt_spec s = workloads[0].spec;
	uint8_t frame[PKT_MAX_FRAME];
	struct pkt_layout l;
	double total = 0;
	int i;

	for (i = 0; i < NEW_FLOWS; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .repeat = 1);

		s.src[1] = 1; /* away from the workloads above, inspected already */
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

int main(void)
{
	struct tracker_opts off_opts = { .map_entries = 2 * NEW_FLOWS };
	struct tracker_opts on_opts = { .map_entries = 2 * NEW_FLOWS,
					.inspect_packets = INSPECT_PACKETS_DEFAULT,
					.inspect_bytes = INSPECT_BYTES_DEFAULT };
	struct tracker *off = NULL, *on = NULL;
	struct ring_buffer *rb = NULL;
	struct flow_totals tot;
	struct floor_bpf *floor = NULL;
	uint64_t ring_bytes = 0;
	double new_off, new_on;
	size_t w;
	int err = 1;

	if (geteuid() != 0) {
		fprintf(stderr, "bpf_cost: needs root to load BPF programs\n");
		return 1;
	}
	floor = floor_bpf__open_and_load();
	if (!floor || tracker_open(&off, &off_opts) || tracker_open(&on, &on_opts)) {
		fprintf(stderr, "bpf_cost: cannot load the BPF programs\n");
		goto cleanup;
	}
	rb = ring_buffer__new(tracker_events_fd(on), count_bytes, &ring_bytes, NULL);
	if (!rb)
		goto cleanup;
	printf("%-32s %9s %9s %9s %7s %7s\n", "workload (median of 7 x 1e6)", "floor ns",
	       "flowdb ns", "inspect", "ratio", "insp/no");
	for (w = 0; w < sizeof(workloads) / sizeof(workloads[0]); w++) {
		uint8_t frame[PKT_MAX_FRAME];
		double f[ROUNDS], p[ROUNDS], q[ROUNDS];
		struct pkt_layout l;
		int r;

		if (pkt_build(&workloads[w].spec, frame, sizeof(frame), &l))
			goto cleanup;
		for (r = 0; r < ROUNDS; r++) {
			f[r] = ns_per_packet(bpf_program__fd(floor->progs.xdp_floor), frame, l.len);
			p[r] = ns_per_packet(tracker_xdp_fd(off), frame, l.len);
			q[r] = ns_per_packet(tracker_xdp_fd(on), frame, l.len);
			if (f[r] < 0 || p[r] < 0 || q[r] < 0) {
				fprintf(stderr, "bpf_cost: test run failed: %s\n", strerror(errno));
				goto cleanup;
			}
		}
		qsort(f, ROUNDS, sizeof(f[0]), cmp_double);
		qsort(p, ROUNDS, sizeof(p[0]), cmp_double);
		qsort(q, ROUNDS, sizeof(q[0]), cmp_double);
		printf("%-32s %9.1f %9.1f %9.1f %7.2f %7.2f\n", workloads[w].name, f[ROUNDS / 2],
		       p[ROUNDS / 2], q[ROUNDS / 2], p[ROUNDS / 2] / f[ROUNDS / 2],
		       q[ROUNDS / 2] / p[ROUNDS / 2]);
		if (tracker_drain(off, drain_nothing, NULL, &tot) ||
		    tracker_drain(on, drain_nothing, NULL, &tot))
			goto cleanup;
	}
	ring_buffer__consume(rb);
	ring_bytes = 0;
	new_off = new_flows_ns(tracker_xdp_fd(off));
	new_on = new_flows_ns(tracker_xdp_fd(on));
	if (new_off < 0 || new_on < 0 || tracker_drain(on, drain_nothing, NULL, &tot))
		goto cleanup;
	ring_buffer__consume(rb);
	printf("%-32s %9s %9.1f %9.1f %7s %7.2f\n", "new flow, 200 B payload (1e4)", "-",
	       new_off, new_on, "-", new_on / new_off);
	printf("inspection: %llu payload events for %llu new flows, %.0f ring-buffer bytes per new "
	       "flow (%d bytes copied of each packet)\n",
	       (unsigned long long)tot.payload_events, (unsigned long long)tot.new_flows,
	       (double)ring_bytes / tot.new_flows, INSPECT_BYTES_DEFAULT);
	err = 0;
cleanup:
	ring_buffer__free(rb);
	tracker_close(off);
	tracker_close(on);
	floor_bpf__destroy(floor);
	return err;
}
