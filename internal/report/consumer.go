package report

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/bits"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
	"github.com/goodgo/goodgo/internal/report/reportdb"
)

// The producers' payloads, as much of them as reports read. They mirror the JSON the order, kitchen and
// shift modules write (the module does not import them: events are the contract).

// finishedData is order.closed / order.cancelled: the order as it ended and who ended it. A cancellation
// that merged the order into another carries no order (its lines moved; the other order reports them).
type finishedData struct {
	OrderID string     `json:"order_id"`
	ShopID  string     `json:"shop_id"`
	Actor   string     `json:"actor"`
	Reason  string     `json:"reason"`
	Order   *orderData `json:"order"`
}

type orderData struct {
	ID           string        `json:"id"`
	ShopID       string        `json:"shop_id"`
	Type         string        `json:"type"`
	TableID      string        `json:"table_id"`
	RoomID       string        `json:"room_id"`
	PlaceName    string        `json:"place_name"`
	Guests       int           `json:"guests"`
	OpenedBy     string        `json:"opened_by"`
	OpenedAt     time.Time     `json:"opened_at"`
	ClosedAt     *time.Time    `json:"closed_at"`
	SplitOf      string        `json:"split_of"`
	CancelReason string        `json:"cancel_reason"`
	Lines        []lineData    `json:"lines"`
	TimeCharge   *timeData     `json:"time_charge"`
	Totals       totalsData    `json:"totals"`
	Payments     []paymentData `json:"payments"`
}

type lineData struct {
	ID         string        `json:"id"`
	ProductID  string        `json:"product_id"`
	CategoryID string        `json:"category_id"`
	Name       string        `json:"name"`
	Quantity   int           `json:"quantity"`
	UnitPrice  money.VND     `json:"unit_price"`
	Status     string        `json:"status"`
	Discount   *discountData `json:"discount"`
}

type discountData struct {
	Amount money.VND `json:"amount"`
}

type timeData struct {
	Minutes int       `json:"minutes"`
	Amount  money.VND `json:"amount"`
}

type totalsData struct {
	Subtotal      money.VND `json:"subtotal"`
	Discount      money.VND `json:"discount"`
	ServiceCharge money.VND `json:"service_charge"`
	VAT           money.VND `json:"vat"`
	Total         money.VND `json:"total"`
}

type paymentData struct {
	ID       string    `json:"id"`
	Method   string    `json:"method"`
	Amount   money.VND `json:"amount"`
	Refunded money.VND `json:"refunded"`
}

// voidedData is order.lines_voided: sent lines withdrawn, with who, why and who approved.
type voidedData struct {
	OrderID    string `json:"order_id"`
	ShopID     string `json:"shop_id"`
	Actor      string `json:"actor"`
	Reason     string `json:"reason"`
	ApprovedBy string `json:"approved_by"`
	Lines      []struct {
		OrderLineID string    `json:"order_line_id"`
		ProductID   string    `json:"product_id"`
		CategoryID  string    `json:"category_id"`
		Name        string    `json:"name"`
		Quantity    int       `json:"quantity"`
		Amount      money.VND `json:"amount"`
	} `json:"lines"`
}

// ticketData is a kitchen ticket as ticket.created / ticket.status_changed carry it.
type ticketData struct {
	ID        string     `json:"id"`
	OrderID   string     `json:"order_id"`
	ShopID    string     `json:"shop_id"`
	Station   string     `json:"station"`
	Kind      string     `json:"kind"`
	CreatedAt time.Time  `json:"created_at"`
	ReadyAt   *time.Time `json:"ready_at"`
}

// shiftClosedData is shift.closed: the closed shift, its drawer's summary, the expected cash and variance.
type shiftClosedData struct {
	Shift struct {
		ID          string     `json:"id"`
		ShopID      string     `json:"shop_id"`
		CashierID   string     `json:"cashier_id"`
		OpenedAt    time.Time  `json:"opened_at"`
		ClosedAt    *time.Time `json:"closed_at"`
		ClosedBy    string     `json:"closed_by"`
		CountedCash *money.VND `json:"counted_cash"`
	} `json:"shift"`
	ExpectedCash money.VND `json:"expected_cash"`
	Variance     money.VND `json:"variance"`
	Summary      struct {
		OpeningCash  money.VND `json:"opening_cash"`
		CashSales    money.VND `json:"cash_sales"`
		SalesCount   int       `json:"sales_count"`
		CashRefunds  money.VND `json:"cash_refunds"`
		RefundsCount int       `json:"refunds_count"`
		CashIn       money.VND `json:"cash_in"`
		CashOut      money.VND `json:"cash_out"`
	} `json:"summary"`
}

// kept reports whether the module keeps events of type typ.
func kept(typ string) bool {
	switch typ {
	case EventOrderClosed, EventOrderCancelled, EventLinesVoided, EventTicketCreated, EventTicketStatus, EventShiftClosed:
		return true
	}
	return false
}

// HandleEvent is the module's consumer of order, kitchen and shift events (run with events.Consume inside
// the inbox transaction tx of the event's merchant). It keeps the event in report_events and adds it to the
// read models, once: an event it has kept already changes nothing. Events of other types are ignored. A
// payload it cannot read is apperr.Invalid (the bus sets the event aside).
func (s *Service) HandleEvent(ctx context.Context, tx *sql.Tx, ev events.Event) error {
	if !kept(ev.Type) {
		return nil
	}
	m := ev.MerchantID
	if m == "" || ev.ID == "" {
		return apperr.E(apperr.Invalid, "report: event %q without id or merchant", ev.ID)
	}
	at := ev.OccurredAt
	if at.IsZero() {
		at = s.clk.Now()
	}
	b := newBatch(m, nil)
	shopID, err := b.add(ev.Type, at, ev.ShopID, ev.Data)
	if err != nil {
		return err
	}
	if err := s.store.lockShared(ctx, tx, m); err != nil {
		return err
	}
	n, err := reportdb.New(tx).InsertEvent(ctx, reportdb.InsertEventParams{ID: ev.ID, MerchantID: string(m), ShopID: shopID,
		Type: ev.Type, OccurredAt: at.UTC().Truncate(time.Microsecond), Data: string(ev.Data)})
	if err != nil {
		return fmt.Errorf("keep event %s: %w", ev.ID, err)
	}
	if n == 0 {
		return nil // kept before: its effect is in the read models already
	}
	return s.store.flush(ctx, tx, b)
}

// batch is what a run of events adds to the read models of one merchant: new rows, and sums to add to the
// rollups keyed by their primary keys (so one statement never names a key twice).
type batch struct {
	m         tenant.ID
	orders    []reportdb.ReportOrder
	orderSeen map[string]bool
	sums      map[string]*orderSums // per order id: its contributions, written only if the order is new
	voids     map[string]reportdb.ReportVoid
	tickets   map[string]reportdb.ReportTicket
	shifts    map[string]reportdb.ReportShift
}

// orderSums are one order's contributions to the rollups.
type orderSums struct {
	day, shopID string
	hour        int
	totals      saleSums
	payments    map[string]*paySums
	categories  map[string]*qtySums
	products    map[string]*productSums
}

type saleSums struct {
	orders, customers, cancelled                                  int64
	revenue, gross, discounts, serviceCharge, vat, total, refunds money.VND
}

func (h *saleSums) add(o saleSums) {
	h.orders += o.orders
	h.customers += o.customers
	h.cancelled += o.cancelled
	h.revenue += o.revenue
	h.gross += o.gross
	h.discounts += o.discounts
	h.serviceCharge += o.serviceCharge
	h.vat += o.vat
	h.total += o.total
	h.refunds += o.refunds
}

type paySums struct {
	payments         int64
	amount, refunded money.VND
}

type qtySums struct {
	quantity int64
	revenue  money.VND
}

type productSums struct {
	name     string
	quantity int64
	revenue  money.VND
}

// newBatch starts a batch of merchant m. seen remembers the orders added so far across batches (a rebuild
// passes one map to all its batches); nil starts afresh.
func newBatch(m tenant.ID, seen map[string]bool) *batch {
	if seen == nil {
		seen = map[string]bool{}
	}
	return &batch{m: m, orderSeen: seen, sums: map[string]*orderSums{},
		voids: map[string]reportdb.ReportVoid{}, tickets: map[string]reportdb.ReportTicket{},
		shifts: map[string]reportdb.ReportShift{}}
}

// add reads one event's payload into the batch and returns the shop it concerns. It returns an
// apperr.Invalid error for a payload it cannot read.
func (b *batch) add(typ string, at time.Time, shopID string, data []byte) (string, error) {
	invalid := func(err error) error {
		return apperr.E(apperr.Invalid, "report: %s: cannot read the payload: %v", typ, err)
	}
	at = at.UTC().Truncate(time.Microsecond)
	switch typ {
	case EventOrderClosed, EventOrderCancelled:
		var d finishedData
		if err := json.Unmarshal(data, &d); err != nil {
			return "", invalid(err)
		}
		shop := first(d.ShopID, shopID)
		if d.Order == nil { // merged into another order: nothing was sold on this one
			return shop, nil
		}
		if d.Order.ID == "" || first(d.Order.ShopID, shop) == "" {
			return "", apperr.E(apperr.Invalid, "report: %s without an order id or shop", typ)
		}
		b.addOrder(typ == EventOrderCancelled, d, at)
		return first(d.Order.ShopID, shop), nil
	case EventLinesVoided:
		var d voidedData
		if err := json.Unmarshal(data, &d); err != nil {
			return "", invalid(err)
		}
		shop := first(d.ShopID, shopID)
		if shop == "" {
			return "", apperr.E(apperr.Invalid, "report: %s without a shop", typ)
		}
		for _, l := range d.Lines {
			if l.OrderLineID == "" {
				return "", apperr.E(apperr.Invalid, "report: %s with a line without id", typ)
			}
			b.voids[l.OrderLineID] = reportdb.ReportVoid{MerchantID: string(b.m), OrderLineID: l.OrderLineID, ShopID: shop,
				Day: clock.LocalDate(at), VoidedAt: at, OrderID: d.OrderID, ProductID: l.ProductID, CategoryID: l.CategoryID,
				Name: l.Name, Quantity: int32(l.Quantity), Amount: int64(l.Amount), Reason: d.Reason, VoidedBy: d.Actor,
				ApprovedBy: d.ApprovedBy}
		}
		return shop, nil
	case EventTicketCreated, EventTicketStatus:
		var d ticketData
		if err := json.Unmarshal(data, &d); err != nil {
			return "", invalid(err)
		}
		shop := first(d.ShopID, shopID)
		if d.ID == "" || shop == "" {
			return "", apperr.E(apperr.Invalid, "report: %s without a ticket id or shop", typ)
		}
		if d.Kind != "" && d.Kind != "order" { // a void ticket: nothing was cooked
			return shop, nil
		}
		t := reportdb.ReportTicket{MerchantID: string(b.m), TicketID: d.ID, ShopID: shop, OrderID: d.OrderID,
			Station: d.Station, CreatedAt: d.CreatedAt.UTC().Truncate(time.Microsecond)}
		if d.ReadyAt != nil {
			ready := d.ReadyAt.UTC().Truncate(time.Microsecond)
			t.ReadyAt = sql.NullTime{Time: ready, Valid: true}
			t.PrepSeconds = sql.NullInt32{Int32: int32(max(ready.Sub(t.CreatedAt)/time.Second, 0)), Valid: true}
		}
		b.tickets[d.ID] = laterTicket(b.tickets[d.ID], t)
		return shop, nil
	case EventShiftClosed:
		var d shiftClosedData
		if err := json.Unmarshal(data, &d); err != nil {
			return "", invalid(err)
		}
		sh := d.Shift
		shop := first(sh.ShopID, shopID)
		if sh.ID == "" || shop == "" {
			return "", apperr.E(apperr.Invalid, "report: %s without a shift id or shop", typ)
		}
		closed := at
		if sh.ClosedAt != nil {
			closed = sh.ClosedAt.UTC().Truncate(time.Microsecond)
		}
		var counted money.VND
		if sh.CountedCash != nil {
			counted = *sh.CountedCash
		}
		sum := d.Summary
		b.shifts[sh.ID] = reportdb.ReportShift{MerchantID: string(b.m), ShiftID: sh.ID, ShopID: shop, Day: clock.LocalDate(closed),
			CashierID: sh.CashierID, ClosedBy: sh.ClosedBy, OpenedAt: sh.OpenedAt.UTC().Truncate(time.Microsecond), ClosedAt: closed,
			OpeningCash: int64(sum.OpeningCash), CashSales: int64(sum.CashSales), SalesCount: int32(sum.SalesCount),
			CashRefunds: int64(sum.CashRefunds), RefundsCount: int32(sum.RefundsCount), CashIn: int64(sum.CashIn),
			CashOut: int64(sum.CashOut), ExpectedCash: int64(d.ExpectedCash), CountedCash: int64(counted), Variance: int64(d.Variance)}
		return shop, nil
	}
	return shopID, nil
}

// laterTicket merges two sightings of a ticket: the one ready last wins (a recalled ticket is ready again
// later), so the merge is the same whatever order the events come in.
func laterTicket(a, b reportdb.ReportTicket) reportdb.ReportTicket {
	if a.TicketID == "" {
		return b
	}
	if b.ReadyAt.Valid && (!a.ReadyAt.Valid || b.ReadyAt.Time.After(a.ReadyAt.Time)) {
		a.ReadyAt, a.PrepSeconds = b.ReadyAt, b.PrepSeconds
	}
	return a
}

// addOrder adds a finished order: its row, and its contributions to the rollups.
func (b *batch) addOrder(cancelled bool, d finishedData, at time.Time) {
	o := d.Order
	if b.orderSeen[o.ID] {
		return
	}
	b.orderSeen[o.ID] = true
	finished := at
	if o.ClosedAt != nil {
		finished = o.ClosedAt.UTC().Truncate(time.Microsecond)
	}
	opened := o.OpenedAt.UTC().Truncate(time.Microsecond)
	local := finished.In(clock.VietnamZone)
	row := reportdb.ReportOrder{MerchantID: string(b.m), OrderID: o.ID, ShopID: first(o.ShopID, d.ShopID), Status: "closed",
		Day: local.Format(time.DateOnly), Hour: int32(local.Hour()), OpenedAt: opened, FinishedAt: finished,
		OrderType: o.Type, TableID: o.TableID, RoomID: o.RoomID, PlaceName: o.PlaceName, SplitOf: o.SplitOf,
		Guests: int32(max(o.Guests, 0)), OpenedBy: o.OpenedBy, FinishedBy: d.Actor,
		SeatedSeconds: int32(max(finished.Sub(opened)/time.Second, 0)), CancelReason: first(o.CancelReason, d.Reason)}
	sums := &orderSums{day: row.Day, shopID: row.ShopID, hour: int(row.Hour), payments: map[string]*paySums{},
		categories: map[string]*qtySums{}, products: map[string]*productSums{}}
	var revenue, refunds money.VND
	for _, p := range o.Payments {
		net := p.Amount - p.Refunded
		revenue += net
		refunds += p.Refunded
		ps := sums.payments[first(p.Method, "unknown")]
		if ps == nil {
			ps = &paySums{}
			sums.payments[first(p.Method, "unknown")] = ps
		}
		if net > 0 {
			ps.payments++
		}
		ps.amount += net
		ps.refunded += p.Refunded
	}
	row.Revenue, row.Refunds = int64(revenue), int64(refunds)
	sums.totals.revenue, sums.totals.refunds = revenue, refunds
	if cancelled {
		// The payload of a cancellation is the order before its lines were voided: none of it was sold.
		row.Status = "cancelled"
		sums.totals.cancelled = 1
	} else {
		t := o.Totals
		row.Subtotal, row.Discount, row.ServiceCharge = int64(t.Subtotal), int64(t.Discount), int64(t.ServiceCharge)
		row.Vat, row.Total = int64(t.VAT), int64(t.Total)
		row.Counted = t.Subtotal > 0
		if o.TimeCharge != nil {
			row.RoomMinutes, row.TimeAmount = int32(o.TimeCharge.Minutes), int64(o.TimeCharge.Amount)
		}
		row.Customers = int32(customers(o, row.Counted))
		h := &sums.totals
		if row.Counted {
			h.orders = 1
		}
		h.customers = int64(row.Customers)
		h.gross, h.discounts, h.serviceCharge, h.vat, h.total = t.Subtotal, t.Discount, t.ServiceCharge, t.VAT, t.Total
		shareRevenue(sums, o, revenue)
	}
	b.orders = append(b.orders, row)
	b.sums[o.ID] = sums
}

// customers is how many customers a closed order stands for: its guests; an order that sold something
// without a guest count is one customer, unless it is a check split from another order (that order holds
// the party's guests).
func customers(o *orderData, counted bool) int {
	switch {
	case o.Guests > 0:
		return o.Guests
	case counted && o.SplitOf == "":
		return 1
	}
	return 0
}

// shareRevenue shares an order's revenue over its live lines and its room time, by what each cost after
// its own discount (Allocate), into categories and products.
func shareRevenue(sums *orderSums, o *orderData, revenue money.VND) {
	type item struct {
		category, product, name string
		quantity                int64
	}
	var items []item
	var weights []money.VND
	for _, l := range o.Lines {
		if l.Status == "voided" {
			continue
		}
		w := l.UnitPrice * money.VND(l.Quantity)
		if l.Discount != nil {
			w -= l.Discount.Amount
		}
		items = append(items, item{first(l.CategoryID, CategoryUncategorized), l.ProductID, l.Name, int64(l.Quantity)})
		weights = append(weights, max(w, 0))
	}
	if o.TimeCharge != nil && o.TimeCharge.Amount > 0 {
		items = append(items, item{category: CategoryRoomTime})
		weights = append(weights, o.TimeCharge.Amount)
	}
	parts, rest := Allocate(revenue, weights)
	for i, it := range items {
		c := sums.categories[it.category]
		if c == nil {
			c = &qtySums{}
			sums.categories[it.category] = c
		}
		c.quantity += it.quantity
		c.revenue += parts[i]
		if it.product == "" {
			continue
		}
		p := sums.products[it.product]
		if p == nil {
			p = &productSums{name: it.name}
			sums.products[it.product] = p
		}
		p.quantity += it.quantity
		p.revenue += parts[i]
	}
	if rest != 0 { // revenue with nothing sold to share it over (a free order that was paid anyway)
		c := sums.categories[CategoryUncategorized]
		if c == nil {
			c = &qtySums{}
			sums.categories[CategoryUncategorized] = c
		}
		c.revenue += rest
	}
}

// Allocate shares amount over weights in proportion, each part floored, the đồng left over going to the
// largest weight (the first of equals), so the parts add up to amount exactly. Weights are ≥ 0. When they
// are all 0 nothing can be shared: the parts are 0 and rest is amount; otherwise rest is 0.
func Allocate(amount money.VND, weights []money.VND) (parts []money.VND, rest money.VND) {
	parts = make([]money.VND, len(weights))
	var sum money.VND
	largest := -1
	for i, w := range weights {
		sum += w
		if w > 0 && (largest < 0 || w > weights[largest]) {
			largest = i
		}
	}
	if sum <= 0 || largest < 0 {
		return parts, amount
	}
	neg := amount < 0
	a := uint64(amount)
	if neg {
		a = uint64(-amount)
	}
	var given money.VND
	for i, w := range weights {
		if w <= 0 {
			continue
		}
		hi, lo := bits.Mul64(a, uint64(w))
		q, _ := bits.Div64(hi, lo, uint64(sum)) // hi < sum since w ≤ sum: no overflow
		p := money.VND(q)
		if neg {
			p = -p
		}
		parts[i] = p
		given += p
	}
	parts[largest] += amount - given
	return parts, 0
}

// first returns the first non-empty string.
func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
