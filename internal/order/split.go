package order

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/goodgo/goodgo/internal/order/orderdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Splitting a bill: by items or by seats, lines move to new checks — orders at the same table that remember
// the order they came from — each paid and closed on its own; the order they came from closes once they
// are. Lines keep their ids and kitchen state, so nothing is cooked or deducted twice. An equal split needs
// no checks: it is the amounts to take as separate payments on the one order (SplitEqually).

// SplitInput says how to split: Groups of line ids, one check per group; or BySeat, one check per seat
// (lines of seat 0 stay).
type SplitInput struct {
	Groups [][]string
	BySeat bool
}

// Split moves lines of order orderID into new checks and returns the order and the checks. The order must
// have no payments yet and no room time (a room's time stays on its order).
func (s *Service) Split(ctx context.Context, m tenant.ID, orderID string, in SplitInput, c Change) (Order, []Order, error) {
	var checks []Order
	o, err := s.change(ctx, m, orderID, c, func(ctx context.Context, tx *sql.Tx, o *Order, now time.Time) error {
		switch {
		case o.SplitOf != "":
			return apperr.Stale("this is already a check; split the order it came from", *o)
		case len(o.Payments) > 0:
			return apperr.Stale("payments were taken on this order; split it before paying", *o)
		case o.Type == Room:
			return apperr.Stale("a room order's time cannot be split; take several payments instead", *o)
		}
		groups, err := splitGroups(o, in)
		if err != nil {
			return err
		}
		q := orderdb.New(tx)
		for _, g := range groups {
			id := db.NewID()
			if err := q.InsertCheck(ctx, orderdb.InsertCheckParams{ID: id, Note: "", OpenedBy: c.Actor, OpenedAt: now,
				MerchantID: string(m), SplitOf: o.ID}); err != nil {
				return fmt.Errorf("open check: %w", err)
			}
			for i, lineID := range g {
				if _, err := q.MoveLine(ctx, orderdb.MoveLineParams{ToOrderID: id, Position: int32(i), MerchantID: string(m),
					ID: lineID, FromOrderID: o.ID}); err != nil {
					return fmt.Errorf("move line: %w", err)
				}
			}
			// The check is a change of its own in the same transaction: totals, version, the screens.
			check, err := s.changeTx(ctx, tx, m, id, Change{Actor: c.Actor}, func(context.Context, *sql.Tx, *Order, time.Time) error { return nil })
			if err != nil {
				return err
			}
			checks = append(checks, check)
		}
		return nil
	})
	if err != nil {
		return Order{}, nil, err
	}
	return o, checks, nil
}

// splitGroups validates the requested groups against o's live lines.
func splitGroups(o *Order, in SplitInput) ([][]string, error) {
	live := map[string]Line{}
	for _, l := range o.Lines {
		if l.Status != "voided" {
			live[l.ID] = l
		}
	}
	if in.BySeat {
		bySeat := map[int][]string{}
		var seats []int
		for _, l := range o.Lines {
			if _, ok := live[l.ID]; ok && l.Seat > 0 {
				if _, seen := bySeat[l.Seat]; !seen {
					seats = append(seats, l.Seat)
				}
				bySeat[l.Seat] = append(bySeat[l.Seat], l.ID)
			}
		}
		if len(seats) == 0 {
			return nil, apperr.WithField("body.by_seat", "no line has a seat")
		}
		slices.Sort(seats)
		out := make([][]string, len(seats))
		for i, seat := range seats {
			out[i] = bySeat[seat]
		}
		return out, nil
	}
	if len(in.Groups) == 0 || len(in.Groups) > 20 {
		return nil, apperr.WithField("body.groups", "1 to 20 groups of line ids")
	}
	seen := map[string]bool{}
	for i, g := range in.Groups {
		if len(g) == 0 {
			return nil, apperr.WithField(fmt.Sprintf("body.groups[%d]", i), "a check needs at least one line")
		}
		for j, id := range g {
			field := fmt.Sprintf("body.groups[%d][%d]", i, j)
			if _, ok := live[id]; !ok {
				return nil, apperr.WithField(field, "not a live line of this order")
			}
			if seen[id] {
				return nil, apperr.WithField(field, "a line goes to one check only")
			}
			seen[id] = true
		}
	}
	return in.Groups, nil
}

// SplitEqually returns the amounts that split what is due on an order into n payments (the đồng left over
// go one each to the first parts).
func (s *Service) SplitEqually(ctx context.Context, m tenant.ID, orderID string, n int, allow func(string) error) ([]money.VND, error) {
	if n < 2 || n > 50 {
		return nil, apperr.WithField("query.parts", "2 to 50 parts")
	}
	o, err := s.Get(ctx, m, orderID)
	if err != nil {
		return nil, err
	}
	if allow != nil {
		if err := allow(o.ShopID); err != nil {
			return nil, err
		}
	}
	return o.Totals.AmountDue.Split(n)
}
