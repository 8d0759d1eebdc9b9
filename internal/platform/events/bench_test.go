package events_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/events/natsbus"
	"github.com/goodgo/goodgo/internal/platform/migrate"
)

func benchDB(b *testing.B) *db.DB {
	b.Helper()
	d := dbtest.New(b, db.SQLite)
	if err := migrate.Up(context.Background(), d, slog.New(slog.DiscardHandler), sources()...); err != nil {
		b.Fatalf("migrate: %v", err)
	}
	return d
}

// BenchmarkOutboxPublish measures events per second through Add (committed SQLite transactions, fsync on
// commit), the relay (nudged after each commit) and the embedded JetStream, until the broker has
// acknowledged all of them.
//
// sync_always=true is how the app runs the embedded server (every stored message fsynced, so a power cut
// loses no event the outbox has marked published); false is JetStream's default one-second sync.
func BenchmarkOutboxPublish(b *testing.B) {
	for _, c := range []struct {
		perTx int
		sync  bool
	}{{1, false}, {10, false}, {1, true}, {10, true}} {
		perTx := c.perTx
		b.Run(fmt.Sprintf("events_per_tx=%d/sync_always=%v", perTx, c.sync), func(b *testing.B) {
			d := benchDB(b)
			_, bus := embeddedBusWith(b, b.TempDir(), natsbus.EmbeddedConfig{SyncAlways: c.sync})
			relay := events.NewRelay(d, bus, nil, events.RelayOptions{})
			runRelay(b, relay)
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i += perTx {
				commit(b, d, merchantA, newEvents(merchantA, min(perTx, b.N-i))...)
				relay.Nudge()
			}
			waitUntil(b, "every event is published", func() bool { return relay.Stats().Published >= uint64(b.N) })
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		})
	}
}

// BenchmarkRelayBacklog measures how fast the relay drains a backlog (events committed while the broker
// was down, say) into the embedded JetStream: 100 events per database round, acknowledgements awaited
// per batch.
func BenchmarkRelayBacklog(b *testing.B) {
	d := benchDB(b)
	_, bus := embeddedBus(b, b.TempDir())
	relay := events.NewRelay(d, bus, nil, events.RelayOptions{})
	for i := 0; i < b.N; i += 500 {
		commit(b, d, merchantA, newEvents(merchantA, min(500, b.N-i))...)
	}
	b.ResetTimer()
	start := time.Now()
	if err := relay.Flush(context.Background()); err != nil {
		b.Fatalf("flush: %v", err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	if got := relay.Stats().Published; got != uint64(b.N) {
		b.Fatalf("published %d, want %d", got, b.N)
	}
}

// BenchmarkPublishLag measures, in steady state, the time from a committed transaction to the event
// reaching a listener of the embedded JetStream, at 100 commits per second: with a Nudge after each commit
// (how services publish) and with polling only (events written by another replica, on PostgreSQL).
// It reports the 50th and 99th percentiles. Run with -benchtime=300x or so.
func BenchmarkPublishLag(b *testing.B) {
	for _, nudge := range []bool{true, false} {
		b.Run(map[bool]string{true: "nudge", false: "poll_only"}[nudge], func(b *testing.B) {
			d := benchDB(b)
			_, bus := embeddedBus(b, b.TempDir())
			relay := events.NewRelay(d, bus, nil, events.RelayOptions{})
			runRelay(b, relay)

			// Times are matched after the run: an event may arrive before its commit time is recorded.
			var mu sync.Mutex
			committed := map[string]time.Time{}
			received := map[string]time.Time{}
			all := make(chan struct{})
			sub, err := bus.Listen(context.Background(), []string{"shop.>"}, func(ev events.Event) {
				now := time.Now()
				mu.Lock()
				defer mu.Unlock()
				received[ev.ID] = now
				if len(received) == b.N {
					close(all)
				}
			})
			if err != nil {
				b.Fatalf("listen: %v", err)
			}
			b.Cleanup(func() { _ = sub.Close() })

			b.ResetTimer()
			pace := time.NewTicker(10 * time.Millisecond)
			defer pace.Stop()
			for i := range b.N {
				ev := newEvent(merchantA, "shop.s1.orders", i)
				err := d.WithTx(context.Background(), merchantA, func(tx *sql.Tx) error {
					return events.Add(context.Background(), tx, ev)
				})
				if err != nil {
					b.Fatalf("commit: %v", err)
				}
				mu.Lock()
				committed[ev.ID] = time.Now()
				mu.Unlock()
				if nudge {
					relay.Nudge()
				}
				<-pace.C
			}
			select {
			case <-all:
			case <-time.After(time.Minute):
				b.Fatalf("not every event arrived")
			}
			b.StopTimer()
			mu.Lock()
			defer mu.Unlock()
			lags := make([]time.Duration, 0, len(received))
			for id, at := range received {
				lags = append(lags, max(0, at.Sub(committed[id])))
			}
			slices.Sort(lags)
			b.ReportMetric(float64(lags[len(lags)/2].Microseconds())/1000, "p50_ms")
			b.ReportMetric(float64(lags[min(len(lags)-1, len(lags)*99/100)].Microseconds())/1000, "p99_ms")
		})
	}
}
