#!/usr/bin/env python3
"""Rewrites Ethernet frames as packets of other link types, as their capture
tools write them, independently of the collector's reader: Linux cooked
captures (SLL, SLL2: the sender's address, the ethertype, VLAN tags kept as
libpcap reinserts them), raw IP (101, and 12 and 14 as some BSDs number it;
228 and 229 for one IP version), BSD loopback (0: the address family in the
writer's byte order; 108: in network order), PPP (9, 50: with address and
control bytes), PPPoE (51: a session's header, PPP protocol) and Cisco HDLC
(104). Link types that cannot carry a VLAN tag
get the frame without its tags. Also makes, per link type, a packet that is
not IP and a packet cut inside its link header.

Used as a module by tests/fuzz/pcap_seeds.py, and as a command:
    linktypes.py IN.pcap OUT LINKTYPE [--big-endian] [--pcapng] [--gzip] [--extra]
rewrites every frame of the classic Ethernet capture IN (microseconds, either
byte order) into a capture OUT of LINKTYPE (its number): classic pcap in the
chosen byte order, or pcapng; gzip-compressed when asked. --extra puts a packet
that is not IP (when the link type has one) and a packet cut inside its link
header first. For 228 and 229, frames of the other IP version are left out.
"""
import gzip
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import capwrite as cw  # noqa: E402

NULL, PPP, RAW_12, RAW_14, PPP_HDLC, PPP_ETHER, RAW, C_HDLC, LOOP, SLL, IPV4, IPV6, SLL2 = (
    0, 9, 12, 14, 50, 51, 101, 104, 108, 113, 228, 229, 276)
LINKTYPES = (NULL, PPP, RAW_12, RAW_14, PPP_HDLC, PPP_ETHER, RAW, C_HDLC, LOOP, SLL, IPV4, IPV6,
             SLL2)
# PPPoE: version and type 1, code 0 (a session's packet), session 0x1234.
PPPOE_VER_TYPE, PPPOE_SESSION_ID = 0x11, 0x1234
ETH_ARP, ETH_8021Q, ETH_8021AD, ETH_SLARP = 0x0806, 0x8100, 0x88A8, 0x8035
ARPHRD_ETHER, PACKET_HOST = 1, 0
# BSD address families: AF_INET everywhere; AF_INET6 of macOS (loopback
# captures mostly come from there) and of OpenBSD (whose LOOP link type this is).
AF_INET, AF_INET6_DARWIN, AF_INET6_OPENBSD, AF_APPLETALK = 2, 30, 24, 16
PPP_IPV4, PPP_IPV6, PPP_LCP = 0x0021, 0x0057, 0xC021
PPP_FRAMING = b"\xff\x03"
CHDLC_UNICAST = 0x0F
# An ARP request, and a PPP LCP echo request: bodies that are not IP.
ARP_BODY = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, cw.MAC_SRC, bytes([10, 0, 0, 1]),
                       b"\0" * 6, bytes([10, 0, 0, 2]))
LCP_ECHO = struct.pack("!BBHI", 9, 1, 8, 0x12345678)


def split(frame):
    """(source address, ethertype, what follows it) of an Ethernet frame."""
    return frame[6:12], struct.unpack_from("!H", frame, 12)[0], frame[14:]


def untagged(ethertype, rest):
    """The ethertype and payload under any VLAN tags."""
    while ethertype in (ETH_8021Q, ETH_8021AD):
        ethertype, rest = struct.unpack_from("!H", rest, 2)[0], rest[4:]
    return ethertype, rest


def sll(src, ethertype, rest):
    """A Linux cooked (v1) packet from a host: type, ARPHRD, address, protocol."""
    return struct.pack("!HHH8sH", PACKET_HOST, ARPHRD_ETHER, len(src), src, ethertype) + rest


def sll2(src, ethertype, rest):
    """A Linux cooked v2 packet: protocol, interface index 1, ARPHRD, type, address."""
    return struct.pack("!HHIHBB8s", ethertype, 0, 1, ARPHRD_ETHER, PACKET_HOST, len(src),
                       src) + rest


def pppoe(protocol, body):
    """A PPPoE session's packet: its header, its length that of the PPP
    protocol and body."""
    return struct.pack("!BBHHH", PPPOE_VER_TYPE, 0, PPPOE_SESSION_ID, 2 + len(body),
                       protocol) + body


def to_link(frame, linktype, big_endian=False):
    """The Ethernet frame as a packet of linktype (in a capture of that byte
    order), or None when that link type cannot carry it (228 and 229 carry one
    IP version each)."""
    src, ethertype, rest = split(frame)
    if linktype == SLL:
        return sll(src, ethertype, rest)
    if linktype == SLL2:
        return sll2(src, ethertype, rest)
    ethertype, rest = untagged(ethertype, rest)
    v6 = ethertype == cw.ETH_IPV6
    if linktype in (RAW, RAW_12, RAW_14):
        return rest
    if linktype in (IPV4, IPV6):
        return rest if v6 == (linktype == IPV6) else None
    if linktype == NULL:
        return struct.pack(">I" if big_endian else "<I", AF_INET6_DARWIN if v6 else AF_INET) + rest
    if linktype == LOOP:
        return struct.pack("!I", AF_INET6_OPENBSD if v6 else AF_INET) + rest
    if linktype in (PPP, PPP_HDLC):
        return PPP_FRAMING + struct.pack("!H", PPP_IPV6 if v6 else PPP_IPV4) + rest
    if linktype == PPP_ETHER:
        return pppoe(PPP_IPV6 if v6 else PPP_IPV4, rest)
    if linktype == C_HDLC:
        return struct.pack("!BBH", CHDLC_UNICAST, 0, ethertype) + rest
    raise ValueError(f"link type {linktype} is not one of {LINKTYPES}")


def non_ip(linktype, big_endian=False):
    """A packet of linktype that is not IP, or None when it carries only IP."""
    if linktype == SLL:
        return sll(cw.MAC_SRC, ETH_ARP, ARP_BODY)
    if linktype == SLL2:
        return sll2(cw.MAC_SRC, ETH_ARP, ARP_BODY)
    if linktype in (RAW, RAW_12, RAW_14):
        return b"\x10" + ARP_BODY  # IP version 1
    if linktype == NULL:
        return struct.pack(">I" if big_endian else "<I", AF_APPLETALK) + ARP_BODY
    if linktype == LOOP:
        return struct.pack("!I", AF_APPLETALK) + ARP_BODY
    if linktype in (PPP, PPP_HDLC):
        return PPP_FRAMING + struct.pack("!H", PPP_LCP) + LCP_ECHO
    if linktype == PPP_ETHER:
        return pppoe(PPP_LCP, LCP_ECHO)
    if linktype == C_HDLC:
        return struct.pack("!BBH", CHDLC_UNICAST, 0, ETH_SLARP) + LCP_ECHO
    return None


def cut(linktype):
    """A packet of linktype that ends inside its link header (for raw IP, an
    empty one; 228 and 229 have no header to end in: None)."""
    sizes = {SLL: 10, SLL2: 12, NULL: 2, LOOP: 3, PPP: 2, PPP_HDLC: 3, C_HDLC: 2,
             PPP_ETHER: 1}
    if linktype in (RAW, RAW_12, RAW_14):
        return b""
    if linktype in sizes:
        return to_link(cw.udp4("10.0.0.1", "10.0.0.2", 1, 2), linktype)[:sizes[linktype]]
    return None


def read_classic(path):
    """The (time_us, frame) packets of a classic Ethernet capture in microseconds."""
    with open(path, "rb") as f:
        data = f.read()
    e = "<" if struct.unpack_from("<I", data)[0] == cw.PCAP_MAGIC_US else ">"
    if struct.unpack_from(e + "I", data)[0] != cw.PCAP_MAGIC_US or \
            struct.unpack_from(e + "I", data, 20)[0] != cw.LINKTYPE_ETHERNET:
        raise ValueError(f"{path}: not a classic Ethernet capture in microseconds")
    off, packets = 24, []
    while off + 16 <= len(data):
        sec, usec, caplen, _ = struct.unpack_from(e + "IIII", data, off)
        packets.append((sec * 10**6 + usec, data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return packets


def convert(packets, linktype, big_endian=False, pcapng=False, extra=False):
    """A capture of linktype of the Ethernet packets [(time_us, frame)]."""
    out = [(t, to_link(f, linktype, big_endian)) for t, f in packets]
    out = [(t, p) for t, p in out if p is not None]
    if extra and packets:
        t = packets[0][0]
        out = [(t, p) for p in (non_ip(linktype, big_endian), cut(linktype))
               if p is not None] + out
    if not pcapng:
        return cw.classic(out, linktype=linktype, big_endian=big_endian)
    return cw.shb(big_endian) + cw.idb(big_endian, linktype=linktype) + b"".join(
        cw.epb(t, p, 0, big_endian) for t, p in out)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flags = {a for a in sys.argv[1:] if a.startswith("--")}
    if len(args) != 3 or flags - {"--big-endian", "--pcapng", "--gzip", "--extra"}:
        sys.exit(__doc__)
    src, dst, linktype = args[0], args[1], int(args[2])
    data = convert(read_classic(src), linktype, "--big-endian" in flags, "--pcapng" in flags,
                   "--extra" in flags)
    if "--gzip" in flags:
        data = gzip.compress(data)
    with open(dst, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
