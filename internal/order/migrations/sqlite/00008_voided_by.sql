-- +goose Up
-- voided_by is who voided a line (reports show voids with who and why).
ALTER TABLE order_lines ADD COLUMN voided_by TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE order_lines DROP COLUMN voided_by;
