package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// tokenAuthenticator is the test Authenticator: "Bearer <user>@<merchant>" authenticates, "Bearer bad"
// fails, no header is anonymous.
type tokenAuthenticator struct{}

func (tokenAuthenticator) Authenticate(_ context.Context, r *http.Request) (*Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, nil
	}
	token, ok := strings.CutPrefix(h, "Bearer ")
	user, merchant, found := strings.Cut(token, "@")
	if !ok || !found || user == "" {
		return nil, errors.New("malformed token")
	}
	return &Principal{UserID: user, MerchantID: tenant.ID(merchant), Roles: []string{"owner"}, Kind: "user"}, nil
}

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// thingInput is the body of the test "create thing" operation.
type thingInput struct {
	Body struct {
		Name     string   `json:"name" minLength:"1" maxLength:"50"`
		Quantity int      `json:"quantity" minimum:"1"`
		Tags     []string `json:"tags,omitempty" maxItems:"5"`
		Note     *struct {
			Text string `json:"text"`
		} `json:"note,omitempty"`
	}
}

type thingOutput struct {
	Location string `header:"Location"`
	Body     struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Quantity int    `json:"quantity"`
	}
}

type whoOutput struct {
	Body struct {
		UserID   string `json:"user_id"`
		Merchant string `json:"merchant"`
	}
}

type testEnv struct {
	srv   *Server
	db    *db.DB
	logs  *syncBuffer
	clock *clock.Fake
	// created counts runs of the "create thing" handler.
	created atomic.Int64
	// failNext makes the next "create thing" run fail with a 500.
	failNext atomic.Bool
	// block, when set, is received from by the "create thing" handler before it answers.
	block chan struct{}
	// entered is signalled when the "create thing" handler starts (when block is set).
	entered chan struct{}
}

// newTestEnv builds a server on d (a fresh migrated SQLite database when nil) with the test operations.
func newTestEnv(t testing.TB, d *db.DB, cfg Config, deps Deps) *testEnv {
	t.Helper()
	if d == nil {
		d = dbtest.New(t, db.SQLite)
		if err := migrate.Up(context.Background(), d, slog.New(slog.DiscardHandler), Migrations); err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
	env := &testEnv{db: d, logs: &syncBuffer{}, clock: clock.NewFake(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))}
	deps.DB = d
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.NewJSONHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if deps.Clock == nil {
		deps.Clock = env.clock
	}
	if deps.Authenticator == nil {
		deps.Authenticator = tokenAuthenticator{}
	}
	srv, err := New(cfg, deps)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	env.srv = srv
	env.register()
	return env
}

func (env *testEnv) register() {
	api := env.srv.API
	huma.Register(api, huma.Operation{OperationID: "create-thing", Method: http.MethodPost, Path: "/api/v1/things",
		DefaultStatus: http.StatusCreated, Tags: []string{"Things"}},
		func(ctx context.Context, in *thingInput) (*thingOutput, error) {
			if env.block != nil {
				env.entered <- struct{}{}
				<-env.block
			}
			n := env.created.Add(1)
			if env.failNext.CompareAndSwap(true, false) {
				return nil, errors.New("database exploded")
			}
			out := &thingOutput{}
			out.Body.ID = fmt.Sprintf("thing-%d", n)
			out.Body.Name = in.Body.Name
			out.Body.Quantity = in.Body.Quantity
			out.Location = "/api/v1/things/" + out.Body.ID
			return out, nil
		})
	ordered := huma.Operation{OperationID: "place-order", Method: http.MethodPost, Path: "/api/v1/orders",
		DefaultStatus: http.StatusCreated, Security: BearerAuth()}
	RequireIdempotencyKey(&ordered)
	huma.Register(api, ordered, func(ctx context.Context, in *thingInput) (*thingOutput, error) {
		env.created.Add(1)
		out := &thingOutput{}
		out.Body.Name = in.Body.Name
		return out, nil
	})
	issue := huma.Operation{OperationID: "issue-token", Method: http.MethodPost, Path: "/api/v1/tokens"}
	SkipIdempotency(&issue)
	huma.Register(api, issue, func(ctx context.Context, in *thingInput) (*thingOutput, error) {
		n := env.created.Add(1)
		out := &thingOutput{}
		out.Body.ID = fmt.Sprintf("token-%d", n)
		return out, nil
	})
	huma.Register(api, huma.Operation{OperationID: "who-am-i", Method: http.MethodGet, Path: "/api/v1/me",
		Security: BearerAuth()},
		func(ctx context.Context, _ *struct{}) (*whoOutput, error) {
			p, ok := PrincipalFrom(ctx)
			if !ok {
				return nil, errors.New("no principal behind a secured operation")
			}
			m, _ := tenant.From(ctx)
			out := &whoOutput{}
			out.Body.UserID = p.UserID
			out.Body.Merchant = string(m)
			return out, nil
		})
	huma.Register(api, huma.Operation{OperationID: "fail", Method: http.MethodGet, Path: "/api/v1/fail/{kind}"},
		func(ctx context.Context, in *struct {
			Kind string `path:"kind"`
		}) (*struct{}, error) {
			for k := apperr.Invalid; k <= apperr.RateLimited; k++ {
				if k.String() == strings.ReplaceAll(in.Kind, "-", " ") {
					return nil, fmt.Errorf("fail: %w", apperr.E(k, "failed as %s", k))
				}
			}
			return nil, errors.New("secret cause: password=hunter2")
		})
	huma.Register(api, huma.Operation{OperationID: "panic", Method: http.MethodGet, Path: "/api/v1/panic"},
		func(ctx context.Context, _ *struct{}) (*struct{}, error) {
			panic("boom in handler")
		})
	huma.Register(api, huma.Operation{OperationID: "explode", Method: http.MethodPost, Path: "/api/v1/explode"},
		func(ctx context.Context, in *thingInput) (*struct{}, error) {
			panic("boom in mutation")
		})
	login := huma.Operation{OperationID: "login", Method: http.MethodPost, Path: "/api/v1/auth/login"}
	SetRateClass(&login, ClassAuth)
	huma.Register(api, login, func(ctx context.Context, in *struct {
		Body struct {
			Email string `json:"email"`
		}
	}) (*struct{}, error) {
		if err := CheckAuthLimit(ctx, in.Body.Email); err != nil {
			return nil, err
		}
		return nil, nil
	})
	big := huma.Operation{OperationID: "upload", Method: http.MethodPut, Path: "/api/v1/blobs"}
	SetBodyLimit(&big, 4<<20)
	huma.Register(api, big, func(ctx context.Context, in *struct{ RawBody []byte }) (*struct {
		Body struct {
			Size int `json:"size"`
		}
	}, error) {
		out := &struct {
			Body struct {
				Size int `json:"size"`
			}
		}{}
		out.Body.Size = len(in.RawBody)
		return out, nil
	})
	env.srv.Router.Get("/pages/hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<p>hello</p>")
	})
	env.srv.Router.Get("/pages/error", func(w http.ResponseWriter, r *http.Request) {
		WriteProblem(w, r, apperr.E(apperr.Forbidden, "not your shop"))
	})
}

// do sends a request through the whole stack and returns the recorded response.
func (env *testEnv) do(t testing.TB, method, target, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	env.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// problemOf decodes a problem response, failing the test when it is not one.
func problemOf(t testing.TB, rec *httptest.ResponseRecorder) Problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != ProblemContentType {
		t.Fatalf("Content-Type = %q, want %q (body %s)", ct, ProblemContentType, rec.Body)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("decode problem %q: %v", rec.Body, err)
	}
	return p
}

func checkCommonHeaders(t testing.TB, rec *httptest.ResponseRecorder) {
	t.Helper()
	want := map[string]string{
		"X-Api-Version":             "1",
		"X-Frame-Options":           "DENY",
		"X-Content-Type-Options":    "nosniff",
		"Referrer-Policy":           "strict-origin-when-cross-origin",
		"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
		"Content-Security-Policy":   contentSecurityPolicy,
	}
	for h, v := range want {
		if got := rec.Header().Get(h); got != v {
			t.Errorf("%s = %q, want %q", h, got, v)
		}
	}
	if rec.Header().Get("X-Request-Id") == "" {
		t.Error("X-Request-Id missing")
	}
}

func TestProblemResponses(t *testing.T) {
	env := newTestEnv(t, nil, Config{}, Deps{})
	validThing := `{"name":"Cà phê sữa","quantity":2}`
	tests := []struct {
		name       string
		method     string
		target     string
		body       string
		headers    []string
		wantStatus int
		wantDetail string // substring of detail
		wantField  string // a location in errors[]
	}{
		{name: "unknown route", method: "GET", target: "/api/v1/nope", wantStatus: 404},
		{name: "wrong method", method: "DELETE", target: "/api/v1/things", wantStatus: 405},
		{name: "malformed JSON", method: "POST", target: "/api/v1/things", body: `{"name":`, wantStatus: 400},
		{name: "wrong type", method: "POST", target: "/api/v1/things", body: `{"name":"x","quantity":"two"}`,
			wantStatus: 422, wantField: "body.quantity"},
		{name: "unknown field", method: "POST", target: "/api/v1/things", body: `{"name":"x","quantity":1,"price":5}`,
			wantStatus: 422, wantField: "body"},
		{name: "missing field", method: "POST", target: "/api/v1/things", body: `{"name":"x"}`,
			wantStatus: 422, wantField: "body"},
		{name: "out of range", method: "POST", target: "/api/v1/things", body: `{"name":"x","quantity":0}`,
			wantStatus: 422, wantField: "body.quantity"},
		{name: "nested unknown field", method: "POST", target: "/api/v1/things",
			body: `{"name":"x","quantity":1,"note":{"text":"a","extra":1}}`, wantStatus: 422, wantField: "body.note"},
		{name: "oversized body", method: "POST", target: "/api/v1/things",
			body: `{"name":"` + strings.Repeat("a", DefaultBodyLimit) + `","quantity":1}`, wantStatus: 413},
		{name: "huge headers", method: "GET", target: "/api/v1/me",
			headers: []string{"X-Junk", strings.Repeat("j", DefaultMaxHeaderBytes)}, wantStatus: 431},
		{name: "unsupported content type", method: "POST", target: "/api/v1/things", body: validThing,
			headers: []string{"Content-Type", "application/xml"}, wantStatus: 415},
		{name: "invalid kind", method: "GET", target: "/api/v1/fail/invalid", wantStatus: 422, wantDetail: "failed as invalid"},
		{name: "not found kind", method: "GET", target: "/api/v1/fail/not-found", wantStatus: 404, wantDetail: "failed as not found"},
		{name: "conflict kind", method: "GET", target: "/api/v1/fail/conflict", wantStatus: 409},
		{name: "forbidden kind", method: "GET", target: "/api/v1/fail/forbidden", wantStatus: 403},
		{name: "unauthenticated kind", method: "GET", target: "/api/v1/fail/unauthenticated", wantStatus: 401},
		{name: "unavailable kind", method: "GET", target: "/api/v1/fail/unavailable", wantStatus: 503},
		{name: "too large kind", method: "GET", target: "/api/v1/fail/too-large", wantStatus: 413},
		{name: "rate limited kind", method: "GET", target: "/api/v1/fail/rate-limited", wantStatus: 429},
		{name: "unknown error", method: "GET", target: "/api/v1/fail/other", wantStatus: 500, wantDetail: "unexpected error"},
		{name: "panic", method: "GET", target: "/api/v1/panic", wantStatus: 500, wantDetail: "unexpected error"},
		{name: "no token on secured operation", method: "GET", target: "/api/v1/me", wantStatus: 401},
		{name: "bad token", method: "GET", target: "/api/v1/me", headers: []string{"Authorization", "Bearer bad"}, wantStatus: 401},
		{name: "chi handler problem", method: "GET", target: "/pages/error", wantStatus: 403, wantDetail: "not your shop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := env.do(t, tt.method, tt.target, tt.body, tt.headers...)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", rec.Code, tt.wantStatus, rec.Body)
			}
			checkCommonHeaders(t, rec)
			p := problemOf(t, rec)
			if p.Status != tt.wantStatus || p.Title != http.StatusText(tt.wantStatus) || p.Type != "about:blank" {
				t.Errorf("problem = %+v, want status %d, title %q, type about:blank", p, tt.wantStatus, http.StatusText(tt.wantStatus))
			}
			if !strings.Contains(p.Detail, tt.wantDetail) {
				t.Errorf("detail = %q, want it to contain %q", p.Detail, tt.wantDetail)
			}
			if tt.wantField != "" {
				var locs []string
				for _, f := range p.Errors {
					locs = append(locs, f.Location)
				}
				if !containsPrefix(locs, tt.wantField) {
					t.Errorf("errors locations = %q, want one starting with %q", locs, tt.wantField)
				}
			}
			if tt.wantStatus == 401 && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer challenge: %q", rec.Header().Get("WWW-Authenticate"))
			}
			if tt.wantStatus == 429 && rec.Header().Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			if strings.Contains(rec.Body.String(), "hunter2") || strings.Contains(rec.Body.String(), "boom") {
				t.Errorf("body leaks the cause: %s", rec.Body)
			}
		})
	}
	t.Run("405 lists the allowed methods", func(t *testing.T) {
		rec := env.do(t, "DELETE", "/api/v1/things", "")
		if got := rec.Header().Values("Allow"); len(got) != 1 || got[0] != "POST" {
			t.Errorf("Allow = %q, want [POST]", got)
		}
	})
	t.Run("causes of 500s and panics are logged", func(t *testing.T) {
		logs := env.logs.String()
		for _, want := range []string{"secret cause: password=hunter2", `"msg":"panic"`, "boom in handler", "goroutine", "server_test.go"} {
			if !strings.Contains(logs, want) {
				t.Errorf("log lacks %q", want)
			}
		}
	})
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func TestSuccessfulCallsAndPrincipal(t *testing.T) {
	env := newTestEnv(t, nil, Config{}, Deps{})
	rec := env.do(t, "POST", "/api/v1/things", `{"name":"Trà đá","quantity":3}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	checkCommonHeaders(t, rec)
	if got := rec.Header().Get("Location"); got != "/api/v1/things/thing-1" {
		t.Errorf("Location = %q", got)
	}
	if strings.Contains(rec.Body.String(), "$schema") {
		t.Errorf("response carries a $schema link: %s", rec.Body)
	}

	rec = env.do(t, "GET", "/api/v1/me", "", "Authorization", "Bearer u1@m1")
	if rec.Code != http.StatusOK {
		t.Fatalf("me: %d %s", rec.Code, rec.Body)
	}
	var body map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body["user_id"] != "u1" || body["merchant"] != "m1" {
		t.Errorf("me = %v, want user u1 of merchant m1 (principal and tenant in ctx)", body)
	}

	rec = env.do(t, "GET", "/pages/hello", "")
	if rec.Code != http.StatusOK || rec.Body.String() != "<p>hello</p>" {
		t.Fatalf("page: %d %s", rec.Code, rec.Body)
	}
	checkCommonHeaders(t, rec)
}

func TestBodyLimitCanBeRaisedPerOperation(t *testing.T) {
	env := newTestEnv(t, nil, Config{}, Deps{})
	payload := strings.Repeat("x", 2<<20)
	rec := env.do(t, "PUT", "/api/v1/blobs", payload, "Content-Type", "application/octet-stream")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"size":2097152`) {
		t.Fatalf("2 MiB upload under a 4 MiB limit: %d %s", rec.Code, rec.Body)
	}
	rec = env.do(t, "PUT", "/api/v1/blobs", strings.Repeat("x", 5<<20), "Content-Type", "application/octet-stream")
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("5 MiB upload: %d, want 413", rec.Code)
	}
	problemOf(t, rec)
}

func TestRequestID(t *testing.T) {
	env := newTestEnv(t, nil, Config{}, Deps{})
	tests := []struct {
		name, incoming string
		kept           bool
	}{
		{"uuid kept", "0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", true},
		{"proxy id kept", "abc.DEF_123:4", true},
		{"none generated", "", false},
		{"log injection replaced", "x\"}\n{\"admin\":true", false},
		{"too long replaced", strings.Repeat("a", 65), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := env.do(t, "GET", "/pages/hello", "", "X-Request-Id", tt.incoming)
			got := rec.Header().Get("X-Request-Id")
			if tt.kept && got != tt.incoming {
				t.Errorf("X-Request-Id = %q, want %q", got, tt.incoming)
			}
			if !tt.kept && (got == tt.incoming || !saneRequestID(got)) {
				t.Errorf("X-Request-Id = %q, want a fresh id", got)
			}
		})
	}
}

func TestCORS(t *testing.T) {
	env := newTestEnv(t, nil, Config{CORSOrigins: []string{"https://admin.goodgo.vn", "http://localhost:5173/"}}, Deps{})
	tests := []struct {
		name       string
		method     string
		origin     string
		preflight  bool
		wantStatus int
		wantACAO   string
	}{
		{"allowed origin", "GET", "https://admin.goodgo.vn", false, 200, "https://admin.goodgo.vn"},
		{"allowed origin, case differs", "GET", "HTTP://LOCALHOST:5173", false, 200, "HTTP://LOCALHOST:5173"},
		{"other origin gets no CORS headers", "GET", "https://evil.example", false, 200, ""},
		{"no origin", "GET", "", false, 200, ""},
		{"preflight from allowed origin", "OPTIONS", "https://admin.goodgo.vn", true, 204, "https://admin.goodgo.vn"},
		{"preflight from other origin", "OPTIONS", "https://evil.example", true, 403, ""},
		{"preflight for another port", "OPTIONS", "https://admin.goodgo.vn:8443", true, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := []string{}
			if tt.origin != "" {
				h = append(h, "Origin", tt.origin)
			}
			if tt.preflight {
				h = append(h, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,idempotency-key")
			}
			rec := env.do(t, tt.method, "/pages/hello", "", h...)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := rec.Header().Get("Access-Control-Allow-Origin"); got != tt.wantACAO {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tt.wantACAO)
			}
			if tt.origin != "" && !strings.Contains(strings.Join(rec.Header().Values("Vary"), ","), "Origin") {
				t.Error("Vary: Origin missing")
			}
			if tt.preflight && tt.wantStatus == 204 {
				for _, want := range []string{"Authorization", "Idempotency-Key"} {
					if !strings.Contains(rec.Header().Get("Access-Control-Allow-Headers"), want) {
						t.Errorf("Access-Control-Allow-Headers lacks %s", want)
					}
				}
				if !strings.Contains(rec.Header().Get("Access-Control-Allow-Methods"), "PATCH") {
					t.Error("Access-Control-Allow-Methods lacks PATCH")
				}
			}
			checkCommonHeaders(t, rec)
		})
	}
	if _, err := New(Config{CORSOrigins: []string{"https://x.vn/path"}}, Deps{Logger: env.srv.log, DB: env.db}); err == nil {
		t.Error("New accepted a CORS origin with a path")
	}
}

func TestAccessLogRedactsSecrets(t *testing.T) {
	env := newTestEnv(t, nil, Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}, Deps{})
	secrets := []string{"SECRET-ACCESS", "SECRET-TOKEN", "SECRET-HASH", "SECRET-SIG", "SECRET-BEARER", "SECRET-COOKIE",
		"SECRET-PASSWORD", "SECRET-REFRESH"}
	req := httptest.NewRequest("POST", "/api/v1/things?access_token=SECRET-ACCESS&token=SECRET-TOKEN"+
		"&vnp_SecureHash=SECRET-HASH&signature=SECRET-SIG&refresh_token=SECRET-REFRESH&page=2",
		strings.NewReader(`{"name":"SECRET-PASSWORD","quantity":1}`))
	req.RemoteAddr = "192.0.2.10:5555"
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	req.Header.Set("Authorization", "Bearer u9@SECRET-BEARER") // the merchant half of the fake token is never logged
	req.Header.Set("Cookie", "session=SECRET-COOKIE")
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	env.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		t.Fatalf("status %d %s", rec.Code, rec.Body)
	}
	logs := env.logs.String()
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("log contains %s:\n%s", s, logs)
		}
	}
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		if strings.Contains(l, `"msg":"http request"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string]any{"method": "POST", "route": "/api/v1/things", "status": float64(201),
		"client_ip": "203.0.113.7", "request_id": rec.Header().Get("X-Request-Id"), "user_id": "u9"}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("access log %s = %v, want %v", k, line[k], v)
		}
	}
	for _, k := range []string{"bytes", "duration_ms"} {
		if _, ok := line[k]; !ok {
			t.Errorf("access log lacks %s", k)
		}
	}
	if q, _ := line["query"].(string); !strings.Contains(q, "page=2") || !strings.Contains(q, "access_token=REDACTED") {
		t.Errorf("query = %q, want page kept and access_token redacted", q)
	}
}
