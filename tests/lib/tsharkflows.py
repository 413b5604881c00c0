#!/usr/bin/env python3
"""Compares the flows flowdb imported from a capture with tshark's view of
the same capture: per 5-tuple (IP version, protocol, addresses, ports, outer
VLAN), the packets, the layer-3 bytes (IPv4 total length, IPv6 payload
length + 40) and the OR of the TCP flags must be equal, with no flow on
either side only. tshark dissects independently of flowdb's BPF parser;
reassembly is off so that every frame stands alone, as in the kernel.

Ports follow flowdb's documented conventions: ICMP and ICMPv6 have source
port 0 and destination port type * 256 + code; protocols without ports and
non-first fragments have ports 0. Frames that are not IP are not flows.

Usage: tsharkflows.py CAPTURE DIR   (DIR holds the flow files)
Exit 0 when everything matches; the first differences go to stderr."""
import glob
import os
import sqlite3
import subprocess
import sys

FIELDS = ("ieee8021ad.id", "vlan.id", "ip.src", "ip.dst", "ip.proto", "ip.len", "ip.frag_offset",
          "ipv6.src", "ipv6.dst", "ipv6.plen", "tcp.srcport", "tcp.dstport", "tcp.flags",
          "udp.srcport", "udp.dstport", "sctp.srcport", "sctp.dstport", "icmp.type",
          "icmp.code", "icmpv6.type", "icmpv6.code", "ipv6.nxt")
PORTED = {6: "tcp", 17: "udp", 132: "sctp"}


def first(value):
    """The first of tshark's comma-separated occurrences (the outer header),
    or None."""
    return value.split(",")[0] if value else None


def tshark_flows(capture):
    """Runs tshark over capture; returns {key: [packets, bytes, tcp_flags]}."""
    cmd = ["tshark", "-n", "-r", capture, "-o", "ip.defragment:FALSE",
           "-o", "ipv6.defragment:FALSE", "-o", "tcp.desegment_tcp_streams:FALSE",
           "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    flows = {}
    for line in out.splitlines():
        v = dict(zip(FIELDS, (first(x) for x in line.split("\t"))))
        # The outer tag: an 802.1ad S-tag when there is one (QinQ).
        vlan = int(v["ieee8021ad.id"] or v["vlan.id"] or 0)
        if v["ip.src"]:
            version, src, dst = 4, v["ip.src"], v["ip.dst"]
            proto, nbytes = int(v["ip.proto"]), int(v["ip.len"])
            fragment = int(v["ip.frag_offset"] or 0) > 0
        elif v["ipv6.src"]:
            version, src, dst = 6, v["ipv6.src"], v["ipv6.dst"]
            nbytes = int(v["ipv6.plen"]) + 40
            fragment = False
            # The upper layer: tshark names it by the dissector it ran.
            if v["icmpv6.type"]:
                proto = 58
            elif v["tcp.srcport"]:
                proto = 6
            elif v["udp.srcport"]:
                proto = 17
            elif v["sctp.srcport"]:
                proto = 132
            else:
                proto = int(v["ipv6.nxt"])
        else:
            continue
        sport = dport = 0
        if fragment:
            pass
        elif proto in PORTED and v[PORTED[proto] + ".srcport"]:
            sport = int(v[PORTED[proto] + ".srcport"])
            dport = int(v[PORTED[proto] + ".dstport"])
        elif proto == 1 and v["icmp.type"]:
            dport = int(v["icmp.type"]) * 256 + int(v["icmp.code"])
        elif proto == 58 and v["icmpv6.type"]:
            dport = int(v["icmpv6.type"]) * 256 + int(v["icmpv6.code"])
        flags = int(v["tcp.flags"], 16) & 0xff if proto == 6 and v["tcp.flags"] else 0
        key = (version, proto, src, dst, sport, dport, vlan)
        f = flows.setdefault(key, [0, 0, 0])
        f[0] += 1
        f[1] += nbytes
        f[2] |= flags
    return flows


def db_flows(directory):
    """Sums every record of the flow files in directory per flow key."""
    flows = {}
    files = sorted(glob.glob(os.path.join(directory, "flows-*.db")))
    for path in files:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        for row in db.execute("SELECT ip_version, proto, src_addr, dst_addr, src_port, "
                              "dst_port, vlan, packets, bytes, tcp_flags FROM flows"):
            f = flows.setdefault(tuple(row[:7]), [0, 0, 0])
            f[0] += row[7]
            f[1] += row[8]
            f[2] |= row[9]
        db.close()
    return flows, len(files)


def main():
    capture, directory = sys.argv[1:3]
    want = tshark_flows(capture)
    got, nfiles = db_flows(directory)
    errors = []
    for key in sorted(set(want) | set(got), key=str):
        w, g = want.get(key), got.get(key)
        if w != g:
            errors.append(f"{key}: tshark {w}, flowdb {g}")
    packets = sum(f[0] for f in want.values())
    print(f"tsharkflows: {os.path.basename(capture)}: {len(want)} flows, {packets} IP packets "
          f"by tshark; {len(got)} flows in {nfiles} files by flowdb")
    for e in errors[:20]:
        print("  " + e, file=sys.stderr)
    if errors:
        print(f"tsharkflows: {len(errors)} flows differ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
