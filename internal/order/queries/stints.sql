-- Queries both engines run (see sqlc.yaml): the time of karaoke room orders.

-- name: InsertStint :exec
INSERT INTO order_time_stints (id, merchant_id, order_id, position, room_id, room_type, started_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(order_id), sqlc.arg(position), sqlc.arg(room_id),
        sqlc.arg(room_type), sqlc.arg(started_at));

-- name: ListStints :many
SELECT * FROM order_time_stints WHERE merchant_id = sqlc.arg(merchant_id) AND order_id = sqlc.arg(order_id)
ORDER BY position;

-- name: EndStint :execrows
UPDATE order_time_stints SET ended_at = sqlc.arg(ended_at)
WHERE merchant_id = sqlc.arg(merchant_id) AND order_id = sqlc.arg(order_id) AND ended_at IS NULL;

-- name: SetStintStart :exec
UPDATE order_time_stints SET started_at = sqlc.arg(started_at)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: SetOrderRoom :exec
UPDATE orders SET room_id = sqlc.arg(room_id), place_name = sqlc.arg(place_name)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: MoveShopStints :exec
UPDATE order_time_stints SET merchant_id = sqlc.arg(to_merchant_id)
WHERE order_time_stints.merchant_id = sqlc.arg(from_merchant_id)
  AND order_id IN (SELECT o.id FROM orders o WHERE o.shop_id = sqlc.arg(shop_id));
