-- name: protocols
-- about: traffic per IP protocol, with its share of all bytes in percent
-- param: since time all      start of the window
SELECT proto_name(proto) AS proto,
       count(*) AS flows,
       sum(packets) AS packets,
       sum(bytes) AS bytes,
       round(100.0 * sum(bytes) / sum(sum(bytes)) OVER (), 1) AS share
FROM flows
WHERE last_seen >= :since AND first_seen <= :until
GROUP BY flows.proto
ORDER BY sum(bytes) DESC, flows.proto;
