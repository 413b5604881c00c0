-- name: request-rate
-- about: HTTP clients by request rate: requests and their busiest minute (API abuse)
-- param: since time all      start of the window
-- param: limit count 20      rows to show
-- A request is a connection's first HTTP request, whatever its method, by
-- the minute it started in; requests a client sends on one kept-alive
-- connection count once. A response's flow holds its status code, three
-- digits or nothing; a request's never is either (see http-hosts).
WITH per_minute AS (
	SELECT src_addr, first_seen / 60000000 AS minute, count(*) AS requests
	FROM flows
	WHERE app_proto = 'http' AND app_info <> '' AND app_info NOT GLOB '[0-9][0-9][0-9]'
	  AND last_seen >= :since AND first_seen <= :until
	GROUP BY 1, 2
)
SELECT src_addr AS client,
       sum(requests) AS requests,
       max(requests) AS peak_per_minute,
       count(*) AS active_minutes,
       min(minute) * 60000000 AS first_time,
       max(minute) * 60000000 AS last_time
FROM per_minute
GROUP BY src_addr
ORDER BY peak_per_minute DESC, requests DESC, client
LIMIT :limit;
