#!/usr/bin/env python3
"""Differential SQL testing of the shell's union tables.

Random queries run through `flowdb` over many flow files and through SQLite
(Python's sqlite3 module, the same library the shell links) over the same
rows merged into one file; any difference in the rows, their order where
the query fixes it, or in whether the query failed, is a bug.

  sql_diff.py prepare --dir DATA --merged FILE   post-process flowgen's files
                                                 and write the merged copy
  sql_diff.py run --flowdb BIN --dir DATA --merged FILE [--seed N]
                  [--count N (0: until interrupted)] [--regress FILE]
                  [--timeout S] [--slowest N]

`run` first replays every query of --regress (the queries earlier bugs were
found with), then generated ones. It prints each difference with its query
and the first rows on each side, the slowest queries relative to SQLite,
and exits 1 when anything differed."""
import argparse
import glob
import json
import math
import os
import random
import select
import sqlite3
import subprocess
import sys
import time

# The union tables and their columns, with the affinity each is declared
# with in schema/flowdb.sql: I for INTEGER, T for TEXT.
TABLES = {
    "flows": [
        ("first_seen", "I"), ("last_seen", "I"), ("ifname", "T"), ("direction", "T"),
        ("ip_version", "I"), ("proto", "I"), ("src_addr", "T"), ("dst_addr", "T"),
        ("src_port", "I"), ("dst_port", "I"), ("vlan", "I"), ("packets", "I"),
        ("bytes", "I"), ("tcp_flags", "I"), ("end_reason", "T"), ("app_proto", "T"),
        ("app_info", "T"), ("encrypted", "I"), ("dropped_packets", "I"),
        ("dropped_bytes", "I"), ("requests", "I"), ("fingerprint", "T"),
    ],
    "events": [
        ("time", "I"), ("kind", "T"), ("ifname", "T"), ("direction", "T"),
        ("ip_version", "I"), ("proto", "I"), ("src_addr", "T"), ("dst_addr", "T"),
        ("src_port", "I"), ("dst_port", "I"), ("vlan", "I"), ("tcp_flags", "I"),
        ("detail", "T"),
    ],
    "requests": [
        ("time", "I"), ("ifname", "T"), ("direction", "T"), ("ip_version", "I"),
        ("proto", "I"), ("src_addr", "T"), ("dst_addr", "T"), ("src_port", "I"),
        ("dst_port", "I"), ("vlan", "I"), ("method", "T"), ("host", "T"), ("path", "T"),
        ("status", "I"),
    ],
    "collector_stats": [
        ("time", "I"), ("kernel_packets", "I"), ("kernel_bytes", "I"),
        ("drained_packets", "I"), ("drained_bytes", "I"), ("lost_packets", "I"),
        ("lost_bytes", "I"), ("non_ip", "I"), ("malformed", "I"), ("truncated", "I"),
        ("map_update_failures", "I"), ("events", "I"), ("ringbuf_drops", "I"),
        ("active_flows", "I"), ("rows_written", "I"), ("pending_rows", "I"),
        ("write_errors", "I"), ("flush_duration_us", "I"), ("payload_events", "I"),
        ("payload_bytes", "I"), ("dropped_packets", "I"), ("dropped_bytes", "I"),
        ("policy_mode", "T"), ("alerts", "I"), ("alerts_suppressed", "I"),
        ("sink_failures", "I"), ("ipfix_records", "I"), ("ipfix_send_errors", "I"),
        ("ipfix_dropped", "I"), ("payload_drops", "I"),
    ],
}
# Columns version 1 files lack (schema/flowdb.sql); they read as NULL there.
V2_COLUMNS = {"flows": ["app_proto", "app_info", "encrypted", "dropped_packets",
                        "dropped_bytes", "requests", "fingerprint"], "events": ["detail"],
              "collector_stats": ["payload_events", "payload_bytes", "dropped_packets",
                                  "dropped_bytes", "policy_mode", "alerts",
                                  "alerts_suppressed", "sink_failures", "ipfix_records",
                                  "ipfix_send_errors", "ipfix_dropped", "payload_drops"]}
# Tables version 1 files lack altogether; they read as empty there.
V2_TABLES = ["requests"]
# How often each table is the subject of a query.
TABLE_WEIGHTS = [("flows", 7), ("events", 2), ("requests", 2), ("collector_stats", 1)]
FLOAT_TOLERANCE = 1e-9
# Below this many seconds a statement's time is its fixed cost (parsing,
# finding the files), not the plan's: ratios are taken against at least it.
RATIO_FLOOR = 0.002


def db_files(data):
    return sorted(glob.glob(os.path.join(data, "*.db")))


# --- prepare -----------------------------------------------------------------

def prepare(args):
    """Gives flowgen's files what it does not write (inspection findings,
    TLS fingerprints, HTTP requests, policy events, more connection events),
    turns two of them into schema version 1 files, and merges every row,
    with its file's path, into one file with the same schema."""
    rng = random.Random(1)
    files = db_files(args.dir)
    for i, path in enumerate(files):
        db = sqlite3.connect(path)
        rows = db.execute("SELECT rowid, dst_port, proto, dst_addr FROM flows").fetchall()
        for rowid, port, proto, dst in rows:
            r = rng.random()
            if r < 0.35:
                continue
            if port in (443, 8443) and proto == 6:
                app = ("tls", rng.choice(["example.test", "api.example.test", "Example.Test",
                                          "a b.test", "x%y_z.test", "443"]), 1)
            elif port == 53:
                app = ("dns", rng.choice(["example.test", "www.example.test", "10.0.0.1"]), 0)
            elif port in (80, 8080):
                app = ("http", rng.choice(["GET example.test /", "POST api.test /v1/items",
                                           "CONNECT proxy.test:443 -"]), 0)
            elif port == 22:
                app = ("ssh", "SSH-2.0-OpenSSH_9.2", 1)
            elif r < 0.5:
                app = (None, None, rng.choice([0, 1]))
            else:
                continue
            db.execute("UPDATE flows SET app_proto = ?, app_info = ?, encrypted = ? "
                       "WHERE rowid = ?", (*app, rowid))
        # Drops as a policy counts them: on some flows, none (0) on others,
        # NULL (no policy) on the rest.
        drops = random.Random(100 + i)
        for rowid, packets, nbytes in db.execute(
                "SELECT rowid, packets, bytes FROM flows").fetchall():
            r = drops.random()
            if r < 0.5:
                d = drops.randint(1, packets) if r < 0.2 else 0
                db.execute("UPDATE flows SET dropped_packets = ?, dropped_bytes = ?"
                           " WHERE rowid = ?", (d, nbytes * d // packets, rowid))
        # Fingerprints of some TLS clients, a few shared; the HTTP flows'
        # requests, each named in requests within its flow's time, with
        # texts that test comparisons (case, NULL, empty-looking) and
        # statuses of every kind, NULL among them.
        fps = random.Random(200 + i)
        for rowid, app in db.execute("SELECT rowid, app_proto FROM flows").fetchall():
            if app == "tls" and fps.random() < 0.7:
                db.execute("UPDATE flows SET fingerprint = ? WHERE rowid = ?",
                           (fps.choice(["t13d1516h2_8daaf6152771_b186095e22b6",
                                        "t13d1517h2_8daaf6152771_b1ff8ab2d16f",
                                        "t12d1209h1_c7886603b240_7af1ed941c26",
                                        "T13D1516H2_8DAAF6152771_B186095E22B6"]), rowid))
        for (rowid, first, last, ifname, direction, ipv, proto, src, dst, sport, dport,
             vlan) in db.execute("SELECT rowid, first_seen, last_seen, ifname, direction,"
                                 " ip_version, proto, src_addr, dst_addr, src_port, dst_port,"
                                 " vlan FROM flows WHERE app_proto = 'http'").fetchall():
            n = fps.choice([0, 1, 1, 2, 5])
            db.execute("UPDATE flows SET requests = ? WHERE rowid = ?", (n, rowid))
            for k in range(n):
                db.execute(
                    "INSERT INTO requests VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (first + (last - first) * k // max(n, 1), ifname, direction, ipv, proto,
                     src, dst, sport, dport, vlan,
                     fps.choice(["GET", "GET", "POST", "PUT", "DELETE", "OPTIONS", "get"]),
                     fps.choice(["example.test", "api.example.test", "API.example.test",
                                 "10.0.0.1:8080", None]),
                     fps.choice(["/", "/v1/items", "/v1/items/7", "/V1/Items", "*", "/a b",
                                 None]),
                     fps.choice([200, 200, 204, 301, 404, 500, 101, None])))
        # Connection events for some flows, so that joins find partners.
        db.execute("INSERT INTO events SELECT first_seen, CASE abs(random()) % 3 WHEN 0 THEN"
                   " 'syn' WHEN 1 THEN 'fin' ELSE 'rst' END, ifname, direction, ip_version,"
                   " proto, src_addr, dst_addr, src_port, dst_port, vlan, tcp_flags,"
                   " NULL FROM flows WHERE proto = 6 AND abs(random()) % 4 = 0")
        db.execute("INSERT INTO events SELECT first_seen + 1, 'policy', ifname, direction,"
                   " ip_version, proto, src_addr, dst_addr, src_port, dst_port, vlan,"
                   " tcp_flags, 'cleartext to ' || dst_port FROM flows"
                   " WHERE app_proto = 'http' AND abs(random()) % 2 = 0")
        db.commit()
        db.close()
    for path in files[3:5]:
        to_version_1(path)
    merged = sqlite3.connect(args.merged)
    schema = open(args.schema).read()
    merged.executescript(schema)
    for t in TABLES:
        merged.execute(f'ALTER TABLE "{t}" ADD COLUMN file TEXT')
    for path in files:
        merged.execute("ATTACH ? AS f", (path,))
        for t, cols in TABLES.items():
            have = {r[1] for r in merged.execute(f"PRAGMA f.table_info({t})")}
            if not have:
                continue
            sel = ", ".join(c if c in have else "NULL" for c, _ in cols)
            merged.execute(f'INSERT INTO main."{t}" SELECT {sel}, ? FROM f."{t}"', (path,))
        merged.commit()
        merged.execute("DETACH f")
    merged.execute("ANALYZE")
    merged.commit()
    n = merged.execute("SELECT count(*) FROM flows").fetchone()[0]
    print(f"sql_diff: {len(files)} files, {n} flows merged into {args.merged}")


def to_version_1(path):
    """Rewrites a file as the collector of schema version 1 wrote it."""
    db = sqlite3.connect(path)
    for t, dropped in V2_COLUMNS.items():
        info = [r for r in db.execute(f"PRAGMA table_info({t})") if r[1] not in dropped]
        indexes = [r[0] for r in db.execute(
            "SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?", (t,))]
        cols = ", ".join(f"{r[1]} {r[2]}{' NOT NULL' if r[3] else ''}" for r in info)
        names = ", ".join(r[1] for r in info)
        db.executescript(f"CREATE TABLE old ({cols}); INSERT INTO old SELECT {names} FROM {t};"
                         f" DROP TABLE {t}; ALTER TABLE old RENAME TO {t};")
        for sql in indexes:
            db.execute(sql)
    for t in V2_TABLES:
        db.execute(f"DROP TABLE {t}")
    db.execute("UPDATE meta SET value = 1 WHERE key = 'schema_version'")
    db.commit()
    db.close()


# --- the query generator -----------------------------------------------------

class Gen:
    """Random SELECT statements over the union tables whose answers are
    fully determined by the rows: every LIMIT comes with a total ORDER BY,
    window functions are those whose value ties cannot change, and no
    aggregate depends on the order rows arrive in."""

    def __init__(self, rng, ref, files):
        self.rng = rng
        self.files = files
        self.values = {}
        for t, cols in TABLES.items():
            for c, _ in cols + [("file", "T")]:
                vals = [r[0] for r in ref.execute(
                    f'SELECT DISTINCT "{c}" FROM "{t}" ORDER BY 1')]
                self.values[(t, c)] = rng.sample(vals, min(40, len(vals)))
        self.alias_n = 0

    def alias(self):
        self.alias_n += 1
        return f"t{self.alias_n}"

    def pick(self, seq):
        return self.rng.choice(seq)

    def chance(self, p):
        return self.rng.random() < p

    # Literals -----------------------------------------------------------
    def literal(self, t, c, kind):
        """A literal to compare column c of table t with: mostly a value the
        column holds, sometimes one near it, of another type, or NULL."""
        rng = self.rng
        vals = [v for v in self.values[(t, c)] if v is not None]
        r = rng.random()
        if r < 0.04:
            return "NULL"
        if not vals or r < 0.12:
            return self.pick(["0", "1", "-1", "443", "'443'", "'4.43e2'", "' 443'", "443.0",
                              "0.5", "9223372036854775807", "-9223372036854775808",
                              "'10.20.0.1'", "''", "'in'", "'IN'", "x'3130'", "'tls'",
                              "'2001:db8:10::1'", "1e18", "'abc'", "'z'"])
        v = self.pick(vals)
        if isinstance(v, int):
            r = rng.random()
            if r < 0.15:
                v += rng.choice([-1, 1])
            elif r < 0.22:
                return f"'{v}'"
            elif r < 0.27:
                return f"{v}.0"
            elif r < 0.30:
                return f"{v}.5"
            return str(v)
        s = str(v)
        r = rng.random()
        if r < 0.12:
            s = s.upper()
        elif r < 0.18:
            s = s[:-1] if s else s
        elif r < 0.22:
            s = s + " "
        return "'" + s.replace("'", "''") + "'"

    def pattern(self, t, c, glob_op):
        vals = [str(v) for v in self.values[(t, c)] if v is not None] or ["x"]
        s = self.pick(vals)
        n = len(s)
        r = self.rng.random()
        if r < 0.3:
            p = s[: self.rng.randint(0, n)] + ("*" if glob_op else "%")
        elif r < 0.5:
            p = ("*" if glob_op else "%") + s[self.rng.randint(0, n):]
        elif r < 0.7 and n:
            i = self.rng.randrange(n)
            p = s[:i] + ("?" if glob_op else "_") + s[i + 1:]
        elif r < 0.8:
            p = ("*" if glob_op else "%") + s[n // 3: 2 * n // 3] + ("*" if glob_op else "%")
        else:
            p = s
        if not glob_op and self.chance(0.3):
            p = p.swapcase()
        return "'" + p.replace("'", "''") + "'"

    # Expressions ----------------------------------------------------------
    def column(self, t, a, with_file=True):
        cols = TABLES[t] + ([("file", "T")] if with_file and self.chance(0.05) else [])
        c, kind = self.pick(cols)
        return c, kind, f"{a}.{c}"

    def scalar_expr(self, t, a):
        """An expression over one row: a column, or a function of one."""
        c, kind, ref = self.column(t, a)
        r = self.rng.random()
        if r < 0.75:
            return ref, kind
        if kind == "I":
            return self.pick([f"{ref} + 1", f"{ref} * 2", f"abs({ref})", f"{ref} % 7",
                              f"{ref} / 1000", f"-{ref}", f"CAST({ref} AS TEXT)",
                              f"coalesce({ref}, -1)", f"{ref} & 255"]), "I"
        return self.pick([f"lower({ref})", f"upper({ref})", f"substr({ref}, 1, 4)",
                          f"length({ref})", f"{ref} || ''", f"coalesce({ref}, 'none')",
                          f"trim({ref})", f"instr({ref}, '.')", f"typeof({ref})"]), "T"

    def predicate(self, t, a, depth=0, outer=None):
        """A WHERE condition on alias a of table t; outer, when given, is
        (table, alias) of an enclosing query a subquery may correlate with."""
        rng = self.rng
        r = rng.random()
        if depth < 3 and r < 0.3:
            op = self.pick(["AND", "OR", "OR", "AND"])
            return (f"({self.predicate(t, a, depth + 1, outer)} {op} "
                    f"{self.predicate(t, a, depth + 1, outer)})")
        if depth < 3 and r < 0.35:
            return f"NOT ({self.predicate(t, a, depth + 1, outer)})"
        c, kind, ref = self.column(t, a)
        r = rng.random()
        if r < 0.30:
            op = self.pick(["=", "=", "<>", "<", "<=", ">", ">=", "IS", "IS NOT", "=="])
            lit = self.literal(t, c, kind)
            if self.chance(0.15):
                return f"{lit} {op} {ref}"
            if self.chance(0.06):
                return f"{ref} {op} {lit} COLLATE {self.pick(['NOCASE', 'RTRIM'])}"
            return f"{ref} {op} {lit}"
        if r < 0.38:
            lo, hi = self.literal(t, c, kind), self.literal(t, c, kind)
            neg = "NOT " if self.chance(0.2) else ""
            return f"{ref} {neg}BETWEEN {lo} AND {hi}"
        if r < 0.48:
            lits = ", ".join(self.literal(t, c, kind) for _ in range(rng.randint(1, 5)))
            neg = "NOT " if self.chance(0.2) else ""
            return f"{ref} {neg}IN ({lits})"
        if r < 0.58:
            glob_op = self.chance(0.3)
            neg = "NOT " if self.chance(0.15) else ""
            return f"{ref} {neg}{'GLOB' if glob_op else 'LIKE'} {self.pattern(t, c, glob_op)}"
        if r < 0.64:
            return self.pick([f"{ref} IS NULL", f"{ref} IS NOT NULL", f"{ref} ISNULL",
                              f"{ref} NOTNULL", f"{ref} NOT NULL"])
        if r < 0.70:
            e, _ = self.scalar_expr(t, a)
            return f"{e} {self.pick(['=', '<', '>', '<>'])} {self.literal(t, c, kind)}"
        if r < 0.76:
            c2, _, ref2 = self.column(t, a)
            return f"{ref} {self.pick(['=', '<', '>=', '<>', 'IS'])} {ref2}"
        if r < 0.82 and depth < 2:
            # IN over a subquery of another (or the same) table.
            t2 = self.pick([x for x, _ in TABLE_WEIGHTS])
            a2 = self.alias()
            c2 = self.pick([x for x, k in TABLES[t2] if k == kind] or [TABLES[t2][0][0]])
            where = self.predicate(t2, a2, depth + 1)
            corr = ""
            if t2 == t and self.chance(0.3):
                cc = self.pick(TABLES[t])[0]
                corr = f" AND {a2}.{cc} = {a}.{cc}"
            limit = f" ORDER BY 1 LIMIT {rng.randint(1, 20)}" if self.chance(0.2) else ""
            neg = "NOT " if self.chance(0.2) else ""
            return f"{ref} {neg}IN (SELECT {a2}.{c2} FROM {t2} {a2} WHERE {where}{corr}{limit})"
        if r < 0.87 and depth < 2:
            t2 = self.pick([x for x, _ in TABLE_WEIGHTS])
            a2 = self.alias()
            shared = [x for x, _ in TABLES[t2] if x in dict(TABLES[t])]
            cc = self.pick(shared) if shared else None
            corr = f"{a2}.{cc} = {a}.{cc} AND " if cc else ""
            neg = "NOT " if self.chance(0.3) else ""
            return (f"{neg}EXISTS (SELECT 1 FROM {t2} {a2} WHERE {corr}"
                    f"{self.predicate(t2, a2, depth + 1)})")
        if r < 0.90:
            # The same table's rows again, by their rowids.
            a2 = self.alias()
            return f"{a}.rowid IN (SELECT {a2}.rowid FROM {t} {a2} WHERE {self.predicate(t, a2, depth + 1)})"
        if r < 0.93:
            f = self.pick(self.files)
            return self.pick([f"{a}.file = '{f}'", f"{a}.file <> '{f}'",
                              f"{a}.file IN ('{f}', '{self.pick(self.files)}')",
                              f"{a}.file LIKE '%T0{rng.randint(0, 5)}%'",
                              f"{a}.file > '{f}'"])
        if r < 0.96:
            return f"typeof({ref}) = '{self.pick(['integer', 'text', 'null', 'real'])}'"
        if outer:
            ot, oa = outer
            shared = [x for x, _ in TABLES[t] if x in dict(TABLES[ot])]
            if shared:
                cc = self.pick(shared)
                return f"{a}.{cc} {self.pick(['=', '<>', '<'])} {oa}.{cc}"
        return f"{ref} = {ref}"

    # Statements -----------------------------------------------------------
    def table(self):
        return self.rng.choices([t for t, _ in TABLE_WEIGHTS], [w for _, w in TABLE_WEIGHTS])[0]

    def order_all(self, n):
        """ORDER BY every output column: a total order of the rows."""
        terms = []
        for i in range(1, n + 1):
            d = self.pick(["", " DESC", " ASC", " NULLS LAST", " DESC NULLS FIRST"])
            terms.append(f"{i}{d}")
        self.rng.shuffle(terms)
        return " ORDER BY " + ", ".join(terms)

    def limit(self):
        if not self.chance(0.5):
            return ""
        s = f" LIMIT {self.rng.randint(0, 30)}"
        if self.chance(0.3):
            s += f" OFFSET {self.rng.randint(0, 20)}"
        return s

    def where(self, t, a, p=0.85):
        return f" WHERE {self.predicate(t, a)}" if self.chance(p) else ""

    def q_aggregate(self):
        t, a = self.table(), self.alias()
        num = [c for c, k in TABLES[t] if k == "I"]
        aggs = ["count(*)"]
        for _ in range(self.rng.randint(1, 4)):
            c = self.pick(TABLES[t])[0]
            aggs.append(self.pick([f"sum({a}.{self.pick(num)})", f"min({a}.{c})",
                                   f"max({a}.{c})", f"count({a}.{c})",
                                   f"count(DISTINCT {a}.{c})", f"avg({a}.{self.pick(num)})",
                                   f"total({a}.{self.pick(num)})"]))
        return f"SELECT {', '.join(aggs)} FROM {t} {a}{self.where(t, a, 0.95)}"

    def q_rows(self):
        t, a = self.table(), self.alias()
        n = self.rng.randint(1, 4)
        cols = [self.scalar_expr(t, a)[0] for _ in range(n)]
        distinct = "DISTINCT " if self.chance(0.2) else ""
        sql = f"SELECT {distinct}{', '.join(cols)} FROM {t} {a}{self.where(t, a, 0.95)}"
        if self.chance(0.7):
            sql += self.order_all(n) + self.limit()
        return sql

    def q_group(self):
        t, a = self.table(), self.alias()
        keys = [self.scalar_expr(t, a)[0] for _ in range(self.rng.randint(1, 2))]
        num = [c for c, k in TABLES[t] if k == "I"]
        aggs = ["count(*)", f"sum({a}.{self.pick(num)})"]
        if self.chance(0.3):
            aggs.append(f"max({a}.{self.pick(TABLES[t])[0]})")
        sql = (f"SELECT {', '.join(keys + aggs)} FROM {t} {a}{self.where(t, a, 0.7)}"
               f" GROUP BY {', '.join(str(i + 1) for i in range(len(keys)))}")
        if self.chance(0.3):
            sql += f" HAVING count(*) {self.pick(['>', '>=', '<'])} {self.rng.randint(1, 5)}"
        if self.chance(0.6):
            sql += self.order_all(len(keys) + len(aggs)) + self.limit()
        return sql

    def q_self_join(self):
        a, b = self.alias(), self.alias()
        kind = self.pick(["JOIN", "LEFT JOIN"])
        on = self.pick([f"{a}.src_addr = {b}.dst_addr AND {a}.dst_addr = {b}.src_addr"
                        f" AND {a}.src_port = {b}.dst_port",
                        f"{a}.dst_addr = {b}.src_addr AND {b}.dst_port = {a}.src_port",
                        f"{a}.src_addr = {b}.src_addr AND {a}.first_seen < {b}.first_seen"
                        f" AND {a}.dst_port = {b}.dst_port AND {a}.dst_addr = {b}.dst_addr"])
        where = f" WHERE {self.predicate('flows', a)}" if self.chance(0.7) else ""
        if self.chance(0.4):
            where += (" AND " if where else " WHERE ") + self.predicate("flows", b)
        return (f"SELECT count(*), sum({a}.bytes), count({b}.bytes), sum({b}.packets)"
                f" FROM flows {a} {kind} flows {b} ON {on}{where}")

    def q_events_join(self):
        f, e = self.alias(), self.alias()
        on = (f"{e}.src_addr = {f}.src_addr AND {e}.dst_addr = {f}.dst_addr AND"
              f" {e}.src_port = {f}.src_port AND {e}.dst_port = {f}.dst_port AND"
              f" {e}.proto = {f}.proto")
        if self.chance(0.5):
            on += f" AND {e}.time BETWEEN {f}.first_seen AND {f}.last_seen + 1"
        cols = [f"{e}.kind", f"count(*)", f"sum({f}.bytes)", f"count(DISTINCT {f}.src_addr)"]
        first, second = (f"flows {f}", f"events {e}") if self.chance(0.5) else \
            (f"events {e}", f"flows {f}")
        where = f" WHERE {self.predicate('flows', f)}" if self.chance(0.6) else ""
        sql = (f"SELECT {', '.join(cols)} FROM {first} JOIN {second} ON {on}{where}"
               f" GROUP BY 1")
        return sql + self.order_all(len(cols))

    def q_requests_join(self):
        f, r = self.alias(), self.alias()
        on = (f"{r}.src_addr = {f}.src_addr AND {r}.dst_addr = {f}.dst_addr AND"
              f" {r}.src_port = {f}.src_port AND {r}.dst_port = {f}.dst_port AND"
              f" {r}.proto = {f}.proto")
        if self.chance(0.5):
            on += f" AND {r}.time BETWEEN {f}.first_seen AND {f}.last_seen"
        cols = [f"{r}.method", f"{r}.status", "count(*)", f"sum({f}.requests)",
                f"count(DISTINCT {r}.host)"]
        kind = self.pick(["JOIN", "LEFT JOIN"])
        where = f" WHERE {self.predicate('requests', r)}" if self.chance(0.6) else ""
        sql = (f"SELECT {', '.join(cols)} FROM requests {r} {kind} flows {f} ON {on}{where}"
               f" GROUP BY 1, 2")
        return sql + self.order_all(len(cols))

    def q_correlated(self):
        a, b = self.alias(), self.alias()
        sub = self.pick([
            f"(SELECT count(*) FROM flows {b} WHERE {b}.src_addr = {a}.dst_addr)",
            f"(SELECT sum({b}.bytes) FROM flows {b} WHERE {b}.dst_addr = {a}.src_addr AND"
            f" {b}.dst_port = {a}.dst_port)",
            f"(SELECT max({b}.time) FROM events {b} WHERE {b}.src_addr = {a}.src_addr)",
            f"(SELECT count(*) FROM flows {b} WHERE {b}.src_addr = {a}.src_addr AND"
            f" {b}.first_seen < {a}.first_seen)",
        ])
        where = f" WHERE {self.predicate('flows', a)}" if self.chance(0.8) else ""
        sql = f"SELECT {a}.src_addr, {a}.bytes, {sub} FROM flows {a}{where}"
        return sql + self.order_all(3) + self.limit()

    def q_window(self):
        t, a = "flows", self.alias()
        part = self.pick(["src_addr", "dst_port", "proto", "ifname", "file"])
        order = self.pick(["bytes", "packets", "first_seen", "dst_port"])
        fn = self.pick([f"rank() OVER (PARTITION BY {a}.{part} ORDER BY {a}.{order})",
                        f"dense_rank() OVER (ORDER BY {a}.{order} DESC)",
                        f"sum({a}.bytes) OVER (PARTITION BY {a}.{part})",
                        f"count(*) OVER (PARTITION BY {a}.{part} ORDER BY {a}.{order})",
                        f"max({a}.packets) OVER (PARTITION BY {a}.{part})"])
        sql = (f"SELECT {a}.{part}, {a}.{order}, {fn} FROM {t} {a}"
               f"{self.where(t, a, 0.7)}")
        return sql + self.order_all(3) + self.limit()

    def q_compound(self):
        t, a, b = self.table(), self.alias(), self.alias()
        c = self.pick(TABLES[t])[0]
        op = self.pick(["UNION", "UNION ALL", "INTERSECT", "EXCEPT"])
        return (f"SELECT {a}.{c} FROM {t} {a} WHERE {self.predicate(t, a)} {op} "
                f"SELECT {b}.{c} FROM {t} {b} WHERE {self.predicate(t, b)} ORDER BY 1")

    def q_cte(self):
        a, b = self.alias(), self.alias()
        return (f"WITH x AS (SELECT {a}.src_addr AS h, sum({a}.bytes) AS n FROM flows {a}"
                f"{self.where('flows', a, 0.6)} GROUP BY 1) "
                f"SELECT x.h, x.n, count({b}.dst_addr) FROM x JOIN flows {b} ON"
                f" {b}.dst_addr = x.h GROUP BY 1, 2" + self.order_all(3) + self.limit())

    def query(self):
        shapes = [(self.q_aggregate, 30), (self.q_rows, 25), (self.q_group, 15),
                  (self.q_self_join, 5), (self.q_events_join, 5), (self.q_requests_join, 3),
                  (self.q_correlated, 5),
                  (self.q_window, 5), (self.q_compound, 5), (self.q_cte, 5)]
        fn = self.rng.choices([s for s, _ in shapes], [w for _, w in shapes])[0]
        return fn()


# --- running and comparing ---------------------------------------------------

class Flowdb:
    """One `flowdb` process reading statements on its standard input, in
    JSON mode; each statement is followed by a sentinel SELECT whose output
    marks where the statement's own ends."""

    def __init__(self, binary, data):
        self.p = subprocess.Popen([binary, "-d", data], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.set_blocking(self.p.stdout.fileno(), False)
        os.set_blocking(self.p.stderr.fileno(), False)
        self.out = b""
        self.n = 0
        # The first statement finds and checks every file: not a plan's cost.
        self.send(".mode json\n")
        self.run("SELECT count(*) FROM flows", 600)

    def send(self, text):
        self.p.stdin.write(text.encode())
        self.p.stdin.flush()

    def read_err(self):
        chunks = []
        while True:
            try:
                b = os.read(self.p.stderr.fileno(), 65536)
            except BlockingIOError:
                break
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks).decode(errors="replace")

    def run(self, sql, timeout):
        """Returns (rows or None on error, error text, seconds)."""
        self.n += 1
        mark = f'{{"sentinel":"S{self.n}"}}'.encode()
        start = time.monotonic()
        self.send(sql + ";\nSELECT 'S%d' AS sentinel;\n" % self.n)
        while mark not in self.out:
            left = start + timeout - time.monotonic()
            if left <= 0 or self.p.poll() is not None:
                raise TimeoutError("flowdb did not answer within %d s" % timeout
                                   if self.p.poll() is None else "flowdb exited")
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                b = os.read(self.p.stdout.fileno(), 1 << 20)
                self.out += b
        elapsed = time.monotonic() - start
        at = self.out.index(mark)
        head = self.out[:at]
        # The sentinel's own "[\n" opened just before it.
        head = head[: head.rindex(b"[")]
        self.out = self.out[self.out.index(b"]", at) + 1:].lstrip(b"\n")
        err = self.read_err()
        if err:
            return None, err.strip(), elapsed
        text = head.decode().strip()
        rows = json.loads(text, object_pairs_hook=lambda pairs: [v for _, v in pairs]) \
            if text else []
        return rows, "", elapsed

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


def reference(ref, sql):
    start = time.monotonic()
    try:
        rows = [list(r) for r in ref.execute(sql)]
    except sqlite3.Error as e:
        return None, str(e), time.monotonic() - start
    elapsed = time.monotonic() - start
    for r in rows:
        for i, v in enumerate(r):
            if isinstance(v, bytes):
                r[i] = v.hex()
    return rows, "", elapsed


def same_value(x, y):
    if isinstance(x, float) or isinstance(y, float):
        if not isinstance(x, (int, float)) or not isinstance(y, (int, float)) or \
                isinstance(x, bool) or isinstance(y, bool):
            return False
        if isinstance(x, int) != isinstance(y, int) and not (
                isinstance(x, float) and isinstance(y, float)):
            return False
        return math.isclose(x, y, rel_tol=FLOAT_TOLERANCE, abs_tol=1e-300)
    return type(x) is type(y) and x == y


def same_rows(got, want, ordered):
    if len(got) != len(want):
        return False
    if not ordered:
        key = lambda r: json.dumps([(type(v).__name__, round(v, 6) if isinstance(v, float) else v)
                                    for v in r], sort_keys=True)
        got, want = sorted(got, key=key), sorted(want, key=key)
    return all(len(g) == len(w) and all(same_value(a, b) for a, b in zip(g, w))
               for g, w in zip(got, want))


def ordered_result(sql):
    """Whether the statement fixes its rows' order: a top-level ORDER BY."""
    depth, i, up = 0, 0, sql.upper()
    last = -1
    while i < len(up):
        ch = up[i]
        if ch == "'":
            i = up.index("'", i + 1) + 1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and up.startswith("ORDER BY", i):
            last = i
        i += 1
    return last >= 0


def run(args):
    ref = sqlite3.connect(args.merged)
    files = db_files(args.dir)
    fdb = Flowdb(args.flowdb, args.dir)
    queries = []
    if args.regress:
        for line in open(args.regress):
            line = line.strip()
            if line and not line.startswith("--"):
                queries.append(("regress", line))
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    gen = Gen(rng, ref, files)
    print(f"sql_diff: seed {seed}, {len(files)} files")
    compared = diffs = 0
    ratios = []
    total_f = total_r = 0.0
    n = 0
    try:
        while True:
            if n < len(queries):
                origin, sql = queries[n]
            elif args.count and n >= len(queries) + args.count:
                break
            else:
                origin, sql = "random", gen.query()
            n += 1
            want, werr, rt = reference(ref, sql)
            try:
                got, gerr, ft = fdb.run(sql, args.timeout)
            except TimeoutError as e:
                print(f"DIFF ({origin} #{n}): {e}\n  {sql}")
                diffs += 1
                break
            compared += 1
            total_f += ft
            total_r += rt
            ratios.append((ft / max(rt, RATIO_FLOOR), ft, rt, sql))
            ok = (want is None) == (got is None) and (
                want is None or same_rows(got, want, ordered_result(sql)))
            if not ok:
                diffs += 1
                print(f"DIFF ({origin} #{n}):\n  {sql}")
                print(f"  flowdb: {gerr or json.dumps(got[:5])} ({0 if got is None else len(got)} rows)")
                print(f"  sqlite: {werr or json.dumps(want[:5])} ({0 if want is None else len(want)} rows)")
                if diffs >= args.max_diffs:
                    break
            if args.count == 0 and n % 1000 == 0:
                print(f"sql_diff: {compared} queries, {diffs} differences", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        fdb.close()
    ratios.sort(reverse=True)
    print(f"sql_diff: {compared} queries compared ({len(queries)} regression, seed {seed}),"
          f" {diffs} differences; {total_f:.1f} s in flowdb, {total_r:.1f} s in sqlite3")
    for ratio, ft, rt, sql in ratios[: args.slowest]:
        print(f"  slowest: {ratio:.1f}x ({ft * 1000:.1f} ms vs {rt * 1000:.1f} ms): {sql[:200]}")
    return 1 if diffs else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--dir", required=True)
    p.add_argument("--merged", required=True)
    p.add_argument("--schema", required=True)
    r = sub.add_parser("run")
    r.add_argument("--flowdb", required=True)
    r.add_argument("--dir", required=True)
    r.add_argument("--merged", required=True)
    r.add_argument("--seed", type=int)
    r.add_argument("--count", type=int, default=2000)
    r.add_argument("--regress")
    r.add_argument("--timeout", type=float, default=60)
    r.add_argument("--slowest", type=int, default=3)
    r.add_argument("--max-diffs", type=int, default=20)
    args = ap.parse_args()
    sys.exit(prepare(args) if args.cmd == "prepare" else run(args))


if __name__ == "__main__":
    main()
