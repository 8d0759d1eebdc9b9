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

// TestEmbeddedStartupTime reports how long a first start takes (fresh data directory: server, JetStream,
// stream). The whole application must be ready in under 2 s; this is its share. No assertion: timing.
func TestEmbeddedStartupTime(t *testing.T) {
	ctx := context.Background()
	start := time.Now()
	srv := startEmbedded(t)
	started := time.Since(start)
	b := connectEmbedded(t, srv, natsbus.Options{})
	if err := b.Ready(ctx); err != nil {
		t.Fatalf("ready: %v", err)
	}
	t.Logf("embedded NATS first start: server %v, server+connect+stream+ready %v", started, time.Since(start))

	for i := range 5000 {
		if err := b.Publish(ctx, bustest.NewEvent("shop.s1.orders", i)); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	srv.Stop()
	start = time.Now()
	if err := srv.Start(); err != nil {
		t.Fatalf("restart: %v", err)
	}
	t.Logf("embedded NATS restart with 5,000 stored messages: %v", time.Since(start))
	waitReady(t, b)
}

// waitReady waits until b is ready again after a restart.
func waitReady(t *testing.T, b *natsbus.Bus) {
	t.Helper()
	deadline := time.Now().Add(bustest.Timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for b.Ready(context.Background()) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("bus not ready after restart")
		}
		<-tick.C
	}
}
