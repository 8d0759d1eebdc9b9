-- +goose Up
-- iam_signing_keys: the keys that sign access tokens (see the PostgreSQL migration for each column; the two
-- stay column-for-column identical). Global, not tenant data.
CREATE TABLE iam_signing_keys (
    kid                TEXT      PRIMARY KEY,
    generation         BIGINT    NOT NULL UNIQUE,
    algorithm          TEXT      NOT NULL,
    private_key_sealed TEXT      NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    retire_after       TIMESTAMP
);

-- +goose Down
DROP TABLE iam_signing_keys;
