-- host-activity.sql: what did this host do between T1 and T2?
--
-- Question:   Every flow record :ip took part in, as source or destination,
--             in time order: a timeline of the host.
-- Parameters: :ip  the host's address (10.1.2.3, 2001:db8::1)
-- Window:     T1 and T2 are the session window: --since T1 --until T2 (or
--             .since/.until), in any form flowdb takes (2026-11-22T14:00Z,
--             @1795356000, 2h). A record counts when it overlaps the window,
--             so a connection opened before T1 and still going is shown.
--             Without a window, the host's whole history.
-- Example:    flowdb -d /var/lib/flowdb -p ip=10.1.2.3 \
--                    --since 2026-11-22T14:00Z --until 2026-11-22T15:30Z \
--                    < host-activity.sql
--             sqlite3 -readonly -cmd '.param set :ip 10.1.2.3' \
--                    flows-20261122T1400Z.db < host-activity.sql   (one file,
--                    no window: add a WHERE on first_seen/last_seen for one)
-- Columns, one row per flow record, in order of first_seen:
--   first_seen   the record's first packet (microseconds since the epoch;
--                ISO 8601 in table mode)
--   last_seen    its last packet
--   duration     last_seen - first_seen, microseconds
--   dir          '->' when :ip sent the packets, '<-' when it received them
--   peer         the other host
--   proto        IANA protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6)
--   local_port   :ip's port (ICMP: 0 sent, type*256+code received)
--   peer_port    the peer's port (ICMP: type*256+code sent, 0 received)
--   packets      packets
--   bytes        layer-3 bytes
--   tcp_flags    OR of the TCP flags (FIN 1, SYN 2, RST 4, PSH 8, ACK 16)
--   end_reason   idle, fin, rst, active (continues in the next record) or
--                shutdown
--   ifname       the interface it crossed; direction in or out there
--   direction
-- Works with: flowdb, and the stock sqlite3 CLI on a single file.

SELECT first_seen, last_seen, last_seen - first_seen AS duration,
       dir, peer, proto, local_port, peer_port, packets, bytes, tcp_flags,
       end_reason, ifname, direction
FROM (SELECT first_seen, last_seen, '->' AS dir, dst_addr AS peer, proto,
	     src_port AS local_port, dst_port AS peer_port, packets, bytes,
	     tcp_flags, end_reason, ifname, direction
      FROM flows
      WHERE src_addr = :ip
      UNION ALL
      SELECT first_seen, last_seen, '<-', src_addr, proto,
	     dst_port, src_port, packets, bytes,
	     tcp_flags, end_reason, ifname, direction
      FROM flows
      WHERE dst_addr = :ip AND src_addr <> :ip)
ORDER BY first_seen, last_seen, dir, peer, proto, local_port, peer_port,
	 ifname, direction, packets, bytes, tcp_flags, end_reason;
