-- clickhouse: actions
SELECT host, time, action, origin, target, rule, reason, expires AS expires_time, uid, detail
FROM actions
WHERE :host_ok AND time >= :since AND time <= :until
ORDER BY host, time DESC, file DESC, rowid DESC
LIMIT :limit BY host
