#!/usr/bin/env bash
# Enforcement's audit in the shell: the canned queries blocked and actions
# over flow files with enforcement data and files from before it (schema 2:
# no actions, no rule_counters, no dropped_* columns), each equal to
# sqlite3 running the same SQL file over the same rows (each file alone, and
# every file's rows in one file), for the whole history and a window; the
# old files open without a warning. Needs neither root nor a namespace.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"

command -v sqlite3 >/dev/null || skip "needs sqlite3"
work_dir
data=$WORK/data
"$top/build/tests/flowgen" -q --dir "$data" --files 8 --rows 60 --seed 16
python3 "$top/tests/integration/enforce_ref.py" make "$data" 16
# The old files open quietly; their tables read as empty, columns as NULL.
"$top/build/flowdb" -d "$data" -f csv --no-headers -c "SELECT count(DISTINCT file) FROM flows" \
	-c "SELECT count(*) FROM flows WHERE dropped_packets IS NULL AND file LIKE '%T0000Z.db'" \
	-c "SELECT count(DISTINCT file) FROM actions" >"$WORK/out" 2>"$WORK/err" ||
	fail "flowdb over old and new files: $(cat "$WORK/err")"
[ ! -s "$WORK/err" ] || fail "warnings over old files: $(cat "$WORK/err")"
old_rows=$(sqlite3 "$(ls "$data"/*.db | head -1)" "SELECT count(*) FROM flows")
[ "$(tr -d '\r' <"$WORK/out")" = "$(printf '8\n%s\n6' "$old_rows")" ] ||
	fail "old files: $(cat "$WORK/out"), not 8 files, $old_rows NULL rows, 6 files with actions"
python3 "$top/tests/integration/enforce_ref.py" check "$top/build/flowdb" "$data" \
	"$top/shell/queries" || fail "blocked or actions differ from sqlite3 (see above)"
echo "PASS: blocked and actions equal sqlite3 over the same rows; files from before enforcement open, empty and NULL"
