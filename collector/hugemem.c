// SPDX-License-Identifier: BSD-2-Clause
/* Huge-page memory and object pools for the collector's tables (hugemem.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "hugemem.h"

/* x86-64's and arm64's (4 KiB base pages) PMD size: a mapping aligned to it
 * can be backed by huge pages. */
#define HUGEMEM_PAGE (2u << 20)
/* A pool's chunk: one huge page. */
#define HUGEMEM_CHUNK HUGEMEM_PAGE

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

void *hugemem_alloc(size_t size)
{
	size_t len = round_up(size, HUGEMEM_PAGE), lead;
	char *map, *aligned;

	if (!size || len < size)
		return NULL;
	/* One huge page more, to cut an aligned range out of it. Not
	 * reserved against swap: a caller may take room for the most it
	 * could ever hold (the store's million rows) and fill a little. */
	map = mmap(NULL, len + HUGEMEM_PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	aligned = (char *)round_up((uintptr_t)map, HUGEMEM_PAGE);
	lead = aligned - map;
	if (lead)
		munmap(map, lead);
	munmap(aligned + len, HUGEMEM_PAGE - lead);
	/* Only a hint: without huge pages (THP "never", another page size) the
	 * memory works all the same. */
	madvise(aligned, len, MADV_HUGEPAGE);
	return aligned;
}

void hugemem_free(void *p, size_t size)
{
	if (p)
		munmap(p, round_up(size, HUGEMEM_PAGE));
}

void hugemem_pool_init(struct hugemem_pool *pool, size_t obj_size)
{
	memset(pool, 0, sizeof(*pool));
	pool->obj_size = round_up(obj_size < sizeof(void *) ? sizeof(void *) : obj_size,
				  sizeof(void *));
	pool->used = HUGEMEM_CHUNK;
}

void *hugemem_pool_get(struct hugemem_pool *pool)
{
	void *obj = pool->free_list, **grown;

	if (obj) {
		pool->free_list = *(void **)obj;
		return obj;
	}
	if (pool->used + pool->obj_size > HUGEMEM_CHUNK) {
		grown = realloc(pool->chunks, (pool->n_chunks + 1) * sizeof(*grown));
		if (!grown)
			return NULL;
		pool->chunks = grown;
		pool->chunk = hugemem_alloc(HUGEMEM_CHUNK);
		if (!pool->chunk) {
			pool->used = HUGEMEM_CHUNK;
			return NULL;
		}
		grown[pool->n_chunks++] = pool->chunk;
		pool->used = 0;
	}
	obj = pool->chunk + pool->used;
	pool->used += pool->obj_size;
	return obj;
}

void hugemem_pool_put(struct hugemem_pool *pool, void *obj)
{
	if (!obj)
		return;
	*(void **)obj = pool->free_list;
	pool->free_list = obj;
}

void hugemem_pool_destroy(struct hugemem_pool *pool)
{
	size_t i;

	for (i = 0; i < pool->n_chunks; i++)
		hugemem_free(pool->chunks[i], HUGEMEM_CHUNK);
	free(pool->chunks);
	memset(pool, 0, sizeof(*pool));
}
