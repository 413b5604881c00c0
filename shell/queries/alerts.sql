-- name: alerts
-- about: alerts the collector's rules raised, the latest first, optionally of some rules and severities
-- param: since time all      start of the window
-- param: rule glob *         rules whose NAME matches this GLOB pattern (scan*, ssh-?)
-- param: severity choice:low,medium,high,critical low   the least severity shown
-- param: limit count 100     rows to show, the latest
-- One row per alerts row, the latest first (as a log reads, and as fail2ban
-- and a SIEM list them), ties in the order they were written; the report's
-- alerts section gives the counts by rule and severity. value and threshold
-- are in the rule's metric, window_duration is the rule's window; suppressed counts the
-- repeats of rule and key not alerted since the previous alert. Files from
-- before alerts add nothing.
SELECT time, rule, severity, key, side, metric, value, threshold, window AS window_duration,
       first_seen, last_seen, example, action, suppressed
FROM alerts
WHERE time >= :since AND time <= :until
  AND rule GLOB :rule
  AND CASE severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 ELSE 4 END
      >= CASE :severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 ELSE 4 END
ORDER BY time DESC, rowid DESC
LIMIT :limit;
