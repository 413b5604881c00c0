#!/usr/bin/env bash
# flowdb --follow and .follow against a writer committing as the collector
# does, across rotations (shell_follow.py): alerts as json lines by default
# into a pipe, events and requests with -f json, each row once, in order, equal to what
# was written; SIGINT ends it with exit 0; a closed pipe ends it quietly;
# .follow under a pty until Ctrl-C; bad arguments get one line and exit 1.
# Needs neither root nor a namespace.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"

python3 -c 'import pty, sqlite3' 2>/dev/null || skip "needs python3 with its pty and sqlite3 modules"
flowdb=$top/build/flowdb
work_dir
n=0
scenario() {
	n=$((n + 1))
	mkdir "$WORK/d$n"
	python3 "$top/tests/integration/shell_follow.py" "$@" || fail "--follow: $* (see above)"
}
scenario "$flowdb" "$WORK/d1" alerts
scenario "$flowdb" "$WORK/d2" events -f json
scenario --closed-pipe "$flowdb" "$WORK/d3"
mkdir "$WORK/home"
scenario --pty "$flowdb" "$WORK/d4" "$WORK/home"
scenario "$flowdb" "$WORK/d5" requests -f json

expect() {
	local want=$1 out
	shift
	if out=$("$flowdb" -d "$WORK/d1" "$@" 2>&1 </dev/null); then
		fail "flowdb $* succeeded; expected: $want"
	fi
	[ "$out" = "$want" ] || fail "flowdb $*: got \"$out\", expected \"$want\""
}
expect 'flowdb: --follow: unknown table "bogus": use alerts, events, flows, requests, actions, collector_stats or rule_counters' \
	--follow bogus
expect 'flowdb: cannot open "events": No such file or directory' --follow alerts events
expect 'flowdb: --follow writes table, csv, json or line, not html' --follow -f html
expect 'flowdb: --follow prints new rows only: --since and --until do not apply' \
	--follow --since 1h
expect 'flowdb: use one of --query, --command, --report and --follow' --follow -q alerts
expect 'Error: cannot follow "meta": use alerts, events, flows, requests, actions, collector_stats or rule_counters' \
	-c '.follow meta'
expect 'Error: .follow: too many arguments; usage: .follow [TABLE]' -c '.follow alerts events'
echo "PASS: --follow and .follow print every committed row once, in order, across rotations; Ctrl-C ends them"
