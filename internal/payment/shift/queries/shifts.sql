-- Queries both engines run (see sqlc.yaml): shifts. Every query names the merchant.

-- name: InsertShift :execrows
-- InsertShift opens a shift; it inserts nothing (0 rows) when the cashier or the terminal already has an
-- open shift in the shop (the partial unique indexes), so the loser of a race learns it without an error
-- that would abort the transaction.
INSERT INTO shifts (id, merchant_id, shop_id, cashier_id, device_id, opening_cash, opened_at, updated_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(cashier_id), sqlc.arg(device_id),
        sqlc.arg(opening_cash), sqlc.arg(now), sqlc.arg(now))
ON CONFLICT DO NOTHING;

-- name: GetShift :one
SELECT * FROM shifts WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: OpenShiftOfCashier :one
SELECT * FROM shifts
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND cashier_id = sqlc.arg(cashier_id)
  AND closed_at IS NULL;

-- name: OpenShiftOfDevice :one
SELECT * FROM shifts
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND device_id = sqlc.arg(device_id)
  AND device_id <> '' AND closed_at IS NULL;

-- name: LockOpenShift :execrows
-- LockOpenShift takes the open shift's row lock (PostgreSQL; SQLite has one writer) before its drawer
-- changes, so a movement and the close of the same shift never interleave. 0 rows: the shift is closed.
UPDATE shifts SET updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND closed_at IS NULL;

-- name: LockOpenShiftOfCashier :one
-- LockOpenShiftOfCashier is LockOpenShift for the cashier's open shift in a shop, returning its id (no row:
-- the cashier has none).
UPDATE shifts SET updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND cashier_id = sqlc.arg(cashier_id)
  AND closed_at IS NULL
RETURNING id;

-- name: CloseShift :execrows
UPDATE shifts
SET closed_at = sqlc.arg(now), closed_by = sqlc.arg(closed_by), counted_cash = sqlc.arg(counted_cash),
    expected_cash = sqlc.arg(expected_cash), variance = sqlc.arg(variance), close_note = sqlc.arg(note),
    updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND closed_at IS NULL;

-- name: ListShifts :many
-- ListShifts pages through a shop's shifts, newest first (ids are time-ordered). An empty status, cashier
-- or cursor does not filter.
SELECT * FROM shifts
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id)
  AND (CAST(sqlc.arg(status) AS TEXT) = ''
       OR (CAST(sqlc.arg(status) AS TEXT) = 'open' AND closed_at IS NULL)
       OR (CAST(sqlc.arg(status) AS TEXT) = 'closed' AND closed_at IS NOT NULL))
  AND (CAST(sqlc.arg(cashier_id) AS TEXT) = '' OR cashier_id = sqlc.arg(cashier_id))
  AND (CAST(sqlc.arg(cursor) AS TEXT) = '' OR id < sqlc.arg(cursor))
ORDER BY id DESC
LIMIT sqlc.arg(lim);
