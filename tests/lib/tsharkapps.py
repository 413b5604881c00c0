#!/usr/bin/env python3
"""Compares what flowdb's payload inspection found in a capture with what
tshark's dissectors find in the same capture, flow by flow (5-tuple).

tshark reads each flow's first payload packet on its own (no reassembly): a
TLS ClientHello with its server name, an HTTP
request with its Host, a DNS query with its name. For each such flow:

  - flowdb's record of that flow must name the same protocol;
  - its app_info must agree with tshark: the TLS server name equal (or
    empty when the name lies past the bytes the kernel copied), the HTTP
    host the start of app_info (unless cut off), the DNS name equal.

And the other way: every flow to or from the protocol's own port (443, 80,
53) that flowdb names tls, http or dns must be one where tshark sees that
protocol in one of the flow's first four payload packets. (On other ports
tshark picks its dissector by port, flowdb by content: a scanner's "GET /"
to port 139 is HTTP to flowdb, NetBIOS to tshark.) Names that are not
printable ASCII, or that flowdb had to escape, are left out.

Usage: tsharkapps.py CAPTURE DIR FLOWDB   (DIR holds the flow files, FLOWDB
is the shell) Exit 0 when everything agrees; differences go to stderr."""
import json
import subprocess
import sys

FIELDS = ("ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport",
          "tcp.len", "udp.srcport", "udp.dstport", "udp.length", "tls.handshake.type",
          "tls.handshake.extensions_server_name", "http.request.method", "http.host",
          "http.response.code", "dns.flags.response", "dns.flags.opcode", "dns.qry.name", "ip.frag_offset",
          "icmp.type", "icmpv6.type")
# Opcodes DNS has assigned; a message with another is a scanner's probe,
# which flowdb does not take for DNS.
DNS_OPCODES = ("0", "1", "2", "4", "5", "6")
# Payload packets of a flow the collector reads before it gives up on one
# it recognises nothing in (STREAMS_TRIES, collector/streams.c).
INSPECTED = 4
OWN_PORT = {"tls": 443, "http": 80, "dns": 53}
LIMIT = 20  # differences shown


def printable(s):
    return all(0x20 <= ord(c) < 0x7f and c != "\\" for c in s)


def tshark_apps(capture):
    """{5-tuple: [(proto, name), ...]} for each flow's first INSPECTED payload
    packets, in order: name is the client's (server name, Host, query name),
    None for a server's message (ServerHello, response, answer); proto is
    None when tshark saw none of the three."""
    cmd = ["tshark", "-n", "-r", capture, "-o", "tcp.desegment_tcp_streams:FALSE",
           "-o", "ip.defragment:FALSE", "-T", "fields", "-E", "separator=/t",
           "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    flows = {}
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        src, dst = v["ip.src"] or v["ipv6.src"], v["ip.dst"] or v["ipv6.dst"]
        # An ICMP error quotes a datagram: its ports are not a flow's.
        if not src or int(v["ip.frag_offset"] or 0) or v["icmp.type"] or v["icmpv6.type"]:
            continue
        if v["tcp.srcport"]:
            proto, sport, dport = 6, int(v["tcp.srcport"]), int(v["tcp.dstport"])
            payload = int(v["tcp.len"] or 0)
        elif v["udp.srcport"]:
            proto, sport, dport = 17, int(v["udp.srcport"]), int(v["udp.dstport"])
            payload = int(v["udp.length"] or 8) - 8
        else:
            continue
        if payload <= 0:
            continue
        seen = flows.setdefault((proto, src, dst, sport, dport), [])
        if len(seen) == INSPECTED:
            continue
        app = (None, None)
        hello = v["tls.handshake.type"].split(",")
        if "1" in hello:
            app = ("tls", v["tls.handshake.extensions_server_name"])
        elif "2" in hello:
            app = ("tls", None)
        elif proto == 6 and v["http.request.method"]:
            app = ("http", v["http.host"])
        elif proto == 6 and v["http.response.code"]:
            app = ("http", None)
        elif proto == 17 and v["dns.qry.name"] and v["dns.flags.opcode"] in DNS_OPCODES:
            app = ("dns", v["dns.qry.name"] if v["dns.flags.response"] == "0" else None)
        seen.append(app)
    return flows


def flowdb_apps(flowdb, data):
    """{5-tuple: (app_proto, app_info)} of the flows flowdb recorded."""
    sql = ("SELECT DISTINCT proto, src_addr, dst_addr, src_port, dst_port, app_proto, app_info "
           "FROM flows WHERE proto IN (6, 17)")
    out = subprocess.run([flowdb, "-d", data, "-f", "json", "-c", sql], check=True,
                         capture_output=True, text=True).stdout
    flows = {}
    for r in json.loads(out):
        key = (r["proto"], r["src_addr"], r["dst_addr"], r["src_port"], r["dst_port"])
        if r["app_proto"] or key not in flows:
            flows[key] = (r["app_proto"], r["app_info"])
    return flows


def agrees(proto, name, info):
    """Whether flowdb's app_info agrees with tshark's name for proto."""
    if proto == "tls":
        return info in (name, "")
    if proto == "http":
        # The method, then host and path (a CONNECT's authority, OPTIONS's
        # "*"); the path alone when the Host header was cut off.
        target = info.split(" ", 1)[1] if " " in info else ""
        return target == name or target.startswith((name + "/", name + "*", "/")) or not name
    return info == name


def main():
    capture, data, flowdb = sys.argv[1:4]
    want, got = tshark_apps(capture), flowdb_apps(flowdb, data)
    diffs, checked = [], {"tls": 0, "http": 0, "dns": 0}
    for key, apps in sorted(want.items(), key=str):
        proto, name = apps[0]
        if proto is None or name is None or not printable(name):
            continue
        have = got.get(key)
        if have is None or have[0] != proto:
            diffs.append(f"{key}: tshark sees {proto} {name!r} first, flowdb {have}")
        elif "\\" in (have[1] or ""):
            continue
        elif not agrees(proto, name, have[1] or ""):
            diffs.append(f"{key}: tshark {proto} {name!r}, flowdb app_info {have[1]!r}")
        else:
            checked[proto] += 1
    for key, (proto, info) in sorted(got.items(), key=str):
        if proto in checked and OWN_PORT[proto] in key[3:] and \
                all(p != proto for p, _ in want.get(key, [])):
            diffs.append(f"{key}: flowdb found {proto} {info!r}, tshark does not in its first "
                         f"{INSPECTED} payload packets: {want.get(key)}")
    for line in diffs[:LIMIT]:
        print(f"  {line}", file=sys.stderr)
    print(f"{capture}: tshark and flowdb agree on {checked['tls']} TLS, {checked['http']} "
          f"HTTP and {checked['dns']} DNS flows; {len(diffs)} differ")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
