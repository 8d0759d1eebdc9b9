package events

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events/eventsdb"
	"github.com/goodgo/goodgo/internal/platform/migrate"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations creates the outbox and inbox tables. Every deployment that writes or consumes events runs it.
var Migrations = migrate.Embedded("events", migrationFiles)

// MaxDataSize bounds an event's JSON data, well below the brokers' message size limits (NATS: 1 MiB).
// Events carry the changed resource, not files.
const MaxDataSize = 256 << 10

// Add writes evs to the outbox inside the caller's business transaction tx, which must be a tenant
// transaction (db.WithTx) of the merchant each event names: the events are published only if tx commits.
// Add fills an empty ID with a new UUIDv7 and a zero OccurredAt with the system clock's time (times are
// kept to the microsecond, in UTC); callers that need the id (to return it, or to correlate) set it
// themselves with db.NewID. Services that hold a clock.Clock call AddAt instead. Call the relay's Nudge
// after the commit to publish without waiting for its next poll.
//
// It returns an apperr.Invalid error when an event is malformed (see Event.Validate) or too large.
func Add(ctx context.Context, tx *sql.Tx, evs ...Event) error {
	return AddAt(ctx, tx, clock.System{}.Now(), evs...)
}

// AddAt is Add with now, the time of the business transaction (from the service's clock.Clock), as the
// OccurredAt of the events that have none.
func AddAt(ctx context.Context, tx *sql.Tx, now time.Time, evs ...Event) error {
	q := eventsdb.New(tx)
	for _, ev := range evs {
		if ev.ID == "" {
			ev.ID = db.NewID()
		}
		if ev.OccurredAt.IsZero() {
			ev.OccurredAt = now
		}
		if err := ev.Validate(); err != nil {
			return err
		}
		if len(ev.Data) > MaxDataSize {
			return apperr.E(apperr.TooLarge, "event %s: data has %d bytes, over %d", ev.Type, len(ev.Data), MaxDataSize)
		}
		data := string(ev.Data)
		if data == "" {
			data = "null"
		}
		err := q.InsertOutboxEvent(ctx, eventsdb.InsertOutboxEventParams{
			ID:         ev.ID,
			MerchantID: string(ev.MerchantID),
			ShopID:     ev.ShopID,
			Type:       ev.Type,
			Subject:    ev.Subject,
			OccurredAt: ev.OccurredAt.UTC().Truncate(time.Microsecond), // PostgreSQL's precision
			Data:       data,
		})
		if err != nil {
			return db.MapError(fmt.Errorf("add event %s %s to outbox: %w", ev.Type, ev.ID, err))
		}
	}
	return nil
}
