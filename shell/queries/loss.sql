-- name: loss
-- about: how complete the data is: kernel counts against what was stored
-- param: since time all      start of the window
-- param: bucket duration 1h  bucket length
SELECT time / :bucket * :bucket AS time,
       count(*) AS flushes,
       sum(kernel_packets) AS kernel_packets,
       sum(drained_packets) AS stored_packets,
       sum(lost_packets) AS lost_packets,
       sum(lost_bytes) AS lost_bytes,
       sum(ringbuf_drops) AS event_drops,
       sum(malformed) AS malformed,
       sum(write_errors > 0) AS failed_writes
FROM collector_stats
WHERE time >= :since AND time <= :until
GROUP BY 1
ORDER BY 1;
