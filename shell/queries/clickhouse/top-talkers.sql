-- clickhouse: top-talkers
-- The sender is src_addr here: host names the machine.
SELECT host, src_addr, toInt64(count()) AS flows, sum(p) AS packets, sum(b) AS bytes
FROM (SELECT host, src_addr, packets AS p, bytes AS b
      FROM flows
      WHERE :host_ok AND last_seen >= :since AND first_seen <= :until)
GROUP BY host, src_addr
ORDER BY host, multiIf(:by = 'flows', flows, :by = 'packets', packets, bytes) DESC, src_addr
LIMIT :limit BY host
