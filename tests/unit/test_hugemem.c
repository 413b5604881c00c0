// SPDX-License-Identifier: BSD-2-Clause
/* Huge-page memory: alignment, zeroing, and a pool's reuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hugemem.h"

#define HUGE_PAGE (2u << 20)
#define OBJECTS 30000

/* Aligned, zeroed, writable to its last byte; a size of 0 or one that
 * cannot be rounded up is refused. */
static void test_alloc(void **state)
{
	size_t size = 3 * HUGE_PAGE + 123, i;
	unsigned char *p = hugemem_alloc(size);

	(void)state;
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % HUGE_PAGE, 0);
	for (i = 0; i < size; i++)
		assert_int_equal(p[i], 0);
	for (i = 0; i < size; i++)
		p[i] = (unsigned char)(i * 7);
	for (i = 0; i < size; i++)
		assert_int_equal(p[i], (unsigned char)(i * 7));
	hugemem_free(p, size);
	hugemem_free(NULL, 10);
	assert_null(hugemem_alloc(0));
	assert_null(hugemem_alloc(SIZE_MAX - 10));
}

/* Objects are distinct, of their size, aligned for a pointer, and a freed
 * one is handed out again before new memory is carved. */
static void test_pool(void **state)
{
	struct hugemem_pool pool;
	static unsigned char *objs[OBJECTS];
	size_t i, j;

	(void)state;
	hugemem_pool_init(&pool, 100);
	for (i = 0; i < OBJECTS; i++) {
		objs[i] = hugemem_pool_get(&pool);
		assert_non_null(objs[i]);
		assert_int_equal((uintptr_t)objs[i] % sizeof(void *), 0);
		memset(objs[i], (int)(i & 0xff), 100);
	}
	for (i = 0; i < OBJECTS; i++)
		for (j = 0; j < 100; j++)
			assert_int_equal(objs[i][j], i & 0xff);
	assert_true(pool.n_chunks >= 2);
	hugemem_pool_put(&pool, objs[5]);
	hugemem_pool_put(&pool, objs[9]);
	hugemem_pool_put(&pool, NULL);
	assert_ptr_equal(hugemem_pool_get(&pool), objs[9]);
	assert_ptr_equal(hugemem_pool_get(&pool), objs[5]);
	hugemem_pool_destroy(&pool);
	assert_int_equal(pool.n_chunks, 0);

	/* Smaller than a pointer: a pointer's room, for the free list. */
	hugemem_pool_init(&pool, 1);
	objs[0] = hugemem_pool_get(&pool);
	objs[1] = hugemem_pool_get(&pool);
	assert_int_equal(objs[1] - objs[0], sizeof(void *));
	hugemem_pool_destroy(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc),
		cmocka_unit_test(test_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
