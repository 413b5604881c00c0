-- clickhouse: top-ports
SELECT host, proto, port, uniqExact(dst_addr) AS servers, toInt64(count()) AS flows,
       sum(p) AS packets, sum(b) AS bytes
FROM (SELECT host, proto, dst_port AS port, dst_addr, packets AS p, bytes AS b
      FROM flows
      WHERE :host_ok AND last_seen >= :since AND first_seen <= :until
        AND proto IN (6, 17, 132))
GROUP BY host, proto, port
ORDER BY host, multiIf(:by = 'flows', flows, :by = 'packets', packets, bytes) DESC, proto, port
LIMIT :limit BY host
-- finish:
-- | SELECT host, proto_name(fleet.proto) AS proto, port, service(port, fleet.proto) AS service,
-- |        servers, flows, packets, bytes
-- | FROM fleet;
