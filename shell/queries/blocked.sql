-- name: blocked
-- about: what the policy dropped (in monitor mode, would have): by rule, then by source
-- param: since time all      start of the window
-- param: limit count 20      rows of each part
-- Rules from rule_counters, each flush's count per rule summed; sources from
-- the flows' dropped_packets and dropped_bytes. A rule's mode says whether
-- it dropped (enforce) or only counted (monitor). Files from before
-- enforcement add nothing.
SELECT per, what, kind, mode, packets, bytes, first_seen, last_seen
FROM (SELECT * FROM (SELECT 1 AS part, 'rule' AS per, rule AS what, kind, mode,
                            sum(packets) AS packets, sum(bytes) AS bytes,
                            min(time) AS first_seen, max(time) AS last_seen
                     FROM rule_counters
                     WHERE time >= :since AND time <= :until AND kind <> 'allow'
                     GROUP BY rule, kind, mode
                     ORDER BY packets DESC, what, mode
                     LIMIT :limit)
      UNION ALL
      SELECT * FROM (SELECT 2, 'source', src_addr, NULL, NULL,
                            sum(dropped_packets), sum(dropped_bytes),
                            min(first_seen), max(last_seen)
                     FROM flows
                     WHERE last_seen >= :since AND first_seen <= :until
                       AND dropped_packets > 0
                     GROUP BY src_addr
                     ORDER BY 6 DESC, 3
                     LIMIT :limit))
ORDER BY part, packets DESC, what, mode;
