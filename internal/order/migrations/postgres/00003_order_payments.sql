-- +goose Up
-- order_payments are the payments applied to an order, as the order shows them; the payment module owns
-- the payments themselves (method details, provider references, refunds) and applies them here in its own
-- transaction, so the order's paid amount and its payments never disagree.
CREATE TABLE order_payments (
    id          TEXT        PRIMARY KEY,
    merchant_id TEXT        NOT NULL,
    order_id    TEXT        NOT NULL REFERENCES orders (id),
    method      TEXT        NOT NULL,
    amount      BIGINT      NOT NULL,
    status      TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    CHECK (amount > 0)
);
CREATE INDEX order_payments_order ON order_payments (order_id, created_at);

ALTER TABLE order_payments ENABLE ROW LEVEL SECURITY;
ALTER TABLE order_payments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON order_payments
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
CREATE POLICY system_path ON order_payments
    USING (current_setting('app.system', true) = 'on') WITH CHECK (current_setting('app.system', true) = 'on');

-- +goose Down
DROP TABLE order_payments;
