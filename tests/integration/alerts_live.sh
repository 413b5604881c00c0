#!/usr/bin/env bash
# Alert rules on a live interface, real tools, private namespaces:
#  1. an nmap SYN scan raises the scan alert within one flush interval plus
#     200 ms of its first packet, the scanner is blocked (block list and
#     actions, origin alert), and a second nmap then finds every port
#     filtered; a `then block 3s` ends 3 s after it began;
#  2. an hping3 SYN flood, a curl loop (a connection per request) and a
#     download of a few MB raise the flood, api and exfil alerts, for their
#     sources (the download's destination) and no other;
#  3. every sink (webhook, syslog socket, JSON lines file, command) receives
#     exactly the alerts table's rows; the webhook gets them all although
#     its server starts only after they were raised; a command that hangs
#     is killed at its timeout, counted in collector_stats.sink_failures,
#     and stalls neither the flushes nor the other sinks;
#  4. an anomaly rule stays silent through steady pings and fires on a step.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/collector.sh"

netns_require nmap hping3 ping curl python3 ss
work_dir
printf 'alert probe src flows > 1 in 1m\n' >"$WORK/probe.policy"
"$COLLECTOR" --check-policy "$WORK/probe.policy" >/dev/null 2>&1 ||
	skip "flowdb-collector has no alert rules"
netns_create
netns_peer
helper=$top/tests/integration/alerts_live.py
flowdb=$top/build/flowdb
sock=$WORK/control.sock
FLOOD=192.0.2.11 API=192.0.2.12 EXFIL=192.0.2.13 SPIKE=192.0.2.14
for a in "$FLOOD" "$API" "$EXFIL" "$SPIKE"; do
	ip -n "$NS_PEER" addr add "$a/24" dev "$VETH_TX"
done

ctl() {
	"$top/build/flowdb-ctl" -S "$sock" "$@"
}

# q DIR SQL: the answer of flowdb's shell over every file in DIR, as CSV.
q() {
	"$flowdb" -d "$1" -f csv --no-headers -c "$2" | tr -d '\r'
}

now_us() {
	echo $(($(date +%s%N) / 1000))
}

# wait_rows DIR SQL N SECS: waits until SQL counts N or more.
wait_rows() {
	local i
	for ((i = 0; i < $4 * 10; i++)); do
		[ "$(q "$1" "$2" 2>/dev/null || echo 0)" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

# Waits until something in the host namespace listens on TCP port $1.
wait_listen() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -n "$(netns_exec ss -Hltn "sport = :$1")" ] && return 0
		sleep 0.1
	done
	fail "nothing listens on port $1"
}

# scan LOG: nmap's SYN scan of the host's ports 1-1000 from the peer,
# grepable output in LOG.
scan() {
	netns_peer_exec nmap -sS -Pn -n -p 1-1000 --max-retries 0 -T4 -oG "$1" "$ADDR" >/dev/null
}

### 1. A SYN scan: the alert, the block, every port filtered, the expiry.
printf '%s\n' '# a port scan: more than 100 ports of the host in a minute' \
	'alert scan src distinct dst_port > 100 in 60s then block 10m severity high' >"$WORK/a.policy"
collector_start col "$WORK/a.log" -i "$VETH_RX" --flush-interval 1s -d "$WORK/a" \
	--policy "$WORK/a.policy" --control "$sock"
t0=$(now_us)
scan "$WORK/scan1.gnmap" &
nmap_pid=$!
blocked_us=
for ((i = 0; i < 500; i++)); do
	if ctl -f csv block list | grep -q ",$PEER_ADDR,.*,alert,"; then
		blocked_us=$(now_us)
		break
	fi
	sleep 0.01
done
wait "$nmap_pid" || fail "the first nmap failed"
[ -n "$blocked_us" ] || fail "the scanner is not blocked 5 s after nmap started: $(ctl block list)"
line=$(ctl -f csv block list | tr -d '\r' | grep ",$PEER_ADDR,")
[[ $line == '"block src '"$PEER_ADDR"' for 10m reason ""scan"""',src,$PEER_ADDR,*,alert,* ]] ||
	fail "the alert's block: $line"
scan "$WORK/scan2.gnmap" || fail "the second nmap failed"
grep -q 'Ignored State: filtered (1000)' "$WORK/scan2.gnmap" ||
	fail "the blocked scanner's nmap: $(grep Ports\\\|Ignored "$WORK/scan2.gnmap")"
collector_stop "$col"

got=$(q "$WORK/a" "SELECT rule, key, severity, side, metric, value > 100 AND value <= 1000,
	threshold, window, action = 'block src $PEER_ADDR for 10m', suppressed, line, example LIKE 'tcp $PEER_ADDR:% -> $ADDR:%'
	FROM alerts")
[ "$got" = "scan,$PEER_ADDR,high,src,distinct dst_port,1,100.0,60000000,1,0,2,1" ] ||
	fail "the scan's alerts: $got"
first_syn=$(q "$WORK/a" "SELECT min(first_seen) FROM flows WHERE src_addr = '$PEER_ADDR' AND proto = 6")
read -r alert_us add_us <<<"$(q "$WORK/a" "SELECT (SELECT time FROM alerts),
	(SELECT time FROM actions WHERE action = 'add')" | tr , ' ')"
got=$(q "$WORK/a" "SELECT action, origin, target, detail LIKE 'alert scan: $PEER_ADDR %' FROM actions
	WHERE origin = 'alert'")
[ "$got" = "add,alert,$PEER_ADDR,1" ] || fail "the block's actions row: $got"
alert_ms=$(((alert_us - first_syn) / 1000))
[ "$alert_ms" -ge 0 ] && [ "$alert_ms" -le 1200 ] ||
	fail "the scan alert came $alert_ms ms after the first SYN (at most 1 s flush + 200 ms)"
echo "1. nmap SYN scan: alert row $alert_ms ms after its first SYN, block added $(((add_us - first_syn) / 1000)) ms after it" \
	"(in flowdb-ctl block list $(((blocked_us - t0) / 1000)) ms after nmap started); the second scan: 1000 ports filtered"

printf 'alert scan src distinct dst_port > 100 in 60s then block 3s\n' >"$WORK/b.policy"
collector_start col "$WORK/b.log" -i "$VETH_RX" --flush-interval 1s -d "$WORK/b" \
	--policy "$WORK/b.policy" --control "$sock"
scan "$WORK/scan3.gnmap" || fail "nmap failed"
wait_rows "$WORK/b" "SELECT count(*) FROM actions WHERE action = 'expire'" 1 10 ||
	fail "the 3s block did not expire: $(q "$WORK/b" "SELECT * FROM actions")"
netns_peer_exec ping -q -c 1 -W 2 "$ADDR" >/dev/null || fail "ping fails after the block expired"
collector_stop "$col"
got=$(q "$WORK/b" "SELECT group_concat(action || ':' || origin || ':' || target, ' ') FROM
	(SELECT * FROM actions WHERE action IN ('add', 'expire') ORDER BY time)")
[ "$got" = "add:alert:$PEER_ADDR expire:expiry:$PEER_ADDR" ] || fail "the 3s block's actions: $got"
lasted=$(q "$WORK/b" "SELECT (SELECT time FROM actions WHERE action = 'expire') -
	(SELECT time FROM actions WHERE action = 'add')")
[ "$lasted" -ge 3000000 ] && [ "$lasted" -le 3250000 ] || fail "the 3s block lasted $lasted us"
echo "1. then block 3s: expired $((lasted / 1000)) ms after it was added; ping passes again"

### 2 and 3. A SYN flood, HTTP requests, a download; every sink.
mkdir "$WORK/www"
echo hello >"$WORK/www/index.html"
head -c 4M /dev/urandom >"$WORK/www/big.bin"
netns_bg http python3 -m http.server --bind "$ADDR" --directory "$WORK/www" 8080 \
	>"$WORK/http.log" 2>&1
netns_bg syslogd python3 "$helper" syslog "$WORK/syslog.sock" "$WORK/syslog.out" >"$WORK/syslog.ready"
wait_ready "$WORK/syslog.ready" || fail "the syslog socket is not bound"
wait_listen 8080
cat >"$WORK/c.policy" <<EOF
alert flood src syn > 200/s severity critical
alert api src http_requests > 50 in 60s
alert exfil dst bytes > 2M in 1m severity high
sink jsonl $WORK/jsonl.out
sink syslog facility local3 socket $WORK/syslog.sock
sink command "cat >> $WORK/command.out"
sink command "sleep 60" timeout 1s
sink webhook http://127.0.0.1:8099/alerts timeout 2s
EOF
collector_start col "$WORK/c.log" -i "$VETH_RX" --egress --flush-interval 1s -d "$WORK/c" \
	--policy "$WORK/c.policy" --control "$sock"
# hping3 exits 1 when replies are missing; the alert is what is checked.
netns_peer_exec hping3 -q -S -p 80 -a "$FLOOD" -i u500 -c 2000 "$ADDR" >/dev/null 2>&1 || true
for ((i = 0; i < 80; i++)); do
	netns_peer_exec curl -sS -o /dev/null --interface "$API" "http://$ADDR:8080/" ||
		fail "request $i of the curl loop failed"
done
netns_peer_exec curl -sS -o /dev/null --interface "$EXFIL" "http://$ADDR:8080/big.bin" ||
	fail "the download failed"
wait_rows "$WORK/c" "SELECT count(*) FROM alerts" 3 10 ||
	fail "not 3 alerts: $(q "$WORK/c" "SELECT * FROM alerts")"
# The webhook's server comes up only now, after it failed twice at least
# (the hanging command fails at most once per alert, 3 in all).
wait_rows "$WORK/c" "SELECT sum(sink_failures) FROM collector_stats" 5 20 ||
	fail "fewer than 5 sink failures with the webhook down and a command hanging"
down_ms=$((($(now_us) - $(q "$WORK/c" "SELECT min(time) FROM alerts")) / 1000))
netns_bg hook python3 "$helper" webhook 127.0.0.1 8099 "$WORK/webhook.out" >"$WORK/webhook.ready"
wait_ready "$WORK/webhook.ready" || fail "the webhook server did not start"
for ((i = 0; i < 400; i++)); do
	[ -f "$WORK/webhook.out" ] && [ "$(wc -l <"$WORK/webhook.out")" -ge 3 ] && break
	sleep 0.1
done
collector_stop "$col"
got=$(q "$WORK/c" "SELECT group_concat(rule || ' ' || key || ' ' || severity || ' ' || side || ' '
	|| metric || ' ' || threshold, '; ') FROM (SELECT * FROM alerts ORDER BY rule)")
[ "$got" = "api $API medium src http_requests 50.0; exfil $EXFIL high dst bytes 2097152.0; flood $FLOOD critical src syn 200.0" ] ||
	fail "the alerts: $got"
q "$WORK/c" "SELECT rule, key, value FROM alerts ORDER BY rule" | sed 's/^/2. alert /'
q "$WORK/c" "SELECT rule, key, time FROM alerts" >"$WORK/table.csv"
python3 "$helper" compare "$WORK/table.csv" jsonl="$WORK/jsonl.out" syslog="$WORK/syslog.out" \
	command="$WORK/command.out" webhook="$WORK/webhook.out" >"$WORK/compare.out" ||
	fail "a sink did not get exactly the alerts"
sed 's/^/3. /' "$WORK/compare.out"
read -r failures max_flush <<<"$(q "$WORK/c" "SELECT sum(sink_failures), max(flush_duration_us)
	FROM collector_stats" | tr , ' ')"
# Each alert's sleep is killed at 1 s, a failure; the webhook failed at
# least twice while its server was down.
[ "$failures" -ge 5 ] || fail "collector_stats.sink_failures adds up to $failures, not 3 timeouts + the webhook's"
[ "$max_flush" -lt 200000 ] || fail "a flush took $max_flush us with a command hanging"
echo "3. the webhook's server down $down_ms ms after the first alert, a command hanging: $failures sink failures counted, the longest flush $((max_flush / 1000)) ms"

### 4. Anomaly: steady pings, then a step.
printf 'alert spike src anomaly packets 4sigma per 1s warmup 10s\n' >"$WORK/d.policy"
collector_start col "$WORK/d.log" -i "$VETH_RX" --flush-interval 200ms -d "$WORK/d" \
	--policy "$WORK/d.policy"
netns_peer_exec ping -q -c 150 -i 0.1 -I "$SPIKE" "$ADDR" >/dev/null || fail "the steady ping failed"
step_us=$(now_us)
quiet=$(q "$WORK/d" "SELECT count(*) FROM alerts")
[ "$quiet" = 0 ] || fail "the anomaly rule fired on steady pings: $(q "$WORK/d" "SELECT * FROM alerts")"
netns_peer_exec ping -q -c 1000 -i 0.002 -I "$SPIKE" "$ADDR" >/dev/null || fail "the step's ping failed"
wait_rows "$WORK/d" "SELECT count(*) FROM alerts" 1 5 || fail "the anomaly rule did not fire on the step"
collector_stop "$col"
got=$(q "$WORK/d" "SELECT rule, key, metric, time > $step_us, value > threshold, window FROM alerts")
[ "$got" = "spike,$SPIKE,anomaly packets,1,1,1000000" ] || fail "the anomaly's alerts: $got"
echo "4. anomaly: silent through 15 s of 10 pings/s, then $(q "$WORK/d" "SELECT value || ' packets in 1 s > ' ||
	round(threshold, 1) FROM alerts") on the step"
echo "PASS: alerts live: nmap scan alerted and blocked in time, flood, api, exfil, every sink exact, anomaly"
