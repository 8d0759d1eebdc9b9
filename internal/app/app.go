package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/goodgo/goodgo/internal/platform/blob"
	"github.com/goodgo/goodgo/internal/platform/cache"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/events/amqpbus"
	"github.com/goodgo/goodgo/internal/platform/events/natsbus"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/obs"
	"github.com/goodgo/goodgo/internal/platform/rbac"
	"github.com/goodgo/goodgo/internal/platform/realtime"
	"github.com/goodgo/goodgo/web"
)

// App is a fully wired GoodGo process: New builds it, Run serves until the context ends, and Close (which
// Run calls) releases everything in order.
type App struct {
	cfg    Config
	log    *slog.Logger
	kit    *Kit
	http   *httpapi.Server
	health *obs.Health

	db      *db.DB
	nats    *natsbus.EmbeddedServer
	bus     events.Bus
	relay   *events.Relay
	hub     *realtime.Hub
	redis   *redis.Client
	disk    *blob.Disk
	closers []func() error

	closeOnce sync.Once
	closeErr  error
}

// platformMigrations are the tables of the platform itself, applied before any module's.
func platformMigrations() []migrate.Source {
	return []migrate.Source{httpapi.Migrations, events.Migrations}
}

// allMigrations lists every migration source: the platform's and every registered module's, whatever
// GOODGO_MODULES selects, so one `goodgo migrate` prepares the database for every deployment.
func allMigrations(registry []Module) []migrate.Source {
	srcs := platformMigrations()
	for _, m := range registry {
		srcs = append(srcs, m.Migrations...)
	}
	return srcs
}

// New opens every platform part the configuration asks for, migrates the database (unless
// GOODGO_MIGRATE_ON_START=false, in which case pending migrations are an error), and initialises the
// modules. Nothing listens yet.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	return build(ctx, cfg, log, modules())
}

// build is New with the module registry given (tests add modules of their own).
func build(ctx context.Context, cfg Config, log *slog.Logger, registry []Module) (_ *App, err error) {
	started := time.Now()
	a := &App{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			_ = a.Close(context.Background())
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	secret, err := loadSecret(cfg)
	if err != nil {
		return nil, err
	}

	a.db, err = db.Open(ctx, cfg.database())
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.db.Close)
	if cfg.MigrateOnStart {
		if err := migrate.Up(ctx, a.db, log, allMigrations(registry)...); err != nil {
			return nil, err
		}
	} else if pending, err := migrate.Pending(ctx, a.db, allMigrations(registry)...); err != nil {
		return nil, err
	} else if len(pending) > 0 {
		return nil, fmt.Errorf("migrations pending for %s: run `goodgo migrate` first", strings.Join(pending, ", "))
	}

	if err := a.openBus(ctx); err != nil {
		return nil, err
	}
	c, limiter, err := a.openCache(ctx)
	if err != nil {
		return nil, err
	}
	files, filesReady, err := a.openFiles(ctx, secret)
	if err != nil {
		return nil, err
	}

	reg := obs.NewRegistry()
	metrics, err := obs.NewHTTPMetrics(reg)
	if err != nil {
		return nil, err
	}
	auth := &authenticator{}
	a.http, err = httpapi.New(a.httpConfig(), httpapi.Deps{Logger: log, DB: a.db, Limiter: limiter,
		Authenticator: auth, Authorizer: rbac.Guard{}, Wrap: metrics.Middleware})
	if err != nil {
		return nil, err
	}
	a.relay = events.NewRelay(a.db, a.bus, log, events.RelayOptions{})
	a.hub = realtime.NewHub(a.bus, log, realtime.Options{})
	if err := registerPlatformMetrics(reg, a.relay, a.hub); err != nil {
		return nil, err
	}

	a.kit = &Kit{Config: cfg, Log: log, Clock: clock.System{}, DB: a.db, Bus: a.bus, Relay: a.relay, Hub: a.hub,
		Cache: c, Files: files, API: a.http.API, Router: a.http.Router, SecretKey: secret,
		RateLimit: a.http.RateLimit, auth: auth}
	p, err := resolve(registry, cfg.Modules)
	if err != nil {
		return nil, err
	}
	for _, m := range p.order {
		if err := m.Init(ctx, a.kit, p.active[m.Name]); err != nil {
			return nil, fmt.Errorf("init module %s: %w", m.Name, err)
		}
	}

	checks := []obs.Check{
		{Name: "database", Fn: a.db.Ping},
		{Name: "events", Fn: a.bus.Ready},
	}
	if a.redis != nil {
		checks = append(checks, obs.Check{Name: "redis", Fn: func(ctx context.Context) error { return a.redis.Ping(ctx).Err() }})
	}
	if filesReady != nil {
		checks = append(checks, obs.Check{Name: "files", Fn: filesReady})
	}
	a.health = obs.NewHealth(log, append(checks, a.kit.checks...)...)
	r := a.http.Router
	r.Handle("/metrics", obs.MetricsHandler(reg))
	r.Handle("/health/live", a.health.LiveHandler())
	r.Handle("/health/ready", a.health.ReadyHandler())
	if a.disk != nil {
		r.Handle("/files/*", a.disk.Handler())
	}
	pages := web.Handler()
	for _, pattern := range web.Routes() {
		r.With(a.http.RateLimit(httpapi.ClassPublic)).Handle(pattern, pages)
	}
	log.Info("goodgo initialised", "version", Version, "database", string(a.db.Dialect()), "events", a.busKind(),
		"modules", activeNames(p), "web_app_built", web.Built(), "duration_ms", time.Since(started).Milliseconds())
	return a, nil
}

func (a *App) openBus(ctx context.Context) error {
	switch {
	case a.cfg.AMQPURL != "":
		b, err := amqpbus.Dial(ctx, a.cfg.AMQPURL, a.log, amqpbus.Options{})
		if err != nil {
			return fmt.Errorf("connect RabbitMQ: %w", err)
		}
		a.bus = b
	case a.cfg.NATSURL != "":
		b, err := natsbus.Connect(ctx, a.cfg.NATSURL, a.log, natsbus.Options{})
		if err != nil {
			return fmt.Errorf("connect NATS: %w", err)
		}
		a.bus = b
	default:
		// Shops lose power: every stored event is fsynced before the relay marks it published.
		srv, err := natsbus.StartEmbeddedWith(a.cfg.DataDir, a.log, natsbus.EmbeddedConfig{SyncAlways: true})
		if err != nil {
			return err
		}
		a.nats = srv
		b, err := srv.Connect(ctx, a.log, natsbus.Options{})
		if err != nil {
			return err
		}
		a.bus = b
	}
	return nil
}

func (a *App) busKind() string {
	switch {
	case a.cfg.AMQPURL != "":
		return "rabbitmq"
	case a.cfg.NATSURL != "":
		return "nats"
	}
	return "embedded-nats"
}

func (a *App) openCache(ctx context.Context) (cache.Cache, httpapi.Limiter, error) {
	if a.cfg.RedisURL == "" {
		return cache.NewMemory(cache.MemoryConfig{}), httpapi.NewMemoryLimiter(clock.System{}), nil
	}
	client, err := cache.OpenRedis(ctx, a.cfg.RedisURL)
	if err != nil {
		return nil, nil, err
	}
	a.redis = client
	a.closers = append(a.closers, client.Close)
	return cache.NewRedis(client, "goodgo:cache:"), httpapi.NewRedisLimiter(client, "goodgo:rl:"), nil
}

// openFiles opens the file store: S3 when configured (with a readiness check), else the local disk.
func (a *App) openFiles(ctx context.Context, secret []byte) (blob.Store, func(context.Context) error, error) {
	if a.cfg.S3Endpoint != "" {
		s, err := blob.OpenS3(ctx, blob.S3Config{Endpoint: a.cfg.S3Endpoint, Bucket: a.cfg.S3Bucket,
			AccessKey: a.cfg.S3AccessKey, SecretKey: a.cfg.S3SecretKey, Region: a.cfg.S3Region,
			Secure: a.cfg.S3UseSSL, PathStyle: true})
		if err != nil {
			return nil, nil, err
		}
		return s, s.Ready, nil
	}
	d, err := blob.OpenDisk(blob.DiskConfig{Dir: filepath.Join(a.cfg.DataDir, "files"), PublicURL: a.cfg.PublicURL,
		Secret: deriveKey(secret, "files"), Logger: a.log})
	if err != nil {
		return nil, nil, err
	}
	a.disk = d
	a.closers = append(a.closers, d.Close)
	return d, nil, nil
}

func (a *App) httpConfig() httpapi.Config {
	trusted, _ := parsePrefixes(a.cfg.TrustedProxies) // validated by LoadConfig
	exempt, _ := parsePrefixes(a.cfg.RateLimitExemptCIDRs)
	return httpapi.Config{
		Title: "GoodGo API", Version: Version, BodyLimit: a.cfg.BodyLimitBytes,
		CORSOrigins: a.cfg.CORSOrigins, TrustedProxies: trusted, RateLimitExempt: exempt,
		Limits: a.cfg.RateLimits.parsed(),
	}
}

// OpenAPI returns the API description every initialised module registered.
func (a *App) OpenAPI() any { return a.http.API.OpenAPI() }

// Handler returns the whole HTTP stack (for tests that drive it in process).
func (a *App) Handler() http.Handler { return a.http.Handler() }

// Run serves HTTP on ln and runs the workers (the outbox relay, the realtime hub, the modules' workers)
// until ctx ends; then it shuts down gracefully: readiness off, in-flight requests drained (up to
// GOODGO_SHUTDOWN_TIMEOUT), workers stopped, the outbox flushed once more, everything closed.
func (a *App) Run(ctx context.Context, ln net.Listener) error {
	srv := a.http.HTTPServer(ln.Addr().String())
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	start := func(name string, run func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(workCtx); err != nil && !errors.Is(err, context.Canceled) {
				a.log.Error("worker stopped", "worker", name, "err", err)
			}
		}()
	}
	if err := a.hub.Start(workCtx); err != nil {
		stopWork()
		return errors.Join(fmt.Errorf("start realtime hub: %w", err), a.Close(ctx))
	}
	// SSE streams never go idle by themselves: end them as soon as shutdown starts, or Shutdown would wait
	// for them until the timeout and then cut off the requests it was draining.
	srv.RegisterOnShutdown(func() { _ = a.hub.Close() })
	start("outbox-relay", a.relay.Run)
	start("idempotency-purge", func(ctx context.Context) error {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if n, err := a.http.PurgeExpired(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("purge idempotency keys", "err", err)
			} else if n > 0 {
				a.log.Info("purged idempotency keys", "count", n)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
			}
		}
	})
	for _, w := range a.kit.workers {
		start(w.name, w.run)
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	a.log.Info("goodgo serving", "addr", ln.Addr().String(), "public_url", a.cfg.PublicURL)

	var err error
	select {
	case <-ctx.Done():
		a.log.Info("shutting down", "timeout", a.cfg.ShutdownTimeout.String())
	case err = <-serveErr:
		err = fmt.Errorf("http server: %w", err)
	}
	a.health.SetReady(false)
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.ShutdownTimeout)
	defer cancel()
	if serr := srv.Shutdown(shutCtx); serr != nil {
		a.log.Warn("in-flight requests cut off at the shutdown timeout", "err", serr)
		_ = srv.Close()
	}
	stopWork()
	wg.Wait()
	return errors.Join(err, a.Close(context.WithoutCancel(ctx)))
}

// Close flushes the outbox relay (when the bus is up) and releases every part, in reverse order of
// opening. It is safe to call more than once.
func (a *App) Close(ctx context.Context) error {
	a.closeOnce.Do(func() {
		var errs []error
		if a.relay != nil {
			// The flush has its own budget: the drain may have used up the shutdown timeout.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := a.relay.Flush(fctx); err != nil {
				a.log.Warn("outbox not flushed at shutdown; the next start publishes the rest", "err", err)
			}
			cancel()
		}
		if a.bus != nil {
			errs = append(errs, a.bus.Close())
		}
		if a.nats != nil {
			a.nats.Stop()
		}
		for i := len(a.closers) - 1; i >= 0; i-- {
			errs = append(errs, a.closers[i]())
		}
		a.closeErr = errors.Join(errs...)
	})
	return a.closeErr
}

func serve(ctx context.Context, cfg Config, log *slog.Logger) error {
	a, err := New(ctx, cfg, log)
	if err != nil {
		return err
	}
	if cfg.Demo {
		logins, err := a.seedDemo()
		if err != nil {
			_ = a.Close(ctx)
			return fmt.Errorf("demo data: %w", err)
		}
		log.Info("demo data ready", "owner", demoEmail, "logins_file", filepath.Join(cfg.DataDir, demoFile))
		fmt.Fprintf(os.Stdout, "\n%s\nOpen %s\n\n", logins, cfg.PublicURL)
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		_ = a.Close(ctx)
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	return a.Run(ctx, ln)
}

func activeNames(p plan) []string {
	var out []string
	for _, m := range p.order {
		if p.active[m.Name] {
			out = append(out, m.Name)
		}
	}
	return out
}

func newLogger(w interface{ Write([]byte) (int, error) }, level string) (*slog.Logger, error) {
	return obs.NewLogger(w, level)
}

func tempDir() (string, error) { return os.MkdirTemp("", "goodgo-openapi-") }

func removeAll(dir string) { _ = os.RemoveAll(dir) }
