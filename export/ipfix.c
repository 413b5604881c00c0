// SPDX-License-Identifier: BSD-2-Clause
/* IPFIX (RFC 7011) messages of finished flow records: message header, template
 * set, data sets; pure encoding, the exporter does the sending. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "ipfix.h"

#define IPFIX_VERSION 10
#define SET_TEMPLATE 2
/* A field length that says the value carries its own (RFC 7011, 7). */
#define VARLEN 65535
#define ENTERPRISE_BIT 0x8000

/* Information elements of IANA's registry the templates use. */
enum {
	IE_OCTET_DELTA_COUNT = 1,
	IE_PACKET_DELTA_COUNT = 2,
	IE_PROTOCOL_IDENTIFIER = 4,
	IE_TCP_CONTROL_BITS = 6,
	IE_SOURCE_TRANSPORT_PORT = 7,
	IE_SOURCE_IPV4_ADDRESS = 8,
	IE_INGRESS_INTERFACE = 10,
	IE_DESTINATION_TRANSPORT_PORT = 11,
	IE_DESTINATION_IPV4_ADDRESS = 12,
	IE_SOURCE_IPV6_ADDRESS = 27,
	IE_DESTINATION_IPV6_ADDRESS = 28,
	IE_VLAN_ID = 58,
	IE_FLOW_DIRECTION = 61,
	IE_FLOW_END_REASON = 136,
	IE_FLOW_START_MILLISECONDS = 152,
	IE_FLOW_END_MILLISECONDS = 153,
};

struct field {
	uint16_t id;
	uint16_t len;
	bool private; /* under the enterprise number */
};

/* The fields of both templates, in record order: the 8-byte ones first,
 * the variable-length ones last. The addresses are each template's own. */
#define FIELDS(SRC, DST, ALEN)                                                                   \
	{ IE_FLOW_START_MILLISECONDS, 8, false }, { IE_FLOW_END_MILLISECONDS, 8, false },        \
		{ IE_OCTET_DELTA_COUNT, 8, false }, { IE_PACKET_DELTA_COUNT, 8, false },         \
		{ IPFIX_IE_DROPPED_PACKETS, 8, true }, { IPFIX_IE_DROPPED_BYTES, 8, true },      \
		{ SRC, ALEN, false }, { DST, ALEN, false }, { IE_INGRESS_INTERFACE, 4, false },  \
		{ IE_SOURCE_TRANSPORT_PORT, 2, false },                                          \
		{ IE_DESTINATION_TRANSPORT_PORT, 2, false }, { IE_VLAN_ID, 2, false },           \
		{ IE_TCP_CONTROL_BITS, 2, false }, { IE_PROTOCOL_IDENTIFIER, 1, false },         \
		{ IE_FLOW_DIRECTION, 1, false }, { IE_FLOW_END_REASON, 1, false },               \
		{ IPFIX_IE_ENCRYPTED, 1, true }, { IPFIX_IE_APP_PROTO, VARLEN, true },           \
	{                                                                                        \
		IPFIX_IE_APP_INFO, VARLEN, true                                                  \
	}

static const struct field fields_v4[] = { FIELDS(IE_SOURCE_IPV4_ADDRESS,
						 IE_DESTINATION_IPV4_ADDRESS, 4) };
static const struct field fields_v6[] = { FIELDS(IE_SOURCE_IPV6_ADDRESS,
						 IE_DESTINATION_IPV6_ADDRESS, 16) };
#define N_FIELDS (sizeof(fields_v4) / sizeof(fields_v4[0]))
_Static_assert(N_FIELDS == 19, "IPFIX_TEMPLATE_SET_SIZE counts 19 fields, 5 private");


static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p = put16(p, (uint16_t)(v >> 16));
	return put16(p, (uint16_t)v);
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
	p = put32(p, (uint32_t)(v >> 32));
	return put32(p, (uint32_t)v);
}

/* A string as a variable-length value (RFC 7011, 7): a one-byte length
 * below 255, else 255 and a two-byte length; then its bytes, cut to max. */
static uint8_t *put_string(uint8_t *p, const char *s, size_t max)
{
	size_t n = s ? strnlen(s, max) : 0;

	if (n < 255) {
		*p++ = (uint8_t)n;
	} else {
		*p++ = 255;
		p = put16(p, (uint16_t)n);
	}
	if (n)
		memcpy(p, s, n);
	return p + n;
}

uint8_t ipfix_end_reason(enum flow_end_reason reason)
{
	switch (reason) {
	case FLOW_END_IDLE:
		return 1;
	case FLOW_END_ACTIVE:
		return 2;
	case FLOW_END_FIN:
	case FLOW_END_RST:
		return 3;
	case FLOW_END_SHUTDOWN:
		return 4;
	}
	return 0;
}

int ipfix_encoder_init(struct ipfix_encoder *e, const struct ipfix_opts *o, ipfix_emit_fn emit,
		       void *arg)
{
	memset(e, 0, sizeof(*e));
	if (o->message_size < IPFIX_MESSAGE_MIN || o->message_size > IPFIX_MESSAGE_MAX)
		return -EINVAL;
	e->buf = malloc(o->message_size);
	if (!e->buf)
		return -ENOMEM;
	e->opt = *o;
	e->emit = emit;
	e->arg = arg;
	e->len = IPFIX_HEADER_SIZE;
	return 0;
}

void ipfix_encoder_free(struct ipfix_encoder *e)
{
	free(e->buf);
	e->buf = NULL;
}

/* Closes the open data set, if any: its length is known now. */
static void close_set(struct ipfix_encoder *e)
{
	if (!e->set_start)
		return;
	put16(e->buf + e->set_start + 2, (uint16_t)(e->len - e->set_start));
	e->set_start = 0;
}

/*
 * Writes the header of the message built (version, length, export time,
 * the sequence number of its first data record, the domain) and emits it,
 * then starts the next one, whose sequence number counts this one's data
 * records. Returns 0 or emit's negative errno; the message is gone either
 * way (a datagram lost is what the sequence numbers are for).
 */
static int emit_message(struct ipfix_encoder *e, uint32_t now_s)
{
	uint8_t *p = e->buf;
	int err;

	close_set(e);
	p = put16(p, IPFIX_VERSION);
	p = put16(p, (uint16_t)e->len);
	p = put32(p, now_s);
	p = put32(p, e->seq);
	put32(p, e->opt.domain);
	err = e->emit(e->buf, e->len, e->records, e->arg);
	e->seq += e->records;
	e->records = 0;
	e->len = IPFIX_HEADER_SIZE;
	e->since_templates++;
	return err;
}

/* One template record of the fields at f into p. Returns the end. */
static uint8_t *put_template(uint8_t *p, uint16_t id, const struct field *f, uint32_t pen)
{
	size_t i;

	p = put16(p, id);
	p = put16(p, N_FIELDS);
	for (i = 0; i < N_FIELDS; i++) {
		p = put16(p, f[i].private ? f[i].id | ENTERPRISE_BIT : f[i].id);
		p = put16(p, f[i].len);
		if (f[i].private)
			p = put32(p, pen);
	}
	return p;
}

/* Whether the templates go at the start of the message begun at now_s. */
static bool templates_due(const struct ipfix_encoder *e, uint32_t now_s)
{
	if (!e->templates_sent)
		return true;
	if (e->opt.refresh_messages && e->since_templates >= e->opt.refresh_messages)
		return true;
	return e->opt.refresh_s && now_s - e->templates_at >= e->opt.refresh_s;
}

/* The template set (both templates) at the start of the empty message. */
static void add_templates(struct ipfix_encoder *e, uint32_t now_s)
{
	uint8_t *p = e->buf + e->len;

	p = put16(p, SET_TEMPLATE);
	p = put16(p, IPFIX_TEMPLATE_SET_SIZE);
	p = put_template(p, IPFIX_TEMPLATE_V4, fields_v4, e->opt.enterprise);
	put_template(p, IPFIX_TEMPLATE_V6, fields_v6, e->opt.enterprise);
	e->len += IPFIX_TEMPLATE_SET_SIZE;
	e->templates_sent = true;
	e->templates_at = now_s;
	e->since_templates = 0;
}

/* Record r's data record as template f says into p. Returns the end. */
static uint8_t *put_record(uint8_t *p, const struct flow_record *r, const struct field *f)
{
	const struct flow_key *k = &r->key;
	size_t i;

	for (i = 0; i < N_FIELDS; i++) {
		switch (f[i].id | (f[i].private ? ENTERPRISE_BIT : 0)) {
		case IE_FLOW_START_MILLISECONDS:
			p = put64(p, r->first_seen_us / 1000);
			break;
		case IE_FLOW_END_MILLISECONDS:
			p = put64(p, r->last_seen_us / 1000);
			break;
		case IE_OCTET_DELTA_COUNT:
			p = put64(p, r->bytes);
			break;
		case IE_PACKET_DELTA_COUNT:
			p = put64(p, r->packets);
			break;
		case IPFIX_IE_DROPPED_PACKETS | ENTERPRISE_BIT:
			p = put64(p, r->dropped_packets);
			break;
		case IPFIX_IE_DROPPED_BYTES | ENTERPRISE_BIT:
			p = put64(p, r->dropped_bytes);
			break;
		case IE_SOURCE_IPV4_ADDRESS:
		case IE_SOURCE_IPV6_ADDRESS:
			memcpy(p, k->src_addr, f[i].len);
			p += f[i].len;
			break;
		case IE_DESTINATION_IPV4_ADDRESS:
		case IE_DESTINATION_IPV6_ADDRESS:
			memcpy(p, k->dst_addr, f[i].len);
			p += f[i].len;
			break;
		case IE_INGRESS_INTERFACE:
			p = put32(p, k->ifindex);
			break;
		case IE_SOURCE_TRANSPORT_PORT:
			p = put16(p, k->src_port);
			break;
		case IE_DESTINATION_TRANSPORT_PORT:
			p = put16(p, k->dst_port);
			break;
		case IE_VLAN_ID:
			p = put16(p, k->vlan);
			break;
		case IE_TCP_CONTROL_BITS:
			p = put16(p, (uint16_t)r->tcp_flags);
			break;
		case IE_PROTOCOL_IDENTIFIER:
			*p++ = k->proto;
			break;
		case IE_FLOW_DIRECTION:
			*p++ = k->direction;
			break;
		case IE_FLOW_END_REASON:
			*p++ = ipfix_end_reason(r->end_reason);
			break;
		case IPFIX_IE_ENCRYPTED | ENTERPRISE_BIT:
			*p++ = r->encrypted < 0 ? 255 : (uint8_t)r->encrypted;
			break;
		case IPFIX_IE_APP_PROTO | ENTERPRISE_BIT:
			p = put_string(p, flow_app_name((enum flow_app)r->app_proto),
				       IPFIX_APP_PROTO_MAX);
			break;
		case IPFIX_IE_APP_INFO | ENTERPRISE_BIT:
			p = put_string(p, r->app_info, IPFIX_APP_INFO_MAX);
			break;
		}
	}
	return p;
}

/* Starts a message at now_s: the templates first when they are due. */
static void begin_message(struct ipfix_encoder *e, uint32_t now_s)
{
	if (e->len == IPFIX_HEADER_SIZE && templates_due(e, now_s))
		add_templates(e, now_s);
}

int ipfix_add(struct ipfix_encoder *e, const struct flow_record *r, uint32_t now_s)
{
	uint16_t id = r->key.ip_version == 6 ? IPFIX_TEMPLATE_V6 : IPFIX_TEMPLATE_V4;
	const struct field *f = id == IPFIX_TEMPLATE_V6 ? fields_v6 : fields_v4;
	uint8_t rec[IPFIX_RECORD_MAX];
	size_t n = (size_t)(put_record(rec, r, f) - rec);
	/* A new data set costs its header too. */
	size_t need = n + (e->set_start && e->set_id == id ? 0 : IPFIX_SET_HEADER_SIZE);
	int err = 0;

	begin_message(e, now_s);
	if (e->len + need > e->opt.message_size) {
		err = emit_message(e, now_s);
		begin_message(e, now_s);
		need = n + IPFIX_SET_HEADER_SIZE;
	}
	if (need > n) {
		close_set(e);
		e->set_start = e->len;
		e->set_id = id;
		put16(e->buf + e->len, id);
		e->len += IPFIX_SET_HEADER_SIZE;
	}
	memcpy(e->buf + e->len, rec, n);
	e->len += n;
	e->records++;
	return err;
}

int ipfix_flush(struct ipfix_encoder *e, uint32_t now_s)
{
	if (e->len == IPFIX_HEADER_SIZE) {
		if (!e->templates_sent || !e->opt.refresh_s ||
		    now_s - e->templates_at < e->opt.refresh_s)
			return 0;
		add_templates(e, now_s);
	}
	return emit_message(e, now_s);
}
