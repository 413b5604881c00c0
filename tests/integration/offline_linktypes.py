#!/usr/bin/env python3
"""Helper of offline_linktypes.sh.

    offline_linktypes.py make ETH.pcap DIR
        rewrites the classic Ethernet capture ETH.pcap into one capture per
        case below in DIR (tests/tools/linktypes.py), and prints one line per
        case: NAME FILE VLAN PACKETS NON_IP MALFORMED, where VLAN is 1 when the
        link type keeps VLAN tags, PACKETS the packets in the file, NON_IP and
        MALFORMED how many of them flowdb must count as such (the packet that is
        not IP and the one cut inside its link header put first).
    offline_linktypes.py compare REF_DIR VLAN DIR...
        compares the flows imported into REF_DIR (from ETH.pcap) with the sum of
        those imported into each DIR, per 5-tuple (with the VLAN when VLAN is 1,
        else without): packets, bytes and TCP flags. Exit 0 when equal.
    offline_linktypes.py stats DIR
        prints the non-IP and malformed frames the flow files of DIR count.
"""
import glob
import gzip
import os
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import capwrite as cw  # noqa: E402
import linktypes as lt  # noqa: E402
from tsharkflows import db_flows  # noqa: E402

# name, link type, big-endian, pcapng, gzip; the byte orders vary so that the
# loopback family is written in both. The IPv4 and IPv6 link types go
# together, as two interfaces of one pcapng.
CASES = [
    ("sll", lt.SLL, False, False, False),
    ("sll2", lt.SLL2, True, False, False),
    ("sll-pcapng-gz", lt.SLL, False, True, True),
    ("raw", lt.RAW, False, False, False),
    ("null", lt.NULL, True, False, False),
    ("loop", lt.LOOP, False, False, False),
    ("ppp", lt.PPP, False, False, False),
    ("ppp-hdlc", lt.PPP_HDLC, True, False, False),
    ("c-hdlc", lt.C_HDLC, False, False, False),
    ("ppp-ether", lt.PPP_ETHER, False, False, False),
]


def ip46(packets):
    """A pcapng of an IPv4 (228) and an IPv6 (229) interface, each packet on
    that of its version."""
    blocks = [cw.shb(), cw.idb(linktype=lt.IPV4), cw.idb(linktype=lt.IPV6)]
    for t, f in packets:
        iface = 1 if lt.to_link(f, lt.IPV4) is None else 0
        blocks.append(cw.epb(t, lt.to_link(f, (lt.IPV4, lt.IPV6)[iface]), iface))
    return b"".join(blocks)


def make(eth, out):
    """Writes the cases; prints their manifest."""
    packets = lt.read_classic(eth)
    for name, linktype, be, ng, gz in CASES:
        data = lt.convert(packets, linktype, be, ng, extra=True)
        extra = [lt.non_ip(linktype), lt.cut(linktype)]
        # No .gz in the name: the reader goes by the magic.
        path = os.path.join(out, f"{name}.cap")
        with open(path, "wb") as f:
            f.write(gzip.compress(data) if gz else data)
        vlan = int(linktype in (lt.SLL, lt.SLL2))
        print(name, path, vlan, len(packets) + 2, int(extra[0] is not None), 1)
    path = os.path.join(out, "ip46.cap")
    with open(path, "wb") as f:
        f.write(ip46(packets))
    print("ip46", path, 0, len(packets), 0, 0)


def flows(directory, vlan):
    """{key: [packets, bytes, flags]} of a data directory, without the VLAN
    unless vlan."""
    out = {}
    for key, value in db_flows(directory)[0].items():
        key = key if vlan else key[:6]
        f = out.setdefault(key, [0, 0, 0])
        f[0] += value[0]
        f[1] += value[1]
        f[2] |= value[2]
    return out


def compare(ref, vlan, dirs):
    """Exit status: 0 when the sum of dirs equals ref."""
    want = flows(ref, vlan)
    got = {}
    for d in dirs:
        for key, value in flows(d, vlan).items():
            f = got.setdefault(key, [0, 0, 0])
            f[0] += value[0]
            f[1] += value[1]
            f[2] |= value[2]
    diff = [k for k in set(want) | set(got) if want.get(k) != got.get(k)]
    for k in sorted(diff, key=str)[:10]:
        print(f"  {k}: Ethernet {want.get(k)}, {' + '.join(dirs)} {got.get(k)}", file=sys.stderr)
    return 1 if diff or not want else 0


def stats(directory):
    """Prints the sums of non_ip and malformed over the flow files."""
    non_ip = malformed = 0
    for path in glob.glob(os.path.join(directory, "flows-*.db")):
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        a, b = db.execute("SELECT total(non_ip), total(malformed) FROM collector_stats").fetchone()
        non_ip, malformed = non_ip + int(a), malformed + int(b)
        db.close()
    print(non_ip, malformed)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "make":
        make(*args)
    elif cmd == "compare":
        sys.exit(compare(args[0], args[1] == "1", args[2:]))
    elif cmd == "stats":
        stats(*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
