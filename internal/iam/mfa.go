package iam

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/iam/iamdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
)

// MFA sign-in: POST /auth/login answers an account with MFA on with an mfa_token instead of tokens. The
// token is 256 random bits, stored only as its SHA-256 in iam_mfa_challenges, lives MFATokenTTL and allows
// mfaMaxAttempts codes; the first right code deletes it, so it works once.
const (
	// MFATokenTTL is how long the second step of a sign-in may take (API.md: 5 minutes).
	MFATokenTTL    = 5 * time.Minute
	mfaMaxAttempts = 5
)

var errMFAToken = apperr.E(apperr.Unauthenticated, "the MFA token is invalid or expired; sign in again")

// errWrongCode is the answer to a wrong, malformed or already used code, whichever it was.
var errWrongCode = apperr.E(apperr.Unauthenticated, "the code is wrong or already used")

// newMFAChallenge stores a challenge for userID and returns its token.
func (s *Service) newMFAChallenge(ctx context.Context, userID string) (string, error) {
	raw := make([]byte, refreshTokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("mfa challenge: %w", err)
	}
	now := dbTime(s.clock.Now())
	err := inTx(ctx, s.db, func(q *iamdb.Queries) error {
		return q.InsertMFAChallenge(ctx, iamdb.InsertMFAChallengeParams{
			TokenHash: hashRefreshToken(raw), UserID: userID, CreatedAt: now, ExpiresAt: now.Add(MFATokenTTL),
		})
	})
	if err != nil {
		return "", fmt.Errorf("mfa challenge: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// loginMFA is the second step of a sign-in: the mfa_token and a TOTP or recovery code give the tokens.
func (s *Service) loginMFA(ctx context.Context, mfaToken, code string, c Client) (TokenPair, error) {
	raw, ok := parseRefreshToken(mfaToken) // same format: 43 base64url characters
	if !ok {
		return TokenPair{}, errMFAToken
	}
	hash := hashRefreshToken(raw)
	var userID string
	err := inTx(ctx, s.db, func(q *iamdb.Queries) error {
		var err error
		userID, err = q.ReserveMFAAttempt(ctx, iamdb.ReserveMFAAttemptParams{
			TokenHash: hash, Now: dbTime(s.clock.Now()), MaxAttempts: mfaMaxAttempts,
		})
		return err
	})
	if err != nil {
		if apperr.KindOf(err) == apperr.NotFound {
			return TokenPair{}, errMFAToken
		}
		return TokenPair{}, fmt.Errorf("login mfa: %w", err)
	}
	u, err := s.user(ctx, userID)
	if err != nil {
		return TokenPair{}, err
	}
	if !u.MfaEnabled || u.DisabledAt.Valid {
		return TokenPair{}, errMFAToken
	}
	method, err := s.checkSecondFactor(ctx, u, code, c)
	if err != nil {
		s.auditAccount(ctx, u.ID, auditEntry{Event: EventMFAFailed, Actor: u.ID}, c)
		return TokenPair{}, err
	}
	var deleted int64
	err = inTx(ctx, s.db, func(q *iamdb.Queries) error {
		var err error
		deleted, err = q.DeleteMFAChallenge(ctx, hash)
		return err
	})
	if err != nil {
		return TokenPair{}, fmt.Errorf("login mfa: %w", err)
	}
	if deleted == 0 { // a concurrent request passed this challenge first
		return TokenPair{}, errMFAToken
	}
	pair, _, err := s.signInUser(ctx, u, "password+"+method, c)
	return pair, err
}

// checkSecondFactor accepts a TOTP code (six digits) or one of the account's recovery codes, each once:
// a TOTP step is recorded with a compare-and-set, a recovery code is marked used with a conditional
// update. It returns "totp" or "recovery_code", or errWrongCode.
func (s *Service) checkSecondFactor(ctx context.Context, u iamdb.IamUser, code string, c Client) (string, error) {
	if !u.TotpSecretSealed.Valid {
		return "", errWrongCode
	}
	digits := strings.Join(strings.Fields(code), "")
	if len(digits) == totpDigits.Length() && strings.Trim(digits, "0123456789") == "" {
		if err := s.useTOTPCode(ctx, u, digits); err != nil {
			return "", err
		}
		return "totp", nil
	}
	hashes, err := iamdb.New(s.db.Reader()).ListUnusedRecoveryCodes(ctx, u.ID)
	if err != nil {
		return "", fmt.Errorf("recovery codes of %s: %w", u.ID, db.MapError(err))
	}
	hash, ok := MatchRecoveryCode(hashes, code)
	if !ok {
		return "", errWrongCode
	}
	var used int64
	err = inTx(ctx, s.db, func(q *iamdb.Queries) error {
		var err error
		used, err = q.UseRecoveryCode(ctx, iamdb.UseRecoveryCodeParams{Now: nullTime(s.clock.Now()), UserID: u.ID, CodeHash: hash})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("use recovery code of %s: %w", u.ID, err)
	}
	if used == 0 {
		return "", errWrongCode
	}
	s.auditAccount(ctx, u.ID, auditEntry{Event: EventRecoveryCodeUsed, Actor: u.ID,
		Detail: map[string]any{"remaining": len(hashes) - 1}}, c)
	return "recovery_code", nil
}

// useTOTPCode checks code against u's secret and records its step, so it cannot be used again.
func (s *Service) useTOTPCode(ctx context.Context, u iamdb.IamUser, code string) error {
	sealed, err := base64.RawStdEncoding.DecodeString(u.TotpSecretSealed.String)
	if err != nil {
		return fmt.Errorf("totp secret of %s: %w", u.ID, err)
	}
	step, err := s.totp.Verify(sealed, u.ID, code, u.TotpLastStep)
	if err != nil {
		if apperr.KindOf(err) == apperr.Unauthenticated {
			return apperr.Wrap(err, apperr.Unauthenticated, apperr.Message(errWrongCode))
		}
		return err
	}
	var advanced int64
	err = inTx(ctx, s.db, func(q *iamdb.Queries) error {
		var err error
		advanced, err = q.AdvanceTOTPStep(ctx, iamdb.AdvanceTOTPStepParams{Step: step, ID: u.ID})
		return err
	})
	if err != nil {
		return fmt.Errorf("record totp step of %s: %w", u.ID, err)
	}
	if advanced == 0 { // another request used this step (or a later one) meanwhile
		return apperr.Wrap(ErrTOTPReplayed, apperr.Unauthenticated, apperr.Message(errWrongCode))
	}
	return nil
}

// codeFieldError turns a refused code into a field error: on enrolment and when turning MFA off the caller
// is signed in, and a 401 would read as "your access token expired".
func codeFieldError(err error) error {
	if apperr.KindOf(err) == apperr.Unauthenticated {
		return &apperr.Error{Kind: apperr.Invalid, Message: "the code is wrong or already used", Err: err,
			Fields: []apperr.FieldError{{Field: "body.code", Message: "is wrong or already used"}}}
	}
	return err
}

var errNotAUser = apperr.E(apperr.Forbidden, "only accounts that sign in with an email and password can use MFA")

// signedInUser reads the account of a user principal (MFA belongs to email accounts, not PIN sessions).
func (s *Service) signedInUser(ctx context.Context, userID, kind string) (iamdb.IamUser, error) {
	if kind != string(KindUser) {
		return iamdb.IamUser{}, errNotAUser
	}
	u, err := s.user(ctx, userID)
	if err != nil {
		return u, err
	}
	if u.Kind != accountUser || !u.Email.Valid || u.DisabledAt.Valid {
		return u, errNotAUser
	}
	return u, nil
}

// enrollTOTP makes a new TOTP secret for the caller, pending until confirmTOTP; 409 when MFA is on.
func (s *Service) enrollTOTP(ctx context.Context, userID, kind string) (TOTPEnrollment, error) {
	u, err := s.signedInUser(ctx, userID, kind)
	if err != nil {
		return TOTPEnrollment{}, err
	}
	if u.MfaEnabled {
		return TOTPEnrollment{}, errMFAOn
	}
	enr, err := s.totp.Enroll(u.ID, u.Email.String)
	if err != nil {
		return TOTPEnrollment{}, err
	}
	var n int64
	err = inTx(ctx, s.db, func(q *iamdb.Queries) error {
		var err error
		n, err = q.SetPendingTOTP(ctx, iamdb.SetPendingTOTPParams{
			TotpSecretSealed: nullString(base64.RawStdEncoding.EncodeToString(enr.Sealed)),
			Now:              dbTime(s.clock.Now()), ID: u.ID,
		})
		return err
	})
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("enroll totp: %w", err)
	}
	if n == 0 {
		return TOTPEnrollment{}, errMFAOn
	}
	return enr, nil
}

var (
	errMFAOn  = apperr.E(apperr.Conflict, "MFA is already on; turn it off first to enrol a new authenticator")
	errMFAOff = apperr.E(apperr.Conflict, "MFA is not on")
)

// confirmTOTP turns MFA on once the caller proves its authenticator works with a first code, and returns
// fresh recovery codes (shown once). Other sessions of the account are signed out: its factors changed.
func (s *Service) confirmTOTP(ctx context.Context, userID, kind, sessionID, code string, c Client) ([]string, error) {
	u, err := s.signedInUser(ctx, userID, kind)
	if err != nil {
		return nil, err
	}
	if u.MfaEnabled {
		return nil, errMFAOn
	}
	if !u.TotpSecretSealed.Valid {
		return nil, apperr.E(apperr.Conflict, "no authenticator is being enrolled; start with /auth/mfa/totp/enroll")
	}
	digits := strings.Join(strings.Fields(code), "")
	if err := s.useTOTPCode(ctx, u, digits); err != nil {
		return nil, codeFieldError(err)
	}
	rc, err := NewRecoveryCodes()
	if err != nil {
		return nil, err
	}
	now := dbTime(s.clock.Now())
	err = inTx(ctx, s.db, func(q *iamdb.Queries) error {
		n, err := q.EnableMFA(ctx, iamdb.EnableMFAParams{Now: now, ID: u.ID})
		if err != nil {
			return err
		}
		if n == 0 {
			return errMFAOn
		}
		if err := q.DeleteRecoveryCodes(ctx, u.ID); err != nil {
			return err
		}
		for _, h := range rc.Hashes {
			if err := q.InsertRecoveryCode(ctx, iamdb.InsertRecoveryCodeParams{UserID: u.ID, CodeHash: h, CreatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("enable mfa: %w", err)
	}
	s.afterFactorChange(ctx, u.ID, sessionID, EventMFAEnabled, c)
	return rc.Codes, nil
}

// disableMFA turns MFA off; it needs a fresh code (TOTP or recovery). Other sessions are signed out.
func (s *Service) disableMFA(ctx context.Context, userID, kind, sessionID, code string, c Client) error {
	u, err := s.signedInUser(ctx, userID, kind)
	if err != nil {
		return err
	}
	if !u.MfaEnabled {
		return errMFAOff
	}
	if _, err := s.checkSecondFactor(ctx, u, code, c); err != nil {
		return codeFieldError(err)
	}
	err = inTx(ctx, s.db, func(q *iamdb.Queries) error {
		n, err := q.DisableMFA(ctx, iamdb.DisableMFAParams{Now: dbTime(s.clock.Now()), ID: u.ID})
		if err != nil {
			return err
		}
		if n == 0 {
			return errMFAOff
		}
		return q.DeleteRecoveryCodes(ctx, u.ID)
	})
	if err != nil {
		return fmt.Errorf("disable mfa: %w", err)
	}
	s.afterFactorChange(ctx, u.ID, sessionID, EventMFADisabled, c)
	return nil
}

// afterFactorChange signs out the account's other sessions and audits the change.
func (s *Service) afterFactorChange(ctx context.Context, userID, keepSession, event string, c Client) {
	n, err := s.refresh.RevokeOtherSessions(ctx, userID, keepSession)
	if err != nil {
		s.log.Error("revoke other sessions after a factor change", "user_id", userID, "error", err)
	}
	s.auditAccount(ctx, userID, auditEntry{Event: event, Actor: userID,
		Detail: map[string]any{"other_sessions_revoked": n}}, c)
}

// revokeOtherSessions signs out every session of the caller except the current one.
func (s *Service) revokeOtherSessions(ctx context.Context, userID, sessionID string, c Client) (int64, error) {
	if sessionID == "" {
		return 0, errors.New("revoke other sessions: the access token names no session")
	}
	n, err := s.refresh.RevokeOtherSessions(ctx, userID, sessionID)
	if err != nil {
		return 0, err
	}
	s.auditAccount(ctx, userID, auditEntry{Event: EventSessionsRevoked, Actor: userID,
		Detail: map[string]any{"count": n}}, c)
	return n, nil
}
