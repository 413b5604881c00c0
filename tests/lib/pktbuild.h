/* SPDX-License-Identifier: BSD-2-Clause */
/* Builds Ethernet frames for test fixtures and generated captures. */
#ifndef PKTBUILD_H
#define PKTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_MAX_FRAME 9216
#define PKT_MAX_VLANS 2
#define PKT_MAX_EXT 9
#define PKT_ETH_MIN_FRAME 60 /* without FCS: shorter frames are padded */

struct pkt_spec {
	int ip_version; /* 4 or 6 */
	uint8_t proto;
	uint8_t src[16], dst[16]; /* IPv4: first 4 bytes */
	uint16_t sport, dport; /* TCP, UDP, UDP-Lite, SCTP */
	uint8_t icmp_type, icmp_code;
	uint8_t tcp_flags;
	uint32_t tcp_seq; /* 0: 1000 */
	uint8_t tcp_option_words; /* 32-bit words of TCP options (NOPs) */
	int vlans; /* 0 .. PKT_MAX_VLANS (more to build bad frames) */
	uint16_t vlan_tpid[4]; /* per tag; 0 means 802.1Q */
	uint16_t vlan_id[4];
	uint8_t ipv4_option_words; /* 32-bit words of IPv4 options */
	int n_ext; /* IPv6 extension headers, in order */
	uint8_t ext[PKT_MAX_EXT]; /* 0 hop-by-hop, 43 routing, 60 dst opts, 44 fragment */
	uint16_t frag_offset; /* in 8-byte units; nonzero: a non-first fragment */
	bool more_fragments;
	uint32_t payload_len; /* bytes after the L4 header */
	uint16_t ethertype; /* 0: from ip_version; else e.g. 0x0806 for a non-IP frame */
	bool pad; /* pad to PKT_ETH_MIN_FRAME, as a NIC would */
	/* A PPPoE session header (ethertype 0x8864) after the tags, its
	 * length that of the PPP protocol and the IP packet. */
	bool pppoe;
	uint16_t ppp_proto; /* 0: from ip_version; else e.g. 0xc021 (LCP) */
	/* The IPv4 total length or IPv6 payload length written as 0, as a
	 * send-side capture shows a TSO packet. */
	bool len_zero;
};

/* Where things are in a built frame. */
struct pkt_layout {
	size_t len; /* frame length, padding included */
	size_t l3_off; /* offset of the IP header */
	uint32_t l3_bytes; /* IPv4 total length, or IPv6 payload length + 40, even when
			    * written as 0 */
	size_t hdr_end; /* the shortest prefix that holds every header the key needs */
};

/* Writes the frame described by s into buf (cap bytes) and its layout into
 * *out. Returns 0, or -1 when it does not fit in cap. */
int pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap, struct pkt_layout *out);

/* The flow's dst_port as flowdb records it: type * 256 + code for ICMP, the
 * port for TCP/UDP/UDP-Lite/SCTP, 0 otherwise and for non-first fragments. */
uint16_t pkt_flow_dport(const struct pkt_spec *s);
uint16_t pkt_flow_sport(const struct pkt_spec *s);

#endif /* PKTBUILD_H */
