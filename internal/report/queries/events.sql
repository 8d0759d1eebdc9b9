-- Queries both engines run (see sqlc.yaml): the events the module consumed, and the bookkeeping around its
-- read models (dropping them for a rebuild, moving a shop's rows in a shop transfer). Every query names the
-- merchant.

-- name: InsertEvent :execrows
-- InsertEvent keeps a consumed event; it inserts nothing (0 rows) for an event already kept, which is how
-- the projection knows a replay when it sees one.
INSERT INTO report_events (id, merchant_id, shop_id, type, occurred_at, data)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(type), sqlc.arg(occurred_at), sqlc.arg(data))
ON CONFLICT (id) DO NOTHING;

-- name: ListEvents :many
-- ListEvents pages through a merchant's kept events in id order (ids are time-ordered), after the cursor.
SELECT id, shop_id, type, occurred_at, data FROM report_events
WHERE merchant_id = sqlc.arg(merchant_id) AND id > sqlc.arg(after)
ORDER BY id
LIMIT sqlc.arg(lim);

-- name: EventMerchants :many
-- EventMerchants lists the merchants with kept events. It has no merchant filter on purpose and runs only
-- inside db.WithSystemTx (Service.Merchants, for `goodgo reports rebuild`): in a tenant transaction the
-- row-level security policy, and the caller, see one merchant at most.
SELECT DISTINCT merchant_id FROM report_events ORDER BY merchant_id;

-- name: DeleteOrders :exec
DELETE FROM report_orders WHERE merchant_id = sqlc.arg(merchant_id);

-- name: DeleteDaily :exec
DELETE FROM report_daily WHERE merchant_id = sqlc.arg(merchant_id);

-- name: DeleteHourly :exec
DELETE FROM report_hourly WHERE merchant_id = sqlc.arg(merchant_id);

-- name: DeletePayments :exec
DELETE FROM report_payments WHERE merchant_id = sqlc.arg(merchant_id);

-- name: DeleteCategories :exec
DELETE FROM report_categories WHERE merchant_id = sqlc.arg(merchant_id);

-- name: DeleteProducts :exec
DELETE FROM report_products WHERE merchant_id = sqlc.arg(merchant_id);

-- name: DeleteVoids :exec
DELETE FROM report_voids WHERE merchant_id = sqlc.arg(merchant_id);

-- name: DeleteTickets :exec
DELETE FROM report_tickets WHERE merchant_id = sqlc.arg(merchant_id);

-- name: DeleteShifts :exec
DELETE FROM report_shifts WHERE merchant_id = sqlc.arg(merchant_id);

-- name: MoveShopEvents :exec
UPDATE report_events SET merchant_id = sqlc.arg(to_merchant_id)
WHERE merchant_id = sqlc.arg(from_merchant_id) AND shop_id = sqlc.arg(shop_id);

-- name: MoveShopOrders :exec
UPDATE report_orders SET merchant_id = sqlc.arg(to_merchant_id)
WHERE merchant_id = sqlc.arg(from_merchant_id) AND shop_id = sqlc.arg(shop_id);

-- name: MoveShopDaily :exec
UPDATE report_daily SET merchant_id = sqlc.arg(to_merchant_id)
WHERE merchant_id = sqlc.arg(from_merchant_id) AND shop_id = sqlc.arg(shop_id);

-- name: MoveShopHourly :exec
UPDATE report_hourly SET merchant_id = sqlc.arg(to_merchant_id)
WHERE merchant_id = sqlc.arg(from_merchant_id) AND shop_id = sqlc.arg(shop_id);

-- name: MoveShopPayments :exec
UPDATE report_payments SET merchant_id = sqlc.arg(to_merchant_id)
WHERE merchant_id = sqlc.arg(from_merchant_id) AND shop_id = sqlc.arg(shop_id);

-- name: MoveShopCategories :exec
UPDATE report_categories SET merchant_id = sqlc.arg(to_merchant_id)
WHERE merchant_id = sqlc.arg(from_merchant_id) AND shop_id = sqlc.arg(shop_id);

-- name: MoveShopProducts :exec
UPDATE report_products SET merchant_id = sqlc.arg(to_merchant_id)
WHERE merchant_id = sqlc.arg(from_merchant_id) AND shop_id = sqlc.arg(shop_id);

-- name: MoveShopVoids :exec
UPDATE report_voids SET merchant_id = sqlc.arg(to_merchant_id)
WHERE merchant_id = sqlc.arg(from_merchant_id) AND shop_id = sqlc.arg(shop_id);

-- name: MoveShopTickets :exec
UPDATE report_tickets SET merchant_id = sqlc.arg(to_merchant_id)
WHERE merchant_id = sqlc.arg(from_merchant_id) AND shop_id = sqlc.arg(shop_id);

-- name: MoveShopShifts :exec
UPDATE report_shifts SET merchant_id = sqlc.arg(to_merchant_id)
WHERE merchant_id = sqlc.arg(from_merchant_id) AND shop_id = sqlc.arg(shop_id);

-- name: MoveShopSettings :exec
UPDATE report_settings SET merchant_id = sqlc.arg(to_merchant_id)
WHERE merchant_id = sqlc.arg(from_merchant_id) AND shop_id = sqlc.arg(shop_id);

-- name: MoveShopStationTargets :exec
UPDATE report_station_targets SET merchant_id = sqlc.arg(to_merchant_id)
WHERE merchant_id = sqlc.arg(from_merchant_id) AND shop_id = sqlc.arg(shop_id);

-- The all-shops rows (shop_id '') of a merchant's rollups, summed again from its shops' rows after a shop
-- transfer moved some of them.

-- name: DeleteAllShopsDaily :exec
DELETE FROM report_daily WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = '';

-- name: SumAllShopsDaily :exec
INSERT INTO report_daily (merchant_id, period, shop_id, orders, customers, cancelled, revenue, gross_sales, discounts,
                          service_charge, vat, total, refunds)
SELECT src.merchant_id, src.period, '', SUM(src.orders), SUM(src.customers), SUM(src.cancelled), SUM(src.revenue), SUM(src.gross_sales),
       SUM(src.discounts), SUM(src.service_charge), SUM(src.vat), SUM(src.total), SUM(src.refunds)
FROM report_daily AS src WHERE src.merchant_id = sqlc.arg(merchant_id) AND src.shop_id <> ''
GROUP BY src.merchant_id, src.period;

-- name: DeleteAllShopsHourly :exec
DELETE FROM report_hourly WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = '';

-- name: SumAllShopsHourly :exec
INSERT INTO report_hourly (merchant_id, period, shop_id, hour, orders, revenue)
SELECT src.merchant_id, src.period, '', src.hour, SUM(src.orders), SUM(src.revenue)
FROM report_hourly AS src WHERE src.merchant_id = sqlc.arg(merchant_id) AND src.shop_id <> ''
GROUP BY src.merchant_id, src.period, src.hour;

-- name: DeleteAllShopsPayments :exec
DELETE FROM report_payments WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = '';

-- name: SumAllShopsPayments :exec
INSERT INTO report_payments (merchant_id, period, shop_id, method, payments, amount, refunded)
SELECT src.merchant_id, src.period, '', src.method, SUM(src.payments), SUM(src.amount), SUM(src.refunded)
FROM report_payments AS src WHERE src.merchant_id = sqlc.arg(merchant_id) AND src.shop_id <> ''
GROUP BY src.merchant_id, src.period, src.method;

-- name: DeleteAllShopsCategories :exec
DELETE FROM report_categories WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = '';

-- name: SumAllShopsCategories :exec
INSERT INTO report_categories (merchant_id, period, shop_id, category_id, quantity, revenue)
SELECT src.merchant_id, src.period, '', src.category_id, SUM(src.quantity), SUM(src.revenue)
FROM report_categories AS src WHERE src.merchant_id = sqlc.arg(merchant_id) AND src.shop_id <> ''
GROUP BY src.merchant_id, src.period, src.category_id;

-- name: DeleteAllShopsProducts :exec
DELETE FROM report_products WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = '';

-- name: SumAllShopsProducts :exec
INSERT INTO report_products (merchant_id, period, shop_id, product_id, name, quantity, revenue)
SELECT src.merchant_id, src.period, '', src.product_id, MAX(src.name), SUM(src.quantity), SUM(src.revenue)
FROM report_products AS src WHERE src.merchant_id = sqlc.arg(merchant_id) AND src.shop_id <> ''
GROUP BY src.merchant_id, src.period, src.product_id;
