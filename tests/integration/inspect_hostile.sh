#!/usr/bin/env bash
# Odd names from the wire to the canned queries (inspect_hostile.py): TLS
# server names, HTTP hosts and methods, DNS names with spaces, quotes,
# slashes, UTF-8 and look-alikes, imported with --read, must come out of
# tls-names, http-hosts, dns-names, cleartext and request-rate exactly as
# the documented encoding says; none dropped, none taken for the other
# side's message. tshark agrees on the protocols and plain names.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"

[ "$(id -u)" = 0 ] || skip "needs root (BPF)"
command -v python3 >/dev/null || skip "needs python3"
work_dir
python3 "$top/tests/integration/inspect_hostile.py" "$top/build/flowdb-collector" \
	"$top/build/flowdb" "$WORK" || fail "the canned queries lose or change odd names (see above)"
if command -v tshark >/dev/null; then
	python3 "$top/tests/lib/tsharkapps.py" "$WORK/apps.pcap" "$WORK/apps" "$top/build/flowdb" ||
		fail "flowdb's findings differ from tshark's"
fi
echo "PASS: odd names and every HTTP method reach the canned queries as encoded, none lost"
