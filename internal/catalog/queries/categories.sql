-- Queries both engines run (see sqlc.yaml): the catalog lock and categories. Every query filters by
-- merchant_id (SQLite has no row-level security).

-- name: LockCatalog :exec
-- LockCatalog serialises the catalog writers of one merchant (see catalog_locks).
INSERT INTO catalog_locks (merchant_id, lock_version) VALUES (sqlc.arg(merchant_id), 1)
ON CONFLICT (merchant_id) DO UPDATE SET lock_version = catalog_locks.lock_version + 1;

-- name: InsertCategory :exec
INSERT INTO catalog_categories (id, merchant_id, name, station, sort_order, created_at, updated_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(name), sqlc.arg(station), sqlc.arg(sort_order),
        sqlc.arg(created_at), sqlc.arg(created_at));

-- name: GetCategory :one
SELECT * FROM catalog_categories
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND deleted_at IS NULL;

-- name: ListCategories :many
SELECT * FROM catalog_categories
WHERE merchant_id = sqlc.arg(merchant_id) AND deleted_at IS NULL
ORDER BY sort_order, name, id;

-- name: NextCategorySortOrder :one
SELECT CAST(COALESCE(MAX(sort_order), -1) + 1 AS INTEGER) FROM catalog_categories
WHERE merchant_id = sqlc.arg(merchant_id) AND deleted_at IS NULL;

-- name: UpdateCategory :execrows
UPDATE catalog_categories
SET name = sqlc.arg(name), station = sqlc.arg(station), sort_order = sqlc.arg(sort_order), updated_at = sqlc.arg(updated_at)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND deleted_at IS NULL;

-- name: SetCategorySortOrder :execrows
UPDATE catalog_categories SET sort_order = sqlc.arg(sort_order), updated_at = sqlc.arg(updated_at)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND deleted_at IS NULL;

-- name: DeleteCategory :execrows
UPDATE catalog_categories SET updated_at = sqlc.arg(now), deleted_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND deleted_at IS NULL;

-- name: ListLiveProductIDsInCategory :many
SELECT id FROM catalog_products
WHERE merchant_id = sqlc.arg(merchant_id) AND category_id = sqlc.arg(category_id) AND archived_at IS NULL
ORDER BY id;
