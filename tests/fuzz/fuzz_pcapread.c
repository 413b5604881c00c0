// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer harness for the capture reader: any bytes as a classic pcap or pcapng file.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icollector \
 *	tests/fuzz/fuzz_pcapread.c collector/pcapread.c -o /tmp/fuzz_pcapread
 *   tests/fuzz/pcap_seeds.sh /tmp/pcap-seeds
 *   mkdir -p /tmp/pcap-corpus
 *   /tmp/fuzz_pcapread -max_total_time=120 /tmp/pcap-corpus /tmp/pcap-seeds
 *
 * The input is read from memory (pcapread_open_mem), from a copy of exactly its size, so that a
 * read past the end is ASan's. Besides memory errors, it checks what pcapread.h promises and
 * what --read relies on:
 *  - it never hangs: every packet moves the reader on by at least a record header, so a
 *    capture of n bytes gives fewer than n / 12 + 1 packets;
 *  - a packet's bytes lie inside the capture, after its offset; its captured length is at most
 *    the reader's limit;
 *  - the end of the file is reported at its last byte, an error as one line naming a byte
 *    offset, and both stay when asked again;
 *  - a cut of the capture (at a point the input's last byte chooses) gives a prefix of the
 *    whole capture's packets, at least those whose records end before the cut, as --read of a
 *    capture cut short writes every packet before the cut.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pcapread.h"

/* The smallest record or block a packet comes in (a pcapng block frame), and the reader's
 * limit on a captured length (MAX_CAPLEN in pcapread.c, written out again so that a change
 * there shows). */
#define MIN_RECORD 12
#define CAPLEN_LIMIT 262144

/* A packet as read, with where its record ended; data as an offset into the capture. */
struct seen {
	uint64_t offset, ts_ns, end, data_off;
	uint32_t caplen, len, interface;
};

/* What one reading of a capture gave. */
struct reading {
	bool opened;
	int last; /* 0 at the end, or the error */
	size_t n;
	struct seen *pkts;
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

/* Reads the size bytes at data as a capture into *out, checking every packet and the end. */
static void read_all(const uint8_t *data, size_t size, struct reading *out)
{
	char err[PCAPREAD_ERR_SIZE] = "";
	size_t max = size / MIN_RECORD + 1;
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
	if (!out->pkts)
		abort();
	pos = pcapread_offset(r);
	while ((ret = pcapread_next(r, &p, err, sizeof(err))) == 1) {
		if (out->n == max || p.offset < pos || p.data < data + p.offset ||
		    p.caplen > CAPLEN_LIMIT || p.caplen > size || p.data > data + size - p.caplen ||
		    pcapread_offset(r) <= p.offset || pcapread_offset(r) > size)
			abort();
		pos = pcapread_offset(r);
		out->pkts[out->n++] = (struct seen){
			.offset = p.offset,
			.ts_ns = p.ts_ns,
			.end = pos,
			.data_off = (uint64_t)(p.data - data),
			.caplen = p.caplen,
			.len = p.len,
			.interface = p.interface,
		};
	}
	out->last = ret;
	if (ret == 0 && pcapread_offset(r) != size)
		abort();
	if (ret < 0)
		check_err(err, ret == -EINVAL);
	/* An end or an error stays. */
	if (pcapread_next(r, &p, err, sizeof(err)) != ret)
		abort();
	pcapread_close(r);
}

/* The reader over an exact copy of size bytes at data. */
static void read_copy(const uint8_t *data, size_t size, struct reading *out)
{
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		abort();
	if (size)
		memcpy(copy, data, size);
	read_all(copy, size, out);
	free(copy);
}

/* Whether two readings returned the same packet. */
static bool same_packet(const struct seen *a, const struct seen *b)
{
	return a->offset == b->offset && a->ts_ns == b->ts_ns && a->end == b->end &&
	       a->data_off == b->data_off && a->caplen == b->caplen && a->len == b->len &&
	       a->interface == b->interface;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut = size ? size * data[size - 1] / 256 : 0, i;
	struct reading whole, part;

	read_copy(data, size, &whole);
	read_copy(data, cut, &part);
	/* A cut capture reads as the whole one up to the cut: nothing more, nothing less. */
	if (part.opened) {
		if (!whole.opened || part.n > whole.n)
			abort();
		for (i = 0; i < part.n; i++)
			if (!same_packet(&part.pkts[i], &whole.pkts[i]))
				abort();
		if (part.n < whole.n && whole.pkts[part.n].end <= cut)
			abort();
	}
	free(whole.pkts);
	free(part.pkts);
	return 0;
}
