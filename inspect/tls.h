/* SPDX-License-Identifier: BSD-2-Clause */
/* TLS: the ClientHello or ServerHello that opens a connection (RFC 8446, RFC 5246). */
#ifndef INSPECT_TLS_H
#define INSPECT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fields.h"

#define INSPECT_ALPN_SIZE 64

/* TLS handshake messages that are read. */
#define INSPECT_TLS_CLIENT_HELLO 1
#define INSPECT_TLS_SERVER_HELLO 2

/* TLS and SSL versions as they are written on the wire. */
#define INSPECT_SSL3_0 0x0300
#define INSPECT_TLS1_0 0x0301
#define INSPECT_TLS1_1 0x0302
#define INSPECT_TLS1_2 0x0303
#define INSPECT_TLS1_3 0x0304

struct inspect_tls {
	uint8_t handshake; /* INSPECT_TLS_CLIENT_HELLO or INSPECT_TLS_SERVER_HELLO */
	/* The real version. ServerHello: the one selected in supported_versions,
	 * else legacy_version once all its extensions were seen. ClientHello:
	 * the highest one offered in supported_versions (GREASE ignored), else
	 * legacy_version once all its extensions were seen. 0: not known (the
	 * buffer ended first, as for most browsers' ClientHello at 256 bytes). */
	uint16_t version;
	uint16_t legacy_version; /* the hello's own version field; 0 when cut */
	uint16_t cipher; /* ServerHello: the selected suite; 0 when not known */
	bool hello_retry; /* the ServerHello is a TLS 1.3 HelloRetryRequest */
	bool complete; /* the whole hello, extensions included, was in the buffer */
	char sni[INSPECT_NAME_SIZE]; /* ClientHello's server_name (host_name) */
	/* ALPN: the client's list or the server's choice, comma-separated
	 * ("h2,http/1.1"). */
	char alpn[INSPECT_ALPN_SIZE];
};

struct inspect_result;

/*
 * A TLS handshake record (type 22, version 3.0..3.4) whose first message is
 * a ClientHello or a ServerHello, after at most one ChangeCipherSpec record
 * (a TLS 1.3 client's second ClientHello); only that record is read. As
 * every inspector (inspect.h): 1 with r filled, 0 with r cleared.
 *
 * info: a ClientHello's SNI, "" when none was sent (or it was cut off); a
 * ServerHello's "<version> <cipher>": "TLS1.3 TLS_AES_128_GCM_SHA256", the
 * version as SSL3.0, TLS1.0 .. TLS1.3 or 0xHHHH, the cipher suite by its
 * IANA name or as 0xHHHH; a HelloRetryRequest adds " HRR"; "" when the
 * version is not known (cut).
 */
int inspect_tls(const uint8_t *buf, size_t len, struct inspect_result *r);

#endif /* INSPECT_TLS_H */
