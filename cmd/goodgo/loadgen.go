package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/goodgo/goodgo/internal/loadgen"
)

const loadgenUsage = `usage: goodgo loadgen --url URL [--terminals N] [--duration 1m] [--mix ` + loadgen.DefaultMix + `]
                      [--think ` + loadgen.DefaultThink + `] [--graceful-stop 30s] [--seed N] [--timeout 30s] [--json]

Simulated terminals and customers run the real workflows against the GoodGo at URL: restaurant (table, lines
with modifiers, kitchen, split, cash and VietQR paid through the bank webhook, close), karaoke (room, drinks,
time billing, payment), QR-menu customers (cached menu, order) and dashboard readers (the reports, when the
server has them); a kitchen display per station listens on SSE, bumps the tickets and measures the time from
a submit to its ticket event. The load generator signs up its own merchants, shops and one staff member per
terminal; run the server with GOODGO_RATELIMIT_EXEMPT_CIDRS covering this host for that burst and the run.
After --duration no workflow starts; the terminals finish the one in hand within --graceful-stop.

Logs go to standard error. Standard output gets the report: a table, or with --json one JSON object
{duration_s, terminals, requests, errors, error_rate, throughput_rps, operations{name: {count, errors, p50_ms,
p95_ms, p99_ms}}, kitchen_event_latency_ms{p50, p95, p99}}. Exit status 1 when the set-up failed or the run
had errors, 2 for bad arguments.

`

// runLoadgen is `goodgo loadgen`.
func runLoadgen(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, loadgenUsage); fs.PrintDefaults() }
	rawURL := fs.String("url", "", "base URL of the GoodGo server, e.g. http://localhost:8080")
	terminals := fs.Int("terminals", 10, "simulated terminals and customers")
	duration := fs.Duration("duration", time.Minute, "how long they start workflows, after the set-up")
	graceful := fs.Duration("graceful-stop", 30*time.Second, "how long they then have to finish the workflow in hand")
	mix := fs.String("mix", loadgen.DefaultMix, "weights of the scenarios (restaurant, karaoke, qr, dashboard)")
	seed := fs.Uint64("seed", 1, "seed of the terminals' random choices")
	think := fs.String("think", loadgen.DefaultThink, "pause between a terminal's actions: 0, a duration, or a range")
	timeout := fs.Duration("timeout", 30*time.Second, "time limit of each request")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	domain := fs.String("email-domain", "example.com", "domain of the merchants' sign-up addresses")
	if err := fs.Parse(args); err != nil {
		return usageExit(err)
	}
	m, mixErr := loadgen.ParseMix(*mix)
	t, thinkErr := loadgen.ParseThink(*think)
	cfg := loadgen.Config{URL: *rawURL, Terminals: *terminals, Duration: *duration, GracefulStop: *graceful, Mix: m,
		Seed: *seed, Think: t, Timeout: *timeout, EmailDomain: *domain}
	if err := errors.Join(mixErr, thinkErr, cfg.Validate()); err != nil || fs.NArg() > 0 {
		if err != nil {
			fmt.Fprintf(stderr, "goodgo loadgen: %v\n", err)
		}
		fs.Usage()
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	rep, err := loadgen.Run(ctx, cfg, log)
	if err != nil {
		log.Error("load test failed", "err", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.WriteTable(stdout)
	}
	if err != nil {
		log.Error("write the report", "err", err)
		return 1
	}
	if rep.Errors > 0 {
		return 1
	}
	return 0
}
