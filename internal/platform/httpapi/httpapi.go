// Package httpapi is the HTTP plumbing every module registers its operations on: huma v2 (typed operations,
// OpenAPI 3.1, validation) on a chi v5 router, behind one middleware stack.
//
// The stack, outermost first: request id and client IP, the caller's Wrap (metrics), access log, panic
// recovery, security headers and X-Api-Version, CORS, the header size limit (431), the body limit (413) and
// authentication (the Authenticator puts a Principal and its merchant in the context). Huma operations then
// pass their rate limit class, their declared security (401 without a principal) and the idempotency-key
// store before the handler runs. Every error, from huma, a handler or the middleware, leaves as an RFC 9457
// problem (application/problem+json); apperr kinds are mapped to status codes here and nowhere else.
//
// Modules call huma.Register on Server.API; the composition root mounts the non-JSON routes (web app,
// /metrics, health, SSE, webhooks) on Server.Router and applies RateLimit to them.
package httpapi

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/migrate"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations creates the idempotency_keys table; the composition root runs it with the modules' migrations.
var Migrations = migrate.Embedded("httpapi", migrationFiles)

// Defaults applied by New to the zero fields of Config.
const (
	DefaultBodyLimit         = 1 << 20 // 1 MiB
	DefaultMaxHeaderBytes    = 16 << 10
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultIdempotencyTTL    = 24 * time.Hour
	DefaultIdempotencyLease  = time.Minute
	DefaultIdempotencyWait   = 10 * time.Second
)

// serverMaxHeaderBytes is what net/http itself accepts. It is far above Config.MaxHeaderBytes so that the
// middleware, which answers with a problem document, always fires before Go's plain-text 431.
const serverMaxHeaderBytes = 1 << 20

// Config tunes the HTTP layer. Zero fields take the defaults above; the composition root fills it from the
// environment (GOODGO_RATELIMIT_*, GOODGO_TRUSTED_PROXIES, GOODGO_CORS_ORIGINS, …).
type Config struct {
	// Title and Version describe the API in the OpenAPI document.
	Title, Version string
	// BodyLimit caps request bodies (413 above it). Operations may raise it with SetBodyLimit, chi routes
	// with AllowBody.
	BodyLimit int64
	// MaxHeaderBytes caps the request line plus headers (431 above it).
	MaxHeaderBytes int
	// ReadHeaderTimeout and IdleTimeout are set on the http.Server made by HTTPServer.
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	// CORSOrigins lists the browser origins (scheme://host[:port]) allowed to call the API cross-origin.
	CORSOrigins []string
	// TrustedProxies are the peers whose X-Forwarded-For is believed when finding the client IP.
	TrustedProxies []netip.Prefix
	// RateLimitExempt are client networks that skip every rate limit (trusted load-test sources).
	RateLimitExempt []netip.Prefix
	// Limits overrides DefaultLimits per class; a zero Limit turns the class off.
	Limits map[Class]Limit
	// IdempotencyTTL is how long a stored response is replayed; at least 24 hours (the API's promise).
	IdempotencyTTL time.Duration
	// IdempotencyLease is how long a running claim stays valid without renewal; the owner renews it every
	// third of the lease, so only a claim whose process died expires.
	IdempotencyLease time.Duration
	// IdempotencyWait bounds how long a request waits for a concurrent one with the same key (then 409).
	IdempotencyWait time.Duration
}

// Deps are the collaborators of the HTTP layer.
type Deps struct {
	// Logger receives the access log, recovered panics and the causes of 500s. Required.
	Logger *slog.Logger
	// DB stores idempotency keys (migrate it with Migrations). Required.
	DB *db.DB
	// Limiter counts requests per key; nil selects an in-memory limiter (one process only).
	Limiter Limiter
	// Authenticator identifies callers; nil makes every request anonymous.
	Authenticator Authenticator
	// Authorizer checks each operation's permission; nil lets every authenticated call through (tests).
	Authorizer Authorizer
	// Clock gives the time for limits and idempotency records; nil selects the system clock.
	Clock clock.Clock
	// Wrap, if set, wraps the stack just inside the request id middleware (the metrics middleware goes here;
	// after the inner handler returns, chi.RouteContext(r.Context()).RoutePattern() names the route).
	Wrap func(http.Handler) http.Handler
}

// Server is the assembled HTTP layer: a chi router with the middleware stack and a huma API on it.
type Server struct {
	// Router carries the non-JSON routes (web app, /metrics, health, SSE, webhooks); its middleware stack is
	// already installed. Add routes, not middleware.
	Router chi.Router
	// API is where modules register their operations with huma.Register.
	API huma.API

	mux     *chi.Mux
	cfg     Config
	log     *slog.Logger
	limiter Limiter
	auth    Authenticator
	authz   Authorizer
	// specPath is huma's OpenAPIPath: its routes serve the API description and are public.
	specPath string
	origins  map[string]bool
	limits   map[Class]Limit
	idem     *idempotencyStore
	// idemWaitHook, when set (tests), is called each time a request waits for a concurrent one.
	idemWaitHook func()
}

// New assembles the router, the middleware stack and the huma API, and mounts /openapi.json and /docs.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Logger == nil {
		return nil, errors.New("httpapi: Deps.Logger is required")
	}
	if deps.DB == nil {
		return nil, errors.New("httpapi: Deps.DB is required (idempotency keys)")
	}
	cfg, err := withDefaults(cfg)
	if err != nil {
		return nil, err
	}
	limits, err := mergeLimits(cfg.Limits)
	if err != nil {
		return nil, err
	}
	origins, err := parseOrigins(cfg.CORSOrigins)
	if err != nil {
		return nil, err
	}
	clk := deps.Clock
	if clk == nil {
		clk = clock.System{}
	}
	limiter := deps.Limiter
	if limiter == nil {
		limiter = NewMemoryLimiter(clk)
	}
	installProblems()

	s := &Server{
		mux:     chi.NewRouter(),
		cfg:     cfg,
		log:     deps.Logger,
		limiter: limiter,
		auth:    deps.Authenticator,
		authz:   deps.Authorizer,
		origins: origins,
		limits:  limits,
	}
	s.idem = &idempotencyStore{db: deps.DB, clock: clk, ttl: cfg.IdempotencyTTL, lease: cfg.IdempotencyLease}
	s.Router = s.mux

	s.mux.Use(s.requestInfo)
	if deps.Wrap != nil {
		s.mux.Use(deps.Wrap)
	}
	s.mux.Use(s.accessLog, s.recoverPanics, securityHeaders, s.cors, s.limitHeaders, s.limitBody, s.authenticate,
		middleware.GetHead) // HEAD is served by the GET route (health checks, link checkers)
	s.mux.NotFound(func(w http.ResponseWriter, r *http.Request) {
		if s.admit(w, r, defaultClass(r)) { // scanning unknown paths spends the caller's budget too
			WriteProblem(w, r, &Problem{Status: http.StatusNotFound, Detail: "no route matches " + r.Method + " " + r.URL.Path})
		}
	})
	s.mux.MethodNotAllowed(s.methodNotAllowed)

	hc := huma.DefaultConfig(cfg.Title, cfg.Version)
	hc.DocsPath = ""    // our own embedded page replaces huma's CDN-based one
	hc.SchemasPath = "" // no $schema links in bodies: clients would have to send them back
	hc.CreateHooks = nil
	hc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", BearerFormat: "JWT",
			Description: "Access token from /api/v1/auth/login (Authorization: Bearer <token>)."},
	}
	hc.OnAddOperation = append(hc.OnAddOperation, documentIdempotencyKey)
	s.specPath = hc.OpenAPIPath
	s.API = huma.NewAPI(hc, &operationAdapter{s: s})
	s.mountDocs()
	return s, nil
}

func withDefaults(cfg Config) (Config, error) {
	if cfg.Title == "" {
		cfg.Title = "GoodGo API"
	}
	if cfg.Version == "" {
		cfg.Version = "1"
	}
	if cfg.BodyLimit == 0 {
		cfg.BodyLimit = DefaultBodyLimit
	}
	if cfg.MaxHeaderBytes == 0 {
		cfg.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if cfg.ReadHeaderTimeout == 0 {
		cfg.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.IdempotencyTTL == 0 {
		cfg.IdempotencyTTL = DefaultIdempotencyTTL
	}
	if cfg.IdempotencyLease == 0 {
		cfg.IdempotencyLease = DefaultIdempotencyLease
	}
	if cfg.IdempotencyWait == 0 {
		cfg.IdempotencyWait = DefaultIdempotencyWait
	}
	switch {
	case cfg.BodyLimit < 0:
		return cfg, fmt.Errorf("httpapi: BodyLimit %d is negative", cfg.BodyLimit)
	case cfg.MaxHeaderBytes < 0 || cfg.MaxHeaderBytes > serverMaxHeaderBytes:
		return cfg, fmt.Errorf("httpapi: MaxHeaderBytes %d out of range (0, %d]", cfg.MaxHeaderBytes, serverMaxHeaderBytes)
	case cfg.IdempotencyTTL < DefaultIdempotencyTTL:
		return cfg, fmt.Errorf("httpapi: IdempotencyTTL %s is below the 24h the API promises", cfg.IdempotencyTTL)
	case cfg.IdempotencyLease < 0 || cfg.IdempotencyWait < 0:
		return cfg, errors.New("httpapi: negative idempotency lease or wait")
	}
	for _, p := range append(append([]netip.Prefix(nil), cfg.TrustedProxies...), cfg.RateLimitExempt...) {
		if !p.IsValid() {
			return cfg, fmt.Errorf("httpapi: invalid network prefix %v", p)
		}
	}
	return cfg, nil
}

// Handler returns the whole stack: every request to the server goes through it.
func (s *Server) Handler() http.Handler { return s.mux }

// HTTPServer returns an http.Server for addr serving Handler, with header and idle timeouts set. It has no
// overall read or write timeout because SSE streams and uploads are long; huma bounds each body read.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.Handler(),
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    serverMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// methodNotAllowed answers 405 with an Allow header listing the methods the path does have.
func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	if !s.admit(w, r, defaultClass(r)) {
		return
	}
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions} {
		if s.mux.Match(chi.NewRouteContext(), m, r.URL.Path) ||
			m == http.MethodHead && s.mux.Match(chi.NewRouteContext(), http.MethodGet, r.URL.Path) {
			allowed = append(allowed, m)
		}
	}
	for _, m := range allowed {
		w.Header().Add("Allow", m)
	}
	WriteProblem(w, r, &Problem{Status: http.StatusMethodNotAllowed,
		Detail: "method " + r.Method + " is not allowed on " + r.URL.Path})
}

// operationAdapter is huma's adapter to chi with the per-operation middleware in front of each handler:
// rate limit class, declared security and idempotency keys, which all depend on the operation.
type operationAdapter struct {
	s *Server
}

// Handle mounts one huma operation on the router.
func (a *operationAdapter) Handle(op *huma.Operation, handler func(huma.Context)) {
	s := a.s
	if isSpecRoute(op, s.specPath) {
		MarkPublic(op, "API description")
	}
	limit := s.cfg.BodyLimit
	if n, ok := op.Metadata[metaBodyLimit].(int64); ok && n > 0 {
		limit = n
	}
	// huma reads at most MaxBodyBytes and calls a body of exactly that size too large; the MaxBytesReader
	// installed by limitBody/raiseBodyLimit enforces the real limit one byte earlier, as a 413 problem.
	op.MaxBodyBytes = limit + 1

	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			// huma bounds the body's arrival with a read deadline (BodyReadTimeout) and leaves it set; once the
			// body is read it must go, or the connection's background read ends the request mid-handler.
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: http.NewResponseController(w)}
		}
		handler(humachi.NewContext(op, r, w))
	})
	h = rejectInvalidUTF8(op, h)
	h = s.idempotent(op, h)
	h = s.authorize(op, h)
	h = s.requireSecurity(op, h)
	h = s.rateLimitOperation(op, h)
	if limit != s.cfg.BodyLimit {
		h = raiseBodyLimit(limit, h)
	}
	s.mux.Method(op.Method, op.Path, h)
}

// deadlineBody clears the connection's read deadline when the body has been read to its end.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done { // a failed read keeps the deadline: the connection must still end
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// rejectInvalidUTF8 refuses a JSON body that is not valid UTF-8 (encoding/json would silently turn the bad
// bytes into U+FFFD and store them) with a 400 problem, before anything runs.
func rejectInvalidUTF8(op *huma.Operation, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || !strings.Contains(r.Header.Get("Content-Type"), "json") {
			next.ServeHTTP(w, r)
			return
		}
		timeout := op.BodyReadTimeout
		if timeout <= 0 {
			timeout = 5 * time.Second
		}
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(timeout))
		body, err := io.ReadAll(r.Body)
		if err != nil {
			if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
				WriteProblem(w, r, err)
			} else {
				WriteProblem(w, r, &Problem{Status: http.StatusBadRequest, Detail: "the request body could not be read"})
			}
			return
		}
		_ = rc.SetReadDeadline(time.Time{}) // read whole: see deadlineBody
		if !utf8.Valid(body) {
			WriteProblem(w, r, &Problem{Status: http.StatusBadRequest, Detail: "the request body is not valid UTF-8"})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// ServeHTTP serves the whole stack (huma uses it in its test helpers).
func (a *operationAdapter) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.s.mux.ServeHTTP(w, r) }

// PurgeExpired deletes the idempotency keys of every scope whose retention has passed, and reports how
// many it deleted. A periodic job calls it; it runs through the database's audited system path.
func (s *Server) PurgeExpired(ctx context.Context) (int64, error) {
	return s.idem.purgeExpired(ctx)
}
