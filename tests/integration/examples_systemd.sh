#!/usr/bin/env bash
# examples/systemd/flowdb-collector.service, as far as it can be tried
# without systemd as PID 1:
# (a) systemd-analyze verify accepts it (its man pages found), and its
#     ExecStart is where make install puts the collector;
# (b) the collector runs as the unit runs it, read from the unit: an
#     unprivileged user; the unit's AmbientCapabilities= (equal to its
#     CapabilityBoundingSet=) and nothing else, as the kernel confirms; no
#     new privileges; its UMask=; its ExecStart= words with the FLOWDB_ARGS
#     of the example /etc/default/flowdb-collector; a data directory like
#     its StateDirectory=; on a veth in a private namespace. 20,000 packets
#     over 2,000 flows replayed through it, a reload by its ExecReload=,
#     then SIGTERM: the two files (the reload started the second) hold
#     every packet exactly, owned by that user with mode 0640;
# (c) with each of the unit's capabilities dropped in turn, it exits
#     non-zero with one line naming the missing capability;
# (d) under strace, with --egress, every socket family and system call it
#     uses is allowed by RestrictAddressFamilies= and SystemCallFilter=.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/collector.sh"

unit=$top/examples/systemd/flowdb-collector.service
[ -f "$unit" ] || fail "$unit is missing"
netns_require tcpreplay setpriv python3 bpftool
[ -x "$COLLECTOR" ] && [ -x "$top/build/tests/pcapgen" ] ||
	fail "build/flowdb-collector or build/tests/pcapgen is missing: run make all"
work_dir

# key NAME: the value of the unit's (last) NAME= line.
key() {
	sed -n "s/^$1=//p" "$unit" | tail -n 1
}
# caps_list "CAP_A CAP_B": "+a,+b", as setpriv takes them.
caps_list() {
	local c out=
	for c in $1; do
		c=${c,,}
		out+=${out:+,}+${c#cap_}
	done
	printf '%s' "$out"
}

ambient=$(key AmbientCapabilities)
bounding=$(key CapabilityBoundingSet)
[ -n "$ambient" ] || fail "the unit has no AmbientCapabilities="
[ "$(tr ' ' '\n' <<<"$ambient" | sort)" = "$(tr ' ' '\n' <<<"$bounding" | sort)" ] ||
	fail "AmbientCapabilities=$ambient and CapabilityBoundingSet=$bounding differ"
[ "$(key NoNewPrivileges)" = yes ] || fail "the unit does not set NoNewPrivileges=yes"
user=$(key User)
[ -n "$user" ] && [ "$user" != root ] || fail "the unit runs as '${user:-root}'"
read -r -a exec_start <<<"$(key ExecStart)"
state_mode=$(key StateDirectoryMode)
umask_value=$(key UMask)
[ "$(key StateDirectory)" = flowdb ] || fail "the unit's StateDirectory= is not flowdb"
echo "unit: User=$user, capabilities $ambient, ExecStart=${exec_start[*]}"

# (a) The path of ExecStart is where make install puts the collector.
# (-o: the programs count as built, so that nothing is remade or looked at.)
make -s -n -C "$top" -o build/flowdb -o build/flowdb-collector install PREFIX=/usr/local \
	DESTDIR= >"$WORK/install.log" 2>&1 || fail "make -n install: $(cat "$WORK/install.log")"
grep -qE "[[:space:]]${exec_start[0]}\$" "$WORK/install.log" ||
	fail "make install (PREFIX=/usr/local) does not install ${exec_start[0]}"
if command -v systemd-analyze >/dev/null; then
	# A copy whose ExecStart is the built collector, the man pages found.
	mkdir -p "$WORK/verify" "$WORK/man/man1" "$WORK/man/man8"
	ln -s "$top/shell/flowdb.1" "$WORK/man/man1/flowdb.1"
	ln -s "$top/collector/flowdb-collector.8" "$WORK/man/man8/flowdb-collector.8"
	sed "s#^ExecStart=${exec_start[0]} #ExecStart=$COLLECTOR #" "$unit" \
		>"$WORK/verify/flowdb-collector.service"
	rc=0
	MANPATH=$WORK/man systemd-analyze verify "$WORK/verify/flowdb-collector.service" \
		>"$WORK/verify.log" 2>&1 || rc=$?
	if [ "$rc" != 0 ] || [ -s "$WORK/verify.log" ]; then
		cat "$WORK/verify.log" >&2
		fail "systemd-analyze verify: exit $rc"
	fi
	echo "ok: systemd-analyze verify"
else
	echo "systemd-analyze is not here: verify skipped"
fi

# The service's user: a uid and gid of their own, unused here.
uid=61000
while getent passwd "$uid" >/dev/null || getent group "$uid" >/dev/null; do
	uid=$((uid + 1))
done
# Its StateDirectory, made as systemd makes it.
chmod 0711 "$WORK"
state=$WORK/state/flowdb
mkdir -p "$state"
chmod 0711 "$WORK/state"
chown "$uid:$uid" "$state"
chmod "${state_mode:-0755}" "$state"

# argv EXTRA...: the unit's ExecStart with the built collector, the state
# directory and EXTRA for $FLOWDB_ARGS, in the array ARGV.
argv() {
	local w
	ARGV=("$COLLECTOR")
	for w in "${exec_start[@]:1}"; do
		case $w in
		'$FLOWDB_ARGS' | '${FLOWDB_ARGS}') ARGV+=("$@") ;;
		/var/lib/flowdb) ARGV+=("$state") ;;
		*) ARGV+=("$w") ;;
		esac
	done
}
# as_unit CAPS: in the array SETPRIV, setpriv's command line for the
# unit's user with only CAPS ("+bpf,+perfmon") and no new privileges.
as_unit() {
	SETPRIV=(setpriv --reuid="$uid" --regid="$uid" --clear-groups --no-new-privs
		--inh-caps="-all,$1" --ambient-caps="-all,$1" --bounding-set="-all,$1")
}

"$top/build/tests/pcapgen" --flows 2000 --packets 20000 --seed 5 \
	--pcap "$WORK/mix.pcap" --truth "$WORK/truth.csv"
netns_create

# (b) The unit's run, with traffic, and the FLOWDB_ARGS of the example
# /etc/default/flowdb-collector, its eth0 being the veth here.
default=$top/examples/systemd/flowdb-collector.default
read -r -a args <<<"$(sed -n 's/^FLOWDB_ARGS="\(.*\)"$/\1/p' "$default")"
[ "${#args[@]}" -gt 0 ] || fail "$default sets no FLOWDB_ARGS"
args=("${args[@]/#eth0/$VETH_RX}")
[[ " ${args[*]} " == *" -i $VETH_RX "* ]] || fail "$default's FLOWDB_ARGS watch no eth0"
caps=$(caps_list "$ambient")
argv "${args[@]}" --xdp-mode native --flush-interval 1s
old_umask=$(umask)
umask "${umask_value:-0022}"
as_unit "$caps"
col= # set by netns_bg
netns_bg col "${SETPRIV[@]}" "${ARGV[@]}" 2>"$WORK/collector.log"
umask "$old_umask"
wait_for "$WORK/collector.log" 'watching' 10 ||
	{ cat "$WORK/collector.log" >&2; fail "the collector did not start as the unit runs it"; }
# What the kernel says the process holds.
status=/proc/$col/status
read -r _ ruid euid _ <<<"$(grep '^Uid:' "$status")"
[ "$ruid" = "$uid" ] && [ "$euid" = "$uid" ] || fail "the collector runs as uid $ruid/$euid"
want_mask=$(python3 -c '
import sys
n = {"cap_net_admin": 12, "cap_perfmon": 38, "cap_bpf": 39}
print(f"{sum(1 << n[c.lower()] for c in sys.argv[1:]):016x}")' $ambient)
for f in CapEff CapAmb CapBnd; do
	got=$(awk -v f="$f:" '$1 == f { print $2 }' "$status")
	[ "$got" = "$want_mask" ] || fail "$f is $got, want $want_mask ($ambient)"
done
[ "$(awk '$1 == "NoNewPrivs:" { print $2 }' "$status")" = 1 ] || fail "NoNewPrivs is not set"
echo "ok: running as uid $uid with CapEff=CapAmb=CapBnd=$want_mask, NoNewPrivs"

replay "$WORK/mix.pcap" --topspeed
sleep 1.5 # a flush while flows are open
# ExecReload, with $MAINPID.
read -r -a reload <<<"$(key ExecReload)"
[ "${reload[*]}" = '/bin/kill -HUP $MAINPID' ] || fail "ExecReload=${reload[*]} is not a SIGHUP"
"${reload[@]/\$MAINPID/$col}"
for _ in $(seq 50); do
	[ "$(find "$state" -name 'flows-*.db' | wc -l)" -ge 2 ] && break
	sleep 0.1
done
collector_stop "$col"
[ -z "$(xdp_attached "$VETH_RX")" ] || fail "XDP left attached"
python3 "$top/tests/lib/flowcmp.py" db "$state" "$WORK/truth.csv" "$VETH_RX" 2 ||
	fail "the flow files differ from the ground truth"
bad=$(find "$state" -mindepth 1 \( ! -user "$uid" -o ! -perm 0640 \) -printf '%p %u %m\n')
[ -z "$bad" ] || fail "files not owned by the unit's user with mode 0640: $bad"
echo "ok: every packet recorded once in $(find "$state" -name 'flows-*.db' | wc -l) files"

# (c) Each capability dropped in turn.
for drop in $ambient; do
	rest=$(tr ' ' '\n' <<<"$ambient" | grep -vx "$drop" | tr '\n' ' ')
	argv -i "$VETH_RX"
	rc=0
	as_unit "$(caps_list "$rest")"
	netns_exec "${SETPRIV[@]}" "${ARGV[@]}" >"$WORK/out" 2>"$WORK/err" || rc=$?
	msg=$(cat "$WORK/err")
	[ "$rc" != 0 ] || fail "without $drop: exit 0"
	[ "$(wc -l <"$WORK/err")" = 1 ] || fail "without $drop: not one line: $msg"
	grep -q "$drop" "$WORK/err" || fail "without $drop: the message does not name it: $msg"
	[ -z "$(xdp_attached "$VETH_RX")" ] || fail "without $drop: XDP left attached"
	echo "ok: without $drop: exit $rc, $msg"
done
# Programs the unit's user loaded and left (other tests may run collectors
# of their own meanwhile: theirs are root's).
left=$(bpftool -j prog show | python3 -c '
import json, sys
print(" ".join(p.get("name", "?") for p in json.load(sys.stdin) if p.get("uid") == int(sys.argv[1])))
' "$uid")
[ -z "$left" ] || fail "programs left loaded by uid $uid: $left"

# (d) Socket families and system calls, against the unit's filters.
if command -v strace >/dev/null; then
	argv -i "$VETH_RX" --egress --flush-interval 500ms
	as_unit "$caps"
	traced= # set by netns_bg
	netns_bg traced strace -f -qq -o "$WORK/strace" "${SETPRIV[@]}" "${ARGV[@]}" \
		2>"$WORK/traced.log"
	wait_for "$WORK/traced.log" 'watching' 10 ||
		{ cat "$WORK/traced.log" >&2; fail "the collector did not start under strace"; }
	pid=$(awk '/execve\(".*flowdb-collector"/ { print $1; exit }' "$WORK/strace")
	kill -HUP "$pid"
	sleep 1
	kill -TERM "$pid"
	wait "$traced" || fail "the traced collector did not exit 0: $(cat "$WORK/traced.log")"
	# From the collector's execve on: setpriv's own calls do not count.
	awk '/execve\(".*flowdb-collector"/ { on = 1 } on' "$WORK/strace" >"$WORK/calls"
	families=$(grep -oE 'socket\(AF_[A-Z0-9]+' "$WORK/calls" | cut -d'(' -f2 | sort -u)
	for fam in $families; do
		grep -qE "^RestrictAddressFamilies=.*\b$fam\b" "$unit" ||
			fail "the collector uses $fam, which RestrictAddressFamilies= denies"
	done
	if command -v systemd-analyze >/dev/null; then
		# expand NAME...: the system calls of the names (groups expanded).
		expand() {
			local n
			for n in "$@"; do
				case $n in
				@*)
					# shellcheck disable=SC2046 # one name a word
					expand $(systemd-analyze syscall-filter "$n" 2>/dev/null |
						sed -n '2,$p' | grep -vE '^[[:space:]]*(#|$)')
					;;
				*) echo "$n" ;;
				esac
			done
		}
		read -r -a filter <<<"$(key SystemCallFilter)"
		expand "${filter[@]}" | sort -u >"$WORK/allowed"
		[ "$(wc -l <"$WORK/allowed")" -gt 100 ] || fail "cannot expand SystemCallFilter=${filter[*]}"
		used=$(grep -oE '^[0-9]+ +[a-z_0-9]+\(' "$WORK/calls" | awk '{ print $2 }' |
			tr -d '(' | sort -u)
		for call in $used; do
			grep -qx "$call" "$WORK/allowed" ||
				fail "the collector calls $call, which SystemCallFilter= denies"
		done
		echo "ok: socket families $(echo $families) and $(wc -w <<<"$used") system calls allowed"
	else
		echo "ok: socket families $(echo $families) allowed; no systemd-analyze for the calls"
	fi
else
	echo "strace is not here: the unit's filters are not checked"
fi
echo "PASS: the unit verifies; the collector runs as it says, unprivileged with $ambient, and records every packet"
