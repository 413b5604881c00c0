-- clickhouse: long-flows
SELECT host, proto, src_addr, src_port, dst_addr, dst_port, count() AS records,
       sum(p) AS packets, sum(b) AS bytes, min(fs) AS first_seen, max(ls) AS last_seen,
       last_seen - first_seen AS duration
FROM (SELECT host, ifname, direction, vlan, proto, src_addr, src_port, dst_addr, dst_port,
             packets AS p, bytes AS b, first_seen AS fs, last_seen AS ls
      FROM flows
      WHERE :host_ok AND last_seen >= :since AND first_seen <= :until)
GROUP BY host, ifname, direction, vlan, proto, src_addr, src_port, dst_addr, dst_port
HAVING duration >= :min
ORDER BY host, duration DESC, bytes DESC, src_addr, src_port, dst_addr, dst_port, proto
LIMIT :limit BY host
-- finish:
-- | SELECT host, proto_name(fleet.proto) AS proto, src_addr, src_port, dst_addr, dst_port,
-- |        records, packets, bytes, first_seen, last_seen, duration
-- | FROM fleet;
