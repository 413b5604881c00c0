#!/usr/bin/env bash
# Payload inspection agrees with tshark's dissectors: every real capture in
# ../shared/pcaps is imported with --read (the same BPF program copies the
# first payload packets of each flow, the collector inspects them), and per
# flow the TLS server name, HTTP host and DNS query name flowdb recorded
# equal what tshark finds in the same packets (tests/lib/tsharkapps.py).
# The canned queries over them run, two imports give the same rows, and
# --no-inspect records no finding.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/pcaps.sh"

[ "$(id -u)" = 0 ] || skip "needs root (BPF)"
for cmd in tshark python3; do
	command -v "$cmd" >/dev/null || skip "needs $cmd"
done
shared_pcaps || skip "no shared captures (set FLOWDB_PCAPS)"
pcaps=$PCAPS
work_dir
flowdb=$top/build/flowdb

found=0
for capture in "$pcaps"/*.pcap; do
	name=$(basename "$capture" .pcap)
	"$top/build/flowdb-collector" --read "$capture" -d "$WORK/$name" 2>"$WORK/$name.log" ||
		fail "--read $capture: $(cat "$WORK/$name.log")"
	python3 "$top/tests/lib/tsharkapps.py" "$capture" "$WORK/$name" "$flowdb" ||
		fail "$name: flowdb's findings differ from tshark's (see above)"
	n=$("$flowdb" -d "$WORK/$name" -f csv --no-headers \
		-c "SELECT count(*) FROM flows WHERE app_proto IS NOT NULL")
	found=$((found + ${n%$'\r'}))
	for q in tls-names http-hosts dns-names cleartext request-rate; do
		"$flowdb" -d "$WORK/$name" -q "$q" >/dev/null || fail "$name: --query $q failed"
	done
done
[ "$found" -gt 100 ] || fail "only $found flows recognised in all the captures"

# The import reads the rings on a second thread, and tells the kernel what
# it found at fixed places in the capture: two imports of every capture at
# once write the same rows, findings, requests and payload copies. (Records
# ending at one flush come in the kernel's hash order, seeded per map.)
for run in 1 2; do
	"$top/build/flowdb-collector" --read "$pcaps" -d "$WORK/again$run" 2>"$WORK/again$run.log" ||
		fail "--read $pcaps: $(cat "$WORK/again$run.log")"
	for db in "$WORK/again$run"/flows-*.db; do
		echo "== $(basename "$db")"
		sqlite3 "$db" "SELECT * FROM flows; SELECT * FROM events; SELECT * FROM requests;
			SELECT time, kernel_packets, events, payload_events, payload_bytes, payload_drops
			FROM collector_stats" | sort
	done >"$WORK/again$run.rows"
done
cmp -s "$WORK/again1.rows" "$WORK/again2.rows" ||
	fail "two imports of $pcaps differ: $(diff "$WORK/again1.rows" "$WORK/again2.rows" | head -3)"
grep -q '|tls|' "$WORK/again1.rows" || fail "the imports compared found no TLS flow"

# Off: the same flows, no finding, no payload copied.
capture=$pcaps/1kxun.pcap
"$top/build/flowdb-collector" --read "$capture" -d "$WORK/off" --no-inspect 2>/dev/null
got=$("$flowdb" -d "$WORK/off" -f csv --no-headers -c "SELECT count(*), count(app_proto),
	(SELECT sum(payload_events) FROM collector_stats) FROM flows")
want=$("$flowdb" -d "$WORK/1kxun" -f csv --no-headers -c "SELECT count(*) FROM flows")
[ "${got%$'\r'}" = "${want%$'\r'},0,0" ] || fail "--no-inspect: $got (flows, findings, payload events); $want flows with inspection"
echo "PASS: $found flows recognised in the shared captures, each as tshark sees it; --no-inspect finds none"
