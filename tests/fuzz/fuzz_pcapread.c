// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer harness for the capture reader: any bytes as a classic pcap or pcapng file,
 * gzip-compressed or not.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Icollector \
 *	tests/fuzz/fuzz_pcapread.c collector/pcapread.c -o /tmp/fuzz_pcapread -lz
 *   python3 tests/fuzz/pcap_seeds.py /tmp/pcap-seeds
 *   mkdir -p /tmp/pcap-corpus
 *   /tmp/fuzz_pcapread -max_total_time=120 /tmp/pcap-corpus /tmp/pcap-seeds
 *
 * The input is read from memory (pcapread_open_mem), from a copy of exactly its size, so that a
 * read past the end is ASan's. Besides memory errors, it checks what pcapread.h promises and
 * what --read relies on:
 *  - it never hangs: every packet moves the reader on by at least a record header, so a
 *    capture of n bytes gives fewer than n / 12 + 1 packets;
 *  - every packet is an Ethernet frame of a link type read: an Ethernet capture's frame is
 *    bytes of its own record, in place; another link type's is an empty frame, or 14 bytes of
 *    header followed by bytes of its record, no longer than the reader's limit plus those 14,
 *    with a wire length no shorter;
 *  - the end of the file is reported at its last byte, an error as one line naming a byte
 *    offset, and both stay when asked again;
 *  - a cut of the capture (at a point the input's last byte chooses) gives a prefix of the
 *    whole capture's packets, at least those whose records end before the cut, as --read of a
 *    capture cut short writes every packet before the cut (a pcapng refused at open for its
 *    interfaces may be cut before the verdict: then no packet);
 *  - a gzip-compressed input reads as what it decompresses to (decompressed here too, member
 *    after member), packet for packet, and ends as that does, or with an error when the stream
 *    stops early.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST
#include <zlib.h>
#include "pcapread.h"

/* The smallest record or block a packet comes in (a pcapng block frame), and the reader's
 * limit on a captured length (MAX_CAPLEN in pcapread.c, written out again so that a change
 * there shows). */
#define MIN_RECORD 12
#define CAPLEN_LIMIT 262144
#define ETH_HLEN 14
/* The gzip magic, and the most decompressed here (an input that decompresses to more is left
 * alone). */
#define GZIP_MAGIC "\x1f\x8b"
#define PLAIN_MAX (64 << 20)
#define CHUNK (1 << 16)

/* A packet as read, with where its record ended and a hash of its frame. */
struct seen {
	uint64_t offset, ts_ns, end, hash;
	uint32_t caplen, len, interface, linktype;
};

/* What one reading of a capture gave. */
struct reading {
	bool opened;
	int last; /* 0 at the end, or the error */
	size_t n;
	struct seen *pkts;
};

/* What a gzip input decompresses to: complete when its members ended with the input. */
struct plain {
	uint8_t *data;
	size_t size;
	bool complete;
};

/* Aborts (a crash libFuzzer reports) unless err is one non-empty line, terminated within the
 * buffer, that names a byte offset when want_offset says so. */
static void check_err(const char *err, bool want_offset)
{
	size_t len = strnlen(err, PCAPREAD_ERR_SIZE);

	if (len == 0 || len == PCAPREAD_ERR_SIZE || strchr(err, '\n'))
		abort();
	if (want_offset && !strstr(err, " at byte "))
		abort();
}

/* FNV-1a over n bytes. */
static uint64_t hash(const uint8_t *b, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

/* Whether the n bytes at b are somewhere in [from, to). */
static bool found_in(const uint8_t *from, const uint8_t *to, const uint8_t *b, size_t n)
{
	return !n || memmem(from, to - from, b, n);
}

/* Aborts unless p, read from the capture whose bytes (decompressed, if it is compressed) are
 * view and whose record of p ends at end, is the frame pcapread.h promises; in_place says that
 * view is what the reader reads, where an Ethernet frame must be. */
static void check_frame(const struct pcap_packet *p, const uint8_t *view, uint64_t end,
			bool in_place)
{
	const uint8_t *rec = view + p->offset, *rec_end = view + end;

	if (p->linktype == PCAPREAD_LINKTYPE_ETHERNET) {
		if (p->caplen > CAPLEN_LIMIT)
			abort();
		if (in_place ? p->data < rec || p->data > rec_end ||
				       p->caplen > (uint64_t)(rec_end - p->data) :
			       !found_in(rec, rec_end, p->data, p->caplen))
			abort();
		return;
	}
	if (!p->data || (!p->caplen && p->len))
		abort();
	if (p->caplen && (p->caplen < ETH_HLEN || p->caplen > CAPLEN_LIMIT + ETH_HLEN ||
			  p->len < p->caplen ||
			  !found_in(rec, rec_end, p->data + ETH_HLEN, p->caplen - ETH_HLEN)))
		abort();
}

/* Reads the size bytes at data as a capture into *out, checking every packet against view (of
 * view_size bytes: data itself, or what it decompresses to) and the end. */
static void read_all(const uint8_t *data, size_t size, const uint8_t *view, size_t view_size,
		     struct reading *out)
{
	char err[PCAPREAD_ERR_SIZE] = "";
	size_t max = view_size / MIN_RECORD + 1;
	struct pcapread *r;
	struct pcap_packet p;
	uint64_t pos;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = pcapread_open_mem(&r, data, size, err, sizeof(err));
	if (ret) {
		if (ret > 0 || r)
			abort();
		check_err(err, false);
		return;
	}
	out->opened = true;
	out->pkts = calloc(max, sizeof(*out->pkts));
	if (!out->pkts || pcapread_size(r) != view_size)
		abort();
	pos = pcapread_offset(r);
	while ((ret = pcapread_next(r, &p, err, sizeof(err))) == 1) {
		if (out->n == max || p.offset < pos || pcapread_offset(r) <= p.offset ||
		    pcapread_offset(r) > view_size)
			abort();
		pos = pcapread_offset(r);
		check_frame(&p, view, pos, view == data);
		out->pkts[out->n++] = (struct seen){
			.offset = p.offset,
			.ts_ns = p.ts_ns,
			.end = pos,
			.hash = hash(p.data, p.caplen),
			.caplen = p.caplen,
			.len = p.len,
			.interface = p.interface,
			.linktype = p.linktype,
		};
	}
	out->last = ret;
	if (ret == 0 && pcapread_offset(r) != view_size)
		abort();
	if (ret < 0)
		check_err(err, ret == -EINVAL);
	/* An end or an error stays. */
	if (pcapread_next(r, &p, err, sizeof(err)) != ret)
		abort();
	pcapread_close(r);
}

/* Decompresses the gzip input of size bytes at data, member after member, as far as it goes,
 * into *out; out->data is NULL when that would be more than PLAIN_MAX bytes. */
static void gunzip(const uint8_t *data, size_t size, struct plain *out)
{
	z_stream zs = { .next_in = data, .avail_in = size };
	size_t room = CHUNK;
	int zret;

	*out = (struct plain){ .data = malloc(room) };
	if (!out->data || inflateInit2(&zs, MAX_WBITS + 16) != Z_OK)
		abort();
	for (;;) {
		if (out->size == room) {
			room *= 2;
			out->data = room > PLAIN_MAX ? NULL : realloc(out->data, room);
			if (!out->data)
				break;
		}
		zs.next_out = out->data + out->size;
		zs.avail_out = room - out->size;
		zret = inflate(&zs, Z_NO_FLUSH);
		out->size = room - zs.avail_out;
		if (zret == Z_STREAM_END && !zs.avail_in) {
			out->complete = true;
			break;
		}
		if (zret == Z_STREAM_END && zs.avail_in >= 2 && !memcmp(zs.next_in, GZIP_MAGIC, 2))
			inflateReset(&zs);
		else if (zret != Z_OK)
			break;
	}
	inflateEnd(&zs);
}

/* Reads the size bytes at data, from an exact copy, checking it against what it decompresses
 * to when it is gzip (no more than PLAIN_MAX bytes: the caller checks). */
static void read_input(const uint8_t *data, size_t size, struct reading *out)
{
	uint8_t *copy = malloc(size ? size : 1);
	struct reading plain_reading;
	struct plain plain;
	size_t i;

	if (!copy)
		abort();
	if (size)
		memcpy(copy, data, size);
	if (size < 2 || memcmp(data, GZIP_MAGIC, 2)) {
		read_all(copy, size, copy, size, out);
		free(copy);
		return;
	}
	gunzip(data, size, &plain);
	if (!plain.data)
		abort();
	read_all(plain.data, plain.size, plain.data, plain.size, &plain_reading);
	read_all(copy, size, plain.data, plain.size, out);
	if (out->opened != plain_reading.opened || out->n != plain_reading.n)
		abort();
	for (i = 0; i < out->n; i++)
		if (memcmp(&out->pkts[i], &plain_reading.pkts[i], sizeof(out->pkts[i])))
			abort();
	if (out->opened && (plain.complete ? out->last != plain_reading.last : out->last != -EINVAL))
		abort();
	free(plain_reading.pkts);
	free(plain.data);
	free(copy);
}

/* Whether two readings returned the same packet. */
static bool same_packet(const struct seen *a, const struct seen *b)
{
	return !memcmp(a, b, sizeof(*a));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut = size ? size * data[size - 1] / 256 : 0, i;
	bool gz = size >= 2 && !memcmp(data, GZIP_MAGIC, 2);
	struct reading whole, part;
	struct plain plain;

	/* A cut decompresses to no more than the whole. */
	if (gz) {
		gunzip(data, size, &plain);
		if (!plain.data)
			return 0;
		free(plain.data);
	}
	read_input(data, size, &whole);
	read_input(data, cut, &part);
	/* A cut capture reads as the whole one up to the cut: nothing more, nothing less. */
	if (part.opened && !whole.opened && part.n)
		abort();
	if (part.opened && whole.opened) {
		if (part.n > whole.n)
			abort();
		for (i = 0; i < part.n; i++)
			if (!same_packet(&part.pkts[i], &whole.pkts[i]))
				abort();
		/* Offsets are the decompressed capture's: a cut of the stream is elsewhere. */
		if (!gz && part.n < whole.n && whole.pkts[part.n].end <= cut)
			abort();
	}
	free(whole.pkts);
	free(part.pkts);
	return 0;
}
