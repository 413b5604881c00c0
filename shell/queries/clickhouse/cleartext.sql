-- clickhouse: cleartext
SELECT host, time, src_addr, dst_addr, dst_port, detail
FROM events
WHERE :host_ok AND kind = 'policy' AND time >= :since AND time <= :until
ORDER BY host, time, src_addr, dst_addr, dst_port
LIMIT :limit BY host
