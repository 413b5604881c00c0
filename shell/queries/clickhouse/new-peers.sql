-- clickhouse: new-peers
SELECT host, src_addr, dst_addr, min(fs) AS first_seen, count() AS flows, sum(b) AS bytes
FROM (SELECT host, src_addr, dst_addr, first_seen AS fs, bytes AS b
      FROM flows
      WHERE :host_ok AND first_seen <= :until)
GROUP BY host, src_addr, dst_addr
HAVING first_seen >= :since
ORDER BY host, first_seen, src_addr, dst_addr
LIMIT :limit BY host
