package amqpbus_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/events/bustest"
	"github.com/goodgo/goodgo/internal/platform/migrate"
)

// TestOutboxThroughRabbitMQ runs the whole path on RabbitMQ: outbox, relay (batch publish with confirms),
// durable queue, inbox. The first delivery of every event "loses" its ack after the effect committed; the
// redelivery is recognised by the inbox.
func TestOutboxThroughRabbitMQ(t *testing.T) {
	url := serverURL(t)
	dbtest.Each(t, []migrate.Source{events.Migrations}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		bus, _ := pair(t, url, url)
		consumer := bustest.Unique("projector")

		var mu sync.Mutex
		effects, deliveries := map[string]int{}, map[string]int{}
		inner := events.Consume(d, consumer, func(ctx context.Context, tx *sql.Tx, ev events.Event) error {
			mu.Lock()
			effects[ev.ID]++
			mu.Unlock()
			return nil
		})
		done := make(chan struct{})
		var evs []events.Event
		h := func(ctx context.Context, ev events.Event) error {
			if err := inner(ctx, ev); err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			deliveries[ev.ID]++
			if deliveries[ev.ID] == 1 {
				return errors.New("ack lost")
			}
			if len(deliveries) == len(evs) && allAtLeast(deliveries, 2) {
				close(done)
			}
			return nil
		}
		sub, err := bus.Subscribe(ctx, consumer, []string{"shop.>"}, h)
		if err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		t.Cleanup(func() { _ = sub.Close() })

		for i := range 4 {
			batch := make([]events.Event, 5)
			for j := range batch {
				batch[j] = bustest.NewEvent("shop.s1.orders", i*5+j)
			}
			err := d.WithTx(ctx, "merchant-1", func(tx *sql.Tx) error { return events.Add(ctx, tx, batch...) })
			if err != nil {
				t.Fatalf("commit: %v", err)
			}
			mu.Lock()
			evs = append(evs, batch...)
			mu.Unlock()
		}
		relay := events.NewRelay(d, bus, nil, events.RelayOptions{BatchSize: 7})
		if err := relay.Flush(ctx); err != nil {
			t.Fatalf("flush: %v", err)
		}
		select {
		case <-done:
		case <-time.After(bustest.Timeout):
			t.Fatalf("not every event was redelivered")
		}
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range evs {
			if effects[ev.ID] != 1 {
				t.Errorf("event %s took effect %d times, want 1", ev.ID, effects[ev.ID])
			}
		}
	})
}

func allAtLeast(m map[string]int, n int) bool {
	for _, v := range m {
		if v < n {
			return false
		}
	}
	return true
}
