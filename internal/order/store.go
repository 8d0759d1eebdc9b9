package order

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/goodgo/goodgo/internal/order/orderdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// The payloads of the events other modules consume (inventory's contract: one entry per order line).
type linesSubmitted struct {
	OrderID string          `json:"order_id"`
	ShopID  string          `json:"shop_id"`
	Lines   []submittedLine `json:"lines"`
}

type submittedLine struct {
	OrderLineID       string   `json:"order_line_id"`
	ProductID         string   `json:"product_id"`
	Quantity          int      `json:"quantity"`
	ModifierOptionIDs []string `json:"modifier_option_ids"`
}

type linesVoided struct {
	OrderID    string       `json:"order_id"`
	ShopID     string       `json:"shop_id"`
	Actor      string       `json:"actor"`
	Reason     string       `json:"reason"`
	ApprovedBy string       `json:"approved_by,omitempty"`
	Lines      []voidedLine `json:"lines"`
}

type voidedLine struct {
	OrderLineID string    `json:"order_line_id"`
	ProductID   string    `json:"product_id"`
	CategoryID  string    `json:"category_id,omitempty"`
	Name        string    `json:"name"`
	Quantity    int       `json:"quantity"`
	Amount      money.VND `json:"amount" doc:"The line's value before the void."`
}

func voided(l Line) voidedLine {
	return voidedLine{OrderLineID: l.ID, ProductID: l.ProductID, CategoryID: l.CategoryID, Name: l.Name, Quantity: l.Quantity,
		Amount: l.UnitPrice * money.VND(l.Quantity)}
}

// finished is the data of order.closed and order.cancelled: the order as it ended, and who ended it.
type finished struct {
	OrderID string `json:"order_id"`
	ShopID  string `json:"shop_id"`
	Actor   string `json:"actor"`
	Reason  string `json:"reason,omitempty"`
	Order   Order  `json:"order"`
}

func addEvent(ctx context.Context, tx *sql.Tx, m tenant.ID, subject, typ string, at time.Time, data any) error {
	ev, err := event(m, subject, typ, at, data)
	if err != nil {
		return err
	}
	return addEvents(ctx, tx, ev)
}

// event encodes data as an event of the order's shop (when data is an Order).
func event(m tenant.ID, subject, typ string, at time.Time, data any) (events.Event, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return events.Event{}, fmt.Errorf("encode %s: %w", typ, err)
	}
	shopID := ""
	if o, ok := data.(Order); ok {
		shopID = o.ShopID
	}
	return events.Event{Type: typ, Subject: subject, MerchantID: m, ShopID: shopID, OccurredAt: at, Data: b}, nil
}

// addEvents writes evs to the outbox in one statement.
func addEvents(ctx context.Context, tx *sql.Tx, evs ...events.Event) error {
	if err := events.Add(ctx, tx, evs...); err != nil {
		return fmt.Errorf("write %s: %w", evs[0].Type, err)
	}
	return nil
}

// load reads order id of merchant m with its lines.
func load(ctx context.Context, q *orderdb.Queries, m tenant.ID, id string) (Order, error) {
	r, err := q.GetOrder(ctx, orderdb.GetOrderParams{MerchantID: string(m), ID: id})
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, apperr.E(apperr.NotFound, "order not found")
	}
	if err != nil {
		return Order{}, fmt.Errorf("read order: %w", err)
	}
	return loadRest(ctx, q, m, r)
}

// loadRest reads the lines and payments of the order in row r.
func loadRest(ctx context.Context, q *orderdb.Queries, m tenant.ID, r orderdb.Order) (Order, error) {
	lines, err := q.ListLines(ctx, orderdb.ListLinesParams{MerchantID: string(m), OrderID: r.ID})
	if err != nil {
		return Order{}, fmt.Errorf("read lines: %w", err)
	}
	o, err := fromRows(r, lines)
	if err != nil {
		return Order{}, err
	}
	return o, loadPayments(ctx, q, m, &o)
}

func loadPayments(ctx context.Context, q *orderdb.Queries, m tenant.ID, o *Order) error {
	pays, err := q.ListOrderPayments(ctx, orderdb.ListOrderPaymentsParams{MerchantID: string(m), OrderID: o.ID})
	if err != nil {
		return fmt.Errorf("read payments: %w", err)
	}
	o.Payments = make([]AppliedPayment, len(pays))
	for i, p := range pays {
		o.Payments[i] = AppliedPayment{ID: p.ID, Method: p.Method, Amount: money.VND(p.Amount), Status: p.Status,
			Refunded: money.VND(p.Refunded)}
	}
	return nil
}

func fromRows(r orderdb.Order, rows []orderdb.OrderLine) (Order, error) {
	lines, err := linesFromRows(rows)
	if err != nil {
		return Order{}, err
	}
	o := Order{ID: r.ID, ShopID: r.ShopID, Type: Type(r.Type), Status: Status(r.Status), TableID: r.TableID, RoomID: r.RoomID,
		PlaceName: r.PlaceName, Guests: int(r.Guests), PickupNumber: int(r.PickupNumber), Note: r.Note, Version: r.Version,
		OpenedBy: r.OpenedBy, OpenedAt: r.OpenedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), CancelReason: r.CancelReason,
		Terms: Terms{VATRatePercent: int(r.VatRatePercent), PricesIncludeVAT: r.PricesIncludeVat, ServiceChargePercent: int(r.ServiceChargePercent)},
		Lines: lines, Payments: []AppliedPayment{},
		Totals: Totals{Subtotal: money.VND(r.Subtotal), Discount: money.VND(r.Discount), ServiceCharge: money.VND(r.ServiceCharge),
			VAT: money.VND(r.Vat), Total: money.VND(r.Total), Paid: money.VND(r.Paid), AmountDue: max(money.VND(r.Total-r.Paid), 0)}}
	if r.ClosedAt.Valid {
		t := r.ClosedAt.Time.UTC()
		o.ClosedAt = &t
	}
	if r.DiscountKind != "" {
		o.Discount = &Discount{Kind: r.DiscountKind, Value: r.DiscountValue, Reason: r.DiscountReason}
	}
	o.SplitOf = r.SplitOf
	return o, nil
}

func linesFromRows(rows []orderdb.OrderLine) ([]Line, error) {
	out := make([]Line, 0, len(rows))
	for _, r := range rows {
		l := Line{ID: r.ID, ProductID: r.ProductID, VariantID: r.VariantID, Name: r.Name, VariantName: r.VariantName,
			Quantity: int(r.Quantity), UnitPrice: money.VND(r.UnitPrice), Note: r.Note, Seat: int(r.Seat), Course: int(r.Course),
			Station: r.Station, TaxClass: r.TaxClass, VoidReason: r.VoidReason, VoidApprovedBy: r.VoidApprovedBy, VoidedBy: r.VoidedBy, CreatedAt: r.CreatedAt.UTC(),
			CategoryID: r.CategoryID, voidSent: r.VoidSent}
		if r.DiscountKind != "" {
			l.Discount = &Discount{Kind: r.DiscountKind, Value: r.DiscountValue, Reason: r.DiscountReason}
		}
		if err := json.Unmarshal([]byte(r.Modifiers), &l.Modifiers); err != nil {
			return nil, fmt.Errorf("decode modifiers of line %s: %w", r.ID, err)
		}
		if err := json.Unmarshal([]byte(r.Components), &l.Components); err != nil {
			return nil, fmt.Errorf("decode components of line %s: %w", r.ID, err)
		}
		l.Modifiers = nonNil(l.Modifiers)
		if r.SentAt.Valid {
			t := r.SentAt.Time.UTC()
			l.SentAt = &t
		}
		switch {
		case r.Status == "voided":
			l.Status = "voided"
		case r.SentAt.Valid:
			l.Status, l.Amount = "sent", l.UnitPrice*money.VND(l.Quantity)
		default:
			l.Status, l.Amount = "new", l.UnitPrice*money.VND(l.Quantity)
		}
		out = append(out, l)
	}
	return out, nil
}

func findLine(o *Order, id string) (Line, error) {
	for _, l := range o.Lines {
		if l.ID == id {
			return l, nil
		}
	}
	return Line{}, apperr.E(apperr.NotFound, "line not found in this order")
}

// kitchenLines are what a line sends to the kitchen: itself, or for a combo each component at its station.
func kitchenLines(l Line, void bool) []TicketLine {
	mods := make([]string, len(l.Modifiers))
	for i, m := range l.Modifiers {
		mods[i] = m.Name
	}
	name := l.Name
	if l.VariantName != "" {
		name += " (" + l.VariantName + ")"
	}
	if len(l.Components) == 0 {
		return []TicketLine{{OrderLineID: l.ID, Station: l.Station, Name: name, Quantity: l.Quantity, Modifiers: mods,
			Note: l.Note, Seat: l.Seat, Course: l.Course, Void: void}}
	}
	out := make([]TicketLine, 0, len(l.Components))
	for _, c := range l.Components {
		out = append(out, TicketLine{OrderLineID: l.ID, Station: c.Station, Name: c.Name + " — " + name,
			Quantity: c.Quantity * l.Quantity, Modifiers: mods, Note: l.Note, Seat: l.Seat, Course: l.Course, Void: void})
	}
	return out
}

func optionIDs(l Line) []string {
	out := make([]string, len(l.Modifiers))
	for i, m := range l.Modifiers {
		out[i] = m.OptionID
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
