// SPDX-License-Identifier: BSD-2-Clause
/* The capture reader: classic pcap and pcapng built byte by byte, every error, every cut. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <cmocka.h>
#define ZLIB_CONST
#include <zlib.h>
#include "pcapread.h"

/* The formats' numbers, written out here rather than shared with the reader, so that a wrong
 * one there shows. */
#define MAGIC_US 0xa1b2c3d4
#define MAGIC_NS 0xa1b23c4d
#define LINKTYPE_OTHER 189 /* USB packets as Linux captures them: no IP in them */
#define LINKTYPE_USER0 147 /* private use */
#define LINKTYPES_READ                                                                      \
	"the link types read are Ethernet (1), Linux cooked (113, 276), raw IP (101, 228, 229, " \
	"12, 14), loopback (0, 108), PPP (9, 50), PPPoE (51) and Cisco HDLC (104)"
#define SHB 0x0a0d0d0a
#define IDB 1
#define PB 2
#define SPB 3
#define NRB 4
#define ISB 5
#define EPB 6
#define DSB 0x0a
#define CUSTOM 0x0bad
#define BOM 0x1a2b3c4d
#define OPT_COMMENT 1
#define OPT_IF_NAME 2
#define OPT_EPB_FLAGS 2
#define OPT_SHB_USERAPPL 4
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14
#define PCAPNG_UNKNOWN_LENGTH UINT64_MAX /* a section length of -1 */
#define CAPLEN_LIMIT 262144

/* Builders' room: enough for a packet over the caplen limit. */
#define CAP_SIZE (1 << 20)
#define MAX_ENDS 128
#define MAX_GUARDED 4
/* Seconds a test waits for an open that must not wait at all. */
#define FIFO_WAIT_S 5
/* A decompression bomb, and a limit on the size of files that stops it. */
#define GZIP_BOMB (4 << 20)
#define GZIP_FILE_LIMIT (3 << 19)

/* A capture being built: bytes in the chosen byte order, and where each record or block
 * ends (a cut there is clean). */
struct cap {
	bool be;
	size_t len, n_ends;
	size_t ends[MAX_ENDS];
	uint8_t b[CAP_SIZE];
};

/* A packet the reader should return; data points into payload. */
struct want {
	uint64_t offset, ts_ns;
	uint32_t caplen, len, interface;
	const uint8_t *data;
	uint32_t linktype;
};

static char dir[] = "/tmp/test_pcapread.XXXXXX";
static char path[PATH_MAX];
/* $TMPDIR: where compressed captures are decompressed. */
static char tmp_dir[PATH_MAX];
static uint8_t payload[CAPLEN_LIMIT + 8];

/* Mappings made by mmap() below and not yet unmapped. */
static struct {
	uint8_t *data;
	size_t len;
} guarded[MAX_GUARDED];
static int n_guarded;

/* The bytes of the whole pages that hold len bytes. */
static size_t guarded_pages(size_t len)
{
	long page = sysconf(_SC_PAGESIZE);

	return (len + page - 1) / page * page;
}

/*
 * ASan does not watch mapped files, and a read just past the end of a file lands in the
 * zero-filled rest of its last page. So the reader's mappings (read-only, private, of a whole
 * file) are made here instead: a copy of the file that ends against an inaccessible page, where
 * a read past the end faults. Other calls go to the kernel as they would have. Returns the
 * mapping, or MAP_FAILED with errno set.
 */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset)
{
	size_t pages = guarded_pages(len), done = 0;
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *base, *data;
	ssize_t n;

	if (fd < 0 || prot != PROT_READ || flags != MAP_PRIVATE || offset || !len ||
	    n_guarded == MAX_GUARDED)
		return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, offset);
	base = (void *)syscall(SYS_mmap, NULL, pages + page, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return MAP_FAILED;
	data = base + pages - len;
	while (done < len) {
		n = pread(fd, data + done, len - done, done);
		if (n <= 0) {
			syscall(SYS_munmap, base, pages + page);
			errno = n ? errno : EIO;
			return MAP_FAILED;
		}
		done += n;
	}
	if (mprotect(base, pages, PROT_READ) || mprotect(base + pages, page, PROT_NONE)) {
		syscall(SYS_munmap, base, pages + page);
		return MAP_FAILED;
	}
	guarded[n_guarded].data = data;
	guarded[n_guarded].len = len;
	n_guarded++;
	return data;
}

/* Unmaps what mmap() above made, or passes the call on. Returns 0, or -1 with errno set. */
int munmap(void *addr, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = guarded_pages(len);
	int i;

	for (i = 0; i < n_guarded; i++) {
		if (guarded[i].data != addr || guarded[i].len != len)
			continue;
		guarded[i] = guarded[--n_guarded];
		return syscall(SYS_munmap, (uint8_t *)addr + len - pages, pages + page);
	}
	return syscall(SYS_munmap, addr, len);
}

/* A new, empty capture in big-endian (be) or little-endian order. */
static struct cap *cap_new(bool be)
{
	struct cap *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->be = be;
	return c;
}

/* Appends n bytes of data, or zeros when data is NULL. */
static void put(struct cap *c, const void *data, size_t n)
{
	assert_true(n <= CAP_SIZE - c->len);
	if (data)
		memcpy(c->b + c->len, data, n);
	else
		memset(c->b + c->len, 0, n);
	c->len += n;
}

/* Writes the size-byte number v at offset at, in the capture's byte order. */
static void poke(struct cap *c, size_t at, uint64_t v, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++)
		c->b[at + (c->be ? size - 1 - i : i)] = v >> (8 * i);
}

/* Appends the size-byte number v in the capture's byte order. */
static void put_num(struct cap *c, uint64_t v, size_t size)
{
	put(c, NULL, size);
	poke(c, c->len - size, v, size);
}

/* Appends a 16-bit number in the capture's byte order. */
static void put16(struct cap *c, uint64_t v)
{
	put_num(c, v, 2);
}

/* Appends a 32-bit number in the capture's byte order. */
static void put32(struct cap *c, uint64_t v)
{
	put_num(c, v, 4);
}

/* Appends a 64-bit number in the capture's byte order. */
static void put64(struct cap *c, uint64_t v)
{
	put_num(c, v, 8);
}

/* Pads with zeros to a multiple of 4. */
static void pad4(struct cap *c)
{
	put(c, NULL, -c->len & 3);
}

/* Marks the current length as the end of a record or block. */
static void mark_end(struct cap *c)
{
	assert_true(c->n_ends < MAX_ENDS);
	c->ends[c->n_ends++] = c->len;
}

/* Starts a pcapng block of a type. Returns its offset, for block_end(). */
static size_t block_begin(struct cap *c, uint32_t type)
{
	size_t at = c->len;

	put32(c, type);
	put32(c, 0);
	return at;
}

/* Pads the block started at at, writes its trailing length and patches its leading one. */
static void block_end(struct cap *c, size_t at)
{
	size_t len;

	pad4(c);
	len = c->len + 4 - at;
	put32(c, len);
	poke(c, at + 4, len, 4);
	mark_end(c);
}

/* Appends an option with a value of n bytes, padded. */
static void option(struct cap *c, uint16_t code, const void *value, uint16_t n)
{
	put16(c, code);
	put16(c, n);
	put(c, value, n);
	pad4(c);
}

/* Appends the end-of-options option. */
static void options_end(struct cap *c)
{
	put32(c, 0);
}

/* Appends a Section Header Block and switches the capture to the section's byte order. Returns
 * its offset. */
static size_t shb(struct cap *c, bool be)
{
	size_t at;

	c->be = be;
	at = block_begin(c, SHB);
	put32(c, BOM);
	put16(c, 1);
	put16(c, 0);
	put64(c, PCAPNG_UNKNOWN_LENGTH);
	block_end(c, at);
	return at;
}

/* Starts an Interface Description Block; options and idb_end() follow. */
static size_t idb_begin(struct cap *c, uint16_t linktype, uint32_t snaplen)
{
	size_t at = block_begin(c, IDB);

	put16(c, linktype);
	put16(c, 0);
	put32(c, snaplen);
	return at;
}

/* Appends if_tsresol. */
static void opt_tsresol(struct cap *c, uint8_t tsresol)
{
	option(c, OPT_IF_TSRESOL, &tsresol, 1);
}

/* Appends if_tsoffset, in the capture's byte order. */
static void opt_tsoffset(struct cap *c, int64_t seconds)
{
	put16(c, OPT_IF_TSOFFSET);
	put16(c, 8);
	put64(c, seconds);
}

/* Ends an Interface Description Block with the end-of-options option. */
static void idb_end(struct cap *c, size_t at)
{
	options_end(c);
	block_end(c, at);
}

/* Appends an Interface Description Block without options. Returns its offset. */
static size_t idb(struct cap *c, uint16_t linktype, uint32_t snaplen)
{
	size_t at = idb_begin(c, linktype, snaplen);

	block_end(c, at);
	return at;
}

/* Starts an Enhanced Packet Block with caplen bytes of data; options and block_end() follow.
 * Returns its offset. */
static size_t epb_data(struct cap *c, uint32_t id, uint64_t units, const uint8_t *data,
		       uint32_t caplen, uint32_t len)
{
	size_t at = block_begin(c, EPB);

	put32(c, id);
	put32(c, units >> 32);
	put32(c, (uint32_t)units);
	put32(c, caplen);
	put32(c, len);
	put(c, data, caplen);
	pad4(c);
	return at;
}

/* Starts an Enhanced Packet Block with caplen bytes of data from payload + from; options and
 * block_end() follow. Returns its offset. */
static size_t epb_begin(struct cap *c, uint32_t id, uint64_t units, size_t from, uint32_t caplen,
			uint32_t len)
{
	return epb_data(c, id, units, payload + from, caplen, len);
}

/* Appends an Enhanced Packet Block without options. Returns its offset. */
static size_t epb(struct cap *c, uint32_t id, uint64_t units, size_t from, uint32_t caplen,
		  uint32_t len)
{
	size_t at = epb_begin(c, id, units, from, caplen, len);

	block_end(c, at);
	return at;
}

/* Appends a Simple Packet Block of a frame of len bytes, n of them stored, from
 * payload + from. Returns its offset. */
static size_t spb(struct cap *c, uint32_t len, size_t from, size_t n)
{
	size_t at = block_begin(c, SPB);

	put32(c, len);
	put(c, payload + from, n);
	block_end(c, at);
	return at;
}

/* Appends a block of a type with body_len bytes of payload as its body. Returns its offset. */
static size_t other_block(struct cap *c, uint32_t type, size_t body_len)
{
	size_t at = block_begin(c, type);

	put(c, payload, body_len);
	block_end(c, at);
	return at;
}

/* Starts a classic pcap capture. */
static struct cap *classic_new(bool be, bool ns, uint32_t snaplen, uint32_t linktype)
{
	struct cap *c = cap_new(be);

	put32(c, ns ? MAGIC_NS : MAGIC_US);
	put16(c, 2);
	put16(c, 4);
	put32(c, 0);
	put32(c, 0);
	put32(c, snaplen);
	put32(c, linktype);
	mark_end(c);
	return c;
}

/* Appends a classic record with caplen bytes of data. Returns its offset. */
static size_t record_data(struct cap *c, uint32_t sec, uint32_t frac, const uint8_t *data,
			  uint32_t caplen, uint32_t len)
{
	size_t at = c->len;

	put32(c, sec);
	put32(c, frac);
	put32(c, caplen);
	put32(c, len);
	put(c, data, caplen);
	mark_end(c);
	return at;
}

/* Appends a classic record with caplen bytes from payload + from. Returns its offset. */
static size_t record(struct cap *c, uint32_t sec, uint32_t frac, size_t from, uint32_t caplen,
		     uint32_t len)
{
	return record_data(c, sec, frac, payload + from, caplen, len);
}

/* A packet to expect, with caplen bytes of data from payload + from. */
static struct want want(uint64_t offset, uint64_t ts_ns, uint32_t caplen, uint32_t len,
			uint32_t interface, size_t from)
{
	return (struct want){ offset, ts_ns, caplen, len, interface, payload + from,
			      PCAPREAD_LINKTYPE_ETHERNET };
}

/* Writes the first n bytes of the capture to path. */
static void write_cap(const struct cap *c, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(c->b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* The number of entries of directory d, . and .. aside. */
static int files_in(const char *d)
{
	DIR *dh = opendir(d);
	struct dirent *e;
	int n = 0;

	assert_non_null(dh);
	while ((e = readdir(dh)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(dh);
	return n;
}

/* Checks that the reader returns w[0..n) and then want_ret, twice (an end or an error stays);
 * and, for an error, the message want_err unless it is NULL. */
static void check_packets(struct pcapread *r, const struct want *w, size_t n, int want_ret,
			  const char *want_err)
{
	char err[PCAPREAD_ERR_SIZE] = "";
	struct pcap_packet p;
	size_t i;

	for (i = 0; i < n; i++) {
		assert_int_equal(pcapread_next(r, &p, err, sizeof(err)), 1);
		assert_int_equal(p.offset, w[i].offset);
		assert_int_equal(p.ts_ns, w[i].ts_ns);
		assert_int_equal(p.caplen, w[i].caplen);
		assert_int_equal(p.len, w[i].len);
		assert_int_equal(p.interface, w[i].interface);
		assert_int_equal(p.linktype, w[i].linktype);
		assert_memory_equal(p.data, w[i].data, p.caplen);
	}
	assert_int_equal(pcapread_next(r, &p, err, sizeof(err)), want_ret);
	if (want_ret && want_err)
		assert_string_equal(err, want_err);
	if (!want_ret)
		assert_int_equal(pcapread_offset(r), pcapread_size(r));
	err[0] = '\0';
	assert_int_equal(pcapread_next(r, &p, err, sizeof(err)), want_ret);
	if (want_ret)
		assert_non_null(strstr(err, " at byte "));
}

/* Writes the capture, reads it and checks it as check_packets() does; and that the file was
 * mapped through mmap() above (read-only, private) and unmapped at the end. */
static void check_file(const struct cap *c, const struct want *w, size_t n, int want_ret,
		       const char *want_err)
{
	char err[PCAPREAD_ERR_SIZE];
	int mapped = n_guarded;
	struct pcapread *r;

	write_cap(c, c->len);
	assert_int_equal(pcapread_open(&r, path, err, sizeof(err)), 0);
	assert_int_equal(n_guarded, mapped + 1);
	assert_int_equal(pcapread_size(r), c->len);
	check_packets(r, w, n, want_ret, want_err);
	pcapread_close(r);
	assert_int_equal(n_guarded, mapped);
}

/* Checks that opening the first n bytes of the capture (c NULL: path as it is) fails with
 * want_ret and want_err, and leaves nothing mapped. */
static void check_open_fails(const struct cap *c, size_t n, int want_ret, const char *want_err)
{
	char err[PCAPREAD_ERR_SIZE] = "";
	struct pcapread *r = (struct pcapread *)1;
	int mapped = n_guarded;

	if (c)
		write_cap(c, n);
	assert_int_equal(pcapread_open(&r, path, err, sizeof(err)), want_ret);
	assert_null(r);
	assert_string_equal(err, want_err);
	assert_int_equal(n_guarded, mapped);
}

/* Checks every cut of the capture: a cut before the first end fails to open; any other returns
 * the packets that end before it, then 0 at an end or -EINVAL inside a record or block. */
static void check_cuts(const struct cap *c, const struct want *w, size_t n_want)
{
	char err[PCAPREAD_ERR_SIZE] = "";
	struct pcapread *r;
	int mapped = n_guarded, ret;
	size_t cut, i, whole, e;
	bool at_end;

	for (cut = 0; cut <= c->len; cut++) {
		write_cap(c, cut);
		ret = pcapread_open(&r, path, err, sizeof(err));
		if (cut < c->ends[0]) {
			assert_int_equal(ret, -EINVAL);
			assert_int_equal(n_guarded, mapped);
			continue;
		}
		assert_int_equal(ret, 0);
		at_end = false;
		for (e = 0; e < c->n_ends; e++)
			at_end |= c->ends[e] == cut;
		whole = 0;
		for (i = 0; i < n_want; i++) {
			/* The first end after a packet's offset is its own. */
			e = 0;
			while (c->ends[e] <= w[i].offset)
				e++;
			whole += c->ends[e] <= cut;
		}
		check_packets(r, w, whole, at_end ? 0 : -EINVAL, NULL);
		pcapread_close(r);
		assert_int_equal(n_guarded, mapped);
	}
}

/* The classic capture of test_classic(), in a byte order and resolution. */
static struct cap *classic_sample(bool be, bool ns, struct want w[4])
{
	struct cap *c = classic_new(be, ns, 0, PCAPREAD_LINKTYPE_ETHERNET);
	uint32_t frac = ns ? 123456789 : 123456;
	uint32_t max_frac = ns ? 999999999 : 999999;

	w[0] = want(record(c, 1700000000, frac, 0, 60, 60),
		    ns ? 1700000000123456789 : 1700000000123456000, 60, 60, 0, 0);
	/* Cut by the snapshot length. */
	w[1] = want(record(c, 1700000001, 0, 100, 14, 1514), 1700000001000000000, 14, 1514, 0, 100);
	/* More captured than on the wire: kept as read. */
	w[2] = want(record(c, 1700000002, 1, 200, 20, 10),
		    ns ? 1700000002000000001 : 1700000002000001000, 20, 10, 0, 200);
	/* The last second a 32-bit field holds. */
	w[3] = want(record(c, UINT32_MAX, max_frac, 300, 1, 1),
		    ns ? 4294967295999999999 : 4294967295999999000, 1, 1, 0, 300);
	return c;
}

static void test_classic(void **state)
{
	struct want w[4];
	struct cap *c;
	int be, ns;

	for (be = 0; be < 2; be++) {
		for (ns = 0; ns < 2; ns++) {
			c = classic_sample(be, ns, w);
			check_file(c, w, 4, 0, NULL);
			free(c);
		}
	}
}

/* The pcapng capture of test_pcapng(): a little-endian section, then a big-endian one. */
static struct cap *pcapng_sample(struct want w[9])
{
	static const char name[] = "eth0", comment[] = "x", appl[] = "test";
	static const uint8_t flags[4] = { 1 };
	struct cap *c = cap_new(false);
	size_t at;

	shb(c, false);
	/* Interface 0: ns, a snapshot length of 96, a name to skip. */
	at = idb_begin(c, PCAPREAD_LINKTYPE_ETHERNET, 96);
	option(c, OPT_IF_NAME, name, strlen(name));
	opt_tsresol(c, 9);
	idb_end(c, at);
	/* Interface 1: 2^-10 s, 10^9 s later, a padded comment to skip. */
	at = idb_begin(c, PCAPREAD_LINKTYPE_ETHERNET, 0);
	option(c, OPT_COMMENT, comment, strlen(comment));
	opt_tsresol(c, 0x80 | 10);
	opt_tsoffset(c, 1000000000);
	idb_end(c, at);
	/* Padded data, then options that are not read. */
	at = epb_begin(c, 0, 1700000000123456789, 0, 61, 64);
	option(c, OPT_EPB_FLAGS, flags, sizeof(flags));
	options_end(c);
	block_end(c, at);
	w[0] = want(at, 1700000000123456789, 61, 64, 0, 0);
	other_block(c, NRB, 24);
	/* 3/1024 s is 2929687.5 ns: truncated. */
	w[1] = want(epb(c, 1, 700000000ULL * 1024 + 3, 100, 40, 40), 1700000000002929687, 40, 40, 1,
		    100);
	other_block(c, ISB, 12);
	/* Simple packets: cut by interface 0's snapshot length, by nothing, by their block. */
	w[2] = want(spb(c, 100, 200, 100), 1700000000002929687, 96, 100, 0, 200);
	w[3] = want(spb(c, 30, 300, 30), 1700000000002929687, 30, 30, 0, 300);
	w[4] = want(spb(c, 1000, 400, 20), 1700000000002929687, 20, 1000, 0, 400);
	other_block(c, DSB, 16);
	other_block(c, CUSTOM, 13);

	/* Section 2, the other byte order, its own interfaces. */
	at = block_begin(c, SHB);
	c->be = true;
	put32(c, BOM);
	put16(c, 1);
	put16(c, 0);
	put64(c, 12345);
	option(c, OPT_SHB_USERAPPL, appl, strlen(appl));
	options_end(c);
	block_end(c, at);
	/* Interface 0: microseconds by default; 1: not Ethernet but unused; 2: ms, an hour
	 * earlier. */
	idb(c, PCAPREAD_LINKTYPE_ETHERNET, 0);
	idb(c, LINKTYPE_OTHER, 0);
	at = idb_begin(c, PCAPREAD_LINKTYPE_ETHERNET, 0);
	opt_tsresol(c, 3);
	opt_tsoffset(c, -3600);
	idb_end(c, at);
	w[5] = want(epb(c, 0, 1700000001000001, 500, 50, 50), 1700000001000001000, 50, 50, 0, 500);
	w[6] = want(spb(c, 10, 600, 12), 1700000001000001000, 10, 10, 0, 600);
	w[7] = want(epb(c, 2, 1700003600123, 700, 0, 0), 1700000000123000000, 0, 0, 2, 700);
	w[8] = want(epb(c, 0, 1700000002000000, 800, 1, 1), 1700000002000000000, 1, 1, 0, 800);
	return c;
}

static void test_pcapng(void **state)
{
	struct want w[9];
	struct cap *c = pcapng_sample(w);
	size_t at;

	check_file(c, w, 9, 0, NULL);
	free(c);

	/* The obsolete Packet Block: interface id and drop count of 16 bits
	 * each, then as an EPB; in both byte orders. */
	for (int be = 0; be < 2; be++) {
		c = cap_new(true);
		shb(c, be);
		idb(c, PCAPREAD_LINKTYPE_ETHERNET, 0);
		idb(c, PCAPREAD_LINKTYPE_ETHERNET, 0);
		at = block_begin(c, PB);
		put16(c, 1);
		put16(c, 7);
		put32(c, 0);
		put32(c, 1700000000);
		put32(c, 60);
		put32(c, 62);
		put(c, payload + 10, 60);
		block_end(c, at);
		w[0] = want(at, 1700000000000, 60, 62, 1, 10);
		w[1] = want(epb(c, 0, 1700000001, 80, 60, 60), 1700000001000, 60, 60, 0, 80);
		check_file(c, w, 2, 0, NULL);
		free(c);
	}

	/* A simple packet with no packet before it has time 0. */
	c = cap_new(true);
	shb(c, true);
	idb(c, PCAPREAD_LINKTYPE_ETHERNET, 0);
	w[0] = want(spb(c, 8, 0, 8), 0, 8, 8, 0, 0);
	check_file(c, w, 1, 0, NULL);
	free(c);
}

static void test_resolutions(void **state)
{
	static const struct {
		int tsresol; /* -1: none */
		uint64_t units, ts_ns;
	} cases[] = {
		{ -1, 1700000000123456, 1700000000123456000 },
		{ 0, 1700000000, 1700000000000000000 },
		{ 0, 18446744073, 18446744073000000000ULL },
		{ 3, 1700000000123, 1700000000123000000 },
		{ 9, UINT64_MAX, UINT64_MAX },
		{ 12, 1999, 1 },
		{ 12, UINT64_MAX, 18446744073709551 },
		{ 19, UINT64_MAX, 1844674407 },
		{ 20, UINT64_MAX, 184467440 },
		{ 29, UINT64_MAX, 0 },
		{ 127, UINT64_MAX, 0 },
		{ 0x80, 1700000000, 1700000000000000000 },
		{ 0x80 | 10, 1025, 1000976562 },
		{ 0x80 | 30, (1700000000ULL << 30) + 2, 1700000000000000001 },
		{ 0x80 | 32, UINT64_MAX, 4294967295999999999ULL },
		{ 0x80 | 64, UINT64_MAX, 999999999 },
		{ 0x80 | 127, UINT64_MAX, 0 },
	};
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	struct want w[N];
	struct cap *c = cap_new(false);
	size_t i, at;

	shb(c, false);
	for (i = 0; i < N; i++) {
		at = idb_begin(c, PCAPREAD_LINKTYPE_ETHERNET, 0);
		if (cases[i].tsresol >= 0)
			opt_tsresol(c, cases[i].tsresol);
		idb_end(c, at);
	}
	for (i = 0; i < N; i++)
		w[i] = want(epb(c, i, cases[i].units, i, 1, 1), cases[i].ts_ns, 1, 1, i, i);
	check_file(c, w, N, 0, NULL);
	free(c);
}

static void test_classic_errors(void **state)
{
	struct want w;
	struct cap *c;

	c = classic_new(false, false, 0, PCAPREAD_LINKTYPE_ETHERNET);
	check_open_fails(c, 20, -EINVAL, "truncated pcap file header at byte 0");
	free(c);
	c = classic_new(true, true, 0, LINKTYPE_OTHER);
	check_open_fails(c, c->len, -EINVAL, "link type 189 is not read: " LINKTYPES_READ);
	free(c);
	/* Ethernet with an FCS length in the upper bits: its frames end in 4 extra bytes. */
	c = classic_new(false, false, 0, 0x14000000 | PCAPREAD_LINKTYPE_ETHERNET);
	check_open_fails(c, c->len, -EINVAL, "link type 335544321 is not read: " LINKTYPES_READ);
	free(c);

	c = classic_new(false, false, 0, PCAPREAD_LINKTYPE_ETHERNET);
	put(c, NULL, 10);
	check_file(c, NULL, 0, -EINVAL, "truncated packet record at byte 24");
	c->len = 24;
	record(c, 1, 0, 0, 100, 100);
	c->len = 50;
	check_file(
		c, NULL, 0, -EINVAL,
		"packet record of 116 bytes at byte 24 runs past the end of the file (50 bytes)");
	/* The limit holds even with no snapshot length, and is itself allowed. */
	c->len = 24;
	w = want(record(c, 1, 0, 0, CAPLEN_LIMIT, CAPLEN_LIMIT), 1000000000, CAPLEN_LIMIT,
		 CAPLEN_LIMIT, 0, 0);
	record(c, 2, 0, 0, CAPLEN_LIMIT + 1, CAPLEN_LIMIT + 1);
	check_file(c, &w, 1, -EINVAL,
		   "packet at byte 262184 has 262145 captured bytes, over the limit of 262144");
	free(c);

	c = classic_new(true, false, 64, PCAPREAD_LINKTYPE_ETHERNET);
	w = want(record(c, 1, 0, 0, 64, 100), 1000000000, 64, 100, 0, 0);
	record(c, 2, 0, 0, 65, 100);
	check_file(c, &w, 1, -EINVAL,
		   "packet at byte 104 has 65 captured bytes, over the snapshot length of 64");
	free(c);
}

/* A little-endian section header and an Ethernet interface with no snapshot length: 48 bytes. */
static struct cap *pcapng_start(void)
{
	struct cap *c = cap_new(false);

	shb(c, false);
	assert_int_equal(idb(c, PCAPREAD_LINKTYPE_ETHERNET, 0), 28);
	assert_int_equal(c->len, 48);
	return c;
}

/* Appends an unread block of type CUSTOM whose leading length is len and whose trailing one is
 * trailer, with len - 12 bytes of body. */
static void raw_block(struct cap *c, uint32_t len, uint32_t trailer)
{
	put32(c, CUSTOM);
	put32(c, len);
	put(c, NULL, len - 12);
	put32(c, trailer);
}

static void test_pcapng_framing_errors(void **state)
{
	struct want w;
	struct cap *c;
	size_t at;

	c = pcapng_start();
	put(c, payload, 6);
	check_file(c, NULL, 0, -EINVAL, "truncated pcapng block header at byte 48");
	/* A second section header cut before its byte-order magic is whole. */
	c->len = 48;
	put32(c, SHB);
	put32(c, 28);
	put16(c, BOM >> 16);
	check_file(c, NULL, 0, -EINVAL, "truncated pcapng block header at byte 48");
	c->len = 48;
	raw_block(c, 30, 30);
	check_file(c, NULL, 0, -EINVAL,
		   "pcapng block at byte 48 has length 30, not a multiple of 4");
	c->len = 48;
	raw_block(c, 20, 20);
	poke(c, 48 + 4, 8, 4); /* the leading length */
	check_file(c, NULL, 0, -EINVAL,
		   "pcapng block of type 0xbad at byte 48 has length 8, under the minimum of 12");
	c->len = 48;
	at = block_begin(c, EPB);
	put(c, NULL, 16);
	block_end(c, at);
	check_file(c, NULL, 0, -EINVAL,
		   "pcapng block of type 0x6 at byte 48 has length 28, under the minimum of 32");
	c->len = 48;
	raw_block(c, 28, 32);
	check_file(c, NULL, 0, -EINVAL, "pcapng block at byte 48 has trailing length 32, not 28");
	c->len = 48;
	w = want(epb(c, 0, 1000000, 0, 16, 16), 1000000000, 16, 16, 0, 0);
	assert_int_equal(c->len, 96);
	raw_block(c, 28, 28);
	c->len = 120;
	check_file(c, &w, 1, -EINVAL,
		   "pcapng block of 28 bytes at byte 96 runs past the end of the file (120 bytes)");
	/* Both lengths of a section header are in its own byte order. */
	c->len = 48;
	shb(c, true);
	poke(c, 48 + 24, 32, 4); /* the trailing length */
	check_file(c, NULL, 0, -EINVAL, "pcapng block at byte 48 has trailing length 32, not 28");
	c->len = 48;
	shb(c, false);
	poke(c, 48 + 8, 0x4d3c2b1b, 4); /* the byte-order magic */
	check_file(c, NULL, 0, -EINVAL, "pcapng section header at byte 48 has no byte-order magic");
	poke(c, 48 + 8, BOM, 4);
	poke(c, 48 + 12, 2, 2); /* the major version */
	check_file(c, NULL, 0, -EINVAL,
		   "pcapng section header at byte 48 has version 2.0: only 1.x is read");
	free(c);

	/* The same errors in the first section header fail the open. */
	c = cap_new(true);
	shb(c, true);
	check_open_fails(
		c, 20, -EINVAL,
		"pcapng block of 28 bytes at byte 0 runs past the end of the file (20 bytes)");
	check_open_fails(c, 6, -EINVAL, "truncated pcapng block header at byte 0");
	poke(c, 8, 0x1a2b3c4e, 4); /* the byte-order magic */
	check_open_fails(c, c->len, -EINVAL,
			 "pcapng section header at byte 0 has no byte-order magic");
	poke(c, 8, BOM, 4);
	poke(c, 12, 0, 2); /* the major version, then the minor */
	poke(c, 14, 9, 2);
	check_open_fails(c, c->len, -EINVAL,
			 "pcapng section header at byte 0 has version 0.9: only 1.x is read");
	free(c);
}

static void test_pcapng_option_errors(void **state)
{
	static const uint8_t two[2];
	struct cap *c = cap_new(false);
	size_t at;

	shb(c, false);
	/* if_tsresol's header, then 4 of its 8 bytes of value. */
	at = idb_begin(c, PCAPREAD_LINKTYPE_ETHERNET, 0);
	put16(c, OPT_IF_TSRESOL);
	put16(c, 8);
	put32(c, 0);
	block_end(c, at);
	check_file(c, NULL, 0, -EINVAL,
		   "option 9 of the pcapng block at byte 28 runs past the end of the block");
	c->len = 28;
	at = idb_begin(c, PCAPREAD_LINKTYPE_ETHERNET, 0);
	option(c, OPT_IF_TSRESOL, two, sizeof(two));
	idb_end(c, at);
	check_file(c, NULL, 0, -EINVAL,
		   "option 9 of the pcapng block at byte 28 has length 2, not 1");
	c->len = 28;
	at = idb_begin(c, PCAPREAD_LINKTYPE_ETHERNET, 0);
	option(c, OPT_IF_TSOFFSET, payload, 4);
	idb_end(c, at);
	check_file(c, NULL, 0, -EINVAL,
		   "option 14 of the pcapng block at byte 28 has length 4, not 8");
	free(c);
}

static void test_pcapng_packet_errors(void **state)
{
	struct want w;
	struct cap *c;
	size_t at;

	c = pcapng_start();
	epb(c, 3, 0, 0, 0, 0);
	check_file(c, NULL, 0, -EINVAL,
		   "packet at byte 48 is on interface 3, which was never described");
	c->len = 48;
	epb(c, 0, 0, 0, 16, 16);
	poke(c, 48 + 20, 100, 4); /* the captured length */
	check_file(c, NULL, 0, -EINVAL,
		   "packet at byte 48 has 100 captured bytes, more than its block holds (16)");
	/* Over the limit even where the block holds it. */
	c->len = 48;
	spb(c, 300000, 0, CAPLEN_LIMIT + 4);
	check_file(c, NULL, 0, -EINVAL,
		   "packet at byte 48 has 262148 captured bytes, over the limit of 262144");
	c->len = 48;
	at = idb_begin(c, PCAPREAD_LINKTYPE_ETHERNET, 0);
	opt_tsresol(c, 0);
	idb_end(c, at);
	assert_int_equal(epb(c, 1, 18446744074, 0, 0, 0), 80);
	check_file(c, NULL, 0, -EINVAL,
		   "packet at byte 80 has a timestamp before 1970 or after 2554");
	c->len = 48;
	at = idb_begin(c, PCAPREAD_LINKTYPE_ETHERNET, 0);
	opt_tsoffset(c, -1);
	idb_end(c, at);
	assert_int_equal(epb(c, 1, 999999, 0, 0, 0), 84);
	check_file(c, NULL, 0, -EINVAL,
		   "packet at byte 84 has a timestamp before 1970 or after 2554");
	c->len = 48;
	at = idb_begin(c, PCAPREAD_LINKTYPE_ETHERNET, 0);
	opt_tsoffset(c, INT64_MAX);
	idb_end(c, at);
	assert_int_equal(epb(c, 1, 0, 0, 0, 0), 84);
	check_file(c, NULL, 0, -EINVAL,
		   "packet at byte 84 has a timestamp before 1970 or after 2554");
	free(c);

	c = cap_new(true);
	shb(c, true);
	idb(c, PCAPREAD_LINKTYPE_ETHERNET, 16);
	w = want(epb(c, 0, 1000000, 0, 16, 20), 1000000000, 16, 20, 0, 0);
	epb(c, 0, 1000000, 0, 17, 20);
	check_file(c, &w, 1, -EINVAL,
		   "packet at byte 96 has 17 captured bytes, over the snapshot length of 16");
	free(c);

	/* An interface not read, beside one that is (else the capture is refused at open). */
	c = pcapng_start();
	idb(c, LINKTYPE_OTHER, 0);
	w = want(epb(c, 0, 0, 0, 0, 0), 0, 0, 0, 0, 0);
	epb(c, 1, 0, 0, 0, 0);
	check_file(c, &w, 1, -EINVAL,
		   "packet at byte 100 is on interface 1 of link type 189, which is not read: "
		   LINKTYPES_READ);
	free(c);

	c = cap_new(false);
	shb(c, false);
	spb(c, 4, 0, 4);
	check_file(c, NULL, 0, -EINVAL,
		   "packet at byte 28 is on interface 0, which was never described");
	free(c);

	/* A new section forgets the interfaces of the one before. */
	c = pcapng_start();
	idb(c, PCAPREAD_LINKTYPE_ETHERNET, 0);
	w = want(epb(c, 1, 0, 0, 0, 0), 0, 0, 0, 1, 0);
	shb(c, true);
	idb(c, PCAPREAD_LINKTYPE_ETHERNET, 0);
	assert_int_equal(epb(c, 1, 0, 0, 0, 0), 148);
	check_file(c, &w, 1, -EINVAL,
		   "packet at byte 148 is on interface 1, which was never described");
	free(c);
}

static void test_open_errors(void **state)
{
	static const char text[] = "flowdb: this is text, not a capture\n";
	char err[PCAPREAD_ERR_SIZE] = "";
	struct cap *c = cap_new(false);
	struct pcapread *r;

	check_open_fails(c, 0, -EINVAL, "not a pcap or pcapng file");
	put(c, text, strlen(text));
	check_open_fails(c, c->len, -EINVAL, "not a pcap or pcapng file");
	c->len = 0;
	put32(c, MAGIC_US);
	check_open_fails(c, 3, -EINVAL, "not a pcap or pcapng file");
	free(c);
	assert_int_equal(unlink(path), 0);
	check_open_fails(NULL, 0, -ENOENT, "No such file or directory");
	assert_int_equal(mkdir(path, 0700), 0);
	check_open_fails(NULL, 0, -EISDIR, "Is a directory");
	assert_int_equal(rmdir(path), 0);
	/* A FIFO without a writer: refused at once, never waited on (the alarm ends a reader
	 * that would wait). */
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(FIFO_WAIT_S);
	check_open_fails(NULL, 0, -EINVAL, "not a regular file");
	alarm(0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(pcapread_open(&r, "/dev/null", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "not a regular file");
}

/* A capture in memory reads as the same file does, maps nothing, and leaves the memory alone. */
static void test_memory(void **state)
{
	char err[PCAPREAD_ERR_SIZE] = "";
	struct pcapread *r = (struct pcapread *)1;
	int mapped = n_guarded;
	struct want w[9];
	struct cap *c;

	c = classic_sample(true, false, w);
	assert_int_equal(pcapread_open_mem(&r, c->b, c->len, err, sizeof(err)), 0);
	assert_int_equal(pcapread_size(r), c->len);
	check_packets(r, w, 4, 0, NULL);
	pcapread_close(r);
	free(c);
	c = pcapng_sample(w);
	assert_int_equal(pcapread_open_mem(&r, c->b, c->len - 1, err, sizeof(err)), 0);
	check_packets(r, w, 8, -EINVAL, NULL);
	pcapread_close(r);
	assert_int_equal(n_guarded, mapped);
	assert_int_equal(pcapread_open_mem(&r, c->b, 0, err, sizeof(err)), -EINVAL);
	assert_null(r);
	assert_string_equal(err, "not a pcap or pcapng file");
	free(c);
}

static void test_cuts(void **state)
{
	struct want w[9];
	struct cap *c;

	c = classic_sample(false, false, w);
	check_cuts(c, w, 4);
	free(c);
	c = classic_sample(true, true, w);
	check_cuts(c, w, 4);
	free(c);
	c = pcapng_sample(w);
	check_cuts(c, w, 9);
	free(c);
}

/* Link types besides Ethernet, and what their packets become. */
#define LT_NULL 0
#define LT_PPP 9
#define LT_RAW_12 12
#define LT_RAW_14 14
#define LT_PPP_HDLC 50
#define LT_PPP_ETHER 51
#define LT_RAW 101
#define LT_C_HDLC 104
#define LT_LOOP 108
#define LT_SLL 113
#define LT_IPV4 228
#define LT_IPV6 229
#define LT_SLL2 276
#define ETH_HLEN 14
#define ET_IPV4 0x0800
#define ET_IPV6 0x86dd
#define ET_ARP 0x0806
#define ET_SLARP 0x8035
#define ET_PPPOE_DISCOVERY 0x8863
#define ET_PPPOE_SESSION 0x8864
#define ET_OTHER 0x88b5 /* the reader's for what has no ethertype */
/* Bytes on the wire after the captured ones, in the link cases. */
#define UNCAPTURED 100
/* Room for a link case's packet: its header and what follows. */
#define LINK_PACKET_MAX 128
/* A sender's address, as a Linux cooked header holds it. */
#define MAC 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee

static const uint8_t mac[] = { MAC };
/* The start of an IPv4 and of an IPv6 packet (UDP), a PPP LCP packet, and bytes of no IP
 * version. */
static const uint8_t ip4[] = { 0x45, 0, 0, 28, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1,
			       10,   0, 0, 2,  0, 53, 0, 53, 0,  8,  0, 0 };
static const uint8_t ip6[] = { 0x60, 0, 0, 0, 0, 8, 17, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
			       0,    0, 0, 0, 0, 0, 0,  1,  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
			       0,    0, 0, 0, 0, 0, 0,  2,  0,    53,   0,    53,   0, 8, 0, 0 };
static const uint8_t lcp[] = { 0x01, 0x01, 0x00, 0x04 };
/* PPPoE: a session's packet (code 0) of IPv4, and a discovery stage's PADI (code 9). */
static const uint8_t pppoe_ip4[] = { 0x11, 0x00, 0x12, 0x34, 0x00, 0x02, 0x00, 0x21 };
static const uint8_t padi[] = { 0x11, 0x09, 0x00, 0x00, 0x00, 0x00 };

/* A packet of a link type: its link header and what follows, and the Ethernet header the reader
 * should put in the link header's place. */
struct link_case {
	uint32_t linktype;
	uint8_t hdr[20];
	uint32_t hdr_len;
	const uint8_t *net;
	uint32_t net_len;
	uint16_t ethertype;
	bool src; /* the source address is mac (else 0) */
};

#define IP4 ip4, sizeof(ip4)
#define IP6 ip6, sizeof(ip6)
#define LCP lcp, sizeof(lcp)
static const struct link_case link_cases[] = {
	/* Linux cooked: packet type, ARPHRD type, address length, address (8), protocol. */
	{ LT_SLL, { 0, 0, 0, 1, 0, 6, MAC, 0, 0, 0x08, 0x00 }, 16, IP4, ET_IPV4, true },
	{ LT_SLL, { 0, 4, 0, 1, 0, 6, MAC, 0, 0, 0x86, 0xdd }, 16, IP6, ET_IPV6, true },
	{ LT_SLL, { 0, 1, 0, 1, 0, 6, MAC, 0, 0, 0x08, 0x06 }, 16, LCP, ET_ARP, true },
	/* An address of 4 bytes (IP over GRE) and one over the 8 there are: no source. */
	{ LT_SLL, { 0, 0, 0x03, 0x0a, 0, 4, 10, 0, 0, 9, 0, 0, 0, 0, 0x08, 0x00 }, 16, IP4, ET_IPV4 },
	{ LT_SLL, { 0, 0, 0, 1, 0xff, 0xff, MAC, 0, 0, 0x08, 0x00 }, 16, IP4, ET_IPV4 },
	/* A protocol that is not an ethertype: 802.2 LLC. */
	{ LT_SLL, { 0, 0, 0, 1, 0, 6, MAC, 0, 0, 0x00, 0x04 }, 16, LCP, ET_OTHER, true },
	/* Version 2: protocol, reserved, interface index, ARPHRD type, packet type, address
	 * length, address (8). */
	{ LT_SLL2, { 0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, MAC, 0, 0 }, 20, IP6, ET_IPV6, true },
	{ LT_SLL2, { 0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 9, MAC, 0, 0 }, 20, IP4, ET_IPV4 },
	/* Raw IP: the version says which, under every number of the link type. */
	{ LT_RAW, { 0 }, 0, IP4, ET_IPV4 },
	{ LT_RAW, { 0 }, 0, IP6, ET_IPV6 },
	{ LT_RAW, { 0 }, 0, LCP, ET_OTHER },
	{ LT_RAW_12, { 0 }, 0, IP4, ET_IPV4 },
	{ LT_RAW_14, { 0 }, 0, IP6, ET_IPV6 },
	/* Here the link type says, whatever the packet: an empty IPv4 one is the parser's to
	 * call malformed. */
	{ LT_IPV4, { 0 }, 0, IP4, ET_IPV4 },
	{ LT_IPV4, { 0 }, 0, IP6, ET_IPV4 },
	{ LT_IPV4, { 0 }, 0, ip4, 0, ET_IPV4 },
	{ LT_IPV6, { 0 }, 0, IP6, ET_IPV6 },
	/* BSD loopback: AF_INET, then AF_INET6 of each system, in either byte order; families
	 * that are not IP. */
	{ LT_NULL, { 2, 0, 0, 0 }, 4, IP4, ET_IPV4 },
	{ LT_NULL, { 0, 0, 0, 2 }, 4, IP4, ET_IPV4 },
	{ LT_NULL, { 24, 0, 0, 0 }, 4, IP6, ET_IPV6 },
	{ LT_NULL, { 0, 0, 0, 28 }, 4, IP6, ET_IPV6 },
	{ LT_NULL, { 30, 0, 0, 0 }, 4, IP6, ET_IPV6 },
	{ LT_NULL, { 7, 0, 0, 0 }, 4, LCP, ET_OTHER },
	{ LT_NULL, { 2, 0, 0, 2 }, 4, IP4, ET_OTHER },
	{ LT_LOOP, { 0, 0, 0, 2 }, 4, IP4, ET_IPV4 },
	{ LT_LOOP, { 0, 0, 0, 24 }, 4, IP6, ET_IPV6 },
	/* PPPoE: the header stays, under the ethertype of a session or of discovery. */
	{ LT_PPP_ETHER, { 0 }, 0, pppoe_ip4, sizeof(pppoe_ip4), ET_PPPOE_SESSION },
	{ LT_PPP_ETHER, { 0 }, 0, padi, sizeof(padi), ET_PPPOE_DISCOVERY },
	/* PPP: address and control bytes or none, a protocol of 2 bytes or compressed to 1. */
	{ LT_PPP, { 0xff, 0x03, 0x00, 0x21 }, 4, IP4, ET_IPV4 },
	{ LT_PPP, { 0x00, 0x57 }, 2, IP6, ET_IPV6 },
	{ LT_PPP, { 0x21 }, 1, IP4, ET_IPV4 },
	{ LT_PPP, { 0xff, 0x03, 0x57 }, 3, IP6, ET_IPV6 },
	{ LT_PPP, { 0xff, 0x03, 0xc0, 0x21 }, 4, LCP, ET_OTHER },
	/* PPP in HDLC-like framing, or Cisco HDLC by its address. */
	{ LT_PPP_HDLC, { 0xff, 0x03, 0x00, 0x21 }, 4, IP4, ET_IPV4 },
	{ LT_PPP_HDLC, { 0x00, 0x57 }, 2, IP6, ET_IPV6 },
	{ LT_PPP_HDLC, { 0x0f, 0x00, 0x08, 0x00 }, 4, IP4, ET_IPV4 },
	{ LT_PPP_HDLC, { 0x8f, 0x00, 0x86, 0xdd }, 4, IP6, ET_IPV6 },
	{ LT_C_HDLC, { 0x0f, 0x00, 0x08, 0x00 }, 4, IP4, ET_IPV4 },
	{ LT_C_HDLC, { 0x8f, 0x00, 0x80, 0x35 }, 4, LCP, ET_SLARP },
	{ LT_C_HDLC, { 0x0f, 0x00, 0x00, 0x10 }, 4, LCP, ET_OTHER },
};
#define N_LINK_CASES (sizeof(link_cases) / sizeof(link_cases[0]))

/* Builds the captured bytes of a link case in buf (LINK_PACKET_MAX bytes). Returns their
 * number. */
static uint32_t link_packet(const struct link_case *k, uint8_t *buf)
{
	assert_true(k->hdr_len + k->net_len <= LINK_PACKET_MAX);
	memcpy(buf, k->hdr, k->hdr_len);
	memcpy(buf + k->hdr_len, k->net, k->net_len);
	return k->hdr_len + k->net_len;
}

/* Checks that p is the Ethernet frame the reader should make of link case k. */
static void check_link_frame(const struct link_case *k, const struct pcap_packet *p)
{
	static const uint8_t zero[6];

	assert_int_equal(p->linktype, k->linktype);
	assert_int_equal(p->caplen, ETH_HLEN + k->net_len);
	assert_int_equal(p->len, ETH_HLEN + k->net_len + UNCAPTURED);
	assert_memory_equal(p->data, zero, 6);
	assert_memory_equal(p->data + 6, k->src ? mac : zero, 6);
	assert_int_equal(p->data[12] << 8 | p->data[13], k->ethertype);
	assert_memory_equal(p->data + ETH_HLEN, k->net, k->net_len);
}

/* Every link case as a classic pcap of its own, in either byte order, from a file (whose end is
 * guarded: nothing is read past it); and all of them in one pcapng of an interface each, beside
 * an Ethernet interface whose frames are the capture's own bytes, not a copy. */
static void test_link_types(void **state)
{
	char err[PCAPREAD_ERR_SIZE] = "";
	struct pcap_packet p;
	struct pcapread *r;
	uint8_t buf[LINK_PACKET_MAX];
	struct cap *c;
	size_t i, at;
	uint32_t n;
	int be;

	for (i = 0; i < N_LINK_CASES; i++) {
		for (be = 0; be < 2; be++) {
			c = classic_new(be, false, 0, link_cases[i].linktype);
			n = link_packet(&link_cases[i], buf);
			record_data(c, 1, 0, buf, n, n + UNCAPTURED);
			write_cap(c, c->len);
			assert_int_equal(pcapread_open(&r, path, err, sizeof(err)), 0);
			assert_int_equal(pcapread_next(r, &p, err, sizeof(err)), 1);
			check_link_frame(&link_cases[i], &p);
			assert_int_equal(pcapread_next(r, &p, err, sizeof(err)), 0);
			pcapread_close(r);
			free(c);
		}
	}
	for (be = 0; be < 2; be++) {
		c = cap_new(be);
		shb(c, be);
		for (i = 0; i < N_LINK_CASES; i++)
			idb(c, link_cases[i].linktype, 0);
		idb(c, PCAPREAD_LINKTYPE_ETHERNET, 0);
		for (i = 0; i < N_LINK_CASES; i++) {
			n = link_packet(&link_cases[i], buf);
			block_end(c, epb_data(c, i, i, buf, n, n + UNCAPTURED));
		}
		at = epb(c, N_LINK_CASES, 0, 0, 60, 60);
		assert_int_equal(pcapread_open_mem(&r, c->b, c->len, err, sizeof(err)), 0);
		for (i = 0; i < N_LINK_CASES; i++) {
			assert_int_equal(pcapread_next(r, &p, err, sizeof(err)), 1);
			assert_int_equal(p.interface, i);
			check_link_frame(&link_cases[i], &p);
		}
		assert_int_equal(pcapread_next(r, &p, err, sizeof(err)), 1);
		assert_int_equal(p.linktype, PCAPREAD_LINKTYPE_ETHERNET);
		assert_ptr_equal(p.data, c->b + at + 28);
		assert_int_equal(pcapread_next(r, &p, err, sizeof(err)), 0);
		pcapread_close(r);
		free(c);
	}
}

/* Reads the one packet of a classic capture of a link type with caplen bytes of data and a wire
 * length of len into *p, and checks that it is the last. The frame is valid until the reader
 * is closed, which the caller does with *r. */
static void read_one(struct pcapread **r, uint32_t linktype, const uint8_t *data, uint32_t caplen,
		     uint32_t len, struct pcap_packet *p)
{
	char err[PCAPREAD_ERR_SIZE] = "";
	struct pcap_packet end;
	struct cap *c = classic_new(false, false, 0, linktype);

	record_data(c, 1, 0, data, caplen, len);
	write_cap(c, c->len);
	free(c);
	assert_int_equal(pcapread_open(r, path, err, sizeof(err)), 0);
	assert_int_equal(pcapread_next(*r, p, err, sizeof(err)), 1);
	assert_int_equal(pcapread_next(*r, &end, err, sizeof(err)), 0);
}

/* A packet that ends inside its link header (or before the byte that says what follows it)
 * becomes an empty frame; a wire length shorter than the link header, or too long to take 14
 * bytes more, still gives a length of at least the captured one and at most 2^32 - 1; a frame
 * as large as can be captured still fits. */
static void test_link_lengths(void **state)
{
	static const struct {
		uint32_t linktype;
		uint8_t data[8];
		uint32_t caplen;
	} cut[] = {
		{ LT_SLL, { 0 }, 15 },
		{ LT_SLL2, { 0 }, 19 },
		{ LT_NULL, { 2 }, 3 },
		{ LT_LOOP, { 0 }, 0 },
		{ LT_RAW, { 0 }, 0 },
		{ LT_RAW_12, { 0 }, 0 },
		{ LT_PPP, { 0x00 }, 1 },
		{ LT_PPP, { 0xff, 0x03 }, 2 },
		{ LT_PPP, { 0xff, 0x03, 0x00 }, 3 },
		{ LT_PPP_HDLC, { 0x0f, 0x00, 0x08 }, 3 },
		{ LT_C_HDLC, { 0x0f }, 1 },
	};
	static uint8_t big[CAPLEN_LIMIT];
	uint8_t data[LINK_PACKET_MAX] = { 0 };
	struct pcap_packet p;
	struct pcapread *r;
	size_t i;

	for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		memcpy(data, cut[i].data, sizeof(cut[i].data));
		read_one(&r, cut[i].linktype, data, cut[i].caplen, 1500, &p);
		assert_int_equal(p.linktype, cut[i].linktype);
		assert_int_equal(p.caplen, 0);
		assert_int_equal(p.len, 0);
		assert_non_null(p.data);
		pcapread_close(r);
	}
	/* Linux cooked, 16 bytes of header before 28 of IPv4. */
	link_packet(&link_cases[0], data);
	read_one(&r, LT_SLL, data, 44, 10, &p);
	assert_int_equal(p.caplen, 42);
	assert_int_equal(p.len, 42);
	pcapread_close(r);
	read_one(&r, LT_SLL, data, 44, UINT32_MAX, &p);
	assert_int_equal(p.len, UINT32_MAX - 2);
	pcapread_close(r);
	/* Cut by a snapshot length. */
	read_one(&r, LT_SLL, data, 36, 44, &p);
	assert_int_equal(p.caplen, 34);
	assert_int_equal(p.len, 42);
	assert_memory_equal(p.data + ETH_HLEN, ip4, 20);
	pcapread_close(r);
	/* Raw IP: no header to take off. */
	read_one(&r, LT_RAW, ip4, sizeof(ip4), UINT32_MAX - 15, &p);
	assert_int_equal(p.len, UINT32_MAX - 1);
	pcapread_close(r);
	read_one(&r, LT_RAW, ip4, sizeof(ip4), UINT32_MAX - 14, &p);
	assert_int_equal(p.len, UINT32_MAX);
	pcapread_close(r);
	read_one(&r, LT_RAW, ip4, sizeof(ip4), UINT32_MAX, &p);
	assert_int_equal(p.len, UINT32_MAX);
	pcapread_close(r);
	memcpy(big, ip6, sizeof(ip6));
	memcpy(big + CAPLEN_LIMIT - sizeof(ip4), ip4, sizeof(ip4));
	read_one(&r, LT_RAW, big, CAPLEN_LIMIT, CAPLEN_LIMIT, &p);
	assert_int_equal(p.caplen, CAPLEN_LIMIT + ETH_HLEN);
	assert_int_equal(p.len, CAPLEN_LIMIT + ETH_HLEN);
	assert_int_equal(p.data[12] << 8 | p.data[13], ET_IPV6);
	assert_memory_equal(p.data + ETH_HLEN, big, CAPLEN_LIMIT);
	pcapread_close(r);
}

/* A pcapng whose interfaces before its first packet are all of link types not read is refused
 * at open; one read among them, a new section or a block that cannot be framed before the first
 * packet leaves the verdict to the packets. */
static void test_refused_early(void **state)
{
	char err[PCAPREAD_ERR_SIZE] = "";
	struct pcap_packet p;
	struct pcapread *r;
	uint8_t buf[LINK_PACKET_MAX];
	struct want w;
	struct cap *c;
	uint32_t n;

	c = cap_new(false);
	shb(c, false);
	idb(c, LINKTYPE_OTHER, 0);
	epb(c, 0, 0, 0, 16, 16);
	check_open_fails(c, c->len, -EINVAL,
			 "interface 0 is of link type 189, which is not read: " LINKTYPES_READ);
	/* With no packet at all, as with one. */
	check_open_fails(c, 48, -EINVAL,
			 "interface 0 is of link type 189, which is not read: " LINKTYPES_READ);
	free(c);

	c = cap_new(true);
	shb(c, true);
	idb(c, LINKTYPE_OTHER, 0);
	other_block(c, NRB, 8);
	idb(c, LINKTYPE_USER0, 0);
	spb(c, 16, 0, 16);
	check_open_fails(c, c->len, -EINVAL,
			 "none of interfaces 0 to 1 is of a link type read (interface 0 is of 189): "
			 LINKTYPES_READ);
	free(c);

	/* The next section's interfaces may be read. */
	c = cap_new(false);
	shb(c, false);
	idb(c, LINKTYPE_OTHER, 0);
	shb(c, true);
	idb(c, PCAPREAD_LINKTYPE_ETHERNET, 0);
	w = want(epb(c, 0, 0, 0, 16, 16), 0, 16, 16, 0, 0);
	check_file(c, &w, 1, 0, NULL);
	free(c);

	/* A block that cannot be framed: its own error, at its turn. */
	c = cap_new(false);
	shb(c, false);
	idb(c, LINKTYPE_OTHER, 0);
	raw_block(c, 30, 30);
	check_file(c, NULL, 0, -EINVAL, "pcapng block at byte 48 has length 30, not a multiple of 4");
	free(c);

	/* Linux cooked capture is read. */
	c = cap_new(false);
	shb(c, false);
	idb(c, LT_SLL, 0);
	n = link_packet(&link_cases[0], buf);
	block_end(c, epb_data(c, 0, 0, buf, n, n + UNCAPTURED));
	write_cap(c, c->len);
	assert_int_equal(pcapread_open(&r, path, err, sizeof(err)), 0);
	assert_int_equal(pcapread_next(r, &p, err, sizeof(err)), 1);
	check_link_frame(&link_cases[0], &p);
	pcapread_close(r);
	free(c);
}

/* Compresses the n bytes at data into a gzip stream at out (room bytes), flushed at each of the
 * n_flush offsets at flush (ascending): the first cut_at[i] bytes of the stream decompress to
 * the first flush[i] bytes of data, no more, no less. Returns the stream's length. */
static size_t gzip_data(const uint8_t *data, size_t n, const size_t *flush, size_t n_flush,
			size_t *cut_at, uint8_t *out, size_t room)
{
	z_stream zs = { 0 };
	size_t done = 0, upto, i, len;

	assert_int_equal(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8,
				      Z_DEFAULT_STRATEGY),
			 Z_OK);
	zs.next_out = out;
	zs.avail_out = room;
	for (i = 0; i <= n_flush; i++) {
		upto = i < n_flush ? flush[i] : n;
		zs.next_in = data + done;
		zs.avail_in = upto - done;
		if (i < n_flush) {
			assert_int_equal(deflate(&zs, Z_SYNC_FLUSH), Z_OK);
			cut_at[i] = zs.total_out;
		} else {
			assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
		}
		done = upto;
	}
	len = zs.total_out;
	deflateEnd(&zs);
	return len;
}

/* A capture that is the gzip stream of c, flushed at every end of a record or block (cut_at:
 * where each ends in the stream). */
static struct cap *gzip_cap(const struct cap *c, size_t *cut_at)
{
	struct cap *gz = cap_new(false);

	gz->len = gzip_data(c->b, c->len, c->ends, c->n_ends, cut_at, gz->b, CAP_SIZE);
	return gz;
}

/* The number of the packets w[0..n) that start before byte end. */
static size_t packets_before(const struct want *w, size_t n, size_t end)
{
	size_t i = 0;

	while (i < n && w[i].offset < end)
		i++;
	return i;
}

/* Checks that the first n bytes of the compressed capture gz read as a capture of size bytes
 * that gives w[0..n_want) and then want_ret (want_err), with nothing left mapped at the end
 * and the temporary file unlinked all along. */
static void check_gz(const struct cap *gz, size_t n, uint64_t size, const struct want *w,
		     size_t n_want, int want_ret, const char *want_err)
{
	char err[PCAPREAD_ERR_SIZE] = "";
	int mapped = n_guarded;
	struct pcapread *r;

	write_cap(gz, n);
	assert_int_equal(pcapread_open(&r, path, err, sizeof(err)), 0);
	assert_int_equal(pcapread_size(r), size);
	assert_int_equal(n_guarded, mapped + (size > 0));
	assert_int_equal(files_in(tmp_dir), 0);
	check_packets(r, w, n_want, want_ret, want_err);
	pcapread_close(r);
	assert_int_equal(n_guarded, mapped);
}

/* Compressed captures: classic and pcapng, in one gzip member or two, read as they are; a
 * stream cut short, corrupt or followed by other bytes gives every packet before the point it
 * stops at, then one line saying so and how much was decompressed; at open when not even the
 * file header came out. */
static void test_gzip(void **state)
{
	static const char text[] = "flowdb: this is text, not a capture\n";
	char want_err[PCAPREAD_ERR_SIZE];
	size_t cut_at[MAX_ENDS], mid, one;
	struct cap *c, *gz, *gz2;
	struct want w[9];
	size_t k;

	c = classic_sample(true, false, w);
	gz = gzip_cap(c, cut_at);
	check_gz(gz, gz->len, c->len, w, 4, 0, NULL);
	/* Cut at the end of each record: the packets before it. */
	for (k = 0; k < c->n_ends; k++) {
		snprintf(want_err, sizeof(want_err),
			 "gzip stream cut short after %zu bytes decompressed; reading stops at "
			 "byte %zu",
			 c->ends[k], c->ends[k]);
		check_gz(gz, cut_at[k], c->ends[k], w, k, -EINVAL, want_err);
	}
	/* Corrupt there: a block of the reserved type 3 follows. */
	gz2 = cap_new(false);
	put(gz2, gz->b, cut_at[2]);
	put(gz2, "\x06", 1);
	put(gz2, gz->b + cut_at[2], gz->len - cut_at[2]);
	snprintf(want_err, sizeof(want_err),
		 "gzip stream corrupt (invalid block type) after %zu bytes decompressed; reading "
		 "stops at byte %zu",
		 c->ends[2], c->ends[2]);
	check_gz(gz2, gz2->len, c->ends[2], w, 2, -EINVAL, want_err);
	/* Whole, then bytes that are not another member. */
	gz2->len = 0;
	put(gz2, gz->b, gz->len);
	put(gz2, "junk", 4);
	snprintf(want_err, sizeof(want_err),
		 "4 bytes that are not gzip follow the gzip stream, after %zu bytes decompressed; "
		 "reading stops at byte %zu",
		 c->len, c->len);
	check_gz(gz2, gz2->len, c->len, w, 4, -EINVAL, want_err);
	/* Two members, split inside the third record. */
	mid = c->ends[2] + 5;
	gz2->len = gzip_data(c->b, mid, NULL, 0, NULL, gz2->b, CAP_SIZE);
	gz2->len += gzip_data(c->b + mid, c->len - mid, NULL, 0, NULL, gz2->b + gz2->len,
			      CAP_SIZE - gz2->len);
	check_gz(gz2, gz2->len, c->len, w, 4, 0, NULL);
	/* Cut inside a record: the packets before the record. */
	gz2->len = gzip_data(c->b, c->len, &mid, 1, &one, gz2->b, CAP_SIZE);
	snprintf(want_err, sizeof(want_err),
		 "gzip stream cut short after %zu bytes decompressed; reading stops at byte %zu",
		 mid, c->ends[2]);
	check_gz(gz2, one, mid, w, 2, -EINVAL, want_err);
	/* A whole stream of a capture that is cut: the capture's error, not the stream's. */
	gz2->len = gzip_data(c->b, mid, NULL, 0, NULL, gz2->b, CAP_SIZE);
	snprintf(want_err, sizeof(want_err), "truncated packet record at byte %zu", c->ends[2]);
	check_gz(gz2, gz2->len, mid, w, 2, -EINVAL, want_err);
	/* Not even a file header: refused at open. */
	check_open_fails(gz, 5, -EINVAL,
			 "gzip stream cut short after 0 bytes decompressed; reading stops at byte 0");
	free(c);

	c = pcapng_sample(w);
	gz->len = gzip_data(c->b, c->len, c->ends, c->n_ends, cut_at, gz->b, CAP_SIZE);
	check_gz(gz, gz->len, c->len, w, 9, 0, NULL);
	for (k = 0; k < c->n_ends; k++) {
		snprintf(want_err, sizeof(want_err),
			 "gzip stream cut short after %zu bytes decompressed; reading stops at "
			 "byte %zu",
			 c->ends[k], c->ends[k]);
		check_gz(gz, cut_at[k], c->ends[k], w, packets_before(w, 9, c->ends[k]), -EINVAL,
			 want_err);
	}
	free(c);

	/* Refused as the same capture uncompressed would be. */
	c = cap_new(false);
	shb(c, false);
	idb(c, LINKTYPE_OTHER, 0);
	gz->len = gzip_data(c->b, c->len, NULL, 0, NULL, gz->b, CAP_SIZE);
	check_open_fails(gz, gz->len, -EINVAL,
			 "interface 0 is of link type 189, which is not read: " LINKTYPES_READ);
	free(c);
	gz->len = gzip_data((const uint8_t *)text, strlen(text), NULL, 0, NULL, gz->b, CAP_SIZE);
	check_open_fails(gz, gz->len, -EINVAL, "not a pcap or pcapng file");
	gz->len = gzip_data((const uint8_t *)"", 0, NULL, 0, NULL, gz->b, CAP_SIZE);
	check_open_fails(gz, gz->len, -EINVAL, "not a pcap or pcapng file");
	/* The magic, then a compression method that is not deflate. */
	gz->len = 0;
	put(gz, "\x1f\x8b\x07\x00", 4);
	put(gz, text, strlen(text));
	check_open_fails(gz, gz->len, -EINVAL,
			 "gzip stream corrupt (unknown compression method) after 0 bytes "
			 "decompressed; reading stops at byte 0");
	check_open_fails(gz, 2, -EINVAL,
			 "gzip stream cut short after 0 bytes decompressed; reading stops at byte 0");
	free(gz);
	free(gz2);
}

/* The temporary file: in $TMPDIR (/tmp when it is unset or empty), and an error naming where
 * when it cannot be made or written (a decompression bomb against a limit on file sizes stands
 * for a full disk), with nothing left behind; a bomb that is no capture is refused before it
 * reaches the limit. */
static void test_gzip_temp(void **state)
{
	char err[PCAPREAD_ERR_SIZE] = "", want_err[PATH_MAX + PCAPREAD_ERR_SIZE];
	struct cap *c = classic_new(false, false, 0, PCAPREAD_LINKTYPE_ETHERNET);
	struct cap *gz = cap_new(false), *gz2 = cap_new(false);
	struct rlimit saved, limit;
	size_t written;
	int done;
	struct pcapread *r;
	uint8_t *zeros;

	gz->len = gzip_data(c->b, c->len, NULL, 0, NULL, gz->b, CAP_SIZE);
	write_cap(gz, gz->len);
	assert_int_equal(setenv("TMPDIR", "", 1), 0);
	assert_int_equal(pcapread_open(&r, path, err, sizeof(err)), 0);
	pcapread_close(r);
	assert_int_equal(setenv("TMPDIR", "/nonexistent/flowdb", 1), 0);
	assert_int_equal(pcapread_open(&r, path, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "cannot make a temporary file in /nonexistent/flowdb to "
				 "decompress into: No such file or directory");
	assert_int_equal(setenv("TMPDIR", tmp_dir, 1), 0);

	/* A valid header, then zeros: 4 MiB from a few KiB. */
	zeros = calloc(1, GZIP_BOMB);
	assert_non_null(zeros);
	gz2->len = gzip_data(zeros, GZIP_BOMB, NULL, 0, NULL, gz2->b, CAP_SIZE);
	memcpy(zeros, c->b, c->len);
	gz->len = gzip_data(zeros, GZIP_BOMB, NULL, 0, NULL, gz->b, CAP_SIZE);
	free(zeros);
	/* The soft limit only, which can be raised again without privilege. */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	limit = (struct rlimit){ GZIP_FILE_LIMIT, saved.rlim_max };
	signal(SIGXFSZ, SIG_IGN);
	/* Zeros only: no capture, said before much is written. */
	write_cap(gz2, gz2->len);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &limit), 0);
	assert_int_equal(pcapread_open(&r, path, err, sizeof(err)), -EINVAL);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	assert_string_equal(err, "not a pcap or pcapng file");
	/* A file header, then zeros: as far as the limit. */
	write_cap(gz, gz->len);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &limit), 0);
	assert_int_equal(pcapread_open(&r, path, err, sizeof(err)), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_null(r);
	/* After as many whole chunks as the limit took, whatever their size. */
	snprintf(want_err, sizeof(want_err), "cannot decompress into %s after %%zu bytes: %%n",
		 tmp_dir);
	done = 0;
	assert_int_equal(sscanf(err, want_err, &written, &done), 1);
	assert_true(written > 0 && written <= GZIP_FILE_LIMIT);
	assert_string_equal(err + done, "File too large");
	assert_int_equal(files_in(tmp_dir), 0);
	free(c);
	free(gz);
	free(gz2);
}

/* The guard that the cuts rely on: a read one byte past a mapped file faults. */
static void test_guard_page(void **state)
{
	struct cap *c = classic_new(false, false, 0, PCAPREAD_LINKTYPE_ETHERNET);
	int mapped = n_guarded, fd, status;
	const volatile uint8_t *map;
	pid_t pid;

	write_cap(c, c->len);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	map = mmap(NULL, c->len, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(map != MAP_FAILED);
	assert_int_equal(n_guarded, mapped + 1);
	assert_int_equal(map[c->len - 4], PCAPREAD_LINKTYPE_ETHERNET);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		/* Not cmocka's handler (nor a sanitizer's): the child is to die of it. */
		signal(SIGSEGV, SIG_DFL);
		_exit(map[c->len]);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
	assert_int_equal(munmap((void *)map, c->len), 0);
	assert_int_equal(n_guarded, mapped);
	close(fd);
	free(c);
}

/* Makes the temporary directory, with one inside for $TMPDIR, and a payload whose slices
 * differ from one another. */
static int setup(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(payload); i++)
		payload[i] = i * 7 + i / 251;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/cap", dir);
	snprintf(tmp_dir, sizeof(tmp_dir), "%s/tmp", dir);
	if (mkdir(tmp_dir, 0700))
		return -1;
	return setenv("TMPDIR", tmp_dir, 1);
}

/* Removes the temporary directories. */
static int teardown(void **state)
{
	unlink(path);
	rmdir(tmp_dir);
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classic),
		cmocka_unit_test(test_pcapng),
		cmocka_unit_test(test_resolutions),
		cmocka_unit_test(test_classic_errors),
		cmocka_unit_test(test_pcapng_framing_errors),
		cmocka_unit_test(test_pcapng_option_errors),
		cmocka_unit_test(test_pcapng_packet_errors),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_cuts),
		cmocka_unit_test(test_link_types),
		cmocka_unit_test(test_link_lengths),
		cmocka_unit_test(test_refused_early),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_gzip_temp),
		cmocka_unit_test(test_guard_page),
	};

	return cmocka_run_group_tests_name("pcapread", tests, setup, teardown);
}
