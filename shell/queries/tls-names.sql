-- name: tls-names
-- about: TLS server names (SNI) clients asked for, by connections
-- param: since time all      start of the window
-- param: limit count 20      rows to show
-- A client's flow holds the name from its ClientHello; a server's flow holds
-- the version and cipher it chose ("TLS1.3 TLS_AES_128_GCM_SHA256"), which
-- has a space where a name cannot, so it is left out here.
SELECT app_info AS server_name,
       count(*) AS flows,
       count(DISTINCT src_addr) AS clients,
       sum(bytes) AS bytes,
       min(first_seen) AS first_seen,
       max(last_seen) AS last_seen
FROM flows
WHERE app_proto = 'tls' AND app_info <> '' AND instr(app_info, ' ') = 0
  AND last_seen >= :since AND first_seen <= :until
GROUP BY app_info
ORDER BY flows DESC, server_name
LIMIT :limit;
