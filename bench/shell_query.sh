#!/usr/bin/env bash
# The shell over many files against the sqlite3 CLI over one merged file:
# the same queries, timed side by side in one run (median of RUNS).
# Usage: bench/shell_query.sh [FILES] [ROWS_PER_FILE]; defaults 24 x 416667,
# 10 million flow records. The data is generated once into build/bench-data/.
set -euo pipefail
cd "$(dirname "$0")/.."

files=${1:-24}
rows=${2:-416667}
runs=${RUNS:-3}
data=build/bench-data/$files-$rows
merged=$data.merged.db

if [ ! -f "$data/.complete" ]; then
	echo "generating $files files of $rows flow records into $data (once)"
	rm -rf "$data" "$merged"
	mkdir -p "$data"
	build/tests/flowgen --dir "$data" --files "$files" --rows "$rows" --seed 7 -q
	touch "$data/.complete"
fi
if [ ! -f "$merged" ]; then
	echo "merging them into one file for the sqlite3 CLI (once)"
	{
		grep -v '^CREATE INDEX' schema/flowdb.sql
		for f in "$data"/*.db; do
			echo "ATTACH '$f' AS src; INSERT INTO flows SELECT * FROM src.flows;"
			echo "INSERT INTO events SELECT * FROM src.events; DETACH src;"
		done
		grep '^CREATE INDEX' schema/flowdb.sql
	} | sqlite3 "$merged.tmp"
	mv "$merged.tmp" "$merged"
fi
records=$(sqlite3 "$merged" 'SELECT count(*) FROM flows')

# Prints the median wall time of running "$@" $runs times, output dropped.
median() {
	local t times=()
	for _ in $(seq "$runs"); do
		t=$( { TIMEFORMAT=%R; time "$@" > /dev/null; } 2>&1 )
		times+=("$t")
	done
	printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}

# The canned query's own SQL for the CLI, its parameters set the same way.
cli_query() {
	local name=$1 since=$2 until=$3 extra=$4
	sqlite3 "$merged" ".parameter set :since $since" ".parameter set :until $until" \
		".parameter set :limit 20" ".parameter set :by \"'bytes'\"" $extra \
		"$(grep -v '^--' "shell/queries/$name.sql")"
}

last_hour_start=$(sqlite3 "$merged" 'SELECT (max(last_seen) / 1000000 - 3600) * 1000000 FROM flows')
host=$(sqlite3 "$merged" 'SELECT src_addr FROM flows LIMIT 1 OFFSET 5000')

# Both must give the same answer before their times mean anything.
a=$(build/flowdb -d "$data" --query top-talkers --format csv --no-headers | tr -d '\r')
b=$(cli_query top-talkers 0 9223372036854775807 "" | tr '|' ',')
if [ "$a" != "$b" ]; then
	echo "shell_query: flowdb and sqlite3 disagree on top-talkers" >&2
	exit 1
fi

echo "top talkers etc. over $records flow records: flowdb over $files files vs the sqlite3"
echo "CLI over one merged file ($(du -h "$merged" | cut -f1)), median of $runs runs"
printf '%-34s %10s %10s %7s\n' query flowdb sqlite3 ratio
row() {
	local label=$1 t1=$2 t2=$3
	printf '%-34s %9.2fs %9.2fs %6.2fx\n' "$label" "$t1" "$t2" "$(awk -v a="$t1" -v b="$t2" 'BEGIN { print a / b }')"
}
row "top-talkers, whole history" \
	"$(median build/flowdb -d "$data" --query top-talkers --format csv)" \
	"$(median cli_query top-talkers 0 9223372036854775807 "")"
row "top-talkers, last hour" \
	"$(median build/flowdb -d "$data" --query top-talkers --since "@$((last_hour_start / 1000000))" --format csv)" \
	"$(median cli_query top-talkers "$last_hour_start" 9223372036854775807 "")"
row "flows of one host (index)" \
	"$(median build/flowdb -d "$data" -c "SELECT count(*), sum(bytes) FROM flows WHERE src_addr = '$host'")" \
	"$(median sqlite3 "$merged" "SELECT count(*), sum(bytes) FROM flows WHERE src_addr = '$host'")"
row "count(*), whole history" \
	"$(median build/flowdb -d "$data" -c "SELECT count(*) FROM flows")" \
	"$(median sqlite3 "$merged" "SELECT count(*) FROM flows")"
