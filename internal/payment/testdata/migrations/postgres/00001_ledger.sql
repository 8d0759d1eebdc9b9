-- +goose Up
-- A tiny order ledger for the payment module's tests (payment_test.ledger): orders with a total and what
-- they count as paid, and the payments applied to them, written inside the payment's transaction.
CREATE TABLE ledger_orders (
    merchant_id TEXT   NOT NULL,
    id          TEXT   PRIMARY KEY,
    shop_id     TEXT   NOT NULL,
    status      TEXT   NOT NULL,
    total       BIGINT NOT NULL,
    paid        BIGINT NOT NULL DEFAULT 0,
    CHECK (paid >= 0 AND paid <= total)
);
CREATE TABLE ledger_payments (
    merchant_id TEXT   NOT NULL,
    payment_id  TEXT   PRIMARY KEY,
    order_id    TEXT   NOT NULL,
    method      TEXT   NOT NULL,
    amount      BIGINT NOT NULL,
    refunded    BIGINT NOT NULL DEFAULT 0,
    CHECK (refunded >= 0 AND refunded <= amount)
);
CREATE TABLE ledger_cash (
    merchant_id TEXT   NOT NULL,
    reference   TEXT   PRIMARY KEY,
    amount      BIGINT NOT NULL
);

-- +goose Down
DROP TABLE ledger_cash;
DROP TABLE ledger_payments;
DROP TABLE ledger_orders;
