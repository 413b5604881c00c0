#!/usr/bin/env bash
# Bad input to flowdb-collector: each gets one line naming the problem and a
# non-zero exit, and leaves nothing attached or loaded.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/collector.sh"

netns_require bpftool runuser
work_dir
netns_create
touch "$WORK/a-file"

# expect STATUS MESSAGE ARGS...: runs the collector in the namespace with
# ARGS and checks its exit status and its whole stderr.
expect() {
	local want_rc=$1 want=$2 rc=0
	shift 2
	netns_exec "$@" >/dev/null 2>"$WORK/err" || rc=$?
	[ "$rc" = "$want_rc" ] || fail "$*: exit $rc, want $want_rc"
	[ "$(cat "$WORK/err")" = "$want" ] || fail "$*: said '$(cat "$WORK/err")', want '$want'"
}

expect 1 "flowdb-collector: unknown interface 'nope0'" \
	"$COLLECTOR" -i nope0 -d "$WORK/data"
expect 2 "flowdb-collector: --idle-timeout: bad duration '15 s' (use e.g. 30s, 5m, 1h, 7d)" \
	"$COLLECTOR" -i "$VETH_RX" --idle-timeout "15 s"
expect 2 "flowdb-collector: no interface: give at least one -i IFACE, or --read FILE" "$COLLECTOR"
expect 1 "flowdb-collector: data directory '$WORK/a-file' is not usable: Not a directory" \
	"$COLLECTOR" -i "$VETH_RX" -d "$WORK/a-file"
chmod 0777 "$WORK"
expect 1 "flowdb-collector: cannot load the BPF programs: missing CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN (run as root or grant them)" \
	runuser -u nobody -- "$COLLECTOR" -i "$VETH_RX" -d "$WORK/nobody"
expect 0 "" "$COLLECTOR" --version
[ -z "$(xdp_attached "$VETH_RX")" ] || fail "XDP left attached"
[ -z "$(flowdb_progs)" ] || fail "programs left loaded: $(flowdb_progs)"
echo "PASS: every bad input named in one line, with a non-zero exit"
