-- Queries both engines run (see sqlc.yaml): a shop's printers. Every query names the merchant.

-- name: InsertPrinter :exec
INSERT INTO printq_printers (id, merchant_id, shop_id, name, kind, station, address, paper_width_mm, enabled,
    created_at, updated_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(name), sqlc.arg(kind), sqlc.arg(station),
    sqlc.arg(address), sqlc.arg(paper_width_mm), sqlc.arg(enabled), sqlc.arg(now), sqlc.arg(now));

-- name: GetPrinter :one
SELECT * FROM printq_printers
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND id = sqlc.arg(id);

-- name: ListPrinters :many
SELECT * FROM printq_printers
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id)
ORDER BY kind, station, name, id;

-- name: RoutePrinter :one
-- RoutePrinter picks the enabled printer of a kind (and station, for kitchen printers) in a shop: the
-- oldest, so the choice is stable.
SELECT * FROM printq_printers
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND kind = sqlc.arg(kind)
  AND station = sqlc.arg(station) AND enabled
ORDER BY created_at, id
LIMIT 1;

-- name: UpdatePrinter :execrows
UPDATE printq_printers
SET name = sqlc.arg(name), kind = sqlc.arg(kind), station = sqlc.arg(station), address = sqlc.arg(address),
    paper_width_mm = sqlc.arg(paper_width_mm), enabled = sqlc.arg(enabled), updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND id = sqlc.arg(id);

-- name: DeletePrinter :execrows
DELETE FROM printq_printers
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND id = sqlc.arg(id);

-- name: MovePrinters :exec
-- MovePrinters runs only in the shop transfer's system transaction.
UPDATE printq_printers SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);
