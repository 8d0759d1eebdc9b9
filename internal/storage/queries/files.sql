-- Queries both engines run (see sqlc.yaml): a merchant's files. Every query of a tenant transaction names
-- the merchant; the two sweeper queries are the module's only cross-tenant path (db.WithSystemTx).

-- name: InsertFile :exec
INSERT INTO files (
    id, merchant_id, key, thumb_key, content_type, size, filename, purpose, width, height, sha256,
    created_by, created_at
) VALUES (
    sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(key), sqlc.arg(thumb_key), sqlc.arg(content_type),
    sqlc.arg(size), sqlc.arg(filename), sqlc.arg(purpose), sqlc.arg(width), sqlc.arg(height), sqlc.arg(sha256),
    sqlc.arg(created_by), sqlc.arg(created_at)
);

-- name: GetFile :one
-- GetFile reads a live (not deleted) file of the merchant.
SELECT * FROM files
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND deleted_at IS NULL;

-- name: ListFilesBefore :many
-- ListFilesBefore is one page of the merchant's live files, newest first ((created_at, id) descending),
-- after the cursor position (a far-future time starts at the beginning); purpose '' means any.
SELECT * FROM files
WHERE merchant_id = sqlc.arg(merchant_id) AND deleted_at IS NULL
  AND (CAST(sqlc.arg(purpose) AS TEXT) = '' OR purpose = sqlc.arg(purpose))
  AND (created_at < sqlc.arg(before_created_at) OR (created_at = sqlc.arg(before_created_at) AND id < sqlc.arg(before_id)))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg(page_size);

-- name: MarkFileDeleted :one
-- MarkFileDeleted starts a deletion and returns the keys of the blobs to remove.
UPDATE files SET deleted_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND deleted_at IS NULL
RETURNING key, thumb_key;

-- name: RemoveDeletedFile :exec
-- RemoveDeletedFile ends a deletion once its blobs are gone (in the merchant's transaction after a delete,
-- or in the sweeper's system transaction).
DELETE FROM files
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND deleted_at IS NOT NULL;

-- name: ListUnfinishedDeletions :many
-- ListUnfinishedDeletions (sweeper, system transaction) lists deletions of any merchant started before
-- the given time whose row is still there, oldest first.
SELECT id, merchant_id, key, thumb_key FROM files
WHERE deleted_at IS NOT NULL AND deleted_at < sqlc.arg(before)
ORDER BY deleted_at, id
LIMIT sqlc.arg(page_size);
