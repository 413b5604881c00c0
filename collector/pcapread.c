// SPDX-License-Identifier: BSD-2-Clause
/* Reads classic pcap and pcapng captures, gzip-compressed or not, from a read-only mapping,
 * checking every length, and gives every packet to the caller as an Ethernet frame. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#define ZLIB_CONST
#include <zlib.h>
#include "pcapread.h"

/* Classic pcap: the magic is written in the byte order of the host that wrote the file. */
#define PCAP_MAGIC_US 0xa1b2c3d4
#define PCAP_MAGIC_NS 0xa1b23c4d
#define PCAP_MAGIC_SIZE 4
#define PCAP_HEADER_SIZE 24
#define PCAP_HEADER_SNAPLEN 16
#define PCAP_HEADER_LINKTYPE 20
#define PCAP_RECORD_SIZE 16
#define PCAP_RECORD_TS_SEC 0
#define PCAP_RECORD_TS_FRAC 4
#define PCAP_RECORD_CAPLEN 8
#define PCAP_RECORD_LEN 12

/* pcapng block types; the Section Header's reads the same in either byte order. */
#define PCAPNG_SHB 0x0a0d0d0a
#define PCAPNG_IDB 1
#define PCAPNG_SPB 3
#define PCAPNG_EPB 6
/* The obsolete Packet Block: an EPB whose interface id is 16 bits, then a
 * drop count of 16 bits. Old writers (Wireshark before 1.8) made it. */
#define PCAPNG_PB 2
#define PCAPNG_BYTE_ORDER_MAGIC 0x1a2b3c4d
#define PCAPNG_VERSION_MAJOR 1

/* Every block is its type, its length, a body and the length again. */
#define BLOCK_TYPE 0
#define BLOCK_LENGTH 4
#define BLOCK_HEADER_SIZE 8
#define BLOCK_TRAILER_SIZE 4
#define BLOCK_MIN_SIZE (BLOCK_HEADER_SIZE + BLOCK_TRAILER_SIZE)
#define BLOCK_ALIGN 4

/* Fields of the blocks that are read, as offsets from the block's start, and
 * each type's smallest block: its fixed fields with no data and no options. */
#define SHB_BYTE_ORDER 8
#define SHB_VERSION_MAJOR 12
#define SHB_VERSION_MINOR 14
#define SHB_MIN_SIZE 28
#define IDB_LINKTYPE 8
#define IDB_SNAPLEN 12
#define IDB_OPTIONS 16
#define IDB_MIN_SIZE 20
#define EPB_INTERFACE 8
#define EPB_TS_HIGH 12
#define EPB_TS_LOW 16
#define EPB_CAPLEN 20
#define EPB_LEN 24
#define EPB_DATA 28
#define EPB_MIN_SIZE 32
#define SPB_LEN 8
#define SPB_DATA 12
#define SPB_MIN_SIZE 16

/* Options: a 16-bit code, a 16-bit length and the value, padded to 4 bytes. */
#define OPT_CODE 0
#define OPT_LENGTH 2
#define OPT_HEADER_SIZE 4
#define OPT_ENDOFOPT 0
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSRESOL_SIZE 1
#define OPT_IF_TSOFFSET 14
#define OPT_IF_TSOFFSET_SIZE 8
/* if_tsresol: the high bit picks powers of 2 over powers of 10; the rest is the exponent. */
#define TSRESOL_POW2 0x80
#define TSRESOL_EXP_MASK 0x7f
#define TSRESOL_DEFAULT 6 /* microseconds, when an interface has no if_tsresol */

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_USEC 1000ULL
#define NSEC_DIGITS 9
/* Caps a captured length whatever the headers say (tcpdump's largest snapshot length), so
 * that a corrupt length is reported rather than trusted. */
#define MAX_CAPLEN 262144
/* The interface list starts with room for this many and doubles. */
#define IFACES_INITIAL 4

/* The link types read, for the messages that refuse the others. */
#define LINKTYPES_READ                                                                 \
	"Ethernet (1), Linux cooked (113, 276), raw IP (101, 228, 229, 12, 14), loopback " \
	"(0, 108), PPP (9, 50), PPPoE (51) and Cisco HDLC (104)"

/* Link headers: Linux cooked capture (SLL) and its version 2, with their fields. */
#define SLL_HALEN 4
#define SLL_ADDR 6
#define SLL_PROTOCOL 14
#define SLL_SIZE 16
#define SLL2_PROTOCOL 0
#define SLL2_HALEN 11
#define SLL2_ADDR 12
#define SLL2_SIZE 20
/* A link address as long as an Ethernet one is taken as the frame's source. */
#define MAC_SIZE 6
/* BSD loopback: the address family, 4 bytes. Its AF_INET is 2 everywhere; AF_INET6 is 24 on
 * NetBSD and OpenBSD, 28 on FreeBSD and 30 on macOS. */
#define LOOP_SIZE 4
#define BSD_AF_INET 2
#define BSD_AF_INET6_BSD 24
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN 30
/* PPP (RFC 1661, 1662): optional address and control bytes, then a protocol of 2 bytes, or of 1
 * when compressed (protocol field compression: an odd first byte). */
#define PPP_ADDRESS 0xff
#define PPP_CONTROL 0x03
#define PPP_PFC_BIT 0x01
#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057
/* Cisco HDLC: an address (unicast or multicast), a control byte, then an ethertype. */
#define CHDLC_UNICAST 0x0f
#define CHDLC_MULTICAST 0x8f
#define CHDLC_PROTOCOL 2
#define CHDLC_SIZE 4
/* Raw IP: the version in the first byte's high nibble. */
#define IP_VERSION_SHIFT 4
/* Ethertypes; a smaller value of a protocol field is not one (an 802.3 length, or a Linux
 * protocol number such as 802.2 LLC's). */
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_MIN 0x0600
#define ETHERTYPE_PPPOE_DISCOVERY 0x8863
#define ETHERTYPE_PPPOE_SESSION 0x8864
/* The PPPoE header's code: 0 in a session's packets, a discovery stage's
 * own otherwise (RFC 2516). */
#define PPPOE_CODE 1
#define ETH_ADDRS 12 /* the two addresses before the ethertype */

/* gzip: the magic of every member, and the bytes decompressed at a time. */
#define GZIP_MAGIC_0 0x1f
#define GZIP_MAGIC_1 0x8b
#define GZIP_WINDOW_BITS (MAX_WBITS + 16) /* a gzip header and trailer, not zlib's */
#define GZIP_CHUNK (1 << 16)
/* What a gzip problem says, with the bytes decompressed before it. */
#define GZIP_ERR_SIZE 128

/* A pcapng interface, as its Interface Description Block describes it. */
struct iface {
	uint16_t linktype;
	bool read; /* its link type is read (looked up once, not per packet) */
	uint32_t snaplen; /* 0: no limit */
	uint8_t tsresol; /* the raw if_tsresol byte */
	int64_t tsoffset; /* seconds added to every timestamp */
};

struct pcapread {
	const uint8_t *map; /* the capture's bytes; NULL until mapped */
	bool mapped; /* map is this reader's own mapping, unmapped at close */
	uint64_t size, pos; /* pos: the next record or block */
	uint64_t populated; /* map's page tables are filled up to here (populate_ahead()) */
	bool pcapng;
	bool swap; /* the file's (or section's) byte order is not ours */

	/* A compressed capture: map holds its decompressed bytes; gz_error says what stopped its
	 * stream early, if anything did. */
	char gz_error[GZIP_ERR_SIZE];

	/* The Ethernet frame made of a packet of another link type: room for the largest that
	 * the snapshot lengths allow. */
	uint8_t *frame;
	size_t frame_size;

	/* Classic pcap. */
	bool nanosecond;
	uint32_t snaplen, linktype;

	/* pcapng: the current section's interfaces, by id. */
	struct iface *ifaces;
	size_t n_ifaces, cap_ifaces;
	uint64_t last_ts_ns; /* of the latest packet, for Simple Packet Blocks */
};

/* Writes a one-line message to err and evaluates to -EINVAL, for `return fail(...)`. A macro,
 * not a function, so that the compiler sees that every error return is nonzero. */
#define fail(err, err_size, ...) (snprintf(err, err_size, __VA_ARGS__), -EINVAL)

/* Says what stopped a compressed capture's stream early, and that reading stops at byte off. */
#define fail_gz(r, off, err, err_size)                                                        \
	fail(err, err_size, "%s; reading stops at byte %" PRIu64, (r)->gz_error, (uint64_t)(off))

/* As fail(), for a header, record or block at off that the end of the capture cuts short: in a
 * compressed capture whose stream stopped early, that end is the stream's, which is said
 * instead. */
#define fail_cut(r, off, err, err_size, ...) \
	((r)->gz_error[0] ? fail_gz(r, off, err, err_size) : fail(err, err_size, __VA_ARGS__))

/* Writes errno's text to err. Returns -errnum. */
static int fail_errno(char *err, size_t err_size, int errnum)
{
	snprintf(err, err_size, "%s", strerror(errnum));
	return -errnum;
}

/* The 16-bit field at off, which the caller has checked lies within the file, in the file's
 * byte order. */
static uint16_t get16(const struct pcapread *r, uint64_t off)
{
	uint16_t v;

	memcpy(&v, r->map + off, sizeof(v));
	return r->swap ? __builtin_bswap16(v) : v;
}

/* As get16(), 32 bits. */
static uint32_t get32(const struct pcapread *r, uint64_t off)
{
	uint32_t v;

	memcpy(&v, r->map + off, sizeof(v));
	return r->swap ? __builtin_bswap32(v) : v;
}

/* As get16(), 64 bits. */
static uint64_t get64(const struct pcapread *r, uint64_t off)
{
	uint64_t v;

	memcpy(&v, r->map + off, sizeof(v));
	return r->swap ? __builtin_bswap64(v) : v;
}

/* Checks a packet's captured length against the sanity cap and the snapshot length (0: none).
 * Returns 0, or -EINVAL naming the packet at off. */
static int check_caplen(uint32_t caplen, uint32_t snaplen, uint64_t off, char *err, size_t err_size)
{
	if (caplen > MAX_CAPLEN)
		return fail(err, err_size,
			    "packet at byte %" PRIu64 " has %" PRIu32
			    " captured bytes, over the limit of %d",
			    off, caplen, MAX_CAPLEN);
	if (snaplen && caplen > snaplen)
		return fail(err, err_size,
			    "packet at byte %" PRIu64 " has %" PRIu32
			    " captured bytes, over the snapshot length of %" PRIu32,
			    off, caplen, snaplen);
	return 0;
}

const char *pcapread_linktype_name(uint32_t linktype)
{
	switch (linktype) {
	case PCAPREAD_LINKTYPE_ETHERNET:
		return "ether";
	case PCAPREAD_LINKTYPE_NULL:
		return "null";
	case PCAPREAD_LINKTYPE_PPP:
		return "ppp";
	case PCAPREAD_LINKTYPE_RAW_12:
	case PCAPREAD_LINKTYPE_RAW_14:
	case PCAPREAD_LINKTYPE_RAW:
		return "raw";
	case PCAPREAD_LINKTYPE_PPP_HDLC:
		return "ppp-hdlc";
	case PCAPREAD_LINKTYPE_PPP_ETHER:
		return "ppp-ether";
	case PCAPREAD_LINKTYPE_C_HDLC:
		return "chdlc";
	case PCAPREAD_LINKTYPE_LOOP:
		return "loop";
	case PCAPREAD_LINKTYPE_LINUX_SLL:
		return "sll";
	case PCAPREAD_LINKTYPE_IPV4:
		return "ipv4";
	case PCAPREAD_LINKTYPE_IPV6:
		return "ipv6";
	case PCAPREAD_LINKTYPE_LINUX_SLL2:
		return "sll2";
	default:
		return NULL;
	}
}

/* Whether packets of a link type are read. */
static bool linktype_read(uint32_t linktype)
{
	return pcapread_linktype_name(linktype) != NULL;
}

/* Makes room for the Ethernet frames made of the packets of a link type read that is not
 * Ethernet, of a snapshot length (0: none): its largest captured length with an Ethernet header
 * instead of none. Returns 0, or -ENOMEM. */
static int frame_room(struct pcapread *r, uint32_t linktype, uint32_t snaplen, char *err,
		      size_t err_size)
{
	size_t size = (snaplen && snaplen < MAX_CAPLEN ? snaplen : MAX_CAPLEN) + PCAPREAD_ETH_HLEN;
	uint8_t *grown;

	if (linktype == PCAPREAD_LINKTYPE_ETHERNET || !linktype_read(linktype) ||
	    size <= r->frame_size)
		return 0;
	grown = realloc(r->frame, size);
	if (!grown)
		return fail_errno(err, err_size, ENOMEM);
	r->frame = grown;
	r->frame_size = size;
	return 0;
}

/* What a link header says: its length, and the Ethernet header to put in its place. */
struct link {
	uint32_t size;
	uint16_t ethertype;
	const uint8_t *src; /* the sender's address of 6 bytes, or NULL */
};

/* The big-endian 16-bit number at b. */
static uint16_t be16(const uint8_t *b)
{
	return b[0] << 8 | b[1];
}

/* A protocol field that holds an ethertype as it is, any other value as one that is not IP. */
static uint16_t ethertype_or_other(uint16_t protocol)
{
	return protocol >= ETHERTYPE_MIN ? protocol : PCAPREAD_ETHERTYPE_OTHER;
}

/* The ethertype of a BSD loopback address family. */
static uint16_t family_ethertype(uint32_t family)
{
	switch (family) {
	case BSD_AF_INET:
		return ETHERTYPE_IPV4;
	case BSD_AF_INET6_BSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN:
		return ETHERTYPE_IPV6;
	default:
		return PCAPREAD_ETHERTYPE_OTHER;
	}
}

/* The ethertype of the BSD loopback header at d: an address family of 4 bytes, in the byte
 * order of the writer's host (NULL) or big-endian (LOOP). Every family fits in 16 bits, so that
 * of the two orders the one that gives a value that does is the writer's, whatever the file's
 * (a tool of another host may have rewritten its header). */
static uint16_t loop_ethertype(const uint8_t *d)
{
	uint32_t family = (uint32_t)d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3];

	if (family > UINT16_MAX)
		family = __builtin_bswap32(family);
	return family_ethertype(family);
}

/* Reads the PPP header (address and control bytes if any, then the protocol, compressed or
 * not) at the start of the caplen bytes at d into *l. Returns false when they end inside it. */
static bool ppp_header(const uint8_t *d, uint32_t caplen, struct link *l)
{
	uint32_t at = caplen >= 2 && d[0] == PPP_ADDRESS && d[1] == PPP_CONTROL ? 2 : 0;
	uint16_t protocol;

	if (caplen <= at)
		return false;
	if (d[at] & PPP_PFC_BIT) {
		protocol = d[at];
		l->size = at + 1;
	} else if (caplen - at >= 2) {
		protocol = be16(d + at);
		l->size = at + 2;
	} else {
		return false;
	}
	l->ethertype = protocol == PPP_IPV4 ? ETHERTYPE_IPV4 :
		       protocol == PPP_IPV6 ? ETHERTYPE_IPV6 :
					      PCAPREAD_ETHERTYPE_OTHER;
	return true;
}

/*
 * Reads the link header of a packet of a link type read that is not Ethernet, at the start of
 * its caplen bytes at d, into *l. Linux cooked captures give an ethertype and the sender's
 * address; raw IP the version of its first byte; loopback an address family; PPP a protocol;
 * Cisco HDLC an ethertype. Returns false when the bytes end inside the header, or before the
 * byte that says what follows it.
 */
static bool link_header(uint32_t linktype, const uint8_t *d, uint32_t caplen, struct link *l)
{
	*l = (struct link){ .ethertype = PCAPREAD_ETHERTYPE_OTHER };
	switch (linktype) {
	case PCAPREAD_LINKTYPE_LINUX_SLL:
		if (caplen < SLL_SIZE)
			return false;
		l->size = SLL_SIZE;
		l->ethertype = ethertype_or_other(be16(d + SLL_PROTOCOL));
		l->src = be16(d + SLL_HALEN) == MAC_SIZE ? d + SLL_ADDR : NULL;
		return true;
	case PCAPREAD_LINKTYPE_LINUX_SLL2:
		if (caplen < SLL2_SIZE)
			return false;
		l->size = SLL2_SIZE;
		l->ethertype = ethertype_or_other(be16(d + SLL2_PROTOCOL));
		l->src = d[SLL2_HALEN] == MAC_SIZE ? d + SLL2_ADDR : NULL;
		return true;
	case PCAPREAD_LINKTYPE_RAW:
	case PCAPREAD_LINKTYPE_RAW_12:
	case PCAPREAD_LINKTYPE_RAW_14:
		if (!caplen)
			return false;
		if (d[0] >> IP_VERSION_SHIFT == 4)
			l->ethertype = ETHERTYPE_IPV4;
		else if (d[0] >> IP_VERSION_SHIFT == 6)
			l->ethertype = ETHERTYPE_IPV6;
		return true;
	case PCAPREAD_LINKTYPE_IPV4:
		l->ethertype = ETHERTYPE_IPV4;
		return true;
	case PCAPREAD_LINKTYPE_PPP_ETHER:
		/* The PPPoE header stays: the program parses a session's. */
		if (caplen <= PPPOE_CODE)
			return false;
		l->ethertype = d[PPPOE_CODE] ? ETHERTYPE_PPPOE_DISCOVERY : ETHERTYPE_PPPOE_SESSION;
		return true;
	case PCAPREAD_LINKTYPE_IPV6:
		l->ethertype = ETHERTYPE_IPV6;
		return true;
	case PCAPREAD_LINKTYPE_NULL:
	case PCAPREAD_LINKTYPE_LOOP:
		if (caplen < LOOP_SIZE)
			return false;
		l->size = LOOP_SIZE;
		l->ethertype = loop_ethertype(d);
		return true;
	case PCAPREAD_LINKTYPE_PPP_HDLC:
		/* HDLC-like framing is PPP's (address 0xff, or none) or, by its address, Cisco's. */
		if (!caplen || (d[0] != CHDLC_UNICAST && d[0] != CHDLC_MULTICAST))
			return ppp_header(d, caplen, l);
		/* fallthrough */
	case PCAPREAD_LINKTYPE_C_HDLC:
		if (caplen < CHDLC_SIZE)
			return false;
		l->size = CHDLC_SIZE;
		l->ethertype = ethertype_or_other(be16(d + CHDLC_PROTOCOL));
		return true;
	default: /* PCAPREAD_LINKTYPE_PPP */
		return ppp_header(d, caplen, l);
	}
}

/*
 * Makes packet p, of a link type read that is not Ethernet, an Ethernet frame in r->frame: an
 * Ethernet header for its link header, then what follows that, as struct pcap_packet says. A
 * packet that ends inside its link header becomes an empty frame (caplen and len 0), which the
 * collector counts as malformed as it does an Ethernet frame cut inside its header.
 */
static void to_ethernet(struct pcapread *r, struct pcap_packet *p)
{
	uint8_t *f = r->frame;
	uint64_t len;
	struct link l;

	if (!link_header(p->linktype, p->data, p->caplen, &l)) {
		*p = (struct pcap_packet){ .data = f, .ts_ns = p->ts_ns, .interface = p->interface,
					   .linktype = p->linktype, .offset = p->offset };
		return;
	}
	memset(f, 0, MAC_SIZE);
	if (l.src)
		memcpy(f + MAC_SIZE, l.src, MAC_SIZE);
	else
		memset(f + MAC_SIZE, 0, MAC_SIZE);
	f[ETH_ADDRS] = l.ethertype >> 8;
	f[ETH_ADDRS + 1] = l.ethertype & 0xff;
	memcpy(f + PCAPREAD_ETH_HLEN, p->data + l.size, p->caplen - l.size);
	p->caplen = p->caplen - l.size + PCAPREAD_ETH_HLEN;
	len = (uint64_t)(p->len > l.size ? p->len - l.size : 0) + PCAPREAD_ETH_HLEN;
	if (len < p->caplen)
		len = p->caplen;
	p->len = len < UINT32_MAX ? len : UINT32_MAX;
	p->data = f;
}

/* The end of the capture, at r->pos: 0, or -EINVAL when it is where a compressed capture's
 * stream stopped early, which err then says. */
static int capture_end(const struct pcapread *r, char *err, size_t err_size)
{
	return r->gz_error[0] ? fail_gz(r, r->pos, err, err_size) : 0;
}

/* Reads the classic pcap file header; the magic, already matched, gives the byte order and
 * the resolution. Returns 0, -EINVAL for a short header or a link type not read, or -ENOMEM. */
static int classic_open(struct pcapread *r, uint32_t magic, char *err, size_t err_size)
{
	r->swap = magic == __builtin_bswap32(PCAP_MAGIC_US) ||
		  magic == __builtin_bswap32(PCAP_MAGIC_NS);
	r->nanosecond = magic == PCAP_MAGIC_NS || magic == __builtin_bswap32(PCAP_MAGIC_NS);
	if (r->size < PCAP_HEADER_SIZE)
		return fail_cut(r, 0, err, err_size, "truncated pcap file header at byte 0");
	/* The whole field, so that Ethernet with the FCS flags of newer writers is refused too:
	 * those frames end in 4 bytes that are not payload. */
	r->linktype = get32(r, PCAP_HEADER_LINKTYPE);
	if (!linktype_read(r->linktype))
		return fail(err, err_size,
			    "link type %" PRIu32 " is not read: the link types read are " LINKTYPES_READ,
			    r->linktype);
	r->snaplen = get32(r, PCAP_HEADER_SNAPLEN);
	r->pos = PCAP_HEADER_SIZE;
	return frame_room(r, r->linktype, r->snaplen, err, err_size);
}

/* Reads the classic pcap record at r->pos into *p. Returns 1, 0 at the end of the capture, or
 * -EINVAL for a record cut short, a bad captured length or a compressed stream that stopped
 * early. */
static int classic_next(struct pcapread *r, struct pcap_packet *p, char *err, size_t err_size)
{
	uint64_t off = r->pos, room = r->size - r->pos, frac_ns;
	uint32_t caplen;
	int ret;

	if (!room)
		return capture_end(r, err, err_size);
	if (room < PCAP_RECORD_SIZE)
		return fail_cut(r, off, err, err_size, "truncated packet record at byte %" PRIu64,
				off);
	caplen = get32(r, off + PCAP_RECORD_CAPLEN);
	ret = check_caplen(caplen, r->snaplen, off, err, err_size);
	if (ret)
		return ret;
	if (caplen > room - PCAP_RECORD_SIZE)
		return fail_cut(r, off, err, err_size,
				"packet record of %" PRIu64 " bytes at byte %" PRIu64
				" runs past the end of the file (%" PRIu64 " bytes)",
				(uint64_t)PCAP_RECORD_SIZE + caplen, off, r->size);
	/* A fraction of a second over 10^6 (or 10^9) is kept as a carry into the seconds, as it
	 * was written; both fields are 32 bits, so the sum cannot overflow. */
	frac_ns = get32(r, off + PCAP_RECORD_TS_FRAC);
	if (!r->nanosecond)
		frac_ns *= NSEC_PER_USEC;
	*p = (struct pcap_packet){
		.data = r->map + off + PCAP_RECORD_SIZE,
		.caplen = caplen,
		.len = get32(r, off + PCAP_RECORD_LEN),
		.ts_ns = get32(r, off + PCAP_RECORD_TS_SEC) * NSEC_PER_SEC + frac_ns,
		.interface = 0,
		.linktype = r->linktype,
		.offset = off,
	};
	r->pos += PCAP_RECORD_SIZE + caplen;
	return 1;
}

/* The smallest block of a type: the fixed fields of those that are read, the frame of any
 * other. */
static uint32_t block_min_size(uint32_t type)
{
	switch (type) {
	case PCAPNG_SHB:
		return SHB_MIN_SIZE;
	case PCAPNG_IDB:
		return IDB_MIN_SIZE;
	case PCAPNG_EPB:
	case PCAPNG_PB:
		return EPB_MIN_SIZE;
	case PCAPNG_SPB:
		return SPB_MIN_SIZE;
	default:
		return BLOCK_MIN_SIZE;
	}
}

/*
 * Checks the frame of the pcapng block at off: its header within the file, a length that is a
 * multiple of 4, at least its type's minimum, within the file and repeated at its end. A Section
 * Header sets r->swap first from its byte-order magic, since that order applies to its own
 * length. Returns 0 with *type and *len, or -EINVAL.
 */
static int block_frame(struct pcapread *r, uint64_t off, uint32_t *type, uint32_t *len,
		       char *err, size_t err_size)
{
	uint64_t room = r->size - off;
	uint32_t bom, trailer, min;

	if (room < BLOCK_HEADER_SIZE)
		return fail_cut(r, off, err, err_size,
				"truncated pcapng block header at byte %" PRIu64, off);
	*type = get32(r, off + BLOCK_TYPE);
	if (*type == PCAPNG_SHB) {
		if (room < SHB_BYTE_ORDER + sizeof(bom))
			return fail_cut(r, off, err, err_size,
					"truncated pcapng block header at byte %" PRIu64, off);
		memcpy(&bom, r->map + off + SHB_BYTE_ORDER, sizeof(bom));
		if (bom == PCAPNG_BYTE_ORDER_MAGIC)
			r->swap = false;
		else if (bom == __builtin_bswap32(PCAPNG_BYTE_ORDER_MAGIC))
			r->swap = true;
		else
			return fail(err, err_size,
				    "pcapng section header at byte %" PRIu64
				    " has no byte-order magic",
				    off);
	}
	*len = get32(r, off + BLOCK_LENGTH);
	if (*len % BLOCK_ALIGN)
		return fail(err, err_size,
			    "pcapng block at byte %" PRIu64 " has length %" PRIu32
			    ", not a multiple of %d",
			    off, *len, BLOCK_ALIGN);
	min = block_min_size(*type);
	if (*len < min)
		return fail(err, err_size,
			    "pcapng block of type 0x%" PRIx32 " at byte %" PRIu64
			    " has length %" PRIu32 ", under the minimum of %" PRIu32,
			    *type, off, *len, min);
	if (*len > room)
		return fail_cut(r, off, err, err_size,
				"pcapng block of %" PRIu32 " bytes at byte %" PRIu64
				" runs past the end of the file (%" PRIu64 " bytes)",
				*len, off, r->size);
	trailer = get32(r, off + *len - BLOCK_TRAILER_SIZE);
	if (trailer != *len)
		return fail(err, err_size,
			    "pcapng block at byte %" PRIu64 " has trailing length %" PRIu32
			    ", not %" PRIu32,
			    off, trailer, *len);
	return 0;
}

/* Starts the section whose framed header is at off: its interfaces are its own. Returns 0, or
 * -EINVAL for a major version other than 1. */
static int start_section(struct pcapread *r, uint64_t off, char *err, size_t err_size)
{
	uint16_t major = get16(r, off + SHB_VERSION_MAJOR);

	if (major != PCAPNG_VERSION_MAJOR)
		return fail(err, err_size,
			    "pcapng section header at byte %" PRIu64
			    " has version %u.%u: only %d.x is read",
			    off, major, get16(r, off + SHB_VERSION_MINOR), PCAPNG_VERSION_MAJOR);
	r->n_ifaces = 0;
	return 0;
}

/* Reads if_tsresol and if_tsoffset from the options of the framed Interface Description Block
 * at off (of len bytes) into *ifc, skipping the others. Returns 0, or -EINVAL for an option
 * that runs past the block or one of those two with the wrong length. */
static int read_iface_options(const struct pcapread *r, uint64_t off, uint32_t len,
			      struct iface *ifc, char *err, size_t err_size)
{
	uint64_t pos = off + IDB_OPTIONS, end = off + len - BLOCK_TRAILER_SIZE;
	uint16_t code, olen, want;
	uint32_t padded;

	/* Block lengths and padded options are multiples of 4, so no partial header is left. */
	while (end - pos >= OPT_HEADER_SIZE) {
		code = get16(r, pos + OPT_CODE);
		olen = get16(r, pos + OPT_LENGTH);
		if (code == OPT_ENDOFOPT)
			break;
		padded = (olen + BLOCK_ALIGN - 1) & ~(uint32_t)(BLOCK_ALIGN - 1);
		if (padded > end - pos - OPT_HEADER_SIZE)
			return fail(err, err_size,
				    "option %u of the pcapng block at byte %" PRIu64
				    " runs past the end of the block",
				    code, off);
		want = code == OPT_IF_TSRESOL  ? OPT_IF_TSRESOL_SIZE :
		       code == OPT_IF_TSOFFSET ? OPT_IF_TSOFFSET_SIZE :
						 olen;
		if (olen != want)
			return fail(err, err_size,
				    "option %u of the pcapng block at byte %" PRIu64
				    " has length %u, not %u",
				    code, off, olen, want);
		if (code == OPT_IF_TSRESOL)
			ifc->tsresol = r->map[pos + OPT_HEADER_SIZE];
		else if (code == OPT_IF_TSOFFSET)
			ifc->tsoffset = (int64_t)get64(r, pos + OPT_HEADER_SIZE);
		pos += OPT_HEADER_SIZE + padded;
	}
	return 0;
}

/* Adds the interface that the framed Interface Description Block at off describes to the
 * section's list. Returns 0, -EINVAL for a bad option, or -ENOMEM. */
static int add_iface(struct pcapread *r, uint64_t off, uint32_t len, char *err, size_t err_size)
{
	struct iface ifc = {
		.linktype = get16(r, off + IDB_LINKTYPE),
		.read = linktype_read(get16(r, off + IDB_LINKTYPE)),
		.snaplen = get32(r, off + IDB_SNAPLEN),
		.tsresol = TSRESOL_DEFAULT,
	};
	struct iface *grown;
	size_t cap;
	int ret;

	ret = read_iface_options(r, off, len, &ifc, err, err_size);
	if (ret)
		return ret;
	ret = frame_room(r, ifc.linktype, ifc.snaplen, err, err_size);
	if (ret)
		return ret;
	if (r->n_ifaces == r->cap_ifaces) {
		cap = r->cap_ifaces ? 2 * r->cap_ifaces : IFACES_INITIAL;
		grown = reallocarray(r->ifaces, cap, sizeof(*grown));
		if (!grown)
			return fail_errno(err, err_size, ENOMEM);
		r->ifaces = grown;
		r->cap_ifaces = cap;
	}
	r->ifaces[r->n_ifaces++] = ifc;
	return 0;
}

/* The interface id of the packet at off, which must have been described in this section and be
 * of a link type read. Returns 0 with *ifc, or -EINVAL. */
static int packet_iface(const struct pcapread *r, uint64_t off, uint32_t id,
			const struct iface **ifc, char *err, size_t err_size)
{
	if (id >= r->n_ifaces)
		return fail(err, err_size,
			    "packet at byte %" PRIu64 " is on interface %" PRIu32
			    ", which was never described",
			    off, id);
	*ifc = &r->ifaces[id];
	if (!(*ifc)->read)
		return fail(err, err_size,
			    "packet at byte %" PRIu64 " is on interface %" PRIu32
			    " of link type %u, which is not read: the link types read are "
			    LINKTYPES_READ,
			    off, id, (*ifc)->linktype);
	return 0;
}

/*
 * Converts a timestamp in the units of ifc (if_tsresol) to ns since the epoch, adding its
 * if_tsoffset and truncating below 1 ns. Returns the time, which may be negative or over
 * UINT64_MAX for the caller to refuse; 128 bits hold any: units * 10^9 is under 2^94 and the
 * offset in ns under 2^93.
 */
static __int128 iface_ts_ns(const struct iface *ifc, uint64_t units)
{
	unsigned int exp = ifc->tsresol & TSRESOL_EXP_MASK;
	unsigned __int128 ns = units;

	if (ifc->tsresol & TSRESOL_POW2) {
		ns = (ns * NSEC_PER_SEC) >> exp;
	} else {
		for (; exp < NSEC_DIGITS; exp++)
			ns *= 10;
		/* A digit at a time truncates as one division by 10^(exp - 9) would, without
		 * that power, which overflows 128 bits past 10^38. */
		for (; exp > NSEC_DIGITS; exp--)
			ns /= 10;
	}
	return (__int128)ns + (__int128)ifc->tsoffset * (__int128)NSEC_PER_SEC;
}

/* Reads the framed Enhanced Packet Block (or obsolete Packet Block) at off (of len bytes) into
 * *p. Returns 1, or -EINVAL for its interface, its captured length or its time. */
static int read_epb(struct pcapread *r, uint64_t off, uint32_t len, bool obsolete,
		    struct pcap_packet *p, char *err, size_t err_size)
{
	uint32_t id = obsolete ? get16(r, off + EPB_INTERFACE) : get32(r, off + EPB_INTERFACE);
	uint32_t caplen = get32(r, off + EPB_CAPLEN);
	uint32_t room = len - EPB_MIN_SIZE;
	const struct iface *ifc;
	uint64_t units;
	__int128 ts_ns;
	int ret;

	ret = packet_iface(r, off, id, &ifc, err, err_size);
	if (ret)
		return ret;
	if (caplen > room)
		return fail(err, err_size,
			    "packet at byte %" PRIu64 " has %" PRIu32
			    " captured bytes, more than its block holds (%" PRIu32 ")",
			    off, caplen, room);
	ret = check_caplen(caplen, ifc->snaplen, off, err, err_size);
	if (ret)
		return ret;
	units = (uint64_t)get32(r, off + EPB_TS_HIGH) << 32 | get32(r, off + EPB_TS_LOW);
	ts_ns = iface_ts_ns(ifc, units);
	if (ts_ns < 0 || ts_ns > UINT64_MAX)
		return fail(err, err_size,
			    "packet at byte %" PRIu64 " has a timestamp before 1970 or after 2554",
			    off);
	*p = (struct pcap_packet){
		.data = r->map + off + EPB_DATA,
		.caplen = caplen,
		.len = get32(r, off + EPB_LEN),
		.ts_ns = ts_ns,
		.interface = id,
		.linktype = ifc->linktype,
		.offset = off,
	};
	r->last_ts_ns = ts_ns;
	return 1;
}

/* Reads the framed Simple Packet Block at off (of len bytes) into *p: interface 0, captured
 * as much of the frame as its snapshot length and the block allow, at the time of the packet
 * before. Returns 1, or -EINVAL for its interface or captured length. */
static int read_spb(struct pcapread *r, uint64_t off, uint32_t len, struct pcap_packet *p,
		    char *err, size_t err_size)
{
	uint32_t wire = get32(r, off + SPB_LEN), caplen = len - SPB_MIN_SIZE;
	const struct iface *ifc;
	int ret;

	ret = packet_iface(r, off, 0, &ifc, err, err_size);
	if (ret)
		return ret;
	if (wire < caplen)
		caplen = wire;
	if (ifc->snaplen && ifc->snaplen < caplen)
		caplen = ifc->snaplen;
	ret = check_caplen(caplen, ifc->snaplen, off, err, err_size);
	if (ret)
		return ret;
	*p = (struct pcap_packet){
		.data = r->map + off + SPB_DATA,
		.caplen = caplen,
		.len = wire,
		.ts_ns = r->last_ts_ns,
		.interface = 0,
		.linktype = ifc->linktype,
		.offset = off,
	};
	return 1;
}

/* Reads pcapng blocks from r->pos up to the next packet, into *p. Returns 1, 0 at the end of
 * the capture, or a negative errno (-EINVAL also for a compressed stream that stopped early);
 * r->pos stays on a bad block. */
static int pcapng_next(struct pcapread *r, struct pcap_packet *p, char *err, size_t err_size)
{
	uint32_t type, len;
	uint64_t off;
	int ret;

	while (r->pos < r->size) {
		off = r->pos;
		ret = block_frame(r, off, &type, &len, err, err_size);
		if (ret)
			return ret;
		switch (type) {
		case PCAPNG_SHB:
			ret = start_section(r, off, err, err_size);
			break;
		case PCAPNG_IDB:
			ret = add_iface(r, off, len, err, err_size);
			break;
		case PCAPNG_EPB:
		case PCAPNG_PB:
			ret = read_epb(r, off, len, type == PCAPNG_PB, p, err, err_size);
			break;
		case PCAPNG_SPB:
			ret = read_spb(r, off, len, p, err, err_size);
			break;
		default:
			ret = 0;
			break;
		}
		if (ret < 0)
			return ret;
		r->pos += len;
		if (ret)
			return ret;
	}
	return capture_end(r, err, err_size);
}

/*
 * Looks ahead from r->pos, over the blocks of the first section before its first packet,
 * without reading them: when they describe interfaces and none is of a link type read, the
 * capture is refused now rather than at its first packet, before anything is made for it. The
 * look ends at a packet, at the end of the file, at a new section (whose interfaces may be
 * read: not refused) or at a block that cannot be framed (whose error pcapread_next() says in
 * its turn). Returns 0, or -EINVAL.
 */
static int check_interfaces(struct pcapread *r, char *err, size_t err_size)
{
	char ignored[PCAPREAD_ERR_SIZE];
	uint64_t off = r->pos;
	uint32_t type, len, n = 0;
	uint16_t first = 0, linktype;

	while (off < r->size) {
		/* Before block_frame(), which would take a section's byte order. */
		if (r->size - off >= sizeof(type) && get32(r, off + BLOCK_TYPE) == PCAPNG_SHB)
			return 0;
		if (block_frame(r, off, &type, &len, ignored, sizeof(ignored)))
			return 0;
		if (type == PCAPNG_EPB || type == PCAPNG_PB || type == PCAPNG_SPB)
			break;
		if (type == PCAPNG_IDB) {
			linktype = get16(r, off + IDB_LINKTYPE);
			if (linktype_read(linktype))
				return 0;
			if (!n++)
				first = linktype;
		}
		off += len;
	}
	if (n == 1)
		return fail(err, err_size,
			    "interface 0 is of link type %u, which is not read: the link types read "
			    "are " LINKTYPES_READ,
			    first);
	if (n)
		return fail(err, err_size,
			    "none of interfaces 0 to %" PRIu32 " is of a link type read (interface 0 "
			    "is of %u): the link types read are " LINKTYPES_READ,
			    n - 1, first);
	return 0;
}

/* Whether the 4 bytes at b start a classic pcap (either byte order, either resolution). */
static bool classic_magic(const uint8_t *b)
{
	uint32_t magic;

	memcpy(&magic, b, sizeof(magic));
	return magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS ||
	       magic == __builtin_bswap32(PCAP_MAGIC_US) || magic == __builtin_bswap32(PCAP_MAGIC_NS);
}

/* Whether the 4 bytes at b start a pcapng (its Section Header's type, the same in either byte
 * order). */
static bool pcapng_magic(const uint8_t *b)
{
	uint32_t magic;

	memcpy(&magic, b, sizeof(magic));
	return magic == PCAPNG_SHB;
}

/* Reads the file header at the start of the capture. Returns 0, or a negative errno. */
static int read_header(struct pcapread *r, char *err, size_t err_size)
{
	uint32_t magic, type, len;
	int ret;

	if (r->size < PCAP_MAGIC_SIZE)
		return fail_cut(r, 0, err, err_size, "not a pcap or pcapng file");
	if (classic_magic(r->map)) {
		memcpy(&magic, r->map, sizeof(magic));
		return classic_open(r, magic, err, err_size);
	}
	if (!pcapng_magic(r->map))
		return fail(err, err_size, "not a pcap or pcapng file");
	r->pcapng = true;
	/* The first Section Header is read now, so that a file that only starts like one fails
	 * here. */
	ret = block_frame(r, 0, &type, &len, err, err_size);
	if (ret)
		return ret;
	ret = start_section(r, 0, err, err_size);
	if (ret)
		return ret;
	r->pos = len;
	return check_interfaces(r, err, err_size);
}

/* Writes n bytes to fd, however many calls that takes. Returns 0, or a negative errno. */
static int write_all(int fd, const uint8_t *b, size_t n)
{
	ssize_t done;

	while (n) {
		done = write(fd, b, n);
		if (done < 0 && errno == EINTR)
			continue;
		if (done < 0)
			return -errno;
		b += done;
		n -= done;
	}
	return 0;
}

/* Makes an unlinked temporary file in $TMPDIR (else /tmp): *dir says which. Returns its
 * descriptor, or a negative errno. */
static int temp_file(const char **dir)
{
	char path[PATH_MAX];
	int fd;

	*dir = getenv("TMPDIR");
	if (!*dir || !**dir)
		*dir = "/tmp";
	if (snprintf(path, sizeof(path), "%s/flowdb-capture.XXXXXX", *dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path);
	return fd;
}

/*
 * Decompresses the gzip stream of in_size bytes at in (one member or more, as pigz and bgzip
 * write them) into an unlinked temporary file, and maps that as r's capture. The stream may be
 * as large as the file system holds: a decompression bomb ends when the file cannot grow
 * (-ENOSPC). A stream that is corrupt, cut short or followed by bytes that are not another
 * member ends the decompression there, with r->gz_error saying so: what came before is read as
 * a capture ending there, so that its packets are imported before the problem is reported.
 * Returns 0, or a negative errno with one line in err: a stream whose first bytes are not a
 * capture's (-EINVAL, "not a pcap or pcapng file", as for any file that is no capture), no
 * memory, or a temporary file that cannot be made, written or mapped.
 */
static int gunzip(struct pcapread *r, const uint8_t *in, uint64_t in_size, char *err,
		  size_t err_size)
{
	z_stream zs = { 0 };
	uint64_t fed = 0, total = 0, rest;
	uint8_t *out, head[PCAP_MAGIC_SIZE];
	size_t n, k, n_head = 0;
	const uint8_t *next;
	const char *dir;
	int fd = -1, zret, ret;
	void *map;

	out = malloc(GZIP_CHUNK);
	if (!out || inflateInit2(&zs, GZIP_WINDOW_BITS) != Z_OK) {
		free(out);
		return fail_errno(err, err_size, ENOMEM);
	}
	fd = temp_file(&dir);
	if (fd < 0) {
		snprintf(err, err_size, "cannot make a temporary file in %s to decompress into: %s",
			 dir, strerror(-fd));
		ret = fd;
		goto cleanup;
	}
	for (;;) {
		/* zlib counts its input in 32 bits. */
		if (!zs.avail_in && fed < in_size) {
			zs.next_in = in + fed;
			zs.avail_in = in_size - fed < UINT32_MAX ? in_size - fed : UINT32_MAX;
			fed += zs.avail_in;
		}
		zs.next_out = out;
		zs.avail_out = GZIP_CHUNK;
		zret = inflate(&zs, Z_NO_FLUSH);
		n = GZIP_CHUNK - zs.avail_out;
		/* Something else compressed (a log in a case's directory) is refused as soon as its
		 * first bytes are out, not once all of it has been written. */
		if (n_head < sizeof(head)) {
			k = n < sizeof(head) - n_head ? n : sizeof(head) - n_head;
			memcpy(head + n_head, out, k);
			n_head += k;
			if (n_head == sizeof(head) && !classic_magic(head) && !pcapng_magic(head)) {
				ret = fail(err, err_size, "not a pcap or pcapng file");
				goto cleanup;
			}
		}
		ret = write_all(fd, out, n);
		if (ret) {
			snprintf(err, err_size, "cannot decompress into %s after %" PRIu64 " bytes: %s",
				 dir, total, strerror(-ret));
			goto cleanup;
		}
		total += n;
		if (zret == Z_OK)
			continue;
		rest = in_size - fed + zs.avail_in;
		next = in + in_size - rest;
		if (zret == Z_STREAM_END && !rest)
			break;
		if (zret == Z_STREAM_END && rest >= 2 && next[0] == GZIP_MAGIC_0 &&
		    next[1] == GZIP_MAGIC_1) {
			inflateReset(&zs);
			continue;
		}
		if (zret == Z_MEM_ERROR) {
			ret = fail_errno(err, err_size, ENOMEM);
			goto cleanup;
		}
		/* No progress without more input (Z_BUF_ERROR): there is no more. */
		if (zret == Z_STREAM_END)
			snprintf(r->gz_error, sizeof(r->gz_error),
				 "%" PRIu64 " bytes that are not gzip follow the gzip stream, after %" PRIu64
				 " bytes decompressed",
				 rest, total);
		else if (zret == Z_BUF_ERROR)
			snprintf(r->gz_error, sizeof(r->gz_error),
				 "gzip stream cut short after %" PRIu64 " bytes decompressed", total);
		else
			snprintf(r->gz_error, sizeof(r->gz_error),
				 "gzip stream corrupt (%s) after %" PRIu64 " bytes decompressed",
				 zs.msg ? zs.msg : zError(zret), total);
		break;
	}
	ret = 0;
	/* mmap() refuses a length of 0: an empty capture stays unmapped. */
	if (total) {
		map = mmap(NULL, total, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			ret = fail_errno(err, err_size, errno);
			goto cleanup;
		}
		r->map = map;
		r->mapped = true;
		r->size = total;
		madvise(map, total, MADV_SEQUENTIAL);
	}
cleanup:
	inflateEnd(&zs);
	free(out);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Reads the capture at r->map: decompressed first when it is gzip, which replaces r->map (and
 * unmaps the compressed bytes when they were r's own mapping). Returns 0, or a negative errno
 * with one line in err. */
static int read_capture(struct pcapread *r, char *err, size_t err_size)
{
	const uint8_t *gz = r->map;
	uint64_t gz_size = r->size;
	bool gz_mapped = r->mapped;
	int ret;

	if (r->size < 2 || r->map[0] != GZIP_MAGIC_0 || r->map[1] != GZIP_MAGIC_1)
		return read_header(r, err, err_size);
	r->map = NULL;
	r->mapped = false;
	r->size = 0;
	ret = gunzip(r, gz, gz_size, err, err_size);
	if (gz_mapped)
		munmap((void *)gz, gz_size);
	return ret ? ret : read_header(r, err, err_size);
}

int pcapread_open(struct pcapread **out, const char *path, char *err, size_t err_size)
{
	struct pcapread *r;
	struct stat st;
	void *map;
	int fd = -1, ret;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return fail_errno(err, err_size, ENOMEM);
	/* Non-blocking, so that a FIFO does not wait for a writer that may never come: it is
	 * refused below, as is anything else that cannot be mapped and read front to back. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = fail_errno(err, err_size, errno);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = fail_errno(err, err_size, EISDIR);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = fail(err, err_size, "not a regular file");
		goto out;
	}
	/* mmap() refuses a length of 0, and there is nothing to read anyway. */
	if (!st.st_size) {
		ret = fail(err, err_size, "not a pcap or pcapng file");
		goto out;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		ret = fail_errno(err, err_size, errno);
		goto out;
	}
	r->map = map;
	r->mapped = true;
	r->size = st.st_size;
	/* A hint for readahead: the file is read once, front to back. */
	madvise(map, st.st_size, MADV_SEQUENTIAL);
	ret = read_capture(r, err, err_size);
out:
	if (fd >= 0)
		close(fd);
	if (ret) {
		pcapread_close(r);
		return ret;
	}
	*out = r;
	return 0;
}

int pcapread_open_mem(struct pcapread **out, const void *data, size_t size, char *err,
		      size_t err_size)
{
	struct pcapread *r;
	int ret;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return fail_errno(err, err_size, ENOMEM);
	r->map = data;
	r->size = size;
	ret = read_capture(r, err, err_size);
	if (ret) {
		pcapread_close(r);
		return ret;
	}
	*out = r;
	return 0;
}

/* The capture's page tables are filled this far ahead of the reader at a time. */
#define POPULATE_WINDOW (4u << 20)

/* Fills the page tables of the capture's next window once the reader nears
 * it: one system call per window instead of a page fault every 16 pages
 * (a tenth of an import's time went to those faults). A kernel without
 * MADV_POPULATE_READ (before 5.14) faults the pages in as before. */
static void populate_ahead(struct pcapread *r)
{
	uint64_t len;

	if (r->pos + POPULATE_WINDOW / 2 < r->populated || r->populated >= r->size)
		return;
	len = r->size - r->populated < POPULATE_WINDOW ? r->size - r->populated : POPULATE_WINDOW;
	if (madvise((void *)(r->map + r->populated), len, MADV_POPULATE_READ))
		r->populated = r->size;
	else
		r->populated += len;
}

int pcapread_next(struct pcapread *r, struct pcap_packet *p, char *err, size_t err_size)
{
	int ret;

	if (r->mapped)
		populate_ahead(r);
	ret = r->pcapng ? pcapng_next(r, p, err, err_size) : classic_next(r, p, err, err_size);

	/* Here rather than where each packet is read, where the call would cost every Ethernet
	 * packet (measured: 4% of the reader's time) the registers it keeps. */
	if (ret == 1 && p->linktype != PCAPREAD_LINKTYPE_ETHERNET)
		to_ethernet(r, p);
	return ret;
}

uint64_t pcapread_offset(const struct pcapread *r)
{
	return r->pos;
}

uint64_t pcapread_size(const struct pcapread *r)
{
	return r->size;
}

void pcapread_close(struct pcapread *r)
{
	if (!r)
		return;
	if (r->mapped)
		munmap((void *)r->map, r->size);
	free(r->frame);
	free(r->ifaces);
	free(r);
}
