package iam

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Audience is the "aud" of every access token GoodGo issues.
const Audience = "goodgo"

// Token types, in the JWT header (RFC 9068) and in the "typ" claim, so that no other token GoodGo may sign
// one day (an MFA step token, an invitation) can be passed off as an access token.
const (
	accessHeaderType = "at+jwt"
	accessClaimType  = "access"
)

// MaxTokenBytes bounds the size of a token Verify will look at.
const MaxTokenBytes = 8 << 10

// Claim names beyond the registered ones.
const (
	claimType       = "typ"
	claimKind       = "kind"
	claimMerchantID = "merchant_id"
	claimRoles      = "roles"
	claimShopRoles  = "shop_roles"
	claimSessionID  = "sid"
)

// Tokens issues and verifies RS256 access tokens signed by a KeyRing. It is safe for concurrent use.
type Tokens struct {
	ring   *KeyRing
	issuer string
	cache  *verifiedTokens // nil: every Verify checks the signature
}

// verifiedCacheSize bounds how many verified tokens a Tokens remembers (a few MB at most).
const verifiedCacheSize = 4096

// NewTokens returns a token service whose tokens name issuer (GOODGO_PUBLIC_URL; a trailing slash is
// dropped so that it equals the discovery document's issuer) and are signed by ring.
//
// It remembers the tokens it has verified until they expire, so the many requests a terminal makes with
// one token pay for the RSA signature and the JSON decoding once (see BenchmarkVerify).
func NewTokens(ring *KeyRing, issuer string) *Tokens {
	return &Tokens{ring: ring, issuer: strings.TrimRight(issuer, "/"), cache: newVerifiedTokens(verifiedCacheSize)}
}

// Issuer is the "iss" of the tokens, as published in the discovery document.
func (t *Tokens) Issuer() string { return t.issuer }

// Issue signs an access token carrying c with the ring's current key. The token holds iss, aud "goodgo",
// sub, iat, nbf, exp (now + the access TTL), jti and typ "access", plus the principal's kind, merchant,
// roles, shop roles and session; its header names the kid and typ "at+jwt". It returns the token and how
// long it lives (the "expires_in" of a token response).
func (t *Tokens) Issue(c Claims) (string, time.Duration, error) {
	if c.Subject == "" {
		return "", 0, errors.New("issue access token: no subject")
	}
	if !c.Kind.Valid() {
		return "", 0, fmt.Errorf("issue access token: unknown principal kind %q", c.Kind)
	}
	key, err := t.ring.signer()
	if err != nil {
		return "", 0, apperr.Wrap(err, apperr.Unavailable, "cannot issue tokens right now")
	}
	now := t.ring.clock.Now().Truncate(time.Second)
	ttl := t.ring.AccessTTL()
	b := jwt.NewBuilder().
		Issuer(t.issuer).
		Audience([]string{Audience}).
		Subject(c.Subject).
		IssuedAt(now).
		NotBefore(now).
		Expiration(now.Add(ttl)).
		JwtID(db.NewID()).
		Claim(claimType, accessClaimType).
		Claim(claimKind, string(c.Kind))
	if c.MerchantID != "" {
		b = b.Claim(claimMerchantID, string(c.MerchantID))
	}
	if len(c.Roles) > 0 {
		b = b.Claim(claimRoles, c.Roles)
	}
	if len(c.ShopRoles) > 0 {
		b = b.Claim(claimShopRoles, c.ShopRoles)
	}
	if c.SessionID != "" {
		b = b.Claim(claimSessionID, c.SessionID)
	}
	tok, err := b.Build()
	if err != nil {
		return "", 0, fmt.Errorf("issue access token: %w", err)
	}
	hdr := jws.NewHeaders()
	if err := hdr.Set(jws.KeyIDKey, key.kid); err != nil {
		return "", 0, fmt.Errorf("issue access token: %w", err)
	}
	if err := hdr.Set(jws.TypeKey, accessHeaderType); err != nil {
		return "", 0, fmt.Errorf("issue access token: %w", err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256(), key.private, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return "", 0, fmt.Errorf("issue access token: %w", err)
	}
	return string(signed), ttl, nil
}

// Why a token was refused; wrapped in the Unauthenticated error Verify returns, for logs and tests.
var (
	errTokenMalformed    = errors.New("malformed token")
	errTokenAlgorithm    = errors.New("algorithm not allowed")
	errTokenHeaderType   = errors.New("not an access token (header typ)")
	errTokenClaimType    = errors.New("not an access token (typ claim)")
	errTokenSignature    = errors.New("bad signature")
	errTokenExpired      = errors.New("token expired")
	errTokenNotYetValid  = errors.New("token not yet valid")
	errTokenIssuer       = errors.New("wrong issuer")
	errTokenAudience     = errors.New("wrong audience")
	errTokenClaimMissing = errors.New("required claim missing or invalid")
)

// tokenHeader is the part of a JOSE header Verify checks before touching the signature.
type tokenHeader struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Typ  string          `json:"typ"`
	Crit json.RawMessage `json:"crit"`
}

// Verify checks an access token and returns its claims. It refuses, with kind Unauthenticated: anything but
// RS256 (so alg "none" and HS256 keyed with the public key), a header typ other than "at+jwt", a kid the
// ring does not hold (after one rate-limited reload), a bad signature, another issuer or audience, a
// token expired or not yet valid (beyond the leeway), a lifetime longer than the access TTL, and a "typ"
// claim other than "access". The message says "expired" for expired tokens, so clients know to refresh.
// It fails with kind Unavailable when an unknown kid made it reload and the database did not answer.
func (t *Tokens) Verify(ctx context.Context, token string) (*Claims, error) {
	var key [sha256.Size]byte
	if t.cache != nil {
		key = sha256.Sum256([]byte(token))
		if c := t.cache.get(key, t.ring.clock.Now(), t.ring.Leeway()); c != nil {
			return c, nil
		}
	}
	c, err := t.verify(ctx, token)
	if err != nil {
		if k := apperr.KindOf(err); k != apperr.Unknown {
			return nil, err
		}
		msg := "the access token is invalid"
		if errors.Is(err, errTokenExpired) {
			msg = "the access token has expired"
		}
		return nil, apperr.Wrap(err, apperr.Unauthenticated, msg)
	}
	if t.cache != nil {
		t.cache.put(key, c, t.ring.clock.Now())
	}
	return c.clone(), nil
}

// verifiedTokens remembers the claims of verified tokens by the SHA-256 of the whole token, so only the
// very token that was verified ever hits. A hit is re-checked against the clock (exp and nbf with the
// same leeway as Verify); nothing else about a verified token can change before it expires, since the key
// that signed it keeps verifying longer than any token it signed lives.
type verifiedTokens struct {
	mu      sync.RWMutex
	max     int
	entries map[[sha256.Size]byte]*Claims
}

func newVerifiedTokens(max int) *verifiedTokens {
	return &verifiedTokens{max: max, entries: make(map[[sha256.Size]byte]*Claims, max)}
}

func (v *verifiedTokens) get(key [sha256.Size]byte, now time.Time, leeway time.Duration) *Claims {
	v.mu.RLock()
	c := v.entries[key]
	v.mu.RUnlock()
	if c == nil || !now.Before(c.ExpiresAt.Add(leeway)) || now.Before(c.IssuedAt.Add(-leeway)) {
		return nil
	}
	return c.clone()
}

// put remembers c; when full it drops expired entries first, then arbitrary ones (map order), down to
// three quarters of the capacity.
func (v *verifiedTokens) put(key [sha256.Size]byte, c *Claims, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.entries) >= v.max {
		for k, e := range v.entries {
			if !now.Before(e.ExpiresAt) {
				delete(v.entries, k)
			}
		}
		for k := range v.entries {
			if len(v.entries) < v.max*3/4 {
				break
			}
			delete(v.entries, k)
		}
	}
	v.entries[key] = c
}

func (t *Tokens) verify(ctx context.Context, token string) (*Claims, error) {
	if len(token) > MaxTokenBytes {
		return nil, fmt.Errorf("%w: %d bytes", errTokenMalformed, len(token))
	}
	hdr, err := parseHeader(token)
	if err != nil {
		return nil, err
	}
	if hdr.Alg != signingAlgorithm {
		return nil, fmt.Errorf("%w: %q", errTokenAlgorithm, hdr.Alg)
	}
	if !strings.EqualFold(hdr.Typ, accessHeaderType) && !strings.EqualFold(hdr.Typ, "application/"+accessHeaderType) {
		return nil, fmt.Errorf("%w: %q", errTokenHeaderType, hdr.Typ)
	}
	if len(hdr.Crit) > 0 {
		return nil, fmt.Errorf("%w: crit header", errTokenMalformed)
	}
	if hdr.Kid == "" {
		return nil, fmt.Errorf("%w: no kid", errTokenMalformed)
	}
	pub, err := t.ring.publicKey(ctx, hdr.Kid)
	if err != nil {
		return nil, err
	}
	leeway := t.ring.Leeway()
	tok, err := jwt.ParseString(token,
		jwt.WithKey(jwa.RS256(), pub),
		jwt.WithIssuer(t.issuer),
		jwt.WithAudience(Audience),
		jwt.WithClock(jwt.ClockFunc(t.ring.clock.Now)),
		jwt.WithAcceptableSkew(leeway),
		jwt.WithRequiredClaim(jwt.SubjectKey),
		jwt.WithRequiredClaim(jwt.IssuedAtKey),
		jwt.WithRequiredClaim(jwt.NotBeforeKey),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
		jwt.WithRequiredClaim(jwt.JwtIDKey),
		jwt.WithMaxDelta(t.ring.AccessTTL(), jwt.ExpirationKey, jwt.IssuedAtKey),
		jwt.WithTypedClaim(claimRoles, []string{}),
		jwt.WithTypedClaim(claimShopRoles, map[string][]string{}),
	)
	if err != nil {
		return nil, classifyJWTError(err)
	}
	return claimsOf(tok)
}

// parseHeader decodes the protected header of a compact JWS without trusting anything in it yet.
func parseHeader(token string) (tokenHeader, error) {
	var hdr tokenHeader
	first, rest, ok := strings.Cut(token, ".")
	if !ok || strings.Count(rest, ".") != 1 {
		return hdr, fmt.Errorf("%w: not a compact JWS", errTokenMalformed)
	}
	raw, err := base64.RawURLEncoding.DecodeString(first)
	if err != nil {
		return hdr, fmt.Errorf("%w: header: %v", errTokenMalformed, err)
	}
	if err := json.Unmarshal(raw, &hdr); err != nil {
		return hdr, fmt.Errorf("%w: header: %v", errTokenMalformed, err)
	}
	return hdr, nil
}

func classifyJWTError(err error) error {
	var reason error
	switch {
	case errors.Is(err, jwt.TokenExpiredError()):
		reason = errTokenExpired
	case errors.Is(err, jwt.TokenNotYetValidError()), errors.Is(err, jwt.InvalidIssuedAtError()):
		reason = errTokenNotYetValid
	case errors.Is(err, jwt.InvalidIssuerError()):
		reason = errTokenIssuer
	case errors.Is(err, jwt.InvalidAudienceError()):
		reason = errTokenAudience
	case errors.Is(err, jwt.MissingRequiredClaimError()), errors.Is(err, jwt.ValidateError()):
		reason = errTokenClaimMissing
	case errors.Is(err, jws.VerifyError()):
		reason = errTokenSignature
	default:
		reason = errTokenMalformed
	}
	return fmt.Errorf("%w: %v", reason, err)
}

// claimsOf reads the private claims of a verified token; a wrong "typ" or a malformed claim refuses it.
func claimsOf(tok jwt.Token) (*Claims, error) {
	var typ string
	if err := tok.Get(claimType, &typ); err != nil || typ != accessClaimType {
		return nil, fmt.Errorf("%w: %q", errTokenClaimType, typ)
	}
	c := &Claims{}
	c.Subject, _ = tok.Subject()
	c.ID, _ = tok.JwtID()
	c.IssuedAt, _ = tok.IssuedAt()
	c.ExpiresAt, _ = tok.Expiration()
	var kind string
	if err := tok.Get(claimKind, &kind); err != nil || !PrincipalKind(kind).Valid() {
		return nil, fmt.Errorf("%w: kind %q", errTokenClaimMissing, kind)
	}
	c.Kind = PrincipalKind(kind)
	optional := []struct {
		name string
		dst  any
	}{
		{claimRoles, &c.Roles},
		{claimShopRoles, &c.ShopRoles},
		{claimSessionID, &c.SessionID},
	}
	for _, o := range optional {
		if !tok.Has(o.name) {
			continue
		}
		if err := tok.Get(o.name, o.dst); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", errTokenClaimMissing, o.name, err)
		}
	}
	if tok.Has(claimMerchantID) {
		var m string
		if err := tok.Get(claimMerchantID, &m); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", errTokenClaimMissing, claimMerchantID, err)
		}
		c.MerchantID = tenant.ID(m)
	}
	return c, nil
}

// Discovery is the OpenID Provider metadata served at /.well-known/openid-configuration. GoodGo is not a
// full OpenID provider — clients sign in through the JSON API (API.md "Auth and identity"), not OAuth flows,
// so no authorization or token endpoint is advertised — but the document tells resource servers and tools
// who the issuer is, where its keys are and what the access tokens carry.
type Discovery struct {
	Issuer                           string   `json:"issuer"`
	JWKSURI                          string   `json:"jwks_uri"`
	ResponseTypesSupported           []string `json:"response_types_supported"`
	SubjectTypesSupported            []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
	ClaimsSupported                  []string `json:"claims_supported"`
	ServiceDocumentation             string   `json:"service_documentation"`
}

// NewDiscovery returns the discovery document of a deployment reachable at publicURL (GOODGO_PUBLIC_URL),
// which is also the tokens' issuer (a trailing slash is dropped, as NewTokens does).
func NewDiscovery(publicURL string) Discovery {
	iss := strings.TrimRight(publicURL, "/")
	return Discovery{
		Issuer:                           iss,
		JWKSURI:                          iss + "/.well-known/jwks.json",
		ResponseTypesSupported:           []string{"token"},
		SubjectTypesSupported:            []string{"public"},
		IDTokenSigningAlgValuesSupported: []string{signingAlgorithm},
		ClaimsSupported: []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", claimType, claimKind,
			claimMerchantID, claimRoles, claimShopRoles, claimSessionID},
		ServiceDocumentation: iss + "/docs",
	}
}
