#!/usr/bin/env bash
# The shell over the 24 hourly files of the query data set (bench/query_data.sh)
# against the sqlite3 CLI over the same flows merged into one file, running
# the canned queries' own one-statement SQL: the floor a single SQLite file
# sets. Answers are checked equal first; times are medians of RUNS (default 3),
# interleaved. Usage: bench/shell_query.sh; QUERY_FLOWS=N for a smaller set.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-3}
. bench/query_data.sh
data=$QUERY_FLOWDB
merged=$QUERY_MERGED
files=$(find "$data" -name 'flows-*.db' | wc -l)
# What the issue asks of flowdb against one merged file.
target=1.5

# Prints the median wall time of running "$@" $runs times, output dropped.
median() {
	local t times=()
	for _ in $(seq "$runs"); do
		t=$( { TIMEFORMAT=%R; time "$@" > /dev/null; } 2>&1 )
		times+=("$t")
	done
	printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}

# The canned query's one statement for the CLI, its parameters bound as the
# shell binds them: NAME SINCE then NAME=VALUE pairs. The CLI lacks the
# shell's proto_name(): it shows the protocol number.
cli_query() {
	local name=$1 since=$2 sets=() kv
	shift 2
	sets=(".parameter set :since $since" ".parameter set :until 9223372036854775807")
	for kv in "$@"; do
		sets+=(".parameter set :${kv%%=*} ${kv#*=}")
	done
	sqlite3 -csv "$merged" "${sets[@]}" \
		"$(grep -v '^--' "shell/queries/$name.sql" | sed 's/proto_name(\([^)]*\))/\1/')"
}

# flowdb's canned query: NAME then its options.
fdb_query() {
	build/flowdb -d "$data" --format csv --no-headers --query "$@"
}

# Fails unless both print the same rows (csv: exact numbers on both sides;
# flowdb's protocol names in the host query turned back into numbers).
same() {
	local label=$1 a b
	a=$(eval "$2" | tr -d '\r')
	b=$(eval "$3" | tr -d '\r')
	if [ "$a" != "$b" ]; then
		echo "shell_query: flowdb and sqlite3 disagree on $label" >&2
		diff <(echo "$a") <(echo "$b") | head >&2 || true
		exit 1
	fi
}

# Turns the protocol names of the host query's second column into numbers.
proto_numbers() {
	awk -F, -v OFS=, 'BEGIN { n["icmp"] = 1; n["tcp"] = 6; n["udp"] = 17; n["ipv6-icmp"] = 58 }
		{ if ($2 in n) $2 = n[$2]; print }'
}

last_hour=$(sqlite3 "$merged" 'SELECT (max(last_seen) / 1000000 - 3600) * 1000000 FROM flows')
busy=$(fdb_query top-talkers --limit 1 | cut -d, -f1)
typical=$(fdb_query top-talkers --limit 200 | tail -n 1 | cut -d, -f1)

same top-talkers "fdb_query top-talkers" "cli_query top-talkers 0 limit=20 by=\"'bytes'\""
same "top-talkers of the last hour" \
	"fdb_query top-talkers --since @$((last_hour / 1000000))" \
	"cli_query top-talkers $last_hour limit=20 by=\"'bytes'\""
same "host $busy" "fdb_query host --host $busy | proto_numbers" \
	"cli_query host 0 host=\"'$busy'\" limit=50"
same "traffic by hour" "fdb_query traffic -p bucket=1h" \
	"cli_query traffic 0 bucket=3600000000"

records=$(sqlite3 "$merged" 'SELECT count(*) FROM flows')
echo "canned queries over $records flow records: flowdb over $files hourly files vs the sqlite3"
echo "CLI over one merged file ($(du -h "$merged" | cut -f1)) with the same SQL; median of $runs runs"
printf '%-36s %9s %9s %7s\n' query flowdb sqlite3 ratio
row() {
	local label=$1 t1=$2 t2=$3
	printf '%-36s %8.2fs %8.2fs %6.2fx\n' "$label" "$t1" "$t2" \
		"$(awk -v a="$t1" -v b="$t2" 'BEGIN { print a / b }')"
}
row "top-talkers, whole history" \
	"$(median fdb_query top-talkers)" \
	"$(median cli_query top-talkers 0 limit=20 by="'bytes'")"
row "top-talkers, last hour" \
	"$(median fdb_query top-talkers --since "@$((last_hour / 1000000))")" \
	"$(median cli_query top-talkers "$last_hour" limit=20 by="'bytes'")"
row "host $busy (busiest)" \
	"$(median fdb_query host --host "$busy")" \
	"$(median cli_query host 0 host="'$busy'" limit=50)"
row "host $typical (200th)" \
	"$(median fdb_query host --host "$typical")" \
	"$(median cli_query host 0 host="'$typical'" limit=50)"
row "traffic, 1h buckets" \
	"$(median fdb_query traffic -p bucket=1h)" \
	"$(median cli_query traffic 0 bucket=3600000000)"
row "traffic, 5m buckets" \
	"$(median fdb_query traffic)" \
	"$(median cli_query traffic 0 bucket=300000000)"
row "count(*), ad-hoc SQL" \
	"$(median build/flowdb -d "$data" -c "SELECT count(*) FROM flows")" \
	"$(median sqlite3 "$merged" "SELECT count(*) FROM flows")"
echo "target: flowdb at most ${target}x the single file"
