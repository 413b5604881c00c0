#!/usr/bin/env bash
# top-talkers over the same flows on ClickHouse (flowdb --clickhouse, a
# private clickhouse-server, one shard) and in the files (flowdb -d, with
# the files' rollups and without): flow files written by the collector's
# store (flowgen) and shipped by flowdb-ship. The answers must be equal (the
# fleet's host column aside; its sender column is src_addr). Usage:
# bench/fleet_query.sh [FILES] [ROWS_PER_FILE]; defaults 10 and 1000000
# (10,000,000 flows).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. tests/lib/netns.sh
. tests/lib/clickhouse.sh

files=${1:-10}
rows=${2:-1000000}
die() {
	echo "fleet_query: $*" >&2
	exit 1
}
command -v clickhouse-client >/dev/null && [ -x /usr/sbin/clickhouse-server ] ||
	{ echo "fleet_query: needs clickhouse-server and clickhouse-client (make deps); skipped" >&2; exit 77; }
for f in build/flowdb build/flowdb-ship build/tests/flowgen; do
	[ -x "$f" ] || { echo "fleet_query: $f is missing (run make all); skipped" >&2; exit 77; }
done
calc() {
	python3 -c 'import sys; print(eval(sys.stdin.read()))'
}
# best_of N CMD...: the shortest wall time of N runs of CMD, in seconds;
# CMD's output of the last run in $WORK/out.
best_of() {
	local n=$1 i t start best=
	shift
	for ((i = 0; i < n; i++)); do
		start=$(date +%s.%N)
		"$@" >"$WORK/out" || die "$* failed"
		t=$(echo "$(date +%s.%N) - $start" | calc)
		if [ -z "$best" ] || [ "$(echo "$t < $best" | calc)" = True ]; then
			best=$t
		fi
	done
	echo "$best"
}
work_dir
ch_traps
ch_cluster 1
ch_start 1
url=${CH_URL[1]}
build/tests/flowgen --dir "$WORK/d" --files "$files" --rows "$rows" --seed 12 --host bench -q
build/flowdb-ship --clickhouse "$url" --create >/dev/null
build/flowdb-ship --clickhouse "$url" -d "$WORK/d" || die "flowdb-ship failed"
flows=$(ch_query 1 "SELECT count() FROM flows")

q=(-q top-talkers --since all --limit 20 -f csv --exact)
ch=$(best_of 3 build/flowdb --clickhouse "$url" "${q[@]}")
cut -d, -f2- "$WORK/out" | sed '1s/^src_addr/host/' >"$WORK/ch.csv"
rollups=$(best_of 3 build/flowdb -d "$WORK/d" "${q[@]}")
cp "$WORK/out" "$WORK/rollups.csv"
plain=$(best_of 3 build/flowdb -d "$WORK/d" --no-rollups "${q[@]}")
cmp -s "$WORK/ch.csv" "$WORK/rollups.csv" && cmp -s "$WORK/out" "$WORK/rollups.csv" ||
	die "the answers differ"

printf '%-56s %9s\n' "top-talkers over $flows flows ($files files), best of 3" "wall"
printf '%-56s %8.2fs\n' "flowdb --clickhouse (18.16, one server, 2 cores)" "$ch"
printf '%-56s %8.2fs\n' "flowdb -d (the files' rollups)" "$rollups"
printf '%-56s %8.2fs\n' "flowdb -d --no-rollups (every flow row)" "$plain"
