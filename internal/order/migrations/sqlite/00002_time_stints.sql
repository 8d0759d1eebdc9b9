-- +goose Up
-- See the PostgreSQL migration of the same number; SQLite has no row-level security.
CREATE TABLE order_time_stints (
    id          TEXT        PRIMARY KEY,
    merchant_id TEXT        NOT NULL,
    order_id    TEXT        NOT NULL REFERENCES orders (id),
    position    INTEGER     NOT NULL,
    room_id     TEXT        NOT NULL,
    room_type   TEXT        NOT NULL,
    started_at  TIMESTAMP   NOT NULL,
    ended_at    TIMESTAMP
);
CREATE INDEX order_time_stints_order ON order_time_stints (order_id, position);
CREATE UNIQUE INDEX order_time_stints_open ON order_time_stints (order_id) WHERE ended_at IS NULL;

-- +goose Down
DROP TABLE order_time_stints;
