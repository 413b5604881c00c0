/* SPDX-License-Identifier: BSD-2-Clause */
/* Memory for the collector's large, hot tables in 2 MiB pages where the kernel gives them
 * (transparent huge pages, "always" or "madvise"), and a pool of same-sized objects carved
 * from it: with 4 KiB pages an import took a page fault for every page it filled and a TLB
 * miss for most lookups. Without huge pages it is plain anonymous memory. */
#ifndef HUGEMEM_H
#define HUGEMEM_H

#include <stddef.h>

/* Zeroed memory of size bytes (above 0), aligned to a huge page, for
 * hugemem_free() with the same size. Returns NULL when out of memory. */
void *hugemem_alloc(size_t size);

/* Frees p of size bytes, from hugemem_alloc(); NULL does nothing. */
void hugemem_free(void *p, size_t size);

/* Objects of one size from huge-page chunks, reused through a free list.
 * Zero-initialise, then hugemem_pool_init(). */
struct hugemem_pool {
	size_t obj_size;
	void *free_list; /* freed objects, each holding the next */
	char *chunk; /* the chunk objects are carved from */
	size_t used; /* bytes of chunk carved */
	void **chunks; /* every chunk, for hugemem_pool_destroy() */
	size_t n_chunks;
};

/* Makes pool hand out objects of obj_size bytes (at least a pointer's, at
 * most a huge page's). */
void hugemem_pool_init(struct hugemem_pool *pool, size_t obj_size);

/* One object, its bytes undefined. Returns NULL when out of memory. */
void *hugemem_pool_get(struct hugemem_pool *pool);

/* Gives obj (from this pool, or NULL) back for reuse. */
void hugemem_pool_put(struct hugemem_pool *pool, void *obj);

/* Frees every chunk: every object of the pool is gone. */
void hugemem_pool_destroy(struct hugemem_pool *pool);

#endif
