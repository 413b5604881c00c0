// SPDX-License-Identifier: BSD-2-Clause
/* The BPF flow tracker seen from user space: load, attach, drain exactly,
 * and the policy maps' contents. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
/* tracker.h first: the skeleton names flowdb.h's types. */
#include "tracker.h"
#include "flowdb.skel.h"

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
/* Entries of an inner map template: any few do (inner_template()). */
#define INNER_TEMPLATE_ENTRIES 64

#define NS_PER_S 1000000000ULL
/* The largest bucket (cap_s) the programs' signed differences hold. */
#define LIMIT_CAP_MAX (1ULL << 62)

/* What the tracker remembers of a rule id in a generation: enough to build
 * its map keys again, to delete them and to tell one rule from another. */
struct rule_slot {
	__u8 used;
	__u8 kind; /* POLICY_KEY_ALLOW or _BLOCK; 0 for a limit */
	__u8 side; /* enum policy_side */
	__u8 family; /* 4 or 6 */
	__u8 bits;
	__u8 proto;
	__u16 port;
	__u8 addr[16];
	/* Bit i: the entry of side i (slot_sides()) is this rule's; clear when
	 * an earlier rule of the set has that key (allow src N, then allow N). */
	__u8 owned;
};

/* User space's side of a policy generation. */
struct gen_state {
	struct rule_slot *slots; /* policy_max_entries, by id */
	__u32 entries; /* map entries it has (an allow without side: two) */
	__u32 shape_entries[64]; /* entries per POLICY_SHAPE_BIT bit */
};

struct tracker {
	struct flowdb_bpf *skel;
	int link_fds[TRACKER_MAX_LINKS]; /* XDP and tcx links: closing detaches */
	int n_links;
	int tc_filter_ifindex[TRACKER_MAX_LINKS]; /* netlink filters to remove */
	int n_tc_filters;
	int ncpus;
	bool sequential; /* programs run only through tracker_run_xdp(), in turn */
	/* Offline: the batch for flowdb_xdp_batch, the slot then the frames
	 * queued, and how many frames and how many bytes of them. */
	__u8 batch_buf[FLOW_FRAME_MAX + FLOW_BATCH_BYTES];
	__u32 batch_frames;
	__u32 batch_bytes;
	int template_fds[2]; /* while loading: inner map templates (IPv4, IPv6) */
	struct flow_totals *percpu; /* ncpus values, for the totals map */
	struct flow_key *keys;
	struct flow_key4 *keys4;
	struct flow_counters *vals;
	/* Enforcement, with opts.policy. */
	bool policy;
	__u32 slots; /* rule ids per generation */
	__u32 next_id; /* where the search for a free id starts */
	__u32 epoch; /* loads so far: keys each load's buckets */
	struct gen_state gens[POLICY_GENERATIONS];
	struct policy_counter *counters; /* policy_counters, mapped */
	size_t counters_len;
};

/* Switches enforcement on in the programs and sizes its maps: both
 * generations' entries and counters. Returns 0 or a negative errno. */
static int policy_maps_size(struct tracker *t, const struct tracker_opts *opts)
{
	__u32 buckets = opts->limit_buckets ? opts->limit_buckets : LIMIT_BUCKETS_DEFAULT;
	__u32 both;
	int err;

	if (t->slots > UINT32_MAX / POLICY_GENERATIONS)
		return -E2BIG;
	both = POLICY_GENERATIONS * t->slots;
	t->skel->rodata->policy_enabled = 1;
	t->skel->rodata->policy_rule_slots = t->slots;
	err = bpf_map__set_max_entries(t->skel->maps.policy_hosts, both);
	if (!err)
		err = bpf_map__set_max_entries(t->skel->maps.policy_nets, both);
	if (!err)
		err = bpf_map__set_max_entries(t->skel->maps.policy_counters, both);
	if (!err)
		err = bpf_map__set_max_entries(t->skel->maps.limit_buckets, buckets);
	return err;
}

/* Closes the inner map templates, needed only while loading. */
static void template_close(struct tracker *t)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (t->template_fds[i] >= 0)
			close(t->template_fds[i]);
		t->template_fds[i] = -1;
	}
}

/*
 * Gives outer, a map of maps, a template of INNER_TEMPLATE_ENTRIES entries
 * shaped like its inner map like, in *fd. The kernel checks a hash inner
 * map for type, key, value and flags only; libbpf would otherwise create
 * the template at the declared size, which for an LRU map means
 * allocating and linking every entry: a tenth of a second per map, for a
 * map that is closed at once. Returns 0 or a negative errno.
 */
static int inner_template(struct bpf_map *outer, const struct bpf_map *like, int *fd)
{
	LIBBPF_OPTS(bpf_map_create_opts, create, .map_flags = bpf_map__map_flags(like));

	*fd = bpf_map_create(bpf_map__type(like), NULL, bpf_map__key_size(like),
			     bpf_map__value_size(like), INNER_TEMPLATE_ENTRIES, &create);
	if (*fd < 0) {
		*fd = -1;
		return -errno;
	}
	return bpf_map__set_inner_map_fd(outer, *fd);
}

/*
 * Makes the flow maps plain hash maps that allocate an entry when a flow
 * first needs it. Sequential runs come only from the draining thread,
 * which drains before a map fills (and a map that fills all the same
 * fails the update, counted in map_update_failures as LRU eviction is
 * counted lost): LRU eviction is never needed. An LRU map allocates and
 * links every entry when it is made, and each new flow takes one from its
 * lists under a lock with interrupts off; with plain maps an import can
 * afford maps that hold all the flows of a capture between two drains
 * instead of draining, and creating again, flows that go on. Returns 0
 * or a negative errno.
 */
static int flow_maps_plain(struct flowdb_bpf *skel)
{
	struct bpf_map *maps[] = { skel->maps.flows4_0, skel->maps.flows4_1, skel->maps.flows6_0,
				   skel->maps.flows6_1 };
	size_t i;
	int err = 0;

	for (i = 0; !err && i < sizeof(maps) / sizeof(maps[0]); i++) {
		err = bpf_map__set_type(maps[i], BPF_MAP_TYPE_HASH);
		if (!err)
			err = bpf_map__set_map_flags(maps[i], BPF_F_NO_PREALLOC);
	}
	return err;
}

int tracker_open(struct tracker **out, const struct tracker_opts *opts)
{
	__u32 entries = opts->map_entries ? opts->map_entries : FLOW_MAP_DEFAULT_ENTRIES;
	struct tracker *t;
	int err = 0;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->template_fds[0] = t->template_fds[1] = -1;
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
	t->policy = opts->policy;
	t->slots = opts->policy_max_entries ? opts->policy_max_entries : POLICY_MAX_ENTRIES_DEFAULT;
	if (t->policy) {
		t->gens[0].slots = calloc(t->slots, sizeof(struct rule_slot));
		t->gens[1].slots = calloc(t->slots, sizeof(struct rule_slot));
		if (!t->gens[0].slots || !t->gens[1].slots) {
			err = -ENOMEM;
			goto cleanup;
		}
	}

	t->skel = flowdb_bpf__open();
	if (!t->skel) {
		err = -errno;
		goto cleanup;
	}
	t->skel->rodata->offline_clock = opts->offline_clock;
	t->skel->rodata->inspect_packets = opts->inspect_packets;
	t->skel->rodata->inspect_bytes =
		opts->inspect_bytes ? opts->inspect_bytes : INSPECT_BYTES_DEFAULT;
	t->sequential = opts->sequential;
	bpf_program__set_autoload(t->skel->progs.flowdb_tc_egress, opts->egress);
	bpf_program__set_autoload(t->skel->progs.flowdb_xdp_batch, opts->sequential);
	bpf_program__set_autoload(t->skel->progs.flowdb_xdp, !(opts->sequential && opts->batch_only));
	if (opts->sequential)
		err = flow_maps_plain(t->skel);
	if (!err)
		err = inner_template(t->skel->maps.flow_maps4, t->skel->maps.flows4_0,
				     &t->template_fds[0]);
	if (!err)
		err = inner_template(t->skel->maps.flow_maps6, t->skel->maps.flows6_0,
				     &t->template_fds[1]);
	if (!err)
		err = bpf_map__set_max_entries(t->skel->maps.flows4_0, entries);
	if (!err)
		err = bpf_map__set_max_entries(t->skel->maps.flows4_1, entries);
	if (!err)
		err = bpf_map__set_max_entries(t->skel->maps.flows6_0, entries);
	if (!err)
		err = bpf_map__set_max_entries(t->skel->maps.flows6_1, entries);
	if (!err)
		err = bpf_map__set_max_entries(t->skel->maps.inspect_seen, entries);
	if (!err)
		err = bpf_map__set_max_entries(t->skel->maps.inspect_skip, entries);
	if (!err && t->policy)
		err = policy_maps_size(t, opts);
	if (err)
		goto cleanup;
	err = flowdb_bpf__load(t->skel);
	if (err)
		goto cleanup;
	template_close(t);
	if (t->policy) {
		t->counters_len = (size_t)POLICY_GENERATIONS * t->slots * sizeof(*t->counters);
		t->counters = mmap(NULL, t->counters_len, PROT_READ | PROT_WRITE, MAP_SHARED,
				   bpf_map__fd(t->skel->maps.policy_counters), 0);
		if (t->counters == MAP_FAILED) {
			t->counters = NULL;
			err = -errno;
			goto cleanup;
		}
	}
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
	template_close(t);
	if (t->counters)
		munmap(t->counters, t->counters_len);
	flowdb_bpf__destroy(t->skel);
	free(t->gens[0].slots);
	free(t->gens[1].slots);
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

int tracker_payloads_fd(const struct tracker *t)
{
	return bpf_map__fd(t->skel->maps.payloads);
}

int tracker_inspect_stop(struct tracker *t, const struct flow_key *key)
{
	/* Only claimed moves: the bytes a racing CPU adds meanwhile are lost
	 * with the rest of the budget, as they should be. */
	struct inspect_state st = { .claimed = INSPECT_STOPPED, .bytes = INSPECT_BYTES_MAX };

	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.inspect_seen), key, &st, BPF_EXIST))
		return -errno;
	return 0;
}

int tracker_inspect_skip(struct tracker *t, const struct flow_key *key, __u32 until)
{
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.inspect_skip), key, &until, BPF_ANY))
		return -errno;
	/* The programs look skips up from now on: until the first, they
	 * cost nothing. */
	t->skel->bss->inspect_skipping = 1;
	return 0;
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

int tracker_batch_add(struct tracker *t, const void *frame, __u32 len, __u32 wire_len,
		      __u32 ifindex, __u64 ts_ns)
{
	struct flow_batch_frame *f;

	if (len < TRACKER_FRAME_MIN || len > TRACKER_FRAME_MAX)
		return -EMSGSIZE;
	if (t->batch_frames == FLOW_BATCH_FRAMES_MAX || len > FLOW_BATCH_BYTES - t->batch_bytes)
		return -ENOSPC;
	memcpy(t->batch_buf + FLOW_FRAME_MAX + t->batch_bytes, frame, len);
	t->batch_bytes += len;
	f = &t->skel->bss->offline_batch[t->batch_frames++];
	f->ts_ns = ts_ns;
	f->len = len;
	f->wire_len = wire_len > len ? wire_len : len;
	f->ifindex = ifindex;
	return 0;
}

int tracker_batch_run(struct tracker *t)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 1);
	__u32 n = t->batch_frames;

	if (!n)
		return 0;
	opts.data_in = t->batch_buf;
	opts.data_size_in = FLOW_FRAME_MAX + t->batch_bytes;
	t->batch_frames = t->batch_bytes = 0;
	t->skel->bss->offline_batch_frames = n;
	if (bpf_prog_test_run_opts(bpf_program__fd(t->skel->progs.flowdb_xdp_batch), &opts))
		return -errno;
	/* The frames' lengths are ours and add up: a shortfall is a kernel
	 * whose test runs lay out the data otherwise. */
	return t->skel->bss->offline_batch_done == n ? 0 : -EPROTO;
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
	sum->payload_drops += add->payload_drops;
	sum->payload_events += add->payload_events;
	sum->payload_bytes += add->payload_bytes;
	sum->dropped_packets += add->dropped_packets;
	sum->dropped_bytes += add->dropped_bytes;
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

/* --- enforcement -------------------------------------------------------- */

/* The slot of rule r: its network as the kernel keys it. Returns 0, or
 * -EINVAL for a network of no known family or prefix length. */
static int slot_of(const struct policy_rule *r, struct rule_slot *s)
{
	unsigned int len = r->net.family == AF_INET ? 4 : 16, i;

	memset(s, 0, sizeof(*s));
	if ((r->net.family != AF_INET && r->net.family != AF_INET6) || r->net.bits > len * 8)
		return -EINVAL;
	s->used = 1;
	s->kind = r->kind == POLICY_ALLOW ? POLICY_KEY_ALLOW : POLICY_KEY_BLOCK;
	s->side = r->side;
	s->family = r->net.family == AF_INET ? 4 : 6;
	s->bits = r->net.bits;
	s->proto = r->proto;
	s->port = r->port;
	/* Host bits cleared here too: the trie would never match them. */
	for (i = 0; i < len; i++) {
		unsigned int at = i * 8;

		if (r->net.bits >= at + 8)
			s->addr[i] = r->net.addr[i];
		else if (r->net.bits > at)
			s->addr[i] = r->net.addr[i] & (__u8)(0xff00 >> (r->net.bits - at));
	}
	return 0;
}

/* Whether s is a single host (the hash) rather than a network (the trie). */
static bool slot_is_host(const struct rule_slot *s)
{
	return s->bits == (s->family == 4 ? 32 : 128);
}

/* The (protocol, port) form s names. */
static enum policy_combo slot_combo(const struct rule_slot *s)
{
	if (s->proto)
		return s->port ? POLICY_COMBO_PROTO_PORT : POLICY_COMBO_PROTO;
	return s->port ? POLICY_COMBO_PORT : POLICY_COMBO_ANY;
}

/* The bit index of POLICY_SHAPE_BIT for s on side. */
static int slot_shape(const struct rule_slot *s, __u8 side)
{
	return __builtin_ctzll(
		POLICY_SHAPE_BIT(s->family, s->kind, side, !slot_is_host(s), slot_combo(s)));
}

/* The sides s's map entries are on: one, or both for a rule without. */
static int slot_sides(const struct rule_slot *s, __u8 sides[2])
{
	if (s->side == POLICY_SIDE_SRC || s->side == POLICY_SIDE_DST) {
		sides[0] = s->side == POLICY_SIDE_SRC ? POLICY_KEY_SRC : POLICY_KEY_DST;
		return 1;
	}
	sides[0] = POLICY_KEY_SRC;
	sides[1] = POLICY_KEY_DST;
	return 2;
}

/* s's key in gen on side, and the map it lives in. */
static int slot_key(struct tracker *t, const struct rule_slot *s, __u32 gen, __u8 side,
		    struct policy_key *k)
{
	memset(k, 0, sizeof(*k));
	k->gen = gen;
	k->kind = s->kind;
	k->side = side;
	k->family = s->family;
	k->proto = s->proto;
	k->port = s->port;
	memcpy(k->addr, s->addr, sizeof(k->addr));
	if (slot_is_host(s))
		return bpf_map__fd(t->skel->maps.policy_hosts);
	k->prefixlen = POLICY_KEY_FIXED_BITS + s->bits;
	return bpf_map__fd(t->skel->maps.policy_nets);
}

/* Whether a and b are the same rule for the kernel. */
static bool slot_same(const struct rule_slot *a, const struct rule_slot *b)
{
	return a->kind == b->kind && a->side == b->side && a->family == b->family &&
	       a->bits == b->bits && a->proto == b->proto && a->port == b->port &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* Deletes the map entries of id in gen and forgets it. */
static void slot_remove(struct tracker *t, __u32 gen, __u32 id)
{
	struct gen_state *g = &t->gens[gen];
	struct rule_slot *s = &g->slots[id];
	struct policy_key k;
	__u8 sides[2];
	int i, n, fd;

	if (!s->used)
		return;
	if (s->kind) {
		n = slot_sides(s, sides);
		for (i = 0; i < n; i++) {
			int bit = slot_shape(s, sides[i]);

			if (!(s->owned & 1 << i))
				continue;
			fd = slot_key(t, s, gen, sides[i], &k);
			if (bpf_map_delete_elem(fd, &k))
				continue;
			g->entries--;
			if (--g->shape_entries[bit] == 0)
				__atomic_and_fetch(&t->skel->bss->policy_shapes[gen],
						   ~(1ULL << bit), __ATOMIC_SEQ_CST);
		}
	}
	memset(s, 0, sizeof(*s));
}

/*
 * Puts allow or block s under id into gen: its counters zeroed, then its
 * entries, then its shape bits, so that a packet finds it only whole. A
 * side whose key an earlier rule holds is left to that rule. Returns 0,
 * -EEXIST when every side's key is held already, -E2BIG when gen has no
 * room, or another negative errno; on error nothing of it stays.
 */
static int slot_insert(struct tracker *t, __u32 gen, __u32 id, const struct rule_slot *s)
{
	struct gen_state *g = &t->gens[gen];
	struct policy_value v = { .rule = id };
	struct policy_key k;
	__u8 sides[2];
	int i, n, fd, err;

	n = slot_sides(s, sides);
	if (g->entries + n > t->slots)
		return -E2BIG;
	memset(&t->counters[gen * t->slots + id], 0, sizeof(*t->counters));
	g->slots[id] = *s;
	g->slots[id].owned = 0;
	for (i = 0; i < n; i++) {
		fd = slot_key(t, s, gen, sides[i], &k);
		err = bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST);
		if (err == -EEXIST)
			continue;
		if (err)
			goto cleanup;
		g->slots[id].owned |= 1 << i;
		g->entries++;
		g->shape_entries[slot_shape(s, sides[i])]++;
	}
	if (!g->slots[id].owned) {
		err = -EEXIST;
		goto cleanup;
	}
	for (i = 0; i < n; i++)
		if (g->slots[id].owned & 1 << i)
			__atomic_or_fetch(&t->skel->bss->policy_shapes[gen],
					  1ULL << slot_shape(s, sides[i]), __ATOMIC_SEQ_CST);
	return 0;

cleanup:
	/* Only the entries made so far are this rule's. */
	for (i = 0; i < n; i++) {
		if (!(g->slots[id].owned & 1 << i))
			continue;
		fd = slot_key(t, s, gen, sides[i], &k);
		bpf_map_delete_elem(fd, &k);
		g->entries--;
		g->shape_entries[slot_shape(s, sides[i])]--;
	}
	memset(&g->slots[id], 0, sizeof(g->slots[id]));
	return err;
}

static __u64 gcd(__u64 a, __u64 b)
{
	while (b) {
		__u64 r = a % b;

		a = b;
		b = r;
	}
	return a;
}

/* Fills l from limit rule r with id. Returns 0 or -EINVAL for a rule the
 * programs cannot apply exactly. */
static int limit_of(const struct policy_rule *r, __u32 id, struct policy_limit *l)
{
	__u64 g, burst;

	memset(l, 0, sizeof(*l));
	if (r->net.family || !r->rate || r->limit_bits4 > 32 || r->limit_bits6 > 128 ||
	    (r->unit != POLICY_PPS && r->unit != POLICY_BPS && r->unit != POLICY_SYN))
		return -EINVAL;
	/* Bytes of burst for a rate in bits: the buckets count bits. */
	burst = r->burst;
	if (r->unit == POLICY_BPS) {
		if (burst > UINT64_MAX / 8)
			return -EINVAL;
		burst *= 8;
	}
	if (!burst)
		return -EINVAL;
	g = gcd(r->rate, NS_PER_S);
	l->rule = id;
	l->unit = r->unit;
	l->proto = r->proto;
	l->port = r->port;
	l->bits4 = r->limit_bits4;
	l->bits6 = r->limit_bits6;
	l->rate_s = r->rate / g;
	l->cost_s = NS_PER_S / g;
	if (burst > LIMIT_CAP_MAX / l->cost_s)
		return -EINVAL;
	l->cap_s = burst * l->cost_s;
	l->burst = burst;
	l->full_ns = (l->cap_s + l->rate_s - 1) / l->rate_s;
	return 0;
}

/* Waits until no program that started before still runs: an update of a
 * map-in-map returns after an RCU grace period. Re-setting slot 0 of
 * flow_maps4 to the map it always holds changes nothing else. */
static int programs_settle(struct tracker *t)
{
	int fd = bpf_map__fd(t->skel->maps.flows4_0);
	__u32 slot = 0;

	if (t->sequential)
		return 0;
	return bpf_map_update_elem(bpf_map__fd(t->skel->maps.flow_maps4), &slot, &fd, BPF_ANY);
}

/* Empties generation gen: entries, ids, limits. */
static void gen_clear(struct tracker *t, __u32 gen)
{
	__u32 id;

	for (id = 0; id < t->slots; id++)
		slot_remove(t, gen, id);
	t->gens[gen].entries = 0;
	memset(t->gens[gen].shape_entries, 0, sizeof(t->gens[gen].shape_entries));
	t->skel->bss->policy_shapes[gen] = 0;
	t->skel->bss->policy_n_limits[gen] = 0;
}

/* Hands fn the counters of every rule of gen, in id order. */
static int gen_counters(struct tracker *t, __u32 gen, tracker_rule_fn fn, void *arg)
{
	__u32 id;
	int err;

	for (id = 0; id < t->slots; id++) {
		const struct policy_counter *c = &t->counters[gen * t->slots + id];

		if (!t->gens[gen].slots[id].used)
			continue;
		err = fn(id, __atomic_load_n(&c->packets, __ATOMIC_RELAXED),
			 __atomic_load_n(&c->bytes, __ATOMIC_RELAXED), arg);
		if (err)
			return err;
	}
	return 0;
}

static __u32 active_policy_gen(const struct tracker *t)
{
	return t->skel->bss->policy_gen & (POLICY_GENERATIONS - 1);
}

int tracker_policy_load(struct tracker *t, const struct policy *p, tracker_rule_fn old_fn,
			void *arg)
{
	__u32 old, gen, n_limits = 0;
	struct rule_slot s;
	size_t i;
	int err;

	if (!t->policy)
		return -EOPNOTSUPP;
	if (p->n_rules > t->slots)
		return -E2BIG;
	old = active_policy_gen(t);
	gen = old ^ 1;
	/* Left empty by the last load; emptied again should that have failed
	 * half-way. */
	gen_clear(t, gen);
	for (i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (r->kind == POLICY_LIMIT) {
			if (n_limits == POLICY_LIMITS_MAX) {
				err = -EINVAL;
				goto cleanup;
			}
			err = limit_of(r, i, &t->skel->bss->policy_limits[gen][n_limits]);
			if (err)
				goto cleanup;
			n_limits++;
			memset(&t->gens[gen].slots[i], 0, sizeof(s));
			t->gens[gen].slots[i].used = 1;
			memset(&t->counters[gen * t->slots + i], 0, sizeof(*t->counters));
			continue;
		}
		err = slot_of(r, &s);
		if (!err && r->kind != POLICY_ALLOW && r->kind != POLICY_BLOCK)
			err = -EINVAL;
		if (!err)
			err = slot_insert(t, gen, i, &s);
		/* The same rule twice is one rule: the first one counts. */
		if (err == -EEXIST)
			err = 0;
		if (err)
			goto cleanup;
	}
	t->skel->bss->policy_n_limits[gen] = n_limits;
	t->skel->bss->policy_monitor[gen] = p->mode == POLICY_MONITOR;
	t->skel->bss->policy_epoch[gen] = ++t->epoch;
	t->next_id = p->n_rules;

	__atomic_store_n(&t->skel->bss->policy_gen, gen, __ATOMIC_SEQ_CST);
	err = programs_settle(t);
	if (err)
		return err;
	if (old_fn)
		err = gen_counters(t, old, old_fn, arg);
	gen_clear(t, old);
	return err;

cleanup:
	gen_clear(t, gen);
	return err;
}

int tracker_block_add(struct tracker *t, const struct policy_rule *r, __u32 *id)
{
	__u32 gen, i, at;
	struct rule_slot s;
	int err;

	if (!t->policy)
		return -EOPNOTSUPP;
	if (r->kind != POLICY_BLOCK)
		return -EINVAL;
	err = slot_of(r, &s);
	if (err)
		return err;
	gen = active_policy_gen(t);
	/* Ids are handed out round the table, so that one just freed, which a
	 * packet still in flight may count in, is the last to come back. */
	for (i = 0; i < t->slots; i++) {
		at = (t->next_id + i) % t->slots;
		if (!t->gens[gen].slots[at].used)
			break;
	}
	if (i == t->slots)
		return -E2BIG;
	err = slot_insert(t, gen, at, &s);
	if (err)
		return err;
	t->next_id = (at + 1) % t->slots;
	if (id)
		*id = at;
	return 0;
}

int tracker_block_del(struct tracker *t, const struct policy_rule *r, __u32 *id, __u64 *packets,
		      __u64 *bytes)
{
	struct policy_value v;
	struct policy_key k;
	struct rule_slot s;
	__u8 sides[2];
	__u32 gen;
	int err, fd;

	if (!t->policy)
		return -EOPNOTSUPP;
	if (r->kind != POLICY_BLOCK)
		return -EINVAL;
	err = slot_of(r, &s);
	if (err)
		return err;
	gen = active_policy_gen(t);
	slot_sides(&s, sides);
	fd = slot_key(t, &s, gen, sides[0], &k);
	/* The trie answers with the longest prefix it holds: the rule is
	 * ours only when its slot says it is the very same. */
	if (bpf_map_lookup_elem(fd, &k, &v) || v.rule >= t->slots ||
	    !slot_same(&t->gens[gen].slots[v.rule], &s))
		return -ENOENT;
	slot_remove(t, gen, v.rule);
	if (id)
		*id = v.rule;
	if (packets)
		*packets = __atomic_load_n(&t->counters[gen * t->slots + v.rule].packets,
					   __ATOMIC_RELAXED);
	if (bytes)
		*bytes = __atomic_load_n(&t->counters[gen * t->slots + v.rule].bytes,
					 __ATOMIC_RELAXED);
	return 0;
}

int tracker_policy_counters(struct tracker *t, tracker_rule_fn fn, void *arg)
{
	if (!t->policy)
		return -EOPNOTSUPP;
	return gen_counters(t, active_policy_gen(t), fn, arg);
}
