#!/usr/bin/env python3
"""What IPFIX collectors made of flowdb's export, against flowdb's own files.

  ipfix_cmp.py nfdump DB_DIR NFDUMP_JSON [--where SQL]
      nfdump -o json's records against the flows of every *.db file under
      DB_DIR, per 5-tuple (protocol, addresses, ports): the number of
      records, packets, bytes, the OR of the TCP flags, the first and last
      packet to the millisecond. Prints the counts compared; exit 1 on any
      difference.
  ipfix_cmp.py pmacct DB_DIR CSV [--where SQL]
      nfacctd's print plugin CSV (aggregate ..., flows): the totals of
      flows, packets and bytes.

--where restricts the SQLite side (e.g. the flows of one batch); both
sides are read whole otherwise.
"""
import calendar
import glob
import ipaddress
import json
import os
import sqlite3
import sys
import time

# nfdump 1.7 writes the TCP flags as 8 characters, CWR first, a dot for a
# flag not set.
FLAG_BITS = [0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02, 0x01]


def flags_value(text):
    """The flag byte of nfdump's text, e.g. '...AP.SF' -> 0x1b."""
    if len(text) != 8:
        raise ValueError(f"unexpected TCP flags text {text!r}")
    return sum(bit for bit, ch in zip(FLAG_BITS, text) if ch != ".")


def addr(text):
    return str(ipaddress.ip_address(text))


def db_records(db_dir, where):
    """(key, packets, bytes, flags, first_ms, last_ms) of every record."""
    files = sorted(glob.glob(os.path.join(db_dir, "**", "*.db"), recursive=True))
    if not files:
        sys.exit(f"no flow files under {db_dir}")
    for path in files:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        q = ("SELECT proto, src_addr, dst_addr, src_port, dst_port, packets, bytes,"
             " tcp_flags, first_seen, last_seen FROM flows")
        if where:
            q += " WHERE " + where
        for (proto, sa, da, sp, dp, pk, by, fl, first, last) in con.execute(q):
            yield ((proto, addr(sa), addr(da), sp, dp), pk, by, fl, first // 1000,
                   last // 1000)
        con.close()


def nfdump_records(path):
    with open(path) as f:
        text = f.read().strip()
    recs = json.loads(text) if text else []
    for r in recs:
        if r.get("type") != "FLOW":
            continue
        proto = r["proto"]
        sa = r.get("src4_addr") or r.get("src6_addr")
        da = r.get("dst4_addr") or r.get("dst6_addr")
        sp, dp = r.get("src_port", 0), r.get("dst_port", 0)
        # nfdump shows an ICMP flow's type and code rather than its ports,
        # and no TCP flags: flowdb's destination port is type * 256 + code,
        # the NetFlow way.
        if "icmp_type" in r:
            sp, dp = 0, r["icmp_type"] * 256 + r["icmp_code"]
        first = to_ms(r["first"])
        last = to_ms(r["last"])
        yield ((proto, addr(sa), addr(da), sp, dp), r["in_packets"], r["in_bytes"],
               flags_value(r.get("tcp_flags", "........")), first, last)


def to_ms(text):
    """nfdump's '2026-12-03T10:05:16.123' (run with TZ=UTC) in ms."""
    whole, _, frac = text.partition(".")
    t = calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S"))
    return t * 1000 + int((frac + "000")[:3])


def per_tuple(records):
    out = {}
    for key, pk, by, fl, first, last in records:
        n, p, b, f, lo, hi = out.get(key, (0, 0, 0, 0, first, last))
        out[key] = (n + 1, p + pk, b + by, f | fl, min(lo, first), max(hi, last))
    return out


def cmp_nfdump(db_dir, js, where):
    ours = per_tuple(db_records(db_dir, where))
    theirs = per_tuple(nfdump_records(js))
    bad = equal = 0
    names = ("records", "packets", "bytes", "tcp_flags", "first_ms", "last_ms")
    for key in sorted(set(ours) | set(theirs), key=str):
        a, b = ours.get(key), theirs.get(key)
        equal += a == b
        if a != b:
            bad += 1
            if bad <= 10:
                diff = "only in flowdb" if b is None else "only in nfdump" if a is None else \
                    ", ".join(f"{n} {x} != {y}" for n, x, y in zip(names, a, b) if x != y)
                print(f"  {key}: {diff}", file=sys.stderr)
    records = sum(v[0] for v in ours.values())
    print(f"nfdump: {len(ours)} 5-tuples ({records} records) in flowdb's files, "
          f"{len(theirs)} in nfdump's, {equal} equal in "
          f"records, packets, bytes, TCP flags, first and last ms; {bad} differ")
    return bad == 0 and len(ours) > 0


def cmp_pmacct(db_dir, csv_path, where):
    flows = packets = byts = 0
    for _key, pk, by, _fl, _first, _last in db_records(db_dir, where):
        flows += 1
        packets += pk
        byts += by
    t_flows = t_packets = t_bytes = 0
    with open(csv_path) as f:
        header = f.readline().strip().split(",")
        if "PACKETS" not in header:
            print(f"nfacctd: no table in {csv_path}")
            return False
        ip, iflows, ib = header.index("PACKETS"), header.index("FLOWS"), header.index("BYTES")
        for line in f:
            cols = line.strip().split(",")
            # Each purge of the cache appended its header again.
            if cols == header:
                continue
            t_packets += int(cols[ip])
            t_flows += int(cols[iflows])
            t_bytes += int(cols[ib])
    print(f"nfacctd: flows {t_flows}, packets {t_packets}, bytes {t_bytes}; "
          f"flowdb's files: flows {flows}, packets {packets}, bytes {byts}")
    return (flows, packets, byts) == (t_flows, t_packets, t_bytes) and flows > 0


def main():
    args = sys.argv[1:]
    where = None
    if "--where" in args:
        i = args.index("--where")
        where = args[i + 1]
        del args[i:i + 2]
    if len(args) != 3 or args[0] not in ("nfdump", "pmacct"):
        sys.exit(__doc__)
    ok = (cmp_nfdump if args[0] == "nfdump" else cmp_pmacct)(args[1], args[2], where)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
