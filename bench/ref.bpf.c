// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0)
/* The minimal reference a flow tracker is measured against: parse the
 * 5-tuple (IPv4, or IPv6 behind one 802.1Q tag for the IPv6 workload) and
 * add the packet to its entry in an LRU hash, nothing else. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define ETH_P_8021Q 0x8100
#define REF_MAP_ENTRIES 16384 /* user space sizes it to the workload */

struct ref_key4 {
	__u32 saddr, daddr;
	__u16 sport, dport;
	__u8 proto;
	__u8 pad[3];
};

struct ref_key6 {
	struct in6_addr saddr, daddr;
	__u16 sport, dport;
	__u8 proto;
	__u8 pad[3];
};

struct ref_counters {
	__u64 packets, bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, REF_MAP_ENTRIES);
	__type(key, struct ref_key4);
	__type(value, struct ref_counters);
} ref_flows4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, REF_MAP_ENTRIES);
	__type(key, struct ref_key6);
	__type(value, struct ref_counters);
} ref_flows6 SEC(".maps");

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct ports {
	__be16 src, dst;
};

/* Adds one packet of bytes to key's entry in flows, creating it if new. */
static __always_inline void ref_count(void *flows, const void *key, __u64 bytes)
{
	struct ref_counters *c = bpf_map_lookup_elem(flows, key);
	struct ref_counters fresh = { .packets = 1, .bytes = bytes };

	if (c) {
		__sync_fetch_and_add(&c->packets, 1);
		__sync_fetch_and_add(&c->bytes, bytes);
		return;
	}
	bpf_map_update_elem(flows, key, &fresh, BPF_NOEXIST);
}

SEC("xdp")
int ref_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct vlan_hdr *vlan;
	struct ipv6hdr *ip6;
	struct iphdr *ip4;
	struct ports *l4;
	__be16 proto;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_IP)) {
		struct ref_key4 key = {};

		ip4 = (void *)(eth + 1);
		if ((void *)(ip4 + 1) > data_end)
			return XDP_PASS;
		l4 = (void *)ip4 + ip4->ihl * 4;
		if ((void *)(l4 + 1) > data_end)
			return XDP_PASS;
		key.saddr = ip4->saddr;
		key.daddr = ip4->daddr;
		key.proto = ip4->protocol;
		key.sport = l4->src;
		key.dport = l4->dst;
		ref_count(&ref_flows4, &key, bpf_ntohs(ip4->tot_len));
		return XDP_PASS;
	}
	if (proto != bpf_htons(ETH_P_8021Q))
		return XDP_PASS;
	vlan = (void *)(eth + 1);
	if ((void *)(vlan + 1) > data_end || vlan->proto != bpf_htons(ETH_P_IPV6))
		return XDP_PASS;
	ip6 = (void *)(vlan + 1);
	l4 = (void *)(ip6 + 1);
	if ((void *)(l4 + 1) > data_end)
		return XDP_PASS;
	{
		struct ref_key6 key = {};

		key.saddr = ip6->saddr;
		key.daddr = ip6->daddr;
		key.proto = ip6->nexthdr;
		key.sport = l4->src;
		key.dport = l4->dst;
		ref_count(&ref_flows6, &key, bpf_ntohs(ip6->payload_len) + sizeof(*ip6));
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
