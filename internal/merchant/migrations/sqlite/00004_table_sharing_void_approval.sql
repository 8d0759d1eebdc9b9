-- +goose Up
-- several_orders_per_table lets a shop keep more than one live order on a table (a shared table, a bar
-- counter); void_approval_threshold is the value in đồng above which voiding a sent line or cancelling an
-- order needs a manager (their role, or their PIN on the cashier's terminal); 0 turns the rule off.
ALTER TABLE shops ADD COLUMN several_orders_per_table BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE shops ADD COLUMN void_approval_threshold BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE shops DROP COLUMN void_approval_threshold;
ALTER TABLE shops DROP COLUMN several_orders_per_table;
