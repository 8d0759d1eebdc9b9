-- +goose Up
-- A bill split by items or by seats becomes separate checks: orders at the same table with split_of naming
-- the order they came from. Checks do not count against the one-live-order-per-table rule.
ALTER TABLE orders ADD COLUMN split_of TEXT NOT NULL DEFAULT '';
DROP INDEX orders_live_table;
CREATE UNIQUE INDEX orders_live_table ON orders (table_id)
    WHERE table_id <> '' AND split_of = '' AND status IN ('open', 'ordering', 'served', 'billing', 'paid');
CREATE INDEX orders_split_of ON orders (split_of) WHERE split_of <> '';
