// SPDX-License-Identifier: BSD-2-Clause
/* Writes a capture of many single-packet flows between a skewed pool of hosts,
 * spread evenly over hours: the shared data set of the query benchmarks. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "argnum.h"
#include "pcapw.h"
#include "pktbuild.h"

#define DEFAULT_START_S 1795305600U /* 2026-11-22T00:00:00Z */
#define USEC 1000000ULL
#define PORT_FIRST 1024
#define PORT_SPAN 64512 /* 1024 .. 65535 */
#define MAX_HOSTS 131072 /* 198.18.0.0/15 */
#define V6_SHARE 8 /* one host in 8 is IPv6 */
#define TCP_ACK 0x10

/* The hosts of one IP version, drawn by a Zipf-like law (weight 1 / rank). */
struct pool {
	uint32_t n;
	uint32_t *host; /* rank -> host number */
	double *cdf; /* cdf[r]: chance of a rank <= r; cdf[n - 1] = 1 */
};

struct gen_opts {
	uint32_t flows, hours, hosts, seed;
	uint64_t start_us;
	const char *pcap_path;
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

/* A uniform double in [0, 1). */
static double rnd_unit(void)
{
	return rnd() / 4294967296.0;
}

/* A uniform whole number in [lo, hi]. */
static uint32_t rnd_range(uint32_t lo, uint32_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: flowcap --pcap FILE [--flows N] [--hours H] [--hosts K] [--seed S]\n"
		     "               [--start EPOCH_SECONDS]\n"
		     "Writes a classic pcap of N single-packet flows (default 10,000,000), their\n"
		     "times spread evenly over H hours (default 24) from --start (default\n"
		     "2026-11-22T00:00Z). Sources and destinations come from K hosts (default\n"
		     "2000; one in 8 IPv6) with a Zipf-like skew, so a few hosts send most.\n"
		     "TCP (ACK only), UDP and some ICMP, payloads of varied sizes. No two flows\n"
		     "share a 5-tuple within 64,512 TCP/UDP flows or K ICMP flows, so every\n"
		     "packet is a flow record of its own for idle timeouts up to minutes.\n"
		     "Addresses are from 198.18.0.0/15 and 2001:db8::/32.\n");
}

/* Whether host number h (0 .. hosts - 1) is an IPv6 host. */
static int host_is_v6(uint32_t h)
{
	return h % V6_SHARE == V6_SHARE - 1;
}

/* Writes host h's address into a (4 bytes for IPv4, 16 for IPv6): IPv4 hosts
 * are 198.18.0.0 + h + 1, IPv6 hosts 2001:db8::h+1. */
static void host_addr(uint32_t h, uint8_t *a)
{
	uint32_t v = h + 1;

	if (!host_is_v6(h)) {
		v += 198U << 24 | 18U << 16;
		a[0] = v >> 24;
		a[1] = v >> 16;
		a[2] = v >> 8;
		a[3] = v;
		return;
	}
	memset(a, 0, 16);
	a[0] = 0x20;
	a[1] = 0x01;
	a[2] = 0x0d;
	a[3] = 0xb8;
	a[12] = v >> 24;
	a[13] = v >> 16;
	a[14] = v >> 8;
	a[15] = v;
}

/* Fills p with the hosts below `hosts` whose version is v6 (0 or 1), in a
 * random order of rank, and their cumulative Zipf weights. Returns 0, or -1
 * when out of memory (p is then safe to pool_free). */
static int pool_init(struct pool *p, uint32_t hosts, int v6)
{
	double sum = 0;
	uint32_t h, r;

	p->n = 0;
	p->host = calloc(hosts, sizeof(*p->host));
	p->cdf = calloc(hosts, sizeof(*p->cdf));
	if (!p->host || !p->cdf)
		return -1;
	for (h = 0; h < hosts; h++)
		if (host_is_v6(h) == v6)
			p->host[p->n++] = h;
	for (r = p->n - 1; r > 0; r--) {
		uint32_t j = rnd() % (r + 1), tmp = p->host[r];

		p->host[r] = p->host[j];
		p->host[j] = tmp;
	}
	for (r = 0; r < p->n; r++) {
		sum += 1.0 / (r + 1);
		p->cdf[r] = sum;
	}
	for (r = 0; r < p->n; r++)
		p->cdf[r] /= sum;
	p->cdf[p->n - 1] = 1.0;
	return 0;
}

static void pool_free(struct pool *p)
{
	free(p->host);
	free(p->cdf);
}

/* Draws a host of p by its Zipf weight. p must not be empty. */
static uint32_t pool_draw(const struct pool *p)
{
	double u = rnd_unit();
	uint32_t lo = 0, hi = p->n - 1;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (p->cdf[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return p->host[lo];
}

/* Draws a destination of the same version as src from p, never src itself
 * (p must hold at least two hosts). */
static uint32_t pool_draw_peer(const struct pool *p, uint32_t src)
{
	uint32_t h;

	do
		h = pool_draw(p);
	while (h == src);
	return h;
}

/* A TCP destination port: mostly HTTPS and HTTP, some other services, one in
 * ten an ephemeral port. */
static uint16_t tcp_service(void)
{
	static const uint16_t other[] = { 22, 25, 993, 3306, 5432, 8080, 8443 };
	uint32_t r = rnd() % 100;

	if (r < 50)
		return 443;
	if (r < 70)
		return 80;
	if (r < 90)
		return other[rnd() % (sizeof(other) / sizeof(other[0]))];
	return rnd_range(PORT_FIRST, 65535);
}

/* A UDP destination port: mostly DNS and QUIC, some NTP, mDNS and others. */
static uint16_t udp_service(void)
{
	static const uint16_t other[] = { 123, 5353, 1900, 514, 161, 4789 };
	uint32_t r = rnd() % 100;

	if (r < 55)
		return 53;
	if (r < 75)
		return 443;
	if (r < 90)
		return other[rnd() % (sizeof(other) / sizeof(other[0]))];
	return rnd_range(PORT_FIRST, 65535);
}

/* Payload bytes after the TCP header: a third bare ACKs, then small, medium
 * and full-size segments (a 1,500-byte IP packet). */
static uint32_t tcp_payload(int v6)
{
	uint32_t full = v6 ? 1440 : 1460, r = rnd() % 100;

	if (r < 35)
		return 0;
	if (r < 70)
		return rnd_range(1, 256);
	if (r < 90)
		return rnd_range(257, full - 1);
	return full;
}

/* Payload bytes after the UDP header: DNS-sized mostly, some QUIC-sized. */
static uint32_t udp_payload(uint16_t dport)
{
	if (dport == 443)
		return rnd() % 4 ? rnd_range(1200, 1350) : rnd_range(30, 120);
	return rnd() % 10 ? rnd_range(20, 200) : rnd_range(201, 1200);
}

/* Describes flow i into s: source and destination from the pools, then the
 * protocol, ports and payload. *port_seq and *icmp_seq count the TCP/UDP and
 * ICMP flows so far; the source port (TCP/UDP) or source host (ICMP) follows
 * them so that no 5-tuple repeats within PORT_SPAN or `hosts` such flows. */
static void flow_spec(struct pkt_spec *s, const struct pool pools[2], uint32_t hosts,
		      uint64_t *port_seq, uint64_t *icmp_seq)
{
	uint32_t r = rnd() % 100, src, dst;
	int v6;

	memset(s, 0, sizeof(*s));
	s->pad = true;
	if (r < 5) {
		/* ICMP: echo requests, the sender going round every host. */
		src = (uint32_t)((*icmp_seq)++ % hosts);
		v6 = host_is_v6(src);
		s->proto = v6 ? 58 : 1;
		s->icmp_type = v6 ? 128 : 8;
		s->payload_len = 56;
	} else {
		v6 = rnd() % V6_SHARE == 0;
		if (!pools[v6].n)
			v6 = !v6;
		src = pool_draw(&pools[v6]);
		s->sport = (uint16_t)(PORT_FIRST + (*port_seq)++ % PORT_SPAN);
		if (r < 75) {
			s->proto = 6;
			s->tcp_flags = TCP_ACK;
			s->dport = tcp_service();
			s->payload_len = tcp_payload(v6);
		} else {
			s->proto = 17;
			s->dport = udp_service();
			s->payload_len = udp_payload(s->dport);
		}
	}
	dst = pool_draw_peer(&pools[v6], src);
	s->ip_version = v6 ? 6 : 4;
	host_addr(src, s->src);
	host_addr(dst, s->dst);
}

/* Writes the capture o describes. Returns 0, or -1 with errno set. */
static int generate(const struct gen_opts *o)
{
	struct pool pools[2] = { { 0 }, { 0 } };
	uint64_t span_us = (uint64_t)o->hours * 3600 * USEC, port_seq = 0, icmp_seq = 0;
	uint8_t frame[PKT_MAX_FRAME];
	FILE *pcap = NULL;
	uint32_t i;
	int err = -1;

	if (pool_init(&pools[0], o->hosts, 0) || pool_init(&pools[1], o->hosts, 1))
		goto cleanup;
	pcap = pcapw_open(o->pcap_path);
	if (!pcap)
		goto cleanup;
	for (i = 0; i < o->flows; i++) {
		struct pkt_spec s;
		struct pkt_layout l;
		uint64_t ts;

		flow_spec(&s, pools, o->hosts, &port_seq, &icmp_seq);
		if (pkt_build(&s, frame, sizeof(frame), &l)) {
			errno = EINVAL;
			goto cleanup;
		}
		ts = o->start_us + (uint64_t)((unsigned __int128)span_us * i / o->flows);
		if (pcapw_write(pcap, ts, frame, l.len))
			goto cleanup;
	}
	err = pcapw_close(pcap);
	pcap = NULL;
cleanup:
	if (pcap)
		pcapw_close(pcap);
	pool_free(&pools[0]);
	pool_free(&pools[1]);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pcap", required_argument, NULL, 'p' },
		{ "flows", required_argument, NULL, 'f' },
		{ "hours", required_argument, NULL, 'H' },
		{ "hosts", required_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 's' },
		{ "start", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct gen_opts o = { .flows = 10000000,
			      .hours = 24,
			      .hosts = 2000,
			      .seed = 1,
			      .start_us = DEFAULT_START_S * USEC };
	uint32_t start_s;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		int bad = 0;

		switch (c) {
		case 'p':
			o.pcap_path = optarg;
			break;
		case 'f':
			bad = argnum_u32("flowcap", "--flows", optarg, 1, UINT32_MAX, &o.flows);
			break;
		case 'H':
			bad = argnum_u32("flowcap", "--hours", optarg, 1, 24 * 366, &o.hours);
			break;
		case 'k':
			bad = argnum_u32("flowcap", "--hosts", optarg, 16, MAX_HOSTS, &o.hosts);
			break;
		case 's':
			bad = argnum_u32("flowcap", "--seed", optarg, 1, UINT32_MAX, &o.seed);
			break;
		case 'u':
			bad = argnum_u32("flowcap", "--start", optarg, 0, UINT32_MAX, &start_s);
			o.start_us = (uint64_t)start_s * USEC;
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
	if (!o.pcap_path || optind != argc) {
		usage(stderr);
		return 2;
	}
	rng_state = 0x9e3779b97f4a7c15ULL ^ o.seed;
	if (generate(&o)) {
		fprintf(stderr, "flowcap: %s: %s\n", o.pcap_path, strerror(errno ? errno : EIO));
		return 1;
	}
	return 0;
}
