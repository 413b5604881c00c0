// SPDX-License-Identifier: BSD-2-Clause
/* TLS: the ClientHello or ServerHello that opens a connection (RFC 8446, RFC 5246). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "inspect.h"
#include "wire.h"

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
