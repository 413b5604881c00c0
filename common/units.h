/* SPDX-License-Identifier: BSD-2-Clause */
/* Durations and sizes as people write them (30s, 5m, 500M), for every tool. */
#ifndef UNITS_H
#define UNITS_H

#include <stdint.h>

#define USEC_PER_SEC 1000000ULL

/* Parses a duration: a whole number with a unit ms, s, m, h, d or w (none
 * means seconds), e.g. 30s, 5m, 1h, 7d. Returns 0 and sets *us, or -EINVAL
 * for anything else, zero included, or -ERANGE on overflow. */
int units_parse_duration(const char *s, uint64_t *us);

/* Parses a size: a whole number with a binary unit K, M, G or T, optionally
 * followed by B (none means bytes), e.g. 500M, 10G. Returns 0 and sets
 * *bytes, or -EINVAL for anything else, zero included, or -ERANGE. */
int units_parse_size(const char *s, uint64_t *bytes);

#endif /* UNITS_H */
