-- clickhouse: resets
SELECT host, src_addr, dst_addr, dst_port, sum(bitAnd(tf, 4) != 0) AS resets,
       sum(bitAnd(tf, 18) = 2) AS failed, min(fs) AS first_seen, max(ls) AS last_seen
FROM (SELECT host, src_addr, dst_addr, dst_port, tcp_flags AS tf, first_seen AS fs,
             last_seen AS ls
      FROM flows
      WHERE :host_ok AND last_seen >= :since AND first_seen <= :until AND proto = 6
        AND (bitAnd(tcp_flags, 4) != 0 OR bitAnd(tcp_flags, 18) = 2))
GROUP BY host, src_addr, dst_addr, dst_port
ORDER BY host, resets + failed DESC, src_addr, dst_addr, dst_port
LIMIT :limit BY host
