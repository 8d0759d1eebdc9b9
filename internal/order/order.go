// Package order is the POS hub: orders on tables, karaoke rooms and takeaway, their lines and totals, and
// sending lines to the kitchen (seed: order-service, the "PosHub").
//
// Invariants the module keeps:
//   - A table or room has at most one live order (open … paid); a partial unique index backs it up, so two
//     terminals opening the same table at once get one order and one 409.
//   - Every change of an order runs in one transaction that first bumps its version (the row lock on
//     PostgreSQL, the single writer on SQLite), recomputes the totals from the lines, and writes its events
//     to the outbox: terminals never see a lost or duplicated line, and a caller that sent expected_version
//     for an older version gets 409 with the order as it is now.
//   - Lines are priced when added (the catalog's shop price with the chosen options). Submitting sends only
//     lines not yet sent, and voids of sent lines, as kitchen tickets created in the same transaction; a
//     sent line's quantity never changes (a change is a void and a new line), so the kitchen and the stock
//     see each unit exactly once. Submitting with nothing new creates nothing.
//   - Money is integer đồng. VAT and service charge are computed per line and rounded half up; prices
//     include VAT unless the shop says otherwise (its terms are copied into the order when it opens).
//   - An order closes when nothing is left to pay (amount_due = 0), even with tickets still cooking.
//
// Events: on order.events (other modules: inventory deducts stock from order.lines_submitted and reverses it
// from order.lines_voided; reports read them) and on the shop's realtime topics shop.<id>.orders
// (order.updated, the whole order) and shop.<id>.tables (table.updated: occupied or free).
package order

import (
	"embed"
	"time"

	"github.com/goodgo/goodgo/internal/order/timebill"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/money"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations creates the module's tables on either engine.
var Migrations = migrate.Embedded("order", migrationFiles)

// Type is what an order is for.
type Type string

// The order types.
const (
	DineIn   Type = "dine_in"
	Room     Type = "room"
	Takeaway Type = "takeaway"
)

// Status is where an order is in its life.
type Status string

// The order statuses.
const (
	StatusOpen      Status = "open"
	StatusOrdering  Status = "ordering"
	StatusServed    Status = "served"
	StatusBilling   Status = "billing"
	StatusPaid      Status = "paid"
	StatusClosed    Status = "closed"
	StatusCancelled Status = "cancelled"
)

// Live reports whether an order in status s still holds its table or room and may change.
func (s Status) Live() bool { return s != StatusClosed && s != StatusCancelled }

// Events.
const (
	Subject            = "order.events"
	EventOpened        = "order.opened"
	EventLinesSubmited = "order.lines_submitted"
	EventLinesVoided   = "order.lines_voided"
	EventClosed        = "order.closed"
	EventCancelled     = "order.cancelled"
	EventUpdated       = "order.updated"
	EventTableUpdated  = "table.updated"
)

// Order is the core contract's order.
type Order struct {
	ID           string           `json:"id"`
	ShopID       string           `json:"shop_id"`
	Type         Type             `json:"type" enum:"dine_in,room,takeaway"`
	Status       Status           `json:"status" enum:"open,ordering,served,billing,paid,closed,cancelled"`
	TableID      string           `json:"table_id"`
	RoomID       string           `json:"room_id"`
	PlaceName    string           `json:"place_name" doc:"The table's or room's name, or \"#<pickup number>\" for takeaway."`
	Guests       int              `json:"guests"`
	PickupNumber int              `json:"pickup_number,omitempty"`
	Note         string           `json:"note"`
	Version      int64            `json:"version"`
	OpenedBy     string           `json:"opened_by"`
	OpenedAt     time.Time        `json:"opened_at"`
	UpdatedAt    time.Time        `json:"updated_at"`
	ClosedAt     *time.Time       `json:"closed_at"`
	CancelReason string           `json:"cancel_reason,omitempty"`
	Terms        Terms            `json:"terms"`
	Lines        []Line           `json:"lines"`
	Discount     *Discount        `json:"discount,omitempty" doc:"A discount on the whole order, if any."`
	SplitOf      string           `json:"split_of,omitempty" doc:"For a check split from another order: that order's id."`
	TimeCharge   *TimeCharge      `json:"time_charge,omitempty" doc:"A room order's billed time, running until paused or billed."`
	Totals       Totals           `json:"totals"`
	Payments     []AppliedPayment `json:"payments"`
}

// Terms are the shop's pricing terms, copied into the order when it opens.
type Terms struct {
	VATRatePercent       int  `json:"vat_rate_percent"`
	PricesIncludeVAT     bool `json:"prices_include_vat"`
	ServiceChargePercent int  `json:"service_charge_percent"`
	// SeveralOrdersPerTable lets a table hold several live orders (read live, not kept on the order).
	SeveralOrdersPerTable bool `json:"-"`
	// VoidApprovalThreshold: voiding sent lines worth more than this needs a manager; 0: never (read live).
	VoidApprovalThreshold money.VND `json:"-"`
}

// Line is an order line.
type Line struct {
	ID          string           `json:"id"`
	ProductID   string           `json:"product_id"`
	VariantID   string           `json:"variant_id,omitempty"`
	Name        string           `json:"name"`
	VariantName string           `json:"variant_name,omitempty"`
	Quantity    int              `json:"quantity"`
	UnitPrice   money.VND        `json:"unit_price"`
	Modifiers   []LineModifier   `json:"modifiers"`
	Components  []ComboComponent `json:"components,omitempty"`
	Note        string           `json:"note"`
	Seat        int              `json:"seat"`
	Course      int              `json:"course"`
	Station     string           `json:"station"`
	TaxClass    string           `json:"tax_class"`
	Status      string           `json:"status" enum:"new,sent,voided" doc:"new: not yet sent to the kitchen."`
	VoidReason  string           `json:"void_reason,omitempty"`
	// VoidApprovedBy is the manager who approved the void with their PIN (the shop's threshold).
	VoidApprovedBy string `json:"void_approved_by,omitempty"`
	// VoidedBy is who voided the line.
	VoidedBy   string     `json:"voided_by,omitempty"`
	Amount     money.VND  `json:"amount" doc:"unit_price × quantity (0 when voided)."`
	Discount   *Discount  `json:"discount,omitempty" doc:"The line's own discount, if any."`
	SentAt     *time.Time `json:"sent_at"`
	CreatedAt  time.Time  `json:"created_at"`
	CategoryID string     `json:"category_id,omitempty"`

	voidSent bool // the void has gone to the kitchen
}

// LineModifier is a chosen modifier option of a line.
type LineModifier struct {
	OptionID   string    `json:"option_id"`
	Group      string    `json:"group"`
	Name       string    `json:"name"`
	PriceDelta money.VND `json:"price_delta"`
}

// ComboComponent is a product inside a combo line, with the station it goes to.
type ComboComponent struct {
	ProductID string `json:"product_id"`
	Name      string `json:"name"`
	Station   string `json:"station"`
	Quantity  int    `json:"quantity" doc:"Per one combo."`
}

// TimeCharge is a karaoke room order's time: its stints and their price under the shop's rate plans, as of
// now while it runs.
type TimeCharge struct {
	Running       bool               `json:"running"`
	Minutes       int                `json:"minutes"`
	BilledMinutes int                `json:"billed_minutes"`
	Amount        money.VND          `json:"amount"`
	Segments      []timebill.Segment `json:"segments"`
	Stints        []TimeStint        `json:"stints"`
	PricingError  string             `json:"pricing_error,omitempty" doc:"Why the time cannot be priced (e.g. no rate plan for the room type)."`
}

// TimeStint is an uninterrupted run of a room order's time in one room.
type TimeStint struct {
	ID        string     `json:"id"`
	RoomID    string     `json:"room_id"`
	RoomType  string     `json:"room_type"`
	StartedAt time.Time  `json:"started_at"`
	EndedAt   *time.Time `json:"ended_at"`
}

// Discount is a discount on a line or on the whole order.
type Discount struct {
	Kind   string    `json:"kind" enum:"percent,fixed"`
	Value  int64     `json:"value" doc:"percent: 1–100; fixed: đồng."`
	Reason string    `json:"reason"`
	Amount money.VND `json:"amount" doc:"What it takes off, in đồng."`
}

// off is what discount d takes off base (never more than base, half-up for percentages).
func (d *Discount) off(base money.VND) money.VND {
	if d == nil || base <= 0 {
		return 0
	}
	if d.Kind == "percent" {
		return base.MulDiv(d.Value, 100)
	}
	return min(money.VND(d.Value), base)
}

// Totals are the core contract's totals, integer đồng.
type Totals struct {
	Subtotal      money.VND `json:"subtotal" doc:"Σ unit price × quantity of live lines, plus a room's time."`
	Discount      money.VND `json:"discount"`
	ServiceCharge money.VND `json:"service_charge"`
	VAT           money.VND `json:"vat" doc:"Included in total when prices include VAT, added to it otherwise."`
	Total         money.VND `json:"total" doc:"What the customer pays."`
	Paid          money.VND `json:"paid"`
	AmountDue     money.VND `json:"amount_due"`
}

// AppliedPayment is a payment on the order (the payments module records them).
type AppliedPayment struct {
	ID       string    `json:"id"`
	Method   string    `json:"method"`
	Amount   money.VND `json:"amount"`
	Status   string    `json:"status" enum:"succeeded,refunded" doc:"refunded: all of it was given back."`
	Refunded money.VND `json:"refunded,omitempty" doc:"How much of it was given back (it counts as paid: amount − refunded)."`
}

// taxRate is the VAT rate of a line's tax class under the order's terms: standard is the shop's rate,
// reduced 5 % (never above the shop's), exempt 0.
func taxRate(class string, t Terms) int64 {
	switch class {
	case "exempt":
		return 0
	case "reduced":
		return min(5, int64(t.VATRatePercent))
	}
	return int64(t.VATRatePercent)
}

// computeTotals prices the live lines: per line, amount = unit price × quantity less its discount; the
// order's discount is shared over the lines in proportion to those amounts (the remainder to the largest);
// then service charge = amount × rate and VAT on amount + service charge, extracted when prices include VAT,
// added otherwise — each rounded half up to the đồng, then summed. A room's time counts as a line of the
// standard tax class. Line discounts are recorded on the lines (Discount.Amount).
func computeTotals(lines []Line, t Terms, paid, timeAmount money.VND, orderDiscount *Discount) Totals {
	type item struct {
		net   money.VND
		class string
	}
	var items []item
	var out Totals
	for i := range lines {
		l := &lines[i]
		if l.Status == "voided" {
			continue
		}
		gross := l.UnitPrice * money.VND(l.Quantity)
		off := l.Discount.off(gross)
		if l.Discount != nil {
			l.Discount.Amount = off
		}
		out.Subtotal += gross
		out.Discount += off
		items = append(items, item{gross - off, l.TaxClass})
	}
	if timeAmount > 0 {
		out.Subtotal += timeAmount
		items = append(items, item{timeAmount, "standard"})
	}
	var sum money.VND
	largest := -1
	for i, it := range items {
		sum += it.net
		if largest < 0 || it.net > items[largest].net {
			largest = i
		}
	}
	if od := orderDiscount.off(sum); od > 0 {
		orderDiscount.Amount = od
		out.Discount += od
		var shared money.VND
		for i := range items {
			part := items[i].net.MulDiv(int64(od), int64(sum))
			if part > items[i].net {
				part = items[i].net
			}
			if i != largest {
				items[i].net -= part
				shared += part
			}
		}
		items[largest].net -= od - shared
	} else if orderDiscount != nil {
		orderDiscount.Amount = 0
	}
	for _, it := range items {
		service := it.net.MulDiv(int64(t.ServiceChargePercent), 100)
		base := it.net + service
		r := taxRate(it.class, t)
		var vat money.VND
		if t.PricesIncludeVAT {
			vat = base.MulDiv(r, 100+r)
			out.Total += base
		} else {
			vat = base.MulDiv(r, 100)
			out.Total += base + vat
		}
		out.ServiceCharge += service
		out.VAT += vat
	}
	out.Paid = paid
	out.AmountDue = max(out.Total-paid, 0)
	return out
}
