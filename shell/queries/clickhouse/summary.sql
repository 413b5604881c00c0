-- clickhouse: summary
-- A host with no flow in the window has no row.
SELECT host, flows, packets, bytes, sources, destinations, lost_packets, event_drops
FROM (SELECT host, count() AS flows, sum(p) AS packets, sum(b) AS bytes,
             uniqExact(src_addr) AS sources, uniqExact(dst_addr) AS destinations
      FROM (SELECT host, packets AS p, bytes AS b, src_addr, dst_addr
            FROM flows
            WHERE :host_ok AND last_seen >= :since AND first_seen <= :until)
      GROUP BY host)
ANY LEFT JOIN
     (SELECT host, sum(lp) AS lost_packets, sum(rd) AS event_drops
      FROM (SELECT host, lost_packets AS lp, ringbuf_drops AS rd
            FROM collector_stats
            WHERE :host_ok AND time >= :since AND time <= :until)
      GROUP BY host)
USING host
ORDER BY host
