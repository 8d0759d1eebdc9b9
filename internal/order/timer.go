package order

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/goodgo/goodgo/internal/order/orderdb"
	"github.com/goodgo/goodgo/internal/order/timebill"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// A karaoke room order's time is a first-class part of its bill: it runs from the moment the room opens,
// stops on pause (or when the bill is asked for) and starts again on resume; a room change keeps the time
// already sung at the old room's rates. The price is the timebill engine's over the shop's rate plans, the
// same engine as the quote endpoint, and it enters the totals like a line of the standard tax class.

// fill computes o's time charge (as of now for a running stint) and its totals.
func (s *Service) fill(ctx context.Context, tx *sql.Tx, m tenant.ID, o *Order, now time.Time) error {
	var timeAmount money.VND
	o.TimeCharge = nil
	if o.Type == Room {
		rows, err := orderdb.New(tx).ListStints(ctx, orderdb.ListStintsParams{MerchantID: string(m), OrderID: o.ID})
		if err != nil {
			return fmt.Errorf("read the room's time: %w", err)
		}
		if len(rows) > 0 {
			tc := &TimeCharge{Segments: []timebill.Segment{}}
			refs := make([]timebill.StintRef, 0, len(rows))
			for _, r := range rows {
				st := TimeStint{ID: r.ID, RoomID: r.RoomID, RoomType: r.RoomType, StartedAt: r.StartedAt.UTC()}
				to := now
				if r.EndedAt.Valid {
					e := r.EndedAt.Time.UTC()
					st.EndedAt, to = &e, e
				} else {
					tc.Running = true
				}
				tc.Stints = append(tc.Stints, st)
				if to.After(st.StartedAt) {
					refs = append(refs, timebill.StintRef{RoomType: r.RoomType, From: st.StartedAt, To: to})
				}
			}
			switch {
			case s.rates == nil:
				tc.PricingError = "room time is not priced in this deployment"
			case len(refs) > 0:
				bill, err := s.rates.BillSessionTx(ctx, tx, m, o.ShopID, refs)
				if k := apperr.KindOf(err); k == apperr.Conflict || k == apperr.Invalid {
					tc.PricingError = apperr.Message(err)
				} else if err != nil {
					return fmt.Errorf("price the room's time: %w", err)
				} else {
					tc.Minutes, tc.BilledMinutes, tc.Amount, tc.Segments = bill.Minutes, bill.BilledMinutes, bill.Amount, bill.Segments
					timeAmount = bill.Amount
				}
			}
			o.TimeCharge = tc
		}
	}
	o.Totals = computeTotals(o.Lines, o.Terms, o.Totals.Paid, timeAmount, o.Discount)
	return nil
}

func stints(o *Order) []TimeStint {
	if o.TimeCharge == nil {
		return nil
	}
	return o.TimeCharge.Stints
}

func (s *Service) roomOrder(ctx context.Context, tx *sql.Tx, m tenant.ID, o *Order, now time.Time) error {
	if o.Type != Room {
		return apperr.Stale("only a karaoke room order has a timer", *o)
	}
	return s.fill(ctx, tx, m, o, now)
}

// PauseTimer stops a room order's time (a break; billing also stops it).
func (s *Service) PauseTimer(ctx context.Context, m tenant.ID, orderID string, c Change) (Order, error) {
	return s.change(ctx, m, orderID, c, func(ctx context.Context, tx *sql.Tx, o *Order, now time.Time) error {
		if err := s.roomOrder(ctx, tx, m, o, now); err != nil {
			return err
		}
		n, err := orderdb.New(tx).EndStint(ctx, orderdb.EndStintParams{EndedAt: sql.NullTime{Time: now, Valid: true}, MerchantID: string(m), OrderID: o.ID})
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.Stale("the room's time is not running", *o)
		}
		return nil
	})
}

// ResumeTimer starts a paused room order's time again, in its current room.
func (s *Service) ResumeTimer(ctx context.Context, m tenant.ID, orderID string, c Change) (Order, error) {
	return s.change(ctx, m, orderID, c, func(ctx context.Context, tx *sql.Tx, o *Order, now time.Time) error {
		if err := s.roomOrder(ctx, tx, m, o, now); err != nil {
			return err
		}
		st := stints(o)
		if len(st) == 0 || o.TimeCharge.Running {
			return apperr.Stale("the room's time is already running", *o)
		}
		if o.Status == StatusBilling {
			return apperr.Stale("the bill has been asked for; reopen it by adding to the order first", *o)
		}
		last := st[len(st)-1]
		return orderdb.New(tx).InsertStint(ctx, orderdb.InsertStintParams{ID: db.NewID(), MerchantID: string(m), OrderID: o.ID,
			Position: int32(len(st)), RoomID: last.RoomID, RoomType: last.RoomType, StartedAt: now})
	})
}

// ChangeRoom moves a room order to another room: the time so far stays at the old room's rates, the rest
// runs at the new room's. The new room must be free (409 otherwise).
func (s *Service) ChangeRoom(ctx context.Context, m tenant.ID, orderID, roomID string, c Change) (Order, error) {
	var target Place
	return s.change(ctx, m, orderID, c, func(ctx context.Context, tx *sql.Tx, o *Order, now time.Time) error {
		if err := s.roomOrder(ctx, tx, m, o, now); err != nil {
			return err
		}
		if roomID == o.RoomID {
			return apperr.WithField("body.room_id", "the order is in this room already")
		}
		var err error
		if target, err = s.shops.Place(ctx, tx, m, o.ShopID, "", roomID); apperr.KindOf(err) == apperr.NotFound {
			return apperr.WithField("body.room_id", "no such room in this shop")
		} else if err != nil {
			return err
		}
		q := orderdb.New(tx)
		running := o.TimeCharge != nil && o.TimeCharge.Running
		if _, err := q.EndStint(ctx, orderdb.EndStintParams{EndedAt: sql.NullTime{Time: now, Valid: true}, MerchantID: string(m), OrderID: o.ID}); err != nil {
			return err
		}
		err = q.SetOrderRoom(ctx, orderdb.SetOrderRoomParams{RoomID: roomID, PlaceName: target.Name, MerchantID: string(m), ID: o.ID})
		if apperr.KindOf(db.MapError(err)) == apperr.Conflict {
			return apperr.Stale(target.Name+" has an open order", *o)
		} else if err != nil {
			return err
		}
		old := o.RoomID
		o.RoomID, o.PlaceName = roomID, target.Name
		if running {
			if err := q.InsertStint(ctx, orderdb.InsertStintParams{ID: db.NewID(), MerchantID: string(m), OrderID: o.ID,
				Position: int32(len(stints(o))), RoomID: roomID, RoomType: target.RoomType, StartedAt: now}); err != nil {
				return err
			}
		}
		// The old room is free now.
		return addEvent(ctx, tx, m, "shop."+o.ShopID+".tables", EventTableUpdated, now,
			map[string]any{"table_id": "", "room_id": old, "order_id": "", "status": "free"})
	})
}

// CorrectTimerStart sets when a room order's time started (a manager's correction, e.g. the staff opened
// the room late). It is audited with the old and new times.
func (s *Service) CorrectTimerStart(ctx context.Context, m tenant.ID, orderID string, startedAt time.Time, c Change) (Order, error) {
	return s.change(ctx, m, orderID, c, func(ctx context.Context, tx *sql.Tx, o *Order, now time.Time) error {
		if err := s.roomOrder(ctx, tx, m, o, now); err != nil {
			return err
		}
		st := stints(o)
		if len(st) == 0 {
			return apperr.Stale("the room's time has not started", *o)
		}
		first := st[0]
		end := now
		if first.EndedAt != nil {
			end = *first.EndedAt
		}
		startedAt = startedAt.UTC().Truncate(time.Microsecond)
		if !startedAt.Before(end) || startedAt.Before(o.OpenedAt.Add(-12*time.Hour)) {
			return apperr.WithField("body.started_at", "must be before the first stretch ends (or now), and at most 12 h before the order opened")
		}
		if err := orderdb.New(tx).SetStintStart(ctx, orderdb.SetStintStartParams{StartedAt: startedAt, MerchantID: string(m), ID: first.ID}); err != nil {
			return err
		}
		if s.audit == nil {
			return nil
		}
		return s.audit(ctx, tx, m, "order.timer_corrected", c.Actor, map[string]any{"order_id": o.ID, "shop_id": o.ShopID,
			"room_id": first.RoomID, "from": first.StartedAt, "to": startedAt})
	})
}

// RequestBill stops a room's time and marks the order as billing (the customer asked for the bill).
func (s *Service) RequestBill(ctx context.Context, m tenant.ID, orderID string, c Change) (Order, error) {
	return s.change(ctx, m, orderID, c, func(ctx context.Context, tx *sql.Tx, o *Order, now time.Time) error {
		if o.Status == StatusPaid {
			return apperr.Stale("the order is paid", *o)
		}
		if _, err := orderdb.New(tx).EndStint(ctx, orderdb.EndStintParams{EndedAt: sql.NullTime{Time: now, Valid: true}, MerchantID: string(m), OrderID: o.ID}); err != nil {
			return err
		}
		o.Status = StatusBilling
		return nil
	})
}
