-- +goose Up
-- See the PostgreSQL migration of the same number; SQLite has no row-level security.
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
    created_at   TIMESTAMP   NOT NULL,
    updated_at   TIMESTAMP   NOT NULL,
    CHECK (amount > 0),
    CHECK (tendered >= 0 AND change_given >= 0),
    CHECK (status IN ('pending', 'succeeded', 'failed', 'refunded'))
);
CREATE INDEX payments_order ON payments (merchant_id, order_id, created_at);
CREATE INDEX payments_shop ON payments (merchant_id, shop_id, created_at);

-- +goose Down
DROP TABLE payments;
