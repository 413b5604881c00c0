#!/usr/bin/env bash
# The script behind `make demo`: flowdb end to end, in under a minute.
#
# Two private network namespaces joined by a veth pair stand in for a host
# (192.0.2.1, running a web server and a DNS server) and a client
# (192.0.2.2). flowdb-collector watches the host's eth0 while the client
# pings it, downloads over HTTP with curl, looks names up, tries TCP ports
# 1-200, and a generated mix of traffic (IPv4, IPv6, VLANs) is replayed with
# tcpreplay. The collector is then stopped with SIGINT and the shell answers
# a few canned queries over what it wrote to build/demo/, which is kept for
# exploring. Everything else (namespaces, programs, processes, temporary
# files) goes away at the end, on failure and on Ctrl-C.
#
# FLOWDB_DEMO_POLICY=FILE runs the collector with --policy FILE (such as
# examples/policy/server.policy) and shows the alerts it raised.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
data=$top/build/demo
host_ns=flowdb-demo-$$
peer_ns=flowdb-demo-$$-peer
host_addr=192.0.2.1
peer_addr=192.0.2.2
pings=5
downloads=3
lookups=50
mix_flows=100
mix_packets=600

if [ "$(id -u)" != 0 ]; then
	echo "make demo needs root (network namespaces, BPF): run sudo make demo" >&2
	exit 1
fi
for cmd in ip ss ping curl python3 tcpreplay; do
	command -v "$cmd" >/dev/null || { echo "the demo needs $cmd: run make deps" >&2; exit 1; }
done
for bin in flowdb-collector flowdb tests/pcapgen; do
	[ -x "$top/build/$bin" ] || { echo "build/$bin is missing: run make all" >&2; exit 1; }
done

pids=()
collector=
tmp=
cleanup() {
	local rc=$? pid
	# A second Ctrl-C must not cut the clean-up short; what it starts ignores
	# SIGINT too.
	trap '' INT TERM
	# A process inside keeps its namespace alive: stop them all first. On
	# SIGTERM the collector detaches and writes what it has, as on SIGINT.
	if [ -n "$collector" ]; then
		kill -TERM "$collector" 2>/dev/null || true
		wait "$collector" 2>/dev/null || true
	fi
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	ip netns del "$peer_ns" 2>/dev/null || true
	ip netns del "$host_ns" 2>/dev/null || true
	if [ -n "$tmp" ]; then
		rm -rf "$tmp"
	fi
	case $rc in
	0) ;;
	130 | 143) echo "Interrupted: the demo stopped everything it started." >&2 ;;
	*) echo "The demo failed (status $rc); it stopped everything it started." >&2 ;;
	esac
}
trap cleanup EXIT
trap 'echo; exit 130' INT
trap 'exit 143' TERM

# Paths as the user can type them from where they ran the demo.
show() {
	case $1 in
	"$PWD"/*) echo "${1#"$PWD"/}" ;;
	*) echo "$1" ;;
	esac
}

in_peer() {
	ip netns exec "$peer_ns" "$@"
}

# Starts a server in the host namespace in the background, stopped at exit;
# its log goes to the temporary directory.
host_bg() {
	ip netns exec "$host_ns" "$@" >>"$tmp/servers.log" 2>&1 &
	pids+=("$!")
}

# Waits up to 10 s for the host to listen on $1 (ss filter, e.g. -ltn) port $2.
wait_listen() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -n "$(ip netns exec "$host_ns" ss -H "$1" "sport = :$2")" ] && return 0
		sleep 0.1
	done
	echo "the demo's server on port $2 did not start" >&2
	return 1
}

# Runs a canned query under a heading saying what it shows ($1), after the
# command line a user would type for it.
query() {
	local about=$1
	shift
	printf '\n== %s\n$ %s %s\n' "$about" "$shell" "$*"
	"$top/build/flowdb" -d "$data" "$@"
}

started=$SECONDS
tmp=$(mktemp -d /tmp/flowdb-demo.XXXXXX)
rm -rf "$data"
mkdir -p "$data"

echo "flowdb demo: a collector on a host's network interface, real traffic, then the shell."
echo
echo "Network: namespace $host_ns (the host, $host_addr, eth0) and"
echo "         namespace $peer_ns (a client, $peer_addr), joined by a veth pair."
ip netns add "$host_ns"
ip netns add "$peer_ns"
ip -n "$host_ns" link add eth0 type veth peer name eth0 netns "$peer_ns"
for ns in "$host_ns" "$peer_ns"; do
	# Without IPv6 the kernels send no router or neighbour solicitations of
	# their own: every flow recorded is one the demo made. (/proc/sys/net is
	# the namespace's own inside it.)
	if [ -d /proc/sys/net/ipv6 ]; then
		echo 1 | ip netns exec "$ns" tee /proc/sys/net/ipv6/conf/{all,default}/disable_ipv6 >/dev/null
	fi
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up
done
ip -n "$host_ns" addr add "$host_addr/24" dev eth0
ip -n "$peer_ns" addr add "$peer_addr/24" dev eth0

# The servers start before the collector, so it sees nothing but the demo's
# traffic.
mkdir "$tmp/www"
head -c 1M /dev/urandom >"$tmp/www/sample.bin"
echo "<p>Hello from the flowdb demo.</p>" >"$tmp/www/index.html"
host_bg python3 -m http.server 80 --bind "$host_addr" --directory "$tmp/www"
cat >"$tmp/dns.py" <<'EOF'
# A minimal DNS over UDP: "serve ADDR" answers every A question with ADDR;
# "ask ADDR NAME COUNT" sends COUNT questions for NAME to ADDR one by one.
import socket, struct, sys

mode, addr = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if mode == "serve":
    s.bind((addr, 53))
    answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(addr)
    while True:
        query, client = s.recvfrom(512)
        # Same id and question; "response, recursion available", one answer.
        s.sendto(query[:2] + b"\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" + query[12:] + answer,
                 client)
else:
    name, count = sys.argv[3], int(sys.argv[4])
    qname = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    s.settimeout(2)
    for i in range(count):
        s.sendto(struct.pack("!6H", i, 0x0100, 1, 0, 0, 0) + qname + struct.pack("!HH", 1, 1),
                 (addr, 53))
        reply = s.recv(512)
    print(f"{count} lookups of {name}, answered {socket.inet_ntoa(reply[-4:])}")
EOF
host_bg python3 "$tmp/dns.py" serve "$host_addr"
wait_listen -ltn 80
wait_listen -lun 53

args=(-i eth0 --flush-interval 1s --idle-timeout 2s)
if [ -n "${FLOWDB_DEMO_POLICY:-}" ]; then
	# Its own control socket, not the system's collector's.
	args+=(--policy "$FLOWDB_DEMO_POLICY" --control "$tmp/control.sock")
fi
echo "Collector: flowdb-collector ${args[*]} -d $(show "$data")"
echo "           in $host_ns; ingress only, so it records what arrives at the host"
# Started straight from ip netns exec, not through a function, so that $! is
# the collector itself and SIGINT reaches it.
ip netns exec "$host_ns" "$top/build/flowdb-collector" "${args[@]}" -d "$data" 2>"$tmp/collector.log" &
collector=$!
for ((i = 0; i < 100; i++)); do
	# -s: the background shell may not have created the log yet.
	grep -qs watching "$tmp/collector.log" && break
	kill -0 "$collector" 2>/dev/null || break
	sleep 0.1
done
if ! grep -q watching "$tmp/collector.log"; then
	cat "$tmp/collector.log" >&2
	echo "the collector did not start" >&2
	exit 1
fi
echo "           $(tail -n1 "$tmp/collector.log")"

echo
echo "Traffic from the client:"
printf '  %-7s %s\n' ping \
	"$(in_peer ping -q -c "$pings" -i 0.2 "$host_addr" | grep -o '[0-9]* packets transmitted.*loss')"
for ((i = 1; i <= downloads; i++)); do
	in_peer curl -sS -o /dev/null "http://$host_addr/sample.bin"
done
printf '  %-7s %s\n' curl "$downloads downloads of 1 MiB over HTTP (port 80)"
printf '  %-7s %s\n' dns "$(in_peer python3 "$tmp/dns.py" ask "$host_addr" demo.flowdb.test "$lookups")"
# curl's URL globbing makes one connection attempt per port; closed ports
# answer with a reset, and curl goes on to the next.
in_peer curl -s -o /dev/null --connect-timeout 2 "http://$host_addr:[1-200]/" || true
printf '  %-7s %s\n' scan "TCP connection attempts to ports 1-200 with curl (only 80 is open)"
"$top/build/tests/pcapgen" --flows "$mix_flows" --packets "$mix_packets" --max-payload 32 \
	--seed 7 --pcap "$tmp/mix.pcap" --truth /dev/null
# A steady rate rather than top speed: a veth pair drops what its XDP ring
# cannot take, and every packet should reach the collector.
if ! ip netns exec "$peer_ns" tcpreplay -q --pps 20000 -i eth0 "$tmp/mix.pcap" \
	>"$tmp/tcpreplay.log" 2>&1; then
	cat "$tmp/tcpreplay.log" >&2
	exit 1
fi
printf '  %-7s %s\n' replay \
	"$mix_packets generated packets in $mix_flows flows (IPv4, IPv6, VLANs; 198.18.0.0/15, 2001:db8::/32)"

echo
# Flows end 2 s after their last packet and are committed within a second;
# the shell reads the file the collector is still writing.
sleep 3
echo "Meanwhile, the shell already reads the file being written:"
"$top/build/flowdb" -d "$data" -c "SELECT count(*) AS flow_records, sum(packets) AS packets FROM flows" |
	sed 's/^/  /'

echo
echo "Stopping the collector with SIGINT: it drains the kernel once more and writes every open flow."
kill -INT "$collector"
rc=0
wait "$collector" || rc=$?
if [ "$rc" != 0 ]; then
	cat "$tmp/collector.log" >&2
	echo "the collector exited with status $rc" >&2
	exit 1
fi
collector=
# So that `flowdb -d` works without sudo afterwards.
if [ -n "${SUDO_UID:-}" ]; then
	chown -R "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$data"
fi

shell="$(show "$top/build/flowdb") -d $(show "$data")"
query "Top talkers: the sources that sent the most bytes to the host" -q top-talkers --limit 5
query "Top ports: the TCP, UDP and SCTP services they reached" -q top-ports --limit 8
query "Protocols: traffic per IP protocol and its share of the bytes" -q protocols
query "Scans: sources that reached many ports or hosts, and how many attempts failed" -q scans
if [ -n "${FLOWDB_DEMO_POLICY:-}" ]; then
	query "Alerts: what the rules of $(show "$FLOWDB_DEMO_POLICY") raised" \
		-c "SELECT time, rule, key, value, action FROM alerts ORDER BY time"
fi

echo
echo "Done in $((SECONDS - started)) s. The flows stay in $(show "$data")/; explore them with"
echo "  $shell"
echo "(interactive: .queries lists the canned queries, .help the commands; plain SQL on the flows table)."
