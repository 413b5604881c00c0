#!/usr/bin/env bash
# flowdb-ship's rate into ClickHouse next to its floor, in the same run: a
# private clickhouse-server (tests/lib/clickhouse.sh), flow files written by
# the collector's store (flowgen), shipped by flowdb-ship (SQLite read,
# RowBinary over HTTP, the exactly-once bookkeeping); then the same flows
# rows, exported once to a TSV file, inserted by clickhouse-client into a
# table like flows_local. Both must leave the same rows (counts, keys, sums). Usage:
# bench/ship_rate.sh [FILES] [ROWS_PER_FILE]; defaults 10 and 100000.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. tests/lib/netns.sh
. tests/lib/clickhouse.sh

files=${1:-10}
rows=${2:-100000}
die() {
	echo "ship_rate: $*" >&2
	exit 1
}
command -v clickhouse-client >/dev/null && [ -x /usr/sbin/clickhouse-server ] ||
	{ echo "ship_rate: needs clickhouse-server and clickhouse-client (make deps); skipped" >&2; exit 77; }
for f in build/flowdb-ship build/tests/flowgen; do
	[ -x "$f" ] || { echo "ship_rate: $f is missing (run make all); skipped" >&2; exit 77; }
done
calc() {
	python3 -c 'import sys; print(eval(sys.stdin.read()))'
}
work_dir
ch_traps
ch_cluster 1
ch_start 1
build/tests/flowgen --dir "$WORK/d" --files "$files" --rows "$rows" --seed 11 --host bench -q
build/flowdb-ship --clickhouse "${CH_URL[1]}" --create >/dev/null

start=$(date +%s.%N)
build/flowdb-ship --clickhouse "${CH_URL[1]}" -d "$WORK/d" || die "flowdb-ship failed"
ship=$(echo "$(date +%s.%N) - $start" | calc)
shipped=$(ch_query 1 "SELECT count() FROM flows_local")
all=$(ch_query 1 "SELECT (SELECT count() FROM flows_local) + (SELECT count() FROM events_local) + (SELECT count() FROM collector_stats_local)")

# The floor: the same flows rows (with host, file, rowid and day) as TSV.
python3 - "$WORK/d" "$WORK/flows.tsv" <<'PY'
import glob, os, sqlite3, sys
def esc(v):
    if v is None:
        return b"\\N"
    if isinstance(v, bytes):
        return v.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n") \
            .replace(b"\r", b"\\r").replace(b"\0", b"\\0").replace(b"'", b"\\'")
    return str(v).encode()
out = open(sys.argv[2], "wb")
for path in sorted(glob.glob(os.path.join(sys.argv[1], "flows-*.db"))):
    con = sqlite3.connect("file:%s?immutable=1" % path, uri=True)
    con.text_factory = bytes
    host = dict(con.execute("SELECT key, value FROM meta"))[b"host"]
    name = os.path.basename(path).encode()
    for r in con.execute("SELECT rowid, date(first_seen / 1000000, 'unixepoch'), * FROM flows"):
        out.write(b"\t".join([esc(host), name] + [esc(v) for v in r]) + b"\n")
out.close()
PY
cols=$(ch_query 1 "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'flows_local'" | paste -sd,)
ch_query 1 "CREATE TABLE floor_local AS flows_local"
start=$(date +%s.%N)
clickhouse-client --host 127.0.0.1 --port "${CH_TCP[1]}" \
	--query "INSERT INTO floor_local ($cols) FORMAT TabSeparated" <"$WORK/flows.tsv" ||
	die "clickhouse-client failed"
floor=$(echo "$(date +%s.%N) - $start" | calc)
sig="SELECT count(), uniqExact(host, file, rowid), sum(packets), sum(bytes), sum(first_seen), uniqExact(src_addr, dst_addr, app_info)"
[ "$(ch_query 1 "$sig FROM floor_local")" = "$(ch_query 1 "$sig FROM flows_local")" ] ||
	die "clickhouse-client inserted other rows than flowdb-ship"

printf '%-52s %9s %12s\n' "$files files of $rows flows ($shipped flows, $all rows)" "wall" "rows/s"
printf '%-52s %8.2fs %12.0f\n' "flowdb-ship (SQLite -> RowBinary/HTTP, exactly once)" "$ship" \
	"$(echo "$all / $ship" | calc)"
printf '%-52s %8.2fs %12.0f\n' "clickhouse-client < TSV (flows only; the floor)" "$floor" \
	"$(echo "$shipped / $floor" | calc)"
printf 'ship_rate: flowdb-ship ships at %.2f of the floor'"'"'s rate\n' \
	"$(echo "($all / $ship) / ($shipped / $floor)" | calc)"
