/* SPDX-License-Identifier: BSD-2-Clause */
/* flowdb-collector's command line: durations, sizes and the option set. */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "tracker.h"

#define OPTIONS_MAX_IFACES 32
#define USEC_PER_SEC 1000000ULL

struct options {
	const char *ifnames[OPTIONS_MAX_IFACES];
	int n_ifaces;
	const char *data_dir;
	bool egress;
	enum tracker_xdp_mode xdp_mode;
	uint64_t flush_interval_us;
	uint64_t idle_timeout_us;
	uint64_t active_timeout_us;
	uint64_t rotate_interval_us;
	uint64_t rotate_size;
	uint64_t retain_age_us;
	uint64_t retain_size;
	uint32_t map_size;
	int verbose;
};

/* Parses a duration: a whole number with a unit ms, s, m, h, d or w (none
 * means seconds), e.g. 30s, 5m, 1h, 7d. Returns 0 and sets *us, or -EINVAL
 * for anything else, zero included, or -ERANGE on overflow. */
int options_parse_duration(const char *s, uint64_t *us);

/* Parses a size: a whole number with a binary unit K, M, G or T, optionally
 * followed by B (none means bytes), e.g. 500M, 10G. Returns 0 and sets
 * *bytes, or -EINVAL for anything else, zero included, or -ERANGE. */
int options_parse_size(const char *s, uint64_t *bytes);

/* Parses argv into *o (defaults first). On a bad option prints one line
 * naming it to err. Returns 0 to run, 1 when --help or --version was
 * answered on out, or -EINVAL. */
int options_parse(struct options *o, int argc, char **argv, FILE *out, FILE *err);

#endif /* OPTIONS_H */
