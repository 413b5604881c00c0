#!/usr/bin/env bash
# --policy on a live interface, real kernel, real traffic (namespaces):
#  1. ping, curl to an HTTP server and iperf3 from a blocked source fail and
#     from an allowed one (allow over block) succeed; with --egress, what
#     leaves for a blocked destination is dropped;
#  2. a replay at ten times a `limit src/32 1000pps` for 5 s passes the rate
#     within 5%, and sent = passed + dropped exactly in the kernel's totals
#     and in the flows;
#  3. flowdb-ctl block add and del under a stream of a datagram a
#     millisecond take effect within 100 ms of returning, in one clean cut,
#     accounted exactly;
#  4. a block added `--for 2s` leaves the list by itself, logged as expire;
#  5. a user neither root nor in group flowdb is refused, in one line;
#  7. reload puts a changed file in force, refuses a broken one in one
#     line changing nothing, and loses no rule's count across either;
#  and the flows, the kernel's totals, rule_counters and actions agree;
#  6. monitor mode passes every packet and counts exactly what enforce mode
#     drops on the same capture, both as an independent reference says.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/collector.sh"

netns_require ping curl iperf3 tcpreplay python3 ss setpriv
# Whole, then searched: grep -q would stop reading it half way.
help=$("$COLLECTOR" --help 2>&1)
grep -q -- '--policy FILE' <<<"$help" || skip "flowdb-collector has no --policy"
work_dir
netns_create
netns_peer
helper=$top/tests/integration/enforce_live.py
flowdb=$top/build/flowdb
# flowdb-ctl where user nobody may run it.
mkdir -m 755 "$WORK/bin"
install -m 755 "$top/build/flowdb-ctl" "$WORK/bin/flowdb-ctl"
ctl_bin=$WORK/bin/flowdb-ctl
sock=$WORK/run/control.sock
BLOCKED=192.0.2.3 FLIP=192.0.2.20 TIMED=192.0.2.21 EGRESS=192.0.2.22 RELOADED=192.0.2.23
FLOOD=192.0.2.60
for a in "$BLOCKED" "$FLIP" "$TIMED" "$EGRESS" "$RELOADED"; do
	ip -n "$NS_PEER" addr add "$a/24" dev "$VETH_TX"
done

ctl() {
	"$ctl_bin" -S "$sock" "$@"
}

# q DIR SQL: the answer of flowdb's shell over every file in DIR, as CSV.
q() {
	"$flowdb" -d "$1" -f csv --no-headers -c "$2" | tr -d '\r'
}

# Waits until something in the namespace listens on TCP port $1.
wait_listen() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -n "$(netns_exec ss -Hltn "sport = :$1")" ] && return 0
		sleep 0.1
	done
	fail "nothing listens on port $1"
}

# replay_peer PCAP OPTS...: sends PCAP from the peer's end of the pair;
# fails unless every packet left and the pair dropped none before XDP.
replay_peer() {
	local pcap=$1 before after
	shift
	before=$(netns_peer_exec cat "/sys/class/net/$VETH_TX/statistics/tx_dropped")
	netns_peer_exec tcpreplay -i "$VETH_TX" "$@" "$pcap" >"$WORK/tcpreplay.log" 2>&1 &&
		grep -q 'Failed packets: *0$' "$WORK/tcpreplay.log" ||
		fail "tcpreplay: $(cat "$WORK/tcpreplay.log")"
	after=$(netns_peer_exec cat "/sys/class/net/$VETH_TX/statistics/tx_dropped")
	[ "$after" = "$before" ] || fail "the veth pair dropped $((after - before)) packets before XDP"
	grep -E '^Actual' "$WORK/tcpreplay.log" | sed 's/^ */tcpreplay: /'
}

# exact DIR: the kernel's totals in collector_stats equal the flows' sums,
# packets and dropped packets alike; sets packets and dropped.
exact() {
	local f k
	f=$(q "$1" "SELECT sum(packets) || ' ' || sum(dropped_packets) FROM flows")
	k=$(q "$1" "SELECT sum(kernel_packets) || ' ' || sum(dropped_packets) FROM collector_stats")
	[ "$f" = "$k" ] || fail "$1: flows count '$f' (packets dropped), the kernel '$k'"
	read -r packets dropped <<<"$f"
}

### Run A: cases 1, 3, 4 and 5 under one policy, with the control socket.
printf '%s\n' 'allow src 192.0.2.2' 'block src 192.0.2.2/31 reason "case 1"' \
	"block dst $EGRESS" >"$WORK/a.policy"
collector_start col "$WORK/a.log" -i "$VETH_RX" --egress -d "$WORK/a" --flush-interval 1s \
	--policy "$WORK/a.policy" --control "$sock"

# 1. Clients from the allowed .2 and the blocked .3.
mkdir "$WORK/www"
echo "flowdb enforce_live" >"$WORK/www/hello"
netns_bg http python3 -m http.server --bind "$ADDR" --directory "$WORK/www" 8080 \
	>"$WORK/http.log" 2>&1
netns_bg iperf iperf3 -s -B "$ADDR" -p 5201 >"$WORK/iperf-server.log" 2>&1
wait_listen 8080
wait_listen 5201
netns_peer_exec ping -q -c 3 -i 0.2 -W 2 -I "$PEER_ADDR" "$ADDR" >/dev/null ||
	fail "ping from the allowed $PEER_ADDR failed"
got=$(netns_peer_exec curl -sS --max-time 5 --interface "$PEER_ADDR" "http://$ADDR:8080/hello") ||
	fail "curl from the allowed $PEER_ADDR failed"
[ "$got" = "flowdb enforce_live" ] || fail "curl from $PEER_ADDR got '$got'"
netns_peer_exec timeout 20 iperf3 -c "$ADDR" -p 5201 -B "$PEER_ADDR" -n 4M \
	--connect-timeout 2000 >"$WORK/iperf-allowed.log" 2>&1 ||
	fail "iperf3 from the allowed $PEER_ADDR: $(tail -n 3 "$WORK/iperf-allowed.log")"
if netns_peer_exec ping -q -c 1 -W 1 -I "$BLOCKED" "$ADDR" >/dev/null; then
	fail "ping from the blocked $BLOCKED was answered"
fi
if netns_peer_exec curl -s --max-time 1 --interface "$BLOCKED" "http://$ADDR:8080/hello"; then
	fail "curl from the blocked $BLOCKED got an answer"
fi
if netns_peer_exec timeout 5 iperf3 -c "$ADDR" -p 5201 -B "$BLOCKED" -n 4M \
	--connect-timeout 1000 >"$WORK/iperf-blocked.log" 2>&1; then
	fail "iperf3 from the blocked $BLOCKED ran"
fi
# With --egress the tc program drops what leaves for a blocked destination.
if netns_exec ping -q -c 1 -W 1 "$EGRESS" >/dev/null; then
	fail "ping to the blocked destination $EGRESS was answered"
fi
kill "$http" "$iperf"
wait "$http" "$iperf" 2>/dev/null || true
echo "1. ping, curl and iperf3: pass from the allowed $PEER_ADDR, fail from the blocked $BLOCKED; ping to the blocked destination $EGRESS fails (egress)"

# 3. Block and unblock under a datagram a millisecond.
netns_bg recv python3 "$helper" recv "$ADDR" 9000 "$WORK/recv.out"
wait_ready "$WORK/recv.out" || fail "the receiver did not start"
netns_peer_exec python3 "$helper" flip "$FLIP" "$ADDR" 9000 "$WORK/recv.out" "$ctl_bin" \
	"$sock" >"$WORK/flip.log" || fail "block add/del under traffic"
wait "$recv" || fail "the receiver failed"
sed 's/^/3. /' "$WORK/flip.log"
read -r _ flip_sent _ flip_dropped <"$WORK/flip.log"

# 4. A timed block: in the list with its end, then gone by itself.
t0=$(date +%s%N)
ctl block add "$TIMED" --for 2s --reason "timed"
ctl -f csv block list | tr -d '\r' |
	grep -qx "\"block src $TIMED for 2s reason \"\"timed\"\"\",src,$TIMED,,,,,20[0-9-]*T[0-9:]*Z,ctl,,timed" ||
	fail "block list after a timed add: $(ctl -f csv block list)"
if netns_peer_exec ping -q -c 1 -W 1 -I "$TIMED" "$ADDR" >/dev/null; then
	fail "ping from $TIMED answered while it is blocked"
fi
for ((i = 0; i < 100; i++)); do
	ctl -f csv block list | grep -q "$TIMED" || break
	sleep 0.1
done
gone_ms=$((($(date +%s%N) - t0) / 1000000))
[ "$i" -lt 100 ] || fail "the 2s block of $TIMED still listed after 10 s"
[ "$gone_ms" -ge 2000 ] && [ "$gone_ms" -le 4000 ] ||
	fail "the 2s block of $TIMED left the list after $gone_ms ms"
netns_peer_exec ping -q -c 1 -W 2 -I "$TIMED" "$ADDR" >/dev/null ||
	fail "ping from $TIMED failed after its block expired"
echo "4. block add --for 2s: gone from the list after $gone_ms ms, traffic passes again"

# 5. Nobody: refused by the socket's permissions, and by the collector's
# check of the peer's credentials when the permissions let it through.
chmod 711 "$WORK"
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$ctl_bin" -S "$sock" "$@"
}
refused() {
	local rc=0
	as_nobody block add 192.0.2.99 >"$WORK/nobody.out" 2>"$WORK/nobody.err" || rc=$?
	[ "$rc" = 1 ] && [ ! -s "$WORK/nobody.out" ] && [ "$(wc -l <"$WORK/nobody.err")" = 1 ] &&
		grep -q '^flowdb-ctl: permission denied: ' "$WORK/nobody.err" ||
		fail "nobody ($1): exit $rc, stdout '$(cat "$WORK/nobody.out")', stderr '$(cat "$WORK/nobody.err")'"
	echo "5. nobody, $1: $(cat "$WORK/nobody.err")"
}
refused "socket as installed"
chmod 755 "$WORK/run"
chmod 666 "$sock"
refused "socket opened to all"
grep -q "uid $(id -u nobody) is neither root nor in group flowdb" "$WORK/nobody.err" ||
	fail "the collector's refusal does not name the uid: $(cat "$WORK/nobody.err")"
chmod 750 "$WORK/run"
chmod 660 "$sock"
ctl -f csv block list | grep -q 192.0.2.99 && fail "nobody's block is in force"

# 7. Reload: a rule more, then a broken file; the blocked source sends
# throughout and every packet counts once on its rule.
send() {
	netns_peer_exec python3 "$helper" send "$1" "$ADDR" 9999 50
}
send "$BLOCKED"
echo "block src $RELOADED reason \"reloaded\"" >>"$WORK/a.policy"
ctl reload
ctl -f csv block list | grep -q "^\"block src $RELOADED reason" || fail "reload: $(ctl block list)"
send "$BLOCKED"
send "$RELOADED"
cp "$WORK/a.policy" "$WORK/a.good"
echo "block src 10.0.0.1/8" >>"$WORK/a.policy"
rc=0
ctl reload 2>"$WORK/reload.err" || rc=$?
[ "$rc" = 1 ] && [ "$(wc -l <"$WORK/reload.err")" = 1 ] && grep -q "^flowdb-ctl: [^ ]*:5: " "$WORK/reload.err" ||
	fail "reload of a broken file: exit $rc, $(cat "$WORK/reload.err")"
ctl -f csv block list | grep -q "^\"block src $RELOADED reason" ||
	fail "a refused reload changed the rules: $(ctl block list)"
send "$BLOCKED"
send "$RELOADED"
echo "7. reload: a new rule in force at once; a broken file refused ($(cat "$WORK/reload.err"))"

# A host written as a /32 is the host, in the list and in the audit; a
# network with host bits is refused in one line.
ctl block add 198.51.100.7/32
ctl -f csv block list | tr -d '\r' | grep -qx '"block src 198.51.100.7",src,198.51.100.7,,,,,,ctl,,' ||
	fail "block add 198.51.100.7/32: $(ctl -f csv block list)"
ctl block del 198.51.100.7
rc=0
ctl block add 198.51.100.7/24 2>"$WORK/bits.err" || rc=$?
[ "$rc" = 1 ] && [ "$(cat "$WORK/bits.err")" = \
	"flowdb-ctl: 198.51.100.7/24 has host bits set: the network is 198.51.100.0/24" ] ||
	fail "block add 198.51.100.7/24: exit $rc, $(cat "$WORK/bits.err")"

collector_stop "$col"
exact "$WORK/a"
[ "$packets" -gt 0 ] && [ "$dropped" -gt 0 ] || fail "run A: $packets packets, $dropped dropped"
# 1: every packet of .3 dropped, none of .2; the rules counted them.
got=$(q "$WORK/a" "SELECT src_addr, sum(packets) = sum(dropped_packets), sum(dropped_packets) > 0
	FROM flows WHERE src_addr = '$BLOCKED'")
[ "$got" = "$BLOCKED,1,1" ] || fail "the blocked source's flows: $got"
got=$(q "$WORK/a" "SELECT sum(dropped_packets), sum(packets) > 100 FROM flows
	WHERE src_addr = '$PEER_ADDR'")
[ "$got" = 0,1 ] || fail "the allowed source's flows (dropped, many): $got"
got=$(q "$WORK/a" "SELECT kind, sum(packets) FROM rule_counters GROUP BY rule ORDER BY rule")
want="allow,$(q "$WORK/a" "SELECT sum(packets) FROM flows WHERE src_addr = '$PEER_ADDR'")
block,$(q "$WORK/a" "SELECT sum(dropped_packets) FROM flows WHERE dst_addr = '$EGRESS'
	AND direction = 'out' AND dropped_packets = packets")
block,$(q "$WORK/a" "SELECT sum(dropped_packets) FROM flows WHERE src_addr = '$BLOCKED'")
block,$flip_dropped
block,$(q "$WORK/a" "SELECT sum(dropped_packets) FROM flows WHERE src_addr = '$TIMED'")
block,100"
[ "$got" = "$want" ] || fail "rule_counters: $got; the flows say: $want"
# 3: sent = passed + dropped for the flipped source.
got=$(q "$WORK/a" "SELECT sum(packets) || ' ' || sum(dropped_packets) FROM flows
	WHERE src_addr = '$FLIP' AND dst_port = 9000")
[ "$got" = "$flip_sent $flip_dropped" ] ||
	fail "the flipped stream: flows say '$got' (sent dropped), sent $flip_sent, dropped $flip_dropped"
# 3, 4, 5 in the audit: nothing from nobody.
got=$(q "$WORK/a" "SELECT group_concat(action || ':' || origin || ':' || target || ':' ||
	coalesce(uid, '-'), ' ') FROM (SELECT * FROM actions ORDER BY time)")
want="load:file:$WORK/a.policy:- add:ctl:$FLIP:0 delete:ctl:$FLIP:0 add:ctl:$TIMED:0 expire:expiry:$TIMED:-"
want+=" reload:ctl:$WORK/a.policy:0 reload:ctl:$WORK/a.policy:0"
want+=" add:ctl:198.51.100.7:0 delete:ctl:198.51.100.7:0"
[ "$got" = "$want" ] || fail "actions: $got, not $want"
got=$(q "$WORK/a" "SELECT group_concat(substr(detail, 1, 7), '|') FROM
	(SELECT detail FROM actions WHERE action = 'reload' ORDER BY time)")
[ "$got" = "4 rules|refused" ] || fail "the reloads' details: $got"
# 4 again: the block ends at its time, not at the next flush (1 s apart).
got=$(q "$WORK/a" "SELECT (SELECT time FROM actions WHERE action = 'expire') -
	(SELECT time FROM actions WHERE action = 'add' AND target = '$TIMED')")
[ "$got" -ge 2000000 ] && [ "$got" -le 2250000 ] ||
	fail "the 2s block of $TIMED ended $got us after its add"
echo "run A: $packets packets, $dropped dropped; flows, kernel totals, rule_counters and actions agree"

### Run B, case 2: ten times a limit's rate for 5 s.
python3 "$helper" rate "$WORK/rate.pcap" "$FLOOD" "$ADDR" 7777 50000
printf 'limit src/32 1000pps burst 10 proto udp port 7777\n' >"$WORK/b.policy"
collector_start col "$WORK/b.log" -i "$VETH_RX" -d "$WORK/b" --policy "$WORK/b.policy"
replay_peer "$WORK/rate.pcap" --pps=10000
collector_stop "$col"
exact "$WORK/b"
[ "$packets" = 50000 ] || fail "the limit: the kernel saw $packets of 50000 packets"
got=$(q "$WORK/b" "SELECT sum(packets) || ' ' || sum(dropped_packets) FROM flows
	WHERE src_addr = '$FLOOD'")
[ "$got" = "$packets $dropped" ] || fail "the limited flow counts '$got', the kernel '$packets $dropped'"
got=$(q "$WORK/b" "SELECT group_concat(DISTINCT rule) || ' ' || sum(packets) FROM rule_counters")
[ "$got" = "limit src/32 1000pps burst 10 proto udp port 7777 $dropped" ] ||
	fail "the limit's counters: $got, the kernel dropped $dropped"
span=$(q "$WORK/b" "SELECT max(last_seen) - min(first_seen) FROM flows WHERE src_addr = '$FLOOD'")
python3 - "$packets" "$dropped" "$span" <<'PY' || fail "the limit passed the wrong rate"
import sys
sent, dropped, span_us = map(int, sys.argv[1:])
passed, secs = sent - dropped, span_us / 1e6
rate = passed / secs
print(f"2. limit 1000pps burst 10, sent {sent} in {secs:.3f} s ({sent / secs:.0f} pps): "
      f"passed {passed} = {rate:.1f} pps ({(rate / 1000 - 1) * 100:+.2f}%; "
      f"{(passed - 10) / secs:.1f} pps after the burst), dropped {dropped}")
sys.exit(0 if abs(rate - 1000) <= 50 else 1)
PY

### Runs C and D, case 6: the same capture in enforce and in monitor mode.
read -r mix_sent mix_dropped <<<"$(python3 "$helper" mix "$WORK/mix.pcap" "$WORK/c.policy")"
{ cat "$WORK/c.policy"; echo "mode monitor"; } >"$WORK/d.policy"
for run in c d; do
	collector_start col "$WORK/$run.log" -i "$VETH_RX" -d "$WORK/$run" --policy "$WORK/$run.policy"
	netns_bg sniffer python3 "$helper" sniff "$VETH_RX" "$WORK/$run.sniff"
	wait_ready "$WORK/$run.sniff" || fail "the sniffer did not start"
	replay_peer "$WORK/mix.pcap" --topspeed
	wait "$sniffer" || fail "the sniffer failed"
	collector_stop "$col"
	exact "$WORK/$run"
	[ "$packets $dropped" = "$mix_sent $mix_dropped" ] ||
		fail "run $run: the kernel counts $packets packets, $dropped dropped; the reference $mix_sent, $mix_dropped"
	q "$WORK/$run" "SELECT src_addr, dst_addr, proto, src_port, dst_port, sum(packets),
		sum(dropped_packets), sum(dropped_bytes) FROM flows GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5" \
		>"$WORK/$run.flows"
	q "$WORK/$run" "SELECT rule, kind, sum(packets), sum(bytes) FROM rule_counters GROUP BY 1, 2 ORDER BY 1" \
		>"$WORK/$run.rules"
done
want=$((mix_sent - mix_dropped))
[ "$(cat "$WORK/c.sniff")" = "frames $want" ] ||
	fail "enforce: the stack got $(cat "$WORK/c.sniff"), not frames $want"
[ "$(cat "$WORK/d.sniff")" = "frames $mix_sent" ] ||
	fail "monitor: the stack got $(cat "$WORK/d.sniff"), not frames $mix_sent"
diff -u "$WORK/c.flows" "$WORK/d.flows" || fail "monitor's flows differ from enforce's"
diff -u "$WORK/c.rules" "$WORK/d.rules" || fail "monitor's rule counters differ from enforce's"
[ "$(q "$WORK/c" "SELECT group_concat(DISTINCT policy_mode) FROM collector_stats")" = enforce ] &&
	[ "$(q "$WORK/d" "SELECT group_concat(DISTINCT policy_mode) FROM collector_stats")" = monitor ] ||
	fail "collector_stats.policy_mode is wrong"
echo "6. $mix_sent packets: enforce dropped $mix_dropped as the reference does, monitor passed all and counted the same per flow and per rule"
echo "PASS: --policy live: allow over block for ping/curl/iperf3, egress, a limit's rate, flowdb-ctl under traffic within 100 ms, expiry, nobody refused, reload, monitor = enforce, all exact"
