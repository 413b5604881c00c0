-- clickhouse: http-hosts
SELECT host, method, request, count() AS flows, uniqExact(src_addr) AS clients,
       sum(b) AS bytes, min(fs) AS first_seen, max(ls) AS last_seen
FROM (SELECT host, src_addr, b, fs, ls, m AS method,
             if(isNull(m), app_info, substring(app_info, length(m) + 2)) AS request
      FROM (SELECT host, src_addr, bytes AS b, first_seen AS fs, last_seen AS ls, app_info,
                   substring(app_info, 1, position(concat(app_info, ' '), ' ') - 1) AS word,
                   if(match(word, '^[A-Z]+$'), toNullable(word), NULL) AS m
            FROM flows
            WHERE :host_ok AND app_proto = 'http' AND app_info <> ''
              AND NOT match(app_info, '^[0-9][0-9][0-9]$')
              AND last_seen >= :since AND first_seen <= :until))
GROUP BY host, method, request
ORDER BY host, flows DESC, isNotNull(method), method, request
LIMIT :limit BY host
