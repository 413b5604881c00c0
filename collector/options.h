/* SPDX-License-Identifier: BSD-2-Clause */
/* flowdb-collector's command line: durations, sizes and the option set. */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "tracker.h"
#include "units.h"

#define OPTIONS_MAX_IFACES 32
/* Captures, directories and patterns --read takes on one command line. */
#define OPTIONS_MAX_READ 4096

struct options {
	const char *ifnames[OPTIONS_MAX_IFACES];
	int n_ifaces;
	const char *data_dir;
	/* Captures to import instead of interfaces: --read's values and the
	 * arguments after the options (a shell's glob expands to those). */
	const char *read_paths[OPTIONS_MAX_READ];
	int n_read;
	const char *check_policy; /* --check-policy: check this file and exit */
	const char *policy_path; /* --policy: the rules to enforce; NULL: none */
	const char *control_path; /* flowdb-ctl's socket; NULL: none */
	bool egress;
	enum tracker_xdp_mode xdp_mode;
	uint64_t flush_interval_us;
	uint64_t idle_timeout_us;
	uint64_t active_timeout_us;
	uint64_t rotate_interval_us;
	uint64_t rotate_size;
	uint64_t retain_age_us;
	uint64_t retain_size;
	bool retain_unshipped_keep; /* --retain-unshipped keep */
	uint32_t map_size;
	uint32_t policy_max_entries; /* rules per rule set in the kernel */
	uint32_t limit_buckets; /* token buckets kept at once */
	uint8_t inspect_packets; /* per flow; 0 with --no-inspect */
	uint16_t inspect_bytes;
	/* Ports where cleartext breaks the policy: a bit per port. */
	uint8_t expect_encrypted[65536 / 8];
	int verbose;
};

/* The ports --expect-encrypted names by default. */
#define OPTIONS_ENCRYPTED_PORTS "22,443,465,853,993,995,8443"

/* Whether o expects encryption on port. */
bool options_expects_encrypted(const struct options *o, uint16_t port);

/* Parses argv into *o (defaults first). On a bad option prints one line
 * naming it to err. Returns 0 to run, 1 when --help or --version was
 * answered on out, or -EINVAL. */
int options_parse(struct options *o, int argc, char **argv, FILE *out, FILE *err);

#endif /* OPTIONS_H */
