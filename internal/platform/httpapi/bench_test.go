package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/db"
)

// newBenchEnv keeps the limiter in the path (its cost is measured) with limits it never reaches: the fake
// clock does not move during a benchmark.
func newBenchEnv(b *testing.B) *testEnv {
	b.Helper()
	huge := Limit{1 << 30, time.Minute}
	limits := map[Class]Limit{ClassRead: huge, ClassPublic: huge, ClassGeneral: huge}
	return newTestEnv(b, nil, Config{Limits: limits},
		Deps{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
}

// BenchmarkEmptyAuthenticatedCall measures the whole stack around a handler that does nothing: request id,
// access log, recovery, headers, CORS, limits, authentication, rate limit and security check.
func BenchmarkEmptyAuthenticatedCall(b *testing.B) {
	env := newBenchEnv(b)
	huma.Register(env.srv.API, huma.Operation{OperationID: "bench-empty", Method: http.MethodGet, Path: "/bench/empty",
		Security: BearerAuth()}, func(ctx context.Context, _ *struct{}) (*struct{}, error) { return nil, nil })
	req := httptest.NewRequest(http.MethodGet, "/bench/empty", nil)
	req.Header.Set("Authorization", "Bearer u1@m1")
	h := env.srv.Handler()
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNoContent {
			b.Fatalf("status %d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkIdempotentPost measures a POST carrying an Idempotency-Key on SQLite: claim, handler, store
// (fresh key each iteration), and the replay of a stored response.
func BenchmarkIdempotentPost(b *testing.B) {
	body := `{"name":"Cà phê sữa đá","quantity":2}`
	post := func(h http.Handler, key string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/things", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer u1@m1")
		req.Header.Set(IdempotencyKeyHeader, key)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	b.Run("fresh", func(b *testing.B) {
		env := newBenchEnv(b)
		h := env.srv.Handler()
		b.ReportAllocs()
		for b.Loop() {
			if rec := post(h, db.NewID()); rec.Code != http.StatusCreated {
				b.Fatalf("status %d %s", rec.Code, rec.Body)
			}
		}
	})
	b.Run("replay", func(b *testing.B) {
		env := newBenchEnv(b)
		h := env.srv.Handler()
		key := db.NewID()
		post(h, key)
		b.ReportAllocs()
		for b.Loop() {
			if rec := post(h, key); rec.Header().Get(ReplayedHeader) != "true" {
				b.Fatalf("not replayed: %d %s", rec.Code, rec.Body)
			}
		}
	})
}
