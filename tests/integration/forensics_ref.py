#!/usr/bin/env python3
"""Checks every examples/forensics/*.sql file against an independent reference.

Each file runs through `flowdb -d DIR -f csv -p NAME=VALUE ... < FILE`
(and some with a --since/--until window); its rows are compared, in order
and exactly, with the answer computed here in plain Python from flowgen's
ground truth of every flow record (no SQL, none of flowdb's code). Every
file must have cases here, and the cases that must find something do.

The files' comment blocks are checked too: the question, parameters, an
example command line, and columns listed under "Columns" equal to the
columns the query returns, and every :NAME the SQL uses among the
parameters.

With --sqlite3 FILE.db, every file whose header says it works with the
stock sqlite3 CLI runs through `sqlite3 -readonly` over that one file, with
its parameters set by .param set, and must equal the reference over that
file's records; a file that says "flowdb only" must fail there.

Usage:
  forensics_ref.py --flowdb BIN --dir DIR --flows CSV --examples DIR
                   [--sqlite3 FILE.db]
Exit 0 when everything matches; otherwise the differences go to stderr and
the exit status is 1.
"""
import argparse
import csv
import datetime
import difflib
import glob
import io
import ipaddress
import os
import re
import subprocess
import sys
from collections import defaultdict, namedtuple

USEC = 1000000
HOUR = 3600 * USEC
TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK = 0x01, 0x02, 0x04, 0x10
PORT_PROTOS = (6, 17, 132)
PROTO_NAMES = {6: "tcp", 17: "udp", 132: "sctp"}
# The well-known names of the services flowgen uses, as people call them.
SERVICES = {(6, 443): "https", (17, 443): "quic", (6, 80): "http", (17, 53): "dns",
            (6, 53): "dns", (6, 22): "ssh", (17, 123): "ntp", (6, 3306): "mysql",
            (6, 5432): "postgresql", (6, 8080): "http-alt"}
DIFF_LINES = 30

Flow = namedtuple("Flow", "file first_seen last_seen ifname direction ip_version proto "
                          "src_addr dst_addr src_port dst_port vlan packets bytes tcp_flags "
                          "end_reason")
TEXT = ("file", "ifname", "direction", "src_addr", "dst_addr", "end_reason")


def read_flows(path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if tuple(header[:len(Flow._fields)]) != Flow._fields:
            sys.exit(f"forensics_ref: {path}: unexpected header {header}")
        return [Flow(*(v if n in TEXT else int(v) for n, v in zip(Flow._fields, row)))
                for row in reader]


def in_window(rows, window):
    """The records overlapping [since, until] (either None: unbounded)."""
    if not window:
        return rows
    since, until = window
    return [r for r in rows if (since is None or r.last_seen >= since)
            and (until is None or r.first_seen <= until)]


# --- The reference answers, one function per file -------------------------

def who_talked_to(rows, ip):
    peers = defaultdict(lambda: {"flows": 0, "packets": 0, "sent": 0, "received": 0,
                                 "first": None, "last": None,
                                 "services": defaultdict(int)})
    for r in rows:
        if r.src_addr == ip:
            peer, sent, received = r.dst_addr, r.bytes, 0
        elif r.dst_addr == ip:
            peer, sent, received = r.src_addr, 0, r.bytes
        else:
            continue
        p = peers[peer]
        p["flows"] += 1
        p["packets"] += r.packets
        p["sent"] += sent
        p["received"] += received
        p["first"] = r.first_seen if p["first"] is None else min(p["first"], r.first_seen)
        p["last"] = r.last_seen if p["last"] is None else max(p["last"], r.last_seen)
        port = min(r.src_port, r.dst_port) if r.proto in PORT_PROTOS else None
        p["services"][(r.proto, port)] += r.bytes

    def service(proto, port):
        if proto in PROTO_NAMES:
            return f"{PROTO_NAMES[proto]}/{port}"
        return {1: "icmp", 58: "icmp6"}.get(proto, f"proto-{proto}")

    out = []
    for peer, p in peers.items():
        # Most bytes first, then protocol and port (none first); 8 at most.
        services = sorted(p["services"].items(),
                          key=lambda kv: (-kv[1], kv[0][0], -1 if kv[0][1] is None else kv[0][1]))
        ports = " ".join(service(*s) for s, _ in services[:8])
        if len(services) > 8:
            ports += f" +{len(services) - 8} more"
        out.append((peer, p["flows"], p["packets"], p["sent"], p["received"],
                    p["sent"] + p["received"], p["first"], p["last"], ports))
    out.sort(key=lambda t: (-t[5], t[0]))
    return out


def host_activity(rows, ip):
    out = []
    for r in rows:
        if r.src_addr == ip:
            d, peer, local, remote = "->", r.dst_addr, r.src_port, r.dst_port
        elif r.dst_addr == ip:
            d, peer, local, remote = "<-", r.src_addr, r.dst_port, r.src_port
        else:
            continue
        out.append((r.first_seen, r.last_seen, r.last_seen - r.first_seen, d, peer, r.proto,
                    local, remote, r.packets, r.bytes, r.tcp_flags, r.end_reason, r.ifname,
                    r.direction))
    # The file's ORDER BY: first_seen, last_seen, dir, peer, proto, ports,
    # ifname, direction, then the counters.
    out.sort(key=lambda t: (t[0], t[1], t[3], t[4], t[5], t[6], t[7], t[12], t[13], t[8],
                            t[9], t[10], t[11]))
    return out


def is_probe(r):
    f = r.tcp_flags
    return r.proto == 6 and r.packets <= 3 and f & TCP_SYN and (not f & TCP_ACK or f & TCP_RST)


def scanners(rows, minimum):
    tcp = [r for r in rows if r.proto == 6]
    rst_from = {(r.src_addr, r.src_port, r.dst_addr, r.dst_port)
                for r in tcp if r.tcp_flags & TCP_RST}
    by_src = defaultdict(list)
    for r in tcp:
        if is_probe(r):
            by_src[r.src_addr].append(r)
    out = []
    for src, probes in by_src.items():
        hosts = {p.dst_addr for p in probes}
        ports = {p.dst_port for p in probes}
        targets = {(p.dst_addr, p.dst_port) for p in probes}
        refused = {(p.dst_addr, p.dst_port) for p in probes
                   if (p.dst_addr, p.dst_port, p.src_addr, p.src_port) in rst_from}
        if len(ports) < minimum and len(hosts) < minimum:
            continue
        out.append((src, len(hosts), len(ports), len(targets), len(probes),
                    sum(p.packets for p in probes), len(refused),
                    min(p.first_seen for p in probes), max(p.last_seen for p in probes)))
    out.sort(key=lambda t: (-t[3], t[0]))
    return out


def refused_connections(rows):
    conv = {}
    for r in rows:
        if r.proto != 6:
            continue
        k = (r.src_addr, r.src_port, r.dst_addr, r.dst_port)
        c = conv.setdefault(k, {"syn": False, "ack": False, "rst": False,
                                "first": r.first_seen, "last": r.last_seen})
        c["syn"] |= bool(r.tcp_flags & TCP_SYN)
        c["ack"] |= bool(r.tcp_flags & TCP_ACK)
        c["rst"] |= bool(r.tcp_flags & TCP_RST)
        c["first"] = min(c["first"], r.first_seen)
        c["last"] = max(c["last"], r.last_seen)
    attempts = defaultdict(list)  # host -> [(port, client, refused, reset, unanswered, first, last)]
    for (src, sport, dst, dport), a in conv.items():
        if not a["syn"]:
            continue
        b = conv.get((dst, dport, src, sport))
        # The client sent the first SYN; on a tie, the higher source port.
        if b is not None and b["syn"] and not (
                a["first"] < b["first"] or (a["first"] == b["first"] and sport > dport)):
            continue
        refused = b is not None and b["rst"] and not b["syn"]
        reset = not refused and (a["rst"] or (b is not None and b["rst"]))
        unanswered = b is None and not a["ack"] and not a["rst"]
        first = a["first"] if b is None else min(a["first"], b["first"])
        last = a["last"] if b is None else max(a["last"], b["last"])
        attempts[dst].append((dport, src, int(refused), int(reset), int(unanswered), first, last))
    out = []
    for host, atts in attempts.items():
        bad = sum(t[2] + t[3] for t in atts)
        if not bad:
            continue
        per_port = defaultdict(int)
        for t in atts:
            per_port[t[0]] += t[2] + t[3]
        top_port, top_n = min(((p, n) for p, n in per_port.items() if n),
                              key=lambda pn: (-pn[1], pn[0]))
        out.append((host, len({t[1] for t in atts}), len(atts), sum(t[2] for t in atts),
                    sum(t[3] for t in atts), sum(t[4] for t in atts),
                    len({t[0] for t in atts if t[2] + t[3]}), top_port, top_n,
                    min(t[5] for t in atts), max(t[6] for t in atts)))
    out.sort(key=lambda t: (-(t[3] + t[4]), t[0]))
    return out


def inside(addr, net):
    return ipaddress.ip_address(addr) in net


def top_services(rows, net, limit):
    net = ipaddress.ip_network(net, strict=False)
    groups = defaultdict(lambda: {"flows": 0, "packets": 0, "sent": 0, "received": 0,
                                  "bytes": 0, "hosts": set(), "peers": set()})
    for r in rows:
        if r.proto not in PORT_PROTOS:
            continue
        src_in, dst_in = inside(r.src_addr, net), inside(r.dst_addr, net)
        if not (src_in or dst_in):
            continue
        g = groups[(r.proto, min(r.src_port, r.dst_port))]
        g["flows"] += 1
        g["packets"] += r.packets
        g["bytes"] += r.bytes
        g["sent"] += r.bytes if src_in else 0
        g["received"] += r.bytes if dst_in else 0
        for addr, is_in in ((r.src_addr, src_in), (r.dst_addr, dst_in)):
            g["hosts" if is_in else "peers"].add(addr)
    ranked = sorted(groups.items(), key=lambda kv: (-kv[1]["bytes"], kv[0][0], kv[0][1]))
    out = []
    for (proto, port), g in ranked[:limit]:
        if (proto, port) not in SERVICES and port < 1024:
            sys.exit(f"forensics_ref: no service name known here for {proto}/{port}")
        out.append((PROTO_NAMES[proto], port, SERVICES.get((proto, port)), len(g["hosts"]),
                    len(g["peers"]), g["flows"], g["packets"], g["sent"], g["received"],
                    g["bytes"]))
    return out


def parse_after(value):
    """:after as the SQL file reads it: integer microseconds, or a UTC time
    in whole milliseconds."""
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    m = re.fullmatch(r"(\d{4}-\d\d-\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,3}))?)?Z?", value)
    if not m:
        sys.exit(f"forensics_ref: cannot read the time {value!r} here")
    day = datetime.date.fromisoformat(m.group(1))
    t = datetime.datetime(day.year, day.month, day.day, int(m.group(2)), int(m.group(3)),
                          int(m.group(4) or 0), tzinfo=datetime.timezone.utc)
    return int(t.timestamp()) * USEC + int((m.group(5) or "0").ljust(3, "0")) * 1000


def first_contact(rows, ip, after):
    after = parse_after(after)
    peers = {}
    for r in rows:
        if r.src_addr == ip:
            peer = r.dst_addr
        elif r.dst_addr == ip:
            peer = r.src_addr
        else:
            continue
        p = peers.setdefault(peer, [r.first_seen, r.last_seen, 0, 0])
        p[0] = min(p[0], r.first_seen)
        p[1] = max(p[1], r.last_seen)
        p[2] += 1
        p[3] += r.bytes
    out = [(peer, *p) for peer, p in peers.items() if p[0] >= after]
    out.sort(key=lambda t: (t[1], t[0]))
    return out


def long_connections(rows, min_seconds):
    convs = {}
    for r in rows:
        fwd = r.src_addr < r.dst_addr or (r.src_addr == r.dst_addr and r.src_port <= r.dst_port)
        lo = (r.src_addr, r.src_port) if fwd else (r.dst_addr, r.dst_port)
        hi = (r.dst_addr, r.dst_port) if fwd else (r.src_addr, r.src_port)
        c = convs.setdefault((r.ifname, r.proto, lo, hi), {
            "records": 0, "packets": 0, "lo_bytes": 0, "hi_bytes": 0, "lo_first": None,
            "hi_first": None, "first": r.first_seen, "last": r.last_seen})
        c["records"] += 1
        c["packets"] += r.packets
        side = "lo" if fwd else "hi"
        c[side + "_bytes"] += r.bytes
        f = c[side + "_first"]
        c[side + "_first"] = r.first_seen if f is None else min(f, r.first_seen)
        c["first"] = min(c["first"], r.first_seen)
        c["last"] = max(c["last"], r.last_seen)
    out = []
    for (ifname, proto, lo, hi), c in convs.items():
        duration = c["last"] - c["first"]
        if duration < min_seconds * USEC:
            continue
        swap = c["lo_first"] is None or (c["hi_first"] is not None
                                         and c["hi_first"] < c["lo_first"])
        client, server = (hi, lo) if swap else (lo, hi)
        cb, sb = (c["hi_bytes"], c["lo_bytes"]) if swap else (c["lo_bytes"], c["hi_bytes"])
        out.append((ifname, proto, client[0], client[1], server[0], server[1], c["records"],
                    c["packets"], cb, sb, cb + sb, c["first"], c["last"], duration))
    out.sort(key=lambda t: (-t[13], -t[10], t[2], t[3], t[4], t[5], t[0], t[1]))
    return out


def exfiltration(rows, net, ratio, min_bytes):
    net = ipaddress.ip_network(net, strict=False)
    ratio = float(ratio) if "." in ratio else int(ratio)
    hosts = defaultdict(lambda: {"peers": defaultdict(int), "flows": 0, "sent": 0,
                                 "received": 0, "first": None, "last": None})
    for r in rows:
        src_in, dst_in = inside(r.src_addr, net), inside(r.dst_addr, net)
        if src_in and not dst_in:
            h = hosts[r.src_addr]
            h["peers"][r.dst_addr] += r.bytes
            h["flows"] += 1
            h["sent"] += r.bytes
            h["first"] = r.first_seen if h["first"] is None else min(h["first"], r.first_seen)
            h["last"] = r.last_seen if h["last"] is None else max(h["last"], r.last_seen)
        elif dst_in and not src_in:
            hosts[r.dst_addr]["received"] += r.bytes
    out = []
    for host, h in hosts.items():
        if not h["flows"] or h["sent"] < int(min_bytes) or h["sent"] < ratio * h["received"]:
            continue
        top = min(h["peers"].items(), key=lambda kv: (-kv[1], kv[0]))
        out.append((host, len(h["peers"]), h["flows"], h["sent"], h["received"],
                    h["sent"] // h["received"] if h["received"] else None, top[0], top[1],
                    h["first"], h["last"]))
    out.sort(key=lambda t: (-t[3], t[0]))
    return out


# --- Running the files -----------------------------------------------------

def cell(v):
    return "" if v is None else str(v)


def parse_csv(text):
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return (rows[0], rows[1:]) if rows else ([], [])


def header_of(path):
    """The leading comment block of a file, without the "-- "."""
    lines = []
    with open(path) as f:
        for line in f:
            if not line.startswith("--"):
                break
            lines.append(line[2:].rstrip("\n"))
    return lines


def documented_columns(lines):
    """The names listed under "Columns": lines of 3 spaces, a name, 2+ spaces."""
    cols, on = [], False
    for line in lines:
        if line.startswith(" Columns"):
            on = True
            continue
        if on:
            m = re.match(r"   ([a-z_]+)(?:\s{2,}|$)", line)
            if m:
                cols.append(m.group(1))
            elif cols and not line.startswith("     "):
                break
    return cols


def check_header(path, columns, problems):
    lines = header_of(path)
    text = "\n".join(lines)
    name = os.path.basename(path)
    for what in ("Question:", "Parameters:", "Example:", "Columns", "Works with:"):
        if what not in text:
            problems.append(f"{name}: the comment block has no {what}")
    if "flowdb -d" not in text:
        problems.append(f"{name}: the comment block has no flowdb command line")
    doc = documented_columns(lines)
    if doc != columns:
        problems.append(f"{name}: the columns documented {doc} are not those returned {columns}")
    with open(path) as f:
        sql = "\n".join(l for l in f.read().splitlines() if not l.lstrip().startswith("--"))
    params = text[text.index("Parameters:"):text.index("Window:")] if "Window:" in text else text
    for p in sorted(set(re.findall(r":([a-z_]+)", sql))):
        if f":{p}" not in params:
            problems.append(f"{name}: :{p} is used but not among the Parameters")


def compare(label, got, want, problems):
    """Rows of text against reference tuples, in order and exactly."""
    want = [[cell(v) for v in row] for row in want]
    if got != want:
        diff = list(difflib.unified_diff([",".join(r) for r in want], [",".join(r) for r in got],
                                         "reference", "flowdb", lineterm="", n=1))
        problems.append(f"{label}: {len(got)} rows, reference {len(want)}; differences:\n  " +
                        "\n  ".join(diff[:DIFF_LINES]))


def run_flowdb(args, path, params, window):
    # --exact: the values as stored, as sqlite3 -csv and the reference have
    # them ("->" would otherwise be guarded as a formula, "'->").
    cmd = [args.flowdb, "-d", args.dir, "-f", "csv", "--exact"]
    for k, v in params.items():
        cmd += ["-p", f"{k}={v}"]
    if window:
        cmd += ["--since", f"@{window[0] // USEC}", "--until", f"@{window[1] // USEC}"]
    with open(path) as f:
        p = subprocess.run(cmd, stdin=f, capture_output=True, text=True)
    return p, cmd


def run_sqlite3(db, path, params):
    cmd = ["sqlite3", "-readonly", "-csv", "-header"]
    for k, v in params.items():
        # A quoted SQL literal, so that .param set keeps text as text.
        lit = v if re.fullmatch(r"-?\d+", v) else "'" + v.replace("'", "''") + "'"
        cmd += ["-cmd", f".param set :{k} \"{lit}\""]
    cmd.append(db)
    with open(path) as f:
        return subprocess.run(cmd, stdin=f, capture_output=True, text=True), cmd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flowdb", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--flows", required=True)
    ap.add_argument("--examples", required=True)
    ap.add_argument("--sqlite3")
    args = ap.parse_args()
    flows = read_flows(args.flows)
    problems = []

    # Parameters picked from the truth: the host with most peers, a busy
    # client, an IPv6 server, times in the middle of the data.
    t0 = min(r.first_seen for r in flows)
    t1 = max(r.last_seen for r in flows)
    mid = (t0 + t1) // 2 // USEC * USEC
    peers = defaultdict(set)
    sent = defaultdict(int)
    for r in flows:
        peers[r.src_addr].add(r.dst_addr)
        peers[r.dst_addr].add(r.src_addr)
        sent[r.src_addr] += r.bytes
    server = max(sorted(peers), key=lambda a: len(peers[a]))
    client = max(sorted(a for a in sent if a.startswith("10.20.")), key=lambda a: sent[a])
    server6 = max(sorted(a for a in peers if a.startswith("2001:db8:10:")),
                  key=lambda a: len(peers[a]))
    client6 = max(sorted(a for a in sent if a.startswith("2001:db8:20:")), key=lambda a: sent[a])
    mid_iso = datetime.datetime.fromtimestamp(mid // USEC, datetime.timezone.utc)
    window = (mid - 6 * HOUR, mid + 6 * HOUR)
    # The first peer of server after mid whose first packet is at least 10
    # ms into its second, and the next millisecond after it, in ISO 8601.
    firsts = {}
    for r in flows:
        for a, b in ((r.src_addr, r.dst_addr), (r.dst_addr, r.src_addr)):
            if a == server:
                firsts[b] = min(firsts.get(b, r.first_seen), r.first_seen)
    t = min(f for f in firsts.values() if f >= mid and f % USEC >= 10000)
    just_after = datetime.datetime.fromtimestamp(t // USEC, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S") + f".{t % USEC // 1000 + 1:03d}Z" if t % USEC < 999000 else str(t + 1)

    # file: [(params, window, reference, must_find_rows)]
    cases = {
        "who-talked-to.sql": [
            ({"ip": server}, None, lambda rs: who_talked_to(rs, server), True),
            ({"ip": server6}, None, lambda rs: who_talked_to(rs, server6), True),
            ({"ip": "10.66.0.7"}, window, lambda rs: who_talked_to(rs, "10.66.0.7"), False),
            ({"ip": "192.0.2.99"}, None, lambda rs: who_talked_to(rs, "192.0.2.99"), False),
        ],
        "host-activity.sql": [
            ({"ip": client}, window, lambda rs: host_activity(rs, client), True),
            ({"ip": client6}, None, lambda rs: host_activity(rs, client6), True),
        ],
        "scanners.sql": [
            ({"min": "20"}, None, lambda rs: scanners(rs, 20), True),
            ({"min": "3"}, window, lambda rs: scanners(rs, 3), False),
            ({"min": "1"}, None, lambda rs: scanners(rs, 1), True),
        ],
        "refused-connections.sql": [
            ({}, None, refused_connections, True),
            ({}, window, refused_connections, False),
        ],
        "top-services.sql": [
            ({"net": "10.10.0.0/24", "limit": "8"}, None,
             lambda rs: top_services(rs, "10.10.0.0/24", 8), True),
            ({"net": "2001:db8:10::/48", "limit": "5"}, window,
             lambda rs: top_services(rs, "2001:db8:10::/48", 5), True),
            ({"net": client, "limit": "50"}, None,
             lambda rs: top_services(rs, client, 50), True),
        ],
        "first-contact.sql": [
            ({"ip": server, "after": mid_iso.strftime("%Y-%m-%dT%H:%MZ")}, None,
             lambda rs: first_contact(rs, server, mid_iso.strftime("%Y-%m-%dT%H:%M")), True),
            ({"ip": server, "after": "0"}, None, lambda rs: first_contact(rs, server, "0"), True),
            ({"ip": client, "after": str(mid + 250 * 1000)}, None,
             lambda rs: first_contact(rs, client, str(mid + 250 * 1000)), False),
            # Just after a peer's first packet, to the millisecond.
            ({"ip": server, "after": just_after}, None,
             lambda rs: first_contact(rs, server, just_after), True),
            ({"ip": server6, "after": mid_iso.strftime("%Y-%m-%d %H:%M:%S") + ".250"}, None,
             lambda rs: first_contact(rs, server6, mid_iso.strftime("%Y-%m-%d %H:%M:%S.250")),
             False),
        ],
        "long-connections.sql": [
            ({"min_seconds": "3600"}, None, lambda rs: long_connections(rs, 3600), True),
            ({"min_seconds": "600"}, window, lambda rs: long_connections(rs, 600), True),
            ({"min_seconds": "0"}, None, lambda rs: long_connections(rs, 0), True),
        ],
        "exfiltration.sql": [
            ({"net": "10.20.0.0/16", "ratio": "3", "min_bytes": "1000000"}, None,
             lambda rs: exfiltration(rs, "10.20.0.0/16", "3", "1000000"), True),
            # Servers and clients both inside: only the scanners are outside.
            ({"net": "10.0.0.0/11", "ratio": "0", "min_bytes": "0"}, None,
             lambda rs: exfiltration(rs, "10.0.0.0/11", "0", "0"), True),
            ({"net": "10.10.0.0/24", "ratio": "2.5", "min_bytes": "0"}, window,
             lambda rs: exfiltration(rs, "10.10.0.0/24", "2.5", "0"), False),
        ],
    }

    # For sqlite3 over one file: parameters that find something in it.
    one = [r for r in flows if args.sqlite3 and r.file == os.path.basename(args.sqlite3)]
    if args.sqlite3 and not one:
        problems.append(f"{args.sqlite3}: no records of it in the truth")
    one_peers = defaultdict(set)
    for r in one:
        one_peers[r.src_addr].add(r.dst_addr)
        one_peers[r.dst_addr].add(r.src_addr)
    busy = max(sorted(one_peers), key=lambda a: len(one_peers[a])) if one else ""
    one_after = str(sorted(r.first_seen for r in one)[len(one) // 2]) if one else "0"
    one_file_cases = {
        "who-talked-to.sql": ({"ip": busy}, lambda rs: who_talked_to(rs, busy)),
        "host-activity.sql": ({"ip": busy}, lambda rs: host_activity(rs, busy)),
        "scanners.sql": ({"min": "3"}, lambda rs: scanners(rs, 3)),
        "refused-connections.sql": ({}, refused_connections),
        "top-services.sql": ({"net": "10.10.0.0/24", "limit": "8"},
                             lambda rs: top_services(rs, "10.10.0.0/24", 8)),
        "first-contact.sql": ({"ip": busy, "after": one_after},
                              lambda rs: first_contact(rs, busy, one_after)),
        "long-connections.sql": ({"min_seconds": "60"}, lambda rs: long_connections(rs, 60)),
        "exfiltration.sql": ({"net": "10.20.0.0/16", "ratio": "3", "min_bytes": "0"},
                             lambda rs: exfiltration(rs, "10.20.0.0/16", "3", "0")),
    }

    files = sorted(glob.glob(os.path.join(args.examples, "*.sql")))
    if not files:
        problems.append(f"no SQL files in {args.examples}")
    for name in sorted(set(cases) - {os.path.basename(f) for f in files}):
        problems.append(f"{name}: missing from {args.examples}")
    by_file = defaultdict(list)
    for r in flows:
        by_file[r.file].append(r)
    checked = 0
    for path in files:
        name = os.path.basename(path)
        if name not in cases:
            problems.append(f"{name}: no test case in forensics_ref.py")
            continue
        header_checked = False
        for params, win, ref, must_find in cases[name]:
            label = f"{name} {' '.join(f'{k}={v}' for k, v in params.items())}" + \
                    (f" window @{win[0] // USEC}..@{win[1] // USEC}" if win else "")
            p, cmd = run_flowdb(args, path, params, win)
            if p.returncode != 0 or p.stderr:
                said = p.stderr.strip().splitlines()
                problems.append(f"{label}: {' '.join(cmd)} exited {p.returncode}: " +
                                "\n  ".join(said[:3] + ([f"... {len(said) - 3} more lines"]
                                                         if len(said) > 3 else [])))
                continue
            got_header, got = parse_csv(p.stdout)
            if not header_checked:
                check_header(path, got_header, problems)
                header_checked = True
            want = ref(in_window(flows, win))
            if must_find and not want:
                problems.append(f"{label}: the reference finds nothing: the data does not "
                                "exercise this file")
            compare(label, got, want, problems)
            checked += 1
            print(f"ok: {label}: {len(got)} rows")

        if not args.sqlite3:
            continue
        works = " ".join(l for l in header_of(path) if "Works with:" in l)
        params, ref = one_file_cases[name]
        p, cmd = run_sqlite3(args.sqlite3, path, params)
        if "flowdb only" in works:
            said = (p.stderr.strip().splitlines() or [""])[0]
            if p.returncode == 0 or "no such function" not in said:
                problems.append(f"{name}: said to be flowdb only, but sqlite3 gave exit "
                                f"{p.returncode}: {said}")
            else:
                print(f"ok: {name}: flowdb only; sqlite3 says: {said}")
            continue
        if p.returncode != 0 or p.stderr:
            said = (p.stderr.strip().splitlines() or [""])[0]
            problems.append(f"{name}: sqlite3 exited {p.returncode}: {said}")
            continue
        _, got = parse_csv(p.stdout)
        want = ref(by_file[os.path.basename(args.sqlite3)])
        if not want and name in ("who-talked-to.sql", "host-activity.sql",
                                 "first-contact.sql", "long-connections.sql"):
            problems.append(f"{name}: the reference finds nothing in {args.sqlite3}")
        compare(f"{name} (sqlite3 over {os.path.basename(args.sqlite3)})", got, want, problems)
        print(f"ok: {name}: sqlite3 over one file: {len(got)} rows")

    for p in problems:
        print(f"forensics_ref: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"forensics_ref: {checked} runs of {len(files)} files equal the reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
