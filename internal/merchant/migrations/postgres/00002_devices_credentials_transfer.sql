-- +goose Up
-- A shop may require PIN sign-in from registered terminals only.
ALTER TABLE shops ADD COLUMN require_registered_device BOOLEAN NOT NULL DEFAULT FALSE;

-- shop_devices are a shop's registered terminals. The device secret is shown once at registration and kept
-- only as its SHA-256 (it is 256 random bits, so a fast hash is enough). PIN sign-in checks it before any
-- tenant is known, through the system path, which reads this table only.
CREATE TABLE shop_devices (
    id           TEXT        PRIMARY KEY,
    merchant_id  TEXT        NOT NULL,
    shop_id      TEXT        NOT NULL REFERENCES shops (id),
    name         TEXT        NOT NULL,
    secret_hash  TEXT        NOT NULL UNIQUE,
    created_by   TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX shop_devices_shop ON shop_devices (shop_id);

-- shop_provider_credentials hold a shop's payment-provider accounts: the public account reference (VNPay
-- TmnCode, MoMo partner code, ZaloPay app id, a bank-webhook key id) in clear, the secrets sealed with the
-- application's key (secretbox, bound to shop and provider). Provider callbacks find the shop by
-- (provider, account_ref) before any tenant is known, through the system path.
CREATE TABLE shop_provider_credentials (
    shop_id     TEXT        NOT NULL REFERENCES shops (id),
    provider    TEXT        NOT NULL,
    merchant_id TEXT        NOT NULL,
    account_ref TEXT        NOT NULL,
    sealed      TEXT        NOT NULL,
    updated_by  TEXT        NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shop_id, provider)
);
CREATE INDEX shop_provider_credentials_ref ON shop_provider_credentials (provider, account_ref);

ALTER TABLE shop_devices ENABLE ROW LEVEL SECURITY;
ALTER TABLE shop_devices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON shop_devices
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));

ALTER TABLE shop_provider_credentials ENABLE ROW LEVEL SECURITY;
ALTER TABLE shop_provider_credentials FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON shop_provider_credentials
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));

-- The audited system path (db.WithSystemTx: app.system = 'on', never set by a tenant request) may read and
-- write these tables: shop transfer moves a shop with its floor, devices and credentials to another merchant
-- and ends its memberships; PIN sign-in reads devices; provider callbacks read credentials.
CREATE POLICY system_path ON merchants
    USING (current_setting('app.system', true) = 'on') WITH CHECK (current_setting('app.system', true) = 'on');
CREATE POLICY system_path ON shops
    USING (current_setting('app.system', true) = 'on') WITH CHECK (current_setting('app.system', true) = 'on');
CREATE POLICY system_path ON floor_areas
    USING (current_setting('app.system', true) = 'on') WITH CHECK (current_setting('app.system', true) = 'on');
CREATE POLICY system_path ON floor_tables
    USING (current_setting('app.system', true) = 'on') WITH CHECK (current_setting('app.system', true) = 'on');
CREATE POLICY system_path ON floor_rooms
    USING (current_setting('app.system', true) = 'on') WITH CHECK (current_setting('app.system', true) = 'on');
CREATE POLICY system_path ON floor_qr_tokens
    USING (current_setting('app.system', true) = 'on') WITH CHECK (current_setting('app.system', true) = 'on');
CREATE POLICY system_path ON shop_staff
    USING (current_setting('app.system', true) = 'on') WITH CHECK (current_setting('app.system', true) = 'on');
CREATE POLICY system_path ON shop_devices
    USING (current_setting('app.system', true) = 'on') WITH CHECK (current_setting('app.system', true) = 'on');
CREATE POLICY system_path ON shop_provider_credentials
    USING (current_setting('app.system', true) = 'on') WITH CHECK (current_setting('app.system', true) = 'on');
