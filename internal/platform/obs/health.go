package obs

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// DefaultCheckTimeout bounds a readiness check whose Timeout is zero.
const DefaultCheckTimeout = 2 * time.Second

// Check is one dependency the app needs to serve traffic (the database, Redis, the event bus…).
type Check struct {
	Name    string                          // reported in the readiness answer, e.g. "database"; unique
	Fn      func(ctx context.Context) error // nil error means healthy; must respect ctx
	Timeout time.Duration                   // zero means DefaultCheckTimeout
}

// Health answers the orchestrator's liveness and readiness probes.
type Health struct {
	checks []Check
	log    *slog.Logger
	ready  atomic.Bool
}

// NewHealth returns a Health that is ready and runs checks on every readiness probe. Failures are logged
// in detail on log (nil discards) and reported only by name.
func NewHealth(log *slog.Logger, checks ...Check) *Health {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Health{checks: append([]Check(nil), checks...), log: log}
	h.ready.Store(true)
	return h
}

// SetReady turns readiness on or off. The app turns it off when graceful shutdown starts, so load
// balancers stop sending new requests while in-flight ones finish; liveness is unaffected.
func (h *Health) SetReady(ready bool) { h.ready.Store(ready) }

// Ready reports whether readiness is on (it says nothing about the checks).
func (h *Health) Ready() bool { return h.ready.Load() }

// LiveHandler answers 200 {"status":"ok"} for as long as the process can serve HTTP (GET /health/live).
func (h *Health) LiveHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, healthReport{Status: "ok"})
	})
}

// ReadyHandler runs every check concurrently, each under its timeout, and answers 200
// {"status":"ok","checks":{"database":"ok",…}} when all pass, or 503 with status "unavailable" and each
// failing check marked "failed" or "timeout". While readiness is off it answers 503 {"status":"draining"}
// without running the checks. Error text never reaches the response (it may hold addresses or
// credentials); it is logged instead.
func (h *Health) ReadyHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.ready.Load() {
			writeJSON(w, http.StatusServiceUnavailable, healthReport{Status: "draining"})
			return
		}
		report := h.run(r.Context())
		status := http.StatusOK
		if report.Status != "ok" {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, report)
	})
}

type healthReport struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks,omitempty"`
}

type checkResult struct {
	name  string
	state string
}

// run executes the checks concurrently. A check that ignores its context is abandoned at its timeout (its
// goroutine finishes on its own; the buffered channel never blocks it).
func (h *Health) run(ctx context.Context) healthReport {
	results := make(chan checkResult, len(h.checks))
	for _, c := range h.checks {
		go func() { results <- h.runOne(ctx, c) }()
	}
	report := healthReport{Status: "ok", Checks: make(map[string]string, len(h.checks))}
	for range h.checks {
		res := <-results
		report.Checks[res.name] = res.state
		if res.state != "ok" {
			report.Status = "unavailable"
		}
	}
	return report
}

func (h *Health) runOne(ctx context.Context, c Check) checkResult {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultCheckTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- panicError{p}
			}
		}()
		done <- c.Fn(ctx)
	}()
	select {
	case err := <-done:
		if err == nil {
			return checkResult{c.Name, "ok"}
		}
		state := "failed"
		if ctx.Err() != nil {
			state = "timeout"
		}
		h.log.WarnContext(ctx, "readiness check failed", "check", c.Name, "state", state, "err", err)
		return checkResult{c.Name, state}
	case <-ctx.Done():
		h.log.WarnContext(ctx, "readiness check did not answer in time", "check", c.Name, "timeout", timeout)
		return checkResult{c.Name, "timeout"}
	}
}

type panicError struct{ value any }

func (p panicError) Error() string { return fmt.Sprintf("check panicked: %v", p.value) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
