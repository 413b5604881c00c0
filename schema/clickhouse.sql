-- flowdb fleet schema for ClickHouse, version 1. Embedded in flowdb-ship;
-- `flowdb-ship --clickhouse URL --create [--cluster NAME]` runs it on the
-- server URL names (once per shard: every statement is IF NOT EXISTS), with
-- {cluster} replaced by NAME (default flowdb). Statements end with a line
-- holding only ';'.
--
-- Each table of the flow files (schema/flowdb.sql) is two tables here:
-- NAME_local, a MergeTree table on each shard holding the rows shipped to
-- that shard, and NAME, a Distributed table over every shard's NAME_local:
-- queries read NAME. flowdb-ship inserts into NAME_local of the server it
-- points at, so all the rows of one host live on one shard (point each
-- host's shipper at one shard; spread the hosts over the shards).
--
-- Written for Debian 12's clickhouse-server 18.16, which has no TTL, no
-- IPv6 type and no DateTime64; what current ClickHouse would use instead is
-- said beside each choice. The columns are those of the flow files, exact:
--   * times (first_seen, last_seen, time, expires, window...) are Int64
--     microseconds since the Unix epoch, UTC, as in the files. Current
--     ClickHouse: DateTime64(6, 'UTC') holds the same values
--     (fromUnixTimestamp64Micro / toUnixTimestamp64Micro convert).
--   * addresses (src_addr, dst_addr, alerts.key) are String, the canonical
--     inet_ntop text of the files ("10.0.0.1", "2001:db8::1"): both
--     families exact, and a query answers the very text the shell does.
--     Current ClickHouse: IPv6 with IPv4 mapped (toIPv6, IPv6NumToString)
--     is smaller, but prints IPv4 as ::ffff:10.0.0.1.
--   * every other INTEGER of the files is Int64, every TEXT String, REAL
--     Float64; what a file may lack (columns added after its schema
--     version, NULLable columns) is Nullable. Current ClickHouse:
--     LowCardinality(String) for ifname, direction, end_reason, kind...
-- Every row also carries where it came from: host (the file's meta host),
-- file (the flow file's name) and rowid (the row's rowid in that file),
-- unique per row: flowdb-ship's exactly-once rests on them, and
-- count() = uniqExact(host, file, rowid) checks it. day is the UTC day of
-- the row's time (first_seen for flows), clamped to the Date range
-- 1970-01-01..2149-06-06; tables are partitioned by it.
--
-- Retention on 18.16: drop whole days, on every shard,
--   ALTER TABLE flows_local DROP PARTITION 20261122
-- (`flowdb-ship --clickhouse URL --drop-before DATE` does it for every table
-- of the server URL names). Current ClickHouse: add
--   TTL day + INTERVAL 90 DAY
-- to each NAME_local table.

-- The schema version flowdb-ship checks before it inserts anything.
CREATE TABLE IF NOT EXISTS flowdb_schema (version UInt32) ENGINE = TinyLog
;
INSERT INTO flowdb_schema SELECT 1 FROM system.one WHERE (SELECT count() FROM flowdb_schema) = 0
;
CREATE TABLE IF NOT EXISTS flows_local (
	host String, file String, rowid Int64, day Date,
	first_seen Int64, last_seen Int64, ifname String, direction String,
	ip_version Int64, proto Int64, src_addr String, dst_addr String,
	src_port Int64, dst_port Int64, vlan Int64, packets Int64, bytes Int64,
	tcp_flags Int64, end_reason String,
	app_proto Nullable(String), app_info Nullable(String), encrypted Nullable(Int64),
	dropped_packets Nullable(Int64), dropped_bytes Nullable(Int64),
	requests Nullable(Int64), fingerprint Nullable(String)
) ENGINE = MergeTree() PARTITION BY toYYYYMMDD(day) ORDER BY (host, file, rowid)
;
CREATE TABLE IF NOT EXISTS events_local (
	host String, file String, rowid Int64, day Date,
	time Int64, kind String, ifname String, direction String, ip_version Int64,
	proto Int64, src_addr String, dst_addr String, src_port Int64, dst_port Int64,
	vlan Int64, tcp_flags Int64, detail Nullable(String)
) ENGINE = MergeTree() PARTITION BY toYYYYMMDD(day) ORDER BY (host, file, rowid)
;
CREATE TABLE IF NOT EXISTS collector_stats_local (
	host String, file String, rowid Int64, day Date,
	time Int64, kernel_packets Int64, kernel_bytes Int64, drained_packets Int64,
	drained_bytes Int64, lost_packets Int64, lost_bytes Int64, non_ip Int64,
	malformed Int64, truncated Int64, map_update_failures Int64, events Int64,
	ringbuf_drops Int64, active_flows Int64, rows_written Int64, pending_rows Int64,
	write_errors Int64, flush_duration_us Int64,
	payload_events Nullable(Int64), payload_bytes Nullable(Int64),
	dropped_packets Nullable(Int64), dropped_bytes Nullable(Int64),
	policy_mode Nullable(String),
	alerts Nullable(Int64), alerts_suppressed Nullable(Int64), sink_failures Nullable(Int64),
	ipfix_records Nullable(Int64), ipfix_send_errors Nullable(Int64), ipfix_dropped Nullable(Int64),
	payload_drops Nullable(Int64)
) ENGINE = MergeTree() PARTITION BY toYYYYMMDD(day) ORDER BY (host, file, rowid)
;
CREATE TABLE IF NOT EXISTS actions_local (
	host String, file String, rowid Int64, day Date,
	time Int64, action String, target String, rule Nullable(String),
	reason Nullable(String), expires Nullable(Int64), origin String,
	uid Nullable(Int64), detail Nullable(String)
) ENGINE = MergeTree() PARTITION BY toYYYYMMDD(day) ORDER BY (host, file, rowid)
;
CREATE TABLE IF NOT EXISTS rule_counters_local (
	host String, file String, rowid Int64, day Date,
	time Int64, rule String, kind String, packets Int64, bytes Int64, mode String,
	origin String, line Nullable(Int64)
) ENGINE = MergeTree() PARTITION BY toYYYYMMDD(day) ORDER BY (host, file, rowid)
;
CREATE TABLE IF NOT EXISTS alerts_local (
	host String, file String, rowid Int64, day Date,
	time Int64, rule String, severity String, key String, side String, metric String,
	value Float64, threshold Float64, `window` Int64,
	first_seen Nullable(Int64), last_seen Nullable(Int64), example Nullable(String),
	action String, suppressed Int64, line Nullable(Int64)
) ENGINE = MergeTree() PARTITION BY toYYYYMMDD(day) ORDER BY (host, file, rowid)
;
-- The files' requests.host (the request's Host header) is http_host here:
-- host names the machine, as in every table.
CREATE TABLE IF NOT EXISTS requests_local (
	host String, file String, rowid Int64, day Date,
	time Int64, ifname String, direction String, ip_version Int64, proto Int64,
	src_addr String, dst_addr String, src_port Int64, dst_port Int64, vlan Int64,
	method String, http_host Nullable(String), path Nullable(String), status Nullable(Int64)
) ENGINE = MergeTree() PARTITION BY toYYYYMMDD(day) ORDER BY (host, file, rowid)
;
-- The cluster's view: rows inserted here (by hand) go to a shard by host,
-- so a host's rows stay together there too.
CREATE TABLE IF NOT EXISTS flows AS flows_local
	ENGINE = Distributed({cluster}, currentDatabase(), flows_local, cityHash64(host))
;
CREATE TABLE IF NOT EXISTS events AS events_local
	ENGINE = Distributed({cluster}, currentDatabase(), events_local, cityHash64(host))
;
CREATE TABLE IF NOT EXISTS collector_stats AS collector_stats_local
	ENGINE = Distributed({cluster}, currentDatabase(), collector_stats_local, cityHash64(host))
;
CREATE TABLE IF NOT EXISTS actions AS actions_local
	ENGINE = Distributed({cluster}, currentDatabase(), actions_local, cityHash64(host))
;
CREATE TABLE IF NOT EXISTS rule_counters AS rule_counters_local
	ENGINE = Distributed({cluster}, currentDatabase(), rule_counters_local, cityHash64(host))
;
CREATE TABLE IF NOT EXISTS alerts AS alerts_local
	ENGINE = Distributed({cluster}, currentDatabase(), alerts_local, cityHash64(host))
;
CREATE TABLE IF NOT EXISTS requests AS requests_local
	ENGINE = Distributed({cluster}, currentDatabase(), requests_local, cityHash64(host))
;
