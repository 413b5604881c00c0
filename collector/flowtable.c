// SPDX-License-Identifier: BSD-2-Clause
/* Open flow records between drains, ended by idle, active, FIN/RST or shutdown. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "flowtable.h"

/*
 * Records are kept dense, in chunks of CHUNK_RECORDS: growing never moves
 * them, the expiry scan reads them in order, and a table holds at most one
 * chunk beyond those it fills. An open-addressing index of 8-byte slots
 * (linear probing, backward-shift deletion, at most 3/4 full) maps keys to
 * records: an open flow costs 128 bytes of record (and its texts) plus
 * 10.7 to 21.3 bytes of index.
 */
#define CHUNK_SHIFT 11
#define CHUNK_RECORDS (1u << CHUNK_SHIFT)
#define MIN_SLOTS 64u
/* Slot references are 32 bits wide: the index stops growing here. */
#define MAX_SLOTS (1u << 31)

_Static_assert(sizeof(struct flow_key) % sizeof(uint64_t) == 0, "key is hashed by words");

struct slot {
	/* Upper half of the key hash: it places the slot at any table size
	 * and rules out most keys without touching their record. */
	uint32_t hash;
	uint32_t ref; /* record index + 1; 0 when the slot is empty */
};

struct flowtable {
	struct flowtable_opts opts;
	uint64_t seed;
	struct slot *slots;
	uint32_t mask; /* number of slots - 1; that number is a power of two */
	uint32_t count;
	struct flow_record **chunks;
	uint32_t nchunks; /* chunks allocated */
	uint32_t chunks_cap; /* room in chunks[] */
};

/* Returns the 32-bit hash of key. Each word goes through an invertible
 * xor-multiply-xorshift step, so keys that differ in one word never collide
 * in the full state; the per-table seed keeps remote hosts from picking
 * addresses that pile up on one probe run. */
static uint32_t key_hash(const struct flowtable *ft, const struct flow_key *key)
{
	uint64_t w[sizeof(*key) / sizeof(uint64_t)], h = ft->seed;
	size_t i;

	memcpy(w, key, sizeof(w));
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 32;
	}
	/* The upper half of a product depends on every bit below it. */
	return (uint32_t)((h * 0xd6e8feb86659fd93ull) >> 32);
}

/* Returns record i, which must be below the allocated chunks. */
static struct flow_record *record(const struct flowtable *ft, uint32_t i)
{
	return &ft->chunks[i >> CHUNK_SHIFT][i & (CHUNK_RECORDS - 1)];
}

/* Returns the slot holding key, or the empty slot that ends its probe run
 * (there is always one, the index being at most 3/4 full). */
static struct slot *slot_find(const struct flowtable *ft, const struct flow_key *key, uint32_t hash)
{
	uint32_t i;

	for (i = hash & ft->mask;; i = (i + 1) & ft->mask) {
		struct slot *s = &ft->slots[i];

		if (!s->ref)
			return s;
		if (s->hash == hash && !memcmp(&record(ft, s->ref - 1)->key, key, sizeof(*key)))
			return s;
	}
}

/* Returns the position of the slot that refers to record idx, which must be open. */
static uint32_t slot_of(const struct flowtable *ft, uint32_t idx)
{
	uint32_t i = key_hash(ft, &record(ft, idx)->key) & ft->mask;

	while (ft->slots[i].ref != idx + 1)
		i = (i + 1) & ft->mask;
	return i;
}

/* Empties slot i and moves later members of the probe run back into the
 * gap, so that no lookup ever stops early and no tombstone builds up. */
static void slot_delete(struct flowtable *ft, uint32_t i)
{
	uint32_t j = i;

	for (;;) {
		j = (j + 1) & ft->mask;
		if (!ft->slots[j].ref)
			break;
		/* The entry at j may fill the gap only when its home is not
		 * between the gap and j, or lookups from its home would miss it. */
		if (((j - ft->slots[j].hash) & ft->mask) >= ((j - i) & ft->mask)) {
			ft->slots[i] = ft->slots[j];
			i = j;
		}
	}
	ft->slots[i].ref = 0;
}

/* Rebuilds the index with nslots slots, a power of two. Records do not move.
 * Returns 0, or -ENOMEM with the old index untouched. */
static int index_resize(struct flowtable *ft, uint32_t nslots)
{
	struct slot *slots = calloc(nslots, sizeof(*slots));
	uint32_t mask = nslots - 1, i, j;

	if (!slots)
		return -ENOMEM;
	for (i = 0; i <= ft->mask; i++) {
		if (!ft->slots[i].ref)
			continue;
		for (j = ft->slots[i].hash & mask; slots[j].ref; j = (j + 1) & mask)
			;
		slots[j] = ft->slots[i];
	}
	free(ft->slots);
	ft->slots = slots;
	ft->mask = mask;
	return 0;
}

/* Makes sure record ft->count exists in memory. Returns 0 or -ENOMEM. */
static int chunk_reserve(struct flowtable *ft)
{
	struct flow_record *chunk;

	if (ft->count < (size_t)ft->nchunks << CHUNK_SHIFT)
		return 0;
	if (ft->nchunks == ft->chunks_cap) {
		uint32_t cap = ft->chunks_cap ? ft->chunks_cap * 2 : 16;
		struct flow_record **chunks = reallocarray(ft->chunks, cap, sizeof(*chunks));

		if (!chunks)
			return -ENOMEM;
		ft->chunks = chunks;
		ft->chunks_cap = cap;
	}
	chunk = malloc(CHUNK_RECORDS * sizeof(*chunk));
	if (!chunk)
		return -ENOMEM;
	ft->chunks[ft->nchunks++] = chunk;
	return 0;
}

/* Gives back what a table that shrank no longer needs: every chunk past the
 * ones in use but one (so that a table hovering at a chunk boundary does not
 * allocate on every add), and index slots once below 1/8 full, down to 1/4
 * to 1/2 full. Without memory for a smaller index, the larger one stays. */
static void shrink(struct flowtable *ft)
{
	uint32_t keep = ((ft->count + CHUNK_RECORDS - 1) >> CHUNK_SHIFT) + 1;
	uint32_t nslots = ft->mask + 1;

	while (ft->nchunks > keep)
		free(ft->chunks[--ft->nchunks]);
	if (nslots <= MIN_SLOTS || ft->count >= nslots / 8)
		return;
	while (nslots > MIN_SLOTS && ft->count < nslots / 4)
		nslots /= 2;
	index_resize(ft, nslots);
}

/* Drops open record idx. The last record moves into its place, so that
 * records stay dense; it is the only one that moves. */
static void record_remove(struct flowtable *ft, uint32_t idx)
{
	uint32_t last = ft->count - 1;

	slot_delete(ft, slot_of(ft, idx));
	if (idx != last) {
		ft->slots[slot_of(ft, last)].ref = idx + 1;
		*record(ft, idx) = *record(ft, last);
	}
	ft->count--;
}

/* Returns why r ends at now_us, or 0 when it stays open. */
static enum flow_end_reason due_reason(const struct flowtable_opts *o, const struct flow_record *r,
				       uint64_t now_us)
{
	uint64_t quiet;

	/* The kernel's clock ran ahead of ours: the flow is live, whatever
	 * the unsigned differences would say. */
	if (now_us < r->last_seen_us)
		return 0;
	quiet = now_us - r->last_seen_us;
	/* Waiting for traffic that never came (the kernel's LRU evicted it):
	 * dropped after the idle timeout, never written. */
	if (!r->packets)
		return quiet >= o->idle_timeout_us ? FLOW_END_IDLE : 0;
	if ((r->tcp_flags & (FLOW_TCP_FIN | FLOW_TCP_RST)) && quiet >= o->linger_us)
		return r->tcp_flags & FLOW_TCP_RST ? FLOW_END_RST : FLOW_END_FIN;
	if (quiet >= o->idle_timeout_us)
		return FLOW_END_IDLE;
	if (now_us >= r->first_seen_us && now_us - r->first_seen_us >= o->active_timeout_us)
		return FLOW_END_ACTIVE;
	return 0;
}

/* Hands each record due at now_us (each record when shutdown) to emit, then
 * removes it. Returns the number ended, or emit's negative errno, which
 * leaves that record and the ones not yet seen open and unchanged. */
static int end_records(struct flowtable *ft, uint64_t now_us, bool shutdown, flowtable_emit_fn emit,
		       void *arg)
{
	uint32_t i = ft->count;
	int ended = 0, err = 0;

	/* Downwards: the record that moves into a freed place was already seen. */
	while (i--) {
		struct flow_record *r = record(ft, i);
		struct flow_record out;
		enum flow_end_reason reason;

		reason = shutdown ? FLOW_END_SHUTDOWN : due_reason(&ft->opts, r, now_us);
		if (!reason)
			continue;
		if (r->packets) {
			/* A copy, so that a failed emit leaves the record as it was. */
			out = *r;
			out.end_reason = reason;
			err = emit(&out, arg);
			if (err < 0)
				break;
			ended++;
		}
		if (reason == FLOW_END_ACTIVE && r->app_proto) {
			/* The flow goes on; its next record keeps what was found
			 * (the fingerprint with it), but counts its own traffic
			 * and requests. */
			r->packets = r->bytes = 0;
			r->dropped_packets = r->dropped_bytes = 0;
			r->tcp_flags = 0;
			r->requests = 0;
			r->first_seen_us = r->last_seen_us;
			continue;
		}
		free(r->app_info);
		free(r->fingerprint);
		record_remove(ft, i);
	}
	shrink(ft);
	return err < 0 ? err : ended;
}

/* Returns a static name for reason, "unknown" outside the enum. */
const char *flow_end_reason_name(enum flow_end_reason reason)
{
	switch (reason) {
	case FLOW_END_IDLE:
		return "idle";
	case FLOW_END_ACTIVE:
		return "active";
	case FLOW_END_FIN:
		return "fin";
	case FLOW_END_RST:
		return "rst";
	case FLOW_END_SHUTDOWN:
		return "shutdown";
	}
	return "unknown";
}

const char *flow_app_name(enum flow_app app)
{
	/* One list of names: the inspectors' table. */
	return inspect_proto_name((enum inspect_proto)app);
}

/* Returns 0 and sets *out to an empty table using a copy of opts, or -ENOMEM. */
int flowtable_new(struct flowtable **out, const struct flowtable_opts *opts)
{
	struct flowtable *ft;

	ft = calloc(1, sizeof(*ft));
	if (!ft)
		return -ENOMEM;
	ft->opts = *opts;
	ft->slots = calloc(MIN_SLOTS, sizeof(*ft->slots));
	if (!ft->slots) {
		flowtable_free(ft);
		return -ENOMEM;
	}
	ft->mask = MIN_SLOTS - 1;
	/* Without entropy yet (early boot) the seed stays 0: lookups work all
	 * the same, only the slots flows land in become predictable. */
	getrandom(&ft->seed, sizeof(ft->seed), GRND_NONBLOCK);
	*out = ft;
	return 0;
}

/* Frees ft and its records without emitting them. NULL is fine. */
void flowtable_free(struct flowtable *ft)
{
	uint32_t i;

	if (!ft)
		return;
	for (i = 0; i < ft->count; i++) {
		free(record(ft, i)->app_info);
		free(record(ft, i)->fingerprint);
	}
	for (i = 0; i < ft->nchunks; i++)
		free(ft->chunks[i]);
	free(ft->chunks);
	free(ft->slots);
	free(ft);
}

/* Opens an empty record for key (hash, whose probe run ends at the empty
 * slot s). Returns it, or NULL when out of memory. */
static struct flow_record *record_open(struct flowtable *ft, const struct flow_key *key,
				       uint32_t hash, struct slot *s)
{
	struct flow_record *r;

	if (chunk_reserve(ft))
		return NULL;
	if ((uint64_t)(ft->count + 1) * 4 > ((uint64_t)ft->mask + 1) * 3) {
		if (ft->mask + 1 == MAX_SLOTS || index_resize(ft, (ft->mask + 1) * 2))
			return NULL;
		s = slot_find(ft, key, hash);
	}
	r = record(ft, ft->count);
	*r = (struct flow_record){ .key = *key, .encrypted = -1 };
	s->hash = hash;
	s->ref = ++ft->count;
	return r;
}

/* Merges into the open record for key, or opens one. Returns 0, or -ENOMEM
 * with the table's records unchanged. */
int flowtable_add(struct flowtable *ft, const struct flow_key *key, uint64_t packets,
		  uint64_t bytes, uint32_t tcp_flags, uint64_t first_us, uint64_t last_us)
{
	uint32_t hash = key_hash(ft, key);
	struct slot *s = slot_find(ft, key, hash);
	struct flow_record *r;
	int fresh;

	if (s->ref) {
		r = record(ft, s->ref - 1);
		fresh = !r->packets;
		/* A record that only held an inspection finding starts now. */
		if (!r->packets || first_us < r->first_seen_us)
			r->first_seen_us = first_us;
		r->packets += packets;
		r->bytes += bytes;
		r->tcp_flags |= tcp_flags;
		if (last_us > r->last_seen_us)
			r->last_seen_us = last_us;
		return fresh;
	}

	r = record_open(ft, key, hash, s);
	if (!r)
		return -ENOMEM;
	r->first_seen_us = first_us;
	r->last_seen_us = last_us;
	r->packets = packets;
	r->bytes = bytes;
	r->tcp_flags = tcp_flags;
	return 1;
}

int flowtable_first_seen(const struct flowtable *ft, const struct flow_key *key,
			 uint64_t *first_us)
{
	struct slot *s = slot_find(ft, key, key_hash(ft, key));
	const struct flow_record *r;

	if (!s->ref)
		return -ENOENT;
	r = record(ft, s->ref - 1);
	if (!r->packets)
		return -ENOENT;
	*first_us = r->first_seen_us;
	return 0;
}

int flowtable_drop(struct flowtable *ft, const struct flow_key *key, uint64_t packets,
		   uint64_t bytes)
{
	struct slot *s = slot_find(ft, key, key_hash(ft, key));
	struct flow_record *r;

	if (!s->ref)
		return -ENOENT;
	r = record(ft, s->ref - 1);
	r->dropped_packets += packets;
	r->dropped_bytes += bytes;
	return 0;
}

/* Returns key's open record, opening one that waits for its traffic (at
 * time_us) when there is none, or NULL when out of memory. */
static struct flow_record *record_get(struct flowtable *ft, const struct flow_key *key,
				      uint64_t time_us)
{
	uint32_t hash = key_hash(ft, key);
	struct slot *s = slot_find(ft, key, hash);
	struct flow_record *r;

	if (s->ref)
		return record(ft, s->ref - 1);
	r = record_open(ft, key, hash, s);
	if (r)
		r->first_seen_us = r->last_seen_us = time_us;
	return r;
}

int flowtable_inspect(struct flowtable *ft, const struct flow_key *key, uint64_t time_us,
		      uint8_t app_proto, int8_t encrypted, const char *info,
		      const char *fingerprint)
{
	struct slot *s = slot_find(ft, key, key_hash(ft, key));
	const struct flow_record *old = s->ref ? record(ft, s->ref - 1) : NULL;
	bool take_info = !old || !old->app_proto;
	bool take_fp = fingerprint && fingerprint[0] && (!old || !old->fingerprint);
	char *info_copy = NULL, *fp_copy = NULL;
	struct flow_record *r;

	if (!take_info && !take_fp)
		return 0;
	/* Every allocation first: a failure leaves the table as it was. */
	if ((take_info && !(info_copy = strdup(info))) ||
	    (take_fp && !(fp_copy = strdup(fingerprint))) || !(r = record_get(ft, key, time_us))) {
		free(info_copy);
		free(fp_copy);
		return -ENOMEM;
	}
	if (take_fp)
		r->fingerprint = fp_copy;
	if (!take_info)
		return 0;
	r->app_proto = app_proto;
	r->encrypted = encrypted;
	r->app_info = info_copy;
	return 1;
}

int flowtable_requests(struct flowtable *ft, const struct flow_key *key, uint64_t time_us,
		       uint32_t n)
{
	struct flow_record *r = record_get(ft, key, time_us);

	if (!r)
		return -ENOMEM;
	r->requests = n > UINT32_MAX - r->requests ? UINT32_MAX : r->requests + n;
	return 0;
}

/* Ends the records due at now_us; see flowtable.h for the rules. Returns the
 * number ended or emit's negative errno. */
int flowtable_expire(struct flowtable *ft, uint64_t now_us, flowtable_emit_fn emit, void *arg)
{
	return end_records(ft, now_us, false, emit, arg);
}

/* Ends every record with reason shutdown. Returns as flowtable_expire(). */
int flowtable_end_all(struct flowtable *ft, flowtable_emit_fn emit, void *arg)
{
	return end_records(ft, 0, true, emit, arg);
}

/* Returns the number of open records. */
size_t flowtable_count(const struct flowtable *ft)
{
	return ft->count;
}
