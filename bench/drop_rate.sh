#!/usr/bin/env bash
# XDP_DROP on a veth: packets/s tcpreplay --topspeed reaches into a veth whose
# receiving end drops every packet in native XDP, flowdb-collector --policy next
# to Debian's xdp-filter (xdp-tools) blocking the same source hosts in the same
# runs, against nothing attached (the floor) and flowdb in monitor mode (counts
# every packet as dropped, passes it). Each drop figure is checked first: every
# packet reached the veth and none the stack, and the dropper's own counters
# hold each packet exactly.
# Usage: bench/drop_rate.sh; PACKETS=1000000, FLOWS=64 (one source host each,
# at most 10000: xdp-filter's map per family), RUNS=3.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD # collector.sh finds the collector through it
# shellcheck source=tests/lib/netns.sh
. tests/lib/netns.sh
# shellcheck source=tests/lib/collector.sh
. tests/lib/collector.sh
# shellcheck source=bench/veth_lib.sh
. bench/veth_lib.sh

packets=${PACKETS:-1000000}
flows=${FLOWS:-64}
runs=${RUNS:-3}
[[ $packets =~ ^[1-9][0-9]*$ ]] || fail "PACKETS must be a positive whole number, not '$packets'"
[[ $flows =~ ^[1-9][0-9]*$ ]] && [ "$flows" -le 10000 ] ||
	fail "FLOWS must be a whole number from 1 to 10000 (xdp-filter's map), not '$flows'"
[[ $runs =~ ^[1-9][0-9]*$ ]] || fail "RUNS must be a positive whole number, not '$runs'"
netns_require tcpreplay sqlite3 python3 xdp-filter nsenter
for f in "$COLLECTOR" build/flowdb-ctl build/tests/pcapgen; do
	[ -x "$f" ] || fail "$f is missing: run make all first"
done

veth_capture "$packets" "$flows"
work_dir
netns_create

# pcapgen gives each flow its own source address: the rules block exactly
# the capture's sources, as single hosts for both (xdp-filter has no prefixes).
cut -d, -f4 "$TRUTH" | sort -u >"$WORK/sources"
[ "$(wc -l <"$WORK/sources")" = "$flows" ] || fail "$TRUTH does not have $flows sources"
sed 's/^/block src /' "$WORK/sources" >"$WORK/enforce.policy"
{
	echo "mode monitor"
	cat "$WORK/enforce.policy"
} >"$WORK/monitor.policy"

# xdp-filter keeps its maps pinned on a bpffs, and ip netns exec gives each
# command a mount namespace of its own: a process holds one for the whole run
# (it waits for nothing, it only lives), and every xdp-filter command enters
# its mount and network namespaces. A /run of its own too: xdp-filter takes
# /run/xdp-filter.lck, shared with every other xdp-filter on the host, and
# fails rather than waits when another holds it.
holder= # set by netns_bg
netns_bg holder bash -c 'mount -t bpf bpf /sys/fs/bpf && mount -t tmpfs tmpfs /run &&
	echo mounted >"$1" && exec sleep infinity' _ "$WORK/mounts"
wait_for "$WORK/mounts" '^mounted$' 10 || fail "cannot mount a bpffs and a /run in the namespace"
xf() { nsenter --target "$holder" --mount --net xdp-filter "$@"; }

xf_loaded=
# Unloads xdp-filter if a failure left it loaded, then tears down: that stops
# a collector still running (SIGTERM) and removes the namespace.
cleanup() {
	[ -z "$xf_loaded" ] || xf unload "$VETH_RX" >/dev/null 2>&1 || true
	netns_teardown
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# Runs the collector with policy $1 for one replay, measured with $2 (pass or
# drop: see measure); checks it attached in native mode with every rule in
# force, and that its records hold every packet as dropped (would-be dropped
# in monitor mode) exactly, in the flows and in collector_stats.
flowdb_case() {
	local policy=$1 expect=$2 data=$WORK/data sock=$WORK/control.sock c n k d l fd sd col
	collector_start col "$WORK/collector.log" -i "$VETH_RX" -d "$data" --xdp-mode native \
		--policy "$policy" --control "$sock"
	[ "$(xdp_attached "$VETH_RX")" = xdp ] || fail "flowdb is not attached in native mode"
	[ -S "$sock" ] || fail "the collector has no control socket at $sock"
	n=$(build/flowdb-ctl -S "$sock" -f csv block list | grep -c ',src,') ||
		fail "flowdb-ctl block list failed"
	[ "$n" = "$flows" ] || fail "the collector has $n blocks in force, not $flows"
	measure "$expect"
	stop_collector "$col"
	c=$(db_totals "$data")
	read -r n k d l fd sd <<<"$c"
	[ "$n" = "$SENT" ] && [ "$k" = "$SENT" ] && [ "$d" = "$SENT" ] && [ "$l" = 0 ] &&
		[ "$fd" = "$SENT" ] && [ "$sd" = "$SENT" ] ||
		fail "$policy: of $SENT sent, flows hold $n packets and $fd dropped; collector_stats" \
			"kernel $k, drained $d, lost $l, dropped $sd"
	rm -rf "$data"
}

# Loads xdp-filter (native, every feature, unmatched packets pass), blocks
# each source, replays once, and checks its own counters: every packet
# dropped, each by a source's entry.
xdp_filter_case() {
	local status=$WORK/xdp-filter.status drop pass hits
	xf load "$VETH_RX" --mode native --policy allow >/dev/null || fail "xdp-filter load failed"
	xf_loaded=1
	[ "$(xdp_attached "$VETH_RX")" = xdp ] || fail "xdp-filter is not attached in native mode"
	nsenter --target "$holder" --mount --net bash -c '
		while read -r a; do xdp-filter ip --mode src "$a" >/dev/null || exit 1; done <"$1"' \
		_ "$WORK/sources" || fail "xdp-filter ip failed"
	measure drop
	xf status >"$status" || fail "xdp-filter status failed"
	drop=$(awk '$1 == "XDP_DROP" { print $2 }' "$status")
	pass=$(awk '$1 == "XDP_PASS" { print $2 }' "$status")
	hits=$(awk '/^Filtered IP addresses:/ { on = 1; next } on && $2 == "src" { n++; s += $3 }
		END { print n + 0, s + 0 }' "$status")
	[ "$drop" = "$SENT" ] && [ "$pass" = 0 ] && [ "$hits" = "$flows $SENT" ] ||
		{ cat "$status" >&2; fail "xdp-filter dropped $drop and passed $pass of $SENT (entries, hits: $hits)"; }
	xf unload "$VETH_RX" >/dev/null || fail "xdp-filter unload failed"
	xf_loaded=
	[ -z "$(xdp_attached "$VETH_RX")" ] || fail "xdp-filter is still attached after unload"
}

# Runs case $1 once and adds its packets/s to its list.
run_case() {
	case $1 in
	floor)
		[ -z "$(xdp_attached "$VETH_RX")" ] || fail "an XDP program is still attached to $VETH_RX"
		measure pass
		none+=("$PPS")
		;;
	drop)
		flowdb_case "$WORK/enforce.policy" drop
		fdrop+=("$PPS")
		;;
	xdp-filter)
		xdp_filter_case
		xdrop+=("$PPS")
		;;
	monitor)
		flowdb_case "$WORK/monitor.policy" pass
		fmon+=("$PPS")
		;;
	esac
}

cases=(floor drop xdp-filter monitor)
none=() fdrop=() xdrop=() fmon=() pair=()
for r in $(seq "$runs"); do
	# Each run starts one case further on: on a machine whose load drifts,
	# no case always comes first or always follows the same one.
	for ((i = 0; i < ${#cases[@]}; i++)); do
		run_case "${cases[(i + r - 1) % ${#cases[@]}]}"
	done
	pair+=("$(ratio "${fdrop[-1]}" "${xdrop[-1]}")")
	printf 'run %d/%d: nothing %s, flowdb drop %s, xdp-filter drop %s, flowdb monitor %s pps\n' \
		"$r" "$runs" "$(fmt "${none[-1]}")" "$(fmt "${fdrop[-1]}")" "$(fmt "${xdrop[-1]}")" \
		"$(fmt "${fmon[-1]}")"
done

n=$(median "${none[@]}")
fd=$(median "${fdrop[@]}")
xd=$(median "${xdrop[@]}")
fm=$(median "${fmon[@]}")
ns() { fmt "$(awk -v p="$1" 'BEGIN { printf "%.0f", 1e9 / p }')"; }
echo
echo "XDP_DROP on a veth (native), tcpreplay --topspeed --preload-pcap, $(fmt "$packets") packets"
echo "from $(fmt "$flows") source hosts, all blocked; median of $runs runs"
printf '%-40s %10s %8s %9s %12s\n' case pps ns/pkt "/ floor" "/ xdp-filter"
printf '%-40s %10s %8s\n' "nothing attached (floor; stack drops)" "$(fmt "$n")" "$(ns "$n")"
printf '%-40s %10s %8s %9s %12s\n' "flowdb-collector --policy (drops all)" "$(fmt "$fd")" "$(ns "$fd")" \
	"$(ratio "$fd" "$n")" "$(ratio "$fd" "$xd")"
printf '%-40s %10s %8s %9s\n' "xdp-filter (drops all)" "$(fmt "$xd")" "$(ns "$xd")" "$(ratio "$xd" "$n")"
printf '%-40s %10s %8s %9s\n' "flowdb-collector, mode monitor (passes)" "$(fmt "$fm")" "$(ns "$fm")" \
	"$(ratio "$fm" "$n")"
echo "flowdb / xdp-filter, dropping, run by run: ${pair[*]}"
echo
echo "Every run: all $(fmt "$packets") packets reached $VETH_RX. Dropping, none reached the stack;"
echo "flowdb's records hold each as dropped (flows and collector_stats), xdp-filter's"
echo "counters each as an XDP_DROP by a source entry. Floor and monitor: all reached the"
echo "stack, which discards them (not for this host); monitor counted each as dropped."
echo "ns/pkt is the sending CPU's time per packet: on veth the receiver's work runs there."
