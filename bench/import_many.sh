#!/usr/bin/env bash
# A case directory of many small captures: flowdb-collector --read DIR (the
# programs loaded once, the captures merged by time) against one process
# per capture, as a loop over the files would run it, in the same run.
# Both must write the same packets. Usage: sudo bench/import_many.sh
# [FILES] [PACKETS_PER_FILE]; defaults 500 and 2000. The captures are cut
# from one generated capture once, into build/bench-data/.
set -euo pipefail
cd "$(dirname "$0")/.."

files=${1:-500}
per=${2:-2000}
die() {
	echo "import_many: $*" >&2
	exit 1
}
if [ "$(id -u)" != 0 ]; then
	echo "import_many: needs root (flowdb-collector --read loads BPF); skipped" >&2
	exit 77
fi
for f in build/flowdb-collector build/tests/pcapgen; do
	[ -x "$f" ] || { echo "import_many: $f is missing (run make all); skipped" >&2; exit 77; }
done
case_dir=build/bench-data/many-$files-$per
if [ ! -d "$case_dir" ]; then
	echo "generating $case_dir: $files captures of $per packets (once)"
	mkdir -p build/bench-data
	build/tests/pcapgen --pcap "$case_dir.pcap" --truth "$case_dir.csv" \
		--packets $((files * per)) --flows $((files * per / 20)) --seed 17 --gap-us 1000 >/dev/null
	python3 tests/lib/capsplit.py chunks "$case_dir.pcap" "$files" "$case_dir.tmp"
	rm -f "$case_dir.pcap"
	mv "$case_dir.tmp" "$case_dir"
fi
# Evaluates the arithmetic on standard input, decimals included (bc is not
# always installed).
calc() {
	python3 -c 'import sys; print(eval(sys.stdin.read()))'
}
scratch=$(mktemp -d /tmp/import_many.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM
mapfile -t captures < <(find "$case_dir" -name '*.pcap' | sort)
[ "${#captures[@]}" = "$files" ] || die "$case_dir holds ${#captures[@]} captures, expected $files"
cat "${captures[@]}" >/dev/null

packets_in() {
	local db sum=0 n
	for db in $(find "$1" -name '*.db'); do
		n=$(sqlite3 "file:$db?mode=ro" "SELECT coalesce(sum(packets), 0) FROM flows")
		sum=$((sum + n))
	done
	echo "$sum"
}

start=$(date +%s.%N)
build/flowdb-collector --read "$case_dir" -d "$scratch/one" 2>"$scratch/one.log" ||
	die "--read $case_dir: $(tail -1 "$scratch/one.log")"
one=$(echo "$(date +%s.%N) - $start" | calc)

mkdir -p "$scratch/each"
start=$(date +%s.%N)
for i in "${!captures[@]}"; do
	build/flowdb-collector --read "${captures[$i]}" -d "$scratch/each/$i" 2>"$scratch/each.log" ||
		die "--read ${captures[$i]}: $(tail -1 "$scratch/each.log")"
done
each=$(echo "$(date +%s.%N) - $start" | calc)

want=$((files * per))
got_one=$(packets_in "$scratch/one")
got_each=$(packets_in "$scratch/each")
[ "$got_one" = "$want" ] && [ "$got_each" = "$want" ] ||
	die "packets written: $got_one in one run, $got_each one per file, expected $want"
printf '%-40s %9s %12s\n' "$files captures of $per packets" "wall" "packets/s"
printf '%-40s %8.2fs %12.0f\n' "flowdb-collector --read DIR" "$one" "$(echo "$want / $one" | calc)"
printf '%-40s %8.2fs %12.0f\n' "one flowdb-collector --read per file" "$each" "$(echo "$want / $each" | calc)"
printf 'import_many: one run takes %.3f of the time of one process per file\n' \
	"$(echo "$one / $each" | calc)"
