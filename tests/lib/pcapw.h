/* SPDX-License-Identifier: BSD-2-Clause */
/* Writes classic pcap files (microsecond timestamps, Ethernet). */
#ifndef PCAPW_H
#define PCAPW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Opens path for writing and writes the file header. Returns the stream, or
 * NULL with errno set. */
FILE *pcapw_open(const char *path);

/* Appends one frame captured at ts_us (microseconds since the epoch).
 * Returns 0, or -1 with errno set. */
int pcapw_write(FILE *f, uint64_t ts_us, const uint8_t *frame, size_t len);

/* Flushes and closes. Returns 0, or -1 with errno set. */
int pcapw_close(FILE *f);

#endif /* PCAPW_H */
