/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* Types shared by the BPF flow tracker and user space: fixed-width only. */
#ifndef FLOWDB_H
#define FLOWDB_H

/* Two flow-map generations: the programs write one while user space drains
 * the other (see flowdb.bpf.c, "Exact drain"). */
#define FLOW_GENERATIONS 2
#define FLOW_MAP_DEFAULT_ENTRIES 262144
#define RINGBUF_DEFAULT_BYTES (4 << 20)
/* Payload copies have a ring buffer of their own: however many there are,
 * connection events are never crowded out. */
#define PAYLOAD_RINGBUF_DEFAULT_BYTES (8 << 20)

/* Payload inspection: each TCP or UDP flow sends the payload of its first
 * packets to user space, at most inspect_packets packets and inspect_bytes
 * bytes in all (the budget), INSPECT_PACKET_BYTES_MAX of each packet; user
 * space stops a flow as soon as its inspectors need nothing more. */
#define INSPECT_PACKETS_DEFAULT 32
#define INSPECT_PACKETS_MAX 250 /* below INSPECT_LEFT_UNKNOWN */
#define INSPECT_BYTES_DEFAULT 8192
#define INSPECT_BYTES_MAX (1 << 20)
#define INSPECT_PACKET_BYTES_MAX 4096
/* inspect_state.claimed of a flow user space has stopped: no packet is
 * claimed past it, and adding to it never wraps. */
#define INSPECT_STOPPED (1u << 30)

/* Offline import runs frames in batches, one BPF_PROG_TEST_RUN each. A
 * test run's data is a linear part of one page (less headroom and the
 * skb_shared_info tail: FLOW_FRAME_MAX bytes, the longest frame run) and
 * fragments of a page each (17 at most by default). The batch is a slot
 * of FLOW_FRAME_MAX bytes, the linear part, where each frame is copied to
 * be run, then the frames, FLOW_BATCH_BYTES at most, in the fragments:
 * bpf_xdp_load_bytes() reads no further than 64 KiB from the head.
 * FLOW_BATCH_FRAMES_MAX frames of 64 bytes fill it. */
#define FLOW_FRAME_MIN 14
#define FLOW_FRAME_MAX 3520
#define FLOW_BATCH_BYTES (15 * 4096)
#define FLOW_BATCH_FRAMES_MAX 960

/* One frame of a batch: its capture time, length in the batch, length on
 * the wire (more when the capture or the batch cut it) and the ifindex its
 * flows get; the frames follow each other in the batch, in the order they
 * run. */
struct flow_batch_frame {
	__u64 ts_ns;
	__u32 len;
	__u32 wire_len;
	__u32 ifindex;
	__u32 pad;
};

/* Parser bounds: a third VLAN tag or a ninth IPv6 extension header makes a
 * packet malformed rather than a misparsed flow. */
#define VLAN_MAX_DEPTH 2
#define IPV6_EXT_MAX 8

enum flow_direction {
	FLOW_DIR_IN = 0,
	FLOW_DIR_OUT = 1,
};

/* Addresses are stored in 16 bytes; IPv4 uses the first 4, the rest zero.
 * Every byte of the key, padding included, is written by the parser so that
 * equal flows hash equally. */
struct flow_key {
	__u8 src_addr[16];
	__u8 dst_addr[16];
	__u32 ifindex;
	__u16 src_port; /* host byte order */
	__u16 dst_port; /* host byte order; ICMP: type * 256 + code */
	__u16 vlan; /* outer VLAN id, 0 when untagged */
	__u8 proto; /* IANA protocol number */
	__u8 ip_version; /* 4 or 6 */
	__u8 direction; /* enum flow_direction */
	__u8 pad[3];
};

/* IPv4 flows are stored under this key instead: hashing and comparing 20
 * bytes rather than 48 is most of what a known flow's packet costs beyond
 * the parse (bench/bpf_cost). The fields mean what flow_key's do. */
struct flow_key4 {
	__u8 src_addr[4];
	__u8 dst_addr[4];
	__u32 ifindex;
	__u16 src_port;
	__u16 dst_port;
	__u16 vlan;
	__u8 proto;
	__u8 direction;
};

struct flow_counters {
	__u64 packets;
	/* Layer 3: the IPv4 total length (when 0, as a send-side capture
	 * shows a TSO packet, the frame's bytes from layer 3), the IPv6
	 * payload length + 40. */
	__u64 bytes;
	__u64 first_seen_ns;
	__u64 last_seen_ns;
	__u32 tcp_flags; /* OR of all TCP flag bytes seen */
	/* Payload packets this flow may still send to user space; a hint that
	 * spares the inspect_seen lookup once it is 0 (INSPECT_LEFT_UNKNOWN:
	 * not yet looked up in this generation). */
	__u8 inspect_left;
	__u8 pad[3];
	/* Of packets and bytes, those the policy dropped (in monitor mode:
	 * would have dropped). */
	__u64 dropped_packets;
	__u64 dropped_bytes;
};
#define INSPECT_LEFT_UNKNOWN 0xff

/* Per flow, kept across generations (an LRU map that is never drained):
 * how many payload packets and bytes were claimed for inspection. User
 * space writes claimed = INSPECT_STOPPED to stop the flow. */
struct inspect_state {
	__u32 claimed;
	__u32 bytes;
};

/* Kernel-side totals, per CPU and per generation: the ground truth that
 * drained flows are checked against. packets/bytes count every packet whose
 * flow key was parsed, whether or not its map update then succeeded. */
struct flow_totals {
	__u64 packets;
	__u64 bytes;
	__u64 non_ip; /* frames that are neither IPv4 nor IPv6 */
	__u64 malformed; /* headers needed for the key are cut or invalid */
	__u64 truncated; /* key parsed, but the frame is shorter than layer 3 says */
	__u64 map_update_failures;
	__u64 new_flows; /* entries this generation's flow map gained */
	__u64 events;
	__u64 ringbuf_drops;
	__u64 payload_events; /* payload_events submitted */
	__u64 payload_bytes; /* payload bytes in them */
	__u64 payload_drops; /* payload_events their full ring buffer refused */
	/* Of packets and bytes, those the policy dropped (monitor mode: would
	 * have dropped): passed = packets - dropped_packets. */
	__u64 dropped_packets;
	__u64 dropped_bytes;
};

enum flow_event_kind {
	FLOW_EVENT_SYN = 1, /* SYN without ACK: a connection attempt */
	FLOW_EVENT_FIN = 2,
	FLOW_EVENT_RST = 3,
	FLOW_EVENT_PAYLOAD = 4, /* a struct payload_event */
	FLOW_EVENT_POLICY = 5, /* user space only: a flow broke the encryption policy */
};

struct flow_event {
	__u64 ts_ns;
	struct flow_key key;
	__u8 kind; /* enum flow_event_kind */
	__u8 tcp_flags;
	__u8 pad[6];
};

/* The first bytes of a flow's payload, for inspection in user space. */
struct payload_event {
	struct flow_event head; /* kind FLOW_EVENT_PAYLOAD, tcp_flags of the packet */
	__u16 len; /* bytes in data: the event is this much longer */
	__u16 payload_len; /* payload bytes the IP header declares */
	__u32 tcp_seq; /* TCP: the segment's sequence number; else 0 */
	__u8 seq; /* 0 for the flow's first payload packet, then 1, ... */
	__u8 last; /* the flow's budget is spent: no copy follows this one */
	__u8 pad[6];
	__u8 data[];
};

/*
 * Enforcement (bpf/policy.bpf.h). Rules live in two maps: single hosts in a
 * hash, networks in an LPM trie, both keyed by struct policy_key whose first
 * 64 bits (generation, kind, side, family, protocol, port) are matched
 * exactly and whose address is the prefix. Two rule-set generations coexist
 * during a reload; the programs read the one policy_gen names.
 */
#define POLICY_GENERATIONS 2
#define POLICY_MAX_ENTRIES_DEFAULT 65536 /* rules per generation */
#define LIMIT_BUCKETS_DEFAULT 65536
#define POLICY_LIMITS_MAX 16 /* limit rules per generation */
#define POLICY_KEY_FIXED_BITS 64 /* prefixlen of a network = this + its bits */
#define POLICY_KEY_BITS (POLICY_KEY_FIXED_BITS + 128)

/* policy_key.kind, policy_key.side and policy_limit.unit: the values of
 * enum policy_kind, policy_side and policy_unit (policy/policy.h). */
#define POLICY_KEY_ALLOW 1
#define POLICY_KEY_BLOCK 2
#define POLICY_KEY_SRC 1
#define POLICY_KEY_DST 2
#define POLICY_UNIT_PPS 1
#define POLICY_UNIT_BPS 2
#define POLICY_UNIT_SYN 3

/* Which (protocol, port) a rule names: each form present is one lookup. */
enum policy_combo {
	POLICY_COMBO_PROTO_PORT = 0,
	POLICY_COMBO_PROTO = 1,
	POLICY_COMBO_PORT = 2,
	POLICY_COMBO_ANY = 3,
};

/* Bit of policy_shapes[gen] that says rules of this form exist, so that a
 * packet looks up only forms that can match: family 4 or 6, kind and side
 * as in policy_key, net 0 for the hosts hash and 1 for the trie. */
#define POLICY_SHAPE_BIT(family, kind, side, net, combo)                                  \
	((__u64)1 << (((family) == 6) << 5 | ((kind) == POLICY_KEY_BLOCK) << 4 |            \
		      ((side) == POLICY_KEY_DST) << 3 | (net) << 2 | (combo)))

struct policy_key {
	__u32 prefixlen; /* trie: POLICY_KEY_FIXED_BITS + network bits; hash: 0 */
	__u8 gen;
	__u8 kind; /* POLICY_KEY_ALLOW or POLICY_KEY_BLOCK */
	__u8 side; /* POLICY_KEY_SRC or POLICY_KEY_DST */
	__u8 family; /* 4 or 6 */
	__u8 proto; /* 0: any */
	__u8 pad;
	__u16 port; /* 0: any; the packet's destination port, host order */
	__u8 addr[16]; /* IPv4 in the first 4 bytes; host bits and the rest zero */
};

struct policy_value {
	__u32 rule; /* the rule's id: its counters are policy_counters[gen * slots + id] */
};

/* Per rule: what it decided (allow: passed, block and limit: dropped, or in
 * monitor mode would have dropped). */
struct policy_counter {
	__u64 packets;
	__u64 bytes;
};

/*
 * A limit rule as the programs apply it: a GCRA token bucket in exact
 * integer arithmetic. One unit (a packet, a bit, a SYN) costs cost_s; a
 * nanosecond earns rate_s (the rate per second and 1e9 divided by their
 * greatest common divisor); the bucket holds cap_s = burst * cost_s.
 * full_ns = ceil(cap_s / rate_s): an empty bucket's time to fill.
 */
struct policy_limit {
	__u32 rule;
	__u8 unit; /* POLICY_UNIT_* */
	__u8 proto; /* 0: any */
	__u16 port; /* 0: any; destination port */
	__u8 bits4, bits6; /* the bucket's source prefix per family */
	__u8 pad[6];
	__u64 rate_s;
	__u64 cost_s;
	__u64 cap_s;
	__u64 burst; /* units; more at once never conform */
	__u64 full_ns;
};

/* A load's buckets are its own: a reload starts every bucket full, and
 * the old load's buckets age out of the LRU. */
struct limit_key {
	__u32 epoch; /* policy_epoch of the generation: one per load */
	__u16 limit; /* the rule's place in policy_limits */
	__u8 family;
	__u8 pad;
	__u8 addr[16]; /* the source cut to the rule's prefix */
};

/* GCRA state: tat is the theoretical arrival time in units of rate_s per
 * ns, modulo 2^64 (only differences count); last_ns the time of the last
 * update, to tell a bucket idle long enough to be full whatever tat says. */
struct limit_state {
	__u64 tat;
	__u64 last_ns;
};

/* TCP flag bits as in the 14th byte of the TCP header. */
#define FLOW_TCP_FIN 0x01
#define FLOW_TCP_SYN 0x02
#define FLOW_TCP_RST 0x04
#define FLOW_TCP_PSH 0x08
#define FLOW_TCP_ACK 0x10
#define FLOW_TCP_URG 0x20
#define FLOW_TCP_ECE 0x40
#define FLOW_TCP_CWR 0x80

#endif /* FLOWDB_H */
