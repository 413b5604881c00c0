#!/usr/bin/env bash
# make install with PREFIX and DESTDIR puts the programs, their man pages,
# the report script and the examples where they belong; the installed programs run, and the pages render with
# no warnings. Needs neither root nor a namespace.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"

work_dir
root=$WORK/root
make -s -C "$top" install DESTDIR="$root" PREFIX=/opt/flowdb >"$WORK/make.log" 2>&1 ||
	fail "make install: $(cat "$WORK/make.log")"
for f in bin/flowdb sbin/flowdb-collector bin/flowdb-ctl bin/flowdb-ship share/man/man1/flowdb.1 \
	share/man/man1/flowdb-ctl.1 share/man/man1/flowdb-ship.1 share/man/man5/flowdb-policy.5 \
	share/man/man8/flowdb-collector.8 bin/flowdb-report sbin/flowdb-inspect-check \
	share/man/man8/flowdb-inspect-check.8 \
	share/doc/flowdb/examples/systemd/flowdb-collector.service \
	share/doc/flowdb/examples/cron/crontab share/doc/flowdb/examples/README.md \
	share/doc/flowdb/examples/forensics/who-talked-to.sql \
	share/doc/flowdb/examples/policy/server.policy share/doc/flowdb/examples/policy/gateway.policy; do
	[ -f "$root/opt/flowdb/$f" ] || fail "make install did not install $f"
done
"$root/opt/flowdb/bin/flowdb" --version | grep -q '^flowdb ' || fail "the installed flowdb does not run"
"$root/opt/flowdb/sbin/flowdb-collector" --version | grep -q '^flowdb-collector ' ||
	fail "the installed flowdb-collector does not run"
"$root/opt/flowdb/bin/flowdb-ctl" --version | grep -q '^flowdb-ctl ' ||
	fail "the installed flowdb-ctl does not run"
"$root/opt/flowdb/bin/flowdb-ship" --version | grep -q '^flowdb-ship ' ||
	fail "the installed flowdb-ship does not run"
"$root/opt/flowdb/sbin/flowdb-inspect-check" --version | grep -q '^flowdb-inspect-check ' ||
	fail "the installed flowdb-inspect-check does not run"
if command -v man >/dev/null; then
	for page in man1/flowdb.1 man1/flowdb-ctl.1 man1/flowdb-ship.1 man5/flowdb-policy.5 man8/flowdb-collector.8 \
		man8/flowdb-inspect-check.8; do
		warnings=$(MANWIDTH=80 man --warnings -l "$root/opt/flowdb/share/man/$page" 2>&1 >/dev/null)
		[ -z "$warnings" ] || fail "$page: $warnings"
	done
fi
[ -x "$root/opt/flowdb/bin/flowdb-report" ] || fail "flowdb-report is not executable"
echo "PASS: make install places the programs, their pages, the report script and the examples under DESTDIR/PREFIX"
