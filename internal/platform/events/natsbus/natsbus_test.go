package natsbus_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/events/bustest"
	"github.com/goodgo/goodgo/internal/platform/events/natsbus"
)

// testOptions gives a test its own stream and subjects, with quick retries.
func testOptions() natsbus.Options {
	name := bustest.Unique("t")
	return natsbus.Options{
		Stream:        strings.ToUpper(name),
		SubjectPrefix: name,
		RetryDelay:    10 * time.Millisecond,
		MaxRetryDelay: 50 * time.Millisecond,
		StopGrace:     50 * time.Millisecond,
	}
}

func startEmbedded(t testing.TB) *natsbus.EmbeddedServer {
	t.Helper()
	srv, err := natsbus.StartEmbedded(t.TempDir(), nil)
	if err != nil {
		t.Fatalf("start embedded: %v", err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

func connectEmbedded(t testing.TB, srv *natsbus.EmbeddedServer, opts natsbus.Options) *natsbus.Bus {
	t.Helper()
	b, err := srv.Connect(context.Background(), nil, opts)
	if err != nil {
		t.Fatalf("connect embedded: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestEmbeddedBusKeepsTheBusContract(t *testing.T) {
	srv := startEmbedded(t)
	bustest.Run(t, bustest.Features{Dedupe: true, Replay: true}, func(t *testing.T) (events.Bus, events.Bus) {
		opts := testOptions()
		return connectEmbedded(t, srv, opts), connectEmbedded(t, srv, opts)
	})
}

func TestExternalBusKeepsTheBusContract(t *testing.T) {
	url := os.Getenv("GOODGO_TEST_NATS_URL")
	if url == "" {
		t.Skip("GOODGO_TEST_NATS_URL not set")
	}
	bustest.Run(t, bustest.Features{Dedupe: true, Replay: true}, func(t *testing.T) (events.Bus, events.Bus) {
		opts := testOptions()
		connect := func() *natsbus.Bus {
			b, err := natsbus.Connect(context.Background(), url, nil, opts)
			if err != nil {
				t.Fatalf("connect %s: %v", url, err)
			}
			return b
		}
		a, b := connect(), connect()
		t.Cleanup(func() {
			_ = b.Close()
			if err := a.DeleteStream(context.Background()); err != nil {
				t.Errorf("cleanup: %v", err)
			}
			_ = a.Close()
		})
		return a, b
	})
}

// BenchmarkEmbeddedStartup measures the embedded server's share of the application's start (which must
// take under 2 s): a first start on a fresh data directory (server, JetStream, connection, stream, ready),
// and a restart over a store holding 5,000 messages. It reports milliseconds per start.
func BenchmarkEmbeddedStartup(b *testing.B) {
	ctx := context.Background()
	b.Run("first_start", func(b *testing.B) {
		var total time.Duration
		for range b.N {
			dir := b.TempDir()
			start := time.Now()
			srv, err := natsbus.StartEmbedded(dir, nil)
			if err != nil {
				b.Fatalf("start embedded: %v", err)
			}
			bus, err := srv.Connect(ctx, nil, natsbus.Options{})
			if err != nil {
				b.Fatalf("connect: %v", err)
			}
			if err := bus.Ready(ctx); err != nil {
				b.Fatalf("ready: %v", err)
			}
			total += time.Since(start)
			_ = bus.Close()
			srv.Stop()
		}
		b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/start")
	})
	b.Run("restart_with_5000_messages", func(b *testing.B) {
		srv := startEmbedded(b)
		bus := connectEmbedded(b, srv, natsbus.Options{})
		evs := make([]events.Event, 5000)
		for i := range evs {
			evs[i] = bustest.NewEvent("shop.s1.orders", i)
		}
		if n, err := bus.PublishBatch(ctx, evs); err != nil || n != len(evs) {
			b.Fatalf("publish: %d of %d, %v", n, len(evs), err)
		}
		var server, ready time.Duration
		for range b.N {
			srv.Stop()
			start := time.Now()
			if err := srv.Start(); err != nil {
				b.Fatalf("restart: %v", err)
			}
			server += time.Since(start)
			waitReady(b, bus) // the bus reconnects by itself (250 ms reconnect wait)
			ready += time.Since(start)
		}
		b.ReportMetric(float64(server.Microseconds())/1000/float64(b.N), "ms/start")
		b.ReportMetric(float64(ready.Microseconds())/1000/float64(b.N), "ms/bus_ready")
	})
}

// waitReady waits until b is ready again after a restart.
func waitReady(t testing.TB, b *natsbus.Bus) {
	t.Helper()
	bustest.WaitUntil(t, "the bus is ready again", func() bool { return b.Ready(context.Background()) == nil })
}
