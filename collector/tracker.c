// SPDX-License-Identifier: BSD-2-Clause
/* The BPF flow tracker seen from user space: load, attach, drain exactly. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "flowdb.skel.h"
#include "tracker.h"

/* tcx links (Linux 6.6) postdate the UAPI headers of Debian 12; the value is
 * fixed ABI (enum bpf_attach_type). */
#define ATTACH_TCX_EGRESS 47
/* Our netlink tc filter, where tcx is missing: a fixed handle and priority,
 * so that a later collector replaces a stale one instead of stacking. */
#define TC_FILTER_HANDLE 0xf10d
#define TC_FILTER_PRIORITY 0xf10d

/* Flows read per batch syscall: large enough that no hash bucket overflows
 * it (-ENOSPC), small enough to stay in cache. */
#define DRAIN_BATCH 4096

struct tracker {
	struct flowdb_bpf *skel;
	int link_fds[TRACKER_MAX_LINKS]; /* XDP and tcx links: closing detaches */
	int n_links;
	int tc_filter_ifindex[TRACKER_MAX_LINKS]; /* netlink filters to remove */
	int n_tc_filters;
	int ncpus;
	bool sequential; /* programs run only through tracker_run_xdp(), in turn */
	struct flow_totals *percpu; /* ncpus values, for the totals map */
	struct flow_key *keys;
	struct flow_key4 *keys4;
	struct flow_counters *vals;
};

int tracker_open(struct tracker **out, const struct tracker_opts *opts)
{
	__u32 entries = opts->map_entries ? opts->map_entries : FLOW_MAP_DEFAULT_ENTRIES;
	struct tracker *t;
	int err;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus < 0) {
		err = t->ncpus;
		goto cleanup;
	}
	t->percpu = calloc(t->ncpus, sizeof(*t->percpu));
	t->keys = calloc(DRAIN_BATCH, sizeof(*t->keys));
	t->keys4 = calloc(DRAIN_BATCH, sizeof(*t->keys4));
	t->vals = calloc(DRAIN_BATCH, sizeof(*t->vals));
	if (!t->percpu || !t->keys || !t->keys4 || !t->vals) {
		err = -ENOMEM;
		goto cleanup;
	}

	t->skel = flowdb_bpf__open();
	if (!t->skel) {
		err = -errno;
		goto cleanup;
	}
	t->skel->rodata->offline_clock = opts->offline_clock;
	t->skel->rodata->inspect_packets = opts->inspect_packets;
	t->skel->rodata->inspect_bytes = opts->inspect_bytes ? opts->inspect_bytes : INSPECT_BYTES_DEFAULT;
	t->sequential = opts->sequential;
	bpf_program__set_autoload(t->skel->progs.flowdb_tc_egress, opts->egress);
	/* The outer map's inner template keeps its declared size: the kernel
	 * checks hash inner maps for type, key, value and flags only, and
	 * libbpf 1.1 crashes resizing a template. */
	err = bpf_map__set_max_entries(t->skel->maps.flows4_0, entries);
	if (!err)
		err = bpf_map__set_max_entries(t->skel->maps.flows4_1, entries);
	if (!err)
		err = bpf_map__set_max_entries(t->skel->maps.flows6_0, entries);
	if (!err)
		err = bpf_map__set_max_entries(t->skel->maps.flows6_1, entries);
	if (!err)
		err = bpf_map__set_max_entries(t->skel->maps.inspect_seen, entries);
	if (err)
		goto cleanup;
	err = flowdb_bpf__load(t->skel);
	if (err)
		goto cleanup;
	*out = t;
	return 0;

cleanup:
	tracker_close(t);
	return err;
}

/* A tc hook on ifindex's clsact egress, with our filter's identity. */
static void tc_filter_ids(int ifindex, struct bpf_tc_hook *hook, struct bpf_tc_opts *opts)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = ifindex;
	hook->attach_point = BPF_TC_EGRESS;
	memset(opts, 0, sizeof(*opts));
	opts->sz = sizeof(*opts);
	opts->handle = TC_FILTER_HANDLE;
	opts->priority = TC_FILTER_PRIORITY;
}

void tracker_detach(struct tracker *t)
{
	struct bpf_tc_opts opts;
	struct bpf_tc_hook hook;
	int i;

	for (i = 0; i < t->n_links; i++)
		close(t->link_fds[i]);
	t->n_links = 0;
	for (i = 0; i < t->n_tc_filters; i++) {
		tc_filter_ids(t->tc_filter_ifindex[i], &hook, &opts);
		bpf_tc_detach(&hook, &opts);
	}
	t->n_tc_filters = 0;
}

void tracker_close(struct tracker *t)
{
	if (!t)
		return;
	tracker_detach(t);
	flowdb_bpf__destroy(t->skel);
	free(t->percpu);
	free(t->keys);
	free(t->keys4);
	free(t->vals);
	free(t);
}

/* Creates a link of attach_type from prog_fd to ifindex and keeps it.
 * Returns 0 or -errno. */
static int link_add(struct tracker *t, int prog_fd, int ifindex, int attach_type, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
	int fd;

	if (t->n_links == TRACKER_MAX_LINKS)
		return -E2BIG;
	fd = bpf_link_create(prog_fd, ifindex, attach_type, &opts);
	if (fd < 0)
		return fd;
	t->link_fds[t->n_links++] = fd;
	return 0;
}

int tracker_attach_xdp(struct tracker *t, int ifindex, enum tracker_xdp_mode mode)
{
	int fd = tracker_xdp_fd(t), err;

	switch (mode) {
	case TRACKER_XDP_NATIVE:
		return link_add(t, fd, ifindex, BPF_XDP, XDP_FLAGS_DRV_MODE);
	case TRACKER_XDP_GENERIC:
		return link_add(t, fd, ifindex, BPF_XDP, XDP_FLAGS_SKB_MODE);
	case TRACKER_XDP_AUTO:
		err = link_add(t, fd, ifindex, BPF_XDP, XDP_FLAGS_DRV_MODE);
		if (err == -EOPNOTSUPP || err == -EINVAL)
			err = link_add(t, fd, ifindex, BPF_XDP, XDP_FLAGS_SKB_MODE);
		return err;
	}
	return -EINVAL;
}

int tracker_attach_tc_egress(struct tracker *t, int ifindex)
{
	struct bpf_tc_opts opts;
	struct bpf_tc_hook hook;
	int err;

	/* A filter a killed collector left behind would count egress twice. */
	tc_filter_ids(ifindex, &hook, &opts);
	bpf_tc_detach(&hook, &opts);

	err = link_add(t, tracker_tc_fd(t), ifindex, ATTACH_TCX_EGRESS, 0);
	if (err != -EINVAL)
		return err;
	/* Before Linux 6.6: a netlink filter, which outlives a killed process
	 * until the next collector replaces it. */
	if (t->n_tc_filters == TRACKER_MAX_LINKS)
		return -E2BIG;
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	opts.prog_fd = tracker_tc_fd(t);
	opts.flags = BPF_TC_F_REPLACE;
	err = bpf_tc_attach(&hook, &opts);
	if (err)
		return err;
	t->tc_filter_ifindex[t->n_tc_filters++] = ifindex;
	return 0;
}

int tracker_xdp_fd(const struct tracker *t)
{
	return bpf_program__fd(t->skel->progs.flowdb_xdp);
}

int tracker_tc_fd(const struct tracker *t)
{
	return bpf_program__fd(t->skel->progs.flowdb_tc_egress);
}

int tracker_events_fd(const struct tracker *t)
{
	return bpf_map__fd(t->skel->maps.events);
}

void tracker_set_clock(struct tracker *t, __u64 ns)
{
	t->skel->bss->offline_now_ns = ns;
}

int tracker_run_xdp(struct tracker *t, const void *frame, __u32 len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len, .repeat = 1);

	if (len < TRACKER_FRAME_MIN || len > TRACKER_FRAME_MAX)
		return -EMSGSIZE;
	return bpf_prog_test_run_opts(tracker_xdp_fd(t), &opts) ? -errno : 0;
}

void tracker_totals_add(struct flow_totals *sum, const struct flow_totals *add)
{
	sum->packets += add->packets;
	sum->bytes += add->bytes;
	sum->non_ip += add->non_ip;
	sum->malformed += add->malformed;
	sum->truncated += add->truncated;
	sum->map_update_failures += add->map_update_failures;
	sum->new_flows += add->new_flows;
	sum->events += add->events;
	sum->ringbuf_drops += add->ringbuf_drops;
	sum->payload_events += add->payload_events;
	sum->payload_bytes += add->payload_bytes;
}

int tracker_pending_flows(struct tracker *t, __u64 *flows)
{
	__u32 gen = t->skel->bss->active_gen & (FLOW_GENERATIONS - 1);
	int err, cpu;

	err = bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.totals), &gen, t->percpu);
	if (err)
		return err;
	*flows = 0;
	for (cpu = 0; cpu < t->ncpus; cpu++)
		*flows += t->percpu[cpu].new_flows;
	return 0;
}

/* Sums and zeroes generation gen of the per-CPU totals. Returns 0 or -errno. */
static int totals_take(struct tracker *t, __u32 gen, struct flow_totals *sum)
{
	int fd = bpf_map__fd(t->skel->maps.totals);
	int err, cpu;

	err = bpf_map_lookup_elem(fd, &gen, t->percpu);
	if (err)
		return err;
	memset(sum, 0, sizeof(*sum));
	for (cpu = 0; cpu < t->ncpus; cpu++)
		tracker_totals_add(sum, &t->percpu[cpu]);
	memset(t->percpu, 0, t->ncpus * sizeof(*t->percpu));
	return bpf_map_update_elem(fd, &gen, t->percpu, BPF_ANY);
}

/* The whole key of an IPv4 flow stored under its short key. */
static void key4_expand(const struct flow_key4 *k4, struct flow_key *key)
{
	memset(key, 0, sizeof(*key));
	memcpy(key->src_addr, k4->src_addr, sizeof(k4->src_addr));
	memcpy(key->dst_addr, k4->dst_addr, sizeof(k4->dst_addr));
	key->ifindex = k4->ifindex;
	key->src_port = k4->src_port;
	key->dst_port = k4->dst_port;
	key->vlan = k4->vlan;
	key->proto = k4->proto;
	key->ip_version = 4;
	key->direction = k4->direction;
}

/* Hands every flow of map fd to fn and deletes it; short says the map is
 * keyed by struct flow_key4. The map is emptied even when fn fails, so
 * that no flow is left behind for a later drain to count against the wrong
 * totals. Returns 0, fn's first error, or -errno. */
static int flows_take(struct tracker *t, int fd, bool short_keys, tracker_flow_fn fn, void *arg)
{
	void *keys = short_keys ? (void *)t->keys4 : (void *)t->keys;
	__u32 batch = 0, count, i;
	bool first = true;
	int err, fn_err = 0;

	do {
		count = DRAIN_BATCH;
		err = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &batch, &batch, keys,
						      t->vals, &count, NULL);
		if (err && err != -ENOENT)
			return err;
		first = false;
		for (i = 0; i < count; i++) {
			struct flow_key whole;
			int ret;

			if (short_keys)
				key4_expand(&t->keys4[i], &whole);
			ret = fn(short_keys ? &whole : &t->keys[i], &t->vals[i], arg);
			if (ret && !fn_err)
				fn_err = ret;
		}
	} while (!err);
	return fn_err;
}

int tracker_drain(struct tracker *t, tracker_flow_fn fn, void *arg, struct flow_totals *totals)
{
	__u32 old = t->skel->bss->active_gen & (FLOW_GENERATIONS - 1);
	struct bpf_map *old4 = old ? t->skel->maps.flows4_1 : t->skel->maps.flows4_0;
	struct bpf_map *old6 = old ? t->skel->maps.flows6_1 : t->skel->maps.flows6_0;
	int old4_fd = bpf_map__fd(old4);
	int err, err6;

	__atomic_store_n(&t->skel->bss->active_gen, old ^ 1, __ATOMIC_SEQ_CST);
	/* A map-in-map update returns only after an RCU grace period, so
	 * programs that read the old active_gen have all finished, with both
	 * flow maps. When no program runs but the test runs this thread makes,
	 * one by one, the wait (milliseconds, per flush) buys nothing. */
	if (!t->sequential) {
		err = bpf_map_update_elem(bpf_map__fd(t->skel->maps.flow_maps4), &old, &old4_fd,
					  BPF_ANY);
		if (err)
			return err;
	}
	err = totals_take(t, old, totals);
	if (err)
		return err;
	err = flows_take(t, old4_fd, true, fn, arg);
	err6 = flows_take(t, bpf_map__fd(old6), false, fn, arg);
	return err ? err : err6;
}
