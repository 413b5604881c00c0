#!/usr/bin/env bash
# Offline import: packets per second of flowdb-collector --read against
# nfpcapd -r (nfdump), argus -r and softflowd -r on the same generated
# capture, with CPU time, threads, peak RSS and what each tool wrote. It runs
# every tool once untimed, to warm the page cache and check its output, then
# takes the median of RUNS (default 3) runs, interleaved. The peers are Debian
# packages, installed here when missing, with no daemon left running.
# Usage: sudo [CORPUS=DIR] bench/import_peers.sh [PACKETS] [FLOWS]; defaults
# 1000000 100000. The capture is generated once into build/bench-data/. With
# CORPUS, the same run then compares the tools on the real captures under DIR
# of link type Ethernet (the one every peer reads), merged in time order into
# one capture by mergecap: there flowdb's check is that every frame counts,
# in a flow or as non-IP or malformed.
set -euo pipefail
cd "$(dirname "$0")/.."

packets=${1:-1000000}
flows=${2:-100000}
runs=${RUNS:-3}

die() {
	echo "import_peers: $*" >&2
	exit 1
}
if [ "$(id -u)" != 0 ]; then
	echo "import_peers: needs root (flowdb-collector --read loads BPF); skipped" >&2
	exit 77
fi
for f in build/flowdb-collector build/flowdb build/tests/pcapgen; do
	if [ ! -x "$f" ]; then
		echo "import_peers: $f is missing (run make all); skipped" >&2
		exit 77
	fi
done

scratch=$(mktemp -d /tmp/import_peers.XXXXXX)
own_policy=
collector_pid=
cleanup() {
	if [ -n "$collector_pid" ]; then
		kill "$collector_pid" 2> /dev/null || true
		wait "$collector_pid" 2> /dev/null || true
	fi
	if [ -n "$own_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
	rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the peers: Debian packages, only when missing, starting no service ------
daemons="argus softflowd nfcapd sfcapd nfpcapd"
running_daemons() {
	local d
	for d in $daemons; do pgrep -x "$d" || true; done
}
missing=$(for p in nfdump argus-server argus-client softflowd time wireshark-common; do
	dpkg-query -W -f='${Status}\n' "$p" 2> /dev/null | grep -q '^install ok installed$' || echo "$p"
done)
if [ -n "$missing" ]; then
	missing=$(echo $missing)
	echo "installing $missing"
	before=$(running_daemons)
	# Package scripts ask invoke-rc.d (and deb-systemd-invoke) first: deny.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		own_policy=1
	fi
	if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends $missing; } > "$scratch/apt.log" 2>&1; then
		tail -5 "$scratch/apt.log" >&2
		die "could not install $missing"
	fi
	if [ -n "$own_policy" ]; then
		rm -f /usr/sbin/policy-rc.d
		own_policy=
	fi
	# Nor at boot: this is a benchmark, not a NetFlow probe.
	if command -v systemctl > /dev/null; then
		for p in $missing; do
			for unit in $(dpkg -L "$p" | grep -E '/systemd/system/[^/]+\.service$' || true); do
				systemctl disable --quiet "$(basename "$unit")" 2> /dev/null || true
			done
		done
	fi
	for pid in $(running_daemons); do
		if ! grep -qx "$pid" <<< "$before"; then
			echo "stopping $(cat "/proc/$pid/comm" 2> /dev/null) ($pid), started by the install"
			kill "$pid" 2> /dev/null || true
		fi
	done
fi
for t in nfpcapd nfcapd nfdump argus ra softflowd /usr/bin/time mergecap capinfos; do
	command -v "$t" > /dev/null || die "$t is missing after installing the peers"
done

# --- the capture, once -------------------------------------------------------
cap=build/bench-data/import-$packets-$flows.pcap
truth=build/bench-data/import-$packets-$flows.csv
if [ ! -f "$cap" ] || [ ! -f "$truth" ]; then
	echo "generating $cap: $packets packets over $flows flows (once)"
	mkdir -p build/bench-data
	build/tests/pcapgen --pcap "$cap.tmp" --truth "$truth.tmp" --packets "$packets" \
		--flows "$flows" --seed 7 > /dev/null
	mv "$truth.tmp" "$truth"
	mv "$cap.tmp" "$cap"
fi
# The truth CSV has one line per flow, no header: packets in field 9, bytes in 10.
read -r cap_packets cap_bytes cap_flows < <(awk -F, '{ p += $9; b += $10; n++ }
	END { printf "%d %d %d\n", p, b, n }' "$truth")
cap_mb=$(( $(stat -c %s "$cap") / 1000000 ))
cat "$cap" > /dev/null

commas() { sed -E ':a; s/^([0-9]+)([0-9]{3})/\1,\2/; ta' <<< "$1"; }

# --- the NetFlow collector softflowd exports to ------------------------------
start_collector() {
	local dir=$1 try
	mkdir -p "$dir"
	for try in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 20000))
		nfcapd -b 127.0.0.1 -p "$port" -w "$dir" -B 8000000 > "$dir.log" 2>&1 &
		collector_pid=$!
		sleep 0.3
		if kill -0 "$collector_pid" 2> /dev/null; then return 0; fi
		wait "$collector_pid" 2> /dev/null || true
	done
	collector_pid=
	die "nfcapd would not start: $(tail -1 "$dir.log")"
}
stop_collector() {
	kill "$collector_pid"
	wait "$collector_pid" 2> /dev/null || true
	collector_pid=
}

# --- the tools -----------------------------------------------------------------
tools="flowdb flowdb_noinspect nfpcapd argus softflowd"
declare -A label=(
	[flowdb]="flowdb --read"
	[flowdb_noinspect]="flowdb --read --no-inspect"
	[nfpcapd]="nfpcapd -r"
	[argus]="argus -r"
	[softflowd]="softflowd -r"
)
# Sets cmd to the command line of tool $1 writing into $2 (made empty).
command_for() {
	local tool=$1 out=$2
	rm -rf "$out"
	mkdir -p "$out"
	case $tool in
	flowdb) cmd=(build/flowdb-collector --read "$cap" -d "$out" -v) ;;
	flowdb_noinspect) cmd=(build/flowdb-collector --read "$cap" -d "$out" -v --no-inspect) ;;
	# -w: nfdump files in $out; expiry, cache and snaplen at their defaults.
	nfpcapd) cmd=(nfpcapd -r "$cap" -w "$out") ;;
	# -S 60: argus's own status interval (Debian's /etc/argus.conf says 5 s).
	argus) cmd=(argus -S 60 -r "$cap" -w "$out/flows.argus") ;;
	# Exits at the end of the file; -6: IPv6 too; -m: room for every flow
	# (the default 8192 would force expiries). -c none: with a control socket
	# 1.1.0 may block in accept() (it tests an unset poll result with -r);
	# -p: it removes its pid file at exit, so not the system's.
	softflowd) cmd=(softflowd -r "$cap" -6 -v 9 -m $((flows * 4)) -n "127.0.0.1:$port"
		-c none -p "$out/pid") ;;
	esac
}

# The untimed first run: warms up, checks the output and samples the
# threads and the anonymous (private) RSS every 50 ms.
declare -A threads anon_mb wrote
warm_up() {
	local tool=$1 out=$scratch/$1.warm pid t a max_t=0 max_a=0
	command_for "$tool" "$out"
	"${cmd[@]}" > "$out.log" 2>&1 &
	pid=$!
	while grep -qv '^State:.*Z' <(grep '^State:' "/proc/$pid/status" 2> /dev/null); do
		t=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status" 2> /dev/null || true)
		a=$(awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status" 2> /dev/null || true)
		if [ -n "$t" ] && [ "$t" -gt "$max_t" ]; then max_t=$t; fi
		if [ -n "$a" ] && [ "$a" -gt "$max_a" ]; then max_a=$a; fi
		sleep 0.05
	done
	wait "$pid" || die "${label[$tool]} failed: $(tail -1 "$out.log")"
	threads[$tool]=$max_t
	anon_mb[$tool]=$((max_a / 1024))
	check "$tool" "$out"
}

# Prints $1 for the generated capture, whose oddities it names.
synthetic_only() {
	if [ -n "$truth" ]; then printf '%s' "$1"; fi
}

# Checks what tool $1 wrote into $2; sets wrote[$1].
check() {
	local tool=$1 out=$2 n p b s
	case $tool in
	flowdb*)
		IFS=, read -r n p b < <(build/flowdb -d "$out" --format csv --no-headers \
			-c "SELECT count(*), coalesce(sum(packets), 0), coalesce(sum(bytes), 0) FROM flows" | tr -d '\r') || true
		if [ -n "$truth" ]; then
			[ "$p" = "$cap_packets" ] && [ "$b" = "$cap_bytes" ] ||
				die "${label[$tool]}: $p packets and $b bytes in its flows, the capture has $cap_packets and $cap_bytes"
			wrote[$tool]="$(commas "$n") flow records in SQLite ($(du -sm "$out" | cut -f1) MB), $(commas "$p") packets: all of them"
		else
			IFS=, read -r s b < <(build/flowdb -d "$out" --format csv --no-headers \
				-c "SELECT sum(kernel_packets), sum(kernel_packets + non_ip + malformed) FROM collector_stats" | tr -d '\r') || true
			[ "$p" = "$s" ] && [ "$b" = "$cap_packets" ] ||
				die "${label[$tool]}: $p packets in its flows of $s parsed, $b frames counted of $cap_packets"
			wrote[$tool]="$(commas "$n") flow records in SQLite ($(ls "$out" | grep -c '\.db$') files, $(du -sm "$out" | cut -f1) MB), $(commas "$p") IP packets, every frame counted"
		fi
		;;
	nfpcapd)
		n=$(nfdump -R "$out" -I | awk '/^Flows:/ { print $2 }')
		p=$(nfdump -R "$out" -I | awk '/^Packets:/ { print $2 }')
		[ "$(nfdump -R "$out" -q -c 5 | wc -l)" = 5 ] && [ "${n:-0}" -gt 0 ] ||
			die "nfpcapd wrote no readable flows into $out"
		read -r s b < <(sed -nE 's/^Total: .*skipped: ([0-9]+), short caplen: ([0-9]+).*/\1 \2/p' "$out.log") || true
		wrote[$tool]="$(commas "$n") flows in nfdump files ($(du -sm "$out" | cut -f1) MB), $(commas "$p") packets ($(commas "$s") skipped, $(commas "$b") \"short caplen\"$(synthetic_only ": 802.1ad QinQ; GRE, which it decapsulates"))$(synthetic_only "; one flow per ICMP packet")"
		;;
	argus)
		read -r n p < <(ra -r "$out/flows.argus" -n -L -1 -s pkts - not man |
			awk '{ n++; p += $1 } END { printf "%d %d\n", n, p }') || true
		s=$(ra -r "$out/flows.argus" -n -L -1 -s pkts - ip or ipv6 | awk '{ n++; p += $1 } END { printf "%d %d", n, p }')
		[ "$n" -gt 0 ] || die "argus wrote no records into $out"
		wrote[$tool]="$(commas "$n") bidirectional records ($(du -sm "$out" | cut -f1) MB), $(commas "$p") packets; IP: $(commas "${s% *}") records, $(commas "${s#* }") packets$(synthetic_only " (QinQ frames go into one Ethernet record)")"
		;;
	softflowd)
		p=$(awk '/^Packets processed:/ { print $3 }' "$out.log")
		n=$(awk '/^Flows exported:/ { print $3 }' "$out.log")
		s=$(awk '/^Ignored packets:/ { print $3 }' "$out.log")
		[ "${n:-0}" -gt 0 ] && grep -q '(0 failures)' "$out.log" ||
			die "softflowd exported no flows, or failed to: $(grep '^Flows exported' "$out.log")"
		wrote[$tool]="$(commas "$n") flows as NetFlow v9 to nfcapd, $(commas "$p") packets ($(commas "$s") ignored$(synthetic_only ": QinQ"))"
		;;
	esac
}

# One timed run of tool $1, number $2: appends wall, CPU, peak RSS (KB).
declare -A walls cpus rss loop_s flush_s
timed() {
	local tool=$1 run=$2 out=$scratch/$1.$2 w u s m
	command_for "$tool" "$out"
	/usr/bin/time -f '%e %U %S %M' -o "$out.time" "${cmd[@]}" > "$out.log" 2>&1 ||
		die "${label[$tool]} failed: $(grep -v '^Command exited' "$out.log" | tail -1)"
	read -r w u s m < "$out.time"
	walls[$tool]+="$w "
	cpus[$tool]+="$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }') "
	rss[$tool]+="$m "
	case $tool in
	flowdb*)
		check "$tool" "$out"
		loop_s[$tool]+="$(sed -nE 's/.*: read [0-9]+ packets from .* in ([0-9.]+) s$/\1/p' "$out.log") "
		flush_s[$tool]+="$(sed -nE 's/.*: flush: .* ([0-9]+) us$/\1/p' "$out.log" | tail -1) "
		;;
	esac
	rm -rf "$out"
}
median() { tr ' ' '\n' <<< "$1" | awk NF | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
spread() { tr ' ' '\n' <<< "$1" | awk NF | sort -g | awk 'NR == 1 { a = $1 } END { print a "-" $1 }'; }

# Warms up, checks and times every tool on $cap, and prints the table.
compare() {
	walls=() cpus=() rss=() loop_s=() flush_s=() threads=() anon_mb=() wrote=()
	rm -rf "$scratch/nfcapd.warm" "$scratch/nfcapd"
	echo "warming up and checking each tool's output"
	for tool in $tools; do
		if [ "$tool" = softflowd ]; then
			start_collector "$scratch/nfcapd.warm"
			warm_up "$tool"
			stop_collector
			p=$(nfdump -R "$scratch/nfcapd.warm" -I | awk '/^Packets:/ { print $2 }')
			n=$(nfdump -R "$scratch/nfcapd.warm" -I | awk '/^Flows:/ { print $2 }')
			[ "${p:-0}" -gt 0 ] || die "softflowd's flows did not reach nfcapd"
			wrote[$tool]+="; nfcapd received $(commas "$n") flows, $(commas "$p") packets"
		else
			warm_up "$tool"
		fi
	done

	echo "timing: $runs runs, round-robin over the tools"
	load=$(cut -d' ' -f1 /proc/loadavg)
	start_collector "$scratch/nfcapd"
	for run in $(seq "$runs"); do
		for tool in $tools; do timed "$tool" "$run"; done
	done
	stop_collector

	echo
	echo "offline import, $cap: $(commas "$cap_packets") packets, $(commas "$cap_flows") flows," \
		"$cap_mb MB, median of $runs runs ($(nproc) CPUs, load $load before)"
	printf '%-27s %7s %11s %10s %6s %7s %7s %9s %9s\n' tool wall "(min-max)" pkt/s ratio CPU threads "peak RSS" "anon RSS"
	base_pps=
	for tool in $tools; do
		w=$(median "${walls[$tool]}")
		pps=$(awk -v p="$cap_packets" -v w="$w" 'BEGIN { printf "%d", p / w }')
		base_pps=${base_pps:-$pps}
		printf '%-27s %6.2fs %11s %10s %6.2f %6.2fs %7s %6d MB %6d MB\n' "${label[$tool]}" "$w" \
			"$(spread "${walls[$tool]}")" "$(commas "$pps")" \
			"$(awk -v a="$base_pps" -v b="$pps" 'BEGIN { print a / b }')" "$(median "${cpus[$tool]}")" \
			"${threads[$tool]}" $(($(median "${rss[$tool]}") / 1024)) "${anon_mb[$tool]}"
	done
	echo "ratio: flowdb --read's pkt/s over the tool's (above 1: flowdb is faster). CPU: user + system."
	echo "threads and anon RSS: sampled every 50 ms in the untimed run. flowdb's peak RSS counts the"
	echo "capture it maps ($cap_mb MB of page cache, shared)."
	for tool in flowdb flowdb_noinspect; do
		w=$(median "${walls[$tool]}")
		l=$(median "${loop_s[$tool]}")
		f=$(median "${flush_s[$tool]}")
		if [ -n "$l" ] && [ -n "$f" ]; then
			awk -v lab="${label[$tool]}" -v w="$w" -v l="$l" -v f="$f" 'BEGIN {
				f /= 1e6
				printf "%s: %.2fs start-up, finishing the file (indexes, rollups) and exiting, %.2fs running the packets, %.2fs final commit\n",
					lab, w - l - f, l, f }'
		fi
	done
	echo "what each wrote (checked on the untimed run):"
	for tool in $tools; do
		echo "  ${label[$tool]}: ${wrote[$tool]}"
	done
}

compare
if [ -n "${CORPUS:-}" ]; then
	[ -d "$CORPUS" ] || die "CORPUS=$CORPUS is not a directory"
	list=$scratch/corpus.list
	find "$CORPUS" -type f | sort | while read -r f; do
		if [ "$(capinfos -T -E -r "$f" 2> /dev/null | cut -f2)" = ether ]; then echo "$f"; fi
	done > "$list"
	[ -s "$list" ] || die "no Ethernet capture under $CORPUS"
	cap=$scratch/corpus.pcap
	# Merged by time, as flowdb reads a directory.
	xargs -d '\n' mergecap -F pcap -w "$cap" < "$list" ||
		die "mergecap could not merge the captures under $CORPUS"
	truth=
	cap_packets=$(capinfos -T -c -M -r "$cap" | cut -f2)
	cap_flows="?"
	cap_mb=$(( $(stat -c %s "$cap") / 1000000 ))
	flows=$((cap_packets < 100000 ? 100000 : cap_packets))
	echo
	echo "real captures: $(wc -l < "$list") Ethernet captures under $CORPUS," \
		"merged by time: $(commas "$cap_packets") frames"
	compare
fi
