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
/* --ipfix destinations at most. */
#define OPTIONS_MAX_IPFIX 8
/* Longest host name or address of an --ipfix destination. */
#define OPTIONS_HOST_MAX 256

/* The --ipfix-* defaults and bounds (README, "IPFIX export"); main.c
 * checks the message sizes against the encoder's. */
#define OPTIONS_IPFIX_DOMAIN 1
#define OPTIONS_IPFIX_ENTERPRISE 32473 /* RFC 5612's, for documentation */
#define OPTIONS_IPFIX_REFRESH_S 600
#define OPTIONS_IPFIX_REFRESH_MESSAGES 20
#define OPTIONS_IPFIX_MESSAGE_MIN 594
#define OPTIONS_IPFIX_MESSAGE_MAX 65507
#define OPTIONS_IPFIX_QUEUE 4096
#define OPTIONS_IPFIX_QUEUE_MAX 1048576
#define OPTIONS_IPFIX_RATE 10000
#define OPTIONS_IPFIX_RATE_MAX 1000000

/* An --ipfix HOST:PORT, split: the host without an IPv6 address's brackets. */
struct options_ipfix_dest {
	const char *text;
	char host[OPTIONS_HOST_MAX];
	uint16_t port;
};

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
	bool map_size_given; /* --map-size: an import sizes its flow maps itself otherwise */
	uint32_t policy_max_entries; /* rules per rule set in the kernel */
	uint32_t limit_buckets; /* token buckets kept at once */
	uint8_t inspect_packets; /* per flow; 0 with --no-inspect */
	uint32_t inspect_bytes; /* per flow */
	/* Ports where cleartext breaks the policy: a bit per port. */
	uint8_t expect_encrypted[65536 / 8];
	/* IPFIX export (--ipfix ...): the destinations and, 0 for the
	 * exporter's default, the rest. */
	struct options_ipfix_dest ipfix[OPTIONS_MAX_IPFIX];
	int n_ipfix;
	uint32_t ipfix_domain;
	uint32_t ipfix_enterprise;
	uint32_t ipfix_refresh_s;
	uint32_t ipfix_refresh_messages;
	uint32_t ipfix_message_size; /* 0: the path MTU's for the destinations */
	uint32_t ipfix_queue;
	uint32_t ipfix_rate; /* messages per second; 0: unpaced */
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
