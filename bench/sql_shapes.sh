#!/usr/bin/env bash
# SQL shapes that scan the union table again and again (correlated
# subqueries, self-joins, EXISTS) or lean on indexes (OR, IN, ORDER BY ...
# LIMIT), through flowdb over 24 hourly files, next to SQLite over the same
# rows in one file: at 2,000 flows a file (48,000 rows, which flowdb copies
# for inner loops) and at 20,000 (480,000 rows, which it does not).
# SHAPES_ROWS="N ..." flows per file.
set -euo pipefail
cd "$(dirname "$0")/.."
for rows in ${SHAPES_ROWS:-2000 20000}; do
	work=build/bench/shapes-$rows
	if [ ! -f "$work/merged.db" ]; then
		rm -rf "$work"
		mkdir -p "$work"
		build/tests/flowgen -q --dir "$work/data" --files 24 --rows "$rows" --seed 9
		python3 tests/integration/sql_diff.py prepare --dir "$work/data" \
			--merged "$work/merged.db" --schema schema/flowdb.sql
	fi
	echo "sql_shapes: 24 files of $rows flows"
	python3 bench/sql_shapes.py --flowdb build/flowdb --dir "$work/data" \
		--merged "$work/merged.db" --runs "${RUNS:-3}"
done
