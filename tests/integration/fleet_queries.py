#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Every canned query on ClickHouse against the same query on the files.

fleet_queries.py FLOWDB URL HOST=DIR... runs each canned query (with the
arguments below) as `flowdb --clickhouse URL` and as `flowdb -d DIR` on
each host's files, in csv --exact, and checks value for value, row for
row, that the ClickHouse answer is the files' answers of the hosts in
order, each row led by its host: for all hosts, and for each host alone
(--host). Prints one line per query; exits 1 at the first difference.
"""
import csv
import io
import subprocess
import sys

# query -> argument lists, each run on both sides (since=all: the test's
# files lie in 2026, whatever the clock says).
CASES = {
    "actions": [[]],
    "alert-counts": [["limit=3"]],
    "alerts": [[], ["rule=scan*", "severity=high", "limit=2"]],
    "api-calls": [[], ["limit=3"], ["since=2026-11-22T01:00Z", "limit=5"]],
    "blocked": [["limit=3"]],
    "cleartext": [["limit=7"]],
    "dns-names": [[], ["limit=3"]],
    "host": [["host=@ADDR@"], ["host=@ADDR@", "limit=2"]],
    "http-hosts": [[]],
    "long-flows": [["min=1s"], ["min=10m", "limit=3"]],
    "loss": [["bucket=1h"], ["bucket=7m"]],
    "new-peers": [["since=2026-11-22T01:00Z"], ["since=2026-11-22T02:30Z", "limit=5"]],
    "protocols": [[]],
    "request-rate": [[], ["limit=4"]],
    "resets": [[]],
    "scans": [["min=2"], ["min=2", "limit=1"]],
    "summary": [[], ["since=2026-11-22T01:00Z", "until=2026-11-22T02:00Z"]],
    "tls-names": [[]],
    "top-ports": [[], ["by=packets", "limit=5"], ["by=flows"]],
    "top-talkers": [[], ["by=packets", "limit=5"], ["by=flows", "limit=3"]],
    "traffic": [[], ["bucket=7m", "since=2026-11-22T00:30Z"]],
}
# What the fleet's answers name otherwise: host is the machine there.
RENAMED = {"top-talkers": {"host": "src_addr"}, "api-calls": {"host": "http_host"}}


def run(cmd):
    p = subprocess.run(cmd, capture_output=True)
    if p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)}: exit {p.returncode}: {p.stderr.decode().strip()}")
    return list(csv.reader(io.StringIO(p.stdout.decode("utf-8", "surrogateescape"),
                                       newline="")))


def args_of(args, addr):
    out = []
    for a in args:
        out += ["-p", a.replace("@ADDR@", addr)]
    if not any(a.startswith("since=") for a in args):
        out += ["-p", "since=all"]
    return out


def main():
    flowdb, url = sys.argv[1], sys.argv[2]
    hosts = dict(a.split("=", 1) for a in sys.argv[3:])
    names = sorted(hosts)
    # The host query's address: a sender every host's files hold.
    addr = run([flowdb, "-d", hosts[names[0]], "-f", "csv", "--no-headers", "-c",
                "SELECT src_addr FROM flows GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"])[0][0]
    rows_seen = 0
    for query, cases in sorted(CASES.items()):
        for args in cases:
            argv = args_of(args, addr)
            files = {}
            for h in names:
                rows = run([flowdb, "-d", hosts[h], "-q", query, "-f", "csv", "--exact"] + argv)
                header = [RENAMED.get(query, {}).get(c, c) for c in rows[0]]
                files[h] = (["host"] + header, [[h] + r for r in rows[1:]])
            for subset in [names] + [[h] for h in names]:
                sel = []
                for h in subset:
                    sel += ["--host", h]
                got = run([flowdb, "--clickhouse", url, "-q", query, "-f", "csv", "--exact"] +
                          (sel if len(subset) == 1 else []) + argv)
                want = [files[names[0]][0]]
                for h in subset:
                    want += files[h][1]
                if got != want:
                    diff = next((i, g, w) for i, (g, w) in
                                enumerate(zip(got + [None] * len(want), want + [None] * len(got)))
                                if g != w)
                    sys.exit(f"FAIL: {query} {' '.join(args)} hosts {','.join(subset)}: "
                             f"row {diff[0]}: ClickHouse {diff[1]}, files {diff[2]}")
                rows_seen += len(want) - 1
            print(f"ok: {query} {' '.join(args)}: "
                  f"{sum(len(files[h][1]) for h in names)} rows, each host and all")
    print(f"PASS: {sum(len(c) for c in CASES.values())} cases of {len(CASES)} canned queries, "
          f"{rows_seen} rows equal on ClickHouse and on the files")


if __name__ == "__main__":
    main()
