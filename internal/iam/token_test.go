package iam

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/secretbox"
)

const testIssuer = "https://pos.example.vn"

var testStart = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func newBox(t testing.TB) *secretbox.Box {
	t.Helper()
	key := make([]byte, secretbox.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	b, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newLoadedRing(t testing.TB, d *db.DB, box *secretbox.Box, clk clock.Clock, cfg KeyRingConfig) *KeyRing {
	t.Helper()
	r := NewKeyRing(d, box, clk, cfg)
	if err := r.Load(context.Background()); err != nil {
		t.Fatalf("Load: %v", err)
	}
	return r
}

// tokenFixture is one database with a loaded ring and the token service over it.
type tokenFixture struct {
	d      *db.DB
	box    *secretbox.Box
	clock  *clock.Fake
	ring   *KeyRing
	tokens *Tokens
}

func newTokenFixture(t testing.TB, d *db.DB) *tokenFixture {
	t.Helper()
	f := &tokenFixture{d: d, box: newBox(t), clock: clock.NewFake(testStart)}
	f.ring = newLoadedRing(t, d, f.box, f.clock, KeyRingConfig{})
	f.tokens = NewTokens(f.ring, testIssuer+"/")
	return f
}

func sqliteDB(t testing.TB) *db.DB {
	t.Helper()
	d := dbtest.New(t, db.SQLite)
	if err := migrate.Up(context.Background(), d, quietLog(), Migrations); err != nil {
		t.Fatal(err)
	}
	return d
}

var ownerClaims = Claims{
	Subject:    "0190f1c2-0000-7000-8000-000000000001",
	Kind:       KindUser,
	MerchantID: "0190f1c2-0000-7000-8000-0000000000aa",
	Roles:      []string{"owner"},
	ShopRoles:  map[string][]string{"shop-1": {"cashier", "waiter"}},
	SessionID:  "0190f1c2-0000-7000-8000-0000000000f1",
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	dbtest.Each(t, []migrate.Source{Migrations}, func(t *testing.T, d *db.DB) {
		f := newTokenFixture(t, d)
		token, expiresIn, err := f.tokens.Issue(ownerClaims)
		if err != nil {
			t.Fatal(err)
		}
		if expiresIn != 15*time.Minute {
			t.Errorf("expiresIn = %v, want 15m", expiresIn)
		}

		hdr, payload := decodeParts(t, token)
		signer := f.ring.Keys()[0]
		wantHdr := map[string]any{"alg": "RS256", "typ": "at+jwt", "kid": signer.Kid}
		if !maps.Equal(hdr, wantHdr) {
			t.Errorf("header = %v, want %v", hdr, wantHdr)
		}
		now := float64(testStart.Unix())
		for claim, want := range map[string]any{
			"iss": testIssuer, "sub": ownerClaims.Subject, "typ": "access", "kind": "user",
			"merchant_id": string(ownerClaims.MerchantID), "sid": ownerClaims.SessionID,
			"iat": now, "nbf": now, "exp": now + 15*60,
		} {
			if got := payload[claim]; got != want {
				t.Errorf("claim %s = %v (%T), want %v", claim, got, got, want)
			}
		}
		if aud, _ := payload["aud"].([]any); len(aud) != 1 || aud[0] != "goodgo" {
			t.Errorf("aud = %v, want [goodgo]", payload["aud"])
		}
		if jti, _ := payload["jti"].(string); jti == "" {
			t.Error("no jti")
		}

		got, err := f.tokens.Verify(context.Background(), token)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		want := ownerClaims
		want.ID = payload["jti"].(string)
		want.IssuedAt, want.ExpiresAt = testStart, testStart.Add(15*time.Minute)
		if !claimsEqual(*got, want) {
			t.Errorf("Verify = %+v\nwant      %+v", *got, want)
		}
		p := got.Principal()
		if p.UserID != want.Subject || p.MerchantID != want.MerchantID || p.Kind != "user" || p.SessionID != want.SessionID ||
			!p.HasRole("owner") || !slices.Equal(p.RolesIn("shop-1"), []string{"owner", "cashier", "waiter"}) {
			t.Errorf("Principal = %+v", p)
		}

		// Two tokens for the same claims differ (jti).
		again, _, _ := f.tokens.Issue(ownerClaims)
		if again == token {
			t.Error("two issued tokens are identical")
		}
	})
}

func TestIssueStaffTokenWithoutOptionalClaims(t *testing.T) {
	f := newTokenFixture(t, sqliteDB(t))
	staff := Claims{Subject: "staff-1", Kind: KindStaff, MerchantID: "m-1", ShopRoles: map[string][]string{"shop-9": {"kitchen"}}}
	token, _, err := f.tokens.Issue(staff)
	if err != nil {
		t.Fatal(err)
	}
	_, payload := decodeParts(t, token)
	for _, absent := range []string{"roles", "sid"} {
		if _, ok := payload[absent]; ok {
			t.Errorf("claim %s present though empty", absent)
		}
	}
	got, err := f.tokens.Verify(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != KindStaff || len(got.Roles) != 0 || !slices.Equal(got.ShopRoles["shop-9"], []string{"kitchen"}) {
		t.Errorf("Verify = %+v", got)
	}
}

func TestIssueRefusesIncompleteClaims(t *testing.T) {
	f := newTokenFixture(t, sqliteDB(t))
	for _, c := range []Claims{{Kind: KindUser}, {Subject: "u-1"}, {Subject: "u-1", Kind: "robot"}} {
		if _, _, err := f.tokens.Issue(c); err == nil {
			t.Errorf("Issue(%+v) succeeded", c)
		}
	}
}

// handToken builds a compact JWS without jwx, so the refusals below do not depend on the library under test.
type handToken struct {
	header map[string]any
	claims map[string]any
	sign   func(signingInput []byte) []byte
}

func (h handToken) String(t testing.TB) string {
	t.Helper()
	hb, err := json.Marshal(h.header)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := json.Marshal(h.claims)
	if err != nil {
		t.Fatal(err)
	}
	input := b64(hb) + "." + b64(cb)
	var sig []byte
	if h.sign != nil {
		sig = h.sign([]byte(input))
	}
	return input + "." + b64(sig)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaSigner(t testing.TB, key *rsa.PrivateKey, h crypto.Hash) func([]byte) []byte {
	return func(input []byte) []byte {
		var digest []byte
		switch h {
		case crypto.SHA256:
			d := sha256.Sum256(input)
			digest = d[:]
		case crypto.SHA512:
			d := sha512.Sum512(input)
			digest = d[:]
		}
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, h, digest)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
}

func hmacSigner(key []byte) func([]byte) []byte {
	return func(input []byte) []byte {
		m := hmac.New(sha256.New, key)
		m.Write(input)
		return m.Sum(nil)
	}
}

func TestVerifyRefusesForgedAndInvalidTokens(t *testing.T) {
	f := newTokenFixture(t, sqliteDB(t))
	ctx := context.Background()
	signer := f.ring.state.Load().keys[0]
	kid := signer.kid
	now := testStart.Unix()

	validHeader := func() map[string]any { return map[string]any{"alg": "RS256", "typ": "at+jwt", "kid": kid} }
	validClaims := func() map[string]any {
		return map[string]any{
			"iss": testIssuer, "aud": []string{"goodgo"}, "sub": "user-1", "iat": now, "nbf": now,
			"exp": now + 900, "jti": "j-1", "typ": "access", "kind": "user", "roles": []string{"cashier"},
		}
	}
	with := func(m map[string]any, k string, v any) map[string]any {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	signRS256 := rsaSigner(t, signer.private, crypto.SHA256)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&signer.private.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	jwks, err := f.ring.JWKS()
	if err != nil {
		t.Fatal(err)
	}

	// The hand-made baseline must verify, or every refusal below would prove nothing.
	baseline := handToken{validHeader(), validClaims(), signRS256}.String(t)
	if _, err := f.tokens.Verify(ctx, baseline); err != nil {
		t.Fatalf("hand-made valid token refused: %v", err)
	}

	tests := []struct {
		name   string
		token  string
		reason error
	}{
		{"alg none without signature",
			handToken{with(validHeader(), "alg", "none"), validClaims(), nil}.String(t), errTokenAlgorithm},
		{"alg none, kid of a real key, real signature attached",
			handToken{with(validHeader(), "alg", "none"), validClaims(), signRS256}.String(t), errTokenAlgorithm},
		{"alg NONE in capitals",
			handToken{with(validHeader(), "alg", "NONE"), validClaims(), nil}.String(t), errTokenAlgorithm},
		{"HS256 keyed with the PEM public key",
			handToken{with(validHeader(), "alg", "HS256"), validClaims(), hmacSigner(pubPEM)}.String(t), errTokenAlgorithm},
		{"HS256 keyed with the DER public key",
			handToken{with(validHeader(), "alg", "HS256"), validClaims(), hmacSigner(pubDER)}.String(t), errTokenAlgorithm},
		{"HS256 keyed with the published JWKS",
			handToken{with(validHeader(), "alg", "HS256"), validClaims(), hmacSigner(jwks)}.String(t), errTokenAlgorithm},
		{"RS512 with the right key",
			handToken{with(validHeader(), "alg", "RS512"), validClaims(), rsaSigner(t, signer.private, crypto.SHA512)}.String(t), errTokenAlgorithm},
		{"alg missing",
			handToken{with(validHeader(), "alg", nil), validClaims(), signRS256}.String(t), errTokenAlgorithm},
		{"unknown kid",
			handToken{with(validHeader(), "kid", "not-a-key"), validClaims(), rsaSigner(t, otherKey, crypto.SHA256)}.String(t), errUnknownKey},
		{"no kid",
			handToken{with(validHeader(), "kid", nil), validClaims(), signRS256}.String(t), errTokenMalformed},
		{"real kid, signed with another key",
			handToken{validHeader(), validClaims(), rsaSigner(t, otherKey, crypto.SHA256)}.String(t), errTokenSignature},
		{"payload changed after signing",
			swapPayload(t, baseline, with(validClaims(), "roles", []string{"owner"})), errTokenSignature},
		{"header typ JWT",
			handToken{with(validHeader(), "typ", "JWT"), validClaims(), signRS256}.String(t), errTokenHeaderType},
		{"header typ missing",
			handToken{with(validHeader(), "typ", nil), validClaims(), signRS256}.String(t), errTokenHeaderType},
		{"crit header",
			handToken{with(validHeader(), "crit", []string{"exp"}), validClaims(), signRS256}.String(t), errTokenMalformed},
		{"wrong audience",
			handToken{validHeader(), with(validClaims(), "aud", []string{"another-app"}), signRS256}.String(t), errTokenAudience},
		{"no audience",
			handToken{validHeader(), with(validClaims(), "aud", nil), signRS256}.String(t), errTokenAudience},
		{"wrong issuer",
			handToken{validHeader(), with(validClaims(), "iss", "https://evil.example"), signRS256}.String(t), errTokenIssuer},
		{"issuer with trailing slash",
			handToken{validHeader(), with(validClaims(), "iss", testIssuer+"/"), signRS256}.String(t), errTokenIssuer},
		{"expired beyond the leeway",
			handToken{validHeader(), with(with(with(validClaims(), "exp", now-31), "iat", now-931), "nbf", now-931), signRS256}.String(t), errTokenExpired},
		{"not yet valid beyond the leeway",
			handToken{validHeader(), with(validClaims(), "nbf", now+31), signRS256}.String(t), errTokenNotYetValid},
		{"issued in the future beyond the leeway",
			handToken{validHeader(), with(with(validClaims(), "iat", now+60), "exp", now+960), signRS256}.String(t), errTokenNotYetValid},
		{"lifetime longer than the access TTL",
			handToken{validHeader(), with(validClaims(), "exp", now+3600), signRS256}.String(t), errTokenClaimMissing},
		{"typ claim refresh",
			handToken{validHeader(), with(validClaims(), "typ", "refresh"), signRS256}.String(t), errTokenClaimType},
		{"typ claim missing",
			handToken{validHeader(), with(validClaims(), "typ", nil), signRS256}.String(t), errTokenClaimType},
		{"no exp",
			handToken{validHeader(), with(validClaims(), "exp", nil), signRS256}.String(t), errTokenClaimMissing},
		{"no nbf",
			handToken{validHeader(), with(validClaims(), "nbf", nil), signRS256}.String(t), errTokenClaimMissing},
		{"no subject",
			handToken{validHeader(), with(validClaims(), "sub", nil), signRS256}.String(t), errTokenClaimMissing},
		{"no jti",
			handToken{validHeader(), with(validClaims(), "jti", nil), signRS256}.String(t), errTokenClaimMissing},
		{"unknown principal kind",
			handToken{validHeader(), with(validClaims(), "kind", "robot"), signRS256}.String(t), errTokenClaimMissing},
		{"roles not a list of strings",
			handToken{validHeader(), with(validClaims(), "roles", "owner"), signRS256}.String(t), errTokenMalformed},
		{"empty", "", errTokenMalformed},
		{"two parts", "abc.def", errTokenMalformed},
		{"header not JSON", b64([]byte("alg")) + ".e30.", errTokenMalformed},
		{"too long", baseline + strings.Repeat("A", MaxTokenBytes), errTokenMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.tokens.Verify(ctx, tt.token)
			if err == nil {
				t.Fatalf("Verify accepted the token: %+v", got)
			}
			if k := apperr.KindOf(err); k != apperr.Unauthenticated {
				t.Errorf("kind = %v, want unauthenticated (%v)", k, err)
			}
			if !errors.Is(err, tt.reason) {
				t.Errorf("refused for %v, want %v", err, tt.reason)
			}
		})
	}
}

func TestVerifyLeeway(t *testing.T) {
	f := newTokenFixture(t, sqliteDB(t))
	token, _, err := f.tokens.Issue(ownerClaims)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		at      time.Time
		wantErr error
	}{
		{"25 s before nbf (clock skew)", testStart.Add(-25 * time.Second), nil},
		{"31 s before nbf", testStart.Add(-31 * time.Second), errTokenNotYetValid},
		{"at exp + 25 s", testStart.Add(15*time.Minute + 25*time.Second), nil},
		{"at exp + 30 s", testStart.Add(15*time.Minute + 30*time.Second), errTokenExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.clock.Set(tt.at)
			_, err := f.tokens.Verify(context.Background(), token)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
			if errors.Is(err, errTokenExpired) && !strings.Contains(apperr.Message(err), "expired") {
				t.Errorf("message %q does not say the token expired", apperr.Message(err))
			}
		})
	}
}

func TestRotationKeepsOldTokensValidUntilTheyExpire(t *testing.T) {
	dbtest.Each(t, []migrate.Source{Migrations}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newTokenFixture(t, d)
		oldToken, _, err := f.tokens.Issue(ownerClaims)
		if err != nil {
			t.Fatal(err)
		}
		oldKid := f.ring.Keys()[0].Kid

		f.clock.Advance(10 * time.Minute)
		newKid, err := f.ring.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if newKid == oldKid {
			t.Fatal("Rotate kept the kid")
		}
		newToken, _, err := f.tokens.Issue(ownerClaims)
		if err != nil {
			t.Fatal(err)
		}
		if got := kidOf(t, newToken); got != newKid {
			t.Errorf("token signed with %s after rotation, want %s", got, newKid)
		}
		if _, err := f.tokens.Verify(ctx, oldToken); err != nil {
			t.Errorf("token of the retired key refused before it expired: %v", err)
		}
		if got := jwksKids(t, f.ring); !slices.Equal(got, sorted(newKid, oldKid)) {
			t.Errorf("JWKS kids = %v, want both keys", got)
		}
		keys := f.ring.Keys()
		if len(keys) != 2 || keys[0].Signing || !keys[1].Signing || !keys[0].RetireAfter.Equal(testStart.Add(10*time.Minute)) {
			t.Errorf("Keys = %+v", keys)
		}

		// Once every token of the old key has expired (TTL + reload interval + leeway after retirement), the old
		// key is gone from the JWKS and its tokens are refused as signed by an unknown key.
		f.clock.Set(keys[0].VerifyUntil)
		if got := jwksKids(t, f.ring); !slices.Equal(got, []string{newKid}) {
			t.Errorf("JWKS kids after retention = %v, want only %s", got, newKid)
		}
		f.clock.Advance(time.Minute) // past MinReloadGap, so the unknown kid triggers a reload
		if _, err := f.tokens.Verify(ctx, handResign(t, oldToken, f.ring.state.Load().byKid[oldKid].private, f.clock.Now())); !errors.Is(err, errUnknownKey) {
			t.Errorf("fresh token signed with a retired key: %v, want unknown key", err)
		}

		// The next rotation deletes keys past retention.
		if _, err := f.ring.Rotate(ctx); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := d.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM iam_signing_keys WHERE kid = $1", oldKid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Error("key past retention not deleted by the next rotation")
		}
	})
}

func TestReplicasAgreeOnKeys(t *testing.T) {
	dbtest.Each(t, []migrate.Source{Migrations}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		box := newBox(t)
		clk := clock.NewFake(testStart)

		// Two replicas start together on an empty database: one key between them.
		rings := make([]*KeyRing, 2)
		var wg sync.WaitGroup
		for i := range rings {
			rings[i] = NewKeyRing(d, box, clk, KeyRingConfig{})
			wg.Go(func() {
				if err := rings[i].Load(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		a, b := rings[0], rings[1]
		if err := a.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if ka, kb := a.Keys(), b.Keys(); len(ka) != 1 || len(kb) != 1 || ka[0].Kid != kb[0].Kid {
			t.Fatalf("replicas hold %+v and %+v, want the same single key", ka, kb)
		}
		ta, tb := NewTokens(a, testIssuer), NewTokens(b, testIssuer)

		// Replica A rotates; B learns the new key from the first token that names it.
		clk.Advance(time.Hour)
		kid2, err := a.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		token2, _, _ := ta.Issue(ownerClaims)
		if _, err := tb.Verify(ctx, token2); err != nil {
			t.Fatalf("B refused a token of A's new key: %v", err)
		}
		if got := b.Keys(); len(got) != 2 || got[1].Kid != kid2 || !got[1].Signing {
			t.Errorf("B after reload: %+v", got)
		}

		// A rotates again at once: B reloaded less than MinReloadGap ago, so an unknown kid does not make it
		// query again until the gap has passed.
		kid3, err := a.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		token3, _, _ := ta.Issue(ownerClaims)
		if kidOf(t, token3) != kid3 {
			t.Fatal("A does not sign with its newest key")
		}
		if _, err := tb.Verify(ctx, token3); !errors.Is(err, errUnknownKey) {
			t.Fatalf("B verified a new kid within the reload gap: %v", err)
		}
		clk.Advance(10 * time.Second)
		if _, err := tb.Verify(ctx, token3); err != nil {
			t.Fatalf("B refused the new kid after the reload gap: %v", err)
		}
	})
}

func TestPrivateKeysAreStoredSealed(t *testing.T) {
	dbtest.Each(t, []migrate.Source{Migrations}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newTokenFixture(t, d)
		if _, err := f.ring.Rotate(ctx); err != nil {
			t.Fatal(err)
		}
		rows, err := d.Reader().QueryContext(ctx, "SELECT kid, private_key_sealed FROM iam_signing_keys ORDER BY generation")
		if err != nil {
			t.Fatal(err)
		}
		var kids, sealed []string
		for rows.Next() {
			var k, s string
			if err := rows.Scan(&k, &s); err != nil {
				t.Fatal(err)
			}
			kids, sealed = append(kids, k), append(sealed, s)
		}
		rows.Close()
		if len(sealed) != 2 {
			t.Fatalf("%d keys stored, want 2", len(sealed))
		}
		for _, s := range sealed {
			raw, err := base64.RawURLEncoding.DecodeString(s)
			if err != nil {
				t.Fatalf("stored key is not the sealed text form: %v", err)
			}
			if _, err := x509.ParsePKCS8PrivateKey(raw); err == nil {
				t.Fatal("stored key parses as a private key in clear")
			}
		}

		// Another deployment secret cannot load the keys.
		if err := NewKeyRing(d, newBox(t), f.clock, KeyRingConfig{}).Reload(ctx); !errors.Is(err, secretbox.ErrOpen) {
			t.Errorf("Reload with another secret = %v, want a secretbox error", err)
		}

		// Sealed keys are bound to their kid: swapping two rows' ciphertexts leaves neither usable.
		swap := `UPDATE iam_signing_keys SET private_key_sealed = $1 WHERE kid = $2`
		for i, j := range []int{1, 0} {
			if _, err := d.Writer().ExecContext(ctx, swap, sealed[j], kids[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := NewKeyRing(d, f.box, f.clock, KeyRingConfig{}).Reload(ctx); !errors.Is(err, secretbox.ErrOpen) {
			t.Errorf("Reload after swapping sealed keys = %v, want a secretbox error", err)
		}
	})
}

func TestRunReloadsAndRotatesOnSchedule(t *testing.T) {
	d := sqliteDB(t)
	box := newBox(t)
	clk := clock.NewFake(testStart)
	ring := NewKeyRing(d, box, clk, KeyRingConfig{ReloadInterval: time.Millisecond, RotateEvery: 24 * time.Hour})
	ticks := make(chan struct{}, 1)
	ring.afterTick = func() {
		select {
		case ticks <- struct{}{}:
		default:
		}
	}
	if err := ring.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	other := newLoadedRing(t, d, box, clk, KeyRingConfig{})
	first := ring.Keys()[0].Kid

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ring.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	}()

	// A key rotated elsewhere shows up without any token asking for it.
	kid2, err := other.Rotate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waitForTick(t, ticks, "Run to reload", func() bool { k := ring.Keys(); return len(k) == 2 && k[1].Kid == kid2 })

	// When the signing key reaches RotateEvery, Run rotates it. The first key, retired a day ago, is past
	// retention and deleted by that rotation.
	clk.Advance(25 * time.Hour)
	waitForTick(t, ticks, "Run to rotate", func() bool {
		k := ring.Keys()
		return len(k) == 2 && k[0].Kid == kid2 && k[1].Signing
	})
	keys := ring.Keys()
	if keys[1].Kid == first || !keys[1].CreatedAt.Equal(clk.Now()) || !keys[0].RetireAfter.Equal(clk.Now()) {
		t.Errorf("keys after scheduled rotation: %+v", keys)
	}
	// The new key is young again: later ticks leave it alone.
	for range 3 {
		select {
		case <-ticks:
		case <-time.After(10 * time.Second):
			t.Fatal("Run stopped ticking")
		}
	}
	if got := ring.Keys(); len(got) != 2 || got[1].Kid != keys[1].Kid {
		t.Errorf("Run rotated again: %+v", got)
	}
}

func TestDiscoveryDocument(t *testing.T) {
	tests := []struct{ publicURL, wantIssuer string }{
		{"https://pos.example.vn", "https://pos.example.vn"},
		{"https://pos.example.vn/", "https://pos.example.vn"},
		{"http://localhost:8080", "http://localhost:8080"},
	}
	for _, tt := range tests {
		doc := NewDiscovery(tt.publicURL)
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got["issuer"] != tt.wantIssuer || got["jwks_uri"] != tt.wantIssuer+"/.well-known/jwks.json" {
			t.Errorf("NewDiscovery(%q) = %s", tt.publicURL, b)
		}
		if algs, _ := got["id_token_signing_alg_values_supported"].([]any); len(algs) != 1 || algs[0] != "RS256" {
			t.Errorf("algorithms = %v", got["id_token_signing_alg_values_supported"])
		}
		if NewTokens(nil, tt.publicURL).Issuer() != doc.Issuer {
			t.Errorf("token issuer differs from the discovery issuer for %q", tt.publicURL)
		}
	}
}

func TestJWKSPublishesOnlyPublicKeys(t *testing.T) {
	f := newTokenFixture(t, sqliteDB(t))
	raw, err := f.ring.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	set, err := jwk.Parse(raw)
	if err != nil {
		t.Fatalf("JWKS does not parse: %v", err)
	}
	if set.Len() != 1 {
		t.Fatalf("JWKS has %d keys", set.Len())
	}
	k, _ := set.Key(0)
	if private, err := jwk.IsPrivateKey(k); err != nil || private {
		t.Errorf("JWKS key is private: %v %v", private, err)
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	got := doc.Keys[0]
	if got["kty"] != "RSA" || got["alg"] != "RS256" || got["use"] != "sig" || got["kid"] != f.ring.Keys()[0].Kid {
		t.Errorf("JWKS key = %v", got)
	}
	for _, secret := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		if _, ok := got[secret]; ok {
			t.Errorf("JWKS key carries private member %q", secret)
		}
	}
}

// BenchmarkVerify is the cost of authenticating a request with an access token the replica has already
// verified once (the common case: a terminal sends the same token for up to 15 minutes).
func BenchmarkVerify(b *testing.B) {
	f := newTokenFixture(b, sqliteDB(b))
	token, _, err := f.tokens.Issue(ownerClaims)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.tokens.Verify(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyUncached is the full check of a token seen for the first time: RS256 signature, JSON
// decoding, claim validation.
func BenchmarkVerifyUncached(b *testing.B) {
	f := newTokenFixture(b, sqliteDB(b))
	f.tokens.cache = nil
	token, _, err := f.tokens.Issue(ownerClaims)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.tokens.Verify(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}

func TestVerifiedTokenCache(t *testing.T) {
	f := newTokenFixture(t, sqliteDB(t))
	ctx := context.Background()
	token, _, err := f.tokens.Issue(ownerClaims)
	if err != nil {
		t.Fatal(err)
	}
	first, err := f.tokens.Verify(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.tokens.cache.entries) != 1 {
		t.Fatalf("cache holds %d entries after one Verify", len(f.tokens.cache.entries))
	}
	// What a caller does with the claims does not leak into the next Verify.
	first.Roles[0] = "admin"
	first.ShopRoles["shop-1"][0] = "admin"
	second, err := f.tokens.Verify(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if second.Roles[0] != "owner" || second.ShopRoles["shop-1"][0] != "cashier" {
		t.Errorf("cached claims were changed through a returned copy: %+v", second)
	}
	// A remembered token still expires.
	f.clock.Advance(15*time.Minute + 30*time.Second)
	if _, err := f.tokens.Verify(ctx, token); !errors.Is(err, errTokenExpired) {
		t.Errorf("cached token after expiry: %v, want expired", err)
	}

	// The cache stays within its bound.
	small := newVerifiedTokens(4)
	for i := range 10 {
		small.put([32]byte{byte(i)}, &Claims{ExpiresAt: testStart.Add(time.Hour)}, testStart)
		if n := len(small.entries); n > 4 {
			t.Fatalf("cache grew to %d entries, bound 4", n)
		}
	}
	if small.get([32]byte{9}, testStart, time.Second) == nil {
		t.Error("the entry just added is missing")
	}
}

// BenchmarkIssue is the cost of signing one access token (login, refresh).
func BenchmarkIssue(b *testing.B) {
	f := newTokenFixture(b, sqliteDB(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := f.tokens.Issue(ownerClaims); err != nil {
			b.Fatal(err)
		}
	}
}

// decodeParts returns a token's header and payload as JSON objects.
func decodeParts(t testing.TB, token string) (map[string]any, map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	var out [2]map[string]any
	for i := range out {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out[0], out[1]
}

func kidOf(t testing.TB, token string) string {
	hdr, _ := decodeParts(t, token)
	kid, _ := hdr["kid"].(string)
	return kid
}

func jwksKids(t testing.TB, r *KeyRing) []string {
	t.Helper()
	raw, err := r.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range doc.Keys {
		kids = append(kids, k.Kid)
	}
	slices.Sort(kids)
	return kids
}

func sorted(s ...string) []string { slices.Sort(s); return s }

// swapPayload replaces a token's payload and keeps its header and signature.
func swapPayload(t testing.TB, token string, claims map[string]any) string {
	parts := strings.Split(token, ".")
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return parts[0] + "." + b64(b) + "." + parts[2]
}

// handResign makes a fresh token with the same header as token, valid at now, signed with key.
func handResign(t testing.TB, token string, key *rsa.PrivateKey, now time.Time) string {
	hdr, claims := decodeParts(t, token)
	claims["iat"], claims["nbf"], claims["exp"] = now.Unix(), now.Unix(), now.Add(15*time.Minute).Unix()
	return handToken{hdr, claims, rsaSigner(t, key, crypto.SHA256)}.String(t)
}

func claimsEqual(a, b Claims) bool {
	return a.Subject == b.Subject && a.Kind == b.Kind && a.MerchantID == b.MerchantID &&
		slices.Equal(a.Roles, b.Roles) && maps.EqualFunc(a.ShopRoles, b.ShopRoles, slices.Equal) &&
		a.SessionID == b.SessionID && a.ID == b.ID && a.IssuedAt.Equal(b.IssuedAt) && a.ExpiresAt.Equal(b.ExpiresAt)
}

// waitForTick runs cond after each of Run's ticks until it holds, failing after 10 s.
func waitForTick(t testing.TB, ticks <-chan struct{}, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-ticks:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// FuzzVerify feeds Verify arbitrary tokens: it must never panic, and whatever it accepts must carry the
// claims of the one genuine token in the corpus (nothing can be forged by mutation).
func FuzzVerify(f *testing.F) {
	fx := newTokenFixture(f, sqliteDB(f))
	genuine, _, err := fx.tokens.Issue(ownerClaims)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(genuine)
	f.Add("")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add(strings.Replace(genuine, ".", "..", 1))
	f.Fuzz(func(t *testing.T, token string) {
		c, err := fx.tokens.Verify(context.Background(), token)
		if err != nil {
			if k := apperr.KindOf(err); k != apperr.Unauthenticated {
				t.Fatalf("refusal of kind %v: %v", k, err)
			}
			return
		}
		if c.Subject != ownerClaims.Subject || c.MerchantID != ownerClaims.MerchantID || !slices.Equal(c.Roles, ownerClaims.Roles) {
			t.Fatalf("accepted a token with other claims: %+v", c)
		}
	})
}
