#!/usr/bin/env python3
"""The capture, policy and expected alerts of alerts_offline.sh.

  gen DIR    writes DIR/alerts.pcap (built with tests/lib/capwrite.py), DIR/alerts.policy,
             DIR/expected.csv (rule,key,time,value,threshold of every alert, by time,
             rule and key) and DIR/dropped (the scanner's address and how many of its
             packets its block must drop)
  check EXPECTED GOT   exit 0 when the collector's alerts (same columns) are the
             expected ones, values and thresholds to 1e-9 relative

The expected alerts come from an independent reference of the rules as
flowdb-policy(5) and policy/alert.c document them: the collector flushes every
60 s of capture time from the first packet (and once at its last); each
flush drains every flow's traffic since the previous one, bytes counted at
its last packet's time, new flow records at their first, SYN events and
inspected requests at their own times; a distinct count takes a TCP
attempt from its SYN event and another flow when its source started it (not
an answer to an open flow the other way); a window is 16 slices of
window/16 aligned to the epoch, counted at each piece of evidence's time, and
a flush raises the highest count past the threshold since the previous one,
once per rule and key per suppression interval (the window, at least 1 m);
an anomaly rule learns each bucket's sum after it ends, in order, as an
exponentially weighted mean and variance (alpha 2 / (warm-up buckets + 1)),
and a bucket past mean + K standard deviations (at least 5% of the mean and
at least 1) raises an alert once the key has been learned for its warm-up.

The traffic (times from T0, the first packet): benign sources talking
steadily the whole capture (a TLS-like connection every 5 s, an HTTP request
and a DNS query every 10 s, an NTP datagram every 2 s); the servers answering
each HTTP connection with a SYN-ACK and each DNS query, to as many ports of
the clients (no scan of theirs); a scanner trying
ports 1-300 at 5 s and then port 22 every second until 200 s; a SYN flood of
1000 SYNs in a second at 20 s; 80 HTTP requests, a connection each, at 30 s;
150 DNS queries at 40 s; 2 MB+ sent to one destination at 50 s; a source
opening one flow a second, then 100 a second for 10 s at 200 s.
"""
import ipaddress
import math
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import capwrite  # noqa: E402

SEC = 1000000
T0 = 1800000000 * SEC  # aligned to every window's slices
FLUSH = 60 * SEC
SERVER, DNS_SERVER = "10.0.0.1", "10.0.0.53"
SCANNER, FLOODER, CLIENT, RESOLVER, RECEIVER, SPIKER = (
    "10.1.0.1", "10.2.0.1", "10.3.0.1", "10.4.0.1", "10.5.0.1", "10.6.0.1")
BENIGN = ("10.9.0.1", "10.9.0.2", "10.9.0.3")

# name, side, metric, field, threshold, window (us), block
RULES = [
    ("scan", "src", "distinct", "dst_port", 100, 60 * SEC, True),
    ("flood", "src", "syn", None, 200, 1 * SEC, False),
    ("api", "src", "http_requests", None, 50, 60 * SEC, False),
    ("dns", "src", "dns_queries", None, 100, 60 * SEC, False),
    ("exfil", "dst", "bytes", None, 2 * 1024 * 1024, 60 * SEC, False),
]
# name, side, base metric, K, bucket (us), warm-up (us)
# Buckets of 7 s do not line up with the flushes: at a flush the bucket
# under way already holds evidence (its key stays hot across a sweep).
ANOMALY = ("spike", "src", "flows", 4.0, 7 * SEC, 100 * SEC)
POLICY = """# alerts_offline.sh: every kind of rule the capture holds traffic for
alert scan src distinct dst_port > 100 in 60s then block 10m severity high
alert flood src syn > 200/s severity critical
alert api src http_requests > 50 in 60s
alert dns src dns_queries > 100 in 60s
alert exfil dst bytes > 2M in 1m
alert spike src anomaly flows 4sigma per 7s warmup 100s
"""
SLICES = 16


def dns_query(qid, name):
    """A DNS query for the A record of name."""
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!6H", qid, 0x0100, 1, 0, 0, 0) + qname + struct.pack("!HH", 1, 1)


def traffic():
    """The capture's packets as (time_us, frame, kind) in time order: kind
    'syn' for a SYN without ACK, 'http' for an HTTP request, 'dns' for a DNS
    query, else None."""
    pk = []

    def at(sec, frame, kind=None):
        pk.append((T0 + round(sec * SEC), frame, kind))

    def get(sec, src, sport, dst, dport):
        at(sec, capwrite.tcp4(src, dst, sport, dport, flags=capwrite.TCP_SYN, seq=1000), "syn")
        # The server's SYN-ACK: to a new port of the client's each time,
        # never an attempt of the server's.
        at(sec + 0.001, capwrite.tcp4(dst, src, dport, sport,
                                      flags=capwrite.TCP_SYN | capwrite.TCP_ACK, seq=5000))
        at(sec + 0.005, capwrite.tcp4(src, dst, sport, dport,
                                      b"GET /api HTTP/1.1\r\nHost: api.example\r\n\r\n",
                                      seq=1001), "http")

    def query(sec, src, sport, qid):
        q = dns_query(qid, "www.example.com")
        at(sec, capwrite.udp4(src, DNS_SERVER, sport, 53, q), "dns")
        # The answer, from port 53 to the query's port: an answer to an
        # open flow, not a flow the server starts.
        at(sec + 0.001, capwrite.udp4(DNS_SERVER, src, 53, sport,
                                      q[:2] + b"\x81\x80" + q[4:6] + b"\0\0\0\0\0\0" + q[12:]))

    for i in range(51):  # 0 s to 250 s
        t = 5 * i
        at(t, capwrite.tcp4(BENIGN[0], SERVER, 20000 + i, 443, flags=capwrite.TCP_SYN), "syn")
        at(t + 0.001, capwrite.tcp4(BENIGN[0], SERVER, 20000 + i, 443, b"\x16\x03\x01\x00\x05hello"))
        at(t + 0.002, capwrite.tcp4(BENIGN[0], SERVER, 20000 + i, 443,
                                    flags=capwrite.TCP_FIN | capwrite.TCP_ACK))
    for i in range(26):
        get(10 * i + 0.2, BENIGN[1], 21000 + i, SERVER, 80)
        query(10 * i + 5.2, BENIGN[1], 22000 + i, i)
    for i in range(126):
        at(2 * i + 0.3, capwrite.udp4(BENIGN[2], SERVER, 23000 + i, 123, b"\x23" + b"\0" * 47))
    for port in range(1, 301):
        at(5 + port * 0.01, capwrite.tcp4(SCANNER, SERVER, 40000, port, flags=capwrite.TCP_SYN),
           "syn")
    for i in range(190):  # 10 s to 199 s: blocked from the first flush on
        at(10.5 + i, capwrite.tcp4(SCANNER, SERVER, 41000 + i, 22, flags=capwrite.TCP_SYN), "syn")
    for i in range(1000):
        at(20 + i * 0.001, capwrite.tcp4(FLOODER, SERVER, 1024 + i, 80, flags=capwrite.TCP_SYN),
           "syn")
    for i in range(80):
        get(30 + i * 0.1, CLIENT, 30000 + i, SERVER, 80)
    for i in range(150):
        query(40 + i * 0.02 + 0.007, RESOLVER, 31000 + i, 1000 + i)
    for i in range(2000):
        at(50 + i * 0.001, capwrite.udp4(SERVER, RECEIVER, 5555, 9000, bytes(1400)))
    for i in range(250):  # a flow a second, then 100 a second over 200 s to 210 s
        at(i + 0.4, capwrite.udp4(SPIKER, SERVER, 10000 + i, 7000, b"x"))
    for i in range(1000):
        at(200.0005 + i * 0.01, capwrite.udp4(SPIKER, SERVER, 50000 + i, 7001, b"y"))
    pk.sort(key=lambda p: p[0])
    return pk


def parse(frame):
    """(src, dst, proto, sport, dport, l3 bytes) of a frame made here."""
    ihl = (frame[14] & 15) * 4
    proto = frame[23]
    src = str(ipaddress.ip_address(frame[26:30]))
    dst = str(ipaddress.ip_address(frame[30:34]))
    sport, dport = struct.unpack_from("!HH", frame, 14 + ihl)
    return src, dst, proto, sport, dport, capwrite.l3_bytes(frame)


def flush_times(packets):
    """When the collector flushes: every FLUSH of capture time from the
    first packet (an interval after the packet ending a silence), as a flush
    is due at the first packet at or past it; then at the last packet."""
    out, nxt = [], packets[0][0] + FLUSH
    for ts, _, _ in packets:
        if ts >= nxt:
            out.append(nxt)
            nxt += FLUSH
            if ts >= nxt:
                nxt = ts + FLUSH
    out.append(packets[-1][0])
    return out


class Window:
    """A count in SLICES slices of slice_us, as alert.c keeps it."""

    def __init__(self, slice_us):
        self.slice, self.s = slice_us, {}

    def add(self, t, v):
        n = t // self.slice
        top = max(self.s) if self.s else -1
        if n + SLICES <= top:
            return
        self.s[n] = self.s.get(n, 0) + v
        self.s = {k: x for k, x in self.s.items() if k + SLICES > max(self.s)}

    def sum(self, t):
        cur = t // self.slice
        return sum(x for k, x in self.s.items() if k <= cur < k + SLICES)


def reference(packets):
    """Every alert the rules raise on packets: [(time, rule, key, value, threshold)]."""
    flushes = flush_times(packets)
    drains = [[] for _ in flushes]  # per flush: its evidence, as the collector feeds it
    flows, seen, fi = {}, set(), 0
    for ts, frame, kind in packets:
        while ts >= flushes[fi] and fi < len(flushes) - 1:
            fi += 1
        src, dst, proto, sport, dport, size = parse(frame)
        key = (src, dst, proto, sport, dport)
        d = flows.setdefault((key, fi), {"first": ts, "last": ts, "bytes": 0,
                                         "new": key not in seen})
        seen.add(key)
        d["last"], d["bytes"] = ts, d["bytes"] + size
        if kind:  # events and findings come as they happen
            drains[fi].append((ts, kind, key, 1))
    first = {}
    for (key, fi), d in flows.items():
        first.setdefault(key, d["first"])
    for (key, fi), d in flows.items():
        # A flow its source starts, not the answer to one the other way
        # that began no later (the capture's answers follow their queries
        # within the drain).
        back = (key[1], key[0], key[2], key[4], key[3])
        d["starts"] = back not in first or first[key] < first[back]
        drains[fi].append((d["last"], "flow", key, d))
    alerts = []
    state = {}  # (rule, key) -> dict
    for fi, now in enumerate(flushes):
        # Events and findings are fed before the drain's flows, which are
        # fed in time order (the flows of one key never tie here).
        ev = [e for e in drains[fi] if e[1] != "flow"]
        fl = sorted((e for e in drains[fi] if e[1] == "flow"), key=lambda e: e[0])
        for t, kind, key, d in ev + fl:
            for name, side, metric, field, threshold, window, _ in RULES:
                k = key[0] if side == "src" else key[1]
                st = state.setdefault((name, k), {"w": Window(window // SLICES), "vals": {},
                                                  "over": 0, "until": 0})
                if metric == "distinct" and (kind == "syn" or (
                        kind == "flow" and key[2] != capwrite.TCP and d["starts"])):
                    last = t if kind == "syn" else d["last"]
                    st["vals"][key[4]] = max(st["vals"].get(key[4], 0), last)
                    n = sum(1 for seen in st["vals"].values() if seen > last - window)
                elif metric == "bytes" and kind == "flow":
                    st["w"].add(d["last"], d["bytes"])
                    n = st["w"].sum(d["last"])
                elif (metric, kind) in (("syn", "syn"), ("http_requests", "http"),
                                        ("dns_queries", "dns")):
                    st["w"].add(t, 1)
                    n = st["w"].sum(t)
                else:
                    continue
                if n > threshold:
                    st["over"] = max(st["over"], n)
            name, side, base, sigmas, bucket, warmup = ANOMALY
            if kind == "flow" and d["new"]:
                k = key[0]
                st = state.setdefault((name, k), {"next": d["first"] // bucket, "b": {},
                                                  "mean": 0.0, "var": 0.0, "learned": 0,
                                                  "last": 0, "until": 0})
                if d["first"] // bucket >= st["next"]:
                    st["b"][d["first"] // bucket] = st["b"].get(d["first"] // bucket, 0) + 1
                st["last"] = max(st["last"], d["first"])
        for name, side, metric, field, threshold, window, _ in RULES:
            suppress = max(window, 60 * SEC)
            for (rname, k), st in sorted(state.items()):
                if rname != name or not st["over"]:
                    continue
                if st["until"] <= now:
                    alerts.append((now, name, k, float(st["over"]), float(threshold)))
                    st["until"] = now + suppress
                st["over"] = 0
        name, side, base, sigmas, bucket, warmup = ANOMALY
        alpha = 2.0 / (max(warmup // bucket, 2) + 1.0)
        for (rname, k), st in sorted(state.items()):
            if rname != name:
                continue
            cur, fired = now // bucket, None
            if cur <= st["next"]:
                continue
            st["next"] = max(st["next"], cur - 64)
            for n in range(st["next"], cur):
                x = float(st["b"].pop(n, 0))
                sigma = max(math.sqrt(st["var"]), 0.05 * st["mean"], 1.0)
                limit = st["mean"] + sigmas * sigma
                if st["learned"] >= warmup // bucket and x > limit:
                    fired = (x, limit)
                if not st["learned"]:
                    st["mean"], st["var"] = x, 0.0
                else:
                    diff = x - st["mean"]
                    st["mean"] += alpha * diff
                    st["var"] = (1 - alpha) * (st["var"] + diff * alpha * diff)
                st["learned"] += 1
            st["next"] = cur
            if fired and st["until"] <= now:
                alerts.append((now, name, k, fired[0], fired[1]))
                st["until"] = now + max(bucket, 60 * SEC)
        # A key whose baseline saw nothing for its warm-up is forgotten.
        for sk in [sk for sk, st in state.items()
                   if sk[0] == ANOMALY[0] and st["last"] + ANOMALY[5] <= now and st["until"] <= now]:
            del state[sk]
    return sorted(alerts, key=lambda a: (a[0], a[1], a[2]))


def gen(out):
    packets = traffic()
    capwrite.write_classic(os.path.join(out, "alerts.pcap"), [(ts, f) for ts, f, _ in packets])
    with open(os.path.join(out, "alerts.policy"), "w") as f:
        f.write(POLICY)
    alerts = reference(packets)
    with open(os.path.join(out, "expected.csv"), "w") as f:
        for t, rule, key, value, threshold in alerts:
            f.write(f"{rule},{key},{t},{value!r},{threshold!r}\n")
    # The scanner's block starts at its alert's flush: every packet of it
    # from then on is dropped.
    at = next(t for t, rule, key, _, _ in alerts if rule == "scan" and key == SCANNER)
    dropped = sum(1 for ts, f, _ in packets if ts >= at and parse(f)[0] == SCANNER)
    with open(os.path.join(out, "dropped"), "w") as f:
        f.write(f"{SCANNER} {dropped}\n")


def check(expected, got):
    def rows(path):
        with open(path) as f:
            return [line.strip().split(",") for line in f if line.strip()]

    want, have = rows(expected), rows(got)
    same = len(want) == len(have) and all(
        w[:3] == h[:3] and all(math.isclose(float(a), float(b), rel_tol=1e-9)
                               for a, b in zip(w[3:], h[3:])) for w, h in zip(want, have))
    if not same:
        print(f"the collector's alerts:\n{''.join(','.join(h) + chr(10) for h in have)}"
              f"the reference's:\n{''.join(','.join(w) + chr(10) for w in want)}",
              file=sys.stderr)
    return 0 if same else 1


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "gen":
        gen(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
