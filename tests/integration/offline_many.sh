#!/usr/bin/env bash
# flowdb-collector --read over many captures at once: files, directories,
# quoted glob patterns and a shell's expansion, merged in capture-time
# order, give row for row what the one capture they were cut from gives,
# and the generator's ground truth:
#  - three captures over the same two hours (packets dealt in turn);
#  - fifty consecutive pieces in a nested case directory that also holds
#    notes, hashes and hidden files;
#  - a file named twice is read once;
#  - a named file that is no capture, a pattern that matches nothing and a
#    directory without captures are refused with one line before anything
#    is written; a piece cut mid-record loses only what follows the cut,
#    says so in one line and makes the exit status 1, and so does a
#    capture of a link type without IP found in the directory;
#  - on a terminal, one progress line counts the files.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/collector.sh"

[ "$(id -u)" = 0 ] || skip "needs root (BPF)"
work_dir
split="python3 $top/tests/lib/capsplit.py"

# import NAME ARGS...: reads ARGS into $WORK/NAME; its stderr in NAME.log.
import() {
	local name=$1
	shift
	"$COLLECTOR" -d "$WORK/$name" "$@" 2>"$WORK/$name.log" ||
		fail "--read into $name: $(cat "$WORK/$name.log")"
}

# same NAME: NAME's rows are the whole capture's, row for row.
same() {
	$split rows "$WORK/$1" >"$WORK/$1.rows"
	cmp -s "$WORK/whole.rows" "$WORK/$1.rows" ||
		fail "$1 differs from the whole capture: $(diff "$WORK/whole.rows" "$WORK/$1.rows" | head -5)"
}

# refused NAME MESSAGE ARGS...: exit 1, MESSAGE on stderr, no data directory.
refused() {
	local name=$1 msg=$2 rc=0
	shift 2
	"$COLLECTOR" -d "$WORK/$name" "$@" 2>"$WORK/$name.log" || rc=$?
	[ "$rc" = 1 ] || fail "$name: exit $rc, expected 1: $(cat "$WORK/$name.log")"
	grep -qF -- "$msg" "$WORK/$name.log" || fail "$name: no '$msg' in: $(cat "$WORK/$name.log")"
	[ ! -e "$WORK/$name" ] || fail "$name: a refused import made its data directory"
}

# 30,000 packets 0.24 s apart: two hours, two hourly files.
"$top/build/tests/pcapgen" --flows 3000 --packets 30000 --seed 11 --gap-us 240000 \
	--pcap "$WORK/whole.pcap" --truth "$WORK/whole.csv" >/dev/null
import whole --read "$WORK/whole.pcap"
python3 "$top/tests/lib/flowcmp.py" db "$WORK/whole" "$WORK/whole.csv" pcap 2 ||
	fail "the whole capture differs from its ground truth"
$split rows "$WORK/whole" >"$WORK/whole.rows"
[ "$(wc -l <"$WORK/whole.rows")" -gt 3000 ] || fail "too few rows to compare"

# Three captures over the same span, named one by one.
$split interleave "$WORK/whole.pcap" 3 "$WORK/dealt"
import dealt --read "$WORK/dealt0.pcap" --read "$WORK/dealt2.pcap" --read "$WORK/dealt1.pcap"
same dealt
grep -q "read 30000 packets from 3 captures" "$WORK/dealt.log" || fail "dealt: $(cat "$WORK/dealt.log")"
# The same, as a shell expands --read dealt*.pcap.
import expanded --read "$WORK"/dealt*.pcap
same expanded
# Named twice: read once.
import twice --read "$WORK/whole.pcap" "$WORK/whole.pcap"
same twice

# Fifty pieces in a case directory, with what else such a directory holds.
$split chunks "$WORK/whole.pcap" 50 "$WORK/case"
echo "case 4711: taken from the span port" >"$WORK/case/README.txt"
sha256sum "$WORK"/case/*/*/*.pcap >"$WORK/case/d0/SHA256SUMS"
cp "$WORK/case/d0/h0/part0000.pcap" "$WORK/case/d0/h0/.part0000.pcap.swp"
import case --read "$WORK/case"
same case
grep -q "README.txt: not a capture, skipped" "$WORK/case.log" || fail "case: $(cat "$WORK/case.log")"
grep -q "read 30000 packets from 50 captures" "$WORK/case.log" || fail "case: $(cat "$WORK/case.log")"
# A quoted pattern, expanded by the collector.
import pattern --read "$WORK/case/d*/h*/part*.pcap"
same pattern

# Refused before anything is written.
refused notcap "README.txt: not a pcap or pcapng file" --read "$WORK/case/README.txt" \
	--read "$WORK/dealt0.pcap"
refused nomatch "no file matches" --read "$WORK/case/*/*.pcapng"
refused missing "nothere.pcap: No such file or directory" --read "$WORK/nothere.pcap"
mkdir -p "$WORK/nocaps/sub"
echo notes >"$WORK/nocaps/sub/notes.txt"
refused empty "no capture to read in" --read "$WORK/nocaps"

# A piece cut mid-record: the rest still counts, the cut says so.
cp -r "$WORK/case" "$WORK/cutcase"
cut=$WORK/cutcase/d0/h3/part0017.pcap
size=$(stat -c %s "$cut")
truncate -s $((size - 7)) "$cut"
rc=0
"$COLLECTOR" -d "$WORK/cut" --read "$WORK/cutcase" 2>"$WORK/cut.log" || rc=$?
[ "$rc" = 1 ] || fail "a cut piece: exit $rc, expected 1: $(cat "$WORK/cut.log")"
per=$(( (30000 + 49) / 50 ))
grep -q "part0017.pcap: .*; the $((per - 1)) packets before it are written" "$WORK/cut.log" ||
	fail "a cut piece: $(cat "$WORK/cut.log")"
got=$(for db in "$WORK"/cut/*.db; do sql "$db" "SELECT sum(packets) FROM flows"; done |
	awk '{ s += $1 } END { print s }')
[ "$got" = $((30000 - 1)) ] || fail "a cut piece: $got packets written, expected $((30000 - 1))"

# A capture of a link type that carries no IP, found in a directory: said
# and skipped, the others imported, exit status 1.
cp -r "$WORK/case" "$WORK/usercase"
python3 - "$WORK/usercase/d1/user0.pcap" <<'EOF'
import struct, sys
# LINKTYPE_USER0 (147): private to whoever wrote it.
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 147))
    f.write(struct.pack("<IIII", 1, 0, 20, 20) + bytes(20))
EOF
rc=0
"$COLLECTOR" -d "$WORK/user" --read "$WORK/usercase" 2>"$WORK/user.log" || rc=$?
[ "$rc" = 1 ] || fail "a USER0 capture in a directory: exit $rc, expected 1: $(cat "$WORK/user.log")"
grep -q "user0.pcap: .*147.*; skipped$" "$WORK/user.log" || fail "user0: $(cat "$WORK/user.log")"
same user

# On a terminal: one progress line for the whole set.
python3 - "$top" "$COLLECTOR" "$WORK" <<'EOF' || fail "no progress line for the set"
import sys
sys.path.insert(0, sys.argv[1] + "/tests/lib")
import ptyrun
p = ptyrun.start([sys.argv[2], "-d", sys.argv[3] + "/tty", "--read", sys.argv[3] + "/case"])
p.expect(r"50/50 files  100%  30000 packets")
assert p.wait() == 0
EOF
echo "PASS: offline_many"
