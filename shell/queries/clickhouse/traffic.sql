-- clickhouse: traffic
SELECT host, intDiv(greatest(fs, :since), :bucket) * :bucket AS time, count() AS flows,
       sum(p) AS packets, sum(b) AS bytes
FROM (SELECT host, first_seen AS fs, packets AS p, bytes AS b
      FROM flows
      WHERE :host_ok AND last_seen >= :since AND first_seen <= :until)
GROUP BY host, time
ORDER BY host, time
