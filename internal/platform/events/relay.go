package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events/eventsdb"
)

// RelayOptions tunes a Relay. Zero fields take the defaults shown.
type RelayOptions struct {
	// PollInterval is how often the outbox is checked when nobody nudges (200 ms). Nudge after a commit
	// publishes at once; the poll bounds the lag of events whose writer did not nudge (another replica's).
	PollInterval time.Duration
	// BatchSize is how many events one database round takes (100).
	BatchSize int
	// PublishTimeout bounds one publish (5 s).
	PublishTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait after a failed round while the broker or the database is down
	// (250 ms doubling up to 30 s). Nudges do not cut a backoff short.
	MinBackoff, MaxBackoff time.Duration
	// Retention is how long published rows stay in the outbox before they are deleted (1 h).
	Retention time.Duration
	// InboxRetention is how long consumers' inbox rows are kept (7 days): longer than any redelivery.
	InboxRetention time.Duration
	// PurgeInterval is how often old outbox and inbox rows are deleted (1 min).
	PurgeInterval time.Duration
	// Clock gives published_at, LastPublishedAt and the purge horizons (clock.System).
	Clock clock.Clock
}

func (o RelayOptions) withDefaults() RelayOptions {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.PollInterval, 200*time.Millisecond)
	def(&o.PublishTimeout, 5*time.Second)
	def(&o.MinBackoff, 250*time.Millisecond)
	def(&o.MaxBackoff, 30*time.Second)
	def(&o.Retention, time.Hour)
	def(&o.InboxRetention, 7*24*time.Hour)
	def(&o.PurgeInterval, time.Minute)
	if o.BatchSize <= 0 {
		o.BatchSize = 100
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	return o
}

// BatchPublisher is implemented by buses that can publish several events and wait for all the broker's
// acknowledgements at once (natsbus). The relay uses it when present: it returns how many events, from the
// first, were stored, and the error that stopped the rest.
type BatchPublisher interface {
	PublishBatch(ctx context.Context, evs []Event) (int, error)
}

// Relay publishes the outbox: it reads pending events in sequence order, publishes each to the bus with its
// outbox id as the message id, and marks it published; published rows are deleted after a retention.
// While the broker is down rows stay pending and the relay retries with backoff; they drain when it is
// back. On PostgreSQL any number of replicas may run a relay: each claims its batch with
// FOR UPDATE SKIP LOCKED, so a row is published by one of them (order across replicas is then only
// approximately seq order). On SQLite one process owns the database and runs one relay.
type Relay struct {
	d       *db.DB
	pub     Publisher
	log     *slog.Logger
	opts    RelayOptions
	batches outboxBatches
	nudge   chan struct{}

	drainMu   sync.Mutex // one round at a time: Run and Flush may overlap
	lastPurge time.Time  // guarded by drainMu

	published     atomic.Uint64
	failures      atomic.Uint64
	consecutive   atomic.Int64
	purged        atomic.Uint64
	lastPublished atomic.Int64 // unix nanoseconds
}

// outboxBatches is the per-engine part of the relay: how a batch of pending events is taken and how the
// published ones are marked.
type outboxBatches interface {
	// relayBatch takes up to limit pending events in sequence order, passes them to publish, and marks the
	// first n of them (publish's count) published at now. It returns n and publish's error, or the error
	// that prevented the round.
	relayBatch(ctx context.Context, limit int, now time.Time, publish publishFunc) (int, error)
}

type publishFunc func(ctx context.Context, evs []Event) (int, error)

// NewRelay returns a relay of d's outbox to pub (a Bus). Start it with Run.
func NewRelay(d *db.DB, pub Publisher, log *slog.Logger, opts RelayOptions) *Relay {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var batches outboxBatches = sqliteBatches{d: d}
	if d.Dialect() == db.Postgres {
		batches = postgresBatches{d: d}
	}
	return &Relay{
		d:       d,
		pub:     pub,
		log:     log.With("component", "outbox_relay"),
		opts:    opts.withDefaults(),
		batches: batches,
		nudge:   make(chan struct{}, 1),
	}
}

// Nudge wakes the relay to publish now. Services call it after committing a transaction that added events;
// it never blocks.
func (r *Relay) Nudge() {
	select {
	case r.nudge <- struct{}{}:
	default:
	}
}

// Run relays until ctx ends, then returns nil. Failures are logged, counted in Stats and retried with
// backoff; they do not stop Run. On graceful shutdown, cancel Run and call Flush before closing the bus.
func (r *Relay) Run(ctx context.Context) error {
	var (
		failures int // consecutive failed rounds
		backoff  time.Duration
	)
	poll := time.NewTimer(r.opts.PollInterval)
	defer poll.Stop()
	for {
		err := r.drain(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			failures++
			backoff = Backoff(failures, r.opts.MinBackoff, r.opts.MaxBackoff)
			r.log.Warn("outbox relay failed, retrying", "err", err, "retry_in", backoff.String(),
				"consecutive_failures", r.consecutive.Load())
		} else if backoff > 0 {
			r.log.Info("outbox relay recovered", "published_total", r.published.Load())
			failures, backoff = 0, 0
		}
		r.purgeIfDue(ctx)

		if backoff > 0 {
			// Nudges do not cut a backoff short: every commit would hammer a broker that is down.
			poll.Reset(backoff)
			select {
			case <-ctx.Done():
				return nil
			case <-poll.C:
			}
			continue
		}
		poll.Reset(r.opts.PollInterval) // (Go 1.23+ timers: Reset drops a pending tick)
		select {
		case <-ctx.Done():
			return nil
		case <-poll.C:
		case <-r.nudge:
		}
	}
}

// Flush publishes every pending event and returns when the outbox is empty, or with the error that stopped
// it (the broker is down, ctx ended). Call it on graceful shutdown after stopping Run.
func (r *Relay) Flush(ctx context.Context) error {
	if err := r.drain(ctx); err != nil {
		return fmt.Errorf("flush outbox: %w", err)
	}
	return nil
}

// drain relays batches until one comes back short (the outbox is empty) or fails.
func (r *Relay) drain(ctx context.Context) error {
	r.drainMu.Lock()
	defer r.drainMu.Unlock()
	for {
		n, err := r.batches.relayBatch(ctx, r.opts.BatchSize, r.opts.Clock.Now(), r.publish)
		if n > 0 {
			r.published.Add(uint64(n))
			r.lastPublished.Store(r.opts.Clock.Now().UnixNano())
		}
		if err != nil {
			r.failures.Add(1)
			r.consecutive.Add(1)
			return err
		}
		r.consecutive.Store(0)
		if n < r.opts.BatchSize {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// publish sends evs in order and reports how many the broker stored.
func (r *Relay) publish(ctx context.Context, evs []Event) (int, error) {
	if bp, ok := r.pub.(BatchPublisher); ok {
		ctx, cancel := context.WithTimeout(ctx, r.opts.PublishTimeout)
		defer cancel()
		return bp.PublishBatch(ctx, evs)
	}
	for i, ev := range evs {
		pctx, cancel := context.WithTimeout(ctx, r.opts.PublishTimeout)
		err := r.pub.Publish(pctx, ev)
		cancel()
		if err != nil {
			return i, fmt.Errorf("publish event %s (seq %d): %w", ev.ID, ev.Seq, err)
		}
	}
	return len(evs), nil
}

// purgeIfDue deletes published outbox rows and inbox rows past their retention, once per PurgeInterval.
func (r *Relay) purgeIfDue(ctx context.Context) {
	r.drainMu.Lock()
	defer r.drainMu.Unlock()
	now := r.opts.Clock.Now()
	if now.Sub(r.lastPurge) < r.opts.PurgeInterval {
		return
	}
	r.lastPurge = now
	n, err := r.Purge(ctx, now)
	if err != nil {
		r.log.Warn("outbox purge failed", "err", err)
		return
	}
	if n > 0 {
		r.log.Debug("outbox purged", "rows", n)
	}
}

// Purge deletes outbox rows published before now−Retention and inbox rows processed before
// now−InboxRetention, across tenants (the system path), and reports how many rows went. Run calls it every
// PurgeInterval.
func (r *Relay) Purge(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	err := r.d.WithSystemTx(ctx, "purge published outbox and old inbox rows", func(tx *sql.Tx) error {
		q := eventsdb.New(tx)
		n, err := q.DeletePublishedOutboxBefore(ctx, nullTime(now.Add(-r.opts.Retention)))
		if err != nil {
			return fmt.Errorf("delete published outbox rows: %w", err)
		}
		m, err := q.DeleteInboxBefore(ctx, now.Add(-r.opts.InboxRetention).UTC())
		if err != nil {
			return fmt.Errorf("delete old inbox rows: %w", err)
		}
		total = n + m
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("purge outbox: %w", err)
	}
	r.purged.Add(uint64(total))
	return total, nil
}

// RelayStats are the relay's counters since it was made, for metrics (read them from a prometheus
// CounterFunc/GaugeFunc) and for logs.
type RelayStats struct {
	// Published counts events the broker acknowledged.
	Published uint64
	// Failures counts rounds that failed (broker or database errors).
	Failures uint64
	// ConsecutiveFailures is the number of failed rounds since the last good one: > 0 means the outbox is
	// not draining.
	ConsecutiveFailures int64
	// Purged counts outbox and inbox rows deleted after their retention.
	Purged uint64
	// LastPublishedAt is when an event was last published (zero: never).
	LastPublishedAt time.Time
}

// Stats returns the relay's counters.
func (r *Relay) Stats() RelayStats {
	s := RelayStats{
		Published:           r.published.Load(),
		Failures:            r.failures.Load(),
		ConsecutiveFailures: r.consecutive.Load(),
		Purged:              r.purged.Load(),
	}
	if ns := r.lastPublished.Load(); ns != 0 {
		s.LastPublishedAt = time.Unix(0, ns).UTC()
	}
	return s
}

// Pending counts the events not yet published, across tenants (a gauge for metrics and alerts).
func (r *Relay) Pending(ctx context.Context) (int64, error) {
	var n int64
	err := r.d.WithSystemTx(ctx, "count pending outbox events", func(tx *sql.Tx) error {
		var err error
		n, err = eventsdb.New(tx).CountPendingOutbox(ctx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("count pending outbox events: %w", err)
	}
	return n, nil
}

// errNoProgress is returned when the publisher reports storing fewer events than it was given but no error.
var errNoProgress = errors.New("publisher stored fewer events than given without an error")
