// SPDX-License-Identifier: BSD-2-Clause
/* The inspectors' table, and the dispatcher that tries a packet's payload against it. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "inspect.h"
#include "wire.h"

#define IPPROTO_TCP_NUM 6
#define IPPROTO_UDP_NUM 17

/*
 * A new protocol is its own file and header, its value in enum inspect_proto
 * and member in struct inspect_result, and a row here. The rows of one
 * transport are tried in this order. Over TCP the first bytes of the rows
 * without ports tell them apart (0x16; "PRI * HTTP/2"; an upper-case
 * method and a space, or "HTTP/"; "SSH-"), so a cut payload is never taken
 * for one and the whole one for another: the order only saves work. (A cut
 * HTTP/2 preface shorter than "PRI * HTTP/2" is neither's: HTTP takes an
 * unknown method such as PRI only with its whole line ending in
 * " HTTP/1.x".) The mail rows' content is weaker ("220 ", "USER x"): their
 * own ports come first, and off them they count only as off_port says, SMTP
 * before FTP, whose greetings both start "220". Over UDP QUIC and DTLS come
 * before DNS, whose content says least; on the DNS ports DNS comes first and
 * only the QUIC packets whose content says most count (inspect_quic_off_port()).
 * QUIC and DTLS cannot take each other's packets: a DTLS hello's datagram
 * starts with 22 (0x16), which QUIC only sends as a short header, which
 * inspect_quic() does not take; and the DTLS version that follows (0xfe, then
 * 0xff or 0xfd) would be DNS opcode 15, which inspect_dns() refuses.
 */
const struct inspect_entry inspect_table[] = {
	{ INSPECT_TLS, "tls", IPPROTO_TCP_NUM, inspect_tls, NULL, NULL },
	{ INSPECT_HTTP2, "http2", IPPROTO_TCP_NUM, inspect_http2, NULL, NULL },
	{ INSPECT_HTTP, "http", IPPROTO_TCP_NUM, inspect_http, NULL, NULL },
	{ INSPECT_SSH, "ssh", IPPROTO_TCP_NUM, inspect_ssh, NULL, NULL },
	{ INSPECT_SMTP, "smtp", IPPROTO_TCP_NUM, inspect_smtp, inspect_smtp_port,
	  inspect_smtp_off_port },
	{ INSPECT_IMAP, "imap", IPPROTO_TCP_NUM, inspect_imap, inspect_imap_port,
	  inspect_imap_off_port },
	{ INSPECT_POP3, "pop3", IPPROTO_TCP_NUM, inspect_pop3, inspect_pop3_port,
	  inspect_pop3_off_port },
	{ INSPECT_FTP, "ftp", IPPROTO_TCP_NUM, inspect_ftp, inspect_ftp_port,
	  inspect_ftp_off_port },
	{ INSPECT_QUIC, "quic", IPPROTO_UDP_NUM, inspect_quic, inspect_quic_port,
	  inspect_quic_off_port },
	{ INSPECT_DTLS, "dtls", IPPROTO_UDP_NUM, inspect_dtls, NULL, NULL },
	{ INSPECT_DNS, "dns", IPPROTO_UDP_NUM, inspect_dns, inspect_dns_port,
	  inspect_dns_off_port },
};

const size_t inspect_table_len = sizeof(inspect_table) / sizeof(inspect_table[0]);

enum inspect_proto inspect_payload(const uint8_t *buf, size_t len, uint8_t l4proto,
				   uint16_t src_port, uint16_t dst_port, struct inspect_result *r)
{
	const struct inspect_entry *e;
	bool own;
	size_t i;
	int pass;

	result_clear(r);
	/* Pass 0: the rows whose own ports these are; pass 1: every other row. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < inspect_table_len; i++) {
			e = &inspect_table[i];
			if (e->l4proto != l4proto)
				continue;
			own = e->own_port && e->own_port(src_port, dst_port);
			if (own != (pass == 0))
				continue;
			if (e->inspect(buf, len, r) &&
			    (own || !e->off_port || e->off_port(r, src_port, dst_port)))
				return r->proto;
		}
	}
	result_clear(r);
	return INSPECT_NONE;
}

const char *inspect_proto_name(enum inspect_proto proto)
{
	size_t i;

	for (i = 0; i < inspect_table_len; i++)
		if (inspect_table[i].proto == proto)
			return inspect_table[i].name;
	return NULL;
}
