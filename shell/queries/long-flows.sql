-- name: long-flows
-- about: connections that lasted longest, their records joined across files
-- param: since time all      start of the window
-- param: min duration 5m     shortest duration to show
-- param: limit count 20      rows to show
-- A flow open longer than the active timeout is stored as several records;
-- they are joined here by interface, direction, VLAN and 5-tuple.
SELECT proto_name(proto) AS proto,
       src_addr, src_port, dst_addr, dst_port,
       count(*) AS records,
       sum(packets) AS packets,
       sum(bytes) AS bytes,
       min(first_seen) AS first_seen,
       max(last_seen) AS last_seen,
       max(last_seen) - min(first_seen) AS duration
FROM flows
WHERE last_seen >= :since AND first_seen <= :until
GROUP BY ifname, direction, vlan, flows.proto, src_addr, src_port, dst_addr, dst_port
HAVING max(last_seen) - min(first_seen) >= :min
ORDER BY duration DESC, sum(bytes) DESC, src_addr, src_port, dst_addr, dst_port, flows.proto
LIMIT :limit;
