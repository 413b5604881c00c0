#!/usr/bin/env bash
# (d) With --egress: while running, XDP and tc programs are attached (and a
# stale tc filter of flowdb's own is replaced, not stacked); after SIGTERM
# and after kill -9, no program of flowdb's remains on the interface or in
# the kernel.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/collector.sh"

netns_require bpftool
work_dir
netns_create
[ -z "$(flowdb_progs)" ] || skip "flowdb programs are already loaded here: $(flowdb_progs)"

# A filter a killed pre-6.6 collector would have left: flowdb's handle and
# priority on clsact egress.
netns_exec tc qdisc add dev "$VETH_RX" clsact
netns_exec tc filter add dev "$VETH_RX" egress prio 0xf10d handle 0xf10d \
	bpf da obj "$top/build/bpf/flowdb.bpf.o" sec tc 2>"$WORK/tc.log" ||
	{ cat "$WORK/tc.log"; fail "cannot add the stale filter"; }
[ -n "$(netns_exec tc filter show dev "$VETH_RX" egress)" ] || fail "stale filter missing"

for stop in TERM KILL; do
	collector_start col "$WORK/collector.log" -i "$VETH_RX" -d "$WORK/data" --egress
	[ -n "$(xdp_attached "$VETH_RX")" ] || fail "XDP not attached"
	flowdb_progs | grep -q flowdb_tc_egres || fail "tc egress program not loaded"
	[ -z "$(netns_exec tc filter show dev "$VETH_RX" egress)" ] ||
		fail "the stale tc filter was not replaced"
	if [ $stop = TERM ]; then
		collector_stop "$col"
	else
		kill -KILL "$col"
		wait "$col" 2>/dev/null || true
	fi
	for _ in $(seq 50); do
		[ -z "$(flowdb_progs)" ] && break
		sleep 0.1
	done
	[ -z "$(xdp_attached "$VETH_RX")" ] || fail "XDP still attached after SIG$stop"
	[ -z "$(netns_exec tc filter show dev "$VETH_RX" egress)" ] ||
		fail "a tc filter remains after SIG$stop"
	[ -z "$(flowdb_progs)" ] || fail "programs still loaded after SIG$stop: $(flowdb_progs)"
done
echo "PASS: nothing left attached after SIGTERM and kill -9; stale filter replaced"
