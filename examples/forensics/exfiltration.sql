-- exfiltration.sql: which hosts sent out far more than they received?
--
-- Question:   Which hosts inside :net sent at least :min_bytes to hosts
--             outside it, and at least :ratio times what they received
--             from outside: data exfiltration suspects (and servers whose
--             job is sending: check the top peer and the ports).
-- Parameters: :net        the inside network, IPv4 or IPv6 CIDR
--                         (10.0.0.0/8, 2001:db8::/32)
--             :ratio      how many times more sent than received (e.g. 10)
--             :min_bytes  the fewest bytes sent out to list a host
--                         (e.g. 100000000 for 100 MB)
-- Window:     optional; --since/--until keep the records that overlap it.
-- Example:    flowdb -d /var/lib/flowdb -p net=10.0.0.0/8 -p ratio=10 \
--                    -p min_bytes=100000000 --since 24h < exfiltration.sql
-- Only traffic crossing the edge of :net counts: inside to outside is
-- sent, outside to inside received; traffic within :net, and between
-- outside hosts, is left out.
-- Columns, one row per host, most bytes sent first:
--   host            the inside host
--   peers           distinct outside hosts it sent to
--   flows           flow records it sent out
--   sent_bytes      layer-3 bytes it sent out
--   received_bytes  layer-3 bytes it received from outside
--   ratio           sent_bytes / received_bytes, rounded down; empty when
--                   it received nothing
--   top_peer        the outside host it sent the most to (the lowest
--                   address on a tie)
--   top_peer_bytes  bytes it sent to top_peer
--   first_seen      its first packet sent out (microseconds since the epoch;
--                   ISO 8601 in table mode)
--   last_seen       its last packet sent out
-- Works with: flowdb only (cidr_match is flowdb's SQL function).

WITH r AS MATERIALIZED (
	SELECT src_addr, dst_addr, bytes, first_seen, last_seen,
	       cidr_match(src_addr, :net) AS src_in,
	       cidr_match(dst_addr, :net) AS dst_in
	FROM flows
),
edge (host, peer, outbound, bytes, first_seen, last_seen) AS MATERIALIZED (
	SELECT src_addr, dst_addr, 1, bytes, first_seen, last_seen
	FROM r WHERE src_in AND NOT dst_in
	UNION ALL
	SELECT dst_addr, src_addr, 0, bytes, first_seen, last_seen
	FROM r WHERE dst_in AND NOT src_in
),
peers AS (
	SELECT host, peer, sum(bytes) AS bytes,
	       row_number() OVER (PARTITION BY host ORDER BY sum(bytes) DESC, peer) AS rank
	FROM edge
	WHERE outbound
	GROUP BY host, peer
),
hosts AS (
	SELECT host,
	       count(DISTINCT CASE WHEN outbound THEN peer END) AS peers,
	       sum(outbound) AS flows,
	       sum(CASE WHEN outbound THEN bytes ELSE 0 END) AS sent_bytes,
	       sum(CASE WHEN outbound THEN 0 ELSE bytes END) AS received_bytes,
	       min(CASE WHEN outbound THEN first_seen END) AS first_seen,
	       max(CASE WHEN outbound THEN last_seen END) AS last_seen
	FROM edge
	GROUP BY host
)
SELECT hosts.host AS host, hosts.peers AS peers, flows, sent_bytes, received_bytes,
       CASE WHEN received_bytes > 0 THEN sent_bytes / received_bytes END AS ratio,
       peers.peer AS top_peer,
       peers.bytes AS top_peer_bytes,
       first_seen, last_seen
FROM hosts JOIN peers ON peers.host = hosts.host AND peers.rank = 1
WHERE sent_bytes >= :min_bytes AND sent_bytes >= :ratio * received_bytes
ORDER BY sent_bytes DESC, hosts.host;
