-- clickhouse: request-rate
SELECT host, client, sum(r) AS requests, max(r) AS peak_per_minute,
       count() AS active_minutes, min(minute) * 60000000 AS first_time,
       max(minute) * 60000000 AS last_time
FROM (SELECT host, src_addr AS client, intDiv(first_seen, 60000000) AS minute,
             count() AS r
      FROM flows
      WHERE :host_ok AND app_proto = 'http' AND app_info <> ''
        AND NOT match(app_info, '^[0-9][0-9][0-9]$')
        AND last_seen >= :since AND first_seen <= :until
      GROUP BY host, client, minute)
GROUP BY host, client
ORDER BY host, peak_per_minute DESC, requests DESC, client
LIMIT :limit BY host
