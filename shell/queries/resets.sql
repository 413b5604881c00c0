-- name: resets
-- about: TCP resets and failed connection attempts (SYN never followed by ACK)
-- param: since time all      start of the window
-- param: limit count 50      rows to show
-- Counted per flow record: a reset record saw RST; a failed attempt saw SYN
-- but never ACK from its source, so the handshake did not complete.
SELECT src_addr, dst_addr, dst_port,
       sum(tcp_flags & 4 != 0) AS resets,
       sum(tcp_flags & 18 = 2) AS failed,
       min(first_seen) AS first_seen,
       max(last_seen) AS last_seen
FROM flows
WHERE last_seen >= :since AND first_seen <= :until AND proto = 6
  AND (tcp_flags & 4 != 0 OR tcp_flags & 18 = 2)
GROUP BY src_addr, dst_addr, dst_port
ORDER BY resets + failed DESC, src_addr, dst_addr, dst_port
LIMIT :limit;
