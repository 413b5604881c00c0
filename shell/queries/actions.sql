-- name: actions
-- about: changes to the rules in force: policy loads and reloads, blocks added, deleted, expired
-- param: since time all      start of the window
-- param: limit count 100     rows to show, the latest
-- One row per actions row, the latest first: origin file (the policy file),
-- ctl (flowdb-ctl, with the user's uid), alert or expiry.
SELECT time, action, origin, target, rule, reason, expires AS expires_time, uid, detail
FROM actions
WHERE time >= :since AND time <= :until
ORDER BY time DESC, rowid DESC
LIMIT :limit;
