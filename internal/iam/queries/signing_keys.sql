-- Queries both engines run (see sqlc.yaml): the token signing keys of the deployment.

-- name: ListSigningKeys :many
-- ListSigningKeys returns every stored key, oldest generation first.
SELECT kid, generation, algorithm, private_key_sealed, created_at, retire_after
FROM iam_signing_keys
ORDER BY generation;

-- name: MaxSigningKeyGeneration :one
-- MaxSigningKeyGeneration returns the highest generation stored, 0 when there is none.
SELECT CAST(COALESCE(MAX(generation), 0) AS BIGINT) AS generation FROM iam_signing_keys;

-- name: InsertSigningKey :exec
-- InsertSigningKey stores a new key; a generation already taken (a concurrent rotation) is a unique violation.
INSERT INTO iam_signing_keys (kid, generation, algorithm, private_key_sealed, created_at)
VALUES (sqlc.arg(kid), sqlc.arg(generation), sqlc.arg(algorithm), sqlc.arg(private_key_sealed), sqlc.arg(created_at));

-- name: RetireSigningKeysBefore :execrows
-- RetireSigningKeysBefore stops every current key older than a generation from signing, as of retire_after.
UPDATE iam_signing_keys
SET retire_after = sqlc.arg(retire_after)
WHERE generation < sqlc.arg(generation) AND retire_after IS NULL;

-- name: DeleteSigningKeysRetiredBefore :execrows
-- DeleteSigningKeysRetiredBefore removes keys whose tokens have all expired.
DELETE FROM iam_signing_keys
WHERE retire_after IS NOT NULL AND retire_after < sqlc.arg(cutoff);
