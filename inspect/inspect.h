/* SPDX-License-Identifier: BSD-2-Clause */
/* Payload inspectors: name the application protocol of a flow from its first payload bytes. */
#ifndef INSPECT_H
#define INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Every inspector is a pure function over a byte buffer that may have been
 * cut anywhere (the kernel hands over the first few hundred bytes of a
 * packet's payload): it reads nothing past len, allocates nothing, keeps no
 * state, and fills a caller's struct inspect_result.
 *
 * A field is only ever filled from bytes that were all there, so a cut
 * buffer gives each field either the value the whole message gives, or its
 * empty value ("", 0 or false); info is made from the fields of the same
 * result. (A text cut to fit its array counts as whole once the array is
 * full: more bytes would not change it.)
 *
 * Text fields, info included, are NUL-terminated printable ASCII: a byte
 * outside 0x20..0x7e, and the backslash itself, is written as \xHH (two
 * lower-case hex digits); in a DNS name a dot inside a label is written
 * \x2e, so that dots only ever separate labels; in a host name (a TLS
 * server name, an HTTP Host or authority) a space is written \x20, so
 * that a name is one word and info's parts stay apart. A text too long
 * for its array is cut at a whole character or escape.
 */

/* Array sizes, NUL included. */
#define INSPECT_INFO_SIZE 256 /* the flows table's app_info */
#define INSPECT_NAME_SIZE 256 /* host names: 253 characters at most, unescaped */
#define INSPECT_ALPN_SIZE 64
#define INSPECT_METHOD_SIZE 16
#define INSPECT_PATH_SIZE 128
#define INSPECT_SCHEME_SIZE 16
#define INSPECT_VERSION_SIZE 8
#define INSPECT_BANNER_SIZE 256

/* In the order of the flows table's app_proto values (enum flow_app). */
enum inspect_proto {
	INSPECT_NONE = 0,
	INSPECT_TLS,
	INSPECT_HTTP,
	INSPECT_DNS,
	INSPECT_SSH,
	INSPECT_QUIC,
};

/* TLS handshake messages that are read. */
#define INSPECT_TLS_CLIENT_HELLO 1
#define INSPECT_TLS_SERVER_HELLO 2

/* TLS and SSL versions as they are written on the wire. */
#define INSPECT_SSL3_0 0x0300
#define INSPECT_TLS1_0 0x0301
#define INSPECT_TLS1_1 0x0302
#define INSPECT_TLS1_2 0x0303
#define INSPECT_TLS1_3 0x0304

/* QUIC versions with a known Initial packet type. */
#define INSPECT_QUIC_V1 0x00000001 /* RFC 9000 */
#define INSPECT_QUIC_V2 0x6b3343cf /* RFC 9369 */

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

struct inspect_http {
	bool response;
	uint16_t version; /* 10: HTTP/1.0, 11: HTTP/1.1; 0 when not known */
	/* Request. */
	char method[INSPECT_METHOD_SIZE];
	/* The request target's path, without its query or fragment (which may
	 * carry tokens: they are not stored), cut to fit; empty while a cut
	 * buffer leaves its end unknown and it does not fill the array. From
	 * an absolute-form target (a proxy request) the path only; "*" for
	 * OPTIONS *; empty for CONNECT, whose authority-form target goes to
	 * host. */
	char path[INSPECT_PATH_SIZE];
	/* The Host header's value (port included when sent), or the authority
	 * of an absolute-form or CONNECT target, any user:password@ dropped. */
	char host[INSPECT_NAME_SIZE];
	/* The Authorization header's scheme ("Basic", "Bearer"...), never its
	 * credentials; struct inspect_result's authorization says it was there. */
	char auth_scheme[INSPECT_SCHEME_SIZE];
	/* Response. */
	uint16_t status; /* 100..999; 0 when not known */
};

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

struct inspect_ssh {
	char proto_version[INSPECT_VERSION_SIZE]; /* "2.0", "1.99"... */
	/* The identification line without CR LF: "SSH-2.0-OpenSSH_9.2p1 ...". */
	char banner[INSPECT_BANNER_SIZE];
};

struct inspect_quic {
	uint32_t version; /* INSPECT_QUIC_V1, INSPECT_QUIC_V2, 0xff0000NN (drafts) */
	uint8_t dcid_len, scid_len;
	uint64_t token_len;
	uint64_t length; /* the Length field: packet number and protected payload */
};

/*
 * What an inspector found. proto tells which of the detail structs is
 * filled; the others are zero.
 *
 * info is the flows table's app_info:
 *   TLS ClientHello   the SNI; "" when none was sent (or it was cut off)
 *   TLS ServerHello   "<version> <cipher>": "TLS1.3 TLS_AES_128_GCM_SHA256";
 *                     the version as SSL3.0, TLS1.0 .. TLS1.3 or 0xHHHH, the
 *                     cipher suite by its IANA name or as 0xHHHH; a
 *                     HelloRetryRequest adds " HRR"; "" when the version
 *                     is not known (cut)
 *   HTTP request      the method, a space, then host and path:
 *                     "GET example.test/api/v1/items", "CONNECT
 *                     example.test:443"; the path alone without a Host;
 *                     the method alone when neither is known (cut).
 *                     Never empty or three digits, unlike a response
 *   HTTP response     the status code: "200"; "" when cut before it
 *   DNS               the question's name: "www.example.test"
 *   SSH               the identification line without CR LF; "" when cut
 *   QUIC              "version 0x00000001" (8 hex digits)
 *   not recognised    ""
 */
struct inspect_result {
	enum inspect_proto proto;
	/* 1: TLS, SSH, QUIC; 0: recognised cleartext (HTTP, DNS); -1: unknown. */
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
};

/*
 * Each of these looks for one protocol at the start of buf (len bytes, buf
 * may be NULL when len is 0). Each clears *r first. Returns 1 when buf holds
 * the protocol's message (r filled: proto, encrypted, info and the detail
 * struct), 0 when it does not (r left cleared: INSPECT_NONE, encrypted -1).
 *
 * inspect_tls: a TLS handshake record (type 22, version 3.0..3.4) whose
 *   first message is a ClientHello or a ServerHello, after at most one
 *   ChangeCipherSpec record (a TLS 1.3 client's second ClientHello); only
 *   that record is read.
 * inspect_http: an HTTP/1.x request line (a known method, or any upper-case
 *   token when " HTTP/1.x" follows the target) or status line, then the
 *   header lines that are whole (at most INSPECT_HTTP_MAX_HEADERS).
 * inspect_dns: a DNS message (an assigned opcode, 1 to 4 questions) whose
 *   first question's name, type and class are whole. Content alone cannot tell it from many other UDP payloads:
 *   see inspect_payload() for when it is tried.
 * inspect_ssh: "SSH-<protoversion>-" at the start of the buffer (the lines
 *   of text RFC 4253 lets a server send before it are not skipped).
 * inspect_quic: a long-header Initial packet of a known version (nothing is
 *   decrypted), with its lengths consistent.
 */
int inspect_tls(const uint8_t *buf, size_t len, struct inspect_result *r);
int inspect_http(const uint8_t *buf, size_t len, struct inspect_result *r);
int inspect_dns(const uint8_t *buf, size_t len, struct inspect_result *r);
int inspect_ssh(const uint8_t *buf, size_t len, struct inspect_result *r);
int inspect_quic(const uint8_t *buf, size_t len, struct inspect_result *r);

/* The bound on the work per buffer: header lines read. */
#define INSPECT_HTTP_MAX_HEADERS 64

/*
 * Inspects the payload of one packet of a flow: l4proto is the IP protocol
 * (6 TCP, 17 UDP; anything else is INSPECT_NONE), ports are in host byte
 * order. Content decides, ports only break ties: over TCP TLS, HTTP and SSH
 * (so HTTP to port 443 is HTTP); over UDP QUIC and DNS, DNS first when a
 * port is a DNS port (53, mDNS 5353, LLMNR 5355). Off those ports a DNS
 * message must also look like an ordinary query or answer (opcode QUERY, no
 * Z bit, one question, class IN, one of the common types) and must not use NetBIOS name
 * service's port 137 (DNS's format, names of its own): that keeps those and
 * random datagrams out. Returns r->proto (INSPECT_NONE when nothing
 * matched, r then cleared as by the inspectors).
 */
enum inspect_proto inspect_payload(const uint8_t *buf, size_t len, uint8_t l4proto,
				   uint16_t src_port, uint16_t dst_port, struct inspect_result *r);

/* "tls", "http", "dns", "ssh", "quic"; NULL for INSPECT_NONE or a value outside the enum. */
const char *inspect_proto_name(enum inspect_proto proto);

#endif /* INSPECT_H */
