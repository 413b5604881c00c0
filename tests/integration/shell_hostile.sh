#!/usr/bin/env bash
# Hostile evidence and captures: flow files built at test time as a
# compromised host could leave them (escape sequences in a file name, meta
# strings and values; bidi and zero-width characters; bytes that are not
# UTF-8; spreadsheet formulas; meta times at the ends of int64_t) through
# flowdb in every mode, its reports, .files and .chart. Output for people
# holds no raw control, format or separator character; CSV guards formulas,
# not numbers; JSON and CSV with --exact keep the values exact; messages
# show paths and SQL escaped on one line. tests/integration/shell_hostile.py
# does the work. Needs neither root nor a namespace.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"

command -v python3 >/dev/null || skip "needs python3 (the flow files and the checks)"
python3 -c 'import sqlite3' 2>/dev/null || skip "needs python3 with its sqlite3 module"
[ -x "$top/build/flowdb" ] || fail "build/flowdb is missing: make build/flowdb"
work_dir
python3 "$top/tests/integration/shell_hostile.py" "$top/build/flowdb" "$top/schema/flowdb.sql" \
	"$WORK" || fail "hostile evidence reached the output raw, or exact output was not exact"
echo "PASS: hostile names, meta and values escaped in every mode and report; formulas guarded; json and csv --exact exact; times at the ends of int64_t"
