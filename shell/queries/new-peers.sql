-- name: new-peers
-- about: pairs of hosts talking since a given time that never talked before it
-- param: since time 1h       the given time: pairs first seen at or after it
-- param: limit count 100     rows to show
-- Reads the whole history before :since too: "never" means in every file.
SELECT src_addr, dst_addr,
       min(first_seen) AS first_seen,
       count(*) AS flows,
       sum(bytes) AS bytes
FROM flows
WHERE first_seen <= :until
GROUP BY src_addr, dst_addr
HAVING min(first_seen) >= :since
ORDER BY first_seen, src_addr, dst_addr
LIMIT :limit;
