-- +goose Up
-- bookings are a shop's reservations of one table or (exclusive) one karaoke room for a time slot
-- [starts_at, ends_at). resource_id is that table's or room's id (ids of the merchant module's floor; no
-- foreign key: each module owns its tables). Bookings in status pending, confirmed or checked_in are live and
-- block their resource; cancelled and no_show ones do not. The service refuses a live booking that overlaps
-- another live booking of the same resource, serialised per resource by booking_resource_locks.
-- deposit_amount is whole đồng; deposit_status is none (no deposit asked), pending, paid or refunded.
-- order_id is the order check-in opened ('' before). version counts the booking's changes.
CREATE TABLE bookings (
    id                 TEXT        PRIMARY KEY,
    merchant_id        TEXT        NOT NULL,
    shop_id            TEXT        NOT NULL,
    resource_kind      TEXT        NOT NULL,
    resource_id        TEXT        NOT NULL,
    starts_at          TIMESTAMPTZ NOT NULL,
    ends_at            TIMESTAMPTZ NOT NULL,
    party_size         INTEGER     NOT NULL,
    customer_name      TEXT        NOT NULL,
    customer_phone     TEXT        NOT NULL,
    note               TEXT        NOT NULL DEFAULT '',
    status             TEXT        NOT NULL,
    deposit_amount     BIGINT      NOT NULL DEFAULT 0,
    deposit_status     TEXT        NOT NULL DEFAULT 'none',
    deposit_payment_id TEXT        NOT NULL DEFAULT '',
    order_id           TEXT        NOT NULL DEFAULT '',
    cancel_reason      TEXT        NOT NULL DEFAULT '',
    created_by         TEXT        NOT NULL DEFAULT '',
    version            BIGINT      NOT NULL DEFAULT 1,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    CHECK (resource_kind IN ('table', 'room')),
    CHECK (ends_at > starts_at),
    CHECK (party_size BETWEEN 1 AND 500),
    CHECK (status IN ('pending', 'confirmed', 'checked_in', 'cancelled', 'no_show')),
    CHECK (deposit_amount >= 0),
    CHECK (deposit_status IN ('none', 'pending', 'paid', 'refunded'))
);
-- The overlap check reads a resource's bookings around a time; lists and availability read a shop's.
CREATE INDEX bookings_resource_time ON bookings (merchant_id, resource_id, starts_at);
CREATE INDEX bookings_shop_time ON bookings (merchant_id, shop_id, starts_at, id);

-- booking_resource_locks hold one row per table or room that was ever booked. A writer that may make a
-- booking of the resource overlap another (create, or a change of time or resource) first upserts the
-- row's lock_version: on PostgreSQL that takes the row lock until commit, so the overlap check and the
-- write that follows are serialised per resource; SQLite has one writer anyway.
CREATE TABLE booking_resource_locks (
    merchant_id  TEXT   NOT NULL,
    resource_id  TEXT   NOT NULL,
    shop_id      TEXT   NOT NULL,
    lock_version BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, resource_id)
);

ALTER TABLE bookings ENABLE ROW LEVEL SECURITY;
ALTER TABLE bookings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON bookings
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));

ALTER TABLE booking_resource_locks ENABLE ROW LEVEL SECURITY;
ALTER TABLE booking_resource_locks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON booking_resource_locks
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));

-- A shop transfer (db.WithSystemTx: app.system = 'on', never set by a tenant request) moves the shop's
-- bookings and lock rows to the receiving merchant.
CREATE POLICY system_transfer ON bookings
    USING (current_setting('app.system', true) = 'on') WITH CHECK (current_setting('app.system', true) = 'on');
CREATE POLICY system_transfer ON booking_resource_locks
    USING (current_setting('app.system', true) = 'on') WITH CHECK (current_setting('app.system', true) = 'on');
