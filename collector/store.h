/* SPDX-License-Identifier: BSD-2-Clause */
/* Rotating SQLite flow files: naming, one transaction per flush, retention. */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include "flowtable.h"

#define STORE_SCHEMA_VERSION 6
/* app_info, an event's detail and a request's host are cut to fit this,
 * NUL included. */
#define STORE_TEXT_SIZE 256
/* A flow's fingerprint (a JA4 is 36 characters) is cut to fit this. */
#define STORE_FINGERPRINT_SIZE 64
/* A request's method and path are cut to the HTTP inspector's own bounds:
 * it names none longer, and rows held stay small. */
#define STORE_METHOD_SIZE INSPECT_METHOD_SIZE
#define STORE_PATH_SIZE INSPECT_PATH_SIZE
/* Rows held in memory across failed commits (disk full) before the oldest
 * are dropped and counted. */
#define STORE_MAX_PENDING_ROWS 1000000

struct store_opts {
	const char *dir; /* created (0750) if missing */
	uint64_t rotate_interval_us; /* files cover aligned UTC periods of this length */
	uint64_t rotate_size; /* bytes; 0: no size rotation */
	uint64_t retain_age_us; /* 0: keep */
	uint64_t retain_size; /* bytes over all files; 0: keep */
	/* Retention removes only files flowdb-ship's progress record in dir
	 * (flowfile.h) marks shipped. */
	bool keep_unshipped;
	const char *hostname;
	const char *interfaces; /* e.g. "eth0,eth1", for meta */
	const char *collector_version;
	/* Offline import: a file is made in memory (or, once it outgrows
	 * 16 MiB, on disk under a hidden name, ".NAME.part", flock()ed while
	 * written) with neither WAL nor a journal on disk (SQLite's
	 * journal_mode=MEMORY, synchronous=OFF), by one connection moved from
	 * file to file (partvfs.h); once finished, finisher threads write it
	 * under its hidden name, sync a batch with one syncfs() and rename
	 * each to its NAME, and the directory is synced at store_close().
	 * Readers never see a file half made; a killed import leaves only
	 * hidden files, which the next store opened with this option removes.
	 * Since no one reads the file before that, its flows, events and
	 * requests indexes are made when it is finished, one sort each, rather
	 * than kept up to date row by row, and it starts as a copy of an empty
	 * file made once. A corpus of a thousand small captures spent half its
	 * import on WAL files, locks, syncs and running the schema, then most
	 * of the rest on opening connections and on system calls. With no room
	 * on the disk for a finished file, store_flush() fails with -ENOSPC,
	 * keeping its rows, until a finisher could write it. */
	bool publish_finished;
};

/* Per-flush figures for collector_stats; the store fills rows_written,
 * pending_rows and write_errors itself. */
struct store_stats {
	uint64_t time_us;
	uint64_t kernel_packets, kernel_bytes;
	uint64_t drained_packets, drained_bytes;
	uint64_t non_ip, malformed, truncated, map_update_failures;
	uint64_t events, ringbuf_drops;
	uint64_t payload_events, payload_bytes;
	uint64_t dropped_packets, dropped_bytes; /* of kernel_*: the policy's drops */
	const char *policy_mode; /* "enforce", "monitor", NULL without a policy */
	bool alerting; /* alert rules in force: the three below are written */
	uint64_t alerts, alerts_suppressed, sink_failures; /* this flush's */
	bool exporting; /* --ipfix: the three below are written */
	uint64_t ipfix_records, ipfix_send_errors, ipfix_dropped; /* this flush's */
	uint64_t payload_drops; /* payload copies their full ring buffer refused */
	uint64_t active_flows;
	uint64_t flush_duration_us;
};

struct store;

/* Checks that opts->dir exists (creating it if needed) and is writable.
 * Creates no file yet. Returns 0 and sets *out, or a negative errno
 * (-EACCES, -ENOTDIR, -EROFS, ...). */
int store_open(struct store **out, const struct store_opts *opts);

/* Writes what is pending (as store_flush at the last time seen), finishes
 * the current file and frees everything. Returns 0 or a negative errno;
 * the store is freed either way. NULL is fine. */
int store_close(struct store *s);

/* Page cache of the file being written, as PRAGMA cache_size (negative:
 * KiB); bench/drain_commit gives its SQLite floor the same. */
#define STORE_CACHE_KIB "-65536"

/* Buffers a finished flow record, its texts copied (app_info cut to
 * STORE_TEXT_SIZE, the fingerprint to STORE_FINGERPRINT_SIZE; "" is none);
 * ifname must outlive the store. Returns 0, -ENOMEM, or -EINVAL for a row
 * the schema would refuse. */
int store_add_flow(struct store *s, const struct flow_record *r, const char *ifname);

/* Buffers an event; ifname must outlive the store. Returns 0, -ENOMEM, or
 * -EINVAL for a row the schema would refuse. */
int store_add_event(struct store *s, const struct flow_event *e, uint64_t time_us,
		    const char *ifname);

/* Buffers a policy event for key's flow at time_us, detail saying why
 * (copied, cut to STORE_TEXT_SIZE). Returns as store_add_event(). */
int store_add_policy(struct store *s, const struct flow_key *key, uint64_t time_us,
		     const char *ifname, const char *detail);

/* A requests row (schema/flowdb.sql): an HTTP request inspection named. */
struct store_request {
	const struct flow_key *key; /* the flow that carried it */
	uint64_t time_us; /* the request's */
	const char *method; /* required */
	const char *host, *path; /* NULL or "": none (NULL in the row) */
	int status; /* the response's, 100..999; -1: none seen */
};

/* Buffers a requests row, as an event is (held and counted alike when a
 * flush fails); texts are copied, cut to STORE_METHOD_SIZE, STORE_TEXT_SIZE
 * and STORE_PATH_SIZE; ifname must outlive the store. Returns 0, -ENOMEM,
 * or -EINVAL for a row the schema would refuse (no method, a bad key) or
 * a status outside 100..999 other than -1. */
int store_add_request(struct store *s, const struct store_request *r, const char *ifname);

/* An actions row (schema/flowdb.sql): a change to the rule set in force. */
struct store_action {
	uint64_t time_us;
	const char *action; /* load, reload, add, delete or expire */
	const char *target; /* the policy file, or the network as CIDR text */
	const char *rule; /* as the policy file writes it; NULL: none */
	const char *reason; /* NULL or "": none */
	uint64_t expires_us; /* 0: no end */
	const char *origin; /* file, ctl, alert or expiry */
	int64_t uid; /* the flowdb-ctl user's; -1: none */
	const char *detail; /* NULL: none */
};

/* Buffers an actions row for the next store_flush(), which writes it in its
 * transaction; texts are copied (cut to STORE_TEXT_SIZE). Returns 0,
 * -EINVAL for a row the schema would refuse (an action or origin not of
 * its lists, no target), -ENOMEM, or -ENOBUFS with STORE_MAX_PENDING_ROWS
 * audit rows unwritten. */
int store_add_action(struct store *s, const struct store_action *a);

/* Room for an alert's example flow: "tcp [2001:db8::1]:65535 -> ...". */
#define STORE_ALERT_EXAMPLE_MAX 128
#define STORE_ALERT_ACTION_MAX 96

/* An alerts row (schema/flowdb.sql), as the sinks get it too. */
struct store_alert {
	uint64_t time_us; /* the flush that raised it (capture time offline) */
	const char *rule; /* the alert rule's NAME */
	const char *severity; /* low, medium, high, critical */
	char key[INET6_ADDRSTRLEN]; /* the address the rule counts for */
	const char *side; /* src or dst */
	char metric[32]; /* policy_metric_text(): "distinct dst_port", "syn" */
	double value; /* observed in the window (anomaly: the bucket's sum) */
	double threshold; /* anomaly: mean + sigmas * deviation */
	uint64_t window_us; /* anomaly: the bucket */
	uint64_t first_us, last_us; /* the evidence counted: its first and last times */
	char example[STORE_ALERT_EXAMPLE_MAX]; /* one flow of it, "" when none */
	/* "none", the block added ("block src 192.0.2.1 for 10m", then
	 * " (monitor)" in monitor mode), or why not: "not blocked: allowed",
	 * "not blocked: no handshake", "not blocked: blocked already" */
	char action[STORE_ALERT_ACTION_MAX];
	uint64_t suppressed; /* repeats not alerted since the previous alert of rule and key */
	unsigned int line; /* the rule's line in the policy file */
};

/* Buffers an alerts row for the next store_flush(), as store_add_action()
 * does. Returns as store_add_action(). */
int store_add_alert(struct store *s, const struct store_alert *a);

/* One rule's counters since the previous flush, for rule_counters. */
struct store_rule_counter {
	const char *rule; /* as the policy file writes it */
	const char *kind; /* allow, block or limit */
	const char *origin; /* file, ctl or alert */
	unsigned int line; /* in the policy file; 0: none */
	uint64_t packets, bytes;
};

/* Buffers the n rule_counters rows of one flush at time_us, in mode
 * (enforce or monitor), for the next store_flush() as store_add_action()
 * does. Rows without packets are left out. Returns as store_add_action();
 * on an error no row of the n is buffered. */
int store_add_rule_counters(struct store *s, uint64_t time_us, const char *mode,
			    const struct store_rule_counter *c, size_t n);

/*
 * Writes every buffered row (flows, events, requests, actions, rule
 * counters, alerts) and one collector_stats row in one transaction to the
 * file for st->time_us, first starting a new file when the period changed,
 * the file passed rotate_size, or store_rotate() was called. A new
 * file gets the schema, WAL mode, mode 0640 and its meta rows; the file it
 * replaces is checkpointed and switched to rollback journal mode so that it
 * is one self-contained file. meta time_start_us/time_end_us are kept up to
 * date. Returns 0; -ENOSPC when the disk is full (rows stay buffered for the
 * next call, up to STORE_MAX_PENDING_ROWS); or another negative errno.
 */
int store_flush(struct store *s, const struct store_stats *st);

/* Makes the next store_flush() start a new file (SIGHUP). */
void store_rotate(struct store *s);

/* Removes the oldest whole flow files (with their -wal and -shm) while any
 * is older than retain_age (by modification time) or all together exceed
 * retain_size; never the file being written, and with keep_unshipped none
 * the shipper's progress record does not mark shipped (none at all when
 * the record cannot be read). Returns the number removed or a negative
 * errno. */
int store_retain(struct store *s, uint64_t now_us);

/* Path of the file being written, or NULL before the first flush and, with
 * publish_finished, while the file is in memory. */
const char *store_current_path(const struct store *s);

#endif /* STORE_H */
