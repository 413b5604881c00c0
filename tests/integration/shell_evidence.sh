#!/usr/bin/env bash
# Hostile evidence against the shell (shell_evidence.py): views that never
# end, huge values, FIFOs, the time and memory budgets, an orphan -wal and a
# hot -journal read through private copies, ATTACH refused, a meta that
# lies, forged rollups, a column of another affinity, corruption met
# mid-scan. Each case checks flowdb's exact answer, its one line and its
# exit status, and that the evidence is unchanged. Needs no root.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"

work_dir
python3 "$top/tests/integration/shell_evidence.py" --flowdb "$top/build/flowdb" \
	--schema "$top/schema/flowdb.sql" --work "$WORK" || fail "hostile evidence (see above)"
echo "PASS: hostile evidence: no hang, no change, no silent wrong answer"
