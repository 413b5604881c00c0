#!/usr/bin/env bash
# --read CAPTURE --policy FILE, the what-if: a real capture through the
# policy on the capture's clock, against tshark's own count of the packets
# the rules match:
#  - a timed block drops exactly its source's packets of the first minute
#    (it ends a minute in, before the first packet after, whatever the flush);
#  - an allow of one destination wins over a block of every source;
#  - monitor mode counts exactly what enforce mode drops;
#  - flows, collector_stats and rule_counters agree, and the actions hold
#    the load and the expiry, in capture time;
#  - a policy with an error stops the import before anything is written.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/collector.sh"
. "$top/tests/lib/pcaps.sh"

[ "$(id -u)" = 0 ] || skip "needs root (BPF)"
command -v tshark >/dev/null || skip "needs tshark"
shared_pcaps || true
cap=${PCAPS:-$top/../shared/pcaps}/xscan_capture.pcap
[ -f "$cap" ] || skip "needs the shared captures' xscan_capture.pcap"
work_dir

# tshark's count: "packets bytes" of the IPv4 packets matching FILTER.
count() {
	tshark -r "$cap" -Y "$1" -T fields -e ip.len 2>/dev/null |
		awk '{ n++; b += $1 } END { printf "%d %d\n", n, b }'
}
t0=$(tshark -r "$cap" -c 1 -T fields -e frame.time_epoch 2>/dev/null)

# what NAME POLICY: imports the capture under POLICY; prints "dropped
# packets, bytes" of the flows, of collector_stats and of rule_counters.
what() {
	printf '%s\n' "$2" >"$WORK/$1.policy"
	"$COLLECTOR" --read "$cap" --policy "$WORK/$1.policy" -d "$WORK/$1" 2>"$WORK/$1.log" ||
		fail "--read --policy: $(cat "$WORK/$1.log")"
	local db
	db=$(ls "$WORK/$1"/flows-*.db)
	sqlite3 "$db" "SELECT (SELECT sum(dropped_packets) || ' ' || sum(dropped_bytes) FROM flows),
		(SELECT sum(dropped_packets) || ' ' || sum(dropped_bytes) FROM collector_stats),
		(SELECT coalesce(sum(packets), 0) || ' ' || coalesce(sum(bytes), 0)
		 FROM rule_counters WHERE kind <> 'allow'),
		(SELECT sum(packets) FROM flows) = (SELECT sum(kernel_packets) FROM collector_stats)"
}

scanner=192.168.1.125
want=$(count "ip.src == $scanner && frame.time_epoch < $t0 + 60")
got=$(what timed "block src $scanner for 1m reason \"scan\"")
[ "$got" = "$want|$want|$want|1" ] ||
	fail "a timed block: flows|stats|rules|exact = $got, tshark: $want"
grep -q "expired: block src $scanner for 1m" "$WORK/timed.log" || fail "no expiry line"
db=$(ls "$WORK/timed"/flows-*.db)
acts=$(sqlite3 "$db" "SELECT group_concat(action || ':' || origin, ' ') FROM actions")
[ "$acts" = "load:file expire:expiry" ] || fail "actions: $acts"
expire_at=$(sqlite3 "$db" "SELECT time FROM actions WHERE action = 'expire'")
python3 - "$t0" "$expire_at" <<'PY' || fail "the expiry is not a minute after the first packet"
import sys
t0, at = float(sys.argv[1]), int(sys.argv[2])
sys.exit(0 if abs(at - (round(t0 * 1e6) + 60_000_000)) <= 1 else 1)
PY

other=192.168.1.120
want=$(count "ip.src == $other || (ip.src == $scanner && ip.dst != $other)")
got=$(what allow "allow dst $other
block src 0.0.0.0/0")
[ "$got" = "$want|$want|$want|1" ] || fail "allow over block: $got, tshark: $want"

enforce=$(what enforce "block src $scanner")
monitor=$(what monitor "block src $scanner
mode monitor")
[ "$enforce" = "$monitor" ] || fail "monitor counts $monitor, enforce drops $enforce"
mode=$(sqlite3 "$(ls "$WORK/monitor"/flows-*.db)" \
	"SELECT group_concat(DISTINCT policy_mode) FROM collector_stats")
[ "$mode" = monitor ] || fail "collector_stats says mode $mode in monitor mode"

printf 'block src 10.0.0.0/8 port 25\n' >"$WORK/bad.policy"
if "$COLLECTOR" --read "$cap" --policy "$WORK/bad.policy" -d "$WORK/bad" 2>"$WORK/bad.log"; then
	fail "a policy with an error was imported"
fi
[ "$(wc -l <"$WORK/bad.log")" = 1 ] || fail "a bad policy: $(cat "$WORK/bad.log")"
[ ! -e "$WORK/bad" ] || fail "a bad policy left a data directory"
echo "PASS: what-if on a real capture: block, expiry, allow over block, monitor = enforce, exact, to tshark's counts"
