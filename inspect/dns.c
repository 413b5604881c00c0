// SPDX-License-Identifier: BSD-2-Clause
/* DNS: a message's header and first question, and a response's first answer (RFC 1035). */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "inspect.h"
#include "wire.h"

#define DNS_HEADER 12
#define DNS_QR 0x8000
#define DNS_OPCODE_SHIFT 11
#define DNS_OPCODE_MASK 0xf
#define DNS_Z 0x0040
#define DNS_RCODE_MASK 0xf
#define DNS_OPCODE_QUERY 0
#define DNS_OPCODE_IQUERY 1
#define DNS_OPCODE_STATUS 2
#define DNS_OPCODE_NOTIFY 4
#define DNS_OPCODE_UPDATE 5
#define DNS_OPCODE_DSO 6
/* Questions a message may ask and still be taken for DNS: mDNS queries (Apple's Bonjour)
 * carry a dozen and more; a response's questions are walked up to its first answer, so this
 * bounds that loop too. */
#define DNS_QDCOUNT_MAX 64
#define DNS_CLASS_IN 1
#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_AAAA 28
#define DNS_A_SIZE 4
#define DNS_AAAA_SIZE 16
#define DNS_POINTER 0xc0
#define DNS_POINTER_MASK 0x3fff
#define DNS_LABEL_MAX 63
#define DNS_NAME_MAX 255 /* wire form: length octets and the final zero included */
/* Loop bounds of a name: a name of 255 octets has at most 127 labels; a real message needs a
 * handful of pointers per name. */
#define DNS_MAX_LABELS 128
#define DNS_MAX_POINTERS 16
#define DNS_PORT 53
#define MDNS_PORT 5353
#define LLMNR_PORT 5355
/* NetBIOS name service: DNS's format with names of its own, and its NBSTAT query type is
 * SRV's number. */
#define NBNS_PORT 137
#define DNS_RR_FIXED 10 /* type, class, TTL, RDLENGTH */

/*
 * Decodes the name at off in the message buf[0, len) into t, following compression pointers.
 * Each pointer must point before the previous one's target (or before the name's start), so
 * that every jump goes strictly backwards and no loop is possible; the jumps and labels are
 * bounded besides, and so is the name's length. *next is set to the first byte after the name
 * where it sits (after its first pointer if it has one). Returns false when the name is not
 * whole or is malformed.
 */
static bool dns_name(const uint8_t *buf, size_t len, size_t off, size_t *next, struct text *t)
{
	size_t pos = off, limit = off, wire = 0, ptr;
	int labels = 0, jumps = 0, steps;
	bool jumped = false;
	uint8_t n;

	for (steps = 0; steps < DNS_MAX_LABELS + DNS_MAX_POINTERS + 1; steps++) {
		if (pos >= len)
			return false;
		n = buf[pos];
		if (n == 0) {
			if (!jumped)
				*next = pos + 1;
			if (labels == 0)
				text_str(t, ".");
			return true;
		}
		if ((n & DNS_POINTER) == DNS_POINTER) {
			if (pos + 1 >= len)
				return false;
			ptr = ((size_t)n << 8 | buf[pos + 1]) & DNS_POINTER_MASK;
			if (ptr >= limit || ++jumps > DNS_MAX_POINTERS)
				return false;
			if (!jumped)
				*next = pos + 2;
			jumped = true;
			limit = ptr;
			pos = ptr;
			continue;
		}
		if (n & DNS_POINTER)
			return false; /* the obsolete extended label types */
		wire += 1 + (size_t)n;
		if (wire + 1 > DNS_NAME_MAX || ++labels > DNS_MAX_LABELS || len - pos - 1 < n)
			return false;
		if (labels > 1)
			text_str(t, ".");
		text_bytes(t, buf + pos + 1, n, ESCAPE_LABEL);
		pos += 1 + (size_t)n;
	}
	return false;
}

/* The first answer record of a response at c: an A, AAAA or CNAME record's data to answer.
 * Left empty for anything else or anything not whole. */
static void dns_answer(const uint8_t *buf, size_t len, struct cursor *c, struct inspect_dns *dns)
{
	char owner[INSPECT_NAME_SIZE], addr[INET6_ADDRSTRLEN];
	struct text t;
	size_t next = 0, rdata_end;
	uint16_t type, class, rdlen;
	uint32_t ttl;

	text_init(&t, owner, sizeof(owner));
	if (!dns_name(buf, len, c->off, &next, &t))
		return;
	c->off = next;
	if (!cur_u16(c, &type) || !cur_u16(c, &class) || !cur_u32(c, &ttl) || !cur_u16(c, &rdlen) ||
	    cur_left(c) < rdlen)
		return;
	if ((type == DNS_TYPE_A && rdlen == DNS_A_SIZE) ||
	    (type == DNS_TYPE_AAAA && rdlen == DNS_AAAA_SIZE)) {
		if (inet_ntop(type == DNS_TYPE_A ? AF_INET : AF_INET6, cur_ptr(c), addr,
			      sizeof(addr)))
			snprintf(dns->answer, sizeof(dns->answer), "%s", addr);
	} else if (type == DNS_TYPE_CNAME) {
		rdata_end = c->off + rdlen;
		text_init(&t, dns->answer, sizeof(dns->answer));
		if (!dns_name(buf, rdata_end, c->off, &next, &t) || next != rdata_end)
			dns->answer[0] = '\0';
	}
}

/* Moves c past n more questions (name, type, class). Returns false when one is not whole. */
static bool dns_skip_questions(const uint8_t *buf, size_t len, struct cursor *c, uint16_t n)
{
	char scratch[INSPECT_NAME_SIZE];
	struct text t;
	size_t next = 0;
	uint16_t i;

	for (i = 0; i < n; i++) {
		text_init(&t, scratch, sizeof(scratch));
		if (!dns_name(buf, len, c->off, &next, &t))
			return false;
		c->off = next;
		if (!cur_skip(c, 4))
			return false;
	}
	return true;
}

int inspect_dns(const uint8_t *buf, size_t len, struct inspect_result *r)
{
	struct inspect_dns *dns = &r->dns;
	struct cursor c;
	uint16_t id, flags, qdcount, ancount, nscount, arcount, qtype, qclass;
	uint8_t opcode;
	size_t next = 0;
	struct text t;

	result_clear(r);
	cur_init(&c, buf, len);
	if (!cur_u16(&c, &id) || !cur_u16(&c, &flags) || !cur_u16(&c, &qdcount) ||
	    !cur_u16(&c, &ancount) || !cur_u16(&c, &nscount) || !cur_u16(&c, &arcount))
		return 0;
	/* More than one question is DNS too (the first is read), as for a
	 * scanner's probe; dns_ordinary() keeps such messages out off the
	 * DNS ports. */
	opcode = flags >> DNS_OPCODE_SHIFT & DNS_OPCODE_MASK;
	if (!qdcount || qdcount > DNS_QDCOUNT_MAX ||
	    (opcode != DNS_OPCODE_QUERY && opcode != DNS_OPCODE_IQUERY &&
	     opcode != DNS_OPCODE_STATUS && opcode != DNS_OPCODE_NOTIFY &&
	     opcode != DNS_OPCODE_UPDATE && opcode != DNS_OPCODE_DSO))
		return 0;
	text_init(&t, dns->qname, sizeof(dns->qname));
	if (!dns_name(buf, len, c.off, &next, &t))
		return not_this(r);
	c.off = next;
	if (!cur_u16(&c, &qtype) || !cur_u16(&c, &qclass) || qtype == 0 || qclass == 0)
		return not_this(r);

	r->proto = INSPECT_DNS;
	r->encrypted = 0;
	dns->id = id;
	dns->flags = flags;
	dns->is_response = flags & DNS_QR;
	dns->opcode = opcode;
	dns->rcode = flags & DNS_RCODE_MASK;
	dns->qtype = qtype;
	dns->qclass = qclass;
	dns->ancount = ancount;
	dns->qdcount = qdcount;
	if (dns->is_response && ancount > 0 && dns_skip_questions(buf, len, &c, qdcount - 1))
		dns_answer(buf, len, &c, dns);
	set_info(r, dns->qname);
	return 1;
}

/* Whether a port is one that DNS messages use: DNS, mDNS, LLMNR. */
static bool dns_port(uint16_t port)
{
	return port == DNS_PORT || port == MDNS_PORT || port == LLMNR_PORT;
}

/* Query types common enough to take a message off the DNS ports for DNS. */
static const uint16_t dns_common_types[] = {
	1 /* A */,     2 /* NS */,     5 /* CNAME */, 6 /* SOA */,    12 /* PTR */, 15 /* MX */,
	16 /* TXT */,  28 /* AAAA */,  33 /* SRV */,  35 /* NAPTR */, 43 /* DS */,  48 /* DNSKEY */,
	64 /* SVCB */, 65 /* HTTPS */, 255 /* ANY */, 257 /* CAA */,
};

/* Whether a recognised DNS message is an ordinary query or answer (see inspect_dns_off_port()). */
static bool dns_ordinary(const struct inspect_dns *dns)
{
	size_t i;

	if (dns->opcode != DNS_OPCODE_QUERY || (dns->flags & DNS_Z) || dns->qclass != DNS_CLASS_IN ||
	    dns->qdcount != 1)
		return false;
	for (i = 0; i < sizeof(dns_common_types) / sizeof(dns_common_types[0]); i++)
		if (dns->qtype == dns_common_types[i])
			return true;
	return false;
}

bool inspect_dns_port(uint16_t src_port, uint16_t dst_port)
{
	return dns_port(src_port) || dns_port(dst_port);
}

bool inspect_dns_off_port(const struct inspect_result *r, uint16_t src_port, uint16_t dst_port)
{
	return src_port != NBNS_PORT && dst_port != NBNS_PORT && dns_ordinary(&r->dns);
}
