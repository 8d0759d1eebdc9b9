-- +goose Up
-- SQLite has no row-level security: every query of the module filters by merchant_id (the PostgreSQL
-- migration adds the policies). Tables and columns match the PostgreSQL migration exactly.

-- merchant_plans is the catalogue of subscription plans and their limits. It is global reference data, not
-- tenant data: no merchant_id, no row-level security; the application only reads it.
CREATE TABLE merchant_plans (
    id        TEXT    PRIMARY KEY,
    name      TEXT    NOT NULL,
    max_shops INTEGER NOT NULL,
    max_staff INTEGER NOT NULL,
    CHECK (max_shops >= 0 AND max_staff >= 0)
);
INSERT INTO merchant_plans (id, name, max_shops, max_staff) VALUES
    ('free', 'Free', 1, 5),
    ('pro', 'Pro', 10, 50),
    ('chain', 'Chain', 100, 500);

-- merchants holds one row per merchant (the tenant itself, so its key is merchant_id). The subscription lives
-- here: plan_id is the plan in force once any trial is over (free unless one was bought), trial_plan_id the
-- plan granted until trial_ends_at. lock_version is bumped by writers that must serialise per merchant (plan
-- limits, the default shop): the UPDATE takes the row lock on PostgreSQL.
CREATE TABLE merchants (
    merchant_id   TEXT        PRIMARY KEY,
    name          TEXT        NOT NULL,
    phone         TEXT        NOT NULL DEFAULT '',
    email         TEXT        NOT NULL DEFAULT '',
    address       TEXT        NOT NULL DEFAULT '',
    owner_user_id TEXT        NOT NULL,
    plan_id       TEXT        NOT NULL REFERENCES merchant_plans (id),
    trial_plan_id TEXT        REFERENCES merchant_plans (id),
    trial_ends_at TIMESTAMP,
    lock_version  BIGINT      NOT NULL DEFAULT 0,
    created_at    TIMESTAMP   NOT NULL,
    updated_at    TIMESTAMP   NOT NULL,
    archived_at   TIMESTAMP
);

-- shops are a merchant's branches with their settings. At most one live default shop per merchant is enforced
-- by the partial unique index; the service keeps it exactly one (the first shop becomes the default, and the
-- default cannot be archived while other shops exist).
CREATE TABLE shops (
    id                     TEXT        PRIMARY KEY,
    merchant_id            TEXT        NOT NULL REFERENCES merchants (merchant_id),
    name                   TEXT        NOT NULL,
    is_default             BOOLEAN     NOT NULL DEFAULT FALSE,
    business_type          TEXT        NOT NULL,
    address                TEXT        NOT NULL DEFAULT '',
    vat_rate_percent       INTEGER     NOT NULL,
    prices_include_vat     BOOLEAN     NOT NULL DEFAULT TRUE,
    service_charge_percent INTEGER     NOT NULL DEFAULT 0,
    opening_hours          TEXT        NOT NULL DEFAULT '',
    receipt_header         TEXT        NOT NULL DEFAULT '',
    receipt_footer         TEXT        NOT NULL DEFAULT '',
    bank_bin               TEXT        NOT NULL DEFAULT '',
    bank_account_number    TEXT        NOT NULL DEFAULT '',
    bank_account_name      TEXT        NOT NULL DEFAULT '',
    created_at             TIMESTAMP   NOT NULL,
    updated_at             TIMESTAMP   NOT NULL,
    archived_at            TIMESTAMP,
    CHECK (business_type IN ('restaurant', 'cafe', 'karaoke', 'bar')),
    CHECK (vat_rate_percent IN (0, 5, 8, 10)),
    CHECK (service_charge_percent BETWEEN 0 AND 100)
);
CREATE UNIQUE INDEX shops_one_default ON shops (merchant_id) WHERE is_default;
CREATE INDEX shops_merchant_page ON shops (merchant_id, created_at, id);

-- floor_areas, floor_tables and floor_rooms are a shop's floor plan. Rows are soft-deleted (deleted_at) so that
-- orders and reports keep pointing at what existed; names are unique among the live rows of a shop.
CREATE TABLE floor_areas (
    id          TEXT        PRIMARY KEY,
    merchant_id TEXT        NOT NULL,
    shop_id     TEXT        NOT NULL REFERENCES shops (id),
    name        TEXT        NOT NULL,
    sort_order  INTEGER     NOT NULL DEFAULT 0,
    created_at  TIMESTAMP   NOT NULL,
    updated_at  TIMESTAMP   NOT NULL,
    deleted_at  TIMESTAMP
);
CREATE UNIQUE INDEX floor_areas_name ON floor_areas (shop_id, name) WHERE deleted_at IS NULL;

CREATE TABLE floor_tables (
    id          TEXT        PRIMARY KEY,
    merchant_id TEXT        NOT NULL,
    shop_id     TEXT        NOT NULL REFERENCES shops (id),
    area_id     TEXT        NOT NULL REFERENCES floor_areas (id),
    name        TEXT        NOT NULL,
    seats       INTEGER     NOT NULL,
    shape       TEXT        NOT NULL,
    x           INTEGER     NOT NULL DEFAULT 0,
    y           INTEGER     NOT NULL DEFAULT 0,
    created_at  TIMESTAMP   NOT NULL,
    updated_at  TIMESTAMP   NOT NULL,
    deleted_at  TIMESTAMP,
    CHECK (seats BETWEEN 1 AND 100),
    CHECK (shape IN ('square', 'round', 'rectangle'))
);
CREATE UNIQUE INDEX floor_tables_name ON floor_tables (shop_id, name) WHERE deleted_at IS NULL;
CREATE INDEX floor_tables_area ON floor_tables (area_id);

CREATE TABLE floor_rooms (
    id          TEXT        PRIMARY KEY,
    merchant_id TEXT        NOT NULL,
    shop_id     TEXT        NOT NULL REFERENCES shops (id),
    name        TEXT        NOT NULL,
    room_type   TEXT        NOT NULL,
    capacity    INTEGER     NOT NULL DEFAULT 0,
    created_at  TIMESTAMP   NOT NULL,
    updated_at  TIMESTAMP   NOT NULL,
    deleted_at  TIMESTAMP,
    CHECK (capacity BETWEEN 0 AND 100)
);
CREATE UNIQUE INDEX floor_rooms_name ON floor_rooms (shop_id, name) WHERE deleted_at IS NULL;

-- floor_qr_tokens maps each live table's and room's QR token to it. A customer presents nothing but the token,
-- so resolving it must cross tenants: this is the one floor table whose policy also admits the audited system
-- path (app.system = 'on', set only by db.WithSystemTx). It holds the mapping and nothing else, and a token row
-- exists only while its table or room is live (deleting, archiving and rotating remove it).
CREATE TABLE floor_qr_tokens (
    target_id   TEXT        PRIMARY KEY,
    token       TEXT        NOT NULL UNIQUE,
    merchant_id TEXT        NOT NULL,
    shop_id     TEXT        NOT NULL,
    target_kind TEXT        NOT NULL,
    created_at  TIMESTAMP   NOT NULL,
    CHECK (target_kind IN ('table', 'room'))
);
CREATE INDEX floor_qr_tokens_shop ON floor_qr_tokens (shop_id);

-- shop_staff records who works for a merchant and in which role: shop_id '' for merchant-wide roles (owner,
-- manager), a shop id for roles held in one shop. Ending a membership sets ended_at (the history stays). iam
-- reads a user's live memberships at login across merchants, through the system path.
CREATE TABLE shop_staff (
    id          TEXT        PRIMARY KEY,
    merchant_id TEXT        NOT NULL,
    shop_id     TEXT        NOT NULL,
    user_id     TEXT        NOT NULL,
    role        TEXT        NOT NULL,
    created_at  TIMESTAMP   NOT NULL,
    ended_at    TIMESTAMP,
    CHECK (role IN ('owner', 'manager', 'cashier', 'waiter', 'kitchen'))
);
CREATE UNIQUE INDEX shop_staff_live ON shop_staff (merchant_id, shop_id, user_id) WHERE ended_at IS NULL;
CREATE INDEX shop_staff_user ON shop_staff (user_id) WHERE ended_at IS NULL;

-- +goose Down
DROP TABLE shop_staff;
DROP TABLE floor_qr_tokens;
DROP TABLE floor_rooms;
DROP TABLE floor_tables;
DROP TABLE floor_areas;
DROP TABLE shops;
DROP TABLE merchants;
DROP TABLE merchant_plans;
