/* SPDX-License-Identifier: BSD-2-Clause */
/* Payload inspectors: name the application protocol of a flow from its first payload bytes. */
#ifndef INSPECT_H
#define INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dns.h"
#include "dtls.h"
#include "fields.h"
#include "http.h"
#include "http2.h"
#include "mail.h"
#include "proxy.h"
#include "quic.h"
#include "ssh.h"
#include "tls.h"

/*
 * One file per protocol (tls.c, http.c, ...) with its header: its detail
 * struct, its inspector and what it writes to info. This header ties them
 * together: the protocols' numbers, the result, and the table that
 * inspect_payload() tries them from.
 *
 * Every inspector is a pure function over a byte buffer that may have been
 * cut anywhere (a copy ends where the flow's budget does, a stream where a
 * segment went missing): it reads nothing past len, allocates nothing, keeps
 * no state, and fills a caller's struct inspect_result.
 *
 * A field is only ever filled from bytes that were all there, so a cut
 * buffer gives each field either the value the whole message gives, or its
 * empty value ("", 0 or false); info is made from the fields of the same
 * result. (A text cut to fit its array counts as whole once the array is
 * full: more bytes would not change it.) Text fields follow fields.h.
 */

/* Where a message arrives in pieces that carry their offset (QUIC CRYPTO
 * frames, DTLS handshake fragments), a parser hands each piece to one of
 * these, and the caller reassembles: offset is within the message (or
 * the crypto stream), data holds n bytes. */
typedef void (*inspect_frag_fn)(void *arg, uint64_t offset, const uint8_t *data, size_t n);

/* The protocols by number, as a flow record keeps them (app_proto). */
enum inspect_proto {
	INSPECT_NONE = 0,
	INSPECT_TLS,
	INSPECT_HTTP,
	INSPECT_DNS,
	INSPECT_SSH,
	INSPECT_QUIC,
	INSPECT_HTTP2,
	INSPECT_SMTP,
	INSPECT_IMAP,
	INSPECT_POP3,
	INSPECT_FTP,
	INSPECT_DTLS,
};

/*
 * What an inspector found. proto tells which of the detail structs is
 * filled (DTLS fills tls: its hellos are TLS's); the others are zero. info is the flows table's app_info, as each
 * protocol's header says; "" when nothing was recognised.
 */
struct inspect_result {
	enum inspect_proto proto;
	/* 1: TLS, SSH, QUIC, DTLS; 0: recognised cleartext (HTTP, HTTP/2 with
	 * prior knowledge, DNS, SMTP, IMAP, POP3, FTP); -1: unknown. */
	int encrypted;
	/* An HTTP request carrying an Authorization header (credentials in
	 * cleartext); the header's value is never copied. */
	bool authorization;
	char info[INSPECT_INFO_SIZE];
	struct inspect_tls tls;
	struct inspect_http http;
	struct inspect_dns dns;
	struct inspect_ssh ssh;
	struct inspect_quic quic;
	struct inspect_http2 http2;
	struct inspect_mail mail; /* SMTP, IMAP, POP3, FTP */
};

/*
 * One protocol's row in inspect_table. inspect looks for the protocol at
 * the start of buf (len bytes, buf may be NULL when len is 0), clearing *r
 * first. It returns 1 when buf holds the protocol's message (r filled:
 * proto, encrypted, info and the detail struct), 0 when it does not (r left
 * cleared: INSPECT_NONE, encrypted -1).
 */
struct inspect_entry {
	enum inspect_proto proto;
	const char *name; /* the flows table's app_proto: "tls" */
	uint8_t l4proto; /* the IP protocol it is tried over: 6 TCP, 17 UDP */
	int (*inspect)(const uint8_t *buf, size_t len, struct inspect_result *r);
	/* For a protocol whose content alone cannot tell it from other
	 * payloads, both set, else both NULL. own_port: whether a packet's
	 * ports are the protocol's own, where it is tried before every other
	 * row. off_port: elsewhere, whether a match still counts. */
	bool (*own_port)(uint16_t src_port, uint16_t dst_port);
	bool (*off_port)(const struct inspect_result *r, uint16_t src_port, uint16_t dst_port);
};

/* Every protocol, in the order inspect_payload() tries them. */
extern const struct inspect_entry inspect_table[];
extern const size_t inspect_table_len;

/*
 * Inspects the payload of one packet of a flow: l4proto is the IP protocol
 * (6 TCP, 17 UDP; anything else is INSPECT_NONE), ports are in host byte
 * order. Content decides, ports only break ties: the rows of inspect_table
 * for l4proto are tried in order, first those whose own_port says the ports
 * are theirs, then the others, a match of one with off_port only where
 * off_port agrees. So over TCP TLS, HTTP/2's preface, HTTP and SSH (HTTP
 * to port 443 is HTTP), and SMTP, IMAP, POP3 and FTP first on their ports
 * and elsewhere only as their off_port says; over UDP QUIC, DTLS and DNS, DNS
 * first on a DNS port and elsewhere only as inspect_dns_off_port() says,
 * QUIC on a DNS port only as inspect_quic_off_port() says.
 * A PROXY protocol header is no protocol of the table: the caller strips it
 * first (inspect_proxy(), proxy.h). Returns r->proto (INSPECT_NONE when
 * nothing matched, r then cleared as by the inspectors).
 */
enum inspect_proto inspect_payload(const uint8_t *buf, size_t len, uint8_t l4proto,
				   uint16_t src_port, uint16_t dst_port, struct inspect_result *r);

/* "tls", "http", "dns", "ssh", "quic", "http2", "smtp", "imap", "pop3", "ftp", "dtls";
 * NULL for INSPECT_NONE or a value outside the enum. */
const char *inspect_proto_name(enum inspect_proto proto);

#endif /* INSPECT_H */
