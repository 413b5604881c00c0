# shellcheck shell=bash
# Reusable set-up for tests that need a private network: a namespace with a
# veth pair, torn down on exit, on failure and on interruption.
#
#   . tests/lib/netns.sh
#   netns_require [CMD...]        # exits 77 (skip) without root, ip netns, veth or a CMD
#   work_dir                      # sets WORK, a temporary directory removed at teardown
#   netns_create                  # sets NS, VETH_TX (send side), VETH_RX (observed)
#   netns_exec CMD...             # runs CMD inside the namespace
#   netns_bg VAR CMD...           # starts CMD inside it in the background, its pid in VAR;
#                                 # killed at teardown if still running
#   replay PCAP [TCPREPLAY-OPTS...]  # sends PCAP from VETH_TX; fails unless every packet
#                                 # left and none was dropped before the receiver's XDP
#   netns_peer                    # moves VETH_TX into a second namespace NS_PEER and gives
#                                 # the pair addresses ADDR (here) and PEER_ADDR (there)
#
# The namespace has IPv6 and its autoconfiguration off and no addresses, so
# the kernel sends nothing of its own across the pair: what crosses it is
# exactly what the test sends.

NETNS_PIDS=()
NS=
WORK=
NS_PEER=
ADDR=192.0.2.1
PEER_ADDR=192.0.2.2
VETH_TX=veth-tx
VETH_RX=veth-rx

skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

netns_require() {
	local cmd
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, BPF)"
	for cmd in ip "$@"; do
		command -v "$cmd" >/dev/null || skip "needs $cmd"
	done
	ip netns add "flowdb-probe-$$" 2>/dev/null || skip "cannot create network namespaces here"
	if ! ip -n "flowdb-probe-$$" link add probe0 type veth peer name probe1 2>/dev/null; then
		ip netns del "flowdb-probe-$$"
		skip "cannot create veth pairs here"
	fi
	ip netns del "flowdb-probe-$$"
}

netns_teardown() {
	local pid
	for pid in "${NETNS_PIDS[@]}"; do
		# wait returns 143 for a process SIGTERM ended: under set -e that
		# would stop the teardown here and leave the namespace behind.
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	done
	NETNS_PIDS=()
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	[ -n "$NS_PEER" ] && ip netns del "$NS_PEER" 2>/dev/null
	[ -n "$WORK" ] && rm -rf "$WORK"
	NS=
	NS_PEER=
	WORK=
}

netns_traps() {
	trap netns_teardown EXIT
	trap 'netns_teardown; exit 130' INT TERM
}

work_dir() {
	WORK=$(mktemp -d)
	netns_traps
}

netns_create() {
	NS="flowdb-test-$$-${RANDOM}"
	netns_traps
	ip netns add "$NS" || fail "cannot create namespace $NS"
	netns_exec sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	netns_exec ip link add "$VETH_TX" type veth peer name "$VETH_RX" || fail "cannot create veth pair"
	netns_exec ip link set lo up
	# veth's default is noqueue, so a full XDP ring on the receiver drops;
	# with a real qdisc, kernels with veth backpressure requeue instead.
	# Drops that remain show as the sender's tx_dropped, which tests check.
	netns_exec tc qdisc replace dev "$VETH_TX" root pfifo limit 10000 ||
		fail "cannot set a qdisc on $VETH_TX"
	netns_exec ip link set "$VETH_TX" up
	netns_exec ip link set "$VETH_RX" up
}

netns_peer() {
	NS_PEER="$NS-peer"
	ip netns add "$NS_PEER" || fail "cannot create namespace $NS_PEER"
	ip -n "$NS_PEER" link set lo up
	netns_peer_exec sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	netns_exec ip link set "$VETH_TX" netns "$NS_PEER" || fail "cannot move $VETH_TX"
	ip -n "$NS_PEER" addr add "$PEER_ADDR/24" dev "$VETH_TX"
	ip -n "$NS_PEER" link set "$VETH_TX" up
	netns_exec ip addr add "$ADDR/24" dev "$VETH_RX"
}

netns_peer_exec() {
	ip netns exec "$NS_PEER" "$@"
}

netns_exec() {
	ip netns exec "$NS" "$@"
}

netns_bg() {
	local var=$1
	shift
	ip netns exec "$NS" "$@" &
	NETNS_PIDS+=("$!")
	printf -v "$var" '%s' "$!"
}

# Waits up to $3 seconds (default 10) for a line of file $1 to match the
# extended regular expression $2.
wait_for() {
	local i
	for ((i = 0; i < ${3:-10} * 10; i++)); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Waits up to $2 seconds for file $1 to contain the line "# ready".
wait_ready() {
	wait_for "$1" '^# ready$' "${2:-10}"
}

replay() {
	local pcap=$1 log tx_dropped
	shift
	log=$(mktemp)
	if ! netns_exec tcpreplay -i "$VETH_TX" "$@" "$pcap" >"$log" 2>&1 ||
		! grep -q 'Failed packets: *0$' "$log"; then
		cat "$log" >&2
		rm -f "$log"
		fail "tcpreplay did not send every packet of $pcap"
	fi
	grep -E 'Rated|Actual' "$log" | sed 's/^ */tcpreplay: /'
	rm -f "$log"
	# A full veth ring drops before XDP and counts it as the sender's
	# tx_dropped: a harness fault, not a miscount, so say so. (The
	# receiver's rx_dropped is the stack discarding frames XDP passed.)
	tx_dropped=$(netns_exec cat "/sys/class/net/$VETH_TX/statistics/tx_dropped")
	[ "$tx_dropped" = 0 ] || fail "the veth pair dropped $tx_dropped packets before XDP"
}

# Prints the XDP attachment of interface $1 inside the namespace: "xdp" for a
# native (driver) program, "xdpgeneric", or nothing.
xdp_attached() {
	netns_exec ip -d link show dev "$1" | grep -oE '\b(xdpgeneric|xdpoffload|xdp)\b' | head -n1
}
