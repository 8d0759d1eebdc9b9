package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// The operations each scenario's first workflow runs, whatever the draw: a restaurant's first bill is split,
// one part paid by VietQR through the bank webhook and the other in cash.
var loadgenOperations = map[string][]string{
	"restaurant": {"restaurant.open_order", "restaurant.add_line", "restaurant.submit", "restaurant.get_order",
		"restaurant.split", "restaurant.pay_vietqr", "bank.webhook", "restaurant.payment_status", "restaurant.pay_cash",
		"restaurant.close"},
	"karaoke": {"karaoke.open_room", "karaoke.add_line", "karaoke.submit", "karaoke.bill", "karaoke.pay_cash", "karaoke.close"},
	"qr":      {"qr.table", "qr.menu", "qr.place_order", "qr.order_status", "qr.confirm", "qr.pay_cash", "qr.close"},
	"kds":     {"kds.connect", "kds.ticket_event", "kds.bump"},
}

// serverHasReports tells whether the server's OpenAPI document has the report endpoints the dashboard
// readers use.
func serverHasReports(t *testing.T, base string) bool {
	t.Helper()
	res, err := http.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc struct {
		Paths map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	_, revenue := doc.Paths["/api/v1/reports/revenue"]
	_, eod := doc.Paths["/api/v1/shops/{shop_id}/reports/end-of-day"]
	return revenue && eod
}

func TestLoadgenRunsEveryWorkflowAgainstTheRealServerWithoutErrors(t *testing.T) {
	base := startServer(t, "GOODGO_RATELIMIT_EXEMPT_CIDRS=127.0.0.1/32")
	var stdout, stderr bytes.Buffer
	// Every terminal finishes the workflow in hand within the graceful stop, so each runs its first workflow
	// to the end however slow the machine is.
	code := runLoadgen(context.Background(), []string{"--url", base, "--terminals", "5", "--duration", "5s",
		"--graceful-stop", "5m", "--think", "0", "--mix", "restaurant=2,karaoke=1,qr=1,dashboard=1", "--seed", "7", "--json"},
		&stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
	}

	// Standard output is one JSON object of the documented shape, and nothing else.
	dec := json.NewDecoder(&stdout)
	var raw map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("stdout is not a JSON object: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Errorf("stdout holds more than the JSON object")
	}
	wantKeys := []string{"duration_s", "error_rate", "errors", "kitchen_event_latency_ms", "operations", "requests", "terminals", "throughput_rps"}
	if got := slices.Sorted(maps.Keys(raw)); !slices.Equal(got, wantKeys) {
		t.Errorf("keys %v, want %v", got, wantKeys)
	}
	var rep struct {
		DurationS  float64 `json:"duration_s"`
		Terminals  int     `json:"terminals"`
		Requests   int64   `json:"requests"`
		Errors     int64   `json:"errors"`
		ErrorRate  float64 `json:"error_rate"`
		Throughput float64 `json:"throughput_rps"`
		Operations map[string]struct {
			Count  int64 `json:"count"`
			Errors int64 `json:"errors"`
		} `json:"operations"`
		Kitchen struct{ P50, P95, P99 float64 } `json:"kitchen_event_latency_ms"`
	}
	body, _ := json.Marshal(raw)
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Terminals != 5 || rep.DurationS < 5 || rep.Requests == 0 || rep.Errors != 0 || rep.ErrorRate != 0 || rep.Throughput <= 0 {
		t.Errorf("report: terminals %d, %.1f s, %d requests, %d errors (%v), %.1f/s", rep.Terminals, rep.DurationS, rep.Requests,
			rep.Errors, rep.ErrorRate, rep.Throughput)
	}
	want := slices.Concat(loadgenOperations["restaurant"], loadgenOperations["karaoke"], loadgenOperations["qr"], loadgenOperations["kds"])
	dashboard := []string{"dashboard.revenue", "dashboard.end_of_day"}
	if serverHasReports(t, base) {
		want = append(want, dashboard...)
	} else {
		for _, op := range dashboard {
			if _, ok := rep.Operations[op]; ok {
				t.Errorf("%s ran although the server has no reports", op)
			}
		}
		if !strings.Contains(stderr.String(), "dashboard readers left out") {
			t.Errorf("the log does not say the dashboard readers were left out:\n%s", stderr.String())
		}
	}
	for _, op := range want {
		if o, ok := rep.Operations[op]; !ok || o.Count == 0 || o.Errors != 0 {
			t.Errorf("operation %s: %+v (present %v)", op, o, ok)
		}
	}
	var p map[string]map[string]float64
	_ = json.Unmarshal(raw["operations"], &p)
	for op, figures := range p {
		if got := slices.Sorted(maps.Keys(figures)); !slices.Equal(got, []string{"count", "errors", "p50_ms", "p95_ms", "p99_ms"}) {
			t.Errorf("%s has %v", op, got)
		}
		if figures["p50_ms"] > figures["p95_ms"] || figures["p95_ms"] > figures["p99_ms"] {
			t.Errorf("%s: percentiles out of order %v", op, figures)
		}
	}
	if k := rep.Kitchen; k.P50 <= 0 || k.P50 > k.P95 || k.P95 > k.P99 {
		t.Errorf("kitchen latency %+v", k)
	}
	if !strings.Contains(stderr.String(), "msg=done") {
		t.Errorf("stderr lacks the run's log:\n%s", stderr.String())
	}
}

func TestLoadgenPrintsATableWithoutJSON(t *testing.T) {
	base := startServer(t, "GOODGO_RATELIMIT_EXEMPT_CIDRS=127.0.0.1/32")
	var stdout, stderr bytes.Buffer
	code := runLoadgen(context.Background(), []string{"--url", base, "--terminals", "1", "--duration", "2s",
		"--graceful-stop", "5m", "--think", "0", "--mix", "qr=1"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"GoodGo load test: 1 terminals", "errors 0", "operation", "qr.place_order", "kitchen display"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, stdout.String())
		}
	}
	if strings.Contains(stdout.String(), "level=") {
		t.Errorf("logs on stdout:\n%s", stdout.String())
	}
}

func TestLoadgenRefusesAServerThatIsNotGoodGo(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"openapi":"3.1.0","paths":{"/pets":{}}}`)
	}))
	t.Cleanup(other.Close)
	var stdout, stderr bytes.Buffer
	code := runLoadgen(context.Background(), []string{"--url", other.URL, "--duration", "1s"}, &stdout, &stderr)
	if code != 1 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "lacks operations the load generator needs") {
		t.Errorf("exit %d, stdout %q, stderr %s", code, stdout.String(), stderr.String())
	}
}

func TestLoadgenRefusesBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--url", "ftp://x"},
		{"--url", "http://x", "--terminals", "0"},
		{"--url", "http://x", "--mix", "bar=1"},
		{"--url", "http://x", "--think", "3s-1s"},
		{"--url", "http://x", "--duration", "0s"},
		{"--url", "http://x", "--graceful-stop", "-1s"},
		{"--url", "http://x", "extra"},
	} {
		var stdout, stderr bytes.Buffer
		if code := runLoadgen(context.Background(), args, &stdout, &stderr); code != 2 || stdout.Len() != 0 ||
			!strings.Contains(stderr.String(), "usage: goodgo loadgen") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout.String(), stderr.String())
		}
	}
}
