-- flowdb file schema, version 6. Embedded in flowdb-collector at build time
-- and run once when a file is created. Times are INTEGER microseconds since
-- the Unix epoch, UTC; addresses are canonical inet_ntop text. Version 2
-- added flows.app_proto, app_info and encrypted, events.detail and
-- collector_stats.payload_events and payload_bytes; version 3 (enforcement)
-- flows.dropped_packets and dropped_bytes, collector_stats.dropped_packets,
-- dropped_bytes and policy_mode, and the tables actions and
-- rule_counters; version 4 (alerts) the table alerts and
-- collector_stats.alerts, alerts_suppressed and sink_failures; version 5
-- (IPFIX export) collector_stats.ipfix_records, ipfix_send_errors and
-- ipfix_dropped; version 6 (HTTP requests, TLS fingerprints)
-- flows.requests and fingerprint, collector_stats.payload_drops and the
-- table requests. Files of earlier
-- versions lack them, and the shell reads the columns there as NULL and
-- the tables as empty.

-- What this file is: schema_version, host, interfaces, collector_version,
-- time_start_us and time_end_us (the span of traffic it holds), created_us,
-- rollups (1 once talkers and minutes hold the finished file's sums).
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- One row per flow record (NetFlow/IPFIX-like). A long flow is split at the
-- active timeout into records that add up exactly to its traffic.
CREATE TABLE flows (
	first_seen INTEGER NOT NULL,  -- first packet, microseconds since epoch
	last_seen  INTEGER NOT NULL,  -- last packet
	ifname     TEXT    NOT NULL,
	direction  TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
	ip_version INTEGER NOT NULL CHECK (ip_version IN (4, 6)),
	proto      INTEGER NOT NULL,  -- IANA protocol number
	src_addr   TEXT    NOT NULL,
	dst_addr   TEXT    NOT NULL,
	src_port   INTEGER NOT NULL,  -- 0 when the protocol has none
	dst_port   INTEGER NOT NULL,  -- ICMP/ICMPv6: type * 256 + code
	vlan       INTEGER NOT NULL,  -- outer VLAN id, 0 untagged
	packets    INTEGER NOT NULL,
	bytes      INTEGER NOT NULL,  -- layer 3: IPv4 total length, IPv6 payload + 40
	tcp_flags  INTEGER NOT NULL,  -- OR of all TCP flags seen
	end_reason TEXT    NOT NULL,  -- idle, active, fin, rst, shutdown
	-- From the first payload packets: app_proto is tls, http, dns, ssh or
	-- quic (NULL when none was recognised or inspection was off); app_info
	-- the TLS server name, HTTP host and path, DNS name, SSH banner...;
	-- encrypted 1 for TLS, SSH and QUIC, 0 for recognised cleartext, NULL
	-- when unknown.
	app_proto  TEXT,
	app_info   TEXT,
	encrypted  INTEGER,
	-- Of packets and bytes, those the policy dropped (in monitor mode:
	-- would have dropped); 0 without a policy, NULL in older files.
	dropped_packets INTEGER,
	dropped_bytes   INTEGER,
	-- HTTP/1.x requests this record carried (each named in requests), 0
	-- for none; the client's TLS fingerprint (JA4) of a TLS, QUIC or DTLS
	-- client flow, NULL when none. Both NULL in older files.
	requests        INTEGER,
	fingerprint     TEXT
);
CREATE INDEX flows_first_seen ON flows (first_seen);
CREATE INDEX flows_last_seen ON flows (last_seen);
CREATE INDEX flows_src_addr ON flows (src_addr, first_seen);
CREATE INDEX flows_dst_addr ON flows (dst_addr, first_seen);

-- TCP connection events from the ring buffer.
CREATE TABLE events (
	time       INTEGER NOT NULL,  -- microseconds since epoch
	kind       TEXT    NOT NULL,  -- syn (SYN without ACK), fin, rst, policy
	ifname     TEXT    NOT NULL,
	direction  TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
	ip_version INTEGER NOT NULL,
	proto      INTEGER NOT NULL,
	src_addr   TEXT    NOT NULL,
	dst_addr   TEXT    NOT NULL,
	src_port   INTEGER NOT NULL,
	dst_port   INTEGER NOT NULL,
	vlan       INTEGER NOT NULL,
	tcp_flags  INTEGER NOT NULL,
	-- policy: why the flow breaks the encryption policy
	detail     TEXT
);
CREATE INDEX events_time ON events (time);

-- One row per HTTP/1.x request inspection named, in flows whose records
-- count them in flows.requests: each request of a keep-alive connection.
CREATE TABLE requests (
	time       INTEGER NOT NULL,  -- the request's, microseconds since epoch
	ifname     TEXT    NOT NULL,  -- the flow key, as events has it
	direction  TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
	ip_version INTEGER NOT NULL,
	proto      INTEGER NOT NULL,
	src_addr   TEXT    NOT NULL,
	dst_addr   TEXT    NOT NULL,
	src_port   INTEGER NOT NULL,
	dst_port   INTEGER NOT NULL,
	vlan       INTEGER NOT NULL,
	method     TEXT    NOT NULL,  -- GET, POST, ...
	host       TEXT,              -- the Host header (or absolute target's authority)
	path       TEXT,              -- the target's path, without query or fragment
	status     INTEGER            -- the response's status code; NULL when none was seen
);
CREATE INDEX requests_time ON requests (time);

-- One row per flush: how complete the data is. kernel_* are what the BPF
-- programs accounted since the previous flush, drained_* what was read back;
-- lost_* = kernel - drained is LRU eviction, 0 under normal load.
CREATE TABLE collector_stats (
	time                INTEGER NOT NULL,  -- microseconds since epoch
	kernel_packets      INTEGER NOT NULL,
	kernel_bytes        INTEGER NOT NULL,
	drained_packets     INTEGER NOT NULL,
	drained_bytes       INTEGER NOT NULL,
	lost_packets        INTEGER NOT NULL,
	lost_bytes          INTEGER NOT NULL,
	non_ip              INTEGER NOT NULL,  -- frames neither IPv4 nor IPv6
	malformed           INTEGER NOT NULL,  -- headers cut short or invalid
	truncated           INTEGER NOT NULL,  -- counted, but frame shorter than IP says
	map_update_failures INTEGER NOT NULL,
	events              INTEGER NOT NULL,  -- ring-buffer events written
	ringbuf_drops       INTEGER NOT NULL,  -- events lost to a full ring buffer
	active_flows        INTEGER NOT NULL,  -- open in the collector after this flush
	rows_written        INTEGER NOT NULL,  -- flows + events + requests in this transaction
	pending_rows        INTEGER NOT NULL,  -- of those, held back by failed flushes
	write_errors        INTEGER NOT NULL,  -- failed commits since the last success
	flush_duration_us   INTEGER NOT NULL,  -- drain, merge and insert (not commit) time
	-- Payload packets copied for inspection, and their bytes.
	payload_events      INTEGER,
	payload_bytes       INTEGER,
	-- Of kernel_packets and kernel_bytes, those the policy dropped (monitor
	-- mode: would have dropped); passed = kernel - dropped. policy_mode is
	-- enforce or monitor, NULL without a policy (and in older files).
	dropped_packets     INTEGER,
	dropped_bytes       INTEGER,
	policy_mode         TEXT,
	-- Alerts raised this flush (rows in alerts), repeats suppressed, and
	-- sink failures (a write, a command, a webhook attempt, a full queue);
	-- NULL without alert rules and in older files.
	alerts              INTEGER,
	alerts_suppressed   INTEGER,
	sink_failures       INTEGER,
	-- IPFIX export (--ipfix), this flush: data records sent (once per
	-- destination), messages a destination refused or that could not be
	-- sent, data records a full queue dropped; NULL without --ipfix and in
	-- older files.
	ipfix_records       INTEGER,
	ipfix_send_errors   INTEGER,
	ipfix_dropped       INTEGER,
	-- payload copies lost to their full ring buffer (connection events have
	-- one of their own: ringbuf_drops); NULL in older files
	payload_drops       INTEGER
);
CREATE INDEX collector_stats_time ON collector_stats (time);

-- Rollups, written when the collector finishes the file (at rotation or
-- exit), and then meta 'rollups' = 1: the file's flows summed per source
-- address, and per minute they started in. Top talkers and traffic over
-- finished files read these few rows instead of every flow. A file without
-- meta 'rollups' (cut short by a crash, or from an older collector) has
-- these tables empty or missing.
CREATE TABLE talkers (
	src_addr TEXT    PRIMARY KEY,
	flows    INTEGER NOT NULL,
	packets  INTEGER NOT NULL,
	bytes    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE minutes (
	minute   INTEGER PRIMARY KEY,  -- first_seen rounded down to the minute
	flows    INTEGER NOT NULL,
	packets  INTEGER NOT NULL,
	bytes    INTEGER NOT NULL
);

-- Audit (--policy): every change to the rule set in force. A policy file
-- loaded at start or reloaded, a block added or deleted by flowdb-ctl or by
-- an alert, a timed block that expired.
CREATE TABLE actions (
	time    INTEGER NOT NULL,  -- microseconds since epoch (capture time with --read)
	action  TEXT    NOT NULL CHECK (action IN ('load', 'reload', 'add', 'delete', 'expire')),
	-- What it applied to: the policy file's path (load, reload) or the
	-- network (add, delete, expire), as CIDR text.
	target  TEXT    NOT NULL,
	rule    TEXT,              -- the rule as the policy file writes it; NULL for load, reload
	reason  TEXT,              -- the block's reason, NULL without one
	expires INTEGER,           -- when a timed block ends; NULL for one without end
	origin  TEXT    NOT NULL CHECK (origin IN ('file', 'ctl', 'alert', 'expiry')),
	uid     INTEGER,           -- origin ctl: the flowdb-ctl user's uid
	detail  TEXT               -- load, reload: the rule count, or why the file was refused
);
CREATE INDEX actions_time ON actions (time);

-- Per flush (--policy): each rule's packets and layer-3 bytes since the
-- previous flush: dropped by a block or limit (in monitor mode, would have
-- been dropped), passed by an allow. A rule without any is left out.
CREATE TABLE rule_counters (
	time    INTEGER NOT NULL,  -- the flush, microseconds since epoch
	rule    TEXT    NOT NULL,  -- as the policy file writes it
	kind    TEXT    NOT NULL CHECK (kind IN ('allow', 'block', 'limit')),
	packets INTEGER NOT NULL,
	bytes   INTEGER NOT NULL,
	mode    TEXT    NOT NULL CHECK (mode IN ('enforce', 'monitor')),
	origin  TEXT    NOT NULL CHECK (origin IN ('file', 'ctl', 'alert')),
	line    INTEGER            -- in the policy file; NULL for rules added live
);
CREATE INDEX rule_counters_time ON rule_counters (time);

-- Alerts (--policy with alert rules): one row per rule and key per
-- suppression interval, raised at a flush over the traffic, events and
-- findings of the key's window.
CREATE TABLE alerts (
	time        INTEGER NOT NULL,  -- the flush that raised it, microseconds since epoch
	rule        TEXT    NOT NULL,  -- the alert rule's NAME
	severity    TEXT    NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
	key         TEXT    NOT NULL,  -- the address counted for (canonical text)
	side        TEXT    NOT NULL CHECK (side IN ('src', 'dst')),
	metric      TEXT    NOT NULL,  -- distinct dst_port, syn, bytes, anomaly bytes, ...
	value       REAL    NOT NULL,  -- observed in the window (anomaly: in the bucket)
	threshold   REAL    NOT NULL,  -- exceeded (anomaly: mean + k standard deviations)
	window      INTEGER NOT NULL,  -- microseconds (anomaly: the bucket)
	first_seen  INTEGER,           -- the evidence counted: first and last times
	last_seen   INTEGER,
	example     TEXT,              -- one flow of the evidence: proto src:port -> dst:port
	action      TEXT    NOT NULL,  -- none, the block added (block src ADDR for DUR), or why not
	suppressed  INTEGER NOT NULL,  -- repeats not alerted since the previous alert of rule and key
	line        INTEGER            -- the rule's line in the policy file
);
CREATE INDEX alerts_time ON alerts (time);
