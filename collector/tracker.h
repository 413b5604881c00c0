/* SPDX-License-Identifier: BSD-2-Clause */
/* The BPF flow tracker seen from user space: load, attach, drain exactly. */
#ifndef TRACKER_H
#define TRACKER_H

#include <stdbool.h>
#include <linux/types.h>
#include "flowdb.h"

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

/* With offline_clock: the time the next packets are accounted at. */
void tracker_set_clock(struct tracker *t, __u64 ns);

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

#endif /* TRACKER_H */
