// SPDX-License-Identifier: BSD-2-Clause
/* capset: captures named as files, directories and patterns, merged by
 * capture time, each file once, bad ones refused or reported in turn. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "capset.h"
#include "pcapw.h"

static char dir[] = "/tmp/test_capset.XXXXXX";
static char errbuf[4096];

/* Writes a capture of one frame per time in ts_us (zero ends the list),
 * each frame's first byte its index in the whole test. */
static void write_capture(const char *name, const uint64_t *ts_us, uint8_t tag)
{
	uint8_t frame[60] = { 0 };
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = pcapw_open(path);
	assert_non_null(f);
	for (; *ts_us; ts_us++) {
		frame[0] = tag++;
		assert_int_equal(pcapw_write(f, *ts_us, frame, sizeof(frame)), 0);
	}
	assert_int_equal(pcapw_close(f), 0);
}

static void write_text(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Opens the set of paths (relative to dir); messages land in errbuf. */
static int open_set(struct capset **s, int n, ...)
{
	const char *paths[8];
	char full[8][256];
	FILE *err = fmemopen(errbuf, sizeof(errbuf), "w");
	va_list ap;
	int i, ret;

	memset(errbuf, 0, sizeof(errbuf));
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		snprintf(full[i], sizeof(full[i]), "%s/%s", dir, va_arg(ap, const char *));
		paths[i] = full[i];
	}
	va_end(ap);
	ret = capset_open(s, paths, n, err);
	fclose(err);
	return ret;
}

static int setup(void **state)
{
	static const uint64_t a[] = { 100, 300, 300, 700, 0 }, b[] = { 200, 300, 600, 0 };

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	mkdir(strcat(strcpy(errbuf, dir), "/sub"), 0755);
	mkdir(strcat(strcpy(errbuf, dir), "/sub/deeper"), 0755);
	write_capture("sub/a.pcap", a, 0);
	write_capture("sub/deeper/b.pcap", b, 10);
	write_text("sub/notes.txt", "not a capture\n");
	write_text("bad.pcap", "\xd4\xc3\xb2\xa1 cut short");
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* Reads every packet: their tags in order, and how many there were. */
static int read_all(struct capset *s, uint8_t *tags, int max)
{
	struct pcap_packet p;
	uint64_t before;
	const char *path;
	char why[PCAPREAD_ERR_SIZE];
	int n = 0, ret;

	while ((ret = capset_next(s, &p, &path, &before, why, sizeof(why))) == 1 && n < max)
		tags[n++] = p.data[0];
	assert_int_equal(ret, 0);
	return n;
}

/* Two overlapping captures, one found in a directory below the other:
 * merged by time, ties to the file found first, and in a file in its own
 * order; the notes are skipped with a word. */
static void test_merge_by_time(void **state)
{
	static const uint8_t want[] = { 0, 10, 1, 2, 11, 12, 3 };
	struct capset *s;
	uint8_t tags[16];

	(void)state;
	assert_int_equal(open_set(&s, 1, "sub"), 0);
	assert_non_null(strstr(errbuf, "notes.txt: not a capture, skipped"));
	assert_int_equal(capset_files(s), 2);
	assert_int_equal(read_all(s, tags, 16), 7);
	assert_memory_equal(tags, want, sizeof(want));
	assert_int_equal(capset_files_done(s), 2);
	assert_int_equal(capset_offset(s), capset_size(s));
	capset_close(s);
}

/* A file named twice, and by a pattern too, is read once. */
static void test_once(void **state)
{
	struct capset *s;
	uint8_t tags[16];

	(void)state;
	assert_int_equal(open_set(&s, 3, "sub/a.pcap", "sub/a.pcap", "s*/a.pca?"), 0);
	assert_int_equal(capset_files(s), 1);
	assert_int_equal(read_all(s, tags, 16), 4);
	capset_close(s);
}

/* Named files that cannot be read, patterns without a match, and sets
 * without a capture are refused, each bad path said. */
static void test_refused(void **state)
{
	struct capset *s = (void *)1;

	(void)state;
	assert_int_equal(open_set(&s, 2, "sub/notes.txt", "nothere.pcap"), -EINVAL);
	assert_null(s);
	assert_non_null(strstr(errbuf, "notes.txt: not a pcap or pcapng file\n"));
	assert_non_null(strstr(errbuf, "nothere.pcap: No such file or directory\n"));
	assert_int_equal(open_set(&s, 1, "*.pcapng"), -EINVAL);
	assert_non_null(strstr(errbuf, "*.pcapng: no file matches\n"));
	write_text("sub/deeper/.hidden.pcap", "");
	assert_int_equal(open_set(&s, 1, "sub/deeper/.hidden.pcap"), -EINVAL);
	assert_int_equal(open_set(&s, 1, "sub/notes.txt/.."), -EINVAL);
}

/* A capture malformed after its header: reported once, in turn, with the
 * packets it gave; the other files go on. */
static void test_malformed_in_turn(void **state)
{
	struct capset *s;
	struct pcap_packet p;
	const char *path;
	char why[PCAPREAD_ERR_SIZE];
	static const uint64_t one[] = { 50, 0 };
	uint64_t before = 99;
	int packets = 0, errors = 0, ret;
	char cut[256];
	FILE *f;

	(void)state;
	assert_int_equal(open_set(&s, 2, "sub/a.pcap", "bad.pcap"), -EINVAL);
	assert_non_null(strstr(errbuf, "bad.pcap: "));
	/* A good header and record, then a record cut short. */
	write_capture("cut.pcap", one, 40);
	snprintf(cut, sizeof(cut), "%s/cut.pcap", dir);
	f = fopen(cut, "a");
	assert_non_null(f);
	fputs("0123456789", f);
	fclose(f);
	assert_int_equal(open_set(&s, 2, "sub/a.pcap", "cut.pcap"), 0);
	while ((ret = capset_next(s, &p, &path, &before, why, sizeof(why))) != 0) {
		if (ret < 0) {
			errors++;
			assert_non_null(strstr(path, "cut.pcap"));
			assert_int_equal(before, 1);
			continue;
		}
		packets++;
	}
	assert_int_equal(packets, 5);
	assert_int_equal(errors, 1);
	capset_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_by_time),
		cmocka_unit_test(test_once),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_malformed_in_turn),
	};

	return cmocka_run_group_tests_name("capset", tests, setup, teardown);
}
