package iam

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/goodgo/goodgo/internal/iam/iamdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/tenant"
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
	detail := map[string]any{"shop_id": shopID}
	if deviceID != "" {
		detail["device_id"] = deviceID
	}
	v, err := s.checkPIN(ctx, shopID, staffID, pin, detail, c)
	if err != nil {
		return TokenPair{}, fmt.Errorf("pin login: %w", err)
	}
	pair, err := s.startSession(ctx,
		Session{SubjectID: v.userID, Kind: KindStaff, MerchantID: v.access.MerchantID, ShopID: shopID},
		Claims{Subject: v.userID, Kind: KindStaff, MerchantID: v.access.MerchantID, ShopRoles: map[string][]string{shopID: v.roles}})
	if err != nil {
		return TokenPair{}, err
	}
	detail["session_id"] = pair.SessionID
	s.audit(ctx, v.access.MerchantID, auditEntry{Event: EventPINSucceeded, Actor: v.userID, Detail: detail}, c)
	return pair, nil
}

// Approval is a staff member who approved something with their PIN.
type Approval struct {
	UserID     string
	MerchantID tenant.ID
	Roles      []string // their roles in the shop
}

// ApprovePIN checks staffID's PIN for an approval given in shopID on another person's terminal (a manager
// approving a cashier's void). It counts towards, and obeys, the same lockout as PIN sign-in, and is audited;
// it starts no session. The caller decides whether the roles suffice.
func (s *Service) ApprovePIN(ctx context.Context, shopID, staffID, pin, purpose string, c Client) (Approval, error) {
	detail := map[string]any{"shop_id": shopID, "purpose": purpose}
	v, err := s.checkPIN(ctx, shopID, staffID, pin, detail, c)
	if err != nil {
		return Approval{}, fmt.Errorf("approval: %w", err)
	}
	s.audit(ctx, v.access.MerchantID, auditEntry{Event: EventPINApproved, Actor: v.userID, Detail: detail}, c)
	return Approval{UserID: v.userID, MerchantID: v.access.MerchantID, Roles: v.roles}, nil
}

// verifiedPIN is a member of a shop whose PIN was right.
type verifiedPIN struct {
	userID string
	access Access
	roles  []string
}

// checkPIN checks staffID's PIN in shopID under the lockout rules described above.
func (s *Service) checkPIN(ctx context.Context, shopID, staffID, pin string, detail map[string]any, c Client) (verifiedPIN, error) {
	u, err := s.user(ctx, staffID)
	if err != nil && apperr.KindOf(err) != apperr.NotFound {
		return verifiedPIN{}, err
	}
	var (
		a     Access
		roles []string
	)
	if err == nil && u.PinHash.Valid && !u.DisabledAt.Valid {
		if a, err = s.access(ctx, u.ID); err != nil {
			return verifiedPIN{}, err
		}
		roles = shopScopedRoles(a, shopID)
	}
	if len(roles) == 0 {
		if err := s.hasher.VerifyAbsent(ctx, pin); err != nil {
			return verifiedPIN{}, err
		}
		return verifiedPIN{}, errBadPIN
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
			return verifiedPIN{}, err
		}
		return verifiedPIN{}, newPINLocked(u.PinLockedUntil.Time, now)
	case err != nil:
		return verifiedPIN{}, err
	case int(attempts) > s.cfg.PINMaxFailures: // guesses in flight beyond the limit
		return verifiedPIN{}, s.lockPIN(ctx, u.ID, now, attempts, detail, c, a)
	}

	ok, err := s.hasher.Verify(ctx, pin, u.PinHash.String)
	if err != nil {
		return verifiedPIN{}, err
	}
	if !ok {
		detail["attempts"] = attempts
		s.audit(ctx, a.MerchantID, auditEntry{Event: EventPINFailed, Actor: u.ID, Detail: detail}, c)
		if int(attempts) >= s.cfg.PINMaxFailures {
			return verifiedPIN{}, s.lockPIN(ctx, u.ID, now, attempts, detail, c, a)
		}
		return verifiedPIN{}, errBadPIN
	}
	if err := inTx(ctx, s.db, func(q *iamdb.Queries) error { return q.ResetPINAttempts(ctx, u.ID) }); err != nil {
		return verifiedPIN{}, err
	}
	delete(detail, "attempts")
	return verifiedPIN{userID: u.ID, access: a, roles: roles}, nil
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
