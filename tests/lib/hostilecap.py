#!/usr/bin/env python3
"""Writes hostile captures for offline_hostile.sh into DIR, each NAME.pcap (or
.pcapng) with what `flowdb-collector --read` must make of it, worked out
here from the documented rules alone (README, "Importing a capture"):

  NAME.rows    the flow records, one per line, sorted:
               proto,src_addr,src_port,dst_addr,dst_port,packets,bytes,first_seen,last_seen
  NAME.files   the names of the flow files, sorted
  NAME.stderr  standard error, exactly, with the read time as "T"
  NAME.rc      the exit status

The rules: the capture clock never runs backwards (a packet earlier than
one before it counts at the latest time before it, and one warning line
counts them); a capture stamped 0 is imported at 1970; a malformed
capture gives exactly one line, the error with its byte offset, after
every packet before it is written. Records end by idle timeout (15 s);
the first flush comes a minute of capture time after the first packet
(README: at most once per minute), then at the end, and each goes to the
file of its own time's hour.

Usage: hostilecap.py DIR"""
import datetime
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import capwrite as cw  # noqa: E402

US = 10**6
HOUR = 3600 * US
DAY = 24 * HOUR
FIRST_FLUSH = 60 * US  # the first offline flush, after the first packet
T = 1700000000 * US  # 2023-11-14T22:13:20Z
CLASSIC_HEADER, RECORD_HEADER = 24, 16


def hour_file(us):
    """The name of the hourly flow file for a time."""
    t = datetime.datetime.fromtimestamp(us // HOUR * 3600, datetime.timezone.utc)
    return t.strftime("flows-%Y%m%dT%H%MZ.db")


class Capture:
    """Packets in file order with their capture times, and what the rules
    make of them."""

    def __init__(self):
        self.packets = []  # (ts_us, frame, key)

    def add(self, ts, proto, src, sport, dst, dport, payload=b"x"):
        f = cw.frame(proto, src, dst, sport, dport, payload,
                     cw.TCP_ACK if proto == cw.TCP else 0)
        self.packets.append((ts, f, (proto, src, sport, dst, dport)))

    def offsets(self):
        """The byte offset of each packet's record in the classic pcap."""
        off, out = CLASSIC_HEADER, []
        for _, f, _ in self.packets:
            out.append(off)
            off += RECORD_HEADER + len(f)
        return out

    def clocked(self):
        """[(counted time, frame, key)] and (earlier packets, first one's
        offset, largest step back): the monotonic capture clock."""
        latest, out, earlier, first, back = None, [], 0, None, 0
        for (ts, f, key), off in zip(self.packets, self.offsets()):
            if latest is not None and ts < latest:
                earlier += 1
                first = off if first is None else first
                back = max(back, latest - ts)
            else:
                latest = ts
            out.append((latest, f, key))
        return out, (earlier, first, back)

    def records(self, n=None):
        """Rows of the first n packets (all by default). Each flow here is one
        record: its packets lie within the idle timeout of each other."""
        rows = {}
        for ts, f, key in self.clocked()[0][:n]:
            r = rows.setdefault(key, [0, 0, ts, ts])
            r[0] += 1
            r[1] += cw.l3_bytes(f)
            r[2], r[3] = min(r[2], ts), max(r[3], ts)
        return sorted(",".join(map(str, (*k, *v))) for k, v in rows.items())

    def files(self, n=None):
        """The hourly files: records that ended at the first flush go to its
        hour, the others to the hour of the last packet (the final flush)."""
        times = [ts for ts, _, _ in self.clocked()[0][:n]]
        flush = times[0] + FIRST_FLUSH
        names = {hour_file(times[-1])}
        if times[-1] >= flush:
            names.add(hour_file(flush))
        return sorted(names)

    def warning(self, path, n=None):
        """The warning line about the first n packets earlier than one before
        them, or None."""
        earlier = Capture()
        earlier.packets = self.packets[:n]
        count, first, back = earlier.clocked()[1]
        if not count:
            return None
        secs = f"{back // US}.{back % US:06d}"
        if count == 1:
            return (f"flowdb-collector: warning: {path}: 1 packet is earlier than one before it "
                    f"(at byte {first}, by {secs} s): counted at the latest time before it")
        return (f"flowdb-collector: warning: {path}: {count} packets are earlier than one before "
                f"them (the first at byte {first}, by up to {secs} s): each counted at the latest "
                f"time before it")

    def classic(self):
        """The packets as a classic pcap file."""
        return cw.classic([(ts, f) for ts, f, _ in self.packets])


def write_case(d, name, data, rows, files, stderr, rc):
    """Writes one capture and what must come of it."""
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    base = os.path.join(d, name.rsplit(".", 1)[0])
    for ext, lines in (("rows", rows), ("files", files), ("stderr", stderr), ("rc", [str(rc)])):
        with open(f"{base}.{ext}", "w") as f:
            f.write("".join(line + "\n" for line in lines))


def read_line(path, n):
    """The last line of a whole import, its time as T."""
    return f"flowdb-collector: read {n} packets from {path} in T s"


def case_zero(d):
    """Every packet stamped 0: all kept, at 1970-01-01 (the final flush once
    skipped such a capture and exited 0)."""
    c = Capture()
    for i in range(5):
        c.add(0, cw.UDP, "10.0.0.1", 1000 + i % 3, "10.0.0.2", 53)
    path = os.path.join(d, "zero.pcap")
    write_case(d, "zero.pcap", c.classic(), c.records(), ["flows-19700101T0000Z.db"],
               [read_line(path, 5)], 0)


def timeline():
    """In order, out of order by half a second, 30 days back, 28 hours on,
    28 hours back, and a last packet stamped 0."""
    c = Capture()
    a, b = "10.0.0.1", "10.0.0.2"
    for s in (0, 1, 2):
        c.add(T + s * US, cw.UDP, a, 1000, b, 53)
    c.add(T + 3 * US, cw.TCP, a, 2000, b, 80)
    c.add(T + 2500000, cw.TCP, a, 2000, b, 80)
    c.add(T + 4 * US, cw.TCP, a, 2000, b, 80)
    c.add(T - 30 * DAY, cw.UDP, "10.0.0.3", 3000, b, 123)
    c.add(T - 30 * DAY + US, cw.UDP, "10.0.0.3", 3000, b, 123)
    c.add(T + 5 * US, cw.UDP, a, 1000, b, 53)
    c.add(T + 28 * HOUR, cw.UDP, "10.0.0.4", 4000, b, 443)
    c.add(T + 7 * US, cw.UDP, "10.0.0.5", 5000, b, 443)
    c.add(T + 8 * US, cw.UDP, "10.0.0.5", 5000, b, 443)
    c.add(0, cw.TCP, "10.0.0.6", 6000, b, 22)
    return c


def case_backwards(d):
    c = timeline()
    path = os.path.join(d, "back.pcap")
    write_case(d, "back.pcap", c.classic(), c.records(), c.files(),
               [c.warning(path), read_line(path, len(c.packets))], 0)


def case_last_zero(d):
    """The reported capture: the last packet stamped 0."""
    c = Capture()
    for s in range(4):
        c.add(T + s * US, cw.UDP, "10.0.0.1", 1000 + s, "10.0.0.2", 53)
    c.add(0, cw.UDP, "10.0.0.3", 7, "10.0.0.4", 7)
    path = os.path.join(d, "lastzero.pcap")
    write_case(d, "lastzero.pcap", c.classic(), c.records(), c.files(),
               [c.warning(path), read_line(path, 5)], 0)


def case_cut(d):
    """The backwards capture cut inside its last record: the warning about
    the packets before the cut, then the error, the only error line."""
    c = timeline()
    n = len(c.packets) - 1
    off = c.offsets()[n]
    path = os.path.join(d, "cut.pcap")
    write_case(d, "cut.pcap", c.classic()[:off + 10], c.records(n), c.files(n),
               [c.warning(path, n),
                f"flowdb-collector: {path}: truncated packet record at byte {off}; "
                f"the {n} packets before it are written"], 1)


def case_malformed(d):
    """A pcapng file whose fourth packet's block has a wrong trailing length:
    exactly one line, and the three packets before it written."""
    c = Capture()
    for s in range(5):
        c.add(T + s * US, cw.TCP, "10.0.0.1", 1000, "10.0.0.2", 80 + s % 2)
    shb, idb = cw.shb(), cw.idb()
    blocks = [cw.epb(ts, f) for ts, f, _ in c.packets]
    off = len(shb) + len(idb) + sum(map(len, blocks[:3]))
    bad = blocks[3][:-4] + struct.pack("<I", len(blocks[3]) + 4)
    data = shb + idb + b"".join(blocks[:3]) + bad + blocks[4]
    path = os.path.join(d, "malformed.pcapng")
    write_case(d, "malformed.pcapng", data, c.records(3), c.files(3),
               [f"flowdb-collector: {path}: pcapng block at byte {off} has trailing length "
                f"{len(blocks[3]) + 4}, not {len(blocks[3])}; the 3 packets before it are "
                f"written"], 1)


def main():
    d = sys.argv[1]
    for case in (case_zero, case_last_zero, case_backwards, case_cut, case_malformed):
        case(d)


if __name__ == "__main__":
    main()
