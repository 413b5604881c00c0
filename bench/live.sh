#!/usr/bin/env bash
# Live on a veth pair: packets/s tcpreplay --topspeed reaches with nothing attached
# to the receiving end, an empty XDP program, and flowdb-collector (ratio, target
# >= 0.9); the collector's CPU at that rate; its records must add up to every packet.
# Usage: bench/live.sh [PACKETS] [FLOWS]; defaults 1000000 10000; RUNS=5, XDP_MODE=native.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD # collector.sh finds the collector through it
# shellcheck source=tests/lib/netns.sh
. tests/lib/netns.sh
# shellcheck source=tests/lib/collector.sh
. tests/lib/collector.sh
# shellcheck source=bench/veth_lib.sh
. bench/veth_lib.sh

packets=${1:-1000000}
flows=${2:-10000}
runs=${RUNS:-5}
mode=${XDP_MODE:-native}
floor=build/bench/floor.bpf.o
flush=2 # seconds, the collector's default --flush-interval

case $mode in
native) want_attach=xdp ip_mode=xdpdrv ;;
generic) want_attach=xdpgeneric ip_mode=xdpgeneric ;;
*) fail "XDP_MODE must be native or generic, not '$mode'" ;;
esac
[[ $runs =~ ^[1-9][0-9]*$ ]] || fail "RUNS must be a positive whole number, not '$runs'"
netns_require tcpreplay sqlite3 python3
for f in "$COLLECTOR" build/tests/pcapgen; do
	[ -x "$f" ] || fail "$f is missing: run make all first"
done

veth_capture "$packets" "$flows"

work_dir
netns_create
hz=$(getconf CLK_TCK)

# Prints the utime + stime of process $1 in clock ticks.
cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat") || fail "process $1 is gone"
	stat=${stat##*) }
	awk '{ print $12 + $13 }' <<<"$stat"
}

col= none=() empty=() flowdb=() cpu=()
for r in $(seq "$runs"); do
	[ -z "$(xdp_attached "$VETH_RX")" ] || fail "an XDP program is still attached to $VETH_RX"
	measure pass
	none+=("$PPS")

	e=-
	if [ -f "$floor" ]; then
		netns_exec ip link set dev "$VETH_RX" "$ip_mode" obj "$floor" sec xdp ||
			fail "cannot attach $floor"
		[ "$(xdp_attached "$VETH_RX")" = "$want_attach" ] || fail "the empty program is not attached in $mode mode"
		measure pass
		netns_exec ip link set dev "$VETH_RX" "$ip_mode" off
		empty+=("$PPS")
		e=$(fmt "$PPS")
	fi

	data=$WORK/data-$r
	collector_start col "$WORK/collector.log" -i "$VETH_RX" -d "$data" --xdp-mode "$mode" \
		--flush-interval "${flush}s"
	[ "$(xdp_attached "$VETH_RX")" = "$want_attach" ] || fail "flowdb is not attached in $mode mode"
	t0=$(cpu_ticks "$col")
	measure pass
	# The packets are drained and merged at the next flush: count it too.
	sleep "$flush.5"
	t1=$(cpu_ticks "$col")
	stop_collector "$col"
	flowdb+=("$PPS")
	cpu+=("$(awk -v t=$((t1 - t0)) -v hz="$hz" -v s="$SECS" 'BEGIN { printf "%.1f", 100 * t / hz / s }')")

	c=$(db_totals "$data")
	read -r got kernel drained lost _ <<<"$c"
	[ "$got" = "$SENT" ] && [ "$kernel" = "$SENT" ] && [ "$drained" = "$SENT" ] && [ "$lost" = 0 ] ||
		fail "run $r: flows hold $got packets of $SENT sent (kernel $kernel, drained $drained, lost $lost)"
	rm -rf "$data"
	printf 'run %d/%d: no program %s, empty XDP %s, flowdb %s pps; collector %s%%\n' \
		"$r" "$runs" "$(fmt "${none[-1]}")" "$e" "$(fmt "$PPS")" "${cpu[-1]}"
done

n=$(median "${none[@]}")
f=$(median "${flowdb[@]}")
ns() { fmt "$(awk -v p="$1" 'BEGIN { printf "%.0f", 1e9 / p }')"; }
echo
echo "live veth, tcpreplay --topspeed --preload-pcap, $(fmt "$packets") packets over $(fmt "$flows") flows, median of $runs runs"
printf '%-38s %10s %8s %6s\n' case pps ns/pkt ratio
printf '%-38s %10s %8s\n' "no program" "$(fmt "$n")" "$(ns "$n")"
if [ ${#empty[@]} -gt 0 ]; then
	m=$(median "${empty[@]}")
	printf '%-38s %10s %8s %6s\n' "empty XDP program ($mode)" "$(fmt "$m")" "$(ns "$m")" "$(ratio "$m" "$n")"
fi
fr=$(ratio "$f" "$n")
verdict=met
awk -v r="$fr" 'BEGIN { exit !(r < 0.9) }' && verdict=missed
printf '%-38s %10s %8s %6s  (target >= 0.9: %s)\n' "flowdb-collector attached ($mode)" "$(fmt "$f")" \
	"$(ns "$f")" "$fr" "$verdict"
printf '%-38s %9s%% of one core\n' "collector CPU at that rate" "$(median "${cpu[@]}")"
echo
echo "Every run: all $(fmt "$packets") packets reached $VETH_RX and, after XDP, the stack (no XDP"
echo "drop); the collector's records add up to them exactly (kernel = drained, 0 lost)."
echo "ns/pkt is the sending CPU's time per packet: on veth the receiver's softirq work,"
echo "the XDP program included, runs there. The collector's CPU is its own process"
echo "(utime + stime over the replay and the flush after it, per second of replay)."
echo "On veth any XDP program copies each frame into a page with XDP headroom (native)"
echo "or reallocates its head (generic): the empty program's row; a NIC has no such copy."
