-- Recipes (bills of materials) of products and modifier options.

-- name: ListRecipe :many
SELECT r.owner_kind, r.owner_id, r.stock_item_id, r.quantity, r.position, i.name, i.unit
FROM inventory_recipes r JOIN inventory_stock_items i ON i.id = r.stock_item_id
WHERE r.merchant_id = sqlc.arg(merchant_id) AND r.owner_kind = sqlc.arg(owner_kind) AND r.owner_id = sqlc.arg(owner_id)
  AND i.merchant_id = sqlc.arg(merchant_id)
ORDER BY r.position;

-- name: RecipeIngredients :many
-- RecipeIngredients is what deduction needs of a recipe: items and quantities per unit sold.
SELECT stock_item_id, quantity FROM inventory_recipes
WHERE merchant_id = sqlc.arg(merchant_id) AND owner_kind = sqlc.arg(owner_kind) AND owner_id = sqlc.arg(owner_id)
ORDER BY position;

-- name: DeleteRecipe :exec
DELETE FROM inventory_recipes
WHERE merchant_id = sqlc.arg(merchant_id) AND owner_kind = sqlc.arg(owner_kind) AND owner_id = sqlc.arg(owner_id);

-- name: InsertRecipeLine :exec
INSERT INTO inventory_recipes (owner_kind, owner_id, stock_item_id, merchant_id, quantity, position, created_at)
VALUES (sqlc.arg(owner_kind), sqlc.arg(owner_id), sqlc.arg(stock_item_id), sqlc.arg(merchant_id), sqlc.arg(quantity),
        sqlc.arg(position), sqlc.arg(created_at));

-- name: RecipesOfOwner :many
-- RecipesOfOwner finds the recipe lines of an owner id of either kind (shop transfer maps ids without kind).
SELECT * FROM inventory_recipes WHERE merchant_id = sqlc.arg(merchant_id) AND owner_id = sqlc.arg(owner_id)
ORDER BY owner_kind, position;
