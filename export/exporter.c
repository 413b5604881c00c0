// SPDX-License-Identifier: BSD-2-Clause
/* The IPFIX exporter: the collector's thread encodes finished records into
 * messages and queues them; a worker thread sends each to every destination
 * over UDP, paced, and counts what was sent, refused and dropped. */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "exporter.h"

#define LOG_PREFIX "flowdb-collector: "
/* Messages sent back to back at most before pacing applies: 10 ms worth
 * at the rate, and at most about 45 KiB, a fifth of a receiver's default
 * socket buffer. */
#define PACE_BURST_MAX 32
/* A destination that failed is said to send again only after this long
 * without a failure: a closed port refuses every other datagram (the
 * ICMP error comes back on the send after the one it answers). */
#define QUIET_NS (60 * 1000000000ULL)

struct message {
	size_t len;
	uint32_t records;
	uint8_t data[];
};

struct dest {
	char text[300]; /* the destination as written, for messages */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	int fd;
	bool connected;
	bool failing; /* said so, until QUIET_NS without a failure */
	uint64_t failed_ns; /* the latest failure */
	uint64_t errors; /* since failing was said */
};

struct exporter {
	struct ipfix_encoder enc;
	struct dest dest[EXPORTER_MAX_DESTS];
	int n_dests;
	uint32_t rate;
	bool wait_for_room;
	uint32_t cap;
	/* The queue, a ring of cap messages, and the worker's state: under
	 * lock. wake tells the worker there is work; room tells the
	 * collector's thread a message was taken. */
	pthread_mutex_t lock;
	pthread_cond_t wake, room;
	struct message **ring;
	uint32_t head, n;
	bool busy; /* the worker holds a message it is sending */
	bool stopping;
	bool started;
	pthread_t worker;
	atomic_uint_fast64_t records, send_errors, dropped;
	struct exporter_counts reported; /* at the previous exporter_counts() */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Sends m to d, connecting first when it is not (a destination without a
 * route at start is tried again for each message). Returns 0 or a negative
 * errno: a refusal (ICMP port unreachable) shows as -ECONNREFUSED on the
 * message after it. */
static int send_to(struct dest *d, const struct message *m)
{
	if (!d->connected) {
		if (connect(d->fd, (const struct sockaddr *)&d->addr, d->addr_len))
			return -errno;
		d->connected = true;
	}
	if (send(d->fd, m->data, m->len, 0) < 0)
		return -errno;
	return 0;
}

/* Sends m to every destination and counts it; a destination that starts
 * or stops failing says so in one line. */
static void send_all(struct exporter *x, const struct message *m)
{
	int i, err;

	for (i = 0; i < x->n_dests; i++) {
		struct dest *d = &x->dest[i];

		err = send_to(d, m);
		if (err) {
			atomic_fetch_add(&x->send_errors, 1);
			if (!d->failing)
				fprintf(stderr,
					LOG_PREFIX "--ipfix %s: cannot send: %s; counting send "
						   "errors in collector_stats.ipfix_send_errors\n",
					d->text, strerror(-err));
			d->failing = true;
			d->failed_ns = mono_ns();
			d->errors++;
			continue;
		}
		atomic_fetch_add(&x->records, m->records);
		if (d->failing && mono_ns() - d->failed_ns >= QUIET_NS) {
			fprintf(stderr,
				LOG_PREFIX "--ipfix %s: sending again, after %llu send errors\n",
				d->text, (unsigned long long)d->errors);
			d->failing = false;
			d->errors = 0;
		}
	}
}

/* Sleeps until the next message may go: rate per second, a burst of 10 ms
 * worth (PACE_BURST_MAX at most) after a pause. *next_ns is the virtual
 * time of the next send. */
static void pace(const struct exporter *x, uint64_t *next_ns)
{
	uint64_t interval = 1000000000ULL / x->rate, now = mono_ns();
	uint64_t burst = x->rate / 100, floor;
	struct timespec ts;

	if (burst < 1)
		burst = 1;
	else if (burst > PACE_BURST_MAX)
		burst = PACE_BURST_MAX;
	floor = now > burst * interval ? now - burst * interval : 0;
	if (*next_ns < floor)
		*next_ns = floor;
	*next_ns += interval;
	if (*next_ns <= now)
		return;
	ts.tv_sec = (time_t)(*next_ns / 1000000000ULL);
	ts.tv_nsec = (long)(*next_ns % 1000000000ULL);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* The worker: takes the queue's messages in order and sends each to every
 * destination, paced, until stopping. */
static void *worker(void *arg)
{
	struct exporter *x = arg;
	uint64_t next_ns = 0;
	struct message *m;

	pthread_mutex_lock(&x->lock);
	for (;;) {
		while (!x->n && !x->stopping)
			pthread_cond_wait(&x->wake, &x->lock);
		if (x->stopping)
			break;
		m = x->ring[x->head];
		x->head = (x->head + 1) % x->cap;
		x->n--;
		x->busy = true;
		pthread_mutex_unlock(&x->lock);
		if (x->rate)
			pace(x, &next_ns);
		send_all(x, m);
		free(m);
		pthread_mutex_lock(&x->lock);
		x->busy = false;
		pthread_cond_broadcast(&x->room);
	}
	pthread_mutex_unlock(&x->lock);
	return NULL;
}

/* The encoder's emit: a copy of the message to the queue. A full queue
 * drops it (counted), or with wait_for_room waits for the worker. Returns
 * 0, or -ENOMEM (the message is lost, counted as dropped). */
static int enqueue(const uint8_t *msg, size_t len, uint32_t records, void *arg)
{
	struct exporter *x = arg;
	struct message *m = malloc(sizeof(*m) + len);

	if (!m) {
		atomic_fetch_add(&x->dropped, records);
		return -ENOMEM;
	}
	m->len = len;
	m->records = records;
	memcpy(m->data, msg, len);
	pthread_mutex_lock(&x->lock);
	while (x->wait_for_room && x->n == x->cap)
		pthread_cond_wait(&x->room, &x->lock);
	if (x->n == x->cap) {
		pthread_mutex_unlock(&x->lock);
		atomic_fetch_add(&x->dropped, records);
		free(m);
		return 0;
	}
	x->ring[(x->head + x->n) % x->cap] = m;
	x->n++;
	pthread_cond_signal(&x->wake);
	pthread_mutex_unlock(&x->lock);
	return 0;
}

/* Resolves d into x's next destination and opens its socket. Returns 0, or
 * a negative errno after one line on err. */
static int open_dest(struct exporter *x, const struct exporter_dest *d, FILE *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_DGRAM,
				  .ai_protocol = IPPROTO_UDP,
				  .ai_flags = AI_NUMERICSERV };
	struct dest *out = &x->dest[x->n_dests];
	struct addrinfo *ai = NULL;
	char port[8];
	int rc, ret = 0;

	snprintf(out->text, sizeof(out->text), "%s", d->text);
	snprintf(port, sizeof(port), "%u", d->port);
	rc = getaddrinfo(d->host, port, &hints, &ai);
	if (rc) {
		fprintf(err, LOG_PREFIX "--ipfix %s: cannot resolve '%s': %s\n", d->text, d->host,
			rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return rc == EAI_MEMORY ? -ENOMEM : -EHOSTUNREACH;
	}
	memcpy(&out->addr, ai->ai_addr, ai->ai_addrlen);
	out->addr_len = ai->ai_addrlen;
	out->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (out->fd < 0) {
		ret = -errno;
		fprintf(err, LOG_PREFIX "--ipfix %s: cannot open a UDP socket: %s\n", d->text,
			strerror(-ret));
		goto cleanup;
	}
	x->n_dests++;
cleanup:
	freeaddrinfo(ai);
	return ret;
}

/* The message size for o's destinations when none is set: the smallest
 * path MTU's payload among their address families. */
static size_t default_message_size(const struct exporter *x)
{
	int i;

	for (i = 0; i < x->n_dests; i++)
		if (x->dest[i].addr.ss_family == AF_INET6)
			return EXPORTER_MESSAGE_SIZE_V6;
	return EXPORTER_MESSAGE_SIZE_V4;
}

int exporter_open(struct exporter **out, const struct exporter_opts *o, FILE *err)
{
	struct exporter *x = calloc(1, sizeof(*x));
	struct ipfix_opts io = o->ipfix;
	pthread_condattr_t ca;
	sigset_t all, old;
	int i, ret = -ENOMEM;

	if (!x)
		return -ENOMEM;
	x->rate = o->rate;
	x->wait_for_room = o->wait_for_room;
	x->cap = o->queue ? o->queue : 1;
	pthread_mutex_init(&x->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&x->wake, &ca);
	pthread_cond_init(&x->room, &ca);
	pthread_condattr_destroy(&ca);
	for (i = 0; i < o->n_dests && i < EXPORTER_MAX_DESTS; i++) {
		ret = open_dest(x, &o->dest[i], err);
		if (ret)
			goto cleanup;
	}
	if (!io.message_size)
		io.message_size = default_message_size(x);
	ret = ipfix_encoder_init(&x->enc, &io, enqueue, x);
	if (ret) {
		fprintf(err, LOG_PREFIX "cannot set up the IPFIX encoder: %s\n", strerror(-ret));
		goto cleanup;
	}
	ret = -ENOMEM;
	x->ring = calloc(x->cap, sizeof(*x->ring));
	if (!x->ring)
		goto cleanup;
	/* The collector's signals go to its main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&x->worker, NULL, worker, x);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		fprintf(err, LOG_PREFIX "cannot start the IPFIX exporter: %s\n", strerror(-ret));
		goto cleanup;
	}
	x->started = true;
	*out = x;
	return 0;
cleanup:
	exporter_close(x);
	return ret;
}

/* Whole seconds of the wall clock now_us, as the message header holds them. */
static uint32_t export_time(uint64_t now_us)
{
	return (uint32_t)(now_us / 1000000);
}

void exporter_add(struct exporter *x, const struct flow_record *r, uint64_t now_us)
{
	if (x)
		ipfix_add(&x->enc, r, export_time(now_us));
}

void exporter_flush(struct exporter *x, uint64_t now_us, bool final)
{
	struct timespec ts;
	uint64_t until;

	if (!x)
		return;
	ipfix_flush(&x->enc, export_time(now_us));
	if (!final)
		return;
	until = mono_ns() + EXPORTER_DRAIN_US * 1000;
	ts.tv_sec = (time_t)(until / 1000000000ULL);
	ts.tv_nsec = (long)(until % 1000000000ULL);
	pthread_mutex_lock(&x->lock);
	while ((x->n || x->busy) && pthread_cond_timedwait(&x->room, &x->lock, &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&x->lock);
}

void exporter_counts(struct exporter *x, struct exporter_counts *c)
{
	struct exporter_counts now;

	memset(c, 0, sizeof(*c));
	if (!x)
		return;
	now.records = atomic_load(&x->records);
	now.send_errors = atomic_load(&x->send_errors);
	now.dropped = atomic_load(&x->dropped);
	c->records = now.records - x->reported.records;
	c->send_errors = now.send_errors - x->reported.send_errors;
	c->dropped = now.dropped - x->reported.dropped;
	x->reported = now;
}

void exporter_close(struct exporter *x)
{
	int i;

	if (!x)
		return;
	if (x->started) {
		pthread_mutex_lock(&x->lock);
		x->stopping = true;
		pthread_cond_signal(&x->wake);
		pthread_mutex_unlock(&x->lock);
		pthread_join(x->worker, NULL);
	}
	while (x->ring && x->n) {
		free(x->ring[x->head]);
		x->head = (x->head + 1) % x->cap;
		x->n--;
	}
	free(x->ring);
	for (i = 0; i < x->n_dests; i++)
		close(x->dest[i].fd);
	ipfix_encoder_free(&x->enc);
	pthread_cond_destroy(&x->wake);
	pthread_cond_destroy(&x->room);
	pthread_mutex_destroy(&x->lock);
	free(x);
}
