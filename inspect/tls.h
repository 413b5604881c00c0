/* SPDX-License-Identifier: BSD-2-Clause */
/* TLS: the ClientHello or ServerHello that opens a connection (RFC 8446, RFC 5246). */
#ifndef INSPECT_TLS_H
#define INSPECT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fields.h"

#define INSPECT_ALPN_SIZE 64
/* The offered versions, as text: "TLS1.3,TLS1.2". */
#define INSPECT_VERSIONS_SIZE 64
/* A JA4 fingerprint, "t13d1516h2_8daaf6152771_e5627efa2ab1": 36 characters. */
#define INSPECT_JA4_SIZE 40
/* The longest hello read: a ClientHello with a post-quantum key share is 2 KiB, any real one
 * far below this. A longer one is read up to it and never complete. */
#define INSPECT_HELLO_MAX 16384

/* TLS handshake messages that are read. */
#define INSPECT_TLS_CLIENT_HELLO 1
#define INSPECT_TLS_SERVER_HELLO 2

/* TLS and SSL versions as they are written on the wire. */
#define INSPECT_SSL3_0 0x0300
#define INSPECT_TLS1_0 0x0301
#define INSPECT_TLS1_1 0x0302
#define INSPECT_TLS1_2 0x0303
#define INSPECT_TLS1_3 0x0304
#define INSPECT_DTLS1_0 0xfeff
#define INSPECT_DTLS1_2 0xfefd
#define INSPECT_DTLS1_3 0xfefc

/* What carried a hello: JA4's first character. */
enum inspect_tls_carrier {
	INSPECT_TLS_TCP = 't',
	INSPECT_TLS_QUIC = 'q',
	INSPECT_TLS_DTLS = 'd',
};

struct inspect_tls {
	uint8_t handshake; /* INSPECT_TLS_CLIENT_HELLO or INSPECT_TLS_SERVER_HELLO */
	/* The real version. ServerHello: the one selected in supported_versions,
	 * else legacy_version once all its extensions were seen. ClientHello:
	 * the newest one offered in supported_versions (GREASE ignored; for DTLS
	 * the lowest number, 0xfefc DTLS 1.3 being newer than 0xfefd), else
	 * legacy_version once all its extensions were seen. 0: not known (the
	 * buffer ended first). */
	uint16_t version;
	uint16_t legacy_version; /* the hello's own version field; 0 when cut */
	uint16_t cipher; /* ServerHello: the selected suite; 0 when not known */
	bool hello_retry; /* the ServerHello is a TLS 1.3 HelloRetryRequest */
	bool complete; /* the whole hello, extensions included, was in the buffer */
	char sni[INSPECT_NAME_SIZE]; /* ClientHello's server_name (host_name) */
	/* ALPN: the client's list or the server's choice, comma-separated
	 * ("h2,http/1.1"). */
	char alpn[INSPECT_ALPN_SIZE];
	/* ClientHello: the versions offered in supported_versions, in their
	 * order, GREASE left out, named as in info ("TLS1.3,TLS1.2"); only
	 * whole names are written. "" when it was not sent or not all there. */
	char versions[INSPECT_VERSIONS_SIZE];
	/*
	 * ClientHello: its FoxIO JA4 fingerprint, as JA4.md of
	 * github.com/FoxIO-LLC/ja4 (technical_details) writes it: the carrier
	 * (t, q, d), the version (the highest supported_versions value, else
	 * legacy_version: 13, 12, 11, 10, s3, s2, d1, d2, d3, else 00), d or i
	 * (SNI sent or not), the counts of cipher suites and of extensions (at
	 * most 99), the first and last character of the first ALPN value (00
	 * without one; its hex digits' when one of them is not an ASCII letter
	 * or digit), "_", the first 12 hex digits of the SHA-256 of the sorted
	 * suites, "_", the same of the sorted extensions without SNI and ALPN,
	 * then "_" and the signature algorithms in their order when there are
	 * any. GREASE values are left out everywhere, the signature algorithms
	 * included; of repeated extensions each is counted and the first one's
	 * value taken. "" unless the whole hello was there (and it has at most
	 * 512 suites, 64 extensions and 128 signature algorithms).
	 */
	char ja4[INSPECT_JA4_SIZE];
};

struct inspect_result;

/*
 * One handshake message in TLS framing (type, 24-bit length, body), msg
 * holding len bytes of it (cut anywhere): a ClientHello or a ServerHello,
 * read up to INSPECT_HELLO_MAX bytes of body. carrier: what brought it; for
 * DTLS the caller has rebuilt the TLS framing around the reassembled DTLS
 * body, whose ClientHello has the cookie after the session id and whose
 * versions are DTLS's (0xfeff, 0xfefd). Extensions are read in whatever
 * order they come. As every inspector (inspect.h): 1 with r filled, 0 with
 * r cleared (also for a carrier outside the enum); proto is INSPECT_DTLS for
 * DTLS, else INSPECT_TLS (the QUIC inspector's caller takes the fields);
 * info as for inspect_tls().
 */
int inspect_tls_hello(const uint8_t *msg, size_t len, enum inspect_tls_carrier carrier,
		      struct inspect_result *r);

/*
 * TLS handshake records (type 22, version 3.0..3.4) whose message is a
 * ClientHello or a ServerHello, after at most one ChangeCipherSpec record
 * (a TLS 1.3 client's second ClientHello): the handshake fragments of the
 * records at buf's start are put together, up to the hello's own length
 * (INSPECT_HELLO_MAX at most), so a hello spanning several records (a
 * post-quantum key share) is read whole when buf holds the stream's start;
 * a record of another type, or the end of buf, ends it. Then as
 * inspect_tls_hello() with carrier 't'. As every inspector (inspect.h): 1
 * with r filled, 0 with r cleared.
 *
 * info: a ClientHello's SNI, "" when none was sent (or it was cut off); a
 * ServerHello's "<version> <cipher>": "TLS1.3 TLS_AES_128_GCM_SHA256", the
 * version as SSL3.0, TLS1.0 .. TLS1.3, DTLS1.0, DTLS1.2, DTLS1.3 or 0xHHHH,
 * the cipher suite by its IANA name or as 0xHHHH; a HelloRetryRequest adds
 * " HRR"; "" when the version is not known (cut).
 */
int inspect_tls(const uint8_t *buf, size_t len, struct inspect_result *r);

#endif /* INSPECT_TLS_H */
