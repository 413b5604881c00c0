#!/usr/bin/env python3
"""Hostile evidence against the shell: files built here, each case checked
for exactly what flowdb must do (its rows, its one warning or error line,
its exit status) and for the evidence directory left byte for byte as it
was (names and checksums), with nothing created beside the files.

Usage: shell_evidence.py --flowdb BIN --schema schema/flowdb.sql --work DIR"""
import argparse
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time

T0 = 1795352400000000  # 2026-11-22T00:00Z
HOUR = 3600000000
FLOW_COLS = ("first_seen, last_seen, ifname, direction, ip_version, proto, src_addr,"
             " dst_addr, src_port, dst_port, vlan, packets, bytes, tcp_flags, end_reason,"
             " app_proto, app_info, encrypted")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def new_file(path, schema, hour, rows=20, src="10.0.0.1", meta=True):
    """A flow file of the project's schema with rows flows in hour."""
    db = sqlite3.connect(path)
    db.executescript(schema)
    start = T0 + hour * HOUR
    if meta:
        db.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("schema_version", "2"), ("host", "h"), ("time_start_us", str(start)),
            ("time_end_us", str(start + HOUR - 1))])
    db.executemany(f"INSERT INTO flows ({FLOW_COLS}) VALUES"
                   " (?, ?, 'eth0', 'in', 4, 6, ?, '10.9.9.9', 40000, 443, 0, 1, ?, 2,"
                   " 'idle', NULL, NULL, NULL)",
                   [(start + i * 1000, start + i * 1000 + 5, src, 100 + i) for i in range(rows)])
    db.commit()
    return db


def snapshot(d):
    out = {}
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        if os.path.isfile(p) and not os.path.islink(p):
            out[name] = hashlib.sha256(open(p, "rb").read()).hexdigest()
        else:
            out[name] = "not a regular file"
    return out


def flowdb(args, a, timeout=60, env=None):
    start = time.monotonic()
    p = subprocess.run([args.flowdb] + a, capture_output=True, text=True, timeout=timeout,
                       env=env)
    return p.returncode, p.stdout, p.stderr, time.monotonic() - start


def case_dir(args, name):
    d = os.path.join(args.work, name)
    os.makedirs(d)
    return d


def run_case(args, name, build, a, expect):
    """Builds the case's directory, runs flowdb on it, checks expect(rc,
    out, err, seconds) and that the directory is as it was."""
    d = case_dir(args, name)
    build(d)
    before = snapshot(d)
    rc, out, err, secs = flowdb(args, [x.replace("DIR", d) for x in a])
    expect(rc, out, err.replace(d, "DIR"), secs)
    check(snapshot(d) == before, f"{name}: the evidence is as it was, nothing beside it")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flowdb", required=True)
    ap.add_argument("--schema", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    schema = open(args.schema).read()

    def good(d, hour=0, **kw):
        new_file(os.path.join(d, f"flows-{hour:02d}.db"), schema, hour, **kw).close()

    # --- Hangs ------------------------------------------------------------
    def endless_views(d):
        good(d)
        for i, (table, body) in enumerate([
                ("flows", "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)"
                          " SELECT * FROM r"),
                ("meta", "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)"
                         " SELECT 'schema_version', n FROM r"),
                ("flows", "SELECT * FROM t a, t b, t c, t d, t e, t f")]):
            db = sqlite3.connect(os.path.join(d, f"view-{i}.db"))
            db.executescript(schema)
            db.execute(f"DROP TABLE {table}")
            if table == "flows":
                db.execute("CREATE TABLE t(x)")
                db.executemany("INSERT INTO t VALUES (?)", [(j,) for j in range(100)])
            db.execute(f"CREATE VIEW {table} AS {body}")
            if table == "flows":
                db.execute("INSERT INTO meta VALUES ('schema_version', '2')")
            db.commit()
            db.close()

    def expect_views(rc, out, err, secs):
        check(rc == 0 and out.splitlines()[-1].split() == ["10.0.0.1", "20", "20", "2.1", "KiB"]
              if out else False, "views: top-talkers answers from the good file")
        check(secs < 30, f"views: answered in {secs:.1f} s")
        lines = err.splitlines()
        check(len(lines) == 3 and all(l.startswith("flowdb: warning: DIR/view-") and
                                      l.endswith("; skipped") for l in lines),
              "views: one warning per view file: " + " | ".join(lines))
        check("meta is a view, not a plain table" in err and
              "flows is a view, not a plain table" in err, "views: the warnings say why")
    run_case(args, "views", endless_views, ["-d", "DIR", "--query", "top-talkers",
                                            "--since", "all"], expect_views)

    def big_value(d):
        db = new_file(os.path.join(d, "flows-00.db"), schema, 0)
        db.execute("UPDATE flows SET app_info = zeroblob(20 << 20) WHERE rowid = 20")
        db.commit()
        db.close()

    def expect_big(rc, out, err, secs):
        check(rc == 1 and len(out.splitlines()) <= 2 and err.count("\n") == 1 and
              err.startswith("Error: DIR/flows-00.db: string or blob too big after 19 rows"),
              "a 20 MiB value: no answer, one error line naming the file: " + err.strip())
    run_case(args, "big-value", big_value, ["-d", "DIR", "-c",
                                            "SELECT max(length(app_info)) FROM flows"],
             expect_big)

    def fifo(d):
        good(d)
        os.mkfifo(os.path.join(d, "fifo.db"))

    def expect_fifo(rc, out, err, secs):
        check(rc == 0 and out.strip() == "20" and err == "" and secs < 30,
              "a FIFO named *.db in the directory is not opened")
    run_case(args, "fifo", fifo, ["-d", "DIR", "-c", ".headers off", "-c",
                                  "SELECT count(*) FROM flows"], expect_fifo)

    def expect_fifo_named(rc, out, err, secs):
        check(rc == 1 and err == 'flowdb: "DIR/fifo.db" is not a regular file\n',
              "a FIFO named on the command line: " + err.strip())
    run_case(args, "fifo-named", fifo, ["DIR/fifo.db", "-c", "SELECT 1"], expect_fifo_named)

    def many_rows(d):
        db = new_file(os.path.join(d, "flows-00.db"), schema, 0, rows=200000)
        db.close()

    def expect_time(rc, out, err, secs):
        check(rc == 1 and err.count("\n") == 1 and
              err.startswith("Error: over the time budget of 1.0s (--budget-time, .budget)")
              and secs < 20,
              f"time budget: stopped after {secs:.1f} s with one line: " + err.strip())
    run_case(args, "time-budget", many_rows,
             ["-d", "DIR", "--budget-time", "1s", "-c",
              "SELECT count(*) FROM flows a, flows b WHERE a.bytes + b.bytes = 7"], expect_time)

    tmp = os.path.join(args.work, "tmpdir")
    os.makedirs(tmp)

    def expect_memory(rc, out, err, secs):
        check(rc == 1 and err.count("\n") == 1 and
              err.startswith("Error: over the memory budget of 64.0 MiB (--budget-memory,"),
              "memory budget: one line: " + err.strip())
        check(os.listdir(tmp) == [], "memory budget: no temporary file in TMPDIR")
    d = case_dir(args, "memory-budget")
    many_rows(d)
    before = snapshot(d)
    rc, out, err, secs = flowdb(args, ["-d", d, "--budget-memory", "64M", "-c",
                                       "SELECT count(*) FROM (SELECT DISTINCT a.bytes, b.bytes,"
                                       " a.first_seen FROM flows a, flows b LIMIT 3000000)"],
                                env=dict(os.environ, TMPDIR=tmp))
    expect_memory(rc, out, err.replace(d, "DIR"), secs)
    check(snapshot(d) == before, "memory-budget: the evidence is as it was")

    # --- Evidence changed -------------------------------------------------
    def orphan_wal(d):
        p = os.path.join(d, "flows-00.db")
        db = new_file(p, schema, 0)
        db.close()
        db = sqlite3.connect(p)
        db.execute("PRAGMA journal_mode=wal")
        db.execute("PRAGMA wal_autocheckpoint=0")
        db.execute("INSERT INTO flows SELECT * FROM flows LIMIT 5")
        db.commit()
        # A collector killed now leaves its -wal (and -shm) behind.
        shutil.copy(p, p + ".keep")
        shutil.copy(p + "-wal", p + "-wal.keep")
        db.close()
        os.rename(p + ".keep", p)
        os.rename(p + "-wal.keep", p + "-wal")
        if os.path.exists(p + "-shm"):
            os.unlink(p + "-shm")

    def expect_wal(rc, out, err, secs):
        check(rc == 0 and out.strip() == "25", "an orphan -wal: its commits are read (25 rows)")
        check(err == "flowdb: warning: DIR/flows-00.db: a -wal no collector is writing (one "
              "killed, or planted); read from a private copy, the file and its -wal left as "
              "they are\n", "an orphan -wal: one warning: " + err.strip())
    run_case(args, "orphan-wal", orphan_wal, ["-d", "DIR", "-c", ".headers off", "-c",
                                              "SELECT count(*) FROM flows"], expect_wal)

    def hot_journal(d):
        p = os.path.join(d, "flows-00.db")
        new_file(p, schema, 0).close()
        db = sqlite3.connect(p, isolation_level=None)
        db.execute("PRAGMA cache_size=1")
        db.execute("BEGIN")
        db.execute("UPDATE flows SET src_addr = '203.0.113.66'")
        db.execute("INSERT INTO flows SELECT * FROM flows")
        shutil.copy(p, p + ".keep")
        shutil.copy(p + "-journal", p + "-journal.keep")
        db.execute("ROLLBACK")
        db.close()
        os.rename(p + ".keep", p)
        os.rename(p + "-journal.keep", p + "-journal")

    def expect_journal(rc, out, err, secs):
        check(rc == 0 and out.split() == ["20", "0"],
              "a hot -journal: the committed rows, not the half-written ones: " + out.strip())
        check(err.endswith("a -journal of a write that never finished; read from a private "
                           "copy, the file and its -journal left as they are\n"),
              "a hot -journal: one warning")
    run_case(args, "hot-journal", hot_journal,
             ["-d", "DIR", "-c", ".headers off", "-c",
              "SELECT count(*), sum(src_addr = '203.0.113.66') FROM flows"], expect_journal)

    def expect_attach(rc, out, err, secs):
        check(rc == 1 and err.count("\n") == 1 and "ATTACH is off" in err,
              "ATTACH of evidence is refused in one line: " + err.strip())
    run_case(args, "attach", good, ["-d", "DIR", "-c", "ATTACH 'DIR/flows-00.db' AS x"],
             expect_attach)

    # --- Silent wrong answers ---------------------------------------------
    def lying_meta(d):
        good(d, 0)
        db = new_file(os.path.join(d, "flows-05.db"), schema, 5, rows=120)
        # meta claims hour 5; the rows say hour 30.
        db.execute(f"UPDATE flows SET first_seen = first_seen + {25 * HOUR},"
                   f" last_seen = last_seen + {25 * HOUR}")
        db.commit()
        db.close()

    x = T0 + 29 * HOUR

    def expect_meta(rc, out, err, secs):
        check(rc == 0 and out.split() == ["120", "120"],
              "rows outside meta's range: first_seen >= X and first_seen + 0 >= X agree: "
              + out.strip())
    run_case(args, "lying-meta", lying_meta,
             ["-d", "DIR", "-c", ".headers off", "-c",
              f"SELECT (SELECT count(*) FROM flows WHERE first_seen >= {x}),"
              f" (SELECT count(*) FROM flows WHERE first_seen + 0 >= {x})"], expect_meta)

    def forged_rollups(d):
        for h in range(3):
            db = new_file(os.path.join(d, f"flows-{h:02d}.db"), schema, h, src=f"10.0.0.{h}")
            db.execute("INSERT INTO talkers SELECT src_addr, count(*), sum(packets), sum(bytes)"
                       " FROM flows GROUP BY 1")
            db.execute("INSERT INTO minutes SELECT first_seen / 60000000 * 60000000, count(*),"
                       " sum(packets), sum(bytes) FROM flows GROUP BY 1")
            if h == 1:
                db.execute("INSERT INTO talkers VALUES ('198.51.100.66', 1, 1, 1000000000000)")
            db.execute("INSERT INTO meta VALUES ('rollups', '1')")
            db.commit()
            db.close()

    def expect_rollups(rc, out, err, secs):
        check(rc == 0 and "198.51.100.66" not in out and out.count("10.0.0.") == 3,
              "forged rollups: the invented talker is not shown")
        check(err == "flowdb: warning: DIR/flows-01.db: its rollups disagree with its flows; "
              "read in full\n", "forged rollups: one warning: " + err.strip())
    run_case(args, "forged-rollups", forged_rollups,
             ["-d", "DIR", "--query", "top-talkers", "--since", "all", "--format", "csv"],
             expect_rollups)

    def consistent_forgery(d):
        # Bytes moved from one real talker to another, in talkers and
        # minutes alike: every cheap check passes.
        for h in range(2):
            db = new_file(os.path.join(d, f"flows-{h:02d}.db"), schema, h, src=f"10.0.0.{h}")
            db.execute("UPDATE flows SET src_addr = '10.0.9.9' WHERE rowid % 2 = 0")
            db.execute("INSERT INTO talkers SELECT src_addr, count(*), sum(packets), sum(bytes)"
                       " FROM flows GROUP BY 1")
            db.execute("INSERT INTO minutes SELECT first_seen / 60000000 * 60000000, count(*),"
                       " sum(packets), sum(bytes) FROM flows GROUP BY 1")
            db.execute("UPDATE talkers SET bytes = bytes + 7000000 WHERE src_addr = '10.0.9.9'")
            db.execute("UPDATE talkers SET bytes = bytes - 7000000 WHERE src_addr <> '10.0.9.9'")
            db.execute("INSERT INTO meta VALUES ('rollups', '1')")
            db.commit()
            db.close()

    def truth(d):
        db = sqlite3.connect(os.path.join(d, "flows-00.db"))
        db.execute(f"ATTACH '{os.path.join(d, 'flows-01.db')}' AS b")
        rows = db.execute("SELECT src_addr, sum(bytes) FROM (SELECT * FROM main.flows UNION ALL"
                          " SELECT * FROM b.flows) GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
        db.close()
        return rows

    def expect_no_rollups(rc, out, err, secs):
        got = [(r.split(",")[0], int(r.split(",")[3]))
               for r in out.strip().splitlines()[1:]]
        check(rc == 0 and err == "" and got == expect_no_rollups.want,
              f"--no-rollups: the flows' own totals, not the forged rollups: {got}"
              f" against {expect_no_rollups.want}")

    def consistent_forgery_truth(d):
        consistent_forgery(d)
        expect_no_rollups.want = truth(d)
    run_case(args, "consistent-forgery", consistent_forgery_truth,
             ["-d", "DIR", "--query", "top-talkers", "--since", "all", "--format", "csv",
              "--exact", "--no-rollups"], expect_no_rollups)

    def other_affinity(d):
        good(d, 0)
        db = sqlite3.connect(os.path.join(d, "flows-01.db"))
        db.executescript(schema.replace("src_port   INTEGER NOT NULL",
                                        "src_port   TEXT    NOT NULL"))
        db.execute("INSERT INTO meta VALUES ('schema_version', '2')")
        db.commit()
        db.close()

    def expect_affinity(rc, out, err, secs):
        check(rc == 0 and out.strip() == "20" and
              err == "flowdb: warning: DIR/flows-01.db: not a flowdb file (flows.src_port is not "
              "the schema's column); skipped\n",
              "a column of another affinity: the file skipped in one line: " + err.strip())
    run_case(args, "affinity", other_affinity, ["-d", "DIR", "-c", ".headers off", "-c",
                                                "SELECT count(*) FROM flows WHERE src_port = 40000"],
             expect_affinity)

    def schema_1_claim(d):
        db = new_file(os.path.join(d, "flows-00.db"), schema, 0)
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        db.execute("UPDATE flows SET app_proto = 'tls', app_info = 'example.test'")
        db.commit()
        db.close()

    def expect_schema_1(rc, out, err, secs):
        check(rc == 0 and out.strip() == "20", "meta says schema 1: its inspection columns "
              "are still read: " + out.strip())
    run_case(args, "schema-1-claim", schema_1_claim,
             ["-d", "DIR", "-c", ".headers off", "-c",
              "SELECT count(*) FROM flows WHERE app_info = 'example.test'"], expect_schema_1)

    def corrupt_mid_scan(d):
        good(d, 0)
        p = os.path.join(d, "flows-01.db")
        new_file(p, schema, 1, rows=5000).close()
        db = sqlite3.connect(p)
        pages = [r[0] for r in db.execute("SELECT pageno FROM dbstat WHERE name = 'flows' AND"
                                          " pagetype = 'leaf' ORDER BY pageno")]
        size = db.execute("PRAGMA page_size").fetchone()[0]
        db.close()
        victim = pages[len(pages) * 2 // 3]
        with open(p, "r+b") as f:
            f.seek((victim - 1) * size)
            f.write(b"\xa5" * size)

    def expect_corrupt(rc, out, err, secs):
        lines = err.splitlines()
        check(rc == 1 and out == "" and len(lines) == 1 and
              lines[0].startswith("Error: DIR/flows-01.db: database disk image is malformed "
                                  "after ") and lines[0].endswith("the file is skipped from now "
                                                                  "on"),
              "corruption mid-scan: no partial answer, one line: " + err.strip())
    run_case(args, "corrupt", corrupt_mid_scan, ["-d", "DIR", "-c", ".headers off", "-c",
                                                 "SELECT count(*), sum(bytes) FROM flows"],
             expect_corrupt)

    print(f"shell_evidence: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
