-- who-talked-to.sql: who talked to this IP address?
--
-- Question:   Which hosts exchanged traffic with :ip, in either direction:
--             how many flow records, packets and bytes each way, when first
--             and last, and over which services?
-- Parameters: :ip  the address, as flowdb shows addresses (10.1.2.3,
--                  2001:db8::1: canonical inet_ntop text)
-- Window:     optional; --since/--until (or .since/.until) keep the flow
--             records that overlap it. Without one, the whole history.
-- Example:    flowdb -d /var/lib/flowdb -p ip=10.1.2.3 --since 7d \
--                    < who-talked-to.sql
--             sqlite3 -readonly -cmd '.param set :ip 10.1.2.3' \
--                    flows-20261122T1400Z.db < who-talked-to.sql   (one file)
-- Columns, one row per peer, most bytes first:
--   peer            the other host
--   flows           flow records between them, both directions
--   packets         packets, both directions
--   sent_bytes      layer-3 bytes :ip sent to the peer
--   received_bytes  layer-3 bytes the peer sent to :ip
--   bytes           both together
--   first_seen      first packet either way (microseconds since the epoch;
--                   ISO 8601 in table mode)
--   last_seen       last packet either way
--   ports           the services between them, most bytes first, at most 8
--                   and then "+N more": tcp/N, udp/N, sctp/N where N is the
--                   lower of each record's two ports (the server's, by the
--                   usual convention: clients use the ephemeral range above
--                   32767), icmp, icmp6, or proto-N for other protocols
-- Works with: flowdb, and the stock sqlite3 CLI on a single file.

WITH c AS MATERIALIZED (
	-- Every record with :ip on either side, seen from :ip; a record from
	-- :ip to itself counts once, as sent.
	SELECT dst_addr AS peer, proto, min(src_port, dst_port) AS port,
	       packets, bytes AS sent, 0 AS received, first_seen, last_seen
	FROM flows
	WHERE src_addr = :ip
	UNION ALL
	SELECT src_addr, proto, min(src_port, dst_port),
	       packets, 0, bytes, first_seen, last_seen
	FROM flows
	WHERE dst_addr = :ip AND src_addr <> :ip
),
services AS (
	-- Each peer's services, numbered by bytes.
	SELECT peer, service, row_number() OVER (
		       PARTITION BY peer ORDER BY sum(sent + received) DESC, proto, port) AS n,
	       count(*) OVER (PARTITION BY peer) AS total
	FROM (SELECT peer, proto, sent, received,
		     CASE WHEN proto IN (6, 17, 132) THEN port END AS port,
		     CASE proto WHEN 6 THEN 'tcp/' || port
				WHEN 17 THEN 'udp/' || port
				WHEN 132 THEN 'sctp/' || port
				WHEN 1 THEN 'icmp'
				WHEN 58 THEN 'icmp6'
				ELSE 'proto-' || proto END AS service
	      FROM c)
	GROUP BY peer, proto, port
),
lists (peer, list) AS (
	SELECT peer, group_concat(service, ' ')
		     || CASE WHEN max(total) > 8 THEN ' +' || (max(total) - 8) || ' more'
			     ELSE '' END
	FROM (SELECT * FROM services WHERE n <= 8 ORDER BY peer, n)
	GROUP BY peer
)
SELECT c.peer AS peer,
       count(*) AS flows,
       sum(packets) AS packets,
       sum(sent) AS sent_bytes,
       sum(received) AS received_bytes,
       sum(sent) + sum(received) AS bytes,
       min(first_seen) AS first_seen,
       max(last_seen) AS last_seen,
       lists.list AS ports
FROM c JOIN lists ON lists.peer = c.peer
GROUP BY c.peer
ORDER BY bytes DESC, c.peer;
