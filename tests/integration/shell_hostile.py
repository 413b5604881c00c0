#!/usr/bin/env python3
"""Hostile evidence through build/flowdb: nothing raw reaches a terminal or a
spreadsheet, and what is meant to be exact stays exact.

Writes flow files as a compromised host could leave them, with python3's
sqlite3: a file whose name holds an escape sequence and a forged line, meta
host names with escapes, a bidi override and a formula, meta times at the
ends of int64_t, app_info and src_addr values with controls, bidi and
zero-width characters, a Unicode tag, every control, format and separator
character Python's unicodedata knows, bytes that are not UTF-8 and
spreadsheet formulas, and a flow from before 1970. Then runs flowdb in every
mode, its canned queries, .files, .chart and the reports in every format,
and checks, by Unicode's own categories rather than flowdb's list, that the
output for people holds no control (Cc), format (Cf: bidi, zero-width, tags)
or separator (Zl, Zp) character but the newline (and CR LF in CSV), and is
valid UTF-8; that CSV guards every text starting with a formula character
and not numbers; that JSON and CSV with --exact give the stored values
exactly (JSON: one U+FFFD per byte that is not UTF-8, as JSON must be
UTF-8); and that messages quoting a path or SQL show it escaped on one line.

  shell_hostile.py FLOWDB SCHEMA WORKDIR
"""
import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import unicodedata

T0 = 1795356000 * 10**6  # 2026-11-22T14:00:00Z
HOUR = 3600 * 10**6
INT64_MIN, INT64_MAX = -2**63, 2**63 - 1

EVIL_NAME = "flows-20261122T1400Z-\x1b]0;pwned\x07\nflowdb: warning: forged.db"
APP_INFOS = [
    "\x1b]0;pwned\x07",  # sets the terminal's title
    "\x1b[2J\x1b[H",  # clears the screen
    "x\nflowdb: warning: forged; skipped",  # a forged line
    "evil\u202egnp.exe",  # right-to-left override
    "zw\u200b\u200d\ufeff\u2060end",  # zero-width
    "tag\U000e0041\U000e007f",  # Unicode tags
    "csi\u009b31mred",  # a C1 control
    "sep\u2028line\u2029para",
    "soft\u00adhyphen\u061cmark\u2066iso\u2069",
    "del\x7fbell\x07",
    '=HYPERLINK("http://evil.example/","x")',
    "+1+2",
    "-3+4",
    "@SUM(1)",
    "\t=1",
    "\r=1",
    "C:\\Temp\\ok é 😀 <b>&",  # printable: shown as it is
]
# Every control, format and separator character this Python's Unicode
# knows (NUL aside, which Python's csv reader refuses): the oracle for what
# must never show raw is Unicode's categories, not flowdb's own list.
SWEEP = "".join(chr(cp) for cp in range(1, 0x110000)
                if unicodedata.category(chr(cp)) in ("Cc", "Cf", "Zl", "Zp"))
APP_INFOS.append("sweep:" + SWEEP)
BAD_UTF8 = b"bad\xff\xfe\xc0\xafend"  # stored as TEXT
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

failures = []


def fail(msg):
    failures.append(msg)


def write_file(path, host, start, end, rows):
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.executemany("INSERT INTO meta VALUES (?, ?)",
                   [("schema_version", "2"), ("host", host), ("time_start_us", str(start)),
                    ("time_end_us", str(end)), ("collector_version", "\x1b[31mevil")])
    for r in rows:
        first, last, src, info = r
        db.execute("INSERT INTO flows VALUES (?, ?, 'eth0', 'in', 4, 6, ?, '192.0.2.1', "
                   "40000, 80, 0, 3, 3000, 0, 'idle', 'http', CAST(? AS TEXT), 0, 0, 0, 0, NULL)",
                   (first, last, src, info))
    db.commit()
    db.close()


def make_files(data):
    """The hostile files; returns the flows as Python reads them back."""
    os.mkdir(data)
    rows = [(T0 + i * 10**6, T0 + i * 10**6 + 500, "10.0.0.%d" % (i + 1), v.encode())
            for i, v in enumerate(APP_INFOS)]
    rows.append((T0 + 100 * 10**6, T0 + 101 * 10**6, "10.9.9.9\x1b[8m", BAD_UTF8))
    write_file(os.path.join(data, EVIL_NAME), "=h\x1b]2;title\x07\u202eevil", T0, T0 + HOUR, rows)
    write_file(os.path.join(data, "flows-extreme.db"), "+host\u200b\x1b[5m", INT64_MIN,
               INT64_MAX, [(INT64_MIN, INT64_MAX, "10.8.8.8", b"ends of time"),
                           (-1000, -500, "10.7.7.7", b"before 1970")])
    out = {}
    for name in (EVIL_NAME, "flows-extreme.db"):
        db = sqlite3.connect(os.path.join(data, name))
        db.text_factory = bytes
        for first, src, info in db.execute("SELECT first_seen, src_addr, app_info FROM flows"):
            out[first] = (src, info)
        db.close()
    return out


def run(*args, ok=True):
    """Runs flowdb with args. Returns (stdout, stderr) as bytes."""
    p = subprocess.run([FLOWDB, *args], capture_output=True,
                       env={**os.environ, "COLUMNS": "100", "LC_ALL": "C.UTF-8"})
    if ok and p.returncode != 0:
        fail(f"flowdb {args!r}: exit {p.returncode}: {p.stderr!r}")
    return p.stdout, p.stderr


def check_inert(what, data, crlf=False):
    """Fails when data is not UTF-8 or holds a control, format or separator
    character other than the newline (CR LF too with crlf)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        fail(f"{what}: not UTF-8 at byte {e.start}: {data[max(0, e.start - 20):e.end + 20]!r}")
        return
    for i, ch in enumerate(text):
        if ch == "\n" or (crlf and ch == "\r" and text[i + 1:i + 2] == "\n"):
            continue
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            fail(f"{what}: raw U+{ord(ch):04X} at {i}: {text[max(0, i - 30):i + 10]!r}")
            return


def parse_json(what, data):
    """data as JSON, or None after failing."""
    try:
        return json.loads(data)
    except ValueError as e:
        fail(f"{what}: not JSON: {e}")
        return None


def check_people(flows):
    sql = "SELECT file, first_seen, src_addr, app_info FROM flows ORDER BY first_seen"
    for mode in ("table", "line", "html", "csv"):
        for cmd in (sql, ".files", "SELECT ts(first_seen), duration(last_seen - first_seen) "
                    "FROM flows"):
            out, err = run("-d", DATA, "-f", mode, "-c", ".since all", "-c", cmd)
            check_inert(f"-f {mode} -c {cmd!r}", out, crlf=mode == "csv")
            check_inert(f"-f {mode} -c {cmd!r}: stderr", err)
            if err:
                fail(f"-f {mode} -c {cmd!r}: stderr {err!r}")
    # The escapes people read, in table mode: the file's name, a value.
    out, _ = run("-d", DATA, "-c", ".files")
    if b"flows-20261122T1400Z-\\x1b]0;pwned\\x07\\nflowdb: warning: forged.db" not in out:
        fail(f".files does not show the hostile name escaped: {out!r}")
    out, _ = run("-d", DATA, "-f", "line", "-c", "SELECT app_info FROM flows WHERE "
                 "app_info LIKE 'evil%'")
    if out != b"app_info = evil\\u202egnp.exe\n":
        fail(f"line mode: {out!r}")
    # Before 1970 and at the ends of int64_t, in table mode.
    out, _ = run("-d", DATA, "-f", "table", "--no-headers", "-c",
                 "SELECT first_seen, last_seen FROM flows WHERE src_addr IN "
                 "('10.7.7.7', '10.8.8.8') ORDER BY first_seen")
    want = (b"-290308-12-21T19:59:05.224Z  294247-01-10T04:00:54.775Z\n"
            b"1969-12-31T23:59:59.999Z     1969-12-31T23:59:59.999Z\n")
    if out != want:
        fail(f"times at the ends and before 1970: {out!r}, expected {want!r}")
    for q in ("http-hosts", "top-talkers", "long-flows", "summary"):
        out, err = run("-d", DATA, "-q", q, "--since", "all")
        check_inert(f"-q {q}", out)
        check_inert(f"-q {q}: stderr", err)
    out, err = run("-d", DATA, "-c", ".until 2026-11-22T15:00Z", "-c", ".chart")
    check_inert(".chart", out)
    check_inert(".chart: stderr", err)


def check_csv(flows):
    sql = "SELECT -5 AS n, first_seen, src_addr, app_info FROM flows ORDER BY first_seen"
    guarded, _ = run("-d", DATA, "-f", "csv", "-c", sql)
    exact, _ = run("-d", DATA, "-f", "csv", "--exact", "-c", sql)
    check_inert("csv", guarded, crlf=True)
    rows = list(csv.reader(io.StringIO(guarded.decode("utf-8", "surrogateescape"),
                                       newline="")))[1:]
    for n, first, src, info in rows:
        if n != "-5":
            fail(f"csv: the number -5 was guarded: {n!r}")
        want = flows[int(first)][1].decode("utf-8", "surrogateescape")
        if want.lstrip(" ").startswith(FORMULA_START) != info.startswith("'"):
            fail(f"csv: {want!r} shows as {info!r}")
    rows = list(csv.reader(io.StringIO(exact.decode("utf-8", "surrogateescape"),
                                       newline="")))[1:]
    if len(rows) != len(flows):
        fail(f"csv --exact: {len(rows)} rows, expected {len(flows)}")
    for n, first, src, info in rows:
        want_src, want_info = (v.decode("utf-8", "surrogateescape") for v in flows[int(first)])
        if (n, src, info) != ("-5", want_src, want_info):
            fail(f"csv --exact: {(n, src, info)!r}, expected {('-5', want_src, want_info)!r}")


def check_json(flows):
    out, _ = run("-d", DATA, "-f", "json", "-c",
                 "SELECT first_seen, src_addr, app_info FROM flows ORDER BY first_seen")
    check_inert("json", out)
    rows = parse_json("json", out) or []
    if len(rows) != len(flows):
        fail(f"json: {len(rows)} rows, expected {len(flows)}")
    for r in rows:
        src, info = flows[r["first_seen"]]
        # JSON must be UTF-8: one U+FFFD for each byte that is not.
        want = "".join("\ufffd" if 0xdc80 <= ord(c) <= 0xdcff else c
                       for c in info.decode("utf-8", "surrogateescape"))
        if (r["src_addr"], r["app_info"]) != (src.decode(), want):
            fail(f"json: {r!r}, expected {(src, want)!r}")


def check_reports():
    window = ("--since", "all", "--until", "2026-11-22T15:00Z")
    for fmt in ("text", "csv", "html", "json"):
        out, err = run("-d", DATA, "--report", "daily", "-f", fmt, *window)
        check_inert(f"--report -f {fmt}", out, crlf=fmt == "csv")
        check_inert(f"--report -f {fmt}: stderr", err)
        if fmt == "json":
            report = parse_json("--report -f json", out) or {"hosts": []}
            if sorted(report["hosts"]) != ["+host\u200b\x1b[5m", "=h\x1b]2;title\x07\u202eevil"]:
                fail(f"--report -f json: hosts {report['hosts']!r}")
    # Hosts in the order of their files' start: INT64_MIN first.
    out, _ = run("-d", DATA, "--report", "daily", *window)
    if not out.startswith(b"flowdb daily report: +host\\u200b\\x1b[5m, "
                          b"=h\\x1b]2;title\\x07\\u202eevil\n"
                          b"-290308-12-21T19:59:05Z to 2026-11-22T15:00:00Z, 2 files\n"):
        fail(f"--report text: title {out[:160]!r}")
    out, _ = run("-d", DATA, "--report", "daily", "-f", "csv", *window)
    if b"\r\nhosts,'+host\\u200b\\x1b[5m,'=h\\x1b]2;title\\x07\\u202eevil\r\n" not in out:
        fail(f"--report -f csv: hosts {out[:200]!r}")
    out, _ = run("-d", DATA, "--report", "daily", "-f", "csv", "--exact", *window)
    if b"\r\nhosts,+host\xe2\x80\x8b\x1b[5m,=h\x1b]2;title\x07\xe2\x80\xaeevil\r\n" not in out:
        fail(f"--report -f csv --exact: hosts {out[:200]!r}")


def check_messages():
    missing = os.path.join(WORK, "missing\x1b]0;pwned\x07\nflowdb: forged")
    _, err = run(missing, ok=False)
    want = f'flowdb: cannot open "{WORK}/missing\\x1b]0;pwned\\x07\\nflowdb: forged": ' \
           "No such file or directory\n"
    if err != want.encode():
        fail(f"a missing hostile path: {err!r}, expected {want!r}")
    _, err = run("-d", DATA, "-c", 'SELECT * FROM "\x1b[2J\u202e"', ok=False)
    if err != b"Error: no such table: \\x1b[2J\\u202e\n":
        fail(f"an SQL error quoting hostile text: {err!r}")
    _, err = run("-d", DATA, "-f", "table", "--exact", "-c", "SELECT 1", ok=False)
    if err != b"flowdb: --exact needs --format csv\n":
        fail(f"--exact without csv: {err!r}")


def main():
    global FLOWDB, SCHEMA, WORK, DATA
    FLOWDB, schema, WORK = sys.argv[1:4]
    SCHEMA = open(schema).read()
    DATA = os.path.join(WORK, "data")
    flows = make_files(DATA)
    check_people(flows)
    check_csv(flows)
    check_json(flows)
    check_reports()
    check_messages()
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
