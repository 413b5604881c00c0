-- name: host
-- about: a host's conversations: its peers per protocol, bytes each way
-- param: host addr -         the host's IPv4 or IPv6 address
-- param: since time all      start of the window
-- param: limit count 50      rows to show
WITH c (peer, proto, packets, sent, received, first_seen, last_seen) AS (
	SELECT dst_addr, proto, packets, bytes, 0, first_seen, last_seen
	FROM flows
	WHERE src_addr = :host AND last_seen >= :since AND first_seen <= :until
	UNION ALL
	SELECT src_addr, proto, packets, 0, bytes, first_seen, last_seen
	FROM flows
	WHERE dst_addr = :host AND src_addr <> :host
	  AND last_seen >= :since AND first_seen <= :until
)
SELECT peer,
       proto_name(c.proto) AS proto,
       count(*) AS flows,
       sum(packets) AS packets,
       sum(sent) AS sent_bytes,
       sum(received) AS received_bytes,
       min(first_seen) AS first_seen,
       max(last_seen) AS last_seen
FROM c
GROUP BY peer, c.proto
ORDER BY sum(sent) + sum(received) DESC, peer, c.proto
LIMIT :limit;
-- per-file:
-- | WITH c (peer, proto, packets, sent, received, first_seen, last_seen) AS (
-- | 	SELECT dst_addr, proto, packets, bytes, 0, first_seen, last_seen
-- | 	FROM flows
-- | 	WHERE src_addr = :host AND last_seen >= :since AND first_seen <= :until
-- | 	UNION ALL
-- | 	SELECT src_addr, proto, packets, 0, bytes, first_seen, last_seen
-- | 	FROM flows
-- | 	WHERE dst_addr = :host AND src_addr <> :host
-- | 	  AND last_seen >= :since AND first_seen <= :until
-- | )
-- | SELECT peer, proto, count(*) AS flows, sum(packets) AS packets, sum(sent) AS sent,
-- |        sum(received) AS received, min(first_seen) AS first_seen,
-- |        max(last_seen) AS last_seen
-- | FROM c
-- | GROUP BY peer, proto
-- merge:
-- | SELECT peer,
-- |        proto_name(partial.proto) AS proto,
-- |        sum(flows) AS flows,
-- |        sum(packets) AS packets,
-- |        sum(sent) AS sent_bytes,
-- |        sum(received) AS received_bytes,
-- |        min(first_seen) AS first_seen,
-- |        max(last_seen) AS last_seen
-- | FROM partial
-- | GROUP BY peer, partial.proto
-- | ORDER BY sum(sent) + sum(received) DESC, peer, partial.proto
-- | LIMIT :limit;
