package iam

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/migrate"
)

var ownerSession = Session{SubjectID: "user-1", Kind: KindUser, MerchantID: "merchant-1"}

func newRefreshFixture(t *testing.T, d *db.DB) (*RefreshStore, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(testStart)
	return NewRefreshStore(d, clk), clk
}

func start(t *testing.T, s *RefreshStore, sess Session) (RefreshToken, Session) {
	t.Helper()
	tok, got, err := s.Start(context.Background(), sess)
	if err != nil {
		t.Fatal(err)
	}
	return tok, got
}

// wantRefused checks that err is the Unauthenticated refusal of a refresh token, for reason.
func wantRefused(t *testing.T, err error, reason error) {
	t.Helper()
	if apperr.KindOf(err) != apperr.Unauthenticated {
		t.Fatalf("error = %v, want kind unauthenticated", err)
	}
	if !errors.Is(err, reason) {
		t.Fatalf("error = %v, want reason %v", err, reason)
	}
}

func TestRefreshRotationRoundTrip(t *testing.T) {
	dbtest.Each(t, []migrate.Source{Migrations}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newRefreshFixture(t, d)
		pin := Session{SubjectID: "user-7", Kind: KindUser, MerchantID: "merchant-1"}
		first, sess, err := s.Start(ctx, pin)
		if err != nil {
			t.Fatal(err)
		}
		if sess.FamilyID == "" {
			t.Fatal("Start set no family id")
		}
		if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(first.Token) {
			t.Errorf("token %q is not 256 bits of base64url", first.Token)
		}
		if !first.ExpiresAt.Equal(testStart.Add(7 * 24 * time.Hour)) {
			t.Errorf("ExpiresAt = %v, want 7 days on", first.ExpiresAt)
		}

		// Only the SHA-256 of the token is stored.
		raw, _ := base64.RawURLEncoding.DecodeString(first.Token)
		sum := sha256.Sum256(raw)
		var stored string
		if err := d.Reader().QueryRowContext(ctx, "SELECT token_hash FROM iam_refresh_tokens").Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored != hex.EncodeToString(sum[:]) {
			t.Errorf("stored %q, want the SHA-256 of the token", stored)
		}

		clk.Advance(6 * 24 * time.Hour) // still within 7 days
		second, got, err := s.Rotate(ctx, first.Token)
		if err != nil {
			t.Fatalf("Rotate: %v", err)
		}
		pin.FamilyID = sess.FamilyID
		if got != pin {
			t.Errorf("Rotate session = %+v, want %+v", got, pin)
		}
		if second.Token == first.Token || !second.ExpiresAt.Equal(clk.Now().Add(RefreshTTL)) {
			t.Errorf("successor = %+v", second)
		}
		if _, _, err := s.Rotate(ctx, second.Token); err != nil {
			t.Fatalf("Rotate of the successor: %v", err)
		}
		if n, _ := s.ActiveSessions(ctx, "user-7"); n != 1 {
			t.Errorf("ActiveSessions = %d, want 1 (rotation keeps the family)", n)
		}
	})
}

// TestStaffSessionDoesNotSlide checks a PIN session lasts StaffSessionTTL from the PIN login, however
// often it is refreshed, and keeps its shop.
func TestStaffSessionDoesNotSlide(t *testing.T) {
	ctx := context.Background()
	s, clk := newRefreshFixture(t, sqliteDB(t))
	pin := Session{SubjectID: "staff-7", Kind: KindStaff, MerchantID: "merchant-1", ShopID: "shop-3"}
	tok, sess, err := s.Start(ctx, pin)
	if err != nil {
		t.Fatal(err)
	}
	end := testStart.Add(StaffSessionTTL)
	if !tok.ExpiresAt.Equal(end) {
		t.Fatalf("ExpiresAt = %v, want %v", tok.ExpiresAt, end)
	}
	for range 3 {
		clk.Advance(3 * time.Hour)
		var got Session
		tok, got, err = s.Rotate(ctx, tok.Token)
		if err != nil {
			t.Fatal(err)
		}
		pin.FamilyID = sess.FamilyID
		if got != pin || !tok.ExpiresAt.Equal(end) {
			t.Fatalf("Rotate = %+v, %+v; want %+v expiring %v", tok, got, pin, end)
		}
	}
	clk.Advance(3 * time.Hour)
	if _, _, err := s.Rotate(ctx, tok.Token); !errors.Is(err, errRefreshExpired) {
		t.Fatalf("Rotate after %v = %v, want expired", StaffSessionTTL, err)
	}
}

func TestReusedRefreshTokenRevokesTheFamily(t *testing.T) {
	dbtest.Each(t, []migrate.Source{Migrations}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newRefreshFixture(t, d)
		stolen, sess := start(t, s, ownerSession)
		other, _ := start(t, s, ownerSession) // the same user on another device

		current, _, err := s.Rotate(ctx, stolen.Token) // the client refreshes
		if err != nil {
			t.Fatal(err)
		}
		_, got, err := s.Rotate(ctx, stolen.Token) // the thief replays the old token
		wantRefused(t, err, ErrRefreshTokenReused)
		if got.FamilyID != sess.FamilyID || got.SubjectID != "user-1" {
			t.Errorf("reuse reported session %+v, want the family's", got)
		}
		// The whole family is gone, including the token the client holds now …
		_, _, err = s.Rotate(ctx, current.Token)
		wantRefused(t, err, errRefreshRevoked)
		// … and replaying again is still refused.
		_, _, err = s.Rotate(ctx, stolen.Token)
		wantRefused(t, err, ErrRefreshTokenReused)
		// The user's other session is untouched.
		if _, _, err := s.Rotate(ctx, other.Token); err != nil {
			t.Errorf("other family was revoked too: %v", err)
		}
	})
}

func TestRefreshRefusals(t *testing.T) {
	dbtest.Each(t, []migrate.Source{Migrations}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newRefreshFixture(t, d)
		tok, _ := start(t, s, ownerSession)
		unknown := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
		tests := []struct {
			name   string
			token  string
			reason error
		}{
			{"unknown token", unknown, errRefreshUnknown},
			{"empty", "", errRefreshUnknown},
			{"too short", tok.Token[:42], errRefreshUnknown},
			{"not base64url", tok.Token[:42] + "+", errRefreshUnknown},
			{"padded", tok.Token + "=", errRefreshUnknown},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, _, err := s.Rotate(ctx, tt.token)
				wantRefused(t, err, tt.reason)
			})
		}

		clk.Advance(RefreshTTL)
		_, _, err := s.Rotate(ctx, tok.Token)
		wantRefused(t, err, errRefreshExpired)
	})
}

func TestLogoutAndSignOutOtherSessions(t *testing.T) {
	dbtest.Each(t, []migrate.Source{Migrations}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newRefreshFixture(t, d)
		phone, phoneSess := start(t, s, ownerSession)
		laptop, _ := start(t, s, ownerSession)
		tablet, _ := start(t, s, ownerSession)
		someoneElse, _ := start(t, s, Session{SubjectID: "user-2", Kind: KindUser, MerchantID: "merchant-2"})
		// A rotated token in the kept family must not be counted or touched.
		phone, _, err := s.Rotate(ctx, phone.Token)
		if err != nil {
			t.Fatal(err)
		}

		n, err := s.RevokeOtherSessions(ctx, "user-1", phoneSess.FamilyID)
		if err != nil || n != 2 {
			t.Fatalf("RevokeOtherSessions = %d, %v; want 2", n, err)
		}
		for _, revoked := range []RefreshToken{laptop, tablet} {
			_, _, err := s.Rotate(ctx, revoked.Token)
			wantRefused(t, err, errRefreshRevoked)
		}
		phone, _, err = s.Rotate(ctx, phone.Token)
		if err != nil {
			t.Fatalf("kept session refused: %v", err)
		}
		if _, _, err := s.Rotate(ctx, someoneElse.Token); err != nil {
			t.Fatalf("another user's session refused: %v", err)
		}

		// Logout ends the phone's session; an unknown token logs out quietly.
		sess, err := s.Revoke(ctx, phone.Token)
		if err != nil || sess.FamilyID != phoneSess.FamilyID {
			t.Fatalf("Revoke = %+v, %v", sess, err)
		}
		_, _, err = s.Rotate(ctx, phone.Token)
		wantRefused(t, err, errRefreshRevoked)
		if sess, err := s.Revoke(ctx, "not-a-token"); err != nil || sess != (Session{}) {
			t.Errorf("Revoke(garbage) = %+v, %v", sess, err)
		}
		if n, _ := s.ActiveSessions(ctx, "user-1"); n != 0 {
			t.Errorf("ActiveSessions = %d after signing everything out", n)
		}

		// RevokeFamily by the access token's sid.
		_, fresh := start(t, s, ownerSession)
		if err := s.RevokeFamily(ctx, fresh.FamilyID); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.ActiveSessions(ctx, "user-1"); n != 0 {
			t.Errorf("ActiveSessions = %d after RevokeFamily", n)
		}
	})
}

func TestConcurrentUseOfOneRefreshTokenLetsExactlyOneThrough(t *testing.T) {
	dbtest.Each(t, []migrate.Source{Migrations}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newRefreshFixture(t, d)
		tok, _ := start(t, s, ownerSession)

		const callers = 8
		var (
			wg      sync.WaitGroup
			startCh = make(chan struct{})
			results = make([]error, callers)
			issued  = make([]RefreshToken, callers)
		)
		for i := range callers {
			wg.Go(func() {
				<-startCh
				issued[i], _, results[i] = s.Rotate(ctx, tok.Token)
			})
		}
		close(startCh)
		wg.Wait()

		var winners int
		var winner RefreshToken
		for i, err := range results {
			switch {
			case err == nil:
				winners++
				winner = issued[i]
			case apperr.KindOf(err) != apperr.Unauthenticated || !errors.Is(err, ErrRefreshTokenReused):
				t.Errorf("caller %d: %v, want a reuse refusal", i, err)
			}
		}
		if winners != 1 {
			t.Fatalf("%d concurrent uses succeeded, want exactly 1", winners)
		}
		// The losers were reuses, so the family — the winner's new token too — is revoked.
		_, _, err := s.Rotate(ctx, winner.Token)
		wantRefused(t, err, errRefreshRevoked)
	})
}

func TestPurgeExpiredRefreshTokens(t *testing.T) {
	dbtest.Each(t, []migrate.Source{Migrations}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newRefreshFixture(t, d)
		old, _ := start(t, s, ownerSession)
		clk.Advance(3 * 24 * time.Hour)
		recent, _ := start(t, s, ownerSession)
		clk.Advance(4*24*time.Hour + time.Second) // old has expired, recent has not

		n, err := s.PurgeExpired(ctx)
		if err != nil || n != 1 {
			t.Fatalf("PurgeExpired = %d, %v; want 1", n, err)
		}
		_, _, err = s.Rotate(ctx, old.Token)
		wantRefused(t, err, errRefreshUnknown)
		if _, _, err := s.Rotate(ctx, recent.Token); err != nil {
			t.Fatalf("unexpired token purged: %v", err)
		}
	})
}

func TestStartRefusesAnIncompleteSession(t *testing.T) {
	s, _ := newRefreshFixture(t, sqliteDB(t))
	for _, sess := range []Session{{Kind: KindUser}, {SubjectID: "u-1"}, {SubjectID: "u-1", Kind: "robot"}} {
		if _, _, err := s.Start(context.Background(), sess); err == nil {
			t.Errorf("Start(%+v) succeeded", sess)
		}
	}
}

// TestTablesAreGlobalAndMatchAcrossEngines checks the two engines' migrations give the same tables and
// columns, and that only the audit log is a tenant table (merchant_id, row-level security forced on
// PostgreSQL); the others are global, as the package comment says.
func TestTablesAreGlobalAndMatchAcrossEngines(t *testing.T) {
	ctx := context.Background()
	schemas := map[db.Dialect]map[string]migrate.Table{}
	for _, dialect := range dbtest.Dialects() {
		d := dbtest.New(t, dialect)
		if err := migrate.Up(ctx, d, quietLog(), Migrations); err != nil {
			t.Fatalf("%s: %v", dialect, err)
		}
		tables, err := migrate.Schema(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		for name, table := range tables {
			tenantTable := name == "iam_audit_log"
			if got := slices.Contains(table.Columns, "merchant_id"); got != tenantTable {
				t.Errorf("%s.%s: has merchant_id = %v; only iam_audit_log is tenant data", dialect, name, got)
			}
			if dialect == db.Postgres && tenantTable && (!table.RLS || !table.ForceRLS || table.Policies != 2) {
				t.Errorf("%s.%s: row-level security %+v, want enabled, forced, two policies (tenant, system inserts)", dialect, name, table)
			}
		}
		for _, want := range []string{"iam_users", "iam_recovery_codes", "iam_mfa_challenges", "iam_audit_log"} {
			if _, ok := tables[want]; !ok {
				t.Errorf("%s: %s missing", dialect, want)
			}
		}
		if _, ok := tables["iam_refresh_tokens"]; !ok {
			t.Fatalf("%s: iam_refresh_tokens missing", dialect)
		}
		schemas[dialect] = tables
	}
	pg, ok := schemas[db.Postgres]
	if !ok {
		t.Skip(dbtest.EnvURL + " not set: engines not compared")
	}
	lite := schemas[db.SQLite]
	if len(pg) != len(lite) {
		t.Fatalf("postgres has %d tables, sqlite %d", len(pg), len(lite))
	}
	for name, want := range lite {
		got := pg[name]
		if !slices.Equal(got.Columns, want.Columns) {
			t.Errorf("%s: postgres columns %v, sqlite %v", name, got.Columns, want.Columns)
		}
	}
}
