package amqpbus_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/events/amqpbus"
	"github.com/goodgo/goodgo/internal/platform/events/bustest"
)

// rawChannel opens a channel of its own on the broker, to look at queues as an operator would.
func rawChannel(t *testing.T, url string) *amqp.Channel {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatalf("channel: %v", err)
	}
	return ch
}

// waitDeadLetter waits for the next message in the dead-letter queue and takes it.
func waitDeadLetter(t *testing.T, ch *amqp.Channel, queue string) amqp.Delivery {
	t.Helper()
	var got amqp.Delivery
	bustest.WaitUntil(t, "a message in "+queue, func() bool {
		d, ok, err := ch.Get(queue, true)
		if err != nil {
			t.Fatalf("get from %s: %v", queue, err)
		}
		got = d
		return ok
	})
	return got
}

// countingHandler counts deliveries per event id and answers with fail's error.
type countingHandler struct {
	mu   sync.Mutex
	n    map[string]int
	fail func(ev events.Event) error
}

func (c *countingHandler) handle(_ context.Context, ev events.Event) error {
	c.mu.Lock()
	c.n[ev.ID]++
	c.mu.Unlock()
	return c.fail(ev)
}

func (c *countingHandler) count(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[id]
}

func TestFailingEventsAreDeadLettered(t *testing.T) {
	url := serverURL(t)
	tests := []struct {
		name string
		err  error
		want int // deliveries
		log  string
	}{
		{"invalid event is delivered once", apperr.E(apperr.Invalid, "event without merchant"), 1, "rejected the event as invalid"},
		{"an invalid error wrapped by Consume too", fmt.Errorf("consumer c: %w", apperr.E(apperr.Invalid, "bad")), 1, "rejected the event as invalid"},
		{"transient error is retried MaxDeliver times", errors.New("database down"), 3, "failed on every delivery"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs, log := bustest.NewLogRecorder()
			opts := testOptions()
			opts.MaxDeliver = 3
			b := dialLogged(t, url, log, opts)
			cleanup(t, b)
			bad, good := bustest.NewEvent("shop.s1.orders", 1), bustest.NewEvent("shop.s1.orders", 2)
			h := &countingHandler{n: map[string]int{}, fail: func(ev events.Event) error {
				if ev.ID == bad.ID {
					return tt.err
				}
				return nil
			}}
			sub, err := b.Subscribe(context.Background(), "c", []string{"shop.>"}, h.handle)
			if err != nil {
				t.Fatalf("subscribe: %v", err)
			}
			t.Cleanup(func() { _ = sub.Close() })
			for _, ev := range []events.Event{bad, good} {
				if err := b.Publish(context.Background(), ev); err != nil {
					t.Fatalf("publish: %v", err)
				}
			}
			dead := waitDeadLetter(t, rawChannel(t, url), opts.QueuePrefix+"dead")
			if dead.MessageId != bad.ID || dead.RoutingKey != bad.Subject {
				t.Errorf("dead letter %s on %q, want %s on %q", dead.MessageId, dead.RoutingKey, bad.ID, bad.Subject)
			}
			if got := h.count(bad.ID); got != tt.want {
				t.Errorf("failing event delivered %d times, want %d", got, tt.want)
			}
			recs := logs.Records(slog.LevelError, map[string]string{"event_id": bad.ID, "consumer": "c"})
			if len(recs) != 1 || !strings.Contains(recs[0].Message, tt.log) {
				t.Errorf("error logs for the event = %+v, want one saying %q", recs, tt.log)
			}
		})
	}
}

func TestUndecodableMessageIsDeadLettered(t *testing.T) {
	url := serverURL(t)
	logs, log := bustest.NewLogRecorder()
	opts := testOptions()
	b := dialLogged(t, url, log, opts)
	cleanup(t, b)
	h := &countingHandler{n: map[string]int{}, fail: func(events.Event) error { return nil }}
	sub, err := b.Subscribe(context.Background(), "c", []string{"shop.>"}, h.handle)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	ch := rawChannel(t, url)
	err = ch.PublishWithContext(context.Background(), opts.Exchange, "shop.s1.orders", false, false, amqp.Publishing{
		MessageId: "garbage-1", Body: []byte("{not an event"),
	})
	if err != nil {
		t.Fatalf("publish garbage: %v", err)
	}
	if dead := waitDeadLetter(t, ch, opts.QueuePrefix+"dead"); dead.MessageId != "garbage-1" {
		t.Errorf("dead letter %q, want garbage-1", dead.MessageId)
	}
	if recs := logs.Records(slog.LevelError, map[string]string{"message_id": "garbage-1"}); len(recs) != 1 {
		t.Errorf("error logs for the message = %+v, want one", recs)
	}
}

// A failed event waits for its retry without holding up the events behind it, and Close does not wait
// for pending retries.
func TestRetryDelayDoesNotHoldUpLaterEvents(t *testing.T) {
	url := serverURL(t)
	opts := testOptions()
	opts.RetryDelay, opts.MaxRetryDelay = time.Hour, time.Hour
	b := dial(t, url, opts)
	cleanup(t, b)
	failing, next := bustest.NewEvent("shop.s1.orders", 1), bustest.NewEvent("shop.s1.orders", 2)
	rec := bustest.NewRecorder()
	sub, err := b.Subscribe(context.Background(), "c", []string{"shop.>"}, func(ctx context.Context, ev events.Event) error {
		if ev.ID == failing.ID {
			return errors.New("not yet")
		}
		return rec.Handle(ctx, ev)
	})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	for _, ev := range []events.Event{failing, next} {
		if err := b.Publish(context.Background(), ev); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	rec.WaitFor(t, "the event after the failing one", func(got []events.Event) bool { return bustest.HasID(got, next.ID) })
	closed := make(chan struct{})
	go func() {
		_ = sub.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(bustest.Timeout):
		t.Fatalf("Close waited for a pending retry")
	}
	// The failing event went back to the queue when the subscription closed.
	again := bustest.NewRecorder()
	sub2, err := b.Subscribe(context.Background(), "c", []string{"shop.>"}, again.Handle)
	if err != nil {
		t.Fatalf("subscribe again: %v", err)
	}
	t.Cleanup(func() { _ = sub2.Close() })
	again.WaitFor(t, "the failing event, handed back", func(got []events.Event) bool { return bustest.HasID(got, failing.ID) })
}

func TestDeadIsNotAConsumerName(t *testing.T) {
	b := dial(t, serverURL(t), testOptions())
	cleanup(t, b)
	sub, err := b.Subscribe(context.Background(), "dead", []string{"shop.>"}, func(context.Context, events.Event) error { return nil })
	if apperr.KindOf(err) != apperr.Invalid {
		if sub != nil {
			_ = sub.Close()
		}
		t.Errorf("Subscribe(dead) = %v, want an invalid error", err)
	}
}

var _ events.Bus = (*amqpbus.Bus)(nil)
