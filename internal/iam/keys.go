package iam

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/goodgo/goodgo/internal/iam/iamdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/secretbox"
)

// RSAKeyBits is the size of the token signing keys.
const RSAKeyBits = 2048

// signingAlgorithm is the only algorithm the ring signs with and Verify accepts.
const signingAlgorithm = "RS256"

// KeyRingConfig tunes a KeyRing; zero fields take the defaults in brackets.
type KeyRingConfig struct {
	// AccessTTL is how long the access tokens signed with the ring's keys live [15 min]. A retired key keeps
	// verifying for AccessTTL + ReloadInterval + Leeway after it stopped signing.
	AccessTTL time.Duration
	// Leeway is the clock skew tolerated on exp, nbf and iat [30 s, at most 30 s].
	Leeway time.Duration
	// ReloadInterval is how often Run reloads the keys from the database, so replicas learn of rotations
	// [1 min]. It is also how long a replica that has not yet reloaded may keep signing with a retired key.
	ReloadInterval time.Duration
	// MinReloadGap is the least time between two reloads triggered by tokens naming an unknown kid [10 s],
	// so that tokens with made-up kids cannot turn into a stream of database queries.
	MinReloadGap time.Duration
	// RotateEvery makes Run rotate the signing key once it is this old; 0 rotates only when Rotate is called.
	RotateEvery time.Duration
	// Log receives reload and rotation failures of Run; nil discards them.
	Log *slog.Logger
}

func (c *KeyRingConfig) defaults() {
	if c.AccessTTL <= 0 {
		c.AccessTTL = 15 * time.Minute
	}
	if c.Leeway <= 0 {
		c.Leeway = 30 * time.Second
	}
	c.Leeway = min(c.Leeway, 30*time.Second)
	if c.ReloadInterval <= 0 {
		c.ReloadInterval = time.Minute
	}
	if c.MinReloadGap <= 0 {
		c.MinReloadGap = 10 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// KeyRing holds the RSA keys that sign and verify access tokens. Keys live in iam_signing_keys with their
// private half sealed by a secretbox.Box; every replica loads them at start (Load) and reloads them
// periodically (Run) and whenever a token names a kid it does not know, so replicas agree on the keys
// without talking to each other. The key of the highest generation signs; Rotate adds a new generation and
// retires the others, which keep verifying until every token they signed has expired.
//
// It is safe for concurrent use; verification reads an immutable snapshot without locking.
type KeyRing struct {
	db    *db.DB
	box   *secretbox.Box
	clock clock.Clock
	cfg   KeyRingConfig
	state atomic.Pointer[ringState]

	reloadMu      sync.Mutex // serialises reloads triggered by unknown kids
	lastKidReload time.Time

	afterTick func() // called after each tick of Run; tests wait on it
}

// ringState is one snapshot of the keys, oldest generation first.
type ringState struct {
	keys  []*ringKey
	byKid map[string]*ringKey
}

type ringKey struct {
	kid         string
	generation  int64
	createdAt   time.Time
	retireAfter time.Time // zero while the key is current
	private     *rsa.PrivateKey
}

// KeyInfo describes one key of the ring, for operators and tests.
type KeyInfo struct {
	Kid         string
	Generation  int64
	CreatedAt   time.Time
	RetireAfter time.Time // zero while the key is current
	VerifyUntil time.Time // zero while the key is current
	Signing     bool      // the key new tokens are signed with
}

// NewKeyRing returns a ring over the iam_signing_keys table of d whose private keys box seals. Call Load
// before issuing or verifying tokens.
func NewKeyRing(d *db.DB, box *secretbox.Box, c clock.Clock, cfg KeyRingConfig) *KeyRing {
	cfg.defaults()
	r := &KeyRing{db: d, box: box, clock: c, cfg: cfg}
	r.state.Store(&ringState{byKid: map[string]*ringKey{}})
	return r
}

// AccessTTL is the lifetime of the access tokens the ring's keys sign.
func (r *KeyRing) AccessTTL() time.Duration { return r.cfg.AccessTTL }

// Leeway is the clock skew tolerated when verifying.
func (r *KeyRing) Leeway() time.Duration { return r.cfg.Leeway }

// retention is how long a retired key keeps verifying: its last tokens may have been signed up to a reload
// interval after retirement (by a replica that had not reloaded yet) and live AccessTTL, plus clock skew.
func (r *KeyRing) retention() time.Duration {
	return r.cfg.AccessTTL + r.cfg.ReloadInterval + r.cfg.Leeway
}

// Load reads the keys and, when none can sign (a new deployment, or every key retired), creates one. Two
// replicas starting together on a new database create one key between them: generations are unique.
func (r *KeyRing) Load(ctx context.Context) error {
	if err := r.Reload(ctx); err != nil {
		return err
	}
	if _, err := r.signer(); err == nil {
		return nil
	}
	expect := int64(0)
	if keys := r.state.Load().keys; len(keys) > 0 {
		expect = keys[len(keys)-1].generation
	}
	if _, err := r.rotate(ctx, expect); err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	if _, err := r.signer(); err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	return nil
}

// Reload reads the keys from the database and makes them the ring's. Keys already known are not unsealed
// again. A key that cannot be unsealed (wrong deployment secret) is skipped and logged; Reload fails only
// when the table cannot be read or no key at all can be unsealed.
func (r *KeyRing) Reload(ctx context.Context) error {
	rows, err := iamdb.New(r.db.Reader()).ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("reload signing keys: %w", db.MapError(err))
	}
	old := r.state.Load()
	next := &ringState{byKid: make(map[string]*ringKey, len(rows))}
	var failed error
	for _, row := range rows {
		k, err := r.unseal(row, old.byKid[row.Kid])
		if err != nil {
			r.cfg.Log.Error("signing key cannot be unsealed; skipped", "kid", row.Kid, "error", err)
			failed = err
			continue
		}
		next.keys = append(next.keys, k)
		next.byKid[k.kid] = k
	}
	if len(next.keys) == 0 && failed != nil {
		return fmt.Errorf("reload signing keys: %w", failed)
	}
	r.state.Store(next)
	return nil
}

func (r *KeyRing) unseal(row iamdb.IamSigningKey, known *ringKey) (*ringKey, error) {
	k := &ringKey{kid: row.Kid, generation: row.Generation, createdAt: row.CreatedAt.UTC()}
	if row.RetireAfter.Valid {
		k.retireAfter = row.RetireAfter.Time.UTC()
	}
	if known != nil && known.generation == row.Generation {
		k.private = known.private
		return k, nil
	}
	if row.Algorithm != signingAlgorithm {
		return nil, fmt.Errorf("key %s: unsupported algorithm %q", row.Kid, row.Algorithm)
	}
	der, err := r.box.OpenString(row.PrivateKeySealed, sealedKeyAD(row.Kid))
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", row.Kid, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", row.Kid, err)
	}
	priv, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key %s: not an RSA key", row.Kid)
	}
	k.private = priv
	return k, nil
}

// sealedKeyAD binds a sealed private key to its kid, so rows cannot be swapped.
func sealedKeyAD(kid string) []byte { return []byte("iam_signing_keys:" + kid) }

// Rotate adds a new signing key and retires the current ones: from now on tokens are signed with the new
// key, and the old keys verify until the tokens they signed have expired. Keys retired long enough ago that
// none of their tokens can still be valid are deleted. It returns the new key's kid (or, when another
// replica rotated at the same moment, the kid of the key that won).
func (r *KeyRing) Rotate(ctx context.Context) (string, error) {
	return r.rotate(ctx, -1)
}

// rotate adds a key of generation max+1. With expect ≥ 0 it does so only while the newest generation is
// still expect, so that replicas deciding together to rotate add one key between them.
func (r *KeyRing) rotate(ctx context.Context, expect int64) (string, error) {
	// Generate and seal before the transaction: an RSA key takes long, and SQLite has one writer.
	priv, err := rsa.GenerateKey(rand.Reader, RSAKeyBits)
	if err != nil {
		return "", fmt.Errorf("rotate signing key: generate: %w", err)
	}
	kid, err := keyID(priv)
	if err != nil {
		return "", fmt.Errorf("rotate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", fmt.Errorf("rotate signing key: %w", err)
	}
	sealed, err := r.box.SealString(der, sealedKeyAD(kid))
	if err != nil {
		return "", fmt.Errorf("rotate signing key: %w", err)
	}
	now := dbTime(r.clock.Now())
	inserted := false
	err = inTx(ctx, r.db, func(q *iamdb.Queries) error {
		current, err := q.MaxSigningKeyGeneration(ctx)
		if err != nil {
			return err
		}
		if expect >= 0 && current != expect {
			return nil // another replica rotated meanwhile
		}
		gen := current + 1
		if err := q.InsertSigningKey(ctx, iamdb.InsertSigningKeyParams{
			Kid: kid, Generation: gen, Algorithm: signingAlgorithm, PrivateKeySealed: sealed, CreatedAt: now,
		}); err != nil {
			return err
		}
		if _, err := q.RetireSigningKeysBefore(ctx, iamdb.RetireSigningKeysBeforeParams{
			RetireAfter: nullTime(now), Generation: gen,
		}); err != nil {
			return err
		}
		cutoff := now.Add(-r.retention())
		if _, err := q.DeleteSigningKeysRetiredBefore(ctx, nullTime(cutoff)); err != nil {
			return err
		}
		inserted = true
		return nil
	})
	if err != nil && apperr.KindOf(err) != apperr.Conflict {
		return "", fmt.Errorf("rotate signing key: %w", err)
	}
	// A conflict means another replica took this generation first: its key stands.
	if err := r.Reload(ctx); err != nil {
		return "", err
	}
	if inserted {
		return kid, nil
	}
	s, err := r.signer()
	if err != nil {
		return "", err
	}
	return s.kid, nil
}

// keyID names a key by its RFC 7638 JWK thumbprint (SHA-256, base64url).
func keyID(priv *rsa.PrivateKey) (string, error) {
	k, err := jwk.Import(&priv.PublicKey)
	if err != nil {
		return "", fmt.Errorf("key id: %w", err)
	}
	if err := jwk.AssignKeyID(k); err != nil {
		return "", fmt.Errorf("key id: %w", err)
	}
	kid, _ := k.KeyID()
	return kid, nil
}

// Run keeps the ring current until ctx ends: every ReloadInterval it reloads the keys, and, when
// RotateEvery is set and the signing key has reached that age, rotates. Failures are logged and retried on
// the next tick. It returns nil when ctx ends.
func (r *KeyRing) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.ReloadInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		r.tick(ctx)
		if r.afterTick != nil {
			r.afterTick()
		}
	}
}

// tick reloads the keys and rotates the signing key when it has reached RotateEvery.
func (r *KeyRing) tick(ctx context.Context) {
	if err := r.Reload(ctx); err != nil {
		r.cfg.Log.Warn("reload signing keys", "error", err)
		return
	}
	if r.cfg.RotateEvery <= 0 {
		return
	}
	s, err := r.signer()
	if err == nil && r.clock.Now().Sub(s.createdAt) < r.cfg.RotateEvery {
		return
	}
	expect := int64(0)
	if keys := r.state.Load().keys; len(keys) > 0 {
		expect = keys[len(keys)-1].generation
	}
	if kid, err := r.rotate(ctx, expect); err != nil {
		r.cfg.Log.Warn("rotate signing key", "error", err)
	} else {
		r.cfg.Log.Info("signing key rotated", "kid", kid)
	}
}

var errNoSigningKey = errors.New("no current signing key")

// signer returns the key new tokens are signed with: the newest generation, unless it has been retired.
func (r *KeyRing) signer() (*ringKey, error) {
	keys := r.state.Load().keys
	if len(keys) == 0 {
		return nil, errNoSigningKey
	}
	k := keys[len(keys)-1]
	if !k.retireAfter.IsZero() && !r.clock.Now().Before(k.retireAfter) {
		return nil, errNoSigningKey
	}
	return k, nil
}

// verifies reports whether k may still verify tokens at now.
func (r *KeyRing) verifies(k *ringKey, now time.Time) bool {
	return k.retireAfter.IsZero() || now.Before(k.retireAfter.Add(r.retention()))
}

var errUnknownKey = errors.New("unknown or retired signing key")

// publicKey returns the key that verifies tokens naming kid. An unknown kid makes the ring reload (at most
// once per MinReloadGap), since another replica may have rotated.
func (r *KeyRing) publicKey(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	if k := r.lookup(kid); k != nil {
		return k, nil
	}
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	if k := r.lookup(kid); k != nil { // another request reloaded meanwhile
		return k, nil
	}
	now := r.clock.Now()
	if !r.lastKidReload.IsZero() && now.Sub(r.lastKidReload) < r.cfg.MinReloadGap {
		return nil, errUnknownKey
	}
	r.lastKidReload = now
	if err := r.Reload(ctx); err != nil {
		return nil, apperr.Wrap(err, apperr.Unavailable, "signing keys unavailable")
	}
	if k := r.lookup(kid); k != nil {
		return k, nil
	}
	return nil, errUnknownKey
}

func (r *KeyRing) lookup(kid string) *rsa.PublicKey {
	k := r.state.Load().byKid[kid]
	if k == nil || !r.verifies(k, r.clock.Now()) {
		return nil
	}
	return &k.private.PublicKey
}

// Keys describes the keys the ring holds, oldest first.
func (r *KeyRing) Keys() []KeyInfo {
	keys := r.state.Load().keys
	s, _ := r.signer()
	out := make([]KeyInfo, 0, len(keys))
	for _, k := range keys {
		info := KeyInfo{Kid: k.kid, Generation: k.generation, CreatedAt: k.createdAt, RetireAfter: k.retireAfter,
			Signing: k == s}
		if !k.retireAfter.IsZero() {
			info.VerifyUntil = k.retireAfter.Add(r.retention())
		}
		out = append(out, info)
	}
	return out
}

// JWKS returns the public keys that currently verify tokens, as the JSON JWK Set served at
// /.well-known/jwks.json (each key with kid, alg RS256 and use "sig").
func (r *KeyRing) JWKS() ([]byte, error) {
	set := jwk.NewSet()
	now := r.clock.Now()
	for _, k := range r.state.Load().keys {
		if !r.verifies(k, now) {
			continue
		}
		pub, err := jwk.Import(&k.private.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("jwks: %w", err)
		}
		for name, v := range map[string]any{jwk.KeyIDKey: k.kid, jwk.AlgorithmKey: jwa.RS256(), jwk.KeyUsageKey: "sig"} {
			if err := pub.Set(name, v); err != nil {
				return nil, fmt.Errorf("jwks: %w", err)
			}
		}
		if err := set.AddKey(pub); err != nil {
			return nil, fmt.Errorf("jwks: %w", err)
		}
	}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	return b, nil
}

// inTx runs fn in a read-write transaction outside any tenant: this package's tables are global (see the
// package comment), so neither app.merchant_id nor the system path is needed.
func inTx(ctx context.Context, d *db.DB, fn func(q *iamdb.Queries) error) (err error) {
	tx, err := d.Writer().BeginTx(ctx, nil)
	if err != nil {
		return db.MapError(fmt.Errorf("begin: %w", err))
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(iamdb.New(tx)); err != nil {
		return db.MapError(err)
	}
	if err = tx.Commit(); err != nil {
		return db.MapError(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// dbTime is how times are written: UTC at microsecond precision, what PostgreSQL keeps, so a value read
// back equals the value written and SQLite's text timestamps compare in time order.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// nullTime is dbTime for parameters sqlc types as nullable (they set a nullable column).
func nullTime(t time.Time) sql.NullTime { return sql.NullTime{Time: dbTime(t), Valid: true} }
