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

packets=${1:-1000000}
flows=${2:-10000}
runs=${RUNS:-5}
mode=${XDP_MODE:-native}
pcap=build/bench-data/live-$packets-$flows.pcap
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

if [ ! -f "$pcap" ]; then
	echo "generating $packets packets over $flows flows into $pcap (once)"
	mkdir -p build/bench-data
	build/tests/pcapgen --flows "$flows" --packets "$packets" --seed 7 --max-payload 64 \
		--pcap "$pcap.tmp" --truth /dev/null || fail "pcapgen failed"
	mv "$pcap.tmp" "$pcap"
fi
# --preload-pcap holds the whole capture in memory, so the disk is not what is
# measured; it must fit with room to spare.
size_kb=$(( $(stat -c %s "$pcap") / 1024 ))
avail_kb=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
[ $((size_kb * 2)) -lt "$avail_kb" ] ||
	skip "$pcap ($((size_kb / 1024)) MiB) does not fit twice in available memory for --preload-pcap"

work_dir
netns_create
hz=$(getconf CLK_TCK)

# Prints the receiving end's rx packets, and the frames the stack received
# after XDP: none of the capture's frames is for this host, so the stack counts
# each as dropped (no handler) or otherhost.
rx_counters() {
	netns_exec ip -j -s -s link show dev "$VETH_RX" | python3 -c '
import json, sys
rx = json.load(sys.stdin)[0]["stats64"]["rx"]
print(rx["packets"], rx["dropped"] + rx.get("otherhost_dropped", rx.get("otherhost", 0)))'
}

# Prints the utime + stime of process $1 in clock ticks.
cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat") || fail "process $1 is gone"
	stat=${stat##*) }
	awk '{ print $12 + $13 }' <<<"$stat"
}

# Sends the capture once at top speed; sets SENT, PPS and SECS from tcpreplay's
# own report and checks every packet reached the receiving end and, after XDP,
# the stack (so XDP dropped none).
measure() {
	local log=$WORK/tcpreplay.log c rx0 st0 rx1 st1 txd
	c=$(rx_counters)
	read -r rx0 st0 <<<"$c"
	netns_exec tcpreplay -i "$VETH_TX" --preload-pcap --topspeed "$pcap" >"$log" 2>&1 ||
		{ cat "$log" >&2; fail "tcpreplay failed"; }
	grep -q 'Failed packets: *0$' "$log" || { cat "$log" >&2; fail "tcpreplay failed to send some packets"; }
	SENT=$(sed -n 's/^ *Actual: \([0-9]*\) packets .* sent in \([0-9.]*\) seconds.*/\1/p' "$log")
	SECS=$(sed -n 's/^ *Actual: \([0-9]*\) packets .* sent in \([0-9.]*\) seconds.*/\2/p' "$log")
	PPS=$(sed -n 's/^ *Rated: .* \([0-9.]*\) pps.*/\1/p' "$log")
	[ -n "$SENT" ] && [ -n "$SECS" ] && [ -n "$PPS" ] ||
		{ cat "$log" >&2; fail "cannot read tcpreplay's report"; }
	[ "$SENT" = "$packets" ] || fail "tcpreplay sent $SENT packets, not $packets"
	c=$(rx_counters)
	read -r rx1 st1 <<<"$c"
	txd=$(netns_exec cat "/sys/class/net/$VETH_TX/statistics/tx_dropped")
	[ "$txd" = 0 ] || fail "the veth pair dropped $txd packets before XDP"
	[ $((rx1 - rx0)) = "$SENT" ] || fail "$VETH_RX received $((rx1 - rx0)) of $SENT packets"
	[ $((st1 - st0)) = "$SENT" ] ||
		fail "the stack got $((st1 - st0)) of $SENT packets after XDP: XDP dropped $((SENT - st1 + st0))"
}

# Stops the collector with SIGINT, requires exit 0, and forgets its pid so the
# teardown does not signal a reused one.
stop_collector() {
	local rc=0 p keep=()
	kill -INT "$1"
	wait "$1" || rc=$?
	for p in "${NETNS_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	NETNS_PIDS=("${keep[@]}")
	[ "$rc" = 0 ] || fail "the collector exited with $rc after SIGINT"
}

# Prints sum(packets) over the flows, kernel and drained packets and loss
# over collector_stats, summed over every file of directory $1.
db_totals() {
	local f n=0 k=0 d=0 l=0 a b c e
	for f in "$1"/flows-*.db; do
		[ -f "$f" ] || fail "no flow file in $1"
		a=$(sql "$f" "SELECT (SELECT total(packets) FROM flows), total(kernel_packets),
			total(drained_packets), total(lost_packets) FROM collector_stats") ||
			fail "cannot read $f"
		IFS='|' read -r a b c e <<<"$a"
		n=$((n + ${a%.0})) k=$((k + ${b%.0})) d=$((d + ${c%.0})) l=$((l + ${e%.0}))
	done
	echo "$n $k $d $l"
}

fmt() { sed ':a; s/\B[0-9]\{3\}\>/,&/; ta' <<<"${1%.*}"; }
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

col= none=() empty=() flowdb=() cpu=()
for r in $(seq "$runs"); do
	[ -z "$(xdp_attached "$VETH_RX")" ] || fail "an XDP program is still attached to $VETH_RX"
	measure
	none+=("$PPS")

	e=-
	if [ -f "$floor" ]; then
		netns_exec ip link set dev "$VETH_RX" "$ip_mode" obj "$floor" sec xdp ||
			fail "cannot attach $floor"
		[ "$(xdp_attached "$VETH_RX")" = "$want_attach" ] || fail "the empty program is not attached in $mode mode"
		measure
		netns_exec ip link set dev "$VETH_RX" "$ip_mode" off
		empty+=("$PPS")
		e=$(fmt "$PPS")
	fi

	data=$WORK/data-$r
	collector_start col "$WORK/collector.log" -i "$VETH_RX" -d "$data" --xdp-mode "$mode" \
		--flush-interval "${flush}s"
	[ "$(xdp_attached "$VETH_RX")" = "$want_attach" ] || fail "flowdb is not attached in $mode mode"
	t0=$(cpu_ticks "$col")
	measure
	# The packets are drained and merged at the next flush: count it too.
	sleep "$flush.5"
	t1=$(cpu_ticks "$col")
	stop_collector "$col"
	flowdb+=("$PPS")
	cpu+=("$(awk -v t=$((t1 - t0)) -v hz="$hz" -v s="$SECS" 'BEGIN { printf "%.1f", 100 * t / hz / s }')")

	c=$(db_totals "$data")
	read -r got kernel drained lost <<<"$c"
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
