// Package amqpbus is the events.Bus on RabbitMQ (AMQP 0-9-1), for deployments that keep the original
// system's broker.
//
// Events are published persistent, with publisher confirms, to one durable topic exchange; the routing key
// is the event subject and the message id the event id. A durable consumer is a durable queue named after
// it, bound to its subjects (NATS "*" and ">" become AMQP "*" and "#"), consumed with manual
// acknowledgement and shared by every replica that subscribes under that name. Listen uses an exclusive,
// auto-delete queue per process. The bus reconnects after a connection loss and sets its subscriptions up
// again.
//
// Differences from JetStream that callers must know: RabbitMQ does not drop republished ids (the inbox
// does), a durable queue gets only what was published once it existed (declare consumers before the relay
// runs, which the application does at start), the bindings of a queue only grow (unbind a subject no
// longer wanted by hand), and Listen misses what is published while the connection is down.
//
// Retries: a delivery whose handler failed stays unacknowledged while a timer of its own runs
// (events.Backoff on the number of times it failed in this process: RetryDelay doubling up to
// MaxRetryDelay); when the timer fires it is rejected with requeue and comes back. The consume loop never
// waits: it goes on with the next delivery at once. A waiting delivery holds one of the Prefetch slots, so
// if every slot holds a failing event the queue pauses until a timer fires (at most MaxRetryDelay). This is
// the simplest design that keeps RabbitMQ's ordering and needs no extra queues; its cost is that the
// failure count lives in the process (each replica counts its own, and a restart starts again).
//
// Dead letters: a permanent handler error (events.IsPermanent: apperr.Invalid), an undecodable message and
// a message that failed MaxDeliver times are rejected without requeue, logged at error level with the
// event id, and RabbitMQ moves them (queue argument x-dead-letter-exchange, with an x-death header saying
// where from) through the fanout exchange "<QueuePrefix>dead" into the durable queue "<QueuePrefix>dead",
// where an operator can inspect them and shovel them back. "dead" is therefore not a valid consumer name.
// The consumer queues carry that argument from their first declaration: a queue declared by an earlier
// version without it must be deleted once (RabbitMQ refuses to change a queue's arguments).
package amqpbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/events"
)

// Options configures the exchange, the queues and the retries. Zero fields take the defaults shown.
type Options struct {
	// Exchange names the durable topic exchange ("goodgo.events").
	Exchange string
	// QueuePrefix is put before a consumer's name to name its durable queue ("goodgo.").
	QueuePrefix string
	// Prefetch is how many unacknowledged messages a subscription may hold (32), including those waiting
	// for their retry.
	Prefetch int
	// RetryDelay is the first wait before a message whose handler failed is requeued (1 s); it doubles with
	// each failure of that message up to MaxRetryDelay (1 min).
	RetryDelay, MaxRetryDelay time.Duration
	// MaxDeliver is how many times this process handles a message whose handler keeps failing before it
	// dead-letters it (50: about 45 minutes of retries with the default delays).
	MaxDeliver int
	// StopGrace is how long closing a subscription lets a running handler finish before it cancels the
	// handler's context (2 s).
	StopGrace time.Duration
	// ReconnectDelay is the first wait before reconnecting (250 ms); it doubles up to MaxReconnectDelay (10 s).
	ReconnectDelay, MaxReconnectDelay time.Duration
	// Name names the connection in RabbitMQ's management UI ("goodgo").
	Name string
}

func (o Options) withDefaults() Options {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.Exchange == "" {
		o.Exchange = "goodgo.events"
	}
	if o.QueuePrefix == "" {
		o.QueuePrefix = "goodgo."
	}
	if o.Prefetch <= 0 {
		o.Prefetch = 32
	}
	if o.Name == "" {
		o.Name = "goodgo"
	}
	def(&o.RetryDelay, time.Second)
	def(&o.MaxRetryDelay, time.Minute)
	def(&o.StopGrace, 2*time.Second)
	if o.MaxDeliver <= 0 {
		o.MaxDeliver = 50
	}
	def(&o.ReconnectDelay, 250*time.Millisecond)
	def(&o.MaxReconnectDelay, 10*time.Second)
	return o
}

// Bus is the events.Bus on RabbitMQ.
type Bus struct {
	url  string
	log  *slog.Logger
	opts Options

	mu     sync.Mutex
	conn   *amqp.Connection // nil while reconnecting
	pub    *amqp.Channel    // confirm mode, on conn
	up     chan struct{}    // closed while connected; replaced when the connection drops
	closed bool
	queues map[string]bool // durable queues this bus declared
	dead   bool            // whether this bus declared the dead-letter exchange
	subs   map[*subscription]bool

	done       chan struct{} // closed by Close
	supervised chan struct{} // closed when the reconnect loop has returned
}

// Dial connects to the RabbitMQ server at url (amqp:// or amqps://) and declares the exchange. The first
// connection must succeed; later losses are repaired in the background.
func Dial(ctx context.Context, url string, log *slog.Logger, opts Options) (*Bus, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Bus{
		url:        url,
		log:        log.With("component", "amqp_bus"),
		opts:       opts.withDefaults(),
		up:         make(chan struct{}),
		queues:     map[string]bool{},
		subs:       map[*subscription]bool{},
		done:       make(chan struct{}),
		supervised: make(chan struct{}),
	}
	lost, err := b.connect(ctx)
	if err != nil {
		return nil, err
	}
	go b.supervise(lost)
	return b, nil
}

// connect dials, opens the publishing channel and declares the exchange. It returns a channel that
// receives when the connection or the publishing channel closes.
func (b *Bus) connect(ctx context.Context) (<-chan *amqp.Error, error) {
	cfg := amqp.Config{
		Heartbeat:  10 * time.Second,
		Properties: amqp.Table{"connection_name": b.opts.Name},
		Dial:       amqp.DefaultDial(10 * time.Second),
	}
	conn, err := amqp.DialConfig(b.url, cfg)
	if err != nil {
		return nil, unavailable(fmt.Errorf("dial amqp: %w", err))
	}
	fail := func(err error) (<-chan *amqp.Error, error) {
		_ = conn.Close()
		return nil, unavailable(err)
	}
	ch, err := conn.Channel()
	if err != nil {
		return fail(fmt.Errorf("open channel: %w", err))
	}
	if err := ch.ExchangeDeclare(b.opts.Exchange, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		return fail(fmt.Errorf("declare exchange %s: %w", b.opts.Exchange, err))
	}
	if err := ch.Confirm(false); err != nil {
		return fail(fmt.Errorf("confirm mode: %w", err))
	}
	lost := make(chan *amqp.Error, 2)
	conn.NotifyClose(forward(lost))
	ch.NotifyClose(forward(lost))

	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		_ = conn.Close()
		return nil, errClosed
	}
	b.conn, b.pub = conn, ch
	close(b.up)
	return lost, nil
}

// forward returns a channel for amqp's NotifyClose that passes its one message on to lost.
func forward(lost chan *amqp.Error) chan *amqp.Error {
	c := make(chan *amqp.Error, 1)
	go func() {
		err, ok := <-c
		if !ok {
			err = nil
		}
		select {
		case lost <- err:
		default:
		}
	}()
	return c
}

var errClosed = apperr.E(apperr.Unavailable, "amqp bus closed")

// supervise reconnects whenever the connection or the publishing channel is lost, until Close.
func (b *Bus) supervise(lost <-chan *amqp.Error) {
	defer close(b.supervised)
	for {
		select {
		case <-b.done:
			return
		case err := <-lost:
			b.mu.Lock()
			conn := b.conn
			b.conn, b.pub = nil, nil
			b.up = make(chan struct{})
			b.mu.Unlock()
			if conn != nil {
				_ = conn.Close() // the publishing channel alone may have died
			}
			b.log.Warn("amqp connection lost, reconnecting", "err", err)
		}
		for attempt := 1; ; attempt++ {
			delay := events.Backoff(attempt, b.opts.ReconnectDelay, b.opts.MaxReconnectDelay)
			t := time.NewTimer(delay)
			select {
			case <-b.done:
				t.Stop()
				return
			case <-t.C:
			}
			var err error
			lost, err = b.connect(context.Background())
			if err == nil {
				b.log.Info("amqp reconnected")
				break
			}
			if errors.Is(err, errClosed) {
				return
			}
			b.log.Warn("amqp reconnect failed", "err", err, "attempt", attempt,
				"retry_in", events.Backoff(attempt+1, b.opts.ReconnectDelay, b.opts.MaxReconnectDelay).String())
		}
	}
}

// channel opens a channel on the current connection, waiting for a reconnection if needed, until ctx ends
// or the bus closes.
func (b *Bus) channel(ctx context.Context) (*amqp.Channel, error) {
	for {
		b.mu.Lock()
		conn, up, closed := b.conn, b.up, b.closed
		b.mu.Unlock()
		if closed {
			return nil, errClosed
		}
		if conn != nil {
			ch, err := conn.Channel()
			if err == nil {
				return ch, nil
			}
			if !conn.IsClosed() {
				return nil, unavailable(fmt.Errorf("open channel: %w", err))
			}
		}
		select {
		case <-up:
		case <-ctx.Done():
			return nil, unavailable(ctx.Err())
		case <-b.done:
			return nil, errClosed
		}
	}
}

func unavailable(err error) error {
	return apperr.Wrap(err, apperr.Unavailable, "event broker unavailable")
}

func (b *Bus) publishing() (*amqp.Channel, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errClosed
	}
	if b.pub == nil || b.pub.IsClosed() {
		return nil, apperr.E(apperr.Unavailable, "event broker unavailable: reconnecting")
	}
	return b.pub, nil
}

// send publishes ev on ch and returns the pending confirmation.
func (b *Bus) send(ctx context.Context, ch *amqp.Channel, ev events.Event) (*amqp.DeferredConfirmation, error) {
	if err := events.ValidateSubject(ev.Subject); err != nil {
		return nil, err
	}
	if ev.ID == "" {
		return nil, apperr.E(apperr.Invalid, "publish: event without id")
	}
	body, err := events.Encode(ev)
	if err != nil {
		return nil, err
	}
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, b.opts.Exchange, ev.Subject, false, false, amqp.Publishing{
		MessageId:    ev.ID,
		Type:         ev.Type,
		ContentType:  "application/json",
		DeliveryMode: amqp.Persistent,
		Timestamp:    ev.OccurredAt,
		Body:         body,
	})
	if err != nil {
		return nil, unavailable(fmt.Errorf("publish %s: %w", ev.ID, err))
	}
	return dc, nil
}

func confirmed(ctx context.Context, dc *amqp.DeferredConfirmation, id string) error {
	ok, err := dc.WaitContext(ctx)
	if err != nil {
		return unavailable(fmt.Errorf("confirm %s: %w", id, err))
	}
	if !ok {
		return apperr.E(apperr.Unavailable, "event broker refused event %s", id)
	}
	return nil
}

// Publish sends ev persistent to the exchange and waits for the broker's confirmation.
func (b *Bus) Publish(ctx context.Context, ev events.Event) error {
	ch, err := b.publishing()
	if err != nil {
		return err
	}
	dc, err := b.send(ctx, ch, ev)
	if err != nil {
		return err
	}
	return confirmed(ctx, dc, ev.ID)
}

// PublishBatch sends evs without waiting between them, then waits for every confirmation. It returns how
// many events, from the first, the broker confirmed (events.BatchPublisher).
func (b *Bus) PublishBatch(ctx context.Context, evs []events.Event) (int, error) {
	ch, err := b.publishing()
	if err != nil {
		return 0, err
	}
	pending := make([]*amqp.DeferredConfirmation, 0, len(evs))
	var sendErr error
	for _, ev := range evs {
		dc, err := b.send(ctx, ch, ev)
		if err != nil {
			sendErr = err
			break
		}
		pending = append(pending, dc)
	}
	for i, dc := range pending {
		if err := confirmed(ctx, dc, evs[i].ID); err != nil {
			return i, err
		}
	}
	return len(pending), sendErr
}

// bindingKey turns a NATS subject pattern into an AMQP binding key. AMQP's "#" also matches zero tokens
// where NATS's ">" needs one; handlers filter with the NATS pattern, so the difference never shows.
func bindingKey(pattern string) string {
	if strings.HasSuffix(pattern, ">") {
		return strings.TrimSuffix(pattern, ">") + "#"
	}
	return pattern
}

// deadLetters names the fanout exchange and the durable queue that receive rejected messages.
func (b *Bus) deadLetters() string { return b.opts.QueuePrefix + deadName }

// deadName is the consumer name taken by the dead-letter queue.
const deadName = "dead"

// declareDeadLetters declares the dead-letter exchange and its queue, and binds them.
func (b *Bus) declareDeadLetters(ch *amqp.Channel) error {
	name := b.deadLetters()
	if err := ch.ExchangeDeclare(name, amqp.ExchangeFanout, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare exchange %s: %w", name, err)
	}
	b.mu.Lock()
	b.dead = true
	b.mu.Unlock()
	if _, err := ch.QueueDeclare(name, true, false, false, false, amqp.Table{"x-queue-type": "classic"}); err != nil {
		return fmt.Errorf("declare queue %s: %w", name, err)
	}
	b.mu.Lock()
	b.queues[name] = true
	b.mu.Unlock()
	if err := ch.QueueBind(name, "", name, false, nil); err != nil {
		return fmt.Errorf("bind queue %s: %w", name, err)
	}
	return nil
}

// Subscribe declares the durable queue of consumer (dead-lettering into "<QueuePrefix>dead"), binds it to
// subjects and consumes it. See events.Bus. The name "dead" is taken by the dead-letter queue.
func (b *Bus) Subscribe(ctx context.Context, consumer string, subjects []string, h events.Handler) (events.Subscription, error) {
	if err := events.ValidateConsumer(consumer); err != nil {
		return nil, err
	}
	if consumer == deadName {
		return nil, apperr.E(apperr.Invalid, "consumer name %q is taken by the dead-letter queue", consumer)
	}
	if err := events.ValidatePatterns(subjects); err != nil {
		return nil, err
	}
	queue := b.opts.QueuePrefix + consumer
	s := &subscription{
		bus: b, subjects: subjects, log: b.log.With("consumer", consumer),
		declare: func(ch *amqp.Channel) (string, error) {
			if err := b.declareDeadLetters(ch); err != nil {
				return "", err
			}
			q, err := ch.QueueDeclare(queue, true, false, false, false, amqp.Table{
				"x-queue-type":           "classic",
				"x-dead-letter-exchange": b.deadLetters(),
			})
			if err != nil {
				return "", err
			}
			b.mu.Lock()
			b.queues[q.Name] = true
			b.mu.Unlock()
			return q.Name, nil
		},
		handle: h,
	}
	return b.start(ctx, s)
}

// Listen consumes an exclusive auto-delete queue of this process bound to subjects. See events.Bus.
func (b *Bus) Listen(ctx context.Context, subjects []string, h func(events.Event)) (events.Subscription, error) {
	if err := events.ValidatePatterns(subjects); err != nil {
		return nil, err
	}
	s := &subscription{
		bus: b, subjects: subjects, log: b.log.With("listen", subjects), autoAck: true,
		declare: func(ch *amqp.Channel) (string, error) {
			q, err := ch.QueueDeclare("", false, true, true, false, nil)
			return q.Name, err
		},
		handle: func(_ context.Context, ev events.Event) error {
			h(ev)
			return nil
		},
	}
	return b.start(ctx, s)
}

// start sets s up once (reporting the error) and then keeps it consuming across reconnections.
func (b *Bus) start(ctx context.Context, s *subscription) (events.Subscription, error) {
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.setupCtx, s.stopSetup = context.WithCancel(context.WithoutCancel(ctx))
	s.stopping = make(chan struct{})
	s.done = make(chan struct{})
	ch, deliveries, err := s.setup(ctx)
	if err != nil {
		s.cancel()
		s.stopSetup()
		return nil, err
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		_ = ch.Close()
		s.cancel()
		s.stopSetup()
		return nil, errClosed
	}
	b.subs[s] = true
	b.mu.Unlock()
	go s.run(ch, deliveries)
	return s, nil
}

// Ready reports whether the connection and the publishing channel are open.
func (b *Bus) Ready(context.Context) error {
	_, err := b.publishing()
	return err
}

// Close stops every subscription at once (see Subscription.Close: running handlers get StopGrace, then
// their context is cancelled) and closes the connection.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	subs := make([]*subscription, 0, len(b.subs))
	for s := range b.subs {
		subs = append(subs, s)
	}
	b.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range subs {
		wg.Go(func() { _ = s.Close() })
	}
	wg.Wait()
	b.mu.Lock()
	b.closed = true
	conn := b.conn
	b.mu.Unlock()
	close(b.done)
	<-b.supervised
	if conn != nil && !conn.IsClosed() {
		if err := conn.Close(); err != nil {
			return fmt.Errorf("close amqp bus: %w", err)
		}
	}
	return nil
}

// DeleteDeclared deletes the durable queues this bus declared (the dead-letter queue too) and the
// exchanges. Tests sharing a server clean up with it.
func (b *Bus) DeleteDeclared(ctx context.Context) error {
	ch, err := b.channel(ctx)
	if err != nil {
		return err
	}
	defer ch.Close()
	b.mu.Lock()
	queues := make([]string, 0, len(b.queues))
	for q := range b.queues {
		queues = append(queues, q)
	}
	dead := b.dead
	b.mu.Unlock()
	for _, q := range queues {
		if _, err := ch.QueueDelete(q, false, false, false); err != nil {
			return fmt.Errorf("delete queue %s: %w", q, err)
		}
	}
	if err := ch.ExchangeDelete(b.opts.Exchange, false, false); err != nil {
		return fmt.Errorf("delete exchange %s: %w", b.opts.Exchange, err)
	}
	if dead {
		if err := ch.ExchangeDelete(b.deadLetters(), false, false); err != nil {
			return fmt.Errorf("delete exchange %s: %w", b.deadLetters(), err)
		}
	}
	return nil
}

// subscription is one Subscribe or Listen: a queue consumed on its own channel, set up again after every
// reconnection.
type subscription struct {
	bus      *Bus
	subjects []string
	log      *slog.Logger
	autoAck  bool
	declare  func(ch *amqp.Channel) (queue string, err error)
	handle   events.Handler

	ctx       context.Context // handlers' context, cancelled by Close after StopGrace
	cancel    context.CancelFunc
	setupCtx  context.Context // for setting up again after a reconnection, cancelled by Close
	stopSetup context.CancelFunc
	stopping  chan struct{} // closed by Close
	done      chan struct{} // closed when run has returned
	once      sync.Once

	retryMu  sync.Mutex
	retries  map[*time.Timer]bool    // deliveries waiting to be requeued
	stopped  bool                    // Close has cancelled the retries: requeue at once
	failures map[string]*failureMark // failed handlings per message id, in this process
	swept    time.Time               // when failures was last swept
}

// failureMark counts the failed handlings of one message.
type failureMark struct {
	n    int
	last time.Time
}

// setup opens a channel, declares and binds the queue and starts consuming it.
func (s *subscription) setup(ctx context.Context) (*amqp.Channel, <-chan amqp.Delivery, error) {
	ch, err := s.bus.channel(ctx)
	if err != nil {
		return nil, nil, err
	}
	fail := func(what string, err error) (*amqp.Channel, <-chan amqp.Delivery, error) {
		_ = ch.Close()
		return nil, nil, unavailable(fmt.Errorf("%s: %w", what, err))
	}
	queue, err := s.declare(ch)
	if err != nil {
		return fail("declare queue", err)
	}
	for _, subj := range s.subjects {
		if err := ch.QueueBind(queue, bindingKey(subj), s.bus.opts.Exchange, false, nil); err != nil {
			return fail("bind "+subj, err)
		}
	}
	if err := ch.Qos(s.bus.opts.Prefetch, 0, false); err != nil {
		return fail("qos", err)
	}
	deliveries, err := ch.Consume(queue, "", s.autoAck, false, false, false, nil)
	if err != nil {
		return fail("consume "+queue, err)
	}
	return ch, deliveries, nil
}

// run consumes until Close, setting up again whenever the channel or connection is lost.
func (s *subscription) run(ch *amqp.Channel, deliveries <-chan amqp.Delivery) {
	defer close(s.done)
	for {
		s.consume(deliveries)
		_ = ch.Close() // unacknowledged messages, those waiting for a retry too, go back to the queue
		select {
		case <-s.stopping:
			return
		default:
		}
		s.log.Info("amqp subscription lost its channel, setting up again")
		var err error
		for attempt := 1; ; attempt++ {
			ch, deliveries, err = s.setup(s.setupCtx)
			if err == nil {
				break
			}
			if errors.Is(err, errClosed) || s.setupCtx.Err() != nil {
				return
			}
			delay := events.Backoff(attempt, s.bus.opts.ReconnectDelay, s.bus.opts.MaxReconnectDelay)
			s.log.Warn("amqp subscription setup failed", "err", err, "retry_in", delay.String())
			if !s.wait(delay) {
				return
			}
		}
	}
}

// consume handles deliveries until the channel closes or Close is called.
func (s *subscription) consume(deliveries <-chan amqp.Delivery) {
	for {
		select {
		case <-s.stopping:
			return
		case d, ok := <-deliveries:
			if !ok {
				return
			}
			select {
			case <-s.stopping:
				return // closing: the channel's close hands d back
			default:
			}
			s.deliver(d)
		}
	}
}

// deliver runs the handler on one message and acknowledges it, schedules its requeue after a delay, or
// dead-letters it.
func (s *subscription) deliver(d amqp.Delivery) {
	ev, err := events.Decode(d.Body)
	if err != nil {
		if !s.autoAck {
			s.log.Error("dead-lettering undecodable message", "routing_key", d.RoutingKey, "message_id", d.MessageId,
				"err", err)
			s.reject(d)
		}
		return
	}
	if !events.MatchAny(s.subjects, ev.Subject) { // "#" matched zero tokens where ">" needs one
		if !s.autoAck {
			_ = d.Ack(false)
		}
		return
	}
	err = s.handle(s.ctx, ev)
	if s.autoAck {
		return
	}
	attrs := []any{"event_id", ev.ID, "type", ev.Type}
	switch {
	case err == nil:
		s.forget(ev.ID)
		if err := d.Ack(false); err != nil {
			s.log.Warn("ack failed", "event_id", ev.ID, "err", err)
		}
	case events.IsPermanent(err):
		s.forget(ev.ID)
		s.log.Error("event handler rejected the event as invalid: dead-lettered, it will not be delivered again",
			append(attrs, "err", err)...)
		s.reject(d)
	case s.ctx.Err() != nil:
		// Stopped by Close: hand it back now for another subscriber.
		s.log.Info("event handler stopped by close, handing the event back", append(attrs, "err", err)...)
		_ = d.Nack(false, true)
	default:
		n := s.failed(ev.ID)
		if n >= s.bus.opts.MaxDeliver {
			s.forget(ev.ID)
			s.log.Error("event handler failed on every delivery: dead-lettered, it will not be delivered again",
				append(attrs, "failures", n, "err", err)...)
			s.reject(d)
			return
		}
		delay := events.Backoff(n, s.bus.opts.RetryDelay, s.bus.opts.MaxRetryDelay)
		s.log.Warn("event handler failed, will retry", append(attrs, "failures", n, "retry_in", delay.String(),
			"err", err)...)
		s.requeueAfter(d, delay)
	}
}

// reject dead-letters d.
func (s *subscription) reject(d amqp.Delivery) {
	if err := d.Nack(false, false); err != nil {
		s.log.Warn("reject failed: the message will be delivered again", "message_id", d.MessageId, "err", err)
	}
}

// requeueAfter hands d back to the queue once delay has passed, without holding up the consume loop.
func (s *subscription) requeueAfter(d amqp.Delivery, delay time.Duration) {
	s.retryMu.Lock()
	defer s.retryMu.Unlock()
	if s.stopped {
		_ = d.Nack(false, true) // closing: hand it back now
		return
	}
	if s.retries == nil {
		s.retries = map[*time.Timer]bool{}
	}
	var t *time.Timer
	t = time.AfterFunc(delay, func() {
		s.retryMu.Lock() // also waits until t is set below
		waiting := s.retries[t]
		delete(s.retries, t)
		s.retryMu.Unlock()
		if !waiting {
			return // Close came first; the channel's close hands d back
		}
		if err := d.Nack(false, true); err != nil {
			// The channel is gone, and with it the delivery: the broker has requeued it already.
			s.log.Debug("requeue failed", "message_id", d.MessageId, "err", err)
		}
	})
	s.retries[t] = true
}

// stopRetries cancels the waiting requeues; closing the channel hands their deliveries back.
func (s *subscription) stopRetries() {
	s.retryMu.Lock()
	defer s.retryMu.Unlock()
	s.stopped = true
	for t := range s.retries {
		t.Stop()
	}
	clear(s.retries)
}

// failed counts one more failed handling of message id and returns the count. Marks of messages that have
// not failed here for a long while (handled by another replica since) are swept out now and then.
func (s *subscription) failed(id string) int {
	s.retryMu.Lock()
	defer s.retryMu.Unlock()
	now := time.Now()
	if s.failures == nil {
		s.failures = map[string]*failureMark{}
	}
	stale := 2*s.bus.opts.MaxRetryDelay + time.Minute
	if len(s.failures) >= 1024 && now.Sub(s.swept) > stale/2 {
		s.swept = now
		for k, m := range s.failures {
			if now.Sub(m.last) > stale {
				delete(s.failures, k)
			}
		}
	}
	m := s.failures[id]
	if m == nil {
		m = &failureMark{}
		s.failures[id] = m
	}
	m.n++
	m.last = now
	return m.n
}

// forget drops the failure count of message id once it is settled.
func (s *subscription) forget(id string) {
	s.retryMu.Lock()
	delete(s.failures, id)
	s.retryMu.Unlock()
}

// wait waits for d, or less if Close is called; it reports whether the subscription is still open.
func (s *subscription) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.stopping:
		return false
	case <-t.C:
		return true
	}
}

// Close stops consuming, lets the running handler finish for StopGrace, then cancels its context and
// waits for it; the channel's close hands back every unacknowledged delivery. A durable queue stays.
func (s *subscription) Close() error {
	s.once.Do(func() {
		close(s.stopping)
		s.stopSetup()
		s.stopRetries()
		grace := time.NewTimer(s.bus.opts.StopGrace)
		select {
		case <-s.done:
		case <-grace.C:
			s.cancel()
			<-s.done
		}
		grace.Stop()
		s.cancel()
		s.bus.mu.Lock()
		delete(s.bus.subs, s)
		s.bus.mu.Unlock()
	})
	return nil
}
