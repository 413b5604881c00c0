-- scanners.sql: which hosts scanned?
--
-- Question:   Which sources sent TCP connection probes to many distinct
--             ports or many distinct hosts, and how many of those probes
--             were refused with a reset?
-- Parameters: :min  the fewest distinct ports, or distinct hosts, probed by
--                   one source to list it (20 is a good start; 5 for slow
--                   scans over a short window)
-- Window:     optional; --since/--until keep the records that overlap it.
-- Example:    flowdb -d /var/lib/flowdb -p min=20 --since 24h < scanners.sql
--             sqlite3 -readonly -cmd '.param set :min 20' \
--                    flows-20261122T1400Z.db < scanners.sql   (one file)
-- A probe is a TCP flow record of at most 3 packets whose source sent a SYN
-- and either never an ACK (a SYN scan, or an attempt nobody answered) or a
-- RST (a connect scan that resets at once). Ordinary connections send ACKs
-- and more packets, and are not probes. UDP and ICMP sweeps are not covered:
-- see who-talked-to.sql or the canned scans query.
-- Columns, one row per scanning source, most distinct targets first:
--   src_addr    the scanning host
--   hosts       distinct hosts it probed
--   ports       distinct destination ports it probed
--   targets     distinct host and port pairs it probed
--   probes      probe records
--   packets     packets of those probes
--   refused     targets that answered a probe with a RST (closed ports: the
--               host is there); needs the replies recorded (--egress on the
--               scanned side, or a router seeing both ways)
--   first_seen  first probe (microseconds since the epoch; ISO in table mode)
--   last_seen   last probe
-- Works with: flowdb, and the stock sqlite3 CLI on a single file.

WITH tcp AS MATERIALIZED (
	SELECT src_addr, src_port, dst_addr, dst_port, packets, tcp_flags,
	       first_seen, last_seen
	FROM flows
	WHERE proto = 6
),
probes AS MATERIALIZED (
	SELECT * FROM tcp
	WHERE packets <= 3 AND tcp_flags & 2 != 0
	  AND (tcp_flags & 16 = 0 OR tcp_flags & 4 != 0)
),
refused AS (
	-- Distinct targets of each source that sent a RST back to a probe.
	SELECT src_addr, count(*) AS n
	FROM (SELECT DISTINCT p.src_addr, p.dst_addr, p.dst_port
	      FROM probes p
	      JOIN tcp r ON r.src_addr = p.dst_addr AND r.src_port = p.dst_port
			AND r.dst_addr = p.src_addr AND r.dst_port = p.src_port
	      WHERE r.tcp_flags & 4 != 0)
	GROUP BY src_addr
)
SELECT p.src_addr AS src_addr,
       count(DISTINCT p.dst_addr) AS hosts,
       count(DISTINCT p.dst_port) AS ports,
       count(DISTINCT p.dst_addr || ' ' || p.dst_port) AS targets,
       count(*) AS probes,
       sum(p.packets) AS packets,
       coalesce(refused.n, 0) AS refused,
       min(p.first_seen) AS first_seen,
       max(p.last_seen) AS last_seen
FROM probes p LEFT JOIN refused ON refused.src_addr = p.src_addr
GROUP BY p.src_addr
HAVING count(DISTINCT p.dst_port) >= :min OR count(DISTINCT p.dst_addr) >= :min
ORDER BY targets DESC, p.src_addr;
