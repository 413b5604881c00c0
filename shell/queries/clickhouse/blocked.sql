-- clickhouse: blocked
SELECT host, 1 AS part, 'rule' AS per, rule AS what, toNullable(kind) AS kind,
       toNullable(mode) AS mode, toNullable(sum(p)) AS packets, toNullable(sum(b)) AS bytes,
       min(t) AS first_seen, max(t) AS last_seen
FROM (SELECT host, rule, kind, mode, packets AS p, bytes AS b, time AS t
      FROM rule_counters
      WHERE :host_ok AND time >= :since AND time <= :until AND kind <> 'allow')
GROUP BY host, rule, kind, mode
UNION ALL
SELECT host, 2, 'source', src_addr, CAST(NULL AS Nullable(String)),
       CAST(NULL AS Nullable(String)), sum(dp), sum(db), min(fs), max(ls)
FROM (SELECT host, src_addr, dropped_packets AS dp, dropped_bytes AS db, first_seen AS fs,
             last_seen AS ls
      FROM flows
      WHERE :host_ok AND last_seen >= :since AND first_seen <= :until
        AND dropped_packets > 0)
GROUP BY host, src_addr
-- finish:
-- | SELECT host, per, what, kind, mode, packets, bytes, first_seen, last_seen
-- | FROM (SELECT *, row_number() OVER (PARTITION BY host, part
-- |                                    ORDER BY packets DESC, what, mode) AS n
-- |       FROM fleet)
-- | WHERE n <= :limit
-- | ORDER BY host, part, packets DESC, what, mode;
