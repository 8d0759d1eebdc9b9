package order

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/goodgo/goodgo/internal/order/orderdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// MoveTable moves a dine-in order to another table of its shop (the guests changed tables). The new table
// must be free (409 otherwise); the old one is free at once. Lines already sent stay sent.
func (s *Service) MoveTable(ctx context.Context, m tenant.ID, orderID, tableID string, c Change) (Order, error) {
	return s.change(ctx, m, orderID, c, func(ctx context.Context, tx *sql.Tx, o *Order, now time.Time) error {
		if o.Type != DineIn {
			return apperr.Stale("only a dine-in order moves between tables (a room order changes room)", *o)
		}
		if tableID == o.TableID {
			return apperr.WithField("body.table_id", "the order is at this table already")
		}
		target, err := s.shops.Place(ctx, tx, m, o.ShopID, tableID, "")
		if apperr.KindOf(err) == apperr.NotFound {
			return apperr.WithField("body.table_id", "no such table in this shop")
		} else if err != nil {
			return err
		}
		terms, err := s.shops.Terms(ctx, tx, m, o.ShopID)
		if err != nil {
			return err
		}
		q := orderdb.New(tx)
		if !terms.SeveralOrdersPerTable {
			if err := tableFree(ctx, q, m, tableID, target.Name); err != nil {
				return apperr.Stale(target.Name+" has an open order: merge the orders instead", *o)
			}
		}
		err = q.SetOrderTable(ctx, orderdb.SetOrderTableParams{TableID: tableID, PlaceName: target.Name,
			SharesTable: terms.SeveralOrdersPerTable, MerchantID: string(m), ID: o.ID})
		if apperr.KindOf(db.MapError(err)) == apperr.Conflict {
			return apperr.Stale(target.Name+" has an open order: merge the orders instead", *o)
		} else if err != nil {
			return err
		}
		old := o.TableID
		o.TableID, o.PlaceName = tableID, target.Name
		return addEvent(ctx, tx, m, "shop."+o.ShopID+".tables", EventTableUpdated, now,
			map[string]any{"table_id": old, "room_id": "", "order_id": "", "status": "free"})
	})
}

// Merge moves every line of order fromID into order orderID (tables pushed together, one bill): both must
// be live orders of the same shop, and fromID must have no payments and no room time. fromID is cancelled
// as merged, its table freed; lines keep their ids and kitchen state, so nothing is cooked or deducted twice.
func (s *Service) Merge(ctx context.Context, m tenant.ID, orderID, fromID string, c Change) (Order, error) {
	return s.change(ctx, m, orderID, c, func(ctx context.Context, tx *sql.Tx, o *Order, now time.Time) error {
		// Checked once the order is found: another merchant's order is 404 whatever the body says.
		if fromID == orderID {
			return apperr.WithField("body.order_id", "an order cannot be merged into itself")
		}
		// The source is changed in the same transaction, its version bumped (and locked) like any change.
		_, err := s.changeTx(ctx, tx, m, fromID, c, func(ctx context.Context, tx *sql.Tx, f *Order, now time.Time) error {
			switch {
			case f.ShopID != o.ShopID:
				return apperr.WithField("body.order_id", "the order is in another shop")
			case len(f.Payments) > 0:
				return apperr.Stale("payments were taken on that order; it cannot be merged", *f)
			case f.Type == Room:
				return apperr.Stale("a room order's time cannot be merged", *f)
			}
			if err := orderdb.New(tx).MoveLines(ctx, orderdb.MoveLinesParams{ToOrderID: o.ID, OffsetBy: int32(len(o.Lines)),
				MerchantID: string(m), FromOrderID: f.ID}); err != nil {
				return fmt.Errorf("move lines: %w", err)
			}
			f.Status, f.ClosedAt, f.CancelReason = StatusCancelled, &now, "merged into "+o.PlaceName
			return addEvent(ctx, tx, m, Subject, EventCancelled, now, map[string]any{"order_id": f.ID, "shop_id": f.ShopID,
				"reason": f.CancelReason, "merged_into": o.ID})
		})
		if apperr.KindOf(err) == apperr.NotFound {
			return apperr.WithField("body.order_id", "no such order")
		}
		return err
	})
}
