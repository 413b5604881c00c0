# shellcheck shell=bash
# Reusable set-up for tests that need a private network: a namespace with a
# veth pair, torn down on exit, on failure and on interruption.
#
#   . tests/lib/netns.sh
#   netns_require                 # exits 77 (skip) without root, ip netns or veth
#   netns_create                  # sets NS, VETH_TX (send side), VETH_RX (observed)
#   netns_exec CMD...             # runs CMD inside the namespace
#   netns_bg VAR CMD...           # starts CMD inside it in the background, its pid in VAR;
#                                 # killed at teardown if still running
#
# The namespace has IPv6 and its autoconfiguration off and no addresses, so
# the kernel sends nothing of its own across the pair: what crosses it is
# exactly what the test sends.

NETNS_PIDS=()
NS=
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
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, BPF)"
	command -v ip >/dev/null || skip "needs ip (iproute2)"
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
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	NETNS_PIDS=()
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	NS=
}

netns_create() {
	NS="flowdb-test-$$-${RANDOM}"
	trap netns_teardown EXIT
	trap 'netns_teardown; exit 130' INT TERM
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

# Waits up to $2 seconds (default 10) for file $1 to contain line "# ready".
wait_ready() {
	local i
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		grep -qx '# ready' "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Prints the XDP attachment of interface $1 inside the namespace: "xdp" for a
# native (driver) program, "xdpgeneric", or nothing.
xdp_attached() {
	netns_exec ip -d link show dev "$1" | grep -oE '\b(xdpgeneric|xdpoffload|xdp)\b' | head -n1
}
