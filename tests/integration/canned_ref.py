#!/usr/bin/env python3
"""Checks the shell's canned queries against an independent reference.

The expected result of every canned query is computed here from flowgen's
ground truth CSVs, in plain Python (no SQL, none of the shell's code), then
compared row by row with what `flowdb --query NAME --format json` prints:
the columns in order, integers exactly, share within 0.051. Rows that tie on
every ORDER BY key may come in any order. Each query runs over the whole
history, windows of a few hours and with parameters other than the
defaults. With --stats, windows must read only the files whose time range
(over their flows, events and collector_stats rows) overlaps the window.

Usage:
  canned_ref.py --flowdb BIN --dir DIR --flows CSV --events CSV --stats CSV
                --requests CSV
Exit 0 when everything matches; otherwise the differences go to stderr and
the exit status is 1.
"""
import argparse
import csv
import difflib
import itertools
import json
import os
import re
import subprocess
import sys
from collections import namedtuple

USEC = 1000000
MINUTE = 60 * USEC
HOUR = 60 * MINUTE
SHARE_TOLERANCE = 0.051
# Lines of a diff to show before giving up on a result.
DIFF_LINES = 40

PROTO_NAMES = {1: "icmp", 6: "tcp", 17: "udp", 47: "gre", 58: "ipv6-icmp", 132: "sctp"}
SERVICES = {22: "ssh", 53: "dns", 80: "http", 123: "ntp", 3306: "mysql",
            5432: "postgresql", 8080: "http-alt"}
PORT_PROTOS = (6, 17, 132)
TCP_RST, TCP_SYN_ACK, TCP_SYN = 0x04, 0x12, 0x02
# Parameters the shell takes as options of their own; the others go as
# --param NAME=VALUE.
OWN_OPTIONS = ("limit", "host")

Flow = namedtuple("Flow", "file first_seen last_seen ifname direction ip_version proto "
                          "src_addr dst_addr src_port dst_port vlan packets bytes tcp_flags "
                          "end_reason app_proto app_info encrypted")
# A policy event: the cleartext query's rows.
Policy = namedtuple("Policy", "time src_addr dst_addr dst_port detail")
Stat = namedtuple("Stat", "file time kernel_packets drained_packets lost_packets lost_bytes "
                          "ringbuf_drops malformed")
# A requests row; host, path and status None where the file holds NULL.
Request = namedtuple("Request", "time src_addr method host path status")
# The truth: flow records, collector_stats rows, policy events, requests
# rows, and {file: [first, last]} over each file's flows, events and
# collector_stats rows (a request lies within its flow's record).
Data = namedtuple("Data", "flows stats policies requests ranges")
STATS_LINE = re.compile(r"^stats: (\d+) of (\d+) files read, (\d+) rows scanned$")


def read_csv(path, kind, text_fields):
    """Reads a truth CSV into kind tuples, converting all but text_fields to int."""
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if tuple(header[:len(kind._fields)]) != kind._fields:
            sys.exit(f"canned_ref: {path}: unexpected header {header}")
        return [kind(*(v if name in text_fields else int(v)
                       for name, v in zip(kind._fields, row))) for row in reader]


def read_events(path):
    """Returns {file: [min time, max time]} over the events of a truth CSV,
    and its policy events."""
    ranges, policies = {}, []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            widen(ranges, row["file"], int(row["time"]), int(row["time"]))
            if row["kind"] == "policy":
                policies.append(Policy(int(row["time"]), row["src_addr"], row["dst_addr"],
                                       int(row["dst_port"]), row["detail"]))
    return ranges, policies


def quoted_fields(line):
    """Splits one CSV line (RFC 4180, no line breaks in fields) into
    (text, quoted) pairs: a quoted empty field is text, an unquoted one NULL."""
    out, i = [], 0
    while True:
        if line.startswith('"', i):
            text, i = "", i + 1
            while True:
                j = line.index('"', i)
                text += line[i:j]
                if line.startswith('""', j):
                    text, i = text + '"', j + 2
                else:
                    i = j + 1
                    break
            out.append((text, True))
        else:
            j = line.find(",", i)
            j = len(line) if j < 0 else j
            out.append((line[i:j], False))
            i = j
        if i >= len(line):
            return out
        i += 1


def read_requests(path):
    """The requests rows of a truth CSV: flowgen quotes every text it
    writes, and leaves the field empty for NULL."""
    out = []
    with open(path) as f:
        header = [name for name, _ in quoted_fields(f.readline().rstrip("\n"))]
        for line in f:
            row = dict(zip(header, quoted_fields(line.rstrip("\n"))))
            text = {k: v if q else None for k, (v, q) in row.items()}
            out.append(Request(int(row["time"][0]), row["src_addr"][0], row["method"][0],
                               text["host"], text["path"],
                               int(row["status"][0]) if row["status"][0] else None))
    return out


def widen(ranges, file, lo, hi):
    """Widens ranges[file] to hold [lo, hi]."""
    r = ranges.setdefault(file, [lo, hi])
    r[0] = min(r[0], lo)
    r[1] = max(r[1], hi)


def proto_name(proto):
    """The IANA keyword of an IP protocol number, else the number as text."""
    return PROTO_NAMES.get(proto, str(proto))


def service(port, proto):
    """The service name of the ports flowgen uses, else None."""
    if port == 443:
        return {6: "https", 17: "quic"}.get(proto)
    return SERVICES.get(port)


def in_window(f, since, until):
    """A record counts when it overlaps [since, until]; None is no bound."""
    return (since is None or f.last_seen >= since) and (until is None or f.first_seen <= until)


def windowed(data, since, until):
    """The flow records in the window."""
    return [f for f in data.flows if in_window(f, since, until)]


def ranked(groups, key):
    """Sorts the rows of groups ({group key: row}) by key(group key, row).
    Returns (sort key, row) pairs, which compare() needs."""
    return sorted(((key(k, r), r) for k, r in groups.items()), key=lambda kr: kr[0])


def metric(by):
    """The ORDER BY value of top-talkers and top-ports."""
    if by not in ("bytes", "packets", "flows"):
        sys.exit(f"canned_ref: bad by={by}")
    return lambda r: r[by]


# Each q_* function computes one canned query over the truth for the window
# [since, until] (None: unbounded) and the parameters p ({name: value},
# durations in microseconds). Returns the (sort key, row) pairs, sorted and
# not limited, and the limit that applies (None for none).


def q_top_talkers(data, since, until, p):
    """Source hosts by bytes, packets or flows."""
    groups = {}
    for f in windowed(data, since, until):
        g = groups.setdefault(f.src_addr, {"host": f.src_addr, "flows": 0, "packets": 0,
                                           "bytes": 0})
        g["flows"] += 1
        g["packets"] += f.packets
        g["bytes"] += f.bytes
    value = metric(p.get("by", "bytes"))
    return ranked(groups, lambda k, r: (-value(r), k)), p.get("limit", 20)


def q_top_ports(data, since, until, p):
    """Destination ports of TCP, UDP and SCTP by bytes, packets or flows."""
    groups, servers = {}, {}
    for f in windowed(data, since, until):
        if f.proto not in PORT_PROTOS:
            continue
        k = (f.proto, f.dst_port)
        g = groups.setdefault(k, {"proto": proto_name(f.proto), "port": f.dst_port,
                                  "service": service(f.dst_port, f.proto), "servers": 0,
                                  "flows": 0, "packets": 0, "bytes": 0})
        servers.setdefault(k, set()).add(f.dst_addr)
        g["flows"] += 1
        g["packets"] += f.packets
        g["bytes"] += f.bytes
    for k, g in groups.items():
        g["servers"] = len(servers[k])
    value = metric(p.get("by", "bytes"))
    return ranked(groups, lambda k, r: (-value(r), *k)), p.get("limit", 20)


def q_protocols(data, since, until, p):
    """Traffic per IP protocol and its share of all bytes."""
    groups = {}
    for f in windowed(data, since, until):
        g = groups.setdefault(f.proto, {"proto": proto_name(f.proto), "flows": 0,
                                        "packets": 0, "bytes": 0, "share": None})
        g["flows"] += 1
        g["packets"] += f.packets
        g["bytes"] += f.bytes
    total = sum(g["bytes"] for g in groups.values())
    for g in groups.values():
        g["share"] = round(100 * g["bytes"] / total, 1)
    return ranked(groups, lambda k, r: (-r["bytes"], k)), None


def q_traffic(data, since, until, p):
    """Traffic per bucket of start times, those before the window in its first."""
    bucket, groups = p.get("bucket", 5 * MINUTE), {}
    for f in windowed(data, since, until):
        t = max(f.first_seen, since or 0) // bucket * bucket
        g = groups.setdefault(t, {"time": t, "flows": 0, "packets": 0, "bytes": 0})
        g["flows"] += 1
        g["packets"] += f.packets
        g["bytes"] += f.bytes
    return ranked(groups, lambda k, r: k), None


def q_host(data, since, until, p):
    """A host's peers per protocol, with the bytes sent and received."""
    host, groups = p["host"], {}
    for f in windowed(data, since, until):
        if f.src_addr == host:
            peer, sent, received = f.dst_addr, f.bytes, 0
        elif f.dst_addr == host:
            peer, sent, received = f.src_addr, 0, f.bytes
        else:
            continue
        g = groups.setdefault((peer, f.proto), {
            "peer": peer, "proto": proto_name(f.proto), "flows": 0, "packets": 0,
            "sent_bytes": 0, "received_bytes": 0, "first_seen": f.first_seen,
            "last_seen": f.last_seen})
        g["flows"] += 1
        g["packets"] += f.packets
        g["sent_bytes"] += sent
        g["received_bytes"] += received
        g["first_seen"] = min(g["first_seen"], f.first_seen)
        g["last_seen"] = max(g["last_seen"], f.last_seen)
    return ranked(groups, lambda k, r: (-r["sent_bytes"] - r["received_bytes"], *k)), \
        p.get("limit", 50)


def q_long_flows(data, since, until, p):
    """Records joined per interface, direction, VLAN and 5-tuple, longest first."""
    groups = {}
    for f in windowed(data, since, until):
        k = (f.ifname, f.direction, f.vlan, f.proto, f.src_addr, f.src_port, f.dst_addr,
             f.dst_port)
        g = groups.setdefault(k, {
            "proto": proto_name(f.proto), "src_addr": f.src_addr, "src_port": f.src_port,
            "dst_addr": f.dst_addr, "dst_port": f.dst_port, "records": 0, "packets": 0,
            "bytes": 0, "first_seen": f.first_seen, "last_seen": f.last_seen, "duration": 0})
        g["records"] += 1
        g["packets"] += f.packets
        g["bytes"] += f.bytes
        g["first_seen"] = min(g["first_seen"], f.first_seen)
        g["last_seen"] = max(g["last_seen"], f.last_seen)
    for g in groups.values():
        g["duration"] = g["last_seen"] - g["first_seen"]
    kept = {k: g for k, g in groups.items() if g["duration"] >= p.get("min", 5 * MINUTE)}
    # k: ifname, direction, vlan, proto, src_addr, src_port, dst_addr, dst_port
    return ranked(kept, lambda k, r: (-r["duration"], -r["bytes"], *k[4:], k[3])), \
        p.get("limit", 20)


def q_resets(data, since, until, p):
    """TCP records with a reset or a failed attempt, per source, destination and port."""
    groups = {}
    for f in windowed(data, since, until):
        reset = f.tcp_flags & TCP_RST != 0
        failed = f.tcp_flags & TCP_SYN_ACK == TCP_SYN
        if f.proto != 6 or not (reset or failed):
            continue
        g = groups.setdefault((f.src_addr, f.dst_addr, f.dst_port), {
            "src_addr": f.src_addr, "dst_addr": f.dst_addr, "dst_port": f.dst_port,
            "resets": 0, "failed": 0, "first_seen": f.first_seen, "last_seen": f.last_seen})
        g["resets"] += reset
        g["failed"] += failed
        g["first_seen"] = min(g["first_seen"], f.first_seen)
        g["last_seen"] = max(g["last_seen"], f.last_seen)
    return ranked(groups, lambda k, r: (-r["resets"] - r["failed"], *k)), p.get("limit", 50)


def q_scans(data, since, until, p):
    """Sources reaching at least min ports or hosts over TCP, UDP and SCTP."""
    groups, seen = {}, {}
    for f in windowed(data, since, until):
        if f.proto not in PORT_PROTOS:
            continue
        g = groups.setdefault(f.src_addr, {
            "src_addr": f.src_addr, "hosts": 0, "ports": 0, "targets": 0, "flows": 0,
            "failed": 0, "first_seen": f.first_seen, "last_seen": f.last_seen})
        hosts, ports, targets = seen.setdefault(f.src_addr, (set(), set(), set()))
        hosts.add(f.dst_addr)
        ports.add(f.dst_port)
        targets.add((f.dst_addr, f.dst_port))
        g["flows"] += 1
        g["failed"] += f.proto == 6 and f.tcp_flags & TCP_SYN_ACK == TCP_SYN
        g["first_seen"] = min(g["first_seen"], f.first_seen)
        g["last_seen"] = max(g["last_seen"], f.last_seen)
    least = p.get("min", 20)
    for src, (hosts, ports, targets) in seen.items():
        groups[src].update(hosts=len(hosts), ports=len(ports), targets=len(targets))
    kept = {k: g for k, g in groups.items() if g["ports"] >= least or g["hosts"] >= least}
    return ranked(kept, lambda k, r: (-r["targets"], k)), p.get("limit", 20)


def q_new_peers(data, since, until, p):
    """Pairs first seen at or after since, over the whole history up to until."""
    groups = {}
    for f in data.flows:
        if until is not None and f.first_seen > until:
            continue
        g = groups.setdefault((f.src_addr, f.dst_addr), {
            "src_addr": f.src_addr, "dst_addr": f.dst_addr, "first_seen": f.first_seen,
            "flows": 0, "bytes": 0})
        g["first_seen"] = min(g["first_seen"], f.first_seen)
        g["flows"] += 1
        g["bytes"] += f.bytes
    kept = {k: g for k, g in groups.items() if since is None or g["first_seen"] >= since}
    return ranked(kept, lambda k, r: (r["first_seen"], *k)), p.get("limit", 100)


def q_loss(data, since, until, p):
    """collector_stats rows in the window, summed per bucket."""
    bucket, groups = p.get("bucket", HOUR), {}
    for s in data.stats:
        if (since is not None and s.time < since) or (until is not None and s.time > until):
            continue
        t = s.time // bucket * bucket
        g = groups.setdefault(t, {"time": t, "flushes": 0, "kernel_packets": 0,
                                  "stored_packets": 0, "lost_packets": 0, "lost_bytes": 0,
                                  "event_drops": 0, "malformed": 0, "failed_writes": 0})
        g["flushes"] += 1
        g["kernel_packets"] += s.kernel_packets
        g["stored_packets"] += s.drained_packets
        g["lost_packets"] += s.lost_packets
        g["lost_bytes"] += s.lost_bytes
        g["event_drops"] += s.ringbuf_drops
        g["malformed"] += s.malformed
    return ranked(groups, lambda k, r: k), None


def q_summary(data, since, until, p):
    """One row: the window's totals, and the losses of its flushes."""
    flows = windowed(data, since, until)
    stats = [s for s in data.stats
             if (since is None or s.time >= since) and (until is None or s.time <= until)]
    row = {"flows": len(flows), "packets": sum(f.packets for f in flows),
           "bytes": sum(f.bytes for f in flows),
           "sources": len({f.src_addr for f in flows}),
           "destinations": len({f.dst_addr for f in flows}),
           "lost_packets": sum(s.lost_packets for s in stats),
           "event_drops": sum(s.ringbuf_drops for s in stats)}
    return [((), row)], None


# What the collector writes to app_info (inspect/*.h), and what the
# queries take from it. A TLS server's ServerHello: a version, a space, the
# rest; a client's server name never has a space (written \x20), so never
# this shape. An HTTP response: three digits, or nothing when cut; a
# request: its method, a space, host and path, and in files of earlier
# collectors host and path alone; a first word of capitals alone is a method.
SERVER_HELLO = re.compile(r"(TLS1\.[0-3]|SSL3\.0|0x[0-9a-f]{4}) ")
HTTP_RESPONSE = re.compile(r"[0-9]{3}|")
HTTP_METHOD = re.compile(r"[A-Z]+")
DNS_PORTS = (53, 5353, 5355)


def http_requests(data, since, until):
    """The flows in the window that hold an HTTP request."""
    return [f for f in windowed(data, since, until)
            if f.app_proto == "http" and not HTTP_RESPONSE.fullmatch(f.app_info)]


def http_split(info):
    """(method, host and path) of a request's app_info; method None for a
    request of an earlier collector."""
    word = info.split(" ", 1)[0]
    if HTTP_METHOD.fullmatch(word):
        return word, info[len(word) + 1:]
    return None, info


def group_names(flows, key, count):
    """Groups flows by key(flow): count (the column named so), clients,
    bytes, first_seen, last_seen."""
    groups, clients = {}, {}
    for f in flows:
        k = key(f)
        g = groups.setdefault(k, {count: 0, "clients": 0, "bytes": 0,
                                  "first_seen": f.first_seen, "last_seen": f.last_seen})
        clients.setdefault(k, set()).add(f.src_addr)
        g[count] += 1
        g["bytes"] += f.bytes
        g["first_seen"] = min(g["first_seen"], f.first_seen)
        g["last_seen"] = max(g["last_seen"], f.last_seen)
    for k, g in groups.items():
        g["clients"] = len(clients[k])
    return groups


def q_tls_names(data, since, until, p):
    """TLS server names of ClientHellos, by flows."""
    flows = [f for f in windowed(data, since, until)
             if f.app_proto == "tls" and f.app_info and not SERVER_HELLO.match(f.app_info)]
    groups = {k: {"server_name": k, **g}
              for k, g in group_names(flows, lambda f: f.app_info, "flows").items()}
    return ranked(groups, lambda k, r: (-r["flows"], k)), p.get("limit", 20)


def q_http_hosts(data, since, until, p):
    """HTTP requests by method (None for an earlier collector's) and host and path."""
    groups = {}
    for (method, request), g in group_names(http_requests(data, since, until),
                                            lambda f: http_split(f.app_info),
                                            "flows").items():
        groups[(method, request)] = {"method": method, "request": request, **g}
    # SQLite sorts NULL before any text.
    return ranked(groups, lambda k, r: (-r["flows"], k[0] is not None, k[0] or "", k[1])), \
        p.get("limit", 20)


def q_dns_names(data, since, until, p):
    """Names asked on the flows to a name server's port, by queries."""
    groups, servers = {}, {}
    for f in windowed(data, since, until):
        if f.app_proto != "dns" or f.dst_port not in DNS_PORTS:
            continue
        g = groups.setdefault(f.app_info, {"name": f.app_info, "queries": 0, "clients": set(),
                                           "servers": 0, "first_seen": f.first_seen,
                                           "last_seen": f.last_seen})
        servers.setdefault(f.app_info, set()).add(f.dst_addr)
        g["queries"] += 1
        g["clients"].add(f.src_addr)
        g["first_seen"] = min(g["first_seen"], f.first_seen)
        g["last_seen"] = max(g["last_seen"], f.last_seen)
    for k, g in groups.items():
        g["clients"], g["servers"] = len(g["clients"]), len(servers[k])
    return ranked(groups, lambda k, r: (-r["queries"], k)), p.get("limit", 20)


def q_cleartext(data, since, until, p):
    """Policy events in the window, in time order."""
    rows = [e for e in data.policies
            if (since is None or e.time >= since) and (until is None or e.time <= until)]
    return sorted(((e[:4], e._asdict()) for e in rows), key=lambda kr: kr[0]), \
        p.get("limit", 50)


def q_request_rate(data, since, until, p):
    """HTTP clients by their busiest minute of requests (connections' first)."""
    minutes = {}
    for f in http_requests(data, since, until):
        m = minutes.setdefault(f.src_addr, {})
        m[f.first_seen // MINUTE] = m.get(f.first_seen // MINUTE, 0) + 1
    groups = {src: {"client": src, "requests": sum(m.values()), "peak_per_minute": max(m.values()),
                    "active_minutes": len(m), "first_time": min(m) * MINUTE,
                    "last_time": max(m) * MINUTE}
              for src, m in minutes.items()}
    return ranked(groups, lambda k, r: (-r["peak_per_minute"], -r["requests"], k)), \
        p.get("limit", 20)


def q_api_calls(data, since, until, p):
    """Requests in the window by method, host and path, statuses by class."""
    groups, clients = {}, {}
    classes = {2: "ok_2xx", 3: "redirect_3xx", 4: "client_error_4xx", 5: "server_error_5xx"}
    for q in data.requests:
        if (since is not None and q.time < since) or (until is not None and q.time > until):
            continue
        k = (q.method, q.host, q.path)
        g = groups.setdefault(k, {"method": q.method, "host": q.host, "path": q.path,
                                  "requests": 0, "clients": 0, "ok_2xx": 0,
                                  "redirect_3xx": 0, "client_error_4xx": 0,
                                  "server_error_5xx": 0, "other": 0, "no_response": 0,
                                  "first_time": q.time, "last_time": q.time})
        clients.setdefault(k, set()).add(q.src_addr)
        g["requests"] += 1
        if q.status is None:
            g["no_response"] += 1
        else:
            g[classes.get(q.status // 100, "other")] += 1
        g["first_time"] = min(g["first_time"], q.time)
        g["last_time"] = max(g["last_time"], q.time)
    for k, g in groups.items():
        g["clients"] = len(clients[k])
    # SQLite sorts NULL before any text.
    return ranked(groups, lambda k, r: (-r["requests"], k[0], k[1] is not None, k[1] or "",
                                        k[2] is not None, k[2] or "")), p.get("limit", 20)


QUERIES = {
    "summary": (q_summary, "flows packets bytes sources destinations lost_packets "
                           "event_drops"),
    "top-talkers": (q_top_talkers, "host flows packets bytes"),
    "top-ports": (q_top_ports, "proto port service servers flows packets bytes"),
    "protocols": (q_protocols, "proto flows packets bytes share"),
    "traffic": (q_traffic, "time flows packets bytes"),
    "host": (q_host, "peer proto flows packets sent_bytes received_bytes first_seen "
                     "last_seen"),
    "long-flows": (q_long_flows, "proto src_addr src_port dst_addr dst_port records packets "
                                 "bytes first_seen last_seen duration"),
    "resets": (q_resets, "src_addr dst_addr dst_port resets failed first_seen last_seen"),
    "scans": (q_scans, "src_addr hosts ports targets flows failed first_seen last_seen"),
    "new-peers": (q_new_peers, "src_addr dst_addr first_seen flows bytes"),
    "loss": (q_loss, "time flushes kernel_packets stored_packets lost_packets lost_bytes "
                     "event_drops malformed failed_writes"),
    "tls-names": (q_tls_names, "server_name flows clients bytes first_seen last_seen"),
    "http-hosts": (q_http_hosts, "method request flows clients bytes first_seen last_seen"),
    "dns-names": (q_dns_names, "name queries clients servers first_seen last_seen"),
    "cleartext": (q_cleartext, "time src_addr dst_addr dst_port detail"),
    "request-rate": (q_request_rate, "client requests peak_per_minute active_minutes "
                                     "first_time last_time"),
    "api-calls": (q_api_calls, "method host path requests clients ok_2xx redirect_3xx "
                               "client_error_4xx server_error_5xx other no_response "
                               "first_time last_time"),
}
# Parameters that are durations; the others are counts, addresses or words.
DURATIONS = (("traffic", "bucket"), ("long-flows", "min"), ("loss", "bucket"))


def time_arg(us):
    """A window bound as the shell takes it: "@SECONDS" or "all"."""
    if us is None:
        return "all"
    if us % USEC:
        sys.exit(f"canned_ref: window bound {us} is not a whole second")
    return f"@{us // USEC}"


def duration_arg(us):
    """A duration in the largest unit that divides it: 1h, 5m, 90s."""
    for unit, size in (("h", HOUR), ("m", MINUTE), ("s", USEC)):
        if us % size == 0:
            return f"{us // size}{unit}"
    sys.exit(f"canned_ref: duration {us} is not whole seconds")


def param_args(name, params):
    """The parameters as the shell takes them, as (name, text) pairs."""
    return [(k, duration_arg(v) if (name, k) in DURATIONS else str(v))
            for k, v in params.items()]


def describe(name, since, until, params):
    """One line naming a case, for the report."""
    text = f"{name} --since {time_arg(since)} --until {time_arg(until)}"
    return text + "".join(f" {k}={v}" for k, v in param_args(name, params))


def run_shell(args, name, since, until, params, stats):
    """Runs one canned query. Returns (rows parsed from the JSON, stderr lines),
    or None after reporting a failure."""
    cmd = [args.flowdb, "-d", args.dir, "--query", name, "--since", time_arg(since),
           "--until", time_arg(until), "--format", "json"]
    for k, v in param_args(name, params):
        cmd += [f"--{k}", v] if k in OWN_OPTIONS else ["--param", f"{k}={v}"]
    if stats:
        cmd.append("--stats")
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"FAIL {' '.join(cmd)}: {e}", file=sys.stderr)
        return None
    if p.returncode != 0:
        print(f"FAIL {' '.join(cmd)}: exit {p.returncode}\n{p.stderr.rstrip()}",
              file=sys.stderr)
        return None
    try:
        rows = json.loads(p.stdout)
    except ValueError as e:
        print(f"FAIL {' '.join(cmd)}: not JSON ({e}):\n{p.stdout[:500]}", file=sys.stderr)
        return None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        print(f"FAIL {' '.join(cmd)}: not an array of objects", file=sys.stderr)
        return None
    return rows, p.stderr.splitlines()


def value_equal(column, want, got):
    """Exactly equal and of the same JSON type; share within its tolerance."""
    if column == "share":
        return (isinstance(got, (int, float)) and not isinstance(got, bool)
                and abs(got - want) <= SHARE_TOLERANCE)
    return type(got) is type(want) and got == want


def row_equal(columns, want, got):
    """The same columns, in order, with equal values."""
    return list(got) == columns and all(value_equal(c, want[c], got[c]) for c in columns)


def compare(columns, expected, limit, actual):
    """Compares actual rows with the expected (key, row) pairs, sorted and not
    yet limited. Rows whose keys are equal may come in any order, and where
    the limit cuts through such a run, any of its rows may fill it. Returns
    the lines of a diff, empty when they match."""
    want = expected[:limit] if limit is not None else expected
    pools = {}
    for key, row in expected:
        pools.setdefault(key, []).append(row)
    # Each received row that matches is shown as the expected row it matched,
    # so that the diff holds only real differences.
    shown, same = [], len(actual) == len(want)
    for n, got in enumerate(actual):
        pool = pools[want[n][0]] if n < len(want) else []
        match = next((w for w in pool if row_equal(columns, w, got)), None)
        if match is None:
            same = False
            shown.append(got)
        else:
            pool.remove(match)
            shown.append(match)
    if same:
        return []
    diff = difflib.unified_diff([json.dumps(r) for _, r in want], list(map(json.dumps, shown)),
                                "expected", "received", n=1, lineterm="")
    return [f"{len(want)} rows expected, {len(actual)} received"] + \
        list(itertools.islice(diff, DIFF_LINES))


def check(args, data, name, since, until, params, must_have_rows=False, files_read=None):
    """Runs one case and compares it. files_read, when given, is the number of
    files --stats must report reading. Returns True when it passed."""
    query, columns = QUERIES[name]
    columns = columns.split()
    label = describe(name, since, until, params)
    expected, limit = query(data, since, until, params)
    if must_have_rows and not expected:
        print(f"FAIL {label}: the test data gives no rows here", file=sys.stderr)
        return False
    got = run_shell(args, name, since, until, params, files_read is not None)
    if got is None:
        return False
    rows, stderr = got
    diff = compare(columns, expected, limit, rows)
    if files_read is not None:
        diff += check_stats(stderr, files_read, len(data.ranges))
    if diff:
        print(f"FAIL {label}:", file=sys.stderr)
        for line in diff:
            print(f"  {line}", file=sys.stderr)
        return False
    print(f"ok   {label}: {len(rows)} rows" +
          (f", {files_read} of {len(data.ranges)} files" if files_read is not None else ""))
    return True


def check_stats(stderr, want, total):
    """Checks the one --stats line of a single-statement query. Returns the
    lines of a diff."""
    found = [m for m in map(STATS_LINE.match, stderr) if m]
    if len(found) != 1:
        return [f"--stats: {len(found)} 'stats: R of T files read, N rows scanned' lines, "
                f"expected 1; stderr: {stderr}"]
    read, of = int(found[0].group(1)), int(found[0].group(2))
    if (read, of) != (want, total):
        return [f"--stats: {read} of {of} files read, expected {want} of {total}"]
    return []


def files_overlapping(data, since, until):
    """Files whose recorded time range meets [since, until]."""
    return sum(1 for lo, hi in data.ranges.values()
               if (since is None or hi >= since) and (until is None or lo <= until))


def pick_hosts(flows):
    """The server with the most conversations on well-known ports, and the
    IPv4 and the IPv6 client with the most there, ties broken by address so
    that the choice depends on the data alone. Scanners' probes (one or two
    packets) do not count."""
    def busiest(addrs):
        counts = {}
        for addr in addrs:
            counts[addr] = counts.get(addr, 0) + 1
        return min(counts, key=lambda a: (-counts[a], a))
    known = [f for f in flows
             if (f.dst_port in SERVICES or f.dst_port == 443) and f.packets >= 3]
    return (busiest(f.dst_addr for f in known),
            busiest(f.src_addr for f in known if f.ip_version == 4),
            busiest(f.src_addr for f in known if f.ip_version == 6))


def edge_window(data, after):
    """A window of about two hours from after whose bounds fall exactly on
    recorded times: since on a last_seen, until on a first_seen, so that the
    inclusive comparisons matter."""
    since = min((f.last_seen for f in data.flows
                 if f.last_seen >= after and f.last_seen % USEC == 0), default=None)
    until = since and min((f.first_seen for f in data.flows
                           if f.first_seen >= since + 2 * HOUR and f.first_seen % USEC == 0),
                          default=None)
    if until is None:
        sys.exit("canned_ref: the test data has no whole-second record times to put a window on")
    return since, until


def scan_window(data, after):
    """The first two-hour window from a whole hour at or after after where
    the scans query finds a port scan or a sweep of at least 25."""
    hour = -(-after // HOUR) * HOUR
    end = max(f.last_seen for f in data.flows)
    while hour <= end:
        if q_scans(data, hour, hour + 2 * HOUR, {"min": 25})[0]:
            return hour, hour + 2 * HOUR
        hour += HOUR
    sys.exit("canned_ref: the test data has no scan after the middle")


def cases(data):
    """Every (query, since, until, params, must_have_rows) to check."""
    start = min(lo for lo, _ in data.ranges.values()) // HOUR * HOUR
    end = max(hi for _, hi in data.ranges.values())
    mid = start + (end - start) // 2 // HOUR * HOUR
    whole = (None, None)
    few = (mid + 20 * MINUTE + 7 * USEC, mid + 3 * HOUR + 33 * MINUTE)
    edge = edge_window(data, mid + 6 * HOUR)
    scan = scan_window(data, mid)
    late = ((end // HOUR - 10) * HOUR, None)
    server, client, client6 = pick_hosts(data.flows)
    runs = []
    for name in QUERIES:
        if name != "host":
            runs += [(name, *whole, {}, True), (name, *few, {}, False)]
    runs += [
        ("top-talkers", *whole, {"by": "packets"}, True),
        ("top-talkers", *few, {"by": "flows"}, True),
        ("top-talkers", *edge, {"limit": 5}, True),
        ("top-talkers", *few, {"by": "packets", "limit": 5}, True),
        ("top-ports", *whole, {"by": "packets"}, True),
        ("top-ports", *whole, {"by": "flows", "limit": 5}, True),
        ("top-ports", *edge, {"by": "flows"}, True),
        ("protocols", *edge, {}, True),
        ("traffic", *whole, {"bucket": HOUR}, True),
        ("traffic", *whole, {"bucket": 6 * HOUR}, True),
        ("traffic", *edge, {"bucket": HOUR}, True),
        ("traffic", *few, {"bucket": 6 * HOUR}, True),
        ("host", *whole, {"host": server}, True),
        ("host", *few, {"host": server}, True),
        ("host", *whole, {"host": client}, True),
        ("host", *edge, {"host": client, "limit": 5}, False),
        ("host", *whole, {"host": client6}, True),
        ("host", *few, {"host": client6, "limit": 5}, False),
        ("long-flows", *whole, {"min": 2 * HOUR}, True),
        ("long-flows", *few, {"min": 2 * HOUR}, False),
        ("long-flows", *edge, {"min": HOUR, "limit": 5}, False),
        ("resets", *whole, {"limit": 5}, True),
        ("resets", *edge, {}, True),
        ("scans", *scan, {}, True),
        ("scans", *scan, {"min": 25, "limit": 5}, True),
        ("scans", *whole, {"min": 30}, True),
        ("new-peers", *late, {"limit": 1000}, True),
        ("new-peers", *edge, {}, False),
        ("loss", *whole, {"bucket": 6 * HOUR}, True),
        ("loss", *edge, {"bucket": HOUR}, True),
        ("tls-names", *whole, {"limit": 100}, True),
        ("tls-names", *edge, {}, True),
        ("http-hosts", *whole, {"limit": 100}, True),
        ("http-hosts", *edge, {"limit": 5}, True),
        ("dns-names", *whole, {"limit": 100}, True),
        ("cleartext", *whole, {"limit": 100000}, True),
        ("cleartext", *edge, {}, True),
        ("request-rate", *whole, {"limit": 1000}, True),
        ("request-rate", *edge, {}, True),
        ("api-calls", *whole, {"limit": 1000}, True),
        ("api-calls", *edge, {"limit": 5}, True),
    ]
    return runs, few


def load(args):
    """The truth flowgen wrote (args.flows, args.events, args.stats and, when
    given, args.requests), checked against the files in args.dir."""
    flows = read_csv(args.flows, Flow, ("file", "ifname", "direction", "src_addr",
                                        "dst_addr", "end_reason", "app_proto", "app_info",
                                        "encrypted"))
    stats = read_csv(args.stats, Stat, ("file",))
    # A file's time range: its flows, events and collector_stats rows.
    ranges, policies = read_events(args.events)
    for f in flows:
        widen(ranges, f.file, f.first_seen, f.last_seen)
    for s in stats:
        widen(ranges, s.file, s.time, s.time)
    on_disk = sorted(n for n in os.listdir(args.dir) if n.startswith("flows-"))
    if on_disk != sorted(ranges):
        sys.exit(f"canned_ref: {args.dir} holds {len(on_disk)} flow files, the truth "
                 f"{len(ranges)}")
    # report_ref.py loads the truth too, without requests: its report has none.
    requests = read_requests(args.requests) if getattr(args, "requests", None) else []
    return Data(flows, stats, policies, requests, ranges)


def main():
    ap = argparse.ArgumentParser(description="Checks flowdb's canned queries against a "
                                             "reference computed from flowgen's truth.")
    ap.add_argument("--flowdb", required=True, help="the shell binary")
    ap.add_argument("--dir", required=True, help="the data directory flowgen wrote")
    ap.add_argument("--flows", required=True, help="flowgen --truth-flows CSV")
    ap.add_argument("--events", required=True, help="flowgen --truth-events CSV")
    ap.add_argument("--stats", required=True, help="flowgen --truth-stats CSV")
    ap.add_argument("--requests", required=True, help="flowgen --truth-requests CSV")
    args = ap.parse_args()
    data = load(args)
    flows = data.flows

    runs, few = cases(data)
    failed = sum(not check(args, data, name, since, until, params, must)
                 for name, since, until, params, must in runs)
    # Pruning: a window reads only the files it overlaps, the whole history
    # all of them. new-peers reads the history before its window by design.
    want = files_overlapping(data, *few)
    if want * 4 > len(data.ranges):
        sys.exit(f"canned_ref: the window overlaps {want} of {len(data.ranges)} files: too "
                 "many to show pruning")
    for name in QUERIES:
        params = {"host": pick_hosts(flows)[0]} if name == "host" else {}
        if name != "new-peers":
            failed += not check(args, data, name, *few, params, files_read=want)
        failed += not check(args, data, name, None, None, params, files_read=len(data.ranges))
    total = len(runs) + 2 * len(QUERIES) - 1
    print(f"canned_ref: {total - failed} of {total} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
