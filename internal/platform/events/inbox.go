package events

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events/eventsdb"
)

// Consume turns fn into a durable consumer's Handler whose effect happens once per event, however often the
// bus delivers it. fn runs inside d.WithTx for the event's merchant together with an insert into the inbox
// keyed by (consumer, event id); the insert and fn's writes commit together or not at all. When the inbox
// already holds the event, fn is not run and the event is acknowledged.
//
// consumer must be the name the handler is subscribed under. fn must keep its effects inside tx (writes
// outside the database, such as calls to a provider, are not covered and need their own idempotency).
// An error from fn rolls back and makes the bus deliver the event again later, unless it is of kind
// apperr.Invalid: then the event is never delivered again (IsPermanent). An event without id or merchant is
// such an error. The inbox row is stamped with the system clock; ConsumeWithClock takes another.
func Consume(d *db.DB, consumer string, fn func(ctx context.Context, tx *sql.Tx, ev Event) error) Handler {
	return ConsumeWithClock(d, clock.System{}, consumer, fn)
}

// ConsumeWithClock is Consume with clk stamping the inbox rows (their processed_at decides when the relay
// purges them).
func ConsumeWithClock(d *db.DB, clk clock.Clock, consumer string, fn func(ctx context.Context, tx *sql.Tx, ev Event) error) Handler {
	return func(ctx context.Context, ev Event) error {
		if ev.MerchantID == "" || ev.ID == "" {
			return apperr.E(apperr.Invalid, "consumer %s: event %q without id or merchant", consumer, ev.ID)
		}
		err := d.WithTx(ctx, ev.MerchantID, func(tx *sql.Tx) error {
			n, err := eventsdb.New(tx).InsertInbox(ctx, eventsdb.InsertInboxParams{
				Consumer:    consumer,
				EventID:     ev.ID,
				MerchantID:  string(ev.MerchantID),
				ProcessedAt: clk.Now().UTC(),
			})
			if err != nil {
				return fmt.Errorf("record in inbox: %w", err)
			}
			if n == 0 {
				return nil // handled before: a redelivery or a duplicate publish
			}
			return fn(ctx, tx, ev)
		})
		if err != nil {
			return fmt.Errorf("consumer %s: handle %s %s: %w", consumer, ev.Type, ev.ID, err)
		}
		return nil
	}
}
