#!/usr/bin/env bash
# SQL shapes that scan the union table again and again (correlated
# subqueries, self-joins, EXISTS) or lean on indexes (OR, IN, ORDER BY ...
# LIMIT), through flowdb over 24 hourly files of 20,000 flows each, next to
# SQLite over the same 480,000 rows in one file. SHAPES_ROWS=N per file.
set -euo pipefail
cd "$(dirname "$0")/.."
work=build/bench/shapes
rows=${SHAPES_ROWS:-20000}
if [ ! -f "$work/merged.db" ] || [ "$(cat "$work/rows" 2>/dev/null)" != "$rows" ]; then
	rm -rf "$work"
	mkdir -p "$work"
	build/tests/flowgen -q --dir "$work/data" --files 24 --rows "$rows" --seed 9
	python3 tests/integration/sql_diff.py prepare --dir "$work/data" --merged "$work/merged.db" \
		--schema schema/flowdb.sql
	echo "$rows" >"$work/rows"
fi
python3 bench/sql_shapes.py --flowdb build/flowdb --dir "$work/data" --merged "$work/merged.db" \
	--runs "${RUNS:-3}"
