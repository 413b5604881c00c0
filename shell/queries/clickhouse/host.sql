-- clickhouse: host
SELECT host, peer, proto, count() AS flows, sum(p) AS packets, sum(sent) AS sent_bytes,
       sum(received) AS received_bytes, min(fs) AS first_seen, max(ls) AS last_seen
FROM (SELECT host, dst_addr AS peer, proto, packets AS p, bytes AS sent,
             toInt64(0) AS received, first_seen AS fs, last_seen AS ls
      FROM flows
      WHERE :host_ok AND src_addr = :host AND last_seen >= :since AND first_seen <= :until
      UNION ALL
      SELECT host, src_addr, proto, packets, toInt64(0), bytes, first_seen, last_seen
      FROM flows
      WHERE :host_ok AND dst_addr = :host AND src_addr <> :host
        AND last_seen >= :since AND first_seen <= :until)
GROUP BY host, peer, proto
ORDER BY host, sent_bytes + received_bytes DESC, peer, proto
LIMIT :limit BY host
-- finish:
-- | SELECT host, peer, proto_name(fleet.proto) AS proto, flows, packets, sent_bytes,
-- |        received_bytes, first_seen, last_seen
-- | FROM fleet;
