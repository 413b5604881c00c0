#!/usr/bin/env python3
"""Writes captures for tests, byte by byte, independently of the collector's
reader and of tests/lib/pcapw.c: Ethernet frames (IPv4 or IPv6, TCP or UDP,
any payload), classic pcap in either byte order and resolution, and pcapng
blocks (Section Header, Interface Description with if_tsresol and
if_tsoffset, Enhanced and Simple Packet Blocks, any other block).

Used as a module:
    import capwrite
    f = capwrite.udp4("10.0.0.1", "10.0.0.2", 1000, 53, b"payload")
    capwrite.write_classic("x.pcap", [(ts_us, f), ...])
"""
import ipaddress
import struct

ETH_IPV4, ETH_IPV6 = 0x0800, 0x86DD
TCP, UDP = 6, 17
TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10
MAC_SRC, MAC_DST = b"\x02\x00\x00\x00\x00\x01", b"\x02\x00\x00\x00\x00\x02"

PCAP_MAGIC_US, PCAP_MAGIC_NS = 0xA1B2C3D4, 0xA1B23C4D
LINKTYPE_ETHERNET = 1
SHB, IDB, SPB, EPB = 0x0A0D0D0A, 1, 3, 6
BYTE_ORDER_MAGIC = 0x1A2B3C4D
OPT_ENDOFOPT, OPT_IF_TSRESOL, OPT_IF_TSOFFSET = 0, 9, 14


def checksum(data):
    """The Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _l4(proto, src, dst, sport, dport, payload, flags, seq):
    """A TCP or UDP header and payload with its checksum over the pseudo-header."""
    if proto == UDP:
        seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        at = 6
    else:
        ack = 1 if flags & TCP_ACK else 0
        seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0,
                          0) + payload
        at = 16
    if len(src) == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, proto, len(seg))
    else:
        pseudo = src + dst + struct.pack("!IxxxB", len(seg), proto)
    csum = checksum(pseudo + seg) or 0xFFFF
    return seg[:at] + struct.pack("!H", csum) + seg[at + 2:]


def frame(proto, src, dst, sport, dport, payload=b"", flags=TCP_PSH | TCP_ACK, seq=1):
    """An Ethernet frame of an IPv4 or IPv6 (by the addresses) TCP or UDP packet."""
    s, d = ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed
    l4 = _l4(proto, s, d, sport, dport, payload, flags, seq)
    if len(s) == 4:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, 64, proto, 0, s, d)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        ethertype = ETH_IPV4
    else:
        ip = struct.pack("!IHBB16s16s", 6 << 28, len(l4), proto, 64, s, d)
        ethertype = ETH_IPV6
    return MAC_DST + MAC_SRC + struct.pack("!H", ethertype) + ip + l4


def udp4(src, dst, sport, dport, payload=b""):
    """An Ethernet frame of an IPv4 UDP datagram."""
    return frame(UDP, src, dst, sport, dport, payload)


def tcp4(src, dst, sport, dport, payload=b"", flags=TCP_PSH | TCP_ACK, seq=1):
    """An Ethernet frame of an IPv4 TCP segment."""
    return frame(TCP, src, dst, sport, dport, payload, flags, seq)


def l3_bytes(f):
    """The layer-3 length flowdb counts for a frame made here."""
    if struct.unpack_from("!H", f, 12)[0] == ETH_IPV4:
        return struct.unpack_from("!H", f, 16)[0]
    return struct.unpack_from("!H", f, 18)[0] + 40


def classic(packets, ns=False, big_endian=False, linktype=LINKTYPE_ETHERNET, snaplen=65535):
    """A classic pcap file of packets [(time, frame)]: time in microseconds (in
    nanoseconds when ns), or (seconds, fraction) to write any field values."""
    e = ">" if big_endian else "<"
    out = [struct.pack(e + "IHHiIII", PCAP_MAGIC_NS if ns else PCAP_MAGIC_US, 2, 4, 0, 0,
                       snaplen, linktype)]
    unit = 10**9 if ns else 10**6
    for ts, f in packets:
        sec, frac = ts if isinstance(ts, tuple) else divmod(ts, unit)
        out.append(struct.pack(e + "IIII", sec, frac, len(f), len(f)) + f)
    return b"".join(out)


def write_classic(path, packets, **kw):
    """Writes classic(packets, **kw) to path."""
    with open(path, "wb") as f:
        f.write(classic(packets, **kw))


def block(btype, body, big_endian=False):
    """A pcapng block: type, length, body padded to 4 bytes, length again."""
    e = ">" if big_endian else "<"
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack(e + "II", btype, n) + body + struct.pack(e + "I", n)


def option(code, value, big_endian=False):
    """A pcapng option, padded."""
    e = ">" if big_endian else "<"
    return struct.pack(e + "HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def shb(big_endian=False):
    """A Section Header Block of version 1.0 and unknown section length."""
    e = ">" if big_endian else "<"
    return block(SHB, struct.pack(e + "IHHq", BYTE_ORDER_MAGIC, 1, 0, -1), big_endian)


def idb(big_endian=False, linktype=LINKTYPE_ETHERNET, snaplen=0, tsresol=None,
        tsoffset=None):
    """An Interface Description Block, with if_tsresol (the raw byte) and
    if_tsoffset (seconds) when given."""
    e = ">" if big_endian else "<"
    opts = b""
    if tsresol is not None:
        opts += option(OPT_IF_TSRESOL, bytes([tsresol]), big_endian)
    if tsoffset is not None:
        opts += option(OPT_IF_TSOFFSET, struct.pack(e + "q", tsoffset), big_endian)
    if opts:
        opts += option(OPT_ENDOFOPT, b"", big_endian)
    return block(IDB, struct.pack(e + "HHI", linktype, 0, snaplen) + opts, big_endian)


def epb(units, f, iface=0, big_endian=False):
    """An Enhanced Packet Block at time units (in the interface's resolution)."""
    e = ">" if big_endian else "<"
    return block(EPB, struct.pack(e + "IIIII", iface, units >> 32, units & 0xFFFFFFFF, len(f),
                                  len(f)) + f, big_endian)


def spb(f, big_endian=False):
    """A Simple Packet Block: no time of its own."""
    e = ">" if big_endian else "<"
    return block(SPB, struct.pack(e + "I", len(f)) + f, big_endian)


def pcapng(packets, big_endian=False):
    """A one-section pcapng file, one Ethernet interface in microseconds, of
    packets [(time_us, frame)]."""
    return shb(big_endian) + idb(big_endian) + b"".join(
        epb(ts, f, 0, big_endian) for ts, f in packets)
