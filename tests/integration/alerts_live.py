#!/usr/bin/env python3
"""Helpers of alerts_live.sh, the alert sinks' receivers and the check that
each got exactly the alerts table's rows:

  webhook ADDR PORT OUT     an HTTP server taking POSTs: each body one line of
                            OUT, answered 204; "# ready" on stdout once it listens
  syslog PATH OUT           binds the unix datagram socket PATH: each datagram
                            one line of OUT; "# ready" once bound
  compare TABLE NAME=FILE...  TABLE holds the alerts table's "rule,key,time"
                            rows (CSV, time in microseconds); each FILE must
                            hold exactly those alerts, once each: JSON lines
                            (jsonl, command, webhook) or syslog messages
"""
import calendar
import csv
import http.server
import json
import os
import re
import socket
import sys


def webhook(addr, port, out):
    """Serves until killed; every POST body is a line of out."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with open(out, "ab") as f:
                f.write(body.rstrip(b"\n") + b"\n")
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer((addr, int(port)), Handler)
    print("# ready", flush=True)
    server.serve_forever()


def syslog(path, out):
    """Receives until killed; every datagram is a line of out."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    print("# ready", flush=True)
    while True:
        msg = s.recv(65536)
        with open(out, "ab") as f:
            f.write(msg.replace(b"\n", b" ") + b"\n")


# "... alert RULE severity S key K (SIDE) metric M value V > T in W at TIME example ..."
SYSLOG = re.compile(r"^<\d+>.*? flowdb-collector\[\d+\]: alert (\S+) severity \S+ key (\S+) "
                    r"\((?:src|dst)\) .* at (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})Z example ")


def parse_sink(path):
    """The (rule, key, time_us) of every alert in a sink's file."""
    got = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            if line.startswith("<"):
                m = SYSLOG.match(line)
                if not m:
                    raise ValueError(f"{path}: not an alert message: {line!r}")
                secs = calendar.timegm(tuple(map(int, re.split("[-T:]", m.group(3)))) +
                                       (0, 0, 0))
                got.append((m.group(1), m.group(2), secs * 1000000 + int(m.group(4))))
            else:
                a = json.loads(line)
                got.append((a["rule"], a["key"], a["time_us"]))
    return got


def compare(table, sinks):
    """Exit 0 when every sink holds exactly the table's alerts, once each."""
    with open(table, newline="") as f:
        want = sorted((r[0], r[1], int(r[2])) for r in csv.reader(f) if r)
    ok = True
    for spec in sinks:
        name, path = spec.split("=", 1)
        got = sorted(parse_sink(path)) if os.path.exists(path) else []
        if got != want:
            print(f"sink {name}: {got}, the alerts table: {want}", file=sys.stderr)
            ok = False
        else:
            print(f"sink {name}: the {len(got)} alerts of the table, once each")
    return 0 if ok else 1


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "webhook" and len(sys.argv) == 5:
        webhook(*sys.argv[2:])
    elif cmd == "syslog" and len(sys.argv) == 4:
        syslog(*sys.argv[2:])
    elif cmd == "compare" and len(sys.argv) >= 4:
        sys.exit(compare(sys.argv[2], sys.argv[3:]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
