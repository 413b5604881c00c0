#!/usr/bin/env bash
# IPFIX export: flow records exported per second by flowdb-collector --read
# CAPTURE --ipfix next to softflowd -r CAPTURE -v 10 (IPFIX too) on the same
# generated capture, both to one nfcapd on 127.0.0.1 in the same run, with
# what nfcapd received from each (nfdump's exporter ids: flowdb's run comes
# first) and its sequence failures. Each tool runs RUNS times (default 3),
# interleaved; the median is shown. The peers are Debian packages (make deps).
# Usage: sudo bench/export_peers.sh [PACKETS] [FLOWS]; defaults 1000000 100000.
# The capture is generated once into build/bench-data/ (import_peers.sh's).
set -euo pipefail
cd "$(dirname "$0")/.."

packets=${1:-1000000}
flows=${2:-100000}
runs=${RUNS:-3}

die() {
	echo "export_peers: $*" >&2
	exit 1
}
if [ "$(id -u)" != 0 ]; then
	echo "export_peers: needs root (flowdb-collector --read loads BPF); skipped" >&2
	exit 77
fi
for f in build/flowdb-collector build/tests/pcapgen; do
	if [ ! -x "$f" ]; then
		echo "export_peers: $f is missing (run make all); skipped" >&2
		exit 77
	fi
done
for t in nfcapd nfdump softflowd /usr/bin/time; do
	command -v "$t" >/dev/null || { echo "export_peers: needs $t (make deps); skipped" >&2; exit 77; }
done

scratch=$(mktemp -d /tmp/export_peers.XXXXXX)
collector_pid=
cleanup() {
	if [ -n "$collector_pid" ]; then
		kill "$collector_pid" 2>/dev/null || true
		wait "$collector_pid" 2>/dev/null || true
	fi
	rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cap=build/bench-data/import-$packets-$flows.pcap
truth=build/bench-data/import-$packets-$flows.csv
if [ ! -f "$cap" ] || [ ! -f "$truth" ]; then
	echo "generating $cap: $packets packets over $flows flows (once)"
	mkdir -p build/bench-data
	build/tests/pcapgen --pcap "$cap.tmp" --truth "$truth.tmp" --packets "$packets" \
		--flows "$flows" --seed 7 >/dev/null
	mv "$truth.tmp" "$truth"
	mv "$cap.tmp" "$cap"
fi
cat "$cap" >/dev/null
commas() { sed -E ':a; s/^([0-9]+)([0-9]{3})/\1,\2/; ta' <<<"$1"; }

# One nfcapd for both tools, its socket buffer as large as the kernel allows
# (nfcapd -B; README, "IPFIX export").
mkdir -p "$scratch/nfcapd"
for try in 1 2 3 4 5; do
	port=$((20000 + RANDOM % 20000))
	[ -z "$(ss -Hlun "sport = :$port")" ] || continue
	nfcapd -b 127.0.0.1 -p "$port" -w "$scratch/nfcapd" -t 3600 \
		-B "$(cat /proc/sys/net/core/rmem_max)" >"$scratch/nfcapd.log" 2>&1 &
	collector_pid=$!
	for i in $(seq 50); do
		grep -q '^Startup nfcapd' "$scratch/nfcapd.log" && break
		sleep 0.1
	done
	kill -0 "$collector_pid" 2>/dev/null && break
	wait "$collector_pid" 2>/dev/null || true
	collector_pid=
done
[ -n "$collector_pid" ] || die "nfcapd would not start: $(tail -1 "$scratch/nfcapd.log")"

declare -A walls records
# One run of tool $1: appends its wall time and the records it exported.
run() {
	local tool=$1 out=$scratch/$1 w n
	rm -rf "$out"
	case $tool in
	flowdb)
		/usr/bin/time -f '%e' -o "$out.time" build/flowdb-collector --read "$cap" -d "$out" \
			--ipfix "127.0.0.1:$port" >"$out.log" 2>&1 || die "flowdb: $(tail -1 "$out.log")"
		n=$(for f in "$out"/flows-*.db; do
			sqlite3 "$f" "SELECT sum(ipfix_records) FROM collector_stats"
		done | awk '{ s += $1 } END { print s }')
		;;
	softflowd)
		/usr/bin/time -f '%e' -o "$out.time" softflowd -r "$cap" -6 -v 10 -A milli \
			-m $((flows * 4)) -n "127.0.0.1:$port" >"$out.log" 2>&1 ||
			die "softflowd: $(tail -1 "$out.log")"
		n=$(awk '/^Flows exported:/ { print $3 }' "$out.log")
		;;
	esac
	read -r w <"$out.time"
	walls[$tool]+="$w "
	records[$tool]=$n
	rm -rf "$out"
}
median() { tr ' ' '\n' <<<"$1" | awk NF | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "timing: $runs runs each, flowdb then softflowd, to one nfcapd"
load=$(cut -d' ' -f1 /proc/loadavg)
for r in $(seq "$runs"); do
	run flowdb
	run softflowd
done
kill "$collector_pid"
wait "$collector_pid" 2>/dev/null || true
collector_pid=
# nfcapd knows an exporter by its address, protocol version and domain: each
# tool is one, numbered as met (flowdb first), its counts over all runs. A
# new run starts its sequence numbers again, which nfcapd counts as a
# failure: 2 * RUNS - 2 of them are that.
received=$(nfdump -R "$scratch/nfcapd" -q -o 'fmt:%exp' | awk '{ n[$1]++ } END { for (e in n) print e, n[e] }' | sort -n)
seqfail=$(nfdump -R "$scratch/nfcapd" -I | awk '/^Sequence failures:/ { print $3 }')

echo
echo "IPFIX export from $cap: $(commas "$packets") packets, $(commas "$flows") flows;" \
	"median of $runs runs ($(nproc) CPUs, load $load before)"
printf '%-40s %8s %12s %12s\n' tool wall records "records/s"
for tool in flowdb softflowd; do
	w=$(median "${walls[$tool]}")
	label="flowdb-collector --read --ipfix"
	[ "$tool" = softflowd ] && label="softflowd -r -v 10"
	printf '%-40s %7.2fs %12s %12s\n' "$label" "$w" "$(commas "${records[$tool]}")" \
		"$(commas "$(awk -v n="${records[$tool]}" -v w="$w" 'BEGIN { printf "%d", n / w }')")"
done
echo "wall: the whole run, reading the capture included (flowdb also writes its SQLite files;"
echo "its export is paced at --ipfix-rate, 10,000 messages/s by default)."
echo "nfcapd received over the $runs runs, per exporter id (1 flowdb, 2 softflowd): $(tr '\n' ';' <<<"$received")"
echo "nfcapd sequence failures over all: ${seqfail:-?} (softflowd 1.1.0's IPFIX sequence numbers alone"
echo "give most: 557 for 751 messages when it exports alone here; and 2 * RUNS - 2 are restarts)."
