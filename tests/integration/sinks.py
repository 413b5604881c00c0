#!/usr/bin/env python3
"""The alert sinks for real, through build/tests/sinkdrive (policy/sink.c):
a webhook server here on 127.0.0.1, a syslog socket bound here, a JSON
lines file, commands run by /bin/sh. Alerts with hostile strings are made
here, and every JSON line is checked against Python's json module and
Python's own UTF-8 decoding. Usage: sinks.py TOP WORK; exit 0 or 1."""
import datetime
import http.server
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time

TOP, WORK = sys.argv[1], sys.argv[2]
DRIVE = os.path.join(TOP, "build/tests/sinkdrive")
LOG_LOCAL3 = 19 << 3
LEVELS = {"critical": 2, "high": 3, "medium": 4}  # LOG_CRIT, LOG_ERR, LOG_WARNING
LOG_NOTICE = 5
FIELDS = ["time", "time_us", "rule", "severity", "key", "side", "metric", "value",
          "threshold", "window_us", "first_seen_us", "last_seen_us", "example", "action",
          "suppressed", "line"]
# Times from the epoch to the end of year 9999, which Python's datetime reaches.
YEAR_10000_US = 253402300800 * 1000000
drivers = []


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def wait(cond, what, timeout=10.0):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            fail("timed out waiting for " + what)
        time.sleep(0.02)


# --- alerts ------------------------------------------------------------------
rng = random.Random(int(os.environ.get("SINKS_SEED", "17")))
PIECES = [bytes([b]) for b in range(1, 0x80)] + [
    b'"', b"\\", b"\x7f", b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80", b"\xf4\x8f\xbf\xbf",
    b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82", b"\xf0\x9f\x98",
    b"\xff", b"\xfe", b"\x80", b"\xc2", b"\xef\xbf\xbd", b"\xe2\x80\xa8"]


def hostile(maxlen):
    out = b""
    while True:
        p = rng.choice(PIECES)
        if len(out) + len(p) > maxlen or rng.random() < 0.03:
            return out
        out += p


def number():
    return rng.choice([0.0, 150.0, 1e15, 1e17, 0.1, 1 / 3, 2.5e-8, 1e300, 5e-324, -12.75,
                       rng.uniform(0, 1e6), float(rng.randrange(1 << 60)),
                       rng.random() * 10 ** rng.randrange(-30, 30)])


def make_alert(i):
    sev = rng.choice(list(LEVELS) + ["low", hostile(20)])
    return {"time_us": rng.randrange(YEAR_10000_US), "rule": hostile(63) or b"r",
            "severity": sev.encode() if isinstance(sev, str) else sev,
            "key": hostile(45), "side": rng.choice([b"src", b"dst", hostile(10)]),
            "metric": hostile(31), "value": number(), "threshold": number(),
            "window_us": rng.randrange(1 << 64), "first_us": rng.randrange(1 << 64),
            "last_us": rng.randrange(1 << 64), "example": hostile(127),
            "action": hostile(95), "suppressed": i, "line": rng.randrange(1 << 32)}


def hexs(b):
    return b.hex() if b else "-"


def alert_line(a):
    return "alert %d %s %s %s %s %s %r %r %d %d %d %s %s %d %d\n" % (
        a["time_us"], hexs(a["rule"]), hexs(a["severity"]), hexs(a["key"]), hexs(a["side"]),
        hexs(a["metric"]), a["value"], a["threshold"], a["window_us"], a["first_us"],
        a["last_us"], hexs(a["example"]), hexs(a["action"]), a["suppressed"], a["line"])


def iso(us):
    t = datetime.datetime.fromtimestamp(us // 1000000, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (us % 1000000)


def expected(a):
    s = lambda b: b.decode("utf-8", errors="replace")
    return [("time", iso(a["time_us"])), ("time_us", a["time_us"]), ("rule", s(a["rule"])),
            ("severity", s(a["severity"])), ("key", s(a["key"])), ("side", s(a["side"])),
            ("metric", s(a["metric"])), ("value", a["value"]), ("threshold", a["threshold"]),
            ("window_us", a["window_us"]), ("first_seen_us", a["first_us"]),
            ("last_seen_us", a["last_us"]), ("example", s(a["example"])),
            ("action", s(a["action"])), ("suppressed", a["suppressed"]), ("line", a["line"])]


def no_constant(name):
    raise ValueError("JSON constant " + name)


def check_json(body, a, what):
    """body (bytes, one JSON object) holds exactly a's fields, in order."""
    try:
        text = body.decode("utf-8")
        got = json.loads(text, object_pairs_hook=list, parse_constant=no_constant)
    except ValueError as e:
        fail("%s: not JSON (%s): %r" % (what, e, body))
    want = expected(a)
    if [k for k, _ in got] != FIELDS or got != want:
        fail("%s: %r\n  is not %r" % (what, got, want))
    for name in ("value", "threshold"):
        tok = re.search(r'"%s":([^,]*),' % name, text).group(1)
        v = a[name]
        if (v == int(v) and abs(v) < 1e17) != bool(re.fullmatch(r"-?[0-9]+", tok)):
            fail("%s: %s %r written %s" % (what, name, v, tok))
    if any(c < 0x20 for c in body):
        fail("%s: a raw control character in %r" % (what, body))


# --- the sinks' ends ---------------------------------------------------------
class Driver:
    """build/tests/sinkdrive with sinks (KIND, TARGET, TIMEOUT_MS, QUEUE, FACILITY)."""

    def __init__(self, *sinks):
        argv = [DRIVE] + [str(x) for s in sinks for x in s]
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        drivers.append(self.p)
        if self.p.stdout.readline() != b"ready\n":
            fail("sinkdrive did not start: %r" % (argv,))

    def send(self, a):
        self.p.stdin.write(alert_line(a).encode())
        self.p.stdin.flush()

    def failures(self):
        """(failures, time spent sending since the last call in us, the longest send)"""
        self.p.stdin.write(b"failures\n")
        self.p.stdin.flush()
        m = re.fullmatch(rb"failures (\d+) send_us (\d+) max_us (\d+)\n", self.p.stdout.readline())
        if not m:
            fail("sinkdrive said no failures line")
        return tuple(int(x) for x in m.groups())

    def close(self):
        """The time sinks_close() took, in seconds."""
        self.p.stdin.close()
        m = re.fullmatch(rb"closed close_us (\d+)\n", self.p.stdout.readline())
        if self.p.wait(30) != 0 or not m:
            fail("sinkdrive did not close cleanly")
        return int(m.group(1)) / 1e6


class Hook:
    """A webhook receiver: HTTP/1.0, every POST's body kept in order; the
    first fail_next POSTs answered 503 (kept in failed)."""

    def __init__(self, port=0, fail_next=0):
        hook = self
        self.bodies, self.failed, self.types, self.fail_next = [], [], [], fail_next
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with hook.lock:
                    status = 503 if hook.fail_next else 200
                    if hook.fail_next:
                        hook.fail_next -= 1
                        hook.failed.append(body)
                    else:
                        hook.bodies.append(body)
                        hook.types.append(self.headers["Content-Type"])
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        # Listening once the constructor returns: nothing to wait for.
        self.srv = http.server.HTTPServer(("127.0.0.1", port), Handler)
        self.port = self.srv.server_address[1]
        self.url = "http://127.0.0.1:%d/alerts" % self.port
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def count(self):
        with self.lock:
            return len(self.bodies)

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def syslog_escape(b, quoted=False):
    out = ""
    for c in b:
        if c == 0x5C or (quoted and c == 0x22):
            out += "\\" + chr(c)
        elif 0x20 <= c < 0x7F:
            out += chr(c)
        else:
            out += "\\x%02x" % c
    return out


def check_syslog(msg, a, pid, what):
    sev = a["severity"].decode("latin-1")
    pri = LOG_LOCAL3 | LEVELS.get(sev, LOG_NOTICE)
    head = r"<%d>(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123]\d \d\d:\d\d:\d\d " \
        r"flowdb-collector\[%d\]: " % (pri, pid)
    body = "alert %s severity %s key %s (%s) metric %s value " % (
        syslog_escape(a["rule"]), syslog_escape(a["severity"]), syslog_escape(a["key"]),
        syslog_escape(a["side"]), syslog_escape(a["metric"]))
    tail = " example \"%s\" suppressed %d action %s" % (
        syslog_escape(a["example"], True), a["suppressed"], syslog_escape(a["action"]))
    m = re.fullmatch(head + re.escape(body) + r"(\S+) > (\S+) in \S+ at \S+" + re.escape(tail),
                     msg.decode("ascii", errors="replace"))
    if not m or float(m.group(2)) != a["value"] or float(m.group(3)) != a["threshold"]:
        fail("%s: syslog message %r" % (what, msg))
    if any(c < 0x20 or c > 0x7E for c in msg):
        fail("%s: syslog message not plain text: %r" % (what, msg))


def lines(path):
    with open(path, "rb") as f:
        return f.read().split(b"\n")[:-1]


# --- the tests ---------------------------------------------------------------
def every_sink():
    """Each alert reaches syslog with its priority, the JSON lines file, the
    command's standard input and the webhook, the same JSON everywhere."""
    n = 40
    hook = Hook()
    log = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    log.bind(os.path.join(WORK, "log"))
    log.settimeout(5)
    jsonl, cmd_out = os.path.join(WORK, "alerts.jsonl"), os.path.join(WORK, "cmd.out")
    d = Driver(("syslog", os.path.join(WORK, "log"), 0, 0, LOG_LOCAL3), ("jsonl", jsonl, 0, 0, 0),
               ("command", "cat >> '%s'" % cmd_out, 2000, 0, 0),
               ("webhook", hook.url, 2000, 0, 0))
    alerts = [make_alert(i) for i in range(n)]
    for i, a in enumerate(alerts):
        d.send(a)
        check_syslog(log.recv(65536), a, d.p.pid, "alert %d" % i)
    wait(lambda: hook.count() == n, "%d webhook POSTs" % n)
    wait(lambda: os.path.exists(cmd_out) and len(lines(cmd_out)) == n, "%d commands" % n)
    if d.failures()[0] != 0:
        fail("every sink: failures counted")
    d.close()
    log.close()
    hook.stop()
    file_lines = lines(jsonl)
    if file_lines != hook.bodies or lines(cmd_out) != hook.bodies:
        fail("the JSON lines file, the commands' input and the webhook bodies differ")
    if len(hook.bodies) != n or set(hook.types) != {"application/json"}:
        fail("webhook: %d bodies, types %r" % (len(hook.bodies), set(hook.types)))
    for i, (body, a) in enumerate(zip(hook.bodies, alerts)):
        check_json(body, a, "alert %d" % i)
    print("every sink: %d hostile alerts, the same JSON on each, as Python reads it" % n)


def webhook_down_then_up():
    """A server that is not there yet, then answers 503 twice, gets
    every alert once, in order; each failed attempt is counted."""
    n, port = 20, free_port()
    d = Driver(("webhook", "http://127.0.0.1:%d/x" % port, 1000, 100, 0))
    alerts = [make_alert(i) for i in range(n)]
    for a in alerts:
        d.send(a)
    wait(lambda: d.failures()[0] >= 2, "two failed attempts")
    before = d.failures()[0]
    hook = Hook(port, fail_next=2)
    wait(lambda: hook.count() == n, "the alerts after the server came up", 30)
    after = d.failures()[0]
    d.close()
    hook.stop()
    # An attempt refused just before the server came up is one more.
    if after - before not in (2, 3) or len(hook.failed) != 2:
        fail("503s: %d failures counted for %d answered" % (after - before, len(hook.failed)))
    if len(hook.bodies) != n:
        fail("webhook got %d bodies, not %d" % (len(hook.bodies), n))
    for i, (body, a) in enumerate(zip(hook.bodies, alerts)):
        check_json(body, a, "late alert %d" % i)
    print("webhook: server down then 503 x2: all %d alerts once in order, %d failures" %
          (n, after))


def webhook_overflow():
    """A queue of 5 with the server down: the oldest are dropped, counted;
    the newest arrive once it is up."""
    n, port = 20, free_port()
    d = Driver(("webhook", "http://127.0.0.1:%d/x" % port, 1000, 5, 0))
    alerts = [make_alert(i) for i in range(n)]
    for a in alerts:
        d.send(a)
    dropped = d.failures()[0]
    if dropped < n - 6:
        fail("overflow: %d failures counted, not at least %d" % (dropped, n - 6))
    # Both the drops and the failed attempts are counted: n - 6 or n - 5
    # dropped (whether the worker took an alert before the rest came),
    # then one failed attempt or two.
    wait(lambda: d.failures()[0] >= n - 4, "a failed attempt")
    hook = Hook(port)
    wait(lambda: hook.count() >= 5 and hook.bodies[-1] and
         json.loads(hook.bodies[-1])["suppressed"] == n - 1, "the newest alerts", 30)
    total = d.failures()[0]
    d.close()
    hook.stop()
    got = [json.loads(b)["suppressed"] for b in hook.bodies]
    # The worker may have taken one alert, which it keeps trying, before
    # the others came.
    if got[-5:] != list(range(n - 5, n)) or len(got) > 6 or \
            (len(got) == 6 and got[0] >= n - 5):
        fail("overflow: got alerts %r" % got)
    if total < n - len(got) + 1:
        fail("overflow: %d failures for %d dropped" % (total, n - len(got)))
    for body in hook.bodies:
        i = json.loads(body)["suppressed"]
        check_json(body, alerts[i], "kept alert %d" % i)
    print("webhook: queue 5, %d sent while down: %d dropped and counted, the newest %d arrive" %
          (n, n - len(got), len(got)))


def close_drains():
    """sinks_close() delivers what is queued; to a server that is down it
    gives up at the timeout."""
    n = 50
    hook = Hook()
    d = Driver(("webhook", hook.url, 3000, 100, 0))
    for i in range(n):
        d.send(make_alert(i))
    d.close()
    hook.stop()
    if hook.count() != n:
        fail("close: %d of %d queued alerts delivered" % (hook.count(), n))
    d = Driver(("webhook", "http://127.0.0.1:%d/x" % free_port(), 500, 100, 0))
    for i in range(3):
        d.send(make_alert(i))
    took = d.close()
    if not 0.4 <= took <= 1.5:
        fail("close with the server down took %.3f s, not its timeout 0.5 s" % took)
    print("close: %d queued alerts delivered; down: gave up after %.2f s" % (n, took))


def pid_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None


def command_hangs():
    """A command that hangs is killed with its process group at its timeout,
    sending never waits for it, a full queue drops alerts, all counted."""
    n, timeout = 100, 0.3
    pids = os.path.join(WORK, "pids")
    d = Driver(("command", "sleep 100 & echo $$ $! >> '%s'; wait" % pids, int(timeout * 1000),
                3, 0))
    start = time.monotonic()
    for i in range(n):
        d.send(make_alert(i))
    _, send_us, max_us = d.failures()
    if send_us > timeout * 1e6 / 10:
        fail("sending %d alerts to a hanging command took %d us" % (n, send_us))
    wait(lambda: d.failures()[0] == n, "%d failures" % n, 10)
    took = time.monotonic() - start
    runs = [tuple(map(int, l.split())) for l in lines(pids)]
    if len(runs) not in (3, 4) or not len(runs) * timeout - 0.05 <= took <= len(runs) * timeout + 1.5:
        fail("%d commands run in %.3f s" % (len(runs), took))
    for sh, sleep in runs:
        if pid_state(sh) is not None:
            fail("command %d left as %s" % (sh, pid_state(sh)))
        if pid_state(sleep) not in (None, "Z"):
            fail("its sleep %d still runs" % sleep)
    if d.close() > 0.1:
        fail("close waited with nothing queued")
    print("command: %d alerts sent in %d us (longest %d us); %d runs killed at %.1f s, %d dropped"
          % (n, send_us, max_us, len(runs), timeout, n - len(runs)))


def command_fails():
    """A command that exits non-zero is counted, each time."""
    d = Driver(("command", "cat >/dev/null; exit 3", 2000, 0, 0))
    for i in range(5):
        d.send(make_alert(i))
    wait(lambda: d.failures()[0] == 5, "5 failures")
    d.close()
    if d.p.returncode != 0:
        fail("sinkdrive failed")
    print("command: exit 3 counted 5 times of 5")


def main():
    try:
        every_sink()
        webhook_down_then_up()
        webhook_overflow()
        close_drains()
        command_hangs()
        command_fails()
    finally:
        for p in drivers:
            if p.poll() is None:
                p.kill()
                p.wait()
        try:
            # A command left by a failed test: its shell leads its group.
            for l in lines(os.path.join(WORK, "pids")):
                try:
                    os.killpg(int(l.split()[0]), signal.SIGKILL)
                except ProcessLookupError:
                    pass
        except FileNotFoundError:
            pass


if __name__ == "__main__":
    main()
