-- clickhouse: api-calls
-- The request's Host header is http_host here (host names the machine).
-- isNotNull() first puts NULL first, as SQLite does.
SELECT host, method, http_host, path, count() AS requests,
       uniqExact(src_addr) AS clients,
       countIf(ifNull(status >= 200 AND status <= 299, 0)) AS ok_2xx,
       countIf(ifNull(status >= 300 AND status <= 399, 0)) AS redirect_3xx,
       countIf(ifNull(status >= 400 AND status <= 499, 0)) AS client_error_4xx,
       countIf(ifNull(status >= 500 AND status <= 599, 0)) AS server_error_5xx,
       countIf(ifNull(status < 200 OR status > 599, 0)) AS other,
       countIf(isNull(status)) AS no_response,
       min(time) AS first_time, max(time) AS last_time
FROM requests
WHERE :host_ok AND time >= :since AND time <= :until
GROUP BY host, method, http_host, path
ORDER BY host, requests DESC, method, isNotNull(http_host), http_host, isNotNull(path), path
LIMIT :limit BY host
