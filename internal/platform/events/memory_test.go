package events_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/events/bustest"
)

func TestMemoryBusKeepsTheBusContract(t *testing.T) {
	bustest.Run(t, bustest.Features{Dedupe: true, Replay: true}, func(t *testing.T) (events.Bus, events.Bus) {
		m := events.NewMemory()
		m.RetryDelay = time.Millisecond
		t.Cleanup(func() { _ = m.Close() })
		return m, m
	})
}

// deliveryCounter is a handler that counts deliveries per event id and fails some of them.
type deliveryCounter struct {
	mu   sync.Mutex
	n    map[string]int
	fail func(ev events.Event) error // nil: acknowledge
}

func (c *deliveryCounter) handle(_ context.Context, ev events.Event) error {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[ev.ID]++
	c.mu.Unlock()
	return c.fail(ev)
}

func (c *deliveryCounter) count(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[id]
}

func TestMemoryStopsDeliveringAfterPermanentErrorOrMaxDeliver(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int // deliveries of the failing event
	}{
		{"invalid event is delivered once", apperr.E(apperr.Invalid, "no merchant"), 1},
		{"wrapped invalid error too", events.Consume(nil, "c", nil)(context.Background(), events.Event{}), 1},
		{"transient error is retried up to MaxDeliver", errors.New("database down"), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := events.NewMemory()
			m.RetryDelay = time.Millisecond
			m.MaxDeliver = 3
			t.Cleanup(func() { _ = m.Close() })
			bad := bustest.NewEvent("shop.s1.orders", 1)
			c := &deliveryCounter{fail: func(ev events.Event) error {
				if ev.ID == bad.ID {
					return tt.err
				}
				return nil
			}}
			sub, err := m.Subscribe(context.Background(), "c", []string{"shop.>"}, c.handle)
			if err != nil {
				t.Fatalf("subscribe: %v", err)
			}
			t.Cleanup(func() { _ = sub.Close() })
			good := bustest.NewEvent("shop.s1.orders", 2)
			for _, ev := range []events.Event{bad, good} {
				if err := m.Publish(context.Background(), ev); err != nil {
					t.Fatalf("publish: %v", err)
				}
			}
			waitUntil(t, "the consumer has nothing pending", func() bool { return m.Pending("c") == 0 })
			if got := c.count(bad.ID); got != tt.want {
				t.Errorf("failing event delivered %d times, want %d", got, tt.want)
			}
			if got := c.count(good.ID); got != 1 {
				t.Errorf("good event delivered %d times, want 1", got)
			}
		})
	}
}

func TestMemoryRetryDoesNotHoldUpLaterEvents(t *testing.T) {
	m := events.NewMemory()
	m.RetryDelay = time.Hour // a failed event waits that long; the next one must not
	t.Cleanup(func() { _ = m.Close() })
	failing, next := bustest.NewEvent("shop.s1.orders", 1), bustest.NewEvent("shop.s1.orders", 2)
	rec := bustest.NewRecorder()
	sub, err := m.Subscribe(context.Background(), "c", []string{"shop.>"}, func(ctx context.Context, ev events.Event) error {
		if ev.ID == failing.ID {
			return errors.New("not yet")
		}
		return rec.Handle(ctx, ev)
	})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	for _, ev := range []events.Event{failing, next} {
		if err := m.Publish(context.Background(), ev); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	rec.WaitFor(t, "the event after the failing one", func(got []events.Event) bool { return bustest.HasID(got, next.ID) })
	if got := m.Pending("c"); got != 1 {
		t.Errorf("Pending = %d, want 1 (the failing event waiting for its retry)", got)
	}
}

func TestMemoryCloseCancelsRunningHandlers(t *testing.T) {
	m := events.NewMemory()
	started := make(chan struct{})
	returned := make(chan struct{})
	_, err := m.Subscribe(context.Background(), "c", []string{"shop.>"}, func(ctx context.Context, ev events.Event) error {
		close(started)
		<-ctx.Done()
		close(returned)
		return ctx.Err()
	})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	if err := m.Publish(context.Background(), bustest.NewEvent("shop.s1.orders", 1)); err != nil {
		t.Fatalf("publish: %v", err)
	}
	select {
	case <-started:
	case <-time.After(bustest.Timeout):
		t.Fatalf("the handler never started")
	}
	closed := make(chan struct{})
	go func() {
		_ = m.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(bustest.Timeout):
		t.Fatalf("Memory.Close did not return while a handler waited for its context")
	}
	select {
	case <-returned:
	default:
		t.Errorf("Memory.Close returned before the running handler did")
	}
	if got := m.Pending("c"); got != 1 {
		t.Errorf("Pending after Close = %d, want 1 (the interrupted event is handed back)", got)
	}
}
