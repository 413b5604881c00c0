#!/usr/bin/env python3
"""Compares what ClickHouse holds with the flow files, row by row and value by value.

ship_check.py CLIENT_PORT DIR... : reads every flow file of each DIR with
Python's sqlite3 (an independent reader) and every row of the fleet's
Distributed tables through clickhouse-client on CLIENT_PORT, and fails
unless they are the same rows: per host and table the same (file, rowid)
set, each with the same values (strings byte for byte, integers exactly,
floats bit for bit, NULL as NULL), day the UTC day of its time; no row
twice (count() = uniqExact(host, file, rowid)), none of a file the
shipper's progress record says it refused; and per host and table the
totals (rows, sum of packets and bytes where the table has them) equal.
Prints one line of totals per host. Exit 0 when all agree.
"""
import glob
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile

TABLES = ["flows", "events", "collector_stats", "actions", "rule_counters", "alerts",
          "requests"]
# Columns ClickHouse names otherwise than the files: host is the machine there.
FILE_NAMES = {("requests", "http_host"): "host"}
DAY_US = 86400000000


def ch(port, sql):
    out = subprocess.run(["clickhouse-client", "--host", "127.0.0.1", "--port", str(port),
                          "--query", sql], check=True, stdout=subprocess.PIPE).stdout
    return [line.split(b"\t") for line in out.splitlines() if line]


COLUMNS = {}


def columns(port, table):
    if table in COLUMNS:
        return COLUMNS[table]
    rows = ch(port, "SELECT name, type FROM system.columns WHERE database = currentDatabase() "
                    "AND table = '%s_local'" % table)
    COLUMNS[table] = [(n.decode(), t.decode()) for n, t in rows
                      if n.decode() not in ("host", "file", "rowid", "day")]
    return COLUMNS[table]


def ch_expr(name, typ):
    inner = re.sub(r"^Nullable\((.*)\)$", r"\1", typ)
    col = "`%s`" % name
    if inner == "String":
        e = "hex(%s)" % col
    elif inner == "Float64":
        e = "hex(reinterpretAsString(%s))" % col
    else:
        e = "toString(%s)" % col
    return "ifNull(%s, 'N')" % e if typ.startswith("Nullable") else e


def canon(value, typ):
    if value is None:
        return "N"
    inner = re.sub(r"^Nullable\((.*)\)$", r"\1", typ)
    if inner == "String":
        return value.hex().upper()
    if inner == "Float64":
        return struct.pack("<d", float(value)).hex().upper()
    return str(value)


def wrap(n):
    n &= (1 << 64) - 1
    return n - (1 << 64) if n >> 63 else n


def day_of(t):
    return min(max(t // DAY_US, 0), 65535)


def main():
    port, dirs = sys.argv[1], sys.argv[2:]
    failures = []
    # host -> table -> {(file, rowid): values}
    files = {}
    for d in dirs:
        # Files the shipper refused (their lines name them) must have no row there.
        refused = set()
        if os.path.exists(os.path.join(d, "flowdb-ship.progress")):
            for line in open(os.path.join(d, "flowdb-ship.progress")):
                if line.split(" ")[1:2] == ["refused"]:
                    refused.add(line.split(" ")[0])
        for path in sorted(glob.glob(os.path.join(d, "flows-*.db"))):
            if os.path.basename(path) in refused:
                continue
            if os.path.exists(path + "-wal"):
                # A killed writer's file: read as SQLite recovers it, from a copy.
                tmp = tempfile.mkdtemp()
                shutil.copy(path, os.path.join(tmp, "c.db"))
                shutil.copy(path + "-wal", os.path.join(tmp, "c.db-wal"))
                con = sqlite3.connect(os.path.join(tmp, "c.db"))
                con.execute("SELECT count(*) FROM sqlite_schema").fetchone()
                shutil.rmtree(tmp)
            else:
                con = sqlite3.connect("file:%s?immutable=1" % path, uri=True)
            con.text_factory = bytes
            meta = dict(con.execute("SELECT key, value FROM meta"))
            host = meta[b"host"].decode()
            have = {r[0].decode() for r in
                    con.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
            for table in TABLES:
                if table not in have:
                    continue
                cols = columns(port, table)
                fcols = {r[1].decode() for r in con.execute("PRAGMA table_info(%s)" % table)}
                names = [FILE_NAMES.get((table, n), n) for n, _ in cols]
                sel = ", ".join('"%s"' % n if n in fcols else "NULL" for n in names)
                rows = files.setdefault(host, {}).setdefault(table, {})
                for r in con.execute("SELECT rowid, %s FROM %s" % (sel, table)):
                    key = (os.path.basename(path), r[0])
                    vals = [str(day_of(r[1]))] + [canon(v, t) for v, (_, t) in zip(r[1:], cols)]
                    rows[key] = vals
            con.close()
    for host in sorted(files):
        line = [host]
        for table in TABLES:
            cols = columns(port, table)
            want = files[host].get(table, {})
            hexhost = host.encode().hex().upper()
            got = {}
            exprs = ", ".join(ch_expr(n, t) for n, t in cols)
            for r in ch(port, "SELECT file, rowid, toUInt16(day), %s FROM %s WHERE hex(host) = '%s'"
                              % (exprs, table, hexhost)):
                key = (r[0].decode(), int(r[1]))
                if key in got:
                    failures.append("%s %s %s rowid %s: twice" % (host, table, key[0], key[1]))
                # reinterpretAsString drops a float's trailing zero bytes.
                got[key] = [v.decode().ljust(16, "0") if t.endswith("Float64)") or
                             t == "Float64" else v.decode()
                             for v, t in zip(r[2:], ["UInt16"] + [t for _, t in cols])]
                got[key] = [v if v != "N".ljust(16, "0") else "N" for v in got[key]]
            n, distinct = (int(v) for v in ch(port, "SELECT count(), uniqExact(host, file, rowid) "
                                                    "FROM %s WHERE hex(host) = '%s'"
                                                    % (table, hexhost))[0])
            if n != distinct:
                failures.append("%s %s: %d rows, %d distinct" % (host, table, n, distinct))
            missing = sorted(set(want) - set(got))
            extra = sorted(set(got) - set(want))
            if missing:
                failures.append("%s %s: %d rows missing, the first %s" %
                                (host, table, len(missing), missing[0]))
            if extra:
                failures.append("%s %s: %d rows not in the files, the first %s" %
                                (host, table, len(extra), extra[0]))
            for key in sorted(set(want) & set(got)):
                if want[key] != got[key]:
                    failures.append("%s %s %s rowid %d: file %s, ClickHouse %s" %
                                    (host, table, key[0], key[1], want[key], got[key]))
                    break
            names = [n for n, _ in cols]
            sums = ""
            if "packets" in names and "bytes" in names:
                pi, bi = names.index("packets") + 1, names.index("bytes") + 1
                # ClickHouse sums Int64 with wrap-around.
                fp = wrap(sum(int(v[pi]) for v in want.values()))
                fb = wrap(sum(int(v[bi]) for v in want.values()))
                cp, cb = (int(v) for v in ch(port, "SELECT sum(packets), sum(bytes) FROM %s "
                                                   "WHERE hex(host) = '%s'" % (table, hexhost))[0])
                if (fp, fb) != (cp, cb):
                    failures.append("%s %s: packets, bytes %d, %d in the files, %d, %d in "
                                    "ClickHouse" % (host, table, fp, fb, cp, cb))
                sums = " %d packets %d bytes" % (cp, cb)
            line.append("%s %d%s" % (table, len(got), sums))
        print("  " + ", ".join(line))
    for f in failures[:20]:
        print("FAIL: " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
