// SPDX-License-Identifier: BSD-2-Clause
/* An import's second thread reading the ring buffers (pipeline.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pipeline.h"

#define PIPELINE_RINGS 2
/* Records of fewer bytes than this (a few events, a few payload copies)
 * are read at once by the caller: waking the thread and waiting for it
 * would cost more. */
#define PIPELINE_HAND_BYTES 8192
/* A waiter spins this long before it sleeps: a batch takes about 100 us,
 * and waking a sleeper costs a system call on each side (2% of an import). */
#define PIPELINE_SPIN_NS 50000

struct pipeline {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct ringread *rings[PIPELINE_RINGS];
	int n_rings;
	ringread_fn fn;
	void *ctx;
	/* The positions handed; work: they are still to be read (set by
	 * the caller, cleared by the thread, with set_work()); sleepers:
	 * threads waiting on cond; quit (under lock): the thread is to end. */
	uint64_t until[PIPELINE_RINGS];
	bool work, quit;
	int sleepers;
	/* The notes made since the last pipeline_wait() (the thread's while
	 * work is set), and those it returned. */
	struct notes {
		struct pipeline_note *v;
		size_t n, cap;
	} live, taken;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Whether work became want within PIPELINE_SPIN_NS. */
static bool spin_until(struct pipeline *p, bool want)
{
	uint64_t end = 0;
	unsigned int i;

	for (i = 0;; i++) {
		if (__atomic_load_n(&p->work, __ATOMIC_SEQ_CST) == want)
			return true;
		if (i % 64)
			continue;
		if (!end)
			end = now_ns() + PIPELINE_SPIN_NS;
		else if (now_ns() >= end)
			return false;
	}
}

/* Waits until work is want, or, waiting for work, until quit is set.
 * Returns false on quit. A waiter counts in sleepers before it looks at
 * work, and set_work() looks at sleepers after it sets work: one of the
 * two sees the other, so no wakeup is lost. */
static bool wait_for(struct pipeline *p, bool want)
{
	bool quit = false;

	if (spin_until(p, want))
		return true;
	pthread_mutex_lock(&p->lock);
	__atomic_add_fetch(&p->sleepers, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&p->work, __ATOMIC_SEQ_CST) != want && !(quit = want && p->quit))
		pthread_cond_wait(&p->cond, &p->lock);
	__atomic_sub_fetch(&p->sleepers, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&p->lock);
	return !quit;
}

static void set_work(struct pipeline *p, bool work)
{
	__atomic_store_n(&p->work, work, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&p->sleepers, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&p->lock);
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
	}
}

static void *pipeline_main(void *arg)
{
	struct pipeline *p = arg;
	int i;

	while (wait_for(p, true)) {
		/* A record fn fails stays in its ring, for the next reading,
		 * as with libbpf's ring_buffer__consume(). */
		for (i = 0; i < p->n_rings; i++)
			ringread_consume(p->rings[i], p->until[i], p->fn, p->ctx);
		set_work(p, false);
	}
	return NULL;
}

int pipeline_start(struct pipeline **out, const int *fds, int n, ringread_fn fn, void *ctx)
{
	struct pipeline *p;
	int i, err = 0;

	*out = NULL;
	if (n < 1 || n > PIPELINE_RINGS)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->fn = fn;
	p->ctx = ctx;
	for (i = 0; !err && i < n; i++) {
		err = ringread_open(&p->rings[i], fds[i]);
		if (!err)
			p->n_rings++;
	}
	if (!err)
		err = -pthread_mutex_init(&p->lock, NULL);
	if (!err && (err = -pthread_cond_init(&p->cond, NULL)))
		pthread_mutex_destroy(&p->lock);
	if (!err && (err = -pthread_create(&p->thread, NULL, pipeline_main, p))) {
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->lock);
	}
	if (err) {
		for (i = 0; i < p->n_rings; i++)
			ringread_close(p->rings[i]);
		free(p);
		return err;
	}
	*out = p;
	return 0;
}

void pipeline_hand(struct pipeline *p)
{
	uint64_t bytes = 0;
	int i;

	for (i = 0; i < p->n_rings; i++) {
		p->until[i] = ringread_producer(p->rings[i]);
		bytes += p->until[i] - ringread_consumer(p->rings[i]);
	}
	if (bytes >= PIPELINE_HAND_BYTES) {
		set_work(p, true);
		return;
	}
	/* The thread is idle (pipeline_wait() came first), and its notes
	 * are taken at the next pipeline_wait() either way. */
	for (i = 0; i < p->n_rings; i++)
		ringread_consume(p->rings[i], p->until[i], p->fn, p->ctx);
}

size_t pipeline_wait(struct pipeline *p, const struct pipeline_note **notes)
{
	struct notes spare;

	wait_for(p, false);
	spare = p->taken;
	p->taken = p->live;
	p->live = spare;
	p->live.n = 0;
	*notes = p->taken.v;
	return p->taken.n;
}

void pipeline_note(struct pipeline *p, const struct pipeline_note *n)
{
	struct notes *q = &p->live;

	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 256;
		struct pipeline_note *grown = realloc(q->v, cap * sizeof(*grown));

		if (!grown)
			return;
		q->v = grown;
		q->cap = cap;
	}
	q->v[q->n++] = *n;
}

void pipeline_stop(struct pipeline *p)
{
	int i;

	if (!p)
		return;
	wait_for(p, false);
	pthread_mutex_lock(&p->lock);
	p->quit = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	for (i = 0; i < p->n_rings; i++)
		ringread_close(p->rings[i]);
	free(p->live.v);
	free(p->taken.v);
	free(p);
}
