#!/usr/bin/env bash
# The cleartext inspectors against tshark, through the collector: the mail,
# FTP and HTTP/2 fixtures (curl's, tests/fixtures/inspect/capture_cleartext.sh),
# a request line with spaces in its target and an mDNS query of 8 questions
# (made here) become one packet each of a capture (text2pcap), imported with
# --read; per flow, flowdb's app_proto must be the protocol tshark dissects,
# and for the HTTP request and the mDNS query app_info must hold tshark's
# method, host and first URI word, and its first question's name.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"

[ "$(id -u)" = 0 ] || skip "needs root (BPF)"
for cmd in tshark text2pcap mergecap python3 od; do
	command -v "$cmd" >/dev/null || skip "needs $cmd"
done
work_dir
fix=$top/tests/fixtures/inspect

# file, transport, source port, destination port, flowdb's app_proto, tshark's protocol
cases=(
	"smtp_greeting.bin tcp 25 40001 smtp smtp"
	"smtp_ehlo.bin tcp 40002 25 smtp smtp"
	"smtp_starttls.bin tcp 40003 587 smtp smtp"
	"imap_greeting.bin tcp 143 40004 imap imap"
	"imap_starttls.bin tcp 40005 143 imap imap"
	"pop3_greeting.bin tcp 110 40006 pop3 pop"
	"pop3_stls.bin tcp 40007 110 pop3 pop"
	"ftp_greeting.bin tcp 21 40008 ftp ftp"
	"ftp_auth.bin tcp 40009 21 ftp ftp"
	"http2_preface.bin tcp 40010 8080 http2 http2"
	"http_h2c_upgrade.bin tcp 40011 8081 http http"
	"spaces.bin tcp 40012 80 http http"
	"mdns.bin udp 5353 5353 dns mdns"
)
printf 'GET /a b/c?x y HTTP/1.1\r\nHost: h.test\r\n\r\n' >"$WORK/spaces.bin"
python3 - "$WORK/mdns.bin" <<'PY'
import struct, sys
names = ["_airplay._tcp.local", "_raop._tcp.local", "_homekit._tcp.local",
         "_companion-link._tcp.local", "_sleep-proxy._udp.local", "_googlecast._tcp.local",
         "_spotify-connect._tcp.local", "_device-info._tcp.local"]
m = struct.pack(">6H", 0, 0, len(names), 0, 0, 0)
for n in names:
    m += b"".join(bytes([len(l)]) + l.encode() for l in n.split(".")) + b"\0"
    m += struct.pack(">HH", 12, 1)
open(sys.argv[1], "wb").write(m)
PY

i=0
for c in "${cases[@]}"; do
	read -r file l4 sport dport _ _ <<<"$c"
	src=$fix/$file
	[ -f "$src" ] || src=$WORK/$file
	od -Ax -tx1 -v "$src" >"$WORK/p.hex"
	flag=-T
	[ "$l4" = udp ] && flag=-u
	text2pcap -q "$flag" "$sport,$dport" "$WORK/p.hex" "$WORK/p$i.pcap" 2>/dev/null ||
		fail "text2pcap could not write $file"
	i=$((i + 1))
done
mergecap -a -w "$WORK/all.pcap" "$WORK"/p*.pcap
"$top/build/flowdb-collector" --read "$WORK/all.pcap" -d "$WORK/db" 2>"$WORK/collector.log" ||
	fail "--read: $(cat "$WORK/collector.log")"
"$top/build/flowdb" -d "$WORK/db" -f csv --no-headers \
	-c "SELECT src_port, dst_port, app_proto, app_info FROM flows" >"$WORK/flowdb.csv"
tshark -r "$WORK/all.pcap" -T fields -E separator=/t -e tcp.srcport -e udp.srcport \
	-e tcp.dstport -e udp.dstport -e frame.protocols -e http.request.method -e http.host \
	-e http.request.uri -e dns.qry.name 2>/dev/null >"$WORK/tshark.tsv"

python3 - "$WORK/flowdb.csv" "$WORK/tshark.tsv" "${cases[@]}" <<'PY' ||
import csv, sys
flowdb = {(int(r[0]), int(r[1])): (r[2], r[3]) for r in csv.reader(open(sys.argv[1]))}
tshark = {}
for line in open(sys.argv[2]):
    f = line.rstrip("\n").split("\t")
    sport, dport = int(f[0] or f[1]), int(f[2] or f[3])
    tshark[(sport, dport)] = f[4:]
bad = 0
for case in sys.argv[3:]:
    file, l4, sport, dport, want, layer = case.split()
    key = (int(sport), int(dport))
    got = flowdb.get(key)
    protos, method, host, uri, qnames = tshark[key]
    if layer not in protos.split(":"):
        print(f"{file}: tshark dissects {protos}, not {layer}", file=sys.stderr)
        bad += 1
    if got is None or got[0] != want:
        print(f"{file}: flowdb app_proto {got}, want {want}", file=sys.stderr)
        bad += 1
        continue
    if want == "http" and got[1] != f"{method} {host}{uri.split('?')[0]}":
        print(f"{file}: flowdb {got[1]!r}, tshark {method} {host} {uri}", file=sys.stderr)
        bad += 1
    if want == "dns" and got[1] != qnames.split(",")[0]:
        print(f"{file}: flowdb {got[1]!r}, tshark's first question {qnames}", file=sys.stderr)
        bad += 1
print(f"{len(sys.argv) - 3 - bad} of {len(sys.argv) - 3} flows as tshark sees them")
sys.exit(1 if bad else 0)
PY
	fail "flowdb's cleartext findings differ from tshark's (see above)"
echo "PASS: mail, FTP, HTTP/2, a spaced request target and an 8-question mDNS query as tshark sees them"
