// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0)
/* The floor for per-packet cost: an XDP program that does nothing. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_floor(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
