-- +goose Up
-- iam_audit_log: the merchant's security events, a tenant table (see the PostgreSQL migration; SQLite has no
-- row-level security, so every query filters by merchant_id). Column-for-column identical to PostgreSQL's.
CREATE TABLE iam_audit_log (
    merchant_id   TEXT      NOT NULL,
    id            TEXT      NOT NULL,
    at            TIMESTAMP NOT NULL,
    actor_user_id TEXT      NOT NULL DEFAULT '',
    event         TEXT      NOT NULL,
    ip            TEXT      NOT NULL DEFAULT '',
    user_agent    TEXT      NOT NULL DEFAULT '',
    detail        TEXT      NOT NULL DEFAULT '{}',
    PRIMARY KEY (merchant_id, id)
);

-- +goose Down
DROP TABLE iam_audit_log;
