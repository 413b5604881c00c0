-- clickhouse: scans
SELECT host, src_addr, uniqExact(dst_addr) AS hosts, uniqExact(dst_port) AS ports,
       uniqExact(dst_addr, dst_port) AS targets, count() AS flows,
       sum(p = 6 AND bitAnd(tf, 18) = 2) AS failed, min(fs) AS first_seen,
       max(ls) AS last_seen
FROM (SELECT host, src_addr, dst_addr, dst_port, proto AS p, tcp_flags AS tf,
             first_seen AS fs, last_seen AS ls
      FROM flows
      WHERE :host_ok AND last_seen >= :since AND first_seen <= :until
        AND proto IN (6, 17, 132))
GROUP BY host, src_addr
HAVING ports >= :min OR hosts >= :min
ORDER BY host, targets DESC, src_addr
LIMIT :limit BY host
