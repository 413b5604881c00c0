-- name: tls-names
-- about: TLS server names (SNI) clients asked for, by connections
-- param: since time all      start of the window
-- param: limit count 20      rows to show
-- A client's flow holds the name from its ClientHello; a server's flow holds
-- the version and cipher it chose ("TLS1.3 TLS_AES_128_GCM_SHA256"), left
-- out here by that shape: a version, a space, the rest. The collector writes
-- a space in a name as \x20, so no name has that shape, whatever its other
-- characters; in files from before that escaping, only a name made to look
-- like a ServerHello would.
SELECT app_info AS server_name,
       count(*) AS flows,
       count(DISTINCT src_addr) AS clients,
       sum(bytes) AS bytes,
       min(first_seen) AS first_seen,
       max(last_seen) AS last_seen
FROM flows
WHERE app_proto = 'tls' AND app_info <> ''
  AND NOT (app_info GLOB 'TLS1.[0-3] *' OR app_info GLOB 'SSL3.0 *'
           OR app_info GLOB '0x[0-9a-f][0-9a-f][0-9a-f][0-9a-f] *')
  AND last_seen >= :since AND first_seen <= :until
GROUP BY app_info
ORDER BY flows DESC, server_name
LIMIT :limit;
