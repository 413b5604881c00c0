#!/usr/bin/env python3
"""Compares flowtrack output (one line per drained record, any number of
drains) with a generator's per-flow ground truth, exactly.

Usage: flowcmp.py FLOWTRACK_OUTPUT TRUTH_CSV IFINDEX
Exit 0 when every flow's packets, bytes and TCP flags match, no other flow
appears, the kernel totals equal the drained sums, nothing was lost or
malformed, and every TCP SYN and FIN produced one event."""
import sys

def main():
    out_path, truth_path, ifindex = sys.argv[1], sys.argv[2], sys.argv[3]
    got, totals, errors = {}, None, []
    for line in open(out_path):
        line = line.strip()
        if line.startswith("# totals"):
            totals = dict(kv.split("=") for kv in line.split()[2:])
            totals = {k: int(v) for k, v in totals.items()}
            continue
        if not line or line.startswith("#"):
            continue
        f = line.split(",")
        if f[0] != ifindex:
            errors.append(f"record on ifindex {f[0]}, expected {ifindex}: {line}")
        key = tuple(f[1:9])
        p, b, fl = got.get(key, (0, 0, 0))
        got[key] = (p + int(f[9]), b + int(f[10]), fl | int(f[11]))

    want, expected_events = {}, 0
    for line in open(truth_path):
        f = line.strip().split(",")
        want[tuple(f[0:8])] = (int(f[8]), int(f[9]), int(f[10]))
        if f[2] == "6":
            expected_events += 1 + (int(f[10]) & 0x01)

    if totals is None:
        errors.append("no '# totals' line: flowtrack did not finish")
        totals = {}
    for key in sorted(set(want) | set(got)):
        if want.get(key) != got.get(key):
            errors.append(f"flow {','.join(key)}: want (packets, bytes, flags) "
                          f"{want.get(key)}, got {got.get(key)}")
    sum_p = sum(v[0] for v in got.values())
    sum_b = sum(v[1] for v in got.values())
    checks = [("kernel packets", totals.get("packets"), sum_p),
              ("kernel bytes", totals.get("bytes"), sum_b),
              ("non_ip", totals.get("non_ip"), 0),
              ("malformed", totals.get("malformed"), 0),
              ("map_update_failures", totals.get("map_update_failures"), 0),
              ("ringbuf_drops", totals.get("ringbuf_drops"), 0),
              ("events", totals.get("events"), expected_events),
              ("events_received", totals.get("events_received"), expected_events)]
    for name, value, expected in checks:
        if value != expected:
            errors.append(f"{name}: {value}, expected {expected}")

    print(f"flowcmp: {len(want)} flows expected, {len(got)} drained, "
          f"{sum_p} packets, {sum_b} bytes, {expected_events} events")
    for e in errors[:20]:
        print("flowcmp: " + e, file=sys.stderr)
    if len(errors) > 20:
        print(f"flowcmp: ... and {len(errors) - 20} more", file=sys.stderr)
    return 1 if errors else 0

if __name__ == "__main__":
    sys.exit(main())
