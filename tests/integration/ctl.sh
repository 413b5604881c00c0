#!/usr/bin/env bash
# flowdb-ctl against a control socket server (tests/tools/ctlserve: the
# collector's server with rules in memory) over a real socket: every
# command in every format (alerts from a server with alert rules and one
# without), bad command lines, the socket's mode and group,
# who may connect (root, the group as primary or supplementary group, and
# a user neither root nor in it, refused by the file's mode and by the
# server's own check), expiry, and a request served within 100 ms.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"

[ "$(id -u)" = 0 ] || skip "needs root (other users' credentials on the socket)"
command -v setpriv >/dev/null || skip "needs setpriv"
getent group nogroup >/dev/null || skip "needs the group nogroup"
work_dir
ctl=$top/build/flowdb-ctl
serve=$top/build/tests/ctlserve
# Other users pass through the work directory to the socket's own.
chmod 0711 "$WORK"
sock=$WORK/run/control.sock

# Server A: group nogroup, its directory made by the server.
"$serve" "$sock" nogroup >"$WORK/a.log" 2>&1 &
NETNS_PIDS+=("$!")
wait_for "$WORK/a.log" '^ready$' || fail "ctlserve did not start: $(cat "$WORK/a.log")"
[ "$(stat -c '%a %G' "$sock")" = "660 nogroup" ] ||
	fail "socket is $(stat -c '%a %G' "$sock"), not 660 nogroup"
[ "$(stat -c '%a %G' "$WORK/run")" = "750 nogroup" ] ||
	fail "socket directory is $(stat -c '%a %G' "$WORK/run"), not 750 nogroup"

# check NAME EXPECTED-STATUS EXPECTED-STDOUT EXPECTED-STDERR CMD...
check() {
	local name=$1 want_rc=$2 want_out=$3 want_err=$4 rc=0
	shift 4
	"$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
	[ "$rc" = "$want_rc" ] || fail "$name: exit $rc, not $want_rc ($(cat "$WORK/err"))"
	[ "$(cat "$WORK/out")" = "$want_out" ] ||
		fail "$name: stdout differs:$(diff <(echo "$want_out") "$WORK/out")"
	[ "$(cat "$WORK/err")" = "$want_err" ] ||
		fail "$name: stderr differs:$(diff <(echo "$want_err") "$WORK/err")"
}
usage_hint=" (flowdb-ctl --help lists the commands)"

check "status" 0 "name     value
mode     enforce
rules          4
reloads        0" "" "$ctl" -S "$sock" status
check "reload" 0 "" "" "$ctl" -S "$sock" reload
check "status json" 0 '[
{"name":"mode","value":"enforce"},
{"name":"rules","value":4},
{"name":"reloads","value":1}
]' "" "$ctl" -S "$sock" status --format json
check "limit list" 0 "rule                                      side  net  proto  port  rate      burst    expires  origin  line  reason
limit src/32 1000pps burst 2000                                   1000pps      2000           file       4
limit src/24/48 20Mbps proto udp port 53             udp      53  20Mbps    2500000           file       5
limit src/32 50/s syn                                             50/s syn       50           file       6" \
	"" "$ctl" -S "$sock" limit list
check "limit list csv" 0 "$(printf '%s\r\n' "rule,side,net,proto,port,rate,burst,expires,origin,line,reason" \
	'"limit src/32 1000pps burst 2000",,,,,1000pps,2000,,file,4,' \
	'"limit src/24/48 20Mbps proto udp port 53",,,udp,53,20Mbps,2500000,,file,5,' \
	'"limit src/32 50/s syn",,,,,"50/s syn",50,,file,6,')" "" \
	"$ctl" -S "$sock" -f csv limit list
# The file's block has a reason with an escape sequence and UTF-8: escaped
# for a terminal and a spreadsheet, exact in JSON.
check "block add" 0 "" "" "$ctl" -S "$sock" block add 10.1.2.3/8 --reason "noisy, 100%"
check "block add dst" 0 "" "" "$ctl" -S "$sock" block add 2001:db8::1 --dst
check "block add twice" 1 "" "flowdb-ctl: 10.1.2.3/8 is blocked already" \
	"$ctl" -S "$sock" block add 10.1.2.3/8
check "block list" 0 'rule                                                                                     side  net           proto  port  rate  burst  expires  origin  line  reason
block dst 198.51.100.7 proto tcp port 25 reason "spam \x1b[31mrelay\x1b[0m caf\xc3\xa9"  dst   198.51.100.7  tcp      25                        file       3  spam \x1b[31mrelay\x1b[0m caf\xc3\xa9
block src 10.0.0.0/8 reason "noisy, 100%"                                                src   10.0.0.0/8                                       ctl           noisy, 100%
block dst 2001:db8::1                                                                    dst   2001:db8::1                                      ctl' \
	"" "$ctl" -S "$sock" block list
check "block list csv" 0 "$(printf '%s\r\n' "rule,side,net,proto,port,rate,burst,expires,origin,line,reason" \
	'"block dst 198.51.100.7 proto tcp port 25 reason ""spam \x1b[31mrelay\x1b[0m caf\xc3\xa9""",dst,198.51.100.7,tcp,25,,,,file,3,"spam \x1b[31mrelay\x1b[0m caf\xc3\xa9"' \
	'"block src 10.0.0.0/8 reason ""noisy, 100%""",src,10.0.0.0/8,,,,,,ctl,,"noisy, 100%"' \
	'"block dst 2001:db8::1",dst,2001:db8::1,,,,,,ctl,,')" "" \
	"$ctl" -S "$sock" block list -f csv
"$ctl" -S "$sock" block list -f json >"$WORK/list.json"
python3 - "$WORK/list.json" <<'EOF' || fail "block list -f json is not the rules"
import json, sys
rows = json.load(open(sys.argv[1]))
assert [r["net"] for r in rows] == ["198.51.100.7", "10.0.0.0/8", "2001:db8::1"], rows
assert rows[0]["reason"] == "spam \x1b[31mrelay\x1b[0m caf\u00e9", rows[0]
assert rows[0]["port"] == 25 and rows[0]["line"] == 3 and rows[1]["line"] is None, rows
assert rows[1]["reason"] == "noisy, 100%" and rows[2]["reason"] is None, rows
assert rows[2]["side"] == "dst" and rows[1]["origin"] == "ctl", rows
EOF
check "block del" 0 "" "" "$ctl" -S "$sock" block del 10.0.0.0/8
check "block del dst" 0 "" "" "$ctl" -S "$sock" block del --dst 2001:db8::1
check "block del again" 1 "" "flowdb-ctl: no block of 10.0.0.0/8" \
	"$ctl" -S "$sock" block del 10.0.0.0/8
[ "$("$ctl" -S "$sock" -f csv block list | wc -l)" = 2 ] || fail "block del left rules"

# The latest alerts, newest first: a fraction and 5 GB stay numbers.
check "alerts" 0 "time                         rule        severity  key            metric             value       threshold   action                suppressed
2025-12-03T12:00:00.250000Z  scan        high      192.0.2.66     distinct dst_port        1000         100  block 10m                      3
2025-12-03T11:59:00.000000Z  odd-volume  medium    198.51.100.20  anomaly bytes           52000      1234.5  none                           0
2025-12-03T11:58:00.000001Z  exfil       critical  2001:db8::7    bytes              5000000000  1000000000  not blocked: allowed           0" \
	"" "$ctl" -S "$sock" alerts
check "alerts -n 2 csv" 0 "$(printf '%s\r\n' "time,rule,severity,key,metric,value,threshold,action,suppressed" \
	'2025-12-03T12:00:00.250000Z,scan,high,192.0.2.66,"distinct dst_port",1000,100,"block 10m",3' \
	'2025-12-03T11:59:00.000000Z,odd-volume,medium,198.51.100.20,"anomaly bytes",52000,1234.5,none,0')" "" \
	"$ctl" -S "$sock" -f csv alerts -n 2
"$ctl" -S "$sock" alerts --count 3 --format json >"$WORK/alerts.json"
python3 - "$WORK/alerts.json" <<'EOF' || fail "alerts -f json is not the alerts"
import json, sys
rows = json.load(open(sys.argv[1]))
assert [r["rule"] for r in rows] == ["scan", "odd-volume", "exfil"], rows
assert rows[1]["threshold"] == 1234.5 and rows[2]["value"] == 5000000000, rows
assert rows[0]["suppressed"] == 3 and rows[0]["action"] == "block 10m", rows
assert rows[2]["key"] == "2001:db8::7" and rows[2]["time"] == "2025-12-03T11:58:00.000001Z", rows
EOF
[ "$("$ctl" -S "$sock" -f csv alerts -n 1 | wc -l)" = 2 ] || fail "alerts -n 1 is not one row"

# Bad command lines: one line, exit 2, nothing sent.
check "no command" 2 "" "flowdb-ctl: no command$usage_hint" "$ctl" -S "$sock"
check "unknown" 2 "" "flowdb-ctl: unknown command 'stop'$usage_hint" "$ctl" -S "$sock" stop
check "block alone" 2 "" "flowdb-ctl: block needs a subcommand$usage_hint" "$ctl" -S "$sock" block
check "block what" 2 "" "flowdb-ctl: unknown command 'flush'$usage_hint" "$ctl" -S "$sock" block flush
check "add no net" 2 "" "flowdb-ctl: block add needs a network (CIDR)$usage_hint" \
	"$ctl" -S "$sock" block add
check "bad net" 2 "" "flowdb-ctl: not a network: '10.0.0.0/33' (10.0.0.0/8, 192.0.2.7, 2001:db8::/32)$usage_hint" \
	"$ctl" -S "$sock" block add 10.0.0.0/33
check "bad for" 2 "" "flowdb-ctl: not a duration: '1 hour' (30s, 10m, 1h, 7d)$usage_hint" \
	"$ctl" -S "$sock" block add 10.0.0.0/8 --for "1 hour"
check "extra" 2 "" "flowdb-ctl: unexpected argument 'now'$usage_hint" "$ctl" -S "$sock" reload now
check "extra add" 2 "" "flowdb-ctl: unexpected argument '10.0.0.2'$usage_hint" \
	"$ctl" -S "$sock" block add 10.0.0.1 10.0.0.2
check "for on del" 2 "" "flowdb-ctl: --for applies to block add only$usage_hint" \
	"$ctl" -S "$sock" block del 10.0.0.1 --for 1h
check "dst on list" 2 "" "flowdb-ctl: --dst applies to block add and del only$usage_hint" \
	"$ctl" -S "$sock" block list --dst
check "bad format" 2 "" "flowdb-ctl: unknown format 'xml' (table, csv or json)$usage_hint" \
	"$ctl" -S "$sock" -f xml status
check "reason bytes" 2 "" "flowdb-ctl: the reason is not printable ASCII$usage_hint" \
	"$ctl" -S "$sock" block add 10.0.0.1 --reason "$(printf 'a\tb')"
check "alerts extra" 2 "" "flowdb-ctl: unexpected argument 'now'$usage_hint" "$ctl" -S "$sock" alerts now
for n in 0 1001 -1 1x "" 99999999999999999999; do
	check "alerts -n '$n'" 2 "" "flowdb-ctl: not a number of alerts: '$n' (1 to 1000)$usage_hint" \
		"$ctl" -S "$sock" alerts -n "$n"
done
check "count on status" 2 "" "flowdb-ctl: -n applies to alerts only$usage_hint" \
	"$ctl" -S "$sock" -n 5 status
check "count on block" 2 "" "flowdb-ctl: -n applies to alerts only$usage_hint" \
	"$ctl" -S "$sock" block list --count 5
check "reason long" 2 "" "flowdb-ctl: the reason is longer than 127 bytes$usage_hint" \
	"$ctl" -S "$sock" block add 10.0.0.1 --reason "$(printf '%0128d' 0)"
check "no server" 1 "" "flowdb-ctl: cannot connect to $WORK/none.sock: No such file or directory (is flowdb-collector running with --control?)" \
	"$ctl" -S "$WORK/none.sock" status
"$ctl" --help | grep -q '^Usage: flowdb-ctl ' || fail "--help"
[ "$(grep -c . "$WORK/a.log")" = 1 ] || fail "the server saw a bad command line's request"

# Who may connect: the group as primary and as supplementary group; a user
# in neither cannot reach the socket file.
as_user() {
	setpriv --reuid=65534 "$@"
}
check "group primary" 0 "" "" as_user --regid=65534 --clear-groups "$ctl" -S "$sock" reload
check "group supplementary" 0 "" "" as_user --regid=1 --groups=65534 "$ctl" -S "$sock" reload
check "other user" 1 "" "flowdb-ctl: permission denied: $sock (only root and group flowdb may connect)" \
	as_user --regid=1 --clear-groups "$ctl" -S "$sock" status

# Server B: its socket open to everyone (as a careless chmod would leave
# it): the server's own check still refuses that user, in one line. Its
# policy has no alert rules: alerts says so in one line.
mkdir -m 0755 "$WORK/open"
"$serve" "$WORK/open/c.sock" "flowdb-test-no-group-$$" no-alerts >"$WORK/b.log" 2>&1 &
NETNS_PIDS+=("$!")
wait_for "$WORK/b.log" '^ready$' || fail "second ctlserve did not start: $(cat "$WORK/b.log")"
chmod 0666 "$WORK/open/c.sock"
check "refused by the server" 1 "" "flowdb-ctl: permission denied: uid 65534 is neither root nor in group flowdb-test-no-group-$$" \
	as_user --regid=65534 --clear-groups "$ctl" -S "$WORK/open/c.sock" block add 10.0.0.1
check "no alert rules" 1 "" "flowdb-ctl: no alert rules in force" \
	"$ctl" -S "$WORK/open/c.sock" alerts
check "no alert rules -n" 1 "" "flowdb-ctl: no alert rules in force" \
	"$ctl" -S "$WORK/open/c.sock" -f json alerts -n 1000
check "nothing added" 0 "" "" "$ctl" -S "$WORK/open/c.sock" block del 198.51.100.7 --dst
check "not added" 1 "" "flowdb-ctl: no block of 10.0.0.1" "$ctl" -S "$WORK/open/c.sock" block del 10.0.0.1

# Expiry: a block for 1 s is listed, then gone, and said so once.
check "block for" 0 "" "" "$ctl" -S "$sock" block add 192.0.2.0/24 --for 1s
"$ctl" -S "$sock" -f csv block list | grep -q '^"block src 192.0.2.0/24 for 1s",src,192.0.2.0/24,,,,,20' ||
	fail "the timed block is not listed with its expiry"
for ((i = 0; i < 50; i++)); do
	"$ctl" -S "$sock" -f csv block list | grep -q 192.0.2.0 || break
	sleep 0.1
done
[ "$i" -lt 50 ] || fail "the timed block did not expire within 5 s"
grep -qx 'expired 1' "$WORK/a.log" || fail "the expiry was not reported: $(cat "$WORK/a.log")"

# Served within 100 ms while the server idles in its 100 ms wait.
for ((i = 0; i < 10; i++)); do
	t0=$(date +%s%N)
	"$ctl" -S "$sock" status >/dev/null
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -lt 100 ] || fail "a request took $ms ms"
done

kill "${NETNS_PIDS[0]}"
wait "${NETNS_PIDS[0]}" || fail "ctlserve did not exit cleanly"
[ ! -e "$sock" ] || fail "the socket file outlived its server"
echo "PASS: flowdb-ctl: every command and format, alerts with and without alert rules, bad command lines, socket 0660 root:group, the group allowed and others refused (by the file and by the server), expiry, served within 100 ms"
