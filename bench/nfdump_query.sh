#!/usr/bin/env bash
# flowdb's shell over its hourly files against nfdump over nfpcapd's hourly
# files, both made from the same capture (bench/query_data.sh): top talkers,
# one host's conversations and an hourly timeline, timed interleaved (median
# of RUNS, default 3) after checking that both give the same answers.
# Usage: bench/nfdump_query.sh; QUERY_FLOWS=N for a smaller data set.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-3}
. bench/query_data.sh
fdb=$QUERY_FLOWDB
nf=$QUERY_NFDUMP
records=$(build/flowdb -d "$fdb" --format csv --no-headers -c "SELECT count(*) FROM flows" |
	tr -d '\r')

# Prints "WALL CPU" in seconds for one run of "$@", its output dropped; CPU
# is user + system time, children included, so nfdump's threads show there.
timed() {
	local t
	t=$( { TIMEFORMAT='%R %U %S'; time "$@" > /dev/null 2>&1; } 2>&1 )
	awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' <<< "$t"
}

# Prints the median of its arguments.
median() {
	printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"
}

# Times the commands named by $2 and $3 (functions, no arguments) runs times
# each, one after the other, and prints a row of the table labelled $1. An
# empty $3: flowdb only.
pair() {
	local label=$1 a=$2 b=$3 i w c aw=() ac=() bw=() bc=()

	for ((i = 0; i < runs; i++)); do
		read -r w c < <(timed "$a")
		aw+=("$w") ac+=("$c")
		if [ -n "$b" ]; then
			read -r w c < <(timed "$b")
			bw+=("$w") bc+=("$c")
		fi
	done
	if [ -z "$b" ]; then
		printf '%-44s %8.2f %8s %7s %10.2f %10s\n' "$label" "$(median "${aw[@]}")" - - \
			"$(median "${ac[@]}")" -
		return
	fi
	printf '%-44s %8.2f %8.2f %6.2fx %10.2f %10.2f\n' "$label" "$(median "${aw[@]}")" \
		"$(median "${bw[@]}")" \
		"$(awk -v a="$(median "${aw[@]}")" -v b="$(median "${bw[@]}")" 'BEGIN { print a / b }')" \
		"$(median "${ac[@]}")" "$(median "${bc[@]}")"
}

# --- the queries ------------------------------------------------------------
# -q: no header or summary, -N: plain numbers; csv output for the statistic.
fdb_top() { build/flowdb -d "$fdb" --query top-talkers --format csv; }
nf_top() { nfdump -R "$nf" -q -N -n 20 -s srcip/bytes -o csv; }

# A host's conversations. flowdb: peers per protocol, both directions in one
# row. nfdump: the records with the host at either end aggregated per source,
# destination and protocol (a peer's two directions are two rows), the top 50
# by bytes.
fdb_host() { build/flowdb -d "$fdb" --query host --host "$host" --format csv; }
nf_host() { nfdump -R "$nf" -q -N -A srcip,dstip,proto -O bytes -n 50 "host $host"; }
fdb_host_busy() { host=$busy fdb_host; }
nf_host_busy() { host=$busy nf_host; }
fdb_host_typical() { host=$typical fdb_host; }
nf_host_typical() { host=$typical nf_host; }

# An hourly timeline. nfdump has no time-bucket statistic: the nearest are
# -g, each file's summary (written by nfpcapd, so by export time, not start
# time, and per file only), and one run per hour with -t over the two files a
# flow starting in that hour can be in.
nf_files=()
for f in "$nf"/nfcapd.*; do
	nf_files+=("$(basename "$f")")
done
fdb_timeline() { build/flowdb -d "$fdb" --query traffic -p bucket=1h --format csv; }
fdb_timeline_5m() { build/flowdb -d "$fdb" --query traffic --format csv; }
nf_timeline_g() { nfdump -R "$nf" -g; }
nf_timeline_t() {
	local i n=${#nf_files[@]} first last t0 t1

	for ((i = 0; i < n; i++)); do
		first=${nf_files[i]}
		last=${nf_files[i + 1 < n ? i + 1 : i]}
		t0=$(date -u -d "@$((QUERY_START + i * 3600))" +%Y/%m/%d.%H:%M:%S)
		t1=$(date -u -d "@$((QUERY_START + (i + 1) * 3600))" +%Y/%m/%d.%H:%M:%S)
		nfdump -R "$nf/$first:$last" -N -o null -t "$t0-$t1" |
			awk -v t="$t0" '/^Summary:/ {
				gsub(/,/, ""); print t "," $4 "," $10 "," $7 }'
	done
}

# --- the answers must agree ---------------------------------------------------
# Top 20 sources by bytes: host, flows, packets, bytes.
a=$(fdb_top | tr -d '\r' | tail -n +2)
b=$(nf_top | tr -d ' ' | awk -F, 'NR > 1 && NF > 10 { print $5 "," $6 "," $8 "," $10 }')
if [ "$a" != "$b" ]; then
	echo "nfdump_query: flowdb and nfdump disagree on the top talkers:" >&2
	diff <(echo "$a") <(echo "$b") >&2 || true
	exit 1
fi
busy=$(sed -n 1p <<< "$a" | cut -d, -f1)
typical=$(build/flowdb -d "$fdb" --query top-talkers --limit 200 --format csv --no-headers |
	tr -d '\r' | tail -n 1 | cut -d, -f1)

# Every conversation of each host: peer, protocol, flows, packets, bytes sent
# and received.
host_fdb_all() {
	build/flowdb -d "$fdb" --query host --host "$1" --limit 100000000 --format csv \
		--no-headers | tr -d '\r' | awk -F, '
		BEGIN { p["icmp"] = 1; p["tcp"] = 6; p["udp"] = 17; p["ipv6-icmp"] = 58 }
		{ print $1 "," ($2 in p ? p[$2] : $2) "," $3 "," $4 "," $5 "," $6 }' | sort
}
host_nf_all() {
	nfdump -R "$nf" -q -N -A srcip,dstip,proto -o 'fmt:%sa,%da,%pr,%fl,%pkt,%byt' "host $1" |
		tr -d ' ' | awk -F, -v h="$1" '
		NF == 6 {
			out = $1 == h
			k = (out ? $2 : $1) "," $3
			f[k] += $4; p[k] += $5
			if (out) s[k] += $6; else r[k] += $6
		}
		END { for (k in f) print k "," f[k] "," p[k] "," s[k] + 0 "," r[k] + 0 }' | sort
}
for h in "$busy" "$typical"; do
	if ! diff <(host_fdb_all "$h") <(host_nf_all "$h") > /dev/null; then
		echo "nfdump_query: flowdb and nfdump disagree on the conversations of $h" >&2
		exit 1
	fi
done

# The timeline: flowdb's hours against nfdump's -t runs, and the totals of
# nfdump's -g. The -t window is whole seconds at both ends, so a flow that
# starts exactly on an hour counts in both hours: say so rather than fail.
QUERY_START=$(build/flowdb -d "$fdb" --format csv --no-headers \
	-c "SELECT min(first_seen) / 3600000000 * 3600 FROM flows" | tr -d '\r')
fdb_hours=$(fdb_timeline | tr -d '\r' | tail -n +2 | cut -d, -f2-)
nf_hours=$(nf_timeline_t | cut -d, -f2-)
timeline_note="the same flows, packets and bytes in each of the ${#nf_files[@]} hours"
if [ "$fdb_hours" != "$nf_hours" ]; then
	on_hour=$(build/flowdb -d "$fdb" --format csv --no-headers -c "SELECT count(*) FROM flows
		WHERE first_seen % 3600000000 = 0 AND first_seen > $QUERY_START * 1000000" | tr -d '\r')
	timeline_note=$(paste -d, <(echo "$fdb_hours") <(echo "$nf_hours") | awk -F, -v k="$on_hour" '
		$1 != $4 { n++; d += $4 - $1 }
		END {
			printf "%d hours differ, by %+d flows in all", n, d
			if (d == k)
				printf ": the %d flows that start exactly on an hour, in two -t windows", k
			else
				printf " (%d flows start exactly on an hour)", k
		}')
fi
g_total=$(nf_timeline_g | awk -F, 'NR > 1 { f += $2 } END { print f }')

echo "flowdb $(build/flowdb --version | awk '{ print $2; exit }') over ${#nf_files[@]} hourly files" \
	"($(du -sh "$fdb" | cut -f1)) vs nfdump $(nfdump -V | sed 's/.*Version: //') over nfpcapd's" \
	"${#nf_files[@]} hourly files ($(du -sh "$nf" | cut -f1)) of the same capture:"
echo "$records flow records; median of $runs interleaved runs; wall seconds, then CPU seconds"
echo "(user + system, all threads); $(nproc) CPUs"
printf '%-44s %8s %8s %7s %10s %10s\n' query flowdb nfdump ratio "flowdb cpu" "nfdump cpu"
pair "top-talkers by bytes, top 20 (-s srcip)" fdb_top nf_top
pair "host $busy (busiest), top 50" fdb_host_busy nf_host_busy
pair "host $typical (200th), top 50" fdb_host_typical nf_host_typical
pair "timeline 1h (nfdump: 24 x -t over 2 files)" fdb_timeline nf_timeline_t
pair "timeline 1h (nfdump: -g, file summaries)" fdb_timeline nf_timeline_g
pair "timeline 5m (nfdump: none)" fdb_timeline_5m ""
echo "answers: top talkers equal (host, flows, packets, bytes, order); both hosts' conversations"
echo "equal (peer, protocol, flows, packets, bytes each way); timeline, flowdb vs nfdump -t:"
echo "$timeline_note; nfdump -g: $g_total flows, by export time per file."
