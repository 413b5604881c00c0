#!/usr/bin/env bash
# (c) kill -9 while the collector writes under traffic: every file passes
# PRAGMA integrity_check, the program is gone with the process, and a
# restarted collector carries on in a new file, leaving the old ones alone.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/collector.sh"

netns_require tcpreplay
work_dir

"$top/build/tests/pcapgen" --flows 20000 --packets 100000 --seed 13 \
	--pcap "$WORK/first.pcap" --truth "$WORK/first.csv"
"$top/build/tests/pcapgen" --flows 500 --packets 2000 --seed 14 \
	--pcap "$WORK/second.pcap" --truth "$WORK/second.csv"
netns_create
collector_start col "$WORK/first.log" -i "$VETH_RX" -d "$WORK/data" --flush-interval 200ms \
	--idle-timeout 1s
netns_bg sender tcpreplay -q -i "$VETH_TX" --pps 25000 "$WORK/first.pcap" \
	>"$WORK/replay.log" 2>&1
sleep 2
kill -KILL "$col"
wait "$col" 2>/dev/null || true
wait "$sender" || fail "tcpreplay failed"
[ -z "$(xdp_attached "$VETH_RX")" ] || fail "XDP still attached after kill -9"

ls "$WORK/data" | grep -q '^flows-.*\.db$' || fail "no file was written before the kill"
for f in "$WORK"/data/flows-*.db; do
	[ "$(sqlite3 "$f" 'PRAGMA integrity_check')" = ok ] || fail "$f is corrupt"
	[ "$(sqlite3 "$f" 'SELECT count(*) FROM collector_stats')" -gt 0 ] ||
		fail "$f holds no committed flush"
done
(cd "$WORK/data" && sha256sum flows-*.db >"$WORK/before.sha")

collector_start col "$WORK/second.log" -i "$VETH_RX" -d "$WORK/data" --flush-interval 200ms
replay "$WORK/second.pcap" --topspeed
collector_stop "$col"
(cd "$WORK/data" && sha256sum -c --quiet "$WORK/before.sha") ||
	fail "the restarted collector changed a file of the first run"
mkdir "$WORK/new"
for f in "$WORK"/data/flows-*.db; do
	grep -q " $(basename "$f")\$" "$WORK/before.sha" || cp "$f" "$WORK/new/"
done
[ -n "$(ls "$WORK/new")" ] || fail "the restarted collector wrote no new file"
python3 "$top/tests/lib/flowcmp.py" db "$WORK/new" "$WORK/second.csv" "$VETH_RX" ||
	fail "the restarted collector's file differs from the ground truth"
echo "PASS: files intact after kill -9; the restart wrote $(ls "$WORK/new")"
