-- Queries both engines run (see sqlc.yaml): payments. Every tenant query names the merchant (SQLite has no
-- row-level security); the few that do not run in a system transaction (callbacks, reconciliation).

-- name: InsertPayment :exec
INSERT INTO payments (id, merchant_id, shop_id, order_id, method, amount, tendered, change_given, status, provider_ref,
                      created_by, created_at, updated_at, reference, account_ref, provider_order_id, applied,
                      wallet_id, shift_id, pay_url, deeplink, qr_content, return_url, public_token, expires_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(order_id), sqlc.arg(method), sqlc.arg(amount),
        sqlc.arg(tendered), sqlc.arg(change_given), sqlc.arg(status), sqlc.arg(provider_ref), sqlc.arg(created_by),
        sqlc.arg(created_at), sqlc.arg(created_at), sqlc.arg(reference), sqlc.arg(account_ref),
        sqlc.arg(provider_order_id), sqlc.arg(applied), sqlc.arg(wallet_id), sqlc.arg(shift_id), sqlc.arg(pay_url),
        sqlc.arg(deeplink), sqlc.arg(qr_content), sqlc.arg(return_url), sqlc.arg(public_token), sqlc.narg(expires_at));

-- name: GetPayment :one
SELECT * FROM payments WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: LockPayment :execrows
-- LockPayment takes the payment's row lock (PostgreSQL) before it is read and changed, so concurrent
-- callbacks for one payment run one after the other and the second sees what the first committed.
UPDATE payments SET updated_at = updated_at WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: ListOrderPaymentsFull :many
SELECT * FROM payments WHERE merchant_id = sqlc.arg(merchant_id) AND order_id = sqlc.arg(order_id) ORDER BY created_at, id;

-- name: ListShopPayments :many
-- ListShopPayments pages a shop's payments, newest first (ids are UUIDv7: time ordered); status '' means any,
-- only_unapplied keeps the succeeded payments the order does not count.
SELECT * FROM payments
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id)
  AND (CAST(sqlc.arg(status) AS TEXT) = '' OR status = sqlc.arg(status))
  AND (NOT CAST(sqlc.arg(only_unapplied) AS BOOLEAN) OR (applied = FALSE AND status IN ('succeeded', 'refunded')))
  AND (CAST(sqlc.arg(cursor) AS TEXT) = '' OR id < sqlc.arg(cursor))
ORDER BY id DESC
LIMIT sqlc.arg(max_rows);

-- name: FindByReference :one
-- FindByReference finds the payment a provider names by our reference, across merchants (system transaction).
SELECT merchant_id, id, shop_id, method, account_ref FROM payments WHERE reference = sqlc.arg(reference);

-- name: FindByPublicToken :one
-- FindByPublicToken finds the payment of a customer-facing QR link, across merchants (system transaction).
SELECT merchant_id, id FROM payments WHERE public_token = sqlc.arg(public_token);

-- name: SumPendingHolds :one
-- SumPendingHolds is what an order's pending, unexpired intents hold: a new payment may take at most the
-- amount due less this.
SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payments
WHERE merchant_id = sqlc.arg(merchant_id) AND order_id = sqlc.arg(order_id) AND status = 'pending'
  AND expires_at > sqlc.arg(now);

-- name: MarkSucceeded :execrows
UPDATE payments SET status = 'succeeded', provider_ref = sqlc.arg(provider_ref), provider_code = sqlc.arg(provider_code),
    applied = sqlc.arg(applied), failure_reason = '', updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND status = sqlc.arg(from_status);

-- name: MarkFailed :execrows
UPDATE payments SET status = 'failed', provider_code = sqlc.arg(provider_code), failure_reason = sqlc.arg(failure_reason),
    updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND status = 'pending';

-- name: SetProviderLinks :exec
UPDATE payments SET provider_order_id = sqlc.arg(provider_order_id), pay_url = sqlc.arg(pay_url),
    deeplink = sqlc.arg(deeplink), qr_content = sqlc.arg(qr_content), updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: ReducePending :execrows
-- ReducePending lowers a pending intent's amount after part of it arrived as a payment of its own.
UPDATE payments SET amount = amount - sqlc.arg(paid), updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND status = 'pending' AND amount > sqlc.arg(paid);

-- name: ReserveRefund :execrows
-- ReserveRefund counts a new refund against the payment; it refuses (0 rows) more than is left.
UPDATE payments SET refunded = refunded + sqlc.arg(amount), updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND status = 'succeeded'
  AND refunded + sqlc.arg(amount) <= amount;

-- name: ReleaseRefund :exec
-- ReleaseRefund gives a failed refund's amount back to what may still be refunded.
UPDATE payments SET refunded = refunded - sqlc.arg(amount), updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: MarkRefunded :exec
UPDATE payments SET status = 'refunded', updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND status = 'succeeded';

-- name: ListPendingPayments :many
-- ListPendingPayments lists pending intents created before before, oldest first, across merchants (system
-- transaction): the reconciliation job's work list.
SELECT merchant_id, id, method FROM payments
WHERE status = 'pending' AND created_at < sqlc.arg(before)
ORDER BY created_at, id
LIMIT sqlc.arg(max_rows);

-- name: MoveShopPayments :exec
UPDATE payments SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);

-- name: LockOrder :one
-- LockOrder serialises the writers that change what an order may still take: the upsert takes the lock row's
-- row lock on PostgreSQL until the transaction ends. It returns the row's version.
INSERT INTO payment_order_locks (merchant_id, order_id, shop_id, version, updated_at)
VALUES (sqlc.arg(merchant_id), sqlc.arg(order_id), sqlc.arg(shop_id), 0, sqlc.arg(now))
ON CONFLICT (merchant_id, order_id) DO UPDATE SET updated_at = excluded.updated_at
RETURNING version;

-- name: BumpOrder :exec
-- BumpOrder records that the order's paid amount changed (after LockOrder, in the same transaction).
UPDATE payment_order_locks SET version = version + 1 WHERE merchant_id = sqlc.arg(merchant_id) AND order_id = sqlc.arg(order_id);

-- name: OrderVersion :one
SELECT version FROM payment_order_locks WHERE merchant_id = sqlc.arg(merchant_id) AND order_id = sqlc.arg(order_id);

-- name: MoveShopOrderLocks :exec
UPDATE payment_order_locks SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);
