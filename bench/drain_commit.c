// SPDX-License-Identifier: BSD-2-Clause
/* Drain-and-commit cost of the collector's flush path at 100,000 and
 * 1,000,000 flows, and its peak memory with 1,000,000 flows open. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "flowtable.h"
#include "pktbuild.h"
#include "store.h"
#include "tracker.h"

#define USEC 1000000ULL

struct ctx {
	struct flowtable *ft;
	struct store *st;
	uint64_t packets;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
	long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%*s %ld", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

static int on_flow(const struct flow_key *k, const struct flow_counters *c, void *arg)
{
	struct ctx *x = arg;
	uint64_t t = 1795348800 * USEC;

	x->packets += c->packets;
	return flowtable_add(x->ft, k, c->packets, c->bytes, c->tcp_flags, t, t);
}

static int on_record(const struct flow_record *r, void *arg)
{
	struct ctx *x = arg;

	return store_add_flow(x->st, r, "eth0");
}

/* Puts n distinct IPv4 UDP flows into the active generation. */
static int fill(struct tracker *t, uint32_t n)
{
	struct pkt_spec s = { .ip_version = 4,
			      .proto = 17,
			      .dst = { 192, 0, 2, 1 },
			      .dport = 53,
			      .payload_len = 32 };
	uint8_t frame[128];
	struct pkt_layout l;
	uint32_t i;

	for (i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .repeat = 1);

		s.src[0] = 10;
		s.src[1] = i >> 16;
		s.src[2] = i >> 8;
		s.src[3] = i;
		s.sport = 1024 + (i & 0x3fff);
		if (pkt_build(&s, frame, sizeof(frame), &l))
			return -EINVAL;
		opts.data_size_in = l.len;
		if (bpf_prog_test_run_opts(tracker_xdp_fd(t), &opts))
			return -errno;
	}
	return 0;
}

/* One measured flush of n flows. Returns 0 or a negative errno. */
static int measure(uint32_t n, const char *dir)
{
	struct tracker_opts to = { .map_entries = n + n / 2 };
	struct flowtable_opts fo = { 15 * USEC, 60 * USEC, 2 * USEC };
	struct store_opts so = { .dir = dir,
				 .rotate_interval_us = 3600 * USEC,
				 .hostname = "bench",
				 .interfaces = "eth0",
				 .collector_version = "bench" };
	struct store_stats stats = { .time_us = 1795348800 * USEC };
	struct ctx x = { 0 };
	struct flow_totals tot;
	struct tracker *t = NULL;
	double t0, t1, t2, t3;
	long rss_before, rss_open;
	int err;

	err = tracker_open(&t, &to);
	if (!err)
		err = flowtable_new(&x.ft, &fo);
	if (!err)
		err = store_open(&x.st, &so);
	if (!err)
		err = fill(t, n);
	if (err)
		goto cleanup;
	rss_before = rss_kib();
	t0 = now_s();
	err = tracker_drain(t, on_flow, &x, &tot);
	t1 = now_s();
	rss_open = rss_kib();
	if (!err && x.packets != n)
		err = -EIO;
	if (!err)
		err = flowtable_end_all(x.ft, on_record, &x) == (int)n ? 0 : -EIO;
	t2 = now_s();
	if (!err)
		err = store_flush(x.st, &stats);
	t3 = now_s();
	if (err)
		goto cleanup;
	printf("%9u flows: drain+merge %7.3f s, end+buffer %7.3f s, commit %7.3f s, total %7.3f s"
	       " (%.0f rows/s); %ld MiB more with them open\n",
	       n, t1 - t0, t2 - t1, t3 - t2, t3 - t0, n / (t3 - t2),
	       (rss_open - rss_before) / 1024);
cleanup:
	store_close(x.st);
	flowtable_free(x.ft);
	tracker_close(t);
	return err;
}

int main(void)
{
	static const uint32_t sizes[] = { 100000, 1000000 };
	char dir[] = "/tmp/flowdb-bench-XXXXXX";
	struct rusage ru;
	size_t i;
	int err = 0;

	if (geteuid() != 0) {
		fprintf(stderr, "drain_commit: needs root to load BPF programs\n");
		return 1;
	}
	if (!mkdtemp(dir))
		return 1;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && !err; i++) {
		char sub[64];

		snprintf(sub, sizeof(sub), "%s/%u", dir, sizes[i]);
		err = measure(sizes[i], sub);
		if (err)
			fprintf(stderr, "drain_commit: %u flows: %s\n", sizes[i], strerror(-err));
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS of the whole run: %ld MiB\n", ru.ru_maxrss / 1024);
	if (system("rm -rf /tmp/flowdb-bench-*") != 0)
		err = -EIO;
	return err ? 1 : 0;
}
