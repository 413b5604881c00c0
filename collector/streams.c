// SPDX-License-Identifier: BSD-2-Clause
/* Per-flow inspection state: the payload copies of one flow direction put back in order and
 * handed to the pure inspectors until they need nothing more (streams.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "hugemem.h"
#include "streams.h"

#define IPPROTO_TCP_NUM 6
#define IPPROTO_UDP_NUM 17
/* Copies of a stream read without anything recognised before it is given
 * up: a protocol whose client speaks second shows itself in the answer,
 * and one behind a SOCKS handshake (greeting, request) in the third. */
#define STREAMS_TRIES 4
/* Bytes of a first copy too few to tell anything by: kept for the next. */
#define STREAMS_PREFIX_MIN 8
/* Copies of a mail or file-transfer dialogue read for its STARTTLS before
 * its cleartext finding is made. */
#define STREAMS_MAIL_PATIENCE 6
/* Datagrams read for the rest of a QUIC or DTLS ClientHello. */
#define STREAMS_PIECES_PATIENCE 6
/* Pieces of a message kept apart (QUIC CRYPTO frames, DTLS fragments)
 * before more are refused. */
#define STREAMS_RANGES_MAX 16
/* A TCP stream's start is kept in a buffer of this many bytes first,
 * doubled as it needs, up to STREAMS_START_MAX: most starts are one copy
 * of a few hundred bytes, and a buffer of the largest for each (tens of
 * thousands at once) cost more in malloc() and page faults than the
 * inspectors' reading. */
#define STREAMS_BUF_MIN 1024
/* Buffer sizes: STREAMS_BUF_MIN doubled up to STREAMS_START_MAX, a pool each
 * (hugemem.h): a malloc() of each and its page faults were a third of the
 * inspection's cost in an import. */
#define STREAMS_BUF_CLASSES 6
_Static_assert(STREAMS_START_MAX > (STREAMS_BUF_MIN << (STREAMS_BUF_CLASSES - 2)) &&
		       STREAMS_START_MAX <= (STREAMS_BUF_MIN << (STREAMS_BUF_CLASSES - 1)),
	       "the last buffer class is STREAMS_START_MAX");
/* Buckets at first; four times as many whenever there are more streams than
 * buckets, up to max's: expiry walks every bucket at every flush, and an
 * import of many small captures flushes about once per capture. */
#define STREAMS_BUCKETS_MIN 4096
/* Messages read from one copy (pipelined HTTP requests). */
#define STREAMS_MESSAGES_MAX 64
/* The longest body skipped: beyond, the sequence space's half, which
 * tells before from after, would not hold it. */
#define STREAMS_SKIP_MAX (1u << 30)
/* A handshake message's header: type and 24-bit length. */
#define HS_HEADER 4
/* TLS content type "handshake" and a major version of 3: a TLS record. */
#define TLS_HANDSHAKE 0x16
#define TLS_MAJOR 0x03
#define HTTP_INFORMATIONAL_MAX 199
#define HTTP_SWITCHING_PROTOCOLS 101

enum stream_mode {
	MODE_NEW = 0, /* nothing read yet */
	MODE_START, /* TCP: the stream's start kept until a message in it is whole */
	MODE_HTTP, /* HTTP/1.x: every message of every copy */
	MODE_MAIL, /* a mail or file-transfer dialogue, followed to its STARTTLS */
	MODE_DNS, /* every DNS message */
	MODE_QUIC, /* QUIC Initial packets' CRYPTO frames put together */
	MODE_DTLS, /* DTLS handshake fragments put together */
	MODE_DONE, /* nothing more to read */
};

struct range {
	uint32_t lo, hi;
};

/* A request waiting for its response's status. */
struct pending {
	uint64_t time_us;
	char method[INSPECT_METHOD_SIZE];
	char host[INSPECT_NAME_SIZE];
	char path[INSPECT_PATH_SIZE];
};

struct stream {
	struct flow_key key;
	struct stream *next; /* in its bucket */
	uint64_t last_us, fin_us; /* fin_us 0: no FIN or RST seen */
	enum stream_mode mode;
	uint8_t tries; /* copies read that nothing was recognised in, or waited through */
	uint8_t next_copy; /* the copy number expected next */
	bool tcp_started, finding_made, stop_told, upgrade;
	uint32_t next_seq; /* TCP: the sequence number after the bytes read */
	/* HTTP: a body runs on to skip_seq, where the next message starts. */
	bool skipping;
	/* HTTP: the connection switched protocols (101): no HTTP/1 follows. */
	bool switched;
	uint32_t skip_seq;
	uint8_t *buf; /* while they are needed, cap bytes (MODE_START) or STREAMS_START_MAX */
	size_t len; /* MODE_START: bytes in buf */
	size_t cap; /* MODE_START: bytes buf has room for */
	struct range ranges[STREAMS_RANGES_MAX]; /* MODE_QUIC, MODE_DTLS: buf's pieces */
	int n_ranges;
	uint32_t quic_version;
	struct inspect_result *held; /* a finding held back until STARTTLS shows or not */
	uint64_t held_us;
	/* Oldest first; room for cap_pending, grown as pipelining needs it
	 * up to STREAMS_PENDING_MAX: a keep-alive client waits for one. */
	struct pending *pending;
	uint8_t n_pending, cap_pending;
};

struct streams {
	struct streams_sink sink;
	struct stream **buckets; /* n_buckets, from hugemem_alloc() */
	size_t n_buckets, max_buckets, count, max;
	/* Streams and their buffers, by size: tens of thousands live at once
	 * in an import. */
	struct hugemem_pool stream_pool, buf_pools[STREAMS_BUF_CLASSES];
	struct streams_counts counts;
	int err; /* the first error a sink callback returned in this call */
};

/* The buffer size of class c: STREAMS_BUF_MIN << c, the last STREAMS_START_MAX. */
static size_t buf_size(int c)
{
	return c == STREAMS_BUF_CLASSES - 1 ? STREAMS_START_MAX : (size_t)STREAMS_BUF_MIN << c;
}

/* The class of a buffer of size bytes, one start_append() makes. */
static int buf_class(size_t size)
{
	int c = 0;

	while (c < STREAMS_BUF_CLASSES - 1 && buf_size(c) < size)
		c++;
	return c;
}

static uint64_t key_hash(const struct flow_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static struct stream **bucket_of(struct streams *s, const struct flow_key *k)
{
	return &s->buckets[key_hash(k) & (s->n_buckets - 1)];
}

static struct stream *lookup(struct streams *s, const struct flow_key *k)
{
	struct stream *st;

	for (st = *bucket_of(s, k); st; st = st->next)
		if (!memcmp(&st->key, k, sizeof(*k)))
			return st;
	return NULL;
}

int streams_new(struct streams **out, uint32_t max_streams, const struct streams_sink *sink)
{
	struct streams *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->sink = *sink;
	s->max = max_streams ? max_streams : 1;
	/* At most a power of two at least max: chains stay short. */
	for (s->max_buckets = 1; s->max_buckets < s->max; s->max_buckets <<= 1)
		;
	s->n_buckets = s->max_buckets < STREAMS_BUCKETS_MIN ? s->max_buckets : STREAMS_BUCKETS_MIN;
	s->buckets = hugemem_alloc(s->n_buckets * sizeof(*s->buckets));
	if (!s->buckets) {
		free(s);
		return -ENOMEM;
	}
	hugemem_pool_init(&s->stream_pool, sizeof(struct stream));
	for (int c = 0; c < STREAMS_BUF_CLASSES; c++)
		hugemem_pool_init(&s->buf_pools[c], buf_size(c));
	*out = s;
	return 0;
}

static void note_err(struct streams *s, int err)
{
	if (err && !s->err)
		s->err = err;
}

/* The stream's finding, once. */
static void finding(struct streams *s, struct stream *st, uint64_t time_us,
		    const struct inspect_result *r)
{
	if (st->finding_made || r->proto == INSPECT_NONE)
		return;
	st->finding_made = true;
	note_err(s, s->sink.finding(s->sink.arg, &st->key, time_us, r,
				    r->tls.ja4[0] ? r->tls.ja4 : NULL));
}

/* Frees st's buffer into its size's pool. */
static void buf_free(struct streams *s, struct stream *st)
{
	if (st->buf)
		hugemem_pool_put(&s->buf_pools[buf_class(st->cap)], st->buf);
	st->buf = NULL;
	st->len = 0;
	st->cap = 0;
}

/* Frees what a finished stream no longer needs: it stays only to ignore
 * the copies still on their way and to name its requests. */
static void finish(struct streams *s, struct stream *st)
{
	st->mode = MODE_DONE;
	buf_free(s, st);
	st->n_ranges = 0;
}

/* Names the oldest waiting request with status and forgets it. */
static void name_oldest(struct streams *s, struct stream *st, int status)
{
	struct pending *q = &st->pending[0];
	struct streams_request req = { .key = &st->key,
				       .time_us = q->time_us,
				       .method = q->method,
				       .host = q->host,
				       .path = q->path,
				       .status = status };

	note_err(s, s->sink.request(s->sink.arg, &req));
	st->n_pending--;
	memmove(&st->pending[0], &st->pending[1], st->n_pending * sizeof(*st->pending));
}

/* A request waits for its response; the oldest goes unanswered when too
 * many wait. */
static void request_wait(struct streams *s, struct stream *st, uint64_t time_us,
			 const struct inspect_http *h)
{
	struct pending *q;

	if (st->n_pending == STREAMS_PENDING_MAX)
		name_oldest(s, st, -1);
	if (st->n_pending == st->cap_pending) {
		uint8_t cap = st->cap_pending ? (uint8_t)(2 * st->cap_pending) : 1;

		q = realloc(st->pending, cap * sizeof(*q));
		if (!q) {
			struct streams_request req = { .key = &st->key,
						       .time_us = time_us,
						       .method = h->method,
						       .host = h->host,
						       .path = h->path,
						       .status = -1 };

			note_err(s, s->sink.request(s->sink.arg, &req));
			return;
		}
		st->pending = q;
		st->cap_pending = cap;
	}
	q = &st->pending[st->n_pending];
	q->time_us = time_us;
	memcpy(q->method, h->method, sizeof(q->method));
	memcpy(q->host, h->host, sizeof(q->host));
	memcpy(q->path, h->path, sizeof(q->path));
	st->n_pending++;
}

/* The stream of the other direction of st's connection, as the same
 * interface sees it either way (in and out when egress is watched). */
static struct stream *reverse_of(struct streams *s, const struct stream *st)
{
	struct flow_key k = st->key;
	struct stream *r;

	memcpy(k.src_addr, st->key.dst_addr, sizeof(k.src_addr));
	memcpy(k.dst_addr, st->key.src_addr, sizeof(k.dst_addr));
	k.src_port = st->key.dst_port;
	k.dst_port = st->key.src_port;
	r = lookup(s, &k);
	if (r)
		return r;
	k.direction = st->key.direction == FLOW_DIR_IN ? FLOW_DIR_OUT : FLOW_DIR_IN;
	return lookup(s, &k);
}

/* A response: its status goes to the oldest request of the other
 * direction still waiting (an informational one answers none). */
static void response_seen(struct streams *s, struct stream *st, const struct inspect_http *h)
{
	struct stream *client = reverse_of(s, st);

	/* An upgrade (h2c, WebSocket) answers its request; both directions
	 * then speak another protocol. */
	if (h->status == HTTP_SWITCHING_PROTOCOLS) {
		st->switched = true;
		if (client) {
			client->switched = true;
			if (client->n_pending)
				name_oldest(s, client, h->status);
		}
		return;
	}
	if (h->status && h->status <= HTTP_INFORMATIONAL_MAX)
		return;
	if (client && client->n_pending)
		name_oldest(s, client, h->status ? h->status : -1);
}

/* Appends to the stream's start, its buffer grown to fit; returns false
 * when it is full (STREAMS_START_MAX) or cannot grow. */
static bool start_append(struct streams *s, struct stream *st, const uint8_t *data, size_t n)
{
	size_t room, want = st->cap ? st->cap : STREAMS_BUF_MIN;
	uint8_t *grown;

	while (want < st->len + n && want < STREAMS_START_MAX)
		want *= 2;
	if (want > STREAMS_START_MAX)
		want = STREAMS_START_MAX;
	if (want > st->cap) {
		grown = hugemem_pool_get(&s->buf_pools[buf_class(want)]);
		if (!grown)
			return false;
		if (st->buf) {
			memcpy(grown, st->buf, st->len);
			hugemem_pool_put(&s->buf_pools[buf_class(st->cap)], st->buf);
		}
		st->buf = grown;
		st->cap = want;
	}
	room = STREAMS_START_MAX - st->len;
	if (n > room)
		n = room;
	memcpy(st->buf + st->len, data, n);
	st->len += n;
	return st->len < STREAMS_START_MAX;
}

/* Whether buf holds the end of a message head: an empty line. */
static bool head_ended(const uint8_t *buf, size_t len)
{
	return memmem(buf, len, "\r\n\r\n", 4) || memmem(buf, len, "\n\n", 2);
}

/* Whether buf may be the start of a request line cut inside its method:
 * too little for the inspector to tell, worth waiting for the rest. */
static bool method_start(const uint8_t *buf, size_t len)
{
	size_t i;

	if (len >= INSPECT_METHOD_SIZE)
		return false;
	for (i = 0; i < len; i++)
		if ((buf[i] < 'A' || buf[i] > 'Z') && buf[i] != '-' &&
		    !(buf[i] == ' ' && i == len - 1))
			return false;
	return true;
}

/*
 * Reads every HTTP/1.x message of buf (a copy, or what waited for one).
 * When can_wait (more of the stream may come in order, buf ending where
 * the stream is, at st->next_seq), a last message whose head is not whole
 * is left for the next copy to complete, and one whose body runs on past
 * buf has the rest of it skipped (st->skip_seq). Returns the bytes read:
 * where such a message starts, else len.
 */
static size_t http_read(struct streams *s, struct stream *st, uint64_t time_us,
			const uint8_t *buf, size_t len, bool can_wait)
{
	struct inspect_result r;
	size_t off = 0, next, i;

	for (i = 0; i < STREAMS_MESSAGES_MAX && off < len; i++) {
		if (!inspect_http_next(buf + off, len - off, &r, &next))
			return can_wait && method_start(buf + off, len - off) ? off : len;
		if (can_wait && !head_ended(buf + off, len - off))
			return off;
		finding(s, st, time_us, &r);
		note_err(s, s->sink.message(s->sink.arg, &st->key, time_us, &r));
		if (r.http.response)
			response_seen(s, st, &r.http);
		else
			request_wait(s, st, time_us, &r.http);
		if (can_wait && !next && r.http.message_length > len - off &&
		    r.http.message_length - (len - off) < STREAMS_SKIP_MAX) {
			st->skipping = true;
			st->skip_seq = st->next_seq - (uint32_t)(len - off) +
				       (uint32_t)r.http.message_length;
		}
		if (!next || next > len - off)
			return len;
		off += next;
	}
	return len;
}

/* Keeps what http_read() left of buf (from used on) for the next copy;
 * buf may be st->buf itself. */
static void http_keep(struct streams *s, struct stream *st, const uint8_t *buf, size_t len,
		      size_t used)
{
	if (buf == st->buf) {
		memmove(st->buf, st->buf + used, len - used);
		st->len = len - used;
	} else {
		st->len = 0;
		if (used < len)
			start_append(s, st, buf + used, len - used);
	}
	if (!st->len)
		buf_free(s, st);
}

/* An HTTP/1.x copy: read with what waited for it. hole: bytes between
 * were lost, so what waited is read as it is. */
static void http_copy(struct streams *s, struct stream *st, uint64_t time_us, const uint8_t *data,
		      size_t n, bool whole, bool hole)
{
	size_t used;

	if (st->len && hole)
		http_keep(s, st, st->buf, st->len, http_read(s, st, time_us, st->buf, st->len, false));
	if (!st->len) {
		http_keep(s, st, data, n, http_read(s, st, time_us, data, n, whole));
		return;
	}
	whole = start_append(s, st, data, n) && whole;
	used = http_read(s, st, time_us, st->buf, st->len, whole);
	http_keep(s, st, st->buf, st->len, used);
}

/* Makes the finding held back, if any. */
static void release_held(struct streams *s, struct stream *st)
{
	if (!st->held)
		return;
	finding(s, st, st->held_us, st->held);
	free(st->held);
	st->held = NULL;
}

/* Whether buf starts a TLS handshake record. */
static bool tls_record_start(const uint8_t *buf, size_t len)
{
	return len >= 2 && buf[0] == TLS_HANDSHAKE && buf[1] == TLS_MAJOR;
}

/*
 * Reads the TCP stream's start kept in st->buf; final: no more of it can
 * come (the run ended, the budget is spent, or buf is full). Sets the mode
 * from what is there.
 */
static void start_read(struct streams *s, struct stream *st, uint64_t time_us, bool final)
{
	struct inspect_result r;
	struct inspect_proxy px;
	const uint8_t *buf = st->buf;
	size_t len = st->len;
	int proxy = inspect_proxy(buf, len, &px);

	/* A PROXY protocol header says who the client was, not what it says. */
	if (proxy < 0 && !final)
		return;
	if (proxy > 0) {
		buf += proxy;
		len -= (size_t)proxy;
		if (!len) {
			if (final)
				finish(s, st);
			return;
		}
	}
	inspect_payload(buf, len, IPPROTO_TCP_NUM, st->key.src_port, st->key.dst_port, &r);
	switch (r.proto) {
	case INSPECT_TLS:
		if (!r.tls.complete && !final)
			return;
		/* After STARTTLS the hello names the connection. */
		free(st->held);
		st->held = NULL;
		finding(s, st, time_us, &r);
		finish(s, st);
		return;
	case INSPECT_HTTP:
		/* A head cut short waits for the rest of it. */
		if (!final && !head_ended(buf, len))
			return;
		st->mode = MODE_HTTP;
		http_keep(s, st, st->buf, st->len,
			  (size_t)(buf - st->buf) + http_read(s, st, time_us, buf, len, !final));
		return;
	case INSPECT_SMTP:
	case INSPECT_IMAP:
	case INSPECT_POP3:
	case INSPECT_FTP:
		if (!st->held) {
			st->held = malloc(sizeof(*st->held));
			if (st->held) {
				*st->held = r;
				st->held_us = time_us;
			}
		}
		st->upgrade = st->upgrade || r.mail.starttls;
		st->mode = MODE_MAIL;
		st->tries = 0;
		st->len = 0;
		return;
	case INSPECT_NONE:
		if (final || ++st->tries >= STREAMS_TRIES) {
			finish(s, st);
			return;
		}
		/* A message cut too short to be told may be recognised once the
		 * next copy completes it; else the next copy is read alone (a
		 * handshake of another protocol came first). */
		if (len >= STREAMS_PREFIX_MIN && !method_start(buf, len) &&
		    !tls_record_start(buf, len))
			buf_free(s, st); /* back to its pool, warm, for the next */
		return;
	default:
		finding(s, st, time_us, &r);
		finish(s, st);
		return;
	}
}

/* A copy of a mail or file-transfer dialogue: a TLS record after STARTTLS
 * starts the stream anew; else the dialogue goes on until its patience is
 * spent. Returns true when buf is to be read as the stream's start. */
static bool mail_read(struct streams *s, struct stream *st, const uint8_t *buf, size_t len,
		      bool last)
{
	struct inspect_result r;

	if (tls_record_start(buf, len))
		return true;
	inspect_payload(buf, len, IPPROTO_TCP_NUM, st->key.src_port, st->key.dst_port, &r);
	st->upgrade = st->upgrade || r.mail.starttls;
	/* After a STARTTLS request the hello is waited for to the end. */
	if (last || (++st->tries >= STREAMS_MAIL_PATIENCE && !st->upgrade)) {
		release_held(s, st);
		finish(s, st);
	}
	return false;
}

/* A TCP copy, put in sequence order first. */
static void tcp_copy(struct streams *s, struct stream *st, const struct payload_event *p,
		     uint64_t time_us)
{
	const uint8_t *data = p->data;
	size_t n = p->len, fresh = p->payload_len;
	bool hole = false, room;
	int32_t ahead;

	if (!st->tcp_started) {
		st->tcp_started = true;
		st->next_seq = p->tcp_seq;
		hole = p->seq != 0; /* the stream's first copy was lost */
	} else if (p->seq != st->next_copy) {
		hole = true; /* a copy between was lost (the ring buffer was full) */
	}
	st->next_copy = (uint8_t)(p->seq + 1);
	ahead = (int32_t)(p->tcp_seq - st->next_seq);
	if (ahead < 0) {
		uint32_t old = (uint32_t)-ahead;

		if (old >= p->payload_len)
			return; /* a retransmission of what was read */
		fresh -= old;
		if (old >= n) {
			hole = true; /* the copy ends before the new bytes */
			n = 0;
		} else {
			data += old;
			n -= old;
		}
	} else if (ahead > 0) {
		hole = true; /* a segment is missing, or comes later */
	}
	st->next_seq += (uint32_t)(ahead > 0 ? ahead : 0) + (uint32_t)fresh;
	if (hole)
		s->counts.holes++;

	switch (st->mode) {
	case MODE_NEW:
		st->mode = MODE_START;
		/* fall through */
	case MODE_START:
		if (hole && st->len) {
			start_read(s, st, time_us, true);
			/* HTTP starts again at any message. */
			if (st->mode == MODE_HTTP)
				http_copy(s, st, time_us, data, n, n == fresh && !p->last, false);
			if (st->mode != MODE_START)
				break;
		}
		if (!n)
			break;
		room = start_append(s, st, data, n);
		start_read(s, st, time_us, !room || n < fresh || p->last);
		break;
	case MODE_HTTP:
		http_copy(s, st, time_us, data, n, n == fresh && !p->last, hole);
		break;
	case MODE_MAIL:
		if (mail_read(s, st, data, n, p->last)) {
			st->mode = MODE_START;
			st->tries = 0;
			room = start_append(s, st, data, n);
			start_read(s, st, time_us, !room || n < fresh || p->last);
		}
		break;
	default:
		break;
	}
	if (st->switched && st->mode != MODE_DONE)
		finish(s, st);
	/* A body's copies are spared from here on, and any already on their
	 * way are as if read. */
	if (st->skipping) {
		st->skipping = false;
		if ((int32_t)(st->skip_seq - st->next_seq) > 0) {
			st->next_seq = st->skip_seq;
			if (s->sink.skip && !p->last)
				note_err(s, s->sink.skip(s->sink.arg, &st->key, st->skip_seq));
		}
	}
	if (p->last && st->mode != MODE_DONE) {
		release_held(s, st);
		finish(s, st);
	}
}

/* Adds a piece of a handshake message at off of st->buf (pieces_read()'s
 * callback): what lies beyond STREAMS_START_MAX, or would need more ranges
 * than there are, is dropped. */
struct piece_ctx {
	struct stream *st;
	size_t base; /* where the message's offset 0 lies in buf */
};

static void piece_add(void *arg, uint64_t offset, const uint8_t *data, size_t n)
{
	struct piece_ctx *pc = arg;
	struct stream *st = pc->st;
	uint64_t lo = pc->base + offset, hi;
	int i, j;

	if (!st->buf || lo >= STREAMS_START_MAX || !n)
		return;
	hi = lo + n < STREAMS_START_MAX ? lo + n : STREAMS_START_MAX;
	memcpy(st->buf + lo, data, hi - lo);
	/* Merge [lo, hi) into the sorted, disjoint ranges. */
	for (i = 0; i < st->n_ranges && st->ranges[i].hi < lo; i++)
		;
	j = i;
	while (j < st->n_ranges && st->ranges[j].lo <= hi) {
		if (st->ranges[j].lo < lo)
			lo = st->ranges[j].lo;
		if (st->ranges[j].hi > hi)
			hi = st->ranges[j].hi;
		j++;
	}
	if (i == j && st->n_ranges == STREAMS_RANGES_MAX)
		return;
	memmove(&st->ranges[i + 1], &st->ranges[j], (size_t)(st->n_ranges - j) * sizeof(struct range));
	st->ranges[i].lo = (uint32_t)lo;
	st->ranges[i].hi = (uint32_t)hi;
	st->n_ranges += 1 - (j - i);
}

/* The bytes of st->buf that are there from its start on. */
static size_t pieces_whole(const struct stream *st)
{
	return st->n_ranges && !st->ranges[0].lo ? st->ranges[0].hi : 0;
}

/*
 * Reads the ClientHello put together in st->buf once it is whole, or with
 * what there is when final, as the finding of proto (QUIC or DTLS: its
 * name is the hello's). Returns true when the stream is finished.
 */
static bool hello_read(struct streams *s, struct stream *st, uint64_t time_us, bool final,
		       enum inspect_proto proto, enum inspect_tls_carrier carrier,
		       const struct inspect_result *outer)
{
	size_t whole = pieces_whole(st), need;
	struct inspect_result r;

	if (whole < HS_HEADER && !final)
		return false;
	need = whole >= HS_HEADER ?
		       HS_HEADER + ((size_t)st->buf[1] << 16 | (size_t)st->buf[2] << 8 | st->buf[3]) :
		       0;
	if (need > STREAMS_START_MAX)
		need = STREAMS_START_MAX;
	if (whole < need && !final)
		return false;
	if (!whole || !inspect_tls_hello(st->buf, whole < need ? whole : need, carrier, &r)) {
		finding(s, st, time_us, outer);
		finish(s, st);
		return true;
	}
	r.proto = proto;
	r.encrypted = 1;
	if (proto == INSPECT_QUIC)
		r.quic = outer->quic;
	finding(s, st, time_us, &r);
	finish(s, st);
	return true;
}

/* Starts putting a QUIC or DTLS ClientHello together: r, the datagram's
 * own finding, is held back for when it cannot be. Returns false when
 * there is no memory for it. */
static bool pieces_begin(struct streams *s, struct stream *st, const struct inspect_result *r,
			 uint64_t time_us)
{
	buf_free(s, st);
	st->buf = hugemem_pool_get(&s->buf_pools[buf_class(STREAMS_START_MAX)]);
	st->cap = STREAMS_START_MAX;
	st->held = malloc(sizeof(*st->held));
	if (!st->buf || !st->held) {
		buf_free(s, st);
		free(st->held);
		st->held = NULL;
		return false;
	}
	*st->held = *r;
	st->held_us = time_us;
	st->mode = r->proto == INSPECT_QUIC ? MODE_QUIC : MODE_DTLS;
	return true;
}

/* Adds the ClientHello pieces of one datagram: the CRYPTO frames of its
 * client Initial packets, or its DTLS ClientHello fragments (after the TLS
 * framing the hello is read in). */
static void pieces_add(struct streams *s, struct stream *st, const uint8_t *dgram, size_t len)
{
	struct piece_ctx pc = { .st = st, .base = 0 };
	uint8_t type, hdr[HS_HEADER];
	uint32_t msg_len;
	int n;

	if (st->mode == MODE_QUIC) {
		n = inspect_quic_initial(dgram, len, piece_add, &pc);
		s->counts.quic_decrypted += n > 0 ? (uint64_t)n : 0;
		return;
	}
	pc.base = HS_HEADER;
	if (inspect_dtls_fragments(dgram, len, &type, &msg_len, piece_add, &pc) <= 0 ||
	    type != INSPECT_TLS_CLIENT_HELLO || msg_len >= 1u << 24)
		return;
	hdr[0] = type;
	hdr[1] = (uint8_t)(msg_len >> 16);
	hdr[2] = (uint8_t)(msg_len >> 8);
	hdr[3] = (uint8_t)msg_len;
	pc.base = 0;
	piece_add(&pc, 0, hdr, sizeof(hdr));
}

/* A UDP copy: one datagram. */
static void udp_copy(struct streams *s, struct stream *st, const struct payload_event *p,
		     uint64_t time_us)
{
	struct inspect_result r;
	bool final;

	inspect_payload(p->data, p->len, IPPROTO_UDP_NUM, st->key.src_port, st->key.dst_port, &r);
	switch (st->mode) {
	case MODE_NEW:
		if (r.proto == INSPECT_DNS) {
			st->mode = MODE_DNS;
			finding(s, st, time_us, &r);
			note_err(s, s->sink.message(s->sink.arg, &st->key, time_us, &r));
			break;
		}
		if (r.proto != INSPECT_QUIC && r.proto != INSPECT_DTLS) {
			if (r.proto != INSPECT_NONE) {
				finding(s, st, time_us, &r);
				finish(s, st);
			} else if (++st->tries >= STREAMS_TRIES) {
				finish(s, st);
			}
			break;
		}
		if (!pieces_begin(s, st, &r, time_us)) {
			finding(s, st, time_us, &r);
			finish(s, st);
			break;
		}
		/* fall through */
	case MODE_QUIC:
	case MODE_DTLS:
		pieces_add(s, st, p->data, p->len);
		/* A datagram with no piece (a server's, an unknown version's)
		 * says there will be none. */
		final = p->last || !st->n_ranges || ++st->tries >= STREAMS_PIECES_PATIENCE;
		if (hello_read(s, st, time_us, final, st->held->proto,
			       st->mode == MODE_QUIC ? INSPECT_TLS_QUIC : INSPECT_TLS_DTLS, st->held)) {
			free(st->held);
			st->held = NULL;
		}
		break;
	case MODE_DNS:
		if (r.proto == INSPECT_DNS)
			note_err(s, s->sink.message(s->sink.arg, &st->key, time_us, &r));
		break;
	default:
		break;
	}
	if (p->last && st->mode != MODE_DONE) {
		release_held(s, st);
		finish(s, st);
	}
}

/* Makes the buckets four times as many (at most max_buckets), once there
 * are more streams than buckets. Without memory the chains grow longer. */
static void buckets_grow(struct streams *s)
{
	size_t n = s->n_buckets * 4 < s->max_buckets ? s->n_buckets * 4 : s->max_buckets, i;
	struct stream **grown, *st, *next;

	if (s->count < s->n_buckets || n == s->n_buckets)
		return;
	grown = hugemem_alloc(n * sizeof(*grown));
	if (!grown)
		return;
	for (i = 0; i < s->n_buckets; i++)
		for (st = s->buckets[i]; st; st = next) {
			struct stream **b = &grown[key_hash(&st->key) & (n - 1)];

			next = st->next;
			st->next = *b;
			*b = st;
		}
	hugemem_free(s->buckets, s->n_buckets * sizeof(*s->buckets));
	s->buckets = grown;
	s->n_buckets = n;
}

int streams_payload(struct streams *s, const void *event, size_t len, uint64_t time_us)
{
	const struct payload_event *p = event;
	struct stream *st;
	struct stream **b;

	if (len < sizeof(*p) || p->len > len - sizeof(*p))
		return 0;
	if (p->head.key.proto != IPPROTO_TCP_NUM && p->head.key.proto != IPPROTO_UDP_NUM)
		return 0;
	st = lookup(s, &p->head.key);
	if (!st) {
		if (s->count == s->max) {
			/* Nothing can be kept of this flow: its copies only
			 * cost. */
			s->counts.full++;
			return 1;
		}
		st = hugemem_pool_get(&s->stream_pool);
		if (!st)
			return -ENOMEM;
		memset(st, 0, sizeof(*st));
		st->key = p->head.key;
		b = bucket_of(s, &st->key);
		st->next = *b;
		*b = st;
		s->count++;
		s->counts.streams++;
		buckets_grow(s);
	}
	st->last_us = time_us;
	if (st->mode == MODE_DONE)
		goto done;
	s->err = 0;
	if (p->head.key.proto == IPPROTO_TCP_NUM)
		tcp_copy(s, st, p, time_us);
	else
		udp_copy(s, st, p, time_us);
	if (s->err)
		return s->err;
done:
	if (st->mode != MODE_DONE || st->stop_told || p->last)
		return 0;
	st->stop_told = true;
	return 1;
}

void streams_fin(struct streams *s, const struct flow_key *key, uint64_t time_us)
{
	struct stream *st = lookup(s, key);

	if (st && !st->fin_us)
		st->fin_us = time_us ? time_us : 1;
}

/* Frees st and what it holds, handing nothing over. */
static void stream_free(struct streams *s, struct stream *st)
{
	free(st->pending);
	free(st->held);
	buf_free(s, st);
	hugemem_pool_put(&s->stream_pool, st);
}

/* Ends st: what it held back is handed over, and it is freed. */
static void stream_end(struct streams *s, struct stream *st)
{
	/* A message still waiting for its rest is read as it is, cut. */
	if (st->mode == MODE_START && st->len)
		start_read(s, st, st->last_us, true);
	if (st->mode == MODE_HTTP && st->len)
		http_read(s, st, st->last_us, st->buf, st->len, false);
	if ((st->mode == MODE_QUIC || st->mode == MODE_DTLS) && st->held &&
	    hello_read(s, st, st->last_us, true, st->held->proto,
		       st->mode == MODE_QUIC ? INSPECT_TLS_QUIC : INSPECT_TLS_DTLS, st->held)) {
		free(st->held);
		st->held = NULL;
	}
	release_held(s, st);
	while (st->n_pending)
		name_oldest(s, st, -1);
	stream_free(s, st);
	s->count--;
}

/* Ends the streams for which due says so. */
static size_t end_if(struct streams *s, uint64_t now_us, uint64_t idle_us, bool all)
{
	struct stream **pp, *st;
	size_t i, ended = 0, unseen = s->count;

	/* Up to the last stream: an import of a corpus flushes about once per
	 * capture, with few streams among many buckets. */
	for (i = 0; unseen && i < s->n_buckets; i++) {
		pp = &s->buckets[i];
		while ((st = *pp)) {
			unseen--;
			if (all || (st->fin_us && st->fin_us <= now_us) ||
			    st->last_us + idle_us <= now_us) {
				*pp = st->next;
				stream_end(s, st);
				ended++;
			} else {
				pp = &st->next;
			}
		}
	}
	return ended;
}

size_t streams_expire(struct streams *s, uint64_t now_us, uint64_t idle_us)
{
	return end_if(s, now_us, idle_us, false);
}

void streams_end_all(struct streams *s)
{
	end_if(s, 0, 0, true);
}

void streams_free(struct streams *s)
{
	struct stream *st, *next;
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n_buckets; i++)
		for (st = s->buckets[i]; st; st = next) {
			next = st->next;
			stream_free(s, st);
		}
	hugemem_free(s->buckets, s->n_buckets * sizeof(*s->buckets));
	hugemem_pool_destroy(&s->stream_pool);
	for (int c = 0; c < STREAMS_BUF_CLASSES; c++)
		hugemem_pool_destroy(&s->buf_pools[c]);
	free(s);
}

size_t streams_count(const struct streams *s)
{
	return s->count;
}

void streams_counts(const struct streams *s, struct streams_counts *out)
{
	*out = s->counts;
}
