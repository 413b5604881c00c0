// SPDX-License-Identifier: BSD-2-Clause
/* Offline import in batches (flowdb_xdp_batch) against one test run per
 * frame (flowdb_xdp), differentially: the same seeded random frames, good,
 * cut short and corrupted, at the same capture times, must leave the same
 * flows, kernel totals and ring-buffer events, byte for byte; and the rings
 * read by ringread a batch behind, as the import's pipeline reads them, give
 * what libbpf reads after each batch. Needs root. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/libbpf.h>
#include "pktbuild.h"
#include "pipeline.h"
#include "ringread.h"
#include "tracker.h"

#define FRAMES 6000
#define MAX_FLOWS 8192
#define MAX_EVENT_BYTES (8 << 20)
#define START_NS 1700000000000000000ULL

/* Everything one way of running left behind. */
struct outcome {
	struct flow_key key[MAX_FLOWS];
	struct flow_counters c[MAX_FLOWS];
	size_t n;
	struct flow_totals tot;
	uint8_t *events; /* every ring-buffer record, each after its length */
	size_t events_len;
};

struct frame {
	uint8_t data[TRACKER_FRAME_MAX];
	uint32_t len;
	uint64_t ts_ns;
};

static uint64_t rng_state;

/* xorshift64: the same frames on every run of a seed. */
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int collect_flow(const struct flow_key *key, const struct flow_counters *c, void *arg)
{
	struct outcome *o = arg;

	if (o->n == MAX_FLOWS)
		return -E2BIG;
	o->key[o->n] = *key;
	o->c[o->n++] = *c;
	return 0;
}

static int collect_event(void *arg, void *data, size_t len)
{
	struct outcome *o = arg;
	uint32_t n = (uint32_t)len;

	if (o->events_len + sizeof(n) + len > MAX_EVENT_BYTES)
		return -E2BIG;
	memcpy(o->events + o->events_len, &n, sizeof(n));
	memcpy(o->events + o->events_len + sizeof(n), data, len);
	o->events_len += sizeof(n) + len;
	return 0;
}

/* A random frame of few enough hosts and ports that flows repeat: every
 * protocol, tags, options, extension headers and payloads the parser
 * reads; one in eight cut at a random length, one in eight with random
 * bytes overwritten, one in forty not IP. */
static void random_frame(struct frame *f)
{
	static const uint8_t protos[] = { 6, 6, 17, 17, 1, 58, 132, 47 };
	struct pkt_spec s = { 0 };
	struct pkt_layout l;
	uint64_t r = rng();
	int i;

	s.ip_version = r & 1 ? 6 : 4;
	s.proto = protos[(r >> 1) & 7];
	if (s.ip_version == 4 && s.proto == 58)
		s.proto = 1;
	if (s.ip_version == 6 && s.proto == 1)
		s.proto = 58;
	s.src[0] = s.dst[0] = 10;
	s.src[3] = (uint8_t)(r >> 4 & 15);
	s.dst[3] = (uint8_t)(r >> 8 & 15);
	s.sport = (uint16_t)(1000 + (r >> 12 & 7));
	s.dport = (uint16_t)(80 + (r >> 15 & 3));
	s.tcp_flags = (uint8_t)(r >> 17);
	s.icmp_type = s.ip_version == 4 ? 8 : 128;
	s.vlans = (int)(r >> 25 & 3) % 3;
	for (i = 0; i < s.vlans; i++)
		s.vlan_id[i] = (uint16_t)(100 + i);
	s.ipv4_option_words = (uint8_t)(r >> 27 & 1);
	s.tcp_option_words = (uint8_t)(r >> 28 & 3);
	s.n_ext = s.ip_version == 6 ? (int)(r >> 30 & 1) : 0;
	s.ext[0] = 60;
	s.payload_len = (uint32_t)(rng() % 1600);
	s.pad = true;
	if ((r >> 31) % 40 == 0)
		s.ethertype = 0x0806;
	if (pkt_build(&s, f->data, sizeof(f->data), &l)) {
		s.payload_len = 0;
		assert_int_equal(pkt_build(&s, f->data, sizeof(f->data), &l), 0);
	}
	f->len = (uint32_t)l.len;
	r = rng();
	if ((r & 7) == 0)
		f->len = TRACKER_FRAME_MIN + (uint32_t)(r >> 3) % (f->len - TRACKER_FRAME_MIN + 1);
	else if ((r & 7) == 1)
		for (i = 0; i < 4; i++)
			f->data[(r >> (8 + 8 * i)) % f->len] = (uint8_t)(r >> 48);
}

/* Loads the programs for offline import, with inspection on. */
static struct tracker *open_offline(void)
{
	struct tracker_opts opts = { .map_entries = MAX_FLOWS,
				     .offline_clock = true,
				     .sequential = true,
				     .inspect_packets = 2,
				     .inspect_bytes = 256 };
	struct tracker *t = NULL;

	assert_int_equal(tracker_open(&t, &opts), 0);
	return t;
}

/* Drains t's flows (ordered by key) and events into *o. */
static void drain(struct tracker *t, struct ring_buffer *rb, struct outcome *o)
{
	struct flow_key k;
	struct flow_counters c;
	size_t i, j;

	assert_true(ring_buffer__consume(rb) >= 0);
	assert_int_equal(tracker_drain(t, collect_flow, o, &o->tot), 0);
	/* The drain's order is the hash table's: sort by key to compare. */
	for (i = 1; i < o->n; i++)
		for (j = i; j > 0 && memcmp(&o->key[j - 1], &o->key[j], sizeof(k)) > 0; j--) {
			k = o->key[j];
			o->key[j] = o->key[j - 1];
			o->key[j - 1] = k;
			c = o->c[j];
			o->c[j] = o->c[j - 1];
			o->c[j - 1] = c;
		}
}

/* Runs frames one test run each, as the live program sees them. */
static void run_single(const struct frame *frames, size_t n, struct outcome *o)
{
	struct tracker *t = open_offline();
	struct ring_buffer *rb = ring_buffer__new(tracker_events_fd(t), collect_event, o, NULL);
	size_t i;

	assert_non_null(rb);
	assert_int_equal(ring_buffer__add(rb, tracker_payloads_fd(t), collect_event, o), 0);
	for (i = 0; i < n; i++) {
		tracker_set_clock(t, frames[i].ts_ns);
		assert_int_equal(tracker_run_xdp(t, frames[i].data, frames[i].len), 0);
		if (i % 256 == 255)
			assert_true(ring_buffer__consume(rb) >= 0);
	}
	drain(t, rb, o);
	ring_buffer__free(rb);
	tracker_close(t);
}

/* Runs frames in batches, run whenever one is full (and every 256 frames,
 * as the import does to read events). */
static void run_batched(const struct frame *frames, size_t n, struct outcome *o, size_t *batches)
{
	struct tracker *t = open_offline();
	struct ring_buffer *rb = ring_buffer__new(tracker_events_fd(t), collect_event, o, NULL);
	size_t i;
	int err;

	assert_non_null(rb);
	assert_int_equal(ring_buffer__add(rb, tracker_payloads_fd(t), collect_event, o), 0);
	for (i = 0; i < n; i++) {
		err = tracker_batch_add(t, frames[i].data, frames[i].len, frames[i].len, 1, frames[i].ts_ns);
		if (err == -ENOSPC) {
			assert_int_equal(tracker_batch_run(t), 0);
			++*batches;
			err = tracker_batch_add(t, frames[i].data, frames[i].len, frames[i].len, 1, frames[i].ts_ns);
		}
		assert_int_equal(err, 0);
		if (i % 256 == 255) {
			assert_int_equal(tracker_batch_run(t), 0);
			++*batches;
			assert_true(ring_buffer__consume(rb) >= 0);
		}
	}
	assert_int_equal(tracker_batch_run(t), 0);
	++*batches;
	drain(t, rb, o);
	ring_buffer__free(rb);
	tracker_close(t);
}

/* The frames a batch starting at frame i takes: all it can hold, or when
 * small, 1 to 64 (the records of most such batches are read on the
 * pipeline's caller, of the others on its thread). */
static size_t batch_end(size_t i, bool small)
{
	return small ? i + 1 + i * 7919 % 64 : SIZE_MAX;
}

/* Runs frames in batches, each batch's records read with libbpf (lag 0)
 * once it ran, or with ringread up to where the producers were when it
 * ran, only once the next batch has run too (lag 1). */
static void run_read(const struct frame *frames, size_t n, struct outcome *o, int lag,
		     bool small)
{
	struct tracker *t = open_offline();
	struct ring_buffer *rb = ring_buffer__new(tracker_events_fd(t), collect_event, o, NULL);
	struct ringread *rings[2];
	uint64_t until[2] = { 0, 0 };
	size_t i = 0;
	int r, err;

	assert_non_null(rb);
	assert_int_equal(ring_buffer__add(rb, tracker_payloads_fd(t), collect_event, o), 0);
	assert_int_equal(ringread_open(&rings[0], tracker_events_fd(t)), 0);
	assert_int_equal(ringread_open(&rings[1], tracker_payloads_fd(t)), 0);
	while (i < n) {
		size_t end = batch_end(i, small);

		while (i < n && i < end &&
		       !(err = tracker_batch_add(t, frames[i].data, frames[i].len, frames[i].len, 1,
						 frames[i].ts_ns)))
			i++;
		assert_true(i == n || i == end || err == -ENOSPC);
		assert_int_equal(tracker_batch_run(t), 0);
		if (!lag) {
			assert_true(ring_buffer__consume(rb) >= 0);
			continue;
		}
		for (r = 0; r < 2; r++)
			assert_int_equal(ringread_consume(rings[r], until[r], collect_event, o), 0);
		for (r = 0; r < 2; r++)
			until[r] = ringread_producer(rings[r]);
	}
	for (r = 0; r < 2; r++)
		assert_int_equal(ringread_consume(rings[r], until[r], collect_event, o), 0);
	/* Nothing was left for libbpf. */
	assert_int_equal(ring_buffer__consume(rb), 0);
	drain(t, rb, o);
	ringread_close(rings[0]);
	ringread_close(rings[1]);
	ring_buffer__free(rb);
	tracker_close(t);
}

/* Runs frames in small batches (batch_end()), their records read through
 * the import's pipeline: a batch's few records on this thread, more on the
 * pipeline's, a batch behind. */
static void run_piped(const struct frame *frames, size_t n, struct outcome *o)
{
	struct tracker *t = open_offline();
	struct ring_buffer *rb = ring_buffer__new(tracker_events_fd(t), collect_event, o, NULL);
	const int fds[] = { tracker_events_fd(t), tracker_payloads_fd(t) };
	const struct pipeline_note *notes;
	struct pipeline *p;
	size_t i = 0, end;

	assert_non_null(rb);
	assert_int_equal(pipeline_start(&p, fds, 2, collect_event, o), 0);
	while (i < n) {
		for (end = batch_end(i, true); i < n && i < end; i++)
			if (tracker_batch_add(t, frames[i].data, frames[i].len, frames[i].len, 1,
					      frames[i].ts_ns))
				break;
		assert_int_equal(tracker_batch_run(t), 0);
		pipeline_wait(p, &notes);
		pipeline_hand(p);
	}
	pipeline_wait(p, &notes);
	pipeline_stop(p);
	/* Nothing was left for libbpf. */
	assert_int_equal(ring_buffer__consume(rb), 0);
	drain(t, rb, o);
	ring_buffer__free(rb);
	tracker_close(t);
}

static void assert_same(const struct outcome *a, const struct outcome *b)
{
	size_t i;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		assert_memory_equal(&a->key[i], &b->key[i], sizeof(a->key[i]));
		assert_memory_equal(&a->c[i], &b->c[i], sizeof(a->c[i]));
	}
	assert_memory_equal(&a->tot, &b->tot, sizeof(a->tot));
	assert_int_equal(a->events_len, b->events_len);
	assert_memory_equal(a->events, b->events, a->events_len);
}

static struct outcome *outcome_new(void)
{
	struct outcome *o = calloc(1, sizeof(*o));

	assert_non_null(o);
	o->events = malloc(MAX_EVENT_BYTES);
	assert_non_null(o->events);
	return o;
}

static void outcome_free(struct outcome *o)
{
	free(o->events);
	free(o);
}

/* Random frames of every size from an Ethernet header to a full batch,
 * in time order with ties: the batch leaves what one run per frame does. */
static void test_batch_equals_single(void **state)
{
	struct frame *frames = calloc(FRAMES, sizeof(*frames));
	struct outcome *single = outcome_new(), *batched = outcome_new();
	uint64_t ts = START_NS;
	size_t i, batches = 0;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_non_null(frames);
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < FRAMES; i++) {
		random_frame(&frames[i]);
		ts += rng() % 4 ? rng() % 100000 : 0;
		frames[i].ts_ns = ts;
	}
	/* The extremes: a frame that fills a batch alone, and the least. */
	frames[10].len = TRACKER_FRAME_MAX;
	frames[11].len = TRACKER_FRAME_MIN;
	run_single(frames, FRAMES, single);
	run_batched(frames, FRAMES, batched, &batches);
	/* The comparison means something: flows, events and payloads. */
	assert_true(single->n > 500);
	assert_true(single->tot.events > 100 && single->tot.payload_events > 100);
	assert_true(single->tot.malformed > 0 && single->tot.non_ip > 0);
	assert_true(batches < FRAMES / 2);
	assert_same(single, batched);
	outcome_free(single);
	outcome_free(batched);
	free(frames);
}

/* The same random frames: records read by ringread a batch behind, in
 * order, are libbpf's after each batch, byte for byte; so are those read
 * through the pipeline, some batches on each thread. */
static void test_ringread_equals_libbpf(void **state)
{
	struct frame *frames = calloc(FRAMES, sizeof(*frames));
	struct outcome *now = outcome_new(), *behind = outcome_new();
	uint64_t ts = START_NS;
	size_t i;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_non_null(frames);
	rng_state = 0x2545f4914f6cdd1dULL;
	for (i = 0; i < FRAMES; i++) {
		random_frame(&frames[i]);
		ts += rng() % 100000;
		frames[i].ts_ns = ts;
	}
	run_read(frames, FRAMES, now, 0, false);
	run_read(frames, FRAMES, behind, 1, false);
	assert_true(now->tot.events > 100 && now->tot.payload_events > 100);
	assert_same(now, behind);
	outcome_free(now);
	outcome_free(behind);
	now = outcome_new();
	behind = outcome_new();
	run_read(frames, FRAMES, now, 0, true);
	run_piped(frames, FRAMES, behind);
	assert_same(now, behind);
	outcome_free(now);
	outcome_free(behind);
	free(frames);
}

static int fail_second(void *arg, void *data, size_t len)
{
	int *calls = arg;

	(void)data;
	(void)len;
	return ++*calls == 2 ? -E2BIG : 0;
}

/* A callback's failure stops the reading after its record; the rest stays
 * for the next reading, and a limit already passed reads nothing. */
static void test_ringread_stops(void **state)
{
	struct tracker *t;
	struct ringread *ring;
	struct frame f;
	uint64_t until;
	int i, calls = 0;

	(void)state;
	if (geteuid() != 0)
		skip();
	t = open_offline();
	assert_int_equal(ringread_open(&ring, tracker_events_fd(t)), 0);
	/* SYNs, each an event. */
	for (i = 0; i < 5; i++) {
		struct pkt_spec s = { .ip_version = 4, .proto = 6, .tcp_flags = 0x02,
				      .src = { 10, 0, 0, (uint8_t)i }, .dst = { 10, 0, 0, 99 },
				      .sport = 1000, .dport = 80 };
		struct pkt_layout l;

		assert_int_equal(pkt_build(&s, f.data, sizeof(f.data), &l), 0);
		assert_int_equal(tracker_batch_add(t, f.data, (uint32_t)l.len, (uint32_t)l.len, 1,
						   START_NS + (uint64_t)i),
				 0);
	}
	assert_int_equal(tracker_batch_run(t), 0);
	until = ringread_producer(ring);
	assert_int_equal(ringread_consume(ring, until, fail_second, &calls), -E2BIG);
	assert_int_equal(calls, 2);
	assert_int_equal(ringread_consume(ring, until, fail_second, &calls), 0);
	assert_int_equal(calls, 5);
	assert_int_equal(ringread_consume(ring, until, fail_second, &calls), 0);
	assert_int_equal(calls, 5);
	ringread_close(ring);
	ringread_close(NULL);
	assert_true(ringread_open(&ring, -1) < 0);
	assert_null(ring);
	tracker_close(t);
}

/* A frame outside what one test run takes is refused before it is queued;
 * a batch takes FLOW_BATCH_BYTES and FLOW_BATCH_FRAMES_MAX frames; an
 * empty batch runs as nothing. */
static void test_batch_limits(void **state)
{
	static uint8_t frame[TRACKER_FRAME_MAX + 1];
	struct outcome *o = outcome_new();
	uint32_t left = FLOW_BATCH_BYTES, n = 0;
	struct tracker *t;

	(void)state;
	if (geteuid() != 0)
		skip();
	t = open_offline();
	assert_int_equal(tracker_batch_run(t), 0);
	assert_int_equal(tracker_batch_add(t, frame, TRACKER_FRAME_MIN - 1, 0, 1, START_NS), -EMSGSIZE);
	assert_int_equal(tracker_batch_add(t, frame, TRACKER_FRAME_MAX + 1, 0, 1, START_NS), -EMSGSIZE);
	/* Full-size frames, then one that just fits. */
	for (; left >= TRACKER_FRAME_MAX; left -= TRACKER_FRAME_MAX, n++)
		assert_int_equal(tracker_batch_add(t, frame, TRACKER_FRAME_MAX, 0, 1, START_NS), 0);
	assert_true(left >= TRACKER_FRAME_MIN);
	assert_int_equal(tracker_batch_add(t, frame, left + 1, 0, 1, START_NS), -ENOSPC);
	assert_int_equal(tracker_batch_add(t, frame, left, 0, 1, START_NS), 0);
	assert_int_equal(tracker_batch_add(t, frame, TRACKER_FRAME_MIN, 0, 1, START_NS), -ENOSPC);
	assert_int_equal(tracker_batch_run(t), 0);
	/* As many of the least frames as a batch counts. */
	for (uint32_t i = 0; i < FLOW_BATCH_FRAMES_MAX; i++)
		assert_int_equal(tracker_batch_add(t, frame, TRACKER_FRAME_MIN, 0, 1, START_NS), 0);
	assert_int_equal(tracker_batch_add(t, frame, TRACKER_FRAME_MIN, 0, 1, START_NS), -ENOSPC);
	assert_int_equal(tracker_batch_run(t), 0);
	assert_int_equal(tracker_drain(t, collect_flow, o, &o->tot), 0);
	/* Zeroed frames: not IP. */
	assert_int_equal(o->tot.non_ip, n + 1 + FLOW_BATCH_FRAMES_MAX);
	assert_int_equal(o->n, 0);
	tracker_close(t);
	outcome_free(o);
}

/* A send-side TSO packet (IPv4 total length 0) longer than a test run
 * takes counts at its length on the wire, as tshark counts it, and as cut
 * short; what the batch holds of it is all that can be inspected. */
static void test_batch_tso_wire_length(void **state)
{
	static uint8_t frame[PKT_MAX_FRAME];
	struct pkt_spec s = { .ip_version = 4, .proto = 6, .src = { 10, 7, 0, 1 },
			      .dst = { 10, 7, 0, 2 }, .sport = 40000, .dport = 443,
			      .tcp_flags = 0x18, .payload_len = 8000, .len_zero = true };
	struct outcome *o = outcome_new();
	struct pkt_layout l;
	struct tracker *t;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(pkt_build(&s, frame, sizeof(frame), &l), 0);
	assert_true(l.len > TRACKER_FRAME_MAX);
	t = open_offline();
	assert_int_equal(tracker_batch_add(t, frame, TRACKER_FRAME_MAX, (uint32_t)l.len, 1, START_NS),
			 0);
	assert_int_equal(tracker_batch_run(t), 0);
	assert_int_equal(tracker_drain(t, collect_flow, o, &o->tot), 0);
	assert_int_equal(o->n, 1);
	assert_int_equal(o->c[0].bytes, l.len - l.l3_off);
	assert_int_equal(o->tot.truncated, 1);
	assert_int_equal(o->tot.malformed, 0);
	tracker_close(t);
	outcome_free(o);
}

/* An import's flow maps hold exactly their size: a flow past it is
 * counted, packets and bytes, in the totals and in map_update_failures,
 * so that what no map holds shows as lost, and no flow already held is
 * given up for it (as an LRU map would). */
static void test_batch_full_map(void **state)
{
	struct tracker_opts opts = { .map_entries = 64, .offline_clock = true, .sequential = true };
	static uint8_t frame[PKT_MAX_FRAME];
	struct pkt_spec s = { .ip_version = 4, .proto = 17, .src = { 10, 9, 0, 1 },
			      .dst = { 10, 9, 0, 2 }, .dport = 53, .payload_len = 10 };
	struct outcome *o = outcome_new();
	struct pkt_layout l;
	struct tracker *t = NULL;
	uint64_t bytes = 0;
	size_t i;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(tracker_open(&t, &opts), 0);
	for (i = 0; i < 100; i++) {
		s.sport = (uint16_t)(1000 + i);
		assert_int_equal(pkt_build(&s, frame, sizeof(frame), &l), 0);
		assert_int_equal(tracker_batch_add(t, frame, (uint32_t)l.len, (uint32_t)l.len, 1,
						   START_NS + i),
				 0);
		bytes += l.len - l.l3_off;
	}
	assert_int_equal(tracker_batch_run(t), 0);
	assert_int_equal(tracker_drain(t, collect_flow, o, &o->tot), 0);
	assert_int_equal(o->n, 64);
	for (i = 0; i < o->n; i++)
		assert_true(o->key[i].src_port >= 1000 && o->key[i].src_port < 1064);
	assert_int_equal(o->tot.packets, 100);
	assert_int_equal(o->tot.bytes, bytes);
	assert_int_equal(o->tot.map_update_failures, 36);
	/* Drained, the map takes new flows again. */
	memset(o, 0, offsetof(struct outcome, events));
	assert_int_equal(tracker_batch_add(t, frame, (uint32_t)l.len, (uint32_t)l.len, 1, START_NS),
			 0);
	assert_int_equal(tracker_batch_run(t), 0);
	assert_int_equal(tracker_drain(t, collect_flow, o, &o->tot), 0);
	assert_int_equal(o->n, 1);
	assert_int_equal(o->tot.map_update_failures, 0);
	tracker_close(t);
	outcome_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_limits),
		cmocka_unit_test(test_batch_tso_wire_length),
		cmocka_unit_test(test_batch_full_map),
		cmocka_unit_test(test_batch_equals_single),
		cmocka_unit_test(test_ringread_equals_libbpf),
		cmocka_unit_test(test_ringread_stops),
	};

	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	libbpf_set_print(NULL);
	return cmocka_run_group_tests_name("bpf_batch", tests, NULL, NULL);
}
