// Package obs is the observability plumbing every part of GoodGo shares: Prometheus metrics (a registry
// with runtime collectors and RED metrics for HTTP), health endpoints for the orchestrator, and the JSON
// logger that keeps secrets out of the logs.
package obs

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry returns a Prometheus registry holding the Go runtime and process collectors. The app creates
// one and hands it to every component that exports metrics; nothing registers on the global default.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// MetricsHandler serves the registry's metrics in the Prometheus text format (mount at /metrics).
func MetricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// UnmatchedOperation labels requests that matched no route, so unknown paths cannot grow the label set.
const UnmatchedOperation = "unmatched"

// HTTPMetrics records rate, errors and duration of HTTP requests (the RED method).
//
//	goodgo_http_requests_total{operation, method, status_class}
//	goodgo_http_request_duration_seconds{operation, method, status_class}   (histogram)
//	goodgo_http_requests_in_flight
//
// operation is the chi route pattern (e.g. /api/v1/orders/{order_id}), never the raw path; method is one
// of the standard HTTP methods or OTHER; status_class is 1xx…5xx. Long-lived streams (SSE) are counted
// when they end, with their whole duration.
type HTTPMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

// NewHTTPMetrics creates the HTTP metrics and registers them on reg.
func NewHTTPMetrics(reg prometheus.Registerer) (*HTTPMetrics, error) {
	labels := []string{"operation", "method", "status_class"}
	m := &HTTPMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "goodgo", Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests handled, by route pattern, method and status class.",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "goodgo", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to handle HTTP requests, by route pattern, method and status class.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, labels),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "goodgo", Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being handled now.",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.inFlight} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Middleware measures every request passing through next. Install it on the chi router itself
// (router.Use(m.Middleware)), not around it: the route pattern lives in chi's routing context, which only
// exists inside the router and is read after next returns. A handler that panics is counted as a 5xx and
// the panic continues.
func (m *HTTPMetrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.inFlight.Inc()
		rec := &statusRecorder{ResponseWriter: w}
		completed := false
		defer func() {
			m.inFlight.Dec()
			status := rec.status
			if !completed || status == 0 {
				// The handler panicked (status unknown) or never wrote: net/http answers 200 for the
				// latter, and the panic ends as an aborted response.
				if completed {
					status = http.StatusOK
				} else {
					status = http.StatusInternalServerError
				}
			}
			labels := prometheus.Labels{
				"operation":    operation(r),
				"method":       methodLabel(r.Method),
				"status_class": strconv.Itoa(status/100) + "xx",
			}
			m.requests.With(labels).Inc()
			m.duration.With(labels).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(rec, r)
		completed = true
	})
}

func operation(r *http.Request) string {
	if rctx := chi.RouteContext(r.Context()); rctx != nil {
		if p := rctx.RoutePattern(); p != "" {
			return p
		}
	}
	return UnmatchedOperation
}

func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "OTHER"
}

// statusRecorder remembers the final status code written through it. It keeps streaming and hijacking
// working: Flush and Hijack pass through, and Unwrap lets http.ResponseController reach the rest.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	// 1xx answers (other than 101) are informational; the final status comes later.
	if s.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush sends buffered data to the client (server-sent events need it).
func (s *statusRecorder) Flush() {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}

// Hijack hands the connection to the handler (WebSocket upgrades); the request counts as 101.
func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(s.ResponseWriter).Hijack()
	if err == nil && s.status == 0 {
		s.status = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}

// Unwrap returns the wrapped writer for http.ResponseController.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
