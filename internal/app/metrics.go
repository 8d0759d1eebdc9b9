package app

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/realtime"
)

// registerPlatformMetrics exports the outbox relay's and the realtime hub's counters, read when Prometheus
// scrapes (no bookkeeping on the hot paths).
func registerPlatformMetrics(reg prometheus.Registerer, relay *events.Relay, hub *realtime.Hub) error {
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	for _, c := range []prometheus.Collector{
		counter("goodgo_outbox_published_total", "Events the broker acknowledged from the outbox.",
			func() float64 { return float64(relay.Stats().Published) }),
		counter("goodgo_outbox_failed_rounds_total", "Relay rounds that failed (broker or database errors).",
			func() float64 { return float64(relay.Stats().Failures) }),
		gauge("goodgo_outbox_consecutive_failures", "Failed relay rounds since the last good one; above 0 the outbox is not draining.",
			func() float64 { return float64(relay.Stats().ConsecutiveFailures) }),
		gauge("goodgo_realtime_clients", "Open SSE streams on this replica.",
			func() float64 { return float64(hub.Stats().Clients) }),
		counter("goodgo_realtime_events_total", "Events the realtime hub took from the bus.",
			func() float64 { return float64(hub.Stats().Events) }),
		counter("goodgo_realtime_slow_disconnects_total", "SSE clients disconnected for falling behind.",
			func() float64 { return float64(hub.Stats().SlowDisconnects) }),
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
