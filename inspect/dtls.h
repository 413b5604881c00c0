/* SPDX-License-Identifier: BSD-2-Clause */
/* DTLS: the ClientHello or ServerHello that opens a DTLS 1.0, 1.2 or 1.3 association over UDP
 * (RFC 6347, RFC 9147). */
#ifndef INSPECT_DTLS_H
#define INSPECT_DTLS_H

#include <stddef.h>
#include <stdint.h>

struct inspect_result;

/* The parsers' fragment callback, as inspect.h defines it. */
typedef void (*inspect_frag_fn)(void *arg, uint64_t offset, const uint8_t *data, size_t n);

/*
 * The handshake fragments of epoch 0 in a datagram: its records are read
 * from the start while they are DTLSPlaintext records (a content type of
 * 20..24 or 26, version 0xfeff DTLS 1.0 or 0xfefd DTLS 1.2, which DTLS 1.3
 * also writes in epoch 0); those of another epoch or content are skipped,
 * anything else (a DTLS 1.3 unified header, a connection id) ends the walk.
 * The first handshake fragment names the message: *msg_type and *msg_len
 * (its type and body length, both 0 when there is none). Each fragment of
 * that message (same type, length and message_seq) with at least one byte in
 * dgram goes to fn, with its offset within the message body and the bytes
 * there are (a cut datagram gives the start of its last fragment). A
 * fragment reaching past its message's length ends the walk. Returns the
 * fragments handed to fn.
 */
int inspect_dtls_fragments(const uint8_t *dgram, size_t len, uint8_t *msg_type, uint32_t *msg_len,
			   inspect_frag_fn fn, void *arg);

/*
 * A datagram whose first record is a DTLS handshake record of epoch 0
 * carrying the start (offset 0) of a ClientHello or ServerHello; the
 * fragments of that message in the datagram are put together while they
 * follow on from each other, and read as inspect_tls_hello() reads a hello
 * with carrier 'd' (r->tls, info as for TLS: a ClientHello's SNI, a
 * ServerHello's "DTLS1.2 <cipher>"; a hello whose later fragments come in
 * other datagrams is read as a cut one). Ports do not matter: the record
 * header (22, 0xfe 0xff or 0xfd, epoch 0) is distinctive (inspect.c). As
 * every inspector (inspect.h): 1 with r filled, 0 with r cleared.
 *
 * Not covered: a HelloVerifyRequest, and RDP-UDP (MS-RDPEUDP), whose TLS or
 * DTLS handshake comes only after its own SYN and SYN+ACK datagrams, wrapped
 * in its own headers with sequence numbers and acknowledgement vectors:
 * finding it needs that exchange's state, which a pure inspector of one
 * datagram does not have.
 */
int inspect_dtls(const uint8_t *buf, size_t len, struct inspect_result *r);

#endif /* INSPECT_DTLS_H */
