-- clickhouse: dns-names
-- Columns are renamed inside: an alias of ClickHouse holds for the whole
-- query, its WHERE too. isNotNull() first puts NULL first, as SQLite does.
SELECT host, name, count() AS queries, uniqExact(src_addr) AS clients,
       uniqExact(dst_addr) AS servers, min(fs) AS first_seen, max(ls) AS last_seen
FROM (SELECT host, app_info AS name, src_addr, dst_addr, first_seen AS fs, last_seen AS ls
      FROM flows
      WHERE :host_ok AND app_proto = 'dns' AND dst_port IN (53, 5353, 5355)
        AND last_seen >= :since AND first_seen <= :until)
GROUP BY host, name
ORDER BY host, queries DESC, isNotNull(name), name
LIMIT :limit BY host
