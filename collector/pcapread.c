// SPDX-License-Identifier: BSD-2-Clause
/* Reads classic pcap and pcapng captures from a read-only mapping, checking every length. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

/* A pcapng interface, as its Interface Description Block describes it. */
struct iface {
	uint16_t linktype;
	uint32_t snaplen; /* 0: no limit */
	uint8_t tsresol; /* the raw if_tsresol byte */
	int64_t tsoffset; /* seconds added to every timestamp */
};

struct pcapread {
	const uint8_t *map; /* the capture's bytes; NULL until mapped */
	bool mapped; /* map is this reader's own mapping, unmapped at close */
	uint64_t size, pos; /* pos: the next record or block */
	bool pcapng;
	bool swap; /* the file's (or section's) byte order is not ours */

	/* Classic pcap. */
	bool nanosecond;
	uint32_t snaplen;

	/* pcapng: the current section's interfaces, by id. */
	struct iface *ifaces;
	size_t n_ifaces, cap_ifaces;
	uint64_t last_ts_ns; /* of the latest packet, for Simple Packet Blocks */
};

/* Writes a one-line message to err and evaluates to -EINVAL, for `return fail(...)`. A macro,
 * not a function, so that the compiler sees that every error return is nonzero. */
#define fail(err, err_size, ...) (snprintf(err, err_size, __VA_ARGS__), -EINVAL)

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

/* Reads the classic pcap file header; the magic, already matched, gives the byte order and
 * the resolution. Returns 0, or -EINVAL for a short header or another link type. */
static int classic_open(struct pcapread *r, uint32_t magic, char *err, size_t err_size)
{
	uint32_t linktype;

	r->swap = magic == __builtin_bswap32(PCAP_MAGIC_US) ||
		  magic == __builtin_bswap32(PCAP_MAGIC_NS);
	r->nanosecond = magic == PCAP_MAGIC_NS || magic == __builtin_bswap32(PCAP_MAGIC_NS);
	if (r->size < PCAP_HEADER_SIZE)
		return fail(err, err_size, "truncated pcap file header at byte 0");
	/* The whole field, so that Ethernet with the FCS flags of newer writers is refused too:
	 * those frames end in 4 bytes that are not payload. */
	linktype = get32(r, PCAP_HEADER_LINKTYPE);
	if (linktype != PCAPREAD_LINKTYPE_ETHERNET)
		return fail(err, err_size, "link type %" PRIu32 " is not Ethernet (%d)", linktype,
			    PCAPREAD_LINKTYPE_ETHERNET);
	r->snaplen = get32(r, PCAP_HEADER_SNAPLEN);
	r->pos = PCAP_HEADER_SIZE;
	return 0;
}

/* Reads the classic pcap record at r->pos into *p. Returns 1, 0 at the end of the file, or
 * -EINVAL for a record cut short or a bad captured length. */
static int classic_next(struct pcapread *r, struct pcap_packet *p, char *err, size_t err_size)
{
	uint64_t off = r->pos, room = r->size - r->pos, frac_ns;
	uint32_t caplen;
	int ret;

	if (!room)
		return 0;
	if (room < PCAP_RECORD_SIZE)
		return fail(err, err_size, "truncated packet record at byte %" PRIu64, off);
	caplen = get32(r, off + PCAP_RECORD_CAPLEN);
	ret = check_caplen(caplen, r->snaplen, off, err, err_size);
	if (ret)
		return ret;
	if (caplen > room - PCAP_RECORD_SIZE)
		return fail(err, err_size,
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
		return EPB_MIN_SIZE;
	case PCAPNG_SPB:
		return SPB_MIN_SIZE;
	default:
		return BLOCK_MIN_SIZE;
	}
}

/*
 * Checks the frame of the pcapng block at r->pos: its header within the file, a length that is
 * a multiple of 4, at least its type's minimum, within the file and repeated at its end. A
 * Section Header sets r->swap first from its byte-order magic, since that order applies to its
 * own length. Returns 0 with *type and *len, or -EINVAL.
 */
static int block_frame(struct pcapread *r, uint32_t *type, uint32_t *len, char *err,
		       size_t err_size)
{
	uint64_t off = r->pos, room = r->size - r->pos;
	uint32_t bom, trailer, min;

	if (room < BLOCK_HEADER_SIZE)
		return fail(err, err_size, "truncated pcapng block header at byte %" PRIu64, off);
	*type = get32(r, off + BLOCK_TYPE);
	if (*type == PCAPNG_SHB) {
		if (room < SHB_BYTE_ORDER + sizeof(bom))
			return fail(err, err_size, "truncated pcapng block header at byte %" PRIu64,
				    off);
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
		return fail(err, err_size,
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
		.snaplen = get32(r, off + IDB_SNAPLEN),
		.tsresol = TSRESOL_DEFAULT,
	};
	struct iface *grown;
	size_t cap;
	int ret;

	ret = read_iface_options(r, off, len, &ifc, err, err_size);
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

/* The interface id of the packet at off, which must have been described in this section and
 * be Ethernet. Returns 0 with *ifc, or -EINVAL. */
static int packet_iface(const struct pcapread *r, uint64_t off, uint32_t id,
			const struct iface **ifc, char *err, size_t err_size)
{
	if (id >= r->n_ifaces)
		return fail(err, err_size,
			    "packet at byte %" PRIu64 " is on interface %" PRIu32
			    ", which was never described",
			    off, id);
	*ifc = &r->ifaces[id];
	if ((*ifc)->linktype != PCAPREAD_LINKTYPE_ETHERNET)
		return fail(err, err_size,
			    "packet at byte %" PRIu64 " is on interface %" PRIu32
			    " of link type %u: only Ethernet (%d) is read",
			    off, id, (*ifc)->linktype, PCAPREAD_LINKTYPE_ETHERNET);
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

/* Reads the framed Enhanced Packet Block at off (of len bytes) into *p. Returns 1, or -EINVAL
 * for its interface, its captured length or its time. */
static int read_epb(struct pcapread *r, uint64_t off, uint32_t len, struct pcap_packet *p,
		    char *err, size_t err_size)
{
	uint32_t id = get32(r, off + EPB_INTERFACE), caplen = get32(r, off + EPB_CAPLEN);
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
		.offset = off,
	};
	return 1;
}

/* Reads pcapng blocks from r->pos up to the next packet, into *p. Returns 1, 0 at the end of
 * the file, or a negative errno; r->pos stays on a bad block. */
static int pcapng_next(struct pcapread *r, struct pcap_packet *p, char *err, size_t err_size)
{
	uint32_t type, len;
	uint64_t off;
	int ret;

	while (r->pos < r->size) {
		off = r->pos;
		ret = block_frame(r, &type, &len, err, err_size);
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
			ret = read_epb(r, off, len, p, err, err_size);
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
	return 0;
}

/* Reads the file header at the start of the mapping. Returns 0, or a negative errno. */
static int read_header(struct pcapread *r, char *err, size_t err_size)
{
	uint32_t magic, type, len;
	int ret;

	if (r->size < PCAP_MAGIC_SIZE)
		return fail(err, err_size, "not a pcap or pcapng file");
	memcpy(&magic, r->map, sizeof(magic));
	if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS ||
	    magic == __builtin_bswap32(PCAP_MAGIC_US) || magic == __builtin_bswap32(PCAP_MAGIC_NS))
		return classic_open(r, magic, err, err_size);
	if (magic != PCAPNG_SHB)
		return fail(err, err_size, "not a pcap or pcapng file");
	r->pcapng = true;
	/* The first Section Header is read now, so that a file that only starts like one fails
	 * here. */
	ret = block_frame(r, &type, &len, err, err_size);
	if (ret)
		return ret;
	ret = start_section(r, 0, err, err_size);
	if (ret)
		return ret;
	r->pos = len;
	return 0;
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
	ret = read_header(r, err, err_size);
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
	ret = read_header(r, err, err_size);
	if (ret) {
		pcapread_close(r);
		return ret;
	}
	*out = r;
	return 0;
}

int pcapread_next(struct pcapread *r, struct pcap_packet *p, char *err, size_t err_size)
{
	if (r->pcapng)
		return pcapng_next(r, p, err, err_size);
	return classic_next(r, p, err, err_size);
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
	free(r->ifaces);
	free(r);
}
