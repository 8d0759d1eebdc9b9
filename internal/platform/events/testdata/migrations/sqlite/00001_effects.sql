-- +goose Up
-- effects is what the tests' consumers write: one row per handling, no uniqueness, so a doubled effect shows.
CREATE TABLE effects (
    merchant_id TEXT NOT NULL,
    consumer    TEXT NOT NULL,
    event_id    TEXT NOT NULL
);

-- +goose Down
DROP TABLE effects;
