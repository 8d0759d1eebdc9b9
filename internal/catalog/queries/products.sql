-- Queries both engines run (see sqlc.yaml): products, their variants, modifier groups and combo items.

-- name: InsertProduct :exec
INSERT INTO catalog_products (
    id, merchant_id, category_id, kind, name, name_en, description, price, sku, tax_class, image_file_id,
    sort_order, created_at, updated_at
) VALUES (
    sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(category_id), sqlc.arg(kind), sqlc.arg(name), sqlc.arg(name_en),
    sqlc.arg(description), sqlc.arg(price), sqlc.arg(sku), sqlc.arg(tax_class), sqlc.arg(image_file_id),
    sqlc.arg(sort_order), sqlc.arg(created_at), sqlc.arg(created_at)
);

-- name: GetProduct :one
-- GetProduct reads a product, archived or not.
SELECT * FROM catalog_products WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: ListProductsAfter :many
-- ListProductsAfter is one page of the merchant's products in id (creation) order after the cursor id,
-- optionally of one category ('' for all) and optionally with archived ones.
SELECT * FROM catalog_products
WHERE merchant_id = sqlc.arg(merchant_id) AND id > sqlc.arg(after_id)
  AND (CAST(sqlc.arg(category_id) AS TEXT) = '' OR category_id = sqlc.arg(category_id))
  AND (CAST(sqlc.arg(include_archived) AS BOOLEAN) OR archived_at IS NULL)
ORDER BY id
LIMIT sqlc.arg(page_size);

-- name: ListLiveProducts :many
SELECT * FROM catalog_products
WHERE merchant_id = sqlc.arg(merchant_id) AND archived_at IS NULL
ORDER BY sort_order, name, id;

-- name: UpdateProduct :execrows
UPDATE catalog_products
SET category_id = sqlc.arg(category_id), name = sqlc.arg(name), name_en = sqlc.arg(name_en),
    description = sqlc.arg(description), price = sqlc.arg(price), sku = sqlc.arg(sku), tax_class = sqlc.arg(tax_class),
    image_file_id = sqlc.arg(image_file_id), sort_order = sqlc.arg(sort_order), updated_at = sqlc.arg(updated_at)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND archived_at IS NULL;

-- name: ArchiveProduct :execrows
UPDATE catalog_products SET updated_at = sqlc.arg(now), archived_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND archived_at IS NULL;

-- name: ListLiveCombosUsing :many
-- ListLiveCombosUsing names the live combos that hold product_id as a component.
SELECT p.id, p.name FROM catalog_combo_items c JOIN catalog_products p ON p.id = c.combo_id AND p.merchant_id = c.merchant_id
WHERE c.merchant_id = sqlc.arg(merchant_id) AND c.product_id = sqlc.arg(product_id) AND p.archived_at IS NULL
ORDER BY p.name;

-- name: InsertVariant :exec
INSERT INTO catalog_variants (id, merchant_id, product_id, name, price, sort_order)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(product_id), sqlc.arg(name), sqlc.arg(price), sqlc.arg(sort_order));

-- name: UpdateVariant :execrows
UPDATE catalog_variants SET name = sqlc.arg(name), price = sqlc.arg(price), sort_order = sqlc.arg(sort_order)
WHERE merchant_id = sqlc.arg(merchant_id) AND product_id = sqlc.arg(product_id) AND id = sqlc.arg(id);

-- name: DeleteVariant :exec
DELETE FROM catalog_variants
WHERE merchant_id = sqlc.arg(merchant_id) AND product_id = sqlc.arg(product_id) AND id = sqlc.arg(id);

-- name: ListVariants :many
SELECT * FROM catalog_variants
WHERE merchant_id = sqlc.arg(merchant_id) AND product_id = sqlc.arg(product_id)
ORDER BY sort_order, id;

-- name: ListLiveVariants :many
-- ListLiveVariants is every variant of the merchant's live products.
SELECT v.* FROM catalog_variants v JOIN catalog_products p ON p.id = v.product_id AND p.merchant_id = v.merchant_id
WHERE v.merchant_id = sqlc.arg(merchant_id) AND p.archived_at IS NULL
ORDER BY v.product_id, v.sort_order, v.id;

-- name: DeleteProductGroups :exec
DELETE FROM catalog_product_modifier_groups
WHERE merchant_id = sqlc.arg(merchant_id) AND product_id = sqlc.arg(product_id);

-- name: InsertProductGroup :exec
INSERT INTO catalog_product_modifier_groups (merchant_id, product_id, group_id, sort_order)
VALUES (sqlc.arg(merchant_id), sqlc.arg(product_id), sqlc.arg(group_id), sqlc.arg(sort_order));

-- name: ListProductGroups :many
SELECT group_id FROM catalog_product_modifier_groups
WHERE merchant_id = sqlc.arg(merchant_id) AND product_id = sqlc.arg(product_id)
ORDER BY sort_order, group_id;

-- name: ListLiveProductGroups :many
-- ListLiveProductGroups is every group attachment of the merchant's live products.
SELECT l.product_id, l.group_id FROM catalog_product_modifier_groups l
JOIN catalog_products p ON p.id = l.product_id AND p.merchant_id = l.merchant_id
WHERE l.merchant_id = sqlc.arg(merchant_id) AND p.archived_at IS NULL
ORDER BY l.product_id, l.sort_order, l.group_id;

-- name: DeleteComboItems :exec
DELETE FROM catalog_combo_items WHERE merchant_id = sqlc.arg(merchant_id) AND combo_id = sqlc.arg(combo_id);

-- name: InsertComboItem :exec
INSERT INTO catalog_combo_items (merchant_id, combo_id, product_id, quantity, sort_order)
VALUES (sqlc.arg(merchant_id), sqlc.arg(combo_id), sqlc.arg(product_id), sqlc.arg(quantity), sqlc.arg(sort_order));

-- name: ListComboItems :many
SELECT product_id, quantity FROM catalog_combo_items
WHERE merchant_id = sqlc.arg(merchant_id) AND combo_id = sqlc.arg(combo_id)
ORDER BY sort_order, product_id;

-- name: ListLiveComboItems :many
-- ListLiveComboItems is every component of the merchant's live combos.
SELECT c.combo_id, c.product_id, c.quantity FROM catalog_combo_items c
JOIN catalog_products p ON p.id = c.combo_id AND p.merchant_id = c.merchant_id
WHERE c.merchant_id = sqlc.arg(merchant_id) AND p.archived_at IS NULL
ORDER BY c.combo_id, c.sort_order, c.product_id;
