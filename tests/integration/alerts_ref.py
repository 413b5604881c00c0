#!/usr/bin/env python3
"""Alerts in flow files, against sqlite3 and a Python reference.

  alerts_ref.py make DIR SEED      gives flowgen's files in DIR alerts rows
                                   and collector_stats alert counts, the
                                   first two turned into files from before
                                   alerts (schema 3)
  alerts_ref.py check FLOWDB DIR QUERIES_DIR
                                   compares flowdb with sqlite3 and with
                                   this script's own computation

make writes, per schema 4 file, alerts rows at unique times within the
file's span: rules, severities, keys (IPv4 and IPv6) and sides drawn at
random, values and thresholds with fractions, NULL evidence times and
examples on some, texts with a quote, a comma, an escape sequence, a
newline and a non-ASCII letter; and collector_stats.alerts,
alerts_suppressed and sink_failures on each flush. A schema 3 file lacks
the alerts table and those three columns, as an older collector wrote it.

check compares:
  - the union table: every alerts row (SELECT * ... ORDER BY time) and a few
    aggregates, filters and a join with collector_stats, flowdb over DIR
    against sqlite3 over every file's rows merged into one file;
  - the old files: they open without a warning, their alerts read empty and
    the new collector_stats columns NULL;
  - the canned queries alerts and alert-counts, with default and other
    parameters (a window, a rule pattern, a least severity, a limit),
    against sqlite3 running the same SQL file (over the merged file and
    over each file alone) and against the reference computed here in
    Python from the rows, without SQL;
  - the daily report over a window: its alert-counts and alerts sections
    (json) equal the reference; csv, text and html carry them; a window
    without alerts has neither section.
Exit 0 when everything matches; otherwise the differences on stderr, 1.
"""
import csv
import io
import json
import os
import random
import sqlite3
import subprocess
import sys

USEC = 1000000
OLD_FILES = 2
RULES = ["scan", "syn-flood", "exfil", "caf\u00e9 \"rule\", x"]
SEVERITY = {"low": 1, "medium": 2, "high": 3, "critical": 4}
KEYS = ["192.0.2.7", "192.0.2.8", "2001:db8::66", "10.9.8.7", "198.51.100.1"]
TEXTS = [None, "tcp 192.0.2.7:4000 -> 10.0.0.1:22", "\x1b[31mred\x1b[0m, \"q\"", "two\nlines"]
ALERT_COLS = ("time rule severity key side metric value threshold window first_seen last_seen "
              "example action suppressed line").split()


def files(d):
    return sorted(os.path.join(d, n) for n in os.listdir(d) if n.endswith(".db"))


def drop_columns(db, table, gone):
    """Rewrites table without the columns in gone, as an older schema had it."""
    cols = [r for r in db.execute(f"PRAGMA table_info({table})") if r[1] not in gone]
    decl = ", ".join(f"{r[1]} {r[2]}{' NOT NULL' if r[3] else ''}" for r in cols)
    names = ", ".join(r[1] for r in cols)
    db.executescript(f"CREATE TABLE old ({decl}); INSERT INTO old SELECT {names} FROM {table};"
                     f" DROP TABLE {table}; ALTER TABLE old RENAME TO {table};")


def make(d, seed):
    rnd = random.Random(seed)
    used = set()
    for n, path in enumerate(files(d)):
        db = sqlite3.connect(path)
        if n < OLD_FILES:
            drop_columns(db, "collector_stats", ("alerts", "alerts_suppressed", "sink_failures"))
            db.executescript("DROP TABLE alerts;"
                             " UPDATE meta SET value = 3 WHERE key = 'schema_version';")
            db.commit()
            db.close()
            continue
        stats = [r[0] for r in db.execute("SELECT time FROM collector_stats ORDER BY time")]
        for t in stats:
            k = rnd.randint(0, 25)
            for _ in range(k):
                at = t
                while at in used:
                    at += 1
                used.add(at)
                window = rnd.choice([10, 60, 300]) * USEC
                first = rnd.choice([None, at - rnd.randint(0, window)])
                db.execute(f"INSERT INTO alerts VALUES ({', '.join('?' * 15)})", (
                    at, rnd.choice(RULES), rnd.choice(list(SEVERITY)), rnd.choice(KEYS),
                    rnd.choice(["src", "dst"]), rnd.choice(["distinct dst_port", "syn", "bytes"]),
                    rnd.randint(0, 10**7) / 4, rnd.randint(1, 10**5) / 8, window, first,
                    None if first is None else at, rnd.choice(TEXTS),
                    rnd.choice(["none", "block 10m", "allowed: allow 10.0.0.0/8"]),
                    rnd.randint(0, 30), rnd.choice([None, rnd.randint(1, 40)])))
            db.execute("UPDATE collector_stats SET alerts = ?, alerts_suppressed = ?,"
                       " sink_failures = ? WHERE time = ?",
                       (k, rnd.randint(0, 9), rnd.randint(0, 2), t))
        db.commit()
        db.close()


def merged(d, out, schema):
    """Every file's alerts and collector_stats in one file out."""
    db = sqlite3.connect(out)
    db.executescript(schema)
    for path in files(d):
        db.execute("ATTACH ? AS f", (path,))
        for t in ("collector_stats", "alerts"):
            if not db.execute("SELECT 1 FROM f.sqlite_schema WHERE name = ?", (t,)).fetchone():
                continue
            cols = [r[1] for r in db.execute(f"PRAGMA table_info({t})")]
            have = {r[1] for r in db.execute(f"PRAGMA f.table_info({t})")}
            db.execute(f"INSERT INTO {t} SELECT "
                       f"{', '.join(c if c in have else 'NULL' for c in cols)} FROM f.{t}")
        db.commit()
        db.execute("DETACH f")
    db.close()


def rows_of(text):
    return list(csv.reader(io.StringIO(text)))


def run(cmd, stdin=None):
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if p.returncode or p.stderr:
        sys.exit(f"FAIL {' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def glob_match(pattern, s):
    """GLOB as SQLite means it, for the patterns used here: * and ?."""
    if not pattern:
        return not s
    if pattern[0] == "*":
        return any(glob_match(pattern[1:], s[i:]) for i in range(len(s) + 1))
    return bool(s) and pattern[0] in ("?", s[0]) and glob_match(pattern[1:], s[1:])


def ref_alerts(rows, since, until, rule, severity, limit):
    """The canned query alerts, computed from the rows (file order as read)."""
    keep = [r for r in rows if since <= r["time"] <= until and glob_match(rule, r["rule"])
            and SEVERITY[r["severity"]] >= SEVERITY[severity]]
    keep.sort(key=lambda r: -r["time"])  # times are unique
    out = []
    for r in keep[:limit]:
        out.append({**{c: r[c] for c in ALERT_COLS if c not in ("window", "line")},
                    "window_duration": r["window"]})
    order = ["time", "rule", "severity", "key", "side", "metric", "value", "threshold",
             "window_duration", "first_seen", "last_seen", "example", "action", "suppressed"]
    return [{c: o[c] for c in order} for o in out]


def ref_counts(rows, since, until, limit):
    """The canned query alert-counts, computed from the rows."""
    keep = [r for r in rows if since <= r["time"] <= until]
    by_rule, by_key = {}, {}
    for r in keep:
        by_rule.setdefault((r["rule"], r["severity"]), []).append(r)
        by_key.setdefault(r["key"], []).append(r)
    rules = []
    for (rule, sev), rs in by_rule.items():
        rules.append({"per": "rule", "what": rule, "severity": sev, "alerts": len(rs),
                      "suppressed": sum(r["suppressed"] for r in rs),
                      "keys": len({r["key"] for r in rs}), "rules": None,
                      "first_time": min(r["time"] for r in rs),
                      "last_time": max(r["time"] for r in rs)})
    rules.sort(key=lambda o: (-SEVERITY[o["severity"]], -o["alerts"], o["what"]))
    keys = []
    for key, rs in by_key.items():
        top = max(SEVERITY[r["severity"]] for r in rs)
        keys.append({"per": "key", "what": key,
                     "severity": [s for s, v in SEVERITY.items() if v == top][0],
                     "alerts": len(rs), "suppressed": sum(r["suppressed"] for r in rs),
                     "keys": None, "rules": len({r["rule"] for r in rs}),
                     "first_time": min(r["time"] for r in rs),
                     "last_time": max(r["time"] for r in rs)})
    keys.sort(key=lambda o: (-o["alerts"], -SEVERITY[o["severity"]], o["what"]))
    return rules[:limit] + keys[:limit]


def utf8_sort_key(s):
    return s.encode()


def check(flowdb, d, queries):
    schema = open(os.path.join(os.path.dirname(queries), "..", "schema", "flowdb.sql")).read()
    all_path = os.path.join(os.path.dirname(d.rstrip("/")), "merged.db")
    merged(d, all_path, schema)
    paths = files(d)
    ref_db = sqlite3.connect(all_path)
    ref_db.row_factory = sqlite3.Row
    rows = [dict(r) for r in ref_db.execute("SELECT * FROM alerts")]
    failed = checked = 0

    def compare(what, got, want):
        nonlocal failed, checked
        checked += 1
        if got != want:
            failed += 1
            if isinstance(got, list) and isinstance(want, list):
                got, want = got[:4], want[:4]
            print(f"FAIL {what}:\n  flowdb    {got}\n  reference {want}",
                  file=sys.stderr)

    if len(rows) < 50 or len({r["rule"] for r in rows}) < len(RULES):
        print(f"FAIL the generated data has only {len(rows)} alerts", file=sys.stderr)
        return 1

    # The union table against sqlite3 over the merged rows.
    for sql in ("SELECT * FROM alerts ORDER BY time",
                "SELECT rule, severity, count(*), sum(suppressed), min(value), max(threshold),"
                " count(first_seen), count(DISTINCT side) FROM alerts"
                " GROUP BY rule, severity ORDER BY rule, severity",
                "SELECT key, count(*) FROM alerts WHERE severity IN ('high', 'critical')"
                " AND value > threshold GROUP BY key ORDER BY key",
                "SELECT time, example FROM alerts WHERE example LIKE '%red%' OR line IS NULL"
                " ORDER BY time DESC LIMIT 40",
                "SELECT s.time, s.alerts, count(a.time), s.alerts_suppressed, s.sink_failures"
                " FROM collector_stats s LEFT JOIN alerts a ON a.time BETWEEN s.time - 3"
                " AND s.time + 3 GROUP BY s.time ORDER BY s.time",
                "SELECT count(*), typeof(min(alerts)) FROM collector_stats WHERE alerts IS NULL"):
        got = rows_of(run([flowdb, "-f", "csv", "--exact", "-c", sql, d]))
        want = rows_of(run(["sqlite3", "-readonly", "-csv", "-header", all_path], sql))
        compare(f"union: {sql}", got, want)

    # The old files open quietly: no alerts, NULL counts.
    for p in paths[:OLD_FILES]:
        got = run([flowdb, "-f", "csv", "--no-headers", "-c",
                   "SELECT (SELECT count(*) FROM alerts), (SELECT count(*) FROM collector_stats"
                   " WHERE alerts IS NULL AND alerts_suppressed IS NULL AND sink_failures IS NULL)"
                   ", (SELECT count(*) FROM collector_stats)", p]).split()
        n = got[0].split(",") if got else []
        compare(f"old file {p}", [n[0], n[1] == n[2]], ["0", True])

    lo = min(r["time"] for r in rows)
    hi = max(r["time"] for r in rows)
    mid = lo + (hi - lo) // 3
    cases = [("alerts", {}), ("alerts", {"limit": 1000}),
             ("alerts", {"since": mid, "until": hi - (hi - lo) // 5, "limit": 7}),
             ("alerts", {"rule": "s*", "severity": "high", "limit": 1000}),
             ("alerts", {"rule": "caf?*", "severity": "medium", "limit": 1000}),
             ("alerts", {"rule": "nothing", "limit": 5}),
             ("alert-counts", {}), ("alert-counts", {"limit": 2}),
             ("alert-counts", {"since": mid, "until": hi, "limit": 1000})]
    defaults = {"alerts": {"rule": "*", "severity": "low", "limit": 100},
                "alert-counts": {"limit": 10}}
    for name, params in cases:
        sql = open(os.path.join(queries, name + ".sql")).read()
        p = {**defaults[name], **params}
        since, until = p.pop("since", None), p.pop("until", None)
        cmd = [flowdb, "-f", "json", "--query", name,
               "--since", f"@{since / USEC:.6f}" if since is not None else "all"]
        if until is not None:
            cmd += ["--until", f"@{until / USEC:.6f}"]
        for k, v in p.items():
            cmd += ["--limit", str(v)] if k == "limit" else ["--param", f"{k}={v}"]
        got = json.loads(run(cmd + [d]))
        s, u = since if since is not None else -2**62, until if until is not None else 2**62
        if name == "alerts":
            want = ref_alerts(rows, s, u, p["rule"], p["severity"], p["limit"])
        else:
            want = ref_counts(rows, s, u, p["limit"])
        compare(f"{name} {params} against the reference", got, want)
        if name == "alerts" and not params and len(got) != 100:
            compare(f"{name}: the default limit", len(got), 100)
        # sqlite3 running the same file, over the merged rows and each file.
        ref_cmd = ["sqlite3", "-readonly", "-csv", "-header",
                   "-cmd", f".param set :since {s}", "-cmd", f".param set :until {u}"]
        for k, v in p.items():
            ref_cmd += ["-cmd", f".param set :{k} '{v}'" if k != "limit" else
                        f".param set :limit {v}"]
        for mine, ref in [(d, all_path)] + [(x, x) for x in paths[OLD_FILES:OLD_FILES + 2]]:
            csv_cmd = [c if c != "json" else "csv" for c in cmd] + ["--exact", mine]
            got_csv = rows_of(run(csv_cmd))
            want_csv = rows_of(run(ref_cmd + [ref], sql))
            # sqlite3 writes no header over no rows.
            if not want_csv:
                got_csv = got_csv[1:]
            compare(f"{name} {params} over {os.path.basename(mine)} against sqlite3", got_csv,
                    want_csv)

    # The report: the alerts sections over a window equal the reference.
    since, until = mid, mid + 24 * 3600 * USEC
    report = json.loads(run([flowdb, "--report", "daily", "-f", "json", "--since",
                             f"@{since / USEC:.6f}", "--until", f"@{until / USEC:.6f}", d]))
    sections = list(report["sections"])
    compare("report sections", sections[sections.index("resets") + 1:][:2],
            ["alert-counts", "alerts"])
    compare("report alert-counts", report["sections"].get("alert-counts"),
            ref_counts(rows, since, until, 10))
    compare("report alerts", report["sections"].get("alerts"),
            ref_alerts(rows, since, until, "*", "low", 20))
    for fmt, mark in (("csv", "\nalert-counts\nper,what,severity,alerts,"),
                      ("text", "\nAlerts by rule and severity, and the keys alerted most\n"),
                      ("html", "<section><h2>Alerts: the latest</h2>")):
        out = run([flowdb, "--report", "daily", "-f", fmt, "--since", f"@{since / USEC:.6f}",
                   "--until", f"@{until / USEC:.6f}", d])
        compare(f"report {fmt} has the alerts sections", mark in out, True)
        compare(f"report {fmt} escapes the alerts' texts", "\x1b" in out, False)
    quiet = json.loads(run([flowdb, "--report", "hourly", "-f", "json", "--since",
                            f"@{(lo - 7200 * USEC) / USEC:.6f}", "--until",
                            f"@{(lo - 1) / USEC:.6f}", d]))
    compare("a report without alerts has no alerts sections",
            [s for s in quiet["sections"] if s.startswith("alert")], [])
    print(f"alerts_ref: {checked - failed} of {checked} comparisons equal")
    return 1 if failed else 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]))
        return 0
    if len(sys.argv) == 5 and sys.argv[1] == "check":
        return check(*sys.argv[2:])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
