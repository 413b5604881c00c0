#!/usr/bin/env bash
# The example policies (examples/policy/server.policy and gateway.policy):
#  - `flowdb-collector --check-policy` takes each, with no warning but the
#    one about the portscan's spoofable block, and with its sinks uncommented;
#  - the demo's benign traffic (examples/demo.sh, FLOWDB_DEMO_POLICY) under
#    each raises no alert and drops nothing, the rules running all along;
#  - an nmap SYN scan of its default 1000 ports under each raises the
#    portscan alert and blocks the scanner.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/collector.sh"

netns_require nmap ping curl python3 tcpreplay ss
work_dir
printf 'alert probe src flows > 1 in 1m\n' >"$WORK/probe.policy"
"$COLLECTOR" --check-policy "$WORK/probe.policy" >/dev/null 2>&1 ||
	skip "flowdb-collector has no alert rules"

q() {
	"$top/build/flowdb" -d "$1" -f csv --no-headers -c "$2" | tr -d '\r'
}

declare -A summary=(
	[server]="13 rules: 1 allow, 2 block, 1 limit, 9 alert; 0 sinks; mode enforce"
	[gateway]="12 rules: 1 allow, 2 block, 1 limit, 8 alert; 0 sinks; mode enforce"
)
declare -A sinks=([server]=4 [gateway]=3)
for name in server gateway; do
	policy=$top/examples/policy/$name.policy
	out=$("$COLLECTOR" --check-policy "$policy" 2>"$WORK/$name.warn") ||
		fail "$name.policy: $(cat "$WORK/$name.warn")"
	[ "$out" = "${summary[$name]}" ] || fail "$name.policy: $out"
	[ "$(grep -vc ': warning: alert portscan .*a spoofed source can make it block anyone' \
		"$WORK/$name.warn")" = 0 ] || fail "$name.policy's warnings: $(cat "$WORK/$name.warn")"
	sed 's/^# sink /sink /' "$policy" >"$WORK/$name-sinks.policy"
	out=$("$COLLECTOR" --check-policy "$WORK/$name-sinks.policy" 2>/dev/null) ||
		fail "$name.policy with its sinks: $("$COLLECTOR" --check-policy "$WORK/$name-sinks.policy" 2>&1)"
	[ "$out" = "${summary[$name]/0 sinks/${sinks[$name]} sinks}" ] ||
		fail "$name.policy with its sinks: $out"
	echo "$name.policy: $out"
done

demo=$top/build/demo
for name in server gateway; do
	FLOWDB_DEMO_POLICY=$top/examples/policy/$name.policy bash "$top/examples/demo.sh" \
		>"$WORK/demo-$name.log" 2>&1 || fail "the demo under $name.policy: $(tail "$WORK/demo-$name.log")"
	got=$(q "$demo" "SELECT (SELECT count(*) FROM alerts), (SELECT sum(alerts) || ' ' ||
		sum(alerts_suppressed) || ' ' || sum(dropped_packets) || ' ' || count(*) FROM collector_stats),
		(SELECT sum(packets) FROM flows WHERE src_addr = '192.0.2.2')")
	[[ $got =~ ^0,"0 0 0 "[1-9][0-9]*,[1-9][0-9]*$ ]] ||
		fail "the demo under $name.policy (alerts, stats: alerts suppressed dropped flushes, client packets): $got"
	echo "$name.policy: the demo's traffic ($(q "$demo" "SELECT count(*) || ' flow records and ' ||
		sum(packets) || ' packets' FROM flows")) raised no alert, dropped nothing"
done

# Positive control: a real scan crosses the thresholds the demo stays under.
netns_create
netns_peer
for name in server gateway; do
	collector_start col "$WORK/$name.log" -i "$VETH_RX" --flush-interval 1s -d "$WORK/$name" \
		--policy "$top/examples/policy/$name.policy"
	netns_peer_exec nmap -sS -Pn -n -T4 "$ADDR" >"$WORK/nmap-$name.log" || fail "nmap failed"
	for ((i = 0; i < 50; i++)); do
		[ "$(q "$WORK/$name" "SELECT count(*) FROM alerts WHERE rule = 'portscan'" 2>/dev/null)" = 1 ] &&
			break
		sleep 0.1
	done
	collector_stop "$col"
	got=$(q "$WORK/$name" "SELECT key, action FROM alerts WHERE rule = 'portscan'")
	[ "$got" = "$PEER_ADDR,block src $PEER_ADDR for 10m" ] ||
		fail "nmap under $name.policy: portscan alert $got"
	# A fast scan is also a burst of SYNs; nothing else is expected.
	others=$(q "$WORK/$name" "SELECT group_concat(rule) FROM alerts WHERE rule NOT IN ('portscan', 'synflood')")
	[ -z "$others" ] || fail "nmap under $name.policy raised $others"
	echo "$name.policy: nmap's default scan raised $(q "$WORK/$name" "SELECT group_concat(rule || ' (' || value || ')', ' and ')
		FROM alerts"), the scanner blocked"
done
echo "PASS: example policies: valid, silent on the demo's traffic, alert and block on an nmap scan"
