// Package bustest checks that an events.Bus implementation keeps the promises of the interface: subject
// matching, at-least-once durable delivery with redelivery on error, durable positions, competing
// consumers, fan-out with Listen, cancellation of running handlers on Close. Each adapter's tests run the same suite against a real broker (and the
// in-process Memory bus runs it too), so the application can swap brokers without surprises.
package bustest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events"
)

// Timeout bounds every wait of the suite: generous, because the box running tests may be loaded.
const Timeout = 15 * time.Second

// Features says which optional behaviours a bus has.
type Features struct {
	// Dedupe: publishing an id the broker has just stored is dropped (JetStream, Memory; not RabbitMQ).
	Dedupe bool
	// Replay: a durable consumer created after events were published still gets them (JetStream, Memory;
	// RabbitMQ delivers only what was published once its queue existed).
	Replay bool
}

// NewPair returns two buses connected to the same broker (as two replicas would be), both closed when t
// ends. Names it creates on the broker must be unique to t.
type NewPair func(t *testing.T) (a, b events.Bus)

// Run runs the suite; each check is a subtest with its own pair of buses.
func Run(t *testing.T, f Features, newPair NewPair) {
	t.Run("SubscribeGetsOnlyMatchingSubjects", func(t *testing.T) { subscribeMatching(t, newPair) })
	t.Run("HandlerErrorRedelivers", func(t *testing.T) { redeliver(t, newPair) })
	t.Run("DurableConsumerResumesAfterClose", func(t *testing.T) { resume(t, newPair) })
	t.Run("SameConsumerNameSharesTheWork", func(t *testing.T) { competing(t, newPair) })
	t.Run("CloseCancelsARunningHandler", func(t *testing.T) { closeCancels(t, newPair) })
	t.Run("ListenFansOutToEveryProcess", func(t *testing.T) { fanOut(t, newPair) })
	t.Run("ReadyWhenConnected", func(t *testing.T) {
		a, _ := newPair(t)
		if err := a.Ready(context.Background()); err != nil {
			t.Fatalf("Ready: %v", err)
		}
	})
	t.Run("RejectsBadNamesAndSubjects", func(t *testing.T) { rejects(t, newPair) })
	if f.Dedupe {
		t.Run("RepublishedIDIsDropped", func(t *testing.T) { dedupe(t, newPair) })
	}
	if f.Replay {
		t.Run("NewConsumerGetsEarlierEvents", func(t *testing.T) { replay(t, newPair) })
	}
}

// Unique returns a name unique to this run, for consumers, streams and queues on shared servers.
func Unique(prefix string) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return prefix + "_" + hex.EncodeToString(b[:])
}

// NewEvent returns a valid event on subject with a new id.
func NewEvent(subject string, n int) events.Event {
	return events.Event{
		ID:         db.NewID(),
		Type:       "test.happened",
		Subject:    subject,
		MerchantID: "merchant-1",
		OccurredAt: time.Now().UTC().Truncate(time.Microsecond),
		Data:       json.RawMessage(fmt.Sprintf(`{"n":%d}`, n)),
	}
}

// Recorder collects what a handler got, and lets a test wait for it.
type Recorder struct {
	mu   sync.Mutex
	got  []events.Event
	more chan struct{}
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{more: make(chan struct{}, 1)} }

// Add records ev.
func (r *Recorder) Add(ev events.Event) {
	r.mu.Lock()
	r.got = append(r.got, ev)
	r.mu.Unlock()
	select {
	case r.more <- struct{}{}:
	default:
	}
}

// Handle is an events.Handler that records and acknowledges.
func (r *Recorder) Handle(_ context.Context, ev events.Event) error {
	r.Add(ev)
	return nil
}

// Got returns a copy of what was recorded.
func (r *Recorder) Got() []events.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]events.Event(nil), r.got...)
}

// WaitFor waits until cond holds for what was recorded, failing t after Timeout.
func (r *Recorder) WaitFor(t testing.TB, what string, cond func([]events.Event) bool) []events.Event {
	t.Helper()
	deadline := time.NewTimer(Timeout)
	defer deadline.Stop()
	for {
		got := r.Got()
		if cond(got) {
			return got
		}
		select {
		case <-r.more:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s; got %d events: %v", what, len(got), ids(got))
		}
	}
}

// WaitN waits until at least n events were recorded.
func (r *Recorder) WaitN(t testing.TB, n int) []events.Event {
	t.Helper()
	return r.WaitFor(t, fmt.Sprintf("%d events", n), func(got []events.Event) bool { return len(got) >= n })
}

// WaitUntil polls cond until it holds, failing t after Timeout. For state that has no notification
// (broker-side counters, database rows).
func WaitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(Timeout)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out waiting until %s", what)
		case <-tick.C:
		}
	}
}

// HasID reports whether evs holds an event with id.
func HasID(evs []events.Event, id string) bool {
	for _, ev := range evs {
		if ev.ID == id {
			return true
		}
	}
	return false
}

// Count returns how many of evs have id.
func Count(evs []events.Event, id string) int {
	n := 0
	for _, ev := range evs {
		if ev.ID == id {
			n++
		}
	}
	return n
}

func ids(evs []events.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Subject + "/" + ev.ID
	}
	return out
}

func mustPublish(t *testing.T, b events.Bus, evs ...events.Event) {
	t.Helper()
	for _, ev := range evs {
		if err := b.Publish(context.Background(), ev); err != nil {
			t.Fatalf("publish %s: %v", ev.Subject, err)
		}
	}
}

func mustSubscribe(t *testing.T, b events.Bus, consumer string, subjects []string, h events.Handler) events.Subscription {
	t.Helper()
	sub, err := b.Subscribe(context.Background(), consumer, subjects, h)
	if err != nil {
		t.Fatalf("subscribe %s: %v", consumer, err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	return sub
}

func subscribeMatching(t *testing.T, newPair NewPair) {
	a, _ := newPair(t)
	rec := NewRecorder()
	mustSubscribe(t, a, Unique("match"), []string{"shop.*.orders", "shop.s9.>"}, rec.Handle)
	evs := []events.Event{
		NewEvent("shop.s1.orders", 1),        // matches *
		NewEvent("shop.s1.tables", 2),        // no
		NewEvent("shop.s9.kitchen.bar", 3),   // matches >
		NewEvent("shop.s1.orders.extra", 4),  // no: * is one token
		NewEvent("order.events", 5),          // no
		NewEvent("shop.s2.orders", 6),        // matches *
		NewEvent("shop.s9", 7),               // no: > needs one more token
		NewEvent("shop.s9.tables", 8),        // matches >
		NewEvent("shop.s3.kitchen.grill", 9), // no
	}
	mustPublish(t, a, evs...)
	// A last matching event: once it arrives, everything published before it has been routed.
	last := NewEvent("shop.s1.orders", 10)
	mustPublish(t, a, last)
	got := rec.WaitFor(t, "the last event", func(got []events.Event) bool { return HasID(got, last.ID) })
	want := []events.Event{evs[0], evs[2], evs[5], evs[7], last}
	if len(got) != len(want) {
		t.Fatalf("got %d events %v, want %d %v", len(got), ids(got), len(want), ids(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Subject != want[i].Subject || string(got[i].Data) != string(want[i].Data) ||
			!got[i].OccurredAt.Equal(want[i].OccurredAt) || got[i].MerchantID != want[i].MerchantID {
			t.Errorf("event %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func redeliver(t *testing.T, newPair NewPair) {
	a, _ := newPair(t)
	rec := NewRecorder()
	var mu sync.Mutex
	failures := map[string]int{}
	h := func(ctx context.Context, ev events.Event) error {
		rec.Add(ev)
		mu.Lock()
		defer mu.Unlock()
		if ev.Subject == "shop.s1.orders" && failures[ev.ID] < 2 {
			failures[ev.ID]++
			return errors.New("handler failed on purpose")
		}
		return nil
	}
	mustSubscribe(t, a, Unique("redeliver"), []string{"shop.>"}, h)
	flaky := NewEvent("shop.s1.orders", 1)
	fine := NewEvent("shop.s1.tables", 2)
	mustPublish(t, a, flaky, fine)
	got := rec.WaitFor(t, "three deliveries of the failing event", func(got []events.Event) bool {
		return Count(got, flaky.ID) >= 3 && Count(got, fine.ID) >= 1
	})
	if n := Count(got, fine.ID); n != 1 {
		t.Errorf("acknowledged event delivered %d times, want 1", n)
	}
}

func resume(t *testing.T, newPair NewPair) {
	a, b := newPair(t)
	name := Unique("resume")
	first := NewRecorder()
	sub := mustSubscribe(t, a, name, []string{"shop.>"}, first.Handle)
	e1 := NewEvent("shop.s1.orders", 1)
	mustPublish(t, a, e1)
	first.WaitN(t, 1)
	if err := sub.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	e2, e3 := NewEvent("shop.s1.orders", 2), NewEvent("shop.s1.orders", 3)
	mustPublish(t, a, e2, e3)

	second := NewRecorder()
	mustSubscribe(t, b, name, []string{"shop.>"}, second.Handle)
	got := second.WaitFor(t, "events published while closed", func(got []events.Event) bool {
		return HasID(got, e2.ID) && HasID(got, e3.ID)
	})
	if HasID(got, e1.ID) {
		t.Errorf("acknowledged event %s delivered again after resume", e1.ID)
	}
	if len(first.Got()) != 1 {
		t.Errorf("closed subscription got %d events, want 1", len(first.Got()))
	}
}

// sharedEvents is how many events the competing consumers get: more than any adapter's prefetch, so that
// while one subscriber holds its first event and its buffer, the broker must give events to the other.
const sharedEvents = 150

func competing(t *testing.T, newPair NewPair) {
	a, b := newPair(t)
	name := Unique("shared")
	all := NewRecorder()
	// Each subscriber holds its first event until the other has started one: the test can only finish if
	// the broker gives work to both while one of them is busy.
	started := map[string]chan struct{}{"a": make(chan struct{}), "b": make(chan struct{})}
	var mu sync.Mutex
	perBus := map[string]int{}
	handler := func(which, other string) events.Handler {
		var once sync.Once
		return func(ctx context.Context, ev events.Event) error {
			once.Do(func() { close(started[which]) })
			select {
			case <-started[other]:
			case <-ctx.Done():
				return ctx.Err()
			}
			mu.Lock()
			perBus[which]++
			mu.Unlock()
			all.Add(ev)
			return nil
		}
	}
	mustSubscribe(t, a, name, []string{"shop.>"}, handler("a", "b"))
	mustSubscribe(t, b, name, []string{"shop.>"}, handler("b", "a"))
	var evs []events.Event
	for i := range sharedEvents {
		evs = append(evs, NewEvent("shop.s1.orders", i))
	}
	mustPublish(t, a, evs...)
	for which, ch := range started {
		select {
		case <-ch:
		case <-time.After(Timeout):
			t.Fatalf("subscriber %s never got an event while the other held one: the work is not shared", which)
		}
	}
	got := all.WaitN(t, sharedEvents)
	for _, ev := range evs {
		if c := Count(got, ev.ID); c != 1 {
			t.Errorf("event %s handled %d times by the shared consumer, want 1", ev.ID, c)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if perBus["a"] == 0 || perBus["b"] == 0 || perBus["a"]+perBus["b"] != sharedEvents {
		t.Errorf("handled %v, want both subscribers, %d in total", perBus, sharedEvents)
	}
}

// closeCancels checks that closing a subscription cancels a handler blocked until its context ends, and
// returns only once that handler has returned.
func closeCancels(t *testing.T, newPair NewPair) {
	a, _ := newPair(t)
	started := make(chan struct{}, 1)
	var returned atomic.Bool
	h := func(ctx context.Context, ev events.Event) error {
		select {
		case started <- struct{}{}:
		default:
		}
		<-ctx.Done() // a handler stuck on I/O that honours its context
		returned.Store(true)
		return ctx.Err()
	}
	sub := mustSubscribe(t, a, Unique("stuck"), []string{"shop.>"}, h)
	mustPublish(t, a, NewEvent("shop.s1.orders", 1))
	select {
	case <-started:
	case <-time.After(Timeout):
		t.Fatalf("the handler never started")
	}
	closed := make(chan error, 1)
	go func() { closed <- sub.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(Timeout):
		t.Fatalf("Close did not return while a handler waited for its context")
	}
	if !returned.Load() {
		t.Errorf("Close returned before the running handler did")
	}
}

func fanOut(t *testing.T, newPair NewPair) {
	a, b := newPair(t)
	ra, rb := NewRecorder(), NewRecorder()
	for _, l := range []struct {
		bus events.Bus
		rec *Recorder
	}{{a, ra}, {b, rb}} {
		sub, err := l.bus.Listen(context.Background(), []string{"shop.*.orders"}, l.rec.Add)
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		t.Cleanup(func() { _ = sub.Close() })
	}
	skip := NewEvent("shop.s1.tables", 1)
	want := NewEvent("shop.s1.orders", 2)
	mustPublish(t, a, skip, want)
	for name, rec := range map[string]*Recorder{"publisher's process": ra, "other process": rb} {
		got := rec.WaitFor(t, "the event in the "+name, func(got []events.Event) bool { return HasID(got, want.ID) })
		if HasID(got, skip.ID) || len(got) != 1 {
			t.Errorf("%s got %v, want only %s", name, ids(got), want.ID)
		}
	}
}

func rejects(t *testing.T, newPair NewPair) {
	a, _ := newPair(t)
	ctx := context.Background()
	nop := func(context.Context, events.Event) error { return nil }
	tests := []struct {
		name     string
		consumer string
		subjects []string
	}{
		{"dot in consumer", "a.b", []string{"shop.>"}},
		{"empty consumer", "", []string{"shop.>"}},
		{"no subjects", "ok", nil},
		{"empty token", "ok", []string{"shop..orders"}},
		{"> not last", "ok", []string{"shop.>.orders"}},
	}
	for _, tt := range tests {
		if sub, err := a.Subscribe(ctx, tt.consumer, tt.subjects, nop); err == nil {
			_ = sub.Close()
			t.Errorf("%s: Subscribe(%q, %q) succeeded, want an error", tt.name, tt.consumer, tt.subjects)
		}
	}
	if err := a.Publish(ctx, NewEvent("shop.*.orders", 1)); err == nil {
		t.Errorf("Publish on a wildcard subject succeeded, want an error")
	}
}

func dedupe(t *testing.T, newPair NewPair) {
	a, b := newPair(t)
	rec := NewRecorder()
	mustSubscribe(t, a, Unique("dedupe"), []string{"shop.>"}, rec.Handle)
	dup := NewEvent("shop.s1.orders", 1)
	mustPublish(t, a, dup)
	mustPublish(t, b, dup) // a relay on another replica, or after a crash, publishes it again
	last := NewEvent("shop.s1.orders", 2)
	mustPublish(t, a, last)
	got := rec.WaitFor(t, "the last event", func(got []events.Event) bool { return HasID(got, last.ID) })
	if n := Count(got, dup.ID); n != 1 {
		t.Errorf("republished event delivered %d times, want 1", n)
	}
}

func replay(t *testing.T, newPair NewPair) {
	a, _ := newPair(t)
	early := NewEvent("shop.s1.orders", 1)
	mustPublish(t, a, early)
	rec := NewRecorder()
	mustSubscribe(t, a, Unique("late"), []string{"shop.>"}, rec.Handle)
	rec.WaitFor(t, "the event published before the consumer existed", func(got []events.Event) bool {
		return HasID(got, early.ID)
	})
}
