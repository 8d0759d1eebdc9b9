package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/events/bustest"
)

// newTestBus starts an embedded server and connects a bus with its own stream and quick retries; opts
// fields that are set win.
func newTestBus(t *testing.T, log *slog.Logger, opts Options) *Bus {
	t.Helper()
	srv, err := StartEmbedded(t.TempDir(), nil)
	if err != nil {
		t.Fatalf("start embedded: %v", err)
	}
	t.Cleanup(srv.Stop)
	name := bustest.Unique("t")
	opts.Stream, opts.SubjectPrefix = strings.ToUpper(name), name
	if opts.RetryDelay == 0 {
		opts.RetryDelay, opts.MaxRetryDelay = 10*time.Millisecond, 50*time.Millisecond
	}
	b, err := srv.Connect(context.Background(), log, opts)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// consumerInfo reads the durable consumer's state on the server.
func consumerInfo(t *testing.T, b *Bus, consumer string) *jetstream.ConsumerInfo {
	t.Helper()
	ctx := context.Background()
	c, err := b.js.Consumer(ctx, b.opts.Stream, consumer)
	if err != nil {
		t.Fatalf("consumer %s: %v", consumer, err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatalf("consumer %s info: %v", consumer, err)
	}
	return info
}

// waitSettled waits until the consumer has been delivered every message up to stream sequence seq and
// owes the server no acknowledgement: each was acknowledged or terminated, none waits for a redelivery.
func waitSettled(t *testing.T, b *Bus, consumer string, seq uint64) *jetstream.ConsumerInfo {
	t.Helper()
	var info *jetstream.ConsumerInfo
	bustest.WaitUntil(t, "the consumer has settled every message", func() bool {
		info = consumerInfo(t, b, consumer)
		return info.Delivered.Stream >= seq && info.NumPending == 0 && info.NumAckPending == 0
	})
	return info
}

// countingHandler counts deliveries per event id and answers with fail's error.
type countingHandler struct {
	mu   sync.Mutex
	n    map[string]int
	fail func(ctx context.Context, ev events.Event) error
}

func (c *countingHandler) handle(ctx context.Context, ev events.Event) error {
	c.mu.Lock()
	c.n[ev.ID]++
	c.mu.Unlock()
	return c.fail(ctx, ev)
}

func (c *countingHandler) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.n {
		n += v
	}
	return n
}

func (c *countingHandler) count(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[id]
}

func TestFailingEventsAreTerminated(t *testing.T) {
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
			b := newTestBus(t, log, Options{MaxDeliver: 3})
			bad, good := bustest.NewEvent("shop.s1.orders", 1), bustest.NewEvent("shop.s1.orders", 2)
			h := &countingHandler{n: map[string]int{}, fail: func(_ context.Context, ev events.Event) error {
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
			waitSettled(t, b, "c", 2)
			if got := h.count(bad.ID); got != tt.want {
				t.Errorf("failing event delivered %d times, want %d", got, tt.want)
			}
			if got := h.count(good.ID); got != 1 {
				t.Errorf("good event delivered %d times, want 1", got)
			}
			recs := logs.Records(slog.LevelError, map[string]string{"event_id": bad.ID, "consumer": "c"})
			if len(recs) != 1 || !strings.Contains(recs[0].Message, tt.log) {
				t.Errorf("error logs for the event = %+v, want one saying %q", recs, tt.log)
			}
		})
	}
}

func TestUndecodableMessageIsTerminated(t *testing.T) {
	logs, log := bustest.NewLogRecorder()
	b := newTestBus(t, log, Options{})
	h := &countingHandler{n: map[string]int{}, fail: func(context.Context, events.Event) error { return nil }}
	sub, err := b.Subscribe(context.Background(), "c", []string{"shop.>"}, h.handle)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	ack, err := b.js.Publish(context.Background(), b.wire("shop.s1.orders"), []byte("{not an event"))
	if err != nil {
		t.Fatalf("publish garbage: %v", err)
	}
	info := waitSettled(t, b, "c", ack.Sequence)
	if info.Delivered.Consumer != 1 {
		t.Errorf("the undecodable message was delivered %d times, want 1", info.Delivered.Consumer)
	}
	if got := h.total(); got != 0 {
		t.Errorf("the handler got %d events, want none", got)
	}
	seq := fmt.Sprint(ack.Sequence)
	if recs := logs.Records(slog.LevelError, map[string]string{"stream_seq": seq}); len(recs) != 1 {
		t.Errorf("error logs for stream sequence %s = %+v, want one", seq, recs)
	}
}

// A handler that runs for longer than AckWait is kept in progress: the server does not redeliver the
// message meanwhile.
func TestLongHandlerIsNotRedelivered(t *testing.T) {
	const ackWait = time.Second
	b := newTestBus(t, nil, Options{AckWait: ackWait})
	long := bustest.NewEvent("shop.s1.orders", 1)
	h := &countingHandler{n: map[string]int{}, fail: func(ctx context.Context, ev events.Event) error {
		// The work itself takes this long (not a wait for another goroutine).
		work := time.NewTimer(5 * ackWait / 2)
		defer work.Stop()
		select {
		case <-work.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
	sub, err := b.Subscribe(context.Background(), "c", []string{"shop.>"}, h.handle)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	if err := b.Publish(context.Background(), long); err != nil {
		t.Fatalf("publish: %v", err)
	}
	info := waitSettled(t, b, "c", 1)
	if info.Delivered.Consumer != 1 || h.count(long.ID) != 1 {
		t.Errorf("message delivered %d times (handled %d), want once", info.Delivered.Consumer, h.count(long.ID))
	}
}
