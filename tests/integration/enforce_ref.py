#!/usr/bin/env python3
"""Enforcement's audit in flow files, against sqlite3 over the same rows.

  enforce_ref.py make DIR SEED       turns flowgen's files in DIR into files
                                     with enforcement data, the first two into
                                     files from before it (schema 2)
  enforce_ref.py check FLOWDB DIR QUERIES_DIR
                                     runs the canned queries blocked and
                                     actions through flowdb and through
                                     sqlite3 (each file alone, and every file's
                                     rows in one file) and compares them

make gives each schema 3 file actions rows (a load, adds with and without
an end and a reason, deletes, expiries, a reload refused), rule_counters rows
per flush for blocks, limits and an allow, in enforce or monitor mode, and
dropped_packets/dropped_bytes on a random share of its flows (NULL on the
others, as without a policy). Texts hold a quote, a comma, an escape
sequence and a non-ASCII letter. Times are unique, so that "the latest
first" has one order. A file of schema 2 lacks the tables actions and
rule_counters and the two flows columns, as an older collector wrote it.
Exit 0 when everything matches; otherwise the differences on stderr, 1.
"""
import csv
import io
import os
import random
import sqlite3
import subprocess
import sys

USEC = 1000000
RULES = [("block src 203.0.113.0/24 reason \"ssh, brute\"", "block", "ctl", None),
         ("block dst 198.51.100.7 proto tcp port 25", "block", "file", 3),
         ("limit src/32 1000pps burst 2000", "limit", "file", 4),
         ("limit src/24/48 20Mbps burst 2500000 proto udp port 53", "limit", "file", 5),
         ("allow 10.0.0.0/8", "allow", "file", 1),
         ("block src 192.0.2.66 reason \"\x1b[31mred caf\u00e9\"", "block", "alert", None)]
OLD_FILES = 2


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

    def unique_time(lo, hi):
        while True:
            t = rnd.randint(lo, hi)
            if t not in used:
                used.add(t)
                return t

    for n, path in enumerate(files(d)):
        db = sqlite3.connect(path)
        if n < OLD_FILES:
            drop_columns(db, "flows", ("dropped_packets", "dropped_bytes"))
            db.executescript("DROP TABLE actions; DROP TABLE rule_counters;"
                             " UPDATE meta SET value = 2 WHERE key = 'schema_version';")
            db.commit()
            db.close()
            continue
        lo, hi = db.execute("SELECT min(time), max(time) FROM collector_stats").fetchone()
        mode = "monitor" if n % 3 == 0 else "enforce"
        db.execute("INSERT INTO actions VALUES (?, 'load', '/etc/flowdb/policy', NULL, NULL,"
                   " NULL, 'file', NULL, '6 rules')", (unique_time(lo, hi),))
        for _ in range(rnd.randint(3, 12)):
            rule = rnd.choice([r[0] for r in RULES if r[1] == "block"])
            action = rnd.choice(("add", "delete", "expire", "reload"))
            t = unique_time(lo, hi)
            if action == "reload":
                db.execute("INSERT INTO actions VALUES (?, 'reload', '/etc/flowdb/policy', NULL,"
                           " NULL, NULL, 'file', ?, ?)",
                           (t, rnd.choice((0, 1000)),
                            rnd.choice(("6 rules", "refused: line 7: unknown word 'drop'"))))
                continue
            net = rule.split()[2]
            db.execute("INSERT INTO actions VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                       (t, action, net, rule, rnd.choice((None, "scan", "caf\u00e9, \"x\"")),
                        t + 3600 * USEC if action == "add" and rnd.random() < 0.5 else None,
                        "expiry" if action == "expire" else rnd.choice(("ctl", "alert")),
                        1000 if action != "expire" and rnd.random() < 0.5 else None))
        for (t,) in db.execute("SELECT time FROM collector_stats").fetchall():
            for rule, kind, origin, line in RULES:
                if rnd.random() < 0.6:
                    p = rnd.randint(1, 5000)
                    db.execute("INSERT INTO rule_counters VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                               (t, rule, kind, p, p * rnd.randint(40, 1500), mode, origin, line))
        for (rowid, packets, b) in db.execute("SELECT rowid, packets, bytes FROM flows").fetchall():
            r = rnd.random()
            if r < 0.15:
                dp = rnd.randint(1, packets)
                db.execute("UPDATE flows SET dropped_packets = ?, dropped_bytes = ? WHERE rowid = ?",
                           (dp, b * dp // packets, rowid))
            elif r < 0.6:
                db.execute("UPDATE flows SET dropped_packets = 0, dropped_bytes = 0 WHERE rowid = ?",
                           (rowid,))
        db.commit()
        db.close()


def merged(d, out, schema):
    """Every file's flows, actions and rule_counters in one file out."""
    db = sqlite3.connect(out)
    db.executescript(schema)
    cols = [r[1] for r in db.execute("PRAGMA table_info(flows)")]
    for path in files(d):
        db.execute("ATTACH ? AS f", (path,))
        have = {r[1] for r in db.execute("PRAGMA f.table_info(flows)")}
        db.execute(f"INSERT INTO flows SELECT {', '.join(c if c in have else 'NULL' for c in cols)}"
                   " FROM f.flows")
        for t in ("actions", "rule_counters"):
            if db.execute("SELECT 1 FROM f.sqlite_schema WHERE name = ?", (t,)).fetchone():
                db.execute(f"INSERT INTO {t} SELECT * FROM f.{t}")
        db.commit()
        db.execute("DETACH f")
    db.commit()
    db.close()


def rows_of(text):
    return list(csv.reader(io.StringIO(text)))


def run(cmd, stdin=None):
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"FAIL {' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def check(flowdb, d, queries):
    schema = open(os.path.join(os.path.dirname(queries), "..", "schema", "flowdb.sql")).read()
    all_path = os.path.join(os.path.dirname(d.rstrip("/")), "merged.db")
    merged(d, all_path, schema)
    paths = files(d)
    lo, hi = sqlite3.connect(all_path).execute(
        "SELECT min(first_seen), max(last_seen) FROM flows").fetchone()
    mid = lo + (hi - lo) // 3
    windows = [(None, None, 20), (None, None, 1000), (mid // USEC * USEC, hi // USEC * USEC, 5)]
    failed = checked = 0
    header = {}
    for name in ("blocked", "actions"):
        sql = open(os.path.join(queries, name + ".sql")).read()
        # An old file alone has no such table for sqlite3: flowdb's answer
        # there is no rows, under the same header.
        targets = [(d, all_path)] + [(p, p if n >= OLD_FILES else None)
                                     for n, p in enumerate(paths)]
        for since, until, limit in windows:
            for mine, ref in targets:
                cmd = [flowdb, "-f", "csv", "--exact", "--query", name,
                       "--since", f"@{since // USEC}" if since is not None else "all",
                       "--limit", str(limit)]
                if until is not None:
                    cmd += ["--until", f"@{until // USEC}"]
                cmd.append(mine)
                got = rows_of(run(cmd))
                if mine == d:
                    header[name] = got[0]
                ref_cmd = ["sqlite3", "-readonly", "-csv", "-header",
                           "-cmd", f".param set :since {since if since is not None else -2**62}",
                           "-cmd", f".param set :until {until if until is not None else 2**62}",
                           "-cmd", f".param set :limit {limit}", ref]
                want = rows_of(run(ref_cmd, sql)) if ref else [header[name]]
                checked += 1
                if got != want:
                    failed += 1
                    print(f"FAIL {name} over {mine} since {since} until {until} limit {limit}:"
                          f"\n  flowdb  {got[:6]}\n  sqlite3 {want[:6]}", file=sys.stderr)
                elif mine == d and since is None and limit == 1000 and len(got) < 3:
                    failed += 1
                    print(f"FAIL {name}: the generated data gives {len(got) - 1} rows",
                          file=sys.stderr)
    print(f"enforce_ref: {checked - failed} of {checked} comparisons equal")
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
