#!/usr/bin/env bash
# What a gateway's capture holds, through flowdb-collector --read: PPPoE
# session frames (untagged, in 802.1Q and in QinQ) count in their IP flows,
# IPv4 packets with total length 0 (send-side TSO captures) count at the
# frame's length, or PPPoE's, and PPPoE discovery and LCP frames count as
# non-IP. The import equals the generator's ground truth (pcapgen
# --gateway) and, per 5-tuple, tshark's view of the same capture.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/collector.sh"

[ "$(id -u)" = 0 ] || skip "needs root (BPF)"
for cmd in tshark python3; do
	command -v "$cmd" >/dev/null || skip "needs $cmd"
done
work_dir

"$top/build/tests/pcapgen" --gateway --flows 3000 --packets 30000 --seed 21 \
	--pcap "$WORK/gw.pcap" --truth "$WORK/gw.csv"

# The capture holds every kind of frame this test is about: a generator
# that lost one would leave it untested. Read here, not by flowdb or tshark.
python3 - "$WORK/gw.pcap" <<'EOF' || fail "the generated capture lacks a kind of frame (above)"
import struct, sys
data = open(sys.argv[1], "rb").read()
seen = set()
off = 24
while off < len(data):
    caplen = struct.unpack_from("<I", data, off + 8)[0]
    frame = data[off + 16:off + 16 + caplen]
    off += 16 + caplen
    pos, tags = 12, 0
    ethertype = struct.unpack_from(">H", frame, pos)[0]
    while ethertype in (0x8100, 0x88a8):
        tags += 1
        pos += 4
        ethertype = struct.unpack_from(">H", frame, pos)[0]
    pos += 2
    if ethertype == 0x8863:
        seen.add("discovery")
        continue
    pppoe = ethertype == 0x8864
    if pppoe:
        ppp = struct.unpack_from(">H", frame, pos + 6)[0]
        pos += 8
        if ppp == 0xc021:
            seen.add("lcp")
            continue
        ethertype = {0x0021: 0x0800, 0x0057: 0x86dd}[ppp]
        seen.add(f"pppoe, {tags} tags, {'ipv4' if ppp == 0x21 else 'ipv6'}")
    if ethertype == 0x0800 and struct.unpack_from(">H", frame, pos + 2)[0] == 0:
        seen.add(f"total length 0{', pppoe' if pppoe else ''}")
        if frame[pos + 9] == 6 and len(frame) - pos > 40 + 1448:
            seen.add("total length 0, more than one segment")
want = {f"pppoe, {t} tags, {v}" for t in range(3) for v in ("ipv4", "ipv6")}
want |= {"discovery", "lcp", "total length 0", "total length 0, pppoe",
         "total length 0, more than one segment"}
for kind in sorted(want - seen):
    print(f"missing: {kind}", file=sys.stderr)
sys.exit(1 if want - seen else 0)
EOF

"$COLLECTOR" --read "$WORK/gw.pcap" -d "$WORK/gw" 2>"$WORK/gw.log" ||
	fail "--read: $(cat "$WORK/gw.log")"
python3 "$top/tests/lib/flowcmp.py" db "$WORK/gw" "$WORK/gw.csv" pcap ||
	fail "the imported gateway capture differs from its ground truth"
python3 "$top/tests/lib/tsharkflows.py" "$WORK/gw.pcap" "$WORK/gw" ||
	fail "the imported gateway capture differs from tshark's view"
echo "PASS: PPPoE, TSO and non-IP frames of a gateway's capture as the truth and tshark count them"
