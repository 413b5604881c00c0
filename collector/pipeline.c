// SPDX-License-Identifier: BSD-2-Clause
/* An import's second thread reading the ring buffers (pipeline.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "pipeline.h"

#define PIPELINE_RINGS 2

struct pipeline {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct ringread *rings[PIPELINE_RINGS];
	int n_rings;
	ringread_fn fn;
	void *ctx;
	/* Under lock: the positions handed, and whether they are still to be
	 * read (work) or the thread is to end (quit). */
	uint64_t until[PIPELINE_RINGS];
	bool work, quit;
	/* The notes made since the last pipeline_wait() (the thread's while
	 * work is set), and those it returned. */
	struct notes {
		struct pipeline_note *v;
		size_t n, cap;
	} live, taken;
};

static void *pipeline_main(void *arg)
{
	struct pipeline *p = arg;
	uint64_t until[PIPELINE_RINGS];
	int i;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->work && !p->quit)
			pthread_cond_wait(&p->cond, &p->lock);
		if (!p->work)
			break;
		memcpy(until, p->until, sizeof(until));
		pthread_mutex_unlock(&p->lock);
		/* A record fn fails stays in its ring, for the next reading,
		 * as with libbpf's ring_buffer__consume(). */
		for (i = 0; i < p->n_rings; i++)
			ringread_consume(p->rings[i], until[i], p->fn, p->ctx);
		pthread_mutex_lock(&p->lock);
		p->work = false;
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
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
	int i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->n_rings; i++)
		p->until[i] = ringread_producer(p->rings[i]);
	p->work = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

size_t pipeline_wait(struct pipeline *p, const struct pipeline_note **notes)
{
	struct notes spare;

	pthread_mutex_lock(&p->lock);
	while (p->work)
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
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
	pthread_mutex_lock(&p->lock);
	while (p->work)
		pthread_cond_wait(&p->cond, &p->lock);
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
