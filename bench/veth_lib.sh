# shellcheck shell=bash
# Shared by the benchmarks that replay a capture over a veth pair (after
# tests/lib/netns.sh and tests/lib/collector.sh, with work_dir and
# netns_create done before measure):
#
#   veth_capture PACKETS FLOWS   sets PCAP and TRUTH, pcapgen's capture and its
#                                per-flow CSV, generated once into build/bench-data,
#                                and PCAP_PACKETS
#   measure pass|drop            sends PCAP once at top speed; sets SENT, SECS and
#                                PPS; fails unless every packet reached VETH_RX and
#                                then the stack (pass) or none did (drop)
#   stop_collector PID           SIGINT; fails unless it exits 0
#   db_totals DIR                the flow files' sums (see there)
#   fmt N, median N..., ratio A B   figures for the tables

# Generates the capture of PACKETS packets over FLOWS flows once (each flow
# has its own source address), and checks that --preload-pcap can hold it.
veth_capture() {
	local packets=$1 flows=$2 size_kb avail_kb
	PCAP_PACKETS=$packets
	PCAP=build/bench-data/veth-$packets-$flows.pcap
	TRUTH=build/bench-data/veth-$packets-$flows.csv
	if [ ! -f "$PCAP" ] || [ ! -f "$TRUTH" ]; then
		echo "generating $packets packets over $flows flows into $PCAP (once)"
		mkdir -p build/bench-data
		build/tests/pcapgen --flows "$flows" --packets "$packets" --seed 7 --max-payload 64 \
			--pcap "$PCAP.tmp" --truth "$TRUTH.tmp" || fail "pcapgen failed"
		mv "$TRUTH.tmp" "$TRUTH"
		mv "$PCAP.tmp" "$PCAP"
	fi
	# --preload-pcap holds the whole capture in memory, so the disk is not
	# what is measured; it must fit with room to spare.
	size_kb=$(($(stat -c %s "$PCAP") / 1024))
	avail_kb=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
	[ $((size_kb * 2)) -lt "$avail_kb" ] ||
		skip "$PCAP ($((size_kb / 1024)) MiB) does not fit twice in available memory for --preload-pcap"
}

# Prints the receiving end's rx packets, and the frames the stack received
# after XDP: none of the capture's frames is for this host, so the stack counts
# each as dropped (no handler) or otherhost. An XDP_DROP counts in neither
# (veth keeps it as xdp_drops).
rx_counters() {
	netns_exec ip -j -s -s link show dev "$VETH_RX" | python3 -c '
import json, sys
rx = json.load(sys.stdin)[0]["stats64"]["rx"]
print(rx["packets"], rx["dropped"] + rx.get("otherhost_dropped", rx.get("otherhost", 0)))'
}

# Sends PCAP once at top speed; sets SENT, PPS and SECS from tcpreplay's own
# report and checks every packet reached the receiving end and, after XDP,
# the stack ($1 pass: XDP dropped none) or not ($1 drop: XDP dropped all).
measure() {
	local log=$WORK/tcpreplay.log c rx0 st0 rx1 st1 txd want
	c=$(rx_counters)
	read -r rx0 st0 <<<"$c"
	netns_exec tcpreplay -i "$VETH_TX" --preload-pcap --topspeed "$PCAP" >"$log" 2>&1 ||
		{ cat "$log" >&2; fail "tcpreplay failed"; }
	grep -q 'Failed packets: *0$' "$log" || { cat "$log" >&2; fail "tcpreplay failed to send some packets"; }
	SENT=$(sed -n 's/^ *Actual: \([0-9]*\) packets .* sent in \([0-9.]*\) seconds.*/\1/p' "$log")
	SECS=$(sed -n 's/^ *Actual: \([0-9]*\) packets .* sent in \([0-9.]*\) seconds.*/\2/p' "$log")
	PPS=$(sed -n 's/^ *Rated: .* \([0-9.]*\) pps.*/\1/p' "$log")
	[ -n "$SENT" ] && [ -n "$SECS" ] && [ -n "$PPS" ] ||
		{ cat "$log" >&2; fail "cannot read tcpreplay's report"; }
	[ "$SENT" = "$PCAP_PACKETS" ] || fail "tcpreplay sent $SENT packets, not $PCAP_PACKETS"
	c=$(rx_counters)
	read -r rx1 st1 <<<"$c"
	txd=$(netns_exec cat "/sys/class/net/$VETH_TX/statistics/tx_dropped")
	[ "$txd" = 0 ] || fail "the veth pair dropped $txd packets before XDP"
	[ $((rx1 - rx0)) = "$SENT" ] || fail "$VETH_RX received $((rx1 - rx0)) of $SENT packets"
	case $1 in
	pass) want=$SENT ;;
	drop) want=0 ;;
	*) fail "measure: pass or drop, not '$1'" ;;
	esac
	[ $((st1 - st0)) = "$want" ] ||
		fail "the stack got $((st1 - st0)) of $SENT packets after XDP, not $want"
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

# Prints, summed over every flow file of directory $1: the flows' packets,
# collector_stats' kernel, drained and lost packets, the flows' dropped
# packets and collector_stats' dropped packets.
db_totals() {
	local f n=0 k=0 d=0 l=0 fd=0 sd=0 a b c e g h
	for f in "$1"/flows-*.db; do
		[ -f "$f" ] || fail "no flow file in $1"
		a=$(sql "$f" "SELECT (SELECT total(packets) FROM flows), total(kernel_packets),
			total(drained_packets), total(lost_packets),
			(SELECT total(dropped_packets) FROM flows), total(dropped_packets)
			FROM collector_stats") || fail "cannot read $f"
		IFS='|' read -r a b c e g h <<<"$a"
		n=$((n + ${a%.0})) k=$((k + ${b%.0})) d=$((d + ${c%.0})) l=$((l + ${e%.0}))
		fd=$((fd + ${g%.0})) sd=$((sd + ${h%.0}))
	done
	echo "$n $k $d $l $fd $sd"
}

fmt() { sed ':a; s/\B[0-9]\{3\}\>/,&/; ta' <<<"${1%.*}"; }
median() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
