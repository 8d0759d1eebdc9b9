-- +goose Up
-- idempotency_keys remembers, per caller scope, the first response to each Idempotency-Key so that a retried
-- mutation is answered from here instead of running again. A row is a claim while state = 'running' (owner and
-- lease_expires_at say who runs it and until when) and a stored response once state = 'done'. merchant_id is the
-- scope: the caller's merchant, 'user:<id>' for a principal without one, or 'anon' for unauthenticated callers.
CREATE TABLE idempotency_keys (
    merchant_id      TEXT        NOT NULL,
    idem_key         TEXT        NOT NULL,
    fingerprint      TEXT        NOT NULL,
    state            TEXT        NOT NULL,
    owner            TEXT        NOT NULL,
    lease_expires_at TIMESTAMPTZ NOT NULL,
    status_code      INTEGER     NOT NULL DEFAULT 0,
    content_type     TEXT        NOT NULL DEFAULT '',
    location         TEXT        NOT NULL DEFAULT '',
    body             BYTEA,
    created_at       TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, idem_key),
    CHECK (state IN ('running', 'done'))
);
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
-- A request sees only its own scope's keys; the purge job (app.system = 'on') deletes expired keys of every scope.
CREATE POLICY tenant_isolation ON idempotency_keys
    USING (merchant_id = current_setting('app.merchant_id', true) OR current_setting('app.system', true) = 'on')
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true) OR current_setting('app.system', true) = 'on');

-- +goose Down
DROP TABLE idempotency_keys;
