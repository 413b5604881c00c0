-- clickhouse: loss
SELECT host, intDiv(t, :bucket) * :bucket AS time, count() AS flushes,
       sum(kp) AS kernel_packets, sum(dp) AS stored_packets, sum(lp) AS lost_packets,
       sum(lb) AS lost_bytes, sum(rd) AS event_drops, sum(m) AS malformed,
       sum(we > 0) AS failed_writes
FROM (SELECT host, time AS t, kernel_packets AS kp, drained_packets AS dp, lost_packets AS lp,
             lost_bytes AS lb, ringbuf_drops AS rd, malformed AS m, write_errors AS we
      FROM collector_stats
      WHERE :host_ok AND time >= :since AND time <= :until)
GROUP BY host, time
ORDER BY host, time
