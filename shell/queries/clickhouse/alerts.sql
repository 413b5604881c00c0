-- clickhouse: alerts
-- ClickHouse has no GLOB: SQLite matches the rule names, then keeps each
-- host's latest :limit.
SELECT host, time, rule, severity, key, side, metric, value, threshold,
       `window` AS window_duration, first_seen, last_seen, example, action, suppressed,
       file, rowid
FROM alerts
WHERE :host_ok AND time >= :since AND time <= :until
  AND multiIf(severity = 'low', 1, severity = 'medium', 2, severity = 'high', 3, 4)
      >= multiIf(:severity = 'low', 1, :severity = 'medium', 2, :severity = 'high', 3, 4)
-- finish:
-- | SELECT host, time, rule, severity, key, side, metric, value, threshold, window_duration,
-- |        first_seen, last_seen, example, action, suppressed
-- | FROM (SELECT *, row_number() OVER (PARTITION BY host
-- |                                    ORDER BY time DESC, file DESC, rowid DESC) AS n
-- |       FROM fleet
-- |       WHERE rule GLOB :rule)
-- | WHERE n <= :limit
-- | ORDER BY host, time DESC, file DESC, rowid DESC;
