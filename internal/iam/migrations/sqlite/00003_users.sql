-- +goose Up
-- iam_users, iam_recovery_codes, iam_mfa_challenges: the global user directory and its MFA state (see the
-- PostgreSQL migration for why they are global and what each column means; the two stay column-for-column
-- identical).
CREATE TABLE iam_users (
    id                  TEXT      PRIMARY KEY,
    email               TEXT      UNIQUE,
    password_hash       TEXT,
    full_name           TEXT      NOT NULL,
    phone               TEXT      NOT NULL DEFAULT '',
    kind                TEXT      NOT NULL,
    pin_hash            TEXT,
    pin_failed_attempts INTEGER   NOT NULL DEFAULT 0,
    pin_locked_until    TIMESTAMP,
    mfa_enabled         BOOLEAN   NOT NULL DEFAULT FALSE,
    totp_secret_sealed  TEXT,
    totp_last_step      BIGINT    NOT NULL DEFAULT 0,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    disabled_at         TIMESTAMP,
    CHECK (kind IN ('user', 'staff')),
    CHECK (email = lower(email))
);

CREATE TABLE iam_recovery_codes (
    user_id    TEXT      NOT NULL REFERENCES iam_users (id) ON DELETE CASCADE,
    code_hash  TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE iam_mfa_challenges (
    token_hash TEXT      PRIMARY KEY,
    user_id    TEXT      NOT NULL REFERENCES iam_users (id) ON DELETE CASCADE,
    attempts   INTEGER   NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX iam_mfa_challenges_expires_at ON iam_mfa_challenges (expires_at);

-- +goose Down
DROP TABLE iam_mfa_challenges;
DROP TABLE iam_recovery_codes;
DROP TABLE iam_users;
