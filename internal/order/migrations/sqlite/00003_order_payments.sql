-- +goose Up
-- See the PostgreSQL migration of the same number; SQLite has no row-level security.
CREATE TABLE order_payments (
    id          TEXT        PRIMARY KEY,
    merchant_id TEXT        NOT NULL,
    order_id    TEXT        NOT NULL REFERENCES orders (id),
    method      TEXT        NOT NULL,
    amount      BIGINT      NOT NULL,
    status      TEXT        NOT NULL,
    created_at  TIMESTAMP   NOT NULL,
    CHECK (amount > 0)
);
CREATE INDEX order_payments_order ON order_payments (order_id, created_at);

-- +goose Down
DROP TABLE order_payments;
