-- +goose Up
-- timebill_shops has one row per shop that has ever had a plan or a holiday written. Writers bump
-- lock_version first (an upsert), which on PostgreSQL takes the row lock and so serialises the shop's writes.
CREATE TABLE timebill_shops (
    shop_id      TEXT        PRIMARY KEY,
    merchant_id  TEXT        NOT NULL,
    lock_version BIGINT      NOT NULL DEFAULT 0,
    updated_at   TIMESTAMPTZ NOT NULL
);

-- timebill_rate_plans is how each room type of a shop is billed; its bands are in timebill_rate_bands.
CREATE TABLE timebill_rate_plans (
    shop_id         TEXT        NOT NULL,
    room_type       TEXT        NOT NULL,
    merchant_id     TEXT        NOT NULL,
    block_minutes   INTEGER     NOT NULL,
    minimum_minutes INTEGER     NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shop_id, room_type),
    CHECK (block_minutes BETWEEN 1 AND 1440),
    CHECK (minimum_minutes BETWEEN 0 AND 1440)
);
CREATE INDEX timebill_rate_plans_merchant ON timebill_rate_plans (merchant_id, shop_id);

-- timebill_rate_bands are a plan's price bands: minutes after local (GMT+7) midnight, end 1440 = 24:00.
-- The service keeps each day type's bands covering the whole day without overlap.
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

-- timebill_holidays is each shop's holiday calendar: local dates as 'YYYY-MM-DD' text, which sorts and
-- compares the same on both engines.
CREATE TABLE timebill_holidays (
    shop_id     TEXT NOT NULL,
    day         TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    PRIMARY KEY (shop_id, day)
);

ALTER TABLE timebill_shops ENABLE ROW LEVEL SECURITY;
ALTER TABLE timebill_shops FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON timebill_shops
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));

ALTER TABLE timebill_rate_plans ENABLE ROW LEVEL SECURITY;
ALTER TABLE timebill_rate_plans FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON timebill_rate_plans
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));

ALTER TABLE timebill_rate_bands ENABLE ROW LEVEL SECURITY;
ALTER TABLE timebill_rate_bands FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON timebill_rate_bands
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));

ALTER TABLE timebill_holidays ENABLE ROW LEVEL SECURITY;
ALTER TABLE timebill_holidays FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON timebill_holidays
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));

-- A shop transfer (db.WithSystemTx: app.system = 'on', never set by a tenant request) moves the shop's
-- rows to the receiving merchant.
CREATE POLICY system_transfer ON timebill_shops
    USING (current_setting('app.system', true) = 'on') WITH CHECK (current_setting('app.system', true) = 'on');
CREATE POLICY system_transfer ON timebill_rate_plans
    USING (current_setting('app.system', true) = 'on') WITH CHECK (current_setting('app.system', true) = 'on');
CREATE POLICY system_transfer ON timebill_rate_bands
    USING (current_setting('app.system', true) = 'on') WITH CHECK (current_setting('app.system', true) = 'on');
CREATE POLICY system_transfer ON timebill_holidays
    USING (current_setting('app.system', true) = 'on') WITH CHECK (current_setting('app.system', true) = 'on');
