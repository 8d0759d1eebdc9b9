-- +goose Up
-- shares_table marks an order opened while its shop lets a table hold several live orders: such orders stay
-- out of the one-live-order-per-table index (the rule still holds for every other order). void_approved_by
-- names the manager who approved a void above the shop's threshold.
ALTER TABLE orders ADD COLUMN shares_table BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE order_lines ADD COLUMN void_approved_by TEXT NOT NULL DEFAULT '';
DROP INDEX orders_live_table;
CREATE UNIQUE INDEX orders_live_table ON orders (table_id)
    WHERE table_id <> '' AND split_of = '' AND NOT shares_table
      AND status IN ('open', 'ordering', 'served', 'billing', 'paid');

-- +goose Down
DROP INDEX orders_live_table;
CREATE UNIQUE INDEX orders_live_table ON orders (table_id)
    WHERE table_id <> '' AND split_of = '' AND status IN ('open', 'ordering', 'served', 'billing', 'paid');
ALTER TABLE order_lines DROP COLUMN void_approved_by;
ALTER TABLE orders DROP COLUMN shares_table;
