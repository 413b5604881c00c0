-- name: top-talkers
-- about: source hosts that sent the most, by bytes, packets or flows
-- param: since time all      start of the window: 2h, 2026-11-22T14:00Z or all
-- param: limit count 20      rows to show
-- param: by choice:bytes,packets,flows bytes   what to rank by
SELECT src_addr AS host,
       count(*) AS flows,
       sum(packets) AS packets,
       sum(bytes) AS bytes
FROM flows
WHERE last_seen >= :since AND first_seen <= :until
GROUP BY src_addr
ORDER BY CASE :by WHEN 'flows' THEN count(*) WHEN 'packets' THEN sum(packets)
         ELSE sum(bytes) END DESC, host
LIMIT :limit;
-- per-file:
-- | SELECT src_addr AS host, count(*) AS flows, sum(packets) AS packets, sum(bytes) AS bytes
-- | FROM flows NOT INDEXED
-- | WHERE last_seen >= :since AND first_seen <= :until
-- | GROUP BY src_addr
-- rollup:
-- | SELECT src_addr AS host, flows, packets, bytes FROM talkers
-- merge:
-- | SELECT host, sum(flows) AS flows, sum(packets) AS packets, sum(bytes) AS bytes
-- | FROM partial
-- | GROUP BY host
-- | ORDER BY CASE :by WHEN 'flows' THEN sum(flows) WHEN 'packets' THEN sum(packets)
-- |          ELSE sum(bytes) END DESC, host
-- | LIMIT :limit;
