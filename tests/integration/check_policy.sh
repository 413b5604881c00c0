#!/usr/bin/env bash
# flowdb-collector --check-policy FILE from the command line: a valid file
# (exit 0, one summary line), warnings (still 0), errors (1, one line each
# with its line number), alert rules and sinks valid and not, unreadable files, a FIFO refused without waiting, a
# bad command line (2), no privilege needed, and a file of a million block
# rules checked in a bounded time. Needs neither root nor a namespace.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"

collector=$top/build/flowdb-collector
[ -x "$collector" ] || fail "build/flowdb-collector is missing: run make first"
work_dir

# check EXPECTED-STATUS ARGS...: runs the check, its output in $WORK/out and $WORK/err.
check() {
	local want=$1 rc=0
	shift
	timeout 60 "$collector" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
	[ "$rc" = "$want" ] ||
		fail "--check-policy $*: exit $rc, not $want; stderr: $(head -c 2000 "$WORK/err")"
}

# expect FILE TEXT: FILE holds exactly TEXT.
expect() {
	diff -u <(printf '%s' "$2") "$1" >"$WORK/diff" || fail "$1 differs: $(cat "$WORK/diff")"
}

# A valid file, every construct: exit 0, the summary, nothing on stderr.
cat >"$WORK/good.policy" <<'EOF'
# the example of flowdb-policy(5)
mode monitor
allow  10.0.0.0/8
allow  dst 192.0.2.53 proto udp port 53   # DNS
block  src 203.0.113.0/24 for 1h reason "scanner \"A\" café"
block  dst 198.51.100.7 proto tcp port 25
block  src 2001:db8:bad::/48
limit  src/32 1000pps burst 2000
limit  src/24 20Mbps burst 2MB proto udp port 53
limit  src/32 50/s syn
EOF
check 0 --check-policy "$WORK/good.policy" -i lo
expect "$WORK/out" $'8 rules: 2 allow, 3 block, 3 limit, 0 alert; 0 sinks; mode monitor\n'
expect "$WORK/err" ''

# Warnings still exit 0; each names its line. lo's 127.0.0.1 is an address
# of the interface given.
cat >"$WORK/warn.policy" <<'EOF'
allow 10.0.0.0/8
block src 10.1.0.0/16
block dst 127.0.0.0/8 proto tcp port 22
limit src/24 8Kbps
block src 10.1.0.0/16 for 5m
EOF
check 0 --check-policy "$WORK/warn.policy" -i lo
expect "$WORK/out" $'5 rules: 1 allow, 3 block, 1 limit, 0 alert; 0 sinks; mode enforce\n'
w=$WORK/warn.policy
expect "$WORK/err" "flowdb-collector: $w:2: warning: block src 10.1.0.0/16: never drops: allow 10.0.0.0/8 (line 1) wins over all it matches
flowdb-collector: $w:3: warning: block dst 127.0.0.0/8 proto tcp port 22: covers 127.0.0.1, an address of this host
flowdb-collector: $w:4: warning: limit src/24 8Kbps: a burst of 1000 bytes is less than a full-size packet (1500 bytes): such packets are always dropped
flowdb-collector: $w:5: warning: block src 10.1.0.0/16 for 5m: never drops: allow 10.0.0.0/8 (line 1) wins over all it matches
flowdb-collector: $w:5: warning: block src 10.1.0.0/16 for 5m: repeats line 2: only one of them applies
"

# Errors: exit 1, every bad line once with its number, nothing on stdout.
printf '%s\n' 'allow 10.0.0.1/8' 'block src 192.0.2.1' 'block 192.0.2.2' '' \
	'limit src/24 50/s' 'alert scan src syn > 200/ then block 5m' 'mode enforce' \
	'mode monitor' 'block src 192.0.2.3 port 25' >"$WORK/bad.policy"
printf 'block src 192.0.2.4 reason "\x1b[31mred"\n' >>"$WORK/bad.policy"
check 1 --check-policy "$WORK/bad.policy"
b=$WORK/bad.policy
expect "$WORK/out" ''
expect "$WORK/err" "flowdb-collector: $b:1: 10.0.0.1/8 has host bits set: the network is 10.0.0.0/8
flowdb-collector: $b:3: block needs src or dst before the network
flowdb-collector: $b:5: '50/s' is a rate of SYNs: write '50/s syn' (or Npps for packets)
flowdb-collector: $b:6: threshold '200/' is not a whole number from 0 to 1000000000000000
flowdb-collector: $b:8: mode given twice (first on line 7)
flowdb-collector: $b:9: port 25 needs proto tcp, udp, udplite or sctp
flowdb-collector: $b:10: reason has a byte that is not printable UTF-8 (0x1b, byte 1 of it)
"

# Alert rules and sinks: every form valid, counted in the summary; the
# guard rails of then block (a spoofable metric; blocks in monitor mode).
cat >"$WORK/alerts.policy" <<'EOF'
allow 10.0.0.0/8
alert scan   src distinct dst_port > 100 in 60s then block 10m established severity high
alert sweep  src distinct dst_addr > 50 in 5m
alert flood  dst syn > 200/s
alert api    src http_requests > 600 in 60s then block 5m
alert dns    src dns_queries > 1000 in 1m suppress 10m
alert exfil  src bytes > 1G in 5m then block 1h   # UDP can drive it
alert fails  src failed > 20 in 1m severity low
alert clear  src cleartext > 0 in 1m severity critical
alert pk     dst packets > 1000000 in 10s
alert fl     src flows > 500 in 1m
alert base   src anomaly bytes 3.5sigma per 5m warmup 2h
sink syslog facility local3
sink jsonl   -
sink jsonl   /var/log/flowdb/alerts.jsonl
sink command "logger -t flowdb \"alert\"" timeout 2s queue 100
sink webhook https://hooks.example.org/flowdb?x=1 timeout 10s
EOF
check 0 --check-policy "$WORK/alerts.policy" -i lo
expect "$WORK/out" $'12 rules: 1 allow, 0 block, 0 limit, 11 alert; 5 sinks; mode enforce\n'
a=$WORK/alerts.policy
expect "$WORK/err" "flowdb-collector: $a:7: warning: alert exfil src bytes > 1G in 5m then block 1h: a spoofed source can make it block anyone; add 'established' or use a TCP metric
"
printf 'mode monitor\nalert s src syn > 5/s then block 1m established\n' >"$WORK/monitor.policy"
check 0 --check-policy "$WORK/monitor.policy"
expect "$WORK/out" $'1 rules: 0 allow, 0 block, 0 limit, 1 alert; 0 sinks; mode monitor\n'
expect "$WORK/err" "flowdb-collector: $WORK/monitor.policy:2: warning: alert s src syn > 5/s then block 1m established: mode monitor: the blocks of alerts drop nothing, they only count
"

# Their errors: one line each with its line number, a repeated name or sink
# naming the first, the rest of the file still read.
cat >"$WORK/badalerts.policy" <<'EOF'
alert scan src distinct dst_port > 100 in 60s
alert scan src syn > 5/s
alert 1st src syn > 5/s
alert x src distinct src_addr > 5 in 1m
alert x src packets > 99999999999999999999 in 1m
alert x src bytes > 5P in 1m
alert x src flows > 5 in 25h
alert x src flows > 5 in 1m established
alert x src anomaly bytes 101sigma
alert x src anomaly flows 4sigma per 10m warmup 5m
alert x src syn > 5/s severity urgent
sink jsonl -
sink jsonl -
sink syslog facility kern
sink command logger
sink webhook ftp://example.org/
sink command "x" timeout 1h
EOF
check 1 --check-policy "$WORK/badalerts.policy"
b=$WORK/badalerts.policy
expect "$WORK/out" ''
expect "$WORK/err" "flowdb-collector: $b:2: alert scan given twice (first on line 1)
flowdb-collector: $b:3: alert name '1st' is not 1 to 63 letters, digits, '_', '.' or '-' starting with a letter
flowdb-collector: $b:4: src distinct src_addr counts the key itself: it is always 1
flowdb-collector: $b:5: threshold '99999999999999999999' is not a whole number from 0 to 1000000000000000
flowdb-collector: $b:6: threshold '5P' is not a size from 0 to 1024T (e.g. 500M, 1G)
flowdb-collector: $b:7: in 25h: at most 24h
flowdb-collector: $b:8: 'established' goes right after then block DUR
flowdb-collector: $b:9: 101sigma: the number of standard deviations is above 0, at most 100
flowdb-collector: $b:10: warmup 5m is shorter than one bucket (per 10m)
flowdb-collector: $b:11: severity is low, medium, high or critical, not 'urgent'
flowdb-collector: $b:13: the same sink as line 12
flowdb-collector: $b:14: facility 'kern' is not daemon, auth, authpriv, user or local0 to local7
flowdb-collector: $b:15: command takes a quoted text, command \"...\", not 'logger'
flowdb-collector: $b:16: webhook URL 'ftp://example.org/' does not start with http:// or https:// and a host
flowdb-collector: $b:17: timeout 1h: at most 5m
"

# Unreadable: one line each, exit 1. A FIFO is refused at once (timeout
# would say 124 if it were waited on).
check 1 --check-policy "$WORK/none.policy"
expect "$WORK/err" "flowdb-collector: $WORK/none.policy: No such file or directory
"
check 1 --check-policy "$WORK"
expect "$WORK/err" "flowdb-collector: $WORK: not a regular file
"
mkfifo "$WORK/fifo"
check 1 --check-policy "$WORK/fifo"
expect "$WORK/err" "flowdb-collector: $WORK/fifo: not a regular file
"

# The command line: no --read with it (2); an unknown -i interface (1).
check 2 --check-policy "$WORK/good.policy" --read x.pcap
expect "$WORK/err" $'flowdb-collector: --check-policy checks a file and exits: no --read with it\n'
check 1 --check-policy "$WORK/good.policy" -i flowdb-no-such0
expect "$WORK/err" $'flowdb-collector: unknown interface \'flowdb-no-such0\'\n'
# Whole, then searched: grep -q would stop reading it half way.
help=$("$collector" --help)
grep -q -- '--check-policy FILE' <<<"$help" || fail "--help does not show --check-policy"

# No privilege: as root, the check runs again as nobody, with no capability.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 755 "$WORK"
	chmod 644 "$WORK/good.policy"
	cp "$collector" "$WORK/collector"
	rc=0
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all \
		"$WORK/collector" --check-policy "$WORK/good.policy" >"$WORK/out" 2>"$WORK/err" ||
		rc=$?
	[ "$rc" = 0 ] || fail "--check-policy as nobody: exit $rc: $(cat "$WORK/err")"
	expect "$WORK/out" $'8 rules: 2 allow, 3 block, 3 limit, 0 alert; 0 sinks; mode monitor\n'
	# And nobody cannot read a file of mode 0600.
	chmod 600 "$WORK/good.policy"
	rc=0
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all \
		"$WORK/collector" --check-policy "$WORK/good.policy" >"$WORK/out" 2>"$WORK/err" ||
		rc=$?
	[ "$rc" = 1 ] || fail "--check-policy of an unreadable file: exit $rc"
	expect "$WORK/err" "flowdb-collector: $WORK/good.policy: Permission denied
"
fi

# A million block rules, hosts and prefixes of both families, a third with
# a port and a reason: valid, and checked within a bound (it takes about 2 s
# on the 2-CPU test machine).
awk 'BEGIN {
	print "allow 192.168.0.0/16"
	for (i = 0; i < 1000000; i++) {
		a = int(i / 65536) % 256; b = int(i / 256) % 256; c = i % 256
		if (i % 3 == 0)
			printf "block src 10.%d.%d.%d\n", a, b, c
		else if (i % 3 == 1)
			printf "block dst 2001:db8:%x:%x::/64 proto tcp port %d reason \"scanner %d\"\n", a, b * 256 + c, 1 + i % 65535, i
		else
			printf "block src %d.%d.%d.0/24 for 1h\n", 11 + a, b, c
	}
}' >"$WORK/million.policy"
start=$(date +%s%N)
check 0 --check-policy "$WORK/million.policy"
ms=$((($(date +%s%N) - start) / 1000000))
expect "$WORK/out" $'1000001 rules: 1 allow, 1000000 block, 0 limit, 0 alert; 0 sinks; mode enforce\n'
[ "$ms" -lt 20000 ] || fail "a million rules took $ms ms to check"
echo "PASS: --check-policy: valid (0), warnings (0), errors by line (1), alerts and sinks, unreadable, FIFO refused, bad command line (2), no privilege; 1000001 rules in $ms ms"
