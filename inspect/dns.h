/* SPDX-License-Identifier: BSD-2-Clause */
/* DNS: a message's header and first question, and a response's first answer (RFC 1035). */
#ifndef INSPECT_DNS_H
#define INSPECT_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fields.h"

struct inspect_dns {
	bool is_response;
	uint16_t id;
	uint16_t flags; /* the header's second word, as sent */
	uint8_t opcode; /* 0 QUERY, 4 NOTIFY, 5 UPDATE... */
	uint8_t rcode; /* 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN... (header bits only) */
	uint16_t qtype; /* 1 A, 28 AAAA, 65 HTTPS... */
	uint16_t qclass; /* 1 IN (mDNS may set the top bit) */
	uint16_t qdcount; /* questions; the first is the one read */
	uint16_t ancount;
	/* The question's name without its final dot; "." for the root. */
	char qname[INSPECT_NAME_SIZE];
	/* A response's first answer when it is an A, AAAA or CNAME record: the
	 * address (inet_ntop form) or the canonical name. Empty otherwise. */
	char answer[INSPECT_NAME_SIZE];
};

struct inspect_result;

/*
 * A DNS message (an assigned opcode, 1 to 64 questions: mDNS queries ask
 * many at once) whose first question's name, type and class are whole; a
 * response's first answer is read after all its questions. Content alone cannot tell it
 * from many other UDP payloads: the two functions below say when it counts.
 * As every inspector (inspect.h): 1 with r filled, 0 with r cleared.
 *
 * info: the first question's name, "www.example.test", however many follow.
 */
int inspect_dns(const uint8_t *buf, size_t len, struct inspect_result *r);

/* Whether either port is one DNS messages use (DNS 53, mDNS 5353, LLMNR
 * 5355): there DNS is tried before any other protocol over UDP. */
bool inspect_dns_port(uint16_t src_port, uint16_t dst_port);

/*
 * Off those ports, whether a recognised message r still counts as DNS: it
 * must look like an ordinary query or answer (opcode QUERY, no Z bit, one
 * question, class IN, one of the common types) and must not use NetBIOS
 * name service's port 137 (DNS's format, names of its own). That keeps
 * those and random datagrams out.
 */
bool inspect_dns_off_port(const struct inspect_result *r, uint16_t src_port, uint16_t dst_port);

#endif /* INSPECT_DNS_H */
