-- refused-connections.sql: which hosts received connections that were
-- reset or refused?
--
-- Question:   On which host and TCP port were connection attempts refused
--             (answered with a RST: nothing listens there, or a firewall
--             rejects) or reset after they started, and by how many clients?
-- Parameters: none
-- Window:     optional; --since/--until keep the records that overlap it.
-- Example:    flowdb -d /var/lib/flowdb --since 24h < refused-connections.sql
--             sqlite3 -readonly flows-20261122T1400Z.db \
--                    < refused-connections.sql                (one file)
-- How a connection is read from flow records: the records of one TCP
-- 5-tuple in each direction are taken together (so a connection split at
-- the active timeout is one). The client is the side that sent a SYN, and
-- the first one when both did (a SYN-ACK is a SYN too): the earlier first
-- packet, or on a tie the higher source port. The host is the other side.
--   refused     the host answered with RST and never with SYN-ACK
--   reset       otherwise, a RST was seen either way (a connection accepted,
--               then reset by either side)
--   unanswered  no record back from the host at all, and the client never
--               sent an ACK or a RST (filtered, or the replies were not
--               recorded: record replies with --egress on the host, or on a
--               router that sees both ways)
-- Connections whose SYN was not recorded (begun before the window or the
-- capture) are not counted; the canned "resets" query lists every record
-- with a RST.
-- Columns, one row per host with at least one refused or reset connection,
-- most of those first:
--   host        the host the connections were made to
--   clients     distinct client addresses
--   attempts    connections to the host (SYN seen from the client)
--   refused     of those, refused
--   reset       of those, reset
--   unanswered  of those, unanswered
--   ports       distinct ports of the refused and reset connections
--   top_port    the port with the most of them (the lowest on a tie)
--   top_port_n  how many refused and reset connections top_port had
--   first_seen  first packet of any connection to the host, either way
--               (microseconds since the epoch; ISO 8601 in table mode)
--   last_seen   last packet of any of them
-- Works with: flowdb, and the stock sqlite3 CLI on a single file.

WITH conv AS MATERIALIZED (
	-- One row per directed TCP 5-tuple, its records taken together.
	SELECT src_addr, src_port, dst_addr, dst_port,
	       max(tcp_flags & 2 != 0) AS syn,
	       max(tcp_flags & 16 != 0) AS ack,
	       max(tcp_flags & 4 != 0) AS rst,
	       min(first_seen) AS first_seen,
	       max(last_seen) AS last_seen
	FROM flows
	WHERE proto = 6
	GROUP BY src_addr, src_port, dst_addr, dst_port
),
attempts AS MATERIALIZED (
	SELECT a.dst_addr AS host, a.dst_port AS port, a.src_addr AS client,
	       CASE WHEN b.rst = 1 AND b.syn = 0 THEN 1 ELSE 0 END AS refused,
	       CASE WHEN b.rst = 1 AND b.syn = 0 THEN 0
		    WHEN a.rst = 1 OR b.rst = 1 THEN 1 ELSE 0 END AS reset,
	       CASE WHEN b.src_addr IS NULL AND a.ack = 0 AND a.rst = 0
		    THEN 1 ELSE 0 END AS unanswered,
	       min(a.first_seen, coalesce(b.first_seen, a.first_seen)) AS first_seen,
	       max(a.last_seen, coalesce(b.last_seen, a.last_seen)) AS last_seen
	FROM conv a
	LEFT JOIN conv b ON b.src_addr = a.dst_addr AND b.src_port = a.dst_port
			AND b.dst_addr = a.src_addr AND b.dst_port = a.src_port
	WHERE a.syn = 1
	  AND (b.src_addr IS NULL OR b.syn = 0 OR a.first_seen < b.first_seen
	       OR (a.first_seen = b.first_seen AND a.src_port > a.dst_port))
),
per_port AS (
	SELECT host, port, sum(refused) + sum(reset) AS n,
	       row_number() OVER (PARTITION BY host
				  ORDER BY sum(refused) + sum(reset) DESC, port) AS rank
	FROM attempts
	GROUP BY host, port
	HAVING sum(refused) + sum(reset) > 0
)
SELECT a.host AS host,
       count(DISTINCT a.client) AS clients,
       count(*) AS attempts,
       sum(a.refused) AS refused,
       sum(a.reset) AS reset,
       sum(a.unanswered) AS unanswered,
       count(DISTINCT CASE WHEN a.refused + a.reset > 0 THEN a.port END) AS ports,
       p.port AS top_port,
       p.n AS top_port_n,
       min(a.first_seen) AS first_seen,
       max(a.last_seen) AS last_seen
FROM attempts a JOIN per_port p ON p.host = a.host AND p.rank = 1
GROUP BY a.host
ORDER BY sum(a.refused) + sum(a.reset) DESC, a.host;
