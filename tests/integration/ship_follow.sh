#!/usr/bin/env bash
# flowdb-ship --follow against a real clickhouse-server: it ships the
# finished files, leaves alone a file a writer holds in WAL mode (as the
# collector holds its current file), ships that file once the writer
# finishes it (checkpointed, rollback journal, closed), ships files that
# appear later, and a file a killed writer left with its -wal (from a
# private copy, the file untouched), and exits 0 on SIGTERM; --status says
# which file is being
# written; a second shipper of the directory skips it; every row is in
# ClickHouse once, exactly.
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
"$ship" --clickhouse "${CH_URL[1]}" --create >/dev/null
D=$WORK/d
"$flowgen" --dir "$D" --files 3 --rows 300 --seed 5 --host epsilon -q

# A writer holding flows-20261123T0000Z.db in WAL mode until $WORK/finish appears.
live=flows-20261123T0000Z.db
python3 - "$top/schema/flowdb.sql" "$D/$live" "$WORK" <<'PY' &
import os, sqlite3, sys, time
schema, path, work = sys.argv[1:]
con = sqlite3.connect(path, isolation_level=None)
con.execute("PRAGMA journal_mode=wal")
con.executescript(open(schema).read())
for k, v in [("schema_version", "4"), ("host", "epsilon"), ("interfaces", "eth0"),
             ("collector_version", "t"), ("created_us", "0"), ("time_start_us", "0"),
             ("time_end_us", "0")]:
    con.execute("INSERT INTO meta VALUES (?, ?)", (k, v))
def rows(n, base):
    for i in range(n):
        con.execute("INSERT INTO flows (first_seen, last_seen, ifname, direction, ip_version, "
                    "proto, src_addr, dst_addr, src_port, dst_port, vlan, packets, bytes, "
                    "tcp_flags, end_reason) VALUES (?, ?, 'eth0', 'in', 4, 6, '10.1.0.1', "
                    "'10.2.0.2', ?, 443, 0, ?, ?, 2, 'idle')",
                    (1795392000000000 + base + i, 1795392000000000 + base + i, 1024 + i, i + 1,
                     100 * (i + 1)))
rows(100, 0)
open(os.path.join(work, "ready"), "w").close()
while not os.path.exists(os.path.join(work, "finish")):
    time.sleep(0.02)
rows(50, 1000)
con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
con.execute("PRAGMA journal_mode=delete")
con.close()
PY
writer=$!
NETNS_PIDS+=("$writer")
for ((t = 0; t < 500; t++)); do
	[ -e "$WORK/ready" ] && break
	sleep 0.02
done
[ -e "$WORK/ready" ] || fail "the writer did not start"

# shipped N: waits until the progress record marks N files shipped.
shipped() {
	local t
	for ((t = 0; t < 1000; t++)); do
		[ "$(grep -c ' shipped ' "$D/flowdb-ship.progress" 2>/dev/null)" = "$1" ] && return 0
		kill -0 "$pid" 2>/dev/null || fail "the shipper ended: $(cat "$WORK/err")"
		sleep 0.02
	done
	fail "not $1 files shipped after 20 s: $(cat "$D/flowdb-ship.progress" "$WORK/err")"
}

"$ship" --clickhouse "${CH_URL[1]}" -d "$D" --follow --interval 100ms -v 2>"$WORK/err" &
pid=$!
NETNS_PIDS+=("$pid")
shipped 3
# Several looks later, the file being written is still not begun.
sleep_until=$(($(date +%s%N) + 500000000))
while [ "$(date +%s%N)" -lt "$sleep_until" ]; do
	! grep -q "^$live" "$D/flowdb-ship.progress" || fail "the file being written was begun"
	sleep 0.05
done
"$ship" --status -d "$D" >"$WORK/status"
grep -qE "^  $live +writing$" "$WORK/status" || fail "--status: $(cat "$WORK/status")"

# One shipper per directory: another run skips it with one line, exit 0.
out=$("$ship" --clickhouse "${CH_URL[1]}" -d "$D" 2>&1) || fail "a second shipper failed: $out"
[ "$out" = "flowdb-ship: $D: another flowdb-ship is shipping it; skipped" ] ||
	fail "a second shipper said: $out"

touch "$WORK/finish"
wait "$writer" || fail "the writer failed"
shipped 4
grep -q "^$live shipped 150$" "$D/flowdb-ship.progress" || fail "$(cat "$D/flowdb-ship.progress")"

# Files that appear later.
"$flowgen" --dir "$WORK/later" --files 2 --rows 300 --seed 6 --host epsilon --start 1795395600 -q
mv "$WORK"/later/flows-*.db "$D/"
shipped 6
# A writer that died without closing (a collector's last file after a
# kill -9): a -wal and -shm no one holds. Shipped from a private copy SQLite recovers, the file and what
# lies beside it unchanged.
# Its schema and meta in one transaction, as the collector writes them: a
# look at the file as it is made, before its -shm is locked, takes it for an
# orphan and finds no tables yet (later), never tables without meta.
orphan=flows-20261123T0300Z.db
python3 - "$top/schema/flowdb.sql" "$D/$orphan" <<'PY'
import os, sqlite3, sys
con = sqlite3.connect(sys.argv[2], isolation_level=None)
con.execute("PRAGMA journal_mode=wal")
con.executescript("BEGIN;" + open(sys.argv[1]).read() +
                  "INSERT INTO meta VALUES ('schema_version', '4'), ('host', 'epsilon'); COMMIT;")
for i in range(70):
    con.execute("INSERT INTO events (time, kind, ifname, direction, ip_version, proto, src_addr, "
                "dst_addr, src_port, dst_port, vlan, tcp_flags) VALUES (?, 'rst', 'eth0', 'in', "
                "6, 6, '2001:db8::1', '2001:db8::2', ?, 80, 7, 4)", (1795402800000000 + i, i))
os._exit(0)  # as a kill: the connection never closed, nothing checkpointed
PY
[ -e "$D/$orphan-wal" ] || fail "the killed writer left no -wal"
sha256sum "$D/$orphan" "$D/$orphan-wal" "$D/$orphan-shm" >"$WORK/orphan.sums"
shipped 7
grep -q "^$orphan shipped 70$" "$D/flowdb-ship.progress" || fail "$(cat "$D/flowdb-ship.progress")"
sha256sum -c --quiet "$WORK/orphan.sums" || fail "the killed writer's file changed"
[ -z "$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'flowdb-ship-*')" ] || fail "a private copy was left"

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 0 ] || fail "--follow exits $rc on SIGTERM: $(cat "$WORK/err")"
python3 "$top/tests/integration/ship_check.py" "${CH_TCP[1]}" "$D" >/dev/null ||
	fail "ClickHouse differs from the files"
echo "PASS: --follow ships finished files, waits for the file being written, ships it once finished, files that appear later and a killed writer's file (from a private copy, untouched), exits 0 on SIGTERM; every row once"
