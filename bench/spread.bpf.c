// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0)
/* Turns BPF_PROG_TEST_RUN's one repeated frame into many flows: each run
 * writes the next flow number into the frame's source address, then
 * tail-calls the program under test. The test run hands every repeat the
 * same buffer, so the rewrite is all it takes. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define ADDR_OFF_MASK 0x3f /* the source address lies in the first 64 bytes */

/* Set by user space before each test run: the flows to spread over, the
 * byte offset of the 4 address bytes to rewrite, and the step between
 * consecutive runs' flow numbers (1 walks the flows in order; a large prime
 * that does not divide flows visits all of them in scattered order). */
__u32 flows;
__u32 addr_off;
__u32 step;
__u64 runs;

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} target SEC(".maps");

SEC("xdp")
int spread_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	__u32 *addr = data + (addr_off & ADDR_OFF_MASK);

	if ((void *)(addr + 1) > data_end)
		return XDP_PASS;
	*addr = runs++ * step % flows;
	bpf_tail_call(ctx, &target, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
