// SPDX-License-Identifier: BSD-2-Clause
/* The alert engine on evidence made here: thresholds, sliding windows,
 * evidence between flushes and out of order, distinct sets, suppression,
 * anomaly baselines; the alerts rows read back from a real store's file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "alert.h"
#include "policy.h"
#include "store.h"

#define SEC 1000000ULL
/* 2026-11-22T14:00:00Z, a whole minute: slices and buckets start here. */
#define T0 (1795356000ULL * SEC)

/* One engine with its store in a directory of its own. */
struct bench {
	char dir[64];
	struct store *s;
	struct alerter *a;
	struct policy p;
	uint64_t flushed_at;
};

/* Opens an engine on the policy text rules. */
static void open_bench(struct bench *b, const char *rules)
{
	struct store_opts so = { .rotate_interval_us = 24 * 3600 * SEC, .hostname = "test" };
	char path[96];
	FILE *f;

	memset(b, 0, sizeof(*b));
	strcpy(b->dir, "/tmp/test_alert.XXXXXX");
	assert_non_null(mkdtemp(b->dir));
	snprintf(path, sizeof(path), "%s/policy", b->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(rules, f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(policy_parse_file(path, &b->p, stderr), 0);
	so.dir = b->dir;
	assert_int_equal(store_open(&b->s, &so), 0);
	assert_int_equal(alert_open(&b->a, &b->p, NULL, NULL, b->s, stderr), 0);
}

/* One flush at now: the engine's rows committed to the file. */
static void flush_at(struct bench *b, uint64_t now)
{
	struct store_stats st = { .time_us = now };

	assert_int_equal(alert_flush(b->a, now, &st), 0);
	assert_int_equal(store_flush(b->s, &st), 0);
	b->flushed_at = now;
}

/* The alerts rows as "rule key value suppressed time-T0-in-s|...". */
static void alerts_text(struct bench *b, char *out, size_t len)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	size_t used = 0;

	out[0] = '\0';
	assert_int_equal(sqlite3_open_v2(store_current_path(b->s), &db, SQLITE_OPEN_READONLY,
					 NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT rule, key, value, suppressed, (time - ?) / 1000000 "
					    "FROM alerts ORDER BY time, rule, key",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)T0);
	while (sqlite3_step(st) == SQLITE_ROW)
		used += snprintf(out + used, len - used, "%s%s %s %g %lld %lld", used ? "|" : "",
				 sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
				 sqlite3_column_double(st, 2), sqlite3_column_int64(st, 3),
				 sqlite3_column_int64(st, 4));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void close_bench(struct bench *b)
{
	char cmd[96];

	alert_close(b->a);
	assert_int_equal(store_close(b->s), 0);
	policy_free(&b->p);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", b->dir);
	assert_int_equal(system(cmd), 0);
}

/* A TCP flow from 10.0.0.src to 192.0.2.1:port. */
static struct flow_key flow(uint8_t src, uint16_t port)
{
	struct flow_key k = { .src_port = 40000, .dst_port = port, .proto = 6, .ip_version = 4 };

	k.src_addr[0] = 10;
	k.src_addr[3] = src;
	k.dst_addr[0] = 192;
	k.dst_addr[2] = 2;
	k.dst_addr[3] = 1;
	return k;
}

static void syn(struct bench *b, uint8_t src, uint64_t t)
{
	struct flow_event ev = { .key = flow(src, 80), .kind = FLOW_EVENT_SYN, .tcp_flags = 2 };

	alert_event(b->a, &ev, t);
}

/* More than N in the window fires, N does not; the value is the count. */
static void test_threshold(void **state)
{
	struct bench b;
	char got[512];
	int i;

	(void)state;
	open_bench(&b, "alert flood src syn > 10/s\n");
	for (i = 0; i < 11; i++)
		syn(&b, 1, T0 + 10 * SEC + i * 10000);
	for (i = 0; i < 10; i++)
		syn(&b, 2, T0 + 10 * SEC + i * 10000);
	flush_at(&b, T0 + 11 * SEC);
	alerts_text(&b, got, sizeof(got));
	assert_string_equal(got, "flood 10.0.0.1 11 0 11");
	close_bench(&b);
}

/* A burst between two flushes is seen at its own time, although the
 * flush comes long after the window; spread out, the same SYNs are not. */
static void test_between_flushes(void **state)
{
	struct bench b;
	char got[512];
	int i;

	(void)state;
	open_bench(&b, "alert flood src syn > 10/s\n");
	for (i = 0; i < 20; i++)
		syn(&b, 1, T0 + 5 * SEC + i * 20000);
	for (i = 0; i < 40; i++)
		syn(&b, 2, T0 + 5 * SEC + i * 200000); /* 5 per second */
	flush_at(&b, T0 + 60 * SEC);
	alerts_text(&b, got, sizeof(got));
	assert_string_equal(got, "flood 10.0.0.1 20 0 60");
	close_bench(&b);
}

/* A drain's flows in any order count as they happened. */
static void test_out_of_order(void **state)
{
	struct bench b;
	char got[512];
	int i;

	(void)state;
	open_bench(&b, "alert burst src packets > 100 in 1s\n");
	/* One packet a second for 50 s, and a burst of 150 in 0.3 s at 30 s,
	 * drained newest first. */
	for (i = 49; i >= 0; i--) {
		struct flow_key k = flow(1, (uint16_t)(1000 + i));
		uint64_t t = T0 + (uint64_t)i * SEC;

		alert_flow(b.a, &k, 1, 60, 0x10, t, t, true);
		if (i == 30) {
			k.dst_port = 9;
			alert_flow(b.a, &k, 150, 9000, 0x10, t, t + 300000, true);
		}
	}
	flush_at(&b, T0 + 60 * SEC);
	alerts_text(&b, got, sizeof(got));
	assert_string_equal(got, "burst 10.0.0.1 151 0 60");
	close_bench(&b);
}

/* Distinct ports: 101 TCP attempts (SYNs) fire, 100 do not; TCP flows
 * (answers look the same) never count, UDP flows do. */
static void test_distinct(void **state)
{
	struct bench b;
	char got[512];
	int i;

	(void)state;
	open_bench(&b, "alert scan src distinct dst_port > 100 in 60s\n");
	for (i = 0; i < 101; i++) {
		struct flow_event k = { .key = flow(1, (uint16_t)(1 + i)), .kind = FLOW_EVENT_SYN };
		struct flow_event l = { .key = flow(2, (uint16_t)(1 + i % 100)),
					.kind = FLOW_EVENT_SYN };
		struct flow_key m = flow(3, (uint16_t)(1 + i)), u = flow(4, (uint16_t)(1 + i));
		uint64_t t = T0 + SEC + (uint64_t)i * 10000;

		alert_event(b.a, &k, t);
		alert_event(b.a, &l, t);
		alert_flow(b.a, &m, 1, 60, 0x12, t, t, true);
		u.proto = 17;
		alert_flow(b.a, &u, 1, 60, 0, t, t, true);
	}
	flush_at(&b, T0 + 2 * SEC);
	alerts_text(&b, got, sizeof(got));
	assert_string_equal(got, "scan 10.0.0.1 101 0 2|scan 10.0.0.4 101 0 2");
	close_bench(&b);
}

/* One alert per key per suppression interval; the repeats in between
 * counted in the next alert. */
static void test_suppression(void **state)
{
	struct bench b;
	char got[512];
	int f, i;

	(void)state;
	open_bench(&b, "alert flood src syn > 5/s suppress 30s\n");
	for (f = 0; f < 5; f++) {
		for (i = 0; i < 10; i++)
			syn(&b, 1, T0 + (uint64_t)f * 10 * SEC + i * 1000);
		flush_at(&b, T0 + (uint64_t)f * 10 * SEC + SEC);
	}
	alerts_text(&b, got, sizeof(got));
	/* Raised at 1 s; 11 and 21 suppressed; 31 is past 1 + 30. */
	assert_string_equal(got, "flood 10.0.0.1 10 0 1|flood 10.0.0.1 10 2 31");
	close_bench(&b);
}

/* A steady source with jitter stays silent through and past its warm-up;
 * a step up fires; a source too new to have a baseline never does. */
static void test_anomaly(void **state)
{
	struct bench b;
	char got[512];
	int m;

	(void)state;
	open_bench(&b, "alert spike src anomaly bytes 4sigma per 1m warmup 10m\n");
	for (m = 0; m < 30; m++) {
		struct flow_key k = flow(1, 443), n = flow(2, 443);
		uint64_t t = T0 + (uint64_t)m * 60 * SEC + 30 * SEC;
		uint64_t bytes = m == 25 ? 100000 : 10000 + (m % 3) * 300;

		alert_flow(b.a, &k, 10, bytes, 0x10, t, t, true);
		if (m == 28)
			alert_flow(b.a, &n, 1000, 10000000, 0x10, t, t, true);
		flush_at(&b, T0 + (uint64_t)(m + 1) * 60 * SEC);
	}
	alerts_text(&b, got, sizeof(got));
	assert_string_equal(got, "spike 10.0.0.1 100000 0 1560");
	close_bench(&b);
}

/* Reads rules into p, as a reload reads the file again. */
static void read_rules(struct bench *b, const char *rules, struct policy *p)
{
	char path[96];
	FILE *f;

	snprintf(path, sizeof(path), "%s/policy.next", b->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(rules, f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(policy_parse_file(path, p, stderr), 0);
}

/* A reload keeps the state of a rule whose text is unchanged (here its
 * suppression), starts a changed one afresh, and a refused reload (the
 * kernel's) keeps the old rules. */
static void test_reload(void **state)
{
	struct policy same = { 0 }, changed = { 0 };
	struct bench b;
	char got[512], why[128];
	int i;

	(void)state;
	open_bench(&b, "alert flood src syn > 5/s suppress 1m\n");
	for (i = 0; i < 10; i++)
		syn(&b, 1, T0 + i * 1000);
	flush_at(&b, T0 + SEC);
	read_rules(&b, "alert other src syn > 100/s\nalert flood src syn > 5/s suppress 1m\n",
		   &same);
	assert_int_equal(alert_reload(b.a, &same, false, why, sizeof(why)), 0);
	assert_int_equal(alert_reload(b.a, NULL, true, NULL, 0), 0);
	for (i = 0; i < 10; i++)
		syn(&b, 1, T0 + 10 * SEC + i * 1000);
	flush_at(&b, T0 + 11 * SEC);
	read_rules(&b, "alert flood src syn > 6/s suppress 1m\n", &changed);
	assert_int_equal(alert_reload(b.a, &changed, false, why, sizeof(why)), 0);
	assert_int_equal(alert_reload(b.a, NULL, false, NULL, 0), 0);
	for (i = 0; i < 10; i++)
		syn(&b, 1, T0 + 20 * SEC + i * 1000);
	flush_at(&b, T0 + 21 * SEC);
	assert_int_equal(alert_reload(b.a, &changed, false, why, sizeof(why)), 0);
	assert_int_equal(alert_reload(b.a, NULL, true, NULL, 0), 0);
	for (i = 0; i < 10; i++)
		syn(&b, 1, T0 + 30 * SEC + i * 1000);
	flush_at(&b, T0 + 31 * SEC);
	alerts_text(&b, got, sizeof(got));
	/* 11 and 21 suppressed by the kept state; 31 the changed rule's first. */
	assert_string_equal(got, "flood 10.0.0.1 10 0 1|flood 10.0.0.1 10 0 31");
	policy_free(&same);
	policy_free(&changed);
	close_bench(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threshold),   cmocka_unit_test(test_between_flushes),
		cmocka_unit_test(test_out_of_order), cmocka_unit_test(test_distinct),
		cmocka_unit_test(test_suppression), cmocka_unit_test(test_anomaly),
		cmocka_unit_test(test_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
