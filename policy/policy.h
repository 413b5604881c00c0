/* SPDX-License-Identifier: BSD-2-Clause */
/* The policy file as rules in memory: what --policy and --check-policy read,
 * what the kernel maps are built from, and what flowdb-ctl changes live. */
#ifndef POLICY_H
#define POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"

#define POLICY_REASON_MAX 128

enum policy_kind {
	POLICY_ALLOW = 1, /* never dropped nor limited */
	POLICY_BLOCK = 2, /* dropped */
	POLICY_LIMIT = 3, /* a token bucket per source prefix */
};

/* Which address of a packet a rule's network is matched against. */
enum policy_side {
	POLICY_SIDE_ANY = 0, /* allow only: the source or the destination */
	POLICY_SIDE_SRC = 1,
	POLICY_SIDE_DST = 2,
};

enum policy_unit {
	POLICY_PPS = 1, /* packets per second; burst in packets */
	POLICY_BPS = 2, /* layer-3 bits per second; burst in bytes */
	POLICY_SYN = 3, /* TCP SYN without ACK per second; burst in SYNs */
};

/* Where a rule came from: the file, flowdb-ctl, an alert (later). */
enum policy_origin {
	POLICY_ORIGIN_FILE = 1,
	POLICY_ORIGIN_CTL = 2,
	POLICY_ORIGIN_ALERT = 3,
};

struct policy_rule {
	enum policy_kind kind;
	enum policy_origin origin;
	unsigned int line; /* in the file; 0 for rules not from a file */
	enum policy_side side;
	struct addr_net net; /* allow, block: host bits cleared */
	uint8_t proto; /* 0: any protocol */
	uint16_t port; /* 0: any; the packet's destination port */
	/* limit: the bucket's key is the source address cut to these prefix
	 * lengths ("limit src/24/64": IPv4 /24, IPv6 /64). */
	uint8_t limit_bits4;
	uint8_t limit_bits6;
	enum policy_unit unit;
	uint64_t rate; /* per second, in the unit's measure (bits for BPS) */
	uint64_t burst; /* packets, bytes (BPS) or SYNs */
	uint64_t duration_us; /* block "for DUR": 0 for ever */
	int64_t expires_us; /* wall-clock (or capture-clock) end; 0 for ever */
	char reason[POLICY_REASON_MAX];
};

enum policy_mode {
	POLICY_ENFORCE = 0,
	POLICY_MONITOR = 1, /* count "would drop", drop nothing */
};

struct policy {
	enum policy_mode mode;
	struct policy_rule *rules;
	size_t n_rules;
	size_t cap_rules;
};

#endif /* POLICY_H */
