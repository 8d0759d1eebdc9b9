-- Queries both engines run (see sqlc.yaml): the movements of shifts' cash drawers.

-- name: InsertMovement :execrows
-- InsertMovement records a movement; it inserts nothing (0 rows) when a movement of the same kind already
-- records the same reference (a payment recorded twice).
INSERT INTO shift_movements (id, merchant_id, shop_id, shift_id, kind, amount, reference, reason, created_by, created_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(shift_id), sqlc.arg(kind), sqlc.arg(amount),
        sqlc.arg(reference), sqlc.arg(reason), sqlc.arg(created_by), sqlc.arg(created_at))
ON CONFLICT DO NOTHING;

-- name: MovementByReference :one
SELECT * FROM shift_movements
WHERE merchant_id = sqlc.arg(merchant_id) AND kind = sqlc.arg(kind) AND reference = sqlc.arg(reference)
  AND reference <> '';

-- name: ShiftTotals :many
-- ShiftTotals sums a shift's movements by kind: the drawer's expected cash is the sum of them all.
SELECT kind, COUNT(*) AS movements, CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total
FROM shift_movements
WHERE merchant_id = sqlc.arg(merchant_id) AND shift_id = sqlc.arg(shift_id)
GROUP BY kind;

-- name: ListMovements :many
-- ListMovements pages through a shift's movements in the order they happened, after the cursor id.
SELECT * FROM shift_movements
WHERE merchant_id = sqlc.arg(merchant_id) AND shift_id = sqlc.arg(shift_id)
  AND (CAST(sqlc.arg(cursor) AS TEXT) = '' OR id > sqlc.arg(cursor))
ORDER BY id
LIMIT sqlc.arg(lim);
