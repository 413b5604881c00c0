#!/usr/bin/env bash
# A generated capture of 20,000 flows (IPv4, IPv6, 802.1Q, QinQ) replayed with
# tcpreplay across a veth pair whose receiving end runs the XDP program in
# native mode, drained every 200 ms: every flow's packets, bytes and TCP flags
# must equal the generator's ground truth exactly. Then the attachment must
# vanish both on a clean exit and when the process is killed.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
build=$top/build

netns_require tcpreplay
work_dir

"$build/tests/pcapgen" --flows 20000 --packets 100000 --seed 7 \
	--pcap "$WORK/mix.pcap" --truth "$WORK/truth.csv"
netns_create
ifindex=$(netns_exec cat "/sys/class/net/$VETH_RX/ifindex")

netns_bg tracker "$build/tests/flowtrack" -i "$VETH_RX" --xdp-mode native --interval 200 \
	>"$WORK/flows.csv"
wait_ready "$WORK/flows.csv" || fail "flowtrack did not become ready"
[ "$(xdp_attached "$VETH_RX")" = xdp ] || fail "XDP is not attached in native mode"

replay "$WORK/mix.pcap" --topspeed
sleep 0.3
kill -INT "$tracker"
wait "$tracker" || fail "flowtrack exited with $?"
python3 "$top/tests/lib/flowcmp.py" flowtrack "$WORK/flows.csv" "$WORK/truth.csv" "$ifindex" ||
	fail "drained flows differ from the ground truth"
[ -z "$(xdp_attached "$VETH_RX")" ] || fail "XDP still attached after a clean exit"

# A killed process must not leave its program behind: the link dies with it.
netns_bg tracker "$build/tests/flowtrack" -i "$VETH_RX" --xdp-mode native >"$WORK/killed.csv"
wait_ready "$WORK/killed.csv" || fail "flowtrack did not become ready"
[ -n "$(xdp_attached "$VETH_RX")" ] || fail "XDP not attached"
kill -KILL "$tracker"
wait "$tracker" 2>/dev/null || true
for _ in $(seq 50); do
	[ -z "$(xdp_attached "$VETH_RX")" ] && break
	sleep 0.1
done
[ -z "$(xdp_attached "$VETH_RX")" ] || fail "XDP still attached after kill -9"
echo "PASS: 100000 packets over 20000 flows match the ground truth exactly"
