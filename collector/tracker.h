/* SPDX-License-Identifier: BSD-2-Clause */
/* The BPF flow tracker seen from user space: load, attach, drain exactly. */
#ifndef TRACKER_H
#define TRACKER_H

#include <stdbool.h>
#include <linux/types.h>
#include "flowdb.h"
#include "policy.h"

#define TRACKER_MAX_LINKS 64

struct tracker;

enum tracker_xdp_mode {
	TRACKER_XDP_AUTO = 0, /* native, falling back to generic */
	TRACKER_XDP_NATIVE,
	TRACKER_XDP_GENERIC,
};

struct tracker_opts {
	__u32 map_entries; /* flows per generation; 0: FLOW_MAP_DEFAULT_ENTRIES */
	bool offline_clock; /* time comes from tracker_set_clock(), not the kernel */
	/* Programs run only through tracker_run_xdp() from the draining
	 * thread, never attached: a drain needs no wait for other runs. */
	bool sequential;
	/* With sequential: frames run only through tracker_batch_run(), so
	 * the XDP program itself is not loaded (tracker_run_xdp() fails):
	 * the verifier's time is spent once. */
	bool batch_only;
	/* Each flow's inspection budget: payload packets sent to user space
	 * (0: none; at most INSPECT_PACKETS_MAX), and payload bytes of them
	 * all (1..INSPECT_BYTES_MAX; 0: INSPECT_BYTES_DEFAULT). */
	__u8 inspect_packets;
	__u32 inspect_bytes;
	/* Load the tc egress program too: the verifier's time and memory are
	 * spent only when egress is to be watched. */
	bool egress;
	/* Load the programs with enforcement (bpf/policy.bpf.h). Without it
	 * they hold no policy code at all, and tracker_policy_load() and the
	 * block calls return -EOPNOTSUPP. */
	bool policy;
	/* Rules per rule set (0: POLICY_MAX_ENTRIES_DEFAULT): ids run from 0
	 * to this - 1; the maps hold twice as many entries, for a reload. */
	__u32 policy_max_entries;
	/* Token buckets (0: LIMIT_BUCKETS_DEFAULT): limit rule and source
	 * prefix pairs kept at once; the least recent is forgotten. */
	__u32 limit_buckets;
};

/* Called once per drained flow. Returns 0, or a negative errno that
 * tracker_drain() reports after it has drained everything all the same. */
typedef int (*tracker_flow_fn)(const struct flow_key *key, const struct flow_counters *c,
			       void *arg);

/* Opens, configures and loads the BPF programs. Returns 0 and sets *out, or
 * a negative errno (-EPERM without the capabilities, -EINVAL, -ENOMEM ...). */
int tracker_open(struct tracker **out, const struct tracker_opts *opts);

/* Detaches everything attached through this tracker; the programs and maps
 * stay loaded, so that what they counted can still be drained. */
void tracker_detach(struct tracker *t);

/* Detaches everything attached through this tracker and frees it. NULL is fine. */
void tracker_close(struct tracker *t);

/* Attaches the XDP program to ifindex through a bpf_link, so that the kernel
 * detaches it when the last fd goes, even when the process is killed.
 * Returns 0 or a negative errno. */
int tracker_attach_xdp(struct tracker *t, int ifindex, enum tracker_xdp_mode mode);

/* Attaches the tc program to ifindex's egress: through a tcx link where the
 * kernel has them (6.6), else as a netlink clsact filter with a fixed handle
 * that replaces one a killed collector left. Returns 0 or a negative errno. */
int tracker_attach_tc_egress(struct tracker *t, int ifindex);

/* Flows the active generation's map has gained since its last drain: how
 * full it is. Returns 0 or a negative errno. */
int tracker_pending_flows(struct tracker *t, __u64 *flows);

/* File descriptors of the loaded programs and of the event ring buffer. */
int tracker_xdp_fd(const struct tracker *t);
int tracker_tc_fd(const struct tracker *t);
int tracker_events_fd(const struct tracker *t);
/* The payload copies' ring buffer (struct payload_event). */
int tracker_payloads_fd(const struct tracker *t);

/* Stops the payload copies of key's flow: its inspectors need no more.
 * The flow's next payload packet learns it, the ones after cost nothing.
 * Returns 0, or a negative errno (-ENOENT: the kernel no longer holds the
 * flow's inspection state, so there is nothing to stop). */
int tracker_inspect_stop(struct tracker *t, const struct flow_key *key);

/* Copies no payload of key's TCP flow that ends at or before sequence
 * number until: its inspectors know what lies there (an HTTP body) and
 * need what comes after. Returns 0, or a negative errno. */
int tracker_inspect_skip(struct tracker *t, const struct flow_key *key, __u32 until);

/* With offline_clock: the time the next packets are accounted at. */
void tracker_set_clock(struct tracker *t, __u64 ns);

/* Frames tracker_run_xdp() takes: an Ethernet header at least (the test
 * run refuses less), and at most what an XDP program sees in one page
 * (less headroom and the skb_shared_info tail). Longer frames are run
 * cut to this: the program reads headers only, and takes the bytes from
 * the IP header. */
#define TRACKER_FRAME_MIN FLOW_FRAME_MIN
#define TRACKER_FRAME_MAX FLOW_FRAME_MAX

/* Runs the XDP program once on frame, as if it had just arrived: offline
 * import through the very program that runs live. Returns 0, -EMSGSIZE
 * for a frame outside [TRACKER_FRAME_MIN, TRACKER_FRAME_MAX], or another
 * negative errno. */
int tracker_run_xdp(struct tracker *t, const void *frame, __u32 len);

/*
 * Offline import in batches (opts.sequential): tracker_batch_add() queues
 * a frame with its length on the wire (wire_len, when more than len: an
 * IPv4 packet of total length 0 counts from it), the ifindex its flows
 * get (a test run's own is the loopback's) and its capture time, and tracker_batch_run() runs the queued
 * frames, in the order queued, through the very code of the XDP program
 * (xdp_frame() in bpf/flowdb.bpf.c), each alone between data and
 * data_end, in one system call. A batch holds FLOW_BATCH_BYTES of frames,
 * FLOW_BATCH_FRAMES_MAX at most.
 * tracker_batch_add() returns 0, -ENOSPC when the frame does not fit (run
 * the batch, then add it again) or -EMSGSIZE as tracker_run_xdp() does.
 * tracker_batch_run() returns 0 (nothing queued included) or a negative
 * errno; the batch is emptied either way.
 */
int tracker_batch_add(struct tracker *t, const void *frame, __u32 len, __u32 wire_len,
		      __u32 ifindex, __u64 ts_ns);
int tracker_batch_run(struct tracker *t);

/*
 * Moves the programs to the other flow generation, waits until none still
 * writes the old one, then hands every flow of the old generation to fn and
 * empties it, and returns its kernel-side totals (summed over CPUs, then
 * zeroed) in *totals. Packets that arrive meanwhile land in the new
 * generation: none is lost or counted twice. Returns 0 or a negative errno.
 */
int tracker_drain(struct tracker *t, tracker_flow_fn fn, void *arg, struct flow_totals *totals);

/* Adds every counter of add to sum. */
void tracker_totals_add(struct flow_totals *sum, const struct flow_totals *add);

/*
 * Enforcement. A loaded rule set is a generation: its rules are kernel map
 * entries whose keys carry the generation's number, its per-rule counters
 * are a half of policy_counters, its mode and limit rules a slot of the
 * programs' global data.
 *
 * Rule ids. tracker_policy_load() gives rule p->rules[i] the id i; a block
 * added later gets the lowest id no rule of the set holds. Counters are
 * reported by id: allow, the packets it let through; block and limit, the
 * packets it dropped (monitor mode: would have dropped). An allow without a
 * side is two entries (source and destination) and one id. A rule that
 * repeats an earlier one's kind, network, side, protocol and port is that
 * rule: it has no entry and no counters of its own. A packet that several
 * rules of one kind match counts in the first found: its source before its
 * destination, a host before a network, then protocol and port, protocol,
 * port, neither; of the limits, the first it is over.
 *
 * Atomic reload. tracker_policy_load() writes the whole new set under the
 * other generation's number, where no packet looks, then flips the
 * programs' policy_gen with one store: a packet reads policy_gen once, so it
 * meets the old set or the new one, whole. The old entries are deleted
 * only after an RCU grace period, when no program that read the old
 * number still runs. There is never a moment with neither set.
 *
 * The policy calls are to be made from one thread at a time; they may run
 * while another thread drains (they share no state with tracker_drain()).
 */

/* Called with a rule's id and counters. Returns 0, or a negative errno
 * that stops the walk and is returned. */
typedef int (*tracker_rule_fn)(__u32 id, __u64 packets, __u64 bytes, void *arg);

/*
 * Makes p the rule set in force, atomically (above); p->mode monitor
 * counts what would be dropped and drops nothing. Limit buckets start
 * full. When old_fn is not NULL it is handed the final counters of every
 * rule of the set p replaces, once no packet can count in them any more.
 * Returns 0, -EINVAL for a rule the kernel cannot hold (limit with a
 * network, rate or burst 0, burst too large to count exactly, more than
 * POLICY_LIMITS_MAX limits), -E2BIG over policy_max_entries, -EOPNOTSUPP
 * without opts.policy, or another negative errno; on error the set in
 * force stays, whole.
 */
int tracker_policy_load(struct tracker *t, const struct policy *p, tracker_rule_fn old_fn,
			void *arg);

/*
 * Adds block rule r to the set in force, effective for the next packet,
 * its counters at 0; its id in *id. Takes microseconds whatever the size
 * of the set. Returns 0, -EEXIST when a block of the same network, side,
 * protocol and port is there, -E2BIG when the set is full, -EINVAL for
 * anything but a block, -EOPNOTSUPP without opts.policy.
 */
int tracker_block_add(struct tracker *t, const struct policy_rule *r, __u32 *id);

/*
 * Removes the block of r's network, side, protocol and port from the set
 * in force; its id and final counters go to *id, *packets and *bytes
 * (any may be NULL). Returns 0, -ENOENT when there is no such block,
 * -EINVAL for anything but a block, -EOPNOTSUPP without opts.policy.
 */
int tracker_block_del(struct tracker *t, const struct policy_rule *r, __u32 *id, __u64 *packets,
		      __u64 *bytes);

/* Hands fn the id and counters (since it was loaded or added) of every rule
 * in force, in id order. Returns 0, fn's error, or -EOPNOTSUPP without
 * opts.policy. */
int tracker_policy_counters(struct tracker *t, tracker_rule_fn fn, void *arg);

#endif /* TRACKER_H */
