-- +goose Up
-- iam_signing_keys holds the RSA keys that sign access tokens. It belongs to the deployment, not to a tenant:
-- no merchant_id, no row-level security. The private key is stored sealed (secretbox, AES-256-GCM, bound to
-- its kid), never in clear.
--   generation          1, 2, 3 … one per rotation; UNIQUE, so of two replicas rotating at once one wins.
--                       The key of the highest generation signs.
--   private_key_sealed  PKCS#8 DER of the private key, sealed, unpadded base64url.
--   retire_after        set when a newer key replaces this one: from then on it no longer signs, and it keeps
--                       verifying until every token it signed has expired (access TTL + reload interval +
--                       leeway); NULL while the key is current.
CREATE TABLE iam_signing_keys (
    kid                TEXT        PRIMARY KEY,
    generation         BIGINT      NOT NULL UNIQUE,
    algorithm          TEXT        NOT NULL,
    private_key_sealed TEXT        NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    retire_after       TIMESTAMPTZ
);

-- +goose Down
DROP TABLE iam_signing_keys;
