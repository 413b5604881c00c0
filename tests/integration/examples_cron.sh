#!/usr/bin/env bash
# examples/cron: flowdb-report over 60 hourly files written by the
# collector's own store (flowgen, ending this hour) writes yesterday's
# report (local time, in a zone whose date is not UTC's) as one self-contained
# HTML page, prints the text report whose window is that day and whose top
# talker is the host the ground truth says sent the most bytes in it,
# keeps only FLOWDB_REPORT_KEEP pages, and fails loudly, leaving nothing
# half-written, on a bad data directory, report directory, setting or
# flowdb. The crontab line parses and names the script where the README
# installs it, as the user the systemd unit runs the collector as. Needs
# neither root nor a namespace.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"

script=$top/examples/cron/flowdb-report
crontab=$top/examples/cron/crontab
command -v python3 >/dev/null || skip "needs python3"
[ -x "$top/build/flowdb" ] && [ -x "$top/build/tests/flowgen" ] ||
	fail "build/flowdb or build/tests/flowgen is missing: run make all"
"$top/build/flowdb" --help | grep -q -- '--report' || fail "build/flowdb has no --report"
[ -x "$script" ] || fail "$script is not executable"
work_dir

# A zone where the date is not UTC's now (UTC-11 before 10:00 UTC, UTC+14
# after), when the system has it: yesterday there is not UTC's yesterday.
export TZ=UTC
zone=Pacific/Kiritimati
[ "$(date -u +%H)" -lt 10 ] && zone=Pacific/Pago_Pago
[ -e "/usr/share/zoneinfo/$zone" ] && TZ=$zone
[ "$(date +%F)" != "$(date -u +%F)" ] || echo "the local date is UTC's: day boundaries are less tested"

# 60 hours of flows up to the end of this hour: yesterday is all in them.
now=$(date +%s)
start=$(((now / 3600 - 59) * 3600))
data=$WORK/data
"$top/build/tests/flowgen" -q --dir "$data" --files 60 --seed 31 --start "$start" \
	--truth-flows "$WORK/flows.csv"

# Yesterday, its window and its top talker, from the ground truth.
read -r day want_window want_top < <(python3 - "$WORK/flows.csv" <<'EOF'
import csv, datetime, sys, zoneinfo, os
tz = zoneinfo.ZoneInfo(os.environ["TZ"])
today = datetime.datetime.now(tz).date()
day = today - datetime.timedelta(days=1)
since = int(datetime.datetime.combine(day, datetime.time(), tz).timestamp()) * 10**6
until = int(datetime.datetime.combine(today, datetime.time(), tz).timestamp()) * 10**6 - 1
sent = {}
with open(sys.argv[1], newline="") as f:
    for r in csv.DictReader(f):
        if int(r["last_seen"]) >= since and int(r["first_seen"]) <= until:
            sent[r["src_addr"]] = sent.get(r["src_addr"], 0) + int(r["bytes"])
top = min(sent.items(), key=lambda kv: (-kv[1], kv[0]))[0]
fmt = lambda us: datetime.datetime.fromtimestamp(us // 10**6, datetime.timezone.utc) \
    .strftime("%Y-%m-%dT%H:%M:%SZ")
print(day.isoformat(), f"{fmt(since)}_to_{fmt(until)}", top)
EOF
)
want_window=${want_window//_/ }

reports=$WORK/reports
mkdir -p "$reports"
# Older pages, beyond what is kept, and files that are not pages.
for ago in 3 4 5 6 7; do
	old=$(date -d "$day 12:00 $ago days ago" +%F)
	echo "<!DOCTYPE html><p>old</p>" >"$reports/flowdb-$old.html"
done
touch "$reports/notes.txt" "$reports/flowdb-latest.html"

# report ENV...: runs the script with these settings, output in out/err.
report() {
	local rc=0
	env FLOWDB="$top/build/flowdb" FLOWDB_DIR="$data" FLOWDB_REPORT_DIR="$reports" \
		FLOWDB_REPORT_KEEP=3 "$@" sh "$script" >"$WORK/out" 2>"$WORK/err" || rc=$?
	return $rc
}

report || fail "flowdb-report failed: $(cat "$WORK/err")"
[ ! -s "$WORK/err" ] || fail "flowdb-report wrote to stderr: $(cat "$WORK/err")"
page=$reports/flowdb-$day.html
[ -s "$page" ] || fail "no page $page; $(ls "$reports")"

# The page: one self-contained HTML file with an SVG chart.
[ "$(head -c 15 "$page")" = "<!DOCTYPE html>" ] || fail "$page does not start with <!DOCTYPE html>"
grep -q '<svg' "$page" || fail "$page has no <svg chart"
grep -q '</html>' "$page" || fail "$page does not end its <html>"
if grep -Eiq '(src|href)[[:space:]]*=[[:space:]]*["'"'"']?[[:space:]]*(https?:)?//' "$page"; then
	fail "$page refers to something outside it: $(grep -Eio '(src|href)=["'"'"']?[^"'"'"' >]*' "$page" | head -3)"
fi
grep -qF "$want_top" "$page" || fail "$page does not name the top talker $want_top"

# The mail: the text report of that day, its top talker first.
case $(sed -n 2p "$WORK/out") in
"$want_window, "*) ;;
*) fail "the text report's window is not $want_window: $(sed -n 2p "$WORK/out")" ;;
esac
got_top=$(awk '/^Top talkers/ { s = 1; next } s && /^-/ { d++; next } s && d == 2 { print $1; exit }' \
	"$WORK/out")
[ "$got_top" = "$want_top" ] ||
	fail "the text report's top talker is '$got_top', the ground truth says $want_top"
grep -qxF "HTML report: $page" "$WORK/out" || fail "the mail does not say where the page is"

# Retention: the 3 most recent pages, nothing else touched.
kept=$(cd "$reports" && ls)
want_kept=$(printf '%s\n' "flowdb-$(date -d "$day 12:00 4 days ago" +%F).html" \
	"flowdb-$(date -d "$day 12:00 3 days ago" +%F).html" "flowdb-$day.html" \
	flowdb-latest.html notes.txt | sort)
[ "$kept" = "$want_kept" ] || fail "after the run the report directory holds: $kept"

# A rerun of the same day replaces its page and keeps the same set.
report || fail "a second run failed: $(cat "$WORK/err")"
[ "$(cd "$reports" && ls)" = "$want_kept" ] || fail "a second run changed what is kept"

# expect_failure WHAT ENV...: the script exits non-zero with one line on
# stderr naming the problem (flowdb's own line may come before it), and
# leaves no half-written page.
expect_failure() {
	local what=$1 rc=0 last
	shift
	report "$@" || rc=$?
	[ "$rc" != 0 ] || fail "$what: exit 0"
	last=$(tail -n 1 "$WORK/err")
	case $last in
	flowdb-report:*) ;;
	*) fail "$what: no error line from flowdb-report: $(cat "$WORK/err")" ;;
	esac
	[ -z "$(find "$reports" -name '.*')" ] || fail "$what: left $(find "$reports" -name '.*')"
	echo "ok: $what: exit $rc, $last"
}
expect_failure "a missing FLOWDB_DIR" FLOWDB_DIR="$WORK/nowhere"
mkdir "$WORK/empty"
expect_failure "a FLOWDB_DIR without flow files" FLOWDB_DIR="$WORK/empty"
touch "$WORK/a-file"
expect_failure "an unusable FLOWDB_REPORT_DIR" FLOWDB_REPORT_DIR="$WORK/a-file/reports"
expect_failure "a bad FLOWDB_REPORT_KEEP" FLOWDB_REPORT_KEEP=none
expect_failure "a bad FLOWDB_REPORT_DAY" FLOWDB_REPORT_DAY=2026-02-30
expect_failure "no flowdb" FLOWDB="$WORK/no-flowdb"
expect_failure "a failing flowdb" FLOWDB=false
[ "$(cd "$reports" && ls)" = "$want_kept" ] || fail "a failed run changed the report directory"

# The crontab: one job, five time fields, a user and the installed script.
jobs=$(grep -Ev '^[[:space:]]*(#|$)|^[A-Za-z_][A-Za-z0-9_]*=' "$crontab")
[ "$(printf '%s\n' "$jobs" | wc -l)" = 1 ] || fail "the crontab does not hold exactly one job: $jobs"
read -r m h dom mon dow user cmd rest <<<"$jobs"
field='^(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?(,(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?)*$'
for f in "$m" "$h" "$dom" "$mon" "$dow"; do
	[[ $f =~ $field ]] || fail "the crontab's time field '$f' does not parse"
done
[ "$user" = flowdb ] || fail "the crontab runs the report as '$user', not flowdb"
unit_user=$(sed -n 's/^User=//p' "$top/examples/systemd/flowdb-collector.service")
[ "$user" = "$unit_user" ] || fail "the crontab's user $user is not the unit's User=$unit_user"
case $cmd in
/*/flowdb-report) ;;
*) fail "the crontab's command '$cmd' is not an absolute path to flowdb-report" ;;
esac
[ -z "$rest" ] || fail "the crontab's command has arguments the script does not take: $rest"
grep -q "install -m 0755 examples/cron/flowdb-report $cmd\$" "$top/examples/README.md" ||
	fail "examples/README.md does not install the script to $cmd"
grep -q "install -m 0755 examples/cron/flowdb-report $cmd\$" "$crontab" ||
	fail "the crontab's own comment does not install the script to $cmd"
if command -v shellcheck >/dev/null; then
	shellcheck -s sh "$script" || fail "shellcheck finds problems in $script"
fi
echo "PASS: flowdb-report wrote $day's page and mail (top talker $want_top, TZ $TZ), kept 3 pages, failed loudly on 7 bad set-ups; the crontab parses"
