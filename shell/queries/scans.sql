-- name: scans
-- about: port-scan suspects: sources reaching many ports or many hosts
-- param: since time all      start of the window
-- param: min count 20        fewest distinct ports or hosts to count as a scan
-- param: limit count 20      rows to show
SELECT src_addr,
       count(DISTINCT dst_addr) AS hosts,
       count(DISTINCT dst_port) AS ports,
       count(DISTINCT dst_addr || ' ' || dst_port) AS targets,
       count(*) AS flows,
       sum(proto = 6 AND tcp_flags & 18 = 2) AS failed,
       min(first_seen) AS first_seen,
       max(last_seen) AS last_seen
FROM flows
WHERE last_seen >= :since AND first_seen <= :until AND proto IN (6, 17, 132)
GROUP BY src_addr
HAVING count(DISTINCT dst_port) >= :min OR count(DISTINCT dst_addr) >= :min
ORDER BY targets DESC, src_addr
LIMIT :limit;
