#!/usr/bin/env bash
# flowdb --report: the daily and the hourly report over 30 hourly files
# written by the collector's own store (flowgen) hold exactly what the
# reference computes from the ground truth, in json, csv, text and html
# (report_ref.py); without --since the window is the last 24 hours or hour;
# bad arguments get one line and exit 1. Needs neither root nor a namespace.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"

flowdb=$top/build/flowdb
work_dir
data=$WORK/data
hour=3600000000
now_s=$(date +%s)
# The files reach from 26 hours ago to 4 hours ahead, so that both the
# fixed windows and the ones ending now hold traffic.
start=$(((now_s / 3600 - 26) * 3600))
"$top/build/tests/flowgen" -q --dir "$data" --files 30 --seed 5 --start "$start" \
	--truth-flows "$WORK/flows.csv" --truth-events "$WORK/events.csv" \
	--truth-stats "$WORK/stats.csv"

check() {
	python3 "$top/tests/integration/report_ref.py" --flowdb "$flowdb" --dir "$data" \
		--flows "$WORK/flows.csv" --events "$WORK/events.csv" --stats "$WORK/stats.csv" \
		--kind "$1" --since "$2" --until "$3"
}
# Windows that start off the hour and off the second.
since=$((start * 1000000 + 2 * hour + 1023000007))
check daily "$since" $((since + 24 * hour)) || fail "the daily report differs (see above)"
since=$((start * 1000000 + 20 * hour + 427000001))
check hourly "$since" $((since + hour)) || fail "the hourly report differs (see above)"

# Without --since and --until: the last 24 hours, or hour, ending now.
for kind in daily:86400 hourly:3600; do
	"$flowdb" -d "$data" --report "${kind%:*}" -f json -o "$WORK/report.json"
	python3 - "$WORK/report.json" "${kind#*:}" "$now_s" <<'PY' || fail "the ${kind%:*} report's default window is wrong"
import json, sys
r = json.load(open(sys.argv[1]))
span, now = int(sys.argv[2]) * 10**6, int(sys.argv[3]) * 10**6
ok = r["until"] - r["since"] == span and 0 <= r["until"] - now < 120 * 10**6
ok = ok and r["sections"]["summary"][0]["flows"] > 0 and r["files"] >= 1
sys.exit(0 if ok else f"window {r['since']}..{r['until']}, now {now}, files {r['files']}")
PY
done

expect() {
	local want=$1 out
	shift
	if out=$("$flowdb" -d "$data" "$@" 2>&1); then
		fail "flowdb $* succeeded; expected: $want"
	fi
	[ "$out" = "$want" ] || fail "flowdb $*: got \"$out\", expected \"$want\""
}
expect 'flowdb: bad --report "weekly": use daily or hourly' --report weekly
expect 'flowdb: bad --format "table" for a report: use text, csv, json or html' \
	--report daily --format table
expect 'flowdb: use one of --query, --command and --report' --report daily -q top-talkers
expect 'flowdb: bad time for --since: "yesterday": expected a duration back from now (2h), an ISO 8601 time, @seconds or all' \
	--report daily --since yesterday
expect 'Error: the report'"'"'s window ends before it starts' --report hourly --since 1h --until 2h
expect 'flowdb: cannot write "/nonexistent/r.html": No such file or directory' \
	--report daily -f html -o /nonexistent/r.html
echo "PASS: daily and hourly reports equal the reference in json, csv, text and html"
