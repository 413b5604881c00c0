// SPDX-License-Identifier: BSD-2-Clause
/* Generates a capture of many distinct flows and its per-flow ground truth. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "argnum.h"
#include "pcapw.h"
#include "pktbuild.h"

#define DEFAULT_START_US 1795348800000000ULL /* 2026-11-22T12:00:00Z */
#define PACKET_GAP_US 10
#define SERVERS 20
/* --gateway: one flow in PPPOE_ONE_IN is in a PPPoE session, one IPv4 TCP
 * data packet in TSO_ONE_IN has total length 0 and up to TSO_MAX_PAYLOAD
 * bytes (two segments of 1448, a frame the offline import runs whole),
 * and one packet in NON_IP_EVERY is followed by a non-IP PPPoE frame. */
#define PPPOE_ONE_IN 4
#define TSO_ONE_IN 4
#define TSO_MAX_PAYLOAD 2896
#define NON_IP_EVERY 64
#define PPPOE_SESSION 0x1234

struct flow {
	struct pkt_spec spec;
	uint32_t packets_planned, packets_sent;
	uint64_t bytes;
	uint8_t tcp_flags;
};

struct gen_opts {
	uint32_t flows, packets, seed, max_payload, gap_us;
	uint64_t start_us;
	const char *pcap_path, *truth_path;
	bool gateway;
};

static uint64_t rng_state;

/* xorshift64*: reproducible from --seed on every platform. */
static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: pcapgen --pcap FILE --truth FILE [--flows N] [--packets N]\n"
		     "               [--seed N] [--max-payload N] [--start EPOCH_SECONDS]\n"
		     "               [--gap-us N (between packets, default 10)] [--gateway]\n"
		     "Writes a capture of N distinct flows (IPv4 and IPv6; TCP, UDP, ICMP,\n"
		     "SCTP, GRE/ESP; untagged, 802.1Q and QinQ) and, per flow, the ground truth\n"
		     "as CSV: direction,ip_version,proto,src_addr,dst_addr,src_port,dst_port,\n"
		     "vlan,packets,bytes,tcp_flags. Addresses are from 198.18.0.0/15 and\n"
		     "2001:db8::/32.\n"
		     "--gateway adds what a gateway's capture holds: a quarter of the flows in\n"
		     "PPPoE sessions, a quarter of the IPv4 TCP data packets with total length 0\n"
		     "as send-side TSO captures show them (their bytes: the frame's from the IP\n"
		     "header on, or PPPoE's length), and PPPoE discovery and LCP echo frames,\n"
		     "which are not IP: a last line '#non_ip,N' counts them.\n");
}

static void flow_init(struct flow *f, uint32_t i, bool gateway)
{
	struct pkt_spec *s = &f->spec;
	uint32_t r = rnd() % 100, v = rnd() % 4;
	static const uint16_t services[] = { 80, 443, 53, 22, 123, 8080, 25, 993 };

	memset(f, 0, sizeof(*f));
	s->ip_version = rnd() % 2 ? 6 : 4;
	if (s->ip_version == 4) {
		s->src[0] = 198;
		s->src[1] = 18 + ((i >> 16) & 1);
		s->src[2] = (i >> 8) & 0xff;
		s->src[3] = i & 0xff;
		memcpy(s->dst, (uint8_t[]){ 198, 19, 255, 1 + rnd() % SERVERS }, 4);
	} else {
		memcpy(s->src, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, 0, 1 }, 6);
		memcpy(s->dst, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, 0, 2 }, 6);
		s->src[12] = i >> 24;
		s->src[13] = i >> 16;
		s->src[14] = i >> 8;
		s->src[15] = i;
		s->dst[15] = 1 + rnd() % SERVERS;
	}
	if (r < 60)
		s->proto = 6;
	else if (r < 90)
		s->proto = 17;
	else if (r < 96)
		s->proto = s->ip_version == 4 ? 1 : 58;
	else if (r < 98)
		s->proto = 132;
	else
		s->proto = s->ip_version == 4 ? 47 : 50;
	s->sport = 1024 + rnd() % 60000;
	s->dport = rnd() % 4 ? services[rnd() % 8] : 1024 + rnd() % 60000;
	s->icmp_type = s->ip_version == 4 ? 8 : 128;
	if (v == 1) {
		s->vlans = 1;
		s->vlan_id[0] = 1 + i % 4000;
	} else if (v == 2) {
		s->vlans = 2;
		s->vlan_tpid[0] = 0x88a8;
		s->vlan_id[0] = 1 + i % 4000;
		s->vlan_id[1] = 100;
	}
	s->pad = true;
	if (gateway)
		s->pppoe = rnd() % PPPOE_ONE_IN == 0;
}

/* TCP flags of packet n of count: SYN, then ACK/PSH, then FIN at the end. */
static uint8_t tcp_flags_for(uint32_t n, uint32_t count)
{
	if (n == 0)
		return 0x02;
	if (n + 1 == count && count > 2)
		return 0x11;
	return n % 2 ? 0x10 : 0x18;
}

/* Writes a non-IP frame a PPPoE gateway sees at ts_us: a PPPoE discovery
 * initiation (PADI) when n is even, else an LCP echo request in a session.
 * Returns what pcapw_write() returns. */
static int write_non_ip(FILE *pcap, uint64_t ts_us, uint32_t n)
{
	/* clang-format off */
	static const uint8_t padi[] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x88, 0x63, /* PPPoE discovery */
		0x11, 0x09, 0x00, 0x00, 0x00, 0x04, /* PADI, session 0, 4 bytes of tags */
		0x01, 0x01, 0x00, 0x00, /* Service-Name, any */
	};
	static const uint8_t lcp_echo[] = {
		0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x88, 0x64, /* PPPoE session */
		0x11, 0x00, PPPOE_SESSION >> 8, PPPOE_SESSION & 0xff, 0x00, 0x0a,
		0xc0, 0x21, /* LCP */
		0x09, 0x01, 0x00, 0x08, 0x5e, 0xed, 0xc0, 0xde, /* echo request, magic */
	};
	/* clang-format on */
	uint8_t frame[PKT_ETH_MIN_FRAME] = { 0 };

	if (n % 2 == 0)
		memcpy(frame, padi, sizeof(padi));
	else
		memcpy(frame, lcp_echo, sizeof(lcp_echo));
	return pcapw_write(pcap, ts_us, frame, sizeof(frame));
}

static int write_truth(const struct gen_opts *o, const struct flow *flows, uint32_t non_ip)
{
	FILE *out = fopen(o->truth_path, "w");
	uint32_t i;

	if (!out)
		return -1;
	for (i = 0; i < o->flows; i++) {
		const struct flow *f = &flows[i];
		const struct pkt_spec *s = &f->spec;
		int af = s->ip_version == 4 ? AF_INET : AF_INET6;
		char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

		inet_ntop(af, s->src, src, sizeof(src));
		inet_ntop(af, s->dst, dst, sizeof(dst));
		fprintf(out, "in,%d,%u,%s,%s,%u,%u,%u,%u,%llu,%u\n", s->ip_version, s->proto, src,
			dst, pkt_flow_sport(s), pkt_flow_dport(s), s->vlans ? s->vlan_id[0] : 0,
			f->packets_sent, (unsigned long long)f->bytes, f->tcp_flags);
	}
	if (o->gateway)
		fprintf(out, "#non_ip,%u\n", non_ip);
	return fclose(out);
}

static int generate(const struct gen_opts *o)
{
	struct flow *flows = calloc(o->flows, sizeof(*flows));
	uint32_t *order = calloc(o->packets, sizeof(*order));
	uint8_t frame[PKT_MAX_FRAME];
	uint32_t i, n = 0, non_ip = 0;
	FILE *pcap = NULL;
	int err = -1;

	if (!flows || !order)
		goto cleanup;
	for (i = 0; i < o->flows; i++) {
		flow_init(&flows[i], i, o->gateway);
		flows[i].packets_planned = 1;
		order[n++] = i;
	}
	while (n < o->packets) {
		i = rnd() % o->flows;
		flows[i].packets_planned++;
		order[n++] = i;
	}
	for (i = o->packets - 1; i > 0; i--) {
		uint32_t j = rnd() % (i + 1), tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}

	pcap = pcapw_open(o->pcap_path);
	if (!pcap)
		goto cleanup;
	for (n = 0; n < o->packets; n++) {
		struct flow *f = &flows[order[n]];
		struct pkt_spec s = f->spec;
		struct pkt_layout l;
		uint64_t ts_us = o->start_us + (uint64_t)n * o->gap_us;

		if (s.proto == 6)
			s.tcp_flags = tcp_flags_for(f->packets_sent, f->packets_planned);
		s.payload_len = s.tcp_flags == 0x02 ? 0 : rnd() % (o->max_payload + 1);
		if (o->gateway && s.ip_version == 4 && s.proto == 6 && s.tcp_flags != 0x02 &&
		    rnd() % TSO_ONE_IN == 0) {
			s.len_zero = true;
			s.payload_len = rnd() % (TSO_MAX_PAYLOAD + 1);
		}
		if (pkt_build(&s, frame, sizeof(frame), &l) ||
		    pcapw_write(pcap, ts_us, frame, l.len))
			goto cleanup;
		f->packets_sent++;
		/* Total length 0 counts the frame from the IP header on, padding
		 * included, or in PPPoE what PPPoE's length leaves. */
		f->bytes += s.len_zero && !s.pppoe ? l.len - l.l3_off : l.l3_bytes;
		f->tcp_flags |= s.tcp_flags;
		if (o->gateway && n % NON_IP_EVERY == 0) {
			if (write_non_ip(pcap, ts_us, non_ip))
				goto cleanup;
			non_ip++;
		}
	}
	err = pcapw_close(pcap);
	pcap = NULL;
	if (!err)
		err = write_truth(o, flows, non_ip);
cleanup:
	if (pcap)
		pcapw_close(pcap);
	free(flows);
	free(order);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pcap", required_argument, NULL, 'p' },
		{ "truth", required_argument, NULL, 't' },
		{ "flows", required_argument, NULL, 'f' },
		{ "packets", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "max-payload", required_argument, NULL, 'm' },
		{ "start", required_argument, NULL, 'u' },
		{ "gap-us", required_argument, NULL, 'g' },
		{ "gateway", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct gen_opts o = { .flows = 10000,
			      .packets = 50000,
			      .seed = 1,
			      .max_payload = 1200,
			      .start_us = DEFAULT_START_US,
			      .gap_us = PACKET_GAP_US };
	uint32_t start_s;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		int bad = 0;

		switch (c) {
		case 'p':
			o.pcap_path = optarg;
			break;
		case 't':
			o.truth_path = optarg;
			break;
		case 'f':
			bad = argnum_u32("pcapgen", "--flows", optarg, 1, 1 << 17, &o.flows);
			break;
		case 'n':
			bad = argnum_u32("pcapgen", "--packets", optarg, 1, 100000000, &o.packets);
			break;
		case 's':
			bad = argnum_u32("pcapgen", "--seed", optarg, 1, UINT32_MAX, &o.seed);
			break;
		case 'm':
			bad = argnum_u32("pcapgen", "--max-payload", optarg, 0, 1400,
					 &o.max_payload);
			break;
		case 'u':
			bad = argnum_u32("pcapgen", "--start", optarg, 0, UINT32_MAX, &start_s);
			o.start_us = (uint64_t)start_s * 1000000;
			break;
		case 'g':
			bad = argnum_u32("pcapgen", "--gap-us", optarg, 0, UINT32_MAX, &o.gap_us);
			break;
		case 'w':
			o.gateway = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (bad)
			return 2;
	}
	if (!o.pcap_path || !o.truth_path || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (o.packets < o.flows) {
		fprintf(stderr, "pcapgen: --packets (%u) must be at least --flows (%u)\n",
			o.packets, o.flows);
		return 2;
	}
	rng_state = 0x9e3779b97f4a7c15ULL ^ o.seed;
	if (generate(&o)) {
		fprintf(stderr, "pcapgen: %s\n", strerror(errno ? errno : EIO));
		return 1;
	}
	return 0;
}
