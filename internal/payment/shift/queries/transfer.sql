-- Queries both engines run (see sqlc.yaml): moving a shop's shifts to another merchant. They run only in the
-- shop transfer's system transaction; each names both merchants so it touches nothing else.

-- name: MoveShopShifts :exec
UPDATE shifts SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);

-- name: MoveShopMovements :exec
UPDATE shift_movements SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);
