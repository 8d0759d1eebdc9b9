-- Queries both engines run (see sqlc.yaml): the per-shop lock row, rate plans and their bands.

-- name: LockShop :execrows
-- LockShop serialises the shop's writers: the first write creates the row, later ones bump it (taking the
-- row lock on PostgreSQL). It changes nothing, and reports 0 rows, if the row belongs to another merchant.
INSERT INTO timebill_shops (shop_id, merchant_id, lock_version, updated_at)
VALUES (sqlc.arg(shop_id), sqlc.arg(merchant_id), 0, sqlc.arg(now))
ON CONFLICT (shop_id) DO UPDATE SET lock_version = timebill_shops.lock_version + 1, updated_at = excluded.updated_at
WHERE timebill_shops.merchant_id = excluded.merchant_id;

-- name: UpsertPlan :execrows
INSERT INTO timebill_rate_plans (shop_id, room_type, merchant_id, block_minutes, minimum_minutes, created_at, updated_at)
VALUES (sqlc.arg(shop_id), sqlc.arg(room_type), sqlc.arg(merchant_id), sqlc.arg(block_minutes),
        sqlc.arg(minimum_minutes), sqlc.arg(now), sqlc.arg(now))
ON CONFLICT (shop_id, room_type) DO UPDATE SET block_minutes = excluded.block_minutes,
    minimum_minutes = excluded.minimum_minutes, updated_at = excluded.updated_at
WHERE timebill_rate_plans.merchant_id = excluded.merchant_id;

-- name: DeleteBands :exec
DELETE FROM timebill_rate_bands
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND room_type = sqlc.arg(room_type);

-- name: InsertBand :exec
INSERT INTO timebill_rate_bands (shop_id, room_type, day_type, start_minute, merchant_id, end_minute, price_per_hour)
VALUES (sqlc.arg(shop_id), sqlc.arg(room_type), sqlc.arg(day_type), sqlc.arg(start_minute), sqlc.arg(merchant_id),
        sqlc.arg(end_minute), sqlc.arg(price_per_hour));

-- name: DeletePlan :execrows
DELETE FROM timebill_rate_plans
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND room_type = sqlc.arg(room_type);

-- name: GetPlan :one
SELECT room_type, block_minutes, minimum_minutes, created_at, updated_at FROM timebill_rate_plans
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND room_type = sqlc.arg(room_type);

-- name: GetBands :many
SELECT day_type, start_minute, end_minute, price_per_hour FROM timebill_rate_bands
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND room_type = sqlc.arg(room_type)
ORDER BY day_type, start_minute;

-- name: ListPlans :many
-- ListPlans is one page of the shop's plans in room type order, after the cursor (a room type; "" starts).
SELECT room_type, block_minutes, minimum_minutes, created_at, updated_at FROM timebill_rate_plans
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND room_type > sqlc.arg(after)
ORDER BY room_type
LIMIT sqlc.arg(page_size);

-- name: ListBandsBetween :many
-- ListBandsBetween returns the bands of the plans whose room types lie in (after, last], those of a page.
SELECT room_type, day_type, start_minute, end_minute, price_per_hour FROM timebill_rate_bands
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id)
  AND room_type > sqlc.arg(after) AND room_type <= sqlc.arg(last)
ORDER BY room_type, day_type, start_minute;
