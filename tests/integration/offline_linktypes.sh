#!/usr/bin/env bash
# flowdb-collector --read of captures of link types other than Ethernet, and
# of compressed ones: a generated Ethernet capture (IPv4 and IPv6, VLAN tags
# and QinQ) rewritten, at test time, into Linux cooked captures (SLL in
# little-endian pcap, SLL2 in big-endian pcap, SLL in a gzip-compressed
# pcapng named without .gz), raw IP, BSD loopback in either byte order
# (NULL, LOOP), PPP, PPP in HDLC framing, Cisco HDLC, and a pcapng of an IPv4
# (228) and an IPv6 (229) interface; each with a packet that is not IP and
# one cut inside its link header first (tests/tools/linktypes.py).
# Each imports into a data directory of its own, and:
#  - equals tshark's view of the same converted capture per 5-tuple (packets,
#    bytes, TCP flags; tshark reads these link types itself);
#  - equals the import of the Ethernet original per 5-tuple (with the VLAN
#    where the link type keeps the tags, without it where it cannot carry
#    them);
#  - counts the packet that is not IP as non_ip and the cut one as
#    malformed, and reads every packet ("read N packets").
# A capture of a link type not read, and a pcapng whose only interface is of
# one, are refused with one line before anything is made.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/collector.sh"

[ "$(id -u)" = 0 ] || skip "needs root (BPF)"
for cmd in tshark python3 sqlite3; do
	command -v "$cmd" >/dev/null || skip "needs $cmd"
done
work_dir
helper=$top/tests/integration/offline_linktypes.py

# import NAME CAPTURE: reads CAPTURE into $WORK/NAME, its standard error in $WORK/NAME.log.
import() {
	"$COLLECTOR" --read "$2" -d "$WORK/$1" 2>"$WORK/$1.log" ||
		fail "--read $2: $(cat "$WORK/$1.log")"
}

"$top/build/tests/pcapgen" --flows 800 --packets 4000 --seed 11 \
	--pcap "$WORK/eth.pcap" --truth "$WORK/eth.csv"
import eth "$WORK/eth.pcap"
python3 "$helper" make "$WORK/eth.pcap" "$WORK" >"$WORK/cases"

# tshark takes seconds to start: its views are taken two at a time beside the imports.
tshark_pids=()
while read -r name capture vlan packets non_ip malformed; do
	import "$name" "$capture"
	python3 "$top/tests/lib/tsharkflows.py" "$capture" "$WORK/$name" >"$WORK/$name.tshark" 2>&1 &
	tshark_pids+=("$!")
	# Ended by the teardown, should the test fail first.
	NETNS_PIDS+=("$!")
	if [ "${#tshark_pids[@]}" -ge 2 ]; then
		wait "${tshark_pids[0]}" || fail "$name: the import differs from tshark's view"
		tshark_pids=("${tshark_pids[@]:1}")
	fi
	grep -q "^flowdb-collector: read $packets packets from $capture in " "$WORK/$name.log" ||
		fail "$name: not $packets packets read: $(cat "$WORK/$name.log")"
	# The rows say what they came from.
	case $name in
	sll | sll-pcapng-gz) want=pcap-sll ;;
	c-hdlc) want=pcap-chdlc ;;
	ip46) want="pcap-ipv4 pcap-ipv6" ;;
	*) want=pcap-$name ;;
	esac
	got=$(for db in "$WORK/$name"/*.db; do sql "$db" "SELECT DISTINCT ifname FROM flows"; done |
		sort -u | tr '\n' ' ')
	[ "$got" = "$want " ] || fail "$name: rows of ifname '$got', expected '$want'"
	if [ "$name" = ip46 ]; then
		continue
	fi
	python3 "$helper" compare "$WORK/eth" "$vlan" "$WORK/$name" ||
		fail "$name: the import differs from the Ethernet original's"
	got=$(python3 "$helper" stats "$WORK/$name")
	[ "$got" = "$non_ip $malformed" ] ||
		fail "$name: non_ip and malformed are $got, expected $non_ip $malformed"
done <"$WORK/cases"
for pid in "${tshark_pids[@]}"; do
	wait "$pid" || fail "an import differs from tshark's view: $(cat "$WORK"/*.tshark)"
done
# IPv4 and IPv6 on their own interfaces: together, the Ethernet original (no VLAN tags).
python3 "$helper" compare "$WORK/eth" 0 "$WORK/ip46" ||
	fail "ip46: the import differs from the Ethernet original's"

# Refused before anything is made: a classic pcap of USB packets (189), and a
# pcapng whose only interface is of that link type.
python3 - "$top" "$WORK" <<'EOF'
import os, sys
sys.path.insert(0, os.path.join(sys.argv[1], "tests", "lib"))
import capwrite as cw
frame = cw.udp4("10.0.0.1", "10.0.0.2", 1, 2)
cw.write_classic(os.path.join(sys.argv[2], "usb.pcap"), [(0, frame)], linktype=189)
with open(os.path.join(sys.argv[2], "usb.pcapng"), "wb") as f:
    f.write(cw.shb() + cw.idb(linktype=189) + cw.epb(0, frame))
EOF
read_are="the link types read are Ethernet (1), Linux cooked (113, 276), raw IP (101, 228, 229, 12, 14), loopback (0, 108), PPP (9, 50), PPPoE (51) and Cisco HDLC (104)"
for capture in usb.pcap usb.pcapng; do
	rc=0
	"$COLLECTOR" --read "$WORK/$capture" -d "$WORK/refused" 2>"$WORK/refused.log" || rc=$?
	case $capture in
	*.pcapng) why="interface 0 is of link type 189, which is not read: $read_are" ;;
	*) why="link type 189 is not read: $read_are" ;;
	esac
	[ "$rc" = 1 ] && [ "$(cat "$WORK/refused.log")" = "flowdb-collector: $WORK/$capture: $why" ] ||
		fail "$capture: exit $rc, $(cat "$WORK/refused.log")"
	[ ! -e "$WORK/refused" ] || fail "$capture: refused, yet the data directory was made"
done
echo "PASS: captures of 11 link types and compressed ones import as tshark sees them and as their Ethernet original"
