package order

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/goodgo/goodgo/internal/order/orderdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/events"
)

// KitchenSubject and EventKitchenServed are the kitchen's event the module follows: when an order's last
// cooking ticket is served, an order still "ordering" becomes "served".
const (
	KitchenSubject     = "kitchen.events"
	EventKitchenServed = "kitchen.order_served"
)

// HandleKitchenEvent is the module's consumer of kitchen events (run with events.Consume, once per event,
// inside the inbox transaction of the event's merchant).
func (s *Service) HandleKitchenEvent(ctx context.Context, tx *sql.Tx, ev events.Event) error {
	if ev.Type != EventKitchenServed {
		return nil
	}
	var data struct {
		OrderID string `json:"order_id"`
	}
	if err := json.Unmarshal(ev.Data, &data); err != nil || data.OrderID == "" {
		return apperr.E(apperr.Invalid, "kitchen.order_served without an order id")
	}
	now := s.now()
	n, err := orderdb.New(tx).MarkServed(ctx, orderdb.MarkServedParams{Now: now, MerchantID: string(ev.MerchantID), ID: data.OrderID})
	if err != nil || n == 0 { // not found, or no longer "ordering": nothing to do
		return err
	}
	o, err := load(ctx, orderdb.New(tx), ev.MerchantID, data.OrderID)
	if err != nil {
		return err
	}
	if err := s.fill(ctx, tx, ev.MerchantID, &o, now); err != nil {
		return err
	}
	return s.broadcast(ctx, tx, ev.MerchantID, o, now.Truncate(time.Microsecond))
}
