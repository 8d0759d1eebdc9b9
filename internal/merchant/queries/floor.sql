-- Queries both engines run (see sqlc.yaml): a shop's floor (areas, tables, karaoke rooms) and QR tokens.
-- Reads return live rows only (deleted_at IS NULL); tables and rooms come with their current QR token.

-- name: InsertArea :exec
INSERT INTO floor_areas (id, merchant_id, shop_id, name, sort_order, created_at, updated_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(name), sqlc.arg(sort_order),
        sqlc.arg(created_at), sqlc.arg(created_at));

-- name: GetArea :one
SELECT id, shop_id, name, sort_order, created_at, updated_at FROM floor_areas
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND id = sqlc.arg(id) AND deleted_at IS NULL;

-- name: ListAreas :many
SELECT id, shop_id, name, sort_order, created_at, updated_at FROM floor_areas
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND deleted_at IS NULL
ORDER BY sort_order, name, id;

-- name: UpdateArea :execrows
UPDATE floor_areas SET name = sqlc.arg(name), sort_order = sqlc.arg(sort_order), updated_at = sqlc.arg(updated_at)
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND id = sqlc.arg(id) AND deleted_at IS NULL;

-- name: DeleteArea :execrows
UPDATE floor_areas SET updated_at = sqlc.arg(now), deleted_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND id = sqlc.arg(id) AND deleted_at IS NULL;

-- name: CountTablesInArea :one
SELECT COUNT(*) FROM floor_tables
WHERE merchant_id = sqlc.arg(merchant_id) AND area_id = sqlc.arg(area_id) AND deleted_at IS NULL;

-- name: InsertTable :exec
INSERT INTO floor_tables (id, merchant_id, shop_id, area_id, name, seats, shape, x, y, created_at, updated_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(area_id), sqlc.arg(name), sqlc.arg(seats),
        sqlc.arg(shape), sqlc.arg(x), sqlc.arg(y), sqlc.arg(created_at), sqlc.arg(created_at));

-- name: GetTable :one
SELECT t.id, t.shop_id, t.area_id, t.name, t.seats, t.shape, t.x, t.y, t.created_at, t.updated_at,
       COALESCE(q.token, '') AS qr_token
FROM floor_tables t LEFT JOIN floor_qr_tokens q ON q.target_id = t.id AND q.merchant_id = t.merchant_id
WHERE t.merchant_id = sqlc.arg(merchant_id) AND t.shop_id = sqlc.arg(shop_id) AND t.id = sqlc.arg(id)
  AND t.deleted_at IS NULL;

-- name: ListTables :many
SELECT t.id, t.shop_id, t.area_id, t.name, t.seats, t.shape, t.x, t.y, t.created_at, t.updated_at,
       COALESCE(q.token, '') AS qr_token
FROM floor_tables t LEFT JOIN floor_qr_tokens q ON q.target_id = t.id AND q.merchant_id = t.merchant_id
WHERE t.merchant_id = sqlc.arg(merchant_id) AND t.shop_id = sqlc.arg(shop_id) AND t.deleted_at IS NULL
ORDER BY t.name, t.id;

-- name: UpdateTable :execrows
UPDATE floor_tables
SET area_id = sqlc.arg(area_id), name = sqlc.arg(name), seats = sqlc.arg(seats), shape = sqlc.arg(shape),
    x = sqlc.arg(x), y = sqlc.arg(y), updated_at = sqlc.arg(updated_at)
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND id = sqlc.arg(id) AND deleted_at IS NULL;

-- name: DeleteTable :execrows
UPDATE floor_tables SET updated_at = sqlc.arg(now), deleted_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND id = sqlc.arg(id) AND deleted_at IS NULL;

-- name: InsertRoom :exec
INSERT INTO floor_rooms (id, merchant_id, shop_id, name, room_type, capacity, created_at, updated_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(name), sqlc.arg(room_type),
        sqlc.arg(capacity), sqlc.arg(created_at), sqlc.arg(created_at));

-- name: GetRoom :one
SELECT r.id, r.shop_id, r.name, r.room_type, r.capacity, r.created_at, r.updated_at,
       COALESCE(q.token, '') AS qr_token
FROM floor_rooms r LEFT JOIN floor_qr_tokens q ON q.target_id = r.id AND q.merchant_id = r.merchant_id
WHERE r.merchant_id = sqlc.arg(merchant_id) AND r.shop_id = sqlc.arg(shop_id) AND r.id = sqlc.arg(id)
  AND r.deleted_at IS NULL;

-- name: ListRooms :many
SELECT r.id, r.shop_id, r.name, r.room_type, r.capacity, r.created_at, r.updated_at,
       COALESCE(q.token, '') AS qr_token
FROM floor_rooms r LEFT JOIN floor_qr_tokens q ON q.target_id = r.id AND q.merchant_id = r.merchant_id
WHERE r.merchant_id = sqlc.arg(merchant_id) AND r.shop_id = sqlc.arg(shop_id) AND r.deleted_at IS NULL
ORDER BY r.name, r.id;

-- name: UpdateRoom :execrows
UPDATE floor_rooms
SET name = sqlc.arg(name), room_type = sqlc.arg(room_type), capacity = sqlc.arg(capacity),
    updated_at = sqlc.arg(updated_at)
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND id = sqlc.arg(id) AND deleted_at IS NULL;

-- name: DeleteRoom :execrows
UPDATE floor_rooms SET updated_at = sqlc.arg(now), deleted_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND id = sqlc.arg(id) AND deleted_at IS NULL;

-- name: InsertQRToken :exec
INSERT INTO floor_qr_tokens (target_id, token, merchant_id, shop_id, target_kind, created_at)
VALUES (sqlc.arg(target_id), sqlc.arg(token), sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(target_kind),
        sqlc.arg(created_at));

-- name: RotateQRToken :execrows
UPDATE floor_qr_tokens SET token = sqlc.arg(token), created_at = sqlc.arg(created_at)
WHERE merchant_id = sqlc.arg(merchant_id) AND target_id = sqlc.arg(target_id);

-- name: DeleteQRToken :exec
DELETE FROM floor_qr_tokens WHERE merchant_id = sqlc.arg(merchant_id) AND target_id = sqlc.arg(target_id);

-- name: DeleteShopQRTokens :exec
DELETE FROM floor_qr_tokens WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id);

-- name: DeleteMerchantQRTokens :exec
DELETE FROM floor_qr_tokens WHERE merchant_id = sqlc.arg(merchant_id);

-- name: FindQRToken :one
-- FindQRToken is the cross-tenant lookup of a customer's QR token. It has no merchant filter on purpose and is
-- run only inside db.WithSystemTx (ResolveQRToken): in a tenant transaction the row-level security policy, and
-- on SQLite the callers' discipline, keep other merchants' tokens out of reach.
SELECT target_id, merchant_id, shop_id, target_kind FROM floor_qr_tokens WHERE token = sqlc.arg(token);

-- name: FindQRTokenInMerchant :one
-- FindQRTokenInMerchant is FindQRToken limited to one merchant (tests use it to show tenant isolation).
SELECT target_id, merchant_id, shop_id, target_kind FROM floor_qr_tokens
WHERE merchant_id = sqlc.arg(merchant_id) AND token = sqlc.arg(token);
