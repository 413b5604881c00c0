#!/usr/bin/env python3
"""Splits a classic pcap into several, independently of the collector's
reader, for tests of imports of many captures:

  capsplit.py interleave IN N OUT_PREFIX   packet i into OUT_PREFIX<i % N>.pcap:
                                           N captures over the same time span
  capsplit.py chunks IN N OUT_DIR          N captures of consecutive packets,
                                           spread over nested directories
  capsplit.py rows DB_DIR                  every flows and events row of the
                                           files in DB_DIR, sorted, one per line

The output captures keep the input's header (link type, resolution)."""
import glob
import os
import sqlite3
import struct
import sys


def packets(path):
    """The header and every record (bytes) of the classic pcap at path."""
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    header, records, off = data[:24], [], 24
    while off < len(data):
        caplen = struct.unpack(order + "I", data[off + 8:off + 12])[0]
        records.append(data[off:off + 16 + caplen])
        off += 16 + caplen
    return header, records


def write(path, header, records):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as f:
        f.write(header)
        for r in records:
            f.write(r)


def rows(db_dir):
    out = []
    for db in sorted(glob.glob(os.path.join(db_dir, "*.db"))):
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        for table in ("flows", "events"):
            cols = [c[1] for c in con.execute(f"PRAGMA table_info({table})")]
            for r in con.execute(f"SELECT {', '.join(cols)} FROM {table}"):
                out.append(table + "|" + "|".join(map(str, r)))
        con.close()
    return sorted(out)


def main(argv):
    if len(argv) == 3 and argv[1] == "rows":
        sys.stdout.write("".join(r + "\n" for r in rows(argv[2])))
        return 0
    if len(argv) != 5 or argv[1] not in ("interleave", "chunks"):
        sys.stderr.write(__doc__)
        return 2
    header, records = packets(argv[2])
    n = int(argv[3])
    if argv[1] == "interleave":
        for i in range(n):
            write(f"{argv[4]}{i}.pcap", header, records[i::n])
        return 0
    per = -(-len(records) // n)
    for i in range(n):
        # Three levels: day / hour / file, as a case directory might be.
        path = os.path.join(argv[4], f"d{i // 20}", f"h{i // 5}", f"part{i:04d}.pcap")
        write(path, header, records[i * per:(i + 1) * per])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
