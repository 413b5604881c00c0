// SPDX-License-Identifier: BSD-2-Clause
/* flowdb-collector's command line: durations, sizes and the option set. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "options.h"

#define DEFAULT_DATA_DIR "/var/lib/flowdb"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: flowdb-collector -i IFACE [-i IFACE ...] [-d DIR] [options]\n"
		"       flowdb-collector --read CAPTURE... [-d DIR] [options]\n"
		"       flowdb-collector --check-policy FILE [-i IFACE ...]\n"
		"Counts every packet on the interfaces into per-flow records (XDP ingress,\n"
		"tc egress with --egress) and writes them to rotating SQLite files in DIR.\n"
		"With --read, pushes captures (pcap or pcapng, gzip-compressed or not, of\n"
		"Ethernet or another link type that carries IP) through the same XDP program\n"
		"instead, timed by the captures' own clock, merged in capture-time order.\n"
		"\n"
		"  -i, --interface IFACE    interface to watch (repeatable, at most %d)\n"
		"      --read CAPTURE...    import captures instead (ifname \"pcap\", or\n"
		"                           \"pcap-sll\" and the like for other link types):\n"
		"                           files, directories (read whole) and quoted glob\n"
		"                           patterns; repeatable, and the arguments after\n"
		"                           the options are captures too\n"
		"      --check-policy FILE  check a policy file (flowdb-policy(5)) and exit:\n"
		"                           0 valid, 1 errors; warnings about the -i\n"
		"                           interfaces' addresses (all without -i)\n"
		"  -d, --data-dir DIR       where the flow files go (default %s)\n"
		"      --egress             also record outgoing traffic (tc clsact egress)\n"
		"      --xdp-mode MODE      auto (default), native or generic\n"
		"      --flush-interval DUR drain and commit every DUR (default 2s)\n"
		"      --idle-timeout DUR   end a flow after DUR without packets (default 15s)\n"
		"      --active-timeout DUR split flows open longer than DUR (default 60s)\n"
		"      --rotate-interval DUR start a new file every DUR (default 1h)\n"
		"      --rotate-size SIZE   also start one when a file reaches SIZE\n"
		"      --retain-age DUR     remove files older than DUR\n"
		"      --retain-size SIZE   remove the oldest files while all exceed SIZE\n"
		"      --retain-unshipped keep|remove  keep: retention removes only files\n"
		"                           flowdb-ship has shipped (default remove)\n"
		"      --map-size N         flows the kernel holds per drain (default %u)\n"
		"      --inspect-packets N  payload packets of each flow to inspect at most\n"
		"                           (default %d, at most %d)\n"
		"      --inspect-bytes N    payload bytes of each flow to inspect at most\n"
		"                           (default %d, at most %d)\n"
		"      --no-inspect         inspect no payload: flows only\n"
		"      --expect-encrypted PORTS  cleartext to these ports is a policy event\n"
		"                           (default %s; \"none\" for none)\n"
		"      --policy-max-entries N  rules a policy may hold, blocks added live\n"
		"                           included (default %u)\n"
		"      --limit-buckets N    token buckets (limit rule, source prefix) kept\n"
		"                           at once, the least recent forgotten (default %u)\n"
		"      --policy FILE        drop and limit as FILE says (flowdb-policy(5));\n"
		"                           with --read: what it would have done\n"
		"      --control PATH       serve flowdb-ctl on a Unix socket at PATH (with\n"
		"                           --policy, live: /run/flowdb/control.sock)\n"
		"      --ipfix HOST:PORT    also export finished records as IPFIX over UDP\n"
		"                           (repeatable, at most %d; [IPv6]:PORT)\n"
		"      --ipfix-domain N, --ipfix-enterprise N  observation domain (%u) and\n"
		"                           enterprise number of flowdb's elements (%u)\n"
		"      --ipfix-template-refresh DUR, --ipfix-template-every N  templates\n"
		"                           again after DUR (%us) and every N messages (%u)\n"
		"      --ipfix-message-size N  %u to %u bytes (default: a 1500-byte MTU's)\n"
		"      --ipfix-queue N, --ipfix-rate N  messages waiting (%u; live, a full\n"
		"                           queue drops) and sent per second (%u; 0: unpaced)\n"
		"  -v, --verbose            one line per flush on stderr\n"
		"  -h, --help               this text\n"
		"      --version            the version\n"
		"\n"
		"DUR is a whole number with a unit ms, s, m, h, d or w (30s, 5m, 1h, 7d);\n"
		"SIZE one with K, M, G or T (500M, 10G). SIGINT or SIGTERM: detach, write\n"
		"every open flow, exit 0. SIGHUP: start a new file now.\n",
		OPTIONS_MAX_IFACES, DEFAULT_DATA_DIR, FLOW_MAP_DEFAULT_ENTRIES,
		INSPECT_PACKETS_DEFAULT, INSPECT_PACKETS_MAX, INSPECT_BYTES_DEFAULT, INSPECT_BYTES_MAX,
		OPTIONS_ENCRYPTED_PORTS, POLICY_MAX_ENTRIES_DEFAULT, LIMIT_BUCKETS_DEFAULT,
		OPTIONS_MAX_IPFIX, OPTIONS_IPFIX_DOMAIN, OPTIONS_IPFIX_ENTERPRISE,
		OPTIONS_IPFIX_REFRESH_S, OPTIONS_IPFIX_REFRESH_MESSAGES, OPTIONS_IPFIX_MESSAGE_MIN,
		OPTIONS_IPFIX_MESSAGE_MAX, OPTIONS_IPFIX_QUEUE, OPTIONS_IPFIX_RATE);
}

/* Adds a capture to import. Returns 0, or -EINVAL (said on err) past
 * OPTIONS_MAX_READ. */
static int add_read(FILE *err, struct options *o, const char *path)
{
	if (o->n_read == OPTIONS_MAX_READ) {
		fprintf(err, "flowdb-collector: --read takes at most %d paths: name their "
			     "directory, or a quoted glob pattern, instead\n",
			OPTIONS_MAX_READ);
		return -EINVAL;
	}
	o->read_paths[o->n_read++] = path;
	return 0;
}

enum {
	OPT_EGRESS = 256,
	OPT_XDP_MODE,
	OPT_FLUSH_INTERVAL,
	OPT_IDLE_TIMEOUT,
	OPT_ACTIVE_TIMEOUT,
	OPT_ROTATE_INTERVAL,
	OPT_ROTATE_SIZE,
	OPT_RETAIN_AGE,
	OPT_RETAIN_SIZE,
	OPT_RETAIN_UNSHIPPED,
	OPT_MAP_SIZE,
	OPT_VERSION,
	OPT_READ,
	OPT_INSPECT_PACKETS,
	OPT_INSPECT_BYTES,
	OPT_NO_INSPECT,
	OPT_EXPECT_ENCRYPTED,
	OPT_CHECK_POLICY,
	OPT_POLICY_MAX_ENTRIES,
	OPT_LIMIT_BUCKETS,
	OPT_CONTROL,
	OPT_POLICY,
	OPT_IPFIX,
	OPT_IPFIX_DOMAIN,
	OPT_IPFIX_ENTERPRISE,
	OPT_IPFIX_REFRESH,
	OPT_IPFIX_EVERY,
	OPT_IPFIX_MESSAGE_SIZE,
	OPT_IPFIX_QUEUE,
	OPT_IPFIX_RATE,
};

static const struct option longopts[] = {
	{ "interface", required_argument, NULL, 'i' },
	{ "data-dir", required_argument, NULL, 'd' },
	{ "read", required_argument, NULL, OPT_READ },
	{ "egress", no_argument, NULL, OPT_EGRESS },
	{ "xdp-mode", required_argument, NULL, OPT_XDP_MODE },
	{ "flush-interval", required_argument, NULL, OPT_FLUSH_INTERVAL },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "active-timeout", required_argument, NULL, OPT_ACTIVE_TIMEOUT },
	{ "rotate-interval", required_argument, NULL, OPT_ROTATE_INTERVAL },
	{ "rotate-size", required_argument, NULL, OPT_ROTATE_SIZE },
	{ "retain-age", required_argument, NULL, OPT_RETAIN_AGE },
	{ "retain-size", required_argument, NULL, OPT_RETAIN_SIZE },
	{ "retain-unshipped", required_argument, NULL, OPT_RETAIN_UNSHIPPED },
	{ "map-size", required_argument, NULL, OPT_MAP_SIZE },
	{ "inspect-packets", required_argument, NULL, OPT_INSPECT_PACKETS },
	{ "inspect-bytes", required_argument, NULL, OPT_INSPECT_BYTES },
	{ "no-inspect", no_argument, NULL, OPT_NO_INSPECT },
	{ "expect-encrypted", required_argument, NULL, OPT_EXPECT_ENCRYPTED },
	{ "check-policy", required_argument, NULL, OPT_CHECK_POLICY },
	{ "policy-max-entries", required_argument, NULL, OPT_POLICY_MAX_ENTRIES },
	{ "limit-buckets", required_argument, NULL, OPT_LIMIT_BUCKETS },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "ipfix", required_argument, NULL, OPT_IPFIX },
	{ "ipfix-domain", required_argument, NULL, OPT_IPFIX_DOMAIN },
	{ "ipfix-enterprise", required_argument, NULL, OPT_IPFIX_ENTERPRISE },
	{ "ipfix-template-refresh", required_argument, NULL, OPT_IPFIX_REFRESH },
	{ "ipfix-template-every", required_argument, NULL, OPT_IPFIX_EVERY },
	{ "ipfix-message-size", required_argument, NULL, OPT_IPFIX_MESSAGE_SIZE },
	{ "ipfix-queue", required_argument, NULL, OPT_IPFIX_QUEUE },
	{ "ipfix-rate", required_argument, NULL, OPT_IPFIX_RATE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ 0 },
};

/* Stores optarg's duration or size in *dst; on error prints one line naming
 * the option. Returns 0 or -EINVAL. */
static int parse_value(FILE *err, const char *name, bool is_size, uint64_t *dst)
{
	int ret = is_size ? units_parse_size(optarg, dst) : units_parse_duration(optarg, dst);

	if (!ret)
		return 0;
	if (is_size)
		fprintf(err, "flowdb-collector: --%s: bad size '%s' (use e.g. 500M, 10G)\n", name,
			optarg);
	else
		fprintf(err,
			"flowdb-collector: --%s: bad duration '%s' (use e.g. 30s, 5m, 1h, 7d)\n",
			name, optarg);
	return -EINVAL;
}

/* Stores optarg's number of map entries (1 to max, SIZE suffixes allowed)
 * for option name, entries of what, in *dst; on error prints one line.
 * Returns 0 or -EINVAL. */
static int parse_entries(FILE *err, const char *name, const char *what, uint32_t max,
			 uint32_t *dst)
{
	uint64_t n;

	if (units_parse_size(optarg, &n) || !n || n > max) {
		fprintf(err, "flowdb-collector: --%s: bad number of %s '%s'\n", name, what, optarg);
		return -EINVAL;
	}
	*dst = (uint32_t)n;
	return 0;
}

/* Parses a whole number from min to max for option name. Returns 0, or
 * -EINVAL after printing one line. */
static int parse_count(FILE *err, const char *name, unsigned long min, unsigned long max,
		       unsigned long *dst)
{
	char *end;

	errno = 0;
	*dst = strtoul(optarg, &end, 10);
	if (errno || end == optarg || *end || *optarg == '-' || *dst < min || *dst > max) {
		fprintf(err, "flowdb-collector: --%s: '%s' is not a number from %lu to %lu\n",
			name, optarg, min, max);
		return -EINVAL;
	}
	return 0;
}

/* Parses "22,443,8000-8100" or "none" into the port set. Returns 0, or
 * -EINVAL after printing one line. */
static int parse_ports(FILE *err, const char *list, uint8_t *set)
{
	const char *p = list;

	memset(set, 0, 65536 / 8);
	if (!strcmp(list, "none"))
		return 0;
	for (;;) {
		unsigned long lo, hi;
		char *end;

		errno = 0;
		lo = strtoul(p, &end, 10);
		hi = lo;
		if (end != p && *end == '-') {
			p = end + 1;
			hi = strtoul(p, &end, 10);
		}
		if (errno || end == p || *p == '-' || *p == '+' || !lo || hi > 65535 || lo > hi ||
		    (*end && *end != ',')) {
			fprintf(err, "flowdb-collector: --expect-encrypted: bad port list '%s' (use "
				     "e.g. 22,443,8000-8100, or none)\n",
				list);
			return -EINVAL;
		}
		for (; lo <= hi; lo++)
			set[lo / 8] |= 1 << (lo % 8);
		if (!*end)
			return 0;
		p = end + 1;
	}
}

/*
 * Splits optarg, HOST:PORT or [IPv6]:PORT, into o's next --ipfix
 * destination: a port from 1 to 65535, a host of at most OPTIONS_HOST_MAX - 1
 * bytes, brackets around an IPv6 address (its colons would hide the
 * port). Whether the host resolves is the exporter's to say. Returns 0, or
 * -EINVAL after printing one line.
 */
static int parse_ipfix(FILE *err, struct options *o)
{
	struct options_ipfix_dest *d = &o->ipfix[o->n_ipfix];
	const char *host = optarg, *colon, *end;
	unsigned long port;
	size_t len;
	char *stop;

	if (o->n_ipfix == OPTIONS_MAX_IPFIX) {
		fprintf(err, "flowdb-collector: at most %d --ipfix destinations\n",
			OPTIONS_MAX_IPFIX);
		return -EINVAL;
	}
	if (*host == '[') {
		end = strchr(++host, ']');
		colon = end && end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = strrchr(host, ':');
		end = colon;
		if (colon && memchr(host, ':', (size_t)(colon - host))) {
			fprintf(err, "flowdb-collector: --ipfix: '%s': put an IPv6 address in "
				     "brackets: [ADDRESS]:PORT\n",
				optarg);
			return -EINVAL;
		}
	}
	if (!colon || end == host) {
		fprintf(err, "flowdb-collector: --ipfix: '%s' is not HOST:PORT\n", optarg);
		return -EINVAL;
	}
	errno = 0;
	port = strtoul(colon + 1, &stop, 10);
	if (errno || stop == colon + 1 || *stop || colon[1] == '-' || colon[1] == '+' || !port ||
	    port > 65535) {
		fprintf(err, "flowdb-collector: --ipfix: '%s': bad port '%s' (1 to 65535)\n",
			optarg, colon + 1);
		return -EINVAL;
	}
	len = (size_t)(end - host);
	if (len >= sizeof(d->host)) {
		fprintf(err, "flowdb-collector: --ipfix: '%.40s...': host name too long\n",
			optarg);
		return -EINVAL;
	}
	memcpy(d->host, host, len);
	d->host[len] = '\0';
	d->port = (uint16_t)port;
	d->text = optarg;
	o->n_ipfix++;
	return 0;
}

bool options_expects_encrypted(const struct options *o, uint16_t port)
{
	return o->expect_encrypted[port / 8] & (1 << (port % 8));
}

static int parse_xdp_mode(FILE *err, enum tracker_xdp_mode *mode)
{
	if (!strcmp(optarg, "auto"))
		*mode = TRACKER_XDP_AUTO;
	else if (!strcmp(optarg, "native"))
		*mode = TRACKER_XDP_NATIVE;
	else if (!strcmp(optarg, "generic"))
		*mode = TRACKER_XDP_GENERIC;
	else {
		fprintf(err, "flowdb-collector: --xdp-mode: '%s' is not auto, native or generic\n",
			optarg);
		return -EINVAL;
	}
	return 0;
}

int options_parse(struct options *o, int argc, char **argv, FILE *out, FILE *err)
{
	bool no_inspect = false, ipfix_tuned = false;
	uint64_t refresh_us;
	unsigned long n = 0;
	int c, ret = 0;

	memset(o, 0, sizeof(*o));
	o->data_dir = DEFAULT_DATA_DIR;
	o->xdp_mode = TRACKER_XDP_AUTO;
	o->flush_interval_us = 2 * USEC_PER_SEC;
	o->idle_timeout_us = 15 * USEC_PER_SEC;
	o->active_timeout_us = 60 * USEC_PER_SEC;
	o->rotate_interval_us = 3600 * USEC_PER_SEC;
	o->map_size = FLOW_MAP_DEFAULT_ENTRIES;
	o->policy_max_entries = POLICY_MAX_ENTRIES_DEFAULT;
	o->limit_buckets = LIMIT_BUCKETS_DEFAULT;
	o->inspect_packets = INSPECT_PACKETS_DEFAULT;
	o->inspect_bytes = INSPECT_BYTES_DEFAULT;
	o->ipfix_domain = OPTIONS_IPFIX_DOMAIN;
	o->ipfix_enterprise = OPTIONS_IPFIX_ENTERPRISE;
	o->ipfix_refresh_s = OPTIONS_IPFIX_REFRESH_S;
	o->ipfix_refresh_messages = OPTIONS_IPFIX_REFRESH_MESSAGES;
	o->ipfix_queue = OPTIONS_IPFIX_QUEUE;
	o->ipfix_rate = OPTIONS_IPFIX_RATE;
	parse_ports(err, OPTIONS_ENCRYPTED_PORTS, o->expect_encrypted);

	optind = 0; /* glibc: start over, so that tests can parse twice */
	opterr = 0;
	while (!ret && (c = getopt_long(argc, argv, ":i:d:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (o->n_ifaces == OPTIONS_MAX_IFACES) {
				fprintf(err, "flowdb-collector: at most %d interfaces\n",
					OPTIONS_MAX_IFACES);
				return -EINVAL;
			}
			o->ifnames[o->n_ifaces++] = optarg;
			break;
		case 'd':
			o->data_dir = optarg;
			break;
		case OPT_READ:
			ret = add_read(err, o, optarg);
			break;
		case OPT_EGRESS:
			o->egress = true;
			break;
		case OPT_XDP_MODE:
			ret = parse_xdp_mode(err, &o->xdp_mode);
			break;
		case OPT_FLUSH_INTERVAL:
			ret = parse_value(err, "flush-interval", false, &o->flush_interval_us);
			break;
		case OPT_IDLE_TIMEOUT:
			ret = parse_value(err, "idle-timeout", false, &o->idle_timeout_us);
			break;
		case OPT_ACTIVE_TIMEOUT:
			ret = parse_value(err, "active-timeout", false, &o->active_timeout_us);
			break;
		case OPT_ROTATE_INTERVAL:
			ret = parse_value(err, "rotate-interval", false, &o->rotate_interval_us);
			break;
		case OPT_ROTATE_SIZE:
			ret = parse_value(err, "rotate-size", true, &o->rotate_size);
			break;
		case OPT_RETAIN_AGE:
			ret = parse_value(err, "retain-age", false, &o->retain_age_us);
			break;
		case OPT_RETAIN_SIZE:
			ret = parse_value(err, "retain-size", true, &o->retain_size);
			break;
		case OPT_RETAIN_UNSHIPPED:
			if (!strcmp(optarg, "keep") || !strcmp(optarg, "remove")) {
				o->retain_unshipped_keep = !strcmp(optarg, "keep");
			} else {
				fprintf(err, "flowdb-collector: --retain-unshipped: '%s' is not keep "
					     "or remove\n",
					optarg);
				ret = -EINVAL;
			}
			break;
		case OPT_MAP_SIZE:
			ret = parse_entries(err, "map-size", "flows", UINT32_MAX, &o->map_size);
			o->map_size_given = true;
			break;
		case OPT_POLICY_MAX_ENTRIES:
			/* Both rule-set generations share the kernel maps. */
			ret = parse_entries(err, "policy-max-entries", "rules", UINT32_MAX / 2,
					    &o->policy_max_entries);
			break;
		case OPT_LIMIT_BUCKETS:
			ret = parse_entries(err, "limit-buckets", "buckets", UINT32_MAX,
					    &o->limit_buckets);
			break;
		case OPT_INSPECT_PACKETS:
			ret = parse_count(err, "inspect-packets", 0, INSPECT_PACKETS_MAX, &n);
			o->inspect_packets = (uint8_t)n;
			break;
		case OPT_INSPECT_BYTES:
			ret = parse_count(err, "inspect-bytes", 1, INSPECT_BYTES_MAX, &n);
			o->inspect_bytes = (uint32_t)n;
			break;
		case OPT_NO_INSPECT:
			no_inspect = true;
			break;
		case OPT_EXPECT_ENCRYPTED:
			ret = parse_ports(err, optarg, o->expect_encrypted);
			break;
		case OPT_CHECK_POLICY:
			o->check_policy = optarg;
			break;
		case OPT_POLICY:
			o->policy_path = optarg;
			break;
		case OPT_CONTROL:
			o->control_path = optarg;
			break;
		case OPT_IPFIX:
			ret = parse_ipfix(err, o);
			break;
		case OPT_IPFIX_DOMAIN:
			ret = parse_count(err, "ipfix-domain", 0, UINT32_MAX, &n);
			o->ipfix_domain = (uint32_t)n;
			ipfix_tuned = true;
			break;
		case OPT_IPFIX_ENTERPRISE:
			ret = parse_count(err, "ipfix-enterprise", 1, UINT32_MAX, &n);
			o->ipfix_enterprise = (uint32_t)n;
			ipfix_tuned = true;
			break;
		case OPT_IPFIX_REFRESH:
			ret = parse_value(err, "ipfix-template-refresh", false, &refresh_us);
			if (!ret && (refresh_us < USEC_PER_SEC || refresh_us % USEC_PER_SEC ||
				     refresh_us / USEC_PER_SEC > UINT32_MAX)) {
				fprintf(err, "flowdb-collector: --ipfix-template-refresh: '%s' is not "
					     "whole seconds, 1s or more\n",
					optarg);
				ret = -EINVAL;
			}
			o->ipfix_refresh_s = (uint32_t)(refresh_us / USEC_PER_SEC);
			ipfix_tuned = true;
			break;
		case OPT_IPFIX_EVERY:
			ret = parse_count(err, "ipfix-template-every", 0, UINT32_MAX, &n);
			o->ipfix_refresh_messages = (uint32_t)n;
			ipfix_tuned = true;
			break;
		case OPT_IPFIX_MESSAGE_SIZE:
			ret = parse_count(err, "ipfix-message-size", OPTIONS_IPFIX_MESSAGE_MIN,
					  OPTIONS_IPFIX_MESSAGE_MAX, &n);
			o->ipfix_message_size = (uint32_t)n;
			ipfix_tuned = true;
			break;
		case OPT_IPFIX_QUEUE:
			ret = parse_count(err, "ipfix-queue", 1, OPTIONS_IPFIX_QUEUE_MAX, &n);
			o->ipfix_queue = (uint32_t)n;
			ipfix_tuned = true;
			break;
		case OPT_IPFIX_RATE:
			ret = parse_count(err, "ipfix-rate", 0, OPTIONS_IPFIX_RATE_MAX, &n);
			o->ipfix_rate = (uint32_t)n;
			ipfix_tuned = true;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			usage(out);
			return 1;
		case OPT_VERSION:
			fprintf(out, "flowdb-collector %s\n", FLOWDB_VERSION);
			return 1;
		case ':':
			fprintf(err, "flowdb-collector: %s needs a value\n", argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(err, "flowdb-collector: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (ret)
		return ret;
	/* With --read, the arguments after the options are captures: a
	 * shell expands --read *.pcap into those. */
	while (o->n_read && !ret && optind < argc)
		ret = add_read(err, o, argv[optind++]);
	if (ret)
		return ret;
	if (optind < argc) {
		fprintf(err, "flowdb-collector: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return -EINVAL;
	}
	if (o->check_policy && o->n_read) {
		fprintf(err, "flowdb-collector: --check-policy checks a file and exits: no --read "
			     "with it\n");
		return -EINVAL;
	}
	if (o->n_read && (o->n_ifaces || o->egress)) {
		fprintf(err,
			"flowdb-collector: --read imports a capture: no -i or --egress with it\n");
		return -EINVAL;
	}
	/* An import runs on its own clock and ends by itself: nothing to control. */
	if (o->n_read && o->control_path) {
		fprintf(err, "flowdb-collector: --control serves a live collector: not with --read\n");
		return -EINVAL;
	}
	if (ipfix_tuned && !o->n_ipfix) {
		fprintf(err, "flowdb-collector: the --ipfix-* options tune --ipfix HOST:PORT, "
			     "which is missing\n");
		return -EINVAL;
	}
	if (no_inspect)
		o->inspect_packets = 0;
	/* Checking a policy needs no interface: -i only narrows the addresses
	 * it warns about. */
	if (o->check_policy)
		return 0;
	if (!o->n_ifaces && !o->n_read) {
		fprintf(err, "flowdb-collector: no interface: give at least one -i IFACE, "
			     "or --read FILE\n");
		return -EINVAL;
	}
	return 0;
}
