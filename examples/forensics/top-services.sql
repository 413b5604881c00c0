-- top-services.sql: the top services of a subnet, by bytes
--
-- Question:   Which TCP, UDP and SCTP services carried the most bytes to or
--             from the hosts of :net, and how many hosts inside and peers
--             outside used each?
-- Parameters: :net    the subnet, IPv4 or IPv6 CIDR (10.1.0.0/16,
--                     2001:db8:1::/48), or one address
--             :limit  rows to show (e.g. 20)
-- Window:     optional; --since/--until keep the records that overlap it.
-- Example:    flowdb -d /var/lib/flowdb -p net=10.1.0.0/16 -p limit=20 \
--                    --since 24h < top-services.sql
-- A record's service is its protocol and the lower of its two ports (the
-- server's, by the usual convention: clients use the ephemeral range above
-- 32767), so a request and its reply count for the same service. A record
-- counts when either side is in :net.
-- Columns, one row per service, most bytes first:
--   proto           tcp, udp or sctp
--   port            the service port
--   service         its usual name (https, domain, ...), when it has one
--   hosts           distinct addresses inside :net in those records
--   peers           distinct addresses outside :net in them
--   flows           flow records
--   packets         packets
--   sent_bytes      layer-3 bytes sent by hosts inside :net
--   received_bytes  layer-3 bytes sent to hosts inside :net
--   bytes           all bytes of the records (a record inside :net on both
--                   sides counts in sent_bytes and in received_bytes, once
--                   here)
-- Works with: flowdb only (cidr_match, proto_name and service are flowdb's
-- SQL functions).

WITH r AS MATERIALIZED (
	SELECT proto, min(src_port, dst_port) AS port, src_addr, dst_addr,
	       packets, bytes,
	       cidr_match(src_addr, :net) AS src_in,
	       cidr_match(dst_addr, :net) AS dst_in
	FROM flows
	WHERE proto IN (6, 17, 132)
),
mine AS MATERIALIZED (
	SELECT * FROM r WHERE src_in OR dst_in
),
ends (proto, port, addr, inside) AS (
	SELECT proto, port, src_addr, src_in FROM mine
	UNION
	SELECT proto, port, dst_addr, dst_in FROM mine
),
counts AS (
	SELECT proto, port, sum(inside) AS hosts, sum(NOT inside) AS peers
	FROM ends
	GROUP BY proto, port
)
SELECT proto_name(mine.proto) AS proto,
       mine.port AS port,
       service(mine.port, mine.proto) AS service,
       counts.hosts AS hosts,
       counts.peers AS peers,
       count(*) AS flows,
       sum(packets) AS packets,
       sum(CASE WHEN src_in THEN bytes ELSE 0 END) AS sent_bytes,
       sum(CASE WHEN dst_in THEN bytes ELSE 0 END) AS received_bytes,
       sum(bytes) AS bytes
FROM mine JOIN counts ON counts.proto = mine.proto AND counts.port = mine.port
GROUP BY mine.proto, mine.port
ORDER BY sum(bytes) DESC, mine.proto, mine.port
LIMIT :limit;
