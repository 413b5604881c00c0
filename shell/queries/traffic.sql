-- name: traffic
-- about: flows, packets and bytes over time, in buckets of a fixed length
-- param: since time all      start of the window
-- param: bucket duration 5m  bucket length: 1m, 5m, 1h, 1d
-- A flow counts in the bucket where it starts, or the first bucket when it
-- started before the window.
SELECT max(first_seen, :since) / :bucket * :bucket AS time,
       count(*) AS flows,
       sum(packets) AS packets,
       sum(bytes) AS bytes
FROM flows
WHERE last_seen >= :since AND first_seen <= :until
GROUP BY 1
ORDER BY 1;
-- per-file:
-- | SELECT max(first_seen, :since) / :bucket * :bucket AS time,
-- |        count(*) AS flows, sum(packets) AS packets, sum(bytes) AS bytes
-- | FROM flows NOT INDEXED
-- | WHERE last_seen >= :since AND first_seen <= :until
-- | GROUP BY 1
-- rollup: minutes add up to buckets of whole minutes; other buckets need the flows
-- | SELECT minute / :bucket * :bucket AS time, sum(flows) AS flows, sum(packets) AS packets,
-- |        sum(bytes) AS bytes
-- | FROM minutes
-- | WHERE :bucket % 60000000 = 0
-- | GROUP BY 1
-- | UNION ALL
-- | SELECT first_seen / :bucket * :bucket AS time, count(*) AS flows,
-- |        sum(packets) AS packets, sum(bytes) AS bytes
-- | FROM flows NOT INDEXED
-- | WHERE :bucket % 60000000 <> 0
-- | GROUP BY 1
-- merge:
-- | SELECT time, sum(flows) AS flows, sum(packets) AS packets, sum(bytes) AS bytes
-- | FROM partial
-- | GROUP BY time
-- | ORDER BY time;
