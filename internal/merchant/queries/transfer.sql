-- Queries both engines run (see sqlc.yaml): moving a shop to another merchant. They run only in the shop
-- transfer's system transaction; each names both merchants so it touches nothing else.

-- name: MoveShop :execrows
UPDATE shops SET merchant_id = sqlc.arg(to_merchant_id), is_default = sqlc.arg(is_default), updated_at = sqlc.arg(now)
WHERE id = sqlc.arg(id) AND merchant_id = sqlc.arg(from_merchant_id) AND archived_at IS NULL;

-- name: MoveFloorAreas :exec
UPDATE floor_areas SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);

-- name: MoveFloorTables :exec
UPDATE floor_tables SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);

-- name: MoveFloorRooms :exec
UPDATE floor_rooms SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);

-- name: MoveQRTokens :exec
UPDATE floor_qr_tokens SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);

-- name: MoveDevices :exec
UPDATE shop_devices SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);

-- name: MoveProviderCredentials :exec
UPDATE shop_provider_credentials SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);

-- name: ListProviderCredentialsOfShop :many
SELECT * FROM shop_provider_credentials WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(merchant_id);

-- name: EndShopMembershipsForTransfer :many
UPDATE shop_staff SET ended_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND ended_at IS NULL
RETURNING user_id, role;

-- name: PromoteOldestShop :exec
-- PromoteOldestShop makes the merchant's oldest live shop its default (after its default left).
UPDATE shops SET is_default = TRUE, updated_at = sqlc.arg(now)
WHERE id = (SELECT s.id FROM shops s WHERE s.merchant_id = sqlc.arg(merchant_id) AND s.archived_at IS NULL
            ORDER BY s.created_at, s.id LIMIT 1);
