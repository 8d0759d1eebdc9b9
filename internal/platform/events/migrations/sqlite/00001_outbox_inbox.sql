-- +goose Up
-- outbox holds events written in the business transaction that produced them, until the relay has published
-- them to the broker (published_at set) and a retention period has passed. seq orders them; AUTOINCREMENT
-- keeps it increasing even after the newest rows are deleted.
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT      NOT NULL UNIQUE,
    merchant_id  TEXT      NOT NULL,
    shop_id      TEXT      NOT NULL DEFAULT '',
    type         TEXT      NOT NULL,
    subject      TEXT      NOT NULL,
    occurred_at  TIMESTAMP NOT NULL,
    data         TEXT      NOT NULL,
    published_at TIMESTAMP
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;

-- inbox records which events each consumer has handled, in the same transaction as the handling, so a
-- redelivered event takes effect once.
CREATE TABLE inbox (
    consumer     TEXT      NOT NULL,
    event_id     TEXT      NOT NULL,
    merchant_id  TEXT      NOT NULL,
    processed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX inbox_processed_at ON inbox (processed_at);

-- +goose Down
DROP TABLE inbox;
DROP TABLE outbox;
