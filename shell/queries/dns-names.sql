-- name: dns-names
-- about: names looked up over DNS (and mDNS, LLMNR), by queries
-- param: since time all      start of the window
-- param: limit count 20      rows to show
-- Counted on the flows to a name server's port, so that a query and its
-- answer count once; a client that asks again from a new port is a new flow.
SELECT app_info AS name,
       count(*) AS queries,
       count(DISTINCT src_addr) AS clients,
       count(DISTINCT dst_addr) AS servers,
       min(first_seen) AS first_seen,
       max(last_seen) AS last_seen
FROM flows
WHERE app_proto = 'dns' AND dst_port IN (53, 5353, 5355)
  AND last_seen >= :since AND first_seen <= :until
GROUP BY app_info
ORDER BY queries DESC, name
LIMIT :limit;
