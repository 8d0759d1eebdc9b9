-- Queries both engines run (see sqlc.yaml): the journal transactions and their entries.

-- name: InsertTxn :execrows
-- InsertTxn writes a journal transaction; it inserts nothing (0 rows) when a transaction of the same kind
-- already has the same reference.
INSERT INTO wallet_txns (id, merchant_id, wallet_id, kind, amount, method, shop_id, reference, reverses_id, reason,
                         balance_after, created_by, created_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(wallet_id), sqlc.arg(kind), sqlc.arg(amount), sqlc.arg(method),
        sqlc.arg(shop_id), sqlc.arg(reference), sqlc.arg(reverses_id), sqlc.arg(reason), sqlc.arg(balance_after),
        sqlc.arg(created_by), sqlc.arg(created_at))
ON CONFLICT DO NOTHING;

-- name: InsertEntry :exec
INSERT INTO wallet_entries (id, merchant_id, txn_id, account, amount, created_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(txn_id), sqlc.arg(account), sqlc.arg(amount), sqlc.arg(created_at));

-- name: GetTxn :one
SELECT * FROM wallet_txns WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: TxnByReference :one
SELECT * FROM wallet_txns
WHERE merchant_id = sqlc.arg(merchant_id) AND kind = sqlc.arg(kind) AND reference = sqlc.arg(reference)
  AND reference <> '';

-- name: TxnEntries :many
SELECT account, amount FROM wallet_entries
WHERE merchant_id = sqlc.arg(merchant_id) AND txn_id = sqlc.arg(txn_id)
ORDER BY id;

-- name: RefundedOf :one
-- RefundedOf is how much of a spend its refunds have given back.
SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS refunded FROM wallet_txns
WHERE merchant_id = sqlc.arg(merchant_id) AND kind = 'refund' AND reverses_id = sqlc.arg(spend_id);

-- name: ListWalletEntries :many
-- ListWalletEntries pages through a wallet's entries with their transactions, newest first, before the
-- cursor (an entry id).
SELECT e.id, e.amount, t.id AS txn_id, t.kind, t.amount AS txn_amount, t.method, t.shop_id, t.reference,
       t.reverses_id, t.reason, t.balance_after, t.created_by, t.created_at
FROM wallet_entries e
JOIN wallet_txns t ON t.merchant_id = e.merchant_id AND t.id = e.txn_id
WHERE e.merchant_id = sqlc.arg(merchant_id) AND e.account = sqlc.arg(wallet_id)
  AND (CAST(sqlc.arg(cursor) AS TEXT) = '' OR e.id < sqlc.arg(cursor))
ORDER BY e.id DESC
LIMIT sqlc.arg(lim);
