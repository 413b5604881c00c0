// SPDX-License-Identifier: BSD-2-Clause
/* TLS: the ClientHello or ServerHello that opens a connection (RFC 8446, RFC 5246). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
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
#define DTLS_MAJOR 0xfe
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
#define TLS_EXT_SIGNATURE_ALGORITHMS 13
#define TLS_EXT_SUPPORTED_VERSIONS 43
#define TLS_SNI_HOST_NAME 0
/* Loop bounds: browsers send about 20 extensions; the lists inside them are short. Data past
 * these is not read: the fields it would fill stay empty. */
#define TLS_MAX_EXTENSIONS 64
#define TLS_MAX_LIST_ENTRIES 128
/* JA4 sorts the suites: a hello offering more than this many has no fingerprint. */
#define TLS_MAX_SUITES 512
/* JA4's lists as text: a value is 4 hex digits and a separator. */
#define JA4_VALUE_TEXT 5
#define JA4_HASH_DIGITS 12
#define JA4_COUNT_MAX 99

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
	case INSPECT_DTLS1_0:
		text_str(t, "DTLS1.0");
		return;
	case INSPECT_DTLS1_2:
		text_str(t, "DTLS1.2");
		return;
	case INSPECT_DTLS1_3:
		text_str(t, "DTLS1.3");
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

/* Whether version a is newer than b. DTLS counts down: 0xfefc (DTLS 1.3) is newer than 0xfefd
 * (DTLS 1.2). */
static bool tls_newer(uint16_t a, uint16_t b)
{
	if (a >> 8 == DTLS_MAJOR && b >> 8 == DTLS_MAJOR)
		return a < b;
	return a > b;
}

/* What JA4 takes from a ClientHello, gathered while its fields are read. The cursors point
 * into the hello. */
struct tls_ja4 {
	struct cursor suites; /* the cipher suite list, when whole */
	bool suites_whole;
	uint16_t exts[TLS_MAX_EXTENSIONS]; /* extension types in their order, GREASE left out */
	size_t n_exts;
	bool sni; /* a server_name extension was sent */
	bool sv_seen; /* supported_versions was sent: its highest value is sv_max (0: none) */
	uint16_t sv_max;
	bool alpn_seen; /* an ALPN extension with a first value, which is alpn */
	struct cursor alpn;
	bool sigs_seen; /* signature_algorithms was sent: its list is sigs */
	struct cursor sigs;
	bool bad; /* something JA4 reads was malformed or past a bound: no fingerprint */
};

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

/* The ALPN extension's body for JA4: its first value (which may be empty) to j->alpn; an
 * empty list leaves none. */
static void tls_ja4_alpn(struct cursor body, struct tls_ja4 *j)
{
	struct cursor list;
	uint16_t list_len;
	uint8_t n;

	if (!cur_u16(&body, &list_len) || !cur_take(&body, list_len, &list)) {
		j->bad = true;
		return;
	}
	if (cur_left(&list) == 0)
		return;
	if (!cur_u8(&list, &n) || !cur_take(&list, n, &j->alpn)) {
		j->bad = true;
		return;
	}
	j->alpn_seen = true;
}

/* The signature_algorithms extension's body for JA4: its list of 2-byte values to j->sigs. */
static void tls_ja4_sigs(struct cursor body, struct tls_ja4 *j)
{
	uint16_t list_len;

	if (!cur_u16(&body, &list_len) || list_len % 2 || !cur_take(&body, list_len, &j->sigs) ||
	    list_len / 2 > TLS_MAX_LIST_ENTRIES) {
		j->bad = true;
		return;
	}
	j->sigs_seen = true;
}

/* Appends a version's name to t, after a comma unless t is empty: whole or not at all. */
static void tls_put_offered(struct text *t, uint16_t v)
{
	char name[sizeof(",DTLS1.0")];
	struct text one;

	text_init(&one, name, sizeof(name));
	if (t->len)
		text_str(&one, ",");
	tls_put_version(&one, v);
	text_raw(t, one.s, one.len);
}

/* The supported_versions extension's body: a ClientHello's newest offer or a ServerHello's
 * choice to *version; a ClientHello's offers to versions and to j. Returns whether a version
 * was found. */
static bool tls_supported_versions(struct cursor *body, struct inspect_tls *tls, uint16_t *version,
				   struct tls_ja4 *j)
{
	struct cursor list;
	struct text t;
	uint16_t v, best = 0;
	uint8_t list_len;
	int i;

	if (tls->handshake == INSPECT_TLS_SERVER_HELLO) {
		if (!cur_u16(body, &v))
			return false;
		*version = v;
		return true;
	}
	j->sv_seen = true;
	if (!cur_u8(body, &list_len) || !cur_take(body, list_len, &list)) {
		j->bad = true;
		return false;
	}
	text_init(&t, tls->versions, sizeof(tls->versions));
	/* A one-byte length holds at most 127 versions: within the bound. */
	for (i = 0; i < TLS_MAX_LIST_ENTRIES && cur_u16(&list, &v); i++) {
		if (tls_grease(v))
			continue;
		tls_put_offered(&t, v);
		if (v > j->sv_max)
			j->sv_max = v;
		if (tls_newer(v, best))
			best = v;
	}
	if (!best)
		return false;
	*version = best;
	return true;
}

/*
 * The extensions of a hello, from its extensions length on (c ends where the hello ends or the
 * buffer was cut). Only extensions whose whole body is there are read. Returns -1 when their
 * declared length overruns the hello (not TLS), 1 when every one was read, 0 when the buffer
 * (or the loop bound) ended them first. *sv_version is set from supported_versions; a
 * ClientHello's extensions go to j as well.
 */
static int tls_extensions(struct cursor *c, bool hello_whole, struct inspect_tls *tls,
			  uint16_t *sv_version, bool *sv_found, struct tls_ja4 *j)
{
	struct cursor exts, body;
	uint16_t total, type, ext_len;
	bool exts_whole, client = tls->handshake == INSPECT_TLS_CLIENT_HELLO;
	bool seen_sni = false, seen_alpn = false, seen_sv = false, seen_sigs = false;
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
		if (client && !tls_grease(type))
			j->exts[j->n_exts++] = type;
		/* A repeated extension is not allowed: the first one counts, so that a cut
		 * buffer never gives another answer than the whole one. */
		switch (type) {
		case TLS_EXT_SERVER_NAME:
			if (client && !seen_sni)
				tls_sni(&body, tls);
			j->sni = true;
			seen_sni = true;
			break;
		case TLS_EXT_ALPN:
			if (client && !seen_alpn)
				tls_ja4_alpn(body, j);
			if (!seen_alpn)
				tls_alpn(&body, tls);
			seen_alpn = true;
			break;
		case TLS_EXT_SIGNATURE_ALGORITHMS:
			if (client && !seen_sigs)
				tls_ja4_sigs(body, j);
			seen_sigs = true;
			break;
		case TLS_EXT_SUPPORTED_VERSIONS:
			if (!seen_sv)
				*sv_found = tls_supported_versions(&body, tls, sv_version, j);
			seen_sv = true;
			break;
		}
	}
	return exts_whole && cur_left(&exts) == 0 ? 1 : 0;
}

/* JA4's two characters for a version. */
static const char *ja4_version(uint16_t v)
{
	switch (v) {
	case INSPECT_TLS1_3:
		return "13";
	case INSPECT_TLS1_2:
		return "12";
	case INSPECT_TLS1_1:
		return "11";
	case INSPECT_TLS1_0:
		return "10";
	case INSPECT_SSL3_0:
		return "s3";
	case 0x0002: /* SSL 2.0 */
		return "s2";
	case INSPECT_DTLS1_0:
		return "d1";
	case INSPECT_DTLS1_2:
		return "d2";
	case INSPECT_DTLS1_3:
		return "d3";
	}
	return "00";
}

/* Whether b is an ASCII letter or digit (not the locale's idea of one). */
static bool ja4_alnum(uint8_t b)
{
	return (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z');
}

/* JA4's two ALPN characters: the first value's first and last bytes, or, when one of them is
 * not a letter or digit, the first and last digits of the value in hex; "00" without one. */
static void ja4_alpn(const struct tls_ja4 *j, char out[3])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t first, last;
	size_t n = j->alpn_seen ? cur_left(&j->alpn) : 0;

	if (n == 0) {
		memcpy(out, "00", 3);
		return;
	}
	first = j->alpn.buf[j->alpn.off];
	last = j->alpn.buf[j->alpn.off + n - 1];
	if (ja4_alnum(first) && ja4_alnum(last)) {
		out[0] = (char)first;
		out[1] = (char)last;
	} else {
		out[0] = hex[first >> 4];
		out[1] = hex[last & 0xf];
	}
	out[2] = '\0';
}

/* qsort()'s order of 16-bit values. */
static int ja4_cmp(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;

	return (x > y) - (x < y);
}

/* Writes n values as JA4 lists them ("002f,0035") at s. Returns the characters written. */
static size_t ja4_list(char *s, const uint16_t *v, size_t n)
{
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		len += (size_t)sprintf(s + len, i ? ",%04x" : "%04x", v[i]);
	return len;
}

/* The first 12 hex digits of the SHA-256 of n characters of s, to out (13 bytes); JA4's twelve
 * zeros when n is 0. Returns false when libcrypto fails. */
static bool ja4_hash(const char *s, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len;
	size_t i;

	if (n == 0) {
		memcpy(out, "000000000000", JA4_HASH_DIGITS + 1);
		return true;
	}
	if (!EVP_Digest(s, n, md, &md_len, EVP_sha256(), NULL))
		return false;
	for (i = 0; i < JA4_HASH_DIGITS / 2; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[JA4_HASH_DIGITS] = '\0';
	return true;
}

/* Writes a whole ClientHello's JA4 fingerprint (tls.h) to tls->ja4; leaves it "" when a list is
 * over its bound or libcrypto fails. */
static void tls_ja4(const struct tls_ja4 *j, uint16_t legacy, enum inspect_tls_carrier carrier,
		    struct inspect_tls *tls)
{
	uint16_t suites[TLS_MAX_SUITES], exts[TLS_MAX_EXTENSIONS], sigs[TLS_MAX_LIST_ENTRIES], v;
	char list[TLS_MAX_SUITES * JA4_VALUE_TEXT], b[JA4_HASH_DIGITS + 1], c[JA4_HASH_DIGITS + 1];
	char alpn[3];
	size_t n_suites = 0, n_exts = 0, n_sigs = 0, len, i;
	struct cursor cur;

	cur = j->suites;
	while (cur_u16(&cur, &v)) {
		if (tls_grease(v))
			continue;
		if (n_suites == TLS_MAX_SUITES)
			return;
		suites[n_suites++] = v;
	}
	for (i = 0; i < j->n_exts; i++)
		if (j->exts[i] != TLS_EXT_SERVER_NAME && j->exts[i] != TLS_EXT_ALPN)
			exts[n_exts++] = j->exts[i];
	cur = j->sigs;
	while (j->sigs_seen && cur_u16(&cur, &v))
		if (!tls_grease(v))
			sigs[n_sigs++] = v;
	qsort(suites, n_suites, sizeof(suites[0]), ja4_cmp);
	qsort(exts, n_exts, sizeof(exts[0]), ja4_cmp);
	if (!ja4_hash(list, ja4_list(list, suites, n_suites), b))
		return;
	/* No extensions: twelve zeros, whatever else (signature algorithms come in one). */
	len = ja4_list(list, exts, n_exts);
	if (n_exts && n_sigs) {
		list[len++] = '_';
		len += ja4_list(list + len, sigs, n_sigs);
	}
	if (!ja4_hash(list, n_exts ? len : 0, c))
		return;
	ja4_alpn(j, alpn);
	snprintf(tls->ja4, sizeof(tls->ja4), "%c%s%c%02zu%02zu%s_%s_%s", (char)carrier,
		 ja4_version(j->sv_seen ? j->sv_max : legacy), j->sni ? 'd' : 'i',
		 n_suites < JA4_COUNT_MAX ? n_suites : JA4_COUNT_MAX,
		 j->n_exts < JA4_COUNT_MAX ? j->n_exts : JA4_COUNT_MAX, alpn, b, c);
}

/* The body of a ClientHello or ServerHello (c ends where the hello or the buffer ends). Returns
 * false when it is malformed: not TLS after all. */
static bool tls_hello(struct cursor *c, bool hello_whole, enum inspect_tls_carrier carrier,
		      struct inspect_tls *tls)
{
	struct tls_ja4 j = { 0 };
	uint16_t legacy, cipher, suites_len, sv_version = 0;
	uint8_t sid_len, cookie_len, comp_len, comp;
	bool sv_found = false, random_whole;
	int ext;

	if (!cur_u16(c, &legacy))
		return true;
	if (legacy >> 8 != (carrier == INSPECT_TLS_DTLS ? DTLS_MAJOR : TLS_MAJOR))
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
		/* DTLS: the cookie a HelloVerifyRequest asked for (RFC 6347 4.2.1). */
		if (carrier == INSPECT_TLS_DTLS &&
		    (!cur_u8(c, &cookie_len) || !cur_skip(c, cookie_len)))
			return true;
		if (!cur_u16(c, &suites_len))
			return true;
		if (suites_len == 0 || suites_len % 2)
			return false;
		j.suites_whole = cur_take(c, suites_len, &j.suites);
		if (!j.suites_whole || !cur_u8(c, &comp_len))
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
		ext = tls_extensions(c, hello_whole, tls, &sv_version, &sv_found, &j);
		if (ext < 0)
			return false;
		tls->complete = ext == 1 && hello_whole;
	}
	if (sv_found)
		tls->version = sv_version;
	else if (tls->complete)
		tls->version = legacy;
	if (tls->handshake == INSPECT_TLS_CLIENT_HELLO && tls->complete && !j.bad)
		tls_ja4(&j, legacy, carrier, tls);
	return true;
}

int inspect_tls_hello(const uint8_t *msg, size_t len, enum inspect_tls_carrier carrier,
		      struct inspect_result *r)
{
	struct cursor c, hello;
	uint32_t hs_len;
	uint8_t hs_type;
	bool hello_whole;
	struct text t;

	result_clear(r);
	if (carrier != INSPECT_TLS_TCP && carrier != INSPECT_TLS_QUIC &&
	    carrier != INSPECT_TLS_DTLS)
		return 0;
	cur_init(&c, msg, len);
	if (!cur_u8(&c, &hs_type) || !cur_u24(&c, &hs_len))
		return 0;
	if ((hs_type != INSPECT_TLS_CLIENT_HELLO && hs_type != INSPECT_TLS_SERVER_HELLO) ||
	    hs_len < TLS_HELLO_MIN)
		return 0;
	/* A hello longer than the bound is read up to it, and never whole. */
	hello_whole =
		cur_take(&c, hs_len < INSPECT_HELLO_MAX ? hs_len : INSPECT_HELLO_MAX, &hello) &&
		hs_len <= INSPECT_HELLO_MAX;

	r->tls.handshake = hs_type;
	if (!tls_hello(&hello, hello_whole, carrier, &r->tls))
		return not_this(r);
	r->proto = carrier == INSPECT_TLS_DTLS ? INSPECT_DTLS : INSPECT_TLS;
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

/* Reads a TLS record header: *type, *major, *minor, *record_len. Returns false when it is not
 * all there. */
static bool tls_record_header(struct cursor *c, uint8_t *type, uint8_t *major, uint8_t *minor,
			      uint16_t *record_len)
{
	return cur_u8(c, type) && cur_u8(c, major) && cur_u8(c, minor) && cur_u16(c, record_len);
}

/* Whether a record header is a handshake record's. */
static bool tls_handshake_record(uint8_t type, uint8_t major, uint8_t minor, uint16_t record_len)
{
	return type == TLS_CONTENT_HANDSHAKE && major == TLS_MAJOR && minor <= TLS_MINOR_MAX &&
	       record_len > 0 && record_len <= TLS_RECORD_MAX;
}

/* Whether a record holds the whole handshake message it starts with. */
static bool tls_message_in(const struct cursor *record)
{
	struct cursor c = *record;
	uint32_t hs_len;

	return cur_skip(&c, 1) && cur_u24(&c, &hs_len) && cur_left(&c) >= hs_len;
}

int inspect_tls(const uint8_t *buf, size_t len, struct inspect_result *r)
{
	/* The hello put together from the fragments of several records. */
	uint8_t msg[TLS_HANDSHAKE_HEADER + INSPECT_HELLO_MAX];
	struct cursor c, record;
	size_t have = 0, want = sizeof(msg), n;
	uint16_t record_len;
	uint32_t hs_len;
	uint8_t type, major, minor, ccs;
	int i;

	result_clear(r);
	cur_init(&c, buf, len);
	/* One more round than CCS records allowed: a record after too many is still a CCS, which
	 * the check below refuses. */
	for (i = 0; i <= TLS_MAX_CCS_RECORDS; i++) {
		if (!tls_record_header(&c, &type, &major, &minor, &record_len))
			return 0;
		/* A TLS 1.3 client's second ClientHello, after a HelloRetryRequest, may follow a
		 * ChangeCipherSpec record sent for middleboxes' sake (RFC 8446 D.4). */
		if (type != TLS_CONTENT_CCS)
			break;
		if (major != TLS_MAJOR || record_len != TLS_CCS_SIZE || !cur_u8(&c, &ccs) ||
		    ccs != TLS_CCS_VALUE)
			return 0;
	}
	if (!tls_handshake_record(type, major, minor, record_len))
		return 0;
	/* Most hellos are in one record, or buf ends inside it: read in place. */
	if (!cur_take(&c, record_len, &record) || tls_message_in(&record))
		return inspect_tls_hello(cur_ptr(&record), cur_left(&record), INSPECT_TLS_TCP, r);
	/* Else the next handshake records' fragments go on with the message until it is whole,
	 * at the bound, or a record of another kind (or the end of buf) comes. Each round takes
	 * at least a record header of buf, so the loop ends. */
	for (;;) {
		n = cur_left(&record) < want - have ? cur_left(&record) : want - have;
		memcpy(msg + have, cur_ptr(&record), n);
		have += n;
		if (want == sizeof(msg) && have >= TLS_HANDSHAKE_HEADER) {
			hs_len = (uint32_t)msg[1] << 16 | (uint32_t)msg[2] << 8 | msg[3];
			if (hs_len < INSPECT_HELLO_MAX)
				want = TLS_HANDSHAKE_HEADER + hs_len;
		}
		if (have >= want || !tls_record_header(&c, &type, &major, &minor, &record_len) ||
		    !tls_handshake_record(type, major, minor, record_len))
			break;
		cur_take(&c, record_len, &record);
	}
	return inspect_tls_hello(msg, have, INSPECT_TLS_TCP, r);
}
