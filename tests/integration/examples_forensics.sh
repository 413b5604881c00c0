#!/usr/bin/env bash
# Every examples/forensics/*.sql file, run through flowdb with its
# parameters (-p NAME=VALUE, some with a --since/--until window) over 48
# hourly files written by the collector's own store (flowgen), equals an
# independent reference computed in Python from the ground truth
# (forensics_ref.py), and its comment block documents the columns it
# returns and the parameters it uses. The files said to work with the
# stock sqlite3 CLI do so over one file, equal to the reference over that
# file's records; the ones said to be flowdb only fail there. Nothing is
# modified. Needs neither root nor a namespace.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"

command -v python3 >/dev/null || skip "needs python3"
[ -x "$top/build/flowdb" ] && [ -x "$top/build/tests/flowgen" ] ||
	fail "build/flowdb or build/tests/flowgen is missing: run make all"
work_dir
data=$WORK/data
"$top/build/tests/flowgen" -q --dir "$data" --files 48 --rows 60 --seed 23 \
	--truth-flows "$WORK/flows.csv"
(cd "$data" && sha256sum -- flows-*.db) >"$WORK/before.sha256"

one=()
if command -v sqlite3 >/dev/null; then
	# The file with the most records, for the stock sqlite3 CLI.
	busiest=$(tail -n +2 "$WORK/flows.csv" | cut -d, -f1 | sort | uniq -c | sort -k1,1nr -k2 |
		awk 'NR == 1 { print $2 }')
	one=(--sqlite3 "$data/$busiest")
else
	echo "no sqlite3 CLI: the files are checked with flowdb only"
fi

rc=0
python3 "$top/tests/integration/forensics_ref.py" --flowdb "$top/build/flowdb" --dir "$data" \
	--flows "$WORK/flows.csv" --examples "$top/examples/forensics" "${one[@]}" || rc=$?

(cd "$data" && sha256sum --quiet -c "$WORK/before.sha256") || fail "the queries modified flow files"
others=$(find "$data" -mindepth 1 ! -name 'flows-*.db')
[ -z "$others" ] || fail "the queries left files behind: $others"
[ "$rc" = 0 ] || fail "examples/forensics do not match the reference (see above)"
echo "PASS: every examples/forensics file equals the reference"
