-- Queries both engines run (see sqlc.yaml): a shop's holiday calendar. Dates are 'YYYY-MM-DD' text, so a
-- range of them is a text range.

-- name: ListHolidays :many
SELECT day, name FROM timebill_holidays
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id)
  AND day >= sqlc.arg(first_day) AND day <= sqlc.arg(last_day)
ORDER BY day;

-- name: DeleteHolidays :exec
DELETE FROM timebill_holidays
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id)
  AND day >= sqlc.arg(first_day) AND day <= sqlc.arg(last_day);

-- name: InsertHoliday :exec
INSERT INTO timebill_holidays (shop_id, day, merchant_id, name)
VALUES (sqlc.arg(shop_id), sqlc.arg(day), sqlc.arg(merchant_id), sqlc.arg(name));

-- name: AddHoliday :exec
-- AddHoliday adds a date the shop does not have yet; a date it has keeps its name.
INSERT INTO timebill_holidays (shop_id, day, merchant_id, name)
VALUES (sqlc.arg(shop_id), sqlc.arg(day), sqlc.arg(merchant_id), sqlc.arg(name))
ON CONFLICT (shop_id, day) DO NOTHING;
