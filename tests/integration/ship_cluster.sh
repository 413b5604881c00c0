#!/usr/bin/env bash
# flowdb-ship into a real two-shard ClickHouse cluster (Debian's
# clickhouse-server, private servers on free ports): the files of three
# hosts written by the collector's own store (flowgen) and a host's files at
# the edges (ship_edge.py); the shipper killed with -9 mid-file again and
# again, a shard killed with -9 mid-ship and restarted, a batch ClickHouse
# holds only part of (an insert cut at a row boundary); then, through the
# Distributed tables, every row of every file exactly once, value by value
# (ship_check.py, which reads the files with Python's sqlite3), and the
# files unchanged.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/clickhouse.sh"

ch_require
command -v sqlite3 >/dev/null || skip "needs sqlite3"
ship=$top/build/flowdb-ship
flowgen=$top/build/tests/flowgen
[ -x "$ship" ] && [ -x "$flowgen" ] || fail "build first: make"
work_dir
ch_traps
ch_cluster 2
ch_start 1
ch_start 2

# Three hosts through the collector's store, one at the edges.
"$flowgen" --dir "$WORK/alpha" --files 8 --rows 1500 --seed 1 --host alpha -q
"$flowgen" --dir "$WORK/beta" --files 8 --rows 1500 --seed 2 --host beta -q
"$flowgen" --dir "$WORK/gamma" --files 8 --rows 1500 --seed 3 --host gamma -q
python3 "$top/tests/integration/ship_edge.py" "$top/schema/flowdb.sql" "$WORK/edge"
sums() { (cd "$WORK" && find alpha beta gamma edge -name 'flows-*.db*' -type f | sort | xargs sha256sum); }
sums >"$WORK/sums.before"

# --create on each shard, twice: idempotent.
for i in 1 2 1; do
	out=$("$ship" --clickhouse "${CH_URL[i]}" --create 2>&1) ||
		fail "--create on shard $i: $out"
	[ "$out" = "fleet tables ready on ${CH_URL[i]} (cluster flowdb)" ] ||
		fail "--create on shard $i said: $out"
done
[ "$(ch_query 1 "SELECT count() FROM flowdb_schema")" = 1 ] || fail "flowdb_schema holds more than one row"

# wait_shipping DIR PID: waits until the shipper PID has moved DIR's
# progress record on and is amid a file (rows of it shipped, not all).
# Returns 1 when the shipper ended first.
wait_shipping() {
	local t before
	before=$(cat "$1/flowdb-ship.progress" 2>/dev/null || true)
	for ((t = 0; t < 600; t++)); do
		if grep -qE ' shipping [1-9]' "$1/flowdb-ship.progress" 2>/dev/null &&
			[ "$(cat "$1/flowdb-ship.progress")" != "$before" ]; then
			return 0
		fi
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.01
	done
	fail "$1: no file in progress after 6 s"
}

# alpha (shard 1): the shipper killed with -9 mid-file, four times, each
# run resuming where the last left off.
kills=0
for round in 1 2 3 4; do
	"$ship" --clickhouse "${CH_URL[1]}" -d "$WORK/alpha" --batch-rows 100 \
		2>"$WORK/alpha.err.$round" &
	pid=$!
	if wait_shipping "$WORK/alpha" "$pid"; then
		kill -9 "$pid"
		kills=$((kills + 1))
	fi
	wait "$pid" 2>/dev/null || true
done
[ "$kills" -ge 3 ] || fail "alpha: the shipper finished before it could be killed ($kills kills)"
"$ship" --clickhouse "${CH_URL[1]}" -d "$WORK/alpha" -v 2>"$WORK/alpha.err" ||
	fail "alpha: the last run failed: $(cat "$WORK/alpha.err")"
grep -q 'found in ClickHouse already' "$WORK/alpha.err" || fail "alpha: no resumption reported"

# gamma (shard 2): the shard killed with -9 mid-ship; the shipper retries
# until it is back (-v: it says so, once).
"$ship" --clickhouse "${CH_URL[2]}" -d "$WORK/gamma" --batch-rows 100 --retry-for 60s -v \
	2>"$WORK/gamma.err" &
pid=$!
wait_shipping "$WORK/gamma" "$pid" || fail "gamma: the shipper ended early: $(cat "$WORK/gamma.err")"
ch_kill 2
for ((t = 0; t < 300; t++)); do
	grep -q 'retrying$' "$WORK/gamma.err" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.02
done
grep -q 'retrying$' "$WORK/gamma.err" || fail "gamma: no retry after the shard died: $(cat "$WORK/gamma.err")"
[ "$(grep -c 'retrying$' "$WORK/gamma.err")" = 1 ] ||
	fail "gamma: more than one line for one outage: $(cat "$WORK/gamma.err")"
ch_start 2
wait "$pid" || fail "gamma: the shipper failed after the shard came back: $(cat "$WORK/gamma.err")"
grep -q 'answers again$' "$WORK/gamma.err" || fail "gamma: the recovery is not reported"

# beta and edge (shard 2, shard 1), at once.
"$ship" --clickhouse "${CH_URL[2]}" -d "$WORK/beta" || fail "beta: the shipper failed"
rc=0
"$ship" --clickhouse "${CH_URL[1]}" -d "$WORK/edge" 2>"$WORK/edge.err" || rc=$?
[ "$rc" = 1 ] || fail "edge: exit status $rc, not 1 for the refused files"
[ "$(grep -c . "$WORK/edge.err")" = 2 ] || fail "edge: not one line per refused file: $(cat "$WORK/edge.err")"
grep -qx "flowdb-ship: $WORK/edge/flows-20261122T0200Z.db: not shipped: flows: 1 rows with a first_seen that is not an integer" \
	"$WORK/edge.err" || fail "edge: $(cat "$WORK/edge.err")"
grep -qx "flowdb-ship: $WORK/edge/flows-20261122T0300Z.db: not shipped: not an SQLite database" \
	"$WORK/edge.err" || fail "edge: $(cat "$WORK/edge.err")"

# A batch held in part, as an insert cut at a row boundary leaves it: of
# alpha's last file, ClickHouse keeps the flows up to rowid 1000 (the rows
# an insert of the file's flows got before its connection was cut) and
# none of the file's later tables; the file marked in progress again. The
# next run (batches of all the day's flows) sends exactly the rest.
last=$(cd "$WORK/alpha" && ls flows-*.db | sort | tail -1)
ch_query 1 "ALTER TABLE flows_local DELETE WHERE host = 'alpha' AND file = '$last' AND rowid > 1000"
for t in events collector_stats requests; do
	ch_query 1 "ALTER TABLE ${t}_local DELETE WHERE host = 'alpha' AND file = '$last'"
done
for ((t = 0; t < 300; t++)); do
	[ "$(ch_query 1 "SELECT count() FROM system.mutations WHERE NOT is_done")" = 0 ] && break
	sleep 0.05
done
sed -i "s/^$last shipped [0-9]*/$last shipping 0/" "$WORK/alpha/flowdb-ship.progress"
"$ship" --clickhouse "${CH_URL[1]}" -d "$WORK/alpha" -v 2>"$WORK/alpha.err" || fail "alpha: $(cat "$WORK/alpha.err")"
total=$(sqlite3 "$WORK/alpha/$last" "SELECT (SELECT count(*) FROM flows) + (SELECT count(*) FROM events) + (SELECT count(*) FROM collector_stats) + (SELECT count(*) FROM requests)")
grep -qx "flowdb-ship: $WORK/alpha/$last: $((total - 1000)) rows sent, 1000 found in ClickHouse already" \
	"$WORK/alpha.err" || fail "alpha: the part-held batch: $(cat "$WORK/alpha.err")"

# Nothing is left to do, and a run says so by doing nothing.
"$ship" --clickhouse "${CH_URL[1]}" -d "$WORK/alpha" -d "$WORK/edge" -v 2>"$WORK/again.err" || true
[ ! -s "$WORK/again.err" ] || fail "a run over shipped files did something: $(cat "$WORK/again.err")"

# Both shards hold rows, and the Distributed tables see all of them.
for i in 1 2; do
	[ "$(ch_query "$i" "SELECT count() > 0 FROM flows_local")" = 1 ] || fail "shard $i holds no flows"
done
python3 "$top/tests/integration/ship_check.py" "${CH_TCP[1]}" \
	"$WORK/alpha" "$WORK/beta" "$WORK/gamma" "$WORK/edge" >"$WORK/check.out" ||
	fail "ClickHouse differs from the files"
sums >"$WORK/sums.after"
cmp -s "$WORK/sums.before" "$WORK/sums.after" || fail "the flow files changed"

# --status: every file of alpha shipped, edge's refused ones with why.
"$ship" --status -d "$WORK/alpha" -d "$WORK/edge" >"$WORK/status" || fail "--status failed"
grep -q '8 files: 8 shipped, 0 shipping, 0 refused, 0 not begun' "$WORK/status" || fail "$(cat "$WORK/status")"
grep -q 'flows-20261122T0300Z.db *refused *0 rows  not an SQLite database' "$WORK/status" ||
	fail "$(cat "$WORK/status")"
cat "$WORK/check.out"
echo "PASS: 3 hosts of 8 files and an edge host through a two-shard cluster: $kills shipper kills mid-file, a shard killed mid-ship, a batch held in part; every row once and exact through the Distributed tables, files unchanged"
