#!/usr/bin/env bash
# Alert rules under --read: a generated capture (alerts_offline.py) with a
# port scan, a SYN flood, HTTP requests, DNS queries, a bytes burst, a step
# after steady traffic, and benign sources throughout:
#  - the alerts are exactly those of an independent reference of the rules
#    (rule, key, capture time of the flush, value, threshold), none for the
#    benign sources;
#  - two runs give the same alerts table, every column;
#  - the scan's `then block` drops exactly the scanner's packets from its
#    alert's time on, and nothing else;
#  - the actions table holds the block, origin alert, at the alert's time.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/collector.sh"

[ "$(id -u)" = 0 ] || skip "needs root (BPF)"
command -v python3 >/dev/null || skip "needs python3"
work_dir
printf 'alert probe src flows > 1 in 1m\n' >"$WORK/probe.policy"
"$COLLECTOR" --check-policy "$WORK/probe.policy" >/dev/null 2>&1 ||
	skip "flowdb-collector has no alert rules"
python3 "$top/tests/integration/alerts_offline.py" gen "$WORK"

q() {
	"$top/build/flowdb" -d "$1" -f csv --no-headers -c "$2" | tr -d '\r'
}

for run in 1 2; do
	"$COLLECTOR" --read "$WORK/alerts.pcap" --policy "$WORK/alerts.policy" -d "$WORK/$run" \
		2>"$WORK/$run.log" || fail "--read --policy: $(cat "$WORK/$run.log")"
	q "$WORK/$run" "SELECT * FROM alerts ORDER BY time, rule, key" >"$WORK/$run.alerts"
done
diff -u "$WORK/1.alerts" "$WORK/2.alerts" || fail "two runs over one capture raised different alerts"
q "$WORK/1" "SELECT rule, key, time, value, threshold FROM alerts ORDER BY time, rule, key" \
	>"$WORK/got.csv"
python3 "$top/tests/integration/alerts_offline.py" check "$WORK/expected.csv" "$WORK/got.csv" ||
	fail "the alerts differ from the reference's"
n=$(wc -l <"$WORK/got.csv")

read -r scanner want <"$WORK/dropped"
alert_at=$(q "$WORK/1" "SELECT min(time) FROM alerts WHERE rule = 'scan'")
got=$(q "$WORK/1" "SELECT (SELECT sum(dropped_packets) FROM flows WHERE src_addr = '$scanner'),
	(SELECT sum(dropped_packets) FROM flows), (SELECT min(first_seen) FROM flows
	WHERE src_addr = '$scanner' AND dropped_packets > 0) >= $alert_at")
[ "$got" = "$want,$want,1" ] ||
	fail "the scanner's block: dropped (its, all, none before the alert) $got, want $want"
got=$(q "$WORK/1" "SELECT group_concat(action || ' ' || origin || ' ' || target || ' ' || time, '; ')
	FROM actions WHERE origin = 'alert'")
[ "$got" = "add alert $scanner $alert_at" ] || fail "the block's actions: $got"
got=$(q "$WORK/1" "SELECT group_concat(action, '; ') FROM (SELECT action FROM alerts
	WHERE rule = 'scan' ORDER BY time)")
[ "$got" = "block src $scanner for 10m; not blocked: blocked already" ] ||
	fail "the scan alerts' actions: $got"
echo "PASS: --read --policy: $n alerts as the reference computes them, in capture time, the same on two runs;" \
	"the scan's block dropped exactly the scanner's $want packets after its alert"
