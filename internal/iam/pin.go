package iam

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/goodgo/goodgo/internal/iam/iamdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
)

// Staff PIN sign-in on a shop terminal.
//
// A PIN has at most a million values, so it is only safe behind a lockout: Config.PINMaxFailures wrong PINs
// in a row lock PIN sign-in of the account for Config.PINLockout. Each attempt is counted before the PIN is
// checked (ReservePINAttempt), so parallel guesses cannot get past the limit while the hash runs.
//
// Only attempts by a member of the named shop count and can lock: an id that does not exist, has no PIN,
// or works for another shop or merchant gets the same answer as a wrong PIN after the same hashing work, is
// not counted and is not audited. So a terminal cannot tell whether a staff id exists elsewhere, nor lock
// out another merchant's people.

var errBadPIN = apperr.E(apperr.Unauthenticated, "the staff member or PIN is wrong")

// pinLockedError refuses a locked account until a time; it is a 429 whose Retry-After says when to retry.
type pinLockedError struct {
	err   *apperr.Error
	retry time.Duration
}

func newPINLocked(until, now time.Time) error {
	minutes := int(until.Sub(now).Round(time.Minute) / time.Minute)
	return &pinLockedError{
		err:   apperr.E(apperr.RateLimited, "too many wrong PINs: PIN sign-in is locked for %d more minute(s)", max(1, minutes)),
		retry: until.Sub(now),
	}
}

func (e *pinLockedError) Error() string { return e.err.Error() }

// Unwrap exposes the apperr error, so the HTTP layer maps the kind.
func (e *pinLockedError) Unwrap() error { return e.err }

// GetHeaders sets Retry-After to the end of the lock.
func (e *pinLockedError) GetHeaders() http.Header {
	return http.Header{"Retry-After": {strconv.Itoa(max(1, int((e.retry+time.Second-1)/time.Second)))}}
}

// pinLogin signs staffID in to shopID with its PIN and returns tokens scoped to that one shop.
func (s *Service) pinLogin(ctx context.Context, shopID, staffID, pin, deviceSecret string, c Client) (TokenPair, error) {
	// The terminal is checked first: away from a registered terminal of a shop that requires one, a PIN is
	// not even tried (so it cannot be guessed from elsewhere, nor can its owner be locked out from there).
	deviceID, err := s.merchants.CheckDevice(ctx, shopID, deviceSecret)
	if err != nil {
		s.log.Info("pin login refused: unregistered terminal", "shop_id", shopID, "ip", c.IP)
		return TokenPair{}, fmt.Errorf("pin login: %w", err)
	}
	u, err := s.user(ctx, staffID)
	if err != nil && apperr.KindOf(err) != apperr.NotFound {
		return TokenPair{}, fmt.Errorf("pin login: %w", err)
	}
	var (
		a     Access
		roles []string
	)
	if err == nil && u.PinHash.Valid && !u.DisabledAt.Valid {
		if a, err = s.access(ctx, u.ID); err != nil {
			return TokenPair{}, fmt.Errorf("pin login: %w", err)
		}
		roles = shopScopedRoles(a, shopID)
	}
	if len(roles) == 0 {
		if err := s.hasher.VerifyAbsent(ctx, pin); err != nil {
			return TokenPair{}, fmt.Errorf("pin login: %w", err)
		}
		return TokenPair{}, errBadPIN
	}
	detail := map[string]any{"shop_id": shopID}
	if deviceID != "" {
		detail["device_id"] = deviceID
	}

	now := dbTime(s.clock.Now())
	var attempts int32
	err = inTx(ctx, s.db, func(q *iamdb.Queries) error {
		var err error
		attempts, err = q.ReservePINAttempt(ctx, iamdb.ReservePINAttemptParams{ID: u.ID, Now: nullTime(now)})
		return err
	})
	switch {
	case apperr.KindOf(err) == apperr.NotFound: // locked
		u, err := s.user(ctx, u.ID)
		if err != nil {
			return TokenPair{}, err
		}
		return TokenPair{}, newPINLocked(u.PinLockedUntil.Time, now)
	case err != nil:
		return TokenPair{}, fmt.Errorf("pin login: %w", err)
	case int(attempts) > s.cfg.PINMaxFailures: // guesses in flight beyond the limit
		return TokenPair{}, s.lockPIN(ctx, u.ID, now, attempts, detail, c, a)
	}

	ok, err := s.hasher.Verify(ctx, pin, u.PinHash.String)
	if err != nil {
		return TokenPair{}, fmt.Errorf("pin login: %w", err)
	}
	if !ok {
		detail["attempts"] = attempts
		s.audit(ctx, a.MerchantID, auditEntry{Event: EventPINFailed, Actor: u.ID, Detail: detail}, c)
		if int(attempts) >= s.cfg.PINMaxFailures {
			return TokenPair{}, s.lockPIN(ctx, u.ID, now, attempts, detail, c, a)
		}
		return TokenPair{}, errBadPIN
	}
	err = inTx(ctx, s.db, func(q *iamdb.Queries) error { return q.ResetPINAttempts(ctx, u.ID) })
	if err != nil {
		return TokenPair{}, fmt.Errorf("pin login: %w", err)
	}
	pair, err := s.startSession(ctx,
		Session{SubjectID: u.ID, Kind: KindStaff, MerchantID: a.MerchantID, ShopID: shopID},
		Claims{Subject: u.ID, Kind: KindStaff, MerchantID: a.MerchantID, ShopRoles: map[string][]string{shopID: roles}})
	if err != nil {
		return TokenPair{}, err
	}
	detail["session_id"] = pair.SessionID
	s.audit(ctx, a.MerchantID, auditEntry{Event: EventPINSucceeded, Actor: u.ID, Detail: detail}, c)
	return pair, nil
}

// lockPIN locks PIN sign-in of userID for the configured time, audits it and returns the refusal.
func (s *Service) lockPIN(ctx context.Context, userID string, now time.Time, attempts int32, detail map[string]any, c Client, a Access) error {
	until := now.Add(s.cfg.PINLockout)
	err := inTx(ctx, s.db, func(q *iamdb.Queries) error {
		return q.LockPIN(ctx, iamdb.LockPINParams{LockedUntil: nullTime(until), Now: now, ID: userID})
	})
	if err != nil {
		return fmt.Errorf("lock pin: %w", err)
	}
	detail["attempts"] = attempts
	detail["locked_until"] = until.Format(time.RFC3339)
	s.audit(ctx, a.MerchantID, auditEntry{Event: EventPINLocked, Actor: userID, Detail: detail}, c)
	return newPINLocked(until, now)
}
