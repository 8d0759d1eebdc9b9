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
// error redelivers after RetryDelay; Listen sees events published after it starts. The application uses
// natsbus or amqpbus.
type Memory struct {
	// RetryDelay is the wait before an event whose handler failed is delivered again (10 ms when zero).
	RetryDelay time.Duration

	mu        sync.Mutex
	log       []Event
	seen      map[string]bool
	groups    map[string]*memGroup
	listeners map[*memListener]bool
	closed    bool
}

// NewMemory returns an empty in-process bus.
func NewMemory() *Memory {
	return &Memory{seen: map[string]bool{}, groups: map[string]*memGroup{}, listeners: map[*memListener]bool{}}
}

// errMemoryClosed is returned by a closed Memory bus.
var errMemoryClosed = apperr.E(apperr.Unavailable, "memory bus closed")

// memGroup is a durable consumer: a queue of the events it has not acknowledged yet.
type memGroup struct {
	subjects []string
	queue    []Event
	cond     *sync.Cond // on Memory.mu: queue grew or a subscription closed
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
		g = &memGroup{subjects: subjects, cond: sync.NewCond(&m.mu)}
		for _, ev := range m.log {
			if MatchAny(subjects, ev.Subject) {
				g.queue = append(g.queue, ev)
			}
		}
		m.groups[consumer] = g
	}
	s := newMemSub(ctx, m, g.cond)
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
		m.mu.Unlock()

		if err := h(s.ctx, ev); err == nil {
			continue
		}
		// Not acknowledged: back to the head of the queue after the delay (or now, if we are stopping,
		// so another worker or the next Subscribe gets it).
		t := time.NewTimer(retry)
		select {
		case <-s.stopping:
		case <-t.C:
		}
		t.Stop()
		m.mu.Lock()
		g.queue = append([]Event{ev}, g.queue...)
		g.cond.Broadcast()
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
	s := newMemSub(ctx, m, l.cond)
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

// Close stops every subscription.
func (m *Memory) Close() error {
	m.mu.Lock()
	m.closed = true
	for _, g := range m.groups {
		g.cond.Broadcast()
	}
	for l := range m.listeners {
		l.cond.Broadcast()
	}
	m.mu.Unlock()
	return nil
}

// memSub is a Memory subscription.
type memSub struct {
	m        *Memory
	cond     *sync.Cond
	ctx      context.Context // handlers' context, cancelled once Close has stopped them
	cancel   context.CancelFunc
	closed   bool          // guarded by m.mu
	stopping chan struct{} // closed by Close
	done     chan struct{} // closed when the worker has returned
	once     sync.Once
}

func newMemSub(ctx context.Context, m *Memory, cond *sync.Cond) *memSub {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	return &memSub{m: m, cond: cond, ctx: ctx, cancel: cancel, stopping: make(chan struct{}), done: make(chan struct{})}
}

// Close stops the subscription and waits for its running handler to return.
func (s *memSub) Close() error {
	s.once.Do(func() {
		s.m.mu.Lock()
		s.closed = true
		s.cond.Broadcast()
		s.m.mu.Unlock()
		close(s.stopping)
		<-s.done
		s.cancel()
	})
	return nil
}
