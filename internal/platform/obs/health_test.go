package obs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type healthBody struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func probe(t *testing.T, h http.Handler) (int, healthBody, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/health/ready", nil))
	var body healthBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q is not JSON: %v", rec.Body, err)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	return rec.Code, body, rec.Body.String()
}

func ok(context.Context) error { return nil }

// leakyErr looks like a driver error that repeats a connection string.
var leakyErr = errors.New(`failed to connect to postgres://goodgo:hunter2@db.internal:5432/goodgo: connection refused`)

func TestReadyHandler(t *testing.T) {
	blocked := make(chan struct{})
	t.Cleanup(func() { close(blocked) })
	tests := []struct {
		name       string
		checks     []Check
		wantStatus int
		want       healthBody
	}{
		{"no checks", nil, 200, healthBody{Status: "ok"}},
		{"all pass", []Check{{Name: "database", Fn: ok}, {Name: "redis", Fn: ok}}, 200,
			healthBody{Status: "ok", Checks: map[string]string{"database": "ok", "redis": "ok"}}},
		{"one fails", []Check{
			{Name: "database", Fn: func(context.Context) error { return leakyErr }},
			{Name: "redis", Fn: ok},
		}, 503, healthBody{Status: "unavailable", Checks: map[string]string{"database": "failed", "redis": "ok"}}},
		{"one respects its timeout", []Check{
			{Name: "nats", Timeout: 20 * time.Millisecond, Fn: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }},
			{Name: "database", Fn: ok},
		}, 503, healthBody{Status: "unavailable", Checks: map[string]string{"nats": "timeout", "database": "ok"}}},
		{"one ignores its context", []Check{
			{Name: "stuck", Timeout: 20 * time.Millisecond, Fn: func(context.Context) error { <-blocked; return nil }},
		}, 503, healthBody{Status: "unavailable", Checks: map[string]string{"stuck": "timeout"}}},
		{"one panics", []Check{
			{Name: "buggy", Fn: func(context.Context) error { panic("nil map") }},
		}, 503, healthBody{Status: "unavailable", Checks: map[string]string{"buggy": "failed"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			log, err := NewLogger(&logs, "info")
			if err != nil {
				t.Fatal(err)
			}
			h := NewHealth(log, tt.checks...)
			code, got, raw := probe(t, h.ReadyHandler())
			if code != tt.wantStatus || got.Status != tt.want.Status || len(got.Checks) != len(tt.want.Checks) {
				t.Fatalf("ready = %d %s, want %d %+v", code, raw, tt.wantStatus, tt.want)
			}
			for name, state := range tt.want.Checks {
				if got.Checks[name] != state {
					t.Errorf("check %s = %q, want %q", name, got.Checks[name], state)
				}
			}
			if strings.Contains(raw, "hunter2") || strings.Contains(raw, "db.internal") || strings.Contains(raw, "nil map") {
				t.Errorf("readiness answer leaks error detail: %s", raw)
			}
			if strings.Contains(logs.String(), "hunter2") {
				t.Errorf("log leaks a password: %s", logs.String())
			}
			if tt.wantStatus == 503 && !strings.Contains(logs.String(), "readiness check") {
				t.Errorf("failure not logged: %q", logs.String())
			}
		})
	}
}

func TestReadyChecksRunConcurrently(t *testing.T) {
	// Each check waits for the other to start; run one after the other they would both time out.
	aStarted, bStarted := make(chan struct{}), make(chan struct{})
	wait := func(mine, other chan struct{}) func(context.Context) error {
		return func(ctx context.Context) error {
			close(mine)
			select {
			case <-other:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	h := NewHealth(nil,
		Check{Name: "a", Fn: wait(aStarted, bStarted), Timeout: 10 * time.Second},
		Check{Name: "b", Fn: wait(bStarted, aStarted), Timeout: 10 * time.Second},
	)
	if code, _, raw := probe(t, h.ReadyHandler()); code != 200 {
		t.Errorf("ready = %d %s, want 200", code, raw)
	}
}

func TestDrainingTurnsReadinessOffButNotLiveness(t *testing.T) {
	calls := 0
	h := NewHealth(nil, Check{Name: "database", Fn: func(context.Context) error { calls++; return nil }})
	if code, _, _ := probe(t, h.ReadyHandler()); code != 200 {
		t.Fatalf("ready before draining = %d, want 200", code)
	}
	h.SetReady(false)
	code, body, _ := probe(t, h.ReadyHandler())
	if code != 503 || body.Status != "draining" {
		t.Errorf("ready while draining = %d %q, want 503 draining", code, body.Status)
	}
	if calls != 1 {
		t.Errorf("checks ran %d times, want 1 (not while draining)", calls)
	}
	if code, body, _ := probe(t, h.LiveHandler()); code != 200 || body.Status != "ok" {
		t.Errorf("live while draining = %d %q, want 200 ok", code, body.Status)
	}
	h.SetReady(true)
	if code, _, _ := probe(t, h.ReadyHandler()); code != 200 || !h.Ready() {
		t.Errorf("ready after SetReady(true) = %d, want 200", code)
	}
}
