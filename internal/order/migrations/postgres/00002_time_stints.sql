-- +goose Up
-- order_time_stints are the running and past stretches of a karaoke room order's time: one per room and
-- uninterrupted run. A pause ends the open stint; resuming starts another in the same room; a room change
-- ends it and starts one in the new room (the time already sung stays at the old room's rates). At most one
-- stint of an order is open (ended_at NULL).
CREATE TABLE order_time_stints (
    id          TEXT        PRIMARY KEY,
    merchant_id TEXT        NOT NULL,
    order_id    TEXT        NOT NULL REFERENCES orders (id),
    position    INTEGER     NOT NULL,
    room_id     TEXT        NOT NULL,
    room_type   TEXT        NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    ended_at    TIMESTAMPTZ
);
CREATE INDEX order_time_stints_order ON order_time_stints (order_id, position);
CREATE UNIQUE INDEX order_time_stints_open ON order_time_stints (order_id) WHERE ended_at IS NULL;

ALTER TABLE order_time_stints ENABLE ROW LEVEL SECURITY;
ALTER TABLE order_time_stints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON order_time_stints
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
CREATE POLICY system_path ON order_time_stints
    USING (current_setting('app.system', true) = 'on') WITH CHECK (current_setting('app.system', true) = 'on');

-- +goose Down
DROP TABLE order_time_stints;
