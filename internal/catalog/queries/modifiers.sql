-- Queries both engines run (see sqlc.yaml): modifier groups and their options.

-- name: InsertGroup :exec
INSERT INTO catalog_modifier_groups (id, merchant_id, name, min_select, max_select, created_at, updated_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(name), sqlc.arg(min_select), sqlc.arg(max_select),
        sqlc.arg(created_at), sqlc.arg(created_at));

-- name: GetGroup :one
SELECT * FROM catalog_modifier_groups
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND deleted_at IS NULL;

-- name: ListGroups :many
SELECT * FROM catalog_modifier_groups
WHERE merchant_id = sqlc.arg(merchant_id) AND deleted_at IS NULL
ORDER BY name, id;

-- name: UpdateGroup :execrows
UPDATE catalog_modifier_groups
SET name = sqlc.arg(name), min_select = sqlc.arg(min_select), max_select = sqlc.arg(max_select), updated_at = sqlc.arg(updated_at)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND deleted_at IS NULL;

-- name: DeleteGroup :execrows
UPDATE catalog_modifier_groups SET updated_at = sqlc.arg(now), deleted_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND deleted_at IS NULL;

-- name: DetachGroup :many
-- DetachGroup removes a group from every product and returns those products.
DELETE FROM catalog_product_modifier_groups
WHERE merchant_id = sqlc.arg(merchant_id) AND group_id = sqlc.arg(group_id)
RETURNING product_id;

-- name: ListLiveProductsWithGroup :many
SELECT l.product_id FROM catalog_product_modifier_groups l
JOIN catalog_products p ON p.id = l.product_id AND p.merchant_id = l.merchant_id
WHERE l.merchant_id = sqlc.arg(merchant_id) AND l.group_id = sqlc.arg(group_id) AND p.archived_at IS NULL
ORDER BY l.product_id;

-- name: InsertOption :exec
INSERT INTO catalog_modifier_options (id, merchant_id, group_id, name, price_delta, sort_order)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(group_id), sqlc.arg(name), sqlc.arg(price_delta), sqlc.arg(sort_order));

-- name: UpdateOption :execrows
UPDATE catalog_modifier_options SET name = sqlc.arg(name), price_delta = sqlc.arg(price_delta), sort_order = sqlc.arg(sort_order)
WHERE merchant_id = sqlc.arg(merchant_id) AND group_id = sqlc.arg(group_id) AND id = sqlc.arg(id);

-- name: DeleteOption :exec
DELETE FROM catalog_modifier_options
WHERE merchant_id = sqlc.arg(merchant_id) AND group_id = sqlc.arg(group_id) AND id = sqlc.arg(id);

-- name: ListOptions :many
SELECT * FROM catalog_modifier_options
WHERE merchant_id = sqlc.arg(merchant_id) AND group_id = sqlc.arg(group_id)
ORDER BY sort_order, id;

-- name: ListLiveOptions :many
-- ListLiveOptions is every option of the merchant's live groups.
SELECT o.* FROM catalog_modifier_options o
JOIN catalog_modifier_groups g ON g.id = o.group_id AND g.merchant_id = o.merchant_id
WHERE o.merchant_id = sqlc.arg(merchant_id) AND g.deleted_at IS NULL
ORDER BY o.group_id, o.sort_order, o.id;

-- name: GetLiveOption :one
SELECT o.id FROM catalog_modifier_options o
JOIN catalog_modifier_groups g ON g.id = o.group_id AND g.merchant_id = o.merchant_id
WHERE o.merchant_id = sqlc.arg(merchant_id) AND o.id = sqlc.arg(id) AND g.deleted_at IS NULL;
