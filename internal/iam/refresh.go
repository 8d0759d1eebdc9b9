package iam

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/goodgo/goodgo/internal/iam/iamdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// RefreshTTL is how long a refresh token may be used: each rotation hands out a new token good for as long.
const RefreshTTL = 7 * 24 * time.Hour

// StaffSessionTTL is how long a staff PIN session lasts, counted from the PIN login: a shift, not a week.
// Unlike a user's session it does not slide — rotating a staff token hands out a successor that expires
// when its predecessor would have — so a terminal left signed in needs the PIN again after at most 12 hours.
const StaffSessionTTL = 12 * time.Hour

// refreshTokenBytes is the entropy of a refresh token: 256 bits, written as 43 base64url characters.
const refreshTokenBytes = 32

// ErrRefreshTokenReused is wrapped in the Unauthenticated error Rotate returns when a token that was already
// rotated is presented again: someone holds a copy of it, so its whole family has been revoked. The caller
// writes a security audit entry.
var ErrRefreshTokenReused = errors.New("refresh token reused; session revoked")

// Session is what a refresh-token family stands for: one sign-in of one principal.
type Session struct {
	// FamilyID identifies the family (the access token's "sid"); set by Start.
	FamilyID string
	// SubjectID is the user or staff account signed in.
	SubjectID string
	// Kind says whether SubjectID is a user or a staff account.
	Kind PrincipalKind
	// MerchantID is the merchant the session acts for (empty for a platform account). It is not a tenant
	// key of the stored row: the refresh table is global (see the package comment).
	MerchantID tenant.ID
	// ShopID is the shop a PIN session is bound to; empty for a session not bound to one shop.
	ShopID string
}

// RefreshToken is a refresh token as handed to the client: shown once, stored only as its SHA-256.
type RefreshToken struct {
	Token     string
	ExpiresAt time.Time
}

// RefreshStore keeps refresh tokens in iam_refresh_tokens. Every token is used once: Rotate marks it
// rotated and returns its successor in the same family, and presenting a rotated token again revokes the
// family. The table is global; no method needs a tenant. It is safe for concurrent use, across replicas
// too: the database decides which of two concurrent uses of one token wins.
type RefreshStore struct {
	db    *db.DB
	clock clock.Clock
}

// NewRefreshStore returns a store over d's iam_refresh_tokens.
func NewRefreshStore(d *db.DB, c clock.Clock) *RefreshStore {
	return &RefreshStore{db: d, clock: c}
}

// Start begins a new family for sess (a login) and returns its first token (valid RefreshTTL, or
// StaffSessionTTL for a staff session) and the session with its FamilyID set.
func (s *RefreshStore) Start(ctx context.Context, sess Session) (RefreshToken, Session, error) {
	if sess.SubjectID == "" || !sess.Kind.Valid() {
		return RefreshToken{}, Session{}, fmt.Errorf("start session: subject %q of kind %q", sess.SubjectID, sess.Kind)
	}
	sess.FamilyID = db.NewID()
	var tok RefreshToken
	err := inTx(ctx, s.db, func(q *iamdb.Queries) error {
		var err error
		now := dbTime(s.clock.Now())
		expires := now.Add(RefreshTTL)
		if sess.Kind == KindStaff {
			expires = now.Add(StaffSessionTTL)
		}
		tok, err = s.insert(ctx, q, sess, now, expires)
		return err
	})
	if err != nil {
		return RefreshToken{}, Session{}, fmt.Errorf("start session: %w", err)
	}
	return tok, sess, nil
}

// insert stores a new token of sess's family, valid until expires.
func (s *RefreshStore) insert(ctx context.Context, q *iamdb.Queries, sess Session, now, expires time.Time) (RefreshToken, error) {
	raw := make([]byte, refreshTokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return RefreshToken{}, err
	}
	tok := RefreshToken{Token: base64.RawURLEncoding.EncodeToString(raw), ExpiresAt: dbTime(expires)}
	err := q.InsertRefreshToken(ctx, iamdb.InsertRefreshTokenParams{
		ID:              db.NewID(),
		FamilyID:        sess.FamilyID,
		TokenHash:       hashRefreshToken(raw),
		SubjectID:       sess.SubjectID,
		SubjectKind:     string(sess.Kind),
		ScopeMerchantID: string(sess.MerchantID),
		ScopeShopID:     sess.ShopID,
		CreatedAt:       now,
		ExpiresAt:       tok.ExpiresAt,
	})
	return tok, err
}

// hashRefreshToken is what is stored: SHA-256 of the token's 256 random bits. A fast hash is right here,
// unlike for passwords: the input cannot be guessed, so there is nothing to slow down.
func hashRefreshToken(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// parseRefreshToken decodes a presented token; anything that is not 43 base64url characters is refused
// without a database query.
func parseRefreshToken(token string) ([]byte, bool) {
	if len(token) != base64.RawURLEncoding.EncodedLen(refreshTokenBytes) {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	return raw, err == nil && len(raw) == refreshTokenBytes
}

func invalidRefresh(cause error) error {
	return apperr.Wrap(cause, apperr.Unauthenticated, "the refresh token is invalid or expired")
}

var (
	errRefreshUnknown = errors.New("unknown refresh token")
	errRefreshExpired = errors.New("refresh token expired")
	errRefreshRevoked = errors.New("refresh token revoked")
)

// Rotate uses a refresh token: it marks it rotated and returns its successor (valid RefreshTTL from now;
// a staff session's successor expires with its predecessor)
// and the session it belongs to, from which the caller issues a new access token. Of two concurrent uses
// of one token exactly one succeeds. It fails with kind Unauthenticated when the token is unknown, expired
// or revoked, and when it was already rotated — then the whole family is revoked (the error wraps
// ErrRefreshTokenReused and the returned Session names the family, for the audit log).
func (s *RefreshStore) Rotate(ctx context.Context, token string) (RefreshToken, Session, error) {
	raw, ok := parseRefreshToken(token)
	if !ok {
		return RefreshToken{}, Session{}, invalidRefresh(errRefreshUnknown)
	}
	hash := hashRefreshToken(raw)
	now := dbTime(s.clock.Now())
	var (
		next    RefreshToken
		sess    Session
		refusal error
	)
	err := inTx(ctx, s.db, func(q *iamdb.Queries) error {
		used, err := q.UseRefreshToken(ctx, iamdb.UseRefreshTokenParams{TokenHash: hash, Now: nullTime(now)})
		if err != nil {
			return err
		}
		row, err := q.GetRefreshToken(ctx, hash)
		if err != nil {
			if apperr.KindOf(db.MapError(err)) == apperr.NotFound {
				refusal = errRefreshUnknown
				return nil
			}
			return err
		}
		sess = sessionOf(row)
		if used == 1 {
			expires := now.Add(RefreshTTL)
			if sess.Kind == KindStaff {
				expires = row.ExpiresAt // a staff session does not slide (StaffSessionTTL)
			}
			next, err = s.insert(ctx, q, sess, now, expires)
			return err
		}
		switch row.Status {
		case "rotated":
			// A second use: the client and someone else both hold this token. Revoke the family and commit
			// that, even though the caller gets an error.
			if _, err := q.RevokeRefreshFamily(ctx, iamdb.RevokeRefreshFamilyParams{FamilyID: row.FamilyID, Now: nullTime(now)}); err != nil {
				return err
			}
			refusal = ErrRefreshTokenReused
		case "revoked":
			refusal = errRefreshRevoked
		default: // active but past expires_at
			refusal = errRefreshExpired
		}
		return nil
	})
	if err != nil {
		return RefreshToken{}, Session{}, fmt.Errorf("rotate refresh token: %w", err)
	}
	if refusal != nil {
		if !errors.Is(refusal, ErrRefreshTokenReused) {
			sess = Session{}
		}
		return RefreshToken{}, sess, invalidRefresh(refusal)
	}
	return next, sess, nil
}

func sessionOf(row iamdb.IamRefreshToken) Session {
	return Session{
		FamilyID:   row.FamilyID,
		SubjectID:  row.SubjectID,
		Kind:       PrincipalKind(row.SubjectKind),
		MerchantID: tenant.ID(row.ScopeMerchantID),
		ShopID:     row.ScopeShopID,
	}
}

// Family returns the family a presented token belongs to, without using it, so that the refresh
// operation can rate-limit per session before rotating; false for a malformed or unknown token.
func (s *RefreshStore) Family(ctx context.Context, token string) (string, bool, error) {
	raw, ok := parseRefreshToken(token)
	if !ok {
		return "", false, nil
	}
	row, err := iamdb.New(s.db.Reader()).GetRefreshToken(ctx, hashRefreshToken(raw))
	if err != nil {
		if err = db.MapError(err); apperr.KindOf(err) == apperr.NotFound {
			return "", false, nil
		}
		return "", false, fmt.Errorf("find refresh family: %w", err)
	}
	return row.FamilyID, true, nil
}

// Revoke ends the session a refresh token belongs to (logout): its family can no longer be refreshed. An
// unknown or malformed token is not an error — logout answers the same either way — and returns a zero
// Session; otherwise the Session names what was signed out.
func (s *RefreshStore) Revoke(ctx context.Context, token string) (Session, error) {
	raw, ok := parseRefreshToken(token)
	if !ok {
		return Session{}, nil
	}
	hash := hashRefreshToken(raw)
	var sess Session
	err := inTx(ctx, s.db, func(q *iamdb.Queries) error {
		row, err := q.GetRefreshToken(ctx, hash)
		if err != nil {
			if apperr.KindOf(db.MapError(err)) == apperr.NotFound {
				return nil
			}
			return err
		}
		sess = sessionOf(row)
		_, err = q.RevokeRefreshFamily(ctx, iamdb.RevokeRefreshFamilyParams{FamilyID: row.FamilyID, Now: nullTime(s.clock.Now())})
		return err
	})
	if err != nil {
		return Session{}, fmt.Errorf("revoke refresh token: %w", err)
	}
	return sess, nil
}

// RevokeFamily ends one session by its family id (the access token's "sid").
func (s *RefreshStore) RevokeFamily(ctx context.Context, familyID string) error {
	err := inTx(ctx, s.db, func(q *iamdb.Queries) error {
		_, err := q.RevokeRefreshFamily(ctx, iamdb.RevokeRefreshFamilyParams{FamilyID: familyID, Now: nullTime(s.clock.Now())})
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke session %s: %w", familyID, err)
	}
	return nil
}

// RevokeOtherSessions ends every session of a user or staff account except keepFamilyID ("sign out other
// sessions", and after a password or MFA change); an empty keepFamilyID ends them all. It returns how many
// sessions it ended. Access tokens already issued stay valid until they expire (at most the access TTL).
func (s *RefreshStore) RevokeOtherSessions(ctx context.Context, subjectID, keepFamilyID string) (int64, error) {
	var n int64
	err := inTx(ctx, s.db, func(q *iamdb.Queries) error {
		var err error
		n, err = q.RevokeSubjectRefreshFamilies(ctx, iamdb.RevokeSubjectRefreshFamiliesParams{
			SubjectID: subjectID, KeepFamilyID: keepFamilyID, Now: nullTime(s.clock.Now()),
		})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("revoke other sessions of %s: %w", subjectID, err)
	}
	return n, nil
}

// ActiveSessions counts the sessions of a user or staff account that can still be refreshed.
func (s *RefreshStore) ActiveSessions(ctx context.Context, subjectID string) (int64, error) {
	n, err := iamdb.New(s.db.Reader()).CountActiveRefreshFamilies(ctx, iamdb.CountActiveRefreshFamiliesParams{
		SubjectID: subjectID, Now: dbTime(s.clock.Now()),
	})
	if err != nil {
		return 0, fmt.Errorf("count sessions of %s: %w", subjectID, db.MapError(err))
	}
	return n, nil
}

// PurgeExpired deletes tokens past their expiry (they can no longer be used, and a replay of one is refused
// as unknown instead of revoking a family that has long moved on). Run it from a periodic worker.
func (s *RefreshStore) PurgeExpired(ctx context.Context) (int64, error) {
	var n int64
	err := inTx(ctx, s.db, func(q *iamdb.Queries) error {
		var err error
		n, err = q.DeleteRefreshTokensExpiredBefore(ctx, dbTime(s.clock.Now()))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purge expired refresh tokens: %w", err)
	}
	return n, nil
}
