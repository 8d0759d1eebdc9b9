-- Queries both engines run (see sqlc.yaml): what the reports read. The dashboard reads only the rollups
-- (report_daily, _hourly, _payments, _categories, _products), whose rows are per shop and period (a day, a
-- third of a month, a month: see the migration), never order lines; their shop_id '' rows hold every shop
-- of the merchant. Days are local dates 'YYYY-MM-DD', compared as text; elsewhere an empty shop_id means
-- every shop. The rollups' sums come unordered (callers sort; text ordering under a collation is slow).

-- name: DailyTotals :many
-- DailyTotals sums the day sums of the periods from_period…to_period (keys of one grain) by period.
SELECT period,
       CAST(SUM(orders) AS BIGINT) AS orders, CAST(SUM(customers) AS BIGINT) AS customers,
       CAST(SUM(cancelled) AS BIGINT) AS cancelled, CAST(SUM(revenue) AS BIGINT) AS revenue,
       CAST(SUM(gross_sales) AS BIGINT) AS gross_sales, CAST(SUM(discounts) AS BIGINT) AS discounts,
       CAST(SUM(service_charge) AS BIGINT) AS service_charge, CAST(SUM(vat) AS BIGINT) AS vat,
       CAST(SUM(total) AS BIGINT) AS total, CAST(SUM(refunds) AS BIGINT) AS refunds
FROM report_daily
WHERE merchant_id = sqlc.arg(merchant_id) AND period >= sqlc.arg(from_period) AND period <= sqlc.arg(to_period)
  AND shop_id = sqlc.arg(shop_id)
GROUP BY period;

-- name: HourlyTotals :many
SELECT hour, CAST(SUM(orders) AS BIGINT) AS orders, CAST(SUM(revenue) AS BIGINT) AS revenue
FROM report_hourly
WHERE merchant_id = sqlc.arg(merchant_id) AND period >= sqlc.arg(from_period) AND period <= sqlc.arg(to_period)
  AND shop_id = sqlc.arg(shop_id)
GROUP BY hour;

-- name: PaymentTotals :many
SELECT method, CAST(SUM(payments) AS BIGINT) AS payments, CAST(SUM(amount) AS BIGINT) AS amount,
       CAST(SUM(refunded) AS BIGINT) AS refunded
FROM report_payments
WHERE merchant_id = sqlc.arg(merchant_id) AND period >= sqlc.arg(from_period) AND period <= sqlc.arg(to_period)
  AND shop_id = sqlc.arg(shop_id)
GROUP BY method;

-- name: CategoryTotals :many
SELECT category_id, CAST(SUM(quantity) AS BIGINT) AS quantity, CAST(SUM(revenue) AS BIGINT) AS revenue
FROM report_categories
WHERE merchant_id = sqlc.arg(merchant_id) AND period >= sqlc.arg(from_period) AND period <= sqlc.arg(to_period)
  AND shop_id = sqlc.arg(shop_id)
GROUP BY category_id;

-- name: ProductTotals :many
SELECT product_id, CAST(MAX(name) AS TEXT) AS name, CAST(SUM(quantity) AS BIGINT) AS quantity,
       CAST(SUM(revenue) AS BIGINT) AS revenue
FROM report_products
WHERE merchant_id = sqlc.arg(merchant_id) AND period >= sqlc.arg(from_period) AND period <= sqlc.arg(to_period)
  AND shop_id = sqlc.arg(shop_id)
GROUP BY product_id;

-- name: StaffOrders :many
-- StaffOrders sums closed orders by the person who opened them (who served the table).
SELECT opened_by, CAST(SUM(CASE WHEN counted THEN 1 ELSE 0 END) AS BIGINT) AS orders,
       CAST(SUM(revenue) AS BIGINT) AS revenue
FROM report_orders
WHERE merchant_id = sqlc.arg(merchant_id) AND day >= sqlc.arg(from_day) AND day <= sqlc.arg(to_day)
  AND (CAST(sqlc.arg(shop_id) AS TEXT) = '' OR shop_id = sqlc.arg(shop_id)) AND status = 'closed'
GROUP BY opened_by;

-- name: StaffTickets :many
-- StaffTickets counts the cooking tickets of the orders each person opened (finished in the range) that
-- were ready, and those ready within their station's target (the shop's default, else default_target).
SELECT o.opened_by, COUNT(*) AS completed,
       CAST(SUM(CASE WHEN t.prep_seconds <= 60 * COALESCE(st.target_minutes, s.default_target_minutes,
                CAST(sqlc.arg(default_target) AS INTEGER)) THEN 1 ELSE 0 END) AS BIGINT) AS on_time
FROM report_orders o
JOIN report_tickets t ON t.merchant_id = o.merchant_id AND t.order_id = o.order_id
LEFT JOIN report_station_targets st ON st.merchant_id = t.merchant_id AND st.shop_id = t.shop_id AND st.station = t.station
LEFT JOIN report_settings s ON s.merchant_id = t.merchant_id AND s.shop_id = t.shop_id
WHERE o.merchant_id = sqlc.arg(merchant_id) AND o.day >= sqlc.arg(from_day) AND o.day <= sqlc.arg(to_day)
  AND (CAST(sqlc.arg(shop_id) AS TEXT) = '' OR o.shop_id = sqlc.arg(shop_id)) AND t.ready_at IS NOT NULL
GROUP BY o.opened_by;

-- name: StaffVoids :many
SELECT voided_by, COUNT(*) AS voids, CAST(SUM(amount) AS BIGINT) AS amount
FROM report_voids
WHERE merchant_id = sqlc.arg(merchant_id) AND day >= sqlc.arg(from_day) AND day <= sqlc.arg(to_day)
  AND (CAST(sqlc.arg(shop_id) AS TEXT) = '' OR shop_id = sqlc.arg(shop_id))
GROUP BY voided_by;

-- name: ListVoids :many
SELECT * FROM report_voids
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND day = sqlc.arg(day);

-- name: ListShifts :many
SELECT * FROM report_shifts
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND day = sqlc.arg(day);

-- name: RoomUse :many
-- RoomUse sums closed karaoke room orders by the room they ended in.
SELECT shop_id, room_id, CAST(MAX(place_name) AS TEXT) AS name, COUNT(*) AS sessions,
       CAST(SUM(room_minutes) AS BIGINT) AS minutes, CAST(SUM(revenue) AS BIGINT) AS revenue,
       CAST(SUM(time_amount) AS BIGINT) AS time_amount
FROM report_orders
WHERE merchant_id = sqlc.arg(merchant_id) AND day >= sqlc.arg(from_day) AND day <= sqlc.arg(to_day)
  AND (CAST(sqlc.arg(shop_id) AS TEXT) = '' OR shop_id = sqlc.arg(shop_id))
  AND status = 'closed' AND order_type = 'room' AND room_id <> ''
GROUP BY shop_id, room_id;

-- name: TableUse :many
-- TableUse sums the sittings of tables: closed dine-in orders on a table, not counting checks split from
-- them (the order a party opened stands for the sitting).
SELECT shop_id, table_id, CAST(MAX(place_name) AS TEXT) AS name, COUNT(*) AS sittings,
       CAST(SUM(seated_seconds) AS BIGINT) AS seated_seconds, CAST(SUM(guests) AS BIGINT) AS guests
FROM report_orders
WHERE merchant_id = sqlc.arg(merchant_id) AND day >= sqlc.arg(from_day) AND day <= sqlc.arg(to_day)
  AND (CAST(sqlc.arg(shop_id) AS TEXT) = '' OR shop_id = sqlc.arg(shop_id))
  AND status = 'closed' AND order_type = 'dine_in' AND table_id <> '' AND split_of = ''
GROUP BY shop_id, table_id;

-- name: GetOrder :one
SELECT * FROM report_orders WHERE merchant_id = sqlc.arg(merchant_id) AND order_id = sqlc.arg(order_id);
