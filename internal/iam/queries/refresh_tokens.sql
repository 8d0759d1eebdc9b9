-- Queries both engines run (see sqlc.yaml): refresh tokens, stored as hashes, grouped in families.

-- name: InsertRefreshToken :exec
INSERT INTO iam_refresh_tokens (
    id, family_id, token_hash, subject_id, subject_kind, scope_merchant_id, scope_shop_id, status,
    created_at, expires_at
) VALUES (
    sqlc.arg(id), sqlc.arg(family_id), sqlc.arg(token_hash), sqlc.arg(subject_id), sqlc.arg(subject_kind),
    sqlc.arg(scope_merchant_id), sqlc.arg(scope_shop_id), 'active', sqlc.arg(created_at), sqlc.arg(expires_at)
);

-- name: UseRefreshToken :execrows
-- UseRefreshToken marks an active, unexpired token rotated. It is the compare-and-set that lets exactly one of
-- two concurrent uses of the same token through: the second finds the row no longer active.
UPDATE iam_refresh_tokens
SET status = 'rotated', used_at = sqlc.arg(now)
WHERE token_hash = sqlc.arg(token_hash) AND status = 'active' AND expires_at > sqlc.arg(now);

-- name: GetRefreshToken :one
SELECT id, family_id, token_hash, subject_id, subject_kind, scope_merchant_id, scope_shop_id, status,
       created_at, expires_at, used_at, revoked_at
FROM iam_refresh_tokens
WHERE token_hash = sqlc.arg(token_hash);

-- name: RevokeRefreshFamily :execrows
-- RevokeRefreshFamily revokes the still usable token of a family (rotated ones stay rotated, as evidence).
UPDATE iam_refresh_tokens
SET status = 'revoked', revoked_at = sqlc.arg(now)
WHERE family_id = sqlc.arg(family_id) AND status = 'active';

-- name: RevokeSubjectRefreshFamilies :execrows
-- RevokeSubjectRefreshFamilies revokes every family of a user or staff account except one ('' keeps none).
UPDATE iam_refresh_tokens
SET status = 'revoked', revoked_at = sqlc.arg(now)
WHERE subject_id = sqlc.arg(subject_id) AND family_id <> sqlc.arg(keep_family_id) AND status = 'active';

-- name: DeleteRefreshTokensExpiredBefore :execrows
-- DeleteRefreshTokensExpiredBefore purges tokens that can no longer be used nor tell of a reuse.
DELETE FROM iam_refresh_tokens WHERE expires_at < sqlc.arg(cutoff);

-- name: CountActiveRefreshFamilies :one
-- CountActiveRefreshFamilies counts the sessions of a user or staff account that can still be refreshed.
SELECT COUNT(DISTINCT family_id) FROM iam_refresh_tokens
WHERE subject_id = sqlc.arg(subject_id) AND status = 'active' AND expires_at > sqlc.arg(now);
