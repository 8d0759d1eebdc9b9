-- Queries both engines run (see sqlc.yaml): wallets (the customer accounts) and their balances. Every query
-- names the merchant.

-- name: InsertWallet :execrows
-- InsertWallet opens a wallet; it inserts nothing (0 rows) when the phone already has one.
INSERT INTO wallets (id, merchant_id, phone, name, balance, created_at, updated_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(phone), sqlc.arg(name), 0, sqlc.arg(now), sqlc.arg(now))
ON CONFLICT DO NOTHING;

-- name: GetWallet :one
SELECT * FROM wallets WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: WalletByPhone :one
SELECT * FROM wallets WHERE merchant_id = sqlc.arg(merchant_id) AND phone = sqlc.arg(phone);

-- name: ListWallets :many
-- ListWallets pages through the merchant's wallets, newest first (ids are time-ordered), before the cursor.
SELECT * FROM wallets
WHERE merchant_id = sqlc.arg(merchant_id) AND (CAST(sqlc.arg(cursor) AS TEXT) = '' OR id < sqlc.arg(cursor))
ORDER BY id DESC
LIMIT sqlc.arg(lim);

-- name: LockWallet :one
-- LockWallet takes the wallet's row lock (PostgreSQL; SQLite has one writer) and changes nothing, so the
-- checks a posting makes before it writes (an earlier posting of the same reference, what a payment has
-- left to refund) cannot be overtaken by a concurrent posting to the same wallet.
UPDATE wallets SET balance = balance
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id)
RETURNING balance;

-- name: MoveBalance :one
-- MoveBalance adds delta (signed) to the wallet's balance unless that would make it negative: no row then.
-- It is the one statement that changes a balance, always beside the entry that says why.
UPDATE wallets SET balance = balance + sqlc.arg(delta), updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND balance + sqlc.arg(delta) >= 0
RETURNING balance;
