// SPDX-License-Identifier: BSD-2-Clause
/* Payload inspectors: TLS, HTTP/1.x, DNS, SSH and QUIC recognised from a flow's first bytes. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "inspect.h"

#define IPPROTO_TCP_NUM 6
#define IPPROTO_UDP_NUM 17

/* TLS (RFC 8446, RFC 5246). */
#define TLS_CONTENT_CCS 20
#define TLS_CONTENT_HANDSHAKE 22
#define TLS_CCS_SIZE 1
#define TLS_CCS_VALUE 1
/* ChangeCipherSpec records skipped before the hello: a client sends at most one. */
#define TLS_MAX_CCS_RECORDS 1
#define TLS_RECORD_HEADER 5
#define TLS_MAJOR 3
#define TLS_MINOR_MAX 4
/* The largest record any TLS version allows (a TLS 1.2 ciphertext: 2^14 + 2048); a handshake
 * record claiming more is not TLS. */
#define TLS_RECORD_MAX (16384 + 2048)
#define TLS_HANDSHAKE_HEADER 4
#define TLS_RANDOM_SIZE 32
#define TLS_SESSION_ID_MAX 32
/* The smallest hello: version, random, an empty session id, then a ClientHello's cipher suite
 * list length or a ServerHello's cipher suite, and compression. */
#define TLS_HELLO_MIN (2 + TLS_RANDOM_SIZE + 1 + 2 + 1)
#define TLS_EXT_SERVER_NAME 0
#define TLS_EXT_ALPN 16
#define TLS_EXT_SUPPORTED_VERSIONS 43
#define TLS_SNI_HOST_NAME 0
/* Loop bounds: browsers send about 20 extensions; the lists inside them are short. Data past
 * these is not read: the fields it would fill stay empty. */
#define TLS_MAX_EXTENSIONS 64
#define TLS_MAX_LIST_ENTRIES 128

/* A ServerHello with this random is a HelloRetryRequest (RFC 8446 4.1.3): SHA-256 of
 * "HelloRetryRequest". */
static const uint8_t tls_hrr_random[TLS_RANDOM_SIZE] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* HTTP/1.x (RFC 9112). */
#define HTTP_VERSION_PREFIX "HTTP/1."
#define HTTP_VERSION_PREFIX_LEN 7
/* "HTTP/1.1 " */
#define HTTP_STATUS_LINE_MIN (HTTP_VERSION_PREFIX_LEN + 2)
#define HTTP_STATUS_DIGITS 3
#define HTTP_STATUS_MIN 100
#define HTTP_SP ' '
#define HTTP_HTAB '\t'
/* The header names read, in lower case; names compare without case. */
#define HTTP_AUTHORIZATION "authorization"
#define HTTP_HOST "host"
/* The method whose target is an authority (RFC 9112 3.2.3). */
#define HTTP_CONNECT "CONNECT"

/* DNS (RFC 1035). */
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
/* Questions a message may ask and still be taken for DNS. */
#define DNS_QDCOUNT_MAX 4
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

/* SSH (RFC 4253 4.2). */
#define SSH_PREFIX "SSH-"
#define SSH_PREFIX_LEN 4
/* The identification line is at most 255 characters, CR LF included. */
#define SSH_LINE_MAX 255

/* QUIC (RFC 9000 17.2, RFC 9369, RFC 9287). */
#define QUIC_LONG_HEADER 0x80
#define QUIC_TYPE_SHIFT 4
#define QUIC_TYPE_MASK 0x3
#define QUIC_V1_INITIAL 0
#define QUIC_V2_INITIAL 1
#define QUIC_DRAFT_MASK 0xffffff00
#define QUIC_DRAFT_BASE 0xff000000
/* Drafts from 22 on have the header layout of version 1 (one length octet per connection id). */
#define QUIC_DRAFT_MIN 22
#define QUIC_DRAFT_MAX 34
#define QUIC_CID_MAX 20
/* Header protection samples 16 bytes starting 4 bytes after the packet number's start
 * (RFC 9001 5.4.2), so the Length field can never be smaller. */
#define QUIC_LENGTH_MIN 20
#define QUIC_VARINT_LEN_SHIFT 6

/* A read position in a buffer: every read checks that its bytes are there (off <= len). */
struct cursor {
	const uint8_t *buf;
	size_t len, off;
};

/* Starts a cursor at the start of buf. */
static void cur_init(struct cursor *c, const uint8_t *buf, size_t len)
{
	c->buf = buf;
	c->len = buf ? len : 0;
	c->off = 0;
}

/* The bytes from the position to the end. */
static size_t cur_left(const struct cursor *c)
{
	return c->len - c->off;
}

/* The byte at the position; the caller has checked that one is left. */
static const uint8_t *cur_ptr(const struct cursor *c)
{
	return c->buf + c->off;
}

/* Reads one byte. Returns false, moving nothing, when none is left. */
static bool cur_u8(struct cursor *c, uint8_t *v)
{
	if (cur_left(c) < 1)
		return false;
	*v = c->buf[c->off++];
	return true;
}

/* Reads a big-endian 16-bit number. Returns false, moving nothing, when it is not all there. */
static bool cur_u16(struct cursor *c, uint16_t *v)
{
	if (cur_left(c) < 2)
		return false;
	*v = (uint16_t)(c->buf[c->off] << 8 | c->buf[c->off + 1]);
	c->off += 2;
	return true;
}

/* As cur_u16(), 24 bits. */
static bool cur_u24(struct cursor *c, uint32_t *v)
{
	if (cur_left(c) < 3)
		return false;
	*v = (uint32_t)c->buf[c->off] << 16 | (uint32_t)c->buf[c->off + 1] << 8 |
	     c->buf[c->off + 2];
	c->off += 3;
	return true;
}

/* As cur_u16(), 32 bits. */
static bool cur_u32(struct cursor *c, uint32_t *v)
{
	if (cur_left(c) < 4)
		return false;
	*v = (uint32_t)c->buf[c->off] << 24 | (uint32_t)c->buf[c->off + 1] << 16 |
	     (uint32_t)c->buf[c->off + 2] << 8 | c->buf[c->off + 3];
	c->off += 4;
	return true;
}

/* Moves n bytes on. Returns false, moving nothing, when fewer are left. */
static bool cur_skip(struct cursor *c, size_t n)
{
	if (cur_left(c) < n)
		return false;
	c->off += n;
	return true;
}

/*
 * Takes the next n bytes as a cursor of their own and moves past them; when fewer are left
 * (the buffer was cut), takes what there is. Returns true when all n were there.
 */
static bool cur_take(struct cursor *c, size_t n, struct cursor *sub)
{
	bool whole = cur_left(c) >= n;

	if (!whole)
		n = cur_left(c);
	cur_init(sub, c->buf + c->off, n);
	c->off += n;
	return whole;
}

/* Reads a QUIC variable-length integer (RFC 9000 16). Returns false, moving nothing, when it
 * is not all there. */
static bool cur_varint(struct cursor *c, uint64_t *v)
{
	size_t n, i;

	if (cur_left(c) < 1)
		return false;
	n = (size_t)1 << (c->buf[c->off] >> QUIC_VARINT_LEN_SHIFT);
	if (cur_left(c) < n)
		return false;
	*v = c->buf[c->off] & 0x3f;
	for (i = 1; i < n; i++)
		*v = *v << 8 | c->buf[c->off + i];
	c->off += n;
	return true;
}

/* Whether c is one of the characters of set (never NUL). */
static bool in_set(uint8_t c, const char *set)
{
	return c && strchr(set, c);
}

/* A NUL-terminated text being written into a fixed array; cut marks that something did not
 * fit, after which nothing more is added. */
struct text {
	char *s;
	size_t size, len;
	bool cut;
};

/* Starts an empty text in s (size bytes, at least 1). */
static void text_init(struct text *t, char *s, size_t size)
{
	t->s = s;
	t->size = size;
	t->len = 0;
	t->cut = false;
	s[0] = '\0';
}

/* Appends n characters as they are; the caller passes printable ASCII only. Returns false
 * (the text marked cut) when they do not all fit. */
static bool text_raw(struct text *t, const char *p, size_t n)
{
	if (t->cut || t->size - 1 - t->len < n) {
		t->cut = true;
		return false;
	}
	memcpy(t->s + t->len, p, n);
	t->len += n;
	t->s[t->len] = '\0';
	return true;
}

/* Appends a string made by this file (printable ASCII, where a backslash always starts a
 * four-character escape), cut to fit at a whole character or escape. Returns false when it was
 * cut. */
static bool text_str(struct text *t, const char *s)
{
	size_t n;

	while (*s) {
		n = *s == '\\' ? strnlen(s, 4) : 1;
		if (!text_raw(t, s, n))
			return false;
		s += n;
	}
	return true;
}

/* Characters written as \xHH on top of those outside printable ASCII and the backslash: none;
 * a dot inside a DNS label, so that dots only ever separate labels; a space in a host name
 * (a TLS server name, an HTTP Host), where a name cannot have one and where app_info uses it
 * to separate parts. */
#define ESCAPE_NONE ""
#define ESCAPE_LABEL "."
#define ESCAPE_NAME " "

/* Appends one byte from the wire: printable ASCII as it is, anything else (and the backslash,
 * and the characters of escape) as \xHH, so that the text stays printable and unambiguous.
 * Returns false (the text marked cut) when it does not fit whole. */
static bool text_byte(struct text *t, uint8_t b, const char *escape)
{
	static const char hex[] = "0123456789abcdef";
	char esc[4] = { '\\', 'x', hex[b >> 4], hex[b & 0xf] };

	if (b >= 0x20 && b <= 0x7e && b != '\\' && !in_set(b, escape)) {
		char c = (char)b;

		return text_raw(t, &c, 1);
	}
	return text_raw(t, esc, sizeof(esc));
}

/* Appends n bytes from the wire, as text_byte(). Returns false when they did not all fit. */
static bool text_bytes(struct text *t, const uint8_t *p, size_t n, const char *escape)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!text_byte(t, p[i], escape))
			return false;
	return true;
}

/* Copies n wire bytes into the array dst as text (escaped as text_byte(), cut to fit). */
static void set_text(char *dst, size_t size, const uint8_t *p, size_t n, const char *escape)
{
	struct text t;

	text_init(&t, dst, size);
	text_bytes(&t, p, n, escape);
}

/* Copies an already printable string into info, cut to fit. */
static void set_info(struct inspect_result *r, const char *s)
{
	struct text t;

	text_init(&t, r->info, sizeof(r->info));
	text_str(&t, s);
}

/* Clears a result: nothing recognised. */
static void result_clear(struct inspect_result *r)
{
	memset(r, 0, sizeof(*r));
	r->proto = INSPECT_NONE;
	r->encrypted = -1;
}

/* Clears r and returns 0: the inspectors' "not this protocol". */
static int not_this(struct inspect_result *r)
{
	result_clear(r);
	return 0;
}

/* ASCII case-insensitive comparison of n bytes of p with the lower-case string lower. */
static bool ascii_prefix_ci(const uint8_t *p, size_t n, const char *lower)
{
	size_t i, want = strlen(lower);

	if (n < want)
		return false;
	for (i = 0; i < want; i++) {
		uint8_t c = p[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if (c != (uint8_t)lower[i])
			return false;
	}
	return true;
}

/* Whether the n bytes at p are the start of (or all of) the string s: a cut buffer that may
 * still turn out to be s. */
static bool is_prefix_of(const uint8_t *p, size_t n, const char *s)
{
	size_t want = strlen(s);

	return memcmp(p, s, n < want ? n : want) == 0;
}

/* ---- TLS ---- */

struct tls_cipher_name {
	uint16_t id;
	const char *name;
};

/* IANA names of the suites a server is likely to pick; others are shown as 0xHHHH. */
static const struct tls_cipher_name tls_ciphers[] = {
	{ 0x1301, "TLS_AES_128_GCM_SHA256" },
	{ 0x1302, "TLS_AES_256_GCM_SHA384" },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256" },
	{ 0x1304, "TLS_AES_128_CCM_SHA256" },
	{ 0x1305, "TLS_AES_128_CCM_8_SHA256" },
	{ 0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ 0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ 0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" },
	{ 0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA" },
	{ 0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" },
	{ 0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" },
	{ 0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" },
	{ 0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384" },
	{ 0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" },
	{ 0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256" },
	{ 0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256" },
	{ 0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0x0005, "TLS_RSA_WITH_RC4_128_SHA" },
	{ 0x0004, "TLS_RSA_WITH_RC4_128_MD5" },
};

/* Writes a cipher suite's name, or 0xHHHH, to t. */
static void tls_put_cipher(struct text *t, uint16_t id)
{
	char hex[sizeof("0xffff")];
	size_t i;

	for (i = 0; i < sizeof(tls_ciphers) / sizeof(tls_ciphers[0]); i++) {
		if (tls_ciphers[i].id == id) {
			text_str(t, tls_ciphers[i].name);
			return;
		}
	}
	snprintf(hex, sizeof(hex), "0x%04x", id);
	text_str(t, hex);
}

/* Writes a version as SSL3.0, TLS1.0 .. TLS1.3, or 0xHHHH, to t. */
static void tls_put_version(struct text *t, uint16_t v)
{
	char hex[sizeof("0xffff")];

	switch (v) {
	case INSPECT_SSL3_0:
		text_str(t, "SSL3.0");
		return;
	case INSPECT_TLS1_0:
	case INSPECT_TLS1_1:
	case INSPECT_TLS1_2:
	case INSPECT_TLS1_3:
		snprintf(hex, sizeof(hex), "TLS1.%u", (unsigned)(v - INSPECT_TLS1_0));
		text_str(t, hex);
		return;
	}
	snprintf(hex, sizeof(hex), "0x%04x", v);
	text_str(t, hex);
}

/* GREASE values (RFC 8701) are 0x?a?a with both bytes equal: offered to keep peers honest,
 * never meant. */
static bool tls_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* The server_name extension's body: the first host_name entry goes to sni. Entries that are
 * not all there are left alone. */
static void tls_sni(struct cursor *body, struct inspect_tls *tls)
{
	struct cursor list;
	uint16_t list_len, name_len;
	uint8_t type;
	int i;

	if (!cur_u16(body, &list_len) || !cur_take(body, list_len, &list))
		return;
	for (i = 0; i < TLS_MAX_LIST_ENTRIES; i++) {
		if (!cur_u8(&list, &type) || !cur_u16(&list, &name_len) ||
		    cur_left(&list) < name_len)
			return;
		if (type == TLS_SNI_HOST_NAME && name_len > 0) {
			set_text(tls->sni, sizeof(tls->sni), cur_ptr(&list), name_len, ESCAPE_NAME);
			return;
		}
		cur_skip(&list, name_len);
	}
}

/* The ALPN extension's body: its protocols, comma-separated, to alpn; nothing unless the whole
 * list is well formed. */
static void tls_alpn(struct cursor *body, struct inspect_tls *tls)
{
	struct cursor list;
	struct text t;
	uint16_t list_len;
	uint8_t n;
	int i;

	if (!cur_u16(body, &list_len) || !cur_take(body, list_len, &list))
		return;
	text_init(&t, tls->alpn, sizeof(tls->alpn));
	for (i = 0; i < TLS_MAX_LIST_ENTRIES && cur_left(&list) > 0; i++) {
		if (!cur_u8(&list, &n) || n == 0 || cur_left(&list) < n) {
			text_init(&t, tls->alpn, sizeof(tls->alpn));
			return;
		}
		if (i > 0)
			text_str(&t, ",");
		text_bytes(&t, cur_ptr(&list), n, ESCAPE_NONE);
		cur_skip(&list, n);
	}
}

/* The supported_versions extension's body: a ClientHello's highest offer or a ServerHello's
 * choice to *version. Returns whether one was found. */
static bool tls_supported_versions(struct cursor *body, uint8_t handshake, uint16_t *version)
{
	struct cursor list;
	uint16_t v, best = 0;
	uint8_t list_len;
	int i;

	if (handshake == INSPECT_TLS_SERVER_HELLO) {
		if (!cur_u16(body, &v))
			return false;
		*version = v;
		return true;
	}
	if (!cur_u8(body, &list_len) || !cur_take(body, list_len, &list))
		return false;
	for (i = 0; i < TLS_MAX_LIST_ENTRIES && cur_u16(&list, &v); i++)
		if (!tls_grease(v) && v > best)
			best = v;
	if (!best)
		return false;
	*version = best;
	return true;
}

/*
 * The extensions of a hello, from its extensions length on (c ends where the hello ends or the
 * buffer was cut). Only extensions whose whole body is there are read. Returns -1 when their
 * declared length overruns the hello (not TLS), 1 when every one was read, 0 when the buffer
 * (or the loop bound) ended them first. *sv_version is set from supported_versions.
 */
static int tls_extensions(struct cursor *c, bool hello_whole, struct inspect_tls *tls,
			  uint16_t *sv_version, bool *sv_found)
{
	struct cursor exts, body;
	uint16_t total, type, ext_len;
	bool exts_whole, seen_sni = false, seen_alpn = false, seen_sv = false;
	int i;

	if (!cur_u16(c, &total))
		return 0;
	if (hello_whole && total != cur_left(c))
		return -1;
	exts_whole = cur_take(c, total, &exts);
	for (i = 0; i < TLS_MAX_EXTENSIONS && cur_left(&exts) > 0; i++) {
		if (!cur_u16(&exts, &type) || !cur_u16(&exts, &ext_len))
			return exts_whole ? -1 : 0;
		if (!cur_take(&exts, ext_len, &body))
			return exts_whole ? -1 : 0;
		/* A repeated extension is not allowed: the first one counts, so that a cut
		 * buffer never gives another answer than the whole one. */
		switch (type) {
		case TLS_EXT_SERVER_NAME:
			if (tls->handshake == INSPECT_TLS_CLIENT_HELLO && !seen_sni)
				tls_sni(&body, tls);
			seen_sni = true;
			break;
		case TLS_EXT_ALPN:
			if (!seen_alpn)
				tls_alpn(&body, tls);
			seen_alpn = true;
			break;
		case TLS_EXT_SUPPORTED_VERSIONS:
			if (!seen_sv)
				*sv_found =
					tls_supported_versions(&body, tls->handshake, sv_version);
			seen_sv = true;
			break;
		}
	}
	return exts_whole && cur_left(&exts) == 0 ? 1 : 0;
}

/* The body of a ClientHello or ServerHello (c ends where the hello or the buffer ends). Returns
 * false when it is malformed: not TLS after all. */
static bool tls_hello(struct cursor *c, bool hello_whole, struct inspect_tls *tls)
{
	uint16_t legacy, cipher, suites_len, sv_version = 0;
	uint8_t sid_len, comp_len, comp;
	bool sv_found = false, random_whole;
	int ext;

	if (!cur_u16(c, &legacy))
		return true;
	if (legacy >> 8 != TLS_MAJOR)
		return false;
	tls->legacy_version = legacy;
	random_whole = cur_left(c) >= TLS_RANDOM_SIZE;
	if (random_whole && tls->handshake == INSPECT_TLS_SERVER_HELLO &&
	    !memcmp(cur_ptr(c), tls_hrr_random, TLS_RANDOM_SIZE))
		tls->hello_retry = true;
	if (!cur_skip(c, TLS_RANDOM_SIZE) || !cur_u8(c, &sid_len))
		return true;
	if (sid_len > TLS_SESSION_ID_MAX)
		return false;
	if (!cur_skip(c, sid_len))
		return true;
	if (tls->handshake == INSPECT_TLS_CLIENT_HELLO) {
		if (!cur_u16(c, &suites_len))
			return true;
		if (suites_len == 0 || suites_len % 2)
			return false;
		if (!cur_skip(c, suites_len) || !cur_u8(c, &comp_len))
			return true;
		if (comp_len == 0)
			return false;
		if (!cur_skip(c, comp_len))
			return true;
	} else {
		if (!cur_u16(c, &cipher))
			return true;
		tls->cipher = cipher;
		if (!cur_u8(c, &comp))
			return true;
	}
	if (cur_left(c) == 0) {
		/* No extensions (TLS 1.2 and older may omit them): complete if the hello is. */
		tls->complete = hello_whole;
	} else {
		ext = tls_extensions(c, hello_whole, tls, &sv_version, &sv_found);
		if (ext < 0)
			return false;
		tls->complete = ext == 1 && hello_whole;
	}
	if (sv_found)
		tls->version = sv_version;
	else if (tls->complete)
		tls->version = legacy;
	return true;
}

int inspect_tls(const uint8_t *buf, size_t len, struct inspect_result *r)
{
	struct cursor c, record, hello;
	uint16_t record_len;
	uint32_t hs_len;
	uint8_t type, major, minor, hs_type, ccs;
	bool hello_whole;
	struct text t;
	int i;

	result_clear(r);
	cur_init(&c, buf, len);
	/* One more round than CCS records allowed: a record after too many is still a CCS, which
	 * the check below refuses. */
	for (i = 0; i <= TLS_MAX_CCS_RECORDS; i++) {
		if (!cur_u8(&c, &type) || !cur_u8(&c, &major) || !cur_u8(&c, &minor) ||
		    !cur_u16(&c, &record_len))
			return 0;
		/* A TLS 1.3 client's second ClientHello, after a HelloRetryRequest, may follow a
		 * ChangeCipherSpec record sent for middleboxes' sake (RFC 8446 D.4). */
		if (type != TLS_CONTENT_CCS)
			break;
		if (major != TLS_MAJOR || record_len != TLS_CCS_SIZE || !cur_u8(&c, &ccs) ||
		    ccs != TLS_CCS_VALUE)
			return 0;
	}
	if (type != TLS_CONTENT_HANDSHAKE || major != TLS_MAJOR || minor > TLS_MINOR_MAX ||
	    record_len < TLS_HANDSHAKE_HEADER || record_len > TLS_RECORD_MAX)
		return 0;
	cur_take(&c, record_len, &record);
	if (!cur_u8(&record, &hs_type) || !cur_u24(&record, &hs_len))
		return 0;
	if ((hs_type != INSPECT_TLS_CLIENT_HELLO && hs_type != INSPECT_TLS_SERVER_HELLO) ||
	    hs_len < TLS_HELLO_MIN)
		return 0;
	/* A hello longer than its record goes on in the next one, which is not read. */
	hello_whole = cur_take(&record, hs_len, &hello);

	r->tls.handshake = hs_type;
	if (!tls_hello(&hello, hello_whole, &r->tls))
		return not_this(r);
	r->proto = INSPECT_TLS;
	r->encrypted = 1;
	if (hs_type == INSPECT_TLS_CLIENT_HELLO) {
		set_info(r, r->tls.sni);
		return 1;
	}
	if (r->tls.version) {
		text_init(&t, r->info, sizeof(r->info));
		tls_put_version(&t, r->tls.version);
		text_str(&t, " ");
		tls_put_cipher(&t, r->tls.cipher);
		if (r->tls.hello_retry)
			text_str(&t, " HRR");
	}
	return 1;
}

/* ---- HTTP ---- */

/* Methods recognised with only the start of their target; any other upper-case token needs
 * the whole request line with its version. */
static const char *const http_methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
};

/* Whether a byte may appear in a header field name (a token character, RFC 9110 5.6.2). */
static bool http_tchar(uint8_t c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return in_set(c, "!#$%&'*+-.^_`|~");
}

/* Whether a byte may appear in a request target: visible, and allowing the raw 8-bit bytes
 * that real clients send in paths. */
static bool http_target_char(uint8_t c)
{
	return c > HTTP_SP && c != 0x7f;
}

/* Finds the end of the line starting at off: sets *end to the line's last byte + 1 (CR LF or
 * LF excluded) and *next to the next line's start. Returns false when the buffer ends first. */
static bool http_line(const uint8_t *buf, size_t len, size_t off, size_t *end, size_t *next)
{
	const uint8_t *lf = off < len ? memchr(buf + off, '\n', len - off) : NULL;
	size_t e;

	if (!lf)
		return false;
	e = (size_t)(lf - buf);
	*next = e + 1;
	if (e > off && buf[e - 1] == '\r')
		e--;
	*end = e;
	return true;
}

/* Strips spaces and tabs from both ends of [*start, *end). */
static void http_trim(const uint8_t *buf, size_t *start, size_t *end)
{
	while (*start < *end && (buf[*start] == HTTP_SP || buf[*start] == HTTP_HTAB))
		(*start)++;
	while (*end > *start && (buf[*end - 1] == HTTP_SP || buf[*end - 1] == HTTP_HTAB))
		(*end)--;
}

/*
 * Copies the target's bytes from off up to the first byte of stop, or the target's end, into
 * dst (escaped). The copy is kept when it ended inside the target or filled dst: either way it
 * is what the whole message would give. When the target runs to the end of a cut buffer
 * (target_whole false) and dst did not fill, more may follow: dst is left empty.
 */
static void http_copy_until(const uint8_t *buf, size_t target_end, bool target_whole, size_t off,
			    const char *stop, char *dst, size_t size)
{
	struct text t;
	size_t i = off;

	text_init(&t, dst, size);
	while (i < target_end && !in_set(buf[i], stop) && text_byte(&t, buf[i], ESCAPE_NONE))
		i++;
	if (i == target_end && !target_whole && !t.cut)
		text_init(&t, dst, size);
}

/* Splits a request target [off, end) into path and host; whole says whether the target ended
 * inside the buffer. Returns false when it is none of the four forms (RFC 9112 3.2): not HTTP. */
static bool http_target(const uint8_t *buf, size_t off, size_t end, bool whole, bool connect,
			struct inspect_http *http)
{
	size_t n = end - off, auth_end, at, i;
	size_t scheme_len;

	if (connect) {
		/* authority-form: host:port */
		http_copy_until(buf, end, whole, off, "", http->host, sizeof(http->host));
		return true;
	}
	if (buf[off] == '/') {
		http_copy_until(buf, end, whole, off, "?#", http->path, sizeof(http->path));
		return true;
	}
	if (buf[off] == '*') {
		/* asterisk-form: OPTIONS *. Known once what follows the star is. */
		if (n > 1)
			return false;
		if (whole)
			snprintf(http->path, sizeof(http->path), "*");
		return true;
	}
	/* absolute-form: a proxy request. */
	if (ascii_prefix_ci(buf + off, n, "http://"))
		scheme_len = sizeof("http://") - 1;
	else if (ascii_prefix_ci(buf + off, n, "https://"))
		scheme_len = sizeof("https://") - 1;
	else
		return false;
	off += scheme_len;
	auth_end = off;
	while (auth_end < end && !in_set(buf[auth_end], "/?#"))
		auth_end++;
	if (auth_end == end && !whole)
		return true; /* the authority is cut: neither host nor path is known */
	/* user:password@ never reaches the database. */
	at = off;
	for (i = off; i < auth_end; i++)
		if (buf[i] == '@')
			at = i + 1;
	set_text(http->host, sizeof(http->host), buf + at, auth_end - at, ESCAPE_NAME);
	http_copy_until(buf, end, whole, auth_end, "?#", http->path, sizeof(http->path));
	return true;
}

/* The header lines from off on: the first Host and the first Authorization. Only whole lines
 * count, except that an Authorization header's name is enough to say it is there. */
static void http_headers(const uint8_t *buf, size_t len, size_t off, struct inspect_result *r)
{
	struct inspect_http *http = &r->http;
	size_t end, next, colon, vstart, vend, tok;
	bool whole, have_host = false;
	int i;

	for (i = 0; i < INSPECT_HTTP_MAX_HEADERS && off < len; i++) {
		whole = http_line(buf, len, off, &end, &next);
		if (!whole)
			end = next = len;
		if (end == off)
			return; /* the empty line: the end of the header section */
		for (colon = off; colon < end && http_tchar(buf[colon]); colon++)
			;
		if (colon == off || colon == end || buf[colon] != ':') {
			if (!whole)
				return;
			off = next; /* obsolete folding or junk: skip the line */
			continue;
		}
		vstart = colon + 1;
		vend = end;
		if (colon - off == strlen(HTTP_AUTHORIZATION) &&
		    ascii_prefix_ci(buf + off, colon - off, HTTP_AUTHORIZATION) &&
		    !r->authorization) {
			r->authorization = true;
			/* The scheme: the value's first token, once something follows it. */
			while (vstart < vend &&
			       (buf[vstart] == HTTP_SP || buf[vstart] == HTTP_HTAB))
				vstart++;
			for (tok = vstart; tok < vend && http_tchar(buf[tok]); tok++)
				;
			if (tok > vstart && (tok < vend || whole))
				set_text(http->auth_scheme, sizeof(http->auth_scheme), buf + vstart,
					 tok - vstart, ESCAPE_NONE);
		} else if (whole && !have_host && colon - off == strlen(HTTP_HOST) &&
			   ascii_prefix_ci(buf + off, colon - off, HTTP_HOST)) {
			http_trim(buf, &vstart, &vend);
			if (vend > vstart && !http->host[0])
				set_text(http->host, sizeof(http->host), buf + vstart,
					 vend - vstart, ESCAPE_NAME);
			have_host = true;
		}
		if (!whole)
			return;
		off = next;
	}
}

/* "HTTP/1.d" at off, as much as the buffer holds. Returns 1 when it is all there (*version set),
 * 0 when the buffer ends inside it, -1 when it is something else. */
static int http_version(const uint8_t *buf, size_t len, size_t off, uint16_t *version)
{
	size_t n = len - off;

	if (n < HTTP_VERSION_PREFIX_LEN + 1)
		return is_prefix_of(buf + off, n, HTTP_VERSION_PREFIX) ? 0 : -1;
	if (memcmp(buf + off, HTTP_VERSION_PREFIX, HTTP_VERSION_PREFIX_LEN) ||
	    buf[off + HTTP_VERSION_PREFIX_LEN] < '0' || buf[off + HTTP_VERSION_PREFIX_LEN] > '9')
		return -1;
	*version = (uint16_t)(10 + buf[off + HTTP_VERSION_PREFIX_LEN] - '0');
	return 1;
}

/* A status line: "HTTP/1.d SP ddd", then a space or the line's end. The status is filled once
 * its three digits are there. Returns 1 (r filled) or 0 (r cleared). */
static int http_response(const uint8_t *buf, size_t len, struct inspect_result *r)
{
	struct inspect_http *http = &r->http;
	size_t off = HTTP_VERSION_PREFIX_LEN + 1, i;
	uint16_t status = 0;

	if (len < HTTP_STATUS_LINE_MIN || http_version(buf, len, 0, &http->version) != 1 ||
	    buf[off] != HTTP_SP)
		return not_this(r);
	off++;
	for (i = 0; i < HTTP_STATUS_DIGITS && off + i < len; i++) {
		if (buf[off + i] < '0' || buf[off + i] > '9')
			return not_this(r);
		status = (uint16_t)(status * 10 + buf[off + i] - '0');
	}
	if (i == HTTP_STATUS_DIGITS) {
		if (status < HTTP_STATUS_MIN)
			return not_this(r);
		i = off + HTTP_STATUS_DIGITS;
		if (i < len && buf[i] != HTTP_SP && buf[i] != '\r' && buf[i] != '\n')
			return not_this(r);
		http->status = status;
		set_text(r->info, sizeof(r->info), buf + off, HTTP_STATUS_DIGITS, ESCAPE_NONE);
	}
	http->response = true;
	r->proto = INSPECT_HTTP;
	r->encrypted = 0;
	return 1;
}

int inspect_http(const uint8_t *buf, size_t len, struct inspect_result *r)
{
	struct inspect_http *http;
	size_t m, tend, end, next, i;
	bool known = false, target_whole, connect;
	int v;
	struct text t;

	result_clear(r);
	if (!buf || len == 0)
		return 0;
	if (buf[0] == 'H' && is_prefix_of(buf, len, HTTP_VERSION_PREFIX))
		return http_response(buf, len, r);
	http = &r->http;

	/* The method: an upper-case token and a space. */
	for (m = 0; m < len && m < INSPECT_METHOD_SIZE && buf[m] >= 'A' && buf[m] <= 'Z'; m++)
		;
	if (m == 0 || m == len || m == INSPECT_METHOD_SIZE || buf[m] != HTTP_SP)
		return not_this(r);
	for (i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++)
		if (strlen(http_methods[i]) == m && !memcmp(buf, http_methods[i], m))
			known = true;
	connect = m == strlen(HTTP_CONNECT) && !memcmp(buf, HTTP_CONNECT, m);
	memcpy(http->method, buf, m);
	http->method[m] = '\0';

	/* The target, up to a space or the end of the line or buffer. */
	if (m + 1 == len || !http_target_char(buf[m + 1]))
		return not_this(r);
	for (tend = m + 1; tend < len && http_target_char(buf[tend]); tend++)
		;
	target_whole = tend < len;
	if (target_whole && buf[tend] != HTTP_SP && buf[tend] != '\r' && buf[tend] != '\n')
		return not_this(r); /* a control character */

	/* The version, when the line has one. */
	v = 0;
	if (target_whole && buf[tend] == HTTP_SP) {
		v = http_version(buf, len, tend + 1, &http->version);
		if (v < 0)
			return not_this(r);
		if (v > 0) {
			i = tend + 1 + HTTP_VERSION_PREFIX_LEN + 1;
			if (i < len && buf[i] != '\r' && buf[i] != '\n')
				return not_this(r);
		}
	}
	if (!known && v != 1)
		return not_this(r);
	if (!http_target(buf, m + 1, tend, target_whole, connect, http))
		return not_this(r);

	if (http_line(buf, len, m + 1, &end, &next))
		http_headers(buf, len, next, r);

	r->proto = INSPECT_HTTP;
	r->encrypted = 0;
	/* The method first: a request's info then never reads like a response's (three digits,
	 * or empty), whatever its host, and a CONNECT shows as one. */
	text_init(&t, r->info, sizeof(r->info));
	text_str(&t, http->method);
	if (http->host[0] || http->path[0])
		text_str(&t, " ");
	text_str(&t, http->host);
	text_str(&t, http->path);
	return 1;
}

/* ---- DNS ---- */

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
	if (dns->is_response && ancount > 0)
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

/* Whether a recognised DNS message is an ordinary query or answer (see inspect_payload()). */
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

/* ---- SSH ---- */

/* "SSH-protoversion-" at the start of [off, len): protoversion is digits and dots. Returns 1
 * with it in ssh->proto_version, 0 when the buffer ends first, -1 when the line is not one. */
static int ssh_ident(const uint8_t *buf, size_t len, size_t off, struct inspect_ssh *ssh)
{
	size_t n = len - off, i;
	bool digit = false, dot = false;

	if (n < SSH_PREFIX_LEN)
		return is_prefix_of(buf + off, n, SSH_PREFIX) ? 0 : -1;
	if (memcmp(buf + off, SSH_PREFIX, SSH_PREFIX_LEN))
		return -1;
	for (i = SSH_PREFIX_LEN; i < n && i - SSH_PREFIX_LEN < INSPECT_VERSION_SIZE; i++) {
		uint8_t c = buf[off + i];

		if (c == '-') {
			if (!digit || !dot || buf[off + i - 1] == '.')
				return -1;
			memcpy(ssh->proto_version, buf + off + SSH_PREFIX_LEN, i - SSH_PREFIX_LEN);
			ssh->proto_version[i - SSH_PREFIX_LEN] = '\0';
			return 1;
		}
		if (c == '.' && digit && !dot && buf[off + i - 1] != '.')
			dot = true;
		else if (c >= '0' && c <= '9')
			digit = true;
		else
			return -1;
	}
	return i == n ? 0 : -1;
}

int inspect_ssh(const uint8_t *buf, size_t len, struct inspect_result *r)
{
	size_t end, next;

	result_clear(r);
	/* The identification line must come first. RFC 4253 4.2 lets a server send lines of
	 * text before it, but those are rare, and taking them would make a cut request line
	 * HTTP and the same payload whole SSH. */
	if (!buf || ssh_ident(buf, len, 0, &r->ssh) != 1)
		return not_this(r);
	r->proto = INSPECT_SSH;
	r->encrypted = 1;
	if (http_line(buf, len, 0, &end, &next) && next <= SSH_LINE_MAX) {
		set_text(r->ssh.banner, sizeof(r->ssh.banner), buf, end, ESCAPE_NONE);
		set_info(r, r->ssh.banner);
	}
	return 1;
}

/* ---- QUIC ---- */

/* Whether a version is one whose Initial packet this reader knows; sets its Initial type. */
static bool quic_known_version(uint32_t v, uint8_t *initial_type)
{
	uint32_t draft = v & ~QUIC_DRAFT_MASK;

	if (v == INSPECT_QUIC_V1 || ((v & QUIC_DRAFT_MASK) == QUIC_DRAFT_BASE &&
				     draft >= QUIC_DRAFT_MIN && draft <= QUIC_DRAFT_MAX)) {
		*initial_type = QUIC_V1_INITIAL;
		return true;
	}
	if (v == INSPECT_QUIC_V2) {
		*initial_type = QUIC_V2_INITIAL;
		return true;
	}
	return false;
}

int inspect_quic(const uint8_t *buf, size_t len, struct inspect_result *r)
{
	struct inspect_quic *quic = &r->quic;
	struct cursor c;
	uint8_t first, initial_type, dcid_len, scid_len;
	uint32_t version;
	uint64_t token_len, length;
	char info[sizeof("version 0x00000000")];

	result_clear(r);
	cur_init(&c, buf, len);
	/* The fixed bit (0x40) is not checked: RFC 9287 lets endpoints grease it. */
	if (!cur_u8(&c, &first) || !(first & QUIC_LONG_HEADER) || !cur_u32(&c, &version) ||
	    !quic_known_version(version, &initial_type) ||
	    (first >> QUIC_TYPE_SHIFT & QUIC_TYPE_MASK) != initial_type)
		return 0;
	if (!cur_u8(&c, &dcid_len) || dcid_len > QUIC_CID_MAX || !cur_skip(&c, dcid_len) ||
	    !cur_u8(&c, &scid_len) || scid_len > QUIC_CID_MAX || !cur_skip(&c, scid_len) ||
	    !cur_varint(&c, &token_len) || token_len > cur_left(&c) ||
	    !cur_skip(&c, (size_t)token_len) || !cur_varint(&c, &length) ||
	    length < QUIC_LENGTH_MIN)
		return 0;

	r->proto = INSPECT_QUIC;
	r->encrypted = 1;
	quic->version = version;
	quic->dcid_len = dcid_len;
	quic->scid_len = scid_len;
	quic->token_len = token_len;
	quic->length = length;
	snprintf(info, sizeof(info), "version 0x%08x", version);
	set_info(r, info);
	return 1;
}

/* ---- All of them ---- */

enum inspect_proto inspect_payload(const uint8_t *buf, size_t len, uint8_t l4proto,
				   uint16_t src_port, uint16_t dst_port, struct inspect_result *r)
{
	bool on_dns_port = dns_port(src_port) || dns_port(dst_port);
	bool on_nbns_port = src_port == NBNS_PORT || dst_port == NBNS_PORT;

	result_clear(r);
	if (l4proto == IPPROTO_TCP_NUM) {
		/* Their first bytes tell them apart (0x16; an upper-case method and a space, or
		 * "HTTP/"; "SSH-"), so a cut payload is never taken for one and the whole one for
		 * another. The order only saves work. */
		if (inspect_tls(buf, len, r) || inspect_http(buf, len, r) ||
		    inspect_ssh(buf, len, r))
			return r->proto;
	} else if (l4proto == IPPROTO_UDP_NUM) {
		if (on_dns_port && inspect_dns(buf, len, r))
			return r->proto;
		if (inspect_quic(buf, len, r))
			return r->proto;
		if (!on_dns_port && !on_nbns_port && inspect_dns(buf, len, r) &&
		    dns_ordinary(&r->dns))
			return r->proto;
	}
	result_clear(r);
	return INSPECT_NONE;
}

const char *inspect_proto_name(enum inspect_proto proto)
{
	switch (proto) {
	case INSPECT_TLS:
		return "tls";
	case INSPECT_HTTP:
		return "http";
	case INSPECT_DNS:
		return "dns";
	case INSPECT_SSH:
		return "ssh";
	case INSPECT_QUIC:
		return "quic";
	case INSPECT_NONE:
		break;
	}
	return NULL;
}
