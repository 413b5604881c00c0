/* SPDX-License-Identifier: BSD-2-Clause */
/* Where alerts go besides the alerts table: syslog, JSON lines, a command,
 * a webhook; none of them ever blocks the collector. */
#ifndef SINK_H
#define SINK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "policy.h"
#include "store.h"

struct sinks;

/*
 * Opens the n sinks of a policy (a jsonl file is opened for appending, the
 * syslog socket connected, a worker started for the command and webhook
 * sinks). Each sink that cannot open is one line on err
 * "flowdb-collector: PATH:LINE: sink ...: why" and an error. Returns 0 and
 * sets *out (an empty set for n 0), or a negative errno.
 */
int sinks_open(struct sinks **out, const struct policy_sink *s, size_t n, FILE *err);

/*
 * Hands a to every sink without waiting: syslog and jsonl write at once
 * (a failure is counted); command and webhook queue it for their worker
 * (a full queue drops its oldest alert, counted). Never blocks on a slow sink.
 */
void sinks_send(struct sinks *s, const struct store_alert *a);

/* Failures since the sinks opened: a write, a command that failed or timed
 * out, a webhook POST that failed (each retry counts), a queue overflow. */
uint64_t sinks_failures(const struct sinks *s);

/*
 * An alert as one line of JSON (no newline) into buf: {"time":"ISO 8601",
 * "time_us":N,"rule":...,"severity":...,"key":...,"side":...,"metric":...,
 * "value":N,"threshold":N,"window_us":N,"first_seen_us":N,"last_seen_us":N,
 * "example":...,"action":...,"suppressed":N,"line":N}, strings escaped.
 * Returns the length, or -ENOSPC when buf is too small.
 */
int sink_alert_json(const struct store_alert *a, char *buf, size_t len);

/* Gives the queued alerts up to each sink's timeout, stops the workers and
 * frees s. NULL is fine. */
void sinks_close(struct sinks *s);

#endif /* SINK_H */
