-- name: ClaimKey :execrows
-- ClaimKey records a new claim on a key; it affects no row when the scope already holds the key.
INSERT INTO idempotency_keys (
    merchant_id, idem_key, fingerprint, state, owner, lease_expires_at, created_at, expires_at
) VALUES (
    sqlc.arg(merchant_id), sqlc.arg(idem_key), sqlc.arg(fingerprint), 'running', sqlc.arg(owner),
    sqlc.arg(lease_expires_at), sqlc.arg(created_at), sqlc.arg(expires_at)
)
ON CONFLICT (merchant_id, idem_key) DO NOTHING;

-- name: GetKey :one
-- GetKey reads the claim or stored response a scope holds for a key.
SELECT merchant_id, idem_key, fingerprint, state, owner, lease_expires_at, status_code, content_type, location,
       body, created_at, expires_at
FROM idempotency_keys
WHERE merchant_id = sqlc.arg(merchant_id) AND idem_key = sqlc.arg(idem_key);

-- name: TakeOverKey :execrows
-- TakeOverKey gives a key to a new owner when its claim was abandoned (the lease ran out while running) or the
-- whole record has expired. Matching old_owner makes it a compare-and-swap: of two waiters only one wins.
UPDATE idempotency_keys
SET fingerprint = sqlc.arg(fingerprint),
    state = 'running',
    owner = sqlc.arg(new_owner),
    lease_expires_at = sqlc.arg(lease_expires_at),
    status_code = 0,
    content_type = '',
    location = '',
    body = NULL,
    created_at = sqlc.arg(now),
    expires_at = sqlc.arg(expires_at)
WHERE merchant_id = sqlc.arg(merchant_id)
  AND idem_key = sqlc.arg(idem_key)
  AND owner = sqlc.arg(old_owner)
  AND ((state = 'running' AND lease_expires_at <= sqlc.arg(now)) OR expires_at <= sqlc.arg(now));

-- name: RenewLease :execrows
-- RenewLease extends a running claim while its handler still works, so no waiter takes it over.
UPDATE idempotency_keys
SET lease_expires_at = sqlc.arg(lease_expires_at)
WHERE merchant_id = sqlc.arg(merchant_id) AND idem_key = sqlc.arg(idem_key)
  AND owner = sqlc.arg(owner) AND state = 'running';

-- name: CompleteKey :execrows
-- CompleteKey stores the response of a finished claim; it affects no row if the claim was lost meanwhile.
UPDATE idempotency_keys
SET state = 'done',
    status_code = sqlc.arg(status_code),
    content_type = sqlc.arg(content_type),
    location = sqlc.arg(location),
    body = sqlc.arg(body)
WHERE merchant_id = sqlc.arg(merchant_id) AND idem_key = sqlc.arg(idem_key)
  AND owner = sqlc.arg(owner) AND state = 'running';

-- name: ReleaseKey :execrows
-- ReleaseKey drops a claim whose request failed (5xx, panic) so that a retry runs the operation again.
DELETE FROM idempotency_keys
WHERE merchant_id = sqlc.arg(merchant_id) AND idem_key = sqlc.arg(idem_key)
  AND owner = sqlc.arg(owner) AND state = 'running';

-- name: PurgeExpiredKeys :execrows
-- PurgeExpiredKeys deletes every scope's keys past their retention; it runs through the system path.
DELETE FROM idempotency_keys
WHERE expires_at <= sqlc.arg(now);
