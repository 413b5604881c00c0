/* SPDX-License-Identifier: BSD-2-Clause */
/* Reads captures: classic pcap (either byte order, us or ns) and pcapng. */
#ifndef PCAPREAD_H
#define PCAPREAD_H

#include <stddef.h>
#include <stdint.h>

/* An error message of this module fits in this. */
#define PCAPREAD_ERR_SIZE 160
/* The only link type read: Ethernet (LINKTYPE_ETHERNET). */
#define PCAPREAD_LINKTYPE_ETHERNET 1

struct pcap_packet {
	const uint8_t *data; /* the captured bytes; valid until pcapread_close() */
	uint32_t caplen; /* bytes in data */
	uint32_t len; /* bytes the frame had on the wire */
	uint64_t ts_ns; /* capture time, ns since the epoch (see pcapread_next) */
	uint32_t interface; /* pcapng interface id; 0 in classic pcap */
	uint64_t offset; /* byte offset of its record or block in the file */
};

struct pcapread;

/*
 * Opens a capture (mapped read-only) and reads its file header: classic
 * pcap in either byte order with microsecond (0xa1b2c3d4) or nanosecond
 * (0xa1b23c4d) timestamps, or pcapng (first block a Section Header). Returns
 * 0 and sets *out, or a negative errno with one line in err: the errno's
 * text for a file that cannot be opened (a directory: EISDIR), -EINVAL
 * with "not a regular file" (a FIFO or a device: never waited on), "not a
 * pcap or pcapng file" (empty file included), "link type N is not Ethernet
 * (1)" for a classic pcap of another link type, or a truncated header.
 */
int pcapread_open(struct pcapread **out, const char *path, char *err, size_t err_size);

/* As pcapread_open(), over size bytes at data instead of a file (the
 * fuzzer's inputs): data must stay valid and unchanged until
 * pcapread_close(), which leaves it alone. Errors as pcapread_open()'s
 * for the contents. */
int pcapread_open_mem(struct pcapread **out, const void *data, size_t size, char *err,
		      size_t err_size);

/*
 * Reads the next packet into *p. pcapng: Interface Description Blocks give
 * each interface its link type, timestamp resolution (if_tsresol) and
 * offset (if_tsoffset); Enhanced Packet Blocks and Simple Packet Blocks are
 * packets (an SPB has no time of its own: it takes the time of the packet
 * before it); other blocks are skipped; a new Section Header may change
 * the byte order. Returns 1 with a packet, 0 at the end of the file, or
 * -EINVAL with one line in err naming the byte offset: a record or block
 * cut short by the end of the file, a block length that is not a multiple
 * of 4 or disagrees with its trailing copy, a captured length over the
 * snapshot length or over the record, a packet on an interface that was
 * never described, or a packet of an interface whose link type is not
 * Ethernet. Everything returned before an error is valid.
 */
int pcapread_next(struct pcapread *r, struct pcap_packet *p, char *err, size_t err_size);

/* Bytes read so far and the file's size, for progress. */
uint64_t pcapread_offset(const struct pcapread *r);
uint64_t pcapread_size(const struct pcapread *r);

/* Unmaps (a file) and frees. NULL is fine. */
void pcapread_close(struct pcapread *r);

#endif /* PCAPREAD_H */
