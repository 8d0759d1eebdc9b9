-- +goose Up
-- iam_refresh_tokens stores refresh tokens as SHA-256 hashes only. The table is global, like the user
-- directory: a refresh request presents nothing but the token, so there is no tenant to scope it by, and
-- "sign out everywhere" spans every merchant a user belongs to. Hence no merchant_id and no row-level security;
-- scope_merchant_id / scope_shop_id record which merchant (and, for a PIN session, which shop) the session
-- acts for, and are only copied into the access tokens it issues.
--   family_id   one sign-in: every rotation adds a row to the same family; the access token's "sid".
--   status      active (may be used once), rotated (was used; presenting it again revokes the family),
--               revoked (logout, reuse detected, other sessions signed out).
--   used_at     when the token was rotated; revoked_at when it was revoked.
CREATE TABLE iam_refresh_tokens (
    id                TEXT        PRIMARY KEY,
    family_id         TEXT        NOT NULL,
    token_hash        TEXT        NOT NULL UNIQUE,
    subject_id        TEXT        NOT NULL,
    subject_kind      TEXT        NOT NULL,
    scope_merchant_id TEXT        NOT NULL DEFAULT '',
    scope_shop_id     TEXT        NOT NULL DEFAULT '',
    status            TEXT        NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    expires_at        TIMESTAMPTZ NOT NULL,
    used_at           TIMESTAMPTZ,
    revoked_at        TIMESTAMPTZ,
    CHECK (status IN ('active', 'rotated', 'revoked'))
);
CREATE INDEX iam_refresh_tokens_family ON iam_refresh_tokens (family_id);
CREATE INDEX iam_refresh_tokens_subject ON iam_refresh_tokens (subject_id);
CREATE INDEX iam_refresh_tokens_expires_at ON iam_refresh_tokens (expires_at);

-- +goose Down
DROP TABLE iam_refresh_tokens;
