/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* Packet parser shared by the XDP and tc programs: frame -> flow key. */
#ifndef PARSE_BPF_H
#define PARSE_BPF_H

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/ppp_defs.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include "flowdb.h"

#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif
#define IPPROTO_HOPOPTS 0
#define IPPROTO_ROUTING 43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_DSTOPTS 60

#define IPV4_FRAG_OFFSET_MASK 0x1fff
#define IPV6_FRAG_OFFSET_MASK 0xfff8
#define VLAN_VID_MASK 0x0fff
#define IPV6_HDR_LEN 40
/* Bounds where layer 3 starts, for the verifier: Ethernet, two tags and
 * PPPoE take 30 bytes. */
#define L3_OFF_MASK 0x3f

enum parse_result {
	PARSE_OK = 0,
	PARSE_NON_IP,
	PARSE_MALFORMED,
};

struct cursor {
	void *start; /* where offsets count from: the frame, then layer 3 */
	void *pos;
	void *end;
	__u64 start_off; /* start's offset in the frame */
};

/* What the parser learns beyond the key. */
struct packet_meta {
	__u32 l3_bytes; /* as the IP header declares it (TSO: see parse_ipv4()) */
	__u16 hdr_bytes; /* IP + extension + L4 header bytes, for GSO accounting */
	__u8 tcp_flags;
	__u8 truncated; /* the frame ends before l3_bytes */
	__u8 fragment; /* a non-first fragment: no L4 header, ports 0 */
	/* TCP and UDP: where the payload starts in the frame, and how long the
	 * IP header says it is (0: no payload, or another protocol). */
	__u16 payload_off;
	__u16 payload_len;
	__u32 tcp_seq; /* TCP: the sequence number, host order */
};

struct vlan_tag {
	__be16 tci;
	__be16 encap_proto;
};

/* A PPPoE session frame's header (RFC 2516) and the PPP protocol after it. */
struct pppoe_session {
	__u8 ver_type;
	__u8 code;
	__be16 session_id;
	__be16 length; /* the PPP protocol field and what follows it */
	__be16 ppp_proto;
};

struct ipv6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

/* The part of a TCP, UDP or SCTP header that holds the ports. */
struct l4_ports {
	__be16 src;
	__be16 dst;
};

/* The fixed part every ICMP and ICMPv6 message starts with. */
struct icmp_common {
	__u8 type;
	__u8 code;
	__sum16 checksum;
};

#define SCTP_COMMON_HDR_LEN 12

/* Where c->pos is in the frame. The barrier keeps the compiler from
 * folding the difference into 32-bit pointer arithmetic, which the
 * verifier refuses. */
static __always_inline __u64 cursor_off(const struct cursor *c)
{
	__u64 off = c->pos - c->start;

	asm volatile("" : "+r"(off));
	return off + c->start_off;
}

static __always_inline int is_ipv6_ext(__u8 nexthdr)
{
	return nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
	       nexthdr == IPPROTO_DSTOPTS || nexthdr == IPPROTO_FRAGMENT;
}

static __always_inline int is_vlan_proto(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/*
 * A packet is malformed when any header up to and including the L4 header
 * (TCP options too) is cut short by the frame or by the length the IP header
 * declares; Ethernet padding is never read as a header. A frame that ends
 * inside the payload still yields its flow, flagged truncated.
 */

/* Reads the L4 header at c->pos into key and meta. l4_len is what the IP
 * header says is left for it. Returns 0 or PARSE_MALFORMED. */
static __always_inline int parse_l4(struct cursor *c, __u32 l4_len, struct flow_key *key,
				    struct packet_meta *meta)
{
	__u8 proto = key->proto;

	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = c->pos;
		__u32 len;

		if ((void *)(th + 1) > c->end)
			return PARSE_MALFORMED;
		len = th->doff * 4;
		if (len < sizeof(*th) || len > l4_len || c->pos + len > c->end)
			return PARSE_MALFORMED;
		key->src_port = bpf_ntohs(th->source);
		key->dst_port = bpf_ntohs(th->dest);
		meta->tcp_flags = ((__u8 *)th)[13];
		meta->tcp_seq = bpf_ntohl(th->seq);
		meta->hdr_bytes += len;
		meta->payload_off = cursor_off(c) + len;
		meta->payload_len = l4_len - len;
	} else if (proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP) {
		struct l4_ports *p = c->pos;
		__u32 need = proto == IPPROTO_SCTP ? SCTP_COMMON_HDR_LEN : sizeof(struct udphdr);

		if (l4_len < need || c->pos + need > c->end)
			return PARSE_MALFORMED;
		key->src_port = bpf_ntohs(p->src);
		key->dst_port = bpf_ntohs(p->dst);
		meta->hdr_bytes += need;
		if (proto == IPPROTO_UDP) {
			meta->payload_off = cursor_off(c) + need;
			meta->payload_len = l4_len - need;
		}
	} else if ((proto == IPPROTO_ICMP && key->ip_version == 4) ||
		   (proto == IPPROTO_ICMPV6 && key->ip_version == 6)) {
		struct icmp_common *ic = c->pos;

		if (l4_len < sizeof(*ic) || (void *)(ic + 1) > c->end)
			return PARSE_MALFORMED;
		key->dst_port = (__u16)ic->type << 8 | ic->code;
	}
	return 0;
}

/* Reads the IPv4 header at c->pos and the L4 header after it. l3_len is
 * how many bytes the link layer gives the packet (see parse_packet()).
 * Returns 0 or PARSE_MALFORMED. */
static __always_inline int parse_ipv4(struct cursor *c, __u32 l3_len, struct flow_key *key,
				      struct packet_meta *meta)
{
	struct iphdr *iph = c->pos;
	__u32 hdr_len, tot_len, l4_len;

	if ((void *)(iph + 1) > c->end)
		return PARSE_MALFORMED;
	if (iph->version != 4 || iph->ihl < 5)
		return PARSE_MALFORMED;
	hdr_len = iph->ihl * 4;
	tot_len = bpf_ntohs(iph->tot_len);
	/*
	 * Total length 0 is what a send-side capture shows of a TSO/LSO
	 * packet: the NIC writes each segment's length. Such a packet counts
	 * at the length the link layer gives it, as tshark does. Only 0
	 * qualifies: any other total length below the header is malformed,
	 * one beyond the frame is a cut frame (truncated), and one short of
	 * the frame leaves the rest as padding.
	 */
	if (!tot_len)
		tot_len = l3_len;
	if (tot_len < hdr_len || c->pos + hdr_len > c->end)
		return PARSE_MALFORMED;

	key->ip_version = 4;
	key->proto = iph->protocol;
	__builtin_memcpy(key->src_addr, &iph->saddr, 4);
	__builtin_memcpy(key->dst_addr, &iph->daddr, 4);
	meta->l3_bytes = tot_len;
	meta->hdr_bytes = hdr_len;
	meta->truncated = c->end - c->pos < tot_len;

	/* Non-first fragments carry no L4 header. */
	if (bpf_ntohs(iph->frag_off) & IPV4_FRAG_OFFSET_MASK) {
		meta->fragment = 1;
		return 0;
	}
	c->pos += hdr_len;
	/* Past 64 KiB only when taken from a frame that long (IPv4 BIG TCP on
	 * egress): meta->payload_len then says 64 KiB - 1, "at least", rather
	 * than a length wrapped to a small one. */
	l4_len = tot_len - hdr_len;
	return parse_l4(c, l4_len > 0xffff ? 0xffff : l4_len, key, meta);
}

/* Reads the IPv6 header at c->pos, its extension headers and the L4
 * header. A payload length of 0 (a TSO packet's, or a jumbogram's) is taken
 * as it stands, unlike IPv4's total length 0: tshark too reads nothing
 * after the header then, so such a packet is malformed when its key needs
 * an L4 or extension header, and 40 bytes otherwise.
 * Returns 0 or PARSE_MALFORMED. */
static __always_inline int parse_ipv6(struct cursor *c, struct flow_key *key,
				      struct packet_meta *meta)
{
	struct ipv6hdr *ip6h = c->pos;
	__u32 left; /* payload bytes the header declares, not yet walked */
	__u8 nexthdr;
	int i;

	if ((void *)(ip6h + 1) > c->end)
		return PARSE_MALFORMED;
	if (ip6h->version != 6)
		return PARSE_MALFORMED;

	key->ip_version = 6;
	__builtin_memcpy(key->src_addr, &ip6h->saddr, 16);
	__builtin_memcpy(key->dst_addr, &ip6h->daddr, 16);
	left = bpf_ntohs(ip6h->payload_len);
	meta->l3_bytes = left + IPV6_HDR_LEN;
	meta->hdr_bytes = IPV6_HDR_LEN;
	meta->truncated = c->end - c->pos < meta->l3_bytes;
	nexthdr = ip6h->nexthdr;
	c->pos = ip6h + 1;

	for (i = 0; i < IPV6_EXT_MAX && is_ipv6_ext(nexthdr); i++) {
		if (nexthdr == IPPROTO_FRAGMENT) {
			struct ipv6_frag *fh = c->pos;

			if ((void *)(fh + 1) > c->end || sizeof(*fh) > left)
				return PARSE_MALFORMED;
			/* Non-first fragments carry no L4 header. */
			if (bpf_ntohs(fh->frag_off) & IPV6_FRAG_OFFSET_MASK) {
				key->proto = fh->nexthdr;
				meta->fragment = 1;
				return 0;
			}
			nexthdr = fh->nexthdr;
			c->pos = fh + 1;
			left -= sizeof(*fh);
			meta->hdr_bytes += sizeof(*fh);
		} else {
			struct ipv6_opt_hdr *opt = c->pos;
			__u32 len;

			if ((void *)(opt + 1) > c->end)
				return PARSE_MALFORMED;
			len = (opt->hdrlen + 1) * 8;
			if (len > left || c->pos + len > c->end)
				return PARSE_MALFORMED;
			nexthdr = opt->nexthdr;
			c->pos += len;
			left -= len;
			meta->hdr_bytes += len;
		}
	}
	if (is_ipv6_ext(nexthdr))
		return PARSE_MALFORMED;
	key->proto = nexthdr;
	return parse_l4(c, left, key, meta);
}

/*
 * Reads a PPPoE session header at c->pos and moves past it. Sets *proto to
 * the ethertype of what it carries and *l3_len to the bytes PPPoE gives
 * that. PPPoE's length bounds the IP packet as the IP header's bounds the
 * L4 header: a length that cannot hold the PPP protocol, or an IP packet
 * longer than it says, is malformed. A frame that ends before it is a cut
 * frame; bytes after it are Ethernet padding.
 * Returns 0, PARSE_NON_IP (PPP other than IPv4 and IPv6) or PARSE_MALFORMED.
 */
static __always_inline int parse_pppoe(struct cursor *c, __be16 *proto, __u32 *l3_len)
{
	struct pppoe_session *ph = c->pos;
	__u32 ip_len;

	if ((void *)(ph + 1) > c->end)
		return PARSE_MALFORMED;
	*l3_len = bpf_ntohs(ph->length);
	if (*l3_len < sizeof(ph->ppp_proto))
		return PARSE_MALFORMED;
	*l3_len -= sizeof(ph->ppp_proto);
	c->pos = ph + 1;
	/* The IP length is checked here, not after the IP header is read, so
	 * that nothing of PPPoE is left for the verifier to tell apart (see
	 * parse_packet()). Its fixed header is needed anyway. */
	if (ph->ppp_proto == bpf_htons(PPP_IP)) {
		struct iphdr *iph = c->pos;

		if ((void *)(iph + 1) > c->end)
			return PARSE_MALFORMED;
		*proto = bpf_htons(ETH_P_IP);
		ip_len = bpf_ntohs(iph->tot_len); /* 0: taken from PPPoE's */
	} else if (ph->ppp_proto == bpf_htons(PPP_IPV6)) {
		struct ipv6hdr *ip6h = c->pos;

		if ((void *)(ip6h + 1) > c->end)
			return PARSE_MALFORMED;
		*proto = bpf_htons(ETH_P_IPV6);
		ip_len = bpf_ntohs(ip6h->payload_len) + IPV6_HDR_LEN;
	} else {
		return PARSE_NON_IP;
	}
	return ip_len > *l3_len ? PARSE_MALFORMED : 0;
}

/*
 * What the parser reads: Ethernet; up to VLAN_MAX_DEPTH 802.1Q or 802.1ad
 * tags; a PPPoE session (0x8864) carrying IPv4 (PPP 0x0021) or IPv6
 * (0x0057); IPv4, IPv6 and its extension headers; the L4 header.
 *
 * What a gateway also sees and the parser leaves alone, and how it counts:
 * - non-IP: MPLS (0x8847, 0x8848), 802.1ah (0x88e7), MACsec (0x88e5), NSH,
 *   802.3 frames with LLC/SNAP, PPPoE discovery (0x8863), PPP control
 *   protocols in PPPoE (LCP, IPCP, IPV6CP, PAP, CHAP...) and a PPP protocol
 *   field compressed to one byte (which RFC 2516 advises against);
 * - the outer flow, its inner flows unseen: tunnels in IP, whether over UDP
 *   (VXLAN 4789, GENEVE 6081, GTP-U 2152, L2TP 1701, Teredo, WireGuard...)
 *   or as their own protocol with ports 0 (GRE 47 with what it carries,
 *   PPTP's PPP included; IP-in-IP 4; IPv6-in-IPv4 41; L2TPv3 115; ESP 50,
 *   AH 51).
 * Inner flows would need a second parse per packet, and their bytes are
 * already counted once in the outer flow.
 */

/* Parses one frame starting at its Ethernet header into key (fully written,
 * padding included) and meta. frame_len is the whole frame's length, at
 * least data_end - data (more for an skb with paged data). offloaded_tag is
 * nonzero when the device already took the outer tag off the frame (tc
 * egress); its id is then outer_vlan. Returns enum parse_result. */
static __always_inline int parse_packet(void *data, void *data_end, __u32 frame_len,
					int offloaded_tag, __u16 outer_vlan, struct flow_key *key,
					struct packet_meta *meta)
{
	struct cursor c = { .start = data, .pos = data, .end = data_end };
	struct ethhdr *eth = c.pos;
	__be16 proto;
	__u32 l3_len; /* the bytes the link layer gives layer 3 */
	__u64 l3_off;
	int i, ret;

	__builtin_memset(key, 0, sizeof(*key));
	__builtin_memset(meta, 0, sizeof(*meta));
	key->vlan = offloaded_tag ? outer_vlan : 0;

	if ((void *)(eth + 1) > c.end)
		return PARSE_MALFORMED;
	proto = eth->h_proto;
	c.pos = eth + 1;

	for (i = 0; i < VLAN_MAX_DEPTH; i++) {
		struct vlan_tag *tag = c.pos;

		if (!is_vlan_proto(proto))
			break;
		if ((void *)(tag + 1) > c.end)
			return PARSE_MALFORMED;
		if (i == 0 && !offloaded_tag)
			key->vlan = bpf_ntohs(tag->tci) & VLAN_VID_MASK;
		proto = tag->encap_proto;
		c.pos = tag + 1;
	}

	if (proto == bpf_htons(ETH_P_PPP_SES)) {
		ret = parse_pppoe(&c, &proto, &l3_len);
		if (ret)
			return ret;
		l3_off = cursor_off(&c);
	} else {
		l3_off = cursor_off(&c);
		l3_len = frame_len - l3_off;
	}
	/*
	 * From here on offsets count from layer 3, whose place in the frame
	 * the verifier does not know (a difference of two pointers is a number
	 * it does not know), masked to a bound it can check. Every way through
	 * the link layer then looks alike to it: the IP parse is verified
	 * once, not once per tag count and PPPoE or not.
	 */
	c.start = c.start + (l3_off & L3_OFF_MASK);
	c.start_off = l3_off;
	c.pos = c.start;

	if (proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(&c, l3_len, key, meta);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(&c, key, meta);
	return is_vlan_proto(proto) ? PARSE_MALFORMED : PARSE_NON_IP;
}

#endif /* PARSE_BPF_H */
