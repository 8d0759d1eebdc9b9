-- +goose Up
-- The PostgreSQL migration of the same number adds a row-level security policy; SQLite has none, so this
-- version only keeps both engines' migration histories in step.
SELECT 1;

-- +goose Down
SELECT 1;
