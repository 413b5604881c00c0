/* SPDX-License-Identifier: BSD-2-Clause */
/* The policy file as rules in memory: what --policy and --check-policy read,
 * what the kernel maps are built from, and what flowdb-ctl changes live. */
#ifndef POLICY_H
#define POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"

#define POLICY_REASON_MAX 128

enum policy_kind {
	POLICY_ALLOW = 1, /* never dropped nor limited */
	POLICY_BLOCK = 2, /* dropped */
	POLICY_LIMIT = 3, /* a token bucket per source prefix */
};

/* Which address of a packet a rule's network is matched against. */
enum policy_side {
	POLICY_SIDE_ANY = 0, /* allow only: the source or the destination */
	POLICY_SIDE_SRC = 1,
	POLICY_SIDE_DST = 2,
};

enum policy_unit {
	POLICY_PPS = 1, /* packets per second; burst in packets */
	POLICY_BPS = 2, /* layer-3 bits per second; burst in bytes */
	POLICY_SYN = 3, /* TCP SYN without ACK per second; burst in SYNs */
};

/* Where a rule came from: the file, flowdb-ctl, an alert (later). */
enum policy_origin {
	POLICY_ORIGIN_FILE = 1,
	POLICY_ORIGIN_CTL = 2,
	POLICY_ORIGIN_ALERT = 3,
};

struct policy_rule {
	enum policy_kind kind;
	enum policy_origin origin;
	unsigned int line; /* in the file; 0 for rules not from a file */
	enum policy_side side;
	struct addr_net net; /* allow, block: host bits cleared */
	uint8_t proto; /* 0: any protocol */
	uint16_t port; /* 0: any; the packet's destination port */
	/* limit: the bucket's key is the source address cut to these prefix
	 * lengths ("limit src/24/64": IPv4 /24, IPv6 /64). */
	uint8_t limit_bits4;
	uint8_t limit_bits6;
	enum policy_unit unit;
	uint64_t rate; /* per second, in the unit's measure (bits for BPS) */
	uint64_t burst; /* packets, bytes (BPS) or SYNs */
	uint64_t duration_us; /* block "for DUR": 0 for ever */
	int64_t expires_us; /* wall-clock (or capture-clock) end; 0 for ever */
	char reason[POLICY_REASON_MAX];
	uint32_t id; /* in force: the kernel's id for its counters (tracker.h) */
};

/* What an alert rule counts per key (the source or destination address). */
enum policy_metric {
	POLICY_METRIC_DISTINCT = 1, /* distinct values of the rule's field */
	POLICY_METRIC_SYN, /* TCP SYN without ACK: connection attempts */
	POLICY_METRIC_HTTP_REQUESTS, /* HTTP requests inspection saw */
	POLICY_METRIC_DNS_QUERIES, /* DNS queries inspection saw */
	POLICY_METRIC_BYTES, /* layer-3 bytes */
	POLICY_METRIC_PACKETS,
	POLICY_METRIC_FLOWS, /* new flow records */
	POLICY_METRIC_FAILED, /* TCP connection attempts refused (answered by RST) */
	POLICY_METRIC_CLEARTEXT, /* encryption-policy breaches (events kind policy) */
	POLICY_METRIC_ANOMALY, /* the key's own baseline of the rule's base metric */
};

/* What a distinct rule counts: a flow's field, as the flows table names it. */
enum policy_field {
	POLICY_FIELD_NONE = 0,
	POLICY_FIELD_DST_PORT = 1,
	POLICY_FIELD_DST_ADDR = 2,
	POLICY_FIELD_SRC_ADDR = 3,
	POLICY_FIELD_SRC_PORT = 4,
};

enum policy_severity {
	POLICY_SEVERITY_LOW = 1,
	POLICY_SEVERITY_MEDIUM = 2, /* the default */
	POLICY_SEVERITY_HIGH = 3,
	POLICY_SEVERITY_CRITICAL = 4,
};

/* An alert rule's NAME: 1 to 63 of [A-Za-z0-9_.-], starting with a letter. */
#define POLICY_NAME_MAX 64
/* The most alert rules and sinks a file holds: the engine keeps state per
 * rule and key, and a sink is a thread or a descriptor. */
#define POLICY_ALERTS_MAX 1024
#define POLICY_SINKS_MAX 64

/*
 * "alert NAME src|dst METRIC ... [then block DUR [established]]
 * [severity S] [suppress DUR]", flowdb-policy(5). Evaluated by the
 * collector at each flush over the traffic, events and findings of the
 * key (the address on side): "METRIC > threshold in window".
 */
struct policy_alert {
	char name[POLICY_NAME_MAX];
	unsigned int line; /* in the file */
	enum policy_side side; /* SRC or DST: whose address is the key */
	enum policy_metric metric;
	enum policy_field field; /* DISTINCT: what is counted; else NONE */
	/* ANOMALY: what the baseline is of (BYTES, PACKETS or FLOWS), the
	 * number of standard deviations past the mean that fires ("4sigma"),
	 * the bucket the metric is summed over ("per DUR", default 1m) and how
	 * long a key is learned before it can fire ("warmup DUR", default 30
	 * buckets). */
	enum policy_metric base;
	double sigmas;
	uint64_t bucket_us;
	uint64_t warmup_us;
	uint64_t threshold; /* fires when the count in the window exceeds it */
	uint64_t window_us; /* "in DUR"; "N/s" is N in 1 s */
	enum policy_severity severity;
	uint64_t suppress_us; /* repeats of one key within it are counted, not alerted */
	uint64_t block_us; /* "then block DUR": 0 none */
	/* "then block DUR established": block only a key that completed a TCP
	 * handshake (its SYN answered by SYN-ACK, then its ACK) in the window,
	 * which a spoofed source cannot. */
	bool established;
};

enum policy_sink_kind {
	POLICY_SINK_SYSLOG = 1, /* "sink syslog [facility F] [socket PATH]" */
	POLICY_SINK_JSONL = 2, /* "sink jsonl FILE" ("-": standard output) */
	POLICY_SINK_COMMAND = 3, /* "sink command "CMD" [timeout DUR]": JSON on stdin */
	POLICY_SINK_WEBHOOK = 4, /* "sink webhook URL [timeout DUR] [queue N]" */
};

#define POLICY_SINK_TARGET_MAX 1024

/* Where every alert goes besides the alerts table. */
struct policy_sink {
	enum policy_sink_kind kind;
	unsigned int line;
	/* syslog: the socket (default /dev/log); jsonl: the file or "-";
	 * command: the command line, run by /bin/sh -c; webhook: the URL. */
	char target[POLICY_SINK_TARGET_MAX];
	int facility; /* syslog: LOG_DAEMON, LOG_AUTH, LOG_LOCAL0..7 (syslog.h) */
	uint64_t timeout_us; /* command, webhook: per attempt; default 5 s */
	unsigned int queue; /* command, webhook: alerts waiting at most; default 1000 */
};

enum policy_mode {
	POLICY_ENFORCE = 0,
	POLICY_MONITOR = 1, /* count "would drop", drop nothing */
};

struct policy {
	enum policy_mode mode;
	struct policy_rule *rules;
	size_t n_rules;
	size_t cap_rules;
	struct policy_alert *alerts; /* alert rules, kept out of the kernel */
	size_t n_alerts;
	size_t cap_alerts;
	struct policy_sink *sinks;
	size_t n_sinks;
	size_t cap_sinks;
	/* The file the rules were read from (owned, freed by policy_free()), so
	 * that warnings name it; NULL for a rule set not read from a file. */
	char *file;
};

/* Longest line of a policy file, in bytes without its newline: a longer one
 * is an error, never an allocation. */
#define POLICY_LINE_MAX 4096
/* A full-size packet at layer 3 (an Ethernet MTU): a bits-per-second limit
 * whose burst is smaller can never pass one, and policy_check() says so. */
#define POLICY_PACKET_BYTES 1500
/* The largest rates a limit takes: 1 Tbit/s, a billion packets or SYNs per
 * second. */
#define POLICY_RATE_MAX_BPS 1000000000000ULL
#define POLICY_RATE_MAX_PPS 1000000000ULL
/* Room for policy_rule_text(): every field at its longest, the reason
 * escaped. */
#define POLICY_TEXT_MAX (160 + 2 * POLICY_REASON_MAX)
/* Room for an error message of policy_block_rule() and policy_parse_line(). */
#define POLICY_ERR_MAX 256

/*
 * Reads the policy file at path into *out (which it initialises: mode
 * enforce, no rules, file = path): allow, block and limit rules into
 * rules, alert rules into alerts, sinks into sinks, each with its line.
 * An alert's name repeated, a sink repeated (same kind and target), or
 * more than POLICY_ALERTS_MAX alerts or POLICY_SINKS_MAX sinks is an
 * error. Every error is one line on err,
 * "flowdb-collector: PATH:LINE: what is wrong", at most one per line of the
 * file, and every line is read so that all of them are reported. Rules get
 * origin POLICY_ORIGIN_FILE and their line number. Only regular files are
 * read (a FIFO or device is refused without waiting on it). Returns 0; or
 * -EINVAL after reporting the errors; or a negative errno when the file
 * cannot be read, in one line "flowdb-collector: PATH: why"; or -ENOMEM.
 * On error *out holds no rules, alerts nor sinks, and policy_free() on it
 * is still safe.
 */
int policy_parse_file(const char *path, struct policy *out, FILE *err);

/*
 * Parses one rule line (allow, block or limit, as in the file; no mode
 * line, no newline) into *out, origin POLICY_ORIGIN_CTL, line 0. Returns 1
 * for a rule, 0 for a blank or comment-only line, or -EINVAL with why in
 * errbuf (one line without newline, without any prefix); an alert or
 * sink line is such an error: those are read from the file only.
 */
int policy_parse_line(const char *text, struct policy_rule *out, char *errbuf, size_t len);

/*
 * Builds a block rule from flowdb-ctl's parts ("block add CIDR [--for DUR]
 * [--reason TEXT]"): cidr a network as in the file (host bits clear), side
 * POLICY_SIDE_SRC or POLICY_SIDE_DST, duration_us 0 for ever or a whole
 * number of milliseconds, reason NULL or printable UTF-8 shorter than
 * POLICY_REASON_MAX bytes. The rule has origin POLICY_ORIGIN_CTL, line 0,
 * any protocol and port. Returns 0, or -EINVAL with why in errbuf.
 */
int policy_block_rule(const char *cidr, enum policy_side side, uint64_t duration_us,
		      const char *reason, struct policy_rule *out, char *errbuf, size_t len);

/* Appends a copy of *r to p's rules. Returns 0 or -ENOMEM (p unchanged). */
int policy_add(struct policy *p, const struct policy_rule *r);

/* The canonical text of alert rule a into buf, as policy_rule_text() does
 * for the other rules ("alert scan src distinct dst_port > 100 in 1m then
 * block 10m severity high"). Returns buf (cut short below POLICY_TEXT_MAX). */
const char *policy_alert_text(const struct policy_alert *a, char *buf, size_t len);

/* "low", "medium", "high", "critical". */
const char *policy_severity_name(enum policy_severity s);

/* What rule a counts, as the alerts table's metric column writes it:
 * "distinct dst_port", "syn", "bytes", "anomaly bytes", ... into buf
 * (32 bytes are enough). Returns buf. */
const char *policy_metric_text(const struct policy_alert *a, char *buf, size_t len);

/* Frees p's rules, alert rules, sinks and file name and leaves it empty
 * (mode enforce); p may be NULL or already freed. */
void policy_free(struct policy *p);

/*
 * The guard rails: writes one line per warning to warn,
 * "flowdb-collector: FILE:LINE: warning: ...", for
 *  - a block that an allow overlaps (it never drops what the allow covers),
 *  - a block whose network overlaps one of local[0..n_local) (the host's
 *    own addresses, as /32 or /128, or its networks),
 *  - a bits-per-second limit whose burst is below POLICY_PACKET_BYTES,
 *  - a rule that repeats an earlier one (same kind, side, network,
 *    protocol, port, and for a limit the same key and unit),
 *  - an alert keyed by the source whose "then block" a forged source
 *    address can set off (every metric but http_requests and cleartext)
 *    and that lacks "established",
 *  - in mode monitor, once, an alert with "then block" (it drops nothing).
 * A block is compared with at most 64 allows that cannot meet it; blocks
 * left that way are one more warning, which says how many.
 * At most 100 lines are written, then one saying how many more there were.
 * Returns the number of warnings (0: none), or -ENOMEM.
 */
int policy_check(const struct policy *p, const struct addr_net *local, size_t n_local, FILE *warn);

/*
 * The addresses of the interfaces ifnames[0..n) (all of the host's when
 * n is 0), for policy_check(): *out (malloc'd, the caller frees it) gets
 * one /32 or /128 per address, *n_out their number. Returns 0, -ENODEV
 * with one line on err for a name that is no interface, or a negative
 * errno from getifaddrs().
 */
int policy_local_addrs(const char *const *ifnames, int n, struct addr_net **out, size_t *n_out,
		       FILE *err);

/*
 * --check-policy: parses the file at path (errors on err), checks it against
 * the addresses of the interfaces ifnames[0..n) (all of the host's when n is
 * 0; warnings on err), and writes one line on out: "N rules: A allow, B
 * block, L limit, K alert; S sinks; mode M" (N = A + B + L + K). Needs no
 * privilege and loads nothing. Returns 0
 * when the file is valid, warnings or not, else a negative errno.
 */
int policy_check_file(const char *path, const char *const *ifnames, int n, FILE *out, FILE *err);

/*
 * The canonical text of r into buf ("block src 10.0.0.0/8 proto tcp port 25
 * for 1h reason "scan""): what policy_parse_line() reads back as the same
 * rule, for block list, actions rows and messages. Defaults are left out.
 * Returns buf (cut short if len is smaller than POLICY_TEXT_MAX).
 */
const char *policy_rule_text(const struct policy_rule *r, char *buf, size_t len);

/* The text of a network: "10.0.0.0/8", a host without its length
 * ("192.0.2.1", "2001:db8::1"). Returns buf (INET6_ADDRSTRLEN + 4 bytes). */
const char *policy_net_text(const struct addr_net *n, char *buf, size_t len);

#endif /* POLICY_H */
