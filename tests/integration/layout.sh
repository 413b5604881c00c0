#!/usr/bin/env bash
# The include rules of the README's "How it fits together", held by the build:
# every project header is included by its bare name (a path would slip past
# the include paths), each folder's sources, compiled exactly as make compiles
# them, find the headers of the folders they may use and fail on all others,
# and the shell links neither libbpf nor anything of the collector. Needs
# neither root nor a namespace.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/netns.sh"

work_dir
cd "$top"
# make answers below for this tree as it stands, not for the make that runs the tests.
unset MAKEFLAGS MFLAGS MAKELEVEL

paths=$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]*/' \
	--include='*.c' --include='*.h' bpf common inspect collector policy export ctl shell ship tests bench || true)
[ -z "$paths" ] || fail "a project header included by a path: $paths"

# finds OBJECT HEADER: whether the command make runs for OBJECT (one of the
# folder's own objects) reaches HEADER from a file that includes it: the
# compiler says it has no such file in that very line otherwise. (Errors
# inside a header that was found count as found: the header is reachable.)
finds() {
	local cmd
	cmd=$(make -s -n -B V=1 "$1" | grep -E -- " -c [^ ]+\.c -o $1\$" |
		sed -E "s# -c [^ ]+\.c -o $1\$##")
	[ -n "$cmd" ] || fail "make has no compile command for $1"
	printf '#include "%s"\n' "$2" >"$WORK/probe.c"
	eval "$cmd -E -MF $WORK/probe.d $WORK/probe.c -o /dev/null" >/dev/null 2>"$WORK/probe.err" ||
		true
	! grep -q "^$WORK/probe.c:1:.*$2: No such file or directory" "$WORK/probe.err"
}

# rule OBJECT "HEADERS IT MAY INCLUDE" "HEADERS IT MAY NOT"
rule() {
	local h
	for h in $2; do
		finds "$1" "$h" || fail "$1: cannot include $h, which its folder may use"
	done
	for h in $3; do
		! finds "$1" "$h" || fail "$1: includes $h, which its folder may not use"
	done
}

# One header of each folder: common/units.h, inspect/inspect.h, bpf/flowdb.h,
# collector/store.h, shell/safe.h, policy/policy.h. collector/ sees policy/
# (the tracker loads the rule set of policy.h); of policy/'s other headers,
# only main.c includes any, checked below.
rule build/obj/common/units.o "units.h" "inspect.h flowdb.h store.h safe.h"
rule build/obj/inspect/tls.o "units.h inspect.h" "flowdb.h store.h safe.h"
rule build/obj/collector/store.o "units.h inspect.h flowdb.h store.h policy.h" "safe.h"
rule build/obj/collector/main.o "units.h inspect.h flowdb.h store.h policy.h control.h exporter.h" "safe.h"
rule build/obj/collector/store.o "" "ipfix.h exporter.h"
rule build/obj/policy/parse.o "" "ipfix.h exporter.h"
rule build/obj/export/exporter.o "units.h inspect.h flowdb.h flowtable.h store.h tracker.h ipfix.h" "safe.h"
rule build/obj/tests/unit/test_ipfix.o "flowtable.h ipfix.h" "safe.h"
rule build/obj/policy/parse.o "units.h inspect.h flowdb.h store.h policy.h" "safe.h"
rule build/obj/policy/control.o "units.h inspect.h flowdb.h store.h control.h" "safe.h"
rule build/obj/tests/unit/test_policy.o "units.h store.h policy.h pktbuild.h" "safe.h"
rule build/obj/ctl/flowdb-ctl.o "units.h ctlproto.h" "inspect.h flowdb.h store.h control.h policy.h safe.h"
rule build/obj/shell/render.o "units.h safe.h" "inspect.h flowdb.h store.h policy.h control.h"
rule build/obj/tests/unit/test_sh_fmt.o "units.h safe.h" "inspect.h flowdb.h store.h"
rule build/obj/tests/unit/inspect/tls.o "units.h inspect.h inspect_test.h" "flowdb.h store.h safe.h"
stages=$(ls policy/*.h | xargs -n1 basename | grep -vx policy.h | paste -sd'|')
bad=$(grep -lE "#include \"($stages)\"" collector/*.[ch] | grep -vx collector/main.c || true)
[ -z "$bad" ] || fail "collector files other than main.c include policy/'s stages: $bad"
exports=$(ls export/*.h | xargs -n1 basename | paste -sd'|')
bad=$(grep -lE "#include \"($exports)\"" collector/*.[ch] | grep -vx collector/main.c || true)
[ -z "$bad" ] || fail "collector files other than main.c include export/: $bad"
rule build/obj/tests/unit/test_store.o "units.h inspect.h flowdb.h store.h pktbuild.h" "safe.h"
# The shipper: ship/ and common/ (flowfile.h: the names, the finished test
# and the progress record it shares with the collector's retention).
rule build/obj/ship/main.o "units.h flowfile.h chttp.h ship.h" "inspect.h flowdb.h store.h policy.h control.h safe.h catalog.h"
# The ClickHouse client is common/'s, shared by the shipper and the shell.
rule build/obj/common/chttp.o "chttp.h units.h" "ship.h flowdb.h store.h safe.h catalog.h"
rule build/obj/shell/fleet.o "units.h chttp.h safe.h" "ship.h flowdb.h store.h policy.h"

# linkline BINARY: the words of make's link command for BINARY.
linkline() {
	make -s -n -B V=1 "$1" | grep -E -- "-o $1( |\$)" | tr ' ' '\n'
}
# common/ is an archive that ends each link line taking it, so that a
# program takes only the modules it calls: flowdb-ctl and the collector,
# which never talk to ClickHouse, hold no chttp_ code.
for b in build/flowdb build/flowdb-ctl build/flowdb-ship build/flowdb-collector; do
	[ "$(linkline $b | grep -E '\.(o|a)$' | tail -1)" = build/libcommon.a ] ||
		fail "$b: build/libcommon.a does not end its link line"
done
# (nm's whole output first: grep -q leaving early would fail the pipe.)
for b in build/flowdb-ctl build/flowdb-collector; do
	syms=$(nm "$b")
	! grep -q ' chttp_' <<<"$syms" || fail "$b holds the ClickHouse client"
done
syms=$(nm build/flowdb)
grep -q ' T chttp_query$' <<<"$syms" || fail "build/flowdb lacks the ClickHouse client"
if ldd build/flowdb-ctl | grep -q libcurl; then
	fail "build/flowdb-ctl links libcurl"
fi

# The shell's link line: shell/, common/ and the embedded SQL, SQLite, readline, libcurl.
objs=$(linkline build/flowdb | grep -E '\.o$') || fail "make has no link command for build/flowdb"
others=$(echo "$objs" | grep -vE '^build/obj/(shell|common|schema)/' || true)
[ -z "$others" ] || fail "build/flowdb links objects of other folders: $others"
if ldd build/flowdb | grep -q libbpf; then
	fail "build/flowdb links libbpf"
fi
# flowdb-ctl's: ctl/ and common/ only, and neither SQLite nor libbpf.
objs=$(make -s -n -B V=1 build/flowdb-ctl | grep -E -- "-o build/flowdb-ctl\$" | tr ' ' '\n' |
	grep -E '\.o$') || fail "make has no link command for build/flowdb-ctl"
others=$(echo "$objs" | grep -vE '^build/obj/ctl/' || true)
[ -z "$others" ] || fail "build/flowdb-ctl links objects of other folders: $others"
if ldd build/flowdb-ctl | grep -qE 'libbpf|libsqlite3'; then
	fail "build/flowdb-ctl links libbpf or SQLite"
fi
# flowdb-ship's: ship/, common/ and the embedded fleet schema; SQLite and libcurl, no libbpf.
objs=$(make -s -n -B V=1 build/flowdb-ship | grep -E -- "-o build/flowdb-ship " | tr ' ' '\n' |
	grep -E '\.o$') || fail "make has no link command for build/flowdb-ship"
others=$(echo "$objs" | grep -vE '^build/obj/ship/|^build/obj/schema/clickhouse_sql\.o$' || true)
[ -z "$others" ] || fail "build/flowdb-ship links objects of other folders: $others"
if ldd build/flowdb-ship | grep -q libbpf; then
	fail "build/flowdb-ship links libbpf"
fi
echo "PASS: headers by name only; common, inspect, collector, policy, export, ctl, shell and their tests include only what they may; the shell links shell/ and common/ only, flowdb-ctl ctl/ and common/ only, flowdb-ship ship/ and common/ only; common/ is an archive, the ClickHouse client only in flowdb and flowdb-ship"
