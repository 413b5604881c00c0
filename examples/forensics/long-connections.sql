-- long-connections.sql: which connections lasted long?
--
-- Question:   Which conversations (both directions of a 5-tuple on one
--             interface) lasted at least :min_seconds, from their first
--             packet to their last, and how much did each side send?
--             Tunnels, remote shells, beacons and slow transfers show here.
-- Parameters: :min_seconds  the shortest duration to list, in seconds
--                           (e.g. 3600)
-- Window:     optional; --since/--until keep the records that overlap it
--             (a connection's duration is then what the window shows of it).
-- Example:    flowdb -d /var/lib/flowdb -p min_seconds=3600 --since 7d \
--                    < long-connections.sql
--             sqlite3 -readonly -cmd '.param set :min_seconds 600' \
--                    flows-20261122T1400Z.db < long-connections.sql
-- The collector splits a flow at the active timeout (60 s by default) into
-- records, and files rotate: the records of a conversation are joined here
-- across records and files, by interface, protocol and the two endpoints,
-- both directions together. A router that sees a connection on two
-- interfaces shows it once per interface. The same ports reused later make
-- one longer conversation.
-- Columns, one row per conversation, longest first:
--   ifname        the interface
--   proto         IANA protocol number (6 TCP, 17 UDP, 47 GRE, 50 ESP)
--   client        the endpoint whose records start first (the one that
--                 opened the connection, as far as the records tell)
--   client_port   its port (ICMP: 0, or type*256+code of the replies)
--   server        the other endpoint
--   server_port   its port
--   records       flow records joined
--   packets       packets, both directions
--   client_bytes  layer-3 bytes the client sent
--   server_bytes  layer-3 bytes the server sent
--   bytes         both together
--   first_seen    the first packet (microseconds since the epoch; ISO 8601
--                 in table mode)
--   last_seen     the last packet
--   duration      last_seen - first_seen, microseconds
-- Works with: flowdb, and the stock sqlite3 CLI on a single file.

WITH r AS (
	-- fwd: the record goes from the lower endpoint (address, then port)
	-- to the higher one.
	SELECT ifname, proto, src_addr, src_port, dst_addr, dst_port,
	       packets, bytes, first_seen, last_seen,
	       (src_addr < dst_addr OR (src_addr = dst_addr AND src_port <= dst_port)) AS fwd
	FROM flows
),
c AS (
	SELECT ifname, proto,
	       CASE WHEN fwd THEN src_addr ELSE dst_addr END AS lo_addr,
	       CASE WHEN fwd THEN src_port ELSE dst_port END AS lo_port,
	       CASE WHEN fwd THEN dst_addr ELSE src_addr END AS hi_addr,
	       CASE WHEN fwd THEN dst_port ELSE src_port END AS hi_port,
	       count(*) AS records,
	       sum(packets) AS packets,
	       sum(CASE WHEN fwd THEN bytes ELSE 0 END) AS lo_bytes,
	       sum(CASE WHEN fwd THEN 0 ELSE bytes END) AS hi_bytes,
	       min(CASE WHEN fwd THEN first_seen END) AS lo_first,
	       min(CASE WHEN fwd THEN NULL ELSE first_seen END) AS hi_first,
	       min(first_seen) AS first_seen,
	       max(last_seen) AS last_seen
	FROM r
	GROUP BY ifname, proto, lo_addr, lo_port, hi_addr, hi_port
	HAVING max(last_seen) - min(first_seen) >= :min_seconds * 1000000
),
o AS (
	-- swap: the higher endpoint started first, so it is the client.
	SELECT *, (lo_first IS NULL OR hi_first < lo_first) AS swap FROM c
)
SELECT ifname, proto,
       CASE WHEN swap THEN hi_addr ELSE lo_addr END AS client,
       CASE WHEN swap THEN hi_port ELSE lo_port END AS client_port,
       CASE WHEN swap THEN lo_addr ELSE hi_addr END AS server,
       CASE WHEN swap THEN lo_port ELSE hi_port END AS server_port,
       records, packets,
       CASE WHEN swap THEN hi_bytes ELSE lo_bytes END AS client_bytes,
       CASE WHEN swap THEN lo_bytes ELSE hi_bytes END AS server_bytes,
       lo_bytes + hi_bytes AS bytes,
       first_seen, last_seen,
       last_seen - first_seen AS duration
FROM o
ORDER BY duration DESC, bytes DESC, client, client_port, server, server_port,
	 ifname, proto;
