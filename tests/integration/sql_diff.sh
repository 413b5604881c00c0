#!/usr/bin/env bash
# Differential SQL testing: random queries (sql_diff.py) through flowdb over
# many files written by the collector's own store, schema versions 1 and 2
# among them, against SQLite over the same rows merged into one file; the
# regression queries first. SQL_DIFF_COUNT and SQL_DIFF_SEED choose how many
# and which (make fuzz-sql runs it unbounded). The files are left unchanged.
# Needs neither root nor a namespace.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"

work_dir
data=$WORK/data
"$top/build/tests/flowgen" -q --dir "$data" --files 40 --rows 60 --seed 5
python3 "$top/tests/integration/sql_diff.py" prepare --dir "$data" --merged "$WORK/merged.db" \
	--schema "$top/schema/flowdb.sql"
(cd "$data" && ls -A && sha256sum -- *) >"$WORK/before"

rc=0
python3 "$top/tests/integration/sql_diff.py" run --flowdb "$top/build/flowdb" --dir "$data" \
	--merged "$WORK/merged.db" --regress "$top/tests/integration/sql_diff_regress.sql" \
	--seed "${SQL_DIFF_SEED:-13}" --count "${SQL_DIFF_COUNT:-2500}" --timeout 60 --slowest 5 || rc=$?
# The same again with every inner loop run over copies of the tables
# (FLOWDB_COPY=always) and with none (never): both ways answer alike.
for mode in always never; do
	FLOWDB_COPY=$mode python3 "$top/tests/integration/sql_diff.py" run --flowdb "$top/build/flowdb" \
		--dir "$data" --merged "$WORK/merged.db" \
		--regress "$top/tests/integration/sql_diff_regress.sql" \
		--seed "$((${SQL_DIFF_SEED:-13} + 1))" --count "${SQL_DIFF_COPY_COUNT:-500}" \
		--timeout 60 --slowest 0 || rc=$?
done
(cd "$data" && ls -A && sha256sum -- *) >"$WORK/after"
cmp -s "$WORK/before" "$WORK/after" || fail "the queries changed the files"
[ "$rc" = 0 ] || fail "flowdb and sqlite3 disagree (see above)"
echo "PASS: flowdb answers as sqlite3 over one merged file"
