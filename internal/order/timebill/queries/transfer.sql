-- Queries both engines run (see sqlc.yaml): moving a shop's rows to another merchant. They run only in the
-- shop transfer's system transaction; each names both merchants so it touches nothing else.

-- name: MoveShopLock :exec
UPDATE timebill_shops SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);

-- name: MovePlans :exec
UPDATE timebill_rate_plans SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);

-- name: MoveBands :exec
UPDATE timebill_rate_bands SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);

-- name: MoveHolidays :exec
UPDATE timebill_holidays SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);
