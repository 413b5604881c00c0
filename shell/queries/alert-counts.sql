-- name: alert-counts
-- about: alerts counted by rule and severity, then the keys alerted most
-- param: since time all      start of the window
-- param: limit count 10      rows of each part
-- Rules first, the most severe first, then by alerts: each rule and
-- severity's alerts, the repeats they suppressed, the distinct keys they
-- named and the first and last alert's time. Then the keys (addresses)
-- alerted most: their alerts, suppressed repeats, the distinct rules that
-- named them and the highest severity among those alerts. Files from
-- before alerts add nothing.
SELECT per, what, severity, alerts, suppressed, keys, rules, first_time, last_time
FROM (SELECT * FROM (SELECT 1 AS part, 'rule' AS per, rule AS what, severity,
                            CASE severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2
                                          WHEN 'high' THEN 3 ELSE 4 END AS rank,
                            count(*) AS alerts, sum(suppressed) AS suppressed,
                            count(DISTINCT key) AS keys, NULL AS rules,
                            min(time) AS first_time, max(time) AS last_time
                     FROM alerts
                     WHERE time >= :since AND time <= :until
                     GROUP BY rule, severity
                     ORDER BY rank DESC, alerts DESC, what
                     LIMIT :limit)
      UNION ALL
      SELECT * FROM (SELECT 2, 'key', key,
                            CASE max(CASE severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2
                                                   WHEN 'high' THEN 3 ELSE 4 END)
                                 WHEN 1 THEN 'low' WHEN 2 THEN 'medium' WHEN 3 THEN 'high'
                                 ELSE 'critical' END,
                            max(CASE severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2
                                              WHEN 'high' THEN 3 ELSE 4 END),
                            count(*), sum(suppressed), NULL, count(DISTINCT rule),
                            min(time), max(time)
                     FROM alerts
                     WHERE time >= :since AND time <= :until
                     GROUP BY key
                     ORDER BY 6 DESC, 5 DESC, 3
                     LIMIT :limit))
ORDER BY part, CASE part WHEN 1 THEN -rank ELSE -alerts END,
         CASE part WHEN 1 THEN -alerts ELSE -rank END, what;
