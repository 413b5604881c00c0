#!/usr/bin/env bash
# The interactive shell under a real terminal: greeting and prompt, a query,
# tab completion of columns, tables, canned queries and dot-commands, an SQL
# error the session survives, history recall (up arrow, Ctrl-R), the
# continuation prompt, and history kept across sessions; .quit and Ctrl-D
# exit with 0. Needs no root: three flow files written with python3's sqlite3
# from schema/flowdb.sql, and a pty driven by tests/lib/ptyrun.py.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"

command -v python3 >/dev/null || skip "needs python3 (the pty driver and the flow files)"
python3 -c 'import pty, sqlite3' 2>/dev/null || skip "needs python3 with its pty and sqlite3 modules"
[ -x "$top/build/flowdb" ] || fail "build/flowdb is missing: make build/flowdb"
work_dir

# Three files, one an hour, 4 + 5 + 6 flows of IPv4 and IPv6, with meta as
# the collector writes it. The scenario reads its expectations from these
# files with sqlite3, never from the shell.
mkdir "$WORK/data" "$WORK/home"
python3 - "$top/schema/flowdb.sql" "$WORK/data" <<'EOF'
import sqlite3
import sys

schema = open(sys.argv[1]).read()
base = 1795356000 * 10**6  # 2026-11-22T14:00:00Z
hosts = ["192.0.2.10", "192.0.2.20", "2001:db8::30", "198.51.100.40"]
for i, n in enumerate([4, 5, 6]):
    rows = []
    for j in range(n):
        src = hosts[(i + j) % len(hosts)]
        dst = "2001:db8::1" if ":" in src else "203.0.113.1"
        first = base + i * 3600 * 10**6 + j * 7 * 10**6
        packets = 3 + 7 * j + 11 * i
        rows.append((first, first + (j + 1) * 250000, "eth0", "in" if j % 2 else "out",
                     6 if ":" in src else 4, 6 if j % 3 else 17, src, dst, 40000 + j,
                     443 if j % 3 else 53, 0, packets, packets * (60 + 100 * j), 0x1b,
                     "idle", None, None, None, 0, 0, 0, None))
    db = sqlite3.connect(f"{sys.argv[2]}/test-{i}.db")
    db.executescript(schema)
    db.executemany("INSERT INTO flows VALUES (" + ",".join("?" * 22) + ")", rows)
    db.executemany("INSERT INTO meta VALUES (?, ?)", [
        ("schema_version", "2"),
        ("host", "test"),
        ("time_start_us", str(min(r[0] for r in rows))),
        ("time_end_us", str(max(r[1] for r in rows))),
    ])
    db.commit()
    db.close()
EOF

start=$(date +%s%N)
python3 "$top/tests/integration/shell_interactive.py" "$top/build/flowdb" "$WORK/data" \
	"$WORK/home" || fail "the interactive session did not behave (see above)"
echo "PASS: interactive shell: completion, errors, history across sessions" \
	"($((($(date +%s%N) - start) / 1000000)) ms)"
