#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""A reference JA4 (FoxIO's TLS client fingerprint), written from its specification alone
(github.com/FoxIO-LLC/ja4, technical_details/JA4.md), to check inspect/tls.c against, and
ClientHellos to check it with.

  ja4_ref.py gen DIR COUNT SEED   writes COUNT generated hellos to DIR: NNN.tcp (TLS records,
                                  the hello split over 1..4 of them) or NNN.udp (one DTLS
                                  datagram, the hello in 1..3 fragments)
  ja4_ref.py ja4 FILE...          prints "FILE JA4" for each: parsed from the bytes here,
                                  not from what gen knew
  ja4_ref.py chrome               the JA4 of the Chrome-like hello tests/unit/inspect/tls.c
                                  builds (its CHROME_JA4)

Choices where the specification is silent, as inspect/tls.h documents them: GREASE is left
out of the signature algorithms too; of repeated extensions each counts and the first one's
value is taken; the version is the numerically highest supported_versions value, "00" when
it offers only GREASE.
"""
import hashlib
import os
import random
import struct
import sys

GREASE = {0x0A0A + 0x1010 * i for i in range(16)}
VERSIONS = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3",
            0x0002: "s2", 0xFEFF: "d1", 0xFEFD: "d2", 0xFEFC: "d3"}
EXT_SNI, EXT_ALPN, EXT_SIGS, EXT_SV = 0x0000, 0x0010, 0x000D, 0x002B


def u16s(b):
    return [struct.unpack_from(">H", b, i)[0] for i in range(0, len(b) - len(b) % 2, 2)]


def h12(text):
    if not text:
        return "000000000000"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def alnum(c):
    return 0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A


def ja4(carrier, legacy, ciphers, exts):
    """carrier 't', 'q' or 'd'; exts: (type, body) in their order."""
    ciphers = [c for c in ciphers if c not in GREASE]
    types = [t for t, _ in exts if t not in GREASE]
    first = {}
    for t, body in exts:
        first.setdefault(t, body)
    version = legacy
    if EXT_SV in first:
        body = first[EXT_SV]
        offered = [v for v in u16s(body[1:1 + body[0]]) if v not in GREASE]
        version = max(offered) if offered else 0
    alpn = "00"
    if EXT_ALPN in first:
        lst = first[EXT_ALPN][2:]
        if lst and lst[0]:
            value = lst[1:1 + lst[0]]
            if alnum(value[0]) and alnum(value[-1]):
                alpn = chr(value[0]) + chr(value[-1])
            else:
                alpn = value.hex()[0] + value.hex()[-1]
    sigs = []
    if EXT_SIGS in first:
        sigs = [s for s in u16s(first[EXT_SIGS][2:]) if s not in GREASE]
    b = h12(",".join("%04x" % c for c in sorted(ciphers)))
    rest = sorted(t for t in types if t not in (EXT_SNI, EXT_ALPN))
    c_text = ",".join("%04x" % t for t in rest)
    if rest and sigs:
        c_text += "_" + ",".join("%04x" % s for s in sigs)
    return "%s%s%s%02d%02d%s_%s_%s" % (
        carrier, VERSIONS.get(version, "00"), "d" if EXT_SNI in types else "i",
        min(len(ciphers), 99), min(len(types), 99), alpn, b, h12(c_text if rest else ""))


def parse_hello(body, dtls):
    """A ClientHello's body: (legacy, ciphers, exts)."""
    legacy = struct.unpack_from(">H", body, 0)[0]
    i = 2 + 32
    i += 1 + body[i]
    if dtls:
        i += 1 + body[i]
    n = struct.unpack_from(">H", body, i)[0]
    ciphers = u16s(body[i + 2:i + 2 + n])
    i += 2 + n
    i += 1 + body[i]
    exts = []
    if i < len(body):
        end = i + 2 + struct.unpack_from(">H", body, i)[0]
        i += 2
        while i < end:
            t, n = struct.unpack_from(">HH", body, i)
            exts.append((t, body[i + 4:i + 4 + n]))
            i += 4 + n
    return legacy, ciphers, exts


def ja4_of_file(path):
    data = open(path, "rb").read()
    if path.endswith(".udp"):
        msg, i = {}, 0
        while i + 13 <= len(data):
            rlen = struct.unpack_from(">H", data, i + 11)[0]
            rec, i = data[i + 13:i + 13 + rlen], i + 13 + rlen
            j = 0
            while j + 12 <= len(rec):
                mlen = int.from_bytes(rec[j + 1:j + 4], "big")
                off = int.from_bytes(rec[j + 6:j + 9], "big")
                flen = int.from_bytes(rec[j + 9:j + 12], "big")
                for k in range(flen):
                    msg[off + k] = rec[j + 12 + k]
                j += 12 + flen
        body = bytes(msg[k] for k in range(mlen))
        return ja4("d", *parse_hello(body, True))
    hs, i = b"", 0
    while i + 5 <= len(data) and data[i] == 22:
        rlen = struct.unpack_from(">H", data, i + 3)[0]
        hs += data[i + 5:i + 5 + rlen]
        i += 5 + rlen
    mlen = int.from_bytes(hs[1:4], "big")
    return ja4("t", *parse_hello(hs[4:4 + mlen], False))


# ---- Generated hellos ----

def ext(t, body):
    return struct.pack(">HH", t, len(body)) + body


def vec8(b):
    return bytes([len(b)]) + b


def vec16(b):
    return struct.pack(">H", len(b)) + b


def alpn_ext(values):
    return ext(EXT_ALPN, vec16(b"".join(vec8(v) for v in values)))


def grease(rng):
    return rng.choice(sorted(GREASE))


CHROME_CIPHERS = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8,
                  0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035]
CHROME_SIGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]


def chrome_exts(sni, keyshare_byte):
    """Chrome's extensions (as of 2024-2025, with X25519MLKEM768), GREASE aside, as in
    tests/unit/inspect/tls.c."""
    groups = [0x11EC, 0x001D, 0x0017, 0x0018]
    share = struct.pack(">HH", 0x11EC, 1216) + bytes([keyshare_byte]) * 1216 + \
        struct.pack(">HH", 0x001D, 32) + bytes([keyshare_byte]) * 32
    return [
        ext(EXT_SNI, vec16(b"\x00" + vec16(sni))),
        ext(0x0017, b""),
        ext(0xFF01, b"\x00"),
        ext(0x000A, vec16(b"".join(struct.pack(">H", g) for g in groups))),
        ext(0x000B, b"\x01\x00"),
        ext(0x0023, b""),
        alpn_ext([b"h2", b"http/1.1"]),
        ext(0x0005, b"\x01\x00\x00\x00\x00"),
        ext(EXT_SIGS, vec16(b"".join(struct.pack(">H", s) for s in CHROME_SIGS))),
        ext(0x0012, b""),
        ext(0x0033, vec16(share)),
        ext(0x002D, b"\x01\x01"),
        ext(EXT_SV, vec8(struct.pack(">HH", 0x0304, 0x0303))),
        ext(0x001B, b"\x02\x00\x02"),
        ext(0x44CD, vec16(vec8(b"h2"))),
        ext(0xFE0D, b"\x00" * 186),
    ]


def client_hello(legacy, ciphers, exts, dtls, rng):
    body = struct.pack(">H", legacy) + rng.randbytes(32) + vec8(rng.randbytes(32))
    if dtls:
        body += vec8(rng.randbytes(rng.choice([0, 20, 32])))
    body += vec16(b"".join(struct.pack(">H", c) for c in ciphers)) + b"\x01\x00"
    if exts is not None:
        body += vec16(b"".join(exts))
    return b"\x01" + len(body).to_bytes(3, "big") + body


def random_hello(rng, dtls):
    ciphers = rng.sample(range(1, 0xFFFF), rng.choice([1, 3, 15, 40, 120]))
    if rng.random() < 0.7:
        ciphers.insert(0, grease(rng))
    if rng.random() < 0.1:
        return client_hello(0xFEFD if dtls else 0x0303, ciphers, None, dtls, rng)
    exts = chrome_exts(b"host%d.example.test" % rng.randrange(1000), rng.randrange(256))
    exts = rng.sample(exts, rng.randrange(len(exts) + 1))
    if rng.random() < 0.5:
        exts = [e for e in exts if struct.unpack_from(">H", e)[0] != EXT_ALPN]
        choice = rng.choice([[b"h2"], [b"x"], [b"\xab\xcd"], [b"a\x20"], [b"\x30\xab\xcd\x31"],
                             [b"http/1.1", b"h2"], [b"h3"]])
        exts.append(alpn_ext(choice))
    if rng.random() < 0.3:
        exts.append(ext(EXT_SIGS, vec16(struct.pack(">HHH", grease(rng), 0x0804, 0x0403))))
    if rng.random() < 0.3:
        exts = [e for e in exts if struct.unpack_from(">H", e)[0] != EXT_SV]
        vs = [grease(rng), 0xFEFC, 0xFEFD] if dtls else [grease(rng), 0x0304, 0x0303, 0x0302]
        exts.append(ext(EXT_SV, vec8(b"".join(struct.pack(">H", v) for v in vs))))
    for _ in range(rng.randrange(3)):
        exts.insert(rng.randrange(len(exts) + 1), ext(grease(rng), b"\x00" * rng.randrange(2)))
    rng.shuffle(exts)
    legacy = rng.choice([0xFEFD, 0xFEFF]) if dtls else rng.choice([0x0303, 0x0301])
    return client_hello(legacy, ciphers, exts, dtls, rng)


def tls_records(msg, rng):
    cuts = sorted(rng.sample(range(1, len(msg)), rng.randrange(4)))
    out, prev = b"", 0
    for cut in cuts + [len(msg)]:
        out += b"\x16\x03\x01" + vec16(msg[prev:cut])
        prev = cut
    return out


def dtls_datagram(msg, rng):
    body, mtype = msg[4:], msg[0]
    cuts = sorted(rng.sample(range(1, len(body)), rng.randrange(3)))
    out, prev = b"", 0
    for seq, cut in enumerate(cuts + [len(body)]):
        frag = bytes([mtype]) + len(body).to_bytes(3, "big") + b"\x00\x00" + \
            prev.to_bytes(3, "big") + (cut - prev).to_bytes(3, "big") + body[prev:cut]
        out += b"\x16\xfe\xfd\x00\x00" + seq.to_bytes(6, "big") + vec16(frag)
        prev = cut
    return out


def main(argv):
    if len(argv) == 5 and argv[1] == "gen":
        rng = random.Random(int(argv[4]))
        os.makedirs(argv[2], exist_ok=True)
        for i in range(int(argv[3])):
            dtls = rng.random() < 0.25
            msg = random_hello(rng, dtls)
            data = dtls_datagram(msg, rng) if dtls else tls_records(msg, rng)
            name = os.path.join(argv[2], "%03d.%s" % (i, "udp" if dtls else "tcp"))
            with open(name, "wb") as f:
                f.write(data)
        return 0
    if len(argv) >= 3 and argv[1] == "ja4":
        for path in argv[2:]:
            print(path, ja4_of_file(path))
        return 0
    if len(argv) == 2 and argv[1] == "chrome":
        exts = chrome_exts(b"www.example.test", 0x42)
        print(ja4("t", 0x0303, [0x2A2A] + CHROME_CIPHERS, [(0x3A3A, b"")] + [
            (struct.unpack_from(">H", e)[0], e[4:]) for e in exts] + [(0x4A4A, b"\x00")]))
        return 0
    print("usage: ja4_ref.py gen DIR COUNT SEED | ja4 FILE... | chrome", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
