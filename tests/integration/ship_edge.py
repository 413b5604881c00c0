#!/usr/bin/env python3
"""Writes flow files at the edges of what the shipper must carry exactly.

ship_edge.py SCHEMA_SQL DIR: in DIR (made), with the file schema
SCHEMA_SQL (schema/flowdb.sql):
  flows-20261122T0000Z.db  host "edge 'h'\\x", every table with rows: text
      with tabs, newlines, quotes, backslashes, a NUL byte, bytes that are
      not UTF-8; integers at the ends of int64; times before 1970, at the
      turn of a UTC day and past the end of ClickHouse's Date; NULLs in
      every column that may hold one; reals bit for bit (-0.0, 1e308,
      denormals, infinities).
  flows-20261122T0100Z.db  the same host, schema version 1: the columns
      and tables added later missing (shipped as NULL and nothing).
  flows-20261122T0200Z.db  a file whose flows hold a time that is text:
      refused with one line, nothing of it shipped.
  flows-20261122T0300Z.db  not an SQLite file: refused.
"""
import os
import sqlite3
import sys

I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1
DAY = 86400000000
HOST = "edge 'h'\\x"
TEXTS = ["plain", "tab\there", "new\nline", "quote ' \" `", "back\\slash", "nul\0byte", "",
         "\u202e bidi"]


# Version 1 of schema/flowdb.sql, before inspection, enforcement, alerts and requests.
V1_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE flows (first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
  ifname TEXT NOT NULL, direction TEXT NOT NULL, ip_version INTEGER NOT NULL,
  proto INTEGER NOT NULL, src_addr TEXT NOT NULL, dst_addr TEXT NOT NULL,
  src_port INTEGER NOT NULL, dst_port INTEGER NOT NULL, vlan INTEGER NOT NULL,
  packets INTEGER NOT NULL, bytes INTEGER NOT NULL, tcp_flags INTEGER NOT NULL,
  end_reason TEXT NOT NULL);
CREATE TABLE events (time INTEGER NOT NULL, kind TEXT NOT NULL, ifname TEXT NOT NULL,
  direction TEXT NOT NULL, ip_version INTEGER NOT NULL, proto INTEGER NOT NULL,
  src_addr TEXT NOT NULL, dst_addr TEXT NOT NULL, src_port INTEGER NOT NULL,
  dst_port INTEGER NOT NULL, vlan INTEGER NOT NULL, tcp_flags INTEGER NOT NULL);
CREATE TABLE collector_stats (time INTEGER NOT NULL, kernel_packets INTEGER NOT NULL,
  kernel_bytes INTEGER NOT NULL, drained_packets INTEGER NOT NULL,
  drained_bytes INTEGER NOT NULL, lost_packets INTEGER NOT NULL, lost_bytes INTEGER NOT NULL,
  non_ip INTEGER NOT NULL, malformed INTEGER NOT NULL, truncated INTEGER NOT NULL,
  map_update_failures INTEGER NOT NULL, events INTEGER NOT NULL,
  ringbuf_drops INTEGER NOT NULL, active_flows INTEGER NOT NULL,
  rows_written INTEGER NOT NULL, pending_rows INTEGER NOT NULL,
  write_errors INTEGER NOT NULL, flush_duration_us INTEGER NOT NULL);
CREATE INDEX flows_first_seen ON flows (first_seen);
CREATE INDEX events_time ON events (time);
CREATE INDEX collector_stats_time ON collector_stats (time);
"""


def new_file(path, schema, version, host=HOST):
    con = sqlite3.connect(path)
    con.executescript(schema)
    for k, v in [("schema_version", str(version)), ("host", host), ("interfaces", "eth0"),
                 ("collector_version", "edge"), ("created_us", "0"),
                 ("time_start_us", "0"), ("time_end_us", "0")]:
        con.execute("INSERT INTO meta VALUES (?, ?)", (k, v))
    return con


def fill(con, full):
    times = [-DAY - 1, -1, 0, DAY - 1, DAY, 1795305600000000 - 1, 1795305600000000,
             65535 * DAY + 5, I64_MAX, I64_MIN]
    for i, t in enumerate(times):
        row = [t, t, "eth%d" % i, "in" if i % 2 else "out", 4 if i % 2 else 6, i * 37 % 256,
               "10.0.0.%d" % i, "2001:db8::%x" % i, i, 65535 - i, i, I64_MAX - i, I64_MIN + i,
               i, TEXTS[i % len(TEXTS)]]
        cols = ("first_seen, last_seen, ifname, direction, ip_version, proto, src_addr, "
                "dst_addr, src_port, dst_port, vlan, packets, bytes, tcp_flags, end_reason")
        if full:
            row += [None if i % 3 == 0 else "tls", None if i % 2 else TEXTS[(i + 3) % len(TEXTS)],
                    None if i % 4 == 0 else i % 2, None if i == 1 else i, None if i == 2 else -i,
                    None if i == 3 else I64_MAX - i, None if i % 3 else TEXTS[(i + 5) % len(TEXTS)]]
            cols += (", app_proto, app_info, encrypted, dropped_packets, dropped_bytes, requests,"
                     " fingerprint")
        con.execute("INSERT INTO flows (%s) VALUES (%s)" % (cols, ", ".join("?" * len(row))),
                    row)
        con.execute("INSERT INTO events (time, kind, ifname, direction, ip_version, proto, "
                    "src_addr, dst_addr, src_port, dst_port, vlan, tcp_flags%s) VALUES "
                    "(?, 'syn', 'eth0', 'in', 4, 6, '192.0.2.1', '::1', 1, 2, 0, 2%s)"
                    % (", detail" if full else "", ", ?" if full else ""),
                    [t] + ([None if i % 2 else TEXTS[i % len(TEXTS)]] if full else []))
        stats = [t] + [I64_MAX - i - k for k in range(17)]
        if full:
            stats += [None if i % 2 else i, i, None, -1, None if i % 3 else "monitor", i, None,
                      I64_MIN, None if i % 2 else I64_MAX - i, i, None, None if i % 2 else i]
        con.execute("INSERT INTO collector_stats VALUES (%s)" % ", ".join("?" * len(stats)),
                    stats)
    for i, t in enumerate(times):
        if not full:
            break
        con.execute("INSERT INTO actions VALUES (?, 'add', ?, ?, ?, ?, 'ctl', ?, ?)",
                    (t, TEXTS[i % len(TEXTS)], None if i % 2 else "block src 10.0.0.1",
                     None if i % 3 else "r\teason", None if i % 2 else I64_MAX, None if i else 0,
                     TEXTS[(i + 1) % len(TEXTS)]))
        con.execute("INSERT INTO rule_counters VALUES (?, ?, 'block', ?, ?, 'enforce', 'file', ?)",
                    (t, TEXTS[i % len(TEXTS)], i, I64_MAX - i, None if i % 2 else i))
        reals = [-0.0, 1e308, 5e-324, float("inf"), float("-inf"), 0.1, 1 / 3, -2.5, 42.0, 7.0]
        con.execute("INSERT INTO alerts VALUES (?, 'scan', 'high', ?, 'src', 'syn', ?, ?, ?, ?, ?, "
                    "?, 'none', ?, ?)",
                    (t, "10.0.0.%d" % i, reals[i], reals[-1 - i], i * 1000, None if i % 2 else t,
                     None if i % 3 else t, None if i % 2 else TEXTS[i % len(TEXTS)], i,
                     None if i % 2 else i))
        con.execute("INSERT INTO requests VALUES (?, ?, 'out', 6, 6, '2001:db8::1', '10.0.0.1', "
                    "?, ?, ?, ?, ?, ?, ?)",
                    (t, TEXTS[(i + 2) % len(TEXTS)], I64_MIN + i, I64_MAX - i, i,
                     TEXTS[(i + 4) % len(TEXTS)], None if i % 3 == 1 else TEXTS[i % len(TEXTS)],
                     None if i % 3 == 2 else TEXTS[(i + 1) % len(TEXTS)],
                     None if i % 2 else I64_MIN + i))
    # Bytes that are not UTF-8, kept as TEXT.
    con.execute("UPDATE flows SET end_reason = CAST(X'FFFE2D6E6F74' AS TEXT) WHERE rowid = 3")
    if full:
        con.execute("UPDATE flows SET app_info = CAST(X'C0AF' AS TEXT) WHERE rowid = 4")
        con.execute("UPDATE requests SET host = CAST(X'FF00FE' AS TEXT) WHERE rowid = 5")
    con.commit()
    con.close()


def main():
    schema = open(sys.argv[1]).read()
    d = sys.argv[2]
    os.makedirs(d, exist_ok=True)
    fill(new_file(os.path.join(d, "flows-20261122T0000Z.db"), schema, 6), True)
    old = new_file(os.path.join(d, "flows-20261122T0100Z.db"), V1_SCHEMA, 1)
    fill(old, False)
    bad = new_file(os.path.join(d, "flows-20261122T0200Z.db"), schema, 6)
    bad.execute("INSERT INTO flows (first_seen, last_seen, ifname, direction, ip_version, proto, "
                "src_addr, dst_addr, src_port, dst_port, vlan, packets, bytes, tcp_flags, "
                "end_reason) VALUES ('noon', 1, 'e', 'in', 4, 6, 'a', 'b', 1, 2, 0, 1, 1, 0, "
                "'idle')")
    bad.commit()
    bad.close()
    with open(os.path.join(d, "flows-20261122T0300Z.db"), "wb") as f:
        f.write(b"not a database at all, just text long enough to look like a file\n" * 20)


if __name__ == "__main__":
    main()
