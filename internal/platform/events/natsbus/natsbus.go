// Package natsbus is the events.Bus on NATS JetStream: the server embedded in the process by default
// (StartEmbedded), or an external cluster (Connect).
//
// All events go to one stream whose subjects are the events' subjects under a prefix ("goodgo.shop.….orders").
// The stream's duplicate window drops a message whose Nats-Msg-Id (the outbox id) it has already stored, so
// the relay may republish after a crash. Durable consumers are JetStream pull consumers with explicit
// acknowledgement, one per consumer name, shared by every replica that subscribes under that name. Listen
// uses an ordered ephemeral consumer that starts at new messages: every process sees each stored message
// once, in stream order.
//
// Redelivery: a handler error makes the message come back after RetryDelay, doubling up to MaxRetryDelay
// (events.Backoff on the delivery count), at most MaxDeliver deliveries in all. A permanent error
// (events.IsPermanent: apperr.Invalid) or an undecodable message is terminated at once (JetStream "+TERM"),
// and so is a message whose last allowed delivery failed; both are logged at error level with the event
// id and the stream sequence. A terminated message stays in the stream until MaxAge, so an operator can
// read it ("nats stream get <stream> <seq>") and republish it; JetStream also emits a
// $JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED advisory. While a handler runs, the bus tells the server every
// third of AckWait that the message is in progress, so a slow handler is not redelivered under its feet.
package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/events"
)

// Options configures the stream and the consumers. Zero fields take the defaults shown.
type Options struct {
	// Stream names the JetStream stream ("GOODGO").
	Stream string
	// SubjectPrefix is put before every event subject on the wire ("goodgo"); the stream captures
	// "<prefix>.>". Tests use a unique prefix and stream to share a server.
	SubjectPrefix string
	// Replicas is the stream's replication factor on a cluster (1).
	Replicas int
	// MaxAge is how long the stream keeps messages (72 h): a durable consumer created later, or one that was
	// down, is delivered what is still there.
	MaxAge time.Duration
	// DuplicateWindow is how long the stream remembers message ids to drop republished ones (5 min).
	DuplicateWindow time.Duration
	// AckWait is how long a delivered message may stay unacknowledged before it is delivered again (30 s).
	AckWait time.Duration
	// RetryDelay is the first delay before a message whose handler failed is delivered again (1 s); it
	// doubles with each failed delivery up to MaxRetryDelay (1 min).
	RetryDelay, MaxRetryDelay time.Duration
	// MaxDeliver is how many times a message is delivered to a consumer before the bus gives up on it and
	// logs an error (50: about 45 minutes of retries with the default delays).
	MaxDeliver int
	// StopGrace is how long closing a subscription lets a running handler finish before it cancels the
	// handler's context (2 s).
	StopGrace time.Duration
	// Prefetch is how many messages a subscription buffers ahead of its handler (64). Buffered messages
	// are not yet in progress: their AckWait runs, so Prefetch times a handler's usual duration should stay
	// well under AckWait.
	Prefetch int
	// Name names the connection in the server's monitoring ("goodgo").
	Name string
}

func (o Options) withDefaults() Options {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.Stream == "" {
		o.Stream = "GOODGO"
	}
	if o.SubjectPrefix == "" {
		o.SubjectPrefix = "goodgo"
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	def(&o.MaxAge, 72*time.Hour)
	def(&o.DuplicateWindow, 5*time.Minute)
	def(&o.AckWait, 30*time.Second)
	def(&o.RetryDelay, time.Second)
	def(&o.MaxRetryDelay, time.Minute)
	def(&o.StopGrace, 2*time.Second)
	if o.MaxDeliver <= 0 {
		o.MaxDeliver = 50
	}
	if o.Prefetch <= 0 {
		o.Prefetch = 64
	}
	if o.Name == "" {
		o.Name = "goodgo"
	}
	return o
}

// Bus is the events.Bus on JetStream. It owns its connection.
type Bus struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	log  *slog.Logger
	opts Options

	mu   sync.Mutex
	subs map[*subscription]bool
}

// Connect connects to the NATS server at url (JetStream enabled) and makes sure the stream exists.
// The connection reconnects by itself for as long as the bus is open.
func Connect(ctx context.Context, url string, log *slog.Logger, opts Options) (*Bus, error) {
	return connect(ctx, url, log, opts, nil)
}

func connect(ctx context.Context, url string, log *slog.Logger, opts Options, inProcess nats.InProcessConnProvider) (*Bus, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts = opts.withDefaults()
	if err := events.ValidateSubject(opts.SubjectPrefix); err != nil {
		return nil, fmt.Errorf("nats bus: subject prefix: %w", err)
	}
	log = log.With("component", "nats_bus")
	natsOpts := []nats.Option{
		nats.Name(opts.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("nats disconnected", "err", err)
		}),
		nats.ReconnectHandler(func(*nats.Conn) { log.Info("nats reconnected") }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			log.Warn("nats async error", "err", err)
		}),
	}
	if inProcess != nil {
		natsOpts = append(natsOpts, nats.InProcessServer(inProcess))
	}
	nc, err := nats.Connect(url, natsOpts...)
	if err != nil {
		return nil, apperr.Wrap(fmt.Errorf("connect nats: %w", err), apperr.Unavailable, "event broker unavailable")
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(1024))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats bus: %w", err)
	}
	b := &Bus{nc: nc, js: js, log: log, opts: opts, subs: map[*subscription]bool{}}
	if err := b.ensureStream(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	return b, nil
}

func (b *Bus) ensureStream(ctx context.Context) error {
	_, err := b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        b.opts.Stream,
		Description: "GoodGo domain events from the transactional outbox",
		Subjects:    []string{b.opts.SubjectPrefix + ".>"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    b.opts.Replicas,
		MaxAge:      b.opts.MaxAge,
		Duplicates:  b.opts.DuplicateWindow,
		Discard:     jetstream.DiscardOld,
	})
	if err != nil {
		return fmt.Errorf("nats bus: create stream %s: %w", b.opts.Stream, err)
	}
	return nil
}

func (b *Bus) wire(subject string) string { return b.opts.SubjectPrefix + "." + subject }

func (b *Bus) msg(ev events.Event) (*nats.Msg, error) {
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
	m := nats.NewMsg(b.wire(ev.Subject))
	m.Data = body
	m.Header.Set(jetstream.MsgIDHeader, ev.ID)
	return m, nil
}

// checkConnected fails fast while the connection is down, so the relay backs off instead of queueing
// messages in the reconnect buffer.
func (b *Bus) checkConnected() error {
	if st := b.nc.Status(); st != nats.CONNECTED {
		return apperr.E(apperr.Unavailable, "event broker unavailable: connection %s", st)
	}
	return nil
}

// Publish stores ev in the stream with ev.ID as its message id and waits for the acknowledgement.
func (b *Bus) Publish(ctx context.Context, ev events.Event) error {
	m, err := b.msg(ev)
	if err != nil {
		return err
	}
	if err := b.checkConnected(); err != nil {
		return err
	}
	if _, err := b.js.PublishMsg(ctx, m); err != nil {
		return unavailable(fmt.Errorf("publish %s: %w", ev.ID, err))
	}
	return nil
}

// PublishBatch publishes evs without waiting between them, then waits for every acknowledgement. It
// returns how many events, from the first, the stream stored (events.BatchPublisher).
func (b *Bus) PublishBatch(ctx context.Context, evs []events.Event) (int, error) {
	if err := b.checkConnected(); err != nil {
		return 0, err
	}
	futures := make([]jetstream.PubAckFuture, 0, len(evs))
	var sendErr error
	for _, ev := range evs {
		m, err := b.msg(ev)
		if err != nil {
			sendErr = err
			break
		}
		f, err := b.js.PublishMsgAsync(m)
		if err != nil {
			sendErr = unavailable(fmt.Errorf("publish %s: %w", ev.ID, err))
			break
		}
		futures = append(futures, f)
	}
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return i, unavailable(fmt.Errorf("publish %s: %w", evs[i].ID, err))
		case <-ctx.Done():
			return i, unavailable(fmt.Errorf("publish %s: %w", evs[i].ID, ctx.Err()))
		}
	}
	return len(futures), sendErr
}

func unavailable(err error) error {
	return apperr.Wrap(err, apperr.Unavailable, "event broker unavailable")
}

// Subscribe creates or updates the durable consumer named consumer and delivers its messages to h.
// See events.Bus.
func (b *Bus) Subscribe(ctx context.Context, consumer string, subjects []string, h events.Handler) (events.Subscription, error) {
	if err := events.ValidateConsumer(consumer); err != nil {
		return nil, err
	}
	if err := events.ValidatePatterns(subjects); err != nil {
		return nil, err
	}
	cfg := jetstream.ConsumerConfig{
		Durable:       consumer,
		Description:   "GoodGo consumer " + consumer,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       b.opts.AckWait,
		MaxDeliver:    b.opts.MaxDeliver,
		MaxAckPending: 1000,
	}
	b.setFilter(subjects, &cfg.FilterSubject, &cfg.FilterSubjects)
	cons, err := b.js.CreateOrUpdateConsumer(ctx, b.opts.Stream, cfg)
	if err != nil {
		return nil, unavailable(fmt.Errorf("create consumer %s: %w", consumer, err))
	}
	log := b.log.With("consumer", consumer)
	s := newSubscription(ctx, b)
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		if !s.enter() {
			// Closing: hand the message back now rather than after AckWait.
			_ = msg.Nak()
			return
		}
		defer s.leave()
		b.handle(s.ctx, log, msg, subjects, h)
	}, jetstream.PullMaxMessages(b.opts.Prefetch), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		log.Debug("consume", "err", err)
	}))
	if err != nil {
		s.cancel()
		return nil, unavailable(fmt.Errorf("consume %s: %w", consumer, err))
	}
	// Drain, not Stop: messages already pulled reach the callback above and are handed back at once.
	s.cc, s.stop = cc, cc.Drain
	b.track(s)
	return s, nil
}

// handle runs h on one durable message and acknowledges it, asks for redelivery after a delay, or
// terminates it (permanent error, undecodable, last delivery).
func (b *Bus) handle(ctx context.Context, log *slog.Logger, msg jetstream.Msg, subjects []string, h events.Handler) {
	var delivered, seq uint64 = 1, 0
	if md, err := msg.Metadata(); err == nil {
		delivered, seq = md.NumDelivered, md.Sequence.Stream
	}
	ev, err := events.Decode(msg.Data())
	if err != nil {
		log.Error("terminating undecodable message: it will not be delivered again", "subject", msg.Subject(),
			"stream_seq", seq, "err", err)
		terminate(log, msg, "")
		return
	}
	if !events.MatchAny(subjects, ev.Subject) {
		_ = msg.Ack() // widened filter on an old server: not ours
		return
	}
	stopProgress := keepInProgress(msg, b.opts.AckWait, log)
	err = h(ctx, ev)
	stopProgress()
	attrs := []any{"event_id", ev.ID, "type", ev.Type, "stream_seq", seq, "delivery", delivered}
	switch {
	case err == nil:
		if err := msg.Ack(); err != nil {
			// The handler's effect is committed; the redelivery this causes is caught by the inbox.
			log.Warn("ack failed", "event_id", ev.ID, "err", err)
		}
	case events.IsPermanent(err):
		log.Error("event handler rejected the event as invalid: terminated, it will not be delivered again",
			append(attrs, "err", err)...)
		terminate(log, msg, ev.ID)
	case ctx.Err() != nil:
		// Stopped by Close: hand it back now for another subscriber.
		log.Info("event handler stopped by close, handing the event back", append(attrs, "err", err)...)
		if nakErr := msg.Nak(); nakErr != nil {
			log.Warn("nak failed", "event_id", ev.ID, "err", nakErr)
		}
	case delivered >= uint64(b.opts.MaxDeliver):
		log.Error("event handler failed on every delivery: giving up, it will not be delivered again",
			append(attrs, "max_deliver", b.opts.MaxDeliver, "err", err)...)
		terminate(log, msg, ev.ID)
	default:
		delay := events.Backoff(int(min(delivered, uint64(b.opts.MaxDeliver))), b.opts.RetryDelay, b.opts.MaxRetryDelay)
		log.Warn("event handler failed, will retry", append(attrs, "retry_in", delay.String(), "err", err)...)
		if nakErr := msg.NakWithDelay(delay); nakErr != nil {
			log.Warn("nak failed", "event_id", ev.ID, "err", nakErr)
		}
	}
}

// terminate tells the server never to deliver msg again to this consumer.
func terminate(log *slog.Logger, msg jetstream.Msg, eventID string) {
	if err := msg.Term(); err != nil {
		log.Warn("term failed: the message will be delivered again", "event_id", eventID, "err", err)
	}
}

// keepInProgress tells the server every third of ackWait that msg is still being handled, until the
// returned function is called, so a handler that runs longer than AckWait is not redelivered meanwhile.
func keepInProgress(msg jetstream.Msg, ackWait time.Duration, log *slog.Logger) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(max(ackWait/3, time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if err := msg.InProgress(); err != nil {
					log.Debug("in progress", "err", err)
				}
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// Listen delivers every message stored from now on whose subject matches subjects to h, through an ordered
// ephemeral consumer of this process. See events.Bus.
func (b *Bus) Listen(ctx context.Context, subjects []string, h func(events.Event)) (events.Subscription, error) {
	if err := events.ValidatePatterns(subjects); err != nil {
		return nil, err
	}
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverNewPolicy}
	if len(subjects) == 1 {
		cfg.FilterSubjects = []string{b.wire(subjects[0])}
	} else {
		var one string
		b.setFilter(subjects, &one, &cfg.FilterSubjects)
		if one != "" {
			cfg.FilterSubjects = []string{one}
		}
	}
	cons, err := b.js.OrderedConsumer(ctx, b.opts.Stream, cfg)
	if err != nil {
		return nil, unavailable(fmt.Errorf("listen %v: %w", subjects, err))
	}
	s := newSubscription(ctx, b)
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		if !s.enter() {
			return
		}
		defer s.leave()
		ev, err := events.Decode(msg.Data())
		if err != nil {
			b.log.Error("listen: dropping undecodable message", "subject", msg.Subject(), "err", err)
			return
		}
		if events.MatchAny(subjects, ev.Subject) {
			h(ev)
		}
	}, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		b.log.Debug("listen", "err", err)
	}))
	if err != nil {
		s.cancel()
		return nil, unavailable(fmt.Errorf("listen %v: %w", subjects, err))
	}
	s.cc, s.stop = cc, cc.Stop
	b.track(s)
	return s, nil
}

// setFilter sets a consumer's filter to subjects: one subject in FilterSubject (every server version), more
// in FilterSubjects (nats-server 2.10+). An older server gets the whole stream ("<prefix>.>") and the
// handlers filter by subject.
func (b *Bus) setFilter(subjects []string, one *string, many *[]string) {
	switch {
	case len(subjects) == 1:
		*one = b.wire(subjects[0])
	case !b.multiFilter():
		*one = b.wire(">")
	default:
		*many = make([]string, len(subjects))
		for i, s := range subjects {
			(*many)[i] = b.wire(s)
		}
	}
}

// multiFilter reports whether the server takes several filter subjects per consumer (2.10+).
func (b *Bus) multiFilter() bool {
	v := b.nc.ConnectedServerVersion()
	var major, minor int
	if _, err := fmt.Sscanf(v, "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major > 2 || major == 2 && minor >= 10
}

// Ready checks that the connection is up and the stream answers.
func (b *Bus) Ready(ctx context.Context) error {
	if err := b.checkConnected(); err != nil {
		return err
	}
	if _, err := b.js.Stream(ctx, b.opts.Stream); err != nil {
		return unavailable(fmt.Errorf("stream %s: %w", b.opts.Stream, err))
	}
	return nil
}

// Close stops every subscription at once (see Subscription.Close: running handlers get StopGrace, then
// their context is cancelled) and closes the connection after sending what is buffered.
func (b *Bus) Close() error {
	b.mu.Lock()
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
	var err error
	if b.nc.IsConnected() {
		if ferr := b.nc.FlushTimeout(5 * time.Second); ferr != nil {
			err = fmt.Errorf("close nats bus: flush: %w", ferr)
		}
	}
	b.nc.Close()
	return err
}

// DeleteStream removes the stream and everything in it. Tests sharing a server clean up with it.
func (b *Bus) DeleteStream(ctx context.Context) error {
	if err := b.js.DeleteStream(ctx, b.opts.Stream); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("delete stream %s: %w", b.opts.Stream, err)
	}
	return nil
}

func (b *Bus) track(s *subscription) {
	b.mu.Lock()
	b.subs[s] = true
	b.mu.Unlock()
}

func (b *Bus) untrack(s *subscription) {
	b.mu.Lock()
	delete(b.subs, s)
	b.mu.Unlock()
}

// subscription stops a JetStream consume loop and waits for the handler running in it.
type subscription struct {
	bus    *Bus
	ctx    context.Context // handlers' context, cancelled by Close after StopGrace
	cancel context.CancelFunc
	cc     jetstream.ConsumeContext
	stop   func() // stops the consume loop without waiting

	mu      sync.Mutex
	closed  bool
	running sync.WaitGroup
	once    sync.Once
}

func newSubscription(ctx context.Context, b *Bus) *subscription {
	// The subscription outlives the call that made it; ctx's values are kept, its deadline is not.
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	return &subscription{bus: b, ctx: ctx, cancel: cancel}
}

// enter reports whether a handler may run, and counts it.
func (s *subscription) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.running.Add(1)
	return true
}

func (s *subscription) leave() { s.running.Done() }

// Close stops the consume loop, lets the running handler finish for StopGrace, then cancels its context
// and waits for it; the durable consumer stays on the server.
func (s *subscription) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true // no handler starts from now on
		s.mu.Unlock()
		if s.stop != nil {
			s.stop()
		}
		idle := make(chan struct{})
		go func() {
			s.running.Wait()
			close(idle)
		}()
		grace := time.NewTimer(s.bus.opts.StopGrace)
		select {
		case <-idle:
		case <-grace.C:
			s.cancel()
			<-idle
		}
		grace.Stop()
		s.cancel()
		if s.cc != nil {
			// Once the handler has returned, the drain hands back what was buffered and finishes.
			t := time.NewTimer(5 * time.Second)
			select {
			case <-s.cc.Closed():
			case <-t.C:
			}
			t.Stop()
		}
		s.bus.untrack(s)
	})
	return nil
}
