package order

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/goodgo/goodgo/internal/order/orderdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Self-ordering from a table's QR code: the customer holds only the table's token. Their lines join the
// table's live order (one is opened when there is none) and either wait for staff to send them to the kitchen
// (the shop's default) or go at once. Staff screens get qr_order.placed on the shop's orders topic.

// QRPlace is what a QR token points at, with the shop's rule for QR orders.
type QRPlace struct {
	MerchantID        tenant.ID
	ShopID            string
	TableID, RoomID   string
	NeedsConfirmation bool
	// SharedTable: the shop lets a table hold several orders, so each party's QR orders are their own.
	SharedTable bool
}

// QRPlaces resolves QR tokens (the merchant module, across tenants). An unknown or rotated token is NotFound.
type QRPlaces interface {
	ResolveQR(ctx context.Context, token string) (QRPlace, error)
}

// EventQROrderPlaced tells the shop's staff that a customer ordered from a table.
const EventQROrderPlaced = "qr_order.placed"

// QROrderView is what the customer sees of the table's order.
type QROrderView struct {
	OrderID           string       `json:"order_id"`
	ShopID            string       `json:"shop_id"`
	PlaceName         string       `json:"place_name"`
	Status            Status       `json:"status" enum:"open,ordering,served,billing,paid,closed,cancelled"`
	AmountDue         money.VND    `json:"amount_due"`
	NeedsConfirmation bool         `json:"needs_confirmation" doc:"The new lines wait for staff to send them to the kitchen."`
	Lines             []QRLineView `json:"lines"`
	Total             money.VND    `json:"total"`
}

// QRLineView is one line of the table's order as the customer sees it.
type QRLineView struct {
	Name     string    `json:"name"`
	Quantity int       `json:"quantity"`
	Status   string    `json:"status" enum:"new,sent,voided"`
	Amount   money.VND `json:"amount"`
}

// PlaceQROrder adds a customer's lines to the live order of the table (or room) whose QR token they hold. At a
// table the shop lets several parties share, it adds them to the customer's own order (orderID, from their
// earlier placement) or opens a new one.
func (s *Service) PlaceQROrder(ctx context.Context, token, orderID string, lines []LineInput) (QROrderView, error) {
	if s.qr == nil {
		return QROrderView{}, apperr.E(apperr.NotFound, "QR ordering is not available here")
	}
	place, err := s.qr.ResolveQR(ctx, token)
	if err != nil {
		return QROrderView{}, err
	}
	m := place.MerchantID
	if place.SharedTable && place.TableID != "" {
		orderID, err = s.ownOrderAt(ctx, m, place, orderID)
	} else {
		orderID, err = s.liveOrderAt(ctx, m, place)
	}
	if err != nil {
		return QROrderView{}, err
	}
	c := Change{Actor: "qr-customer"}
	o, err := s.AddLines(ctx, m, orderID, lines, "body.lines.", c)
	if err != nil {
		return QROrderView{}, err
	}
	if !place.NeedsConfirmation {
		if o, _, err = s.Submit(ctx, m, orderID, c); err != nil {
			return QROrderView{}, err
		}
	}
	if err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		return addEvent(ctx, tx, m, "shop."+o.ShopID+".orders", EventQROrderPlaced, o.UpdatedAt, map[string]any{
			"order_id": o.ID, "place_name": o.PlaceName, "lines": len(lines), "needs_confirmation": place.NeedsConfirmation})
	}); err != nil {
		return QROrderView{}, err
	}
	s.nudge()
	return qrView(o, place), nil
}

// qrView is what the customer sees of order o.
func qrView(o Order, place QRPlace) QROrderView {
	view := QROrderView{OrderID: o.ID, ShopID: o.ShopID, PlaceName: o.PlaceName, Status: o.Status,
		NeedsConfirmation: place.NeedsConfirmation, Total: o.Totals.Total, AmountDue: o.Totals.AmountDue, Lines: []QRLineView{}}
	for _, l := range o.Lines {
		view.Lines = append(view.Lines, QRLineView{Name: l.Name, Quantity: l.Quantity, Status: l.Status, Amount: l.Amount})
	}
	return view
}

// QRTable is what a customer's phone learns from a table's (or room's) QR code before ordering.
type QRTable struct {
	ShopID            string `json:"shop_id"`
	ShopName          string `json:"shop_name"`
	PlaceName         string `json:"place_name"`
	Kind              string `json:"kind" enum:"table,room"`
	NeedsConfirmation bool   `json:"needs_confirmation" doc:"Orders from this code wait for staff to send them to the kitchen."`
	SharedTable       bool   `json:"shared_table" doc:"Each party at this table keeps its own order (send order_id with later rounds)."`
}

// QRTableOf resolves a QR token to its shop and place, for the customer's menu page.
func (s *Service) QRTableOf(ctx context.Context, token string) (QRTable, error) {
	if s.qr == nil {
		return QRTable{}, apperr.E(apperr.NotFound, "QR ordering is not available here")
	}
	place, err := s.qr.ResolveQR(ctx, token)
	if err != nil {
		return QRTable{}, err
	}
	where, err := s.shops.Place(ctx, nil, place.MerchantID, place.ShopID, place.TableID, place.RoomID)
	if err != nil {
		return QRTable{}, err
	}
	shop, err := s.shops.Receipt(ctx, place.MerchantID, place.ShopID)
	if err != nil {
		return QRTable{}, err
	}
	kind := "table"
	if place.RoomID != "" {
		kind = "room"
	}
	return QRTable{ShopID: place.ShopID, ShopName: shop.Name, PlaceName: where.Name, Kind: kind,
		NeedsConfirmation: place.NeedsConfirmation, SharedTable: place.SharedTable && place.TableID != ""}, nil
}

// QROrderAt returns the customer's view of the live order at the QR code's table or room (at a shared table,
// the party's own order orderID). NotFound when there is none (nothing ordered yet, or it was closed).
func (s *Service) QROrderAt(ctx context.Context, token, orderID string) (QROrderView, error) {
	_, v, err := s.QROrderOf(ctx, token, orderID)
	return v, err
}

// QROrderOf is QROrderAt with the order's merchant, for the payment a customer makes from the table.
func (s *Service) QROrderOf(ctx context.Context, token, orderID string) (tenant.ID, QROrderView, error) {
	if s.qr == nil {
		return "", QROrderView{}, apperr.E(apperr.NotFound, "QR ordering is not available here")
	}
	place, err := s.qr.ResolveQR(ctx, token)
	if err != nil {
		return "", QROrderView{}, err
	}
	m := place.MerchantID
	var o Order
	err = s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := orderdb.New(tx)
		id := orderID
		if !place.SharedTable || place.TableID == "" || id == "" {
			if place.SharedTable && place.TableID != "" {
				return apperr.E(apperr.NotFound, "at a shared table, ask with your order_id")
			}
			found, err := q.GetLiveOrderAt(ctx, orderdb.GetLiveOrderAtParams{MerchantID: string(m), ShopID: place.ShopID,
				TableID: place.TableID, RoomID: place.RoomID})
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.E(apperr.NotFound, "no order at this table yet")
			} else if err != nil {
				return err
			}
			id = found
		}
		var err error
		if o, err = load(ctx, q, m, id); err != nil {
			return err
		}
		if o.ShopID != place.ShopID || o.TableID != place.TableID || o.RoomID != place.RoomID {
			return apperr.E(apperr.NotFound, "no such order at this table")
		}
		return s.fill(ctx, tx, m, &o, s.now())
	})
	if err != nil {
		return "", QROrderView{}, err
	}
	return m, qrView(o, place), nil
}

// EventStaffCalled asks the shop's staff to come to a table or room (the customer's "gọi nhân viên").
const EventStaffCalled = "table.staff_called"

// CallStaff tells the shop's screens that the customer at the QR code's table or room asks for staff (reason:
// call, bill or water). It changes no order.
func (s *Service) CallStaff(ctx context.Context, token, reason string) error {
	if s.qr == nil {
		return apperr.E(apperr.NotFound, "QR ordering is not available here")
	}
	place, err := s.qr.ResolveQR(ctx, token)
	if err != nil {
		return err
	}
	where, err := s.shops.Place(ctx, nil, place.MerchantID, place.ShopID, place.TableID, place.RoomID)
	if err != nil {
		return err
	}
	m := place.MerchantID
	err = s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		ev, err := event(m, "shop."+place.ShopID+".tables", EventStaffCalled, s.now(), map[string]any{"table_id": place.TableID,
			"room_id": place.RoomID, "place_name": where.Name, "reason": reason})
		if err != nil {
			return err
		}
		ev.ShopID = place.ShopID
		return addEvents(ctx, tx, ev)
	})
	if err != nil {
		return fmt.Errorf("call staff: %w", err)
	}
	s.nudge()
	return nil
}

// ownOrderAt returns the customer's order orderID when it is live at the shared table of p, or opens a new
// order there when orderID is "".
func (s *Service) ownOrderAt(ctx context.Context, m tenant.ID, p QRPlace, orderID string) (string, error) {
	if orderID == "" {
		o, err := s.Open(ctx, m, p.ShopID, OpenInput{Type: DineIn, TableID: p.TableID}, "qr-customer")
		return o.ID, err
	}
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		r, err := orderdb.New(tx).GetOrder(ctx, orderdb.GetOrderParams{MerchantID: string(m), ID: orderID})
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (r.TableID != p.TableID || r.ShopID != p.ShopID)) {
			return apperr.WithField("body.order_id", "no such order at this table")
		} else if err != nil {
			return err
		}
		if !Status(r.Status).Live() {
			return apperr.WithField("body.order_id", "this order is finished: place a new one without order_id")
		}
		return nil
	})
	return orderID, err
}

// liveOrderAt returns the live order of the place, opening one when there is none (another customer or a
// waiter opening it at the same moment is found on the second look).
func (s *Service) liveOrderAt(ctx context.Context, m tenant.ID, p QRPlace) (string, error) {
	find := func() (string, error) {
		var id string
		err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
			var err error
			id, err = orderdb.New(tx).GetLiveOrderAt(ctx, orderdb.GetLiveOrderAtParams{MerchantID: string(m), ShopID: p.ShopID,
				TableID: p.TableID, RoomID: p.RoomID})
			return err
		})
		return id, err
	}
	id, err := find()
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("find the table's order: %w", err)
	}
	in := OpenInput{Type: DineIn, TableID: p.TableID}
	if p.RoomID != "" {
		in = OpenInput{Type: Room, RoomID: p.RoomID}
	}
	o, err := s.Open(ctx, m, p.ShopID, in, "qr-customer")
	if apperr.KindOf(err) == apperr.Conflict {
		return find()
	}
	return o.ID, err
}
