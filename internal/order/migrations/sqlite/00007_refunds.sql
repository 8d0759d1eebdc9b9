-- +goose Up
-- refunded is how much of an applied payment has been given back; what counts as paid is amount − refunded.
ALTER TABLE order_payments ADD COLUMN refunded BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE order_payments DROP COLUMN refunded;
