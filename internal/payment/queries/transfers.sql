-- Queries both engines run (see sqlc.yaml): bank transfers reported by bank-statement webhooks.

-- name: InsertTransfer :exec
INSERT INTO bank_transfers (id, merchant_id, shop_id, provider, provider_id, bank, account_number, incoming, amount,
                            content, bank_reference, booked_at, status, payment_id, order_id, note, received_at, updated_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(provider), sqlc.arg(provider_id), sqlc.arg(bank),
        sqlc.arg(account_number), sqlc.arg(incoming), sqlc.arg(amount), sqlc.arg(content), sqlc.arg(bank_reference),
        sqlc.arg(booked_at), sqlc.arg(status), sqlc.arg(payment_id), sqlc.arg(order_id), sqlc.arg(note),
        sqlc.arg(received_at), sqlc.arg(received_at));

-- name: GetTransfer :one
SELECT * FROM bank_transfers WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: FindTransfer :one
-- FindTransfer finds a reported line by the service's id, across merchants (system transaction): the dedupe.
SELECT merchant_id, id FROM bank_transfers
WHERE provider = sqlc.arg(provider) AND account_number = sqlc.arg(account_number) AND provider_id = sqlc.arg(provider_id);

-- name: ListShopTransfers :many
SELECT * FROM bank_transfers
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id)
  AND (CAST(sqlc.arg(status) AS TEXT) = '' OR status = sqlc.arg(status))
  AND (CAST(sqlc.arg(cursor) AS TEXT) = '' OR id < sqlc.arg(cursor))
ORDER BY id DESC
LIMIT sqlc.arg(max_rows);

-- name: ResolveTransfer :execrows
-- ResolveTransfer ends an unmatched transfer: assigned to an order (with the payment it became) or dismissed.
UPDATE bank_transfers SET status = sqlc.arg(status), payment_id = sqlc.arg(payment_id), order_id = sqlc.arg(order_id),
    note = sqlc.arg(note), resolved_by = sqlc.arg(resolved_by), updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND status = 'unmatched';

-- name: MoveShopTransfers :exec
UPDATE bank_transfers SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);
