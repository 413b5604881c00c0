// SPDX-License-Identifier: BSD-2-Clause
/* Builds Ethernet frames for test fixtures and generated captures. */
#include <string.h>
#include <arpa/inet.h>
#include "pktbuild.h"

#define ETH_HDR 14
#define VLAN_HDR 4
#define PPPOE_HDR 8 /* with the PPP protocol */
#define IPV4_HDR 20
#define IPV6_HDR 40
#define EXT_HDR 8
#define TCP_HDR 20
#define UDP_HDR 8
#define SCTP_HDR 12
#define ICMP_HDR 8
#define ICMP_KEY_BYTES 4 /* type, code, checksum: what the parser needs */

enum { P_ICMP = 1, P_TCP = 6, P_UDP = 17, P_ICMPV6 = 58, P_SCTP = 132, P_UDPLITE = 136 };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static bool is_icmp(const struct pkt_spec *s)
{
	return (s->ip_version == 4 && s->proto == P_ICMP) ||
	       (s->ip_version == 6 && s->proto == P_ICMPV6);
}

static bool has_ports(const struct pkt_spec *s)
{
	return s->proto == P_TCP || s->proto == P_UDP || s->proto == P_UDPLITE ||
	       s->proto == P_SCTP;
}

/* Length of the L4 header the builder writes; 0 for protocols it treats as
 * opaque payload and for non-first fragments. */
static size_t l4_header_len(const struct pkt_spec *s)
{
	if (s->frag_offset)
		return 0;
	switch (s->proto) {
	case P_TCP:
		return TCP_HDR + 4 * s->tcp_option_words;
	case P_UDP:
	case P_UDPLITE:
		return UDP_HDR;
	case P_SCTP:
		return SCTP_HDR;
	default:
		return is_icmp(s) ? ICMP_HDR : 0;
	}
}

uint16_t pkt_flow_sport(const struct pkt_spec *s)
{
	return !s->frag_offset && has_ports(s) ? s->sport : 0;
}

uint16_t pkt_flow_dport(const struct pkt_spec *s)
{
	if (s->frag_offset)
		return 0;
	if (has_ports(s))
		return s->dport;
	return is_icmp(s) ? (uint16_t)(s->icmp_type << 8 | s->icmp_code) : 0;
}

static uint16_t ipv4_checksum(const uint8_t *h, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i < len; i += 2)
		sum += h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static void write_l4(const struct pkt_spec *s, uint8_t *p, size_t l4_len, size_t payload)
{
	switch (s->proto) {
	case P_TCP:
		put16(p, s->sport);
		put16(p + 2, s->dport);
		put32(p + 4, s->tcp_seq ? s->tcp_seq : 1000);
		put32(p + 8, s->tcp_flags & 0x10 ? 2000 : 0);
		p[12] = (uint8_t)(l4_len / 4) << 4;
		p[13] = s->tcp_flags;
		put16(p + 14, 65535);
		memset(p + TCP_HDR, 1, l4_len - TCP_HDR); /* NOP options */
		break;
	case P_UDP:
	case P_UDPLITE:
		put16(p, s->sport);
		put16(p + 2, s->dport);
		put16(p + 4, (uint16_t)(UDP_HDR + payload));
		break;
	case P_SCTP:
		put16(p, s->sport);
		put16(p + 2, s->dport);
		put32(p + 4, 0x5ca1ab1e);
		break;
	default: /* ICMP or ICMPv6 */
		p[0] = s->icmp_type;
		p[1] = s->icmp_code;
		put16(p + 4, 0x1234);
		put16(p + 6, 1);
		break;
	}
}

int pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap, struct pkt_layout *out)
{
	size_t ip_hdr = s->ip_version == 4 ? IPV4_HDR + 4 * s->ipv4_option_words : IPV6_HDR;
	size_t ext_len = s->ip_version == 6 ? (size_t)s->n_ext * EXT_HDR : 0;
	size_t l4_len = l4_header_len(s);
	size_t l3_off = ETH_HDR + (size_t)s->vlans * VLAN_HDR + (s->pppoe ? PPPOE_HDR : 0);
	size_t l3_bytes = ip_hdr + ext_len + l4_len + s->payload_len;
	size_t len = l3_off + l3_bytes, off;
	uint16_t ip_ethertype = s->ip_version == 4 ? 0x0800 : 0x86dd;
	uint16_t ethertype = s->ethertype ? s->ethertype : s->pppoe ? 0x8864 : ip_ethertype;
	uint16_t ppp_proto = s->ppp_proto ? s->ppp_proto : s->ip_version == 4 ? 0x0021 : 0x0057;
	uint16_t frag_field;
	int i;

	if (len > cap || (s->pad && PKT_ETH_MIN_FRAME > cap))
		return -1;
	memset(buf, 0, len > PKT_ETH_MIN_FRAME ? len : PKT_ETH_MIN_FRAME);

	memcpy(buf, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	for (i = 0, off = 12; i < s->vlans; i++, off += VLAN_HDR) {
		put16(buf + off, s->vlan_tpid[i] ? s->vlan_tpid[i] : 0x8100);
		put16(buf + off + 2, s->vlan_id[i] & 0x0fff);
	}
	put16(buf + off, ethertype);
	if (s->pppoe) {
		buf[off + 2] = 0x11; /* version 1, type 1; code 0: session data */
		put16(buf + off + 4, 0x2a); /* session id */
		put16(buf + off + 6, (uint16_t)(2 + l3_bytes));
		put16(buf + off + 8, ppp_proto);
	}
	off = l3_off;

	if (s->ip_version == 4) {
		uint8_t *ip = buf + off;

		frag_field = s->frag_offset | (s->more_fragments ? 0x2000 : 0);
		ip[0] = 0x40 | (uint8_t)(ip_hdr / 4);
		put16(ip + 2, s->len_zero ? 0 : (uint16_t)l3_bytes);
		put16(ip + 4, 0x4242);
		put16(ip + 6, frag_field);
		ip[8] = 64;
		ip[9] = s->proto;
		memcpy(ip + 12, s->src, 4);
		memcpy(ip + 16, s->dst, 4);
		memset(ip + IPV4_HDR, 1, ip_hdr - IPV4_HDR); /* NOP options */
		put16(ip + 10, ipv4_checksum(ip, ip_hdr));
		off += ip_hdr;
	} else {
		uint8_t *ip = buf + off;

		ip[0] = 0x60;
		put16(ip + 4, s->len_zero ? 0 : (uint16_t)(l3_bytes - IPV6_HDR));
		ip[6] = s->n_ext ? s->ext[0] : s->proto;
		ip[7] = 64;
		memcpy(ip + 8, s->src, 16);
		memcpy(ip + 24, s->dst, 16);
		off += IPV6_HDR;
		for (i = 0; i < s->n_ext; i++, off += EXT_HDR) {
			uint8_t *e = buf + off;

			e[0] = i + 1 < s->n_ext ? s->ext[i + 1] : s->proto;
			if (s->ext[i] == 44) {
				frag_field = (uint16_t)(s->frag_offset << 3) | s->more_fragments;
				put16(e + 2, frag_field);
				put32(e + 4, 0x4242);
			} else if (s->ext[i] == 43) {
				e[2] = 253; /* experimental routing type, segments left 0 */
			} else {
				e[2] = 1; /* PadN option filling the header */
				e[3] = 4;
			}
		}
	}

	if (l4_len)
		write_l4(s, buf + off, l4_len, s->payload_len);
	for (i = 0; i < (int)s->payload_len; i++)
		buf[off + l4_len + i] = (uint8_t)(i * 7 + 3);

	out->len = s->pad && len < PKT_ETH_MIN_FRAME ? PKT_ETH_MIN_FRAME : len;
	out->l3_off = l3_off;
	out->l3_bytes = (uint32_t)l3_bytes;
	out->hdr_end = off + (is_icmp(s) && l4_len ? ICMP_KEY_BYTES : l4_len);
	return 0;
}
