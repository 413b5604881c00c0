// SPDX-License-Identifier: BSD-2-Clause
/* A BPF ring buffer read up to a position taken earlier (ringread.h), through the mappings
 * the kernel gives a ring buffer map: the consumer's page (read-write), then the
 * producer's page and the data, mapped twice over so that a record that wraps reads
 * straight on. */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include "ringread.h"

struct ringread {
	uint64_t *consumer_pos;
	const uint64_t *producer_pos;
	const uint8_t *data;
	uint64_t mask; /* the data's size - 1: a power of two */
	size_t page;
};

int ringread_open(struct ringread **out, int map_fd)
{
	struct bpf_map_info info = { 0 };
	__u32 info_len = sizeof(info);
	struct ringread *r;
	void *map;
	int err;

	*out = NULL;
	if (bpf_obj_get_info_by_fd(map_fd, &info, &info_len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->page = (size_t)sysconf(_SC_PAGESIZE);
	r->mask = info.max_entries - 1;
	map = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (map == MAP_FAILED) {
		err = -errno;
		free(r);
		return err;
	}
	r->consumer_pos = map;
	map = mmap(NULL, r->page + 2 * (size_t)info.max_entries, PROT_READ, MAP_SHARED, map_fd,
		   (off_t)r->page);
	if (map == MAP_FAILED) {
		err = -errno;
		munmap(r->consumer_pos, r->page);
		free(r);
		return err;
	}
	r->producer_pos = map;
	r->data = (const uint8_t *)map + r->page;
	*out = r;
	return 0;
}

uint64_t ringread_producer(const struct ringread *r)
{
	return __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
}

uint64_t ringread_consumer(const struct ringread *r)
{
	return __atomic_load_n(r->consumer_pos, __ATOMIC_ACQUIRE);
}

int ringread_consume(struct ringread *r, uint64_t until, ringread_fn fn, void *ctx)
{
	uint64_t pos = __atomic_load_n(r->consumer_pos, __ATOMIC_ACQUIRE);
	int err = 0;

	while (pos < until && err >= 0) {
		uint32_t *head = (uint32_t *)(r->data + (pos & r->mask));
		uint32_t len = __atomic_load_n(head, __ATOMIC_ACQUIRE);
		uint32_t size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);

		if (len & BPF_RINGBUF_BUSY_BIT)
			break;
		pos += (size + BPF_RINGBUF_HDR_SZ + 7) & ~7ull;
		if (!(len & BPF_RINGBUF_DISCARD_BIT))
			err = fn(ctx, (uint8_t *)head + BPF_RINGBUF_HDR_SZ, size);
		__atomic_store_n(r->consumer_pos, pos, __ATOMIC_RELEASE);
	}
	return err < 0 ? err : 0;
}

void ringread_close(struct ringread *r)
{
	if (!r)
		return;
	munmap((void *)r->producer_pos, r->page + 2 * (r->mask + 1));
	munmap(r->consumer_pos, r->page);
	free(r);
}
