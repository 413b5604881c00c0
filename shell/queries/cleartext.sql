-- name: cleartext
-- about: encryption policy breaches: cleartext to ports that expect encryption, credentials in cleartext
-- param: since time all      start of the window
-- param: limit count 50      rows to show
-- The collector writes a policy event for a flow's first finding that breaks
-- the policy (flowdb-collector --expect-encrypted).
SELECT time,
       src_addr,
       dst_addr,
       dst_port,
       detail
FROM events
WHERE kind = 'policy' AND time >= :since AND time <= :until
ORDER BY time, src_addr, dst_addr, dst_port
LIMIT :limit;
