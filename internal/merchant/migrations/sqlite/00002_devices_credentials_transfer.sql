-- +goose Up
-- See the PostgreSQL migration of the same number for what these are; SQLite has no row-level security.
ALTER TABLE shops ADD COLUMN require_registered_device BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE shop_devices (
    id           TEXT        PRIMARY KEY,
    merchant_id  TEXT        NOT NULL,
    shop_id      TEXT        NOT NULL REFERENCES shops (id),
    name         TEXT        NOT NULL,
    secret_hash  TEXT        NOT NULL UNIQUE,
    created_by   TEXT        NOT NULL,
    created_at   TIMESTAMP   NOT NULL,
    last_used_at TIMESTAMP  ,
    revoked_at   TIMESTAMP  
);
CREATE INDEX shop_devices_shop ON shop_devices (shop_id);

CREATE TABLE shop_provider_credentials (
    shop_id     TEXT        NOT NULL REFERENCES shops (id),
    provider    TEXT        NOT NULL,
    merchant_id TEXT        NOT NULL,
    account_ref TEXT        NOT NULL,
    sealed      TEXT        NOT NULL,
    updated_by  TEXT        NOT NULL,
    updated_at  TIMESTAMP   NOT NULL,
    PRIMARY KEY (shop_id, provider)
);
CREATE INDEX shop_provider_credentials_ref ON shop_provider_credentials (provider, account_ref);
