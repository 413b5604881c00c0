# shellcheck shell=bash
# Helpers for tests that run flowdb-collector in a namespace (after netns.sh).
#
#   collector_start VAR LOG ARGS...   starts it with ARGS, pid in VAR, stderr in LOG;
#                                     returns once it is watching its interfaces
#   collector_stop PID                SIGTERM, then fails unless it exits 0
#   flowdb_progs                      names of loaded BPF programs of flowdb's
#   sql DB QUERY                      runs QUERY with the stock sqlite3 CLI, read-only

COLLECTOR=$top/build/flowdb-collector

collector_start() {
	local var=$1 log=$2
	shift 2
	netns_bg "$var" "$COLLECTOR" "$@" 2>"$log"
	wait_for "$log" 'watching' 10 || { cat "$log" >&2; fail "the collector did not start"; }
}

collector_stop() {
	local rc=0
	kill -TERM "$1"
	wait "$1" || rc=$?
	[ "$rc" = 0 ] || fail "the collector exited with $rc after SIGTERM"
}

flowdb_progs() {
	bpftool prog show 2>/dev/null | grep -oE 'name flowdb_[a-z_]+' | sort -u
}

sql() {
	sqlite3 -batch -noheader "file:$1?mode=ro" "$2"
}
