-- Queries both engines run (see sqlc.yaml): staff memberships (merchant-wide when shop_id is '').

-- name: InsertMembership :exec
INSERT INTO shop_staff (id, merchant_id, shop_id, user_id, role, created_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(user_id), sqlc.arg(role), sqlc.arg(created_at));

-- name: EndMembership :execrows
UPDATE shop_staff SET ended_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND user_id = sqlc.arg(user_id)
  AND role <> 'owner' AND ended_at IS NULL;

-- name: EndShopMemberships :exec
UPDATE shop_staff SET ended_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND ended_at IS NULL;

-- name: EndMerchantMemberships :exec
UPDATE shop_staff SET ended_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND ended_at IS NULL;

-- name: CountStaff :one
-- CountStaff counts the distinct people with a live membership other than the owner: what the plan limits.
SELECT COUNT(DISTINCT user_id) FROM shop_staff
WHERE merchant_id = sqlc.arg(merchant_id) AND ended_at IS NULL AND user_id <> sqlc.arg(owner_user_id);

-- name: CountLiveMembershipsOfUser :one
SELECT COUNT(*) FROM shop_staff
WHERE merchant_id = sqlc.arg(merchant_id) AND user_id = sqlc.arg(user_id) AND ended_at IS NULL;

-- name: ListMembershipsOfUser :many
-- ListMembershipsOfUser reads a user's live memberships in every merchant. It has no merchant filter on purpose
-- and runs only inside db.WithSystemTx (MembershipsOf, at login).
SELECT id, merchant_id, shop_id, user_id, role, created_at FROM shop_staff
WHERE user_id = sqlc.arg(user_id) AND ended_at IS NULL
ORDER BY merchant_id, shop_id, role;

-- name: ListShopStaff :many
SELECT id, merchant_id, shop_id, user_id, role, created_at FROM shop_staff
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND ended_at IS NULL
ORDER BY created_at, id;

-- name: GetLiveMembership :one
SELECT id, merchant_id, shop_id, user_id, role, created_at FROM shop_staff
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND user_id = sqlc.arg(user_id)
  AND ended_at IS NULL;

-- name: EndMembershipByID :execrows
UPDATE shop_staff SET ended_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND ended_at IS NULL;
