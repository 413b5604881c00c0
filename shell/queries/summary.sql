-- name: summary
-- about: totals of the window: flows, packets, bytes, hosts, and what the data misses
-- param: since time all      start of the window
-- lost_packets are the packets the kernel counted but no record holds (LRU
-- eviction); event_drops the events the ring buffer had no room for.
SELECT count(*) AS flows,
       coalesce(sum(packets), 0) AS packets,
       coalesce(sum(bytes), 0) AS bytes,
       count(DISTINCT src_addr) AS sources,
       count(DISTINCT dst_addr) AS destinations,
       (SELECT coalesce(sum(lost_packets), 0) FROM collector_stats
        WHERE time >= :since AND time <= :until) AS lost_packets,
       (SELECT coalesce(sum(ringbuf_drops), 0) FROM collector_stats
        WHERE time >= :since AND time <= :until) AS event_drops
FROM flows
WHERE last_seen >= :since AND first_seen <= :until;
