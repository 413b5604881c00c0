-- name: http-hosts
-- about: cleartext HTTP requests by method, host and path
-- param: since time all      start of the window
-- param: limit count 20      rows to show
-- A request's flow holds its method, then host and path ("GET
-- example.test/api/v1/items", "CONNECT example.test:443"), whatever the
-- method; a response's flow holds its status code, three digits or nothing
-- (cut), left out here. A request is never empty or three digits. Files from
-- earlier collectors hold requests without their method (NULL here): a
-- first word of capitals alone is a method. Each connection counts its first
-- request.
WITH requests AS (
	SELECT src_addr, bytes, first_seen, last_seen, app_info,
	       substr(app_info, 1, instr(app_info || ' ', ' ') - 1) AS word
	FROM flows
	WHERE app_proto = 'http' AND app_info <> '' AND app_info NOT GLOB '[0-9][0-9][0-9]'
	  AND last_seen >= :since AND first_seen <= :until
), split AS (
	SELECT *, CASE WHEN word GLOB '[A-Z]*' AND word NOT GLOB '*[^A-Z]*' THEN word END AS method
	FROM requests
)
SELECT method,
       CASE WHEN method IS NULL THEN app_info ELSE substr(app_info, length(method) + 2) END
	       AS request,
       count(*) AS flows,
       count(DISTINCT src_addr) AS clients,
       sum(bytes) AS bytes,
       min(first_seen) AS first_seen,
       max(last_seen) AS last_seen
FROM split
GROUP BY method, request
ORDER BY flows DESC, method, request
LIMIT :limit;
