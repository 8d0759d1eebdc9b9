// Package iam is the identity and access module: who the caller is and what it may do.
//
// The security core, on which everything else stands:
//
//   - PasswordHasher (password.go): argon2id hashes in PHC form, bounded by a semaphore so that a login storm
//     cannot take every CPU away from order traffic; PasswordPolicy refuses short and common passwords.
//   - KeyRing and Tokens (keys.go, token.go): RS256 access tokens signed with keys that rotate, stored
//     sealed in iam_signing_keys, published as a JWKS and an OpenID discovery document.
//   - RefreshStore (refresh.go): opaque refresh tokens kept as hashes, rotated on every use; presenting a
//     token that was already rotated revokes its whole family.
//   - TOTP and recovery codes (totp.go).
//
// The module on top of it (service.go, accounts.go, mfa.go, pin.go, audit.go, http.go): Service with sign-up,
// email and password sign-in with an optional TOTP second step, staff PIN sign-in scoped to one shop,
// refresh, logout, MFA enrolment, the audit log, the operations of API.md "Auth and identity", and the
// httpapi.Authenticator every request goes through. What an account may do in which merchant and shop is the
// merchant module's answer (the Merchants interface); iam only carries it into tokens.
//
// Tables. Every table but one is global, not tenant data, so they carry no merchant_id and no row-level
// security: signing keys belong to the deployment; the user directory (iam_users) and its MFA state
// (iam_recovery_codes, iam_mfa_challenges) are read by email sign-in, MFA and PIN sign-in before any tenant
// is known — "login by email" is one of the cross-tenant paths ARCHITECTURE.md allows, made safe by the
// table not being tenant-scoped rather than by the system path; and a refresh token is presented without
// any tenant context. The merchant a session acts for is recorded as scope_merchant_id and only ever copied
// into the next access token. The one tenant table is iam_audit_log: each row has merchant_id, every query
// names the merchant, and on PostgreSQL forced row-level security confines a transaction to the merchant it
// was opened for; it is only written and read in db.WithTx / db.ReadTx of that merchant.
package iam

import (
	"embed"
	"slices"
	"time"

	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations creates the module's tables (iam_signing_keys, iam_refresh_tokens, iam_users,
// iam_recovery_codes, iam_mfa_challenges, iam_audit_log) on either engine.
var Migrations = migrate.Embedded("iam", migrationFiles)

// PrincipalKind says how a principal authenticated: a user with email and password, or a staff member with
// a PIN on a shop terminal.
type PrincipalKind string

// The principal kinds carried in tokens.
const (
	KindUser  PrincipalKind = "user"
	KindStaff PrincipalKind = "staff"
)

// Valid reports whether k is a known kind.
func (k PrincipalKind) Valid() bool { return k == KindUser || k == KindStaff }

// Claims is what an access token says about its holder.
type Claims struct {
	// Subject is the user or staff account id (the "sub" claim).
	Subject string
	// Kind says whether Subject is a user or a staff account.
	Kind PrincipalKind
	// MerchantID is the tenant the holder acts for; empty for a platform account without one.
	MerchantID tenant.ID
	// Roles are the holder's merchant-wide roles ("owner", "manager"), or the platform's ("admin") or a
	// customer's ("customer").
	Roles []string
	// ShopRoles are roles held in one shop only, by shop id ("cashier", "waiter", "kitchen"); a token scoped
	// to one shop (a PIN login) has no Roles and one entry here.
	ShopRoles map[string][]string
	// SessionID is the refresh-token family the token was issued in ("sid"), so a request can tell its own
	// session apart when signing out the others.
	SessionID string

	// ID is the token's unique id ("jti"); set by Issue and Verify, ignored on input.
	ID string
	// IssuedAt and ExpiresAt are set by Issue and Verify, ignored on input.
	IssuedAt, ExpiresAt time.Time
}

// clone returns a deep copy, so that callers may change what Verify returns without touching its cache.
func (c *Claims) clone() *Claims {
	out := *c
	out.Roles = slices.Clone(c.Roles)
	if c.ShopRoles != nil {
		out.ShopRoles = make(map[string][]string, len(c.ShopRoles))
		for shop, roles := range c.ShopRoles {
			out.ShopRoles[shop] = slices.Clone(roles)
		}
	}
	return &out
}

// Principal turns verified claims into the caller of a request, as the HTTP layer knows it.
func (c *Claims) Principal() *httpapi.Principal {
	return &httpapi.Principal{
		UserID:     c.Subject,
		MerchantID: c.MerchantID,
		Roles:      c.Roles,
		ShopRoles:  c.ShopRoles,
		Kind:       string(c.Kind),
		SessionID:  c.SessionID,
	}
}
