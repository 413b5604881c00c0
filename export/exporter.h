/* SPDX-License-Identifier: BSD-2-Clause */
/* The IPFIX exporter (--ipfix): finished records to UDP destinations through
 * a bounded queue and a worker thread, so that export never holds a flush. */
#ifndef EXPORTER_H
#define EXPORTER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "flowtable.h"
#include "ipfix.h"

#define EXPORTER_MAX_DESTS 8
/* A path MTU of 1500 less the IPv4 or IPv6 and UDP headers. */
#define EXPORTER_MESSAGE_SIZE_V4 (1500 - 20 - 8)
#define EXPORTER_MESSAGE_SIZE_V6 (1500 - 40 - 8)

struct exporter_dest {
	const char *text; /* as the user wrote it, for messages */
	const char *host; /* a name, an IPv4 address, an IPv6 one without brackets */
	uint16_t port;
};

struct exporter_opts {
	struct exporter_dest dest[EXPORTER_MAX_DESTS];
	int n_dests;
	struct ipfix_opts ipfix; /* message_size 0: the MTU's for the destinations */
	uint32_t queue; /* messages waiting at most, 1 or more */
	uint32_t rate; /* messages per second (to every destination); 0: unpaced */
	/* A full queue makes exporter_add() wait (an import, which has no
	 * kernel to lose packets) instead of dropping the message (live). */
	bool wait_for_room;
};

/* Counts since the previous exporter_counts(). */
struct exporter_counts {
	uint64_t records; /* data records sent, once per destination that took them */
	uint64_t send_errors; /* messages a destination refused or could not be sent */
	uint64_t dropped; /* data records in messages a full queue dropped */
};

struct exporter;

/*
 * Resolves every destination (getaddrinfo, IPv4 or IPv6, the first
 * address), opens a UDP socket for each and starts the worker. A name
 * that does not resolve is one line on err naming it, and an error.
 * Returns 0 and sets *out, or a negative errno.
 */
int exporter_open(struct exporter **out, const struct exporter_opts *o, FILE *err);

/* Encodes r into the message being built; a full message goes to the queue
 * (which may drop it, or wait, as wait_for_room says). now_us is the wall
 * clock. Never fails: what is lost is counted. NULL x does nothing. */
void exporter_add(struct exporter *x, const struct flow_record *r, uint64_t now_us);

/* Queues the message being built (or the templates, when due by time and
 * nothing else is); when final, waits until the queue is sent, or
 * EXPORTER_DRAIN_US at most. NULL x does nothing. */
void exporter_flush(struct exporter *x, uint64_t now_us, bool final);
#define EXPORTER_DRAIN_US (10 * 1000000ULL)

/* The counts since the previous call into *c (zeros for NULL x). */
void exporter_counts(struct exporter *x, struct exporter_counts *c);

/* Stops the worker (what is queued is dropped: exporter_flush() with final
 * first) and frees x. NULL is fine. */
void exporter_close(struct exporter *x);

#endif /* EXPORTER_H */
