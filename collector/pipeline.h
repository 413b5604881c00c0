/* SPDX-License-Identifier: BSD-2-Clause */
/* An import's second thread: it reads the ring buffers' records of one test run while the
 * next test run goes on. What reading them tells the kernel (stop copying a flow, skip a
 * body) is noted and handed back, for the caller to apply before the run after: the
 * kernel hears of a batch's findings a batch later than from one thread, as live it hears
 * when the poll comes, and always at the same place in the capture. */
#ifndef PIPELINE_H
#define PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "flowdb.h"
#include "ringread.h"

struct pipeline;

/* A note for the kernel: stop copying key's flow, or (skip) skip its
 * payload up to sequence number until. */
struct pipeline_note {
	struct flow_key key;
	uint32_t until;
	bool skip;
};

/* Starts the thread reading the ring buffer maps fds[0..n-1] (at most 2),
 * in that order, with fn(ctx, ...) for each record. Returns 0 or a
 * negative errno. */
int pipeline_start(struct pipeline **out, const int *fds, int n, ringread_fn fn, void *ctx);

/* Hands the thread every record written so far, or reads them here when
 * they are few: their notes come at the next pipeline_wait() either way.
 * Call it after pipeline_wait(), once the programs writing them have
 * returned. */
void pipeline_hand(struct pipeline *p);

/* Waits until the records handed are read, then sets *notes to the notes
 * made since the last call (pipeline_note()), valid until the next.
 * Returns how many. */
size_t pipeline_wait(struct pipeline *p, const struct pipeline_note **notes);

/* Notes n for the kernel, from fn on the pipeline's thread, or from the
 * caller's between pipeline_wait() and pipeline_hand(). Without memory the
 * note is lost: a flow the kernel is not told about costs only copies. */
void pipeline_note(struct pipeline *p, const struct pipeline_note *n);

/* Waits for the thread, ends it and frees p; NULL does nothing. */
void pipeline_stop(struct pipeline *p);

#endif
