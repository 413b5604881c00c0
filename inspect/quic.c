// SPDX-License-Identifier: BSD-2-Clause
/* QUIC: long-header packets read without decrypting them (RFC 8999, RFC 9000 17.2, RFC 9369,
 * RFC 9287), and client Initial packets decrypted with libcrypto (RFC 9001 5). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include "inspect.h"
#include "wire.h"

#define QUIC_LONG_HEADER 0x80
#define QUIC_TYPE_SHIFT 4
#define QUIC_TYPE_MASK 0x3
/* Version 1's long-header types (RFC 9000 17.2); version 2 numbers them one higher, modulo 4
 * (RFC 9369 3.2). */
#define QUIC_V1_INITIAL 0
#define QUIC_V1_0RTT 1
#define QUIC_V1_HANDSHAKE 2
#define QUIC_V1_RETRY 3
#define QUIC_DRAFT_MASK 0xffffff00
#define QUIC_DRAFT_BASE 0xff000000
/* Drafts from 22 on have the header layout of version 1 (one length octet per connection id). */
#define QUIC_DRAFT_MIN 22
#define QUIC_DRAFT_MAX 34
/* Initial keys of drafts 29..32 come from draft-29's salt, those of 33 and 34 from version 1's
 * (draft-ietf-quic-tls-29..34, 5.2); earlier drafts had other salts, not decrypted here. */
#define QUIC_DRAFT_SALT29_MIN 29
#define QUIC_DRAFT_SALT29_MAX 32
#define QUIC_NEGOTIATION 0x00000000
/* Greased versions: every byte's low nibble 0xa (RFC 9000 15). */
#define QUIC_GREASE_MASK 0x0f0f0f0f
#define QUIC_GREASE 0x0a0a0a0a
#define QUIC_CID_MAX 20
/* Header protection samples 16 bytes starting 4 bytes after the packet number's start
 * (RFC 9001 5.4.2), so the Length field can never be smaller. */
#define QUIC_LENGTH_MIN 20
/* A Retry packet ends with its 16-byte integrity tag (RFC 9001 5.8). */
#define QUIC_RETRY_TAG 16
#define QUIC_VN_ENTRY 4
#define QUIC_VARINT_LEN_SHIFT 6
/* HTTP/3's port (RFC 9114 3.1, its default authority port 443 over UDP). */
#define QUIC_PORT 443

/*
 * Vendor versions whose long header keeps the version-independent layout (one length octet per
 * connection id), recognised by that header only:
 * - Google QUIC "Q050", "T050", "T051" (ASCII; Chromium's net/third_party/quiche
 *   quic_versions.h, and Wireshark's packet-quic.c names them). Q046 and older put both
 *   connection id lengths in one octet, before RFC 8999 fixed the layout, and are not read.
 * - Facebook mvfst (facebook/mvfst quic/QuicConstants.h, enum QuicVersion): 0xfaceb001
 *   (draft-22 based), 0xfaceb002, 0xfaceb003 (a version 1 alias), 0xfaceb00e, 0xfaceb010,
 *   0xfaceb011, 0xfaceb013 (aliases and experiments); 0xfaceb00f is its "invalid" version.
 */
static const uint32_t quic_vendor_versions[] = {
	0x51303530, /* Q050 */
	0x54303530, /* T050 */
	0x54303531, /* T051 */
	0xfaceb001, 0xfaceb002, 0xfaceb003, 0xfaceb00e, 0xfaceb010, 0xfaceb011, 0xfaceb013,
};

/* Reads a QUIC variable-length integer (RFC 9000 16). Returns false, moving nothing, when it
 * is not all there. */
static bool quic_varint(struct cursor *c, uint64_t *v)
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

/* How much of a version's header this reader knows. */
enum quic_layout {
	QUIC_LAYOUT_UNKNOWN,
	QUIC_LAYOUT_V1, /* version 1 and drafts 22..34: version 1's types */
	QUIC_LAYOUT_V2, /* version 2's types */
	QUIC_LAYOUT_NEGOTIATION,
	QUIC_LAYOUT_INVARIANT, /* greased and vendor versions: RFC 8999's fields only */
};

/* Whether v is a draft from 22 to 34; its number in *draft. */
static bool quic_draft(uint32_t v, uint32_t *draft)
{
	*draft = v & ~QUIC_DRAFT_MASK;
	return (v & QUIC_DRAFT_MASK) == QUIC_DRAFT_BASE && *draft >= QUIC_DRAFT_MIN &&
	       *draft <= QUIC_DRAFT_MAX;
}

/* The layout of version v's long header. */
static enum quic_layout quic_layout(uint32_t v)
{
	uint32_t draft;
	size_t i;

	if (v == INSPECT_QUIC_V1 || quic_draft(v, &draft))
		return QUIC_LAYOUT_V1;
	if (v == INSPECT_QUIC_V2)
		return QUIC_LAYOUT_V2;
	if (v == QUIC_NEGOTIATION)
		return QUIC_LAYOUT_NEGOTIATION;
	if ((v & QUIC_GREASE_MASK) == QUIC_GREASE)
		return QUIC_LAYOUT_INVARIANT;
	for (i = 0; i < sizeof(quic_vendor_versions) / sizeof(quic_vendor_versions[0]); i++)
		if (v == quic_vendor_versions[i])
			return QUIC_LAYOUT_INVARIANT;
	return QUIC_LAYOUT_UNKNOWN;
}

/* A long header as read from the wire. */
struct quic_header {
	uint8_t first;
	uint32_t version;
	enum inspect_quic_packet type;
	uint8_t dcid_len, scid_len;
	const uint8_t *dcid;
	uint64_t token_len, length;
};

/*
 * Reads the long header at c's position up to the packet number (Initial, 0-RTT, Handshake:
 * the Length field checked against QUIC_LENGTH_MIN, not against what is left) or to the end of
 * what it can tell (Retry, Version Negotiation, the invariant fields of other versions).
 * Returns false when it is not a long header of a version listed here, or not all there.
 * as_v1: a greased version's header is read as version 1's, as a client that greases the
 * version in its first Initial still lays it out so (ngtcp2 does; tshark reads it so too): the
 * AEAD tag then says whether it was one.
 */
static bool quic_header(struct cursor *c, struct quic_header *h, bool as_v1)
{
	enum quic_layout layout;
	uint8_t bits, cid_max;
	uint32_t entry;

	memset(h, 0, sizeof(*h));
	/* The fixed bit (0x40) is not checked: RFC 9287 lets endpoints grease it. */
	if (!cur_u8(c, &h->first) || !(h->first & QUIC_LONG_HEADER) || !cur_u32(c, &h->version))
		return false;
	layout = quic_layout(h->version);
	if (as_v1 && (h->version & QUIC_GREASE_MASK) == QUIC_GREASE)
		layout = QUIC_LAYOUT_V1;
	if (layout == QUIC_LAYOUT_UNKNOWN)
		return false;
	/* Version 1 caps connection ids at 20 bytes; RFC 8999 lets other versions use 255. */
	cid_max = layout == QUIC_LAYOUT_V1 || layout == QUIC_LAYOUT_V2 ? QUIC_CID_MAX : UINT8_MAX;
	if (!cur_u8(c, &h->dcid_len) || h->dcid_len > cid_max)
		return false;
	h->dcid = cur_ptr(c);
	if (!cur_skip(c, h->dcid_len) || !cur_u8(c, &h->scid_len) || h->scid_len > cid_max ||
	    !cur_skip(c, h->scid_len))
		return false;
	if (layout == QUIC_LAYOUT_INVARIANT) {
		h->type = INSPECT_QUIC_PKT_OTHER;
		return true;
	}
	if (layout == QUIC_LAYOUT_NEGOTIATION) {
		/* At least one version offered, and no entry that is whole is 0. With a 1-byte
		 * DCID the first 6 bytes would read as a DNS query header with one question (a
		 * cut of it the DNS row may claim off its ports); clients hardly ever choose a
		 * 1-byte SCID, which is what this DCID echoes. */
		h->type = INSPECT_QUIC_PKT_VERSION_NEGOTIATION;
		if (h->dcid_len == 1 || cur_left(c) < QUIC_VN_ENTRY)
			return false;
		while (cur_u32(c, &entry))
			if (entry == QUIC_NEGOTIATION)
				return false;
		return true;
	}
	bits = h->first >> QUIC_TYPE_SHIFT & QUIC_TYPE_MASK;
	if (layout == QUIC_LAYOUT_V2)
		bits = (bits + QUIC_TYPE_MASK) & QUIC_TYPE_MASK;
	switch (bits) {
	case QUIC_V1_INITIAL:
		h->type = INSPECT_QUIC_PKT_INITIAL;
		if (!quic_varint(c, &h->token_len) || h->token_len > cur_left(c) ||
		    !cur_skip(c, (size_t)h->token_len))
			return false;
		break;
	case QUIC_V1_0RTT:
		h->type = INSPECT_QUIC_PKT_0RTT;
		break;
	case QUIC_V1_HANDSHAKE:
		h->type = INSPECT_QUIC_PKT_HANDSHAKE;
		break;
	default:
		h->type = INSPECT_QUIC_PKT_RETRY;
		return cur_left(c) >= QUIC_RETRY_TAG;
	}
	return quic_varint(c, &h->length) && h->length >= QUIC_LENGTH_MIN;
}

int inspect_quic(const uint8_t *buf, size_t len, struct inspect_result *r)
{
	struct inspect_quic *quic = &r->quic;
	struct quic_header h;
	struct cursor c;
	char info[sizeof("version 0x00000000")];

	result_clear(r);
	cur_init(&c, buf, len);
	if (!quic_header(&c, &h, false))
		return 0;
	r->proto = INSPECT_QUIC;
	r->encrypted = 1;
	quic->version = h.version;
	quic->packet_type = (uint8_t)h.type;
	quic->dcid_len = h.dcid_len;
	quic->scid_len = h.scid_len;
	quic->token_len = h.token_len;
	quic->length = h.length;
	snprintf(info, sizeof(info), "version 0x%08x", h.version);
	set_info(r, info);
	return 1;
}

bool inspect_quic_port(uint16_t src_port, uint16_t dst_port)
{
	return src_port == QUIC_PORT || dst_port == QUIC_PORT;
}

bool inspect_quic_off_port(const struct inspect_result *r, uint16_t src_port, uint16_t dst_port)
{
	return (r->quic.packet_type != INSPECT_QUIC_PKT_VERSION_NEGOTIATION &&
		r->quic.packet_type != INSPECT_QUIC_PKT_OTHER &&
		r->quic.packet_type != INSPECT_QUIC_PKT_RETRY) ||
	       !inspect_dns_port(src_port, dst_port);
}

/* ---- Initial packets decrypted (RFC 9001 5) ---- */

#define QUIC_SALT_LEN 20
#define QUIC_SECRET_LEN 32 /* SHA-256 */
#define QUIC_KEY_LEN 16 /* AES-128 */
#define QUIC_IV_LEN 12
#define QUIC_HP_LEN 16
#define QUIC_SAMPLE_OFFSET 4
#define QUIC_SAMPLE_LEN 16
#define QUIC_TAG_LEN 16
#define QUIC_PN_LEN_MASK 0x03
/* Header protection masks the low 4 bits of a long header's first byte (RFC 9001 5.4.1). */
#define QUIC_LONG_HP_BITS 0x0f
#define QUIC_PN_MAX_LEN 4
/* The largest Initial payload decrypted, on the stack: more than any path MTU (9000-byte jumbo
 * frames included), where client Initial datagrams stay. */
#define QUIC_PLAINTEXT_MAX 16384
/* Packets coalesced in one datagram: RFC 9000 12.2 allows one per packet type, and a few more
 * cost little; the loop ends there whatever the datagram holds. */
#define QUIC_COALESCED_MAX 16
/* Frames of the Initial space read here (RFC 9000 19). */
#define QUIC_FRAME_PADDING 0x00
#define QUIC_FRAME_PING 0x01
#define QUIC_FRAME_ACK 0x02
#define QUIC_FRAME_ACK_ECN 0x03
#define QUIC_FRAME_CRYPTO 0x06
#define QUIC_FRAME_CLOSE 0x1c
#define QUIC_ACK_ECN_COUNTS 3
/* Stream offsets stay below 2^62 (RFC 9000 19.6). */
#define QUIC_OFFSET_LIMIT ((uint64_t)1 << 62)

/* What derives one version's Initial keys. */
struct quic_initial_params {
	uint8_t salt[QUIC_SALT_LEN];
	const char *key_label, *iv_label, *hp_label;
};

static const struct quic_initial_params quic_v1_params = {
	/* RFC 9001 5.2 */
	{ 0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	  0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a },
	"quic key",
	"quic iv",
	"quic hp",
};

static const struct quic_initial_params quic_v2_params = {
	/* RFC 9369 3.3.1 */
	{ 0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
	  0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9 },
	"quicv2 key",
	"quicv2 iv",
	"quicv2 hp",
};

static const struct quic_initial_params quic_draft29_params = {
	/* draft-ietf-quic-tls-29 5.2 */
	{ 0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
	  0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99 },
	"quic key",
	"quic iv",
	"quic hp",
};

/* The Initial keys' parameters of version v; NULL for a version not decrypted here. */
static const struct quic_initial_params *quic_initial_params(uint32_t v)
{
	uint32_t draft;

	if (v == INSPECT_QUIC_V1)
		return &quic_v1_params;
	if (v == INSPECT_QUIC_V2)
		return &quic_v2_params;
	if (!quic_draft(v, &draft) || draft < QUIC_DRAFT_SALT29_MIN)
		return NULL;
	return draft <= QUIC_DRAFT_SALT29_MAX ? &quic_draft29_params : &quic_v1_params;
}

/* One client's Initial keys. */
struct quic_keys {
	uint8_t key[QUIC_KEY_LEN], iv[QUIC_IV_LEN], hp[QUIC_HP_LEN];
};

/* HKDF-SHA256 through libcrypto: mode EXTRACT_ONLY (key = input keying material, salt) or
 * EXPAND_ONLY (key = pseudorandom key, info). Returns true when out (n bytes) was written. */
static bool quic_hkdf(EVP_KDF *kdf, int mode, const uint8_t *key, size_t key_len,
		      const uint8_t *extra, size_t extra_len, uint8_t *out, size_t n)
{
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len),
		OSSL_PARAM_construct_octet_string(mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY ?
							  OSSL_KDF_PARAM_SALT :
							  OSSL_KDF_PARAM_INFO,
						  (void *)extra, extra_len),
		OSSL_PARAM_construct_end(),
	};
	EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
	bool ok;

	if (!ctx)
		return false;
	ok = EVP_KDF_derive(ctx, out, n, params) > 0;
	EVP_KDF_CTX_free(ctx);
	return ok;
}

/* TLS 1.3's HKDF-Expand-Label with an empty context (RFC 8446 7.1), n bytes of at most 255. */
static bool quic_expand_label(EVP_KDF *kdf, const uint8_t *secret, const char *label, uint8_t *out,
			      size_t n)
{
	static const char prefix[] = "tls13 ";
	/* HkdfLabel: length (2), label length (1), "tls13 " label, context length (1). */
	uint8_t info[2 + 1 + UINT8_MAX + 1];
	size_t plen = sizeof(prefix) - 1, llen = strlen(label), at = 0;

	if (plen + llen > UINT8_MAX)
		return false;
	info[at++] = (uint8_t)(n >> 8);
	info[at++] = (uint8_t)n;
	info[at++] = (uint8_t)(plen + llen);
	memcpy(info + at, prefix, plen);
	at += plen;
	memcpy(info + at, label, llen);
	at += llen;
	info[at++] = 0;
	return quic_hkdf(kdf, EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, QUIC_SECRET_LEN, info, at, out,
			 n);
}

/* The client's Initial keys for a Destination Connection ID (RFC 9001 5.2). */
static bool quic_client_keys(const struct quic_initial_params *p, const uint8_t *dcid,
			     size_t dcid_len, struct quic_keys *k)
{
	uint8_t initial[QUIC_SECRET_LEN], client[QUIC_SECRET_LEN];
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
	bool ok;

	if (!kdf)
		return false;
	ok = quic_hkdf(kdf, EVP_KDF_HKDF_MODE_EXTRACT_ONLY, dcid, dcid_len, p->salt,
		       sizeof(p->salt), initial, sizeof(initial)) &&
	     quic_expand_label(kdf, initial, "client in", client, sizeof(client)) &&
	     quic_expand_label(kdf, client, p->key_label, k->key, sizeof(k->key)) &&
	     quic_expand_label(kdf, client, p->iv_label, k->iv, sizeof(k->iv)) &&
	     quic_expand_label(kdf, client, p->hp_label, k->hp, sizeof(k->hp));
	EVP_KDF_free(kdf);
	return ok;
}

/* The header protection mask: AES-128-ECB of the sample (RFC 9001 5.4.3). */
static bool quic_hp_mask(const uint8_t *hp, const uint8_t *sample, uint8_t mask[QUIC_SAMPLE_LEN])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0;
	bool ok;

	if (!ctx)
		return false;
	ok = EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, hp, NULL) > 0 &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) > 0 &&
	     EVP_EncryptUpdate(ctx, mask, &n, sample, QUIC_SAMPLE_LEN) > 0 && n == QUIC_SAMPLE_LEN;
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

/*
 * AES-128-GCM opening of ct (n bytes, the tag after them) into out, with the header as
 * associated data in three pieces: its first byte and packet number unprotected, the bytes
 * between them as on the wire. Returns true only when the tag matched.
 */
static bool quic_open(const struct quic_keys *k, const uint8_t *nonce, uint8_t first,
		      const uint8_t *mid, size_t mid_len, const uint8_t *pn, size_t pn_len,
		      const uint8_t *ct, size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t tag[QUIC_TAG_LEN];
	int got = 0, fin = 0;
	bool ok;

	if (!ctx)
		return false;
	memcpy(tag, ct + n, sizeof(tag));
	ok = EVP_DecryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, NULL, NULL) > 0 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, QUIC_IV_LEN, NULL) > 0 &&
	     EVP_DecryptInit_ex(ctx, NULL, NULL, k->key, nonce) > 0 &&
	     EVP_DecryptUpdate(ctx, NULL, &got, &first, 1) > 0 &&
	     EVP_DecryptUpdate(ctx, NULL, &got, mid, (int)mid_len) > 0 &&
	     EVP_DecryptUpdate(ctx, NULL, &got, pn, (int)pn_len) > 0 &&
	     (n == 0 || EVP_DecryptUpdate(ctx, out, &got, ct, (int)n) > 0) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, QUIC_TAG_LEN, tag) > 0 &&
	     EVP_DecryptFinal_ex(ctx, out + (n ? got : 0), &fin) > 0;
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

/* Reads the frames of a decrypted Initial payload, handing each CRYPTO frame to fn; stops at
 * the end, at a frame not allowed or not read here, or at one that is not whole. */
static void quic_frames(const uint8_t *p, size_t len, inspect_frag_fn fn, void *arg)
{
	struct cursor c;
	uint64_t a, b, count, i;
	uint8_t type;

	cur_init(&c, p, len);
	/* Every frame takes at least its type byte, so len bounds the loop. */
	while (cur_u8(&c, &type)) {
		switch (type) {
		case QUIC_FRAME_PADDING:
		case QUIC_FRAME_PING:
			break;
		case QUIC_FRAME_ACK:
		case QUIC_FRAME_ACK_ECN:
			/* Largest, delay, range count, first range; then each range's gap and
			 * length, each at least a byte, so the bytes left bound the count. */
			if (!quic_varint(&c, &a) || !quic_varint(&c, &a) ||
			    !quic_varint(&c, &count) || !quic_varint(&c, &a))
				return;
			for (i = 0; i < count; i++)
				if (!quic_varint(&c, &a) || !quic_varint(&c, &b))
					return;
			for (i = 0; type == QUIC_FRAME_ACK_ECN && i < QUIC_ACK_ECN_COUNTS; i++)
				if (!quic_varint(&c, &a))
					return;
			break;
		case QUIC_FRAME_CRYPTO:
			if (!quic_varint(&c, &a) || !quic_varint(&c, &b) || b > cur_left(&c) ||
			    a + b > QUIC_OFFSET_LIMIT)
				return;
			if (b > 0)
				fn(arg, a, cur_ptr(&c), (size_t)b);
			c.off += (size_t)b;
			break;
		case QUIC_FRAME_CLOSE:
			/* Error code, frame type, reason phrase. */
			if (!quic_varint(&c, &a) || !quic_varint(&c, &a) || !quic_varint(&c, &b) ||
			    b > cur_left(&c) || !cur_skip(&c, (size_t)b))
				return;
			break;
		default:
			return;
		}
	}
}

/*
 * Decrypts the Initial packet pkt, whose header h was read with its packet number at pn_off
 * and its Length checked against what pkt holds, and reads its frames. Returns true when it
 * decrypted.
 */
static bool quic_initial_packet(const uint8_t *pkt, size_t pn_off, const struct quic_header *h,
				const struct quic_initial_params *p, inspect_frag_fn fn, void *arg)
{
	uint8_t plain[QUIC_PLAINTEXT_MAX], mask[QUIC_SAMPLE_LEN], pn[QUIC_PN_MAX_LEN];
	uint8_t nonce[QUIC_IV_LEN], first;
	struct quic_keys k;
	size_t pn_len, ct_len, i;
	uint64_t number = 0;

	/* QUIC_LENGTH_MIN: the sample lies within Length, and so do 4 packet number bytes and the
	 * tag. The payload is at most Length less a 1-byte packet number and the tag. */
	if (h->length - 1 - QUIC_TAG_LEN > QUIC_PLAINTEXT_MAX ||
	    !quic_client_keys(p, h->dcid, h->dcid_len, &k) ||
	    !quic_hp_mask(k.hp, pkt + pn_off + QUIC_SAMPLE_OFFSET, mask))
		return false;
	first = h->first ^ (mask[0] & QUIC_LONG_HP_BITS);
	pn_len = (size_t)(first & QUIC_PN_LEN_MASK) + 1;
	/* With no packet seen before, the expected number is 0 and the truncated number is the
	 * number itself (RFC 9000 A.3). */
	for (i = 0; i < pn_len; i++) {
		pn[i] = pkt[pn_off + i] ^ mask[1 + i];
		number = number << 8 | pn[i];
	}
	memcpy(nonce, k.iv, sizeof(nonce));
	for (i = 0; i < sizeof(number); i++)
		nonce[QUIC_IV_LEN - 1 - i] ^= (uint8_t)(number >> (8 * i));
	ct_len = (size_t)h->length - pn_len - QUIC_TAG_LEN;
	if (!quic_open(&k, nonce, first, pkt + 1, pn_off - 1, pn, pn_len, pkt + pn_off + pn_len,
		       ct_len, plain))
		return false;
	quic_frames(plain, ct_len, fn, arg);
	return true;
}

int inspect_quic_initial(const uint8_t *dgram, size_t len, inspect_frag_fn fn, void *arg)
{
	const struct quic_initial_params *p;
	struct quic_header h;
	struct cursor c;
	size_t start, i;
	bool greased;
	int n = 0;

	cur_init(&c, dgram, len);
	for (i = 0; i < QUIC_COALESCED_MAX && cur_left(&c) > 0; i++) {
		start = c.off;
		/* Only packets with a Length tell where the next one starts. */
		if (!quic_header(&c, &h, true) ||
		    (h.type != INSPECT_QUIC_PKT_INITIAL && h.type != INSPECT_QUIC_PKT_0RTT &&
		     h.type != INSPECT_QUIC_PKT_HANDSHAKE) ||
		    h.length > cur_left(&c))
			break;
		greased = (h.version & QUIC_GREASE_MASK) == QUIC_GREASE;
		p = greased ? &quic_draft29_params : quic_initial_params(h.version);
		/* A greased version's packet: as the latest draft's, as tshark takes it, or as
		 * version 1's, if it is either. */
		if (h.type == INSPECT_QUIC_PKT_INITIAL && p &&
		    (quic_initial_packet(dgram + start, c.off - start, &h, p, fn, arg) ||
		     (greased &&
		      quic_initial_packet(dgram + start, c.off - start, &h, &quic_v1_params, fn, arg))))
			n++;
		c.off += (size_t)h.length;
	}
	return n;
}
