package httpapi

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/migrate"
)

const (
	thingA = `{"name":"Bạc xỉu","quantity":1}`
	thingB = `{"name":"Bạc xỉu","quantity":2}`
)

func TestIdempotency(t *testing.T) {
	dbtest.Each(t, []migrate.Source{Migrations}, func(t *testing.T, d *db.DB) {
		t.Run("the same key and body replays the first response", func(t *testing.T) {
			env := newTestEnv(t, d, Config{}, Deps{})
			key := db.NewID()
			first := env.do(t, "POST", "/api/v1/things", thingA, IdempotencyKeyHeader, key)
			if first.Code != http.StatusCreated || first.Header().Get(ReplayedHeader) != "" {
				t.Fatalf("first: %d %s replayed=%q", first.Code, first.Body, first.Header().Get(ReplayedHeader))
			}
			again := env.do(t, "POST", "/api/v1/things", thingA, IdempotencyKeyHeader, key)
			if again.Code != http.StatusCreated || again.Body.String() != first.Body.String() {
				t.Fatalf("replay: %d %s, want 201 %s", again.Code, again.Body, first.Body)
			}
			for _, h := range []string{"Content-Type", "Location"} {
				if got, want := again.Header().Get(h), first.Header().Get(h); got != want || want == "" {
					t.Errorf("replayed %s = %q, want %q", h, got, want)
				}
			}
			if got := again.Header().Get(ReplayedHeader); got != "true" {
				t.Errorf("%s = %q, want true", ReplayedHeader, got)
			}
			checkCommonHeaders(t, again)
			if n := env.created.Load(); n != 1 {
				t.Errorf("handler ran %d times, want 1", n)
			}
			// Keys are scoped: another merchant, or anonymous callers, using the same key run their own request.
			other := env.do(t, "POST", "/api/v1/things", thingA, IdempotencyKeyHeader, key, "Authorization", "Bearer u2@m2")
			if other.Code != http.StatusCreated || other.Header().Get(ReplayedHeader) != "" {
				t.Fatalf("other merchant: %d replayed=%q", other.Code, other.Header().Get(ReplayedHeader))
			}
			if n := env.created.Load(); n != 2 {
				t.Errorf("handler ran %d times, want 2", n)
			}
		})

		t.Run("the same key with another body is refused", func(t *testing.T) {
			env := newTestEnv(t, d, Config{}, Deps{})
			key := db.NewID()
			env.do(t, "POST", "/api/v1/things", thingA, IdempotencyKeyHeader, key)
			rec := env.do(t, "POST", "/api/v1/things", thingB, IdempotencyKeyHeader, key)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", rec.Code)
			}
			p := problemOf(t, rec)
			if len(p.Errors) != 1 || p.Errors[0].Location != "header.Idempotency-Key" {
				t.Errorf("errors = %+v, want one about header.Idempotency-Key", p.Errors)
			}
			rec = env.do(t, "POST", "/api/v1/things?dry_run=1", thingA, IdempotencyKeyHeader, key)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("another query: status %d, want 422", rec.Code)
			}
			if n := env.created.Load(); n != 1 {
				t.Errorf("handler ran %d times, want 1", n)
			}
			// Another user of the same merchant with the same key and body does not get the first one's answer.
			mine := db.NewID()
			env.do(t, "POST", "/api/v1/things", thingA, IdempotencyKeyHeader, mine, "Authorization", "Bearer u1@m9")
			rec = env.do(t, "POST", "/api/v1/things", thingA, IdempotencyKeyHeader, mine, "Authorization", "Bearer u2@m9")
			if rec.Code != http.StatusUnprocessableEntity || rec.Header().Get(ReplayedHeader) != "" {
				t.Errorf("another user of the merchant: status %d replayed=%q, want 422", rec.Code, rec.Header().Get(ReplayedHeader))
			}
		})

		t.Run("an operation that issues credentials never stores or replays", func(t *testing.T) {
			env := newTestEnv(t, d, Config{}, Deps{})
			key := db.NewID()
			first := env.do(t, "POST", "/api/v1/tokens", thingA, IdempotencyKeyHeader, key)
			second := env.do(t, "POST", "/api/v1/tokens", thingA, IdempotencyKeyHeader, key)
			if first.Code != 200 || second.Code != 200 || second.Header().Get(ReplayedHeader) != "" || first.Body.String() == second.Body.String() {
				t.Fatalf("first %d %s, second %d %s replayed=%q; want two fresh answers", first.Code, first.Body, second.Code, second.Body, second.Header().Get(ReplayedHeader))
			}
			var stored int
			err := d.WithSystemTx(context.Background(), "test: count stored keys", func(tx *sql.Tx) error {
				return tx.QueryRow(`SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = $1`, key).Scan(&stored)
			})
			if err != nil || stored != 0 {
				t.Errorf("%d rows stored for a skipped operation (%v)", stored, err)
			}
		})

		t.Run("an operation may require a key", func(t *testing.T) {
			env := newTestEnv(t, d, Config{}, Deps{})
			auth := []string{"Authorization", "Bearer u1@m1"}
			tests := []struct {
				name string
				key  string
				want int
			}{
				{"missing", "", http.StatusUnprocessableEntity},
				{"too long", strings.Repeat("k", 256), http.StatusUnprocessableEntity},
				{"control character", "abc\tdef", http.StatusUnprocessableEntity},
				{"present", db.NewID(), http.StatusCreated},
			}
			for _, tt := range tests {
				h := auth
				if tt.key != "" {
					h = append([]string{IdempotencyKeyHeader, tt.key}, auth...)
				}
				rec := env.do(t, "POST", "/api/v1/orders", thingA, h...)
				if rec.Code != tt.want {
					t.Errorf("%s: status %d, want %d (%s)", tt.name, rec.Code, tt.want, rec.Body)
				}
				if tt.want == http.StatusUnprocessableEntity {
					if p := problemOf(t, rec); len(p.Errors) == 0 || p.Errors[0].Location != "header.Idempotency-Key" {
						t.Errorf("%s: errors = %+v", tt.name, p.Errors)
					}
				}
			}
		})

		t.Run("concurrent requests with one key run the handler once", func(t *testing.T) {
			env := newTestEnv(t, d, Config{}, Deps{})
			env.block = make(chan struct{})
			env.entered = make(chan struct{}, 2)
			waiting := make(chan struct{})
			var once sync.Once
			env.srv.idemWaitHook = func() { once.Do(func() { close(waiting) }) }
			key := db.NewID()
			results := make(chan *httptest.ResponseRecorder, 2)
			send := func() { results <- env.do(t, "POST", "/api/v1/things", thingA, IdempotencyKeyHeader, key) }
			go send()
			waitFor(t, env.entered, "the first request to reach the handler")
			go send()
			waitFor(t, waiting, "the second request to wait for the first")
			close(env.block)
			a, b := <-results, <-results
			if a.Code != http.StatusCreated || b.Code != http.StatusCreated || a.Body.String() != b.Body.String() {
				t.Fatalf("responses %d %s / %d %s, want two identical 201s", a.Code, a.Body, b.Code, b.Body)
			}
			if a.Header().Get(ReplayedHeader)+b.Header().Get(ReplayedHeader) != "true" {
				t.Errorf("want exactly one replayed response")
			}
			if n := env.created.Load(); n != 1 {
				t.Errorf("handler ran %d times, want 1", n)
			}
		})

		t.Run("a request still running past the wait bound gives 409", func(t *testing.T) {
			env := newTestEnv(t, d, Config{IdempotencyWait: 20 * time.Millisecond}, Deps{})
			env.block = make(chan struct{})
			env.entered = make(chan struct{}, 1)
			key := db.NewID()
			first := make(chan *httptest.ResponseRecorder, 1)
			go func() { first <- env.do(t, "POST", "/api/v1/things", thingA, IdempotencyKeyHeader, key) }()
			waitFor(t, env.entered, "the first request to reach the handler")
			rec := env.do(t, "POST", "/api/v1/things", thingA, IdempotencyKeyHeader, key)
			close(env.block)
			if rec.Code != http.StatusConflict || rec.Header().Get("Retry-After") == "" {
				t.Fatalf("second: %d Retry-After=%q, want 409 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
			}
			problemOf(t, rec)
			if got := <-first; got.Code != http.StatusCreated {
				t.Fatalf("first: %d", got.Code)
			}
		})

		t.Run("a claim whose owner died is taken over after its lease", func(t *testing.T) {
			env := newTestEnv(t, d, Config{IdempotencyWait: 20 * time.Millisecond}, Deps{})
			ctx := context.Background()
			key := db.NewID()
			fp := fingerprint(httptest.NewRequest("POST", "/api/v1/things", nil), []byte(thingA))
			dead, stored, err := env.srv.idem.claimOrWait(ctx, anonymousScope, key, fp, time.Second, nil)
			if err != nil || stored != nil {
				t.Fatalf("claim: %v %v", err, stored)
			}
			if rec := env.do(t, "POST", "/api/v1/things", thingA, IdempotencyKeyHeader, key); rec.Code != http.StatusConflict {
				t.Fatalf("while the lease lives: %d, want 409", rec.Code)
			}
			env.clock.Advance(DefaultIdempotencyLease + time.Second)
			rec := env.do(t, "POST", "/api/v1/things", thingA, IdempotencyKeyHeader, key)
			if rec.Code != http.StatusCreated || rec.Header().Get(ReplayedHeader) != "" {
				t.Fatalf("after the lease: %d replayed=%q, want a fresh 201", rec.Code, rec.Header().Get(ReplayedHeader))
			}
			if err := env.srv.idem.complete(ctx, dead, storedResponse{status: 200}); err == nil {
				t.Error("the dead owner could still store a response")
			}
			if again := env.do(t, "POST", "/api/v1/things", thingA, IdempotencyKeyHeader, key); again.Body.String() != rec.Body.String() {
				t.Errorf("replay after take-over = %s, want %s", again.Body, rec.Body)
			}
		})

		t.Run("server errors are not stored", func(t *testing.T) {
			env := newTestEnv(t, d, Config{}, Deps{})
			key := db.NewID()
			env.failNext.Store(true)
			if rec := env.do(t, "POST", "/api/v1/things", thingA, IdempotencyKeyHeader, key); rec.Code != http.StatusInternalServerError {
				t.Fatalf("first: %d, want 500", rec.Code)
			}
			if rec := env.do(t, "POST", "/api/v1/things", thingA, IdempotencyKeyHeader, key); rec.Code != http.StatusCreated || rec.Header().Get(ReplayedHeader) != "" {
				t.Fatalf("retry: %d, want the operation to run again", rec.Code)
			}
			if rec := env.do(t, "POST", "/api/v1/things", thingA, IdempotencyKeyHeader, key); rec.Header().Get(ReplayedHeader) != "true" {
				t.Fatalf("third: want the stored 201 replayed")
			}
			if n := env.created.Load(); n != 2 {
				t.Errorf("handler ran %d times, want 2", n)
			}
		})

		t.Run("a panicking handler releases its claim", func(t *testing.T) {
			env := newTestEnv(t, d, Config{}, Deps{})
			key := db.NewID()
			if rec := env.do(t, "POST", "/api/v1/explode", thingA, IdempotencyKeyHeader, key); rec.Code != http.StatusInternalServerError {
				t.Fatalf("status %d, want 500", rec.Code)
			}
			rec, err := env.srv.idem.get(context.Background(), anonymousScope, key)
			if err != nil || rec != nil {
				t.Fatalf("record after the panic = %+v, %v; want none", rec, err)
			}
		})

		t.Run("expired keys are forgotten and purged", func(t *testing.T) {
			env := newTestEnv(t, d, Config{}, Deps{})
			ctx := context.Background()
			key := db.NewID()
			env.do(t, "POST", "/api/v1/things", thingA, IdempotencyKeyHeader, key)
			env.clock.Advance(23 * time.Hour)
			if rec := env.do(t, "POST", "/api/v1/things", thingA, IdempotencyKeyHeader, key); rec.Header().Get(ReplayedHeader) != "true" {
				t.Fatal("a key was forgotten before 24 hours")
			}
			env.clock.Advance(2 * time.Hour)
			if rec := env.do(t, "POST", "/api/v1/things", thingB, IdempotencyKeyHeader, key); rec.Code != http.StatusCreated || rec.Header().Get(ReplayedHeader) != "" {
				t.Fatalf("after expiry: %d replayed=%q, want a fresh run", rec.Code, rec.Header().Get(ReplayedHeader))
			}
			old := db.NewID()
			env.do(t, "POST", "/api/v1/things", thingA, IdempotencyKeyHeader, old, "Authorization", "Bearer u1@m7")
			env.clock.Advance(25 * time.Hour)
			n, err := env.srv.PurgeExpired(ctx)
			if err != nil || n < 2 {
				t.Fatalf("PurgeExpired = %d, %v; want ≥ 2 (both scopes)", n, err)
			}
			if rec, err := env.srv.idem.get(ctx, "m7", old); err != nil || rec != nil {
				t.Fatalf("purged key still there: %+v %v", rec, err)
			}
		})

		t.Run("row-level security hides other scopes' keys", func(t *testing.T) {
			if d.Dialect() != db.Postgres {
				t.Skip("SQLite has no row-level security; every query filters by scope")
			}
			env := newTestEnv(t, d, Config{}, Deps{})
			env.do(t, "POST", "/api/v1/things", thingA, IdempotencyKeyHeader, db.NewID(), "Authorization", "Bearer u1@rls-a")
			env.do(t, "POST", "/api/v1/things", thingA, IdempotencyKeyHeader, db.NewID(), "Authorization", "Bearer u2@rls-b")
			var scopes []string
			err := d.ReadTx(context.Background(), "rls-b", func(tx *sql.Tx) error {
				rows, err := tx.Query("SELECT merchant_id FROM idempotency_keys") // no filter on purpose
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var m string
					if err := rows.Scan(&m); err != nil {
						return err
					}
					scopes = append(scopes, m)
				}
				return rows.Err()
			})
			if err != nil || len(scopes) != 1 || scopes[0] != "rls-b" {
				t.Fatalf("an unfiltered query in rls-b's transaction saw %v, %v; want only rls-b", scopes, err)
			}
		})
	})
}

// waitFor waits for ch or fails the test after a generous deadline (a loaded box is slow, never this slow).
func waitFor[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}
