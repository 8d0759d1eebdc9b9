package events

import (
	"context"
	"sync"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
)

// Memory is an in-process Bus for tests of packages that publish or consume events. It keeps every event
// in memory and behaves like the JetStream adapter where tests can tell: a republished id is dropped; a new
// durable consumer starts from the first event; consumers with the same name share the work; a handler
// error redelivers after RetryDelay without holding up other events, at most MaxDeliver times, and never
// for a permanent error (IsPermanent); Listen sees events published after it starts; closing a
// subscription or the bus cancels running handlers' context at once and waits for them. Pending tells
// when a consumer is done. The application uses natsbus or amqpbus.
type Memory struct {
	// RetryDelay is the wait before an event whose handler failed is delivered again (10 ms when zero).
	RetryDelay time.Duration
	// MaxDeliver is how many times an event is delivered to a consumer whose handler keeps failing before
	// it is dropped (50 when zero).
	MaxDeliver int

	mu        sync.Mutex
	log       []Event
	seen      map[string]bool
	groups    map[string]*memGroup
	listeners map[*memListener]bool
	subs      map[*memSub]bool
	closed    bool
}

// NewMemory returns an empty in-process bus.
func NewMemory() *Memory {
	return &Memory{seen: map[string]bool{}, groups: map[string]*memGroup{}, listeners: map[*memListener]bool{},
		subs: map[*memSub]bool{}}
}

// errMemoryClosed is returned by a closed Memory bus.
var errMemoryClosed = apperr.E(apperr.Unavailable, "memory bus closed")

// memGroup is a durable consumer: a queue of the events it has not acknowledged yet.
type memGroup struct {
	subjects []string
	queue    []Event
	busy     int            // events being handled or waiting for their retry
	failures map[string]int // failed deliveries per event id
	cond     *sync.Cond     // on Memory.mu: queue grew or a subscription closed
}

// Publish stores ev and hands it to every consumer and listener whose subjects match. An id published
// before is dropped.
func (m *Memory) Publish(ctx context.Context, ev Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := ValidateSubject(ev.Subject); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errMemoryClosed
	}
	if m.seen[ev.ID] {
		return nil
	}
	m.seen[ev.ID] = true
	m.log = append(m.log, ev)
	for _, g := range m.groups {
		if MatchAny(g.subjects, ev.Subject) {
			g.queue = append(g.queue, ev)
			g.cond.Broadcast()
		}
	}
	for l := range m.listeners {
		if MatchAny(l.subjects, ev.Subject) {
			l.queue = append(l.queue, ev)
			l.cond.Broadcast()
		}
	}
	return nil
}

// Published returns a copy of every event published so far, in order.
func (m *Memory) Published() []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Event(nil), m.log...)
}

// Pending reports how many events the durable consumer named consumer has not finished with: queued,
// being handled or waiting for a retry. Events acknowledged or dropped (permanent error, MaxDeliver
// reached) are finished. Tests wait for it to reach 0.
func (m *Memory) Pending(consumer string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	g, ok := m.groups[consumer]
	if !ok {
		return 0
	}
	return len(g.queue) + g.busy
}

// Subscribe starts a worker of the durable consumer named consumer. See Bus.
func (m *Memory) Subscribe(ctx context.Context, consumer string, subjects []string, h Handler) (Subscription, error) {
	if err := ValidateConsumer(consumer); err != nil {
		return nil, err
	}
	if err := ValidatePatterns(subjects); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errMemoryClosed
	}
	g, ok := m.groups[consumer]
	if !ok {
		g = &memGroup{subjects: subjects, failures: map[string]int{}, cond: sync.NewCond(&m.mu)}
		for _, ev := range m.log {
			if MatchAny(subjects, ev.Subject) {
				g.queue = append(g.queue, ev)
			}
		}
		m.groups[consumer] = g
	}
	s := m.newSub(ctx, g.cond)
	go func() {
		defer close(s.done)
		m.work(s, g, h)
	}()
	return s, nil
}

// work delivers g's events to h until s is closed.
func (m *Memory) work(s *memSub, g *memGroup, h Handler) {
	retry := m.RetryDelay
	if retry <= 0 {
		retry = 10 * time.Millisecond
	}
	maxDeliver := m.MaxDeliver
	if maxDeliver <= 0 {
		maxDeliver = 50
	}
	for {
		m.mu.Lock()
		for len(g.queue) == 0 && !s.closed && !m.closed {
			g.cond.Wait()
		}
		if s.closed || m.closed {
			m.mu.Unlock()
			return
		}
		ev := g.queue[0]
		g.queue = g.queue[1:]
		g.busy++
		m.mu.Unlock()

		err := h(s.ctx, ev)

		m.mu.Lock()
		switch {
		case err == nil || IsPermanent(err):
			delete(g.failures, ev.ID)
			g.busy--
		case s.closed:
			// Stopped by Close: back to the head of the queue now, for another worker or the next Subscribe.
			g.queue = append([]Event{ev}, g.queue...)
			g.busy--
			g.cond.Broadcast()
		default:
			g.failures[ev.ID]++
			if g.failures[ev.ID] >= maxDeliver {
				delete(g.failures, ev.ID)
				g.busy--
				break
			}
			// Back to the head of the queue after the delay; this worker goes on with the next event.
			time.AfterFunc(retry, func() {
				m.mu.Lock()
				defer m.mu.Unlock()
				g.queue = append([]Event{ev}, g.queue...)
				g.busy--
				g.cond.Broadcast()
			})
		}
		m.mu.Unlock()
	}
}

// memListener is one Listen call: its own queue, drained by its own goroutine so a slow listener does not
// hold up Publish.
type memListener struct {
	subjects []string
	queue    []Event
	cond     *sync.Cond
}

// Listen delivers events published from now on to h. See Bus.
func (m *Memory) Listen(ctx context.Context, subjects []string, h func(Event)) (Subscription, error) {
	if err := ValidatePatterns(subjects); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errMemoryClosed
	}
	l := &memListener{subjects: subjects, cond: sync.NewCond(&m.mu)}
	m.listeners[l] = true
	s := m.newSub(ctx, l.cond)
	go func() {
		defer close(s.done)
		for {
			m.mu.Lock()
			for len(l.queue) == 0 && !s.closed && !m.closed {
				l.cond.Wait()
			}
			if s.closed || m.closed {
				delete(m.listeners, l)
				m.mu.Unlock()
				return
			}
			batch := l.queue
			l.queue = nil
			m.mu.Unlock()
			for _, ev := range batch {
				h(ev)
			}
		}
	}()
	return s, nil
}

// Ready reports an error once the bus is closed.
func (m *Memory) Ready(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errMemoryClosed
	}
	return nil
}

// Close stops every subscription, cancelling running handlers' context and waiting for them to return.
func (m *Memory) Close() error {
	m.mu.Lock()
	m.closed = true
	subs := make([]*memSub, 0, len(m.subs))
	for s := range m.subs {
		subs = append(subs, s)
	}
	m.mu.Unlock()
	for _, s := range subs {
		_ = s.Close()
	}
	return nil
}

// memSub is a Memory subscription.
type memSub struct {
	m      *Memory
	cond   *sync.Cond
	ctx    context.Context // handlers' context, cancelled by Close
	cancel context.CancelFunc
	closed bool          // guarded by m.mu
	done   chan struct{} // closed when the worker has returned
	once   sync.Once
}

// newSub registers a subscription waking on cond; m.mu is held.
func (m *Memory) newSub(ctx context.Context, cond *sync.Cond) *memSub {
	// The subscription outlives the call that made it; ctx's values are kept, its deadline is not.
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &memSub{m: m, cond: cond, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	m.subs[s] = true
	return s
}

// Close stops the subscription, cancels its running handler's context and waits for the handler to return.
func (s *memSub) Close() error {
	s.once.Do(func() {
		s.m.mu.Lock()
		s.closed = true
		delete(s.m.subs, s)
		s.cond.Broadcast()
		s.m.mu.Unlock()
		s.cancel()
		<-s.done
	})
	return nil
}
