package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/goodgo/goodgo/internal/platform/clock"
)

func TestParseLimit(t *testing.T) {
	tests := []struct {
		in      string
		want    Limit
		wantErr bool
	}{
		{"100/m", Limit{100, time.Minute}, false},
		{"10/s", Limit{10, time.Second}, false},
		{"600/h", Limit{600, time.Hour}, false},
		{" 30 / min ", Limit{30, time.Minute}, false},
		{"5/30s", Limit{5, 30 * time.Second}, false},
		{"off", Limit{}, false},
		{"0", Limit{}, false},
		{"100", Limit{}, true},
		{"-1/m", Limit{}, true},
		{"abc/m", Limit{}, true},
		{"10/fortnight", Limit{}, true},
		{"10/-5s", Limit{}, true},
		{"2000000/1us", Limit{}, true},
	}
	for _, tt := range tests {
		got, err := ParseLimit(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseLimit(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	for _, l := range DefaultLimits() {
		back, err := ParseLimit(l.String())
		if err != nil || back != l {
			t.Errorf("ParseLimit(%q) = %v, %v; want %v", l.String(), back, err, l)
		}
	}
}

func TestMemoryLimiterGCRA(t *testing.T) {
	clk := clock.NewFake(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	l := NewMemoryLimiter(clk)
	ctx := context.Background()
	limit := Limit{3, time.Minute}
	for i := range 3 {
		d, _ := l.Allow(ctx, "k", limit)
		if !d.Allowed || d.Remaining != 2-i {
			t.Fatalf("request %d: %+v, want allowed with %d remaining", i+1, d, 2-i)
		}
	}
	d, _ := l.Allow(ctx, "k", limit)
	if d.Allowed || d.RetryAfter != 20*time.Second {
		t.Fatalf("4th request: %+v, want refused, retry after 20s", d)
	}
	if d, _ := l.Allow(ctx, "other", limit); !d.Allowed {
		t.Fatal("another key shares the budget")
	}
	clk.Advance(19 * time.Second)
	if d, _ := l.Allow(ctx, "k", limit); d.Allowed {
		t.Fatal("allowed before the interval passed")
	}
	clk.Advance(time.Second)
	if d, _ := l.Allow(ctx, "k", limit); !d.Allowed {
		t.Fatal("refused after the interval passed")
	}
	// After a quiet period the budget is whole again and the entry is swept.
	clk.Advance(2 * time.Hour)
	for range 3 {
		if d, _ := l.Allow(ctx, "k", limit); !d.Allowed {
			t.Fatal("budget not restored after a quiet period")
		}
	}
	total := 0
	for i := range l.shards {
		total += len(l.shards[i].tat)
	}
	if total != 1 {
		t.Errorf("%d entries kept, want 1 (stale keys swept)", total)
	}
}

// limiterContract checks any Limiter: a burst of Count passes, the next is refused with a Retry-After
// within one interval, and keys are independent.
func limiterContract(t *testing.T, l Limiter, prefix string) {
	t.Helper()
	ctx := context.Background()
	limit := Limit{5, time.Minute}
	for i := range 5 {
		d, err := l.Allow(ctx, prefix+"a", limit)
		if err != nil || !d.Allowed {
			t.Fatalf("request %d: %+v, %v; want allowed", i+1, d, err)
		}
	}
	d, err := l.Allow(ctx, prefix+"a", limit)
	if err != nil || d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 12*time.Second {
		t.Fatalf("6th request: %+v, %v; want refused with 0 < retry ≤ 12s", d, err)
	}
	if d, err := l.Allow(ctx, prefix+"b", limit); err != nil || !d.Allowed {
		t.Fatalf("other key: %+v, %v; want allowed", d, err)
	}
}

func TestRedisLimiterMiniredis(t *testing.T) {
	mr := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { client.Close() })
	limiterContract(t, NewRedisLimiter(client, "test:"), "")
	if !mr.Exists("rate:test:a") {
		t.Errorf("keys = %v, want rate:test:a (prefix applied)", mr.Keys())
	}
}

func TestRedisLimiterRealRedis(t *testing.T) {
	url := os.Getenv("GOODGO_TEST_REDIS_URL")
	if url == "" {
		t.Skip("GOODGO_TEST_REDIS_URL not set")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opts)
	t.Cleanup(func() { client.Close() })
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "goodgo-test-" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := client.Keys(ctx, "rate:"+prefix+"*").Result()
		if len(keys) > 0 {
			client.Del(ctx, keys...)
		}
	})
	limiterContract(t, NewRedisLimiter(client, prefix), "")
}

func TestRedisLimiterThroughHTTP(t *testing.T) {
	mr := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { client.Close() })
	limiter := NewRedisLimiter(client, "http:")
	// Two replicas sharing one Redis share the budget.
	cfg := Config{Limits: map[Class]Limit{ClassPublic: {2, time.Minute}}}
	a := newTestEnv(t, nil, cfg, Deps{Limiter: limiter})
	b := newTestEnv(t, nil, cfg, Deps{Limiter: limiter})
	for i, env := range []*testEnv{a, b, a} {
		rec := env.do(t, "GET", "/api/v1/fail/not-found", "")
		want := http.StatusNotFound
		if i == 2 {
			want = http.StatusTooManyRequests
		}
		if rec.Code != want {
			t.Fatalf("request %d: %d, want %d", i+1, rec.Code, want)
		}
	}
	mr.Close() // Redis down: requests go through (fail open) and the problem is logged
	if rec := a.do(t, "GET", "/api/v1/fail/not-found", ""); rec.Code != http.StatusNotFound {
		t.Fatalf("with Redis down: %d, want the request through", rec.Code)
	}
}

// failingLimiter always fails, as an unreachable store would.
type failingLimiter struct{}

func (failingLimiter) Allow(context.Context, string, Limit) (Decision, error) {
	return Decision{}, errors.New("connection refused")
}

func TestRateLimitOverHTTP(t *testing.T) {
	cfg := Config{
		Limits: map[Class]Limit{ClassPublic: {2, time.Minute}, ClassRead: {3, time.Minute},
			ClassAuth: {2, time.Minute}, ClassAuthIP: {5, time.Minute}, ClassCallbacks: {1, time.Minute}},
		RateLimitExempt: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")},
	}
	send := func(env *testEnv, method, target, body, ip string, headers ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, target, nil)
		if body != "" {
			req = httptest.NewRequest(method, target, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		}
		req.RemoteAddr = ip + ":1234"
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		rec := httptest.NewRecorder()
		env.srv.Handler().ServeHTTP(rec, req)
		return rec
	}
	expect := func(t *testing.T, rec *httptest.ResponseRecorder, want int) {
		t.Helper()
		if rec.Code != want {
			t.Fatalf("status %d, want %d (%s)", rec.Code, want, rec.Body)
		}
		if want == http.StatusTooManyRequests {
			p := problemOf(t, rec)
			if p.Status != 429 {
				t.Errorf("problem status %d", p.Status)
			}
			secs, err := strconv.Atoi(rec.Header().Get("Retry-After"))
			if err != nil || secs < 1 || secs > 60 {
				t.Errorf("Retry-After = %q, want 1..60 seconds", rec.Header().Get("Retry-After"))
			}
		}
	}

	t.Run("anonymous requests are public, keyed on the client IP", func(t *testing.T) {
		env := newTestEnv(t, nil, cfg, Deps{})
		expect(t, send(env, "GET", "/api/v1/fail/not-found", "", "203.0.113.1"), 404)
		expect(t, send(env, "GET", "/api/v1/fail/not-found", "", "203.0.113.1"), 404)
		expect(t, send(env, "GET", "/api/v1/fail/not-found", "", "203.0.113.1"), 429)
		expect(t, send(env, "GET", "/api/v1/fail/not-found", "", "203.0.113.2"), 404)
	})
	t.Run("unknown paths and bad tokens spend the public budget", func(t *testing.T) {
		env := newTestEnv(t, nil, cfg, Deps{})
		expect(t, send(env, "GET", "/wp-admin.php", "", "203.0.113.1"), 404)
		expect(t, send(env, "GET", "/api/v1/me", "", "203.0.113.1", "Authorization", "Bearer bad"), 401)
		expect(t, send(env, "GET", "/api/v1/me", "", "203.0.113.1", "Authorization", "Bearer bad"), 429)
		expect(t, send(env, "GET", "/.env", "", "203.0.113.1"), 429)
	})
	t.Run("IPv6 clients are keyed on their /64", func(t *testing.T) {
		env := newTestEnv(t, nil, cfg, Deps{})
		expect(t, send(env, "GET", "/api/v1/fail/not-found", "", "[2001:db8:1:2::1]"), 404)
		expect(t, send(env, "GET", "/api/v1/fail/not-found", "", "[2001:db8:1:2::2]"), 404)
		expect(t, send(env, "GET", "/api/v1/fail/not-found", "", "[2001:db8:1:2::3]"), 429)
		expect(t, send(env, "GET", "/api/v1/fail/not-found", "", "[2001:db8:1:3::1]"), 404)
	})
	t.Run("authenticated reads are keyed on the user", func(t *testing.T) {
		env := newTestEnv(t, nil, cfg, Deps{})
		for range 3 {
			expect(t, send(env, "GET", "/api/v1/me", "", "203.0.113.1", "Authorization", "Bearer u1@m1"), 200)
		}
		expect(t, send(env, "GET", "/api/v1/me", "", "203.0.113.9", "Authorization", "Bearer u1@m1"), 429)
		expect(t, send(env, "GET", "/api/v1/me", "", "203.0.113.1", "Authorization", "Bearer u2@m1"), 200)
	})
	t.Run("exempt networks are never limited", func(t *testing.T) {
		env := newTestEnv(t, nil, cfg, Deps{})
		for range 5 {
			expect(t, send(env, "GET", "/api/v1/fail/not-found", "", "198.51.100.7"), 404)
		}
	})
	t.Run("auth class: per account from the handler, per IP ceiling in the middleware", func(t *testing.T) {
		env := newTestEnv(t, nil, cfg, Deps{})
		login := func(email, ip string) *httptest.ResponseRecorder {
			return send(env, "POST", "/api/v1/auth/login", `{"email":"`+email+`"}`, ip)
		}
		expect(t, login("an@shop.vn", "203.0.113.1"), 204)
		expect(t, login("AN@shop.vn ", "203.0.113.1"), 204)
		expect(t, login("an@shop.vn", "203.0.113.1"), 429) // same account and IP
		expect(t, login("an@shop.vn", "203.0.113.2"), 204) // same account, other IP
		expect(t, login("binh@shop.vn", "203.0.113.1"), 204)
		expect(t, login("chi@shop.vn", "203.0.113.1"), 204)
		expect(t, login("dung@shop.vn", "203.0.113.1"), 429) // 6th from this IP: the ceiling
		expect(t, login("em@shop.vn", "198.51.100.7"), 204)
	})
	t.Run("chi routes take a class", func(t *testing.T) {
		env := newTestEnv(t, nil, cfg, Deps{})
		env.srv.Router.With(env.srv.RateLimit(ClassCallbacks)).Post("/hooks/bank", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
		})
		expect(t, send(env, "POST", "/hooks/bank", "", "203.0.113.1"), 200)
		expect(t, send(env, "POST", "/hooks/bank", "", "203.0.113.1"), 429)
	})
	t.Run("a failing limiter lets requests through", func(t *testing.T) {
		env := newTestEnv(t, nil, cfg, Deps{Limiter: failingLimiter{}})
		for range 3 {
			expect(t, send(env, "GET", "/api/v1/fail/not-found", "", "203.0.113.1"), 404)
		}
		if !strings.Contains(env.logs.String(), "rate limiter unavailable") {
			t.Error("limiter failure not logged")
		}
	})
}

func TestCheckLimitOutsideARequest(t *testing.T) {
	if err := CheckAuthLimit(context.Background(), "a@b.vn"); err == nil {
		t.Fatal("CheckAuthLimit without a request context succeeded")
	}
}
