// SPDX-License-Identifier: BSD-2-Clause
/* Writes hourly flow files with the collector's own store, and their ground truth as CSV. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "flowfile.h"
#include "store.h"
#include "units.h"

#define DEFAULT_START_S 1795305600ULL /* 2026-11-22T00:00:00Z */
#define HOUR_S 3600ULL
#define HOUR_US (HOUR_S * USEC_PER_SEC)
/* flowfile_name() names files up to the end of year 9999. */
#define END_S 253402300800ULL
/* Flow records per store_flush() at most: the store holds every row of a
 * flush in memory, and a real collector flushes often. */
#define BATCH_ROWS 50000
#define CLIENTS 200
#define LATE_CLIENTS 10
#define SERVERS 20
#define V4_SERVERS 16
#define LONG_SLOTS 3
#define MAX_EVENTS 2
/* Client ports come from Linux's ephemeral range and scanned ports from a
 * high block, so that no service name can apply to them. */
#define EPHEMERAL_LO 32768
#define EPHEMERAL_N 28232
#define SCAN_PORT_LO 41000
#define SCAN_PORT_N 1000
/* Mixed into the seed for the findings' stream: "app_info". */
#define APP_SEED 0x6170705f696e666fULL
/* And for the HTTP requests' and TLS fingerprints' stream: "requests". */
#define REQ_SEED 0x7265717565737473ULL
/* Requests one HTTP connection's record carries at most. */
#define MAX_REQUESTS 4

struct gen_opts {
	const char *dir, *host;
	const char *truth_flows, *truth_events, *truth_stats, *truth_requests;
	uint64_t files, rows, seed, start_us;
	bool quiet;
};

struct host {
	uint8_t ip_version;
	uint8_t addr[16];
};

/* A destination service of ordinary traffic and its packet sizes. */
struct service {
	uint8_t proto; /* 1 (ICMP) stands for the echo of ICMP or ICMPv6 */
	uint16_t port;
	uint8_t weight;
	uint16_t size_min, size_max; /* layer 3 bytes per packet */
};

static const struct service services[] = {
	{ 6, 443, 30, 52, 1500 }, { 17, 443, 8, 60, 1350 }, { 6, 80, 12, 52, 1500 },
	{ 17, 53, 14, 60, 300 },  { 6, 53, 2, 60, 600 },    { 6, 22, 6, 52, 400 },
	{ 17, 123, 5, 76, 76 },	  { 6, 3306, 5, 52, 900 },  { 6, 5432, 5, 52, 900 },
	{ 6, 8080, 4, 52, 1500 }, { 1, 0, 3, 84, 84 },	    { 47, 0, 1, 100, 1476 },
};

/* A flow that lasts several hours: one record per hour, ended by the active
 * timeout until its last. */
struct long_flow {
	bool open;
	unsigned int records_left;
	bool first; /* its next record is its first */
	struct flow_key key;
	uint64_t last_seen_us; /* of its previous record */
};

struct row {
	struct flow_record r;
	const char *ifname;
	uint64_t seq; /* order of making, so that sorting is the same everywhere */
};

struct event_row {
	struct flow_event e;
	uint64_t time_us;
	const char *ifname;
};

/* A policy event (kind policy) of a record's flow, with why. */
struct policy_row {
	struct flow_key key;
	uint64_t time_us;
	const char *ifname;
	char *detail; /* allocated */
};

/* An HTTP request of a record's flow, as store_add_request() takes it. */
struct request_row {
	struct flow_key key;
	const char *ifname;
	struct store_request r; /* key set when handed over */
};

/* Which of the collector's loss and error counters are nonzero in an hour. */
struct hour_health {
	bool lossy, ringbuf_drops, malformed;
};

struct gen {
	const struct gen_opts *o;
	uint64_t rng;
	/* Inspection findings draw from a stream of their own, so that they
	 * change nothing else the seed gives. */
	uint64_t app_rng;
	/* Requests and fingerprints draw from a third, for the same reason. */
	uint64_t req_rng;
	struct store *store;
	FILE *flows_csv, *events_csv, *stats_csv, *requests_csv;
	struct host clients[CLIENTS], late_clients[LATE_CLIENTS], servers[SERVERS];
	struct host port_scanners[2], sweeper;
	struct long_flow longs[LONG_SLOTS];
	/* The rows of the next flush. */
	struct row *rows;
	size_t n_rows, cap_rows;
	struct event_row events[MAX_EVENTS];
	size_t n_events;
	struct policy_row *policies;
	size_t n_policies, cap_policies;
	struct request_row *requests;
	size_t n_requests, cap_requests;
	uint64_t total_flows, total_events;
	uint64_t seq; /* rows made so far */
};

static const char *const event_kinds[] = {
	[FLOW_EVENT_SYN] = "syn",
	[FLOW_EVENT_FIN] = "fin",
	[FLOW_EVENT_RST] = "rst",
};

/* splitmix64: every seed, 0 included, gives a full-period stream that is the
 * same on every platform. Returns the next 64 random bits of *state. */
static uint64_t splitmix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Returns the next 64 random bits of the main stream. */
static uint64_t rnd(struct gen *g)
{
	return splitmix(&g->rng);
}

/* Returns a random number in [0, n) for n > 0; the modulo bias is far below
 * anything the data cares about. */
static uint64_t below(struct gen *g, uint64_t n)
{
	return rnd(g) % n;
}

/* Returns a heavy-tailed random number in [0, 2^max_bits): mostly small,
 * sometimes huge, so that sums rank without many ties. */
static uint64_t heavy(struct gen *g, unsigned int max_bits)
{
	return below(g, 1ULL << below(g, max_bits + 1));
}

/* Returns a random time in [lo, hi]; one in eight is cut to a whole second
 * (never below the whole second lo is in), so that windows given in seconds
 * can fall exactly on a record's time. */
static uint64_t pick_time(struct gen *g, uint64_t lo, uint64_t hi)
{
	uint64_t t = lo + below(g, hi - lo + 1);

	return below(g, 8) ? t : t - t % USEC_PER_SEC;
}

/* Prints what flowgen does and its options to out. */
static void usage(FILE *out)
{
	fprintf(out,
		"Usage: flowgen --dir DIR [--files N] [--rows R] [--seed S] [--start EPOCH_SECONDS]\n"
		"               [--truth-flows CSV] [--truth-events CSV] [--truth-stats CSV]\n"
		"               [--truth-requests CSV]\n"
		"               [--host NAME (default flowgen)] [-q]\n"
		"Writes N hourly flow files (default 300) from --start (a whole hour, default\n"
		"2026-11-22T00:00Z) into DIR with the collector's store, deterministically from\n"
		"the seed: R ordinary flow records per file (default 40; flushed in batches of\n"
		"at most %d), plus in some hours a port scan, a host sweep and records of\n"
		"flows lasting several hours, and 1 or 2 TCP events per hour; inspection\n"
		"findings (odd names included) and the policy events they raise; HTTP requests\n"
		"of the HTTP connections and fingerprints of TLS clients. The truth CSVs list\n"
		"every flow record, event, collector_stats and requests row with the file it\n"
		"went to. Progress goes to stderr unless -q.\n",
		BATCH_ROWS);
}

/* Parses a decimal option value into *out. Returns 0, or -1 after a one-line
 * message when it is not a whole number in [min, max]. */
static int parse_num(const char *name, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	/* strtoull() would take a sign or leading spaces too. */
	if (*s < '0' || *s > '9' || errno || *end || v < min || v > max) {
		fprintf(stderr, "flowgen: %s must be a whole number from %llu to %llu: '%s'\n",
			name, (unsigned long long)min, (unsigned long long)max, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* Reads the command line into *o. Returns 0, 1 when --help was printed, or
 * -1 after a one-line message. */
static int parse_args(int argc, char **argv, struct gen_opts *o)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "files", required_argument, NULL, 'f' },
		{ "rows", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ "start", required_argument, NULL, 'S' },
		{ "truth-flows", required_argument, NULL, 'F' },
		{ "truth-events", required_argument, NULL, 'E' },
		{ "truth-stats", required_argument, NULL, 'T' },
		{ "truth-requests", required_argument, NULL, 'R' },
		{ "host", required_argument, NULL, 'H' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t start_s = DEFAULT_START_S;
	int c, bad = 0;

	/* Our own messages: getopt's would be followed by a usage screen. */
	opterr = 0;
	while (!bad && (c = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->dir = optarg;
			break;
		case 'f':
			bad = parse_num("--files", optarg, 1, 1000000, &o->files);
			break;
		case 'r':
			bad = parse_num("--rows", optarg, 1, 100000000, &o->rows);
			break;
		case 's':
			bad = parse_num("--seed", optarg, 0, UINT64_MAX, &o->seed);
			break;
		case 'S':
			bad = parse_num("--start", optarg, 0, END_S - HOUR_S, &start_s);
			if (!bad && start_s % HOUR_S) {
				fprintf(stderr, "flowgen: --start must be a whole hour: '%s'\n",
					optarg);
				bad = -1;
			}
			break;
		case 'F':
			o->truth_flows = optarg;
			break;
		case 'E':
			o->truth_events = optarg;
			break;
		case 'T':
			o->truth_stats = optarg;
			break;
		case 'R':
			o->truth_requests = optarg;
			break;
		case 'H':
			o->host = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			fprintf(stderr, "flowgen: %s needs a value\n", argv[optind - 1]);
			return -1;
		default:
			/* optopt is 0 for an unknown long option, and a known
			 * letter for a long option given a value it takes not. */
			if (optopt == 'q' || optopt == 'h')
				fprintf(stderr, "flowgen: %s takes no value\n", argv[optind - 1]);
			else if (optopt)
				fprintf(stderr, "flowgen: unknown option '-%c'\n", optopt);
			else
				fprintf(stderr, "flowgen: unknown option '%s'\n", argv[optind - 1]);
			return -1;
		}
	}
	if (bad)
		return -1;
	if (optind < argc) {
		fprintf(stderr, "flowgen: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!o->dir || !*o->dir) {
		fprintf(stderr, "flowgen: --dir is required\n");
		return -1;
	}
	if (!*o->host) {
		fprintf(stderr, "flowgen: --host must not be empty\n");
		return -1;
	}
	if (start_s + o->files * HOUR_S > END_S) {
		fprintf(stderr, "flowgen: --start and --files reach past the year 9999\n");
		return -1;
	}
	o->start_us = start_s * USEC_PER_SEC;
	return 0;
}

/* Returns 0 when dir is missing or holds no flow file, or -1 after a
 * one-line message: files already there would be mixed with ours, and the
 * store would number ours after them. */
static int check_dir(const char *dir)
{
	struct dirent *de;
	uint64_t period;
	unsigned int seq;
	int found = 0;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "flowgen: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while (!found && (de = readdir(d)))
		found = !flowfile_parse_name(de->d_name, &period, &seq);
	closedir(d);
	if (found)
		fprintf(stderr, "flowgen: %s already holds flow files\n", dir);
	return -found;
}

/* Fills h with the IPv4 address a.b.c.d. */
static void host_v4(struct host *h, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memset(h, 0, sizeof(*h));
	h->ip_version = 4;
	h->addr[0] = a;
	h->addr[1] = b;
	h->addr[2] = c;
	h->addr[3] = d;
}

/* Fills h with the IPv6 address 2001:db8:net::low. */
static void host_v6(struct host *h, uint16_t net, uint16_t low)
{
	memset(h, 0, sizeof(*h));
	h->ip_version = 6;
	memcpy(h->addr, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, net >> 8, net & 0xff }, 6);
	h->addr[14] = low >> 8;
	h->addr[15] = low & 0xff;
}

/* Sets up the address pools. One client in seven is IPv6; the IPv4 ones
 * are 10.20.0.1 to 10.20.1.100, whose text sorts unlike their numbers. */
static void pools_init(struct gen *g)
{
	int i;

	for (i = 0; i < CLIENTS; i++) {
		if (i % 7 == 3)
			host_v6(&g->clients[i], 0x20, 0x100 + i);
		else
			host_v4(&g->clients[i], 10, 20, i / 100, i % 100 + 1);
	}
	for (i = 0; i < LATE_CLIENTS; i++) {
		if (i % 5 == 4)
			host_v6(&g->late_clients[i], 0x30, i + 1);
		else
			host_v4(&g->late_clients[i], 10, 30, 0, i + 1);
	}
	for (i = 0; i < SERVERS; i++) {
		if (i < V4_SERVERS)
			host_v4(&g->servers[i], 10, 10, 0, 1 + i * 9);
		else
			host_v6(&g->servers[i], 0x10, 0x53 + i);
	}
	host_v4(&g->port_scanners[0], 10, 66, 0, 7);
	host_v6(&g->port_scanners[1], 0x66, 7);
	host_v4(&g->sweeper, 10, 66, 0, 9);
}

/* Returns a client, low indexes far more often than high ones; in the late
 * hours one in four is a client never seen before them. */
static const struct host *pick_client(struct gen *g, bool late)
{
	if (late && !below(g, 4))
		return &g->late_clients[below(g, LATE_CLIENTS)];
	return &g->clients[below(g, CLIENTS) * below(g, CLIENTS) / CLIENTS];
}

/* Returns a server of the given IP version, skewed like pick_client(). */
static const struct host *pick_server(struct gen *g, uint8_t ip_version)
{
	if (ip_version == 4)
		return &g->servers[below(g, V4_SERVERS) * below(g, V4_SERVERS) / V4_SERVERS];
	return &g->servers[V4_SERVERS + below(g, SERVERS - V4_SERVERS)];
}

/* Returns a service by weight. */
static const struct service *pick_service(struct gen *g)
{
	unsigned int total = 0, r;
	size_t i;

	for (i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		total += services[i].weight;
	r = below(g, total);
	for (i = 0; r >= services[i].weight; i++)
		r -= services[i].weight;
	return &services[i];
}

/* Fills k for traffic from src to dst (both of one IP version). */
static void key_set(struct flow_key *k, const struct host *src, const struct host *dst,
		    uint8_t proto, uint16_t src_port, uint16_t dst_port, uint8_t direction,
		    uint16_t vlan)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src_addr, src->addr, sizeof(k->src_addr));
	memcpy(k->dst_addr, dst->addr, sizeof(k->dst_addr));
	k->ip_version = src->ip_version;
	k->proto = proto;
	k->src_port = src_port;
	k->dst_port = dst_port;
	k->direction = direction;
	k->vlan = vlan;
}

/* Returns k with source and destination swapped and the other direction. */
static struct flow_key key_reversed(const struct flow_key *k)
{
	struct flow_key r = *k;

	memcpy(r.src_addr, k->dst_addr, sizeof(r.src_addr));
	memcpy(r.dst_addr, k->src_addr, sizeof(r.dst_addr));
	r.src_port = k->dst_port;
	r.dst_port = k->src_port;
	r.direction = k->direction == FLOW_DIR_IN ? FLOW_DIR_OUT : FLOW_DIR_IN;
	return r;
}

/* Appends a flow record to the next flush. Returns it, or NULL when out of
 * memory. */
static struct flow_record *push_row(struct gen *g, const struct flow_key *k, const char *ifname)
{
	struct row *rows;
	size_t cap;

	if (g->n_rows == g->cap_rows) {
		cap = g->cap_rows ? g->cap_rows * 2 : 1024;
		rows = realloc(g->rows, cap * sizeof(*rows));
		if (!rows)
			return NULL;
		g->rows = rows;
		g->cap_rows = cap;
	}
	memset(&g->rows[g->n_rows], 0, sizeof(g->rows[0]));
	g->rows[g->n_rows].r.key = *k;
	g->rows[g->n_rows].ifname = ifname;
	g->rows[g->n_rows].seq = g->seq++;
	return &g->rows[g->n_rows++].r;
}

/* Sets a record's times: it ends at last_us and lasted up to dur_us, but
 * began no earlier than hour_us; whole seconds when last_us is one. */
static void set_times(struct flow_record *r, uint64_t hour_us, uint64_t last_us, uint64_t dur_us)
{
	if (dur_us > last_us - hour_us)
		dur_us = last_us - hour_us;
	if (last_us % USEC_PER_SEC == 0)
		dur_us -= dur_us % USEC_PER_SEC;
	r->first_seen_us = last_us - dur_us;
	r->last_seen_us = last_us;
}

/*
 * What inspection finds, as the collector writes app_info (collector/inspect.h), for the
 * canned queries that read it: besides plain names, names of every odd kind that they must
 * keep whole and apart -- a space (written \x20 in a TLS or HTTP host name, as it is in a DNS
 * name), quotes, slashes, commas, SQL and GLOB wildcards, escaped UTF-8, a name that looks
 * like the other side's message -- and, marked, what earlier collectors wrote: a TLS name
 * with a raw space, HTTP requests without their method. Earlier entries come up more often.
 */
static const char *const tls_client_infos[] = {
	"www.example.test",	"api.example.test",
	"cdn.example.test",	"",
	"a\\x20b.example.test", "TLS1.3\\x20TLS_AES_128_GCM_SHA256",
	"quote\"s.test",	"it's.test",
	"slash/name.test",	"comma,name.test",
	"glob*[x]?.test",	"percent%_under.test",
	"caf\\xc3\\xa9.test",	"x",
	"old name.test", /* earlier collectors: a raw space */
};
static const char *const tls_server_infos[] = {
	"TLS1.3 TLS_AES_128_GCM_SHA256",
	"TLS1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS1.3 TLS_AES_256_GCM_SHA384 HRR",
	"",
	"0x7f1c 0x1301",
	"SSL3.0 0x000a",
};
static const char *const http_requests[] = {
	"GET example.test/index.html",
	"GET example.test/api/v1/items",
	"POST api.example.test/v1/login",
	"CONNECT proxy.example.test:443",
	"OPTIONS example.test*",
	"PATCH api.example.test/v1/items",
	"TRACE example.test/",
	"PROPFIND dav.example.test/files",
	"CONNECT 200",
	"GET",
	"HEAD /no-host",
	"GET a\\x20b/x",
	"GET q\"uote's.test/p,1",
	"GET caf\\xc3\\xa9.test/\\xe2\\x82\\xac",
	"example.test/index.html", /* earlier collectors: no method */
	"LEGACY.TEST/x",
};
static const char *const http_responses[] = { "200", "404", "301", "" };
static const char *const dns_names[] = {
	"www.example.test",	      "example.test",	"_ipp._tcp.local", ".",
	"My Printer._ipp._tcp.local", "quo\"te's.test", "a\\x2eb.test",	   "caf\\xc3\\xa9.test",
	"comma,slash/.test",
};
/* What the requests of an HTTP connection name: case and NULL (a request
 * without a Host, a path not known) to keep apart, quotes, a space, a
 * status of every class and none (-1: no response seen). */
static const char *const req_methods[] = { "GET", "POST", "PUT", "DELETE", "OPTIONS", "get" };
static const char *const req_hosts[] = {
	"example.test", "api.example.test", "API.example.test", "10.0.0.1:8080", "quo\"te's.test",
	NULL,
};
static const char *const req_paths[] = { "/", "/v1/items", "/v1/items/7", "/V1/Items",
					 "*", "/a b", NULL };
static const int req_statuses[] = { 200, 204, 301, 404, 500, 101, -1 };
/* TLS clients' JA4 fingerprints, NULL for a hello without one. */
static const char *const fingerprints[] = {
	"t13d1516h2_8daaf6152771_b186095e22b6",
	"t13d1517h2_8daaf6152771_b1ff8ab2d16f",
	"t12d1209h1_c7886603b240_7af1ed941c26",
	NULL,
};
static const char *const ssh_banners[] = { "SSH-2.0-OpenSSH_9.2p1 Debian-2", "SSH-2.0-dropbear" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Returns an entry of a table of n from the findings' stream: half the time any, else earlier
 * ones more often, so that each comes up and counts rarely tie. */
static const char *pick_info(struct gen *g, const char *const *table, size_t n)
{
	uint64_t i = splitmix(&g->app_rng) % n;

	if (splitmix(&g->app_rng) % 2)
		i = i * (splitmix(&g->app_rng) % n) / n;
	return table[i];
}

/* Appends a policy event of r's flow, detail made from fmt and what. Returns 0 or -ENOMEM. */
static int push_policy(struct gen *g, const struct flow_record *r, const char *ifname,
		       const char *fmt, const char *what)
{
	struct policy_row *p;
	char *detail;
	size_t cap;

	if (g->n_policies == g->cap_policies) {
		cap = g->cap_policies ? g->cap_policies * 2 : 64;
		p = realloc(g->policies, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		g->policies = p;
		g->cap_policies = cap;
	}
	if (asprintf(&detail, fmt, what) < 0)
		return -ENOMEM;
	g->policies[g->n_policies++] = (struct policy_row){
		.key = r->key, .time_us = r->first_seen_us, .ifname = ifname, .detail = detail
	};
	return 0;
}

/* Sets what inspection found in a record of a client's flow to svc (and in its server's
 * reply, when back is not NULL), with the policy events the collector would write: HTTP
 * to port 443, and now and then an Authorization header. Returns 0 or -ENOMEM. */
static int set_apps(struct gen *g, const struct service *svc, struct flow_record *r,
		    struct flow_record *back, const char *ifname)
{
	const char *client = NULL, *server = NULL, *request;
	uint8_t app = FLOW_APP_NONE;
	int encrypted = 1;

	if (svc->proto == 6 && svc->port == 443 && splitmix(&g->app_rng) % 20) {
		app = FLOW_APP_TLS;
		client = pick_info(g, tls_client_infos, COUNT(tls_client_infos));
		server = pick_info(g, tls_server_infos, COUNT(tls_server_infos));
	} else if (svc->proto == 6 && (svc->port == 80 || svc->port == 8080 || svc->port == 443)) {
		app = FLOW_APP_HTTP;
		encrypted = 0;
		client = pick_info(g, http_requests, COUNT(http_requests));
		server = pick_info(g, http_responses, COUNT(http_responses));
	} else if (svc->proto == 17 && svc->port == 53) {
		app = FLOW_APP_DNS;
		encrypted = 0;
		client = server = pick_info(g, dns_names, COUNT(dns_names));
	} else if (svc->proto == 6 && svc->port == 22) {
		app = FLOW_APP_SSH;
		client = pick_info(g, ssh_banners, COUNT(ssh_banners));
		server = pick_info(g, ssh_banners, COUNT(ssh_banners));
	} else if (svc->proto == 17 && svc->port == 443) {
		app = FLOW_APP_QUIC;
		client = server = "version 0x00000001";
	}
	if (app == FLOW_APP_NONE)
		return 0;
	r->app_proto = app;
	r->app_info = (char *)client;
	r->encrypted = (int8_t)encrypted;
	if (back) {
		back->app_proto = app;
		back->app_info = (char *)server;
		back->encrypted = (int8_t)encrypted;
	}
	if (app != FLOW_APP_HTTP)
		return 0;
	/* The request's host and path: what follows its method, the whole of an old one. */
	request = strchr(client, ' ') ? strchr(client, ' ') + 1 : client;
	if (svc->port == 443)
		return push_policy(g, r, ifname,
				   "cleartext http to port 443 (expects encryption): %s", client);
	if (!(splitmix(&g->app_rng) % 8))
		return push_policy(
			g, r, ifname,
			"cleartext HTTP request with an Authorization header (Basic) to %s",
			request);
	return 0;
}

/* Adds one ordinary flow that ends in [lo, hi] of the hour starting at
 * hour_us, and its reply flow when there is one and room (max > 1). Returns
 * the number of records added (1 or 2), or -ENOMEM. */
static int gen_ordinary(struct gen *g, uint64_t hour_us, uint64_t lo, uint64_t hi, size_t max,
			bool late)
{
	const struct host *client = pick_client(g, late);
	const struct host *server = pick_server(g, client->ip_version);
	const struct service *svc = pick_service(g);
	const char *ifname = below(g, 8) ? "eth0" : "eth1";
	uint16_t vlan = ifname[3] == '1' && below(g, 2) ? 100 : 0;
	uint64_t size = svc->size_min + below(g, svc->size_max - svc->size_min + 1);
	uint8_t proto = svc->proto, reply_flags = 0;
	uint16_t sport = 0, dport = svc->port, reply_sport = 0, reply_dport = 0;
	unsigned int reply_pct = 0, outcome = below(g, 100);
	struct flow_record *r, *back;
	struct flow_key k;
	bool payload;

	if (proto == 1) {
		/* Echo request; the reply's "port" is echo reply's type. */
		proto = client->ip_version == 4 ? 1 : 58;
		dport = client->ip_version == 4 ? 8 << 8 : 128 << 8;
		reply_dport = client->ip_version == 4 ? 0 : 129 << 8;
		reply_pct = 90;
	} else if (proto != 47) {
		sport = EPHEMERAL_LO + below(g, EPHEMERAL_N);
		reply_sport = dport;
		reply_dport = sport;
		reply_pct = proto == 17 ? 75 : 0;
	}
	key_set(&k, client, server, proto, sport, dport, FLOW_DIR_IN, vlan);
	r = push_row(g, &k, ifname);
	if (!r)
		return -ENOMEM;
	set_times(r, hour_us, pick_time(g, lo, hi), heavy(g, 30));
	r->end_reason = FLOW_END_IDLE;
	r->packets = 1 + heavy(g, 13);
	if (proto == 6 && outcome >= 80) {
		/* 8% resets, 12% failed attempts (a SYN and its retransmissions). */
		bool reset = outcome < 88;

		r->packets = 1 + below(g, 3);
		size = (k.ip_version == 4 ? 40 : 60) + (reset ? 0 : 20);
		r->tcp_flags = reset ? FLOW_TCP_RST | FLOW_TCP_ACK : FLOW_TCP_SYN;
		r->end_reason = reset ? FLOW_END_RST : FLOW_END_IDLE;
		set_times(r, hour_us, r->last_seen_us, below(g, 3 * USEC_PER_SEC));
	} else if (proto == 6) {
		r->packets += 2;
		r->tcp_flags = reply_flags = FLOW_TCP_SYN | FLOW_TCP_ACK | FLOW_TCP_PSH |
					     FLOW_TCP_FIN;
		r->end_reason = outcome < 70 ? FLOW_END_FIN : FLOW_END_IDLE;
		reply_pct = 50;
	} else if (k.ip_version == 6) {
		size += 20;
	}
	r->bytes = r->packets * size;
	/* Resets and failed attempts carry no payload to inspect. */
	payload = proto != 6 || (r->tcp_flags & FLOW_TCP_PSH);
	if (max < 2 || below(g, 100) >= reply_pct) {
		if (payload && set_apps(g, svc, r, NULL, ifname))
			return -ENOMEM;
		return 1;
	}

	k = key_reversed(&k);
	k.src_port = reply_sport;
	k.dst_port = reply_dport;
	back = push_row(g, &k, ifname);
	if (!back)
		return -ENOMEM;
	/* The forward record, wherever growing the rows moved it. */
	r = &g->rows[g->n_rows - 2].r;
	back->first_seen_us = r->first_seen_us + below(g, r->last_seen_us - r->first_seen_us + 1);
	back->last_seen_us = r->last_seen_us;
	back->packets = 1 + r->packets * below(g, 4) / 2;
	back->bytes = back->packets * (size + below(g, 1500 - size + 1));
	back->tcp_flags = reply_flags;
	back->end_reason = r->end_reason;
	if (payload && set_apps(g, svc, r, back, ifname))
		return -ENOMEM;
	return 2;
}

/* Adds this hour's record of every flow lasting several hours (hour h of
 * the hour starting at hour_us), starting new ones by chance. Each record
 * ends in the first half of its hour, so every record after a flow's first
 * begins in the hour before. The last hour ends them all with shutdown.
 * Slot 0 is seen on two interfaces, as a router forwarding it would.
 * Returns 0 or -ENOMEM. */
static int gen_long(struct gen *g, uint64_t h, uint64_t hour_us)
{
	static const enum flow_end_reason ends[] = { FLOW_END_IDLE, FLOW_END_SHUTDOWN, FLOW_END_FIN,
						     FLOW_END_RST };
	bool last_hour = h + 1 == g->o->files;
	struct flow_record rec = { 0 }, *r;
	struct long_flow *lf;
	int i;

	for (i = 0; i < LONG_SLOTS; i++) {
		lf = &g->longs[i];
		if (!lf->open) {
			const struct host *c, *s;
			const struct service *svc;

			if (below(g, 3))
				continue;
			c = pick_client(g, false);
			s = pick_server(g, c->ip_version);
			/* Any service but the echo, whose exchanges are short. */
			do {
				svc = pick_service(g);
			} while (svc->proto == 1);
			key_set(&lf->key, c, s, svc->proto,
				svc->proto == 47 ? 0 : EPHEMERAL_LO + below(g, EPHEMERAL_N),
				svc->port, FLOW_DIR_IN, 0);
			lf->open = true;
			lf->first = true;
			lf->records_left = 2 + below(g, 6);
			rec.first_seen_us = hour_us + below(g, HOUR_US / 4);
		} else {
			rec.first_seen_us = lf->last_seen_us + 1 + below(g, 5 * USEC_PER_SEC);
		}
		rec.last_seen_us = pick_time(g, hour_us + HOUR_US / 4, hour_us + HOUR_US / 2);
		rec.packets = 1000 + heavy(g, 18);
		rec.bytes = rec.packets * (100 + below(g, 1300));
		rec.end_reason = FLOW_END_ACTIVE;
		if (last_hour) {
			rec.end_reason = FLOW_END_SHUTDOWN;
			lf->open = false;
		} else if (--lf->records_left == 0) {
			/* fin and rst only for TCP. */
			rec.end_reason = ends[below(g, lf->key.proto == 6 ? 4 : 2)];
			lf->open = false;
		}
		rec.tcp_flags = 0;
		if (lf->key.proto == 6) {
			rec.tcp_flags = FLOW_TCP_ACK | FLOW_TCP_PSH |
					(lf->first ? FLOW_TCP_SYN : 0);
			if (rec.end_reason == FLOW_END_FIN)
				rec.tcp_flags |= FLOW_TCP_FIN;
			else if (rec.end_reason == FLOW_END_RST)
				rec.tcp_flags |= FLOW_TCP_RST;
		}
		lf->first = false;
		lf->last_seen_us = rec.last_seen_us;
		rec.key = lf->key;
		r = push_row(g, &rec.key, "eth0");
		if (!r)
			return -ENOMEM;
		*r = rec;
		if (i == 0) {
			rec.key.direction = FLOW_DIR_OUT;
			rec.key.vlan = 100;
			r = push_row(g, &rec.key, "eth1");
			if (!r)
				return -ENOMEM;
			*r = rec;
		}
	}
	return 0;
}

/* Adds a SYN-only probe record from src to dst:port at whole second t_us,
 * with a retransmission one second later now and then. Returns it, or NULL
 * when out of memory. */
static struct flow_record *add_probe(struct gen *g, const struct host *src, const struct host *dst,
				     uint16_t sport, uint16_t port, uint64_t t_us)
{
	struct flow_record *r;
	struct flow_key k;

	key_set(&k, src, dst, 6, sport, port, FLOW_DIR_IN, 0);
	r = push_row(g, &k, "eth0");
	if (!r)
		return NULL;
	r->packets = 1 + !below(g, 4);
	r->bytes = r->packets * (src->ip_version == 4 ? 44 : 64);
	r->first_seen_us = t_us;
	r->last_seen_us = t_us + (r->packets - 1) * USEC_PER_SEC;
	r->tcp_flags = FLOW_TCP_SYN;
	r->end_reason = FLOW_END_IDLE;
	return r;
}

/* Returns a step through the SCAN_PORT_N scan ports that visits them all
 * before repeating: none of the candidates shares a factor with 1000. */
static unsigned int scan_step(struct gen *g)
{
	static const unsigned int steps[] = { 3, 7, 11, 13, 17, 19, 21, 23 };

	return steps[below(g, sizeof(steps) / sizeof(steps[0]))];
}

/* By chance, adds a port scan (one source, >= 30 ports of one server, some
 * answered with a reset) and a sweep (one source, >= 25 IPv4 clients on
 * port 22), in the first half of the hour starting at hour_us. Returns 0 or
 * -ENOMEM. */
static int gen_scans(struct gen *g, uint64_t hour_us)
{
	uint64_t base_us = hour_us + below(g, HOUR_S / 2) * USEC_PER_SEC;
	unsigned int i, n, first, step;

	if (!below(g, 6)) {
		const struct host *src = &g->port_scanners[below(g, 2)];
		const struct host *dst = pick_server(g, src->ip_version);
		uint16_t sport = EPHEMERAL_LO + below(g, EPHEMERAL_N);
		struct flow_record *probe, *r;
		struct flow_key k;

		n = 30 + below(g, 15);
		first = below(g, SCAN_PORT_N);
		step = scan_step(g);
		for (i = 0; i < n; i++) {
			probe = add_probe(g, src, dst, sport,
					  SCAN_PORT_LO + (first + i * step) % SCAN_PORT_N,
					  base_us + i * 2 * USEC_PER_SEC);
			if (!probe)
				return -ENOMEM;
			if (below(g, 2))
				continue;
			k = key_reversed(&probe->key);
			r = push_row(g, &k, "eth0");
			if (!r)
				return -ENOMEM;
			probe = &g->rows[g->n_rows - 2].r;
			r->first_seen_us = r->last_seen_us = probe->first_seen_us + below(g, 1000);
			r->packets = 1;
			r->bytes = src->ip_version == 4 ? 40 : 60;
			r->tcp_flags = FLOW_TCP_RST | FLOW_TCP_ACK;
			r->end_reason = FLOW_END_RST;
		}
	}
	if (!below(g, 6)) {
		uint16_t sport = EPHEMERAL_LO + below(g, EPHEMERAL_N);
		unsigned int v4 = 0, slots[CLIENTS];

		/* The IPv4 clients, to sweep a run of them. */
		for (i = 0; i < CLIENTS; i++)
			if (g->clients[i].ip_version == 4)
				slots[v4++] = i;
		n = 25 + below(g, 15);
		first = below(g, v4);
		for (i = 0; i < n; i++)
			if (!add_probe(g, &g->sweeper, &g->clients[slots[(first + i) % v4]], sport,
				       22, base_us + i * USEC_PER_SEC))
				return -ENOMEM;
	}
	return 0;
}

/* Sets this hour's 1 or 2 TCP events, in [hour_us, hi]. */
static void gen_events(struct gen *g, uint64_t hour_us, uint64_t hi)
{
	static const uint8_t flags[] = {
		[FLOW_EVENT_SYN] = FLOW_TCP_SYN,
		[FLOW_EVENT_FIN] = FLOW_TCP_FIN | FLOW_TCP_ACK,
		[FLOW_EVENT_RST] = FLOW_TCP_RST | FLOW_TCP_ACK,
	};
	struct event_row *ev;
	size_t i;

	g->n_events = 1 + below(g, MAX_EVENTS);
	for (i = 0; i < g->n_events; i++) {
		const struct host *c = pick_client(g, false);

		ev = &g->events[i];
		memset(ev, 0, sizeof(*ev));
		key_set(&ev->e.key, c, pick_server(g, c->ip_version), 6,
			EPHEMERAL_LO + below(g, EPHEMERAL_N), below(g, 2) ? 443 : 22, FLOW_DIR_IN,
			0);
		ev->e.kind = 1 + below(g, 3);
		ev->e.tcp_flags = flags[ev->e.kind];
		ev->time_us = pick_time(g, hour_us, hi);
		ev->e.ts_ns = ev->time_us * 1000;
		ev->ifname = "eth0";
	}
}

/* Returns entry i of a table of n from the requests' stream. */
static uint64_t req_pick(struct gen *g, size_t n)
{
	return splitmix(&g->req_rng) % n;
}

/* Gives the client record of an HTTP connection its requests (0 to
 * MAX_REQUESTS, spread over its time, appended to g->requests), and a TLS
 * client's record its fingerprint. Returns 0 or -ENOMEM. */
static int add_requests(struct gen *g, struct flow_record *r, const char *ifname)
{
	uint64_t k, n;

	/* The client's side: its destination is the service's port. */
	if (r->key.dst_port >= EPHEMERAL_LO)
		return 0;
	if (r->app_proto == FLOW_APP_TLS)
		r->fingerprint = (char *)fingerprints[req_pick(g, COUNT(fingerprints))];
	if (r->app_proto != FLOW_APP_HTTP)
		return 0;
	n = req_pick(g, MAX_REQUESTS + 1);
	r->requests = (uint32_t)n;
	for (k = 0; k < n; k++) {
		struct request_row *q;

		if (g->n_requests == g->cap_requests) {
			size_t cap = g->cap_requests ? g->cap_requests * 2 : 256;

			q = realloc(g->requests, cap * sizeof(*q));
			if (!q)
				return -ENOMEM;
			g->requests = q;
			g->cap_requests = cap;
		}
		q = &g->requests[g->n_requests++];
		q->key = r->key;
		q->ifname = ifname;
		q->r = (struct store_request){
			.time_us = r->first_seen_us + (r->last_seen_us - r->first_seen_us) * k / n,
			.method = req_methods[req_pick(g, COUNT(req_methods))],
			.host = req_hosts[req_pick(g, COUNT(req_hosts))],
			.path = req_paths[req_pick(g, COUNT(req_paths))],
			.status = req_statuses[req_pick(g, COUNT(req_statuses))],
		};
	}
	return 0;
}

/* Orders rows by the time they ended, then as they were made. */
static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->r.last_seen_us != y->r.last_seen_us)
		return x->r.last_seen_us < y->r.last_seen_us ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Writes k's key columns (ifname to vlan) to out, as the store does. */
static void write_key(FILE *out, const struct flow_key *k, const char *ifname)
{
	int af = k->ip_version == 4 ? AF_INET : AF_INET6;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	inet_ntop(af, k->src_addr, src, sizeof(src));
	inet_ntop(af, k->dst_addr, dst, sizeof(dst));
	fprintf(out, "%s,%s,%u,%u,%s,%s,%u,%u,%u", ifname,
		k->direction == FLOW_DIR_IN ? "in" : "out", k->ip_version, k->proto, src, dst,
		k->src_port, k->dst_port, k->vlan);
}

/* Writes s to out as one CSV field (RFC 4180): quoted, its quotes doubled. */
static void write_field(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

/* Appends what the flush that went to file wrote to the truth CSVs that
 * were asked for. Write errors show at fclose(). */
static void write_truth(struct gen *g, const char *file, const struct store_stats *st)
{
	size_t i;

	for (i = 0; g->flows_csv && i < g->n_rows; i++) {
		const struct flow_record *r = &g->rows[i].r;
		const char *app = flow_app_name(r->app_proto);

		fprintf(g->flows_csv, "%s,%llu,%llu,", file, (unsigned long long)r->first_seen_us,
			(unsigned long long)r->last_seen_us);
		write_key(g->flows_csv, &r->key, g->rows[i].ifname);
		fprintf(g->flows_csv, ",%llu,%llu,%u,%s,%s,", (unsigned long long)r->packets,
			(unsigned long long)r->bytes, r->tcp_flags,
			flow_end_reason_name(r->end_reason), app ? app : "");
		/* Empty fields where the columns are NULL: no finding. */
		if (app)
			write_field(g->flows_csv, r->app_info);
		fputc(',', g->flows_csv);
		if (app)
			fprintf(g->flows_csv, "%d", r->encrypted);
		fputc('\n', g->flows_csv);
	}
	for (i = 0; g->events_csv && i < g->n_events; i++) {
		const struct event_row *ev = &g->events[i];

		fprintf(g->events_csv, "%s,%llu,%s,", file, (unsigned long long)ev->time_us,
			event_kinds[ev->e.kind]);
		write_key(g->events_csv, &ev->e.key, ev->ifname);
		fprintf(g->events_csv, ",%u,\n", ev->e.tcp_flags);
	}
	for (i = 0; g->events_csv && i < g->n_policies; i++) {
		const struct policy_row *p = &g->policies[i];

		fprintf(g->events_csv, "%s,%llu,policy,", file, (unsigned long long)p->time_us);
		write_key(g->events_csv, &p->key, p->ifname);
		fputs(",0,", g->events_csv);
		write_field(g->events_csv, p->detail);
		fputc('\n', g->events_csv);
	}
	for (i = 0; g->requests_csv && i < g->n_requests; i++) {
		const struct request_row *q = &g->requests[i];

		fprintf(g->requests_csv, "%s,%llu,", file, (unsigned long long)q->r.time_us);
		write_key(g->requests_csv, &q->key, q->ifname);
		fprintf(g->requests_csv, ",%s,", q->r.method);
		/* Empty fields where the columns are NULL. */
		if (q->r.host)
			write_field(g->requests_csv, q->r.host);
		fputc(',', g->requests_csv);
		if (q->r.path)
			write_field(g->requests_csv, q->r.path);
		fputc(',', g->requests_csv);
		if (q->r.status >= 0)
			fprintf(g->requests_csv, "%d", q->r.status);
		fputc('\n', g->requests_csv);
	}
	if (g->stats_csv)
		fprintf(g->stats_csv, "%s,%llu,%llu,%llu,%llu,%llu,%llu,%llu\n", file,
			(unsigned long long)st->time_us, (unsigned long long)st->kernel_packets,
			(unsigned long long)st->drained_packets,
			(unsigned long long)(st->kernel_packets - st->drained_packets),
			(unsigned long long)(st->kernel_bytes - st->drained_bytes),
			(unsigned long long)st->ringbuf_drops, (unsigned long long)st->malformed);
}

/* Frees the policy events of the batch and empties it. */
static void free_policies(struct gen *g)
{
	while (g->n_policies)
		free(g->policies[--g->n_policies].detail);
}

/* Hands the pending rows (in the order they ended) and events to the store
 * and flushes them at time_us with collector figures to match: kernel
 * counts equal to the records' sums, plus a small loss in lossy hours. Then
 * writes the truth and empties the batch. Returns 0 or a negative errno
 * (after a message). */
static int flush_batch(struct gen *g, uint64_t time_us, const struct hour_health *hh)
{
	struct store_stats st = { .time_us = time_us };
	const char *path, *file;
	uint64_t lost;
	size_t i;
	int err = 0;

	/* The collector writes records as they end. In that order the time
	 * indexes grow at their ends, which halves the time taken. */
	qsort(g->rows, g->n_rows, sizeof(g->rows[0]), row_cmp);
	for (i = 0; !err && i < g->n_rows; i++)
		err = add_requests(g, &g->rows[i].r, g->rows[i].ifname);
	for (i = 0; !err && i < g->n_rows; i++) {
		err = store_add_flow(g->store, &g->rows[i].r, g->rows[i].ifname);
		st.drained_packets += g->rows[i].r.packets;
		st.drained_bytes += g->rows[i].r.bytes;
	}
	for (i = 0; !err && i < g->n_events; i++)
		err = store_add_event(g->store, &g->events[i].e, g->events[i].time_us,
				      g->events[i].ifname);
	for (i = 0; !err && i < g->n_policies; i++)
		err = store_add_policy(g->store, &g->policies[i].key, g->policies[i].time_us,
				       g->policies[i].ifname, g->policies[i].detail);
	for (i = 0; !err && i < g->n_requests; i++) {
		g->requests[i].r.key = &g->requests[i].key;
		err = store_add_request(g->store, &g->requests[i].r, g->requests[i].ifname);
	}
	lost = hh->lossy ? 1 + below(g, 40) : 0;
	st.kernel_packets = st.drained_packets + lost;
	st.kernel_bytes = st.drained_bytes + lost * (60 + below(g, 1400));
	st.non_ip = below(g, 4);
	st.malformed = hh->malformed ? 1 + below(g, 5) : 0;
	st.events = g->n_events + g->n_policies;
	st.ringbuf_drops = hh->ringbuf_drops ? 1 + below(g, 3) : 0;
	st.active_flows = below(g, 1000);
	st.flush_duration_us = 200 + below(g, 2000);
	if (!err)
		err = store_flush(g->store, &st);
	if (err) {
		fprintf(stderr, "flowgen: %s: cannot write: %s\n", g->o->dir, strerror(-err));
		return err;
	}
	path = store_current_path(g->store);
	file = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	write_truth(g, file, &st);
	g->total_flows += g->n_rows;
	g->total_events += g->n_events + g->n_policies;
	g->n_rows = 0;
	g->n_events = 0;
	g->n_requests = 0;
	free_policies(g);
	return 0;
}

/* Writes hour h: --rows ordinary records over at least two flushes, each at
 * a time inside the hour, the last also holding the hour's long-flow
 * records, scans and events. Returns 0 or a negative errno (after a
 * message). */
static int gen_hour(struct gen *g, uint64_t h)
{
	const struct gen_opts *o = g->o;
	uint64_t hour_us = o->start_us + h * HOUR_US;
	uint64_t flushes = (o->rows + BATCH_ROWS - 1) / BATCH_ROWS;
	uint64_t step, k, lo = hour_us, hi, want, done;
	/* New pairs: the late clients talk only in the last twentieth. */
	bool late = h + (o->files + 19) / 20 >= o->files;
	struct hour_health hh;
	int n, err;

	hh.lossy = !below(g, 12);
	hh.ringbuf_drops = !below(g, 15);
	hh.malformed = !below(g, 10);
	if (flushes < 2)
		flushes = 2;
	step = HOUR_US / flushes;
	for (k = 0; k < flushes; k++) {
		hi = hour_us + (k + 1) * step - 1 - below(g, step / 4);
		want = o->rows * (k + 1) / flushes - o->rows * k / flushes;
		for (done = 0; done < want; done += n) {
			n = gen_ordinary(g, hour_us, lo, hi, want - done, late);
			if (n < 0)
				goto nomem;
		}
		if (k + 1 == flushes) {
			if (gen_long(g, h, hour_us) || gen_scans(g, hour_us))
				goto nomem;
			gen_events(g, hour_us, hi);
		}
		err = flush_batch(g, hi, &hh);
		if (err)
			return err;
		lo = hi;
	}
	return 0;

nomem:
	fprintf(stderr, "flowgen: out of memory\n");
	return -ENOMEM;
}

/* Monotonic seconds, for progress lines. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Opens a truth CSV (when path is set) and writes its header. Returns 0, or
 * -1 after a message. */
static int open_csv(FILE **out, const char *path, const char *header)
{
	if (!path)
		return 0;
	*out = fopen(path, "w");
	if (!*out) {
		fprintf(stderr, "flowgen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(*out, "%s\n", header);
	return 0;
}

/* Closes a truth CSV. Returns 0, or -1 after a message when any write to it
 * failed. */
static int close_csv(FILE *f, const char *path)
{
	if (f && fclose(f)) {
		fprintf(stderr, "flowgen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Writes every file and the truth. Returns 0 or -1 after a message. */
static int generate(struct gen *g)
{
	const struct gen_opts *o = g->o;
	const struct store_opts so = {
		.dir = o->dir,
		.rotate_interval_us = HOUR_US,
		.hostname = o->host,
		.interfaces = "eth0,eth1",
		.collector_version = "flowgen",
	};
	double started = now_s(), shown = started;
	int err = 0;
	uint64_t h;

	if (check_dir(o->dir) ||
	    open_csv(&g->flows_csv, o->truth_flows,
		     "file,first_seen,last_seen,ifname,direction,ip_version,proto,src_addr,"
		     "dst_addr,src_port,dst_port,vlan,packets,bytes,tcp_flags,end_reason,"
		     "app_proto,app_info,encrypted") ||
	    open_csv(&g->events_csv, o->truth_events,
		     "file,time,kind,ifname,direction,ip_version,proto,src_addr,dst_addr,"
		     "src_port,dst_port,vlan,tcp_flags,detail") ||
	    open_csv(&g->stats_csv, o->truth_stats,
		     "file,time,kernel_packets,drained_packets,lost_packets,lost_bytes,"
		     "ringbuf_drops,malformed") ||
	    open_csv(&g->requests_csv, o->truth_requests,
		     "file,time,ifname,direction,ip_version,proto,src_addr,dst_addr,src_port,"
		     "dst_port,vlan,method,host,path,status"))
		return -1;
	err = store_open(&g->store, &so);
	if (err) {
		fprintf(stderr, "flowgen: %s: %s\n", o->dir, strerror(-err));
		return -1;
	}
	for (h = 0; !err && h < o->files; h++) {
		err = gen_hour(g, h);
		if (!o->quiet && now_s() - shown >= 1) {
			shown = now_s();
			fprintf(stderr, "flowgen: %llu of %llu files, %llu flow records\n",
				(unsigned long long)h + 1, (unsigned long long)o->files,
				(unsigned long long)g->total_flows);
		}
	}
	if (store_close(g->store) && !err) {
		fprintf(stderr, "flowgen: %s: cannot finish the last file\n", o->dir);
		err = -EIO;
	}
	if (close_csv(g->flows_csv, o->truth_flows) | close_csv(g->events_csv, o->truth_events) |
	    close_csv(g->stats_csv, o->truth_stats) |
	    close_csv(g->requests_csv, o->truth_requests))
		err = -EIO;
	if (!err && !o->quiet)
		fprintf(stderr,
			"flowgen: %llu files, %llu flow records, %llu events in %s (%.1f s)\n",
			(unsigned long long)o->files, (unsigned long long)g->total_flows,
			(unsigned long long)g->total_events, o->dir, now_s() - started);
	return err ? -1 : 0;
}

/* Exit status 0, or 1 after a message for a bad option or a failure. */
int main(int argc, char **argv)
{
	struct gen_opts o = { .files = 300, .rows = 40, .seed = 1, .host = "flowgen" };
	struct gen g = { .o = &o };
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc < 0 ? 1 : 0;
	g.rng = o.seed;
	g.app_rng = o.seed ^ APP_SEED;
	g.req_rng = o.seed ^ REQ_SEED;
	pools_init(&g);
	rc = generate(&g);
	free(g.rows);
	free_policies(&g);
	free(g.policies);
	free(g.requests);
	return rc ? 1 : 0;
}
