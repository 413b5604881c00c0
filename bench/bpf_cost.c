// SPDX-License-Identifier: BSD-2-Clause
/* Per-packet cost of the flow tracker next to an empty XDP program, measured
 * with BPF_PROG_TEST_RUN in one run, interleaved so noise hits both alike. */
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

static int drain_nothing(const struct flow_key *k, const struct flow_counters *c, void *arg)
{
	return 0;
}

int main(void)
{
	struct tracker_opts topts = { 0 };
	struct flow_totals tot;
	struct tracker *t = NULL;
	struct floor_bpf *floor = NULL;
	size_t w;
	int err = 1;

	if (geteuid() != 0) {
		fprintf(stderr, "bpf_cost: needs root to load BPF programs\n");
		return 1;
	}
	floor = floor_bpf__open_and_load();
	if (!floor || tracker_open(&t, &topts)) {
		fprintf(stderr, "bpf_cost: cannot load the BPF programs\n");
		goto cleanup;
	}
	printf("%-32s %12s %12s %8s\n", "workload (median of 7 x 1e6)", "floor ns", "flowdb ns",
	       "ratio");
	for (w = 0; w < sizeof(workloads) / sizeof(workloads[0]); w++) {
		uint8_t frame[PKT_MAX_FRAME];
		double f[ROUNDS], p[ROUNDS];
		struct pkt_layout l;
		int r;

		if (pkt_build(&workloads[w].spec, frame, sizeof(frame), &l))
			goto cleanup;
		for (r = 0; r < ROUNDS; r++) {
			f[r] = ns_per_packet(bpf_program__fd(floor->progs.xdp_floor), frame, l.len);
			p[r] = ns_per_packet(tracker_xdp_fd(t), frame, l.len);
			if (f[r] < 0 || p[r] < 0) {
				fprintf(stderr, "bpf_cost: test run failed: %s\n", strerror(errno));
				goto cleanup;
			}
		}
		qsort(f, ROUNDS, sizeof(f[0]), cmp_double);
		qsort(p, ROUNDS, sizeof(p[0]), cmp_double);
		printf("%-32s %12.1f %12.1f %8.2f\n", workloads[w].name, f[ROUNDS / 2],
		       p[ROUNDS / 2], p[ROUNDS / 2] / f[ROUNDS / 2]);
		if (tracker_drain(t, drain_nothing, NULL, &tot))
			goto cleanup;
	}
	err = 0;
cleanup:
	tracker_close(t);
	floor_bpf__destroy(floor);
	return err;
}
