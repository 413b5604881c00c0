// SPDX-License-Identifier: BSD-2-Clause
/* Test tool: attaches the XDP flow tracker to one interface, drains it on an
 * interval and prints every drained flow record and the kernel totals. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "tracker.h"

static volatile sig_atomic_t exiting;
static unsigned long long events_received;

static void on_signal(int sig)
{
	exiting = 1;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: flowtrack -i IFNAME [--xdp-mode auto|native|generic] [--map-size N]\n"
		     "                 [--interval MS]\n"
		     "Attaches the XDP program to IFNAME, prints '# ready', then drains every MS\n"
		     "milliseconds (default 1000) and consumes ring-buffer events until SIGINT or\n"
		     "SIGTERM, when it drains once more, prints '# totals ...' (kernel totals and\n"
		     "events_received) and detaches. One CSV line per drained record:\n"
		     "ifindex,direction,ip_version,proto,src_addr,dst_addr,src_port,dst_port,\n"
		     "vlan,packets,bytes,tcp_flags\n");
}

static int print_flow(const struct flow_key *k, const struct flow_counters *c, void *arg)
{
	int af = k->ip_version == 4 ? AF_INET : AF_INET6;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	inet_ntop(af, k->src_addr, src, sizeof(src));
	inet_ntop(af, k->dst_addr, dst, sizeof(dst));
	printf("%u,%s,%u,%u,%s,%s,%u,%u,%u,%llu,%llu,%u\n", k->ifindex,
	       k->direction == FLOW_DIR_IN ? "in" : "out", k->ip_version, k->proto, src, dst,
	       k->src_port, k->dst_port, k->vlan, (unsigned long long)c->packets,
	       (unsigned long long)c->bytes, c->tcp_flags);
	return 0;
}

static int count_event(void *ctx, void *data, size_t len)
{
	events_received++;
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int parse_mode(const char *s, enum tracker_xdp_mode *mode)
{
	if (!strcmp(s, "auto"))
		*mode = TRACKER_XDP_AUTO;
	else if (!strcmp(s, "native"))
		*mode = TRACKER_XDP_NATIVE;
	else if (!strcmp(s, "generic"))
		*mode = TRACKER_XDP_GENERIC;
	else
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "xdp-mode", required_argument, NULL, 'm' },
		{ "map-size", required_argument, NULL, 's' },
		{ "interval", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	enum tracker_xdp_mode mode = TRACKER_XDP_AUTO;
	struct tracker_opts opts = { 0 };
	struct flow_totals sum = { 0 }, part;
	struct tracker *t = NULL;
	struct ring_buffer *rb = NULL;
	long long next_drain;
	const char *ifname = NULL;
	long interval_ms = 1000;
	int c, ifindex, err;

	while ((c = getopt_long(argc, argv, "i:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			ifname = optarg;
			break;
		case 'm':
			if (parse_mode(optarg, &mode)) {
				fprintf(stderr, "flowtrack: unknown --xdp-mode '%s'\n", optarg);
				return 2;
			}
			break;
		case 's':
			opts.map_entries = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			interval_ms = strtol(optarg, NULL, 10);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!ifname || optind != argc || interval_ms <= 0) {
		usage(stderr);
		return 2;
	}
	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		fprintf(stderr, "flowtrack: no interface '%s'\n", ifname);
		return 1;
	}

	err = tracker_open(&t, &opts);
	if (err) {
		fprintf(stderr, "flowtrack: cannot load the BPF programs: %s\n", strerror(-err));
		return 1;
	}
	err = tracker_attach_xdp(t, ifindex, mode);
	if (err) {
		fprintf(stderr, "flowtrack: cannot attach XDP to %s: %s\n", ifname, strerror(-err));
		goto cleanup;
	}
	rb = ring_buffer__new(tracker_events_fd(t), count_event, NULL, NULL);
	if (!rb) {
		err = -errno;
		fprintf(stderr, "flowtrack: cannot open the event ring buffer: %s\n",
			strerror(-err));
		goto cleanup;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("# ready\n");
	fflush(stdout);

	next_drain = now_ms() + interval_ms;
	for (;;) {
		bool last = exiting;
		long long wait = next_drain - now_ms();

		if (!last && wait > 0) {
			err = ring_buffer__poll(rb, (int)wait);
			if (err < 0 && err != -EINTR) {
				fprintf(stderr, "flowtrack: event poll failed: %s\n",
					strerror(-err));
				goto cleanup;
			}
			continue;
		}
		err = tracker_drain(t, print_flow, NULL, &part);
		if (err) {
			fprintf(stderr, "flowtrack: drain failed: %s\n", strerror(-err));
			goto cleanup;
		}
		tracker_totals_add(&sum, &part);
		fflush(stdout);
		next_drain += interval_ms;
		if (last)
			break;
	}
	ring_buffer__consume(rb);
	printf("# totals packets=%llu bytes=%llu non_ip=%llu malformed=%llu truncated=%llu "
	       "map_update_failures=%llu events=%llu ringbuf_drops=%llu events_received=%llu\n",
	       (unsigned long long)sum.packets, (unsigned long long)sum.bytes,
	       (unsigned long long)sum.non_ip, (unsigned long long)sum.malformed,
	       (unsigned long long)sum.truncated, (unsigned long long)sum.map_update_failures,
	       (unsigned long long)sum.events, (unsigned long long)sum.ringbuf_drops,
	       events_received);
cleanup:
	ring_buffer__free(rb);
	tracker_close(t);
	return err ? 1 : 0;
}
