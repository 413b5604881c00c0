#!/usr/bin/env bash
# Robustness over a corpus of real captures: every file under DIR imported
# on its own with flowdb-collector --read, under a time limit of 5 s plus
# 2 s per MB. Each one must import (exit 0) or be refused with exactly one
# line (exit 1): a crash, a hang, a refusal of several lines or no line
# fails the run. Prints the outcomes, the refusals grouped by reason, and
# the packets per second over the imported ones. Then imports the whole
# corpus in one run (--read DIR), which must write as many packets as the
# imports one by one did.
# Usage: sudo bench/import_corpus.sh DIR   (e.g. the pcaps of nDPI's tests)
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${1:?usage: import_corpus.sh DIR}
die() {
	echo "import_corpus: $*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || { echo "import_corpus: needs root; skipped" >&2; exit 77; }
[ -x build/flowdb-collector ] || { echo "import_corpus: run make all first; skipped" >&2; exit 77; }
# Evaluates the arithmetic on standard input, decimals included (bc is not
# always installed).
calc() {
	python3 -c 'import sys; print(eval(sys.stdin.read()))'
}
scratch=$(mktemp -d /tmp/import_corpus.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM

packets_in() {
	local db sum=0 n
	for db in $(find "$1" -name '*.db' 2>/dev/null); do
		n=$(sqlite3 "file:$db?mode=ro" "SELECT coalesce(sum(packets), 0) FROM flows")
		sum=$((sum + n))
	done
	echo "$sum"
}

imported=0 refused=0 bad=0 packets=0 seconds=0
: >"$scratch/reasons"
while IFS= read -r -d '' f; do
	mb=$(( $(stat -c %s "$f") / 1000000 ))
	limit=$((5 + 2 * mb))
	out=$scratch/one
	rm -rf "$out"
	rc=0
	start=$(date +%s.%N)
	timeout -s KILL "$limit" build/flowdb-collector --read "$f" -d "$out" 2>"$scratch/err" || rc=$?
	took=$(echo "$(date +%s.%N) - $start" | calc)
	# Warnings (time going backwards) are not refusals.
	lines=$(grep -vc ': warning: ' "$scratch/err" || true)
	case $rc in
	0)
		imported=$((imported + 1))
		n=$(packets_in "$out")
		packets=$((packets + n))
		seconds=$(echo "$seconds + $took" | calc)
		;;
	1)
		if [ "$lines" = 1 ]; then
			refused=$((refused + 1))
			sed -E 's/^flowdb-collector: [^:]*: //; s/ at byte [0-9]+.*//; s/[0-9]+/N/g' \
				"$scratch/err" | grep -v ': warning: ' >>"$scratch/reasons"
		else
			bad=$((bad + 1))
			echo "BAD (exit 1, $lines lines): $f: $(head -3 "$scratch/err")"
		fi
		;;
	*)
		bad=$((bad + 1))
		echo "BAD (exit $rc$([ "$rc" = 137 ] && echo ", over ${limit} s")): $f: $(tail -1 "$scratch/err")"
		;;
	esac
done < <(find "$dir" -type f -print0 | sort -z)

total=$((imported + refused + bad))
echo "import_corpus: $total files: $imported imported, $refused refused with one line, $bad bad"
if [ -s "$scratch/reasons" ]; then
	echo "refusals:"
	sort "$scratch/reasons" | uniq -c | sort -rn | sed 's/^/  /'
fi
if [ "$imported" -gt 0 ]; then
	printf 'import_corpus: %d packets imported one file at a time in %.1f s (%.0f packets/s, start-up included)\n' \
		"$packets" "$seconds" "$(echo "$packets / $seconds" | calc)"
fi

# The whole corpus in one run: the same packets, the start-up paid once.
rc=0
start=$(date +%s.%N)
build/flowdb-collector --read "$dir" -d "$scratch/all" 2>"$scratch/all.err" || rc=$?
took=$(echo "$(date +%s.%N) - $start" | calc)
[ "$rc" -le 1 ] || die "--read $dir: exit $rc: $(tail -1 "$scratch/all.err")"
all=$(packets_in "$scratch/all")
printf 'import_corpus: the whole corpus in one run: %d packets in %.1f s (%.0f packets/s)\n' \
	"$all" "$took" "$(echo "$all / $took" | calc)"
[ "$all" = "$packets" ] || die "one run wrote $all packets, one file at a time $packets"
[ "$bad" = 0 ] || die "$bad files crashed, hung or failed without one line"
