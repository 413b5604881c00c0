-- name: top-ports
-- about: destination ports and services of TCP, UDP and SCTP, by bytes, packets or flows
-- param: since time all      start of the window
-- param: limit count 20      rows to show
-- param: by choice:bytes,packets,flows bytes   what to rank by
SELECT proto_name(proto) AS proto,
       dst_port AS port,
       service(dst_port, proto) AS service,
       count(DISTINCT dst_addr) AS servers,
       count(*) AS flows,
       sum(packets) AS packets,
       sum(bytes) AS bytes
FROM flows
WHERE last_seen >= :since AND first_seen <= :until AND proto IN (6, 17, 132)
GROUP BY flows.proto, dst_port
ORDER BY CASE :by WHEN 'flows' THEN count(*) WHEN 'packets' THEN sum(packets)
         ELSE sum(bytes) END DESC, flows.proto, port
LIMIT :limit;
