-- Queries both engines run (see sqlc.yaml): plans and merchants. Every merchant query names its merchant, so
-- SQLite (no row-level security) is as isolated as PostgreSQL.

-- name: GetPlan :one
SELECT id, name, max_shops, max_staff FROM merchant_plans WHERE id = sqlc.arg(id);

-- name: ListPlans :many
SELECT id, name, max_shops, max_staff FROM merchant_plans ORDER BY max_shops, id;

-- name: InsertMerchant :exec
INSERT INTO merchants (
    merchant_id, name, phone, email, address, owner_user_id, plan_id, trial_plan_id, trial_ends_at,
    created_at, updated_at
) VALUES (
    sqlc.arg(merchant_id), sqlc.arg(name), '', '', '', sqlc.arg(owner_user_id), sqlc.arg(plan_id),
    sqlc.narg(trial_plan_id), sqlc.narg(trial_ends_at), sqlc.arg(created_at), sqlc.arg(created_at)
);

-- name: GetMerchant :one
SELECT merchant_id, name, phone, email, address, owner_user_id, plan_id, trial_plan_id, trial_ends_at,
       created_at, updated_at, archived_at
FROM merchants
WHERE merchant_id = sqlc.arg(merchant_id);

-- name: LockMerchant :one
-- LockMerchant serialises the writers of one merchant that check an invariant spanning rows (plan limits, the
-- single default shop): on PostgreSQL the UPDATE holds the merchant's row lock until the transaction ends, and
-- SQLite has a single writer anyway. It returns archived_at so the caller can refuse work on an archived merchant.
UPDATE merchants SET lock_version = lock_version + 1
WHERE merchant_id = sqlc.arg(merchant_id)
RETURNING archived_at;

-- name: UpdateMerchantProfile :execrows
UPDATE merchants
SET name = sqlc.arg(name), phone = sqlc.arg(phone), email = sqlc.arg(email), address = sqlc.arg(address),
    updated_at = sqlc.arg(updated_at)
WHERE merchant_id = sqlc.arg(merchant_id) AND archived_at IS NULL;

-- name: ArchiveMerchant :execrows
UPDATE merchants SET updated_at = sqlc.arg(now), archived_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND archived_at IS NULL;
