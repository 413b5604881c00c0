#!/usr/bin/env bash
# The policy's per-packet cost next to Debian's xdp-filter (package xdp-tools)
# on the same packets: xdp-filter is loaded on a veth in a private namespace,
# given the single hosts of bench/bpf_cost's first ENTRIES block entries (its
# ipv4 map holds 10,000 at most, and it has no prefixes), and bpf_cost test-runs
# its program, as loaded, beside flowdb's (libxdp's dispatcher check fails
# here with EPERM, so xdp-filter attaches its program alone).
# Usage: bench/policy_xdp_filter.sh [ENTRIES]; default 1000.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=tests/lib/netns.sh
. tests/lib/netns.sh

entries=${1:-1000}
[[ $entries =~ ^[0-9]+$ ]] && [ "$entries" -le 10000 ] ||
	fail "ENTRIES must be a whole number up to 10000 (xdp-filter's map), not '$entries'"
netns_require xdp-filter
[ -x build/bench/bpf_cost ] || fail "build/bench/bpf_cost is missing: run make first"
netns_create

# bpf_cost's block_entry(): entry i is a /24 when i % 4 == 3, else host
# n = i / 4 * 3 + i % 4, that is 11.(n >> 16).(n >> 8 & 255).(n & 255).
hosts=$WORK/hosts
for ((i = 0; i < entries; i++)); do
	((i % 4 == 3)) && continue
	n=$((i / 4 * 3 + i % 4))
	echo "11.$((n >> 16)).$((n >> 8 & 255)).$((n & 255))"
done >"$hosts"

# One shell in the namespace: ip netns exec gives each command its own mount
# namespace, and xdp-filter keeps its maps on the bpffs mounted there.
netns_exec bash -euo pipefail -c '
	mount -t bpf bpf /sys/fs/bpf
	xdp-filter load --mode skb --features ipv4 "$1" >/dev/null
	while read -r host; do
		xdp-filter ip --mode src "$host" >/dev/null
	done <"$2"
	id=$(ip -d link show dev "$1" | sed -n "s/.*prog\/xdp id \([0-9]*\).*/\1/p" | head -n 1)
	[ -n "$id" ] || { echo "FAIL: no XDP program on $1" >&2; exit 1; }
	XDP_FILTER_PROG_ID=$id XDP_FILTER_ENTRIES=$3 build/bench/bpf_cost --policy-only
	xdp-filter unload --all "$1" >/dev/null
' _ "$VETH_RX" "$hosts" "$entries"
