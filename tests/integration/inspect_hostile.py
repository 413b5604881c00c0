#!/usr/bin/env python3
"""Odd names from the wire to the canned queries: writes a capture of TLS
ClientHellos, HTTP requests and DNS queries whose names hold spaces,
quotes, slashes, backslashes, tabs, UTF-8, wildcards and look-alikes of the
other side's messages (a server name "TLS1.3 TLS_AES_128_GCM_SHA256", a
CONNECT to "200"), every HTTP method, a request cut before its target
ends, with their servers' answers; imports it with flowdb-collector --read
and checks what tls-names, http-hosts, dns-names, cleartext and
request-rate answer against what the names must give, worked out here
from the bytes sent and the documented encoding (inspect/*.h):
bytes outside printable ASCII and the backslash as \\xHH, a space in a
host name as \\x20, a dot inside a DNS label as \\x2e; an HTTP request as
its method, a space, host and path.

Usage: inspect_hostile.py COLLECTOR FLOWDB DIR
Exit 0 when every answer is as expected; differences go to stderr."""
import json
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import capwrite as cw  # noqa: E402

T = 1700000000 * 10**6
CLIENT, SERVER = "10.1.0.1", "10.2.0.1"
TLS_AES_128_GCM_SHA256 = 0x1301

# (server name bytes or None for no extension)
SNIS = [b"www.example.test", b"www.example.test", b"a b.test", b"TLS1.3 TLS_AES_128_GCM_SHA256",
        b"q\"uote's.test", b"slash/name", b"caf\xc3\xa9.test", b"back\\slash", b"tab\tname",
        b"%_*?[x]", b"x", None]
# (method, target, Host header or None, Authorization or None, port)
REQUESTS = [(b"GET", b"/index.html", b"example.test", None, 80),
            (b"GET", b"/index.html?token=secret", b"example.test", None, 80),
            (b"CONNECT", b"proxy.test:443", b"proxy.test:443", None, 80),
            (b"CONNECT", b"200", None, None, 80),
            (b"OPTIONS", b"*", b" a b ", None, 80),
            (b"PATCH", b"/p", b"q\"uote'", None, 8080),
            (b"TRACE", b"/", b"caf\xc3\xa9", None, 80),
            (b"GET", b"http://404", None, None, 80),
            (b"PROPFIND", b"/dav", b"dav.test", None, 80),
            (b"POST", b"/login", b"a b", b"Basic dXNlcjpwdw==", 80),
            (b"GET", b"/x", b"h.test", None, 443)]
# A request cut inside its target: its method alone is known.
CUT_REQUEST = b"GET /abc"
# (labels of the question name)
DNS_NAMES = [[b"www", b"example", b"test"], [b"My Printer", b"_ipp", b"_tcp", b"local"],
             [b"a.b", b"test"], [b"quo\"te", b"test"], [b"caf\xc3\xa9", b"test"],
             [b"www", b"example", b"test"]]


def esc(raw, extra=b""):
    """The collector's text for wire bytes: printable ASCII as it is, the
    backslash, other bytes and those of extra as \\xHH."""
    return "".join(chr(b) if 0x20 <= b <= 0x7E and b != 0x5C and b not in extra
                   else f"\\x{b:02x}" for b in raw)


def client_hello(sni):
    """A TLS 1.2 record holding a ClientHello with one cipher suite and, when
    sni is given, a server_name extension."""
    ext = b""
    if sni is not None:
        entry = struct.pack("!BH", 0, len(sni)) + sni
        ext = struct.pack("!HHH", 0, len(entry) + 2, len(entry)) + entry
    body = (struct.pack("!H", 0x0303) + bytes(32) + b"\x00" +
            struct.pack("!HH", 2, TLS_AES_128_GCM_SHA256) + b"\x01\x00" +
            struct.pack("!H", len(ext)) + ext)
    hs = struct.pack("!B", 1) + len(body).to_bytes(3, "big") + body
    return struct.pack("!BHH", 22, 0x0301, len(hs)) + hs


def server_hello():
    """A TLS 1.3 ServerHello choosing TLS_AES_128_GCM_SHA256."""
    ext = struct.pack("!HHH", 43, 2, 0x0304)
    body = (struct.pack("!H", 0x0303) + bytes(32) + b"\x00" +
            struct.pack("!HB", TLS_AES_128_GCM_SHA256, 0) + struct.pack("!H", len(ext)) + ext)
    hs = struct.pack("!B", 2) + len(body).to_bytes(3, "big") + body
    return struct.pack("!BHH", 22, 0x0303, len(hs)) + hs


def http_request(method, target, host, auth):
    """An HTTP/1.1 request's head."""
    head = method + b" " + target + b" HTTP/1.1\r\n"
    if host is not None:
        head += b"Host: " + host + b"\r\n"
    if auth is not None:
        head += b"Authorization: " + auth + b"\r\n"
    return head + b"\r\n"


def dns_query(labels, qid):
    """A DNS query for labels, type A, class IN."""
    name = b"".join(bytes([len(l)]) + l for l in labels) + b"\x00"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + name + struct.pack("!HH", 1, 1)


class Capture:
    """Flows of one packet each, a second apart, and what each must give."""

    def __init__(self):
        self.packets, self.flows, self.port = [], [], 40000

    def flow(self, proto, dport, payload, reply=None):
        """A client's packet to SERVER:dport from a new port, and the server's
        reply. Returns the client flow's record (for its expectations)."""
        self.port += 1
        t = T + len(self.packets) * 10**6
        out = cw.frame(proto, CLIENT, SERVER, self.port, dport, payload)
        self.packets.append((t, out))
        rec = {"proto": proto, "sport": self.port, "dport": dport, "bytes": cw.l3_bytes(out),
               "time": t}
        self.flows.append(rec)
        if reply is not None:
            self.packets.append((t + 1000, cw.frame(proto, SERVER, CLIENT, dport, self.port,
                                                    reply)))
        return rec


def build():
    """The capture, and {query: expected rows (as compared)}."""
    c = Capture()
    tls, http, dns, policies, requests = {}, {}, {}, [], 0
    for sni in SNIS:
        rec = c.flow(cw.TCP, 443, client_hello(sni), server_hello())
        if sni is not None:
            name = esc(sni, b" ")
            g = tls.setdefault(name, [0, 0])
            g[0] += 1
            g[1] += rec["bytes"]
    for method, target, host, auth, port in REQUESTS:
        rec = c.flow(cw.TCP, port, http_request(method, target, host, auth),
                     b"HTTP/1.1 200 OK\r\n\r\n")
        if target.startswith(b"http://"):
            where = esc(target[len(b"http://"):], b" ")
        elif method == b"CONNECT":
            where = esc(target)
        else:
            where = (esc(host.strip(b" \t"), b" ") if host else "") + esc(target.split(b"?")[0])
        key = (method.decode(), where)
        g = http.setdefault(key, [0, 0])
        g[0] += 1
        g[1] += rec["bytes"]
        requests += 1
        if auth:
            policies.append((rec["time"], rec["dport"],
                             "cleartext HTTP request with an Authorization header (Basic) to "
                             + where))
        elif port == 443:
            policies.append((rec["time"], rec["dport"],
                             f"cleartext http to port 443 (expects encryption): {method.decode()} "
                             + where))
    rec = c.flow(cw.TCP, 80, CUT_REQUEST)
    http[("GET", "")] = [1, rec["bytes"]]
    requests += 1
    for i, labels in enumerate(DNS_NAMES):
        query = dns_query(labels, i + 1)
        c.flow(cw.UDP, 53, query, query[:2] + b"\x81\x80" + query[4:])
        name = ".".join(esc(l, b".") for l in labels)
        dns[name] = dns.get(name, 0) + 1
    want = {
        "tls-names": sorted([n, g[0], g[1]] for n, g in tls.items()),
        "http-hosts": sorted([m, r, g[0], g[1]] for (m, r), g in http.items()),
        "dns-names": sorted([n, q] for n, q in dns.items()),
        "cleartext": sorted([t, CLIENT, SERVER, p, d] for t, p, d in policies),
        "request-rate": [[CLIENT, requests]],
    }
    return cw.classic(c.packets), want


# The columns compared, per query.
COLUMNS = {"tls-names": ("server_name", "flows", "bytes"),
           "http-hosts": ("method", "request", "flows", "bytes"),
           "dns-names": ("name", "queries"),
           "cleartext": ("time", "src_addr", "dst_addr", "dst_port", "detail"),
           "request-rate": ("client", "requests")}


def main():
    collector, flowdb, work = sys.argv[1:4]
    capture, data = os.path.join(work, "apps.pcap"), os.path.join(work, "apps")
    pcap, want = build()
    with open(capture, "wb") as f:
        f.write(pcap)
    subprocess.run([collector, "--read", capture, "-d", data], check=True,
                   stderr=subprocess.DEVNULL)
    failed = 0
    for query, columns in COLUMNS.items():
        out = subprocess.run([flowdb, "-d", data, "-q", query, "--limit", "1000", "-f", "json"],
                             check=True, capture_output=True, text=True).stdout
        got = sorted([r.get(c, "(no such column)") for c in columns] for r in json.loads(out))
        if got != want[query]:
            failed += 1
            print(f"FAIL {query}:\n  expected {want[query]}\n  received {got}", file=sys.stderr)
        else:
            print(f"ok   {query}: {len(got)} rows")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
