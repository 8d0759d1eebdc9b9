-- Queries both engines run (see sqlc.yaml): the merchant's security audit log, a tenant table. Every query
-- names the merchant (SQLite has no row-level security; on PostgreSQL the policy holds as well).

-- name: InsertAuditEntry :exec
INSERT INTO iam_audit_log (merchant_id, id, at, actor_user_id, event, ip, user_agent, detail)
VALUES (sqlc.arg(merchant_id), sqlc.arg(id), sqlc.arg(at), sqlc.arg(actor_user_id), sqlc.arg(event), sqlc.arg(ip),
        sqlc.arg(user_agent), sqlc.arg(detail));

-- name: ListAuditEntries :many
-- ListAuditEntries returns the newest entries first (ids are UUIDv7, so they sort by time).
SELECT * FROM iam_audit_log
WHERE merchant_id = sqlc.arg(merchant_id)
ORDER BY id DESC
LIMIT sqlc.arg(max_rows);

-- name: ListAuditEntriesBefore :many
-- ListAuditEntriesBefore is the next page: entries older than the cursor id.
SELECT * FROM iam_audit_log
WHERE merchant_id = sqlc.arg(merchant_id) AND id < sqlc.arg(cursor)
ORDER BY id DESC
LIMIT sqlc.arg(max_rows);
