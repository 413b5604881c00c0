#!/usr/bin/env bash
# flowdb-collector --read pushes captures through the same XDP program
# (BPF_PROG_TEST_RUN) and writes the same database, timed by the capture:
#  - a generated 30-hour capture gives 30 hourly files whose records sum to
#    the generator's ground truth exactly, and to tshark's view of it; so
#    does a 200,000-packet one at line rate, events included, and one of
#    more flows than the maps an import sizes for it hold;
#  - every real capture in ../shared/pcaps, as classic pcap, as nanosecond
#    pcap and as pcapng, equals tshark's view per 5-tuple;
#  - a capture cut mid-record fails with one line naming the byte offset,
#    with every packet before the cut written; link types not read and non-captures
#    fail with one line.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/collector.sh"
. "$top/tests/lib/pcaps.sh"

[ "$(id -u)" = 0 ] || skip "needs root (BPF)"
for cmd in tshark editcap python3; do
	command -v "$cmd" >/dev/null || skip "needs $cmd"
done
work_dir
shared_pcaps || true
pcaps=$PCAPS

# import NAME CAPTURE [OPTIONS]: reads CAPTURE into $WORK/NAME.
import() {
	local name=$1 capture=$2
	shift 2
	"$COLLECTOR" --read "$capture" -d "$WORK/$name" "$@" 2>"$WORK/$name.log" ||
		fail "--read $capture: $(cat "$WORK/$name.log")"
}

# 20,000 packets 5.4 s apart from a whole hour: 30 hours of capture time.
"$top/build/tests/pcapgen" --flows 4000 --packets 20000 --seed 5 --gap-us 5400000 \
	--pcap "$WORK/gen.pcap" --truth "$WORK/gen.csv"
import gen "$WORK/gen.pcap" --rotate-interval 1h
n=$(find "$WORK/gen" -name 'flows-*.db' | wc -l)
[ "$n" = 30 ] || fail "a 30-hour capture gave $n hourly files, expected 30"
python3 "$top/tests/lib/flowcmp.py" db "$WORK/gen" "$WORK/gen.csv" pcap 30 ||
	fail "the imported generated capture differs from its ground truth"
python3 "$top/tests/lib/tsharkflows.py" "$WORK/gen.pcap" "$WORK/gen" ||
	fail "the imported generated capture differs from tshark's view"

# 200,000 packets at line rate: more events than the ring buffer holds at
# once, all kept.
"$top/build/tests/pcapgen" --flows 20000 --packets 200000 --seed 6 \
	--pcap "$WORK/fast.pcap" --truth "$WORK/fast.csv"
import fast "$WORK/fast.pcap"
python3 "$top/tests/lib/flowcmp.py" db "$WORK/fast" "$WORK/fast.csv" pcap 1 ||
	fail "the imported fast capture differs from its ground truth"

# An import sizes its flow maps by its captures' bytes (16,384 here): a
# capture of more flows than that, each of few small packets, drains every
# time a map is half full, and loses none.
"$top/build/tests/pcapgen" --flows 60000 --packets 90000 --seed 8 --max-payload 16 \
	--pcap "$WORK/many.pcap" --truth "$WORK/many.csv"
import many "$WORK/many.pcap"
python3 "$top/tests/lib/flowcmp.py" db "$WORK/many" "$WORK/many.csv" pcap 1 ||
	fail "the imported capture of many flows differs from its ground truth"
IFS=, read -r flushes failures < <("$top/build/flowdb" -d "$WORK/many" -f csv --no-headers \
	-c "SELECT count(*), sum(map_update_failures) FROM collector_stats" | tr -d '\r')
[ "$flushes" -ge 4 ] && [ "$failures" = 0 ] ||
	fail "60,000 flows in a small capture: $flushes flushes, $failures map update failures; expected drains at half full, none failing"

# Killed mid-import: every file in sight is finished and whole (files are
# made in memory and written under a hidden name until synced and renamed, so
# the kill may leave hidden ones or none), and the next import removes every
# hidden file no import holds, its own left over or not, and leaves the
# others.
"$top/build/tests/pcapgen" --flows 4000 --packets 300000 --seed 9 --gap-us 600000 \
	--pcap "$WORK/long.pcap" --truth "$WORK/long.csv"
"$COLLECTOR" --read "$WORK/long.pcap" -d "$WORK/killed" 2>"$WORK/killed.log" &
pid=$!
until [ "$(find "$WORK/killed" -name 'flows-*.db' 2>/dev/null | wc -l)" -ge 2 ]; do
	kill -0 "$pid" 2>/dev/null || fail "the 50-hour import ended before it could be killed"
	sleep 0.01
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
[ -z "$(find "$WORK/killed" -name 'flows-*.db-*')" ] || fail "a killed import left a -wal or -shm"
for f in "$WORK"/killed/flows-*.db; do
	[ "$(sqlite3 -readonly "$f" "PRAGMA integrity_check; PRAGMA journal_mode;" | tr '\n' ' ')" = "ok delete " ] ||
		fail "$f, put in place before the kill, is not whole"
done
printf 'half a file' >"$WORK/killed/.flows-20000101T0000Z.db.part"
ls "$WORK/killed" >"$WORK/killed.before"
import killed "$WORK/gen.pcap"
[ -z "$(find "$WORK/killed" -name '.flows-*.part')" ] || fail "the next import left a dead import's hidden file"
missing=$(ls "$WORK/killed" | grep -Fxvf - "$WORK/killed.before" || true)
[ -z "$missing" ] || fail "the next import removed finished files: $missing"

if [ -z "$pcaps" ]; then
	echo "(no ../shared/pcaps: real captures not checked)"
else
	for p in "$pcaps"/*.pcap; do
		name=$(basename "$p" .pcap)
		editcap -F nsecpcap "$p" "$WORK/$name.ns.pcap"
		editcap -F pcapng "$p" "$WORK/$name.pcapng"
		for variant in "$p" "$WORK/$name.ns.pcap" "$WORK/$name.pcapng"; do
			out=$name-$(basename "$variant" | tr . -)
			import "$out" "$variant"
			python3 "$top/tests/lib/tsharkflows.py" "$variant" "$WORK/$out" ||
				fail "$variant: the import differs from tshark's view"
		done
	done
fi

# Cut in the middle of the 1000th record: the first 999 packets are written.
size=$(python3 - "$WORK/gen.pcap" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
off = 24
for _ in range(999):
    off += 16 + struct.unpack_from("<I", data, off + 8)[0]
print(off + 10)
EOF
)
head -c "$size" "$WORK/gen.pcap" >"$WORK/cut.pcap"
rc=0
"$COLLECTOR" --read "$WORK/cut.pcap" -d "$WORK/cut" 2>"$WORK/cut.log" || rc=$?
[ "$rc" = 1 ] || fail "a cut capture exited $rc, expected 1"
# Exactly one line: the error, with nothing (no "read N packets") before it.
[ "$(cat "$WORK/cut.log")" = "flowdb-collector: $WORK/cut.pcap: truncated packet record at byte $((size - 10)); the 999 packets before it are written" ] ||
	fail "a cut capture said: $(cat "$WORK/cut.log")"
head -c "$((size - 10))" "$WORK/gen.pcap" >"$WORK/whole999.pcap"
python3 "$top/tests/lib/tsharkflows.py" "$WORK/whole999.pcap" "$WORK/cut" ||
	fail "the packets before the cut were not all written"

# A link type not read (189: USB packets, no IP in them; tests/integration/offline_linktypes.sh
# reads the others), and not a capture at all.
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\0\0\xbd\0\0\0' >"$WORK/usb.pcap"
rc=0
"$COLLECTOR" --read "$WORK/usb.pcap" -d "$WORK/usb" 2>"$WORK/usb.log" || rc=$?
[ "$rc" = 1 ] && [ "$(cat "$WORK/usb.log")" = "flowdb-collector: $WORK/usb.pcap: link type 189 is not read: the link types read are Ethernet (1), Linux cooked (113, 276), raw IP (101, 228, 229, 12, 14), loopback (0, 108), PPP (9, 50), PPPoE (51) and Cisco HDLC (104)" ] ||
	fail "a capture of USB packets: exit $rc, $(cat "$WORK/usb.log")"
echo "hello" >"$WORK/text.pcap"
rc=0
"$COLLECTOR" --read "$WORK/text.pcap" -d "$WORK/text" 2>"$WORK/text.log" || rc=$?
[ "$rc" = 1 ] && [ "$(cat "$WORK/text.log")" = "flowdb-collector: $WORK/text.pcap: not a pcap or pcapng file" ] ||
	fail "a text file: exit $rc, $(cat "$WORK/text.log")"
[ ! -e "$WORK/text" ] || fail "a text file still created the data directory"
echo "PASS: captures imported through the XDP program equal the ground truth and tshark"
