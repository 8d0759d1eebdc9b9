-- Queries both engines run (see sqlc.yaml): a shop's overrides of the merchant menu.

-- name: GetShopProduct :one
SELECT * FROM catalog_shop_products
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND product_id = sqlc.arg(product_id);

-- name: UpsertShopProduct :exec
INSERT INTO catalog_shop_products (merchant_id, shop_id, product_id, price, available, updated_at)
VALUES (sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(product_id), sqlc.arg(price), sqlc.arg(available), sqlc.arg(updated_at))
ON CONFLICT (shop_id, product_id) DO UPDATE
SET price = excluded.price, available = excluded.available, updated_at = excluded.updated_at;

-- name: DeleteShopProduct :exec
DELETE FROM catalog_shop_products
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND product_id = sqlc.arg(product_id);

-- name: ListShopProducts :many
SELECT * FROM catalog_shop_products
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id)
ORDER BY product_id;

-- name: DeleteShopProducts :exec
DELETE FROM catalog_shop_products WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id);
