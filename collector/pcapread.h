/* SPDX-License-Identifier: BSD-2-Clause */
/* Reads captures (classic pcap and pcapng, gzip-compressed or not) as Ethernet frames. */
#ifndef PCAPREAD_H
#define PCAPREAD_H

#include <stddef.h>
#include <stdint.h>

/* An error message of this module fits in this. */
#define PCAPREAD_ERR_SIZE 256
/* Ethernet (LINKTYPE_ETHERNET): its frames are returned as they were captured. */
#define PCAPREAD_LINKTYPE_ETHERNET 1
/* The Ethernet header the reader writes before the network layer of another link type. */
#define PCAPREAD_ETH_HLEN 14
/* The ethertype of a frame whose link layer carries something that has none (PPP's LCP, a
 * loopback address family other than IPv4 and IPv6, a raw packet of another IP version): the
 * IEEE's Local Experimental Ethertype 1, which nothing parses, so that the frame counts as a
 * frame that is not IP. */
#define PCAPREAD_ETHERTYPE_OTHER 0x88b5

/* The link types read besides Ethernet (the LINKTYPE_ numbers of the formats). */
#define PCAPREAD_LINKTYPE_NULL 0 /* BSD loopback: a 4-byte address family, writer's order */
#define PCAPREAD_LINKTYPE_PPP 9 /* PPP, with or without address and control bytes */
#define PCAPREAD_LINKTYPE_RAW_12 12 /* raw IP, as most systems number DLT_RAW */
#define PCAPREAD_LINKTYPE_RAW_14 14 /* raw IP, as DLT_RAW is numbered on OpenBSD */
#define PCAPREAD_LINKTYPE_PPP_HDLC 50 /* PPP in HDLC-like framing, or Cisco HDLC */
#define PCAPREAD_LINKTYPE_PPP_ETHER 51 /* PPPoE: its header, as after an Ethernet header */
#define PCAPREAD_LINKTYPE_RAW 101 /* raw IPv4 or IPv6, by the version in the packet */
#define PCAPREAD_LINKTYPE_C_HDLC 104 /* Cisco HDLC: address, control, ethertype */
#define PCAPREAD_LINKTYPE_LOOP 108 /* OpenBSD loopback: the address family in network order */
#define PCAPREAD_LINKTYPE_LINUX_SLL 113 /* Linux cooked capture (tcpdump -i any) */
#define PCAPREAD_LINKTYPE_IPV4 228
#define PCAPREAD_LINKTYPE_IPV6 229
#define PCAPREAD_LINKTYPE_LINUX_SLL2 276 /* Linux cooked capture, version 2 */

/*
 * A packet, always as an Ethernet frame. An Ethernet capture's frame is the captured bytes
 * themselves, valid until pcapread_close(). Another link type's is made by the reader and valid
 * only until the next pcapread_next() on the same reader: an Ethernet header (destination 0,
 * source the link header's sender address when it has one of 6 bytes, else 0, and the
 * ethertype of what the link header says follows) and then the bytes after the link header.
 * caplen and len are those of that frame: the link header's bytes less, 14 more (len never
 * under caplen; a packet cut inside its link header has both 0).
 */
struct pcap_packet {
	const uint8_t *data; /* the frame: caplen bytes */
	uint32_t caplen; /* bytes in data */
	uint32_t len; /* bytes the frame had on the wire */
	uint64_t ts_ns; /* capture time, ns since the epoch (see pcapread_next) */
	uint32_t interface; /* pcapng interface id; 0 in classic pcap */
	uint32_t linktype; /* the link type it was captured with */
	uint64_t offset; /* byte offset of its record or block in the (decompressed) capture */
};

struct pcapread;

/*
 * Opens a capture (mapped read-only) and reads its file header: classic pcap in either byte
 * order with microsecond (0xa1b2c3d4) or nanosecond (0xa1b23c4d) timestamps, or pcapng (first
 * block a Section Header), of the link types above. A gzip-compressed capture (one or more
 * gzip members, whatever the file's name) is first decompressed into an unlinked temporary file
 * in $TMPDIR (else /tmp), which is mapped instead; every byte offset is then one of the
 * decompressed capture. Returns 0 and sets *out, or a negative errno with one line in err: the
 * errno's text for a file that cannot be opened (a directory: EISDIR), -EINVAL with "not a
 * regular file" (a FIFO or a device: never waited on), "not a pcap or pcapng file" (an empty
 * file included; anything else gzip-compressed too, said once its first 4 bytes are out, not
 * once all of it is decompressed), a classic pcap of a link type not read (the line lists those read), a pcapng whose
 * interfaces before its first packet are all of link types not read, a truncated header, a
 * gzip stream corrupt or cut short before a whole file header, or the errno of a temporary file
 * that cannot be made or written (a full disk: -ENOSPC).
 */
int pcapread_open(struct pcapread **out, const char *path, char *err, size_t err_size);

/* As pcapread_open(), over size bytes at data instead of a file (the fuzzer's inputs): data
 * must stay valid and unchanged until pcapread_close(), which leaves it alone (a compressed
 * capture is decompressed to a temporary file all the same). Errors as pcapread_open()'s for
 * the contents. */
int pcapread_open_mem(struct pcapread **out, const void *data, size_t size, char *err,
		      size_t err_size);

/*
 * Reads the next packet into *p. pcapng: Interface Description Blocks give each interface its
 * link type, timestamp resolution (if_tsresol) and offset (if_tsoffset); Enhanced Packet Blocks,
 * obsolete Packet Blocks and Simple Packet Blocks are packets (an SPB has no time of its own: it takes the time of the
 * packet before it); other blocks are skipped; a new Section Header may change the byte order.
 * Returns 1 with a packet, 0 at the end of the capture, -ENOMEM for an interface there is no
 * room for, or -EINVAL with one line in err naming the byte offset: a record or block cut short
 * by the end of the file, a block length that is not a multiple of 4 or disagrees with its
 * trailing copy, a captured length over the snapshot length or over the record, a packet on an
 * interface that was never described, a packet of an interface whose link type is not read,
 * or, in a compressed capture, a gzip stream that is corrupt, cut short or followed by other
 * bytes (said once every packet decompressed before it has been returned). Everything
 * returned before an error is valid.
 */
int pcapread_next(struct pcapread *r, struct pcap_packet *p, char *err, size_t err_size);

/* Bytes read so far and the (decompressed) capture's size, for progress. */
uint64_t pcapread_offset(const struct pcapread *r);
uint64_t pcapread_size(const struct pcapread *r);

/* A short name of a link type read ("ether", "sll", "raw" ...), or NULL
 * for one that is not read. */
const char *pcapread_linktype_name(uint32_t linktype);

/* Unmaps (a file, a decompressed capture) and frees. NULL is fine. */
void pcapread_close(struct pcapread *r);

#endif /* PCAPREAD_H */
