# shellcheck shell=bash
# Private ClickHouse servers for the shipper's tests: each with its own
# config, data directory and free ports on 127.0.0.1, stopped at teardown
# (with netns.sh's, on exit, failure or interruption).
#
#   . tests/lib/netns.sh; . tests/lib/clickhouse.sh
#   ch_require                    # exits 77 (skip) without clickhouse-server/-client
#   work_dir
#   ch_cluster N                  # writes the configs of N shards of one cluster
#                                 # "flowdb" (one server each) into $WORK/ch1..N
#   ch_start I                    # starts server I and waits until SELECT 1 answers;
#                                 # CH_URL[I] is its HTTP URL, CH_TCP[I] its native port
#   ch_kill I                     # kill -9 of server I (its data stays)
#   ch_query I SQL                # clickhouse-client on server I, TSV out
#
# Users: default (no password) and ship (password "secret").

CH_PIDS=()
CH_URL=()
CH_TCP=()
CH_HTTP=()

ch_require() {
	command -v clickhouse-server >/dev/null || [ -x /usr/sbin/clickhouse-server ] ||
		skip "needs clickhouse-server (make deps installs it)"
	command -v clickhouse-client >/dev/null || skip "needs clickhouse-client"
	command -v python3 >/dev/null || skip "needs python3"
}

# Prints N free TCP ports of 127.0.0.1, as the kernel hands them out.
ch_free_ports() {
	python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

ch_cluster() {
	local n=$1 i ports shards=""
	read -r -a ports <<<"$(ch_free_ports $((n * 3)))"
	for ((i = 1; i <= n; i++)); do
		CH_HTTP[i]=${ports[(i - 1) * 3]}
		CH_TCP[i]=${ports[(i - 1) * 3 + 1]}
		CH_URL[i]="http://127.0.0.1:${CH_HTTP[i]}/"
		shards+="<shard><replica><host>127.0.0.1</host><port>${CH_TCP[i]}</port></replica></shard>"
	done
	for ((i = 1; i <= n; i++)); do
		mkdir -p "$WORK/ch$i/data" "$WORK/ch$i/tmp" "$WORK/ch$i/log"
		cat >"$WORK/ch$i/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
	<logger><level>warning</level>
		<log>$WORK/ch$i/log/server.log</log><errorlog>$WORK/ch$i/log/error.log</errorlog>
		<console>0</console></logger>
	<listen_host>127.0.0.1</listen_host>
	<http_port>${CH_HTTP[i]}</http_port>
	<tcp_port>${CH_TCP[i]}</tcp_port>
	<interserver_http_port>${ports[(i - 1) * 3 + 2]}</interserver_http_port>
	<path>$WORK/ch$i/data/</path>
	<tmp_path>$WORK/ch$i/tmp/</tmp_path>
	<user_files_path>$WORK/ch$i/data/user_files/</user_files_path>
	<users_config>$WORK/ch$i/users.xml</users_config>
	<default_profile>default</default_profile>
	<default_database>default</default_database>
	<timezone>UTC</timezone>
	<mark_cache_size>104857600</mark_cache_size>
	<uncompressed_cache_size>104857600</uncompressed_cache_size>
	<remote_servers><flowdb>$shards</flowdb></remote_servers>
</yandex>
EOF
		cat >"$WORK/ch$i/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
	<profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
	<users>
		<default><password></password><networks><ip>127.0.0.1</ip></networks>
			<profile>default</profile><quota>default</quota></default>
		<ship><password>secret</password><networks><ip>127.0.0.1</ip></networks>
			<profile>default</profile><quota>default</quota></ship>
	</users>
	<quotas><default></default></quotas>
</yandex>
EOF
	done
}

ch_start() {
	local i=$1 t
	/usr/sbin/clickhouse-server --config-file="$WORK/ch$i/config.xml" \
		>"$WORK/ch$i/log/stdout" 2>&1 &
	CH_PIDS[i]=$!
	for ((t = 0; t < 600; t++)); do
		if curl -sf "${CH_URL[i]}?query=SELECT%201" >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "${CH_PIDS[i]}" 2>/dev/null ||
			fail "clickhouse-server $i exited: $(tail -5 "$WORK/ch$i/log/error.log" "$WORK/ch$i/log/stdout" 2>/dev/null)"
		sleep 0.1
	done
	fail "clickhouse-server $i does not answer on ${CH_URL[i]}"
}

ch_kill() {
	local i=$1
	[ -n "${CH_PIDS[i]:-}" ] || return 0
	kill -9 "${CH_PIDS[i]}" 2>/dev/null || true
	wait "${CH_PIDS[i]}" 2>/dev/null || true
	CH_PIDS[i]=
}

ch_query() {
	clickhouse-client --host 127.0.0.1 --port "${CH_TCP[$1]}" --query "$2"
}

ch_teardown() {
	local i
	for i in "${!CH_PIDS[@]}"; do
		[ -n "${CH_PIDS[i]}" ] || continue
		kill "${CH_PIDS[i]}" 2>/dev/null || true
	done
	for i in "${!CH_PIDS[@]}"; do
		[ -n "${CH_PIDS[i]}" ] || continue
		# A server that does not stop within 10 s is killed.
		timeout 10 tail --pid="${CH_PIDS[i]}" -f /dev/null 2>/dev/null ||
			kill -9 "${CH_PIDS[i]}" 2>/dev/null || true
		wait "${CH_PIDS[i]}" 2>/dev/null || true
	done
	CH_PIDS=()
	netns_teardown
}

ch_traps() {
	trap ch_teardown EXIT
	trap 'ch_teardown; exit 130' INT TERM
}
