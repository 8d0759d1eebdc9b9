-- +goose Up
-- payments are money taken on orders. A cash payment records what the customer handed over (tendered) and
-- the change given back; amount is what counts against the order. Provider methods (VietQR, VNPay, …) add
-- their references here as they arrive.
CREATE TABLE payments (
    id           TEXT        PRIMARY KEY,
    merchant_id  TEXT        NOT NULL,
    shop_id      TEXT        NOT NULL,
    order_id     TEXT        NOT NULL,
    method       TEXT        NOT NULL,
    amount       BIGINT      NOT NULL,
    tendered     BIGINT      NOT NULL DEFAULT 0,
    change_given BIGINT      NOT NULL DEFAULT 0,
    status       TEXT        NOT NULL,
    provider_ref TEXT        NOT NULL DEFAULT '',
    created_by   TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    CHECK (amount > 0),
    CHECK (tendered >= 0 AND change_given >= 0),
    CHECK (status IN ('pending', 'succeeded', 'failed', 'refunded'))
);
CREATE INDEX payments_order ON payments (merchant_id, order_id, created_at);
CREATE INDEX payments_shop ON payments (merchant_id, shop_id, created_at);

ALTER TABLE payments ENABLE ROW LEVEL SECURITY;
ALTER TABLE payments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON payments
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
CREATE POLICY system_path ON payments
    USING (current_setting('app.system', true) = 'on') WITH CHECK (current_setting('app.system', true) = 'on');

-- +goose Down
DROP TABLE payments;
