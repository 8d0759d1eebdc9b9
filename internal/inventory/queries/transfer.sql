-- Shop transfer: a shop's stock moves to another merchant. These run in db.WithSystemTx only.

-- name: ShopLevelItems :many
SELECT stock_item_id FROM inventory_levels
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) ORDER BY stock_item_id;

-- name: ShopMovementItems :many
SELECT DISTINCT stock_item_id FROM inventory_movements
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) ORDER BY stock_item_id;

-- name: MoveLevels :exec
UPDATE inventory_levels SET merchant_id = sqlc.arg(to_merchant_id), stock_item_id = sqlc.arg(to_item_id)
WHERE merchant_id = sqlc.arg(from_merchant_id) AND shop_id = sqlc.arg(shop_id) AND stock_item_id = sqlc.arg(from_item_id);

-- name: MoveMovements :exec
UPDATE inventory_movements SET merchant_id = sqlc.arg(to_merchant_id), stock_item_id = sqlc.arg(to_item_id)
WHERE merchant_id = sqlc.arg(from_merchant_id) AND shop_id = sqlc.arg(shop_id) AND stock_item_id = sqlc.arg(from_item_id);

-- name: MoveStocktakeLines :exec
UPDATE inventory_stocktake_lines SET merchant_id = sqlc.arg(to_merchant_id), stock_item_id = sqlc.arg(to_item_id)
WHERE inventory_stocktake_lines.merchant_id = sqlc.arg(from_merchant_id)
  AND inventory_stocktake_lines.stock_item_id = sqlc.arg(from_item_id)
  AND inventory_stocktake_lines.stocktake_id IN (
      SELECT s.id FROM inventory_stocktakes s WHERE s.merchant_id = sqlc.arg(from_merchant_id) AND s.shop_id = sqlc.arg(shop_id));

-- name: ShopStocktakeItems :many
SELECT DISTINCT l.stock_item_id FROM inventory_stocktake_lines l
JOIN inventory_stocktakes s ON s.id = l.stocktake_id
WHERE s.merchant_id = sqlc.arg(merchant_id) AND s.shop_id = sqlc.arg(shop_id) AND l.merchant_id = sqlc.arg(merchant_id)
ORDER BY l.stock_item_id;

-- name: MoveStocktakes :exec
UPDATE inventory_stocktakes SET merchant_id = sqlc.arg(to_merchant_id)
WHERE merchant_id = sqlc.arg(from_merchant_id) AND shop_id = sqlc.arg(shop_id);

-- name: MoveSettings :exec
UPDATE inventory_settings SET merchant_id = sqlc.arg(to_merchant_id)
WHERE merchant_id = sqlc.arg(from_merchant_id) AND shop_id = sqlc.arg(shop_id);

-- name: CountRecipeLines :one
SELECT COUNT(*) FROM inventory_recipes
WHERE merchant_id = sqlc.arg(merchant_id) AND owner_kind = sqlc.arg(owner_kind) AND owner_id = sqlc.arg(owner_id);
