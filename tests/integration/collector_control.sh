#!/usr/bin/env bash
# flowdb-collector --control: the socket (and its directory) made 0660 and
# 0750, flowdb-ctl status answered by the running collector within 100 ms
# while a ping flood crosses its interface, alerts refused in one line
# without a policy, a second collector on the same socket refused before
# it attaches anything, the socket gone after SIGTERM, and --control
# refused with --read.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/collector.sh"

netns_require ping
work_dir
netns_create
netns_peer
ctl=$top/build/flowdb-ctl
sock=$WORK/run/control.sock

rc=0
"$COLLECTOR" --read /dev/null --control "$sock" 2>"$WORK/read.log" || rc=$?
[ "$rc" = 2 ] && [ "$(cat "$WORK/read.log")" = \
	"flowdb-collector: --control serves a live collector: not with --read" ] ||
	fail "--control with --read: exit $rc, $(cat "$WORK/read.log")"

# A long flush interval: the loop's own timers do not wake it for requests.
collector_start col "$WORK/collector.log" -i "$VETH_RX" -d "$WORK/data" \
	--flush-interval 1h --control "$sock"
[ "$(stat -c %a "$sock")" = 660 ] || fail "socket mode $(stat -c %a "$sock"), not 660"
[ "$(stat -c %a "$WORK/run")" = 750 ] || fail "socket directory mode $(stat -c %a "$WORK/run")"

"$ctl" -S "$sock" -f csv status >"$WORK/status.csv" || fail "status failed"
grep -qx "interfaces,$VETH_RX"$'\r' "$WORK/status.csv" || fail "status: $(cat "$WORK/status.csv")"
grep -qx "version,0.1.0"$'\r' "$WORK/status.csv" || fail "status: $(cat "$WORK/status.csv")"
# No policy, so no alert rules: one line, exit 1, nothing on stdout.
rc=0
"$ctl" -S "$sock" alerts >"$WORK/alerts.out" 2>"$WORK/alerts.err" || rc=$?
[ "$rc" = 1 ] && [ ! -s "$WORK/alerts.out" ] &&
	[ "$(cat "$WORK/alerts.err")" = "flowdb-ctl: no alert rules in force" ] ||
	fail "alerts without a policy: exit $rc, $(cat "$WORK/alerts.out" "$WORK/alerts.err")"

# A second collector on the same socket stops before attaching anything.
rc=0
netns_exec "$COLLECTOR" -i "$VETH_RX" -d "$WORK/data2" --control "$sock" \
	2>"$WORK/second.log" || rc=$?
[ "$rc" = 1 ] && [ "$(cat "$WORK/second.log")" = \
	"flowdb-collector: control socket: another collector answers on $sock" ] ||
	fail "second collector: exit $rc, $(cat "$WORK/second.log")"

# Under a ping flood, every request is answered within 100 ms.
netns_peer_exec ping -q -f -w 3 "$ADDR" >"$WORK/ping.log" 2>&1 &
ping_pid=$!
NETNS_PIDS+=("$ping_pid")
max=0
for ((i = 0; i < 40; i++)); do
	t0=$(date +%s%N)
	"$ctl" -S "$sock" status >/dev/null || fail "status failed under traffic"
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -le "$max" ] || max=$ms
done
[ "$max" -lt 100 ] || fail "a request took $max ms under traffic"
# The flood ends by itself (a process killed at teardown would fail it).
wait "$ping_pid" || true
echo "slowest of 40 requests under a ping flood: $max ms"

collector_stop "$col"
[ ! -e "$sock" ] || fail "the socket outlived the collector"
echo "PASS: --control: socket 0660 in a 0750 directory, status within 100 ms under traffic, alerts refused without alert rules, a second collector refused, the socket removed at exit"
