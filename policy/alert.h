/* SPDX-License-Identifier: BSD-2-Clause */
/* Alert rules evaluated at each flush over the traffic, connection events
 * and inspection findings: alerts rows, sinks, timed blocks. */
#ifndef ALERT_H
#define ALERT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "enforce.h"
#include "flowtable.h"
#include "flowdb.h"
#include "inspect.h"
#include "policy.h"
#include "store.h"

struct alerter;

/*
 * Takes p's alert rules and sinks in force (p is copied; the sinks opened,
 * each failure one line on err). e puts "then block" in the kernel and
 * audits it (NULL: no block, no reload, as for a benchmark); s gets the
 * alerts rows; flows, the open flow records, tells a non-TCP flow that
 * answers another from one that starts a conversation (NULL: all start
 * one). Returns 0 and sets *out, or a negative
 * errno. Made with no alert rule as well, so that a reload can add some;
 * it then costs a test per call. Registers its part of a reload with e:
 * a rule whose text is unchanged keeps its keys (windows, baselines,
 * suppression), the others start afresh, and the sinks are opened anew.
 */
int alert_open(struct alerter **out, const struct policy *p, struct enforce *e,
	       const struct flowtable *flows, struct store *s, FILE *err);

/*
 * The traffic of one flow since the previous drain: packets and bytes
 * between first_us and last_us, with the TCP flags seen; new_record when
 * the flow had no open record before.
 */
void alert_flow(struct alerter *a, const struct flow_key *k, uint64_t packets, uint64_t bytes,
		uint32_t tcp_flags, uint64_t first_us, uint64_t last_us, bool new_record);

/* A connection event (SYN, FIN, RST) at time_us. */
void alert_event(struct alerter *a, const struct flow_event *ev, uint64_t time_us);

/* What inspection found in one payload of k's flow at time_us (every
 * payload inspected, not only the flow's first finding); breach when it
 * broke the encryption policy (an events row of kind policy). */
void alert_finding(struct alerter *a, const struct flow_key *k, uint64_t time_us,
		   const struct inspect_result *r, bool breach);

/*
 * At each flush, at now_us (capture time offline): evaluates every rule
 * over its window, writes an alerts row per alert (struct store_alert), hands it to the sinks,
 * adds the blocks asked for, and forgets what left every window. Adds its
 * counts to st (alerts, alerts_suppressed, sink_failures). Returns 0 or a
 * negative errno from the store (the alert was still sent to the sinks).
 */
int alert_flush(struct alerter *a, uint64_t now_us, struct store_stats *st);

/*
 * The alerts' part of a reload (an enforce_reload_fn, arg the alerter):
 * with next, prepares its rules and opens its sinks (0, or a negative
 * errno with why); then with next NULL, takes them when commit (a rule
 * whose text is unchanged keeps its keys: windows, baselines,
 * suppression) or drops them.
 */
int alert_reload(void *arg, const struct policy *next, bool commit, char *why, size_t len);

/* The alert rules in force; 0 for a NULL a. */
size_t alert_rule_count(const struct alerter *a);

/* The latest alerts raised, newest first, at most n, into out; returns how
 * many (flowdb-ctl alerts). */
size_t alert_recent(const struct alerter *a, struct store_alert *out, size_t n);

/* Sends what the sinks still queue (for at most their timeouts) and frees
 * a. NULL is fine. */
void alert_close(struct alerter *a);

#endif /* ALERT_H */
