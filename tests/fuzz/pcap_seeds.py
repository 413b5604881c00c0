#!/usr/bin/env python3
"""Writes the seed captures of tests/fuzz/fuzz_pcapread.c into OUT_DIR: small
generated captures that reach every kind of record and block the reader
knows (classic pcap in both byte orders and resolutions; pcapng sections in
both byte orders, interfaces with if_tsresol and if_tsoffset, Enhanced and
Simple Packet Blocks, unknown blocks, a link type not read, cut and oversized
records), every link type read besides Ethernet (tests/tools/linktypes.py:
IP, not IP, cut inside the link header; classic and one pcapng of them all),
gzip-compressed captures (whole, in two members, cut, followed by other
bytes), and, from each real capture in SHARED_DIR when given, its first
packets as classic pcap, nanosecond big-endian pcap and pcapng.

Usage: pcap_seeds.py OUT_DIR [SHARED_DIR]"""
import glob
import gzip
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import capwrite as cw  # noqa: E402
import linktypes as lt  # noqa: E402

# Packets taken from each real capture: enough for a few flows, small enough
# for a fuzzer's input.
SHARED_PACKETS = 16
T_US = 1700000000 * 10**6
LINKTYPE_NOT_READ = 189  # USB packets as Linux captures them
CUSTOM_BLOCK = 0x0BAD


def sample_frames():
    """A few frames of different kinds."""
    return [cw.udp4("10.0.0.1", "10.0.0.2", 40000, 53, b"\x12\x34\x01\x00\x00\x01" + 6 * b"\0"),
            cw.tcp4("10.0.0.1", "10.0.0.2", 40001, 80, b"GET / HTTP/1.1\r\n\r\n"),
            cw.frame(cw.TCP, "2001:db8::1", "2001:db8::2", 40002, 443, b"", cw.TCP_SYN)]


def generated():
    """{name: bytes} of the generated seeds."""
    frames = sample_frames()
    timed = [(T_US + i * 1500, f) for i, f in enumerate(frames)]
    seeds = {
        "classic-le-us.pcap": cw.classic(timed),
        "classic-be-ns.pcap": cw.classic([(t * 1000 + 7, f) for t, f in timed], ns=True,
                                         big_endian=True),
        "classic-snaplen.pcap": cw.classic(timed, snaplen=64),
        "classic-cut.pcap": cw.classic(timed)[:-5],
        "classic-usb.pcap": cw.classic(timed, linktype=LINKTYPE_NOT_READ),
        "pcapng-le.pcapng": cw.pcapng(timed),
        "pcapng-be.pcapng": cw.pcapng(timed, big_endian=True),
    }
    # Every block kind: interfaces in ns and in 2^-20 s with an offset,
    # packets on both, a Simple Packet Block, an unknown block, then a new
    # section in the other byte order with an interface of another link type.
    f0, f1, f2 = frames
    seeds["pcapng-mixed.pcapng"] = b"".join([
        cw.shb(), cw.idb(tsresol=9), cw.idb(tsresol=0x94, tsoffset=100, snaplen=1500),
        cw.epb(T_US * 1000, f0, 0), cw.epb(5 << 20, f1, 1), cw.spb(f2),
        cw.block(CUSTOM_BLOCK, b"custom"),
        cw.shb(True), cw.idb(True, linktype=LINKTYPE_NOT_READ), cw.idb(True),
        cw.epb(T_US, f0, 1, True), cw.epb(T_US, f1, 0, True)])
    seeds["pcapng-not-read.pcapng"] = cw.shb() + cw.idb(linktype=LINKTYPE_NOT_READ) + cw.epb(
        T_US, f0)
    seeds.update(link_seeds(timed))
    seeds.update(gzip_seeds(seeds))
    return seeds


def link_seeds(timed):
    """{name: bytes}: every link type read besides Ethernet, classic (its
    packets, one that is not IP, one cut inside the link header), the loopback
    one in both byte orders; and one pcapng of an interface per link type with
    a packet on each."""
    seeds = {}
    blocks = [cw.shb(True)]
    for lt_ in lt.LINKTYPES:
        for be in (False, True) if lt_ == lt.NULL else (False,):
            seeds[f"link-{lt_}{'-be' if be else ''}.pcap"] = lt.convert(timed, lt_, be,
                                                                         extra=True)
        blocks.append(cw.idb(True, linktype=lt_))
    for i, lt_ in enumerate(lt.LINKTYPES):
        packet = lt.to_link(timed[i % 2][1], lt_, True) or lt.to_link(timed[2][1], lt_, True)
        blocks.append(cw.epb(T_US + i, packet, i, True))
    seeds["link-all.pcapng"] = b"".join(blocks)
    return seeds


def gzip_seeds(seeds):
    """{name: bytes}: some of the seeds gzip-compressed: whole, in two members,
    cut, and followed by bytes that are not gzip."""
    out = {}
    for name in ("classic-le-us.pcap", "pcapng-mixed.pcapng", "link-113.pcap"):
        data = seeds[name]
        whole = gzip.compress(data, mtime=0)
        half = len(data) // 2
        out[name + ".gz"] = whole
        out[name + ".2.gz"] = gzip.compress(data[:half], mtime=0) + gzip.compress(
            data[half:], mtime=0)
        out[name + ".cut.gz"] = whole[:len(whole) * 2 // 3]
        out[name + ".junk.gz"] = whole + b"junk"
    return out


def read_classic(path, count):
    """The first count (time_us, frame) packets of a classic pcap."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data)[0]
    e = "<" if magic in (cw.PCAP_MAGIC_US, cw.PCAP_MAGIC_NS) else ">"
    ns = struct.unpack_from(e + "I", data)[0] == cw.PCAP_MAGIC_NS
    off, packets = 24, []
    while off + 16 <= len(data) and len(packets) < count:
        sec, frac, caplen, _ = struct.unpack_from(e + "IIII", data, off)
        packets.append((sec * 10**6 + (frac // 1000 if ns else frac),
                        data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return packets


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seeds = generated()
    if len(sys.argv) > 2:
        for path in sorted(glob.glob(os.path.join(sys.argv[2], "*.pcap"))):
            name = os.path.basename(path)[:-len(".pcap")]
            packets = read_classic(path, SHARED_PACKETS)
            seeds[f"{name}.pcap"] = cw.classic(packets)
            seeds[f"{name}.ns.pcap"] = cw.classic([(t * 1000, f) for t, f in packets],
                                                  ns=True, big_endian=True)
            seeds[f"{name}.pcapng"] = cw.pcapng(packets)
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"pcap_seeds: {len(seeds)} seeds in {out}")


if __name__ == "__main__":
    main()
