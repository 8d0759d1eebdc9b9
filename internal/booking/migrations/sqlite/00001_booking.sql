-- +goose Up
-- SQLite has no row-level security: every query of the module filters by merchant_id (the PostgreSQL
-- migration adds the policies). Tables and columns match the PostgreSQL migration exactly; see it for what
-- each table and column means.
CREATE TABLE bookings (
    id                 TEXT      PRIMARY KEY,
    merchant_id        TEXT      NOT NULL,
    shop_id            TEXT      NOT NULL,
    resource_kind      TEXT      NOT NULL,
    resource_id        TEXT      NOT NULL,
    starts_at          TIMESTAMP NOT NULL,
    ends_at            TIMESTAMP NOT NULL,
    party_size         INTEGER   NOT NULL,
    customer_name      TEXT      NOT NULL,
    customer_phone     TEXT      NOT NULL,
    note               TEXT      NOT NULL DEFAULT '',
    status             TEXT      NOT NULL,
    deposit_amount     BIGINT    NOT NULL DEFAULT 0,
    deposit_status     TEXT      NOT NULL DEFAULT 'none',
    deposit_payment_id TEXT      NOT NULL DEFAULT '',
    order_id           TEXT      NOT NULL DEFAULT '',
    cancel_reason      TEXT      NOT NULL DEFAULT '',
    created_by         TEXT      NOT NULL DEFAULT '',
    version            BIGINT    NOT NULL DEFAULT 1,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    CHECK (resource_kind IN ('table', 'room')),
    CHECK (ends_at > starts_at),
    CHECK (party_size BETWEEN 1 AND 500),
    CHECK (status IN ('pending', 'confirmed', 'checked_in', 'cancelled', 'no_show')),
    CHECK (deposit_amount >= 0),
    CHECK (deposit_status IN ('none', 'pending', 'paid', 'refunded'))
);
CREATE INDEX bookings_resource_time ON bookings (merchant_id, resource_id, starts_at);
CREATE INDEX bookings_shop_time ON bookings (merchant_id, shop_id, starts_at, id);

CREATE TABLE booking_resource_locks (
    merchant_id  TEXT   NOT NULL,
    resource_id  TEXT   NOT NULL,
    shop_id      TEXT   NOT NULL,
    lock_version BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, resource_id)
);
