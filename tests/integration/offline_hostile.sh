#!/usr/bin/env bash
# flowdb-collector --read over hostile captures, generated here with what
# must come of each (tests/lib/hostilecap.py, from the documented rules):
#  - packets all stamped 0, and a last packet stamped 0: every packet
#    written (the final flush once depended on the last packet's time);
#  - time running backwards (out of order, 30 days back, 28 hours back):
#    each packet counts at the latest time before it, every flow's
#    first_seen <= last_seen, no file named before the capture began, one
#    warning line counting them;
#  - a cut classic pcap and a pcapng with a bad block: exactly one error
#    line naming the byte offset (after the warning, if time went back),
#    exit 1, every packet before it written;
#  - a FIFO: refused at once with one line, nothing created, never waited on;
# and each capture is left as it was. Rows, file names, standard error and
# exit status are compared exactly.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/collector.sh"

[ "$(id -u)" = 0 ] || skip "needs root (BPF)"
command -v python3 >/dev/null || skip "needs python3"
command -v sqlite3 >/dev/null || skip "needs sqlite3"
work_dir
caps=$WORK/caps
mkdir "$caps"
python3 "$top/tests/lib/hostilecap.py" "$caps"
(cd "$caps" && sha256sum -- *.pcap *.pcapng) >"$WORK/caps.sha256"

# The records of every flow file in DIR, as hostilecap.py writes them.
rows() {
	local f
	for f in "$1"/flows-*.db; do
		sql "$f" "SELECT proto, src_addr, src_port, dst_addr, dst_port, packets, bytes,
			first_seen, last_seen FROM flows" | tr '|' ','
	done | LC_ALL=C sort
}

for capture in "$caps"/*.pcap "$caps"/*.pcapng; do
	name=${capture%.*}
	out=$WORK/out-$(basename "$name")
	rc=0
	timeout 60 "$COLLECTOR" --read "$capture" -d "$out" 2>"$out.err" || rc=$?
	[ "$rc" = "$(cat "$name.rc")" ] ||
		fail "$capture: exit $rc, expected $(cat "$name.rc"): $(cat "$out.err")"
	sed -E 's/ in [0-9]+\.[0-9]{2} s$/ in T s/' "$out.err" >"$out.err.t"
	diff -u "$name.stderr" "$out.err.t" >&2 || fail "$capture: standard error differs"
	(cd "$out" && ls -- flows-*.db) >"$out.files"
	diff -u "$name.files" "$out.files" >&2 || fail "$capture: flow files differ"
	diff -u <(LC_ALL=C sort "$name.rows") <(rows "$out") >&2 ||
		fail "$capture: flow records differ"
done

# A FIFO with no writer: one line at once, no data directory.
mkfifo "$WORK/fifo.pcap"
rc=0
timeout 10 "$COLLECTOR" --read "$WORK/fifo.pcap" -d "$WORK/fifo" 2>"$WORK/fifo.err" || rc=$?
[ "$rc" = 1 ] && [ "$(cat "$WORK/fifo.err")" = "flowdb-collector: $WORK/fifo.pcap: not a regular file" ] ||
	fail "a FIFO: exit $rc (124: it waited), $(cat "$WORK/fifo.err")"
[ ! -e "$WORK/fifo" ] || fail "a FIFO still created the data directory"

(cd "$caps" && sha256sum --quiet -c "$WORK/caps.sha256") || fail "an import changed its capture"
echo "PASS: hostile captures: times 0 and backwards, cut and malformed, a FIFO; nothing lost, one line each"
