#!/usr/bin/env bash
# The shared data set of the query benchmarks, made once from ONE capture:
# build/bench-data/query/ holds capture.pcap (10,000,000 single-packet flows
# over 24 hours, bench/flowcap), flowdb/ (the hourly files flowdb-collector
# --read writes from it), merged.db (all of those flows in one SQLite file,
# for the sqlite3 CLI) and nfdump/ (the hourly files nfpcapd writes from the
# same capture). Each part is checked when made: 24 hourly files on each side,
# one record per packet, the same bytes. Regenerated only when .complete is
# missing; then only the missing parts are made.
#
# Executed or sourced (as root: the collector runs the BPF program). Sourcing
# sets QUERY_DATA, QUERY_PCAP, QUERY_FLOWDB, QUERY_MERGED, QUERY_NFDUMP and
# QUERY_FLOWS, absolute paths and the record count, and changes nothing else
# in the caller's shell. QUERY_FLOWS=N (default 10000000) makes a smaller set
# in build/bench-data/query-N/ (24 hours all the same).

QUERY_FLOWS=${QUERY_FLOWS:-10000000}
QUERY_HOURS=24
QUERY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
QUERY_DATA=$QUERY_ROOT/build/bench-data/query
[ "$QUERY_FLOWS" = 10000000 ] || QUERY_DATA=$QUERY_DATA-$QUERY_FLOWS
QUERY_PCAP=$QUERY_DATA/capture.pcap
QUERY_FLOWDB=$QUERY_DATA/flowdb
QUERY_MERGED=$QUERY_DATA/merged.db
QUERY_NFDUMP=$QUERY_DATA/nfdump

# Installs Debian's nfdump when it is missing, with no collector daemon left
# running: policy-rc.d keeps the package from starting nfcapd, and the service
# it enables is disabled again.
query_install_nfdump() {
	local policy=/usr/sbin/policy-rc.d made_policy=0 rc=0

	if dpkg-query -W -f='${Status}' nfdump 2>/dev/null | grep -q 'ok installed'; then
		return 0
	fi
	echo "query data: installing nfdump"
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' > "$policy"
		chmod 755 "$policy"
		made_policy=1
	fi
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends nfdump > /dev/null || rc=$?
	[ "$made_policy" = 0 ] || rm -f "$policy"
	[ "$rc" = 0 ] || return "$rc"
	if [ -d /run/systemd/system ]; then
		systemctl disable --now nfdump.service > /dev/null 2>&1 || true
	else
		update-rc.d nfdump disable > /dev/null 2>&1 || true
		if ls /run/nfcapd/*.pid > /dev/null 2>&1; then
			/etc/init.d/nfdump stop > /dev/null 2>&1 || true
		fi
	fi
}

# Prints a progress line with the seconds since the step began.
query_step_done() {
	echo "query data:   done in $((SECONDS - $1)) s"
}

# Makes every missing part of the data set, then .complete. Runs in a
# subshell of its own: set -e and cd stay there.
query_generate() (
	set -euo pipefail
	cd "$QUERY_ROOT"
	local n=$QUERY_FLOWS t0 t got files tmp

	t0=$SECONDS
	echo "query data: making $QUERY_DATA ($n flows over $QUERY_HOURS h), once"
	query_install_nfdump
	for t in build/bench/flowcap build/flowdb-collector build/flowdb; do
		if [ ! -x "$t" ]; then
			echo "query data: $t is missing: make $t first" >&2
			exit 1
		fi
	done
	mkdir -p "$QUERY_DATA"

	if [ ! -f "$QUERY_PCAP" ]; then
		echo "query data: writing the capture"
		t=$SECONDS
		build/bench/flowcap --pcap "$QUERY_PCAP.tmp" --flows "$n" --hours "$QUERY_HOURS"
		mv "$QUERY_PCAP.tmp" "$QUERY_PCAP"
		query_step_done "$t"
	fi

	if [ ! -d "$QUERY_FLOWDB" ]; then
		echo "query data: importing it with flowdb-collector --read"
		t=$SECONDS
		tmp=$QUERY_FLOWDB.tmp
		rm -rf "$tmp"
		build/flowdb-collector --read "$QUERY_PCAP" -d "$tmp" --no-inspect \
			--rotate-interval 1h > "$QUERY_DATA/collector.log" 2>&1 || {
			cat "$QUERY_DATA/collector.log" >&2
			exit 1
		}
		files=$(find "$tmp" -name 'flows-*.db' | wc -l)
		got=$(build/flowdb -d "$tmp" --format csv --no-headers \
			-c "SELECT count(*), sum(packets) FROM flows" | tr -d '\r')
		if [ "$files" != "$QUERY_HOURS" ] || [ "$got" != "$n,$n" ]; then
			echo "query data: flowdb/ has $files files and (records,packets) $got;" \
				"expected $QUERY_HOURS and $n,$n" >&2
			exit 1
		fi
		mv "$tmp" "$QUERY_FLOWDB"
		query_step_done "$t"
	fi

	if [ ! -f "$QUERY_MERGED" ]; then
		echo "query data: merging flowdb/ into merged.db for the sqlite3 CLI"
		t=$SECONDS
		tmp=$QUERY_MERGED.tmp
		rm -f "$tmp"
		{
			echo "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
			echo "PRAGMA cache_size = -1000000;"
			grep -v '^CREATE INDEX' schema/flowdb.sql
			for f in "$QUERY_FLOWDB"/flows-*.db; do
				echo "ATTACH '$f' AS src; INSERT INTO flows SELECT * FROM src.flows;"
				echo "INSERT INTO events SELECT * FROM src.events; DETACH src;"
			done
			grep '^CREATE INDEX' schema/flowdb.sql
		} | sqlite3 "$tmp" > /dev/null
		got=$(sqlite3 "$tmp" 'SELECT count(*) FROM flows')
		if [ "$got" != "$n" ]; then
			echo "query data: merged.db has $got flow records, expected $n" >&2
			exit 1
		fi
		mv "$tmp" "$QUERY_MERGED"
		query_step_done "$t"
	fi

	if [ ! -d "$QUERY_NFDUMP" ]; then
		# -t 3600: hourly files; reading a file, nfpcapd rotates by packet
		# time. -e 60,15: the collector's active and idle timeouts, so both
		# define a flow alike (each packet here is a flow of its own with
		# either). Uncompressed, as nfpcapd writes by default.
		echo "query data: converting the capture with nfpcapd"
		t=$SECONDS
		tmp=$QUERY_NFDUMP.tmp
		rm -rf "$tmp"
		mkdir -p "$tmp"
		nfpcapd -r "$QUERY_PCAP" -w "$tmp" -t 3600 -e 60,15 -I flowcap \
			> "$QUERY_DATA/nfpcapd.log" 2>&1 || {
			cat "$QUERY_DATA/nfpcapd.log" >&2
			exit 1
		}
		files=$(find "$tmp" -name 'nfcapd.*' | wc -l)
		got=$(nfdump -R "$tmp" -I | awk '$1 == "Flows:" { f = $2 } $1 == "Packets:" { p = $2 }
			END { print f "," p }')
		if [ "$files" != "$QUERY_HOURS" ] || [ "$got" != "$n,$n" ]; then
			echo "query data: nfdump/ has $files files and (flows,packets) $got;" \
				"expected $QUERY_HOURS and $n,$n" >&2
			exit 1
		fi
		mv "$tmp" "$QUERY_NFDUMP"
		query_step_done "$t"
	fi

	# The same packets on both sides: layer-3 bytes must add up alike.
	local a b
	a=$(build/flowdb -d "$QUERY_FLOWDB" --format csv --no-headers \
		-c "SELECT sum(bytes) FROM flows" | tr -d '\r')
	b=$(nfdump -R "$QUERY_NFDUMP" -I | awk '$1 == "Bytes:" { print $2 }')
	if [ "$a" != "$b" ]; then
		echo "query data: flowdb counts $a bytes, nfdump $b" >&2
		exit 1
	fi
	touch "$QUERY_DATA/.complete"
	echo "query data: ready in $((SECONDS - t0)) s: $(du -sh "$QUERY_PCAP" | cut -f1) capture," \
		"flowdb/ $(du -sh "$QUERY_FLOWDB" | cut -f1), merged.db" \
		"$(du -sh "$QUERY_MERGED" | cut -f1), nfdump/ $(du -sh "$QUERY_NFDUMP" | cut -f1)"
)

if [ ! -f "$QUERY_DATA/.complete" ]; then
	if [ "${BASH_SOURCE[0]}" != "$0" ]; then
		query_generate || return 1
	else
		query_generate || exit 1
	fi
fi
