-- Queries both engines run (see sqlc.yaml): the print queue. Every query names the merchant, except
-- DueJobs, which the worker runs in a system transaction to find work across merchants.

-- name: InsertJob :exec
INSERT INTO printq_jobs (id, merchant_id, shop_id, printer_id, kind, station, reference, reprint_of, document,
    status, last_error, ttl_seconds, expires_at, due_at, created_at, updated_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(printer_id), sqlc.arg(kind),
    sqlc.arg(station), sqlc.arg(reference), sqlc.arg(reprint_of), sqlc.arg(document), sqlc.arg(status),
    sqlc.arg(last_error), sqlc.arg(ttl_seconds), sqlc.arg(expires_at), sqlc.arg(now), sqlc.arg(now), sqlc.arg(now));

-- name: GetJob :one
SELECT * FROM printq_jobs
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND id = sqlc.arg(id);

-- name: ListJobs :many
-- ListJobs pages through a shop's jobs, newest first (ids are time-ordered); an empty status or cursor
-- does not filter.
SELECT * FROM printq_jobs
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id)
  AND (CAST(sqlc.arg(status) AS TEXT) = '' OR status = sqlc.arg(status))
  AND (CAST(sqlc.arg(cursor) AS TEXT) = '' OR id < sqlc.arg(cursor))
ORDER BY id DESC
LIMIT sqlc.arg(lim);

-- name: DueJobs :many
-- DueJobs finds jobs whose next attempt or lease end has passed, oldest due first (system transaction).
SELECT id, merchant_id, printer_id FROM printq_jobs
WHERE status IN ('pending', 'printing') AND due_at <= sqlc.arg(now)
ORDER BY due_at, id
LIMIT sqlc.arg(lim);

-- name: ClaimJob :one
-- ClaimJob takes a due job for one attempt: it is the claimer's until lease_until. On PostgreSQL a second
-- claimer of the same row waits for the first to commit, then finds it no longer due and gets no row.
UPDATE printq_jobs
SET status = 'printing', lease_owner = sqlc.arg(owner), due_at = sqlc.arg(lease_until), attempts = attempts + 1,
    updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND status IN ('pending', 'printing')
  AND due_at <= sqlc.arg(now)
RETURNING *;

-- name: FinishJob :execrows
-- FinishJob records the outcome of an attempt, only if the claimer still holds the job.
UPDATE printq_jobs
SET status = sqlc.arg(status), printer_id = sqlc.arg(printer_id), last_error = sqlc.arg(last_error),
    due_at = sqlc.arg(due_at), printed_at = sqlc.arg(printed_at), lease_owner = '', updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND status = 'printing'
  AND lease_owner = sqlc.arg(owner);

-- name: MoveJobs :exec
-- MoveJobs runs only in the shop transfer's system transaction.
UPDATE printq_jobs SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);
