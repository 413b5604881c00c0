// SPDX-License-Identifier: BSD-2-Clause
/* DTLS: the ClientHello or ServerHello that opens a DTLS 1.0, 1.2 or 1.3 association over UDP
 * (RFC 6347, RFC 9147). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "inspect.h"
#include "wire.h"

#define DTLS_CONTENT_CCS 20
#define DTLS_CONTENT_HANDSHAKE 22
#define DTLS_CONTENT_HEARTBEAT 24
/* tls12_cid (25) has a connection id in its header, which is not read. */
#define DTLS_CONTENT_ACK 26
#define DTLS_VERSION_1_0 0xfeff
#define DTLS_VERSION_1_2 0xfefd
/* A record header after the type and version: epoch, 48-bit sequence number, length. */
#define DTLS_SEQUENCE_SIZE 6
/* The largest record DTLS allows (a DTLS 1.2 ciphertext: 2^14 + 2048). */
#define DTLS_RECORD_MAX (16384 + 2048)
/* The TLS framing put back in front of a reassembled body: type, 24-bit length. */
#define DTLS_TLS_HEADER 4
/* Loop bounds: a datagram of 64 KiB holds at most this many 13-byte record headers, and a
 * record at most this many 12-byte fragment headers. */
#define DTLS_MAX_RECORDS (65536 / 13 + 1)
#define DTLS_MAX_FRAGMENTS (DTLS_RECORD_MAX / 12 + 1)

/* Whether a content type is one a DTLSPlaintext record has. */
static bool dtls_content(uint8_t type)
{
	return (type >= DTLS_CONTENT_CCS && type <= DTLS_CONTENT_HEARTBEAT) ||
	       type == DTLS_CONTENT_ACK;
}

int inspect_dtls_fragments(const uint8_t *dgram, size_t len, uint8_t *msg_type, uint32_t *msg_len,
			   inspect_frag_fn fn, void *arg)
{
	struct cursor c, record, frag;
	uint16_t version, epoch, record_len, seq, first_seq = 0;
	uint32_t hs_len, offset, frag_len;
	uint8_t type, hs_type;
	bool first = true;
	int records, frags, n = 0;

	*msg_type = 0;
	*msg_len = 0;
	cur_init(&c, dgram, len);
	for (records = 0; records < DTLS_MAX_RECORDS; records++) {
		if (!cur_u8(&c, &type) || !cur_u16(&c, &version) || !cur_u16(&c, &epoch) ||
		    !cur_skip(&c, DTLS_SEQUENCE_SIZE) || !cur_u16(&c, &record_len))
			return n;
		if (!dtls_content(type) ||
		    (version != DTLS_VERSION_1_0 && version != DTLS_VERSION_1_2) ||
		    record_len > DTLS_RECORD_MAX)
			return n;
		cur_take(&c, record_len, &record);
		if (type != DTLS_CONTENT_HANDSHAKE || epoch != 0)
			continue;
		for (frags = 0; frags < DTLS_MAX_FRAGMENTS && cur_left(&record) > 0; frags++) {
			if (!cur_u8(&record, &hs_type) || !cur_u24(&record, &hs_len) ||
			    !cur_u16(&record, &seq) || !cur_u24(&record, &offset) ||
			    !cur_u24(&record, &frag_len))
				return n;
			if (offset > hs_len || frag_len > hs_len - offset)
				return n;
			cur_take(&record, frag_len, &frag);
			if (first) {
				*msg_type = hs_type;
				*msg_len = hs_len;
				first_seq = seq;
				first = false;
			} else if (hs_type != *msg_type || hs_len != *msg_len || seq != first_seq) {
				continue;
			}
			if (cur_left(&frag) > 0) {
				fn(arg, offset, cur_ptr(&frag), cur_left(&frag));
				n++;
			}
		}
	}
	return n;
}

/* A hello being put together: its TLS framing, then the body from offset 0 on, have bytes of
 * it so far; late: the datagram's first fragment was not the hello's start. */
struct dtls_hello {
	uint8_t msg[DTLS_TLS_HEADER + INSPECT_HELLO_MAX];
	size_t have;
	bool late;
};

/* inspect_dtls_fragments()'s callback: a fragment that follows on from what is there (or
 * overlaps its end) adds its new bytes, up to the bound; one after a gap is left out, and all
 * are once the first did not start at offset 0. */
static void dtls_gather(void *arg, uint64_t offset, const uint8_t *data, size_t n)
{
	struct dtls_hello *h = arg;
	size_t skip;

	if (!h->have && offset)
		h->late = true;
	if (h->late || offset > h->have || offset + n <= h->have)
		return;
	skip = h->have - (size_t)offset;
	n -= skip;
	if (n > INSPECT_HELLO_MAX - h->have)
		n = INSPECT_HELLO_MAX - h->have;
	memcpy(h->msg + DTLS_TLS_HEADER + h->have, data + skip, n);
	h->have += n;
}

int inspect_dtls(const uint8_t *buf, size_t len, struct inspect_result *r)
{
	struct dtls_hello h;
	uint32_t msg_len;
	uint8_t msg_type;

	result_clear(r);
	/* The first record a handshake record of epoch 0 (the header's bytes 3 and 4). */
	if (len < 5 || buf[0] != DTLS_CONTENT_HANDSHAKE || buf[3] != 0 || buf[4] != 0)
		return 0;
	h.have = 0;
	h.late = false;
	if (!inspect_dtls_fragments(buf, len, &msg_type, &msg_len, dtls_gather, &h) || !h.have ||
	    (msg_type != INSPECT_TLS_CLIENT_HELLO && msg_type != INSPECT_TLS_SERVER_HELLO))
		return 0;
	h.msg[0] = msg_type;
	h.msg[1] = (uint8_t)(msg_len >> 16);
	h.msg[2] = (uint8_t)(msg_len >> 8);
	h.msg[3] = (uint8_t)msg_len;
	return inspect_tls_hello(h.msg, DTLS_TLS_HEADER + h.have, INSPECT_TLS_DTLS, r);
}
