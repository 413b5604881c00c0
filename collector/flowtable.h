/* SPDX-License-Identifier: BSD-2-Clause */
/* In-memory flow records between drains, with NetFlow/IPFIX end semantics. */
#ifndef FLOWTABLE_H
#define FLOWTABLE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "flowdb.h"
#include "inspect.h"

enum flow_end_reason {
	FLOW_END_IDLE = 1, /* no packet for idle_timeout */
	FLOW_END_ACTIVE, /* open for active_timeout: the flow goes on in a new record */
	FLOW_END_FIN, /* FIN seen, then linger without packets */
	FLOW_END_RST, /* RST seen, then linger without packets */
	FLOW_END_SHUTDOWN, /* the collector stopped */
};

/* Application protocols payload inspection recognises: the inspectors'
 * own numbers (inspect.h), so that a new protocol needs nothing here. */
enum flow_app {
	FLOW_APP_NONE = INSPECT_NONE,
	FLOW_APP_TLS = INSPECT_TLS,
	FLOW_APP_HTTP = INSPECT_HTTP,
	FLOW_APP_DNS = INSPECT_DNS,
	FLOW_APP_SSH = INSPECT_SSH,
	FLOW_APP_QUIC = INSPECT_QUIC,
	FLOW_APP_DTLS = INSPECT_DTLS,
};

/* Returns the protocol's name in the flows table's app_proto, as
 * inspect_proto_name() does: "tls", "http", "dns", "ssh", "quic", "dtls"; NULL
 * for none or a value no inspector has. */
const char *flow_app_name(enum flow_app app);

struct flow_record {
	struct flow_key key;
	uint64_t first_seen_us; /* microseconds since the epoch, UTC */
	uint64_t last_seen_us;
	uint64_t packets; /* every packet seen, dropped ones too */
	uint64_t bytes;
	uint64_t dropped_packets; /* of those, what the policy dropped (or would have) */
	uint64_t dropped_bytes;
	uint32_t tcp_flags;
	enum flow_end_reason end_reason; /* set when the record ends */
	/* What inspection found: app_proto an enum flow_app (0 none),
	 * encrypted -1 unknown; app_info is owned by the table, NULL when
	 * none. A record with packets 0 only holds these (and requests),
	 * waiting for the traffic of its flow: it is never handed to emit. */
	char *app_info;
	/* The client's TLS fingerprint (JA4) from the same inspection, owned
	 * by the table like app_info; NULL when none. */
	char *fingerprint;
	uint32_t requests; /* HTTP/1.x requests counted in this record */
	uint8_t app_proto;
	int8_t encrypted;
};

struct flowtable_opts {
	uint64_t idle_timeout_us;
	uint64_t active_timeout_us;
	uint64_t linger_us; /* after FIN/RST */
};

struct flowtable;

/* Called for each record that ends. Returns 0, or a negative errno to keep
 * this record and the ones not yet handed over in the table. */
typedef int (*flowtable_emit_fn)(const struct flow_record *r, void *arg);

/* Returns "idle", "active", "fin", "rst" or "shutdown". */
const char *flow_end_reason_name(enum flow_end_reason reason);

/* Creates an empty table. Returns 0 and sets *out, or -ENOMEM. */
int flowtable_new(struct flowtable **out, const struct flowtable_opts *opts);

/* Frees the table and every record in it. NULL is fine. */
void flowtable_free(struct flowtable *ft);

/* Merges traffic seen for key between first_us and last_us into its open
 * record, opening one if there is none. Returns 1 when the record's
 * traffic starts here (a new record, or one that only held a finding), 0
 * when it had traffic already, or -ENOMEM. */
int flowtable_add(struct flowtable *ft, const struct flow_key *key, uint64_t packets,
		  uint64_t bytes, uint32_t tcp_flags, uint64_t first_us, uint64_t last_us);

/* The first packet's time of key's open record with traffic into
 * *first_us. Returns 0, or -ENOENT when key has none. */
int flowtable_first_seen(const struct flowtable *ft, const struct flow_key *key,
			 uint64_t *first_us);

/* Adds packets and bytes the policy dropped to key's open record, which
 * flowtable_add() made or merged into: they are already in its packets
 * and bytes. Returns 0, or -ENOENT when key has no open record. */
int flowtable_drop(struct flowtable *ft, const struct flow_key *key, uint64_t packets,
		   uint64_t bytes);

/*
 * Records what inspection found in key's flow at time_us: app_proto (not
 * 0), encrypted (1, 0 or -1), info and fingerprint (copied; NULL or "" for
 * no fingerprint). The first finding of a flow stays, and so does its
 * first fingerprint, which a later call may bring when the first had none
 * (a ClientHello whole only later); a flow without a record yet gets one
 * that waits for its traffic. A record ended by the active timeout passes
 * the finding and the fingerprint on to the flow's next record. Returns 1
 * when this finding is the flow's, 0 when the flow had one already, or
 * -ENOMEM with the table unchanged.
 */
int flowtable_inspect(struct flowtable *ft, const struct flow_key *key, uint64_t time_us,
		      uint8_t app_proto, int8_t encrypted, const char *info,
		      const char *fingerprint);

/*
 * Adds n HTTP/1.x requests seen at time_us to key's open record; a flow
 * without a record yet gets one that waits for its traffic, as
 * flowtable_inspect() makes. The count saturates at UINT32_MAX. A record
 * the active timeout ends carries its requests; the flow's next record
 * starts at 0. Returns 0, or -ENOMEM with the table unchanged.
 */
int flowtable_requests(struct flowtable *ft, const struct flow_key *key, uint64_t time_us,
		       uint32_t n);

/*
 * Ends every record due at now_us, in this order of precedence: FIN or RST
 * seen and no packet for linger_us (reason rst when an RST was seen, else
 * fin); no packet for idle_timeout_us (idle); open for active_timeout_us
 * (active). Each ended record is handed to emit and removed. Returns the
 * number ended, or emit's negative errno (the table then still holds that
 * record and the ones after it).
 */
int flowtable_expire(struct flowtable *ft, uint64_t now_us, flowtable_emit_fn emit, void *arg);

/* Ends every record with reason shutdown. Returns as flowtable_expire(). */
int flowtable_end_all(struct flowtable *ft, flowtable_emit_fn emit, void *arg);

/* Number of open records. */
size_t flowtable_count(const struct flowtable *ft);

#endif /* FLOWTABLE_H */
