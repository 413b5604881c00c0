#!/usr/bin/env bash
# make demo (examples/demo.sh): it exits 0 and its canned query results show
# its own traffic (the client as top talker, http and dns among the ports, the
# port scan); the flow files it leaves in build/demo agree exactly with what
# its clients report having sent (ping's echo requests, the DNS lookups, one
# attempt per scanned port, every replayed packet) with zero loss; and it
# leaves nothing behind: no namespace, no flowdb program, no process, no
# temporary directory. Then the same cleanliness when interrupted: SIGINT to
# its process group once the collector runs (Ctrl-C), SIGTERM to the script
# alone while the traffic runs, and SIGINT to it alone while it waits for the
# last flows, each exiting non-zero within seconds.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"

netns_require tcpreplay curl ping python3 ss bpftool
work_dir
data=$top/build/demo
client=192.0.2.2
host=192.0.2.1

flowdb_prog_ids() {
	bpftool prog show 2>/dev/null | awk -F: '/ name flowdb_/ { print $1 }' | sort
}
demo_tmp_dirs() {
	find /tmp -maxdepth 1 -name 'flowdb-demo.*' | sort
}
# What was there before the demo ran is not the demo's doing (another test
# may hold flowdb programs).
progs_before=$(flowdb_prog_ids)
tmp_before=$(demo_tmp_dirs)

# A process of the demo's is the collector writing to build/demo or anything
# run from its temporary directory (the servers).
demo_procs() {
	local f args
	for f in /proc/[0-9]*/cmdline; do
		# Errors first: a process may be gone before its cmdline is opened.
		mapfile -d '' -t args 2>/dev/null <"$f" || continue
		case " ${args[*]} " in
		*" $data "* | */tmp/flowdb-demo.*) echo "${f//[^0-9]/}: ${args[*]}" ;;
		esac
	done
}

# assert_clean NS: nothing of the demo that used namespace NS remains.
assert_clean() {
	local ns=$1 i left
	ip netns list | grep -qE "^$ns(-peer)?( |\$)" && fail "namespace $ns or $ns-peer remains"
	# Programs are freed once their last reference goes, a little later.
	for ((i = 0; i < 50; i++)); do
		left=$(comm -13 <(echo "$progs_before") <(flowdb_prog_ids))
		[ -z "$left" ] && break
		sleep 0.1
	done
	[ -z "$left" ] || fail "flowdb programs remain: $(bpftool prog show id "${left%%$'\n'*}")"
	[ -z "$(demo_procs)" ] || fail "processes remain: $(demo_procs)"
	[ "$(demo_tmp_dirs)" = "$tmp_before" ] || fail "a temporary directory remains: $(demo_tmp_dirs)"
}

# Lines of the output's section headed "== TITLE...", up to the next one.
section() {
	awk -v t="== $1" 'index($0, t) == 1 { on = 1; next } /^== |^Done in/ { on = 0 } on' "$WORK/out"
}

# --- a whole run -------------------------------------------------------------
rc=0
(cd "$top" && exec examples/demo.sh) >"$WORK/out" 2>"$WORK/err" || rc=$?
cat "$WORK/out"
[ "$rc" = 0 ] || { cat "$WORK/err" >&2; fail "the demo exited with $rc"; }
[ ! -s "$WORK/err" ] || fail "the demo wrote to stderr: $(cat "$WORK/err")"
ns=$(grep -oE 'flowdb-demo-[0-9]+' "$WORK/out" | head -n1)
[ -n "$ns" ] || fail "the demo did not name its namespace"
assert_clean "$ns"

# What the clients report having sent, from the demo's own output: the first
# line matching ERE $1, replaced by $2 (sed -E). A missing line fails the test.
grab() {
	local v
	v=$(sed -nE "s/$1/$2/p" "$WORK/out" | head -n1)
	[ -n "$v" ] || fail "the demo's output has no line matching /$1/"
	echo "$v"
}
pings=$(grab '^  ping +([0-9]+) packets transmitted, \1 received.*' '\1')
downloads=$(grab '^  curl +([0-9]+) downloads .*' '\1')
dns='^  dns +([0-9]+) lookups of ([a-z.]+), answered '"$host"'$'
lookups=$(grab "$dns" '\1')
name=$(grab "$dns" '\2')
mix='^  replay +([0-9]+) generated packets in ([0-9]+) flows.*'
mix_packets=$(grab "$mix" '\1')
mix_flows=$(grab "$mix" '\2')

# The canned query results, as shown.
section "Top talkers" | awk 'f { print; exit } /^-+ /{ f = 1 }' | grep -qE "^$client +" ||
	fail "the top talker shown is not the client $client"
section "Top ports" | grep -qE '^tcp +80 +http ' || fail "http (tcp 80) is not among the top ports"
section "Top ports" | grep -qE '^udp +53 +dns ' || fail "dns (udp 53) is not among the top ports"
for proto in tcp udp icmp ipv6-icmp; do
	section "Protocols" | grep -qE "^$proto " || fail "protocols does not show $proto"
done
# src_addr hosts ports targets flows failed: one host, all 200 ports, 199 closed.
section "Scans" | grep -qE "^$client +1 +200 +200 +[0-9]+ +199 " ||
	fail "scans does not show $client reaching 200 ports with 199 failed: $(section Scans)"
tail -n2 "$WORK/out" | grep -qF 'build/flowdb -d build/demo' ||
	fail "the last lines do not say how to explore further"

# The files against that ground truth, with the stock sqlite3 over one merged copy.
files=("$data"/flows-*.db)
[ -e "${files[0]}" ] || fail "no flow files in $data"
for f in "${files[@]}"; do
	sqlite3 -batch "$WORK/all.db" "ATTACH 'file:$f?mode=ro' AS f;
		CREATE TABLE IF NOT EXISTS flows AS SELECT * FROM f.flows WHERE 0;
		CREATE TABLE IF NOT EXISTS stats AS SELECT * FROM f.collector_stats WHERE 0;
		INSERT INTO flows SELECT * FROM f.flows;
		INSERT INTO stats SELECT * FROM f.collector_stats;"
done
q() {
	sqlite3 -batch -noheader -separator , "$WORK/all.db" "$1"
}
expect() {
	local got
	got=$(q "$2")
	[ "$got" = "$3" ] || fail "$1: got '$got', expected '$3'"
}
from_client="src_addr = '$client' AND dst_addr = '$host'"
expect "echo requests (packets, bytes)" \
	"SELECT sum(packets), sum(bytes) FROM flows WHERE $from_client AND proto = 1 AND dst_port = 2048" \
	"$pings,$((pings * 84))"
# 20 IPv4 + 8 UDP + 12 DNS header + the name's labels + 4 (type, class).
expect "DNS lookups (flows, packets, bytes)" \
	"SELECT count(DISTINCT src_port), sum(packets), sum(bytes) FROM flows
	 WHERE $from_client AND proto = 17 AND dst_port = 53" \
	"1,$lookups,$((lookups * (20 + 8 + 12 + ${#name} + 2 + 4)))"
expect "scanned ports, attempts answered by a reset (SYN alone)" \
	"SELECT count(DISTINCT dst_port), count(DISTINCT CASE WHEN tcp_flags = 2 THEN dst_port END)
	 FROM flows WHERE $from_client AND proto = 6 AND dst_port BETWEEN 1 AND 200" \
	"200,199"
expect "connections to port 80 that completed" \
	"SELECT count(DISTINCT src_port) FROM flows WHERE $from_client AND proto = 6
	 AND dst_port = 80 AND tcp_flags & 0x13 = 0x13" \
	"$((downloads + 1))"
expect "replayed mix (packets, flows)" \
	"SELECT sum(packets), count(*) FROM (SELECT sum(packets) AS packets FROM flows
	 WHERE src_addr NOT LIKE '192.0.2.%'
	 GROUP BY ip_version, proto, src_addr, dst_addr, src_port, dst_port, vlan)" \
	"$mix_packets,$mix_flows"
expect "flows from anyone else, or not on eth0 inbound" \
	"SELECT count(*) FROM flows WHERE (src_addr LIKE '192.0.2.%' AND src_addr <> '$client')
	 OR ifname <> 'eth0' OR direction <> 'in'" 0
expect "every packet the kernel counted stored, none lost" \
	"SELECT (SELECT sum(kernel_packets) FROM stats) = (SELECT sum(packets) FROM flows),
	 (SELECT sum(lost_packets) FROM stats)" \
	"1,0"
echo "PASS: the demo's queries and files agree with its traffic; nothing left behind"

# --- interrupted -------------------------------------------------------------
# interrupt WHEN SIGNAL TARGET STATUS: starts the demo in its own process
# group, waits until its output matches WHEN, sends SIGNAL to TARGET ("group"
# as Ctrl-C does, or "script"), and expects exit STATUS within 10 s and
# nothing left.
interrupt() {
	local when=$1 sig=$2 target=$3 want=$4 pid i rc=0 ns
	set -m
	(cd "$top" && exec examples/demo.sh) >"$WORK/out" 2>"$WORK/err" &
	pid=$!
	set +m
	NETNS_PIDS+=("$pid")
	wait_for "$WORK/out" "$when" 20 || { cat "$WORK/out" "$WORK/err"; fail "the demo never printed '$when'"; }
	ns=$(grep -oE 'flowdb-demo-[0-9]+' "$WORK/out" | head -n1)
	if [ "$target" = group ]; then
		kill "-$sig" -- "-$pid"
	else
		kill "-$sig" "$pid"
	fi
	# Gone, or a zombie not yet reaped.
	for ((i = 0; i < 100; i++)); do
		case $(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) in "" | Z) break ;; esac
		sleep 0.1
	done
	[ "$i" -lt 100 ] || fail "the demo still runs 10 s after SIG$sig"
	wait "$pid" || rc=$?
	NETNS_PIDS=()
	[ "$rc" = "$want" ] || { cat "$WORK/out" "$WORK/err"; fail "SIG$sig: exit $rc, expected $want"; }
	grep -q '^Interrupted: ' "$WORK/err" || fail "SIG$sig: the demo did not say it was interrupted"
	assert_clean "$ns"
	echo "PASS: SIG$sig to the $target once it printed '$when': exit $rc within $((i / 10)).$((i % 10)) s, nothing left"
}
interrupt 'watching eth0' INT group 130
interrupt '  curl ' TERM script 143
interrupt '  replay ' INT script 130
