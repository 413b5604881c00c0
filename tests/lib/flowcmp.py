#!/usr/bin/env python3
"""Compares what flowdb recorded with a generator's per-flow ground truth,
exactly: every flow's packets, bytes and TCP flags, no other flow, kernel
totals equal to what was drained, nothing lost or malformed, no non-IP
frame unless the truth's line '#non_ip,N' says there are N, and one event
per TCP SYN and per FIN.

Usage:
  flowcmp.py flowtrack OUTPUT TRUTH_CSV IFINDEX   flowtrack's printed records
  flowcmp.py db DIR TRUTH_CSV IFNAME [MIN_FILES]   the flow files in DIR
Exit 0 when everything matches; the first differences go to stderr."""
import glob
import os
import sqlite3
import sys

FLOW_COLUMNS = ("direction, ip_version, proto, src_addr, dst_addr, src_port, "
                "dst_port, vlan, packets, bytes, tcp_flags")


def read_truth(path):
    want, events, non_ip = {}, 0, 0
    for line in open(path):
        f = line.strip().split(",")
        if f[0] == "#non_ip":
            non_ip = int(f[1])
            continue
        want[tuple(f[0:8])] = (int(f[8]), int(f[9]), int(f[10]))
        if f[2] == "6":
            events += 1 + (int(f[10]) & 0x01)
    return want, events, non_ip


def add(got, key, packets, nbytes, flags):
    p, b, fl = got.get(key, (0, 0, 0))
    got[key] = (p + packets, b + nbytes, fl | flags)


def read_flowtrack(path, ifindex, errors):
    got, totals = {}, None
    for line in open(path):
        line = line.strip()
        if line.startswith("# totals"):
            totals = {k: int(v) for k, v in (kv.split("=") for kv in line.split()[2:])}
        elif line and not line.startswith("#"):
            f = line.split(",")
            if f[0] != ifindex:
                errors.append(f"record on ifindex {f[0]}, expected {ifindex}: {line}")
            add(got, tuple(f[1:9]), int(f[9]), int(f[10]), int(f[11]))
    if totals is None:
        errors.append("no '# totals' line: flowtrack did not finish")
        totals = {}
    return got, totals


def read_db(directory, ifname, min_files, errors):
    files = sorted(glob.glob(os.path.join(directory, "flows-*.db")))
    if len(files) < min_files:
        errors.append(f"{len(files)} flow files, expected at least {min_files}")
    got, events = {}, 0
    totals = dict.fromkeys(("packets", "drained", "bytes", "lost", "non_ip", "malformed",
                            "map_update_failures", "ringbuf_drops", "events"), 0)
    for path in files:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        check = db.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            errors.append(f"{path}: integrity_check says {check}")
        for row in db.execute(f"SELECT {FLOW_COLUMNS}, ifname FROM flows"):
            if row[11] != ifname:
                errors.append(f"{path}: flow on {row[11]}, expected {ifname}")
            add(got, tuple(str(v) for v in row[0:8]), row[8], row[9], row[10])
        events += db.execute("SELECT count(*) FROM events").fetchone()[0]
        row = db.execute("SELECT total(kernel_packets), total(drained_packets), "
                         "total(kernel_bytes), total(lost_packets), total(non_ip), "
                         "total(malformed), total(map_update_failures), "
                         "total(ringbuf_drops), total(events) FROM collector_stats").fetchone()
        for k, v in zip(totals, row):
            totals[k] += int(v)
        db.close()
    totals["events_received"] = events
    totals["kernel_bytes"] = totals.pop("bytes")
    print(f"flowcmp: {len(files)} files")
    return got, totals


def main():
    mode, source, truth_path, where = sys.argv[1:5]
    errors = []
    want, expected_events, expected_non_ip = read_truth(truth_path)
    if mode == "flowtrack":
        got, totals = read_flowtrack(source, where, errors)
    else:
        min_files = int(sys.argv[5]) if len(sys.argv) > 5 else 1
        got, totals = read_db(source, where, min_files, errors)

    for key in sorted(set(want) | set(got)):
        if want.get(key) != got.get(key):
            errors.append(f"flow {','.join(key)}: want (packets, bytes, flags) "
                          f"{want.get(key)}, got {got.get(key)}")
    sum_p = sum(v[0] for v in got.values())
    sum_b = sum(v[1] for v in got.values())
    checks = [("kernel packets", totals.get("packets"), sum_p),
              ("non_ip", totals.get("non_ip"), expected_non_ip),
              ("malformed", totals.get("malformed"), 0),
              ("map_update_failures", totals.get("map_update_failures"), 0),
              ("ringbuf_drops", totals.get("ringbuf_drops"), 0),
              ("events", totals.get("events"), expected_events),
              ("events received", totals.get("events_received"), expected_events)]
    if mode == "flowtrack":
        checks.append(("kernel bytes", totals.get("bytes"), sum_b))
    else:
        checks += [("drained packets", totals.get("drained"), sum_p),
                   ("kernel bytes", totals.get("kernel_bytes"), sum_b),
                   ("lost packets", totals.get("lost"), 0)]
    for name, value, expected in checks:
        if value != expected:
            errors.append(f"{name}: {value}, expected {expected}")

    print(f"flowcmp: {len(want)} flows expected, {len(got)} recorded, "
          f"{sum_p} packets, {sum_b} bytes, {expected_events} events")
    for e in errors[:20]:
        print("flowcmp: " + e, file=sys.stderr)
    if len(errors) > 20:
        print(f"flowcmp: ... and {len(errors) - 20} more", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
