-- name: http-hosts
-- about: cleartext HTTP requests by host and path
-- param: since time all      start of the window
-- param: limit count 20      rows to show
-- A request's flow holds host and path ("example.test/api/v1/items"); a
-- response's flow holds the status code, left out here. Each connection
-- counts its first request.
SELECT app_info AS request,
       count(*) AS flows,
       count(DISTINCT src_addr) AS clients,
       sum(bytes) AS bytes,
       min(first_seen) AS first_seen,
       max(last_seen) AS last_seen
FROM flows
WHERE app_proto = 'http' AND app_info <> '' AND app_info NOT GLOB '[0-9][0-9][0-9]'
  AND last_seen >= :since AND first_seen <= :until
GROUP BY app_info
ORDER BY flows DESC, request
LIMIT :limit;
