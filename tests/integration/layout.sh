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
	--include='*.c' --include='*.h' bpf common inspect collector policy export ctl shell tests bench || true)
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

# The shell's link line: shell/, common/ and the embedded SQL, SQLite and readline.
objs=$(make -s -n -B V=1 build/flowdb | grep -E -- "-o build/flowdb " | tr ' ' '\n' |
	grep -E '\.o$') || fail "make has no link command for build/flowdb"
others=$(echo "$objs" | grep -vE '^build/obj/(shell|common|schema)/' || true)
[ -z "$others" ] || fail "build/flowdb links objects of other folders: $others"
if ldd build/flowdb | grep -q libbpf; then
	fail "build/flowdb links libbpf"
fi
# flowdb-ctl's: ctl/ and common/ only, and neither SQLite nor libbpf.
objs=$(make -s -n -B V=1 build/flowdb-ctl | grep -E -- "-o build/flowdb-ctl\$" | tr ' ' '\n' |
	grep -E '\.o$') || fail "make has no link command for build/flowdb-ctl"
others=$(echo "$objs" | grep -vE '^build/obj/(ctl|common)/' || true)
[ -z "$others" ] || fail "build/flowdb-ctl links objects of other folders: $others"
if ldd build/flowdb-ctl | grep -qE 'libbpf|libsqlite3'; then
	fail "build/flowdb-ctl links libbpf or SQLite"
fi
echo "PASS: headers by name only; common, inspect, collector, policy, export, ctl, shell and their tests include only what they may; the shell links shell/ and common/ only, flowdb-ctl ctl/ and common/ only"
