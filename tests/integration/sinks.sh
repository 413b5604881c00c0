#!/usr/bin/env bash
# The alert sinks (policy/sink.c) for real, through build/tests/sinkdrive:
# a local webhook server receives every alert once, in order, as Python's
# json reads exactly the fields sent, also when it was down for a while or
# answered 503 (each failed attempt counted); a queue overflow drops the
# oldest, counted; a syslog socket bound by the test gets each alert with
# its priority; the JSON lines file, the commands' standard input and the
# webhook bodies are the same bytes; a command that hangs is killed with
# its process group at its timeout without slowing the sending, and one
# that fails is counted. The checks are in sinks.py.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"

command -v python3 >/dev/null || skip "needs python3"
[ -x "$top/build/tests/sinkdrive" ] || fail "build/tests/sinkdrive is missing: run make"
# libcurl would take the webhook's POSTs to 127.0.0.1 through a proxy.
unset http_proxy https_proxy all_proxy HTTPS_PROXY ALL_PROXY
work_dir
python3 "$top/tests/integration/sinks.py" "$top" "$WORK"
