-- Queries both engines run (see sqlc.yaml): refunds of payments.

-- name: InsertRefund :exec
INSERT INTO payment_refunds (id, merchant_id, shop_id, order_id, payment_id, method, amount, reason, status, applied,
                             provider_ref, created_by, created_at, updated_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(order_id), sqlc.arg(payment_id), sqlc.arg(method),
        sqlc.arg(amount), sqlc.arg(reason), sqlc.arg(status), sqlc.arg(applied), sqlc.arg(provider_ref),
        sqlc.arg(created_by), sqlc.arg(created_at), sqlc.arg(created_at));

-- name: GetRefund :one
SELECT * FROM payment_refunds WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: ListPaymentRefunds :many
SELECT * FROM payment_refunds WHERE merchant_id = sqlc.arg(merchant_id) AND payment_id = sqlc.arg(payment_id)
ORDER BY created_at, id;

-- name: ListOrderRefunds :many
SELECT * FROM payment_refunds WHERE merchant_id = sqlc.arg(merchant_id) AND order_id = sqlc.arg(order_id)
ORDER BY created_at, id;

-- name: SettleRefund :execrows
-- SettleRefund ends a pending refund: succeeded or failed, once.
UPDATE payment_refunds SET status = sqlc.arg(status), provider_ref = sqlc.arg(provider_ref), failure = sqlc.arg(failure),
    reinstated = sqlc.arg(reinstated), updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND status = 'pending';

-- name: SetRefundProviderRef :exec
UPDATE payment_refunds SET provider_ref = sqlc.arg(provider_ref), updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND status = 'pending';

-- name: SumSucceededRefunds :one
SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payment_refunds
WHERE merchant_id = sqlc.arg(merchant_id) AND payment_id = sqlc.arg(payment_id) AND status = 'succeeded';

-- name: ListPendingRefunds :many
-- ListPendingRefunds lists pending refunds created before before, across merchants (system transaction).
SELECT merchant_id, id FROM payment_refunds
WHERE status = 'pending' AND created_at < sqlc.arg(before)
ORDER BY created_at, id
LIMIT sqlc.arg(max_rows);

-- name: MoveShopRefunds :exec
UPDATE payment_refunds SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);
