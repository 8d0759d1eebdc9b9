-- +goose Up
-- SQLite has no row-level security: every query of the module filters by merchant_id (the PostgreSQL
-- migration adds the policies and says what each table is). Tables and columns match it exactly.
CREATE TABLE timebill_shops (
    shop_id      TEXT      PRIMARY KEY,
    merchant_id  TEXT      NOT NULL,
    lock_version BIGINT    NOT NULL DEFAULT 0,
    updated_at   TIMESTAMP NOT NULL
);

CREATE TABLE timebill_rate_plans (
    shop_id         TEXT      NOT NULL,
    room_type       TEXT      NOT NULL,
    merchant_id     TEXT      NOT NULL,
    block_minutes   INTEGER   NOT NULL,
    minimum_minutes INTEGER   NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, room_type),
    CHECK (block_minutes BETWEEN 1 AND 1440),
    CHECK (minimum_minutes BETWEEN 0 AND 1440)
);
CREATE INDEX timebill_rate_plans_merchant ON timebill_rate_plans (merchant_id, shop_id);

CREATE TABLE timebill_rate_bands (
    shop_id        TEXT    NOT NULL,
    room_type      TEXT    NOT NULL,
    day_type       TEXT    NOT NULL,
    start_minute   INTEGER NOT NULL,
    merchant_id    TEXT    NOT NULL,
    end_minute     INTEGER NOT NULL,
    price_per_hour BIGINT  NOT NULL,
    PRIMARY KEY (shop_id, room_type, day_type, start_minute),
    FOREIGN KEY (shop_id, room_type) REFERENCES timebill_rate_plans (shop_id, room_type),
    CHECK (day_type IN ('weekday', 'weekend', 'holiday')),
    CHECK (start_minute >= 0 AND start_minute < end_minute AND end_minute <= 1440),
    CHECK (price_per_hour >= 0)
);

CREATE TABLE timebill_holidays (
    shop_id     TEXT NOT NULL,
    day         TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    PRIMARY KEY (shop_id, day)
);
