-- Queries both engines run (see sqlc.yaml): orders and their lines.

-- name: InsertOrder :exec
INSERT INTO orders (id, merchant_id, shop_id, type, status, table_id, room_id, place_name, guests, pickup_number, note,
                    vat_rate_percent, prices_include_vat, service_charge_percent, opened_by, opened_at, updated_at,
                    shares_table)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(type), 'open', sqlc.arg(table_id),
        sqlc.arg(room_id), sqlc.arg(place_name), sqlc.arg(guests), sqlc.arg(pickup_number), sqlc.arg(note),
        sqlc.arg(vat_rate_percent), sqlc.arg(prices_include_vat), sqlc.arg(service_charge_percent),
        sqlc.arg(opened_by), sqlc.arg(opened_at), sqlc.arg(opened_at), sqlc.arg(shares_table));

-- name: GetOrder :one
SELECT * FROM orders WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: BumpOrder :one
-- BumpOrder starts a change: it increases the version (taking the row lock on PostgreSQL) and returns the row.
UPDATE orders SET version = version + 1, updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id)
RETURNING *;

-- name: SaveOrder :exec
UPDATE orders
SET status = sqlc.arg(status), subtotal = sqlc.arg(subtotal), discount = sqlc.arg(discount),
    service_charge = sqlc.arg(service_charge), vat = sqlc.arg(vat), total = sqlc.arg(total), paid = sqlc.arg(paid),
    closed_at = sqlc.arg(closed_at), cancel_reason = sqlc.arg(cancel_reason), updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: ListShopOrders :many
SELECT * FROM orders
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id)
  AND ((CAST(sqlc.arg(status) AS TEXT) = '' AND status IN ('open', 'ordering', 'served', 'billing', 'paid'))
       OR status = sqlc.arg(status))
ORDER BY opened_at, id
LIMIT sqlc.arg(max_rows);

-- name: CountLiveShopOrders :one
SELECT COUNT(*) FROM orders
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id)
  AND status IN ('open', 'ordering', 'served', 'billing', 'paid');

-- name: InsertLine :exec
INSERT INTO order_lines (id, merchant_id, order_id, position, product_id, variant_id, name, variant_name, category_id,
                         station, tax_class, quantity, unit_price, modifiers, components, note, seat, course, status,
                         created_by, created_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(order_id), sqlc.arg(position), sqlc.arg(product_id),
        sqlc.arg(variant_id), sqlc.arg(name), sqlc.arg(variant_name), sqlc.arg(category_id), sqlc.arg(station),
        sqlc.arg(tax_class), sqlc.arg(quantity), sqlc.arg(unit_price), sqlc.arg(modifiers), sqlc.arg(components),
        sqlc.arg(note), sqlc.arg(seat), sqlc.arg(course), 'active', sqlc.arg(created_by), sqlc.arg(created_at));

-- name: ListLines :many
SELECT * FROM order_lines WHERE merchant_id = sqlc.arg(merchant_id) AND order_id = sqlc.arg(order_id) ORDER BY position;

-- name: UpdateUnsentLine :execrows
UPDATE order_lines SET quantity = sqlc.arg(quantity), note = sqlc.arg(note)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND sent_at IS NULL AND status = 'active';

-- name: VoidLine :execrows
UPDATE order_lines SET status = 'voided', void_reason = sqlc.arg(reason), voided_at = sqlc.arg(now),
    void_approved_by = sqlc.arg(approved_by), voided_by = sqlc.arg(voided_by)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND status = 'active';

-- name: MarkLineSent :exec
UPDATE order_lines SET sent_at = sqlc.arg(now) WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: MarkVoidSent :exec
UPDATE order_lines SET void_sent = TRUE WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: NextPickupNumber :one
INSERT INTO order_pickup_numbers (merchant_id, shop_id, day, last_number)
VALUES (sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(day), 1)
ON CONFLICT (shop_id, day) DO UPDATE SET last_number = order_pickup_numbers.last_number + 1
RETURNING last_number;

-- name: MoveShopOrders :exec
UPDATE orders SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);

-- name: MoveShopOrderLines :exec
UPDATE order_lines SET merchant_id = sqlc.arg(to_merchant_id)
WHERE order_lines.merchant_id = sqlc.arg(from_merchant_id)
  AND order_id IN (SELECT o.id FROM orders o WHERE o.shop_id = sqlc.arg(shop_id));

-- name: MoveShopPickupNumbers :exec
UPDATE order_pickup_numbers SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);

-- name: CountLiveOrdersAtTable :one
-- CountLiveOrdersAtTable counts the orders holding a table (as the one-live-order index sees them, shared or not).
SELECT COUNT(*) FROM orders
WHERE merchant_id = sqlc.arg(merchant_id) AND table_id = sqlc.arg(table_id) AND split_of = ''
  AND status IN ('open', 'ordering', 'served', 'billing', 'paid');

-- name: GetLiveOrderAt :one
-- GetLiveOrderAt finds the live order of a table or room of a shop (a paid one too, until it closes).
SELECT id FROM orders
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND split_of = ''
  AND status IN ('open', 'ordering', 'served', 'billing', 'paid')
  AND ((table_id <> '' AND table_id = sqlc.arg(table_id)) OR (room_id <> '' AND room_id = sqlc.arg(room_id)))
LIMIT 1;

-- name: SetOrderTable :exec
UPDATE orders SET table_id = sqlc.arg(table_id), place_name = sqlc.arg(place_name), shares_table = sqlc.arg(shares_table)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: MoveLines :exec
-- MoveLines moves every line of one order to another, after the target's lines.
UPDATE order_lines SET order_id = sqlc.arg(to_order_id), position = position + sqlc.arg(offset_by)
WHERE merchant_id = sqlc.arg(merchant_id) AND order_id = sqlc.arg(from_order_id);

-- name: SetLineDiscount :execrows
UPDATE order_lines SET discount_kind = sqlc.arg(kind), discount_value = sqlc.arg(value), discount_reason = sqlc.arg(reason)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND status = 'active';

-- name: SetOrderDiscount :exec
UPDATE orders SET discount_kind = sqlc.arg(kind), discount_value = sqlc.arg(value), discount_reason = sqlc.arg(reason)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: InsertCheck :exec
-- InsertCheck opens a check split from order split_of, at the same place and on the same terms.
INSERT INTO orders (id, merchant_id, shop_id, type, status, table_id, room_id, place_name, guests, pickup_number, note,
                    vat_rate_percent, prices_include_vat, service_charge_percent, opened_by, opened_at, updated_at, split_of)
SELECT sqlc.arg(id), src.merchant_id, src.shop_id, src.type, src.status, src.table_id, '', src.place_name, 0,
       src.pickup_number, sqlc.arg(note), src.vat_rate_percent, src.prices_include_vat, src.service_charge_percent,
       sqlc.arg(opened_by), sqlc.arg(opened_at), sqlc.arg(opened_at), src.id
FROM orders src WHERE src.merchant_id = sqlc.arg(merchant_id) AND src.id = sqlc.arg(split_of);

-- name: MoveLine :execrows
UPDATE order_lines SET order_id = sqlc.arg(to_order_id), position = sqlc.arg(position)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND order_id = sqlc.arg(from_order_id);

-- name: CountLiveChecks :one
SELECT COUNT(*) FROM orders
WHERE merchant_id = sqlc.arg(merchant_id) AND split_of = sqlc.arg(split_of)
  AND status IN ('open', 'ordering', 'served', 'billing', 'paid');

-- name: ListChecks :many
SELECT id FROM orders WHERE merchant_id = sqlc.arg(merchant_id) AND split_of = sqlc.arg(split_of) ORDER BY opened_at, id;

-- name: MarkServed :execrows
-- MarkServed moves an order that is being cooked to served (the kitchen served its last ticket).
UPDATE orders SET status = 'served', version = version + 1, updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND status = 'ordering';
