/* SPDX-License-Identifier: BSD-2-Clause */
/* The rule set in force (--policy): the file's rules and the blocks added
 * live, kept in the kernel, audited in actions rows, counted per flush. */
#ifndef ENFORCE_H
#define ENFORCE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "control.h"
#include "store.h"
#include "tracker.h"

struct enforce;

/*
 * Reads the policy file at path and puts it in force in t's programs
 * (loaded with opts.policy): a timed block of the file ends its duration
 * after now_us. Writes a load row to s. Every problem is one line on err.
 * Returns 0 and sets *out, or a negative errno (-EINVAL: the file has
 * errors, or a rule the kernel cannot hold).
 */
int enforce_open(struct enforce **out, struct tracker *t, struct store *s, const char *path,
		 uint64_t now_us, FILE *err);

/* "enforce" or "monitor", for collector_stats; NULL for a NULL e. */
const char *enforce_mode(const struct enforce *e);

/* The wall-clock (live) or capture-clock (offline) time at which the
 * earliest timed block ends, in µs; 0 when none is timed or e is NULL. */
uint64_t enforce_next_expiry(const struct enforce *e);

/*
 * Removes the blocks that ended by now_us, each with a line on err and an
 * expire row at now_us; costs one comparison while none has. A block the
 * kernel failed to remove stays, for the next call. Returns 0 or the first
 * negative errno (the kernel's, the store's buffer). NULL is fine.
 */
int enforce_expire(struct enforce *e, uint64_t now_us, FILE *err);

/*
 * At each flush: enforce_expire() at now_us, then writes each rule's packets and bytes since
 * the previous flush as rule_counters rows at now_us. Returns 0 or a
 * negative errno (the store's buffer is full, out of memory). NULL is fine.
 */
int enforce_flush(struct enforce *e, uint64_t now_us, FILE *err);

/*
 * An alert's "then block": blocks net on side for duration_us from now_us
 * (origin alert, reason the rule's name, detail the alert), audited as an
 * add row. Returns 0; -EEXIST when net is blocked already; -EPERM when an
 * allow rule covers net (allow always wins: nothing is added); or another
 * negative errno.
 */
int enforce_block(struct enforce *e, const struct addr_net *net, enum policy_side side,
		  uint64_t duration_us, const char *reason, const char *detail, uint64_t now_us);

/*
 * The alert rules' part of a reload, in two steps around the kernel's
 * swap: first with the file's new rules in next, before anything changes,
 * to prepare (returns 0, or a negative errno with why, one line, to refuse
 * the reload); then with next NULL, commit true once the kernel took the
 * new rules, false when it refused them (the prepared state is dropped).
 * The return value of the second call is ignored.
 */
typedef int (*enforce_reload_fn)(void *arg, const struct policy *next, bool commit, char *why,
				 size_t len);
void enforce_on_reload(struct enforce *e, enforce_reload_fn fn, void *arg);

/* The rule set in force (its alert rules and sinks too). */
const struct policy *enforce_policy(const struct enforce *e);

/* The flowdb-ctl commands that change or list the rules (block add, del,
 * list, limit list, reload), for control_open() with e as the context; the
 * clock they stamp rows with is the wall clock. */
void enforce_control_ops(struct control_ops *ops);

/* Frees e; the kernel keeps the rules until the programs go. NULL is fine. */
void enforce_close(struct enforce *e);

#endif /* ENFORCE_H */
