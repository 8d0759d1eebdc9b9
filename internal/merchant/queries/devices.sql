-- Queries both engines run (see sqlc.yaml): a shop's registered terminals.

-- name: InsertDevice :exec
INSERT INTO shop_devices (id, merchant_id, shop_id, name, secret_hash, created_by, created_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(name), sqlc.arg(secret_hash),
        sqlc.arg(created_by), sqlc.arg(created_at));

-- name: ListShopDevices :many
SELECT * FROM shop_devices
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND revoked_at IS NULL
ORDER BY created_at, id;

-- name: RevokeDevice :execrows
UPDATE shop_devices SET revoked_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND id = sqlc.arg(id) AND revoked_at IS NULL;

-- name: ShopDeviceRule :one
-- ShopDeviceRule reads, through the system path, whether a live shop requires a registered terminal.
SELECT require_registered_device FROM shops WHERE id = sqlc.arg(id) AND archived_at IS NULL;

-- name: FindDevice :one
-- FindDevice finds, through the system path, the live device of a shop with this secret.
SELECT id, merchant_id FROM shop_devices
WHERE shop_id = sqlc.arg(shop_id) AND secret_hash = sqlc.arg(secret_hash) AND revoked_at IS NULL;

-- name: TouchDevice :exec
UPDATE shop_devices SET last_used_at = sqlc.arg(now) WHERE id = sqlc.arg(id);
