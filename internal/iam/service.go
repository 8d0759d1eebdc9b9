package iam

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/goodgo/goodgo/internal/iam/iamdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/rbac"
	"github.com/goodgo/goodgo/internal/platform/secretbox"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Merchants is what iam needs from the merchant module (the composition root adapts the merchant service to
// it; iam never imports that module).
type Merchants interface {
	// CreateMerchant creates merchant id (chosen by iam) named name, owned by ownerUserID, inside tx (the
	// caller's sign-up transaction, opened with db.WithTx(ctx, id, …)), with the 30-day Pro trial. An error
	// of kind Invalid (a field error on "body.merchant_name") is shown to the caller as is.
	CreateMerchant(ctx context.Context, tx *sql.Tx, id tenant.ID, name, ownerUserID string) (MerchantInfo, error)
	// Access returns what userID may do: its merchant, merchant-wide roles and per-shop roles. An account
	// that belongs to no merchant gets the zero Access (or an error of kind NotFound, read the same way).
	Access(ctx context.Context, userID string) (Access, error)
	// CheckDevice says whether shop shopID accepts PIN sign-in from the terminal holding secret ("" when it
	// sent none): it returns the registered device's id ("" when the secret is no device of the shop), and an
	// error of kind Forbidden when the shop requires a registered terminal and this is not one.
	CheckDevice(ctx context.Context, shopID, secret string) (deviceID string, err error)
}

// MerchantInfo describes a merchant as the sign-up answer and /me show it.
type MerchantInfo struct {
	ID          tenant.ID
	Name        string
	Plan        string
	TrialEndsAt time.Time // zero when the merchant is not on a trial
}

// Access is what an account may do: the merchant it acts for, its merchant-wide roles ("owner",
// "manager") and its roles per shop id ("cashier", "waiter", "kitchen", "manager").
type Access struct {
	MerchantID tenant.ID
	Roles      []string
	ShopRoles  map[string][]string
	// Merchant optionally describes the merchant, for /me; nil shows only its id.
	Merchant *MerchantInfo
}

// Config tunes the service; zero fields take the defaults in brackets.
type Config struct {
	// PublicURL is GOODGO_PUBLIC_URL: the tokens' issuer and the base of the discovery document. Required.
	PublicURL string
	// Hasher sets the argon2id costs and how many hashes run at once [OWASP minimum, one per CPU; see
	// BenchmarkLoginUnderLoad for what a sign-in storm does to other requests with either setting].
	Hasher HasherConfig
	// KeyRing tunes the signing keys: access-token lifetime [15 min], reloads, rotation.
	KeyRing KeyRingConfig
	// PINMaxFailures wrong PINs in a row lock PIN sign-in of the account [5] for PINLockout [15 min].
	PINMaxFailures int
	PINLockout     time.Duration
	// PurgeInterval is how often the purge worker deletes expired refresh tokens and MFA challenges [1 h].
	PurgeInterval time.Duration
}

func (c *Config) defaults() {
	if c.PINMaxFailures <= 0 {
		c.PINMaxFailures = 5
	}
	if c.PINLockout <= 0 {
		c.PINLockout = 15 * time.Minute
	}
	if c.PurgeInterval <= 0 {
		c.PurgeInterval = time.Hour
	}
}

// Deps are the service's collaborators.
type Deps struct {
	// DB holds the module's tables (migrate it with Migrations). Required.
	DB *db.DB
	// Merchants answers which merchant and roles an account has, and creates merchants at sign-up. Required.
	Merchants Merchants
	// SigningKeys seals the token signing keys at rest, e.g. secretbox.New(kit.DeriveKey("iam-signing-keys")).
	// Required.
	SigningKeys *secretbox.Box
	// TOTPSecrets seals the users' TOTP secrets, e.g. secretbox.New(kit.DeriveKey("iam-totp")). Required.
	TOTPSecrets *secretbox.Box
	// Clock gives the time; nil selects the system clock.
	Clock clock.Clock
	// Log receives the workers' failures and the security events also written to the audit log; nil
	// discards them.
	Log *slog.Logger
	// Config tunes the service.
	Config Config
}

// Service is the iam module: sign-up, sign-in (password, MFA, staff PIN), sessions, the audit log, and the
// Authenticator every request goes through. It is safe for concurrent use.
type Service struct {
	db        *db.DB
	merchants Merchants
	clock     clock.Clock
	log       *slog.Logger
	cfg       Config

	hasher    *PasswordHasher
	policy    *PasswordPolicy
	ring      *KeyRing
	tokens    *Tokens
	refresh   *RefreshStore
	totp      *TOTP
	discovery Discovery
}

// startTimeout bounds loading the signing keys in New.
const startTimeout = 30 * time.Second

// New builds the service and loads the token signing keys (creating the first one on a new database), so
// that tokens can be issued and verified as soon as it returns.
func New(deps Deps) (*Service, error) {
	switch {
	case deps.DB == nil:
		return nil, errors.New("iam: Deps.DB is required")
	case deps.Merchants == nil:
		return nil, errors.New("iam: Deps.Merchants is required")
	case deps.SigningKeys == nil || deps.TOTPSecrets == nil:
		return nil, errors.New("iam: Deps.SigningKeys and Deps.TOTPSecrets are required")
	case deps.Config.PublicURL == "":
		return nil, errors.New("iam: Config.PublicURL is required (the token issuer)")
	}
	if deps.Clock == nil {
		deps.Clock = clock.System{}
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg := deps.Config
	cfg.defaults()
	if cfg.KeyRing.Log == nil {
		cfg.KeyRing.Log = deps.Log
	}
	hasher, err := NewPasswordHasher(cfg.Hasher)
	if err != nil {
		return nil, fmt.Errorf("iam: %w", err)
	}
	ring := NewKeyRing(deps.DB, deps.SigningKeys, deps.Clock, cfg.KeyRing)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := ring.Load(ctx); err != nil {
		return nil, fmt.Errorf("iam: %w", err)
	}
	return &Service{
		db:        deps.DB,
		merchants: deps.Merchants,
		clock:     deps.Clock,
		log:       deps.Log,
		cfg:       cfg,
		hasher:    hasher,
		policy:    NewPasswordPolicy(),
		ring:      ring,
		tokens:    NewTokens(ring, cfg.PublicURL),
		refresh:   NewRefreshStore(deps.DB, deps.Clock),
		totp:      NewTOTP(deps.TOTPSecrets, deps.Clock),
		discovery: NewDiscovery(cfg.PublicURL),
	}, nil
}

// KeyRing returns the ring of signing keys (operators rotate with it; Workers keeps it current).
func (s *Service) KeyRing() *KeyRing { return s.ring }

// Worker is a long-running task of the module, for the composition root to start (Kit.Go) when the module
// is active. Run returns nil when ctx ends.
type Worker struct {
	Name string
	Run  func(ctx context.Context) error
}

// Workers returns the module's background tasks: "iam-keyring" reloads the signing keys every minute (so
// replicas learn of rotations) and rotates them when Config.KeyRing.RotateEvery is set; "iam-purge"
// deletes expired refresh tokens and MFA challenges every Config.PurgeInterval.
func (s *Service) Workers() []Worker {
	return []Worker{
		{Name: "iam-keyring", Run: s.ring.Run},
		{Name: "iam-purge", Run: s.runPurge},
	}
}

func (s *Service) runPurge(ctx context.Context) error {
	t := time.NewTicker(s.cfg.PurgeInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, err := s.Purge(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("purge expired sessions", "error", err)
		}
	}
}

// Purge deletes expired refresh tokens and MFA challenges and reports how many rows went.
func (s *Service) Purge(ctx context.Context) (int64, error) {
	n, err := s.refresh.PurgeExpired(ctx)
	if err != nil {
		return n, err
	}
	var m int64
	err = inTx(ctx, s.db, func(q *iamdb.Queries) error {
		var err error
		m, err = q.DeleteMFAChallengesExpiredBefore(ctx, dbTime(s.clock.Now()))
		return err
	})
	if err != nil {
		return n, fmt.Errorf("purge expired MFA challenges: %w", err)
	}
	return n + m, nil
}

// access asks the merchant module what userID may do; NotFound means "no merchant".
func (s *Service) access(ctx context.Context, userID string) (Access, error) {
	a, err := s.merchants.Access(ctx, userID)
	if err != nil {
		if apperr.KindOf(err) == apperr.NotFound {
			return Access{}, nil
		}
		return Access{}, fmt.Errorf("access of %s: %w", userID, err)
	}
	return a, nil
}

// shopScopedRoles returns the roles a PIN session in shop carries: the account's staff roles in that shop,
// plus "manager" for a merchant-wide manager. The shop must be one of Access.ShopRoles (the merchant module
// lists every shop the account works in), otherwise there are none. The owner role is never carried by a
// shop-scoped token: owners sign in with their password, and a PIN must not open an owner's powers.
func shopScopedRoles(a Access, shop string) []string {
	if _, ok := a.ShopRoles[shop]; !ok || shop == "" {
		return nil
	}
	var out []string
	for _, r := range a.ShopRoles[shop] {
		if slices.Contains(rbac.StaffRoles, rbac.Role(r)) && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if slices.Contains(a.Roles, string(rbac.Manager)) && !slices.Contains(out, string(rbac.Manager)) {
		out = append(out, string(rbac.Manager))
	}
	return out
}
