-- +goose Up
-- idempotency_keys remembers, per caller scope, the first response to each Idempotency-Key (see the PostgreSQL
-- migration for the meaning of each column; the two stay column-for-column identical).
CREATE TABLE idempotency_keys (
    merchant_id      TEXT      NOT NULL,
    idem_key         TEXT      NOT NULL,
    fingerprint      TEXT      NOT NULL,
    state            TEXT      NOT NULL,
    owner            TEXT      NOT NULL,
    lease_expires_at TIMESTAMP NOT NULL,
    status_code      INTEGER   NOT NULL DEFAULT 0,
    content_type     TEXT      NOT NULL DEFAULT '',
    location         TEXT      NOT NULL DEFAULT '',
    body             BLOB,
    created_at       TIMESTAMP NOT NULL,
    expires_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (merchant_id, idem_key),
    CHECK (state IN ('running', 'done'))
);
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
