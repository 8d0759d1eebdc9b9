-- Queries both engines run (see sqlc.yaml): a shop's payment-provider accounts, secrets sealed.

-- name: UpsertProviderCredential :exec
INSERT INTO shop_provider_credentials (shop_id, provider, merchant_id, account_ref, sealed, updated_by, updated_at)
VALUES (sqlc.arg(shop_id), sqlc.arg(provider), sqlc.arg(merchant_id), sqlc.arg(account_ref), sqlc.arg(sealed),
        sqlc.arg(updated_by), sqlc.arg(updated_at))
ON CONFLICT (shop_id, provider) DO UPDATE
SET account_ref = excluded.account_ref, sealed = excluded.sealed, updated_by = excluded.updated_by,
    updated_at = excluded.updated_at;

-- name: GetProviderCredential :one
SELECT * FROM shop_provider_credentials
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND provider = sqlc.arg(provider);

-- name: ListProviderCredentials :many
SELECT * FROM shop_provider_credentials
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id)
ORDER BY provider;

-- name: DeleteProviderCredential :execrows
DELETE FROM shop_provider_credentials
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id) AND provider = sqlc.arg(provider);

-- name: FindProviderCredentials :many
-- FindProviderCredentials finds, through the system path, the live shops using a provider account.
SELECT c.* FROM shop_provider_credentials c
JOIN shops s ON s.id = c.shop_id
WHERE c.provider = sqlc.arg(provider) AND c.account_ref = sqlc.arg(account_ref) AND s.archived_at IS NULL
ORDER BY c.shop_id;

-- name: FindShopsByBankAccount :many
-- FindShopsByBankAccount finds, through the system path, the live shops whose VietQR codes pay into a bank
-- account (a bank-transfer webhook authenticated with the deployment's key names only the account).
SELECT merchant_id, id FROM shops
WHERE bank_account_number = sqlc.arg(account_number) AND bank_account_number <> '' AND archived_at IS NULL
ORDER BY id;
