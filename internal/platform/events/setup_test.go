package events_test

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/events/bustest"
	"github.com/goodgo/goodgo/internal/platform/events/natsbus"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

//go:embed testdata/migrations
var testMigrationFiles embed.FS

// sources migrates the outbox and inbox plus the tests' effects table.
func sources() []migrate.Source {
	sub, err := fs.Sub(testMigrationFiles, "testdata/migrations")
	if err != nil {
		panic(err)
	}
	return []migrate.Source{events.Migrations, {Module: "events_test", FS: sub}}
}

const (
	merchantA tenant.ID = "merchant-a"
	merchantB tenant.ID = "merchant-b"
)

func newEvent(m tenant.ID, subject string, n int) events.Event {
	return events.Event{
		ID:         db.NewID(),
		Type:       "order.updated",
		Subject:    subject,
		MerchantID: m,
		ShopID:     "s1",
		OccurredAt: time.Now().UTC().Truncate(time.Microsecond), // what the outbox keeps
		Data:       json.RawMessage(fmt.Sprintf(`{"n":%d}`, n)),
	}
}

func newEvents(m tenant.ID, n int) []events.Event {
	evs := make([]events.Event, n)
	for i := range evs {
		evs[i] = newEvent(m, "shop.s1.orders", i)
	}
	return evs
}

// commit adds evs to the outbox in one transaction of merchant m.
func commit(t testing.TB, d *db.DB, m tenant.ID, evs ...events.Event) {
	t.Helper()
	err := d.WithTx(context.Background(), m, func(tx *sql.Tx) error { return events.Add(context.Background(), tx, evs...) })
	if err != nil {
		t.Fatalf("commit events: %v", err)
	}
}

// writeEffect is a consumer whose effect is one row in effects per handling.
func writeEffect(consumer string) func(ctx context.Context, tx *sql.Tx, ev events.Event) error {
	return func(ctx context.Context, tx *sql.Tx, ev events.Event) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO effects (merchant_id, consumer, event_id) VALUES ($1, $2, $3)",
			string(ev.MerchantID), consumer, ev.ID)
		return err
	}
}

// effectCounts returns how many effect rows each event has, across tenants.
func effectCounts(t testing.TB, d *db.DB) map[string]int {
	t.Helper()
	counts := map[string]int{}
	err := d.WithSystemTx(context.Background(), "test: read effects", func(tx *sql.Tx) error {
		rows, err := tx.Query("SELECT event_id, count(*) FROM effects GROUP BY event_id")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				return err
			}
			counts[id] = n
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatalf("count effects: %v", err)
	}
	return counts
}

// checkOnce fails t unless every event in evs took effect exactly once, and nothing else did.
func checkOnce(t testing.TB, d *db.DB, evs []events.Event) {
	t.Helper()
	counts := effectCounts(t, d)
	for _, ev := range evs {
		if counts[ev.ID] != 1 {
			t.Errorf("event %s took effect %d times, want 1", ev.ID, counts[ev.ID])
		}
	}
	if len(counts) != len(evs) {
		t.Errorf("%d events took effect, want %d", len(counts), len(evs))
	}
}

// waitUntil polls cond until it holds, failing t after the suite's timeout. For state that has no
// notification (database rows, counters).
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	bustest.WaitUntil(t, what, cond)
}

// embeddedBus starts an embedded NATS server in dir and connects a bus with quick retries.
func embeddedBus(t testing.TB, dir string) (*natsbus.EmbeddedServer, *natsbus.Bus) {
	t.Helper()
	return embeddedBusWith(t, dir, natsbus.EmbeddedConfig{})
}

// embeddedBusWith is embeddedBus with the server's tuning given (the app runs it with SyncAlways).
func embeddedBusWith(t testing.TB, dir string, cfg natsbus.EmbeddedConfig) (*natsbus.EmbeddedServer, *natsbus.Bus) {
	t.Helper()
	srv, err := natsbus.StartEmbeddedWith(dir, nil, cfg)
	if err != nil {
		t.Fatalf("start embedded nats: %v", err)
	}
	t.Cleanup(srv.Stop)
	bus, err := srv.Connect(context.Background(), nil, natsbus.Options{RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("connect embedded nats: %v", err)
	}
	t.Cleanup(func() { _ = bus.Close() })
	return srv, bus
}

// runRelay runs r until t ends.
func runRelay(t testing.TB, r *events.Relay) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("relay: %v", err)
		}
	})
}

func pending(t testing.TB, r *events.Relay) int64 {
	t.Helper()
	n, err := r.Pending(context.Background())
	if err != nil {
		t.Fatalf("pending: %v", err)
	}
	return n
}

// fastRelay is a relay tuned for tests: quick polls and backoff.
func fastRelay(d *db.DB, pub events.Publisher) *events.Relay {
	return events.NewRelay(d, pub, nil, events.RelayOptions{
		PollInterval: 20 * time.Millisecond,
		MinBackoff:   10 * time.Millisecond,
		MaxBackoff:   100 * time.Millisecond,
		BatchSize:    50,
	})
}
