"""The interactive flowdb shell under a real terminal, as a person uses it.

    python3 shell_interactive.py FLOWDB DATA_DIR HOME_DIR

Runs FLOWDB -d DATA_DIR under a pty (tests/lib/ptyrun.py) with HOME set to
HOME_DIR, TERM=xterm and an empty inputrc, three times: a working session
ended by .quit, one that recalls the first one's history and quits by it,
and one ended by Ctrl-D. Every expected value comes from the *.db files in
DATA_DIR, read here with sqlite3. Exit status: 0, or 1 after printing the
step that failed and what the shell wrote.
"""

import datetime
import os
import re
import sqlite3
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ptyrun  # noqa: E402

PROMPT = r"flowdb> \Z"  # the last thing written when the shell waits for a line
MORE = r"\n   \.\.\.> \Z"  # the continuation prompt
UP, DOWN, CTRL_D, CTRL_R = "\x1b[A", "\x1b[B", "\x04", "\x12"


class Failed(Exception):
    """The shell did not do what a step expected."""


def check(ok, message):
    """Raises Failed with message unless ok."""
    if not ok:
        raise Failed(message)


def truth(data_dir):
    """Reads the expected values from the flow files in data_dir: a dict of
    files (how many), start and end (the greeting's time range, as text),
    count, bytes, packets (over every flow) and top (the first row of the
    top-talkers query: host, flows, packets)."""
    names = sorted(n for n in os.listdir(data_dir) if n.endswith(".db"))
    rows, starts, ends = [], [], []
    for name in names:
        db = sqlite3.connect(f"file:{os.path.join(data_dir, name)}?mode=ro", uri=True)
        meta = dict(db.execute("SELECT key, value FROM meta"))
        starts.append(int(meta["time_start_us"]))
        ends.append(int(meta["time_end_us"]))
        rows += db.execute("SELECT src_addr, packets, bytes FROM flows").fetchall()
        db.close()
    talkers = {}
    for src, packets, nbytes in rows:
        t = talkers.setdefault(src, [0, 0, 0])
        t[0] += 1
        t[1] += packets
        t[2] += nbytes
    top = min(talkers, key=lambda h: (-talkers[h][2], h))

    def iso(us):
        """Formats us as the greeting does: whole seconds, UTC."""
        t = datetime.datetime.fromtimestamp(us // 10**6, datetime.timezone.utc)
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")

    return {
        "files": len(names),
        "start": iso(min(starts)),
        "end": iso(max(ends)),
        "count": len(rows),
        "packets": sum(r[1] for r in rows),
        "bytes": sum(r[2] for r in rows),
        "top": (top, talkers[top][0], talkers[top][1]),
    }


def table(header, *values):
    """Returns a regex for a one-row table result: the header (a regex),
    its dashes, then the row's values separated by blanks."""
    return (header + r"\n[- ]+\n *" + r" +".join(re.escape(str(v)) for v in values) +
            r"\n")


def start(flowdb, data_dir, env, t):
    """Starts the shell and checks its greeting and first prompt against t."""
    version = subprocess.run([flowdb, "-V"], capture_output=True, text=True,
                             check=True).stdout.split()[1]
    p = ptyrun.start([flowdb, "-d", data_dir], env)
    m = p.expect(r"flowdb (\S+): (\d+) files?, (\S+) to (\S+)\. "
                 r"Enter \"\.help\" for help\.\n")
    check(m.group(1) == version, f"greeting shows version {m.group(1)}, -V {version}")
    check(int(m.group(2)) == t["files"], f"greeting counts {m.group(2)} files, "
          f"not {t['files']}")
    check((m.group(3), m.group(4)) == (t["start"], t["end"]),
          f"greeting shows {m.group(3)} to {m.group(4)}, not {t['start']} to {t['end']}")
    p.expect(PROMPT)
    return p


def first_session(p, t):
    """Steps b to g: queries, completion, an error, history, continuation,
    .quit. Yields each step's name before running it."""
    yield "b: a query"
    p.send("SELECT count(*), sum(bytes) FROM flows;\r")
    p.expect(table(r"count\(\*\) +sum\(bytes\)", t["count"], t["bytes"]))
    p.expect(PROMPT)

    yield "c: completing a column and a table"
    p.send("SELECT sum(pack\t")
    p.expect(r"SELECT sum\(packets")
    p.send(") FROM flo\t")
    p.expect(r"\) FROM flows")
    p.send(";\r")
    p.expect(table(r"sum\(packets\)", t["packets"]))
    p.expect(PROMPT)

    yield "c: completing a canned query's name"
    p.send(".q top-t\t")
    p.expect(r"\.q top-talkers")
    p.send("\r")
    p.expect(r"host +flows +packets +bytes\n[- ]+\n" +
             r" +".join(re.escape(str(v)) for v in t["top"]) + r" ")
    p.expect(PROMPT)

    yield "c: completing a dot-command"
    p.send(".mo\t")
    p.expect(r"\.mode")
    p.send("\r")
    p.expect(r"\ntable\n")
    p.expect(PROMPT)

    yield "d: an SQL error, then SQL"
    p.send("SELEC 1;\r")
    p.expect(r'\nError: near "SELEC": syntax error\n')
    p.expect(PROMPT)
    p.send("SELECT 41 + 1;\r")
    p.expect(table(r"41 \+ 1", 42))
    p.expect(PROMPT)

    yield "e: the up arrow recalls the statement before"
    p.send(UP)
    p.expect(r"SELECT 41 \+ 1;")
    p.send("\r")
    p.expect(table(r"41 \+ 1", 42))
    p.expect(PROMPT)

    yield "e: Ctrl-R finds an older statement"
    p.send(CTRL_R + "sum(bytes)")
    p.expect(r"reverse-i-search")
    p.send("\r")
    p.expect(table(r"count\(\*\) +sum\(bytes\)", t["count"], t["bytes"]))
    p.expect(PROMPT)

    yield "f: Ctrl-C drops a half-typed statement"
    p.send("SELECT 7 +\r")
    p.expect(MORE)
    p.send("\x03")
    p.expect(PROMPT)
    p.send("SELECT 5 AS five;\r")
    p.expect(table(r"five", 5))
    p.expect(PROMPT)

    yield "f: a statement on two lines"
    p.send("SELECT\r")
    p.expect(MORE)
    p.send("count(*) FROM flows;\r")
    p.expect(table(r"count\(\*\)", t["count"]))
    p.expect(PROMPT)

    yield "g: .quit"
    p.send(".quit\r")
    status = p.wait()
    check(status == 0, f".quit exited with status {status}")


def main():
    """Runs the three sessions; returns the exit status."""
    flowdb, data_dir, home = sys.argv[1:4]
    t = truth(data_dir)
    inputrc = os.path.join(home, "inputrc")
    open(inputrc, "w").close()  # neither ~/.inputrc nor /etc/inputrc
    env = {"HOME": home, "TERM": "xterm", "INPUTRC": inputrc,
           "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    history = os.path.join(home, ".flowdb_history")
    step = "a: greeting and prompt"
    p = None
    try:
        p = start(flowdb, data_dir, env, t)
        for step in first_session(p, t):
            pass

        step = "g: history written"
        check(os.path.exists(history), f"no history file {history}")
        with open(history) as f:
            lines = f.read().splitlines()
        check("SELECT 41 + 1;" in lines, f"{history} lacks SELECT 41 + 1;: {lines}")
        check(lines[-2:] == ["count(*) FROM flows;", ".quit"],
              f"{history} does not end with the last two lines typed: {lines[-2:]}")

        step = "g: history recalled by the next session"
        p.close()
        p = start(flowdb, data_dir, env, t)
        p.send(UP)
        p.expect(r"\.quit")
        p.send(UP)
        p.expect(r"count\(\*\) FROM flows;")
        p.send(DOWN)
        p.expect(r"\.quit")
        p.send("\r")  # the recalled .quit quits
        status = p.wait()
        check(status == 0, f"the recalled .quit exited with status {status}")

        step = "h: Ctrl-D at an empty prompt"
        p.close()
        p = start(flowdb, data_dir, env, t)
        p.send(CTRL_D)
        status = p.wait()
        check(status == 0, f"Ctrl-D exited with status {status}")
    except (ptyrun.PtyError, Failed) as e:
        print(f"FAIL: step {step}: {e}", file=sys.stderr)
        return 1
    finally:
        if p:
            p.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
