-- +goose Up
-- iam_audit_log records security events (sign-ins, failed sign-ins, MFA changes, refresh-token reuse, PIN
-- lockouts …) for the merchant's owners to read. It is TENANT data: every row has merchant_id, and row-level
-- security (forced, so it binds the table's owner too) shows a transaction only the rows of the merchant in
-- app.merchant_id. No system clause: nothing needs to read it across tenants.
--   actor_user_id  the account the event is about ('' when unknown).
--   ip, user_agent the client of the request that caused it.
--   detail         a JSON object with the event's particulars (never a secret).
CREATE TABLE iam_audit_log (
    merchant_id   TEXT        NOT NULL,
    id            TEXT        NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    actor_user_id TEXT        NOT NULL DEFAULT '',
    event         TEXT        NOT NULL,
    ip            TEXT        NOT NULL DEFAULT '',
    user_agent    TEXT        NOT NULL DEFAULT '',
    detail        TEXT        NOT NULL DEFAULT '{}',
    PRIMARY KEY (merchant_id, id)
);
ALTER TABLE iam_audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE iam_audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON iam_audit_log
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));

-- +goose Down
DROP TABLE iam_audit_log;
