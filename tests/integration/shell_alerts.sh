#!/usr/bin/env bash
# Alerts in the shell (alerts_ref.py): the alerts table over files with
# alerts and files from before them (schema 3: no alerts table, no
# collector_stats.alerts, alerts_suppressed, sink_failures), equal to
# sqlite3 over every file's rows in one file; the canned queries alerts and
# alert-counts equal sqlite3 running the same SQL file and a Python
# reference; the report's alerts sections equal the reference. The files
# are left unchanged. Needs neither root nor a namespace.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"

command -v sqlite3 >/dev/null || skip "needs sqlite3"
work_dir
data=$WORK/data
"$top/build/tests/flowgen" -q --dir "$data" --files 8 --rows 60 --seed 17
python3 "$top/tests/integration/alerts_ref.py" make "$data" 17
(cd "$data" && ls -A && sha256sum -- *) >"$WORK/before"
python3 "$top/tests/integration/alerts_ref.py" check "$top/build/flowdb" "$data" \
	"$top/shell/queries" || fail "alerts differ from the reference (see above)"
(cd "$data" && ls -A && sha256sum -- *) >"$WORK/after"
cmp -s "$WORK/before" "$WORK/after" || fail "reading changed the files"
echo "PASS: alerts, alert-counts and the report's alerts sections equal sqlite3 and the reference; older files read empty and NULL"
