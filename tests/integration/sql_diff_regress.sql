-- Queries that once gave answers other than sqlite3's over the same rows in
-- one file; sql_diff.py replays them before its random ones. One per line.
-- Issue 13: the multi-index OR plan removed duplicates by a rowid that was
-- a position in one scan, so the second OR term's rows collided with the
-- first's.
SELECT count(*), sum(packets) FROM flows WHERE src_addr LIKE '10.%' OR src_addr LIKE '2001:db8:%'
SELECT count(*), sum(bytes) FROM flows WHERE src_addr = '10.20.0.33' OR dst_addr = '10.20.0.33'
SELECT count(*), sum(bytes) FROM flows WHERE src_addr = '10.20.0.33' OR dst_port = 22 OR dst_addr = '10.10.0.1'
-- A row's rowid looked up again, in every file.
SELECT count(*), sum(t1.bytes) FROM flows t1 WHERE t1.rowid IN (SELECT t2.rowid FROM flows t2 WHERE t2.dst_port = 443)
SELECT count(*) FROM events t1 WHERE t1.rowid IN (SELECT t2.rowid FROM events t2 WHERE t2.kind IS 'rst')
-- Two rowid IN lists on one table: SQLite looped over both, one inside the other.
SELECT count(*) FROM flows t1 WHERE t1.rowid IN (SELECT rowid FROM flows WHERE file LIKE '%T00%') AND t1.rowid IN (SELECT rowid FROM flows WHERE vlan <> '100')
-- An IN list passed on whole: "col = IN (...)" made every file fail.
SELECT t7.dst_addr, count(*) FROM flows t7 WHERE t7.src_port = 54278 AND t7.dst_port IN (59255, 443, 22) GROUP BY 1 ORDER BY 1, 2
-- Long IN lists go to the files as JSON, with text, integers and NULL.
SELECT count(*) FROM flows WHERE dst_port IN (SELECT src_port FROM flows WHERE proto = 6)
SELECT count(*) FROM flows WHERE src_addr IN (SELECT dst_addr FROM flows) AND dst_addr NOT IN (SELECT src_addr FROM events)
SELECT count(*) FROM events WHERE ip_version IN (SELECT src_port FROM flows WHERE ip_version IS NOT 6)
-- Values of another type than the column's: numeric-looking text against
-- INTEGER columns, numbers against TEXT columns, collations.
SELECT count(*) FROM flows WHERE dst_port = '443'
SELECT count(*) FROM flows WHERE dst_port < ' 443 ' OR dst_port >= '4.43e2'
SELECT count(*) FROM flows WHERE src_addr > 10 OR src_addr = 10
SELECT count(*) FROM flows WHERE ifname = 'ETH0' COLLATE NOCASE
SELECT count(*) FROM flows WHERE direction > 'IN' COLLATE NOCASE AND direction < 'z'
SELECT count(*) FROM flows WHERE first_seen >= '1795305600000000' AND last_seen <= 1795320000000000.0
SELECT count(*) FROM flows WHERE first_seen < 'x'
-- NULLs in passed-on constraints, and NULL tests.
SELECT count(*) FROM flows WHERE app_proto = NULL OR app_info IS NULL
SELECT count(*) FROM flows WHERE encrypted IS NOT NULL AND app_proto ISNULL
-- ORDER BY merged across files, with LIMIT and OFFSET.
SELECT first_seen, src_addr, bytes FROM flows ORDER BY first_seen DESC, src_addr, bytes LIMIT 10 OFFSET 5
SELECT app_proto, app_info, bytes FROM flows ORDER BY 1 NULLS LAST, 2 DESC, 3 LIMIT 20
-- The union table as the inner loop of a join and of correlated subqueries.
SELECT count(*), sum(a.bytes) FROM flows a JOIN flows b ON a.src_addr = b.dst_addr AND a.dst_addr = b.src_addr AND a.src_port = b.dst_port
SELECT count(*) FROM flows a WHERE NOT EXISTS (SELECT 1 FROM flows b WHERE b.ifname = a.ifname AND b.src_addr = '10.20.0.21')
SELECT src_addr, bytes, (SELECT count(*) FROM flows b WHERE b.src_addr = a.dst_addr) FROM flows a ORDER BY 1, 2, 3 LIMIT 30
-- The hidden file column.
SELECT file, count(*) FROM flows WHERE file LIKE '%T01%' OR src_addr = '10.20.0.33' GROUP BY 1 ORDER BY 1
-- Statements run again over copies (FLOWDB_COPY=always in the second pass):
-- a streaming NOT IN whose correlated subquery has terms no file is given,
-- a numeric-looking literal against a TEXT column, the file column copied.
SELECT t2431.proto, t2431.last_seen FROM flows t2431 WHERE t2431.requests NOT IN (SELECT t2432.dropped_packets FROM flows t2432 WHERE ((t2432.proto <> 1 AND t2432.requests BETWEEN 5 AND 1) OR t2432.ifname NOT IN (-1, 'eth1', 'eth', NULL, 'eth1')) AND t2432.vlan = t2431.vlan)
SELECT t2118.ifname, coalesce(t2118.src_addr, 'none'), t2118.dst_addr FROM events t2118 WHERE NOT EXISTS (SELECT 1 FROM requests t2119 WHERE t2119.ip_version = t2118.ip_version AND t2119.src_addr = '443')
SELECT count(*), sum(a.bytes) FROM flows a WHERE EXISTS (SELECT 1 FROM flows b WHERE b.file = a.file AND b.dst_addr = a.src_addr)
