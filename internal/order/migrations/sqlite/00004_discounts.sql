-- +goose Up
-- Discounts with their reasons: on a line (percent of the line or a fixed amount) and on the whole order
-- (the same, shared over the lines in proportion before service charge and VAT).
ALTER TABLE order_lines ADD COLUMN discount_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE order_lines ADD COLUMN discount_value BIGINT NOT NULL DEFAULT 0;
ALTER TABLE order_lines ADD COLUMN discount_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN discount_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN discount_value BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN discount_reason TEXT NOT NULL DEFAULT '';
