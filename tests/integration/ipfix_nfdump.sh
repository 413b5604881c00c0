#!/usr/bin/env bash
# flowdb-collector --ipfix against real collectors, on 127.0.0.1 of a private
# network namespace:
#  - a --read import (a generated capture of 20,000 flows and the shared
#    captures) to nfcapd: nfdump's records equal the flow files' per
#    5-tuple (records, packets, bytes, TCP flags, first and last to the
#    millisecond) with no sequence failure, and collector_stats counts
#    every record sent; a smaller one to nfcapd and nfacctd at once: the
#    same, and nfacctd's totals (flows, packets, bytes) equal the files';
#  - a live run, a generated capture replayed into the XDP program, to
#    nfcapd: equal per 5-tuple the same way;
#  - a collector started after the exporter gets the records that end
#    after the next template refresh, and none of those sent before it;
#  - bad input: an unresolvable host, a bad port, port 0, a closed port
#    (send errors counted, files written), no route: one line each.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/collector.sh"
. "$top/tests/lib/pcaps.sh"

netns_require nfcapd nfdump nfacctd pmacct tcpreplay python3 ss
work_dir
netns_create
shared_pcaps || true
export TZ=UTC # nfdump's JSON times are local time
# nfcapd's socket buffer: as large as the kernel lets it be (net.core.rmem_max;
# README, "IPFIX export", says why).
rmem=$(cat /proc/sys/net/core/rmem_max)

# free_port: a random UDP port nothing in the namespace listens on.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		[ -z "$(netns_exec ss -Hlun "sport = :$p")" ] && { echo "$p"; return; }
	done
}

# nfcapd_start VAR DIR PORT: nfcapd writing DIR, listening on 127.0.0.1:PORT.
nfcapd_start() {
	mkdir -p "$2"
	netns_bg "$1" nfcapd -B "$rmem" -b 127.0.0.1 -p "$3" -w "$2" -t 3600 >"$2.log" 2>&1
	wait_for "$2.log" '^Startup nfcapd' || { cat "$2.log" >&2; fail "nfcapd did not start"; }
}

# nfcapd_stop PID DIR: SIGTERM (nfcapd writes its file and exits), then
# nfdump's records of DIR as JSON into DIR.json.
nfcapd_stop() {
	kill -TERM "$1"
	wait "$1" || fail "nfcapd exited with $? after SIGTERM"
	nfdump -R "$2" -o json >"$2.json"
	nfdump -R "$2" -I >"$2.info"
}

# import NAME OPTIONS...: --read into $WORK/NAME, stderr in $WORK/NAME.log.
import() {
	local name=$1
	shift
	netns_exec "$COLLECTOR" -d "$WORK/$name" "$@" 2>"$WORK/$name.log" ||
		fail "--read $*: $(cat "$WORK/$name.log")"
}

# stats DIR COLUMN: the sum of collector_stats.COLUMN over DIR's files.
stats() {
	local f total=0
	for f in "$1"/flows-*.db; do
		total=$((total + $(sql "$f" "SELECT coalesce(sum($2), 0) FROM collector_stats")))
	done
	echo "$total"
}

records() {
	local f total=0
	for f in "$1"/flows-*.db; do
		total=$((total + $(sql "$f" "SELECT count(*) FROM flows ${2:-}")))
	done
	echo "$total"
}

# --- (a) --read to nfcapd ---------------------------------------------------------
"$top/build/tests/pcapgen" --flows 20000 --packets 100000 --seed 19 \
	--pcap "$WORK/gen.pcap" --truth "$WORK/gen.csv"
captures=("$WORK/gen.pcap")
[ -n "$PCAPS" ] && captures+=("$PCAPS"/*.pcap)
nf_port=$(free_port)
nfcapd_start nf "$WORK/nf-read" "$nf_port"
import read --read "${captures[@]}" --ipfix "127.0.0.1:$nf_port"
nfcapd_stop "$nf" "$WORK/nf-read"
python3 "$top/tests/integration/ipfix_cmp.py" nfdump "$WORK/read" "$WORK/nf-read.json" ||
	fail "nfdump's records of the --read import differ from the flow files"
grep -qx 'Sequence failures: 0' "$WORK/nf-read.info" ||
	fail "nfcapd saw sequence failures: $(grep Sequence "$WORK/nf-read.info")"
n=$(records "$WORK/read")
[ "$(stats "$WORK/read" ipfix_records)" = "$n" ] ||
	fail "collector_stats.ipfix_records $(stats "$WORK/read" ipfix_records), want $n"
[ "$(stats "$WORK/read" "ipfix_send_errors + ipfix_dropped")" = 0 ] ||
	fail "send errors or drops in the --read import"

# --- (a') --read to nfcapd and nfacctd at once ---------------------------------------
# nfacctd hands each record to its plugin through a socket pair that a
# burst of a few thousand records overflows (pmacct 1.7.7: "Missing data
# detected"): --ipfix-rate 200 paces the export below that.
"$top/build/tests/pcapgen" --flows 2000 --packets 10000 --seed 23 \
	--pcap "$WORK/small.pcap" --truth "$WORK/small.csv"
captures=("$WORK/small.pcap")
[ -n "$PCAPS" ] && captures+=("$PCAPS"/*.pcap)
nf_port=$(free_port)
pm_port=$(free_port)
[ "$nf_port" != "$pm_port" ] || pm_port=$(free_port)
cat >"$WORK/nfacctd.conf" <<EOF
daemonize: false
nfacctd_ip: 127.0.0.1
nfacctd_port: $pm_port
plugins: memory[m]
aggregate[m]: src_host, dst_host, src_port, dst_port, proto, flows
imt_path[m]: $WORK/nfacctd.pipe
imt_buckets: 65537
imt_mem_pools_number: 64
imt_mem_pools_size: 1048576
EOF
nfcapd_start nf "$WORK/nf-two" "$nf_port"
# nfacctd ignores SIGTERM, which the teardown sends: a shell in front of it
# turns that into the SIGINT it obeys, and kills its process group (its
# plugin too) if that has not ended it 5 s later.
netns_bg pm bash -c 'setsid nfacctd -f "$1" & p=$!
	trap "kill -INT $p; { sleep 5; kill -KILL -- -$p 2>/dev/null; } &" TERM
	wait $p; wait $p' nfacctd "$WORK/nfacctd.conf" >"$WORK/nfacctd.log" 2>&1
wait_for "$WORK/nfacctd.log" "waiting for data on: '$WORK/nfacctd.pipe'" ||
	{ cat "$WORK/nfacctd.log" >&2; fail "nfacctd did not start"; }
import two --read "${captures[@]}" --ipfix "127.0.0.1:$nf_port" --ipfix "127.0.0.1:$pm_port" \
	--ipfix-rate 200
nfcapd_stop "$nf" "$WORK/nf-two"
python3 "$top/tests/integration/ipfix_cmp.py" nfdump "$WORK/two" "$WORK/nf-two.json" ||
	fail "nfdump's records (two destinations) differ from the flow files"
# nfacctd's memory table, asked with its pmacct client: its totals reach
# the files' once its plugin has taken every record, or never.
for ((i = 0; i < 30; i++)); do
	pmacct -p "$WORK/nfacctd.pipe" -s -O csv >"$WORK/nfacctd.csv"
	python3 "$top/tests/integration/ipfix_cmp.py" pmacct "$WORK/two" "$WORK/nfacctd.csv" \
		>"$WORK/pmacct.out" 2>&1 && break
	sleep 1
done
cat "$WORK/pmacct.out"
[ "$i" -lt 30 ] || { cat "$WORK/nfacctd.log" >&2; fail "nfacctd's totals differ from the flow files"; }
kill -TERM "$pm"
wait "$pm" || fail "nfacctd exited with $? after SIGINT"
n=$(records "$WORK/two")
[ "$(stats "$WORK/two" ipfix_records)" = $((2 * n)) ] ||
	fail "collector_stats.ipfix_records $(stats "$WORK/two" ipfix_records), want $((2 * n))"

# --- (b) live -----------------------------------------------------------------
"$top/build/tests/pcapgen" --flows 5000 --packets 30000 --seed 20 \
	--pcap "$WORK/live.pcap" --truth "$WORK/live.csv"
nf_port=$(free_port)
nfcapd_start nf "$WORK/nf-live" "$nf_port"
collector_start col "$WORK/live.log" -i "$VETH_RX" -d "$WORK/live" --flush-interval 500ms \
	--ipfix "127.0.0.1:$nf_port"
replay "$WORK/live.pcap" --topspeed
collector_stop "$col"
nfcapd_stop "$nf" "$WORK/nf-live"
python3 "$top/tests/integration/ipfix_cmp.py" nfdump "$WORK/live" "$WORK/nf-live.json" ||
	fail "nfdump's records of the live run differ from the flow files"
grep -qx 'Sequence failures: 0' "$WORK/nf-live.info" ||
	fail "nfcapd saw sequence failures: $(grep Sequence "$WORK/nf-live.info")"
[ "$(stats "$WORK/live" ipfix_records)" = "$(records "$WORK/live")" ] ||
	fail "live: collector_stats.ipfix_records differs from the records written"

# --- (c) a collector started after the exporter --------------------------------
# Batch A ends (idle) while nothing listens; nfcapd starts; once a flush
# 2 s later is committed, the 1 s template refresh has passed, and batch B,
# replayed then, reaches nfcapd whole. Nothing of A may.
"$top/build/tests/pcapgen" --flows 200 --packets 1000 --seed 21 \
	--pcap "$WORK/a.pcap" --truth "$WORK/a.csv"
"$top/build/tests/pcapgen" --flows 300 --packets 1500 --seed 22 \
	--pcap "$WORK/b.pcap" --truth "$WORK/b.csv"
nf_port=$(free_port)
collector_start col "$WORK/late.log" -i "$VETH_RX" -d "$WORK/late" --flush-interval 500ms \
	--idle-timeout 3s --ipfix "127.0.0.1:$nf_port" --ipfix-template-refresh 1s \
	--ipfix-template-every 0
replay "$WORK/a.pcap" --topspeed
a_flows=$(wc -l <"$WORK/a.csv")
for ((i = 0; i < 150; i++)); do
	[ "$(records "$WORK/late" 2>/dev/null)" = "$a_flows" ] && break
	sleep 0.1
done
[ "$i" -lt 150 ] || fail "batch A's $a_flows records did not end"
wait_for "$WORK/late.log" "ipfix 127\.0\.0\.1:$nf_port: cannot send: Connection refused" 15 ||
	fail "batch A was not refused: $(cat "$WORK/late.log")"
nfcapd_start nf "$WORK/nf-late" "$nf_port"
t_b=$(($(date +%s%6N) + 2000000))
for ((i = 0; i < 100; i++)); do
	f=$(ls "$WORK/late"/flows-*.db | tail -n1)
	[ "$(sql "$f" "SELECT count(*) FROM collector_stats WHERE time >= $t_b")" != 0 ] && break
	sleep 0.1
done
[ "$i" -lt 100 ] || fail "no flush 2 s after nfcapd started"
replay "$WORK/b.pcap" --topspeed
b_flows=$(wc -l <"$WORK/b.csv")
for ((i = 0; i < 150; i++)); do
	[ "$(records "$WORK/late" "WHERE first_seen >= $t_b")" = "$b_flows" ] && break
	sleep 0.1
done
[ "$i" -lt 150 ] || fail "batch B's $b_flows records did not end"
collector_stop "$col"
nfcapd_stop "$nf" "$WORK/nf-late"
python3 "$top/tests/integration/ipfix_cmp.py" nfdump "$WORK/late" "$WORK/nf-late.json" \
	--where "first_seen >= $t_b" ||
	fail "the late nfcapd's records differ from batch B's"
[ "$(stats "$WORK/late" ipfix_send_errors)" -gt 0 ] || fail "no send error counted for batch A"

# --- (d) bad input --------------------------------------------------------------
# expect STATUS MESSAGE ARGS...: exit status and whole stderr of the collector.
expect() {
	local want_rc=$1 want=$2 rc=0
	shift 2
	netns_exec "$COLLECTOR" "$@" >/dev/null 2>"$WORK/err" || rc=$?
	[ "$rc" = "$want_rc" ] || fail "$*: exit $rc, want $want_rc ($(cat "$WORK/err"))"
	[ "$(cat "$WORK/err")" = "$want" ] || fail "$*: said '$(cat "$WORK/err")', want '$want'"
}
expect 2 "flowdb-collector: --ipfix: 'collector:0': bad port '0' (1 to 65535)" \
	--read "$WORK/a.pcap" -d "$WORK/bad" --ipfix collector:0
expect 2 "flowdb-collector: --ipfix: '127.0.0.1:ipfix': bad port 'ipfix' (1 to 65535)" \
	--read "$WORK/a.pcap" -d "$WORK/bad" --ipfix 127.0.0.1:ipfix
expect 2 "flowdb-collector: --ipfix: '::1:4739': put an IPv6 address in brackets: [ADDRESS]:PORT" \
	--read "$WORK/a.pcap" -d "$WORK/bad" --ipfix ::1:4739
# The resolver's own words end the line; nothing is created.
rc=0
netns_exec "$COLLECTOR" --read "$WORK/a.pcap" -d "$WORK/bad" --ipfix no-such-host.invalid:4739 \
	2>"$WORK/err" || rc=$?
[ "$rc" = 1 ] || fail "an unresolvable host: exit $rc, want 1"
[ "$(wc -l <"$WORK/err")" = 1 ] &&
	grep -q "^flowdb-collector: --ipfix no-such-host.invalid:4739: cannot resolve 'no-such-host.invalid': " \
		"$WORK/err" || fail "an unresolvable host said: $(cat "$WORK/err")"
[ ! -e "$WORK/bad" ] || fail "an unresolvable host left a data directory"
# A closed port: ICMP port unreachable comes back; every record still in
# the files, the refusals counted, one line.
closed=$(free_port)
import closed --read "$WORK/gen.pcap" --ipfix "127.0.0.1:$closed"
[ "$(cat "$WORK/closed.log" | grep -c ipfix)" = 1 ] &&
	grep -q "^flowdb-collector: --ipfix 127.0.0.1:$closed: cannot send: Connection refused; counting send errors in collector_stats.ipfix_send_errors$" \
		"$WORK/closed.log" || fail "a closed port said: $(cat "$WORK/closed.log")"
[ "$(records "$WORK/closed")" = 20000 ] || fail "a closed port: $(records "$WORK/closed") records written"
[ "$(stats "$WORK/closed" ipfix_send_errors)" -gt 0 ] || fail "a closed port: no send error counted"
# No route to the destination (the namespace has no address but loopback).
import noroute --read "$WORK/a.pcap" --ipfix 192.0.2.1:4739
grep -qx "flowdb-collector: --ipfix 192.0.2.1:4739: cannot send: Network is unreachable; counting send errors in collector_stats.ipfix_send_errors" \
	"$WORK/noroute.log" || fail "no route said: $(cat "$WORK/noroute.log")"
[ "$(records "$WORK/noroute")" = 200 ] || fail "no route: $(records "$WORK/noroute") records written"
[ "$(stats "$WORK/noroute" ipfix_records)" = 0 ] && [ "$(stats "$WORK/noroute" ipfix_send_errors)" -gt 0 ] ||
	fail "no route: records or send errors miscounted"
echo "PASS: --read and live records equal in nfdump per 5-tuple, nfacctd's totals equal, a late collector served after the template refresh, bad destinations one line each"
