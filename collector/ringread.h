/* SPDX-License-Identifier: BSD-2-Clause */
/* A BPF ring buffer read up to a position taken earlier: an import reads what one test run
 * wrote on one thread while the next test run writes on another. libbpf 1.1's ring_buffer
 * reads on to whatever was written last. */
#ifndef RINGREAD_H
#define RINGREAD_H

#include <stddef.h>
#include <stdint.h>

struct ringread;

/* Called with each record, as libbpf's ring_buffer_sample_fn: a negative
 * return stops the reading after this record. */
typedef int (*ringread_fn)(void *ctx, void *data, size_t size);

/* Maps the ring buffer map map_fd for reading. Returns 0 or a negative errno. */
int ringread_open(struct ringread **out, int map_fd);

/* The producer's position now: once the programs writing to the ring have
 * returned, every record before it is committed. */
uint64_t ringread_producer(const struct ringread *r);

/* The consumer's position now: the records before it are read. */
uint64_t ringread_consumer(const struct ringread *r);

/* Reads the records from the consumer's position up to until (a
 * ringread_producer() value), in order, releasing each one's room as it
 * goes. Stops early at a record still being written, or after a record fn
 * returned a negative value for. Returns 0 or fn's negative value. */
int ringread_consume(struct ringread *r, uint64_t until, ringread_fn fn, void *ctx);

/* Unmaps; NULL does nothing. */
void ringread_close(struct ringread *r);

#endif
