#!/usr/bin/env python3
"""flowdb --follow against a writer that commits as the collector does.

  shell_follow.py FLOWDB DIR TABLE [FORMAT_ARGS...]
  shell_follow.py --pty FLOWDB DIR HOME
  shell_follow.py --closed-pipe FLOWDB DIR

The writer (this script) creates flow files in DIR as the collector's store
does (an empty file, WAL mode, the schema and meta in one transaction, then
one transaction per flush; at rotation a checkpoint and rollback mode, then
the next file, named as flowfile_name() names them), with rows of TABLE
(alerts or events) whose texts hold quotes, a comma, an escape sequence, a
newline and non-ASCII letters. flowdb --follow TABLE reads them, its
standard output a pipe. Checked:
  - rows committed before flowdb started never appear; it starts at the
    end: the first row it prints is one committed after it started;
  - from there every row committed appears exactly once, in commit order,
    across two rotations, its values equal to what was written (JSON
    lines, one object per line, the schema's columns in order);
  - flowdb never stops the writer finishing a file (the switch out of WAL
    mode, which SQLite refuses while another connection has the file);
  - SIGINT ends it with exit 0 and nothing on standard error.
With --closed-pipe, flowdb --follow whose reader has gone ends on its next
row without a word: killed by SIGPIPE, or, with SIGPIPE ignored, exit 0 on
EPIPE. With --pty, the interactive shell under a terminal: .follow prints the
alerts committed after it started as a table (the header once), Ctrl-C
brings the prompt back, and the session goes on.
Exit 0 when everything holds; otherwise the first problem on stderr, 1.
"""
import json
import os
import queue
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time

HOUR_US = 3600 * 10**6
TEXTS = ["plain", "caf\u00e9, \"quoted\"", "\x1b[31mred\x1b[0m", "two\nlines", "\u65e5\u672c"]


def fail(msg):
    sys.exit(f"FAIL {msg}")


class Writer:
    """Flow files written as collector/store.c writes them."""

    def __init__(self, directory, schema, table, rnd):
        self.dir, self.schema, self.table, self.rnd = directory, schema, table, rnd
        self.db = None
        self.time_us = 1796263200 * 10**6  # 2026-12-03T00:00Z
        self.files = []
        self.finish_retries = 0

    def open(self, name):
        path = os.path.join(self.dir, name)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640))
        self.db = sqlite3.connect(path, isolation_level=None, timeout=1.0)
        if self.db.execute("PRAGMA journal_mode=wal").fetchone()[0] != "wal":
            fail("the writer cannot set WAL mode")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(
            "BEGIN IMMEDIATE;" + self.schema +
            ";INSERT INTO meta VALUES ('schema_version', '6'), ('host', 'writer'),"
            " ('interfaces', 'veth0'), ('collector_version', 'test');COMMIT;")
        self.files.append(name)

    def finish(self):
        """Checkpoint and rollback mode, as finish_file() does; SQLite
        refuses the switch while a reader has the file open, so a reader
        may delay it by a read, never for two seconds."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        deadline = time.monotonic() + 2
        while True:
            try:
                if self.db.execute("PRAGMA journal_mode=delete").fetchone()[0] == "delete":
                    break
            except sqlite3.OperationalError:
                pass
            self.finish_retries += 1
            if time.monotonic() > deadline:
                fail("flowdb kept the file open: the writer could not leave WAL mode")
            time.sleep(0.01)
        self.db.close()

    def row(self, tag):
        r, self.time_us = self.rnd, self.time_us + self.rnd.randint(1, 10**6)
        if self.table == "alerts":
            first = self.time_us - r.randint(0, 60 * 10**6)
            return (self.time_us, r.choice(["scan", "syn-flood", "caf\u00e9 \"x\""]) + tag,
                    r.choice(["low", "medium", "high", "critical"]),
                    r.choice(["192.0.2.7", "2001:db8::1", "10.1.2.3"]), r.choice(["src", "dst"]),
                    r.choice(["distinct dst_port", "syn", "anomaly bytes"]),
                    r.randint(0, 10**6) / 8, r.randint(1, 1000) / 4, 60 * 10**6,
                    r.choice([None, first]), r.choice([None, self.time_us]),
                    r.choice([None] + TEXTS), r.choice(["none", "block 10m", "allowed"]),
                    r.randint(0, 50), r.choice([None, r.randint(1, 99)]))
        if self.table == "requests":
            return (self.time_us, "veth0" + tag, r.choice(["in", "out"]), 4, 6,
                    "192.0.2.%d" % r.randint(1, 254), "198.51.100.%d" % r.randint(1, 254),
                    r.randint(1, 65535), r.choice([80, 8080]), 0,
                    r.choice(["GET", "POST", "caf\u00e9"]), r.choice([None] + TEXTS),
                    r.choice([None, "/", "/v1/items"] + TEXTS),
                    r.choice([None, 200, 404, 101]))
        return (self.time_us, r.choice(["syn", "fin", "rst", "policy"]), "veth0" + tag,
                r.choice(["in", "out"]), 4, 6, "192.0.2.%d" % r.randint(1, 254),
                "198.51.100.%d" % r.randint(1, 254), r.randint(1, 65535), r.choice([22, 443]),
                0, r.randint(0, 255), r.choice([None] + TEXTS))

    def commit(self, n, tag=""):
        """One flush: n rows in one transaction. Returns them."""
        rows = [self.row(tag) for _ in range(n)]
        marks = ", ".join("?" * len(rows[0])) if rows else ""
        self.db.execute("BEGIN IMMEDIATE")
        for row in rows:
            self.db.execute(f"INSERT INTO {self.table} VALUES ({marks})", row)
        self.db.execute("COMMIT")
        return rows


def interactive(flowdb, directory, home):
    """.follow under a pty: rows as a table, Ctrl-C back to the prompt."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
    import ptyrun
    schema = open(os.path.join(os.path.dirname(__file__), "..", "..", "schema",
                               "flowdb.sql")).read()
    w = Writer(directory, schema, "alerts", random.Random(5))
    w.open("flows-20261203T0000Z.db")
    w.commit(2, "-before")
    env = {"TERM": "xterm", "HOME": home, "PATH": os.environ.get("PATH", "/usr/bin")}
    with ptyrun.start([flowdb, "-d", directory], env) as p:
        p.expect(r"flowdb> ")
        p.send(".follow\r")
        # Committed until one shows: the follow has started.
        deadline = time.monotonic() + 20
        for n in range(1, 10**6):
            key = f"2001:db8::{n:x}"
            w.db.execute("INSERT INTO alerts VALUES (?, 'probe', 'high', ?, 'src', 'syn', 1.5,"
                         " 1.0, 1000000, NULL, NULL, NULL, 'none', 0, NULL)",
                         (w.time_us, key))
            w.time_us += 1
            try:
                p.expect(r"probe +high +" + re.escape(key), timeout=0.5)
                break
            except ptyrun.PtyError:
                if time.monotonic() > deadline:
                    raise
        w.finish()
        w.open("flows-20261203T0100Z.db")
        w.db.execute("INSERT INTO alerts VALUES (?, 'after-rotation', 'critical', '192.0.2.99',"
                     " 'dst', 'bytes', 2.0e9, 1.0e9, 300000000, NULL, NULL, 'tcp a -> b',"
                     " 'block 10m', 3, 12)", (w.time_us + 10**6,))
        p.expect(r"after-rotation +critical +192\.0\.2\.99 +dst +bytes +"
                 r"2000000000\.0 +1000000000\.0 +300000000 ", timeout=10)
        if "-before" in p.transcript or p.transcript.count("severity") != 1:
            fail(".follow printed a row committed before it started, or the header twice")
        p.send("\x03")
        p.expect(r"flowdb> ")
        p.send("SELECT count(*) AS n FROM alerts WHERE rule = 'after-rotation';\r")
        p.expect(r"n\n-+\n1\n")
        p.expect(r"flowdb> ")
        p.send(".quit\r")
        if p.wait() != 0:
            fail(".quit after .follow did not exit 0")
    w.db.close()
    print("ok   .follow: rows as a table across a rotation, Ctrl-C back to the prompt")
    return 0


def closed_pipe(flowdb, directory):
    """The reader of flowdb's output goes away: flowdb ends quietly."""
    schema = open(os.path.join(os.path.dirname(__file__), "..", "..", "schema",
                               "flowdb.sql")).read()
    w = Writer(directory, schema, "alerts", random.Random(9))
    w.open("flows-20261203T0000Z.db")
    for ignored in (False, True):
        r, wr = os.pipe()
        proc = subprocess.Popen(
            [flowdb, "-d", directory, "--follow"], stdout=wr, stderr=subprocess.PIPE,
            preexec_fn=(lambda: signal.signal(signal.SIGPIPE, signal.SIG_IGN)) if ignored
            else None)
        os.close(wr)
        os.close(r)
        deadline = time.monotonic() + 20
        while proc.poll() is None:
            if time.monotonic() > deadline:
                proc.kill()
                fail(f"flowdb --follow went on writing to a closed pipe (SIGPIPE "
                     f"{'ignored' if ignored else 'default'})")
            w.commit(1)
            time.sleep(0.05)
        err = proc.stderr.read().decode()
        want = 0 if ignored else -signal.SIGPIPE
        if proc.returncode != want or err:
            fail(f"closed pipe, SIGPIPE {'ignored' if ignored else 'default'}: exit "
                 f"{proc.returncode}, expected {want}; stderr {err!r}")
    w.finish()
    print("ok   --follow into a closed pipe: SIGPIPE, or exit 0 on EPIPE, and no message")
    return 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--closed-pipe":
        return closed_pipe(*sys.argv[2:])
    if len(sys.argv) == 5 and sys.argv[1] == "--pty":
        return interactive(*sys.argv[2:])
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    flowdb, directory, table, fmt = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    schema = open(os.path.join(os.path.dirname(__file__), "..", "..", "schema",
                               "flowdb.sql")).read()
    columns = [r[1] for r in sqlite3.connect(":memory:").executescript(schema).execute(
        f"PRAGMA table_info({table})")]
    rnd = random.Random(17)
    w = Writer(directory, schema, table, rnd)
    w.open("flows-20261203T0000Z.db")
    w.commit(5, "-before")
    w.commit(3, "-before")

    proc = subprocess.Popen([flowdb, "-d", directory, "--follow", table, *fmt],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in proc.stdout] and None,
                     daemon=True).start()
    got = []

    def take(timeout):
        try:
            got.append(json.loads(lines.get(timeout=timeout)))
            return True
        except queue.Empty:
            return False

    try:
        # Rows committed one at a time until flowdb prints one: it has
        # started, and the rows it prints are those from then on.
        written = []
        deadline = time.monotonic() + 30
        while not got:
            if time.monotonic() > deadline or proc.poll() is not None:
                fail(f"flowdb printed no row (exit {proc.poll()})")
            written += w.commit(1, "-warm")
            take(0.3)
        # The rows committed before the first one printed are not expected.
        first = tuple(got[0].get(c) for c in columns)
        if first not in written:
            fail(f"the first row printed was not committed after flowdb started: {first}")
        skipped = written.index(first)
        # Batches of every size, some before flowdb caught up with the last;
        # two rotations, the second with a row in the new file at once.
        for b in range(14):
            if b in (5, 10):
                w.finish()
                w.open("flows-20261203T0100Z.db" if b == 5 else "flows-20261203T0100Z.1.db")
            written += w.commit(rnd.choice([0, 1, 2, 7, 40]))
            if rnd.random() < 0.5:
                while len(got) < len(written) - skipped and take(10):
                    pass
        deadline = time.monotonic() + 30
        while len(got) < len(written) - skipped and time.monotonic() < deadline:
            take(0.5)
        take(0.6)  # three more polls: nothing may follow
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=10)
        err = proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    while take(0):
        pass
    if rc != 0 or err:
        fail(f"after SIGINT: exit {rc}, stderr {err!r}")
    if any(list(o) != columns for o in got):
        fail(f"a line's keys are not {table}'s columns: {list(got[0])}")
    got_rows = [tuple(o[c] for c in columns) for o in got]
    want = written[skipped:]
    if got_rows != want:
        for i, (g, x) in enumerate(zip(got_rows, want)):
            if g != x:
                fail(f"row {i}: printed {g}, committed {x} ({len(got_rows)} printed, "
                     f"{len(want)} committed)")
        fail(f"{len(got_rows)} rows printed, {len(want)} committed")
    print(f"ok   --follow {table} {' '.join(fmt)}: {len(want)} rows in {len(w.files)} files, "
          f"each once and in order; {w.finish_retries} finish retries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
