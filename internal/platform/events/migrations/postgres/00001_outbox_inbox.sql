-- +goose Up
-- outbox holds events written in the business transaction that produced them, until the relay has published
-- them to the broker (published_at set) and a retention period has passed. seq orders them.
CREATE TABLE outbox (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           TEXT        NOT NULL UNIQUE,
    merchant_id  TEXT        NOT NULL,
    shop_id      TEXT        NOT NULL DEFAULT '',
    type         TEXT        NOT NULL,
    subject      TEXT        NOT NULL,
    occurred_at  TIMESTAMPTZ NOT NULL,
    data         TEXT        NOT NULL,
    published_at TIMESTAMPTZ
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;

ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
-- A tenant transaction sees and writes only its own rows; the relay (app.system = 'on') reads every tenant's.
CREATE POLICY tenant_isolation ON outbox
    USING (merchant_id = current_setting('app.merchant_id', true) OR current_setting('app.system', true) = 'on')
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true) OR current_setting('app.system', true) = 'on');

-- inbox records which events each consumer has handled, in the same transaction as the handling, so a
-- redelivered event takes effect once. The relay purges old rows through the system path.
CREATE TABLE inbox (
    consumer     TEXT        NOT NULL,
    event_id     TEXT        NOT NULL,
    merchant_id  TEXT        NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX inbox_processed_at ON inbox (processed_at);

ALTER TABLE inbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE inbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inbox
    USING (merchant_id = current_setting('app.merchant_id', true) OR current_setting('app.system', true) = 'on')
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true) OR current_setting('app.system', true) = 'on');

-- +goose Down
DROP TABLE inbox;
DROP TABLE outbox;
