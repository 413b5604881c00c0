-- clickhouse: protocols
-- The share is SQLite's arithmetic over the sums, as in the files' query.
SELECT host, proto, count() AS flows, sum(p) AS packets, sum(b) AS bytes
FROM (SELECT host, proto, packets AS p, bytes AS b
      FROM flows
      WHERE :host_ok AND last_seen >= :since AND first_seen <= :until)
GROUP BY host, proto
-- finish:
-- | SELECT host, proto_name(fleet.proto) AS proto, flows, packets, bytes,
-- |        round(100.0 * bytes / sum(bytes) OVER (PARTITION BY host), 1) AS share
-- | FROM fleet
-- | ORDER BY host, fleet.bytes DESC, fleet.proto;
