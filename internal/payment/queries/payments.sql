-- Queries both engines run (see sqlc.yaml): payments.

-- name: InsertPayment :exec
INSERT INTO payments (id, merchant_id, shop_id, order_id, method, amount, tendered, change_given, status, provider_ref,
                      created_by, created_at, updated_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(order_id), sqlc.arg(method), sqlc.arg(amount),
        sqlc.arg(tendered), sqlc.arg(change_given), sqlc.arg(status), sqlc.arg(provider_ref), sqlc.arg(created_by),
        sqlc.arg(created_at), sqlc.arg(created_at));

-- name: GetPayment :one
SELECT * FROM payments WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: ListOrderPaymentsFull :many
SELECT * FROM payments WHERE merchant_id = sqlc.arg(merchant_id) AND order_id = sqlc.arg(order_id) ORDER BY created_at, id;

-- name: MoveShopPayments :exec
UPDATE payments SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);
