// SPDX-License-Identifier: BSD-2-Clause
/* The BPF flow tracker seen from user space: load, attach, drain exactly. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "flowdb.skel.h"
#include "tracker.h"

/* Flows read per batch syscall: large enough that no hash bucket overflows
 * it (-ENOSPC), small enough to stay in cache. */
#define DRAIN_BATCH 4096

struct tracker {
	struct flowdb_bpf *skel;
	int xdp_link_fd; /* -1 when not attached; closing it detaches */
	int ncpus;
	struct flow_totals *percpu; /* ncpus values, for the totals map */
	struct flow_key *keys;
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
	t->xdp_link_fd = -1;
	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus < 0) {
		err = t->ncpus;
		goto cleanup;
	}
	t->percpu = calloc(t->ncpus, sizeof(*t->percpu));
	t->keys = calloc(DRAIN_BATCH, sizeof(*t->keys));
	t->vals = calloc(DRAIN_BATCH, sizeof(*t->vals));
	if (!t->percpu || !t->keys || !t->vals) {
		err = -ENOMEM;
		goto cleanup;
	}

	t->skel = flowdb_bpf__open();
	if (!t->skel) {
		err = -errno;
		goto cleanup;
	}
	t->skel->rodata->offline_clock = opts->offline_clock;
	/* The outer map's inner template keeps its declared size: the kernel
	 * checks hash inner maps for type, key, value and flags only, and
	 * libbpf 1.1 crashes resizing a template. */
	err = bpf_map__set_max_entries(t->skel->maps.flows_0, entries);
	if (!err)
		err = bpf_map__set_max_entries(t->skel->maps.flows_1, entries);
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

void tracker_close(struct tracker *t)
{
	if (!t)
		return;
	if (t->xdp_link_fd >= 0)
		close(t->xdp_link_fd);
	flowdb_bpf__destroy(t->skel);
	free(t->percpu);
	free(t->keys);
	free(t->vals);
	free(t);
}

/* Creates an XDP link with the given XDP_FLAGS_* mode. Returns 0 or -errno. */
static int xdp_link(struct tracker *t, int ifindex, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
	int fd;

	fd = bpf_link_create(tracker_xdp_fd(t), ifindex, BPF_XDP, &opts);
	if (fd < 0)
		return fd;
	t->xdp_link_fd = fd;
	return 0;
}

int tracker_attach_xdp(struct tracker *t, int ifindex, enum tracker_xdp_mode mode)
{
	int err;

	if (t->xdp_link_fd >= 0)
		return -EBUSY;
	switch (mode) {
	case TRACKER_XDP_NATIVE:
		return xdp_link(t, ifindex, XDP_FLAGS_DRV_MODE);
	case TRACKER_XDP_GENERIC:
		return xdp_link(t, ifindex, XDP_FLAGS_SKB_MODE);
	case TRACKER_XDP_AUTO:
		err = xdp_link(t, ifindex, XDP_FLAGS_DRV_MODE);
		if (err == -EOPNOTSUPP || err == -EINVAL)
			err = xdp_link(t, ifindex, XDP_FLAGS_SKB_MODE);
		return err;
	}
	return -EINVAL;
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

void tracker_totals_add(struct flow_totals *sum, const struct flow_totals *add)
{
	sum->packets += add->packets;
	sum->bytes += add->bytes;
	sum->non_ip += add->non_ip;
	sum->malformed += add->malformed;
	sum->truncated += add->truncated;
	sum->map_update_failures += add->map_update_failures;
	sum->events += add->events;
	sum->ringbuf_drops += add->ringbuf_drops;
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

/* Hands every flow of map fd to fn and deletes it. The map is emptied even
 * when fn fails, so that no flow is left behind for a later drain to count
 * against the wrong totals. Returns 0, fn's first error, or -errno. */
static int flows_take(struct tracker *t, int fd, tracker_flow_fn fn, void *arg)
{
	__u32 batch = 0, count, i;
	bool first = true;
	int err, fn_err = 0;

	do {
		count = DRAIN_BATCH;
		err = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &batch, &batch, t->keys,
						      t->vals, &count, NULL);
		if (err && err != -ENOENT)
			return err;
		first = false;
		for (i = 0; i < count; i++) {
			int ret = fn(&t->keys[i], &t->vals[i], arg);

			if (ret && !fn_err)
				fn_err = ret;
		}
	} while (!err);
	return fn_err;
}

int tracker_drain(struct tracker *t, tracker_flow_fn fn, void *arg, struct flow_totals *totals)
{
	__u32 old = t->skel->bss->active_gen & (FLOW_GENERATIONS - 1);
	struct bpf_map *old_map = old ? t->skel->maps.flows_1 : t->skel->maps.flows_0;
	int old_fd = bpf_map__fd(old_map);
	int err;

	__atomic_store_n(&t->skel->bss->active_gen, old ^ 1, __ATOMIC_SEQ_CST);
	/* A map-in-map update returns only after an RCU grace period, so
	 * programs that read the old active_gen have all finished. */
	err = bpf_map_update_elem(bpf_map__fd(t->skel->maps.flow_maps), &old, &old_fd, BPF_ANY);
	if (err)
		return err;
	err = totals_take(t, old, totals);
	if (err)
		return err;
	return flows_take(t, old_fd, fn, arg);
}
