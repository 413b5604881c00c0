// SPDX-License-Identifier: BSD-2-Clause
/* Alert rules over the traffic, events and findings of each flush: per key
 * windows, distinct sets and baselines, suppression, alerts rows, sinks and
 * the blocks they ask for. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "alert.h"
#include "sink.h"

/* A window is counted in this many slices of window / SLICES: a count
 * never holds traffic older than the window, and may miss up to one slice
 * of it at its old end. */
#define SLICES 16
/* A distinct set holds at most this many values per threshold step: it is
 * the count an alert reports at most, DISTINCT_CAP_FACTOR * (threshold + 1)
 * (and never more than DISTINCT_CAP_MAX values). */
#define DISTINCT_CAP_FACTOR 4
#define DISTINCT_CAP_MAX 65536
/* Anomaly: the deviation is at least this share of the mean, and at least
 * 1, so that a flat baseline does not fire on jitter. */
#define ANOMALY_MIN_SIGMA_SHARE 0.05
/* Empty buckets a key's baseline learns when it comes back after a
 * silence; a longer silence counts as this many. */
#define ANOMALY_GAP_MAX 64
/* The latest alerts flowdb-ctl alerts can list. */
#define RECENT_MAX 1000
/* Keys out of every window are forgotten at most this often (or once a
 * window, when it is longer). */
#define SWEEP_MIN_US (60 * 1000000ULL)
/* Open addressing: the table grows past this load, in percent. */
#define MAP_LOAD_MAX 70

/* An address, the key of every rule's table. */
struct akey {
	uint8_t addr[16];
	uint8_t family; /* 4 or 6: flow_key's ip_version */
};

/* A rule's count over its window, slice n at s[n % SLICES]. */
struct window {
	uint64_t top; /* the newest slice written */
	uint64_t s[SLICES];
};

/* A distinct value (a port or an address) and when it was last seen. */
struct dval {
	uint64_t seen_us;
	uint8_t v[17];
	uint8_t used;
};

/* An open-addressing set of distinct values, rebuilt without the ones out
 * of the window at each flush. */
struct dset {
	struct dval *v;
	uint32_t n, cap; /* cap a power of two, or 0 */
};

/* An anomaly rule's baseline: exponentially weighted mean and variance of
 * the per-bucket sums; the buckets not yet learned wait in a window of
 * SLICES buckets, so that evidence drained out of order lands in its own. */
struct baseline {
	struct window w;
	uint64_t next; /* the oldest bucket not learned yet */
	double mean, var;
	uint32_t learned; /* buckets in the mean so far */
};

/* One key of one rule. */
struct kstate {
	struct akey key;
	uint64_t established_us; /* when its own TCP flow last carried SYN and then ACK */
	bool has_example;
	struct flow_key example; /* the latest flow of its evidence */
	uint64_t first_us, last_us; /* its evidence since its count was last 0 */
	uint64_t suppress_until_us; /* 0: not suppressed */
	uint64_t suppressed; /* repeats since the last alert */
	/* The highest count past the threshold since the last flush, seen
	 * at an evidence's time: the flush raises it. 0: none. */
	uint64_t over;
	bool hot; /* in the map's hot list */
	union {
		struct window w;
		struct dset d;
		struct baseline b;
	};
};

/* Every key of one rule, and the few a flush must look at. */
struct keymap {
	struct kstate **slot;
	size_t cap, n; /* cap a power of two */
	/* The keys past the threshold since the last flush (anomaly: with
	 * evidence in a bucket not learned yet), so that a flush visits
	 * those only; a sweep visits every key, once per sweep interval. */
	struct kstate **hot;
	size_t n_hot, cap_hot;
	uint64_t next_sweep_us;
};

/* A rule in force with its keys. */
struct arule {
	struct policy_alert r;
	char text[POLICY_TEXT_MAX]; /* canonical: a reload keeps the state of an equal one */
	struct keymap map;
	uint64_t slice_us; /* window / SLICES */
};

/* A recent alert, its rule name owned here. */
struct recent {
	struct store_alert a;
	char rule[POLICY_NAME_MAX];
};

/* A drained flow's traffic, kept until the flush feeds the flows of a
 * drain to the rules in time order. */
struct flow_delta {
	struct flow_key key;
	uint64_t packets, bytes, first_us, last_us;
	uint32_t tcp_flags;
	bool fresh;
};

struct alerter {
	struct enforce *e;
	const struct flowtable *flows; /* to tell answers from attempts; NULL: none */
	struct store *s;
	FILE *err;
	struct arule *rules;
	size_t n_rules;
	struct sinks *sinks;
	enum policy_mode mode;
	uint64_t sink_failures_seen; /* sinks_failures() at the previous flush */
	/* A reload's rules and sinks between its two steps. */
	struct arule *next_rules;
	size_t n_next;
	struct sinks *next_sinks;
	enum policy_mode next_mode;
	struct recent recent[RECENT_MAX];
	size_t n_recent, recent_head;
	uint64_t alerts, suppressed; /* since the previous flush */
	struct flow_delta *deltas; /* this drain's flows */
	size_t n_deltas, cap_deltas;
	bool wants_flows; /* a rule counts flows, or tracks handshakes */
};

static uint64_t hash_key(const struct akey *k)
{
	uint64_t a, b, h;

	memcpy(&a, k->addr, 8);
	memcpy(&b, k->addr + 8, 8);
	h = (a ^ (b * 0x9e3779b97f4a7c15ULL) ^ k->family) * 0xff51afd7ed558ccdULL;
	return h ^ (h >> 29);
}

/* Finds key's slot in m: the one holding it, or the empty one it goes to. */
static size_t map_slot(const struct keymap *m, const struct akey *k)
{
	size_t i = hash_key(k) & (m->cap - 1);

	while (m->slot[i] && memcmp(&m->slot[i]->key, k, sizeof(*k)))
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* Doubles m (or gives it 1024 slots). Returns 0 or -ENOMEM. */
static int map_grow(struct keymap *m)
{
	struct keymap bigger = { .cap = m->cap ? m->cap * 2 : 1024, .n = m->n };
	size_t i;

	bigger.slot = calloc(bigger.cap, sizeof(*bigger.slot));
	if (!bigger.slot)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->slot[i])
			bigger.slot[map_slot(&bigger, &m->slot[i]->key)] = m->slot[i];
	free(m->slot);
	*m = bigger;
	return 0;
}

/* key's state in rule ar, made (zeroed) when missing. Returns NULL when
 * out of memory. */
static struct kstate *key_state(struct arule *ar, const struct akey *k)
{
	struct keymap *m = &ar->map;
	struct kstate *ks;
	size_t i;

	if ((m->n + 1) * 100 > m->cap * MAP_LOAD_MAX && map_grow(m))
		return NULL;
	i = map_slot(m, k);
	if (m->slot[i])
		return m->slot[i];
	ks = calloc(1, sizeof(*ks));
	if (!ks)
		return NULL;
	ks->key = *k;
	m->slot[i] = ks;
	m->n++;
	return ks;
}

static void kstate_free(const struct arule *ar, struct kstate *ks)
{
	if (ar->r.metric == POLICY_METRIC_DISTINCT)
		free(ks->d.v);
	free(ks);
}

/* Removes every key for which keep() is false, rehashing the rest in
 * place (backward shift would do too; a rebuild is simpler and a sweep
 * visits every key anyway). Returns 0 or -ENOMEM (nothing removed). */
static int map_sweep(struct arule *ar, bool (*keep)(struct arule *, struct kstate *, uint64_t),
		     uint64_t now_us)
{
	struct keymap *m = &ar->map, kept = *m;
	size_t i;

	if (!m->n)
		return 0;
	/* The hot list goes on as it is (keep() keeps every key on it): a
	 * key marked hot but left off the list would never be evaluated. */
	kept.n = 0;
	kept.slot = calloc(kept.cap, sizeof(*kept.slot));
	if (!kept.slot)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++) {
		struct kstate *ks = m->slot[i];

		if (!ks)
			continue;
		if (keep(ar, ks, now_us)) {
			kept.slot[map_slot(&kept, &ks->key)] = ks;
			kept.n++;
		} else {
			kstate_free(ar, ks);
		}
	}
	free(m->slot);
	*m = kept;
	return 0;
}

static void map_free(struct arule *ar)
{
	size_t i;

	for (i = 0; i < ar->map.cap; i++)
		if (ar->map.slot[i])
			kstate_free(ar, ar->map.slot[i]);
	free(ar->map.slot);
	free(ar->map.hot);
	memset(&ar->map, 0, sizeof(ar->map));
}

/* Puts ks on m's hot list for the next flush. Returns 0 or -ENOMEM. */
static int map_heat(struct keymap *m, struct kstate *ks)
{
	if (ks->hot)
		return 0;
	if (m->n_hot == m->cap_hot) {
		size_t cap = m->cap_hot ? m->cap_hot * 2 : 64;
		struct kstate **grown = reallocarray(m->hot, cap, sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		m->hot = grown;
		m->cap_hot = cap;
	}
	m->hot[m->n_hot++] = ks;
	ks->hot = true;
	return 0;
}

/* Adds v at t_us to w, slices of slice_us. Traffic older than the window
 * before the newest slice is left out. */
static void window_add(struct window *w, uint64_t slice_us, uint64_t t_us, uint64_t v)
{
	uint64_t n = t_us / slice_us, i;

	if (n + SLICES <= w->top)
		return;
	if (n > w->top) {
		for (i = w->top + 1; i <= n && i <= w->top + SLICES; i++)
			w->s[i % SLICES] = 0;
		w->top = n;
	}
	w->s[n % SLICES] += v;
}

/* w's count over the SLICES slices up to the one holding now_us. */
static uint64_t window_sum(const struct window *w, uint64_t slice_us, uint64_t now_us)
{
	uint64_t cur = now_us / slice_us, sum = 0, j;

	for (j = 0; j < SLICES && j <= w->top; j++) {
		uint64_t idx = w->top - j;

		if (idx <= cur && idx + SLICES > cur)
			sum += w->s[idx % SLICES];
	}
	return sum;
}

static uint64_t distinct_cap(const struct policy_alert *r)
{
	uint64_t cap = DISTINCT_CAP_FACTOR * (r->threshold + 1);

	return cap < DISTINCT_CAP_MAX ? cap : DISTINCT_CAP_MAX;
}

static uint64_t hash_dval(const uint8_t *v)
{
	uint64_t a, b, h;

	memcpy(&a, v, 8);
	memcpy(&b, v + 8, 8);
	h = (a ^ (b * 0x9e3779b97f4a7c15ULL) ^ v[16]) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 31);
}

/* Puts every value of d seen after since_us into a table of cap slots,
 * dropping the others. Returns 0 or -ENOMEM (d unchanged). */
static int dset_rebuild(struct dset *d, uint32_t cap, uint64_t since_us)
{
	struct dval *v = calloc(cap, sizeof(*v));
	uint32_t i, n = 0;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < d->cap; i++) {
		size_t j;

		if (!d->v[i].used || d->v[i].seen_us <= since_us)
			continue;
		j = hash_dval(d->v[i].v) & (cap - 1);
		while (v[j].used)
			j = (j + 1) & (cap - 1);
		v[j] = d->v[i];
		n++;
	}
	free(d->v);
	d->v = v;
	d->cap = cap;
	d->n = n;
	return 0;
}

/* Records value val seen at t_us in d, which holds at most max values:
 * when full, the values out of the window (after since_us) make room,
 * else val is left out. Returns 0 or -ENOMEM. */
static int dset_add(struct dset *d, const uint8_t *val, uint64_t t_us, uint64_t max,
		    uint64_t since_us)
{
	size_t j;

	if (d->cap) {
		j = hash_dval(val) & (d->cap - 1);
		while (d->v[j].used && memcmp(d->v[j].v, val, sizeof(d->v[j].v)))
			j = (j + 1) & (d->cap - 1);
		if (d->v[j].used) {
			if (t_us > d->v[j].seen_us)
				d->v[j].seen_us = t_us;
			return 0;
		}
	}
	if (d->n >= max) {
		if (dset_rebuild(d, d->cap, since_us))
			return -ENOMEM;
		if (d->n >= max)
			return 0;
	}
	if ((uint64_t)(d->n + 1) * 100 > (uint64_t)d->cap * MAP_LOAD_MAX &&
	    dset_rebuild(d, d->cap ? d->cap * 2 : 16, 0))
		return -ENOMEM;
	j = hash_dval(val) & (d->cap - 1);
	while (d->v[j].used)
		j = (j + 1) & (d->cap - 1);
	memcpy(d->v[j].v, val, sizeof(d->v[j].v));
	d->v[j].seen_us = t_us;
	d->v[j].used = 1;
	d->n++;
	return 0;
}

/* The values of d seen after since_us. */
static uint64_t dset_count(const struct dset *d, uint64_t since_us)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < d->cap; i++)
		n += d->v[i].used && d->v[i].seen_us > since_us;
	return n;
}

/* The weight of a new bucket in the baseline: the mean covers about the
 * warm-up's buckets. */
static double baseline_alpha(const struct policy_alert *r)
{
	double n = (double)(r->warmup_us / r->bucket_us);

	return 2.0 / ((n < 2 ? 2 : n) + 1.0);
}

/* The sum a bucket must pass to fire. */
static double baseline_limit(const struct policy_alert *r, const struct baseline *b)
{
	double sigma = sqrt(b->var);

	if (sigma < ANOMALY_MIN_SIGMA_SHARE * b->mean)
		sigma = ANOMALY_MIN_SIGMA_SHARE * b->mean;
	if (sigma < 1)
		sigma = 1;
	return b->mean + r->sigmas * sigma;
}

/* Learns bucket sum x. */
static void baseline_learn(const struct policy_alert *r, struct baseline *b, double x)
{
	double alpha = baseline_alpha(r), diff = x - b->mean, incr = alpha * diff;

	if (!b->learned) {
		b->mean = x;
		b->var = 0;
	} else {
		b->mean += incr;
		b->var = (1 - alpha) * (b->var + diff * incr);
	}
	b->learned++;
}

static const char *side_name(enum policy_side side)
{
	return side == POLICY_SIDE_DST ? "dst" : "src";
}

/* The key of flow k on side. */
static void flow_akey(const struct flow_key *k, enum policy_side side, struct akey *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->addr, side == POLICY_SIDE_DST ? k->dst_addr : k->src_addr, 16);
	out->family = k->ip_version;
}

static void akey_text(const struct akey *k, char *buf, size_t len)
{
	if (!inet_ntop(k->family == 6 ? AF_INET6 : AF_INET, k->addr, buf, len))
		snprintf(buf, len, "?");
}

/* "tcp 192.0.2.1:40000 -> 192.0.2.2:22" into buf. */
static void example_text(const struct flow_key *k, char *buf, size_t len)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int af = k->ip_version == 6 ? AF_INET6 : AF_INET;
	const char *proto = k->proto == 6 ? "tcp" : k->proto == 17 ? "udp" :
			    k->proto == 1 ? "icmp" : k->proto == 58 ? "icmp6" : NULL;
	char num[8];

	if (!inet_ntop(af, k->src_addr, src, sizeof(src)) ||
	    !inet_ntop(af, k->dst_addr, dst, sizeof(dst))) {
		buf[0] = '\0';
		return;
	}
	if (!proto) {
		snprintf(num, sizeof(num), "%u", k->proto);
		proto = num;
	}
	snprintf(buf, len, af == AF_INET6 ? "%s [%s]:%u -> [%s]:%u" : "%s %s:%u -> %s:%u", proto,
		 src, k->src_port, dst, k->dst_port);
}

/* Keeps count n of ks, seen at an evidence's time, for the next flush
 * when it is past ar's threshold and the highest so far. */
static void note_over(struct alerter *a, struct arule *ar, struct kstate *ks, uint64_t n)
{
	if (n <= ar->r.threshold || n <= ks->over)
		return;
	ks->over = n;
	if (map_heat(&ar->map, ks))
		fprintf(a->err, "flowdb-collector: alert %s: out of memory\n", ar->r.name);
}

/* Notes flow k, seen at t_us, as ks's latest evidence. */
static void note_evidence(struct kstate *ks, const struct flow_key *k, uint64_t t_us)
{
	if (t_us > ks->last_us)
		ks->last_us = t_us;
	ks->example = *k;
	ks->has_example = true;
}

/* Counts evidence v at t_us of flow k for rule ar on its side's key. */
static void count(struct alerter *a, struct arule *ar, const struct flow_key *k, uint64_t t_us,
		  uint64_t v)
{
	struct akey key;
	struct kstate *ks;

	flow_akey(k, ar->r.side, &key);
	ks = key_state(ar, &key);
	if (!ks) {
		fprintf(a->err, "flowdb-collector: alert %s: out of memory, evidence lost\n",
			ar->r.name);
		return;
	}
	if (!ks->last_us || ks->last_us + ar->r.window_us < t_us)
		ks->first_us = t_us;
	if (ar->r.metric == POLICY_METRIC_ANOMALY) {
		uint64_t bucket = t_us / ar->r.bucket_us;

		if (!ks->b.next)
			ks->b.next = bucket;
		/* A bucket learned already takes nothing more: the baseline
		 * never learns one twice. */
		if (bucket >= ks->b.next) {
			window_add(&ks->b.w, ar->r.bucket_us, t_us, v);
			if (map_heat(&ar->map, ks))
				fprintf(a->err, "flowdb-collector: alert %s: out of memory\n",
					ar->r.name);
		}
	} else {
		uint64_t sum;

		window_add(&ks->w, ar->slice_us, t_us, v);
		sum = window_sum(&ks->w, ar->slice_us, t_us);
		note_over(a, ar, ks, sum);
	}
	note_evidence(ks, k, t_us);
}

/* Notes at t_us that k's source completed a TCP handshake, for the rules
 * that block only such keys. */
static void note_established(struct alerter *a, const struct flow_key *k, uint64_t t_us)
{
	struct akey key;
	size_t i;

	flow_akey(k, POLICY_SIDE_SRC, &key);
	for (i = 0; i < a->n_rules; i++) {
		struct arule *ar = &a->rules[i];
		struct kstate *ks;

		if (!ar->r.established || ar->r.side != POLICY_SIDE_SRC)
			continue;
		ks = key_state(ar, &key);
		if (!ks) {
			fprintf(a->err, "flowdb-collector: alert %s: out of memory, evidence lost\n",
				ar->r.name);
			continue;
		}
		if (t_us > ks->established_us)
			ks->established_us = t_us;
	}
}

/* Counts the value of rule ar's field in flow k (seen first_us to
 * last_us) for its key. */
static void count_distinct(struct alerter *a, struct arule *ar, const struct flow_key *k,
			   uint64_t first_us, uint64_t last_us)
{
	uint64_t since = last_us > ar->r.window_us ? last_us - ar->r.window_us : 0;
	uint8_t val[17] = { 0 };
	struct kstate *ks;
	struct akey key;

	switch (ar->r.field) {
	case POLICY_FIELD_DST_PORT:
		memcpy(val, &k->dst_port, 2);
		break;
	case POLICY_FIELD_SRC_PORT:
		memcpy(val, &k->src_port, 2);
		break;
	case POLICY_FIELD_DST_ADDR:
		memcpy(val, k->dst_addr, 16);
		val[16] = k->ip_version;
		break;
	case POLICY_FIELD_SRC_ADDR:
		memcpy(val, k->src_addr, 16);
		val[16] = k->ip_version;
		break;
	default:
		return;
	}
	flow_akey(k, ar->r.side, &key);
	ks = key_state(ar, &key);
	if (!ks || dset_add(&ks->d, val, last_us, distinct_cap(&ar->r), since)) {
		fprintf(a->err, "flowdb-collector: alert %s: out of memory, evidence lost\n",
			ar->r.name);
		return;
	}
	if (!ks->last_us || ks->last_us + ar->r.window_us < first_us)
		ks->first_us = first_us;
	/* Counting is only worth it once the set could be over. */
	if (ks->d.n > ar->r.threshold && ks->d.n > ks->over)
		note_over(a, ar, ks, dset_count(&ks->d, since));
	note_evidence(ks, k, last_us);
}

/*
 * Whether non-TCP flow k was started by its source: not an ICMP answer or
 * error, not the answer to an open flow the other way that began no later.
 * A server's answers to many clients' ports would otherwise look like a
 * scan by the server. (TCP attempts are counted from SYN events instead.)
 */
static bool originates(const struct alerter *a, const struct flow_key *k)
{
	struct flow_key back = *k;
	uint64_t mine, theirs;
	uint8_t type = (uint8_t)(k->dst_port >> 8);

	if (k->proto == 1)
		return type == 8 || type == 13 || type == 15 || type == 17;
	if (k->proto == 58)
		return type == 128 || type == 130 || type == 133 || type == 135;
	if (!a->flows || flowtable_first_seen(a->flows, k, &mine))
		return true;
	memcpy(back.src_addr, k->dst_addr, 16);
	memcpy(back.dst_addr, k->src_addr, 16);
	back.src_port = k->dst_port;
	back.dst_port = k->src_port;
	if (flowtable_first_seen(a->flows, &back, &theirs)) {
		back.direction = !k->direction;
		if (flowtable_first_seen(a->flows, &back, &theirs))
			return true;
	}
	return mine < theirs;
}

/* Counts one drained flow's traffic for every rule of flows. */
static void feed_flow(struct alerter *a, const struct flow_key *k, uint64_t packets,
		      uint64_t bytes, uint32_t tcp_flags, uint64_t first_us, uint64_t last_us,
		      bool new_record)
{
	size_t i;

	for (i = 0; i < a->n_rules; i++) {
		struct arule *ar = &a->rules[i];
		enum policy_metric m = ar->r.metric == POLICY_METRIC_ANOMALY ? ar->r.base :
									       ar->r.metric;

		if (m == POLICY_METRIC_BYTES && bytes)
			count(a, ar, k, last_us, bytes);
		else if (m == POLICY_METRIC_PACKETS && packets)
			count(a, ar, k, last_us, packets);
		else if (m == POLICY_METRIC_FLOWS && new_record)
			count(a, ar, k, first_us, 1);
		else if (m == POLICY_METRIC_DISTINCT && k->proto != 6 && originates(a, k))
			count_distinct(a, ar, k, first_us, last_us);
	}
	if (k->proto == 6 && (tcp_flags & (FLOW_TCP_SYN | FLOW_TCP_ACK)) ==
				     (FLOW_TCP_SYN | FLOW_TCP_ACK) && !(tcp_flags & FLOW_TCP_RST))
		note_established(a, k, last_us);
}

void alert_flow(struct alerter *a, const struct flow_key *k, uint64_t packets, uint64_t bytes,
		uint32_t tcp_flags, uint64_t first_us, uint64_t last_us, bool new_record)
{
	struct flow_delta *d;

	if (!a || !a->wants_flows)
		return;
	if (a->n_deltas == a->cap_deltas) {
		size_t cap = a->cap_deltas ? a->cap_deltas * 2 : 4096;
		struct flow_delta *grown = reallocarray(a->deltas, cap, sizeof(*grown));

		if (!grown) {
			fprintf(a->err, "flowdb-collector: alerts: out of memory, a flow lost\n");
			return;
		}
		a->deltas = grown;
		a->cap_deltas = cap;
	}
	d = &a->deltas[a->n_deltas++];
	*d = (struct flow_delta){ .key = *k,
				  .packets = packets,
				  .bytes = bytes,
				  .first_us = first_us,
				  .last_us = last_us,
				  .tcp_flags = tcp_flags,
				  .fresh = new_record };
}

static int cmp_delta(const void *x, const void *y)
{
	const struct flow_delta *a = x, *b = y;

	/* A total order, so that runs over one capture agree on every tie
	 * (the kernel's maps drain in an order of their own each run). */
	if (a->last_us != b->last_us)
		return a->last_us < b->last_us ? -1 : 1;
	return memcmp(&a->key, &b->key, sizeof(a->key));
}

/* Feeds the drain's flows to the rules in time order: a window then
 * counts them as they happened, whatever order the kernel's maps gave. */
static void feed_flows(struct alerter *a)
{
	size_t i;

	if (!a->n_deltas)
		return;
	qsort(a->deltas, a->n_deltas, sizeof(*a->deltas), cmp_delta);
	for (i = 0; i < a->n_deltas; i++) {
		const struct flow_delta *d = &a->deltas[i];

		feed_flow(a, &d->key, d->packets, d->bytes, d->tcp_flags, d->first_us, d->last_us,
			  d->fresh);
	}
	a->n_deltas = 0;
}

void alert_event(struct alerter *a, const struct flow_event *ev, uint64_t time_us)
{
	size_t i;

	if (!a || !a->n_rules)
		return;
	for (i = 0; i < a->n_rules; i++) {
		struct arule *ar = &a->rules[i];
		enum policy_metric m = ar->r.metric;

		if (m == POLICY_METRIC_SYN && ev->kind == FLOW_EVENT_SYN) {
			count(a, ar, &ev->key, time_us, 1);
		} else if (m == POLICY_METRIC_DISTINCT && ev->kind == FLOW_EVENT_SYN) {
			/* A TCP attempt is its SYN: a server's SYN-ACKs and
			 * answers are never one. */
			count_distinct(a, ar, &ev->key, time_us, time_us);
		} else if (m == POLICY_METRIC_FAILED && ev->kind == FLOW_EVENT_RST) {
			/* The refused side is the one the RST goes to. */
			struct flow_key back = ev->key;

			memcpy(back.src_addr, ev->key.dst_addr, 16);
			memcpy(back.dst_addr, ev->key.src_addr, 16);
			back.src_port = ev->key.dst_port;
			back.dst_port = ev->key.src_port;
			count(a, ar, &back, time_us, 1);
		}
	}
}

void alert_finding(struct alerter *a, const struct flow_key *k, uint64_t time_us,
		   const struct inspect_result *r, bool breach)
{
	size_t i;

	if (!a || !a->n_rules)
		return;
	for (i = 0; i < a->n_rules; i++) {
		struct arule *ar = &a->rules[i];
		enum policy_metric m = ar->r.metric;

		if ((m == POLICY_METRIC_HTTP_REQUESTS && r->proto == INSPECT_HTTP &&
		     !r->http.response) ||
		    (m == POLICY_METRIC_DNS_QUERIES && r->proto == INSPECT_DNS &&
		     !r->dns.is_response) ||
		    (m == POLICY_METRIC_CLEARTEXT && breach))
			count(a, ar, k, time_us, 1);
	}
}

/* Whether a sweep keeps ks: it still counts something, is suppressed, or
 * learns a baseline not silent for long. */
static bool keep_key(struct arule *ar, struct kstate *ks, uint64_t now_us)
{
	const struct policy_alert *r = &ar->r;
	uint64_t since = now_us > r->window_us ? now_us - r->window_us : 0;

	if (ks->hot || ks->suppress_until_us > now_us || ks->established_us > since)
		return true;
	switch (r->metric) {
	case POLICY_METRIC_ANOMALY:
		return ks->last_us + r->warmup_us > now_us;
	case POLICY_METRIC_DISTINCT:
		return dset_count(&ks->d, since) > 0;
	default:
		return window_sum(&ks->w, ar->slice_us, now_us) > 0;
	}
}

/* Adds r's "then block" for key ks; writes what was done into action. */
static void respond(struct alerter *a, const struct arule *ar, const struct kstate *ks,
		    const struct store_alert *row, uint64_t now_us, char *action, size_t len)
{
	char text[POLICY_TEXT_MAX], detail[STORE_TEXT_SIZE];
	struct addr_net net = { .family = ks->key.family == 6 ? AF_INET6 : AF_INET,
				.bits = ks->key.family == 6 ? 128 : 32 };
	struct policy_rule block = { .kind = POLICY_BLOCK,
				     .side = ar->r.side,
				     .duration_us = ar->r.block_us };
	int rc;

	if (!ar->r.block_us || !a->e) {
		snprintf(action, len, "none");
		return;
	}
	if (ar->r.established &&
	    (!ks->established_us || ks->established_us + ar->r.window_us < now_us)) {
		snprintf(action, len, "not blocked: no handshake");
		return;
	}
	memcpy(net.addr, ks->key.addr, 16);
	block.net = net;
	snprintf(detail, sizeof(detail), "alert %s: %s %s %.17g > %.17g", row->rule, row->key,
		 row->metric, row->value, row->threshold);
	rc = enforce_block(a->e, &net, ar->r.side, ar->r.block_us, ar->r.name, detail, now_us);
	if (!rc)
		/* The block as the policy file and flowdb-ctl block list write
		 * it, its reason (the rule's name) left out. */
		snprintf(action, len, "%s%s", policy_rule_text(&block, text, sizeof(text)),
			 a->mode == POLICY_MONITOR ? " (monitor)" : "");
	else if (rc == -EEXIST)
		snprintf(action, len, "not blocked: blocked already");
	else if (rc == -EPERM)
		snprintf(action, len, "not blocked: allowed");
	else if (rc == -E2BIG)
		snprintf(action, len, "not blocked: the rule set is full");
	else
		snprintf(action, len, "not blocked: %s", strerror(-rc));
}

/* Raises (or suppresses) one alert of rule ar for ks at now_us. Returns 0
 * or a negative errno from the store. */
static int raise_alert(struct alerter *a, struct arule *ar, struct kstate *ks, double value,
		       double threshold, uint64_t now_us)
{
	struct store_alert row = { .time_us = now_us,
				   .rule = ar->r.name,
				   .severity = policy_severity_name(ar->r.severity),
				   .side = side_name(ar->r.side),
				   .value = value,
				   .threshold = threshold,
				   .window_us = ar->r.metric == POLICY_METRIC_ANOMALY ?
							ar->r.bucket_us :
							ar->r.window_us,
				   .first_us = ks->first_us,
				   .last_us = ks->last_us,
				   .line = ar->r.line };
	struct recent *rec;
	int rc;

	if (ks->suppress_until_us > now_us) {
		ks->suppressed++;
		a->suppressed++;
		return 0;
	}
	akey_text(&ks->key, row.key, sizeof(row.key));
	policy_metric_text(&ar->r, row.metric, sizeof(row.metric));
	if (ks->has_example)
		example_text(&ks->example, row.example, sizeof(row.example));
	row.suppressed = ks->suppressed;
	respond(a, ar, ks, &row, now_us, row.action, sizeof(row.action));
	ks->suppressed = 0;
	ks->suppress_until_us = now_us + ar->r.suppress_us;
	a->alerts++;
	rc = store_add_alert(a->s, &row);
	if (a->sinks)
		sinks_send(a->sinks, &row);
	rec = &a->recent[a->recent_head];
	rec->a = row;
	snprintf(rec->rule, sizeof(rec->rule), "%s", row.rule);
	rec->a.rule = rec->rule;
	a->recent_head = (a->recent_head + 1) % RECENT_MAX;
	if (a->n_recent < RECENT_MAX)
		a->n_recent++;
	return rc;
}

/* Learns the anomaly buckets of ks that ended by now_us, in order, and
 * raises an alert for the last one past its baseline after the warm-up.
 * Returns as raise_alert(). */
static int close_buckets(struct alerter *a, struct arule *ar, struct kstate *ks, uint64_t now_us)
{
	const struct policy_alert *r = &ar->r;
	uint64_t cur = now_us / r->bucket_us, n;
	uint32_t warm = (uint32_t)(r->warmup_us / r->bucket_us);
	double fired = -1, limit = 0;

	if (!ks->b.next || cur <= ks->b.next)
		return 0;
	/* A silence longer than the window learns as that many empty buckets. */
	if (cur - ks->b.next > ANOMALY_GAP_MAX)
		ks->b.next = cur - ANOMALY_GAP_MAX;
	for (n = ks->b.next; n < cur; n++) {
		double x = n <= ks->b.w.top && n + SLICES > ks->b.w.top ?
				   (double)ks->b.w.s[n % SLICES] : 0;

		if (ks->b.learned >= warm && x > baseline_limit(r, &ks->b)) {
			fired = x;
			limit = baseline_limit(r, &ks->b);
		}
		baseline_learn(r, &ks->b, x);
	}
	ks->b.next = cur;
	return fired >= 0 ? raise_alert(a, ar, ks, fired, limit, now_us) : 0;
}

/* Evaluates rule ar at now_us for its hot keys: raises what went past
 * the threshold, learns the buckets that ended. Returns as raise_alert(). */
static int evaluate(struct alerter *a, struct arule *ar, uint64_t now_us)
{
	const struct policy_alert *r = &ar->r;
	struct keymap *m = &ar->map;
	size_t i, kept = 0;
	int rc = 0, err;

	for (i = 0; i < m->n_hot; i++) {
		struct kstate *ks = m->hot[i];

		if (r->metric == POLICY_METRIC_ANOMALY) {
			err = close_buckets(a, ar, ks, now_us);
			/* Evidence in the bucket under way keeps it hot. */
			if (ks->b.w.top >= ks->b.next && ks->b.w.s[ks->b.w.top % SLICES]) {
				m->hot[kept++] = ks;
				continue;
			}
		} else {
			err = raise_alert(a, ar, ks, (double)ks->over, (double)r->threshold, now_us);
			ks->over = 0;
		}
		ks->hot = false;
		if (err && !rc)
			rc = err;
	}
	m->n_hot = kept;
	return rc;
}

int alert_flush(struct alerter *a, uint64_t now_us, struct store_stats *st)
{
	uint64_t failures;
	size_t i;
	int rc = 0, err;

	if (!a)
		return 0;
	feed_flows(a);
	for (i = 0; i < a->n_rules; i++) {
		struct arule *ar = &a->rules[i];

		err = evaluate(a, ar, now_us);
		if (err && !rc)
			rc = err;
		if (now_us < ar->map.next_sweep_us)
			continue;
		/* Forgetting can wait a while: a key kept too long only costs
		 * its memory, and a sweep visits every key. */
		ar->map.next_sweep_us = now_us + (ar->r.window_us > SWEEP_MIN_US ? ar->r.window_us :
										   SWEEP_MIN_US);
		if (map_sweep(ar, keep_key, now_us))
			fprintf(a->err, "flowdb-collector: alert %s: out of memory sweeping\n",
				ar->r.name);
	}
	failures = sinks_failures(a->sinks);
	st->alerting = a->n_rules > 0;
	st->alerts = a->alerts;
	st->alerts_suppressed = a->suppressed;
	st->sink_failures = failures - a->sink_failures_seen;
	a->sink_failures_seen = failures;
	a->alerts = a->suppressed = 0;
	return rc;
}

/* Makes the rules of p into *out. Returns 0 or -ENOMEM. */
static int make_rules(const struct policy *p, struct arule **out, size_t *n)
{
	struct arule *rules = calloc(p->n_alerts ? p->n_alerts : 1, sizeof(*rules));
	size_t i;

	if (!rules)
		return -ENOMEM;
	for (i = 0; i < p->n_alerts; i++) {
		rules[i].r = p->alerts[i];
		policy_alert_text(&rules[i].r, rules[i].text, sizeof(rules[i].text));
		rules[i].slice_us = rules[i].r.window_us / SLICES ? rules[i].r.window_us / SLICES :
								     1;
	}
	*out = rules;
	*n = p->n_alerts;
	return 0;
}

/* Whether any of rules counts drained flows. */
static bool counts_flows(const struct arule *rules, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		enum policy_metric m = rules[i].r.metric == POLICY_METRIC_ANOMALY ?
					       rules[i].r.base :
					       rules[i].r.metric;

		if (m == POLICY_METRIC_BYTES || m == POLICY_METRIC_PACKETS ||
		    m == POLICY_METRIC_FLOWS || m == POLICY_METRIC_DISTINCT || rules[i].r.established)
			return true;
	}
	return false;
}

static void free_rules(struct arule *rules, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		map_free(&rules[i]);
	free(rules);
}

int alert_reload(void *arg, const struct policy *next, bool commit, char *why, size_t len)
{
	struct alerter *a = arg;
	char *text = NULL;
	size_t size = 0, i, j;
	FILE *err;
	int rc;

	if (next) {
		rc = make_rules(next, &a->next_rules, &a->n_next);
		if (rc) {
			snprintf(why, len, "%s", strerror(-rc));
			return rc;
		}
		err = open_memstream(&text, &size);
		rc = err ? sinks_open(&a->next_sinks, next->sinks, next->n_sinks, err) : -ENOMEM;
		if (err)
			fclose(err);
		if (rc) {
			if (text && text[0]) {
				fputs(text, a->err);
				text[strcspn(text, "\n")] = '\0';
			}
			snprintf(why, len, "%s", text && text[0] ? text : strerror(-rc));
			free_rules(a->next_rules, a->n_next);
			a->next_rules = NULL;
			a->n_next = 0;
		}
		a->next_mode = next->mode;
		free(text);
		return rc;
	}
	if (!commit) {
		free_rules(a->next_rules, a->n_next);
		sinks_close(a->next_sinks);
	} else {
		for (i = 0; i < a->n_next; i++)
			for (j = 0; j < a->n_rules; j++)
				if (!strcmp(a->next_rules[i].text, a->rules[j].text)) {
					a->next_rules[i].map = a->rules[j].map;
					memset(&a->rules[j].map, 0, sizeof(a->rules[j].map));
					break;
				}
		free_rules(a->rules, a->n_rules);
		sinks_close(a->sinks);
		a->rules = a->next_rules;
		a->n_rules = a->n_next;
		a->sinks = a->next_sinks;
		a->mode = a->next_mode;
		a->wants_flows = counts_flows(a->rules, a->n_rules);
		a->sink_failures_seen = 0;
	}
	a->next_rules = NULL;
	a->n_next = 0;
	a->next_sinks = NULL;
	return 0;
}

int alert_open(struct alerter **out, const struct policy *p, struct enforce *e,
	       const struct flowtable *flows, struct store *s, FILE *err)
{
	struct alerter *a = calloc(1, sizeof(*a));
	int rc;

	if (!a)
		return -ENOMEM;
	a->e = e;
	a->flows = flows;
	a->s = s;
	a->err = err;
	a->mode = p->mode;
	rc = make_rules(p, &a->rules, &a->n_rules);
	if (!rc)
		rc = sinks_open(&a->sinks, p->sinks, p->n_sinks, err);
	if (rc) {
		free_rules(a->rules, a->n_rules);
		free(a);
		return rc;
	}
	a->wants_flows = counts_flows(a->rules, a->n_rules);
	if (e)
		enforce_on_reload(e, alert_reload, a);
	*out = a;
	return 0;
}

size_t alert_rule_count(const struct alerter *a)
{
	return a ? a->n_rules : 0;
}

size_t alert_recent(const struct alerter *a, struct store_alert *out, size_t n)
{
	size_t i;

	if (!a)
		return 0;
	for (i = 0; i < n && i < a->n_recent; i++)
		out[i] = a->recent[(a->recent_head + RECENT_MAX - 1 - i) % RECENT_MAX].a;
	return i;
}

void alert_close(struct alerter *a)
{
	if (!a)
		return;
	free_rules(a->rules, a->n_rules);
	free_rules(a->next_rules, a->n_next);
	sinks_close(a->sinks);
	sinks_close(a->next_sinks);
	free(a->deltas);
	free(a);
}
