package events

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/goodgo/goodgo/internal/platform/events/eventsdb"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// outboxRow is a pending outbox row as both engines' relays read it.
type outboxRow eventsdb.ListPendingOutboxRow

func fromRow(r outboxRow) Event {
	return Event{
		ID:         r.ID,
		Seq:        r.Seq,
		Type:       r.Type,
		Subject:    r.Subject,
		MerchantID: tenant.ID(r.MerchantID),
		ShopID:     r.ShopID,
		OccurredAt: r.OccurredAt.UTC(),
		Data:       json.RawMessage(r.Data),
	}
}

func nullTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t.UTC(), Valid: true} }

// noProgress returns err, or an error saying the publisher stopped short without one.
func noProgress(err error, of int) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("%w (of %d)", errNoProgress, of)
}
