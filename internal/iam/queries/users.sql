-- Queries both engines run (see sqlc.yaml): the global user directory, recovery codes and MFA challenges.

-- name: InsertUser :exec
INSERT INTO iam_users (id, email, password_hash, full_name, phone, kind, pin_hash, created_at, updated_at)
VALUES (sqlc.arg(id), sqlc.narg(email), sqlc.narg(password_hash), sqlc.arg(full_name), sqlc.arg(phone),
        sqlc.arg(kind), sqlc.narg(pin_hash), sqlc.arg(now), sqlc.arg(now));

-- name: GetUserByEmail :one
SELECT * FROM iam_users WHERE email = sqlc.arg(email);

-- name: GetUserByID :one
SELECT * FROM iam_users WHERE id = sqlc.arg(id);

-- name: SetPasswordHash :exec
-- SetPasswordHash replaces a hash made with older argon2id parameters after a successful sign-in.
UPDATE iam_users SET password_hash = sqlc.arg(password_hash), updated_at = sqlc.arg(now) WHERE id = sqlc.arg(id);

-- name: ReservePINAttempt :one
-- ReservePINAttempt counts a PIN attempt before the PIN is checked, unless the account is locked (no row).
-- Counting first means parallel guesses cannot slip past the limit while the slow hash runs.
UPDATE iam_users SET pin_failed_attempts = pin_failed_attempts + 1
WHERE id = sqlc.arg(id) AND (pin_locked_until IS NULL OR pin_locked_until <= sqlc.arg(now))
RETURNING pin_failed_attempts;

-- name: LockPIN :exec
-- LockPIN refuses PIN sign-in until locked_until and starts the count again for after it.
UPDATE iam_users SET pin_locked_until = sqlc.arg(locked_until), pin_failed_attempts = 0, updated_at = sqlc.arg(now)
WHERE id = sqlc.arg(id);

-- name: ResetPINAttempts :exec
-- ResetPINAttempts clears the count after a right PIN.
UPDATE iam_users SET pin_failed_attempts = 0, pin_locked_until = NULL WHERE id = sqlc.arg(id);

-- name: SetPendingTOTP :execrows
-- SetPendingTOTP stores a new TOTP secret for an account whose MFA is not on yet (enrolment).
UPDATE iam_users SET totp_secret_sealed = sqlc.arg(totp_secret_sealed), updated_at = sqlc.arg(now)
WHERE id = sqlc.arg(id) AND NOT mfa_enabled;

-- name: AdvanceTOTPStep :execrows
-- AdvanceTOTPStep records the accepted TOTP step; no row changes when this step (or a later one) was already
-- used, which is how a replayed code is refused even when two requests race.
UPDATE iam_users SET totp_last_step = sqlc.arg(step)
WHERE id = sqlc.arg(id) AND totp_last_step < sqlc.arg(step);

-- name: EnableMFA :execrows
UPDATE iam_users SET mfa_enabled = TRUE, updated_at = sqlc.arg(now)
WHERE id = sqlc.arg(id) AND NOT mfa_enabled AND totp_secret_sealed IS NOT NULL;

-- name: DisableMFA :execrows
UPDATE iam_users SET mfa_enabled = FALSE, totp_secret_sealed = NULL, updated_at = sqlc.arg(now)
WHERE id = sqlc.arg(id) AND mfa_enabled;

-- name: DeleteRecoveryCodes :exec
DELETE FROM iam_recovery_codes WHERE user_id = sqlc.arg(user_id);

-- name: InsertRecoveryCode :exec
INSERT INTO iam_recovery_codes (user_id, code_hash, created_at)
VALUES (sqlc.arg(user_id), sqlc.arg(code_hash), sqlc.arg(created_at));

-- name: ListUnusedRecoveryCodes :many
SELECT code_hash FROM iam_recovery_codes WHERE user_id = sqlc.arg(user_id) AND used_at IS NULL;

-- name: UseRecoveryCode :execrows
-- UseRecoveryCode marks a code used; no row changes when it was used already (single use, even under races).
UPDATE iam_recovery_codes SET used_at = sqlc.arg(now)
WHERE user_id = sqlc.arg(user_id) AND code_hash = sqlc.arg(code_hash) AND used_at IS NULL;

-- name: InsertMFAChallenge :exec
INSERT INTO iam_mfa_challenges (token_hash, user_id, created_at, expires_at)
VALUES (sqlc.arg(token_hash), sqlc.arg(user_id), sqlc.arg(created_at), sqlc.arg(expires_at));

-- name: ReserveMFAAttempt :one
-- ReserveMFAAttempt counts one attempt at a live challenge and returns its user; no row when the challenge is
-- unknown, expired or out of attempts.
UPDATE iam_mfa_challenges SET attempts = attempts + 1
WHERE token_hash = sqlc.arg(token_hash) AND expires_at > sqlc.arg(now) AND attempts < sqlc.arg(max_attempts)
RETURNING user_id;

-- name: DeleteMFAChallenge :execrows
-- DeleteMFAChallenge ends a challenge once it is passed; of two concurrent successes only one deletes it.
DELETE FROM iam_mfa_challenges WHERE token_hash = sqlc.arg(token_hash);

-- name: DeleteMFAChallengesExpiredBefore :execrows
DELETE FROM iam_mfa_challenges WHERE expires_at < sqlc.arg(cutoff);
