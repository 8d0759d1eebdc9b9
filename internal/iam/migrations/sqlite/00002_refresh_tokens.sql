-- +goose Up
-- iam_refresh_tokens: refresh tokens as SHA-256 hashes, grouped in families (see the PostgreSQL migration for
-- why the table is global and what each column means; the two stay column-for-column identical).
CREATE TABLE iam_refresh_tokens (
    id                TEXT      PRIMARY KEY,
    family_id         TEXT      NOT NULL,
    token_hash        TEXT      NOT NULL UNIQUE,
    subject_id        TEXT      NOT NULL,
    subject_kind      TEXT      NOT NULL,
    scope_merchant_id TEXT      NOT NULL DEFAULT '',
    scope_shop_id     TEXT      NOT NULL DEFAULT '',
    status            TEXT      NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    expires_at        TIMESTAMP NOT NULL,
    used_at           TIMESTAMP,
    revoked_at        TIMESTAMP,
    CHECK (status IN ('active', 'rotated', 'revoked'))
);
CREATE INDEX iam_refresh_tokens_family ON iam_refresh_tokens (family_id);
CREATE INDEX iam_refresh_tokens_subject ON iam_refresh_tokens (subject_id);
CREATE INDEX iam_refresh_tokens_expires_at ON iam_refresh_tokens (expires_at);

-- +goose Down
DROP TABLE iam_refresh_tokens;
