package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/rbac"
)

func testConfig(t testing.TB) Config {
	t.Helper()
	cfg, err := LoadConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	cfg.ShutdownTimeout = 20 * time.Second
	return cfg
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// probe is a module made for these tests: a slow operation (to watch shutdown drain it) and a worker (to
// watch it start and stop).
type probe struct {
	entered, release chan struct{}
	workerUp         chan struct{}
	workerDown       chan struct{}
	initActive       []bool
	undeclared       bool // register the operation without an access declaration
}

func newProbe() *probe {
	return &probe{entered: make(chan struct{}, 1), release: make(chan struct{}), workerUp: make(chan struct{}), workerDown: make(chan struct{})}
}

func (p *probe) module() Module {
	return Module{Name: "probe", Init: func(ctx context.Context, k *Kit, active bool) error {
		p.initActive = append(p.initActive, active)
		if !active {
			return nil
		}
		type out struct{ Body struct{ Done bool } }
		op := huma.Operation{OperationID: "probe-slow", Method: http.MethodGet, Path: "/api/v1/probe/slow"}
		if !p.undeclared {
			rbac.Public(&op, "test probe")
		}
		huma.Register(k.API, op,
			func(ctx context.Context, _ *struct{}) (*out, error) {
				p.entered <- struct{}{}
				<-p.release
				o := &out{}
				o.Body.Done = true
				return o, nil
			})
		k.Handle("/probe/events", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { k.Hub.ServeShop(w, r, "probe") }))
		k.Go("probe-worker", func(ctx context.Context) error {
			close(p.workerUp)
			<-ctx.Done()
			close(p.workerDown)
			return ctx.Err()
		})
		return nil
	}}
}

func start(t testing.TB, cfg Config, registry []Module) (base string, cancel func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.PublicURL = "http://" + ln.Addr().String() // what providers' callbacks and the simulators reach
	ctx, stop := context.WithCancel(context.Background())
	a, err := build(ctx, cfg, quietLog(), registry)
	if err != nil {
		stop()
		ln.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, ln) }()
	var once bool
	cancel = func() error {
		if once {
			return nil
		}
		once = true
		stop()
		select {
		case err := <-done:
			return err
		case <-time.After(60 * time.Second):
			t.Fatal("Run did not return after cancel")
			return nil
		}
	}
	t.Cleanup(func() { _ = cancel() })
	return "http://" + ln.Addr().String(), cancel
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestServeAnswersHealthDocsPagesAndProblems(t *testing.T) {
	base, _ := start(t, testConfig(t), nil)

	res, body := get(t, base+"/health/ready")
	var ready struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal([]byte(body), &ready); err != nil || res.StatusCode != 200 || ready.Status != "ok" ||
		ready.Checks["database"] != "ok" || ready.Checks["events"] != "ok" {
		t.Fatalf("ready: %d %s", res.StatusCode, body)
	}
	if res, _ := get(t, base+"/health/live"); res.StatusCode != 200 {
		t.Errorf("live: %d", res.StatusCode)
	}
	res, body = get(t, base+"/openapi.json")
	if res.StatusCode != 200 || !strings.Contains(body, `"openapi":"3.1`) {
		t.Errorf("openapi: %d %.80s", res.StatusCode, body)
	}
	res, body = get(t, base+"/metrics")
	for _, metric := range []string{"goodgo_http_requests_total", "goodgo_outbox_published_total", "goodgo_realtime_clients", "go_goroutines", "process_resident_memory_bytes"} {
		if res.StatusCode != 200 || !strings.Contains(body, metric) {
			t.Errorf("metrics: %d, missing %s", res.StatusCode, metric)
		}
	}
	for _, page := range []string{"/", "/pos", "/kds/bar", "/menu/abc", "/t/token"} {
		res, body := get(t, base+page)
		if res.StatusCode != 200 || !strings.Contains(body, "<html") {
			t.Errorf("%s: %d", page, res.StatusCode)
		}
		if res.Header.Get("X-Frame-Options") != "DENY" || res.Header.Get("Content-Security-Policy") == "" || res.Header.Get("X-Api-Version") != "1" {
			t.Errorf("%s: security headers missing: %v", page, res.Header)
		}
	}
	res, body = get(t, base+"/api/v1/no-such-thing")
	if res.StatusCode != 404 || res.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(body, `"status":404`) {
		t.Errorf("unknown route: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
}

func TestShutdownDrainsInFlightRequestsAndStopsWorkers(t *testing.T) {
	p := newProbe()
	base, cancel := start(t, testConfig(t), []Module{p.module()})
	<-p.workerUp

	// An open SSE stream: shutdown must end it at once (it never goes idle by itself), and its end tells
	// this test that shutdown has begun.
	stream, err := http.Get(base + "/probe/events")
	if err != nil || stream.StatusCode != 200 {
		t.Fatalf("open stream: %v %v", err, stream)
	}
	streamEnded := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, stream.Body)
		stream.Body.Close()
		close(streamEnded)
	}()

	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		res, err := http.Get(base + "/api/v1/probe/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		got <- result{status: res.StatusCode, body: string(b)}
	}()
	<-p.entered // the request is in its handler

	stopped := make(chan error, 1)
	go func() { stopped <- cancel() }()
	select {
	case <-streamEnded:
	case <-time.After(10 * time.Second): // the shutdown timeout is 20 s: a stream left open would hold it
		t.Fatal("the SSE stream was not ended when shutdown began")
	}
	// Shutdown has begun and a request is in flight: the workers must still run, and Run must not return.
	select {
	case <-p.workerDown:
		t.Fatal("workers stopped before in-flight requests drained")
	case err := <-stopped:
		t.Fatalf("Run returned (%v) while a request was still in flight", err)
	default:
	}
	close(p.release)
	r := <-got
	if r.err != nil || r.status != 200 || !strings.Contains(r.body, `"Done":true`) {
		t.Fatalf("in-flight request: %+v", r)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Run: %v", err)
	}
	<-p.workerDown
}

func TestModulesOutsideGoodgoModulesServeNoRoutes(t *testing.T) {
	p := newProbe()
	other := Module{Name: "other", Requires: []string{"probe"}, Init: func(context.Context, *Kit, bool) error { return nil }}
	cfg := testConfig(t)
	cfg.Modules = []string{"other"}
	base, _ := start(t, cfg, []Module{p.module(), other})
	if !slices.Equal(p.initActive, []bool{false}) {
		t.Fatalf("probe initialised with active=%v, want [false] (required by other, not selected)", p.initActive)
	}
	if res, _ := get(t, base+"/api/v1/probe/slow"); res.StatusCode != 404 {
		t.Fatalf("inactive module's route answered %d, want 404", res.StatusCode)
	}
}

func TestServeRefusesPendingMigrationsWhenNotMigrating(t *testing.T) {
	cfg := testConfig(t)
	cfg.MigrateOnStart = false
	_, err := build(context.Background(), cfg, quietLog(), nil)
	if err == nil || !strings.Contains(err.Error(), "goodgo migrate") {
		t.Fatalf("err = %v, want a pointer to `goodgo migrate`", err)
	}
	// After migrating, the same configuration starts.
	if code := Main(context.Background(), []string{"migrate"}, []string{"GOODGO_DATA_DIR=" + cfg.DataDir, "GOODGO_LOG_LEVEL=error"}, io.Discard, io.Discard); code != 0 {
		t.Fatalf("migrate exit code %d", code)
	}
	a, err := build(context.Background(), cfg, quietLog(), nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = a.Close(context.Background())
}

// Every engine's migrations build the same tables and columns, and on PostgreSQL every tenant table is
// isolated by forced row-level security.
func TestMigrationsMatchAcrossEngines(t *testing.T) {
	ctx := context.Background()
	schemas := map[db.Dialect]map[string]migrate.Table{}
	for _, dialect := range dbtest.Dialects() {
		d := dbtest.New(t, dialect)
		if err := migrate.Up(ctx, d, quietLog(), allMigrations(modules())...); err != nil {
			t.Fatalf("%s: %v", dialect, err)
		}
		s, err := migrate.Schema(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) == 0 {
			t.Fatalf("%s: no tables", dialect)
		}
		schemas[dialect] = s
		if dialect == db.Postgres {
			if problems := migrate.TenantTableProblems(s); len(problems) > 0 {
				t.Errorf("tenant tables without forced row-level security: %v", problems)
			}
		}
	}
	pg, ok := schemas[db.Postgres]
	if !ok {
		t.Skip("GOODGO_TEST_DATABASE_URL not set: nothing to compare SQLite with")
	}
	lite := schemas[db.SQLite]
	for name, want := range pg {
		got, ok := lite[name]
		if !ok {
			t.Errorf("table %s exists on PostgreSQL only", name)
			continue
		}
		if !slices.Equal(got.Columns, want.Columns) {
			t.Errorf("table %s: SQLite columns %v, PostgreSQL %v", name, got.Columns, want.Columns)
		}
	}
	for name := range lite {
		if _, ok := pg[name]; !ok {
			t.Errorf("table %s exists on SQLite only", name)
		}
	}
}

// The same binary serves on PostgreSQL as a role that owns its database but is not a superuser.
func TestServeOnPostgresAsNonSuperuser(t *testing.T) {
	url := dbtest.URL(t, db.Postgres)
	cfg := testConfig(t)
	cfg.DatabaseURL = url
	cfg.SecretKey = strings.Repeat("k", 32)
	base, _ := start(t, cfg, nil)
	if res, body := get(t, base+"/health/ready"); res.StatusCode != 200 {
		t.Fatalf("ready on PostgreSQL: %d %s", res.StatusCode, body)
	}
	d, err := db.Open(context.Background(), db.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var super, bypass bool
	if err := d.Reader().QueryRow(`SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&super, &bypass); err != nil {
		t.Fatal(err)
	}
	if super || bypass {
		t.Fatalf("test role is superuser=%v bypassrls=%v; the test proves nothing", super, bypass)
	}
}

func TestMainCommands(t *testing.T) {
	var out strings.Builder
	if code := Main(context.Background(), []string{"version"}, nil, &out, io.Discard); code != 0 || !strings.HasPrefix(out.String(), "goodgo ") {
		t.Errorf("version: %d %q", code, out.String())
	}
	if code := Main(context.Background(), []string{"frobnicate"}, nil, io.Discard, io.Discard); code != 2 {
		t.Errorf("unknown command exit code %d, want 2", code)
	}
	if code := Main(context.Background(), []string{"serve"}, []string{"GOODGO_PUBLIC_URL=nope"}, io.Discard, io.Discard); code != 2 {
		t.Errorf("bad config exit code %d, want 2", code)
	}
	out.Reset()
	if code := Main(context.Background(), []string{"openapi"}, nil, &out, io.Discard); code != 0 {
		t.Fatalf("openapi exit code %d", code)
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal([]byte(out.String()), &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi output: %v %.100s", err, out.String())
	}
}

func TestSecretKeyIsMadeOnceAndKept(t *testing.T) {
	cfg := testConfig(t)
	k1, err := loadSecret(cfg)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := loadSecret(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if string(k1) != string(k2) || len(k1) < 32 {
		t.Fatalf("keys differ or are short: %q %q", k1, k2)
	}
	if string(deriveKey(k1, "files")) == string(deriveKey(k1, "mfa")) {
		t.Fatal("derived keys for different purposes are equal")
	}
}

// Scaled out: PostgreSQL, Redis and an external NATS (or RabbitMQ) — the same binary, every dependency in
// the readiness report.
func TestServeScaledOut(t *testing.T) {
	for _, broker := range []string{"nats", "amqp"} {
		t.Run(broker, func(t *testing.T) {
			env := map[string]string{"nats": "GOODGO_TEST_NATS_URL", "amqp": "GOODGO_TEST_AMQP_URL"}[broker]
			brokerURL, redisURL := os.Getenv(env), os.Getenv("GOODGO_TEST_REDIS_URL")
			if brokerURL == "" || redisURL == "" {
				t.Skip(env + " or GOODGO_TEST_REDIS_URL not set")
			}
			cfg := testConfig(t)
			cfg.DatabaseURL = dbtest.URL(t, db.Postgres)
			cfg.SecretKey = strings.Repeat("s", 32)
			cfg.RedisURL = redisURL
			if broker == "nats" {
				cfg.NATSURL = brokerURL
			} else {
				cfg.AMQPURL = brokerURL
			}
			base, cancel := start(t, cfg, nil)
			res, body := get(t, base+"/health/ready")
			for _, check := range []string{`"database":"ok"`, `"events":"ok"`, `"redis":"ok"`} {
				if res.StatusCode != 200 || !strings.Contains(body, check) {
					t.Errorf("ready: %d %s, want %s", res.StatusCode, body, check)
				}
			}
			if err := cancel(); err != nil {
				t.Fatalf("shutdown: %v", err)
			}
		})
	}
}
