#!/usr/bin/env bash
# Runs every integration test (tests/integration/*.sh but this one) and prints
# one summary line. A test passes with exit 0, is skipped with exit 77 (it
# says why) and fails otherwise. Exit status: non-zero when any test failed.
set -u
cd "$(dirname "$0")"
passed=0 failed=0 skipped=0
for t in *.sh; do
	[ "$t" = run.sh ] && continue
	echo "=== ${t%.sh}"
	bash "./$t"
	rc=$?
	case $rc in
	0) passed=$((passed + 1)) ;;
	77) skipped=$((skipped + 1)) ;;
	*) failed=$((failed + 1)); echo "=== ${t%.sh}: FAILED (exit $rc)" ;;
	esac
done
echo "integration: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
