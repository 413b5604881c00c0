// SPDX-License-Identifier: BSD-2-Clause
/* flowdb-collector: attaches the flow tracker and drains it exactly into
 * rotating SQLite files. */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <bpf/libbpf.h>
#include "alert.h"
#include "control.h"
#include "enforce.h"
#include "exporter.h"
#include "flowtable.h"
#include "fmt.h"
#include "inspect.h"
#include "options.h"
#include "capset.h"
#include "pcapread.h"
#include "pipeline.h"
#include "policy.h"
#include "store.h"
#include "streams.h"
#include "tracker.h"

/* A drain also starts when the kernel map passes this share of its size,
 * checked this often: LRU eviction only begins when it is full. */
#define FILL_FLUSH_PERCENT 50
#define FILL_CHECK_MS 100
#define FIN_LINGER_US (2 * USEC_PER_SEC)
/* The ifname of every row an imported Ethernet capture gives. */
#define OFFLINE_IFNAME "pcap"
/* Names of link types pcapread reads, at most (pcapread_linktype_name()). */
#define OFFLINE_IFNAMES_MAX 16
/* Packets between two looks at the clock, the map and the ring buffer
 * (which holds far more than this many events). */
#define PROGRESS_EVERY 4096
/* A capture's word for a frame's length on the wire is taken up to this:
 * a TSO packet is at most 64 KiB of IP (256 KiB with BIG TCP), and a
 * hostile length must not make gigabytes of one. */
#define OFFLINE_WIRE_MAX 262144
#define PROGRESS_INTERVAL_US 200000
/* Offline, a flush comes at most once per this much capture time: a drain
 * costs the same however sparse the capture, and a 30-hour capture paced
 * like the live default would take tens of thousands of them. Records still
 * end by their own packets' times. */
#define OFFLINE_FLUSH_MIN_US (60 * USEC_PER_SEC)
/* An import's flow maps hold a flow per this many bytes of its captures,
 * at least OFFLINE_MAP_MIN and at most --map-size's default: a drain walks
 * every bucket of a map, and a corpus of small captures drains about once
 * per capture (a thousand times for nDPI's, a tenth of its import with
 * maps of 262,144); the inspection maps, LRU maps made whole at start-up,
 * take as long to make. A map that fills is drained when half full, as
 * live: checked every PROGRESS_EVERY packets, which the other half holds.
 * An inspection map that fills forgets the oldest flows' budgets: they
 * may send more copies, which their streams, done, ignore. */
#define OFFLINE_BYTES_PER_FLOW 4096
#define OFFLINE_MAP_MIN 16384
_Static_assert(OFFLINE_MAP_MIN / 100 * (100 - FILL_FLUSH_PERCENT) >= PROGRESS_EVERY,
	       "a map half full takes the flows of PROGRESS_EVERY packets more");

/* The command line's bounds and defaults are the encoder's. */
_Static_assert(OPTIONS_IPFIX_MESSAGE_MIN == IPFIX_MESSAGE_MIN, "--ipfix-message-size minimum");
_Static_assert(OPTIONS_IPFIX_MESSAGE_MAX == IPFIX_MESSAGE_MAX, "--ipfix-message-size maximum");
_Static_assert(OPTIONS_IPFIX_ENTERPRISE == IPFIX_PEN_DEFAULT, "--ipfix-enterprise default");
_Static_assert(OPTIONS_MAX_IPFIX == EXPORTER_MAX_DESTS, "--ipfix destinations");

static volatile sig_atomic_t exiting;
static volatile sig_atomic_t rotate_requested;

/* A capture that turned out malformed part way: the packets before are
 * imported, the rest of it is not. */
struct read_failure {
	const char *path;
	char why[PCAPREAD_ERR_SIZE];
	uint64_t packets; /* of this capture, imported */
};

struct collector {
	struct options opt;
	int ifindex[OPTIONS_MAX_IFACES];
	char interfaces[OPTIONS_MAX_IFACES * (IF_NAMESIZE + 1)];
	char hostname[256];
	struct tracker *tracker;
	struct flowtable *flows;
	struct streams *streams; /* payload copies in flow order, for the inspectors */
	struct store *store;
	struct ring_buffer *events;
	/* Offline: the thread reading the rings while the next batch runs,
	 * or NULL (live, or no thread could be made: then run_batch() reads). */
	struct pipeline *pipeline;
	int64_t mono_to_real_us; /* realtime us = monotonic ns / 1000 + this */
	struct store_stats stats; /* of the flush under way */
	bool offline; /* importing a capture: its clock is the time */
	struct capset *captures; /* offline: the captures being read */
	uint64_t capture_us; /* offline: the capture's time now */
	uint64_t capture_ns; /* offline: the latest packet time, the capture clock */
	uint64_t capture_packets; /* offline: packets read */
	uint32_t flow_map_size; /* flows each kernel flow (and inspection) map holds */
	/* Offline: packets earlier than one read before them, the first one's
	 * file and byte offset and the largest step back, for the warning at
	 * the end. */
	uint64_t earlier_packets, earlier_offset, earlier_max_ns;
	const char *earlier_path;
	/* Offline: the captures that stopped early, said once what came
	 * before is written. */
	struct read_failure *failures;
	int n_failures;
	uint64_t short_frames; /* offline: frames the XDP test run cannot take */
	/* Offline: the ifnames of rows of other link types, ifname_of()'s. */
	char linktype_names[OFFLINE_IFNAMES_MAX][32];
	int n_linktype_names;
	int flow_errors; /* records the flow table could not take, this flush */
	bool store_failing; /* logged, until a flush succeeds again */
	struct control *control; /* flowdb-ctl's socket (--control), or NULL */
	struct enforce *enforce; /* the rules in force (--policy), or NULL */
	struct alerter *alerts; /* their alert rules, or NULL */
	struct exporter *exporter; /* --ipfix, or NULL */
	uint64_t flush_wall_us; /* wall clock at the flush under way: IPFIX export time */
	struct control_ops enforce_ops; /* flowdb-ctl's commands on them */
	uint64_t started_us; /* wall clock, for status */
	uint64_t flushes;
};

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		rotate_requested = 1;
	else
		exiting = 1;
}

static uint64_t clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* Converts a kernel timestamp (CLOCK_MONOTONIC ns) to microseconds since the
 * epoch, with the offset measured at the start of this flush. */
static uint64_t kernel_to_real_us(const struct collector *c, uint64_t ns)
{
	return (uint64_t)((int64_t)(ns / 1000) + c->mono_to_real_us);
}

/* The name of a watched interface, for rows; "?" for any other. Offline
 * a flow's ifindex is the link type of the captures it came from:
 * OFFLINE_IFNAME for Ethernet, and after a dash the link type's name for
 * the others, whose frames were made Ethernet frames ("pcap-sll"), made
 * once and kept for the rows that point at it. */
static const char *ifname_of(struct collector *c, __u32 ifindex)
{
	const char *name;
	int i;

	if (c->offline) {
		name = pcapread_linktype_name(ifindex);
		if (!name || ifindex == PCAPREAD_LINKTYPE_ETHERNET)
			return OFFLINE_IFNAME;
		for (i = 0; i < c->n_linktype_names; i++)
			if (!strcmp(c->linktype_names[i] + sizeof(OFFLINE_IFNAME), name))
				return c->linktype_names[i];
		/* More names than link types are read: cannot happen. */
		if (i == OFFLINE_IFNAMES_MAX)
			return OFFLINE_IFNAME;
		snprintf(c->linktype_names[i], sizeof(c->linktype_names[i]), "%s-%s",
			 OFFLINE_IFNAME, name);
		c->n_linktype_names++;
		return c->linktype_names[i];
	}
	for (i = 0; i < c->opt.n_ifaces; i++)
		if (c->ifindex[i] == (int)ifindex)
			return c->opt.ifnames[i];
	return "?";
}

static int on_flow(const struct flow_key *key, const struct flow_counters *fc, void *arg)
{
	struct collector *c = arg;
	uint64_t first_us = kernel_to_real_us(c, fc->first_seen_ns);
	uint64_t last_us = kernel_to_real_us(c, fc->last_seen_ns);
	int fresh, err;

	c->stats.drained_packets += fc->packets;
	c->stats.drained_bytes += fc->bytes;
	fresh = flowtable_add(c->flows, key, fc->packets, fc->bytes, fc->tcp_flags, first_us,
			      last_us);
	alert_flow(c->alerts, key, fc->packets, fc->bytes, fc->tcp_flags, first_us, last_us,
		   fresh == 1);
	err = fresh < 0 ? fresh : 0;
	if (!err && fc->dropped_packets)
		err = flowtable_drop(c->flows, key, fc->dropped_packets, fc->dropped_bytes);
	if (err)
		c->flow_errors++;
	return err;
}

/*
 * A flow direction's finding: to the flow's record, and the flow's first
 * finding checked against the encryption policy. Returns 0, or a negative
 * errno.
 */
static int on_finding(void *arg, const struct flow_key *key, uint64_t time_us,
		      const struct inspect_result *r, const char *fingerprint)
{
	struct collector *c = arg;
	struct inspect_result none;
	char why[2 * STORE_TEXT_SIZE]; /* the store cuts it to STORE_TEXT_SIZE */
	int first;

	first = flowtable_inspect(c->flows, key, time_us, (uint8_t)r->proto, (int8_t)r->encrypted,
				  r->info, fingerprint);
	why[0] = '\0';
	if (first > 0 && r->authorization)
		snprintf(why, sizeof(why),
			 "cleartext HTTP request with an Authorization header (%s) to %s%s",
			 r->http.auth_scheme[0] ? r->http.auth_scheme : "no scheme", r->http.host,
			 r->http.path);
	else if (first > 0 && !r->encrypted && options_expects_encrypted(&c->opt, key->dst_port))
		snprintf(why, sizeof(why), "cleartext %s to port %u (expects encryption): %s",
			 inspect_proto_name(r->proto), key->dst_port, r->info);
	/* HTTP and DNS messages count for the alert rules in on_message(),
	 * each of them. */
	memset(&none, 0, sizeof(none));
	none.proto = INSPECT_NONE;
	none.encrypted = -1;
	alert_finding(c->alerts, key, time_us,
		      r->proto == INSPECT_HTTP || r->proto == INSPECT_DNS ? &none : r,
		      why[0] != '\0');
	if (first < 0)
		return first;
	return why[0] ? store_add_policy(c->store, key, time_us, ifname_of(c, key->ifindex), why) :
			0;
}

/* Every HTTP or DNS message: the alert rules count them, and a request
 * counts in its flow's record. Returns 0, or -ENOMEM. */
static int on_message(void *arg, const struct flow_key *key, uint64_t time_us,
		      const struct inspect_result *r)
{
	struct collector *c = arg;

	alert_finding(c->alerts, key, time_us, r, false);
	if (r->proto == INSPECT_HTTP && !r->http.response)
		return flowtable_requests(c->flows, key, time_us, 1);
	return 0;
}

/* A request named: a requests row. */
static int on_request(void *arg, const struct streams_request *q)
{
	struct collector *c = arg;
	struct store_request sr = { .key = q->key,
				    .time_us = q->time_us,
				    .method = q->method,
				    .host = q->host,
				    .path = q->path,
				    .status = q->status };

	return store_add_request(c->store, &sr, ifname_of(c, q->key->ifindex));
}

/* A body the inspectors need no copy of: the kernel skips it. */
static int on_skip(void *arg, const struct flow_key *key, uint32_t until)
{
	struct collector *c = arg;

	/* A flow the kernel forgot costs at worst the copies of its body. */
	if (c->pipeline)
		pipeline_note(c->pipeline,
			      &(struct pipeline_note){ .key = *key, .until = until, .skip = true });
	else
		tracker_inspect_skip(c->tracker, key, until);
	return 0;
}

/* A payload copy: to its flow's stream, and the kernel told to stop
 * copying a flow whose inspectors need no more. Returns 0, or a negative
 * errno from the store. */
static int on_payload(struct collector *c, const void *data, size_t len)
{
	const struct payload_event *p = data;
	int ret = streams_payload(c->streams, data, len, kernel_to_real_us(c, p->head.ts_ns));

	/* -ENOENT: the kernel forgot the flow's inspection state, and so
	 * its copies, already. */
	if (ret == 1 && c->pipeline)
		pipeline_note(c->pipeline, &(struct pipeline_note){ .key = p->head.key });
	else if (ret == 1)
		tracker_inspect_stop(c->tracker, &p->head.key);
	return ret < 0 ? ret : 0;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct collector *c = ctx;
	const struct flow_event *e = data;

	if (len < sizeof(*e))
		return 0;
	if (e->kind == FLOW_EVENT_PAYLOAD)
		return on_payload(c, data, len);
	if (e->kind == FLOW_EVENT_FIN || e->kind == FLOW_EVENT_RST)
		streams_fin(c->streams, &e->key, kernel_to_real_us(c, e->ts_ns));
	alert_event(c->alerts, e, kernel_to_real_us(c, e->ts_ns));
	return store_add_event(c->store, e, kernel_to_real_us(c, e->ts_ns),
			       ifname_of(c, e->key.ifindex));
}

/* A record ends: to the store, then, once the store has it (a record it
 * refuses stays in the table and comes again), to the IPFIX exporter. */
static int on_record(const struct flow_record *r, void *arg)
{
	struct collector *c = arg;
	int err = store_add_flow(c->store, r, ifname_of(c, r->key.ifindex));

	if (!err)
		exporter_add(c->exporter, r, c->flush_wall_us);
	return err;
}

/* Waits for the pipeline to read what it was handed, and tells the kernel
 * what that reading found: from then on the rings, streams, flow table and
 * store are this thread's alone, until the next pipeline_hand(). */
static void pipeline_sync(struct collector *c)
{
	const struct pipeline_note *notes;
	size_t i, n;

	if (!c->pipeline)
		return;
	n = pipeline_wait(c->pipeline, &notes);
	for (i = 0; i < n; i++) {
		if (notes[i].skip)
			tracker_inspect_skip(c->tracker, &notes[i].key, notes[i].until);
		else
			tracker_inspect_stop(c->tracker, &notes[i].key);
	}
}

/*
 * One flush: drain the kernel, take the waiting events, end due records (all
 * of them when final), commit, apply retention. Storage errors are logged
 * once per episode and retried at the next flush: counting goes on.
 * Returns 0, or a negative errno when the kernel could not be drained.
 */
static int flush(struct collector *c, bool final)
{
	uint64_t start = clock_us(CLOCK_MONOTONIC), now;
	struct flow_totals tot;
	struct exporter_counts exported;
	int err, ended;

	pipeline_sync(c);
	c->flush_wall_us = clock_us(CLOCK_REALTIME);
	/* Offline, the programs' clock is the capture's, already real time. */
	c->mono_to_real_us = c->offline ? 0 : (int64_t)clock_us(CLOCK_REALTIME) - (int64_t)start;
	memset(&c->stats, 0, sizeof(c->stats));
	c->flow_errors = 0;
	err = tracker_drain(c->tracker, on_flow, c, &tot);
	if (err && !c->flow_errors) {
		fprintf(stderr, "flowdb-collector: cannot drain the kernel maps: %s\n",
			strerror(-err));
		return err;
	}
	if (c->flow_errors)
		fprintf(stderr,
			"flowdb-collector: out of memory: %d flow records lost this flush\n",
			c->flow_errors);
	ring_buffer__consume(c->events);

	now = c->offline ? c->capture_us : clock_us(CLOCK_REALTIME);
	/* The rules see the drained flows while the records they belong to
	 * are still open: telling an answer from an attempt needs the flow
	 * the other way, which the expiry below may end. */
	err = alert_flush(c->alerts, now, &c->stats);
	if (err)
		fprintf(stderr, "flowdb-collector: cannot record alerts: %s\n", strerror(-err));
	/* Streams end before their flows' records do: what they held back
	 * still reaches the records. */
	if (final)
		streams_end_all(c->streams);
	else
		streams_expire(c->streams, now, c->opt.idle_timeout_us);
	/* At the end of a capture its flows end as they would have: idle, or
	 * after the FIN/RST linger, not "shutdown". */
	if (final && c->offline)
		flowtable_expire(c->flows, now + c->opt.idle_timeout_us + FIN_LINGER_US, on_record,
				 c);
	ended = final ? flowtable_end_all(c->flows, on_record, c) :
			flowtable_expire(c->flows, now, on_record, c);
	if (ended < 0)
		fprintf(stderr, "flowdb-collector: cannot buffer ended flows: %s\n",
			strerror(-ended));
	/* The last message goes out; at the end, what is queued is sent
	 * before this row counts it. */
	exporter_flush(c->exporter, c->flush_wall_us, final);
	exporter_counts(c->exporter, &exported);
	c->stats.exporting = c->exporter != NULL;
	c->stats.ipfix_records = exported.records;
	c->stats.ipfix_send_errors = exported.send_errors;
	c->stats.ipfix_dropped = exported.dropped;

	c->stats.time_us = now;
	c->stats.kernel_packets = tot.packets;
	c->stats.kernel_bytes = tot.bytes;
	c->stats.non_ip = tot.non_ip;
	c->stats.malformed = tot.malformed + c->short_frames;
	c->short_frames = 0;
	c->stats.truncated = tot.truncated;
	c->stats.map_update_failures = tot.map_update_failures;
	c->stats.events = tot.events;
	c->stats.ringbuf_drops = tot.ringbuf_drops;
	c->stats.payload_drops = tot.payload_drops;
	c->stats.payload_events = tot.payload_events;
	c->stats.payload_bytes = tot.payload_bytes;
	c->stats.dropped_packets = tot.dropped_packets;
	c->stats.dropped_bytes = tot.dropped_bytes;
	c->stats.active_flows = flowtable_count(c->flows);
	c->stats.policy_mode = enforce_mode(c->enforce);
	err = enforce_flush(c->enforce, now, stderr);
	if (err)
		fprintf(stderr, "flowdb-collector: cannot record the rules' counters: %s\n",
			strerror(-err));
	c->stats.flush_duration_us = clock_us(CLOCK_MONOTONIC) - start;

	err = store_flush(c->store, &c->stats);
	if (err && !c->store_failing)
		fprintf(stderr,
			"flowdb-collector: cannot write to %s: %s; keeping the data in "
			"memory and retrying every flush\n",
			c->opt.data_dir, strerror(-err));
	else if (!err && c->store_failing)
		fprintf(stderr, "flowdb-collector: writing to %s again\n", c->opt.data_dir);
	c->store_failing = err != 0;
	c->flushes++;
	/* Retention by age means nothing for a capture's old timestamps. */
	if (!err && !c->offline)
		store_retain(c->store, now);

	if (c->opt.verbose)
		fprintf(stderr,
			"flowdb-collector: flush: %llu packets, %llu lost, %d records ended, "
			"%llu open, %llu us\n",
			(unsigned long long)tot.packets,
			(unsigned long long)(tot.packets - c->stats.drained_packets), ended,
			(unsigned long long)c->stats.active_flows,
			(unsigned long long)(clock_us(CLOCK_MONOTONIC) - start));
	return 0;
}

/* flowdb-ctl status: what the collector watches, writes and holds, as
 * name and value rows. Returns 0 or -ENOMEM. */
static int on_status(void *ctx, const struct ctl_request *req, struct ctl_reply *reply)
{
	static const char *const cols[] = { "name", "value" };
	struct collector *c = ctx;
	char started[FMT_BUF_SIZE], flushes[24], open[24];
	const char *file = store_current_path(c->store);
	const char *rows[][2] = {
		{ "version", FLOWDB_VERSION },
		{ "interfaces", c->interfaces },
		{ "direction", c->opt.egress ? "in and out" : "in" },
		{ "data_dir", c->opt.data_dir },
		{ "file", file },
		{ "started", fmt_time(started, sizeof(started), (int64_t)c->started_us, 0) },
		{ "flushes", flushes },
		{ "open_flows", open },
		{ "policy", c->opt.policy_path ? c->opt.policy_path : "none" },
		{ "policy_mode", c->enforce ? enforce_mode(c->enforce) : "none" },
	};
	size_t i;
	int err;

	snprintf(flushes, sizeof(flushes), "%llu", (unsigned long long)c->flushes);
	snprintf(open, sizeof(open), "%llu", (unsigned long long)flowtable_count(c->flows));
	err = ctlproto_reply_columns(reply, 2, cols);
	for (i = 0; !err && i < sizeof(rows) / sizeof(rows[0]); i++)
		err = ctlproto_reply_row(reply, rows[i]);
	return err;
}

/* flowdb-ctl's commands on the rules, served by enforce.c: the control
 * socket's one context is the collector. */
#define ENFORCE_COMMAND(name)                                                                    \
	static int name(void *ctx, const struct ctl_request *req, struct ctl_reply *reply)     \
	{                                                                                        \
		struct collector *c = ctx;                                                       \
                                                                                                 \
		return c->enforce_ops.name(c->enforce, req, reply);                              \
	}
ENFORCE_COMMAND(block_add)
ENFORCE_COMMAND(block_del)
ENFORCE_COMMAND(block_list)
ENFORCE_COMMAND(limit_list)
ENFORCE_COMMAND(reload)

/* flowdb-ctl alerts: the latest alerts raised, newest first. Returns 0,
 * -ENOSYS when no alert rule is in force, or -ENOMEM. */
static int on_alerts(void *ctx, const struct ctl_request *req, struct ctl_reply *reply)
{
	struct collector *c = ctx;
	struct store_alert *a;
	int err;

	if (!alert_rule_count(c->alerts))
		return -ENOSYS;
	a = calloc(req->n, sizeof(*a));
	if (!a)
		return -ENOMEM;
	err = control_reply_alerts(reply, a, alert_recent(c->alerts, a, req->n));
	free(a);
	return err;
}

/* Writes the capabilities the BPF programs need but this process lacks
 * into buf, or leaves it empty. */
static void missing_capabilities(char *buf, size_t size)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };
	static const struct {
		int cap;
		const char *name;
	} needed[] = { { CAP_BPF, "CAP_BPF" },
		       { CAP_PERFMON, "CAP_PERFMON" },
		       { CAP_NET_ADMIN, "CAP_NET_ADMIN" } };
	size_t i, used = 0;

	buf[0] = '\0';
	if (syscall(SYS_capget, &hdr, data))
		return;
	for (i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		int cap = needed[i].cap;

		if (data[cap / 32].effective & (1u << (cap % 32)))
			continue;
		used += snprintf(buf + used, size - used, "%s%s", used ? ", " : "", needed[i].name);
		if (used >= size)
			return;
	}
}

/* Explains a failure to attach to ifname. */
static void attach_error(const char *what, const char *ifname, int err)
{
	const char *hint = "";

	if (err == -EOPNOTSUPP)
		hint = " (no native XDP in this driver: try --xdp-mode generic)";
	else if (err == -EBUSY || err == -EEXIST)
		hint = " (another program is attached there)";
	fprintf(stderr, "flowdb-collector: cannot attach %s to %s: %s%s\n", what, ifname,
		strerror(-err), hint);
}

/* Puts the policy file in force at now_us (capture time offline): its
 * kernel rules, then its alert rules and sinks. Prints one line for what
 * went wrong. Returns 0 or a negative errno. */
static int policy_start(struct collector *c, uint64_t now_us)
{
	int err = enforce_open(&c->enforce, c->tracker, c->store, c->opt.policy_path, now_us,
			       stderr);

	if (!err)
		err = alert_open(&c->alerts, enforce_policy(c->enforce), c->enforce, c->flows,
				 c->store, stderr);
	return err;
}

/* Starts the IPFIX exporter of --ipfix: before anything is created, so
 * that a name that does not resolve leaves nothing behind. Live, a full
 * queue drops; an import has no kernel to lose packets and waits. Prints
 * one line for what went wrong. Returns 0 or a negative errno. */
static int export_start(struct collector *c)
{
	struct exporter_opts eo = { .ipfix = { .domain = c->opt.ipfix_domain,
					       .enterprise = c->opt.ipfix_enterprise,
					       .message_size = c->opt.ipfix_message_size,
					       .refresh_s = c->opt.ipfix_refresh_s,
					       .refresh_messages = c->opt.ipfix_refresh_messages },
				    .n_dests = c->opt.n_ipfix,
				    .queue = c->opt.ipfix_queue,
				    .rate = c->opt.ipfix_rate,
				    .wait_for_room = c->offline };
	int i;

	for (i = 0; i < c->opt.n_ipfix; i++) {
		eo.dest[i].text = c->opt.ipfix[i].text;
		eo.dest[i].host = c->opt.ipfix[i].host;
		eo.dest[i].port = c->opt.ipfix[i].port;
	}
	return exporter_open(&c->exporter, &eo, stderr);
}

/* Everything before the loop: interfaces, data directory, BPF. Prints one
 * line for what went wrong. Returns 0 or a negative errno. */
static int setup(struct collector *c)
{
	struct flowtable_opts fto = { .idle_timeout_us = c->opt.idle_timeout_us,
				      .active_timeout_us = c->opt.active_timeout_us,
				      .linger_us = FIN_LINGER_US };
	struct streams_sink sink = {
		.finding = on_finding,
		.message = on_message,
		.request = on_request,
		.skip = on_skip,
		.arg = c,
	};
	struct tracker_opts to = { .map_entries = c->flow_map_size,
				   .offline_clock = c->offline,
				   .sequential = c->offline,
				   .batch_only = c->offline,
				   .inspect_packets = c->opt.inspect_packets,
				   .inspect_bytes = c->opt.inspect_bytes,
				   .policy_max_entries = c->opt.policy_max_entries,
				   .limit_buckets = c->opt.limit_buckets,
				   .policy = c->opt.policy_path != NULL,
				   .egress = c->opt.egress && !c->offline };
	struct store_opts so = { 0 };
	size_t used = 0;
	char caps[64];
	int i, err;

	for (i = 0; i < c->opt.n_ifaces; i++) {
		c->ifindex[i] = if_nametoindex(c->opt.ifnames[i]);
		if (!c->ifindex[i]) {
			fprintf(stderr, "flowdb-collector: unknown interface '%s'\n",
				c->opt.ifnames[i]);
			return -ENODEV;
		}
		used += snprintf(c->interfaces + used, sizeof(c->interfaces) - used, "%s%s",
				 i ? "," : "", c->opt.ifnames[i]);
	}
	if (c->offline)
		snprintf(c->interfaces, sizeof(c->interfaces), "%s", OFFLINE_IFNAME);
	if (gethostname(c->hostname, sizeof(c->hostname)))
		strcpy(c->hostname, "unknown");

	so.dir = c->opt.data_dir;
	so.rotate_interval_us = c->opt.rotate_interval_us;
	so.rotate_size = c->opt.rotate_size;
	so.retain_age_us = c->opt.retain_age_us;
	so.retain_size = c->opt.retain_size;
	so.keep_unshipped = c->opt.retain_unshipped_keep;
	so.hostname = c->hostname;
	so.interfaces = c->interfaces;
	so.collector_version = FLOWDB_VERSION;
	so.publish_finished = c->offline;
	err = store_open(&c->store, &so);
	if (err) {
		fprintf(stderr, "flowdb-collector: data directory '%s' is not usable: %s\n",
			c->opt.data_dir, strerror(-err));
		return err;
	}
	err = flowtable_new(&c->flows, &fto);
	if (!err)
		err = streams_new(&c->streams, c->opt.map_size ? c->opt.map_size : FLOW_MAP_DEFAULT_ENTRIES,
				  &sink);
	if (err)
		return err;
	/* Before anything is attached: a socket another collector answers
	 * on stops this one while it has changed nothing. */
	c->started_us = clock_us(CLOCK_REALTIME);
	if (c->opt.control_path || (c->opt.policy_path && !c->offline)) {
		struct control_opts co = { .path = c->opt.control_path };
		static const struct control_ops with_policy = { .block_add = block_add,
								 .block_del = block_del,
								 .block_list = block_list,
								 .limit_list = limit_list,
								 .reload = reload,
								 .alerts = on_alerts,
								 .status = on_status };
		static const struct control_ops without = { .status = on_status };
		const struct control_ops *ops = c->opt.policy_path ? &with_policy : &without;
		char why[256];

		err = control_open(&c->control, &co, ops, c, why, sizeof(why));
		if (err) {
			fprintf(stderr, "flowdb-collector: control socket: %s\n", why);
			return err;
		}
	}

	err = tracker_open(&c->tracker, &to);
	if (err) {
		missing_capabilities(caps, sizeof(caps));
		/* Without CAP_PERFMON the verifier refuses the parser: EACCES. */
		if ((err == -EPERM || err == -EACCES) && caps[0])
			fprintf(stderr,
				"flowdb-collector: cannot load the BPF programs: missing %s "
				"(run as root or grant them)\n",
				caps);
		else
			fprintf(stderr,
				"flowdb-collector: cannot load the BPF programs: %s "
				"(needs Linux 5.15+ with BPF and XDP)\n",
				strerror(-err));
		return err;
	}
	/* Live, the rules are in force before the first packet is seen;
	 * offline, run_offline() puts them in force at the capture's first
	 * packet, whose time starts their clocks. */
	enforce_control_ops(&c->enforce_ops);
	if (c->opt.policy_path && !c->offline) {
		err = policy_start(c, clock_us(CLOCK_REALTIME));
		if (err)
			return err;
	}
	for (i = 0; i < c->opt.n_ifaces; i++) {
		err = tracker_attach_xdp(c->tracker, c->ifindex[i], c->opt.xdp_mode);
		if (err) {
			attach_error("XDP", c->opt.ifnames[i], err);
			return err;
		}
		if (!c->opt.egress)
			continue;
		err = tracker_attach_tc_egress(c->tracker, c->ifindex[i]);
		if (err) {
			attach_error("tc egress", c->opt.ifnames[i], err);
			return err;
		}
	}
	/* One poll, one callback: the payload copies' ring beside the events'. */
	c->events = ring_buffer__new(tracker_events_fd(c->tracker), on_event, c, NULL);
	err = c->events ? ring_buffer__add(c->events, tracker_payloads_fd(c->tracker), on_event, c) :
			  -errno;
	if (err) {
		fprintf(stderr, "flowdb-collector: cannot open the event ring buffers: %s\n",
			strerror(-err));
		return err;
	}
	return 0;
}

/*
 * Waits up to wait_ms for kernel events or a flowdb-ctl request (the
 * control socket, when there is one), then takes the events and serves the
 * requests, so that a request waits for no timer. Returns 0, or a negative
 * errno when waiting, the ring buffer or the control socket failed.
 */
static int wait_events(struct collector *c, int wait_ms)
{
	struct pollfd pfd[2] = { { .fd = ring_buffer__epoll_fd(c->events), .events = POLLIN },
				 { .fd = control_fd(c->control), .events = POLLIN } };
	int err;

	if (poll(pfd, 2, wait_ms) < 0 && errno != EINTR)
		return -errno;
	err = ring_buffer__consume(c->events);
	if (err < 0)
		return err;
	err = control_serve(c->control);
	return err < 0 ? err : 0;
}

/* Polls events and flushes on time, on a filling map and on SIGHUP, until a
 * signal to stop. Returns 0 or a negative errno. */
static int run(struct collector *c)
{
	uint64_t interval = c->opt.flush_interval_us;
	uint64_t fill_limit = (uint64_t)c->flow_map_size * FILL_FLUSH_PERCENT / 100;
	uint64_t next_flush = clock_us(CLOCK_MONOTONIC) + interval;
	int err;

	while (!exiting) {
		uint64_t now = clock_us(CLOCK_MONOTONIC), wall = clock_us(CLOCK_REALTIME);
		uint64_t expiry = enforce_next_expiry(c->enforce);
		__u64 pending = 0;
		uint64_t wait_ms = now < next_flush ? (next_flush - now + 999) / 1000 : 0;

		if (wait_ms > FILL_CHECK_MS)
			wait_ms = FILL_CHECK_MS;
		/* A timed block ends on time, not at the next flush. */
		if (expiry && (expiry <= wall || (expiry - wall + 999) / 1000 < wait_ms))
			wait_ms = expiry <= wall ? 0 : (expiry - wall + 999) / 1000;
		err = wait_events(c, (int)wait_ms);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "flowdb-collector: event poll failed: %s\n",
				strerror(-err));
			return err;
		}
		err = enforce_expire(c->enforce, clock_us(CLOCK_REALTIME), stderr);
		if (err)
			fprintf(stderr, "flowdb-collector: cannot end a timed block: %s\n",
				strerror(-err));
		if (rotate_requested) {
			rotate_requested = 0;
			store_rotate(c->store);
			next_flush = 0;
		}
		tracker_pending_flows(c->tracker, &pending);
		now = clock_us(CLOCK_MONOTONIC);
		if (now < next_flush && pending < fill_limit)
			continue;
		err = flush(c, false);
		if (err)
			return err;
		next_flush = now + interval;
	}
	return 0;
}

/* Redraws the progress line on a terminal: the files done (when more
 * than one), the share of the bytes read, packets, rate and the time
 * left at this rate. */
static void show_progress(const struct capset *set, uint64_t packets, uint64_t start_us)
{
	uint64_t elapsed = clock_us(CLOCK_MONOTONIC) - start_us;
	uint64_t size = capset_size(set), done = capset_offset(set);
	double left_s = done && elapsed ? (double)(size - done) * elapsed / done / 1e6 : 0;
	char files[48] = "";

	if (capset_files(set) > 1)
		snprintf(files, sizeof(files), "%d/%d files  ", capset_files_done(set),
			 capset_files(set));
	fprintf(stderr,
		"\rflowdb-collector: %s%3llu%%  %llu packets  %.0f packets/s  %.0f s left ",
		files, (unsigned long long)(size ? done * 100 / size : 100),
		(unsigned long long)packets, elapsed ? packets * 1e6 / elapsed : 0.0, left_s);
}

/*
 * Counts packet p, advances the capture clock to it and returns the time p
 * counts at: its own, or the latest time of the packets before it when it
 * is earlier (packets out of order, a clock stepped back). Like a monotonic
 * clock, the capture clock never runs backwards, so that no flow ends
 * before it began, no timeout, flush or file goes back, and every packet
 * still counts; the earlier ones are counted for the warning at the end.
 */
static uint64_t capture_clock(struct collector *c, const struct pcap_packet *p, const char *path)
{
	if (c->capture_packets++ && p->ts_ns < c->capture_ns) {
		if (!c->earlier_packets++) {
			c->earlier_offset = p->offset;
			c->earlier_path = path;
		}
		if (c->capture_ns - p->ts_ns > c->earlier_max_ns)
			c->earlier_max_ns = c->capture_ns - p->ts_ns;
	} else {
		c->capture_ns = p->ts_ns;
	}
	return c->capture_ns;
}

/* Says, in one line, how many packets of the capture were earlier than one
 * before them, if any: their times are not the capture's own. */
static void warn_earlier(const struct collector *c)
{
	unsigned long long back_us = c->earlier_max_ns / 1000;

	if (c->earlier_packets == 1)
		fprintf(stderr,
			"flowdb-collector: warning: %s: 1 packet is earlier than one before it "
			"(at byte %llu, by %llu.%06llu s): counted at the latest time before it\n",
			c->earlier_path, (unsigned long long)c->earlier_offset,
			back_us / USEC_PER_SEC, back_us % USEC_PER_SEC);
	else if (c->earlier_packets)
		fprintf(stderr,
			"flowdb-collector: warning: %s: %llu packets are earlier than one before "
			"them (the first at byte %llu, by up to %llu.%06llu s): each counted at "
			"the latest time before it\n",
			c->earlier_path, (unsigned long long)c->earlier_packets,
			(unsigned long long)c->earlier_offset, back_us / USEC_PER_SEC,
			back_us % USEC_PER_SEC);
}

/* Runs the frames queued for the XDP program, then takes their events:
 * a flow's inspection stopped, or a body skipped, by what a batch held
 * spares the copies of the batches after it, as live the poll does. With
 * the pipeline, the batch's events are read while the next batch runs, and
 * what they tell the kernel comes before the one after.
 * Returns 0 or a negative errno, said in one line. */
static int run_batch(struct collector *c)
{
	int err = tracker_batch_run(c->tracker);

	if (err) {
		fprintf(stderr, "flowdb-collector: cannot run the XDP program: %s\n",
			strerror(-err));
	} else if (c->pipeline) {
		pipeline_sync(c);
		pipeline_hand(c->pipeline);
	} else {
		ring_buffer__consume(c->events);
	}
	return err;
}

/* Queues packet p, at capture time ts_ns, for the XDP program: cut to
 * what one test run takes (the program reads headers and takes the bytes
 * from the IP header, or for a TSO packet from p's length on the wire),
 * and running the queue first when p does not fit.
 * A frame shorter than an Ethernet header counts in short_frames. Returns
 * 0 or a negative errno, said in one line. */
static int queue_frame(struct collector *c, const struct pcap_packet *p, uint64_t ts_ns)
{
	uint32_t len = p->caplen < TRACKER_FRAME_MAX ? p->caplen : TRACKER_FRAME_MAX;
	uint32_t wire = p->len < OFFLINE_WIRE_MAX ? p->len : OFFLINE_WIRE_MAX;
	int err = tracker_batch_add(c->tracker, p->data, len, wire, p->linktype, ts_ns);

	if (err == -ENOSPC) {
		err = run_batch(c);
		if (err)
			return err;
		err = tracker_batch_add(c->tracker, p->data, len, wire, p->linktype, ts_ns);
	}
	if (err == -EMSGSIZE) {
		c->short_frames++;
		return 0;
	}
	return err;
}

/* The flow maps' size for an import of bytes of captures, at most max. */
static uint32_t offline_map_size(uint64_t bytes, uint32_t max)
{
	uint64_t size = OFFLINE_MAP_MIN;

	while (size < max && size * OFFLINE_BYTES_PER_FLOW < bytes)
		size *= 2;
	return size < max ? (uint32_t)size : max;
}

/* Keeps what a capture that turned malformed said, for main() to say
 * once what came before it is written. Returns 0 or -ENOMEM. */
static int note_failure(struct collector *c, const char *path, const char *why,
			uint64_t packets)
{
	struct read_failure *grown = realloc(c->failures, (c->n_failures + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	c->failures = grown;
	grown[c->n_failures].path = path;
	grown[c->n_failures].packets = packets;
	snprintf(grown[c->n_failures].why, sizeof(grown->why), "%s", why);
	c->n_failures++;
	return 0;
}

/*
 * Imports the captures: every frame through the XDP program at its capture
 * time, in capture-time order across files, flushing every flush interval
 * of capture time (and on a filling map), so that timeouts and rotation
 * follow the captures' clock. A capture malformed part way gives the
 * packets before and is noted (note_failure()); the others go on.
 * Returns 0 or a negative errno.
 */
static int run_offline(struct collector *c)
{
	uint64_t fill_limit = (uint64_t)c->flow_map_size * FILL_FLUSH_PERCENT / 100;
	uint64_t interval = c->opt.flush_interval_us > OFFLINE_FLUSH_MIN_US ?
				    c->opt.flush_interval_us :
				    OFFLINE_FLUSH_MIN_US;
	uint64_t start = clock_us(CLOCK_MONOTONIC), next_progress = start, next_flush = 0;
	bool progress = isatty(STDERR_FILENO);
	struct capset *set = c->captures;
	char why[PCAPREAD_ERR_SIZE];
	struct pcap_packet p;
	uint64_t file_packets;
	const char *path;
	__u64 pending;
	/* In the order ring_buffer__consume() reads them. */
	const int rings[] = { tracker_events_fd(c->tracker), tracker_payloads_fd(c->tracker) };
	int rc = 0, err = 0;

	/* Without a second thread, run_batch() reads the rings itself. */
	if (pipeline_start(&c->pipeline, rings, 2, on_event, c))
		c->pipeline = NULL;
	while (!exiting && (rc = capset_next(set, &p, &path, &file_packets, why, sizeof(why)))) {
		uint64_t ts_ns, ts_us;

		if (rc < 0) {
			err = note_failure(c, path, why, file_packets);
			if (err)
				break;
			continue;
		}
		ts_ns = capture_clock(c, &p, path);
		ts_us = ts_ns / 1000;

		if (!next_flush) {
			next_flush = ts_us + interval;
			if (c->opt.policy_path) {
				c->capture_us = ts_us;
				tracker_set_clock(c->tracker, ts_ns);
				err = policy_start(c, ts_us);
				if (err)
					break;
			}
		}
		if (ts_us >= next_flush) {
			c->capture_us = next_flush;
			err = run_batch(c);
			if (!err)
				err = flush(c, false);
			if (err)
				break;
			next_flush += interval;
			/* After a silence, the next flush comes an interval after
			 * the packet that ended it, not once per empty interval. */
			if (ts_us >= next_flush)
				next_flush = ts_us + interval;
		}
		/* Offline, a timed block ends exactly at its time: before the
		 * first packet after it, its row at that time. */
		while (!err && enforce_next_expiry(c->enforce) &&
		       enforce_next_expiry(c->enforce) <= ts_us) {
			err = run_batch(c);
			if (err)
				break;
			pipeline_sync(c);
			err = enforce_expire(c->enforce, enforce_next_expiry(c->enforce), stderr);
			if (err)
				fprintf(stderr, "flowdb-collector: cannot end a timed block: %s\n",
					strerror(-err));
		}
		if (err)
			break;
		c->capture_us = ts_us;
		err = queue_frame(c, &p, ts_ns);
		if (err)
			break;
		if (c->capture_packets % PROGRESS_EVERY)
			continue;
		err = run_batch(c);
		if (err)
			break;
		if (!tracker_pending_flows(c->tracker, &pending) && pending >= fill_limit) {
			err = flush(c, false);
			if (err)
				break;
		}
		if (progress && clock_us(CLOCK_MONOTONIC) >= next_progress) {
			show_progress(set, c->capture_packets, start);
			next_progress = clock_us(CLOCK_MONOTONIC) + PROGRESS_INTERVAL_US;
		}
	}
	/* What is still queued counts, whatever stopped the loop. */
	if (!err)
		err = run_batch(c);
	pipeline_sync(c);
	pipeline_stop(c->pipeline);
	c->pipeline = NULL;
	if (progress) {
		show_progress(set, c->capture_packets, start);
		fputc('\n', stderr);
	}
	warn_earlier(c);
	/* A failure said its line already; a malformed capture leaves it
	 * to main(). */
	if (err)
		return err;
	/* A malformed capture's line says what was read of it. */
	if (c->n_failures)
		return -EINVAL;
	if (capset_files(set) == 1)
		fprintf(stderr, "flowdb-collector: read %llu packets from %s in %.2f s\n",
			(unsigned long long)c->capture_packets, c->opt.read_paths[0],
			(clock_us(CLOCK_MONOTONIC) - start) / 1e6);
	else
		fprintf(stderr, "flowdb-collector: read %llu packets from %d captures in %.2f s\n",
			(unsigned long long)c->capture_packets, capset_files(set),
			(clock_us(CLOCK_MONOTONIC) - start) / 1e6);
	return capset_files_refused(set) ? -EINVAL : 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct collector c = { 0 };
	bool written = true;
	int err;

	err = options_parse(&c.opt, argc, argv, stdout, stderr);
	if (err)
		return err > 0 ? 0 : 2;
	/* Before anything is loaded or created: no privilege needed. */
	if (c.opt.check_policy) {
		err = policy_check_file(c.opt.check_policy, c.opt.ifnames, c.opt.n_ifaces, stdout,
					stderr);
		return err ? 1 : 0;
	}
	if (!c.opt.verbose)
		libbpf_set_print(NULL);

	/* No SA_RESTART: a signal must cut the event poll short. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	c.offline = c.opt.n_read > 0;
	c.flow_map_size = c.opt.map_size;
	if (c.offline) {
		/* Before anything is created: not a capture, no data directory. */
		if (capset_open(&c.captures, c.opt.read_paths, c.opt.n_read, stderr))
			return 1;
		if (!c.opt.map_size_given)
			c.flow_map_size = offline_map_size(capset_size(c.captures), c.opt.map_size);
		/* The rules start at the capture's first packet; a file with
		 * errors stops the import before anything is written. */
		if (c.opt.policy_path) {
			struct policy p;

			if (policy_parse_file(c.opt.policy_path, &p, stderr)) {
				capset_close(c.captures);
				return 1;
			}
			policy_free(&p);
		}
	}
	if (c.opt.n_ipfix && export_start(&c)) {
		capset_close(c.captures);
		return 1;
	}
	err = setup(&c);
	if (!err && c.offline) {
		err = run_offline(&c);
	} else if (!err) {
		fprintf(stderr, "flowdb-collector %s: watching %s (%s), writing to %s\n",
			FLOWDB_VERSION, c.interfaces, c.opt.egress ? "in and out" : "in",
			c.opt.data_dir);
		err = run(&c);
	}
	/* No request is served while shutting down: the socket goes first. */
	control_close(c.control);
	c.control = NULL;
	/* A capture without a packet has no time to write anything at; one
	 * with packets has, whatever their times (0 included). */
	if (c.tracker && c.events && (!c.offline || c.capture_packets)) {
		/* Detach first, so that the last drain holds every packet counted. */
		tracker_detach(c.tracker);
		if (flush(&c, true))
			written = false;
	}
	ring_buffer__free(c.events);
	exporter_close(c.exporter);
	alert_close(c.alerts);
	enforce_close(c.enforce);
	tracker_close(c.tracker);
	if (store_close(c.store))
		written = false;
	if (!written && !err)
		err = -EIO;
	/* A malformed capture's one line comes last, once what came before it
	 * is written, so that it can say so truthfully. */
	for (int i = 0; i < c.n_failures; i++)
		fprintf(stderr, "flowdb-collector: %s: %s; the %llu packets before it %s\n",
			c.failures[i].path, c.failures[i].why,
			(unsigned long long)c.failures[i].packets,
			written ? "are written" : "could not all be written");
	free(c.failures);
	streams_free(c.streams);
	flowtable_free(c.flows);
	capset_close(c.captures);
	return err ? 1 : 0;
}
