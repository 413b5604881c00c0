-- name: api-calls
-- about: HTTP API calls by method, host and path: requests, clients and response statuses
-- param: since time all      start of the window
-- param: limit count 20      rows to show
-- Every request inspection named on a connection, kept-alive ones too (the
-- table requests, schema 6: older files have none). Statuses by class;
-- other is 1xx (an upgrade) or beyond 599, no_response a request whose
-- response was not seen. host and path are NULL when not known.
SELECT method,
       host,
       path,
       count(*) AS requests,
       count(DISTINCT src_addr) AS clients,
       count(CASE WHEN status BETWEEN 200 AND 299 THEN 1 END) AS ok_2xx,
       count(CASE WHEN status BETWEEN 300 AND 399 THEN 1 END) AS redirect_3xx,
       count(CASE WHEN status BETWEEN 400 AND 499 THEN 1 END) AS client_error_4xx,
       count(CASE WHEN status BETWEEN 500 AND 599 THEN 1 END) AS server_error_5xx,
       count(CASE WHEN status < 200 OR status > 599 THEN 1 END) AS other,
       count(CASE WHEN status IS NULL THEN 1 END) AS no_response,
       min(time) AS first_time,
       max(time) AS last_time
FROM requests
WHERE time >= :since AND time <= :until
GROUP BY method, host, path
ORDER BY requests DESC, method, host, path
LIMIT :limit;
