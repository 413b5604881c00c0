#!/usr/bin/env bash
# flowdb --clickhouse against flowdb over the same rows in files: three
# hosts' files written by the collector's own store (flowgen) plus acting
# rows (fleet_acting.py), shipped by flowdb-ship into a private
# clickhouse-server (one shard); then every canned query, value for value,
# per host (--host) and for all hosts (fleet_queries.py), a report, a
# .chart, ad-hoc SQL, the dot-commands that do not apply, and bad input:
# one line each and a non-zero exit.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"
. "$top/tests/lib/clickhouse.sh"

ch_require
flowdb=$top/build/flowdb
ship=$top/build/flowdb-ship
flowgen=$top/build/tests/flowgen
[ -x "$flowdb" ] && [ -x "$ship" ] && [ -x "$flowgen" ] || fail "build first: make"
work_dir
ch_traps
ch_cluster 1
ch_start 1
url=${CH_URL[1]}

for h in alpha:1 beta:2 gamma:3; do
	"$flowgen" --dir "$WORK/${h%%:*}" --files 3 --rows 800 --seed "${h##*:}" --host "${h%%:*}" -q
	python3 "$top/tests/integration/fleet_acting.py" "${h##*:}" "$WORK/${h%%:*}"/flows-*.db
done
"$ship" --clickhouse "$url" --create >/dev/null
for h in alpha beta gamma; do
	"$ship" --clickhouse "$url" -d "$WORK/$h" || fail "shipping $h failed"
done

# Every canned query, each host and all.
python3 "$top/tests/integration/fleet_queries.py" "$flowdb" "$url" \
	alpha="$WORK/alpha" beta="$WORK/beta" gamma="$WORK/gamma" || fail "canned queries differ"

# The report of one host: the files' report with a host column in each
# section's table (csv: the section's name, then its table).
win=(--since 2026-11-22T00:00Z --until 2026-11-22T03:00Z)
"$flowdb" --clickhouse "$url" --host beta -r daily -f csv "${win[@]}" >"$WORK/report.ch" ||
	fail "the fleet's report failed"
"$flowdb" -d "$WORK/beta" -r daily -f csv "${win[@]}" >"$WORK/report.files" ||
	fail "the files' report failed"
python3 - "$WORK/report.ch" "$WORK/report.files" beta <<'PY' || fail "the reports differ"
import csv, sys
def sections(path):
    out, name = {}, "head"
    for row in csv.reader(open(path, newline="")):
        if not row:
            name = None
        elif name is None:
            name = row[0]
            out[name] = []
        else:
            out.setdefault(name, []).append(row)
    return out
ch, files = sections(sys.argv[1]), sections(sys.argv[2])
assert list(ch) == list(files), (list(ch), list(files))
for name in files:
    want = files[name] if name == "head" else \
        [["host"] + files[name][0]] + [[sys.argv[3]] + r for r in files[name][1:]]
    if name == "top-talkers":
        want[0][1] = "src_addr"
    assert ch[name] == want, (name, ch[name][:3], want[:3])
    assert name == "head" or len(want) > 1 or name in ("new-peers",), name
print("ok: report: %d sections" % len(files))
PY

# .chart of the whole fleet: the traffic of every host's files added up.
"$flowdb" --clickhouse "$url" "${win[@]}" -c ".chart bytes 15m" >"$WORK/chart.ch" ||
	fail ".chart over the fleet failed"
"$flowdb" -d "$WORK/alpha" -d "$WORK/beta" -d "$WORK/gamma" "${win[@]}" -c ".chart bytes 15m" \
	>"$WORK/chart.files" || fail ".chart over the files failed"
cmp -s "$WORK/chart.ch" "$WORK/chart.files" || fail ".chart differs: $(diff "$WORK/chart.ch" "$WORK/chart.files" | head -5)"
[ "$(wc -l <"$WORK/chart.ch")" -ge 12 ] || fail ".chart drew $(wc -l <"$WORK/chart.ch") lines"
echo "ok: .chart: $(wc -l <"$WORK/chart.ch") lines equal"

# Ad-hoc SQL goes to ClickHouse as typed: its functions, the fleet's columns.
out=$("$flowdb" --clickhouse "$url" -f csv -c \
	"SELECT host, uniqExact(file) AS files, toTypeName(count()) AS t FROM flows GROUP BY host ORDER BY host;")
want=$(printf 'host,files,t\r\nalpha,3,UInt64\r\nbeta,3,UInt64\r\ngamma,3,UInt64\r')
[ "$out" = "$want" ] || fail "ad-hoc SQL answered: $out"
out=$("$flowdb" --clickhouse "$url" -f json -c "SELECT 1 AS a, 2.5 AS b, NULL AS c, 'x\ty' AS d")
[ "$out" = $'[\n{"a":1,"b":2.5,"c":null,"d":"x\\ty"}\n]' ] || fail "ad-hoc SQL's values: $out"
echo "ok: ad-hoc SQL"

# expect_error WANT CMD...: CMD fails with exactly one line on stderr, WANT.
expect_error() {
	local want=$1 out rc=0
	shift
	out=$("$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" != 0 ] || fail "$* succeeded"
	[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "$*: more than one line: $out"
	[ "$out" = "$want" ] || fail "$*: said \"$out\", not \"$want\""
}
expect_error "Error: .files reads the flow files; over ClickHouse (--clickhouse) it does not apply" \
	"$flowdb" --clickhouse "$url" -c .files
expect_error "Error: .follow reads the flow files; over ClickHouse (--clickhouse) it does not apply" \
	"$flowdb" --clickhouse "$url" -c ".follow alerts"
out=$("$flowdb" --clickhouse "$url" -c "SELEC 1" 2>&1 >/dev/null) && fail "bad SQL succeeded"
case $out in "Error: ClickHouse at $url: "*Syntax*) ;; *) fail "bad SQL said: $out" ;; esac

# Bad input: a server down, a URL that is none, credentials refused, no
# fleet tables, another schema version, files and a fleet at once.
read -r port <<<"$(ch_free_ports 1)"
out=$("$flowdb" --clickhouse "http://127.0.0.1:$port/" -q summary 2>&1) && fail "a dead server answered"
case $out in "flowdb: ClickHouse at http://127.0.0.1:$port/: no answer: "*) ;;
*) fail "a dead server: $out" ;; esac
expect_error "flowdb: use either --clickhouse or flow files (-d DIR, FILE), not both" \
	"$flowdb" --clickhouse "$url" -d "$WORK/alpha" -q summary
out=$("$flowdb" --clickhouse "ftp://127.0.0.1/" -q summary 2>&1) && fail "an ftp URL worked"
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && case $out in flowdb:*) ;; *) false ;; esac ||
	fail "an ftp URL: $out"
out=$("$flowdb" --clickhouse "http://ship:Zq9bad@127.0.0.1:${CH_HTTP[1]}/" -q summary 2>&1) &&
	fail "a wrong password worked"
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && case $out in *Zq9bad*) false ;; flowdb:*password*) ;; *) false ;; esac ||
	fail "a wrong password: $out"
ch_query 1 "CREATE DATABASE empty"
expect_error "flowdb: ClickHouse at ${url}?database=empty holds no fleet tables (no flowdb_schema): create them with flowdb-ship --clickhouse URL --create" \
	"$flowdb" --clickhouse "${url}?database=empty" -q summary
ch_query 1 "CREATE DATABASE newer"
ch_query 1 "CREATE TABLE newer.flowdb_schema (version UInt32) ENGINE = TinyLog"
ch_query 1 "INSERT INTO newer.flowdb_schema VALUES (2)"
expect_error "flowdb: ClickHouse at ${url}?database=newer holds fleet schema version 2; this flowdb reads version 1" \
	"$flowdb" --clickhouse "${url}?database=newer" -q summary
expect_error "flowdb: bad --host \",\": name a host" "$flowdb" --clickhouse "$url" --host , -q summary
# A host no row names: no rows, exit 0.
out=$("$flowdb" --clickhouse "$url" --host nosuch -q summary -f csv)
[ "$out" = $'host,flows,packets,bytes,sources,destinations,lost_packets,event_drops\r' ] ||
	fail "an unknown host's summary: $out"
expect_error "Error: unknown query \"nope\"; .queries lists them" \
	"$flowdb" --clickhouse "$url" -q nope
echo "PASS: every canned query, a report, a chart and ad-hoc SQL equal over ClickHouse and the files; bad input one line each"
