-- Stock items (the merchant's ingredient list) and their pack units.

-- name: InsertStockItem :exec
INSERT INTO inventory_stock_items (id, merchant_id, name, name_key, unit, created_at, updated_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(name), sqlc.arg(name_key), sqlc.arg(unit),
        sqlc.arg(created_at), sqlc.arg(created_at));

-- name: GetStockItem :one
SELECT * FROM inventory_stock_items WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: GetStockItemByName :one
SELECT * FROM inventory_stock_items WHERE merchant_id = sqlc.arg(merchant_id) AND name_key = sqlc.arg(name_key);

-- name: ListStockItems :many
SELECT * FROM inventory_stock_items WHERE merchant_id = sqlc.arg(merchant_id) ORDER BY name_key, id;

-- name: RenameStockItem :execrows
UPDATE inventory_stock_items SET name = sqlc.arg(name), name_key = sqlc.arg(name_key), updated_at = sqlc.arg(updated_at)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: InsertItemUnit :exec
INSERT INTO inventory_item_units (stock_item_id, name, merchant_id, factor, created_at)
VALUES (sqlc.arg(stock_item_id), sqlc.arg(name), sqlc.arg(merchant_id), sqlc.arg(factor), sqlc.arg(created_at));

-- name: ListItemUnits :many
SELECT * FROM inventory_item_units WHERE merchant_id = sqlc.arg(merchant_id) AND stock_item_id = sqlc.arg(stock_item_id)
ORDER BY name;

-- name: ListMerchantUnits :many
SELECT * FROM inventory_item_units WHERE merchant_id = sqlc.arg(merchant_id) ORDER BY stock_item_id, name;
