#!/usr/bin/env python3
"""Traffic, ground truth and timing for enforce_live.sh.

    rate OUT SRC DST PORT COUNT      a capture of COUNT UDP datagrams SRC -> DST:PORT
    mix OUT POLICY                   a capture of mixed traffic and the policy it meets;
                                     prints "sent DROPPED" by an independent reference
                                     of the policy's rules, the last frame an end marker
    sniff IFACE OUT                  counts the IP frames IFACE receives (those the XDP
                                     program passed) up to the end marker; writes
                                     "# ready" to OUT once listening, then "frames N"
    recv ADDR PORT OUT               receives sequence-numbered datagrams up to the end
                                     marker; "# ready" to OUT, then the sequence numbers
    send SRC DST PORT COUNT          sends COUNT datagrams from SRC to DST:PORT
    flip SRC DST PORT RECV_OUT CTL   sends a datagram a millisecond from SRC, blocks SRC
         SOCK                        with flowdb-ctl under that traffic and unblocks it;
                                     checks from what RECV_OUT got that each change took
                                     effect within 100 ms of flowdb-ctl returning, in
                                     one clean cut; prints "sent N dropped D" and the
                                     latencies
"""
import ipaddress
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import capwrite  # noqa: E402

END_PORT = 9
END_PAYLOAD = b"flowdb-enforce-live-end"
END_SEQ = 2**64 - 1
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_STATISTICS = 6
TIMEOUT_S = 30
GAP_NS = 1_000_000  # between the datagrams of flip
STEP = 300  # datagrams between flip's changes: 300 ms
LIMIT_MS = 100
SLACK_NS = 50_000_000


def die(msg):
    print(f"enforce_live.py: {msg}", file=sys.stderr)
    sys.exit(1)


def rate(out, src, dst, port, count):
    """COUNT datagrams with their index as payload, 1 ms apart in the capture
    (tcpreplay sets the real pace)."""
    pkts = [(i * 1000, capwrite.udp4(src, dst, 40000, int(port), struct.pack("!Q", i) * 4))
            for i in range(int(count))]
    capwrite.write_classic(out, pkts)


MIX_POLICY = """# enforce_live.sh: the rules of the mixed capture
allow src 10.9.0.7
block src 10.9.0.0/24 reason "mix"
block dst 192.0.2.1 proto tcp port 23
block src 2001:db8:9::/48
limit src/32 1pps burst 5 proto udp port 9999
"""


def mix_verdicts(pkts):
    """The reference: which of pkts (src, dst, proto, dport) MIX_POLICY drops,
    read from the flowdb-policy(5) rules: allow first, then the blocks, then a
    bucket per source of 5 packets that refills one a second (the capture is
    replayed in far less than a second)."""
    allow = ipaddress.ip_network("10.9.0.7/32")
    blocked = [ipaddress.ip_network("10.9.0.0/24"), ipaddress.ip_network("2001:db8:9::/48")]
    tokens = {}
    drops = []
    for src, dst, proto, dport in pkts:
        s = ipaddress.ip_address(src)
        if s in allow:
            drops.append(False)
        elif any(s.version == n.version and s in n for n in blocked):
            drops.append(True)
        elif dst == "192.0.2.1" and proto == capwrite.TCP and dport == 23:
            drops.append(True)
        elif proto == capwrite.UDP and dport == 9999:
            left = tokens.get(src, 5)
            drops.append(left == 0)
            tokens[src] = max(left - 1, 0)
        else:
            drops.append(False)
    return drops


def mix(out, policy):
    rnd = random.Random(16)
    pkts = []
    sources = ([f"10.9.0.{i}" for i in range(1, 21)] + [f"10.8.0.{i}" for i in range(1, 21)] +
               [f"2001:db8:9::{i:x}" for i in range(1, 6)] +
               [f"2001:db8:8::{i:x}" for i in range(1, 6)])
    for src in sources:
        dst = "192.0.2.1" if ":" not in src else "2001:db8::1"
        for proto, dport, n in ((capwrite.TCP, 23, 7), (capwrite.TCP, 80, 11),
                                (capwrite.UDP, 9999, 12), (capwrite.UDP, 53, 3)):
            pkts += [(src, dst, proto, dport)] * n
    rnd.shuffle(pkts)
    drops = mix_verdicts(pkts)
    frames = [capwrite.frame(proto, src, dst, 30000 + i % 7, dport,
                             bytes(rnd.randrange(0, 200)))
              for i, (src, dst, proto, dport) in enumerate(pkts)]
    frames.append(capwrite.udp4("10.8.0.250", "192.0.2.1", 30000, END_PORT, END_PAYLOAD))
    capwrite.write_classic(out, [(i, f) for i, f in enumerate(frames)])
    with open(policy, "w") as f:
        f.write(MIX_POLICY)
    print(len(frames), sum(drops))


def ready(out):
    with open(out, "w") as f:
        f.write("# ready\n")


def finish(out, lines):
    with open(out + ".tmp", "w") as f:
        f.write("".join(line + "\n" for line in lines))
    os.replace(out + ".tmp", out)


def sniff(iface, out):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
    s.bind((iface, 0))
    s.settimeout(TIMEOUT_S)
    ready(out)
    frames = 0
    while True:
        try:
            data, addr = s.recvfrom(65535)
        except socket.timeout:
            die(f"sniff: no end marker on {iface} after {TIMEOUT_S} s ({frames} frames)")
        # IP only: ARP, which always passes, is none of the capture's.
        if addr[2] == PACKET_OUTGOING or addr[1] not in (capwrite.ETH_IPV4, capwrite.ETH_IPV6):
            continue
        frames += 1
        if data.endswith(END_PAYLOAD):
            break
    # Frames the socket's buffer could not hold would be missing from the count.
    packets, dropped = struct.unpack("II", s.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
    if dropped:
        die(f"sniff: the socket dropped {dropped} frames")
    finish(out, [f"frames {frames}"])


def recv(addr, port, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((addr, int(port)))
    s.settimeout(TIMEOUT_S)
    ready(out)
    seqs = []
    while True:
        try:
            data = s.recv(64)
        except socket.timeout:
            die(f"recv: no end marker after {TIMEOUT_S} s ({len(seqs)} datagrams)")
        seq = struct.unpack("!Q", data[:8])[0]
        if seq == END_SEQ:
            break
        seqs.append(str(seq))
    finish(out, seqs)


def send(src, dst, port, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    for i in range(int(count)):
        s.sendto(struct.pack("!Q", i), (dst, int(port)))


def ctl(cmd, sock, *args):
    """Runs flowdb-ctl; returns the monotonic times it started and returned."""
    t0 = time.monotonic_ns()
    r = subprocess.run([cmd, "-S", sock, *args], capture_output=True, text=True)
    t1 = time.monotonic_ns()
    if r.returncode:
        die(f"flowdb-ctl {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return t0, t1


def flip(src, dst, port, recv_out, ctl_cmd, sock):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.connect((dst, int(port)))
    sent = []  # monotonic time of each datagram, by sequence number
    stop = threading.Event()

    def sender():
        t0 = time.monotonic_ns()
        while not stop.is_set():
            due = t0 + len(sent) * GAP_NS
            now = time.monotonic_ns()
            if due > now:
                time.sleep((due - now) / 1e9)
            sent.append(time.monotonic_ns())
            s.send(struct.pack("!QQ", len(sent) - 1, sent[-1]))

    def after(n):
        deadline = time.monotonic() + TIMEOUT_S
        while len(sent) < n:
            if time.monotonic() > deadline:
                die(f"flip: the sender is stuck at {len(sent)} datagrams")
            time.sleep(0.001)

    th = threading.Thread(target=sender)
    th.start()
    try:
        after(STEP)
        add = ctl(ctl_cmd, sock, "block", "add", src, "--reason", "flip")
        after(len(sent) + STEP)
        dele = ctl(ctl_cmd, sock, "block", "del", src)
        after(len(sent) + STEP)
    finally:
        stop.set()
        th.join()
    s.send(struct.pack("!QQ", END_SEQ, 0))
    deadline = time.monotonic() + TIMEOUT_S
    while not os.path.exists(recv_out) or open(recv_out).readline() == "# ready\n":
        if time.monotonic() > deadline:
            die("flip: the receiver did not finish")
        time.sleep(0.01)
    got = set(int(line) for line in open(recv_out))
    missing = sorted(set(range(len(sent))) - got)
    if not missing or missing[0] == 0:
        die("flip: nothing was dropped while the block was in force, or from the start")
    a, b = missing[0], missing[-1]
    if missing != list(range(a, b + 1)):
        die(f"flip: the dropped datagrams are not one run: {a}..{b} but {len(missing)}")
    if b + 1 >= len(sent):
        die("flip: nothing passed after block del")
    # A change took effect after the last datagram it did not touch left
    # and before the first it did reached the kernel. It missed its 100 ms
    # only if a datagram that left more than 100 ms after flowdb-ctl
    # returned still met the old rule; a stalled sender widens the window
    # but cannot fake that.
    on = (ms(sent[a - 1] - add[1]), ms(sent[a] - add[1]))
    off = (ms(sent[b] - dele[1]), ms(sent[b + 1] - dele[1]))
    # Nor can a change act before flowdb-ctl started (a datagram's time is
    # read just before it is sent: some slack for a preempted sender).
    if min(sent[a] - add[0], sent[b + 1] - dele[0]) < -SLACK_NS:
        die(f"flip: a change took effect before flowdb-ctl ran ({on}, {off} ms)")
    print(f"sent {len(sent) + 1} dropped {len(missing)}")
    for name, took, (lo, hi), what in (("add", add, on, "dropped"),
                                        ("del", dele, off, "passed again")):
        print(f"block {name}: flowdb-ctl took {ms(took[1] - took[0]):.1f} ms; in force "
              f"between {lo:+.1f} and {hi:+.1f} ms after it returned (the first datagram "
              f"{what} left at {hi:+.1f} ms)")
    if on[0] > LIMIT_MS or off[0] > LIMIT_MS:
        die(f"flip: a datagram more than {LIMIT_MS} ms after flowdb-ctl returned met the "
            f"old rule ({on[0]:.1f}, {off[0]:.1f} ms)")


def ms(ns):
    return ns / 1e6


def main():
    cmds = {"rate": (rate, 5), "mix": (mix, 2), "sniff": (sniff, 2), "recv": (recv, 3),
            "send": (send, 4),
            "flip": (flip, 6)}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds or len(sys.argv) - 2 != cmds[sys.argv[1]][1]:
        sys.exit(__doc__)
    cmds[sys.argv[1]][0](*sys.argv[2:])


if __name__ == "__main__":
    main()
