package events

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"strings"
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
	rows := make([]eventsdb.InsertOutboxEventParams, 0, len(evs))
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
		rows = append(rows, eventsdb.InsertOutboxEventParams{
			ID:         ev.ID,
			MerchantID: string(ev.MerchantID),
			ShopID:     ev.ShopID,
			Type:       ev.Type,
			Subject:    ev.Subject,
			OccurredAt: ev.OccurredAt.UTC().Truncate(time.Microsecond), // PostgreSQL's precision
			Data:       data,
		})
	}
	switch len(rows) {
	case 0:
		return nil
	case 1:
		if err := eventsdb.New(tx).InsertOutboxEvent(ctx, rows[0]); err != nil {
			return db.MapError(fmt.Errorf("add event %s %s to outbox: %w", rows[0].Type, rows[0].ID, err))
		}
		return nil
	}
	// Several events go in one statement (one round trip); rows take their sequence numbers in this order.
	var b strings.Builder
	b.WriteString("INSERT INTO outbox (id, merchant_id, shop_id, type, subject, occurred_at, data) VALUES ")
	args := make([]any, 0, 7*len(rows))
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		n := 7 * i
		fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7)
		args = append(args, r.ID, r.MerchantID, r.ShopID, r.Type, r.Subject, r.OccurredAt, r.Data)
	}
	if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
		return db.MapError(fmt.Errorf("add %d events (%s first) to outbox: %w", len(rows), rows[0].Type, err))
	}
	return nil
}
