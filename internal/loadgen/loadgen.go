// Package loadgen is GoodGo's load generator: simulated terminals and customers running the real workflows
// against a server at any URL, over HTTP only, as the POS, the kitchen displays and the customers' phones do.
//
// A run signs up its own merchants (as many as the sign-up trial's limits need), builds their menus, shops,
// floors and staff through the API, signs one staff member in by PIN per terminal, opens a kitchen display
// (an SSE stream) per station of every shop, and then lets the terminals work for the run's duration with a
// person's pauses between their actions:
//   - restaurant: open a table, add lines with modifiers, submit to the kitchen, show the bill, split it,
//     pay cash or by VietQR (the load generator plays the bank and calls the bank-statement webhook), close;
//   - karaoke: open a room, add drinks, check out with time billing, pay, close;
//   - qr: a customer's phone reads the table's page and the cached menu and orders; the cashier confirms the
//     order to the kitchen, takes the money and closes it;
//   - dashboard: a manager reads the revenue and end-of-day reports (when the server has them).
//
// The kitchen displays bump their tickets like cooks and measure commit-to-screen latency: from the start of
// the submit that made a ticket to the display reading its event. An error is a 5xx, a timeout, a transport
// failure, an unexpected 4xx (a 409 the workflow resolves is not one) or a ticket whose event did not come
// within 30 s.
//
// Everything is sized for a thousand terminals from one process: one goroutine per terminal, two per kitchen
// display (its stream and its cook), one shared HTTP transport keeping a connection per terminal and stream,
// fixed-size histograms for percentiles.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Config is one run.
type Config struct {
	// URL is the server's base URL, e.g. http://localhost:8080.
	URL string
	// Terminals is how many terminals and customers run, split between the scenarios by Mix.
	Terminals int
	// Duration is how long they run (the set-up comes before): no workflow starts after it.
	Duration time.Duration
	// GracefulStop is how long the terminals then have to finish the workflow in hand (like k6's
	// gracefulStop), so that a run ends with its orders closed; what is still running after it is cut short.
	GracefulStop time.Duration
	// Mix weighs the scenarios.
	Mix Mix
	// Seed makes the terminals' choices repeatable.
	Seed uint64
	// Think is the pause between a terminal's actions.
	Think Think
	// Timeout bounds each request.
	Timeout time.Duration
	// EmailDomain is the domain of the merchants' sign-up addresses (loadgen-<run>-<n>@EmailDomain).
	EmailDomain string
}

// Validate reports what is wrong with c.
func (c Config) Validate() error {
	u, err := url.Parse(c.URL)
	switch {
	case c.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("url %q is not an http(s) URL", c.URL)
	case c.Terminals < 1 || c.Terminals > 100_000:
		return fmt.Errorf("terminals must be from 1 to 100000, not %d", c.Terminals)
	case c.Duration <= 0:
		return fmt.Errorf("duration must be above 0")
	case c.GracefulStop < 0:
		return fmt.Errorf("graceful stop must not be negative")
	case len(c.Mix) == 0:
		return errors.New("mix is empty")
	case c.Timeout <= 0:
		return fmt.Errorf("timeout must be above 0")
	case c.EmailDomain == "":
		return errors.New("email domain is empty")
	}
	return nil
}

// drainWait is how long the displays may take, after the terminals stopped, to receive the last tickets.
const drainWait = 10 * time.Second

// Run sets up the fleet, runs it for cfg.Duration (and the graceful stop the last workflows take) and returns
// the report of the run (the set-up's requests are not in it). Logs go to log. When ctx ends during the run, the report covers what ran until then; when
// it ends during the set-up, or the set-up fails, Run returns an error.
func Run(ctx context.Context, cfg Config, log *slog.Logger) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	setupRec, runRec := NewRecorder(), NewRecorder()
	mix := cfg.Mix
	counts := mix.Allocate(cfg.Terminals)
	plan := planFleet(counts)
	shops := 0
	for _, m := range plan {
		shops += len(m.shops)
	}
	conns := cfg.Terminals + shops*len(stations)*2 + 16
	base := newClient(cfg.URL, conns, cfg.Timeout, setupRec, log)

	caps, err := probe(ctx, base)
	if err != nil {
		return nil, err
	}
	if counts[Dashboard] > 0 && !caps.reports {
		log.Warn("dashboard readers left out: the server has no report endpoints", "need", pathRevenue+", "+pathEndOfDay)
		var ok bool
		if mix, ok = mix.Without(Dashboard); !ok {
			return nil, errors.New("the mix has only dashboard readers and the server has no reports")
		}
		counts = mix.Allocate(cfg.Terminals)
		plan = planFleet(counts)
	}
	log.Info("setting up", "url", cfg.URL, "terminals", cfg.Terminals, "restaurant", counts[Restaurant],
		"karaoke", counts[Karaoke], "qr", counts[QR], "dashboard", counts[Dashboard], "merchants", len(plan))
	began := time.Now()
	s := &setup{cl: base, log: log, runID: randomHex(4), domain: cfg.EmailDomain}
	f, err := s.build(ctx, plan)
	if err != nil {
		return nil, err
	}
	log.Info("set up", "merchants", f.merchants, "shops", len(f.shops), "terminals", len(f.terminals),
		"kitchen_displays", len(f.displays), "requests", setupRec.Report(time.Since(began), 0).Requests,
		"seconds", time.Since(began).Round(time.Millisecond).Seconds())

	e := &env{cl: base.recordingTo(runRec), hard: ctx, think: cfg.Think, caps: caps, kitchen: newMatcher(runRec), log: log,
		webhookBase: time.Now().UnixMicro()}
	run, stopRun := context.WithTimeout(ctx, cfg.Duration)
	defer stopRun()
	stop, stopAll := context.WithTimeout(ctx, cfg.Duration+cfg.GracefulStop)
	defer stopAll()
	streams, stopStreams := context.WithCancel(ctx)
	defer stopStreams()

	// The kitchen displays connect first, so that they see the first tickets.
	var displays, cooks sync.WaitGroup
	var connected sync.WaitGroup
	connected.Add(len(f.displays))
	for i, d := range f.displays {
		queue := make(chan queuedTicket, bumpQueue)
		displays.Add(1)
		go func() {
			defer displays.Done()
			var once sync.Once
			d.watch(streams, e, queue, func() { once.Do(connected.Done) })
			once.Do(connected.Done)
		}()
		cooks.Add(1)
		go func() {
			defer cooks.Done()
			d.cook(stop, e, newRand(cfg.Seed, 1<<32+uint64(i)), queue)
		}()
	}
	connected.Wait()

	// The janitor keeps the matcher's memory bounded during long runs.
	janitorDone := make(chan struct{})
	go func() {
		defer close(janitorDone)
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-streams.Done():
				return
			case now := <-tick.C:
				e.kitchen.sweep(now, ticketEventWait)
			}
		}
	}()

	log.Info("running", "duration", cfg.Duration.String(), "graceful_stop", cfg.GracefulStop.String(),
		"think", cfg.Think.String(), "seed", cfg.Seed)
	start := time.Now()
	var terminals sync.WaitGroup
	for _, t := range f.terminals {
		terminals.Add(1)
		go func() {
			defer terminals.Done()
			newWorker(t, e, run, stop, cfg.Seed).loop()
		}()
	}
	terminals.Wait()
	elapsed := time.Since(start)
	stopAll()
	cooks.Wait()

	// The last tickets' events may still be on their way.
	deadline := time.Now().Add(drainWait)
	for e.kitchen.waiting() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
	}
	if ctx.Err() == nil { // an interrupted run does not wait for its last tickets: they are not missed
		e.kitchen.sweep(time.Now().Add(ticketEventWait), ticketEventWait)
	}
	stopStreams()
	displays.Wait()
	<-janitorDone

	rep := runRec.Report(elapsed, cfg.Terminals)
	if ctx.Err() != nil {
		log.Warn("the run was interrupted; the report covers what ran until then")
	}
	causes := runRec.Causes()
	for _, op := range slices.Sorted(maps.Keys(causes)) {
		var parts []string
		for _, c := range slices.Sorted(maps.Keys(causes[op])) {
			parts = append(parts, fmt.Sprintf("%s ×%d", c, causes[op][c]))
		}
		log.Warn("errors", "op", op, "causes", strings.Join(parts, ", "))
	}
	if n := runRec.limited.Load(); n > 0 {
		log.Warn("the server rate-limited requests (429): run it with GOODGO_RATELIMIT_EXEMPT_CIDRS covering this host",
			"rate_limited", n)
	}
	if n := e.unbumped.Load(); n > 0 {
		log.Warn("the cooks could not keep up: tickets left unbumped", "tickets", n)
	}
	log.Info("done", "requests", rep.Requests, "errors", rep.Errors, "throughput_rps", rep.ThroughputRPS)
	return rep, nil
}
