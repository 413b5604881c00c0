#!/usr/bin/env bash
# (b) --rotate-interval 2s under continuous traffic for about 6 s, with short
# timeouts so records end all along: at least 3 files, and the records over
# all of them still add up to the ground truth exactly.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/collector.sh"

netns_require tcpreplay
work_dir

"$top/build/tests/pcapgen" --flows 3000 --packets 30000 --seed 12 \
	--pcap "$WORK/mix.pcap" --truth "$WORK/truth.csv"
netns_create
collector_start col "$WORK/collector.log" -i "$VETH_RX" -d "$WORK/data" \
	--flush-interval 500ms --rotate-interval 2s --idle-timeout 1s --active-timeout 2s
replay "$WORK/mix.pcap" --pps 5000
collector_stop "$col"

ls "$WORK/data"
python3 "$top/tests/lib/flowcmp.py" db "$WORK/data" "$WORK/truth.csv" "$VETH_RX" 3 ||
	fail "rotated files differ from the ground truth"
for f in "$WORK"/data/flows-*.db; do
	mode=$(sql "$f" 'PRAGMA journal_mode')
	[ "$mode" = delete ] || fail "$f is a finished file but in journal mode $mode"
done
echo "PASS: $(ls "$WORK"/data/flows-*.db | wc -l) files, totals exact across them"
