-- +goose Up
-- iam_users is the user directory: merchant owners and managers who sign in with an email and password, and
-- staff who sign in with a PIN on a shop terminal. It is GLOBAL, not tenant data (no merchant_id, no row-level
-- security): signing in by email happens before anyone knows which merchant the caller belongs to, which is
-- one of the few paths ARCHITECTURE.md allows to cross tenants, and a person may work for more than one
-- merchant. What an account may do in which merchant and shop is the merchant module's (Merchants.Access).
--   email               lower-cased; NULL for staff who only use a PIN. Unique among accounts that have one.
--   password_hash       argon2id PHC string; NULL for PIN-only staff.
--   kind                user (email sign-in) or staff (created by a merchant for its shops).
--   pin_hash            argon2id PHC string of the 4–6 digit PIN; NULL when the account has none.
--   pin_failed_attempts wrong PINs (and PIN attempts in flight) since the last success or lockout.
--   pin_locked_until    PIN sign-in refused until then, after too many wrong PINs.
--   totp_secret_sealed  the TOTP secret sealed with secretbox (bound to the user id); set by enrolment,
--                       effective once mfa_enabled is true (after the first code is confirmed).
--   totp_last_step      the TOTP time step last accepted: a code of that step or earlier is refused (replay).
--   disabled_at         set when the account may no longer sign in.
CREATE TABLE iam_users (
    id                  TEXT        PRIMARY KEY,
    email               TEXT        UNIQUE,
    password_hash       TEXT,
    full_name           TEXT        NOT NULL,
    phone               TEXT        NOT NULL DEFAULT '',
    kind                TEXT        NOT NULL,
    pin_hash            TEXT,
    pin_failed_attempts INTEGER     NOT NULL DEFAULT 0,
    pin_locked_until    TIMESTAMPTZ,
    mfa_enabled         BOOLEAN     NOT NULL DEFAULT FALSE,
    totp_secret_sealed  TEXT,
    totp_last_step      BIGINT      NOT NULL DEFAULT 0,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    disabled_at         TIMESTAMPTZ,
    CHECK (kind IN ('user', 'staff')),
    CHECK (email = lower(email))
);

-- iam_recovery_codes are the MFA recovery codes of a user, as SHA-256 hashes; each works once (used_at).
-- Global like iam_users, whose rows they belong to.
CREATE TABLE iam_recovery_codes (
    user_id    TEXT        NOT NULL REFERENCES iam_users (id) ON DELETE CASCADE,
    code_hash  TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    PRIMARY KEY (user_id, code_hash)
);

-- iam_mfa_challenges are the pending second steps of sign-ins with MFA: the mfa_token handed out by
-- POST /auth/login, stored as its SHA-256, good for a few minutes and a few attempts, deleted when used.
-- Global: the second step, like the first, comes before any tenant is known.
CREATE TABLE iam_mfa_challenges (
    token_hash TEXT        PRIMARY KEY,
    user_id    TEXT        NOT NULL REFERENCES iam_users (id) ON DELETE CASCADE,
    attempts   INTEGER     NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX iam_mfa_challenges_expires_at ON iam_mfa_challenges (expires_at);

-- +goose Down
DROP TABLE iam_mfa_challenges;
DROP TABLE iam_recovery_codes;
DROP TABLE iam_users;
