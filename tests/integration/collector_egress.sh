#!/usr/bin/env bash
# (e) --egress: 20 pings and 50 UDP datagrams sent from the collector's
# namespace to a peer namespace are recorded as direction 'out' with exact
# packets and layer-3 bytes; the replies as 'in'. A SIGHUP in between starts
# a second file.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/collector.sh"

netns_require ping
work_dir
netns_create
netns_peer

collector_start col "$WORK/collector.log" -i "$VETH_RX" -d "$WORK/data" --egress \
	--flush-interval 500ms
netns_exec ping -q -c 20 -i 0.01 -s 56 "$PEER_ADDR" >/dev/null || fail "ping failed"
sleep 0.6
kill -HUP "$col"
sleep 1
netns_exec python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('$ADDR', 40001))
for _ in range(50):
    s.sendto(b'x' * 1000, ('$PEER_ADDR', 9))
"
sleep 0.3
collector_stop "$col"

[ "$(ls "$WORK"/data/flows-*.db | wc -l)" = 2 ] || fail "SIGHUP did not start a second file"
# Sums over every file: "packets,bytes" of the flows matching $1.
q() {
	for f in "$WORK"/data/flows-*.db; do
		sql "$f" "SELECT packets || ',' || bytes FROM flows WHERE $1"
	done | awk -F, '{ p += $1; b += $2 } END { print p "," b }'
}
got=$(q "direction = 'out' AND proto = 1 AND src_addr = '$ADDR' AND dst_addr = '$PEER_ADDR' AND dst_port = 2048")
[ "$got" = "20,1680" ] || fail "echo requests out: got '$got', want 20,1680"
got=$(q "direction = 'in' AND proto = 1 AND src_addr = '$PEER_ADDR' AND dst_addr = '$ADDR' AND dst_port = 0")
[ "$got" = "20,1680" ] || fail "echo replies in: got '$got', want 20,1680"
got=$(q "direction = 'out' AND proto = 17 AND src_port = 40001 AND dst_port = 9")
[ "$got" = "50,51400" ] || fail "UDP out: got '$got', want 50,51400"
got=$(for f in "$WORK"/data/flows-*.db; do sql "$f" "SELECT DISTINCT ifname FROM flows"; done |
	sort -u)
[ "$got" = "$VETH_RX" ] || fail "ifname: got '$got'"
echo "PASS: egress recorded as 'out', replies as 'in', exact; SIGHUP started a new file"
