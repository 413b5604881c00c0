// SPDX-License-Identifier: BSD-2-Clause
/* The flow file store: names, read-back, rotation, restart, retention, full disk. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "flowfile.h"
#include "store.h"

#define USEC_PER_SEC 1000000ULL
#define MIN_US (60 * USEC_PER_SEC)
#define HOUR_US (60 * MIN_US)
/* 2026-11-22T14:37:12Z */
#define T0_S 1795358232ULL
#define T0 (T0_S * USEC_PER_SEC)
/* 2026-11-22T14:00:00Z */
#define T0_HOUR_US (1795356000ULL * USEC_PER_SEC)

/* Set by group_setup: the test runs in its own mount namespace. */
static bool can_mount;

/* Removes one entry for rm_rf(). */
static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* Removes dir and everything in it. */
static void rm_rf(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Makes a fresh directory under /tmp; buf holds at least 64 bytes. */
static void make_tmpdir(char *buf)
{
	strcpy(buf, "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(buf));
}

/* dir/name into buf (PATH_MAX). */
static void path_in(char *buf, const char *dir, const char *name)
{
	assert_true(snprintf(buf, PATH_MAX, "%s/%s", dir, name) < PATH_MAX);
}

/* True when dir/name exists. */
static bool exists_in(const char *dir, const char *name)
{
	char path[PATH_MAX];

	path_in(path, dir, name);
	return access(path, F_OK) == 0;
}

/* Number of entries in dir, . and .. left out. */
static int count_entries(const char *dir)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* Creates the empty file dir/name, which must not exist yet. */
static void touch_in(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	path_in(path, dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
	assert_true(fd >= 0);
	close(fd);
}

/* Sets the access and modification times of dir/name. */
static void set_mtime(const char *dir, const char *name, uint64_t time_us)
{
	struct timeval tv[2] = { { .tv_sec = time_us / USEC_PER_SEC },
				 { .tv_sec = time_us / USEC_PER_SEC } };
	char path[PATH_MAX];

	path_in(path, dir, name);
	assert_int_equal(utimes(path, tv), 0);
}

/* Size of dir/name in bytes. */
static uint64_t file_size(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	path_in(path, dir, name);
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* Opens dir/name read-only, as a user would. */
static sqlite3 *db_open(const char *dir, const char *name)
{
	char path[PATH_MAX];
	sqlite3 *db;

	path_in(path, dir, name);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	return db;
}

/* The integer in the first row of a query. */
static long long q_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt;
	long long v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

/* The text in the first row of a query, into buf; it must be TEXT. */
static void q_text(sqlite3 *db, const char *sql, char *buf, size_t size)
{
	sqlite3_stmt *stmt;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(stmt, 0), SQLITE_TEXT);
	snprintf(buf, size, "%s", (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
}

/* Checks the text in the first row of a query. */
static void assert_q_text(sqlite3 *db, const char *sql, const char *want)
{
	char buf[256];

	q_text(db, sql, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* Row counts of one file: flows, events, collector_stats. */
static void assert_counts(const char *dir, const char *name, int flows, int events, int stats)
{
	sqlite3 *db = db_open(dir, name);

	assert_int_equal(q_int(db, "SELECT count(*) FROM flows"), flows);
	assert_int_equal(q_int(db, "SELECT count(*) FROM events"), events);
	assert_int_equal(q_int(db, "SELECT count(*) FROM collector_stats"), stats);
	sqlite3_close(db);
}

/* A finished file: rollback journal, intact, no -wal or -shm beside it. */
static void assert_finished(const char *dir, const char *name)
{
	char side[PATH_MAX];
	sqlite3 *db;

	snprintf(side, sizeof(side), "%s-wal", name);
	assert_false(exists_in(dir, side));
	snprintf(side, sizeof(side), "%s-shm", name);
	assert_false(exists_in(dir, side));
	db = db_open(dir, name);
	assert_q_text(db, "PRAGMA journal_mode", "delete");
	assert_q_text(db, "PRAGMA integrity_check", "ok");
	/* Its rollups are its flows summed per source and minute, marked
	 * done. */
	assert_q_text(db, "SELECT value FROM meta WHERE key = 'rollups'", "1");
	assert_int_equal(q_int(db, "SELECT count(*) FROM talkers"),
			 q_int(db, "SELECT count(DISTINCT src_addr) FROM flows"));
	assert_int_equal(q_int(db, "SELECT count(*) FROM (SELECT src_addr, count(*),"
				   " sum(packets), sum(bytes) FROM flows GROUP BY src_addr"
				   " EXCEPT SELECT * FROM talkers)"),
			 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM (SELECT first_seen / 60000000 * 60000000,"
				   " count(*), sum(packets), sum(bytes) FROM flows GROUP BY 1"
				   " EXCEPT SELECT * FROM minutes)"),
			 0);
	assert_int_equal(q_int(db, "SELECT sum(flows) FROM minutes"),
			 q_int(db, "SELECT count(*) FROM flows"));
	sqlite3_close(db);
}

/* Options with fixed meta strings and no size rotation or retention. */
static struct store_opts opts_for(const char *dir, uint64_t interval_us)
{
	struct store_opts o = {
		.dir = dir,
		.rotate_interval_us = interval_us,
		.hostname = "testhost",
		.interfaces = "eth0,eth1",
		.collector_version = "9.8.7",
	};

	return o;
}

/* An IPv4 address in the 16-byte key form: first 4 bytes, rest zero. */
static void set_v4(uint8_t *addr, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memset(addr, 0, 16);
	addr[0] = a;
	addr[1] = b;
	addr[2] = c;
	addr[3] = d;
}

/* An IPv6 address from its text form. */
static void set_v6(uint8_t *addr, const char *text)
{
	assert_int_equal(inet_pton(AF_INET6, text, addr), 1);
}

/* A distinct IPv4 TCP flow numbered id: packets == id tells rows apart. */
static struct flow_record numbered_flow(uint32_t id, uint64_t time_us)
{
	struct flow_record r = { 0 };

	r.key.ip_version = 4;
	r.key.proto = 6;
	r.key.direction = FLOW_DIR_IN;
	set_v4(r.key.src_addr, 10, id >> 16, id >> 8, id);
	set_v4(r.key.dst_addr, 192, 168, 0, 1);
	r.key.src_port = 1024 + id % 50000;
	r.key.dst_port = 443;
	r.first_seen_us = time_us - USEC_PER_SEC;
	r.last_seen_us = time_us;
	r.packets = id;
	r.bytes = 100ULL * id;
	r.tcp_flags = 0x18;
	r.end_reason = FLOW_END_IDLE;
	return r;
}

/* Buffers flows numbered first_id to first_id + n - 1. */
static void add_flows(struct store *s, uint32_t first_id, int n, uint64_t time_us)
{
	int i;

	for (i = 0; i < n; i++) {
		struct flow_record r = numbered_flow(first_id + i, time_us);

		assert_int_equal(store_add_flow(s, &r, "eth0"), 0);
	}
}

/* Buffers requests numbered first_id to first_id + n - 1, each in the flow
 * numbered alike, with status 100 + id % 900 telling rows apart. */
static void add_requests(struct store *s, uint32_t first_id, int n, uint64_t time_us)
{
	int i;

	for (i = 0; i < n; i++) {
		struct flow_record f = numbered_flow(first_id + i, time_us);
		const struct store_request r = { .key = &f.key,
						 .time_us = time_us,
						 .method = "GET",
						 .host = "example.test",
						 .path = "/",
						 .status = 100 + (int)((first_id + i) % 900) };

		assert_int_equal(store_add_request(s, &r, "eth0"), 0);
	}
}

/* Flushes with a stats row that is all zero but for its time. */
static int flush_at(struct store *s, uint64_t time_us)
{
	struct store_stats st = { .time_us = time_us };

	return store_flush(s, &st);
}

/* Names for known times, intervals and seqs, and the errors. */
static void test_file_name(void **state)
{
	char buf[64];

	assert_int_equal(flowfile_name(buf, sizeof(buf), T0, HOUR_US, 0), 0);
	assert_string_equal(buf, "flows-20261122T1400Z.db");
	assert_int_equal(flowfile_name(buf, sizeof(buf), T0, 5 * MIN_US, 0), 0);
	assert_string_equal(buf, "flows-20261122T1435Z.db");
	assert_int_equal(flowfile_name(buf, sizeof(buf), T0, HOUR_US, 2), 0);
	assert_string_equal(buf, "flows-20261122T1400Z.2.db");
	assert_int_equal(flowfile_name(buf, sizeof(buf), T0, 24 * HOUR_US, 0), 0);
	assert_string_equal(buf, "flows-20261122T0000Z.db");
	/* The first microsecond of a period is in it, the last one too. */
	assert_int_equal(flowfile_name(buf, sizeof(buf), T0_HOUR_US, HOUR_US, 0), 0);
	assert_string_equal(buf, "flows-20261122T1400Z.db");
	assert_int_equal(flowfile_name(buf, sizeof(buf), T0_HOUR_US - 1, HOUR_US, 0), 0);
	assert_string_equal(buf, "flows-20261122T1300Z.db");
	assert_int_equal(flowfile_name(buf, sizeof(buf), 0, HOUR_US, 4294967295U), 0);
	assert_string_equal(buf, "flows-19700101T0000Z.4294967295.db");

	assert_int_equal(
		flowfile_name(buf, strlen("flows-20261122T1400Z.db") + 1, T0, HOUR_US, 0), 0);
	assert_int_equal(flowfile_name(buf, strlen("flows-20261122T1400Z.db"), T0, HOUR_US, 0),
			 -ENAMETOOLONG);
	assert_int_equal(flowfile_name(buf, sizeof(buf), T0, 0, 0), -EINVAL);
	assert_int_equal(flowfile_name(buf, sizeof(buf), T0, 1500000, 0), -EINVAL);
	/* Periods that are not whole minutes need the seconds to differ. */
	assert_int_equal(flowfile_name(buf, sizeof(buf), T0, 90 * USEC_PER_SEC, 0), 0);
	assert_string_equal(buf, "flows-20261122T143600Z.db");
	assert_int_equal(flowfile_name(buf, sizeof(buf), T0, 2 * USEC_PER_SEC, 3), 0);
	assert_string_equal(buf, "flows-20261122T143712Z.3.db");
}

/* Parsing inverts flowfile_name() exactly and refuses any other name. */
static void test_parse_file_name(void **state)
{
	static const uint64_t intervals[] = { 2 * USEC_PER_SEC, 90 * USEC_PER_SEC, MIN_US,
					      5 * MIN_US,	HOUR_US,	   24 * HOUR_US };
	static const uint64_t times[] = { 0, T0, T0_HOUR_US - 1, 4102444799ULL * USEC_PER_SEC,
					  951782400ULL * USEC_PER_SEC /* 2000-02-29 */ };
	static const unsigned int seqs[] = { 0, 1, 2, 10, 4294967295U };
	static const char *const bad[] = {
		"",
		"flows-",
		"flows-20261122T1400Z",
		"flows-20261122T1400Z.",
		"flows-20261122T1400Z.d",
		"flows-20261122T1400Z.db.tmp",
		"flows-20261122T1400Z.db-wal",
		"flows-20261122T1400Z.db-shm",
		"flows-20261122T1400Z.0.db",
		"flows-20261122T1400Z.01.db",
		"flows-20261122T1400Z..db",
		"flows-20261122T1400Z.1x.db",
		"flows-20261122T1400Z.+1.db",
		"flows-20261122T1400Z.-1.db",
		"flows-20261122T1400Z. 1.db",
		"flows-20261122T1400Z.4294967296.db",
		"flows-20261122T1400Z.99999999999999999999.db",
		"flows-20261122T1400Z.1.db.db",
		"Flows-20261122T1400Z.db",
		"flow-20261122T1400Z.db",
		" flows-20261122T1400Z.db",
		"xflows-20261122T1400Z.db",
		"flows-2026112T1400Z.db",
		"flows-202611220T1400Z.db",
		"flows-20261122t1400Z.db",
		"flows-20261122T1400z.db",
		"flows-20261122T1400.db",
		"flows-20261122T140Z.db",
		"flows-20261122 1400Z.db",
		"flows-2026-1122T1400Z.db",
		"flows-20261322T1400Z.db",
		"flows-20260022T1400Z.db",
		"flows-20261100T1400Z.db",
		"flows-20261131T1400Z.db",
		"flows-20250229T1400Z.db",
		"flows-20261122T2400Z.db",
		"flows-20261122T1460Z.db",
		"flows-19691231T2359Z.db",
		"flows-20261122T1400Z.DB",
		"flows-20261122T140060Z.db",
		"flows-20261122T14005Z.db",
		"flows-20261122T1400005Z.db",
	};
	unsigned int seq;
	uint64_t start;
	char buf[64];
	size_t i, j, k;

	for (i = 0; i < sizeof(intervals) / sizeof(intervals[0]); i++) {
		for (j = 0; j < sizeof(times) / sizeof(times[0]); j++) {
			for (k = 0; k < sizeof(seqs) / sizeof(seqs[0]); k++) {
				assert_int_equal(flowfile_name(buf, sizeof(buf), times[j],
								 intervals[i], seqs[k]),
						 0);
				start = 1;
				seq = 12345;
				assert_int_equal(flowfile_parse_name(buf, &start, &seq), 0);
				assert_int_equal(start, times[j] - times[j] % intervals[i]);
				assert_int_equal(seq, seqs[k]);
			}
		}
	}
	assert_int_equal(flowfile_parse_name("flows-20261122T1400Z.db", &start, &seq), 0);
	assert_int_equal(start, T0_HOUR_US);
	assert_int_equal(seq, 0);
	assert_int_equal(flowfile_parse_name("flows-20261122T1435Z.17.db", &start, &seq), 0);
	assert_int_equal(start, 1795358100ULL * USEC_PER_SEC);
	assert_int_equal(seq, 17);
	assert_int_equal(flowfile_parse_name("flows-20240229T2359Z.db", &start, &seq), 0);
	assert_int_equal(flowfile_parse_name("flows-20261122T143712Z.3.db", &start, &seq), 0);
	assert_int_equal(start, 1795358232ULL * USEC_PER_SEC);
	assert_int_equal(seq, 3);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (flowfile_parse_name(bad[i], &start, &seq) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	}
}

/* The schema's indexes of a file, as SQL, one per line, in name order. */
static void index_sql(const char *dir, const char *name, char *buf, size_t size)
{
	sqlite3 *db = db_open(dir, name);

	q_text(db,
	       "SELECT coalesce(group_concat(sql, char(10)), '') FROM (SELECT sql FROM"
	       " sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name)",
	       buf, size);
	sqlite3_close(db);
}

/* The hidden files (".flows-*.part") in dir, each checked to be held by
 * its writer's lock; -1 for one that is not. */
static int held_parts(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0, fd;
	size_t len;
	DIR *d;

	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		len = strlen(de->d_name);
		if (strncmp(de->d_name, ".flows-", 7) || len < 5 ||
		    strcmp(de->d_name + len - 5, ".part"))
			continue;
		path_in(path, dir, de->d_name);
		fd = open(path, O_RDONLY);
		assert_true(fd >= 0);
		if (flock(fd, LOCK_EX | LOCK_NB) && errno == EWOULDBLOCK)
			n = n < 0 ? n : n + 1;
		else
			n = -1;
		close(fd);
	}
	closedir(d);
	return n;
}

/* With publish_finished a file is written in memory, nothing of it in
 * sight; once finished it is written under a hidden name, held by a lock,
 * and renamed into place, and holds every index of the schema, made at
 * the end: the same file as without, rollups included. */
static void test_publish_finished(void **state)
{
	char tmp[64], dir[PATH_MAX], plain_dir[PATH_MAX], name[64], want[4096], got[4096];
	struct store *s = NULL, *plain = NULL;
	struct store_opts o;
	sqlite3 *db;

	make_tmpdir(tmp);
	path_in(dir, tmp, "hidden");
	path_in(plain_dir, tmp, "plain");
	o = opts_for(plain_dir, HOUR_US);
	assert_int_equal(store_open(&plain, &o), 0);
	o = opts_for(dir, HOUR_US);
	o.publish_finished = true;
	assert_int_equal(store_open(&s, &o), 0);
	add_flows(plain, 0, 500, T0);
	add_flows(s, 0, 500, T0);
	add_requests(plain, 0, 50, T0);
	add_requests(s, 0, 50, T0);
	assert_int_equal(flush_at(plain, T0), 0);
	assert_int_equal(flush_at(s, T0), 0);
	assert_int_equal(flowfile_name(name, sizeof(name), T0, HOUR_US, 0), 0);
	assert_int_equal(count_entries(dir), 0);
	assert_null(store_current_path(s));
	add_flows(s, 500, 500, T0 + 1);
	assert_int_equal(flush_at(s, T0 + 1), 0);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(store_close(plain), 0);
	assert_int_equal(held_parts(dir), 0);
	assert_finished(dir, name);
	assert_counts(dir, name, 1000, 0, 2);
	index_sql(plain_dir, name, want, sizeof(want));
	index_sql(dir, name, got, sizeof(got));
	assert_non_null(strstr(want, "CREATE INDEX flows_src_addr"));
	assert_non_null(strstr(want, "CREATE INDEX requests_time"));
	assert_string_equal(got, want);
	db = db_open(dir, name);
	assert_int_equal(q_int(db, "SELECT count(*) FROM requests"), 50);
	assert_q_text(db, "SELECT value FROM meta WHERE key = 'host'", "testhost");
	sqlite3_close(db);
	rm_rf(tmp);
}

/* Opening a store with publish_finished removes the hidden files of dead
 * imports, leaves a live one's (locked) and every finished file alone, and
 * a new file takes the seq after the finished ones. */
static void test_publish_stale(void **state)
{
	char tmp[64], dir[PATH_MAX], name[64], next[64], stale[80], live[80], path[PATH_MAX];
	struct store *s = NULL;
	struct store_opts o;
	int fd, held;

	make_tmpdir(tmp);
	path_in(dir, tmp, "data");
	o = opts_for(dir, HOUR_US);
	assert_int_equal(store_open(&s, &o), 0);
	add_flows(s, 0, 10, T0);
	assert_int_equal(flush_at(s, T0), 0);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(flowfile_name(name, sizeof(name), T0, HOUR_US, 0), 0);
	assert_int_equal(flowfile_name(next, sizeof(next), T0, HOUR_US, 1), 0);
	snprintf(stale, sizeof(stale), ".%s.part", next);
	snprintf(live, sizeof(live), ".flows-20990101T0000Z.db.part");
	path_in(path, dir, stale);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "junk", 4), 4);
	close(fd);
	path_in(path, dir, live);
	held = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
	assert_true(held >= 0);
	assert_int_equal(flock(held, LOCK_EX), 0);

	o.publish_finished = true;
	assert_int_equal(store_open(&s, &o), 0);
	assert_false(exists_in(dir, stale));
	assert_true(exists_in(dir, live));
	assert_true(exists_in(dir, name));
	add_flows(s, 0, 20, T0 + 5);
	assert_int_equal(flush_at(s, T0 + 5), 0);
	assert_int_equal(store_close(s), 0);
	assert_counts(dir, name, 10, 0, 1);
	assert_finished(dir, next);
	assert_counts(dir, next, 20, 0, 1);
	close(held);
	rm_rf(tmp);
}

/* A missing directory is made, and nothing in it until the first flush. */
static void test_open_creates_dir(void **state)
{
	struct store_opts o;
	char tmp[64], dir[PATH_MAX];
	struct store *s = NULL;
	struct stat st;
	mode_t old;

	make_tmpdir(tmp);
	path_in(dir, tmp, "data");
	o = opts_for(dir, HOUR_US);
	/* The directory is 0750 whatever the umask. */
	old = umask(077);
	assert_int_equal(store_open(&s, &o), 0);
	umask(old);
	assert_non_null(s);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(count_entries(dir), 0);
	assert_null(store_current_path(s));
	/* Closing a store that never flushed makes no file. */
	assert_int_equal(store_close(s), 0);
	assert_int_equal(count_entries(dir), 0);
	/* An existing directory is fine. */
	assert_int_equal(store_open(&s, &o), 0);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(store_close(NULL), 0);
	rm_rf(tmp);
}

/* Directories that cannot be used, and options that cannot. */
static void test_open_errors(void **state)
{
	char tmp[64], path[PATH_MAX], sub[PATH_MAX];
	struct store *s = NULL;
	struct store_opts o;

	make_tmpdir(tmp);
	touch_in(tmp, "file");
	path_in(path, tmp, "file");
	o = opts_for(path, HOUR_US);
	assert_int_equal(store_open(&s, &o), -ENOTDIR);
	path_in(sub, path, "sub");
	o.dir = sub;
	assert_int_equal(store_open(&s, &o), -ENOTDIR);
	path_in(path, tmp, "missing/sub");
	o.dir = path;
	assert_int_equal(store_open(&s, &o), -ENOENT);
	o.dir = tmp;
	o.rotate_interval_us = 0;
	assert_int_equal(store_open(&s, &o), -EINVAL);
	o.rotate_interval_us = 1500000;
	assert_int_equal(store_open(&s, &o), -EINVAL);
	o.rotate_interval_us = HOUR_US;
	o.dir = NULL;
	assert_int_equal(store_open(&s, &o), -EINVAL);
	assert_null(s);

	/* Unwritable: root passes permission checks, a read-only mount stops it. */
	path_in(path, tmp, "ro");
	assert_int_equal(mkdir(path, 0700), 0);
	path_in(sub, path, "sub");
	o.dir = path;
	if (geteuid() == 0) {
		if (!can_mount) {
			print_message("    SKIP read-only directory: no mount namespace\n");
		} else {
			assert_int_equal(mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=64k"), 0);
			assert_int_equal(store_open(&s, &o), -EROFS);
			o.dir = sub;
			assert_int_equal(store_open(&s, &o), -EROFS);
			assert_int_equal(umount2(path, MNT_DETACH), 0);
		}
	} else {
		assert_int_equal(chmod(path, 0500), 0);
		assert_int_equal(store_open(&s, &o), -EACCES);
		o.dir = sub;
		assert_int_equal(store_open(&s, &o), -EACCES);
	}
	assert_null(s);
	chmod(path, 0700);
	rm_rf(tmp);
}

/* The collector_stats row test_write_read_back expects, column by column. */
/* clang-format off */
static const long long stats_want[] = {
	T0 + 10 * USEC_PER_SEC,	/* time */
	20, 3000, 13, 1800,	/* kernel and drained packets, bytes */
	7, 1200,		/* lost packets, bytes */
	1, 2, 3, 4,		/* non_ip, malformed, truncated, map_update_failures */
	3, 5, 6,		/* events, ringbuf_drops, active_flows */
	6, 0, 0,		/* rows_written (2 flows, 4 events), pending_rows, write_errors */
	1234,			/* flush_duration_us */
};
/* clang-format on */

/* Flows and events with every column distinct, written and read back. */
static void test_write_read_back(void **state)
{
	struct flow_record a = { 0 }, b = { 0 }, c;
	struct flow_event ev[3] = { 0 };
	struct store_stats st = {
		.time_us = T0 + 10 * USEC_PER_SEC,
		.kernel_packets = 20,
		.kernel_bytes = 3000,
		.drained_packets = 13,
		.drained_bytes = 1800,
		.non_ip = 1,
		.malformed = 2,
		.truncated = 3,
		.map_update_failures = 4,
		.events = 3,
		.ringbuf_drops = 5,
		.active_flows = 6,
		.flush_duration_us = 1234,
		.payload_events = 7,
		.payload_bytes = 800,
		.dropped_packets = 9,
		.dropped_bytes = 1300,
		.policy_mode = "monitor",
	};
	const char *name = "flows-20261122T1400Z.db";
	char tmp[64], path[PATH_MAX], buf[64];
	struct store *s = NULL;
	struct store_opts o;
	sqlite3_stmt *stmt;
	struct stat sb;
	uint64_t before;
	sqlite3 *db;
	mode_t old;
	size_t i;

	make_tmpdir(tmp);
	o = opts_for(tmp, HOUR_US);
	assert_int_equal(store_open(&s, &o), 0);

	a.key.ip_version = 4;
	a.key.proto = 6;
	a.key.direction = FLOW_DIR_IN;
	set_v4(a.key.src_addr, 10, 0, 0, 1);
	set_v4(a.key.dst_addr, 192, 168, 1, 20);
	a.key.src_port = 40000;
	a.key.dst_port = 443;
	a.first_seen_us = T0 + USEC_PER_SEC;
	a.last_seen_us = T0 + 2 * USEC_PER_SEC;
	a.packets = 10;
	a.bytes = 1500;
	a.tcp_flags = 0x1b;
	a.end_reason = FLOW_END_FIN;
	a.dropped_packets = 4;
	a.dropped_bytes = 600;

	b.key.ip_version = 6;
	b.key.proto = 17;
	b.key.direction = FLOW_DIR_OUT;
	set_v6(b.key.src_addr, "2001:db8::1");
	set_v6(b.key.dst_addr, "ff02::fb");
	b.key.src_port = 5353;
	b.key.dst_port = 5354;
	b.key.vlan = 42;
	b.first_seen_us = T0 - 30 * USEC_PER_SEC;
	b.last_seen_us = T0 + 5 * USEC_PER_SEC;
	b.packets = 3;
	b.bytes = 300;
	b.end_reason = FLOW_END_ACTIVE;

	ev[0].key = a.key;
	ev[0].kind = FLOW_EVENT_SYN;
	ev[0].tcp_flags = 0x02;
	ev[1].key = a.key;
	ev[1].kind = FLOW_EVENT_FIN;
	ev[1].tcp_flags = 0x11;
	ev[2].key.ip_version = 6;
	ev[2].key.proto = 6;
	ev[2].key.direction = FLOW_DIR_OUT;
	set_v6(ev[2].key.src_addr, "fe80::1:2");
	set_v6(ev[2].key.dst_addr, "2001:db8:0:0:1::");
	ev[2].key.src_port = 22;
	ev[2].key.dst_port = 51000;
	ev[2].key.vlan = 7;
	ev[2].kind = FLOW_EVENT_RST;
	ev[2].tcp_flags = 0x14;

	a.app_proto = FLOW_APP_TLS;
	a.encrypted = 1;
	a.app_info = strdup("example.test");
	assert_int_equal(store_add_flow(s, &a, "eth0"), 0);
	free(a.app_info);
	assert_int_equal(store_add_event(s, &ev[0], T0 + USEC_PER_SEC, "eth0"), 0);
	assert_int_equal(store_add_flow(s, &b, "eth1"), 0);
	assert_int_equal(store_add_event(s, &ev[1], T0 + 2 * USEC_PER_SEC, "eth0"), 0);
	assert_int_equal(store_add_event(s, &ev[2], T0 + 20 * USEC_PER_SEC, "eth1"), 0);
	assert_int_equal(store_add_policy(s, &a.key, T0 + 3 * USEC_PER_SEC, "eth0",
					  "cleartext http to port 443"),
			 0);
	/* The store keeps copies. */
	memset(&a, 0xff, sizeof(a));
	memset(ev, 0xff, sizeof(ev));

	/* Mode 0640 whatever the umask. */
	old = umask(077);
	before = (uint64_t)time(NULL) * USEC_PER_SEC;
	assert_int_equal(store_flush(s, &st), 0);
	umask(old);
	path_in(path, tmp, name);
	assert_string_equal(store_current_path(s), path);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
	strcat(path, "-wal");
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);

	db = db_open(tmp, name);
	assert_q_text(db, "PRAGMA journal_mode", "wal");
	/* What inspection found; NULL for a flow without a finding, even
	 * with encrypted left 0 in its record. */
	assert_q_text(db, "SELECT group_concat(quote(app_proto) || ' ' || quote(app_info) || ' ' || "
			  "quote(encrypted), '; ') FROM flows",
		      "'tls' 'example.test' 1; NULL NULL NULL");
	assert_q_text(db, "SELECT kind || ' ' || detail || ' ' || src_addr || ' ' || dst_port || ' ' "
			  "|| time FROM events WHERE kind = 'policy'",
		      "policy cleartext http to port 443 10.0.0.1 443 1795358235000000");
	assert_q_text(db, "SELECT count(*) || '' FROM events WHERE detail IS NULL", "3");
	assert_q_text(db, "SELECT payload_events || ' ' || payload_bytes FROM collector_stats",
		      "7 800");
	assert_q_text(db, "SELECT dropped_packets || ' ' || dropped_bytes || ' ' || policy_mode "
			  "FROM collector_stats",
		      "9 1300 monitor");
	assert_q_text(db, "SELECT group_concat(dropped_packets || ' ' || dropped_bytes, '; ') "
			  "FROM flows",
		      "4 600; 0 0");
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT first_seen, last_seen, ifname, direction, "
					    "ip_version, proto, src_addr, dst_addr, src_port, "
					    "dst_port, vlan, packets, bytes, tcp_flags, end_reason "
					    "FROM flows ORDER BY rowid",
					    -1, &stmt, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(stmt, 0), T0 + USEC_PER_SEC);
	assert_int_equal(sqlite3_column_int64(stmt, 1), T0 + 2 * USEC_PER_SEC);
	assert_string_equal(sqlite3_column_text(stmt, 2), "eth0");
	assert_string_equal(sqlite3_column_text(stmt, 3), "in");
	assert_int_equal(sqlite3_column_int(stmt, 4), 4);
	assert_int_equal(sqlite3_column_int(stmt, 5), 6);
	assert_string_equal(sqlite3_column_text(stmt, 6), "10.0.0.1");
	assert_string_equal(sqlite3_column_text(stmt, 7), "192.168.1.20");
	assert_int_equal(sqlite3_column_int(stmt, 8), 40000);
	assert_int_equal(sqlite3_column_int(stmt, 9), 443);
	assert_int_equal(sqlite3_column_int(stmt, 10), 0);
	assert_int_equal(sqlite3_column_int64(stmt, 11), 10);
	assert_int_equal(sqlite3_column_int64(stmt, 12), 1500);
	assert_int_equal(sqlite3_column_int(stmt, 13), 0x1b);
	assert_string_equal(sqlite3_column_text(stmt, 14), "fin");
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(stmt, 0), T0 - 30 * USEC_PER_SEC);
	assert_int_equal(sqlite3_column_int64(stmt, 1), T0 + 5 * USEC_PER_SEC);
	assert_string_equal(sqlite3_column_text(stmt, 2), "eth1");
	assert_string_equal(sqlite3_column_text(stmt, 3), "out");
	assert_int_equal(sqlite3_column_int(stmt, 4), 6);
	assert_int_equal(sqlite3_column_int(stmt, 5), 17);
	assert_string_equal(sqlite3_column_text(stmt, 6), "2001:db8::1");
	assert_string_equal(sqlite3_column_text(stmt, 7), "ff02::fb");
	assert_int_equal(sqlite3_column_int(stmt, 8), 5353);
	assert_int_equal(sqlite3_column_int(stmt, 9), 5354);
	assert_int_equal(sqlite3_column_int(stmt, 10), 42);
	assert_int_equal(sqlite3_column_int64(stmt, 11), 3);
	assert_int_equal(sqlite3_column_int64(stmt, 12), 300);
	assert_int_equal(sqlite3_column_int(stmt, 13), 0);
	assert_string_equal(sqlite3_column_text(stmt, 14), "active");
	assert_int_equal(sqlite3_step(stmt), SQLITE_DONE);
	sqlite3_finalize(stmt);

	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT time, kind, ifname, direction, ip_version, "
					    "proto, src_addr, dst_addr, src_port, dst_port, vlan, "
					    "tcp_flags FROM events WHERE kind <> 'policy' ORDER BY rowid",
					    -1, &stmt, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(stmt, 0), T0 + USEC_PER_SEC);
	assert_string_equal(sqlite3_column_text(stmt, 1), "syn");
	assert_string_equal(sqlite3_column_text(stmt, 2), "eth0");
	assert_string_equal(sqlite3_column_text(stmt, 3), "in");
	assert_int_equal(sqlite3_column_int(stmt, 4), 4);
	assert_int_equal(sqlite3_column_int(stmt, 5), 6);
	assert_string_equal(sqlite3_column_text(stmt, 6), "10.0.0.1");
	assert_string_equal(sqlite3_column_text(stmt, 7), "192.168.1.20");
	assert_int_equal(sqlite3_column_int(stmt, 8), 40000);
	assert_int_equal(sqlite3_column_int(stmt, 9), 443);
	assert_int_equal(sqlite3_column_int(stmt, 10), 0);
	assert_int_equal(sqlite3_column_int(stmt, 11), 0x02);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(stmt, 0), T0 + 2 * USEC_PER_SEC);
	assert_string_equal(sqlite3_column_text(stmt, 1), "fin");
	assert_int_equal(sqlite3_column_int(stmt, 11), 0x11);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(stmt, 0), T0 + 20 * USEC_PER_SEC);
	assert_string_equal(sqlite3_column_text(stmt, 1), "rst");
	assert_string_equal(sqlite3_column_text(stmt, 2), "eth1");
	assert_string_equal(sqlite3_column_text(stmt, 3), "out");
	assert_int_equal(sqlite3_column_int(stmt, 4), 6);
	assert_int_equal(sqlite3_column_int(stmt, 5), 6);
	assert_string_equal(sqlite3_column_text(stmt, 6), "fe80::1:2");
	assert_string_equal(sqlite3_column_text(stmt, 7), "2001:db8:0:0:1::");
	assert_int_equal(sqlite3_column_int(stmt, 8), 22);
	assert_int_equal(sqlite3_column_int(stmt, 9), 51000);
	assert_int_equal(sqlite3_column_int(stmt, 10), 7);
	assert_int_equal(sqlite3_column_int(stmt, 11), 0x14);
	assert_int_equal(sqlite3_step(stmt), SQLITE_DONE);
	sqlite3_finalize(stmt);

	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT time, kernel_packets, kernel_bytes, "
					    "drained_packets, drained_bytes, lost_packets, "
					    "lost_bytes, non_ip, malformed, truncated, "
					    "map_update_failures, events, ringbuf_drops, "
					    "active_flows, rows_written, pending_rows, "
					    "write_errors, flush_duration_us FROM collector_stats",
					    -1, &stmt, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	for (i = 0; i < sizeof(stats_want) / sizeof(stats_want[0]) - 1; i++)
		assert_int_equal(sqlite3_column_int64(stmt, i), stats_want[i]);
	/* flush_duration_us: the caller's drain and merge time plus the inserts. */
	assert_in_range(sqlite3_column_int64(stmt, i), stats_want[i],
			stats_want[i] + 10 * USEC_PER_SEC);
	assert_int_equal(sqlite3_step(stmt), SQLITE_DONE);
	sqlite3_finalize(stmt);

	assert_int_equal(q_int(db, "SELECT count(*) FROM meta"), 7);
	assert_q_text(db, "SELECT value FROM meta WHERE key = 'schema_version'", "6");
	assert_q_text(db, "SELECT value FROM meta WHERE key = 'host'", "testhost");
	assert_q_text(db, "SELECT value FROM meta WHERE key = 'interfaces'", "eth0,eth1");
	assert_q_text(db, "SELECT value FROM meta WHERE key = 'collector_version'", "9.8.7");
	q_text(db, "SELECT value FROM meta WHERE key = 'created_us'", buf, sizeof(buf));
	/* time() reads a coarse clock that may trail CLOCK_REALTIME by a tick. */
	assert_in_range(strtoull(buf, NULL, 10), before, (uint64_t)(time(NULL) + 2) * USEC_PER_SEC);
	/* From the earliest first_seen to the latest event. */
	snprintf(path, sizeof(path), "%llu", T0 - 30 * USEC_PER_SEC);
	assert_q_text(db, "SELECT value FROM meta WHERE key = 'time_start_us'", path);
	snprintf(path, sizeof(path), "%llu", T0 + 20 * USEC_PER_SEC);
	assert_q_text(db, "SELECT value FROM meta WHERE key = 'time_end_us'", path);
	sqlite3_close(db);

	/* A later flush widens the range; disk figures below the drain are
	 * stored as computed. */
	c = numbered_flow(1, T0);
	c.first_seen_us = T0 - 60 * USEC_PER_SEC;
	assert_int_equal(store_add_flow(s, &c, "eth0"), 0);
	st.time_us = T0 + 30 * USEC_PER_SEC;
	st.kernel_packets = 1;
	st.drained_packets = 3;
	assert_int_equal(store_flush(s, &st), 0);
	db = db_open(tmp, name);
	snprintf(path, sizeof(path), "%llu", T0 - 60 * USEC_PER_SEC);
	assert_q_text(db, "SELECT value FROM meta WHERE key = 'time_start_us'", path);
	snprintf(path, sizeof(path), "%llu", T0 + 30 * USEC_PER_SEC);
	assert_q_text(db, "SELECT value FROM meta WHERE key = 'time_end_us'", path);
	assert_int_equal(q_int(db, "SELECT lost_packets FROM collector_stats ORDER BY rowid DESC"),
			 -2);
	assert_int_equal(q_int(db, "SELECT rows_written FROM collector_stats ORDER BY rowid DESC"),
			 1);
	sqlite3_close(db);
	/* Nor does it shrink when a flush covers less. */
	add_flows(s, 2, 1, T0);
	st.time_us = T0 + 25 * USEC_PER_SEC;
	assert_int_equal(store_flush(s, &st), 0);
	db = db_open(tmp, name);
	snprintf(path, sizeof(path), "%llu", T0 - 60 * USEC_PER_SEC);
	assert_q_text(db, "SELECT value FROM meta WHERE key = 'time_start_us'", path);
	snprintf(path, sizeof(path), "%llu", T0 + 30 * USEC_PER_SEC);
	assert_q_text(db, "SELECT value FROM meta WHERE key = 'time_end_us'", path);
	sqlite3_close(db);
	assert_counts(tmp, name, 4, 4, 3);

	assert_int_equal(store_close(s), 0);
	assert_finished(tmp, name);
	assert_int_equal(count_entries(tmp), 1);
	rm_rf(tmp);
}

/* A long text of n characters c, for the cuts. */
static char *long_text(char c, size_t n)
{
	char *t = malloc(n + 1);

	assert_non_null(t);
	memset(t, c, n);
	t[n] = '\0';
	return t;
}

/* The first four requests rows test_requests_rows writes, time less T0. */
static const char *const rows_want[] = {
	"3 eth0 in 4 6 10.0.0.1 192.168.0.1 1025 443 0 GET 'example.test' '/api/v1/items' 200",
	"-5000000 eth1 out 6 6 2001:db8::10 2001:db8:0:0:1:: 51000 8080 99 POST "
	"'[2001:db8::1]:8080' '/login' NULL",
	"40000000 eth0 in 4 6 10.0.0.1 192.168.0.1 1025 443 0 OPTIONS NULL '*' 999",
	"4 eth0 in 4 6 10.0.0.1 192.168.0.1 1025 443 0 CONNECT 'example.test:443' NULL 100",
};

/* Flows' requests and fingerprint, and requests rows with every column
 * distinct, written and read back exactly: empty texts and status -1 as
 * NULL, long texts cut, the store's own copies, the time range and
 * rows_written counting them. */
static void test_requests_rows(void **state)
{
	const char *name = "flows-20261122T1400Z.db";
	struct flow_record a = numbered_flow(1, T0), b = numbered_flow(2, T0), c = numbered_flow(3, T0);
	struct flow_record v6 = { 0 };
	char *long_host = long_text('h', 300), *long_path = long_text('p', 300);
	char *long_method = long_text('M', 40), *long_fp = long_text('f', 100);
	char tmp[64], want[512], method[STORE_METHOD_SIZE], fp[STORE_FINGERPRINT_SIZE];
	struct store *s = NULL;
	struct store_opts o;
	sqlite3 *db;
	size_t i;

	make_tmpdir(tmp);
	o = opts_for(tmp, HOUR_US);
	assert_int_equal(store_open(&s, &o), 0);
	a.requests = 7;
	a.fingerprint = strdup("t13d1516h2_8daaf6152771_b186095e22b6");
	b.fingerprint = long_fp;
	c.fingerprint = (char *)"";
	c.requests = UINT32_MAX;
	assert_int_equal(store_add_flow(s, &a, "eth0"), 0);
	assert_int_equal(store_add_flow(s, &b, "eth0"), 0);
	assert_int_equal(store_add_flow(s, &c, "eth0"), 0);
	free(a.fingerprint);

	v6.key.ip_version = 6;
	v6.key.proto = 6;
	v6.key.direction = FLOW_DIR_OUT;
	set_v6(v6.key.src_addr, "2001:db8::10");
	set_v6(v6.key.dst_addr, "2001:db8:0:0:1::");
	v6.key.src_port = 51000;
	v6.key.dst_port = 8080;
	v6.key.vlan = 99;
	{
		const struct store_request r[] = {
			{ &a.key, T0 + 3, "GET", "example.test", "/api/v1/items", 200 },
			{ &v6.key, T0 - 5 * USEC_PER_SEC, "POST", "[2001:db8::1]:8080", "/login",
			  -1 },
			{ &a.key, T0 + 40 * USEC_PER_SEC, "OPTIONS", NULL, "*", 999 },
			{ &a.key, T0 + 4, "CONNECT", "example.test:443", "", 100 },
			{ &a.key, T0 + 5, long_method, long_host, long_path, 404 },
		};

		for (i = 0; i < sizeof(r) / sizeof(r[0]); i++)
			assert_int_equal(store_add_request(s, &r[i], i == 1 ? "eth1" : "eth0"), 0);
	}
	/* The store keeps copies. */
	memset(long_host, 'x', 300);
	memset(long_path, 'x', 300);
	memset(long_method, 'x', 40);
	memset(long_fp, 'x', 100);
	memset(&v6, 0xff, sizeof(v6));
	assert_int_equal(flush_at(s, T0 + 10 * USEC_PER_SEC), 0);
	assert_int_equal(store_close(s), 0);

	db = db_open(tmp, name);
	memset(fp, 'f', STORE_FINGERPRINT_SIZE - 1);
	fp[STORE_FINGERPRINT_SIZE - 1] = '\0';
	snprintf(want, sizeof(want), "1 7 't13d1516h2_8daaf6152771_b186095e22b6'; 2 0 '%s'; "
		 "3 4294967295 NULL", fp);
	assert_q_text(db, "SELECT group_concat(packets || ' ' || requests || ' ' || "
			  "quote(fingerprint), '; ') FROM flows",
		      want);
	assert_int_equal(q_int(db, "SELECT count(*) FROM requests"), 5);
	for (i = 0; i < sizeof(rows_want) / sizeof(rows_want[0]); i++) {
		char sql[512];

		snprintf(sql, sizeof(sql),
			 "SELECT (time - %llu) || ' ' || ifname || ' ' || direction || ' ' || "
			 "ip_version || ' ' || proto || ' ' || src_addr || ' ' || dst_addr || ' ' || "
			 "src_port || ' ' || dst_port || ' ' || vlan || ' ' || method || ' ' || "
			 "quote(host) || ' ' || quote(path) || ' ' || quote(status) FROM requests "
			 "WHERE rowid = %zu",
			 T0, i + 1);
		assert_q_text(db, sql, rows_want[i]);
	}
	/* Cut to fit, NUL included. */
	memset(method, 'M', STORE_METHOD_SIZE - 1);
	method[STORE_METHOD_SIZE - 1] = '\0';
	snprintf(want, sizeof(want), "%s %d %d 404", method, STORE_TEXT_SIZE - 1,
		 STORE_PATH_SIZE - 1);
	assert_q_text(db, "SELECT method || ' ' || length(host) || ' ' || length(path) || ' ' || "
			  "status FROM requests WHERE rowid = 5",
		      want);
	assert_int_equal(q_int(db, "SELECT replace(host, 'h', '') || replace(path, 'p', '') = '' "
				   "FROM requests WHERE rowid = 5"),
			 1);
	assert_int_equal(q_int(db, "SELECT rows_written FROM collector_stats"), 8);
	snprintf(want, sizeof(want), "%llu", T0 - 5 * USEC_PER_SEC);
	assert_q_text(db, "SELECT value FROM meta WHERE key = 'time_start_us'", want);
	snprintf(want, sizeof(want), "%llu", T0 + 40 * USEC_PER_SEC);
	assert_q_text(db, "SELECT value FROM meta WHERE key = 'time_end_us'", want);
	sqlite3_close(db);
	free(long_host);
	free(long_path);
	free(long_method);
	free(long_fp);
	rm_rf(tmp);
}

/* Rows the schema would refuse are refused at once, and do not block others. */
static void test_invalid_rows(void **state)
{
	struct flow_record r = numbered_flow(1, T0);
	struct flow_event e = { .key = r.key, .kind = FLOW_EVENT_SYN };
	struct store *s = NULL;
	struct store_opts o;
	char tmp[64];

	make_tmpdir(tmp);
	o = opts_for(tmp, HOUR_US);
	assert_int_equal(store_open(&s, &o), 0);
	assert_int_equal(store_add_flow(s, &r, NULL), -EINVAL);
	r.key.ip_version = 5;
	assert_int_equal(store_add_flow(s, &r, "eth0"), -EINVAL);
	r.key.ip_version = 4;
	r.key.direction = 2;
	assert_int_equal(store_add_flow(s, &r, "eth0"), -EINVAL);
	assert_int_equal(store_add_event(s, &e, T0, NULL), -EINVAL);
	e.kind = 0;
	assert_int_equal(store_add_event(s, &e, T0, "eth0"), -EINVAL);
	e.kind = FLOW_EVENT_RST + 1;
	assert_int_equal(store_add_event(s, &e, T0, "eth0"), -EINVAL);
	e.kind = FLOW_EVENT_RST;
	e.key.ip_version = 0;
	assert_int_equal(store_add_event(s, &e, T0, "eth0"), -EINVAL);
	{
		struct flow_record f = numbered_flow(1, T0);
		struct store_request q = { &f.key, T0, "GET", "example.test", "/", -1 };

		assert_int_equal(store_add_request(s, &q, NULL), -EINVAL);
		q.key = NULL;
		assert_int_equal(store_add_request(s, &q, "eth0"), -EINVAL);
		q.key = &f.key;
		q.method = NULL;
		assert_int_equal(store_add_request(s, &q, "eth0"), -EINVAL);
		q.method = "";
		assert_int_equal(store_add_request(s, &q, "eth0"), -EINVAL);
		q.method = "GET";
		q.status = 0;
		assert_int_equal(store_add_request(s, &q, "eth0"), -EINVAL);
		q.status = 99;
		assert_int_equal(store_add_request(s, &q, "eth0"), -EINVAL);
		q.status = 1000;
		assert_int_equal(store_add_request(s, &q, "eth0"), -EINVAL);
		q.status = -2;
		assert_int_equal(store_add_request(s, &q, "eth0"), -EINVAL);
		q.status = 200;
		f.key.direction = 2;
		assert_int_equal(store_add_request(s, &q, "eth0"), -EINVAL);
		f.key.direction = FLOW_DIR_IN;
		f.key.ip_version = 5;
		assert_int_equal(store_add_request(s, &q, "eth0"), -EINVAL);
	}
	add_flows(s, 1, 2, T0);
	assert_int_equal(flush_at(s, T0), 0);
	assert_int_equal(store_close(s), 0);
	assert_counts(tmp, "flows-20261122T1400Z.db", 2, 0, 1);
	rm_rf(tmp);
}

/* A new aligned period starts a new file; the old one is finished. */
static void test_rotate_period(void **state)
{
	static const char *const names[] = { "flows-20261122T1435Z.db", "flows-20261122T1440Z.db",
					     "flows-20261122T1445Z.db" };
	char tmp[64], path[PATH_MAX];
	struct store *s = NULL;
	struct store_opts o;
	int i;

	make_tmpdir(tmp);
	o = opts_for(tmp, 5 * MIN_US);
	assert_int_equal(store_open(&s, &o), 0);
	for (i = 0; i < 3; i++) {
		uint64_t t = T0 + i * 5 * MIN_US;

		add_flows(s, 100 * i, i + 1, t);
		assert_int_equal(flush_at(s, t), 0);
		/* A second flush in the same period stays in the file. */
		add_flows(s, 100 * i + 50, 1, t + MIN_US);
		assert_int_equal(flush_at(s, t + MIN_US), 0);
		path_in(path, tmp, names[i]);
		assert_string_equal(store_current_path(s), path);
		if (i)
			assert_finished(tmp, names[i - 1]);
	}
	assert_int_equal(store_close(s), 0);
	for (i = 0; i < 3; i++) {
		assert_counts(tmp, names[i], i + 2, 0, 2);
		assert_finished(tmp, names[i]);
	}
	assert_int_equal(count_entries(tmp), 3);
	rm_rf(tmp);
}

/* A file that reached rotate_size is followed by .1, .2, ... */
static void test_rotate_size(void **state)
{
	static const char *const names[] = { "flows-20261122T1400Z.db", "flows-20261122T1400Z.1.db",
					     "flows-20261122T1400Z.2.db" };
	struct store *s = NULL;
	struct store_opts o;
	char tmp[64];
	int i;

	make_tmpdir(tmp);
	o = opts_for(tmp, HOUR_US);
	/* Any file reaches one byte: every flush after the first rotates. */
	o.rotate_size = 1;
	assert_int_equal(store_open(&s, &o), 0);
	for (i = 0; i < 3; i++) {
		add_flows(s, 100 * i, 10 * (i + 1), T0 + i * MIN_US);
		assert_int_equal(flush_at(s, T0 + i * MIN_US), 0);
	}
	assert_int_equal(store_close(s), 0);
	for (i = 0; i < 3; i++) {
		assert_counts(tmp, names[i], 10 * (i + 1), 0, 1);
		assert_finished(tmp, names[i]);
	}
	assert_int_equal(count_entries(tmp), 3);
	rm_rf(tmp);

	/* A limit no file reaches: one file. */
	make_tmpdir(tmp);
	o.dir = tmp;
	o.rotate_size = 64 << 20;
	assert_int_equal(store_open(&s, &o), 0);
	for (i = 0; i < 3; i++) {
		add_flows(s, 100 * i, 10, T0 + i * MIN_US);
		assert_int_equal(flush_at(s, T0 + i * MIN_US), 0);
	}
	assert_int_equal(store_close(s), 0);
	assert_counts(tmp, names[0], 30, 0, 3);
	assert_int_equal(count_entries(tmp), 1);
	rm_rf(tmp);
}

/* store_rotate() starts a new file at the next flush, once. */
static void test_rotate_request(void **state)
{
	struct store *s = NULL;
	struct store_opts o;
	char tmp[64];

	make_tmpdir(tmp);
	o = opts_for(tmp, HOUR_US);
	assert_int_equal(store_open(&s, &o), 0);
	/* Before the first file, a request changes nothing. */
	store_rotate(s);
	add_flows(s, 1, 1, T0);
	assert_int_equal(flush_at(s, T0), 0);
	store_rotate(s);
	add_flows(s, 2, 2, T0 + 1);
	assert_int_equal(flush_at(s, T0 + 1), 0);
	add_flows(s, 4, 3, T0 + 2);
	assert_int_equal(flush_at(s, T0 + 2), 0);
	assert_finished(tmp, "flows-20261122T1400Z.db");
	assert_int_equal(store_close(s), 0);
	assert_counts(tmp, "flows-20261122T1400Z.db", 1, 0, 1);
	assert_counts(tmp, "flows-20261122T1400Z.1.db", 5, 0, 2);
	assert_int_equal(count_entries(tmp), 2);
	rm_rf(tmp);
}

/* Reads a whole file. */
static char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[PATH_MAX];
	struct stat st;
	char *buf;
	FILE *f;

	path_in(path, dir, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fstat(fileno(f), &st), 0);
	buf = malloc(st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, st.st_size, f), st.st_size);
	fclose(f);
	*len = st.st_size;
	return buf;
}

/* A restarted collector starts a new file and leaves the old ones alone. */
static void test_restart_same_period(void **state)
{
	const char *first = "flows-20261122T1400Z.db";
	char tmp[64], path[PATH_MAX];
	struct stat st_before, st_after;
	size_t len_before, len_after;
	char *before, *after;
	struct store *s = NULL;
	struct store_opts o;

	make_tmpdir(tmp);
	o = opts_for(tmp, HOUR_US);
	assert_int_equal(store_open(&s, &o), 0);
	add_flows(s, 1, 3, T0);
	assert_int_equal(flush_at(s, T0), 0);
	assert_int_equal(store_close(s), 0);

	path_in(path, tmp, first);
	assert_int_equal(stat(path, &st_before), 0);
	before = slurp(tmp, first, &len_before);
	/* A later mtime would show a write even of the same bytes. */
	sleep(1);

	assert_int_equal(store_open(&s, &o), 0);
	add_flows(s, 10, 4, T0 + MIN_US);
	assert_int_equal(flush_at(s, T0 + MIN_US), 0);
	path_in(path, tmp, "flows-20261122T1400Z.1.db");
	assert_string_equal(store_current_path(s), path);
	assert_int_equal(store_close(s), 0);

	path_in(path, tmp, first);
	assert_int_equal(stat(path, &st_after), 0);
	after = slurp(tmp, first, &len_after);
	assert_int_equal(len_after, len_before);
	assert_memory_equal(after, before, len_before);
	assert_int_equal(st_after.st_ino, st_before.st_ino);
	assert_int_equal(st_after.st_mtim.tv_sec, st_before.st_mtim.tv_sec);
	assert_int_equal(st_after.st_mtim.tv_nsec, st_before.st_mtim.tv_nsec);
	free(before);
	free(after);
	assert_counts(tmp, first, 3, 0, 1);
	assert_counts(tmp, "flows-20261122T1400Z.1.db", 4, 0, 1);

	/* Numbering goes on after the highest seq, gaps and all; a stray -wal
	 * keeps its name taken. */
	touch_in(tmp, "flows-20261122T1400Z.5.db");
	touch_in(tmp, "flows-20261122T1400Z.6.db-wal");
	assert_int_equal(store_open(&s, &o), 0);
	add_flows(s, 20, 2, T0 + 2 * MIN_US);
	assert_int_equal(flush_at(s, T0 + 2 * MIN_US), 0);
	path_in(path, tmp, "flows-20261122T1400Z.7.db");
	assert_string_equal(store_current_path(s), path);
	assert_int_equal(store_close(s), 0);
	assert_counts(tmp, "flows-20261122T1400Z.7.db", 2, 0, 1);
	assert_int_equal(file_size(tmp, "flows-20261122T1400Z.5.db"), 0);
	assert_int_equal(count_entries(tmp), 5);
	rm_rf(tmp);
}

/* Rows buffered without a flush are written at close, at the latest time seen. */
static void test_close_pending(void **state)
{
	struct store *s = NULL;
	struct store_opts o;
	char tmp[64];
	sqlite3 *db;

	make_tmpdir(tmp);
	o = opts_for(tmp, HOUR_US);
	assert_int_equal(store_open(&s, &o), 0);
	add_flows(s, 1, 2, T0);
	add_flows(s, 3, 1, T0 + HOUR_US);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(count_entries(tmp), 1);
	assert_counts(tmp, "flows-20261122T1500Z.db", 3, 0, 1);
	assert_finished(tmp, "flows-20261122T1500Z.db");
	db = db_open(tmp, "flows-20261122T1500Z.db");
	assert_int_equal(q_int(db, "SELECT time FROM collector_stats"), T0 + HOUR_US);
	assert_int_equal(q_int(db, "SELECT rows_written FROM collector_stats"), 3);
	assert_int_equal(q_int(db, "SELECT kernel_packets FROM collector_stats"), 0);
	sqlite3_close(db);
	rm_rf(tmp);
}

/* The text of every row of a query, columns joined by '|', rows by '\n',
 * NULL as "NULL", into buf. */
static void q_rows(sqlite3 *db, const char *sql, char *buf, size_t size)
{
	sqlite3_stmt *stmt;
	size_t n = 0;
	int i;

	buf[0] = '\0';
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	while (sqlite3_step(stmt) == SQLITE_ROW)
		for (i = 0; i < sqlite3_column_count(stmt); i++) {
			const char *v = (const char *)sqlite3_column_text(stmt, i);

			n += (size_t)snprintf(buf + n, size - n, "%s%s", v ? v : "NULL",
					      i + 1 < sqlite3_column_count(stmt) ? "|" : "\n");
			assert_true(n < size);
		}
	sqlite3_finalize(stmt);
}

/* actions and rule_counters rows: written in the flush's transaction with
 * their NULLs, widening the file's time range; refused words; pending
 * ones written at close. */
static void test_audit_rows(void **state)
{
	const char *name = "flows-20261122T1400Z.db";
	struct store_action load = { .time_us = T0 - 90 * USEC_PER_SEC, .action = "load",
				     .target = "/etc/flowdb/policy", .origin = "file", .uid = -1,
				     .detail = "3 rules" };
	struct store_action add = { .time_us = T0, .action = "add", .target = "203.0.113.0/24",
				    .rule = "block src 203.0.113.0/24 reason \"ssh\"", .reason = "ssh",
				    .expires_us = T0 + HOUR_US, .origin = "ctl", .uid = 1000 };
	struct store_action bad = add;
	struct store_rule_counter c[3] = {
		{ .rule = "block src 203.0.113.0/24", .kind = "block", .origin = "ctl",
		  .packets = 7, .bytes = 420 },
		{ .rule = "allow 10.0.0.0/8", .kind = "allow", .origin = "file", .line = 1 },
		{ .rule = "limit src/32 1000pps burst 2000", .kind = "limit", .origin = "file",
		  .line = 2, .packets = 5, .bytes = 7500 },
	};
	struct store_rule_counter badc = c[0];
	char long_text[600], buf[2048];
	struct store *s = NULL;
	struct store_opts o;
	char tmp[64];
	sqlite3 *db;

	make_tmpdir(tmp);
	o = opts_for(tmp, HOUR_US);
	assert_int_equal(store_open(&s, &o), 0);
	/* Words outside the schema's lists never reach a flush. */
	bad.action = "remove";
	assert_int_equal(store_add_action(s, &bad), -EINVAL);
	bad.action = "add";
	bad.origin = "cron";
	assert_int_equal(store_add_action(s, &bad), -EINVAL);
	bad.origin = "ctl";
	bad.target = NULL;
	assert_int_equal(store_add_action(s, &bad), -EINVAL);
	assert_int_equal(store_add_rule_counters(s, T0, "dry-run", c, 3), -EINVAL);
	badc.kind = "drop";
	assert_int_equal(store_add_rule_counters(s, T0, "enforce", &badc, 1), -EINVAL);
	badc.kind = "block";
	badc.origin = "expiry";
	assert_int_equal(store_add_rule_counters(s, T0, "enforce", &badc, 1), -EINVAL);

	assert_int_equal(store_add_action(s, &load), 0);
	assert_int_equal(store_add_action(s, &add), 0);
	assert_int_equal(store_add_rule_counters(s, T0, "monitor", c, 3), 0);
	add_flows(s, 1, 2, T0);
	assert_int_equal(flush_at(s, T0 + USEC_PER_SEC), 0);
	db = db_open(tmp, name);
	q_rows(db, "SELECT time, action, target, rule, reason, expires, origin, uid, detail "
		   "FROM actions ORDER BY rowid", buf, sizeof(buf));
	snprintf(long_text, sizeof(long_text),
		 "%llu|load|/etc/flowdb/policy|NULL|NULL|NULL|file|NULL|3 rules\n"
		 "%llu|add|203.0.113.0/24|block src 203.0.113.0/24 reason \"ssh\"|ssh|%llu|ctl|1000|NULL\n",
		 T0 - 90 * USEC_PER_SEC, T0, T0 + HOUR_US);
	assert_string_equal(buf, long_text);
	/* The allow rule had no packets: no row. */
	q_rows(db, "SELECT time, rule, kind, packets, bytes, mode, origin, line "
		   "FROM rule_counters ORDER BY rowid", buf, sizeof(buf));
	snprintf(long_text, sizeof(long_text),
		 "%llu|block src 203.0.113.0/24|block|7|420|monitor|ctl|NULL\n"
		 "%llu|limit src/32 1000pps burst 2000|limit|5|7500|monitor|file|2\n",
		 T0, T0);
	assert_string_equal(buf, long_text);
	/* The load came before any flow: the range starts there. */
	snprintf(buf, sizeof(buf), "%llu", T0 - 90 * USEC_PER_SEC);
	assert_q_text(db, "SELECT value FROM meta WHERE key = 'time_start_us'", buf);
	/* Written once: a later flush writes none again. */
	sqlite3_close(db);
	assert_int_equal(flush_at(s, T0 + 2 * USEC_PER_SEC), 0);
	db = db_open(tmp, name);
	assert_int_equal(q_int(db, "SELECT count(*) FROM actions"), 2);
	assert_int_equal(q_int(db, "SELECT count(*) FROM rule_counters"), 2);
	sqlite3_close(db);

	/* Texts are cut as the others are; a row pending at close is written. */
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	add.detail = long_text;
	add.action = "expire";
	add.origin = "expiry";
	add.uid = -1;
	add.expires_us = 0;
	add.reason = "";
	assert_int_equal(store_add_action(s, &add), 0);
	assert_int_equal(store_close(s), 0);
	db = db_open(tmp, name);
	q_rows(db, "SELECT action, origin, reason, expires, uid, length(detail) FROM actions "
		   "ORDER BY rowid DESC LIMIT 1", buf, sizeof(buf));
	assert_string_equal(buf, "expire|expiry|NULL|NULL|NULL|255\n");
	sqlite3_close(db);
	rm_rf(tmp);
}

/* Four hourly files, the last one still being written. */
static struct store *four_files(const char *dir, struct store_opts *o, uint64_t retain_age_us)
{
	struct store *s = NULL;
	int i;

	*o = opts_for(dir, HOUR_US);
	o->retain_age_us = retain_age_us;
	assert_int_equal(store_open(&s, o), 0);
	for (i = 0; i < 4; i++) {
		add_flows(s, 1000 * i, 50 * (i + 1), T0 + i * HOUR_US);
		assert_int_equal(flush_at(s, T0 + i * HOUR_US), 0);
	}
	return s;
}

static const char *const hourly[] = { "flows-20261122T1400Z.db", "flows-20261122T1500Z.db",
				      "flows-20261122T1600Z.db", "flows-20261122T1700Z.db" };

/* Files expire by mtime, oldest first, never the current one. */
static void test_retain_age(void **state)
{
	const uint64_t day = 24 * HOUR_US;
	uint64_t now = (uint64_t)time(NULL) * USEC_PER_SEC;
	struct store *s, *idle = NULL;
	struct store_opts o;
	char tmp[64];

	make_tmpdir(tmp);
	s = four_files(tmp, &o, day);
	touch_in(tmp, "flows-20261122T1400Z.db-wal");
	touch_in(tmp, "flows-20261122T1400Z.db-shm");
	touch_in(tmp, "notes.txt");
	touch_in(tmp, "flows-x.db");
	set_mtime(tmp, hourly[0], now - 3 * day);
	set_mtime(tmp, "flows-20261122T1400Z.db-wal", now - 3 * day);
	set_mtime(tmp, hourly[1], now - 2 * day);
	set_mtime(tmp, hourly[2], now - HOUR_US);
	set_mtime(tmp, hourly[3], now - 3 * day);
	set_mtime(tmp, "flows-20261122T1700Z.db-wal", now - 3 * day);
	set_mtime(tmp, "notes.txt", now - 9 * day);
	set_mtime(tmp, "flows-x.db", now - 9 * day);
	assert_int_equal(count_entries(tmp), 10);

	/* Without limits nothing goes. */
	o.retain_age_us = 0;
	assert_int_equal(store_open(&idle, &o), 0);
	assert_int_equal(store_retain(idle, now), 0);
	assert_int_equal(store_close(idle), 0);
	assert_int_equal(count_entries(tmp), 10);

	/* The two expired files go with their -wal and -shm; the current
	 * file is old too, but stays. */
	assert_int_equal(store_retain(s, now), 2);
	assert_false(exists_in(tmp, hourly[0]));
	assert_false(exists_in(tmp, "flows-20261122T1400Z.db-wal"));
	assert_false(exists_in(tmp, "flows-20261122T1400Z.db-shm"));
	assert_false(exists_in(tmp, hourly[1]));
	assert_true(exists_in(tmp, hourly[2]));
	assert_true(exists_in(tmp, hourly[3]));
	assert_true(exists_in(tmp, "notes.txt"));
	assert_true(exists_in(tmp, "flows-x.db"));
	assert_int_equal(count_entries(tmp), 6);
	assert_int_equal(store_retain(s, now), 0);
	assert_int_equal(store_close(s), 0);
	assert_counts(tmp, hourly[3], 200, 0, 1);
	rm_rf(tmp);

	/* Files are removed oldest first: an expired file takes the older
	 * ones with it, however recent their mtime. */
	make_tmpdir(tmp);
	s = four_files(tmp, &o, day);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(store_open(&s, &o), 0);
	set_mtime(tmp, hourly[0], now);
	set_mtime(tmp, hourly[1], now - 2 * day);
	set_mtime(tmp, hourly[2], now);
	set_mtime(tmp, hourly[3], now);
	assert_int_equal(store_retain(s, now), 2);
	assert_false(exists_in(tmp, hourly[0]));
	assert_false(exists_in(tmp, hourly[1]));
	assert_true(exists_in(tmp, hourly[2]));
	assert_true(exists_in(tmp, hourly[3]));
	assert_int_equal(count_entries(tmp), 2);
	assert_int_equal(store_close(s), 0);
	rm_rf(tmp);
}

/* The oldest files go until all fit in retain_size. */
static void test_retain_size(void **state)
{
	uint64_t now = (uint64_t)time(NULL) * USEC_PER_SEC;
	uint64_t size[4], total = 0;
	struct store *s = NULL;
	struct store_opts o;
	char tmp[64];
	int i;

	make_tmpdir(tmp);
	s = four_files(tmp, &o, 0);
	assert_int_equal(store_close(s), 0);
	for (i = 0; i < 4; i++) {
		size[i] = file_size(tmp, hourly[i]);
		total += size[i];
	}
	/* Exactly at the limit after the two oldest are gone. */
	o.retain_size = total - size[0] - size[1];
	assert_int_equal(store_open(&s, &o), 0);
	assert_int_equal(store_retain(s, now), 2);
	assert_false(exists_in(tmp, hourly[0]));
	assert_false(exists_in(tmp, hourly[1]));
	assert_true(exists_in(tmp, hourly[2]));
	assert_true(exists_in(tmp, hourly[3]));
	assert_int_equal(store_retain(s, now), 0);
	assert_int_equal(store_close(s), 0);
	rm_rf(tmp);

	/* A limit below the current file alone leaves just the current file. */
	make_tmpdir(tmp);
	s = four_files(tmp, &o, 0);
	assert_int_equal(store_close(s), 0);
	o.retain_size = 1;
	assert_int_equal(store_open(&s, &o), 0);
	add_flows(s, 1, 1, T0);
	assert_int_equal(flush_at(s, T0), 0);
	assert_int_equal(store_retain(s, now), 4);
	assert_int_equal(count_entries(tmp), 3); /* .1.db, its -wal and -shm */
	assert_true(exists_in(tmp, "flows-20261122T1400Z.1.db"));
	assert_int_equal(store_close(s), 0);
	assert_int_equal(count_entries(tmp), 1);
	rm_rf(tmp);
}

/* With keep_unshipped, retention passes over every file flowdb-ship's
 * progress record does not mark shipped: begun, refused, not named, or all
 * of them when the record is not one. */
static void test_retain_unshipped(void **state)
{
	uint64_t now = (uint64_t)time(NULL) * USEC_PER_SEC;
	struct flowfile_progress p = { 0 };
	struct flowfile_entry *e;
	struct store *s = NULL;
	struct store_opts o;
	char tmp[64], path[128];
	FILE *f;
	int i;

	make_tmpdir(tmp);
	s = four_files(tmp, &o, 0);
	assert_int_equal(store_close(s), 0);
	o.retain_size = 1;
	o.keep_unshipped = true;
	assert_int_equal(store_open(&s, &o), 0);

	/* No record: nothing is shipped, nothing goes. */
	assert_int_equal(store_retain(s, now), 0);
	assert_int_equal(count_entries(tmp), 4);

	/* A record that is not one (a state it does not know): nothing goes. */
	snprintf(path, sizeof(path), "%s/%s", tmp, FLOWFILE_PROGRESS);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s done 5\n", hourly[0]);
	fclose(f);
	assert_int_equal(flowfile_progress_read(tmp, &p), -EINVAL);
	assert_int_equal(store_retain(s, now), 0);
	assert_int_equal(count_entries(tmp), 5);

	/* 0 shipping, 1 shipped, 2 refused, 3 shipped: the shipped files go. */
	for (i = 0; i < 4; i++) {
		e = flowfile_progress_get(&p, hourly[i], true);
		assert_non_null(e);
		e->state = i == 2 ? FLOWFILE_REFUSED : i % 2 ? FLOWFILE_SHIPPED : FLOWFILE_SHIPPING;
		e->rows = 7;
	}
	assert_int_equal(flowfile_progress_write(tmp, &p), 0);
	flowfile_progress_free(&p);
	assert_int_equal(store_retain(s, now), 2);
	assert_true(exists_in(tmp, hourly[0]));
	assert_false(exists_in(tmp, hourly[1]));
	assert_true(exists_in(tmp, hourly[2]));
	assert_false(exists_in(tmp, hourly[3]));
	assert_int_equal(store_close(s), 0);

	/* Without keep_unshipped, the same limit removes the others too. */
	o.keep_unshipped = false;
	assert_int_equal(store_open(&s, &o), 0);
	assert_int_equal(store_retain(s, now), 2);
	assert_int_equal(count_entries(tmp), 1); /* the record */
	assert_int_equal(store_close(s), 0);
	rm_rf(tmp);
}

/* The ring keeps the newest STORE_MAX_PENDING_ROWS rows. */
static void test_pending_cap(void **state)
{
	const int extra = 5;
	struct store *s = NULL;
	struct store_opts o;
	char tmp[64];
	sqlite3 *db;

	make_tmpdir(tmp);
	o = opts_for(tmp, HOUR_US);
	assert_int_equal(store_open(&s, &o), 0);
	add_flows(s, 1, STORE_MAX_PENDING_ROWS + extra, T0);
	assert_int_equal(flush_at(s, T0), 0);
	assert_int_equal(store_close(s), 0);
	db = db_open(tmp, "flows-20261122T1400Z.db");
	assert_int_equal(q_int(db, "SELECT count(*) FROM flows"), STORE_MAX_PENDING_ROWS);
	assert_int_equal(q_int(db, "SELECT min(packets) FROM flows"), 1 + extra);
	assert_int_equal(q_int(db, "SELECT max(packets) FROM flows"),
			 STORE_MAX_PENDING_ROWS + extra);
	assert_int_equal(q_int(db, "SELECT rows_written FROM collector_stats"),
			 STORE_MAX_PENDING_ROWS);
	sqlite3_close(db);
	rm_rf(tmp);
}

/* Rows in flows of every flow file in dir, each checked finished and free
 * of duplicates. */
static long long count_all_flows(const char *dir)
{
	long long total = 0;
	struct dirent *de;
	unsigned int seq;
	uint64_t start;
	sqlite3 *db;
	DIR *d;

	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (flowfile_parse_name(de->d_name, &start, &seq))
			continue;
		assert_finished(dir, de->d_name);
		db = db_open(dir, de->d_name);
		total += q_int(db, "SELECT count(*) FROM flows");
		assert_int_equal(q_int(db, "SELECT count(*) FROM flows"),
				 q_int(db, "SELECT count(DISTINCT packets) FROM flows"));
		sqlite3_close(db);
	}
	closedir(d);
	return total;
}

/* The last stats row of a file: rows_written, pending_rows, write_errors. */
static void assert_last_stats(const char *dir, const char *name, long long rows_written,
			      long long pending_rows, long long write_errors)
{
	sqlite3 *db = db_open(dir, name);

	assert_int_equal(q_int(db, "SELECT rows_written FROM collector_stats ORDER BY rowid DESC"),
			 rows_written);
	assert_int_equal(q_int(db, "SELECT pending_rows FROM collector_stats ORDER BY rowid DESC"),
			 pending_rows);
	assert_int_equal(q_int(db, "SELECT write_errors FROM collector_stats ORDER BY rowid DESC"),
			 write_errors);
	sqlite3_close(db);
}

/* Mounts a tmpfs of 256 KiB on a new temporary directory, tmp; skips the
 * test where it cannot. */
static void small_tmpfs(char *tmp)
{
	if (geteuid() != 0 || !can_mount) {
		print_message("    SKIP disk full: needs root and a mount namespace\n");
		skip();
	}
	make_tmpdir(tmp);
	assert_int_equal(mount("tmpfs", tmp, "tmpfs", 0, "size=256k"), 0);
}

/* A file that outgrows what is kept in memory goes on writing on disk,
 * under its hidden name, held: a second import must not take it for a dead
 * one's. Once finished it is in place with every row. */
static void test_publish_spills(void **state)
{
	const int per_flush = 20000;
	char tmp[64], name[64];
	struct store *s = NULL;
	struct store_opts o;
	uint32_t id = 0;

	make_tmpdir(tmp);
	o = opts_for(tmp, HOUR_US);
	o.publish_finished = true;
	assert_int_equal(store_open(&s, &o), 0);
	while (!store_current_path(s)) {
		assert_true(id < 1000000);
		add_flows(s, id, per_flush, T0 + id);
		id += per_flush;
		assert_int_equal(flush_at(s, T0 + id), 0);
	}
	assert_int_equal(held_parts(tmp), 1);
	assert_int_equal(count_entries(tmp), 1);
	add_flows(s, id, per_flush, T0 + id);
	id += per_flush;
	assert_int_equal(flush_at(s, T0 + id), 0);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(held_parts(tmp), 0);
	assert_int_equal(flowfile_name(name, sizeof(name), T0, HOUR_US, 0), 0);
	assert_finished(tmp, name);
	assert_int_equal(count_all_flows(tmp), id);
	rm_rf(tmp);
}

/* A store with publish_finished, hourly, on small_tmpfs()'s tmpfs, whose
 * path goes to tmp (64 bytes). */
static struct store *publish_on_small_tmpfs(char *tmp)
{
	struct store *s = NULL;
	struct store_opts o;

	small_tmpfs(tmp);
	o = opts_for(tmp, HOUR_US);
	o.publish_finished = true;
	assert_int_equal(store_open(&s, &o), 0);
	return s;
}

/* The same with publish_finished: files are made in memory, and a finished
 * one the disk has no room for waits, whole, while flushes fail and keep
 * their rows; once there is room every row is in place, once. */
static void test_publish_disk_full(void **state)
{
	const int batch = 200;
	int i, err = 0, ok = 0;
	uint32_t next_id = 1;
	uint64_t t = T0;
	struct store *s;
	char tmp[64];

	s = publish_on_small_tmpfs(tmp);
	/* An hour a flush: each finishes the file before. */
	for (i = 0; i < 1000; i++, t += HOUR_US) {
		add_flows(s, next_id, batch, t);
		next_id += batch;
		err = flush_at(s, t);
		if (err == -ENOSPC)
			break;
		assert_int_equal(err, 0);
		ok++;
	}
	assert_int_equal(err, -ENOSPC);
	assert_true(ok > 0);
	assert_int_equal(flush_at(s, t), -ENOSPC);
	assert_int_equal(mount("tmpfs", tmp, "tmpfs", MS_REMOUNT, "size=64m"), 0);
	/* The finisher finds the room within FULL_RETRY_US; till then the
	 * flushes keep failing, and keeping their rows. */
	for (i = 0; (err = flush_at(s, t)) == -ENOSPC; i++) {
		assert_true(i < 1000);
		usleep(10000);
	}
	assert_int_equal(err, 0);
	add_flows(s, next_id, 10, t + HOUR_US);
	next_id += 10;
	assert_int_equal(flush_at(s, t + HOUR_US), 0);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(held_parts(tmp), 0);
	assert_int_equal(count_all_flows(tmp), next_id - 1);
	assert_int_equal(umount2(tmp, MNT_DETACH), 0);
	rmdir(tmp);
}

/* A disk that stays full: the import ends, with an error, and what it
 * could not write is said lost; nothing half-made is left in sight. */
static void test_publish_disk_stays_full(void **state)
{
	int i, err = 0;
	uint64_t t = T0;
	struct store *s;
	char tmp[64];

	s = publish_on_small_tmpfs(tmp);
	for (i = 0; i < 1000 && err != -ENOSPC; i++, t += HOUR_US) {
		add_flows(s, (uint32_t)i * 200 + 1, 200, t);
		err = flush_at(s, t);
	}
	assert_int_equal(err, -ENOSPC);
	assert_int_equal(store_close(s), -ENOSPC);
	assert_int_equal(held_parts(tmp), 0);
	for (i = 0; i < 1000; i++) {
		char name[64];

		if (flowfile_name(name, sizeof(name), T0 + i * HOUR_US, HOUR_US, 0) ||
		    !exists_in(tmp, name))
			continue;
		assert_finished(tmp, name);
	}
	assert_int_equal(umount2(tmp, MNT_DETACH), 0);
	rmdir(tmp);
}

/* Fills a small tmpfs, then grows it: no row is lost or written twice. */
static void test_disk_full(void **state)
{
	const char *first = "flows-20261122T1400Z.db", *second = "flows-20261122T1400Z.1.db";
	const int batch = 200;
	int i, err, ok = 0, failed, pending = 0;
	uint32_t next_id = 1;
	struct store *s = NULL;
	struct store_opts o;
	uint64_t t = T0;
	char tmp[64];
	sqlite3 *db;

	small_tmpfs(tmp);
	o = opts_for(tmp, HOUR_US);
	assert_int_equal(store_open(&s, &o), 0);
	for (i = 0; i < 1000; i++) {
		add_flows(s, next_id, batch, t);
		next_id += batch;
		pending += batch;
		err = flush_at(s, t++);
		if (err == -ENOSPC)
			break;
		assert_int_equal(err, 0);
		ok++;
		pending = 0;
	}
	assert_int_equal(err, -ENOSPC);
	assert_true(ok > 0);
	/* Requests are held as flows are. */
	add_requests(s, 1, 3, t);
	pending += 3;
	add_flows(s, next_id, batch, t);
	next_id += batch;
	pending += batch;
	assert_int_equal(flush_at(s, t++), -ENOSPC);
	/* A rotation cannot finish the old file nor start a new one. */
	store_rotate(s);
	assert_int_equal(flush_at(s, t++), -ENOSPC);
	failed = 3;
	assert_false(exists_in(tmp, second));
	print_message("    space: %d flushes written, then %d failed holding %d rows\n", ok, failed,
		      pending);

	assert_int_equal(mount("tmpfs", tmp, "tmpfs", MS_REMOUNT, "size=64m"), 0);
	add_flows(s, next_id, 10, t);
	next_id += 10;
	pending += 10;
	assert_int_equal(flush_at(s, t++), 0);
	/* Of the rows written, those the last failed flush held back. */
	assert_last_stats(tmp, second, pending, pending - 10, failed);
	/* The next success counts the failures afresh. */
	assert_int_equal(flush_at(s, t), 0);
	assert_last_stats(tmp, second, 0, 0, 0);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(count_all_flows(tmp), next_id - 1);
	assert_int_equal(count_entries(tmp), 2);
	assert_counts(tmp, first, ok * batch, 0, ok);
	assert_last_stats(tmp, first, batch, 0, 0);
	assert_counts(tmp, second, pending - 3, 0, 2);
	db = db_open(tmp, second);
	assert_q_text(db, "SELECT group_concat(status) FROM requests", "101,102,103");
	assert_int_equal(q_int(db, "SELECT sum(packets) FROM flows"),
			 (long long)(next_id - 1) * next_id / 2 -
				 (long long)(ok * batch) * (ok * batch + 1) / 2);
	sqlite3_close(db);
	assert_int_equal(umount2(tmp, MNT_DETACH), 0);

	/* Out of inodes: the new file cannot get its -wal or -shm. nr_inodes=4
	 * leaves room for three files: one flow file with its -wal and -shm. */
	assert_int_equal(mount("tmpfs", tmp, "tmpfs", 0, "size=64m,nr_inodes=4"), 0);
	assert_int_equal(store_open(&s, &o), 0);
	add_flows(s, 1, 5, T0);
	assert_int_equal(flush_at(s, T0), 0);
	store_rotate(s);
	add_flows(s, 6, 5, T0);
	assert_int_equal(flush_at(s, T0), -ENOSPC);
	assert_int_equal(flush_at(s, T0), -ENOSPC);
	/* The old file was finished, the new one left nothing behind. */
	assert_int_equal(count_entries(tmp), 1);
	assert_finished(tmp, first);
	assert_int_equal(mount("tmpfs", tmp, "tmpfs", MS_REMOUNT, "nr_inodes=16"), 0);
	assert_int_equal(flush_at(s, T0), 0);
	assert_int_equal(store_close(s), 0);
	assert_counts(tmp, first, 5, 0, 1);
	assert_counts(tmp, second, 5, 0, 1);
	assert_last_stats(tmp, second, 5, 5, 2);
	assert_int_equal(count_entries(tmp), 2);
	assert_int_equal(umount2(tmp, MNT_DETACH), 0);
	rm_rf(tmp);
}

/* Prints how long one flush of 100,000 flow rows takes; asserts only success. */
static void test_throughput(void **state)
{
	const int n = 100000;
	struct timespec a, b;
	struct store *s = NULL;
	struct store_opts o;
	char tmp[64];
	int i;

	make_tmpdir(tmp);
	o = opts_for(tmp, HOUR_US);
	assert_int_equal(store_open(&s, &o), 0);
	for (i = 0; i < n; i++) {
		struct flow_record r = numbered_flow(i, T0 + i);

		assert_int_equal(store_add_flow(s, &r, "eth0"), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(flush_at(s, T0 + n), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	print_message("    flush of %d flow rows: %.1f ms (%s)\n", n,
		      (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6, tmp);
	assert_int_equal(store_close(s), 0);
	assert_counts(tmp, "flows-20261122T1400Z.db", n, 0, 1);
	rm_rf(tmp);
}

/* A private mount namespace lets the tests mount tmpfs without touching the
 * host's mounts. */
static int group_setup(void **state)
{
	if (geteuid() != 0)
		return 0;
	if (unshare(CLONE_NEWNS) || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL)) {
		fprintf(stderr, "test_store: no mount namespace (%s): mount tests skip\n",
			strerror(errno));
		return 0;
	}
	can_mount = true;
	return 0;
}

/* Runs the store tests; the mount tests skip without root. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_name),	 cmocka_unit_test(test_parse_file_name),
		cmocka_unit_test(test_open_creates_dir), cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_write_read_back),	 cmocka_unit_test(test_invalid_rows),
		cmocka_unit_test(test_requests_rows),
		cmocka_unit_test(test_rotate_period),	 cmocka_unit_test(test_rotate_size),
		cmocka_unit_test(test_rotate_request),	 cmocka_unit_test(test_restart_same_period),
		cmocka_unit_test(test_close_pending),	 cmocka_unit_test(test_audit_rows),
		cmocka_unit_test(test_retain_age), cmocka_unit_test(test_publish_finished),
		cmocka_unit_test(test_publish_stale),
		cmocka_unit_test(test_publish_spills),
		cmocka_unit_test(test_publish_disk_full),
		cmocka_unit_test(test_publish_disk_stays_full),
		cmocka_unit_test(test_retain_size),	 cmocka_unit_test(test_retain_unshipped),
		cmocka_unit_test(test_pending_cap),
		cmocka_unit_test(test_disk_full),	 cmocka_unit_test(test_throughput),
	};

	return cmocka_run_group_tests_name("store", tests, group_setup, NULL);
}
