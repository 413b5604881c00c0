// SPDX-License-Identifier: BSD-2-Clause
/* Flow table: merging, each end reason at its exact boundary, emit failure, scale. */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "flowtable.h"

#define SEC 1000000ULL
#define T0 (1700000000ULL * SEC)
#define IDLE (30 * SEC)
#define ACTIVE (60 * SEC)
#define LINGER (5 * SEC)
#define MANY 200000

static const struct flowtable_opts opts = {
	.idle_timeout_us = IDLE,
	.active_timeout_us = ACTIVE,
	.linger_us = LINGER,
};

/* Collects ended records; call number fail_at (counting from 1) fails. */
struct sink {
	struct flow_record recs[64];
	struct flow_record failed;
	int n;
	int calls;
	int fail_at;
};

/* Checks every record of a scale test as it ends, without storing it. */
struct tally {
	uint8_t *seen; /* by key id */
	int n;
	uint64_t packets; /* expected per record */
	uint64_t last_us; /* expected last_seen_us, plus the id when last_per_id */
	bool last_per_id;
	enum flow_end_reason reason;
	uint32_t lo, hi; /* every record has lo <= id % 10 <= hi */
};

/* Returns a zeroed TCP/IPv4 key whose source address encodes id (< 2^24). */
static struct flow_key make_key(uint32_t id)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.src_addr[0] = 10;
	k.src_addr[1] = id >> 16;
	k.src_addr[2] = id >> 8;
	k.src_addr[3] = id;
	k.dst_addr[0] = 192;
	k.dst_addr[1] = 168;
	k.dst_addr[3] = 1;
	k.ifindex = 2;
	k.src_port = 40000;
	k.dst_port = 443;
	k.proto = 6;
	k.ip_version = 4;
	k.direction = FLOW_DIR_IN;
	return k;
}

/* Returns the id make_key() encoded. */
static uint32_t key_id(const struct flow_key *k)
{
	return (uint32_t)k->src_addr[1] << 16 | (uint32_t)k->src_addr[2] << 8 | k->src_addr[3];
}

/* Bytes the scale tests add for id per add. */
static uint64_t id_bytes(uint32_t id)
{
	return 40 + id % 1461;
}

/* Stores r, or fails with -EIO on call fail_at. Returns 0 or -EIO. */
static int sink_emit(const struct flow_record *r, void *arg)
{
	struct sink *s = arg;

	if (++s->calls == s->fail_at) {
		s->failed = *r;
		return -EIO;
	}
	assert_true(s->n < (int)(sizeof(s->recs) / sizeof(s->recs[0])));
	s->recs[s->n++] = *r;
	return 0;
}

/* Returns the only record collected for key; fails the test unless there is
 * exactly one. */
static const struct flow_record *sink_find(const struct sink *s, const struct flow_key *key)
{
	const struct flow_record *found = NULL;
	int i;

	for (i = 0; i < s->n; i++) {
		if (memcmp(&s->recs[i].key, key, sizeof(*key)))
			continue;
		assert_null(found);
		found = &s->recs[i];
	}
	assert_non_null(found);
	return found;
}

/* Checks r against what the scale tests added for its id. Returns 0. */
static int tally_emit(const struct flow_record *r, void *arg)
{
	struct tally *t = arg;
	uint32_t id = key_id(&r->key);
	struct flow_key want = make_key(id);

	assert_true(id < MANY);
	assert_memory_equal(&r->key, &want, sizeof(want));
	assert_int_equal(t->seen[id], 0);
	t->seen[id] = 1;
	assert_in_range(id % 10, t->lo, t->hi);
	assert_int_equal(r->packets, t->packets);
	assert_int_equal(r->bytes, t->packets * id_bytes(id));
	assert_int_equal(r->first_seen_us, T0 + id);
	assert_int_equal(r->last_seen_us, t->last_us + (t->last_per_id ? id : 0));
	assert_int_equal(r->end_reason, t->reason);
	t->n++;
	return 0;
}

/* What an ended record held from inspection, copied while it is valid. */
struct app_seen {
	int n;
	uint64_t packets[8], first[8];
	uint8_t proto[8];
	int8_t encrypted[8];
	char info[8][32];
	char fingerprint[8][48];
	uint32_t requests[8];
	enum flow_end_reason reason[8];
};

static int app_emit(const struct flow_record *r, void *arg)
{
	struct app_seen *a = arg;

	assert_true(a->n < 8);
	a->packets[a->n] = r->packets;
	a->first[a->n] = r->first_seen_us;
	a->proto[a->n] = r->app_proto;
	a->encrypted[a->n] = r->encrypted;
	snprintf(a->info[a->n], sizeof(a->info[0]), "%s", r->app_info ? r->app_info : "(null)");
	snprintf(a->fingerprint[a->n], sizeof(a->fingerprint[0]), "%s",
		 r->fingerprint ? r->fingerprint : "(null)");
	a->requests[a->n] = r->requests;
	a->reason[a->n++] = r->end_reason;
	return 0;
}

static int setup(void **state)
{
	struct flowtable *ft;

	if (flowtable_new(&ft, &opts))
		return -1;
	*state = ft;
	return 0;
}

static int teardown(void **state)
{
	flowtable_free(*state);
	return 0;
}

/* flowtable_add() for the tests of what records hold: 0 whether or not
 * the record is new (the tests before test_inspect_active_carries check
 * that return). */
static int add_traffic(struct flowtable *ft, const struct flow_key *key, uint64_t packets,
		       uint64_t bytes, uint32_t tcp_flags, uint64_t first_us, uint64_t last_us)
{
	int ret = flowtable_add(ft, key, packets, bytes, tcp_flags, first_us, last_us);

	return ret < 0 ? ret : 0;
}

static void test_reason_names(void **state)
{
	assert_string_equal(flow_end_reason_name(FLOW_END_IDLE), "idle");
	assert_string_equal(flow_end_reason_name(FLOW_END_ACTIVE), "active");
	assert_string_equal(flow_end_reason_name(FLOW_END_FIN), "fin");
	assert_string_equal(flow_end_reason_name(FLOW_END_RST), "rst");
	assert_string_equal(flow_end_reason_name(FLOW_END_SHUTDOWN), "shutdown");
	assert_string_equal(flow_end_reason_name(0), "unknown");
	assert_string_equal(flow_end_reason_name(FLOW_END_SHUTDOWN + 1), "unknown");
}

static void test_empty(void **state)
{
	struct flowtable *ft = *state;
	struct sink s = { 0 };

	assert_int_equal(flowtable_count(ft), 0);
	assert_int_equal(flowtable_expire(ft, T0, sink_emit, &s), 0);
	assert_int_equal(flowtable_end_all(ft, sink_emit, &s), 0);
	assert_int_equal(s.calls, 0);
	flowtable_free(NULL);
}

/* Sums and flag OR over adds that arrive out of time order; a key that
 * differs in one byte only is another flow. */
static void test_merge(void **state)
{
	struct flowtable *ft = *state;
	struct flow_key a = make_key(1), b = make_key(1);
	const struct flow_record *r;
	struct sink s = { 0 };

	b.direction = FLOW_DIR_OUT;
	assert_int_equal(flowtable_add(ft, &a, 3, 300, FLOW_TCP_SYN, T0 + 10, T0 + 20), 1);
	assert_int_equal(flowtable_add(ft, &a, 5, 700, FLOW_TCP_ACK, T0 + 5, T0 + 15), 0);
	assert_int_equal(flowtable_drop(ft, &a, 5, 700), 0);
	assert_int_equal(flowtable_add(ft, &b, 1, 60, 0, T0, T0), 1);
	assert_int_equal(
		flowtable_add(ft, &a, 2, 80, FLOW_TCP_PSH | FLOW_TCP_ACK, T0 + 12, T0 + 40), 0);
	assert_int_equal(flowtable_drop(ft, &a, 1, 40), 0);
	assert_int_equal(flowtable_count(ft), 2);

	assert_int_equal(flowtable_end_all(ft, sink_emit, &s), 2);
	assert_int_equal(flowtable_count(ft), 0);
	r = sink_find(&s, &a);
	assert_int_equal(r->packets, 10);
	assert_int_equal(r->bytes, 1080);
	assert_int_equal(r->dropped_packets, 6);
	assert_int_equal(r->dropped_bytes, 740);
	assert_int_equal(r->tcp_flags, FLOW_TCP_SYN | FLOW_TCP_ACK | FLOW_TCP_PSH);
	assert_int_equal(r->first_seen_us, T0 + 5);
	assert_int_equal(r->last_seen_us, T0 + 40);
	assert_int_equal(r->end_reason, FLOW_END_SHUTDOWN);
	r = sink_find(&s, &b);
	assert_int_equal(r->packets, 1);
	assert_int_equal(r->bytes, 60);
	assert_int_equal(r->dropped_packets, 0);
	/* Drops belong to a record: none to add them to is an error. */
	assert_int_equal(flowtable_drop(ft, &b, 1, 60), -ENOENT);
	assert_int_equal(r->tcp_flags, 0);
	assert_int_equal(r->first_seen_us, T0);
	assert_int_equal(r->last_seen_us, T0);
}

static void test_idle_exact(void **state)
{
	struct flowtable *ft = *state;
	struct flow_key k = make_key(2);
	struct sink s = { 0 };

	assert_int_equal(flowtable_add(ft, &k, 1, 100, 0, T0, T0 + SEC), 1);
	assert_int_equal(flowtable_expire(ft, T0 + SEC + IDLE - 1, sink_emit, &s), 0);
	assert_int_equal(flowtable_count(ft), 1);
	assert_int_equal(s.calls, 0);

	assert_int_equal(flowtable_expire(ft, T0 + SEC + IDLE, sink_emit, &s), 1);
	assert_int_equal(flowtable_count(ft), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.recs[0].end_reason, FLOW_END_IDLE);
	assert_int_equal(s.recs[0].packets, 1);
	assert_int_equal(s.recs[0].bytes, 100);
	assert_int_equal(s.recs[0].first_seen_us, T0);
	assert_int_equal(s.recs[0].last_seen_us, T0 + SEC);
}

/* Ten minutes of drains every 2 s: a record ends each time its first packet
 * is ACTIVE old, i.e. after 31 drains, and the records add up to the adds. */
static void test_active_split(void **state)
{
	struct flowtable *ft = *state;
	struct flow_key k = make_key(3);
	uint64_t packets = 0, bytes = 0;
	struct sink s = { 0 };
	int ended = 0, j;
	uint64_t i;

	for (i = 1; i <= 300; i++) {
		uint64_t t = T0 + 2 * SEC * i;
		int ret;

		assert_in_range(flowtable_add(ft, &k, i, 100 * i, FLOW_TCP_ACK, t, t), 0, 1);
		ret = flowtable_expire(ft, t, sink_emit, &s);
		assert_true(ret >= 0);
		ended += ret;
	}
	assert_int_equal(ended, 9);
	assert_int_equal(flowtable_end_all(ft, sink_emit, &s), 1);
	assert_int_equal(s.n, 10);

	for (j = 0; j < s.n; j++) {
		const struct flow_record *r = &s.recs[j];
		uint64_t from = 31 * j + 1, to = j < 9 ? from + 30 : 300;

		assert_memory_equal(&r->key, &k, sizeof(k));
		assert_int_equal(r->end_reason, j < 9 ? FLOW_END_ACTIVE : FLOW_END_SHUTDOWN);
		assert_int_equal(r->first_seen_us, T0 + 2 * SEC * from);
		assert_int_equal(r->last_seen_us, T0 + 2 * SEC * to);
		assert_int_equal(r->packets, (from + to) * (to - from + 1) / 2);
		assert_int_equal(r->bytes, 100 * r->packets);
		assert_int_equal(r->tcp_flags, FLOW_TCP_ACK);
		packets += r->packets;
		bytes += r->bytes;
	}
	assert_int_equal(packets, 300 * 301 / 2);
	assert_int_equal(bytes, 100 * 300 * 301 / 2);
}

/* A FIN ends the flow after LINGER, long before IDLE. */
/* A finding that comes before the flow's traffic waits for it; the first
 * finding stays; a record without one has NULL info and unknown
 * encryption. */
static void test_inspect_before_traffic(void **state)
{
	struct flowtable *ft = *state;
	struct flow_key a = make_key(1), b = make_key(2);
	struct app_seen seen = { 0 };

	assert_int_equal(flowtable_inspect(ft, &a, T0 + 5 * SEC, 1, 1, "example.test", NULL), 1);
	assert_int_equal(flowtable_inspect(ft, &a, T0 + 6 * SEC, 2, 0, "other", NULL), 0);
	/* Its traffic starts here: the record only held the finding. */
	assert_int_equal(flowtable_add(ft, &a, 3, 300, FLOW_TCP_ACK, T0 + 4 * SEC, T0 + 7 * SEC),
			 1);
	assert_int_equal(flowtable_add(ft, &b, 1, 60, FLOW_TCP_ACK, T0, T0), 1);
	assert_int_equal(flowtable_end_all(ft, app_emit, &seen), 2);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.packets[0] + seen.packets[1], 4);
	assert_int_equal(seen.proto[seen.packets[0] == 3 ? 0 : 1], 1);
	assert_int_equal(seen.encrypted[seen.packets[0] == 3 ? 0 : 1], 1);
	assert_string_equal(seen.info[seen.packets[0] == 3 ? 0 : 1], "example.test");
	assert_int_equal(seen.first[seen.packets[0] == 3 ? 0 : 1], T0 + 4 * SEC);
	assert_int_equal(seen.proto[seen.packets[0] == 3 ? 1 : 0], 0);
	assert_int_equal(seen.encrypted[seen.packets[0] == 3 ? 1 : 0], -1);
	assert_string_equal(seen.info[seen.packets[0] == 3 ? 1 : 0], "(null)");
}

/* A finding whose traffic never comes is dropped after the idle timeout
 * and at shutdown, never written. */
static void test_inspect_without_traffic(void **state)
{
	struct flowtable *ft = *state;
	struct flow_key a = make_key(1);
	struct app_seen seen = { 0 };

	assert_int_equal(flowtable_inspect(ft, &a, T0, 3, 0, "example.com", NULL), 1);
	assert_int_equal(flowtable_expire(ft, T0 + IDLE - 1, app_emit, &seen), 0);
	assert_int_equal(flowtable_count(ft), 1);
	assert_int_equal(flowtable_expire(ft, T0 + IDLE, app_emit, &seen), 0);
	assert_int_equal(flowtable_count(ft), 0);
	assert_int_equal(flowtable_inspect(ft, &a, T0, 3, 0, "example.com", NULL), 1);
	assert_int_equal(flowtable_end_all(ft, app_emit, &seen), 0);
	assert_int_equal(seen.n, 0);
}

/* A long flow's records all carry the finding of its first packets. */
static void test_inspect_active_carries(void **state)
{
	struct flowtable *ft = *state;
	struct flow_key a = make_key(1);
	struct app_seen seen = { 0 };

	assert_int_equal(flowtable_inspect(ft, &a, T0, 4, 1, "SSH-2.0-OpenSSH_9.2", NULL), 1);
	assert_int_equal(add_traffic(ft, &a, 1, 100, FLOW_TCP_ACK, T0, T0), 0);
	assert_int_equal(add_traffic(ft, &a, 1, 100, FLOW_TCP_ACK, T0 + ACTIVE, T0 + ACTIVE), 0);
	assert_int_equal(flowtable_expire(ft, T0 + ACTIVE, app_emit, &seen), 1);
	assert_int_equal(add_traffic(ft, &a, 5, 500, FLOW_TCP_ACK, T0 + ACTIVE + SEC,
				       T0 + ACTIVE + 2 * SEC),
			 0);
	assert_int_equal(flowtable_end_all(ft, app_emit, &seen), 1);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.reason[0], FLOW_END_ACTIVE);
	assert_int_equal(seen.packets[0], 2);
	assert_int_equal(seen.packets[1], 5);
	assert_int_equal(seen.first[1], T0 + ACTIVE + SEC);
	assert_string_equal(seen.info[1], "SSH-2.0-OpenSSH_9.2");
	assert_int_equal(seen.proto[1], 4);
}

#define JA4_A "t13d1516h2_8daaf6152771_b186095e22b6"
#define JA4_B "q13d0312h3_55b375c5d22e_06cda9e17597"

/* The first fingerprint stays, whichever call brings it: one after the
 * finding (a hello whole only later) is taken, "" and NULL are none, and
 * a second one is ignored. Records without one have NULL. */
static void test_inspect_fingerprint(void **state)
{
	struct flowtable *ft = *state;
	struct flow_key a = make_key(1), b = make_key(2), c = make_key(3);
	struct app_seen seen = { 0 };
	int i;

	assert_int_equal(flowtable_inspect(ft, &a, T0, 1, 1, "example.test", ""), 1);
	assert_int_equal(flowtable_inspect(ft, &a, T0, 1, 1, "example.test", NULL), 0);
	assert_int_equal(flowtable_inspect(ft, &a, T0, 1, 1, "late.test", JA4_A), 0);
	assert_int_equal(flowtable_inspect(ft, &a, T0, 1, 1, "later.test", JA4_B), 0);
	assert_int_equal(flowtable_inspect(ft, &b, T0, 5, 1, "quic.test", JA4_B), 1);
	assert_int_equal(flowtable_inspect(ft, &b, T0, 5, 1, "quic.test", JA4_A), 0);
	assert_int_equal(flowtable_inspect(ft, &c, T0, 2, 0, "GET example.test/", NULL), 1);
	for (i = 1; i <= 3; i++) {
		struct flow_key k = make_key(i);

		assert_int_equal(add_traffic(ft, &k, i, 100 * i, FLOW_TCP_ACK, T0, T0), 0);
	}
	assert_int_equal(flowtable_end_all(ft, app_emit, &seen), 3);
	for (i = 0; i < 3; i++) {
		static const char *const info[] = { "example.test", "quic.test",
						    "GET example.test/" };
		static const char *const fp[] = { JA4_A, JA4_B, "(null)" };
		int at = (int)seen.packets[i] - 1;

		assert_string_equal(seen.info[i], info[at]);
		assert_string_equal(seen.fingerprint[i], fp[at]);
		assert_int_equal(seen.requests[i], 0);
	}
}

/* Requests add up in the open record; counted before the flow's traffic
 * they wait for it; a record ended by the active timeout carries its own,
 * the next starts at 0 with the finding and fingerprint kept; the count
 * saturates; a waiting record that gets no traffic is never written. */
static void test_requests(void **state)
{
	struct flowtable *ft = *state;
	struct flow_key a = make_key(1), b = make_key(2);
	struct app_seen seen = { 0 };

	assert_int_equal(flowtable_requests(ft, &a, T0, 2), 0);
	assert_int_equal(flowtable_count(ft), 1);
	assert_int_equal(flowtable_inspect(ft, &a, T0, 2, 0, "GET example.test/a", JA4_A), 1);
	assert_int_equal(flowtable_add(ft, &a, 4, 400, FLOW_TCP_ACK, T0 + SEC, T0 + 2 * SEC), 1);
	assert_int_equal(flowtable_requests(ft, &a, T0 + 2 * SEC, 3), 0);
	assert_int_equal(add_traffic(ft, &a, 1, 100, FLOW_TCP_ACK, T0 + ACTIVE + SEC,
				       T0 + ACTIVE + SEC),
			 0);
	assert_int_equal(flowtable_expire(ft, T0 + ACTIVE + SEC, app_emit, &seen), 1);
	/* Between the records: counted in the next one, waiting for traffic. */
	assert_int_equal(flowtable_requests(ft, &a, T0 + ACTIVE + 2 * SEC, 1), 0);
	assert_int_equal(add_traffic(ft, &a, 2, 200, FLOW_TCP_ACK, T0 + ACTIVE + 3 * SEC,
				       T0 + ACTIVE + 3 * SEC),
			 0);
	assert_int_equal(flowtable_requests(ft, &a, T0 + ACTIVE + 3 * SEC, UINT32_MAX - 1), 0);
	assert_int_equal(flowtable_requests(ft, &a, T0 + ACTIVE + 3 * SEC, 7), 0);
	/* b's requests never get traffic: dropped after the idle timeout. */
	assert_int_equal(flowtable_requests(ft, &b, T0 + ACTIVE, 9), 0);
	assert_int_equal(flowtable_expire(ft, T0 + ACTIVE + 3 * SEC + IDLE, app_emit, &seen), 1);
	assert_int_equal(flowtable_count(ft), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.reason[0], FLOW_END_ACTIVE);
	assert_int_equal(seen.packets[0], 5);
	assert_int_equal(seen.first[0], T0 + SEC);
	assert_int_equal(seen.requests[0], 5);
	assert_string_equal(seen.fingerprint[0], JA4_A);
	assert_int_equal(seen.reason[1], FLOW_END_IDLE);
	assert_int_equal(seen.packets[1], 2);
	assert_int_equal(seen.first[1], T0 + ACTIVE + 3 * SEC);
	assert_int_equal(seen.requests[1], UINT32_MAX);
	assert_string_equal(seen.info[1], "GET example.test/a");
	assert_string_equal(seen.fingerprint[1], JA4_A);
}

static void test_fin_linger(void **state)
{
	struct flowtable *ft = *state;
	struct flow_key k = make_key(4);
	uint64_t fin = T0 + 2 * SEC;
	struct sink s = { 0 };

	assert_int_equal(add_traffic(ft, &k, 4, 400, FLOW_TCP_SYN | FLOW_TCP_ACK, T0, T0 + SEC),
			 0);
	assert_int_equal(add_traffic(ft, &k, 1, 40, FLOW_TCP_FIN | FLOW_TCP_ACK, fin, fin), 0);
	assert_int_equal(flowtable_expire(ft, fin + LINGER - 1, sink_emit, &s), 0);
	assert_int_equal(flowtable_count(ft), 1);

	assert_int_equal(flowtable_expire(ft, fin + LINGER, sink_emit, &s), 1);
	assert_int_equal(flowtable_count(ft), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.recs[0].end_reason, FLOW_END_FIN);
	assert_int_equal(s.recs[0].packets, 5);
	assert_int_equal(s.recs[0].bytes, 440);
	assert_int_equal(s.recs[0].tcp_flags, FLOW_TCP_SYN | FLOW_TCP_ACK | FLOW_TCP_FIN);
}

/* Linger counts from the last packet, not from the FIN. */
static void test_linger_from_last_packet(void **state)
{
	struct flowtable *ft = *state;
	struct flow_key k = make_key(5);
	struct sink s = { 0 };

	assert_int_equal(add_traffic(ft, &k, 1, 40, FLOW_TCP_FIN | FLOW_TCP_ACK, T0, T0), 0);
	assert_int_equal(add_traffic(ft, &k, 1, 40, FLOW_TCP_ACK, T0 + 3 * SEC, T0 + 3 * SEC), 0);
	assert_int_equal(flowtable_expire(ft, T0 + LINGER, sink_emit, &s), 0);
	assert_int_equal(flowtable_expire(ft, T0 + 3 * SEC + LINGER - 1, sink_emit, &s), 0);
	assert_int_equal(flowtable_count(ft), 1);
	assert_int_equal(flowtable_expire(ft, T0 + 3 * SEC + LINGER, sink_emit, &s), 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.recs[0].end_reason, FLOW_END_FIN);
	assert_int_equal(s.recs[0].packets, 2);
}

static void test_rst_linger(void **state)
{
	struct flowtable *ft = *state;
	struct flow_key k = make_key(6);
	struct sink s = { 0 };

	assert_int_equal(add_traffic(ft, &k, 2, 80, FLOW_TCP_RST | FLOW_TCP_ACK, T0, T0 + SEC),
			 0);
	assert_int_equal(flowtable_expire(ft, T0 + SEC + LINGER - 1, sink_emit, &s), 0);
	assert_int_equal(flowtable_count(ft), 1);
	assert_int_equal(flowtable_expire(ft, T0 + SEC + LINGER, sink_emit, &s), 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.recs[0].end_reason, FLOW_END_RST);
	assert_int_equal(s.recs[0].bytes, 80);
}

/* A FIN and a later RST in other drains: the RST names the end. */
static void test_rst_over_fin(void **state)
{
	struct flowtable *ft = *state;
	struct flow_key k = make_key(7);
	struct sink s = { 0 };

	assert_int_equal(add_traffic(ft, &k, 1, 40, FLOW_TCP_FIN | FLOW_TCP_ACK, T0, T0), 0);
	assert_int_equal(add_traffic(ft, &k, 1, 40, FLOW_TCP_RST, T0 + SEC, T0 + SEC), 0);
	assert_int_equal(flowtable_expire(ft, T0 + SEC + LINGER, sink_emit, &s), 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.recs[0].end_reason, FLOW_END_RST);
	assert_int_equal(s.recs[0].tcp_flags, FLOW_TCP_FIN | FLOW_TCP_RST | FLOW_TCP_ACK);
}

/* Records due for several reasons at once end for the first in precedence. */
static void test_precedence(void **state)
{
	struct flowtable *ft = *state;
	uint64_t now = T0 + 1000 * SEC, old = now - 100 * SEC, quiet = now - 40 * SEC;
	struct flow_key fin = make_key(10), rst = make_key(11), idle = make_key(12);
	struct flow_key active = make_key(13), fin_active = make_key(14), open = make_key(15);
	struct sink s = { 0 };

	/* FIN, idle and active all due. */
	assert_int_equal(add_traffic(ft, &fin, 1, 40, FLOW_TCP_FIN, old, quiet), 0);
	assert_int_equal(add_traffic(ft, &rst, 1, 40, FLOW_TCP_FIN | FLOW_TCP_RST, old, quiet),
			 0);
	/* Idle and active due. */
	assert_int_equal(add_traffic(ft, &idle, 1, 40, FLOW_TCP_ACK, old, quiet), 0);
	/* Active due; a FIN within linger does not hold it open. */
	assert_int_equal(add_traffic(ft, &active, 1, 40, 0, old, now - SEC), 0);
	assert_int_equal(add_traffic(ft, &fin_active, 1, 40, FLOW_TCP_FIN, old, now - SEC), 0);
	/* Nothing due. */
	assert_int_equal(add_traffic(ft, &open, 1, 40, FLOW_TCP_ACK, now - 10 * SEC, now - SEC),
			 0);

	assert_int_equal(flowtable_expire(ft, now, sink_emit, &s), 5);
	assert_int_equal(flowtable_count(ft), 1);
	assert_int_equal(sink_find(&s, &fin)->end_reason, FLOW_END_FIN);
	assert_int_equal(sink_find(&s, &rst)->end_reason, FLOW_END_RST);
	assert_int_equal(sink_find(&s, &idle)->end_reason, FLOW_END_IDLE);
	assert_int_equal(sink_find(&s, &active)->end_reason, FLOW_END_ACTIVE);
	assert_int_equal(sink_find(&s, &fin_active)->end_reason, FLOW_END_ACTIVE);

	assert_int_equal(flowtable_end_all(ft, sink_emit, &s), 1);
	assert_int_equal(sink_find(&s, &open)->end_reason, FLOW_END_SHUTDOWN);
}

/* Traffic after a record ended opens a new record with that traffic only. */
static void test_new_record_after_end(void **state)
{
	struct flowtable *ft = *state;
	struct flow_key k = make_key(8);
	struct sink s = { 0 };

	assert_int_equal(add_traffic(ft, &k, 7, 700, FLOW_TCP_SYN, T0, T0), 0);
	assert_int_equal(flowtable_expire(ft, T0 + IDLE, sink_emit, &s), 1);
	assert_int_equal(flowtable_count(ft), 0);

	assert_int_equal(add_traffic(ft, &k, 2, 200, FLOW_TCP_ACK, T0 + 40 * SEC, T0 + 41 * SEC),
			 0);
	assert_int_equal(flowtable_count(ft), 1);
	assert_int_equal(flowtable_end_all(ft, sink_emit, &s), 1);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.recs[0].packets, 7);
	assert_int_equal(s.recs[1].packets, 2);
	assert_int_equal(s.recs[1].bytes, 200);
	assert_int_equal(s.recs[1].tcp_flags, FLOW_TCP_ACK);
	assert_int_equal(s.recs[1].first_seen_us, T0 + 40 * SEC);
	assert_int_equal(s.recs[1].last_seen_us, T0 + 41 * SEC);
	assert_int_equal(s.recs[1].end_reason, FLOW_END_SHUTDOWN);
}

/* Adds ten idle flows, packets id + 1, and ends them with end(), failing the
 * fourth emit: three go, seven stay, and a retry hands over exactly those. */
static void check_emit_failure(struct flowtable *ft, bool shutdown)
{
	struct sink s = { .fail_at = 4 };
	const struct flow_record *r;
	struct flow_key k;
	uint32_t id;
	int ret;

	for (id = 0; id < 10; id++) {
		k = make_key(id);
		assert_int_equal(add_traffic(ft, &k, id + 1, 10 * (id + 1), 0, T0 - id, T0), 0);
	}
	ret = shutdown ? flowtable_end_all(ft, sink_emit, &s) :
			 flowtable_expire(ft, T0 + IDLE, sink_emit, &s);
	assert_int_equal(ret, -EIO);
	assert_int_equal(s.calls, 4);
	assert_int_equal(s.n, 3);
	assert_int_equal(flowtable_count(ft), 7);

	s.fail_at = 0;
	ret = shutdown ? flowtable_end_all(ft, sink_emit, &s) :
			 flowtable_expire(ft, T0 + IDLE, sink_emit, &s);
	assert_int_equal(ret, 7);
	assert_int_equal(s.n, 10);
	assert_int_equal(flowtable_count(ft), 0);
	for (id = 0; id < 10; id++) {
		k = make_key(id);
		r = sink_find(&s, &k);
		assert_int_equal(r->packets, id + 1);
		assert_int_equal(r->bytes, 10 * (id + 1));
		assert_int_equal(r->first_seen_us, T0 - id);
		assert_int_equal(r->last_seen_us, T0);
		assert_int_equal(r->end_reason, shutdown ? FLOW_END_SHUTDOWN : FLOW_END_IDLE);
	}
	/* The record whose emit failed comes again, as it was. */
	r = sink_find(&s, &s.failed.key);
	assert_memory_equal(r, &s.failed, sizeof(*r));
}

static void test_expire_emit_failure(void **state)
{
	check_emit_failure(*state, false);
}

static void test_end_all_emit_failure(void **state)
{
	check_emit_failure(*state, true);
}

/* Every open record ends at shutdown, whether due or not. */
static void test_end_all(void **state)
{
	struct flowtable *ft = *state;
	struct flow_key fresh = make_key(20), fin = make_key(21), idle = make_key(22);
	struct sink s = { 0 };

	assert_int_equal(add_traffic(ft, &fresh, 1, 40, FLOW_TCP_SYN, T0, T0), 0);
	assert_int_equal(add_traffic(ft, &fin, 2, 80, FLOW_TCP_FIN, T0, T0), 0);
	assert_int_equal(add_traffic(ft, &idle, 3, 120, 0, T0 - IDLE, T0 - IDLE), 0);
	assert_int_equal(flowtable_end_all(ft, sink_emit, &s), 3);
	assert_int_equal(flowtable_count(ft), 0);
	assert_int_equal(sink_find(&s, &fresh)->end_reason, FLOW_END_SHUTDOWN);
	assert_int_equal(sink_find(&s, &fin)->end_reason, FLOW_END_SHUTDOWN);
	assert_int_equal(sink_find(&s, &idle)->end_reason, FLOW_END_SHUTDOWN);
	assert_int_equal(sink_find(&s, &idle)->packets, 3);
	assert_int_equal(flowtable_end_all(ft, sink_emit, &s), 0);
	assert_int_equal(s.calls, 3);
}

/* The kernel's clock ahead of ours: nothing is due, however old the flow
 * looks otherwise, until now catches up with its last packet. */
static void test_clock_behind(void **state)
{
	struct flowtable *ft = *state;
	struct flow_key k = make_key(9);
	struct sink s = { 0 };

	assert_int_equal(add_traffic(ft, &k, 1, 40, FLOW_TCP_FIN, T0 - 200 * SEC, T0 + 10 * SEC),
			 0);
	assert_int_equal(flowtable_expire(ft, T0, sink_emit, &s), 0);
	assert_int_equal(flowtable_expire(ft, T0 + 10 * SEC - 1, sink_emit, &s), 0);
	assert_int_equal(flowtable_count(ft), 1);
	assert_int_equal(s.calls, 0);
	assert_int_equal(flowtable_expire(ft, T0 + 10 * SEC + LINGER, sink_emit, &s), 1);
	assert_int_equal(s.recs[0].end_reason, FLOW_END_FIN);
}

/* MANY keys, added twice each: the table grows, finds every key again, and
 * ends each exactly once with its sums. */
static void test_many_keys(void **state)
{
	struct flowtable *ft = *state;
	struct tally t = { .packets = 2,
			   .last_us = T0 + 1,
			   .last_per_id = true,
			   .reason = FLOW_END_SHUTDOWN,
			   .lo = 0,
			   .hi = 9 };
	uint32_t id, pass;

	t.seen = calloc(MANY, 1);
	assert_non_null(t.seen);
	for (pass = 0; pass < 2; pass++) {
		for (id = 0; id < MANY; id++) {
			struct flow_key k = make_key(id);

			assert_int_equal(add_traffic(ft, &k, 1, id_bytes(id), 0, T0 + id,
						       T0 + id + pass),
					 0);
		}
		assert_int_equal(flowtable_count(ft), MANY);
	}
	assert_int_equal(flowtable_end_all(ft, tally_emit, &t), MANY);
	assert_int_equal(t.n, MANY);
	assert_int_equal(flowtable_count(ft), 0);
	free(t.seen);
}

/* Adds 1 packet to every key of MANY whose id % 10 is in [lo, hi], at times
 * that leave its record's first and last seen as they were. */
static void add_digits(struct flowtable *ft, uint32_t lo, uint32_t hi, uint64_t last_us)
{
	uint32_t id;

	for (id = 0; id < MANY; id++) {
		struct flow_key k = make_key(id);

		if (id % 10 < lo || id % 10 > hi)
			continue;
		assert_int_equal(add_traffic(ft, &k, 1, id_bytes(id), 0, T0 + id,
					       last_us ? last_us : T0 + id),
				 0);
	}
}

/* MANY flows go idle in three waves: half, then 4/5 of the rest, which
 * shrinks the index, then the last. Removals shift slots and move records;
 * after each wave every open flow is found again rather than opened anew. */
static void test_many_keys_waves(void **state)
{
	struct flowtable *ft = *state;
	uint64_t now1 = T0 + MANY + IDLE, now2 = T0 + MANY + 40 * SEC;
	uint64_t last2 = now2 - IDLE, last3 = T0 + MANY + 25 * SEC;
	struct tally t = { 0 };

	t.seen = calloc(MANY, 1);
	assert_non_null(t.seen);
	add_digits(ft, 0, 4, 0);
	add_digits(ft, 5, 8, last2);
	add_digits(ft, 9, 9, last3);
	assert_int_equal(flowtable_count(ft), MANY);
	assert_int_equal(flowtable_expire(ft, T0 + IDLE - 1, tally_emit, &t), 0);

	t = (struct tally){ .seen = t.seen,
			    .packets = 1,
			    .last_us = T0,
			    .last_per_id = true,
			    .reason = FLOW_END_IDLE,
			    .lo = 0,
			    .hi = 4 };
	assert_int_equal(flowtable_expire(ft, now1, tally_emit, &t), MANY / 2);
	assert_int_equal(flowtable_count(ft), MANY / 2);
	add_digits(ft, 5, 9, 0);
	assert_int_equal(flowtable_count(ft), MANY / 2);

	t = (struct tally){ .seen = t.seen,
			    .packets = 2,
			    .last_us = last2,
			    .reason = FLOW_END_IDLE,
			    .lo = 5,
			    .hi = 8 };
	assert_int_equal(flowtable_expire(ft, now2, tally_emit, &t), MANY * 4 / 10);
	assert_int_equal(flowtable_count(ft), MANY / 10);
	add_digits(ft, 9, 9, 0);
	assert_int_equal(flowtable_count(ft), MANY / 10);

	t = (struct tally){ .seen = t.seen,
			    .packets = 3,
			    .last_us = last3,
			    .reason = FLOW_END_SHUTDOWN,
			    .lo = 9,
			    .hi = 9 };
	assert_int_equal(flowtable_end_all(ft, tally_emit, &t), MANY / 10);
	assert_int_equal(t.n, MANY / 10);
	free(t.seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_active_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inspect_before_traffic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inspect_without_traffic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inspect_active_carries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inspect_fingerprint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fin_linger, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linger_from_last_packet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_linger, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_over_fin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_record_after_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expire_emit_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_all_emit_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_behind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_keys_waves, setup, teardown),
	};

	return cmocka_run_group_tests_name("flowtable", tests, NULL, NULL);
}
