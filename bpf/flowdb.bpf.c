// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0)
/* XDP (ingress) and tc (egress) flow tracker: per-5-tuple counters in LRU
 * maps, kernel-side totals, TCP connection events in a ring buffer, and
 * the policy's verdict (policy.bpf.h). */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "flowdb.h"
#include "parse.bpf.h"

#define ENOENT 2
#define EEXIST 17

/*
 * Exact drain. The programs write flows and totals of generation active_gen.
 * To drain, user space flips active_gen, then re-sets the old generation's
 * slot in flow_maps4: an update of a map-in-map waits for an RCU grace
 * period, so when it returns no program still holds the old generation of
 * either flow map. User space then reads and empties that generation's
 * flow maps and totals at leisure, and the two agree to the packet unless
 * the LRU evicted flows.
 */
__u32 active_gen;

/* A flow's budget: the payload packets it may copy to user space (0:
 * none), and the payload bytes of them all. */
const volatile __u8 inspect_packets = INSPECT_PACKETS_DEFAULT;
const volatile __u32 inspect_bytes = INSPECT_BYTES_DEFAULT;

/* Offline import (BPF_PROG_TEST_RUN over a capture) sets offline_clock and
 * writes each packet's capture time to offline_now_ns before running it. */
const volatile __u8 offline_clock = 0;
__u64 offline_now_ns;

/* The batch flowdb_xdp_batch runs: offline_batch_frames frames described
 * in offline_batch, written by user space through the mapped .bss; the
 * program writes how many it ran to offline_batch_done. offline_frame
 * holds a frame between the fragments and the slot. */
struct flow_batch_frame offline_batch[FLOW_BATCH_FRAMES_MAX];
__u32 offline_batch_frames;
__u32 offline_batch_done;
__u8 offline_frame[FLOW_FRAME_MAX];

struct flow_map {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FLOW_MAP_DEFAULT_ENTRIES);
	__type(key, struct flow_key);
	__type(value, struct flow_counters);
};

struct flow_map4 {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FLOW_MAP_DEFAULT_ENTRIES);
	__type(key, struct flow_key4);
	__type(value, struct flow_counters);
};

/* Per generation, IPv4 flows under the short key and IPv6 flows. */
struct flow_map4 flows4_0 SEC(".maps");
struct flow_map4 flows4_1 SEC(".maps");
struct flow_map flows6_0 SEC(".maps");
struct flow_map flows6_1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, FLOW_GENERATIONS);
	__type(key, __u32);
	__array(values, struct flow_map4);
} flow_maps4 SEC(".maps") = {
	.values = { &flows4_0, &flows4_1 },
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, FLOW_GENERATIONS);
	__type(key, __u32);
	__array(values, struct flow_map);
} flow_maps6 SEC(".maps") = {
	.values = { &flows6_0, &flows6_1 },
};

/* Sized like the flow maps by user space. An evicted entry lets a flow be
 * inspected again: the cost stays bounded, the count per flow is exact
 * while the map holds it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FLOW_MAP_DEFAULT_ENTRIES);
	__type(key, struct flow_key);
	__type(value, struct inspect_state);
} inspect_seen SEC(".maps");

/* A payload copy is built here, then written to the ring buffer at its
 * own length: a reservation would have to be of a constant size. */
struct payload_copy {
	__u8 bytes[sizeof(struct payload_event) + INSPECT_PACKET_BYTES_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct payload_copy);
} payload_scratch SEC(".maps");

/* TCP flows whose payload up to a sequence number user space needs no copy
 * of (an HTTP body whose length its head gave): the number after it. Sized
 * like inspect_seen; looked up only once user space has set
 * inspect_skipping, and only by flows still inspected. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FLOW_MAP_DEFAULT_ENTRIES);
	__type(key, struct flow_key);
	__type(value, __u32);
} inspect_skip SEC(".maps");
__u32 inspect_skipping;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLOW_GENERATIONS);
	__type(key, __u32);
	__type(value, struct flow_totals);
} totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_DEFAULT_BYTES);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, PAYLOAD_RINGBUF_DEFAULT_BYTES);
} payloads SEC(".maps");

/* The time of a flow's first packet, of its TCP SYN, FIN or RST, and of
 * events. */
static __always_inline __u64 now_ns(void)
{
	return offline_clock ? offline_now_ns : bpf_ktime_get_ns();
}

/* The time of a known flow's other packets: the monotonic clock as of the
 * last tick, at most one tick (4 ms at HZ=250) behind, and a few ns to read
 * where the exact clock costs tens (bench/bpf_cost). */
static __always_inline __u64 now_coarse_ns(void)
{
	return offline_clock ? offline_now_ns : bpf_ktime_get_coarse_ns();
}

/* Offline, user space reads the rings after every test run without
 * waiting on them: a wakeup would only cost an interrupt (the first record
 * after each read sent one, 4% of an import in a virtual machine). */
static __always_inline __u64 ring_flags(void)
{
	return offline_clock ? BPF_RB_NO_WAKEUP : 0;
}

/* The policy's token buckets run on now_ns(): the capture's clock offline. */
#include "policy.bpf.h"

/* Adds one observation to a flow shared by all CPUs; dropped: the policy
 * dropped it (or would have). */
static __always_inline void counters_add(struct flow_counters *c, __u64 packets, __u64 bytes,
					 __u8 tcp_flags, __u64 now, int dropped)
{
	__sync_fetch_and_add(&c->packets, packets);
	__sync_fetch_and_add(&c->bytes, bytes);
	if (dropped) {
		__sync_fetch_and_add(&c->dropped_packets, packets);
		__sync_fetch_and_add(&c->dropped_bytes, bytes);
	}
	/* Racing CPUs may store a slightly older time; the collector only
	 * needs last_seen to the flush interval. */
	if (now > c->last_seen_ns)
		c->last_seen_ns = now;
	if (tcp_flags & ~c->tcp_flags)
		__sync_fetch_and_or(&c->tcp_flags, tcp_flags);
}

/*
 * Claims the next payload packet of key's flow for inspection, want bytes
 * of it (1..INSPECT_PACKET_BYTES_MAX); seq_end: TCP, the sequence number
 * after the packet's payload, else 0. Returns its sequence number (0 for
 * the first) with *grant the bytes the budget allows of it, or -1 when the
 * flow's budget is spent or user space stopped it, or skips this packet;
 * *left is how many packets it may still send, 0 once either budget is
 * spent.
 */
static __always_inline int inspect_claim(const struct flow_key *key, __u32 want, __u32 seq_end,
					 __u8 *left, __u32 *grant)
{
	struct inspect_state *s, fresh = { .claimed = 1 };
	__u32 n, b, *until;

	if (inspect_skipping && seq_end) {
		until = bpf_map_lookup_elem(&inspect_skip, key);
		if (until && (__s32)(seq_end - *until) <= 0) {
			/* Not claimed: the packets after it are looked at. */
			*left = INSPECT_LEFT_UNKNOWN;
			return -1;
		}
	}
	s = bpf_map_lookup_elem(&inspect_seen, key);
	*left = 0;
	if (!s) {
		fresh.bytes = want < inspect_bytes ? want : inspect_bytes;
		if (!bpf_map_update_elem(&inspect_seen, key, &fresh, BPF_NOEXIST)) {
			*grant = fresh.bytes;
			*left = fresh.bytes < inspect_bytes ? inspect_packets - 1 : 0;
			return 0;
		}
		/* Another CPU created it first, or the map is unusable. */
		s = bpf_map_lookup_elem(&inspect_seen, key);
		if (!s)
			return -1;
	}
	n = __sync_fetch_and_add(&s->claimed, 1);
	if (n >= inspect_packets)
		return -1;
	/* Racing CPUs may add more than they are granted: the sum is only
	 * ever compared with the budget, and a packet adds at most 4 KiB. */
	b = __sync_fetch_and_add(&s->bytes, want);
	if (b >= inspect_bytes)
		return -1;
	*grant = want < inspect_bytes - b ? want : inspect_bytes - b;
	if (b + *grant < inspect_bytes)
		*left = inspect_packets - 1 - n;
	return n;
}

/*
 * Adds one observation to the flow key (whose map_key in flows is key or its
 * short form). want: the payload bytes the packet could copy (0: none, or
 * inspection is off), seq_end as inspect_claim() takes it; *seq is then set
 * to the payload packet's number when it is claimed for inspection, else
 * left at -1, and *grant to the bytes it may copy. *now is the exact time when
 * the caller has read it, else 0; a new flow reads it. dropped: the policy
 * dropped the packet (or would have).
 * Returns 1 when the flow is new to this generation, 0 when it was there,
 * or a negative errno when it could not be stored.
 */
static __always_inline int flow_update(void *flows, const void *map_key,
				       const struct flow_key *key, __u64 packets, __u64 bytes,
				       __u8 tcp_flags, __u64 *now, __u32 want, __u32 seq_end, int *seq,
				       __u32 *grant, int dropped)
{
	struct flow_counters *c = bpf_map_lookup_elem(flows, map_key);
	struct flow_counters fresh = {
		.packets = packets,
		.bytes = bytes,
		.tcp_flags = tcp_flags,
		.inspect_left = INSPECT_LEFT_UNKNOWN,
		.dropped_packets = dropped ? packets : 0,
		.dropped_bytes = dropped ? bytes : 0,
	};
	__u8 left;
	int err;

	if (c) {
		counters_add(c, packets, bytes, tcp_flags, *now ? *now : now_coarse_ns(), dropped);
		if (want && c->inspect_left) {
			*seq = inspect_claim(key, want, seq_end, &left, grant);
			c->inspect_left = left;
		}
		return 0;
	}
	if (!*now)
		*now = now_ns();
	fresh.first_seen_ns = *now;
	fresh.last_seen_ns = *now;
	if (want) {
		*seq = inspect_claim(key, want, seq_end, &left, grant);
		fresh.inspect_left = left;
	}
	err = bpf_map_update_elem(flows, map_key, &fresh, BPF_NOEXIST);
	if (!err)
		return 1;
	if (err != -EEXIST)
		return err;
	/* Another CPU inserted the flow between our lookup and update. */
	c = bpf_map_lookup_elem(flows, map_key);
	if (!c)
		return -ENOENT;
	counters_add(c, packets, bytes, tcp_flags, *now, dropped);
	return 0;
}

/* Stores key's flow: IPv4 in this generation's map under the short key,
 * IPv6 under the whole key. Returns what flow_update() returns. */
static __always_inline int flow_store(__u32 gen, const struct flow_key *key, __u64 packets,
				      __u64 bytes, __u8 tcp_flags, __u64 *now, __u32 want,
				      __u32 seq_end, int *seq, __u32 *grant, int dropped)
{
	struct flow_key4 key4;
	void *flows;

	if (key->ip_version == 6) {
		flows = bpf_map_lookup_elem(&flow_maps6, &gen);
		return flows ? flow_update(flows, key, key, packets, bytes, tcp_flags, now, want,
					   seq_end, seq, grant, dropped) :
			       -ENOENT;
	}
	__builtin_memcpy(key4.src_addr, key->src_addr, 4);
	__builtin_memcpy(key4.dst_addr, key->dst_addr, 4);
	key4.ifindex = key->ifindex;
	key4.src_port = key->src_port;
	key4.dst_port = key->dst_port;
	key4.vlan = key->vlan;
	key4.proto = key->proto;
	key4.direction = key->direction;
	flows = bpf_map_lookup_elem(&flow_maps4, &gen);
	return flows ? flow_update(flows, &key4, key, packets, bytes, tcp_flags, now, want,
				   seq_end, seq, grant, dropped) :
		       -ENOENT;
}

static __always_inline __u8 event_kind(__u8 tcp_flags)
{
	if (tcp_flags & FLOW_TCP_RST)
		return FLOW_EVENT_RST;
	if (tcp_flags & FLOW_TCP_FIN)
		return FLOW_EVENT_FIN;
	if ((tcp_flags & (FLOW_TCP_SYN | FLOW_TCP_ACK)) == FLOW_TCP_SYN)
		return FLOW_EVENT_SYN;
	return 0;
}

static __always_inline void event_emit(struct flow_totals *tot, const struct flow_key *key,
				       __u8 kind, __u8 tcp_flags, __u64 now)
{
	struct flow_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		tot->ringbuf_drops++;
		return;
	}
	e->ts_ns = now;
	e->key = *key;
	e->kind = kind;
	e->tcp_flags = tcp_flags;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	bpf_ringbuf_submit(e, ring_flags());
	tot->events++;
}

/* A payload packet claimed for inspection, for the program to copy. */
struct capture {
	struct flow_totals *tot;
	struct flow_key key;
	__u64 now;
	__u32 tcp_seq;
	__u16 off, len, payload_len;
	__u8 tcp_flags;
	__u8 seq;
	__u8 last;
};

/* What account() asks of the program. */
#define ACCOUNT_INSPECT 1 /* send the payload cap describes */
#define ACCOUNT_DROP 2 /* the policy drops the frame */

/*
 * Accounts one frame (or, for GSO, gso_segs wire packets) in the active
 * generation, and asks the policy, when there is one, for its verdict.
 * Never fails: every outcome lands in a totals counter.
 * frame_len is the whole frame's length, which for an skb with paged data
 * is more than data_end - data, and offline the frame's length on the wire
 * when the capture or the batch cut it (the length of an IPv4 packet of
 * total length 0 comes from it). copy_len is how much of the frame a
 * helper can copy: payload past the linear part of an skb can, the rest
 * of a frame cut offline cannot.
 * Returns ACCOUNT_* flags: ACCOUNT_INSPECT when the frame's payload is to
 * be inspected (cap says where it is), ACCOUNT_DROP when it is to be dropped.
 * Non-IP and malformed frames always pass.
 */
static __always_inline int account(void *data, void *data_end, __u32 frame_len,
				   __u32 copy_len, __u32 ifindex, __u8 direction, int offloaded_tag,
				   __u16 outer_vlan, __u32 gso_segs, struct capture *cap)
{
	__u32 gen = *(volatile __u32 *)&active_gen & (FLOW_GENERATIONS - 1);
	struct flow_totals *tot;
	struct packet_meta meta;
	struct flow_key *key = &cap->key;
	__u64 packets, bytes, now;
	__u32 want = 0, grant = 0;
	int ret, seq = -1, verdict = POLICY_PASS;
	__u8 kind;

	tot = bpf_map_lookup_elem(&totals, &gen);
	if (!tot)
		return 0;
	ret = parse_packet(data, data_end, frame_len, offloaded_tag, outer_vlan, key, &meta);
	if (ret == PARSE_NON_IP) {
		tot->non_ip++;
		return 0;
	}
	if (ret != PARSE_OK) {
		tot->malformed++;
		return 0;
	}
	key->ifindex = ifindex;
	key->direction = direction;

	/* A GSO packet leaves as gso_segs packets, each with its own headers. */
	packets = gso_segs > 1 ? gso_segs : 1;
	bytes = meta.l3_bytes + (packets - 1) * meta.hdr_bytes;
	tot->packets += packets;
	tot->bytes += bytes;
	if (meta.truncated)
		tot->truncated++;
	if (policy_enabled) {
		verdict = policy_check(key, meta.tcp_flags, meta.fragment, packets, bytes);
		if (verdict != POLICY_PASS) {
			tot->dropped_packets += packets;
			tot->dropped_bytes += bytes;
		}
	}

	/* Only what the frame holds can be copied. */
	if (inspect_packets && meta.payload_len && meta.payload_off < copy_len) {
		want = copy_len - meta.payload_off;
		if (want > meta.payload_len)
			want = meta.payload_len;
		if (want > INSPECT_PACKET_BYTES_MAX)
			want = INSPECT_PACKET_BYTES_MAX;
	}
	/* A connection's start and end are worth the exact clock. */
	kind = key->proto == IPPROTO_TCP ? event_kind(meta.tcp_flags) : 0;
	now = kind ? now_ns() : 0;
	ret = flow_store(gen, key, packets, bytes, meta.tcp_flags, &now, want,
			 key->proto == IPPROTO_TCP ? meta.tcp_seq + meta.payload_len : 0, &seq,
			 &grant, verdict != POLICY_PASS);
	if (ret > 0)
		tot->new_flows++;
	else if (ret < 0)
		tot->map_update_failures++;

	if (kind)
		event_emit(tot, key, kind, meta.tcp_flags, now);
	ret = verdict == POLICY_DROP ? ACCOUNT_DROP : 0;
	if (seq < 0)
		return ret;
	cap->tot = tot;
	cap->now = now ? now : now_ns();
	cap->off = meta.payload_off;
	cap->payload_len = meta.payload_len;
	cap->len = grant;
	cap->tcp_seq = meta.tcp_seq;
	cap->tcp_flags = meta.tcp_flags;
	cap->seq = seq;
	cap->last = seq + 1 >= inspect_packets || grant < want;
	return ret | ACCOUNT_INSPECT;
}

/*
 * Sends cap's payload, as much as its claim granted, to user space: copied
 * from ctx by the XDP (xdp) or the tc helper into this CPU's scratch, then
 * written to the payloads ring buffer at its own length. A full ring buffer
 * counts in payload_drops.
 */
static __always_inline void payload_emit(void *ctx, int xdp, const struct capture *cap)
{
	struct payload_copy *pc;
	struct payload_event *ev;
	__u32 len = cap->len, zero = 0;
	long err;

	pc = bpf_map_lookup_elem(&payload_scratch, &zero);
	if (!pc)
		return;
	ev = (struct payload_event *)pc->bytes;
	/* Checked where the compiler cannot fold it away, so that the
	 * verifier sees len within the scratch. */
	asm volatile("" : "+r"(len));
	if (len < 1 || len > INSPECT_PACKET_BYTES_MAX)
		return;
	err = xdp ? bpf_xdp_load_bytes(ctx, cap->off, ev->data, len) :
		    bpf_skb_load_bytes(ctx, cap->off, ev->data, len);
	if (err)
		return;
	ev->head.ts_ns = cap->now;
	ev->head.key = cap->key;
	ev->head.kind = FLOW_EVENT_PAYLOAD;
	ev->head.tcp_flags = cap->tcp_flags;
	__builtin_memset(ev->head.pad, 0, sizeof(ev->head.pad));
	ev->len = len;
	ev->payload_len = cap->payload_len;
	ev->tcp_seq = cap->tcp_seq;
	ev->seq = cap->seq;
	ev->last = cap->last;
	__builtin_memset(ev->pad, 0, sizeof(ev->pad));
	if (bpf_ringbuf_output(&payloads, pc, sizeof(*ev) + len, ring_flags())) {
		cap->tot->payload_drops++;
		return;
	}
	cap->tot->payload_events++;
	cap->tot->payload_bytes += len;
}

/* What the XDP program does with one frame, live or offline: wire_len is
 * its length on the wire, when more than what data holds (offline), and
 * its flows' ifindex is ifindex. */
static __always_inline int xdp_frame(struct xdp_md *ctx, __u32 wire_len, __u32 ifindex)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	__u32 len = data_end - data;
	struct capture cap;
	int ret;

	ret = account(data, data_end, wire_len > len ? wire_len : len, len, ifindex, FLOW_DIR_IN, 0,
		      0, 1, &cap);
	if (ret & ACCOUNT_INSPECT)
		payload_emit(ctx, 1, &cap);
	return ret & ACCOUNT_DROP ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int flowdb_xdp(struct xdp_md *ctx)
{
	return xdp_frame(ctx, 0, ctx->ingress_ifindex);
}

/* xdp_frame() as a function of its own, verified once, for the batch. */
__noinline int flowdb_xdp_frame(struct xdp_md *ctx, __u32 wire_len, __u32 ifindex)
{
	return xdp_frame(ctx, wire_len, ifindex);
}

/*
 * Offline import: runs xdp_frame() on each frame of a batch in turn, at
 * its capture time, with the frame alone between data and data_end, as if
 * it had arrived by itself. The frames lie one after another in the test
 * run's fragments, after the linear part, the slot: each is copied to the
 * end of the slot, and the head moved to its start. Returns XDP_PASS;
 * offline_batch_done says how many frames ran, fewer than
 * offline_batch_frames only when the batch is not laid out as the kernel
 * gave it (a linear part of another size) or a length is out of bounds.
 */
SEC("xdp.frags")
int flowdb_xdp_batch(struct xdp_md *ctx)
{
	__u32 i, n = offline_batch_frames, src = FLOW_FRAME_MAX;
	long pos = 0, head;

	offline_batch_done = 0;
	if ((long)ctx->data_end - (long)ctx->data != FLOW_FRAME_MAX)
		return XDP_PASS;
	for (i = 0; i < FLOW_BATCH_FRAMES_MAX && i < n; i++) {
		__u32 len = offline_batch[i].len;

		if (len < FLOW_FRAME_MIN || len > FLOW_FRAME_MAX)
			break;
		/* Offsets count from the head: pos is where it went. */
		if (bpf_xdp_load_bytes(ctx, src - pos, offline_frame, len))
			break;
		head = (long)ctx->data_end - (long)ctx->data - len;
		if (head && bpf_xdp_adjust_head(ctx, head))
			break;
		pos += head;
		if (bpf_xdp_store_bytes(ctx, 0, offline_frame, len))
			break;
		offline_now_ns = offline_batch[i].ts_ns;
		flowdb_xdp_frame(ctx, offline_batch[i].wire_len, offline_batch[i].ifindex);
		offline_batch_done = i + 1;
		src += len;
	}
	return XDP_PASS;
}

SEC("tc")
int flowdb_tc_egress(struct __sk_buff *skb)
{
	struct capture cap;
	int ret;

	ret = account((void *)(long)skb->data, (void *)(long)skb->data_end, skb->len, skb->len,
		      skb->ifindex, FLOW_DIR_OUT, skb->vlan_present, skb->vlan_tci & VLAN_VID_MASK, skb->gso_segs,
		      &cap);
	if (ret & ACCOUNT_INSPECT)
		payload_emit(skb, 0, &cap);
	return ret & ACCOUNT_DROP ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
