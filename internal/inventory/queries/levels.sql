-- Levels per shop and the movements that change them.

-- name: InsertLevel :execrows
-- InsertLevel creates an empty level for an item in a shop unless it exists (0 rows then).
INSERT INTO inventory_levels (shop_id, stock_item_id, merchant_id, quantity, reorder_level, avg_cost, lock_version,
                              created_at, updated_at)
VALUES (sqlc.arg(shop_id), sqlc.arg(stock_item_id), sqlc.arg(merchant_id), 0, sqlc.arg(reorder_level), 0, 0,
        sqlc.arg(created_at), sqlc.arg(created_at))
ON CONFLICT (shop_id, stock_item_id) DO NOTHING;

-- name: AddToLevel :one
-- AddToLevel changes a level by delta atomically (the row lock serialises its writers on PostgreSQL) and
-- returns the level after the change.
UPDATE inventory_levels
SET quantity = quantity + sqlc.arg(delta), lock_version = lock_version + 1, updated_at = sqlc.arg(updated_at)
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND stock_item_id = sqlc.arg(stock_item_id)
RETURNING quantity, reorder_level, avg_cost;

-- name: LockLevel :one
-- LockLevel takes the level's row lock (PostgreSQL) before reading it, so what it returns stays true until
-- the transaction ends: stocktakes read the level this way.
UPDATE inventory_levels SET lock_version = lock_version + 1
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND stock_item_id = sqlc.arg(stock_item_id)
RETURNING quantity, reorder_level, avg_cost;

-- name: SetAverageCost :exec
UPDATE inventory_levels SET avg_cost = sqlc.arg(avg_cost)
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND stock_item_id = sqlc.arg(stock_item_id);

-- name: SetReorderLevel :execrows
UPDATE inventory_levels SET reorder_level = sqlc.arg(reorder_level), updated_at = sqlc.arg(updated_at)
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND stock_item_id = sqlc.arg(stock_item_id);

-- name: GetLevel :one
SELECT l.shop_id, l.stock_item_id, l.quantity, l.reorder_level, l.avg_cost, i.name, i.unit
FROM inventory_levels l JOIN inventory_stock_items i ON i.id = l.stock_item_id
WHERE l.merchant_id = sqlc.arg(merchant_id) AND l.shop_id = sqlc.arg(shop_id) AND l.stock_item_id = sqlc.arg(stock_item_id)
  AND i.merchant_id = sqlc.arg(merchant_id);

-- name: ListLevels :many
SELECT l.shop_id, l.stock_item_id, l.quantity, l.reorder_level, l.avg_cost, i.name, i.unit
FROM inventory_levels l JOIN inventory_stock_items i ON i.id = l.stock_item_id
WHERE l.merchant_id = sqlc.arg(merchant_id) AND l.shop_id = sqlc.arg(shop_id) AND i.merchant_id = sqlc.arg(merchant_id)
ORDER BY i.name_key, l.stock_item_id;

-- name: InsertMovement :execrows
-- InsertMovement records a movement; a second sale or reversal of one (order line, stock item) inserts
-- nothing (0 rows) because of the partial unique index.
INSERT INTO inventory_movements (id, merchant_id, shop_id, stock_item_id, kind, delta, quantity_after, unit_cost,
                                 supplier, note, actor, reference, created_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(stock_item_id), sqlc.arg(kind),
        sqlc.arg(delta), sqlc.arg(quantity_after), sqlc.narg(unit_cost), sqlc.arg(supplier), sqlc.arg(note),
        sqlc.arg(actor), sqlc.arg(reference), sqlc.arg(created_at))
ON CONFLICT DO NOTHING;

-- name: ListMovements :many
-- ListMovements is a page of a shop's movements, newest first (ids are UUIDv7), before the cursor id
-- ("~", above every id, starts at the newest).
SELECT * FROM inventory_movements
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id)
  AND id < sqlc.arg(before_id)
ORDER BY id DESC
LIMIT sqlc.arg(page_size);

-- name: ListItemMovements :many
SELECT * FROM inventory_movements
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND stock_item_id = sqlc.arg(stock_item_id)
  AND id < sqlc.arg(before_id)
ORDER BY id DESC
LIMIT sqlc.arg(page_size);

-- name: LineMovements :many
-- LineMovements are the sale and reversal movements of one order line (the literal kinds let PostgreSQL use
-- the partial unique index).
SELECT * FROM inventory_movements
WHERE merchant_id = sqlc.arg(merchant_id) AND reference = sqlc.arg(reference) AND kind IN ('sale', 'sale_reversal')
ORDER BY kind, stock_item_id;

-- name: GetSettings :one
SELECT * FROM inventory_settings WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id);

-- name: UpsertSettings :exec
INSERT INTO inventory_settings (shop_id, merchant_id, deduct_on, updated_at)
VALUES (sqlc.arg(shop_id), sqlc.arg(merchant_id), sqlc.arg(deduct_on), sqlc.arg(updated_at))
ON CONFLICT (shop_id) DO UPDATE SET deduct_on = excluded.deduct_on, updated_at = excluded.updated_at;

-- name: InsertStocktake :exec
INSERT INTO inventory_stocktakes (id, merchant_id, shop_id, note, actor, created_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(note), sqlc.arg(actor), sqlc.arg(created_at));

-- name: InsertStocktakeLine :exec
INSERT INTO inventory_stocktake_lines (stocktake_id, stock_item_id, merchant_id, expected, counted, variance)
VALUES (sqlc.arg(stocktake_id), sqlc.arg(stock_item_id), sqlc.arg(merchant_id), sqlc.arg(expected),
        sqlc.arg(counted), sqlc.arg(variance));
