#!/usr/bin/env bash
# flowdb's bad inputs from the command line and scripts: one line naming the
# problem on stderr and exit status 1; a bad file is skipped with a warning
# while the others still answer; piped commands go on after an error (the
# exit status still says so) unless --bail. Needs neither root nor a namespace.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
flowdb=$top/build/flowdb

work_dir
data=$WORK/data
"$top/build/tests/flowgen" -q --dir "$data" --files 3 --rows 10 --truth-flows "$WORK/flows.csv"
records=$(($(wc -l <"$WORK/flows.csv") - 1))

# expect STATUS STDERR CMD...: runs CMD, checks its exit status and that
# stderr is exactly the one line given.
expect() {
	local want_rc=$1 want_err=$2 rc=0
	shift 2
	"$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
	[ "$rc" = "$want_rc" ] || fail "$*: exit $rc, expected $want_rc ($(cat "$WORK/err"))"
	[ "$(cat "$WORK/err")" = "$want_err" ] ||
		fail "$*: stderr was '$(cat "$WORK/err")', expected '$want_err'"
}

expect 1 'flowdb: cannot open "/nonexistent": No such file or directory' \
	"$flowdb" -d /nonexistent -c 'SELECT 1'
expect 1 "flowdb: \"$WORK/flows.csv\" is not a directory" "$flowdb" -d "$WORK/flows.csv"
expect 1 'flowdb: bad --format "xml": use table, csv, json, line or html' \
	"$flowdb" -d "$data" -f xml -c 'SELECT 1'
expect 1 'flowdb: bad time for --since: "yesterday": expected a duration back from now (2h), an ISO 8601 time, @seconds or all' \
	"$flowdb" -d "$data" --since yesterday -c 'SELECT 1'
expect 1 'flowdb: --limit and --host need --query' "$flowdb" -d "$data" --limit 3
expect 1 'Error: unknown query "top"; .queries lists them' "$flowdb" -d "$data" --query top
expect 1 'Error: host: missing host; usage: .q host HOST [SINCE] [LIMIT]' \
	"$flowdb" -d "$data" --query host
expect 1 'Error: no such table: flow' "$flowdb" -d "$data" -c 'SELECT * FROM flow'
expect 1 'Error: no value for :peer: give it with -p peer=VALUE or .param set peer VALUE' \
	"$flowdb" -d "$data" -c 'SELECT count(*) FROM flows WHERE src_addr = :peer'
expect 1 'flowdb: bad --param name "2x": use letters, digits and _' \
	"$flowdb" -d "$data" -p 2x=1 -c 'SELECT 1'
# --param without --query gives SQL its :NAME values, numbers as integers.
expect 0 '' "$flowdb" -d "$data" -f csv --no-headers -p peer=192.0.2.1 -p n=7 \
	-c 'SELECT :peer, :n + 1, typeof(:n)'
[ "$(tr -d '\r' <"$WORK/out")" = "192.0.2.1,8,integer" ] || fail "-p values: $(cat "$WORK/out")"
expect 0 '' "$flowdb" -d "$data" --query top-talkers --limit 2 --format csv
[ "$(wc -l <"$WORK/out")" = 3 ] || fail "--limit 2 printed $(wc -l <"$WORK/out") lines, expected 3"

# Piped commands: the error is reported, the next command still runs.
printf 'SELEC 1;\nSELECT count(*) AS n FROM flows;\n' >"$WORK/script"
expect 1 'Error: near "SELEC": syntax error' "$flowdb" -d "$data" -f csv <"$WORK/script"
[ "$(tr -d '\r' <"$WORK/out")" = "$(printf 'n\n%s' "$records")" ] ||
	fail "after an error the piped count was '$(cat "$WORK/out")', expected $records"
expect 1 'Error: near "SELEC": syntax error' "$flowdb" -d "$data" -f csv --bail <"$WORK/script"
[ ! -s "$WORK/out" ] || fail "--bail ran the command after the error"

# A foreign file in the directory: one warning, the flow files still count.
echo "not a database" >"$data/notes.db"
expect 0 "flowdb: warning: $data/notes.db: not an SQLite database; skipped" \
	"$flowdb" -d "$data" -f csv --no-headers -c 'SELECT count(*) FROM flows'
[ "$(tr -d '\r' <"$WORK/out")" = "$records" ] || fail "count with a foreign file: $(cat "$WORK/out")"
echo "PASS: bad input named in one line with exit 1; bad files skipped; scripts go on or bail"
