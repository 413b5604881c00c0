#!/usr/bin/env python3
"""SQL shapes that scan the union table again and again, or lean on an
index, through flowdb over many files next to SQLite over the same rows in
one file (ANALYZEd), in one run: each answer is checked equal first, then
both times are printed with their ratio (the medians of RUNS runs).

Usage: sql_shapes.py --flowdb BIN --dir DATA --merged FILE [--runs N]"""
import argparse
import os
import sqlite3
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
import sql_diff  # noqa: E402

# What flowdb copies at most for an inner loop (COPY_ROWS_MAX, union.c).
COPY_ROWS_MAX = 250000

# (what it is, SQL[, most flows]): the hour 00 bound keeps SQLite's own correlated plans,
# which read a source's every flow per outer row, to seconds.
SHAPES = [
    ("count, one scan", "SELECT count(*), sum(bytes) FROM flows"),
    ("OR of two address lookups",
     "SELECT count(*), sum(bytes) FROM flows WHERE src_addr = '10.20.0.33'"
     " OR dst_addr = '10.20.0.33'"),
    ("latest ten (ORDER BY ... LIMIT)",
     "SELECT first_seen, src_addr, bytes FROM flows ORDER BY first_seen DESC, 2, 3 LIMIT 10"),
    ("largest ten (ORDER BY, no index)",
     "SELECT src_addr, bytes FROM flows ORDER BY bytes DESC, 1 LIMIT 10"),
    ("IN (subquery) on an address",
     "SELECT count(*) FROM flows WHERE dst_addr IN (SELECT src_addr FROM flows"
     " WHERE dst_port = 22)"),
    ("rowid IN (subquery)",
     "SELECT count(*) FROM flows WHERE rowid IN (SELECT rowid FROM flows"
     " WHERE src_addr = '10.20.0.33')"),
    ("correlated subquery, per row",
     "SELECT count(*) FROM flows a WHERE a.dst_port = 22 AND a.first_seen < 1795309200000000"
     " AND a.bytes > (SELECT avg(bytes) * 2 FROM flows b WHERE b.src_addr = a.src_addr"
     " AND b.dst_port = 22)"),
    ("self-join: each flow with its reply",
     "SELECT count(*), sum(a.bytes) FROM flows a JOIN flows b ON a.src_addr = b.dst_addr"
     " AND a.dst_addr = b.src_addr AND a.src_port = b.dst_port AND a.dst_port = b.src_port"
     " WHERE a.dst_port = 443"),
    ("EXISTS: events with their flow",
     "SELECT count(*) FROM events e WHERE e.time < 1795309200000000 AND EXISTS"
     " (SELECT 1 FROM flows f WHERE"
     " f.src_addr = e.src_addr AND f.dst_addr = e.dst_addr AND f.src_port = e.src_port)"),
    ("NOT EXISTS: sources never a destination",
     "SELECT a.src_addr, count(*) FROM flows a WHERE NOT EXISTS (SELECT 1 FROM flows b"
     " WHERE b.dst_addr = a.src_addr) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5"),
    ("NOT EXISTS, a term on the inner row only",
     "SELECT count(*) FROM flows a WHERE NOT EXISTS (SELECT 1 FROM flows b"
     " WHERE b.dst_addr = a.src_addr AND b.packets * 1000 < b.bytes)"),
    # Over more rows than flowdb copies, every row's subquery runs (SQLite
    # reads its index in order and stops at the LIMIT): minutes.
    ("correlated subquery, ORDER BY ... LIMIT",
     "SELECT src_addr, bytes, (SELECT count(*) FROM flows b WHERE b.src_addr = a.dst_addr)"
     " FROM flows a ORDER BY 1, 2, 3 LIMIT 10", COPY_ROWS_MAX),
    ("GROUP BY with count(DISTINCT)",
     "SELECT src_addr, count(DISTINCT dst_port) FROM flows GROUP BY 1 ORDER BY 2 DESC, 1"
     " LIMIT 5"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flowdb", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--merged", required=True)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    ref = sqlite3.connect(args.merged)
    fdb = sql_diff.Flowdb(args.flowdb, args.dir)
    worst = 0
    print(f"{'shape':42} {'flowdb':>10} {'sqlite3':>10} {'ratio':>7}")
    flows = ref.execute("SELECT count(*) FROM flows").fetchone()[0]
    for name, sql, *most in SHAPES:
        if most and flows > most[0]:
            print(f"{name:42} skipped: over {most[0]:,} flows")
            continue
        ft, rt = [], []
        for _ in range(args.runs):
            want, werr, t = sql_diff.reference(ref, sql)
            rt.append(t)
            got, gerr, t = fdb.run(sql, 3600)
            ft.append(t)
            if werr or gerr or not sql_diff.same_rows(got, want, sql_diff.ordered_result(sql)):
                print(f"sql_shapes: {name}: flowdb and sqlite3 disagree: {gerr or werr}")
                return 1
        f, r = statistics.median(ft), statistics.median(rt)
        ratio = f / max(r, sql_diff.RATIO_FLOOR)
        worst = max(worst, ratio)
        print(f"{name:42} {f * 1000:8.1f}ms {r * 1000:8.1f}ms {ratio:6.1f}x", flush=True)
    fdb.close()
    print(f"sql_shapes: the slowest shape takes {worst:.1f}x SQLite's time on one file"
          f" (target: 10x; times under {sql_diff.RATIO_FLOOR * 1000:.0f} ms count as that)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
