// Package app is GoodGo's composition root: it reads the configuration, opens the platform's parts (database,
// bus, cache, files, HTTP server), initialises the business modules in dependency order, runs the server and
// its workers, and shuts everything down in order. All wiring lives here; nothing is global.
package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/tenant"
	"github.com/goodgo/goodgo/internal/report"
)

// Version is the build's version, set with -ldflags at build time.
var Version = "dev"

const usage = `goodgo — GoodGo point-of-sale server

usage: goodgo [command]

commands:
  serve     start the server (default)
  migrate   apply pending migrations and exit
  openapi   print the OpenAPI 3.1 document
  reports rebuild [merchant-id ...]
            rebuild the reports' read models from the events they keep (every merchant when none is named)
  backup    copy the embedded SQLite database and key, online (goodgo backup --help)
  restore   restore such a copy into the data directory (goodgo restore --help)
  smoke     run the post-deployment smoke tests against a URL (goodgo smoke --help)
  loadgen   drive simulated terminals and customers against a URL (goodgo loadgen --help)
  version   print the version
  help      print this help

Configuration comes from GOODGO_* environment variables; see README.md.
`

// Main runs the command named by args and returns the process exit code. ctx is cancelled on SIGINT/SIGTERM.
func Main(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "goodgo", Version)
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	case "serve", "migrate", "openapi":
	case "reports":
		if len(args) < 2 || args[1] != "rebuild" {
			fmt.Fprintf(stderr, "goodgo: usage: goodgo reports rebuild [merchant-id ...]\n")
			return 2
		}
	default:
		fmt.Fprintf(stderr, "goodgo: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	cfg, err := LoadConfig(environ)
	if err != nil {
		fmt.Fprintln(stderr, "goodgo:", err)
		return 2
	}
	log, err := newLogger(stderr, cfg.LogLevel)
	if err != nil {
		fmt.Fprintln(stderr, "goodgo:", err)
		return 2
	}
	switch cmd {
	case "migrate":
		err = runMigrate(ctx, cfg, log)
	case "openapi":
		err = printOpenAPI(ctx, cfg, stdout)
	case "reports":
		err = rebuildReports(ctx, cfg, log, args[2:], stdout)
	default:
		err = serve(ctx, cfg, log)
	}
	if err != nil {
		log.Error("goodgo stopped with an error", "command", cmd, "err", err)
		return 1
	}
	return 0
}

// runMigrate applies every module's migrations and nothing else: a Kubernetes Job runs it before a rollout,
// so it needs only the database (no bus, cache or files, no module side effects).
func runMigrate(ctx context.Context, cfg Config, log *slog.Logger) error {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	d, err := db.Open(ctx, cfg.database())
	if err != nil {
		return err
	}
	defer d.Close()
	return migrate.Up(ctx, d, log, allMigrations(modules())...)
}

// rebuildReports replays the events the report module keeps into its read models, for the merchants named or
// every merchant with events, and prints what it replayed.
func rebuildReports(ctx context.Context, cfg Config, log *slog.Logger, merchants []string, stdout io.Writer) error {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	d, err := db.Open(ctx, cfg.database())
	if err != nil {
		return err
	}
	defer d.Close()
	if err := migrate.Up(ctx, d, log, allMigrations(modules())...); err != nil {
		return err
	}
	svc := report.New(d, clock.System{}, report.Options{})
	ids := make([]tenant.ID, 0, len(merchants))
	for _, m := range merchants {
		ids = append(ids, tenant.ID(m))
	}
	if len(ids) == 0 {
		if ids, err = svc.Merchants(ctx); err != nil {
			return err
		}
	}
	for _, m := range ids {
		replayed, skipped, err := svc.Rebuild(ctx, m)
		if err != nil {
			return fmt.Errorf("rebuild reports of %s: %w", m, err)
		}
		fmt.Fprintf(stdout, "merchant %s: %d events replayed, %d skipped\n", m, replayed, skipped)
	}
	return nil
}

// printOpenAPI builds the application against a throwaway embedded data directory (so it needs no running
// services) and prints the API description every module registered.
func printOpenAPI(ctx context.Context, cfg Config, w io.Writer) error {
	dir, err := tempDir()
	if err != nil {
		return err
	}
	defer removeAll(dir)
	cfg = Config{DataDir: dir, PublicURL: cfg.PublicURL, LogLevel: "error", Modules: []string{"all"},
		MigrateOnStart: true, RateLimits: cfg.RateLimits, BodyLimitBytes: cfg.BodyLimitBytes, ShutdownTimeout: cfg.ShutdownTimeout}
	a, err := New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer a.Close(ctx)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(a.OpenAPI())
}
