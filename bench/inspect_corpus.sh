#!/usr/bin/env bash
# Payload inspection over a corpus of real captures, against tshark: runs
# tools/flowdb-inspect-check over every file under DIR with the collector
# of build/, and prints its totals per category (flows tshark names, and of
# those agreed, named differently, missed; flows only flowdb names), the
# payload copied per flow record, the captures refused (by reason) and the
# time the whole run took. With OUT, the full report (a table and every
# disagreement per capture) goes to OUT, to look into the misses.
# Extra collector options in FLOWDB_COLLECTOR_OPTIONS (e.g.
# "--inspect-bytes=1024"), to compare budgets.
# Usage: sudo bench/inspect_corpus.sh DIR [OUT]   (e.g. the pcaps of nDPI's tests)
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${1:?usage: inspect_corpus.sh DIR [OUT]}
out=${2:-}
[ -d "$dir" ] || { echo "inspect_corpus: $dir: not a directory" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "inspect_corpus: needs root (flowdb-collector --read); skipped" >&2; exit 77; }
[ -x build/flowdb-collector ] || { echo "inspect_corpus: run make all first; skipped" >&2; exit 77; }
command -v tshark >/dev/null || { echo "inspect_corpus: needs tshark; skipped" >&2; exit 77; }
scratch=$(mktemp -d /tmp/inspect_corpus.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM

args=(--collector build/flowdb-collector)
for o in ${FLOWDB_COLLECTOR_OPTIONS:-}; do
	args+=(--collector-option "$o")
done
[ -n "$out" ] || args+=(--quiet)
# With OUT, the report goes straight there: an interrupted run leaves what it got.
report=${out:-$scratch/report}
start=$(date +%s.%N)
rc=0
tools/flowdb-inspect-check "${args[@]}" "$dir" >"$report" 2>"$scratch/err" || rc=$?
took=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" \
	"$start" "$(date +%s.%N)")
# Exit 2 is captures refused (one line each, below); anything else is a failure.
[ "$rc" = 0 ] || [ "$rc" = 2 ] || { cat "$scratch/err" >&2; exit 1; }
files=$(find "$dir" -type f ! -name '.*' | wc -l)
refused=$(grep -vc ': warning: ' "$scratch/err" || true)
cut=$(grep -c ': warning: ' "$scratch/err" || true)
sed -n '/^total over /,$p' "$report"
echo "inspect_corpus: $files files in $took s: $((files - refused)) compared ($cut cut short, read up to the cut), $refused refused"
if [ "$refused" -gt 0 ]; then
	echo "refusals:"
	grep -v ': warning: ' "$scratch/err" | sed -E 's/^flowdb-inspect-check: [^:]*: //;
		s/^(flowdb-collector|tshark): [^:]*: /\1: /; s/"[^"]*"/"FILE"/g; s/ at byte [0-9]+.*//; s/[0-9]+/N/g' |
		sort | uniq -c | sort -rn | sed 's/^/  /'
fi
