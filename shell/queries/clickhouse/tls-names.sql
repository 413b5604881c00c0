-- clickhouse: tls-names
SELECT host, server_name, count() AS flows, uniqExact(src_addr) AS clients, sum(b) AS bytes,
       min(fs) AS first_seen, max(ls) AS last_seen
FROM (SELECT host, app_info AS server_name, src_addr, bytes AS b, first_seen AS fs,
             last_seen AS ls
      FROM flows
      WHERE :host_ok AND app_proto = 'tls' AND app_info <> ''
        AND NOT match(app_info, '^(TLS1\\.[0-3]|SSL3\\.0|0x[0-9a-f][0-9a-f][0-9a-f][0-9a-f]) ')
        AND last_seen >= :since AND first_seen <= :until)
GROUP BY host, server_name
ORDER BY host, flows DESC, server_name
LIMIT :limit BY host
