-- Queries both engines run (see sqlc.yaml): payments applied to orders.

-- name: InsertOrderPayment :exec
INSERT INTO order_payments (id, merchant_id, order_id, method, amount, status, created_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(order_id), sqlc.arg(method), sqlc.arg(amount), sqlc.arg(status),
        sqlc.arg(created_at));

-- name: ListOrderPayments :many
SELECT * FROM order_payments WHERE merchant_id = sqlc.arg(merchant_id) AND order_id = sqlc.arg(order_id)
ORDER BY created_at, id;

-- name: MoveShopOrderPayments :exec
UPDATE order_payments SET merchant_id = sqlc.arg(to_merchant_id)
WHERE order_payments.merchant_id = sqlc.arg(from_merchant_id)
  AND order_id IN (SELECT o.id FROM orders o WHERE o.shop_id = sqlc.arg(shop_id));

-- name: RefundOrderPayment :execrows
-- RefundOrderPayment gives back part of an applied payment, never more than is left of it.
UPDATE order_payments SET refunded = refunded + sqlc.arg(amount),
    status = CASE WHEN refunded + sqlc.arg(amount) = amount THEN 'refunded' ELSE status END
WHERE merchant_id = sqlc.arg(merchant_id) AND order_id = sqlc.arg(order_id) AND id = sqlc.arg(id)
  AND refunded + sqlc.arg(amount) <= amount;
