/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* Enforcement in the kernel: allow, block and limit rules looked up per
 * packet, per-rule counters, token buckets. Included by flowdb.bpf.c. */
#ifndef POLICY_BPF_H
#define POLICY_BPF_H

#include "flowdb.h"
#include "parse.bpf.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif
#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

/* A contended bucket is retried this often, then the packet is taken as
 * over the rate: only a flood from one prefix on many CPUs at once gets
 * there, and dropping is what it asks for. */
#define LIMIT_CAS_TRIES 8

/*
 * Off (0) unless user space loads a policy: the verifier then prunes every
 * policy instruction, and a packet costs what it did before policies.
 */
const volatile __u8 policy_enabled = 0;
/* Rule ids per generation: the size of each half of policy_counters. */
const volatile __u32 policy_rule_slots = 1;

/*
 * The rule set in force: its generation, the forms of rules it has (a bit
 * per POLICY_SHAPE_BIT), its mode (1: monitor), its limit rules and the
 * number of its load (which keys its buckets). User
 * space writes a whole generation, then flips policy_gen (tracker.h,
 * "Atomic reload"). Packets read policy_gen once.
 */
__u32 policy_gen;
__u64 policy_shapes[POLICY_GENERATIONS];
__u8 policy_monitor[POLICY_GENERATIONS];
__u32 policy_n_limits[POLICY_GENERATIONS];
__u32 policy_epoch[POLICY_GENERATIONS];
struct policy_limit policy_limits[POLICY_GENERATIONS][POLICY_LIMITS_MAX];

/* Sized by user space (--policy-max-entries, twice: both generations
 * during a reload). Allocated as used: a million-entry limit costs memory
 * only for the entries there are. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct policy_key);
	__type(value, struct policy_value);
} policy_hosts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct policy_key);
	__type(value, struct policy_value);
} policy_nets SEC(".maps");

/* Shared by all CPUs (atomic adds), not per CPU: a million rules cost the
 * same memory on 2 CPUs as on 128, and the trie could not hold per-CPU
 * values anyway. Memory-mapped so that user space reads a million rules'
 * counters without a system call each. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, POLICY_GENERATIONS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct policy_counter);
} policy_counters SEC(".maps");

/* One bucket per limit rule and source prefix (--limit-buckets): the LRU
 * forgets the idlest prefix, whose bucket would be full again anyway. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, struct limit_key);
	__type(value, struct limit_state);
} limit_buckets SEC(".maps");

/* Copies the first bits of the 16-byte address addr into out, the rest
 * zero (an IPv4 address has zeros past its 4 bytes already). Word by word
 * and without branches, so that the verifier walks it once. */
static __always_inline void addr_cut(__u8 *out, const __u8 *addr, __u32 bits)
{
	__u32 word, n;
	int i;

#pragma unroll
	for (i = 0; i < 4; i++) {
		n = bits > i * 32 ? bits - i * 32 : 0;
		n = n > 32 ? 32 : n;
		__builtin_memcpy(&word, addr + i * 4, 4);
		word &= bpf_htonl(~(0xffffffffULL >> n));
		__builtin_memcpy(out + i * 4, &word, 4);
	}
}

/*
 * The policy's functions are global (not inlined, not static): the
 * verifier checks each once on its own instead of on every path of the
 * caller, which would take it past its instruction budget.
 */

/*
 * Finds a rule of kind for the packet fk in generation gen: on the source,
 * then the destination side; a single host, then a network; the most
 * specific (protocol, port) form first. Only forms shapes has are looked
 * up; has_ports: the packet's destination port can match a port rule.
 * Returns the rule's id + 1, or 0 when none matches.
 */
__noinline int policy_find(const struct flow_key *fk, __u64 shapes, __u32 gen, __u32 kind,
			   __u32 has_ports)
{
	struct policy_key k;
	struct policy_value *v;
	int family, side, net, combo;

	if (!fk)
		return 0;
	family = fk->ip_version == 6 ? 6 : 4;
	__builtin_memset(&k, 0, sizeof(k));
	k.gen = gen & (POLICY_GENERATIONS - 1);
	k.kind = kind;
	k.family = family;
#pragma unroll
	for (side = POLICY_KEY_SRC; side <= POLICY_KEY_DST; side++) {
		if (!(shapes & (0xffULL << ((family == 6) << 5 | (kind == POLICY_KEY_BLOCK) << 4 |
					    (side == POLICY_KEY_DST) << 3))))
			continue;
		k.side = side;
		if (side == POLICY_KEY_SRC)
			__builtin_memcpy(k.addr, fk->src_addr, 16);
		else
			__builtin_memcpy(k.addr, fk->dst_addr, 16);
#pragma unroll
		for (net = 0; net <= 1; net++) {
#pragma unroll
			for (combo = 0; combo <= POLICY_COMBO_ANY; combo++) {
				int port = combo == POLICY_COMBO_PROTO_PORT ||
					   combo == POLICY_COMBO_PORT;

				if (!(shapes & POLICY_SHAPE_BIT(family, kind, side, net, combo)))
					continue;
				if (port && !has_ports)
					continue;
				k.proto = combo <= POLICY_COMBO_PROTO ? fk->proto : 0;
				k.port = port ? fk->dst_port : 0;
				k.prefixlen = net ? POLICY_KEY_BITS : 0;
				v = bpf_map_lookup_elem(
					net ? (void *)&policy_nets : (void *)&policy_hosts, &k);
				if (v)
					return v->rule + 1;
			}
		}
	}
	return 0;
}

/*
 * Takes need units (need_s in bucket measure) from key's bucket at now.
 * A new bucket starts full. Returns 1 when the packet conforms (the
 * tokens are taken), 0 when it is over the rate (nothing is taken).
 */
static __always_inline int bucket_take(const struct limit_key *key, const struct policy_limit *l,
				       __u64 need_s, __u64 now)
{
	struct limit_state fresh = { .last_ns = now };
	__u64 now_s = now * l->rate_s, old, base, next;
	struct limit_state *b;
	int i;

	b = bpf_map_lookup_elem(&limit_buckets, key);
	if (!b) {
		fresh.tat = now_s + need_s;
		if (!bpf_map_update_elem(&limit_buckets, key, &fresh, BPF_NOEXIST))
			return 1;
		/* Another CPU made it first: take from that one. */
		b = bpf_map_lookup_elem(&limit_buckets, key);
		if (!b)
			return 1;
	}
	for (i = 0; i < LIMIT_CAS_TRIES; i++) {
		old = *(volatile __u64 *)&b->tat;
		/* Idle for full_ns, a bucket is full: tat may then be so far
		 * behind that the difference below would wrap. */
		if ((__s64)(now - *(volatile __u64 *)&b->last_ns) >= (__s64)l->full_ns ||
		    (__s64)(old - now_s) < 0)
			base = now_s;
		else
			base = old;
		next = base + need_s;
		if ((__s64)(next - now_s) > (__s64)l->cap_s)
			return 0;
		*(volatile __u64 *)&b->last_ns = now;
		if (__sync_val_compare_and_swap(&b->tat, old, next) == old)
			return 1;
	}
	return 0;
}

/*
 * Applies limit rule i of generation gen to the packet fk (packets wire
 * packets of bytes layer-3 bytes; tcp_flags its flags; has_ports as for
 * policy_find), charging the bucket of the rule and the packet's source
 * prefix. Returns 1 when the packet is over the rate, else 0 (the rule
 * does not apply, or its bucket had room).
 */
__noinline int policy_limit_one(const struct flow_key *fk, __u32 gen, __u32 i, __u32 flags_ports,
				__u64 packets_bytes)
{
	__u32 packets = packets_bytes >> 32, bytes = (__u32)packets_bytes;
	__u8 tcp_flags = flags_ports, has_ports = flags_ports >> 8;
	const struct policy_limit *l;
	struct limit_key key;
	__u64 need;

	if (!fk || i >= POLICY_LIMITS_MAX)
		return 0;
	gen &= POLICY_GENERATIONS - 1;
	l = &policy_limits[gen][i];
	if ((l->proto && l->proto != fk->proto) ||
	    (l->port && (!has_ports || l->port != fk->dst_port)))
		return 0;
	if (l->unit == POLICY_UNIT_SYN &&
	    (fk->proto != IPPROTO_TCP ||
	     (tcp_flags & (FLOW_TCP_SYN | FLOW_TCP_ACK)) != FLOW_TCP_SYN))
		return 0;
	need = l->unit == POLICY_UNIT_BPS ? (__u64)bytes * 8 : packets;
	if (need > l->burst)
		return 1;
	__builtin_memset(&key, 0, sizeof(key));
	key.epoch = policy_epoch[gen];
	key.limit = i;
	key.family = fk->ip_version == 6 ? 6 : 4;
	addr_cut(key.addr, fk->src_addr, key.family == 6 ? l->bits6 : l->bits4);
	return !bucket_take(&key, l, need * l->cost_s, now_ns());
}

/* Adds a packet to rule id's counters in gen. */
static __always_inline void policy_count(__u32 gen, __u32 id, __u64 packets, __u64 bytes)
{
	__u32 slot = gen * policy_rule_slots + id;
	struct policy_counter *c = bpf_map_lookup_elem(&policy_counters, &slot);

	if (c) {
		__sync_fetch_and_add(&c->packets, packets);
		__sync_fetch_and_add(&c->bytes, bytes);
	}
}

enum policy_verdict {
	POLICY_PASS = 0,
	POLICY_WOULD_DROP = 1, /* monitor mode: counted as dropped, passed */
	POLICY_DROP = 2,
};

/*
 * Decides the packet fk by generation gen's rules (packets wire packets of
 * bytes layer-3 bytes, at most 2^32 each; tcp_flags its flags; fragment: a
 * non-first fragment): allow wins over block, block over the limits, which
 * apply in order. The deciding rule's counters take the packet. Returns
 * an enum policy_verdict.
 */
__noinline int policy_decide(const struct flow_key *fk, __u32 gen, __u32 tcp_flags_fragment,
			     __u64 packets, __u64 bytes)
{
	__u8 tcp_flags = tcp_flags_fragment, fragment = tcp_flags_fragment >> 8;
	__u32 has_ports, n, i;
	__u64 shapes, family_shapes;
	int found = 0;

	if (!fk)
		return POLICY_PASS;
	gen &= POLICY_GENERATIONS - 1;
	shapes = *(volatile __u64 *)&policy_shapes[gen];
	has_ports = !fragment && (fk->proto == IPPROTO_TCP || fk->proto == IPPROTO_UDP ||
				  fk->proto == IPPROTO_UDPLITE || fk->proto == IPPROTO_SCTP);
	/* Each kind's 16 shape bits of the packet's family: a call only
	 * when there are rules to find. */
	family_shapes = shapes >> (fk->ip_version == 6 ? 32 : 0);
	if (family_shapes & 0xffff)
		found = policy_find(fk, shapes, gen, POLICY_KEY_ALLOW, has_ports);
	if (found > 0) {
		policy_count(gen, found - 1, packets, bytes);
		return POLICY_PASS;
	}
	if (family_shapes & 0xffff0000)
		found = policy_find(fk, shapes, gen, POLICY_KEY_BLOCK, has_ports);
	n = policy_n_limits[gen];
	for (i = 0; i < POLICY_LIMITS_MAX && !found; i++) {
		if (i >= n)
			break;
		if (policy_limit_one(fk, gen, i, has_ports << 8 | (tcp_flags & 0xff),
				     packets << 32 | (bytes & 0xffffffff)))
			found = policy_limits[gen][i].rule + 1;
	}
	if (found <= 0)
		return POLICY_PASS;
	policy_count(gen, found - 1, packets, bytes);
	return policy_monitor[gen] ? POLICY_WOULD_DROP : POLICY_DROP;
}

/*
 * The policy's verdict on the packet fk (arguments as for policy_decide):
 * the rule set in force is read once, and an empty one costs no call.
 */
static __always_inline int policy_check(const struct flow_key *fk, __u8 tcp_flags, __u8 fragment,
					__u64 packets, __u64 bytes)
{
	__u32 gen = *(volatile __u32 *)&policy_gen & (POLICY_GENERATIONS - 1);

	if (!*(volatile __u64 *)&policy_shapes[gen] && !policy_n_limits[gen])
		return POLICY_PASS;
	return policy_decide(fk, gen, (__u32)fragment << 8 | tcp_flags, packets, bytes);
}

#endif /* POLICY_BPF_H */
