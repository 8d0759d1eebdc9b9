package obs

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func newTestRouter(t *testing.T) (*chi.Mux, *HTTPMetrics, *prometheus.Registry) {
	t.Helper()
	reg := NewRegistry()
	m, err := NewHTTPMetrics(reg)
	if err != nil {
		t.Fatalf("NewHTTPMetrics: %v", err)
	}
	r := chi.NewRouter()
	r.Use(m.Middleware)
	r.Get("/api/v1/orders/{order_id}", func(w http.ResponseWriter, r *http.Request) {
		if chi.URLParam(r, "order_id") == "missing" {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		_, _ = w.Write([]byte("order"))
	})
	r.Post("/api/v1/orders/{order_id}/lines", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})
	r.Get("/silent", func(w http.ResponseWriter, r *http.Request) {})
	r.Get("/boom", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) })
	r.Get("/early-hints", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusEarlyHints)
		w.WriteHeader(http.StatusAccepted)
	})
	r.Route("/api/v1/shops/{shop_id}", func(r chi.Router) {
		r.Get("/menu", func(w http.ResponseWriter, r *http.Request) {})
	})
	r.Handle("/metrics", MetricsHandler(reg))
	return r, m, reg
}

// value reads a counter or gauge.
func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatalf("read metric: %v", err)
	}
	switch {
	case out.Counter != nil:
		return out.Counter.GetValue()
	case out.Gauge != nil:
		return out.Gauge.GetValue()
	}
	t.Fatalf("metric %v is neither a counter nor a gauge", m.Desc())
	return 0
}

// seriesCount returns how many label combinations c holds.
func seriesCount(c prometheus.Collector) int {
	ch := make(chan prometheus.Metric, 1000)
	c.Collect(ch)
	close(ch)
	return len(ch)
}

func do(h http.Handler, method, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	func() {
		defer func() { _ = recover() }()
		h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	}()
	return rec
}

func TestHTTPMetricsLabelsByRoutePattern(t *testing.T) {
	router, m, _ := newTestRouter(t)
	requests := []struct{ method, target string }{
		{"GET", "/api/v1/orders/0195-a"},
		{"GET", "/api/v1/orders/0195-b"},
		{"GET", "/api/v1/orders/missing"},
		{"POST", "/api/v1/orders/0195-a/lines"},
		{"GET", "/api/v1/shops/s1/menu"},
		{"GET", "/no/such/path/123"},
		{"GET", "/another/unknown"},
		{"PROPFIND", "/api/v1/orders/0195-a"},
		{"GET", "/silent"},
		{"GET", "/boom"},
		{"GET", "/early-hints"},
	}
	for _, r := range requests {
		do(router, r.method, r.target)
	}
	tests := []struct {
		operation, method, class string
		want                     float64
	}{
		{"/api/v1/orders/{order_id}", "GET", "2xx", 2},
		{"/api/v1/orders/{order_id}", "GET", "4xx", 1},
		{"/api/v1/orders/{order_id}/lines", "POST", "2xx", 1},
		{"/api/v1/shops/{shop_id}/menu", "GET", "2xx", 1},
		{UnmatchedOperation, "GET", "4xx", 2},
		{UnmatchedOperation, "OTHER", "4xx", 1},
		{"/silent", "GET", "2xx", 1},
		{"/boom", "GET", "5xx", 1},
		{"/early-hints", "GET", "2xx", 1},
	}
	for _, tt := range tests {
		got := value(t, m.requests.WithLabelValues(tt.operation, tt.method, tt.class))
		if got != tt.want {
			t.Errorf("requests{%s %s %s} = %v, want %v", tt.operation, tt.method, tt.class, got, tt.want)
		}
	}
	if got, want := seriesCount(m.requests), len(tests); got != want {
		t.Errorf("requests_total has %d series, want %d (raw paths must never become labels)", got, want)
	}
	if got := seriesCount(m.duration); got != len(tests) {
		t.Errorf("duration histogram has %d series, want %d", got, len(tests))
	}
	if got := value(t, m.inFlight); got != 0 {
		t.Errorf("in flight after all requests = %v, want 0", got)
	}
}

func TestHTTPMetricsCountsInFlight(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewHTTPMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	var seen float64
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = value(t, m.inFlight)
	}))
	do(h, "GET", "/x")
	if seen != 1 {
		t.Errorf("in flight during the request = %v, want 1", seen)
	}
}

func TestMetricsEndpointExposesRequestsAndRuntime(t *testing.T) {
	router, _, _ := newTestRouter(t)
	do(router, "GET", "/api/v1/orders/abc")
	rec := do(router, "GET", "/metrics")
	body := rec.Body.String()
	for _, want := range []string{
		`goodgo_http_requests_total{method="GET",operation="/api/v1/orders/{order_id}",status_class="2xx"} 1`,
		"goodgo_http_request_duration_seconds_bucket",
		"goodgo_http_requests_in_flight",
		"go_goroutines",
		"process_start_time_seconds",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, "/api/v1/orders/abc") {
		t.Errorf("/metrics contains a raw path")
	}
}

func TestNewHTTPMetricsTwiceOnOneRegistryFails(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := NewHTTPMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := NewHTTPMetrics(reg); err == nil {
		t.Errorf("second registration succeeded, want an error")
	}
}

// The recorder must not hide the streaming and hijacking abilities of the real writer.
func TestStatusRecorderKeepsFlushAndHijack(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewHTTPMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(m.Middleware)
	r.Get("/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte("data: 1\n\n"))
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush through the middleware: %v", err)
		}
		if _, ok := w.(http.Flusher); !ok {
			t.Errorf("writer is not an http.Flusher")
		}
	})
	r.Get("/ws", func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("Hijack through the middleware: %v", err)
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n")
		_ = brw.Flush()
	})
	finished := make(chan string, 2) // paths whose handling (metrics included) has completed
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.ServeHTTP(w, req)
		finished <- req.URL.Path
	}))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = conn.Write([]byte("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n"))
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 101") {
		t.Fatalf("upgrade answer = %q, %v", status, err)
	}
	// The metric is recorded after the handler returns, which may be after the client has its answer.
	deadline := time.After(10 * time.Second)
	for done := false; !done; {
		select {
		case p := <-finished:
			done = p == "/events"
		case <-deadline:
			t.Fatal("the events request never finished")
		}
	}
	if got := value(t, m.requests.WithLabelValues("/events", "GET", "2xx")); got != 1 {
		t.Errorf("events requests = %v, want 1", got)
	}
}

func BenchmarkHTTPMetricsMiddleware(b *testing.B) {
	reg := prometheus.NewRegistry()
	m, err := NewHTTPMetrics(reg)
	if err != nil {
		b.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(m.Middleware)
	r.Get("/api/v1/orders/{order_id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	req := httptest.NewRequest("GET", "/api/v1/orders/0195", nil)
	b.ReportAllocs()
	for b.Loop() {
		r.ServeHTTP(httptest.NewRecorder(), req)
	}
}
