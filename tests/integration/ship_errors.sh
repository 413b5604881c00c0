#!/usr/bin/env bash
# flowdb-ship's bad inputs, against a real clickhouse-server: bad command
# lines, ClickHouse down, a URL that is not ClickHouse, wrong credentials,
# an unknown database, the fleet tables missing, one table missing, of
# another schema, another schema version, tables from before file schema
# 6 (then upgraded by hand). Each is one exact line and its
# exit status, and loses nothing: no progress recorded, the files
# unchanged, and the next good run ships every row, each file's rows on its
# own progress line (seq 2 and 10 of one period included). Then --drop-before
# drops whole days, and --status reads a broken progress record with one
# line.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/clickhouse.sh"

ch_require
ship=$top/build/flowdb-ship
flowgen=$top/build/tests/flowgen
[ -x "$ship" ] && [ -x "$flowgen" ] || fail "build first: make"
work_dir
ch_traps
ch_cluster 1
ch_start 1
URL=${CH_URL[1]}
"$flowgen" --dir "$WORK/d" --files 3 --rows 200 --seed 4 --host delta --start 1795384800 -q
# Files of one period: seq 2 and 10 sort apart by name and by number.
first=$(cd "$WORK/d" && ls flows-*.db | sort | head -1)
cp "$WORK/d/$first" "$WORK/d/${first%.db}.2.db"
cp "$WORK/d/$first" "$WORK/d/${first%.db}.10.db"
sums() { sha256sum "$WORK"/d/flows-*.db; }
sums >"$WORK/sums.before"

# expect STATUS LINE CMD...: CMD exits STATUS and writes exactly LINE on
# stderr and nothing on stdout, and records no progress.
expect() {
	local want_rc=$1 want=$2 rc=0
	shift 2
	"$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
	[ "$rc" = "$want_rc" ] || fail "$* exits $rc, not $want_rc: $(cat "$WORK/err")"
	[ "$(cat "$WORK/err")" = "$want" ] || fail "$*: stderr
$(cat "$WORK/err")
not
$want"
	[ ! -s "$WORK/out" ] || fail "$*: stdout $(cat "$WORK/out")"
	[ ! -e "$WORK/d/flowdb-ship.progress" ] || fail "$*: progress recorded"
}

# Command lines.
expect 2 "flowdb-ship: --clickhouse URL is needed (flowdb-ship --help)" "$ship" -d "$WORK/d"
expect 2 "flowdb-ship: -d DIR is needed (flowdb-ship --help)" "$ship" --clickhouse "$URL"
expect 2 "flowdb-ship: --batch-rows 0: not a number from 1 to 1000000" \
	"$ship" --clickhouse "$URL" -d "$WORK/d" --batch-rows 0
expect 2 "flowdb-ship: --retry-for soon: not a duration (30s, 5m)" \
	"$ship" --clickhouse "$URL" -d "$WORK/d" --retry-for soon
expect 2 "flowdb-ship: --drop-before 2026-13-01: not a day (YYYY-MM-DD)" \
	"$ship" --clickhouse "$URL" --drop-before 2026-13-01
expect 2 "flowdb-ship: unknown option '--bogus' (flowdb-ship --help lists them)" \
	"$ship" --bogus
expect 2 "flowdb-ship: --cluster goes with --create" \
	"$ship" --clickhouse "$URL" -d "$WORK/d" --cluster c
expect 2 "flowdb-ship: --clickhouse ftp://127.0.0.1/: not an http:// or https:// URL" \
	"$ship" --clickhouse ftp://127.0.0.1/ -d "$WORK/d"
expect 2 "flowdb-ship: --cluster a b: not a cluster name (letters, digits, _)" \
	"$ship" --clickhouse "$URL" --create --cluster 'a b'

# ClickHouse down: a port nothing listens on, given up on after 1 s.
read -r down web <<<"$(ch_free_ports 2)"
start=$(date +%s%N)
rc=0
"$ship" --clickhouse "http://127.0.0.1:$down/" -d "$WORK/d" --retry-for 1s 2>"$WORK/err" || rc=$?
[ "$rc" = 1 ] || fail "ClickHouse down: exit $rc"
[ "$(grep -c . "$WORK/err")" = 1 ] &&
	grep -qxE "flowdb-ship: ClickHouse at http://127.0.0.1:$down/: no answer: Failed to connect to 127.0.0.1 port $down after [0-9]+ ms: Couldn't connect to server; gave up after 1 s, nothing lost: the next run resumes" "$WORK/err" ||
	fail "ClickHouse down: $(cat "$WORK/err")"
[ ! -e "$WORK/d/flowdb-ship.progress" ] || fail "ClickHouse down: progress recorded"
elapsed=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed" -ge 1000 ] && [ "$elapsed" -lt 5000 ] || fail "ClickHouse down: gave up after $elapsed ms"

# Something else answering HTTP there.
python3 -m http.server --bind 127.0.0.1 "$web" >/dev/null 2>&1 &
NETNS_PIDS+=($!)
for ((t = 0; t < 300; t++)); do
	curl -s "http://127.0.0.1:$web/" >/dev/null && break
	sleep 0.02
done
expect 1 "flowdb-ship: http://127.0.0.1:$web/ answers HTTP 501, not as ClickHouse does" \
	"$ship" --clickhouse "http://127.0.0.1:$web/" -d "$WORK/d"

# Wrong credentials: the user named, the password never.
host=${URL#http://}
expect 1 "flowdb-ship: ClickHouse at http://ship@$host: wrong user or password (Wrong password for user ship)" \
	"$ship" --clickhouse "http://ship:hunter2@$host" -d "$WORK/d"
expect 1 "flowdb-ship: ClickHouse at http://nobody@$host: wrong user or password (Unknown user nobody)" \
	"$ship" --clickhouse "http://nobody@$host" -d "$WORK/d"
expect 1 "flowdb-ship: ClickHouse at http://ship@$host: wrong user or password (Wrong password for user ship)" \
	env FLOWDB_CLICKHOUSE_PASSWORD=nope "$ship" --clickhouse "http://ship@$host" -d "$WORK/d"

# No such database; no fleet tables yet.
expect 1 "flowdb-ship: ClickHouse at ${URL}?database=nodb: Database nodb doesn't exist" \
	"$ship" --clickhouse "${URL}?database=nodb" -d "$WORK/d"
expect 1 "flowdb-ship: ClickHouse at $URL: Table default.flowdb_schema doesn't exist. (flowdb-ship --create makes the tables)" \
	"$ship" --clickhouse "$URL" -d "$WORK/d"

# The tables made with the password from the environment.
out=$(FLOWDB_CLICKHOUSE_PASSWORD=secret "$ship" --clickhouse "http://ship@$host" --create) ||
	fail "--create as ship: $out"

# One table missing; one of another schema; another version.
ch_query 1 "DROP TABLE events_local"
expect 1 "flowdb-ship: ClickHouse at $URL: table events_local is missing (flowdb-ship --create makes it)" \
	"$ship" --clickhouse "$URL" -d "$WORK/d"
"$ship" --clickhouse "$URL" --create >/dev/null
ch_query 1 "ALTER TABLE flows_local MODIFY COLUMN packets UInt32"
expect 1 "flowdb-ship: ClickHouse at $URL: table flows_local is of another schema: column packets is UInt32, flowdb-ship writes Int64" \
	"$ship" --clickhouse "$URL" -d "$WORK/d"
ch_query 1 "ALTER TABLE flows_local MODIFY COLUMN packets Int64"
ch_query 1 "INSERT INTO flowdb_schema VALUES (2)"
expect 1 "flowdb-ship: ClickHouse at $URL: fleet schema version 2, flowdb-ship writes version 1" \
	"$ship" --clickhouse "$URL" -d "$WORK/d"
ch_query 1 "DROP TABLE flowdb_schema"
"$ship" --clickhouse "$URL" --create >/dev/null
# Tables a shipper from before file schema 6 made: refused until upgraded
# as the README says, by hand (18.16 has no ADD COLUMN IF NOT EXISTS).
for t in flows_local flows; do
	ch_query 1 "ALTER TABLE $t DROP COLUMN requests, DROP COLUMN fingerprint"
done
ch_query 1 "DROP TABLE requests"
ch_query 1 "DROP TABLE requests_local"
expect 1 "flowdb-ship: ClickHouse at $URL: table flows_local is of another schema: it lacks columns" \
	"$ship" --clickhouse "$URL" -d "$WORK/d"
for t in flows_local flows; do
	ch_query 1 "ALTER TABLE $t ADD COLUMN requests Nullable(Int64), ADD COLUMN fingerprint Nullable(String)"
done
"$ship" --clickhouse "$URL" --create >/dev/null

# Nothing was lost: the files unchanged, then every row shipped.
sums | cmp -s - "$WORK/sums.before" || fail "the flow files changed"
"$ship" --clickhouse "$URL" -d "$WORK/d" || fail "the good run failed"
python3 "$top/tests/integration/ship_check.py" "${CH_TCP[1]}" "$WORK/d" >/dev/null ||
	fail "ClickHouse differs from the files"
# Each file's progress line holds its own rows.
for f in "$WORK"/d/flows-*.db; do
	n=$(sqlite3 "$f" "SELECT (SELECT count(*) FROM flows) + (SELECT count(*) FROM events) + (SELECT count(*) FROM collector_stats) + (SELECT count(*) FROM requests)")
	grep -qx "$(basename "$f") shipped $n" "$WORK/d/flowdb-ship.progress" ||
		fail "$(basename "$f"): not shipped $n: $(cat "$WORK/d/flowdb-ship.progress")"
done

# --drop-before: the days before it go, from every table; later days stay.
first=$(ch_query 1 "SELECT min(day) FROM flows_local")
next=$(ch_query 1 "SELECT min(day) FROM flows_local WHERE day > '$first'")
[ -n "$next" ] && [ "$next" != 0000-00-00 ] || fail "the files span one day only"
before=$(ch_query 1 "SELECT count() FROM flows_local WHERE day >= '$next'")
out=$("$ship" --clickhouse "$URL" --drop-before "$next") || fail "--drop-before: $out"
[ "$(ch_query 1 "SELECT count() FROM flows_local WHERE day < '$next'")" = 0 ] ||
	fail "--drop-before left earlier days"
[ "$(ch_query 1 "SELECT count() FROM flows_local")" = "$before" ] ||
	fail "--drop-before dropped later days"
[ "$(ch_query 1 "SELECT count() FROM collector_stats_local WHERE day < '$next'")" = 0 ] ||
	fail "--drop-before left collector_stats' earlier days"
echo "$out" | grep -qE '^[1-9][0-9]* partitions dropped$' || fail "--drop-before said: $out"

# A progress record that is not one: --status and shipping say so in one line.
echo "garbage here" >"$WORK/d/flowdb-ship.progress"
rc=0
"$ship" --status -d "$WORK/d" >/dev/null 2>"$WORK/err" || rc=$?
[ "$rc" = 1 ] && [ "$(cat "$WORK/err")" = "flowdb-ship: $WORK/d/flowdb-ship.progress: not a progress record of flowdb-ship's" ] ||
	fail "--status over a broken record: $rc $(cat "$WORK/err")"
echo "PASS: bad command lines, ClickHouse down, not ClickHouse, wrong credentials, no database, no tables, a table missing or of another schema, another version, tables from before file schema 6: one line each, nothing lost; --drop-before; a broken progress record"
