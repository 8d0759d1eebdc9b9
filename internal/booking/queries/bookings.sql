-- Queries both engines run (see sqlc.yaml): a shop's bookings. Every query names the merchant (SQLite has no
-- row-level security). Live bookings are those in status pending, confirmed or checked_in.

-- name: LockResource :exec
-- LockResource serialises the writers that may make bookings of one table or room overlap: the upsert takes
-- the lock row's row lock on PostgreSQL until the transaction ends.
INSERT INTO booking_resource_locks (merchant_id, resource_id, shop_id, lock_version)
VALUES (sqlc.arg(merchant_id), sqlc.arg(resource_id), sqlc.arg(shop_id), 1)
ON CONFLICT (merchant_id, resource_id) DO UPDATE SET lock_version = booking_resource_locks.lock_version + 1;

-- name: CountOverlapping :one
-- CountOverlapping counts the live bookings of a resource, other than except_id, whose slot overlaps
-- [starts_at, ends_at); touching slots (one ends when the other starts) do not overlap. earliest_start bounds
-- the index range: no booking lasts longer than the maximum duration.
SELECT COUNT(*) FROM bookings
WHERE merchant_id = sqlc.arg(merchant_id) AND resource_id = sqlc.arg(resource_id)
  AND starts_at > sqlc.arg(earliest_start) AND starts_at < sqlc.arg(ends_at) AND ends_at > sqlc.arg(starts_at)
  AND status IN ('pending', 'confirmed', 'checked_in') AND id <> sqlc.arg(except_id);

-- name: InsertBooking :exec
INSERT INTO bookings (id, merchant_id, shop_id, resource_kind, resource_id, starts_at, ends_at, party_size,
                      customer_name, customer_phone, note, status, deposit_amount, deposit_status, created_by,
                      version, created_at, updated_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(resource_kind), sqlc.arg(resource_id),
        sqlc.arg(starts_at), sqlc.arg(ends_at), sqlc.arg(party_size), sqlc.arg(customer_name),
        sqlc.arg(customer_phone), sqlc.arg(note), sqlc.arg(status), sqlc.arg(deposit_amount),
        sqlc.arg(deposit_status), sqlc.arg(created_by), 1, sqlc.arg(created_at), sqlc.arg(created_at));

-- name: GetBooking :one
SELECT * FROM bookings WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: LockBooking :execrows
-- LockBooking bumps a booking's version before a change: on PostgreSQL the update takes the row lock, so
-- concurrent changes of one booking run one after the other and each sees the other's result.
UPDATE bookings SET version = version + 1
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: UpdateBooking :exec
UPDATE bookings
SET resource_kind = sqlc.arg(resource_kind), resource_id = sqlc.arg(resource_id), starts_at = sqlc.arg(starts_at),
    ends_at = sqlc.arg(ends_at), party_size = sqlc.arg(party_size), customer_name = sqlc.arg(customer_name),
    customer_phone = sqlc.arg(customer_phone), note = sqlc.arg(note), status = sqlc.arg(status),
    deposit_amount = sqlc.arg(deposit_amount), deposit_status = sqlc.arg(deposit_status),
    deposit_payment_id = sqlc.arg(deposit_payment_id), order_id = sqlc.arg(order_id),
    cancel_reason = sqlc.arg(cancel_reason), updated_at = sqlc.arg(updated_at)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: ListBookings :many
-- ListBookings is a page of a shop's bookings whose slot overlaps [from, to), optionally in one status, in
-- (starts_at, id) order after the cursor (after_starts_at, after_id).
SELECT * FROM bookings
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id)
  AND starts_at < sqlc.arg(to_time) AND ends_at > sqlc.arg(from_time)
  AND (status = sqlc.arg(status) OR sqlc.arg(status) = '')
  AND (starts_at > sqlc.arg(after_starts_at) OR (starts_at = sqlc.arg(after_starts_at) AND id > sqlc.arg(after_id)))
ORDER BY starts_at, id
LIMIT sqlc.arg(page_size);

-- name: BusyResources :many
-- BusyResources lists the tables and rooms of a shop with a live booking overlapping [starts_at, ends_at).
SELECT DISTINCT resource_id FROM bookings
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id)
  AND starts_at > sqlc.arg(earliest_start) AND starts_at < sqlc.arg(ends_at) AND ends_at > sqlc.arg(starts_at)
  AND status IN ('pending', 'confirmed', 'checked_in');

-- name: MoveShopBookings :exec
-- MoveShopBookings gives a shop's bookings to the merchant it is transferred to (shop transfer's system
-- transaction only).
UPDATE bookings SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);

-- name: MoveShopResourceLocks :exec
UPDATE booking_resource_locks SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);
