-- first-contact.sql: when was each peer of this host first seen?
--
-- Question:   Which hosts did :ip exchange traffic with for the first time
--             at or after :after (new contacts), and when was that? With
--             :after 0, every peer of :ip and its first contact.
-- Parameters: :ip     the host's address (10.1.2.3, 2001:db8::1)
--             :after  the time T: microseconds since the epoch (an integer,
--                     as in the tables), or a UTC time SQLite reads:
--                     2026-11-22T14:00Z, 2026-11-22 14:00:05.250,
--                     2026-11-22T15:00+01:00 (milliseconds at most)
-- Window:     do NOT set one: "first seen" has to read the whole history
--             before :after, and a window would hide it (every peer would
--             look new).
-- Example:    flowdb -d /var/lib/flowdb -p ip=10.1.2.3 \
--                    -p after=2026-11-22T00:00Z < first-contact.sql
--             sqlite3 -readonly -cmd '.param set :ip 10.1.2.3' \
--                    -cmd '.param set :after 0' flows-20261122T1400Z.db \
--                    < first-contact.sql     (one file: first within it)
-- Columns, one row per peer first seen at or after :after, earliest first:
--   peer        the other host
--   first_seen  the first packet between them, either way (microseconds
--               since the epoch; ISO 8601 in table mode)
--   last_seen   the last one
--   flows       flow records between them, both directions
--   bytes       layer-3 bytes, both directions
-- Works with: flowdb, and the stock sqlite3 CLI on a single file.

WITH t (after) AS (
	SELECT CASE WHEN typeof(:after) = 'integer' THEN :after
		    ELSE CAST(strftime('%s', :after) AS INTEGER) * 1000000
			 + CAST(substr(strftime('%f', :after), 4, 3) AS INTEGER) * 1000
	       END
),
c AS (
	SELECT dst_addr AS peer, first_seen, last_seen, bytes
	FROM flows
	WHERE src_addr = :ip
	UNION ALL
	SELECT src_addr, first_seen, last_seen, bytes
	FROM flows
	WHERE dst_addr = :ip AND src_addr <> :ip
)
SELECT peer,
       min(first_seen) AS first_seen,
       max(last_seen) AS last_seen,
       count(*) AS flows,
       sum(bytes) AS bytes
FROM c
GROUP BY peer
HAVING min(first_seen) >= (SELECT after FROM t)
ORDER BY first_seen, peer;
