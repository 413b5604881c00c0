/* SPDX-License-Identifier: BSD-2-Clause */
/* IPFIX (RFC 7011) messages of finished flow records: pure encoding, no I/O. */
#ifndef IPFIX_H
#define IPFIX_H

#include <stddef.h>
#include <stdint.h>
#include "flowtable.h"

/* Template ids of the two data sets; a data set's id is its template's. */
#define IPFIX_TEMPLATE_V4 256
#define IPFIX_TEMPLATE_V6 257
/* RFC 5612's enterprise number for documentation: flowdb has none of its
 * own, so its elements are under this one unless --ipfix-enterprise says. */
#define IPFIX_PEN_DEFAULT 32473
/* The private elements, under the enterprise number (README, "IPFIX
 * export"): each id with the enterprise bit set on the wire. */
#define IPFIX_IE_APP_PROTO 1 /* string, variable length: "tls", "" none */
#define IPFIX_IE_APP_INFO 2 /* string, variable length */
#define IPFIX_IE_ENCRYPTED 3 /* unsigned8: 0 cleartext, 1 encrypted, 255 unknown */
#define IPFIX_IE_DROPPED_PACKETS 4 /* unsigned64 */
#define IPFIX_IE_DROPPED_BYTES 5 /* unsigned64 */
/* Longest app_proto and app_info exported: longer ones are cut (they are
 * printable ASCII, so a cut splits no character). */
#define IPFIX_APP_PROTO_MAX 15
#define IPFIX_APP_INFO_MAX 255

#define IPFIX_HEADER_SIZE 16
#define IPFIX_SET_HEADER_SIZE 4
/* A data record at its longest: the IPv6 one's fixed part, app_proto with
 * its one-byte length, app_info with its three-byte one. */
#define IPFIX_RECORD_MAX (96 + 1 + IPFIX_APP_PROTO_MAX + 3 + IPFIX_APP_INFO_MAX)
/* The template set: its header and two template records of 19 fields, 5
 * of them with their enterprise number. */
#define IPFIX_TEMPLATE_SET_SIZE (IPFIX_SET_HEADER_SIZE + 2 * (4 + 19 * 4 + 5 * 4))
/* The smallest message size: it holds the templates and any one record in
 * its data set, so that every message the encoder starts can take one. */
#define IPFIX_MESSAGE_MIN                                                                      \
	(IPFIX_HEADER_SIZE + IPFIX_TEMPLATE_SET_SIZE + IPFIX_SET_HEADER_SIZE + IPFIX_RECORD_MAX)
/* The largest: a UDP datagram over IPv4 (65,535 less 28 bytes of headers). */
#define IPFIX_MESSAGE_MAX 65507

/* Called with each finished message, len bytes at msg (valid during the
 * call only). Returns 0, or a negative errno that the encoder passes on. */
typedef int (*ipfix_emit_fn)(const uint8_t *msg, size_t len, uint32_t records, void *arg);

struct ipfix_opts {
	uint32_t domain; /* observation domain id */
	uint32_t enterprise; /* of the private elements */
	size_t message_size; /* IPFIX_MESSAGE_MIN to IPFIX_MESSAGE_MAX */
	uint32_t refresh_s; /* templates again this long after the last; 0: never */
	uint32_t refresh_messages; /* and every this many messages; 0: never */
};

struct ipfix_encoder {
	struct ipfix_opts opt;
	ipfix_emit_fn emit;
	void *arg;
	uint8_t *buf; /* the message being built, opt.message_size bytes */
	size_t len; /* bytes in it, header included */
	size_t set_start; /* offset of the open data set, 0 when none */
	uint16_t set_id; /* its template id */
	uint32_t seq; /* data records of this stream before this message */
	uint32_t records; /* data records in this message */
	bool templates_sent; /* once: the first message carries them */
	uint32_t templates_at; /* export time of the last templates */
	uint32_t since_templates; /* messages emitted since them */
};

/* Sets up e with its buffer. Returns 0, -EINVAL for a message size out of
 * range, or -ENOMEM. */
int ipfix_encoder_init(struct ipfix_encoder *e, const struct ipfix_opts *o, ipfix_emit_fn emit,
		       void *arg);

/* Frees e's buffer (what it holds is not emitted: ipfix_flush() first). */
void ipfix_encoder_free(struct ipfix_encoder *e);

/*
 * Appends record r to the message, after the template set when templates
 * are due at now_s (the first message, refresh_s after the last, or
 * refresh_messages messages after them), and emits the message first when
 * r does not fit. Times are r's, in milliseconds; now_s is the export time.
 * Returns 0 or emit's negative errno (r is then in the next message).
 */
int ipfix_add(struct ipfix_encoder *e, const struct flow_record *r, uint32_t now_s);

/*
 * Emits the message being built, if it holds anything; with nothing to
 * send, a message of the templates alone when they are due at now_s by
 * time (a collector started late learns them with no traffic). Returns 0
 * or emit's negative errno.
 */
int ipfix_flush(struct ipfix_encoder *e, uint32_t now_s);

/* flowEndReason (RFC 5102, IANA's registry) of a record's end: idle timeout 1,
 * active timeout 2, end of flow detected (fin, rst) 3, forced end
 * (shutdown) 4. */
uint8_t ipfix_end_reason(enum flow_end_reason reason);

#endif /* IPFIX_H */
