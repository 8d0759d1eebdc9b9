-- +goose Up
-- Whether orders customers place from a table's QR code wait for staff to confirm them before they go to
-- the kitchen (the default) or go straight away.
ALTER TABLE shops ADD COLUMN qr_orders_need_confirmation BOOLEAN NOT NULL DEFAULT TRUE;
