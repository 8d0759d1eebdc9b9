package report

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// The source data of the tests and the benchmark: orders as the order module ends them, kitchen tickets,
// closed shifts; and the events those modules write about them, in the producers' JSON (written out here
// with the producers' field names, not with this package's types, so a misread field shows).

type srcOrder struct {
	id, shop, typ, table, room, place, splitOf string
	guests                                     int
	openedBy, finishedBy                       string
	openedAt, finishedAt                       time.Time
	cancelled, merged                          bool
	lines                                      []srcLine
	timeMinutes                                int
	timeAmount                                 int64
	subtotal, discount, service, vat, total    int64
	payments                                   []srcPayment
}

type srcLine struct {
	id, product, category, name string
	qty                         int
	price, discount             int64
	sent, voided                bool
	voidedBy, approvedBy        string
	reason                      string
	voidedAt                    time.Time
}

type srcPayment struct {
	id, method       string
	amount, refunded int64
}

type srcTicket struct {
	id, order, shop, station string
	void                     bool
	created                  time.Time
	readies                  []time.Time // ready times, a recalled ticket has two
}

type srcShift struct {
	id, shop, cashier                                                  string
	opened, closed                                                     time.Time
	opening, sales, refunds, cashIn, cashOut, expected, counted, delta int64
	salesCount, refundsCount                                           int
}

// srcVoid is a line of an order.lines_voided event.
type srcVoid struct {
	order, shop, actor, approvedBy, reason string
	at                                     time.Time
	line                                   srcLine
}

// world is everything that happened to merchant m.
type world struct {
	m       tenant.ID
	shops   []string
	rooms   map[string][]Place // per shop, its floor's rooms
	orders  []*srcOrder
	tickets []srcTicket
	shifts  []srcShift
	voids   []srcVoid
	staff   []string
}

type product struct {
	id, category, name string
	price              int64
}

var menu = []product{
	{"p-pho", "c-food", "Phở bò", 65000}, {"p-com", "c-food", "Cơm tấm", 55000}, {"p-tra", "c-drink", "Trà đá", 5000},
	{"p-bia", "c-drink", "Bia Sài Gòn", 25000}, {"p-cafe", "c-drink", "Cà phê sữa đá", 29000}, {"p-kem", "", "Kem", 35000},
	{"p-lau", "c-food", "Lẩu thái", 249000}, {"p-=cmd", "c-drink", "=HYPERLINK(\"x\")", 12000},
}

var methods = []string{"cash", "vietqr", "vnpay", "momo"}

// generator makes a world at random. days is how many local days it spans from start.
type generator struct {
	r     *rand.Rand
	start time.Time // a local midnight
	days  int
	menu  []product // nil: menu
}

func (g *generator) pick(ss []string) string { return ss[g.r.IntN(len(ss))] }

// at is a random instant of local day d between the hours from and to.
func (g *generator) at(d, from, to int) time.Time {
	t := g.start.AddDate(0, 0, d).Add(time.Duration(from) * time.Hour)
	return t.Add(time.Duration(g.r.Int64N(int64(time.Duration(to-from) * time.Hour)))).UTC().Truncate(time.Second)
}

// world makes n orders over the shops, with their tickets, voids and shifts.
func (g *generator) world(m tenant.ID, shops, n int) *world {
	w := &world{m: m, rooms: map[string][]Place{}}
	for i := range shops {
		shop := fmt.Sprintf("shop-%d-%s", i, string(m)[:8])
		w.shops = append(w.shops, shop)
		w.rooms[shop] = []Place{{ID: shop + "-r1", Name: "P1"}, {ID: shop + "-r2", Name: "P2"}, {ID: shop + "-r3", Name: "VIP"}}
	}
	w.staff = []string{"u-an", "u-binh", "u-chi", "qr-customer"}
	for len(w.orders) < n {
		shop := g.pick(w.shops)
		day := g.r.IntN(g.days)
		switch k := g.r.IntN(20); {
		case k == 0: // a party split into two checks
			g.split(w, shop, day)
		case k == 1: // merged into another order: a cancellation without the order
			o := g.order(w, shop, day, "dine_in")
			o.cancelled, o.merged = true, true
			w.orders = append(w.orders, o)
		case k <= 3:
			o := g.order(w, shop, day, "dine_in")
			g.cancel(w, o)
			w.orders = append(w.orders, o)
		default:
			typ := []string{"dine_in", "dine_in", "takeaway", "room"}[g.r.IntN(4)]
			o := g.order(w, shop, day, typ)
			g.settle(o)
			w.orders = append(w.orders, o)
		}
	}
	for _, shop := range w.shops {
		for day := range g.days {
			for range g.r.IntN(3) {
				opened := g.at(day, 1, 10)
				closed := g.at(day, 12, 23)
				sh := srcShift{id: db.NewID(), shop: shop, cashier: g.pick(w.staff[:3]), opened: opened, closed: closed,
					opening: 1_000_000, sales: g.r.Int64N(5_000_000), salesCount: g.r.IntN(40), refunds: g.r.Int64N(100_000),
					refundsCount: g.r.IntN(3), cashIn: g.r.Int64N(200_000), cashOut: g.r.Int64N(500_000)}
				sh.expected = sh.opening + sh.sales - sh.refunds + sh.cashIn - sh.cashOut
				sh.counted = sh.expected + g.r.Int64N(20_000) - 10_000
				sh.delta = sh.counted - sh.expected
				w.shifts = append(w.shifts, sh)
			}
		}
	}
	return w
}

// order opens an order with lines (some sent, some voided, some discounted) and, for a room, its time.
func (g *generator) order(w *world, shop string, day int, typ string) *srcOrder {
	opened := g.at(day, 0, 20)
	finished := opened.Add(time.Duration(10+g.r.IntN(240)) * time.Minute)
	if finished.In(clock.VietnamZone).Day() != opened.In(clock.VietnamZone).Day() && g.r.IntN(2) == 0 {
		finished = opened.Add(5 * time.Minute) // mostly the same day; sometimes past local midnight
	}
	o := &srcOrder{id: db.NewID(), shop: shop, typ: typ, openedBy: g.pick(w.staff), finishedBy: g.pick(w.staff[:3]),
		openedAt: opened, finishedAt: finished, guests: g.r.IntN(6)}
	switch typ {
	case "dine_in":
		n := 1 + g.r.IntN(8)
		o.table, o.place = fmt.Sprintf("%s-t%d", shop, n), fmt.Sprintf("B%d", n)
	case "room":
		r := w.rooms[shop][g.r.IntN(len(w.rooms[shop]))]
		o.room, o.place = r.ID, r.Name
		o.timeMinutes = 30 + g.r.IntN(200)
		o.timeAmount = int64(o.timeMinutes) * 150000 / 60
	default:
		o.guests = 0
		o.place = fmt.Sprintf("#%d", 1+g.r.IntN(99))
	}
	for range 1 + g.r.IntN(6) {
		items := g.menu
		if items == nil {
			items = menu
		}
		p := items[g.r.IntN(len(items))]
		l := srcLine{id: db.NewID(), product: p.id, category: p.category, name: p.name, qty: 1 + g.r.IntN(3), price: p.price,
			sent: g.r.IntN(4) != 0}
		if g.r.IntN(6) == 0 {
			l.discount = l.price * int64(l.qty) * int64(5+g.r.IntN(20)) / 100
		}
		if g.r.IntN(7) == 0 {
			l.voided = true
			l.reason = g.pick([]string{"khách đổi món", "làm đổ", "=1+1 gõ nhầm", "hết hàng"})
			l.voidedBy = g.pick(w.staff[:3])
			if g.r.IntN(2) == 0 {
				l.approvedBy = "u-an"
			}
			l.voidedAt = opened.Add(time.Duration(1+g.r.IntN(9)) * time.Minute)
			if l.sent {
				w.voids = append(w.voids, srcVoid{order: o.id, shop: shop, actor: l.voidedBy, approvedBy: l.approvedBy,
					reason: l.reason, at: l.voidedAt, line: l})
			}
		}
		o.lines = append(o.lines, l)
	}
	g.tickets(w, o)
	return o
}

// tickets sends an order's sent lines to the kitchen: a ticket per station, ready after a few minutes (or
// recalled and ready again, or never ready), and a void ticket for each void.
func (g *generator) tickets(w *world, o *srcOrder) {
	stations := map[string]bool{}
	for _, l := range o.lines {
		if l.sent {
			stations[map[bool]string{true: "bar", false: "kitchen"}[l.category == "c-drink"]] = true
		}
	}
	for _, st := range slices.Sorted(maps.Keys(stations)) {
		t := srcTicket{id: db.NewID(), order: o.id, shop: o.shop, station: st, created: o.openedAt.Add(time.Minute)}
		switch k := g.r.IntN(10); {
		case k == 0: // never ready
		case k == 1: // recalled, then ready again later
			first := t.created.Add(time.Duration(2+g.r.IntN(5)) * time.Minute)
			t.readies = []time.Time{first, first.Add(time.Duration(3+g.r.IntN(20)) * time.Minute)}
		default:
			t.readies = []time.Time{t.created.Add(time.Duration(60+g.r.IntN(30*60)) * time.Second)}
		}
		w.tickets = append(w.tickets, t)
	}
	if g.r.IntN(8) == 0 {
		w.tickets = append(w.tickets, srcTicket{id: db.NewID(), order: o.id, shop: o.shop, station: "kitchen", void: true,
			created: o.openedAt.Add(2 * time.Minute), readies: []time.Time{o.openedAt.Add(3 * time.Minute)}})
	}
}

// totals prices a closed order the way the order module does in outline (prices include VAT 8%): what the
// reports read are the totals as given, so any consistent figures do.
func (g *generator) totals(o *srcOrder) {
	o.subtotal, o.discount = o.timeAmount, 0
	for _, l := range o.lines {
		if !l.voided {
			o.subtotal += l.price * int64(l.qty)
			o.discount += l.discount
		}
	}
	if g.r.IntN(8) == 0 {
		o.discount += min(10000, o.subtotal-o.discount)
	}
	if g.r.IntN(30) == 0 { // on the house
		o.discount = o.subtotal
	}
	base := o.subtotal - o.discount
	if g.r.IntN(3) == 0 {
		o.service = (base*5 + 50) / 100
	}
	o.total = base + o.service
	o.vat = (o.total*8 + 54) / 108
}

// settle pays a closed order: one to three methods, sometimes a refund paid again by another method,
// rarely more than the total (a line voided after paying).
func (g *generator) settle(o *srcOrder) {
	g.totals(o)
	left := o.total
	for i := 0; left > 0; i++ {
		amount := left
		if i < 2 && left > 2000 && g.r.IntN(3) == 0 {
			amount = 1000 + g.r.Int64N(left-1000)
		}
		o.payments = append(o.payments, srcPayment{id: db.NewID(), method: g.pick(methods), amount: amount})
		left -= amount
	}
	if len(o.payments) > 0 && g.r.IntN(5) == 0 {
		p := &o.payments[g.r.IntN(len(o.payments))]
		p.refunded = 1 + g.r.Int64N(p.amount)
		o.payments = append(o.payments, srcPayment{id: db.NewID(), method: g.pick(methods), amount: p.refunded})
	}
	if len(o.payments) > 0 && g.r.IntN(25) == 0 {
		o.payments = append(o.payments, srcPayment{id: db.NewID(), method: "cash", amount: 5000})
	}
}

// cancel makes o a cancelled order: whatever was paid was refunded first; the payload is the order before
// its lines were voided, so its totals still show them. Sent lines not voided before come back as a
// cancellation's void.
func (g *generator) cancel(w *world, o *srcOrder) {
	g.totals(o)
	o.cancelled = true
	if o.total > 0 && g.r.IntN(3) == 0 {
		o.payments = []srcPayment{{id: db.NewID(), method: g.pick(methods), amount: o.total, refunded: o.total}}
	}
	for _, l := range o.lines {
		if l.sent && !l.voided {
			w.voids = append(w.voids, srcVoid{order: o.id, shop: o.shop, actor: o.finishedBy, reason: "order cancelled: khách về",
				at: o.finishedAt, line: l})
		}
	}
}

// split is a party of a table split into two checks: the checks close paid, then the order they came from
// closes with nothing left on it.
func (g *generator) split(w *world, shop string, day int) {
	parent := g.order(w, shop, day, "dine_in")
	parent.guests = 2 + g.r.IntN(5)
	var live []srcLine
	for _, l := range parent.lines {
		if !l.voided {
			live = append(live, l)
		}
	}
	parent.lines = slices.DeleteFunc(parent.lines, func(l srcLine) bool { return !l.voided })
	cut := len(live) / 2
	for i, part := range [][]srcLine{live[:cut], live[cut:]} {
		check := &srcOrder{id: db.NewID(), shop: shop, typ: "dine_in", table: parent.table, place: parent.place,
			splitOf: parent.id, openedBy: parent.openedBy, finishedBy: parent.finishedBy, openedAt: parent.openedAt.Add(time.Minute),
			finishedAt: parent.finishedAt.Add(-time.Duration(2-i) * time.Minute), lines: part}
		g.settle(check)
		w.orders = append(w.orders, check)
	}
	parent.subtotal, parent.discount, parent.service, parent.vat, parent.total = 0, 0, 0, 0, 0
	w.orders = append(w.orders, parent)
}

// events are the events the world's producers wrote, one per fact, in the order things happened.
func (w *world) events() []events.Event {
	var out []events.Event
	add := func(typ, subject, shop string, at time.Time, data any) {
		b, err := json.Marshal(data)
		if err != nil {
			panic(err)
		}
		out = append(out, events.Event{ID: db.NewID(), Type: typ, Subject: subject, MerchantID: w.m, ShopID: shop,
			OccurredAt: at, Data: b})
	}
	for _, o := range w.orders {
		typ := EventOrderClosed
		if o.cancelled {
			typ = EventOrderCancelled
		}
		if o.merged {
			add(typ, OrderSubject, "", o.finishedAt, map[string]any{"order_id": o.id, "shop_id": o.shop,
				"reason": "merged into B1", "merged_into": db.NewID()})
			continue
		}
		data := map[string]any{"order_id": o.id, "shop_id": o.shop, "actor": o.finishedBy, "order": o.json()}
		if o.cancelled {
			data["reason"] = "khách về"
		}
		add(typ, OrderSubject, "", o.finishedAt, data) // the order module leaves the event's shop empty
	}
	for _, v := range w.voids {
		add(EventLinesVoided, OrderSubject, "", v.at, map[string]any{"order_id": v.order, "shop_id": v.shop, "actor": v.actor,
			"reason": v.reason, "approved_by": v.approvedBy, "lines": []map[string]any{{"order_line_id": v.line.id,
				"product_id": v.line.product, "category_id": v.line.category, "name": v.line.name, "quantity": v.line.qty,
				"amount": v.line.price * int64(v.line.qty)}}})
	}
	for _, t := range w.tickets {
		kind := "order"
		if t.void {
			kind = "void"
		}
		ticket := func(status string, ready *time.Time) map[string]any {
			var prep any
			if ready != nil {
				prep = int(ready.Sub(t.created) / time.Second)
			}
			return map[string]any{"id": t.id, "order_id": t.order, "shop_id": t.shop, "station": t.station, "kind": kind,
				"status": status, "label": "B1", "lines": []any{}, "created_at": t.created, "updated_at": t.created,
				"started_at": nil, "ready_at": ready, "served_at": nil, "prep_seconds": prep}
		}
		add(EventTicketCreated, KitchenSubject, t.shop, t.created, ticket("new", nil))
		for i, r := range t.readies {
			add(EventTicketStatus, KitchenSubject, t.shop, r, ticket("ready", &r))
			if i < len(t.readies)-1 { // recalled
				add(EventTicketStatus, KitchenSubject, t.shop, r.Add(time.Minute), ticket("preparing", nil))
			}
		}
	}
	for _, s := range w.shifts {
		add(EventShiftClosed, ShiftSubject, s.shop, s.closed, map[string]any{
			"shift": map[string]any{"id": s.id, "shop_id": s.shop, "cashier_id": s.cashier, "device_id": "", "status": "closed",
				"opening_cash": s.opening, "opened_at": s.opened, "closed_at": s.closed, "closed_by": s.cashier,
				"counted_cash": s.counted, "expected_cash": s.expected, "variance": s.delta, "note": ""},
			"expected_cash": s.expected, "variance": s.delta,
			"summary": map[string]any{"opening_cash": s.opening, "cash_sales": s.sales, "sales_count": s.salesCount,
				"cash_refunds": s.refunds, "refunds_count": s.refundsCount, "cash_in": s.cashIn, "cash_out": s.cashOut,
				"expected_cash": s.expected}})
	}
	// An event of a type reports ignore.
	add("order.updated", OrderSubject, w.shops[0], time.Now(), map[string]any{"id": "x"})
	return out
}

// json is the order as order.closed / order.cancelled carry it (the order module's Order).
func (o *srcOrder) json() map[string]any {
	lines := []map[string]any{}
	for _, l := range o.lines {
		status, amount := "new", l.price*int64(l.qty)
		switch {
		case l.voided:
			status, amount = "voided", 0
		case l.sent:
			status = "sent"
		}
		line := map[string]any{"id": l.id, "product_id": l.product, "name": l.name, "quantity": l.qty, "unit_price": l.price,
			"modifiers": []any{}, "note": "", "seat": 0, "course": 0, "station": "kitchen", "tax_class": "standard",
			"status": status, "amount": amount, "sent_at": nil, "created_at": o.openedAt, "category_id": l.category}
		if l.discount > 0 {
			line["discount"] = map[string]any{"kind": "fixed", "value": l.discount, "reason": "", "amount": l.discount}
		}
		if l.voided {
			line["void_reason"], line["voided_by"] = l.reason, l.voidedBy
			if l.approvedBy != "" {
				line["void_approved_by"] = l.approvedBy
			}
		}
		lines = append(lines, line)
	}
	pays := []map[string]any{}
	for _, p := range o.payments {
		status := "succeeded"
		if p.refunded == p.amount {
			status = "refunded"
		}
		pay := map[string]any{"id": p.id, "method": p.method, "amount": p.amount, "status": status}
		if p.refunded > 0 {
			pay["refunded"] = p.refunded
		}
		pays = append(pays, pay)
	}
	var paid int64
	for _, p := range o.payments {
		paid += p.amount - p.refunded
	}
	status := "closed"
	if o.cancelled {
		status = "cancelled"
	}
	out := map[string]any{"id": o.id, "shop_id": o.shop, "type": o.typ, "status": status, "table_id": o.table,
		"room_id": o.room, "place_name": o.place, "guests": o.guests, "note": "", "version": 7, "opened_by": o.openedBy,
		"opened_at": o.openedAt, "updated_at": o.finishedAt, "closed_at": o.finishedAt,
		"terms": map[string]any{"vat_rate_percent": 8, "prices_include_vat": true, "service_charge_percent": 0},
		"lines": lines, "payments": pays,
		"totals": map[string]any{"subtotal": o.subtotal, "discount": o.discount, "service_charge": o.service, "vat": o.vat,
			"total": o.total, "paid": paid, "amount_due": max(o.total-paid, 0)}}
	if o.splitOf != "" {
		out["split_of"] = o.splitOf
	}
	if o.cancelled {
		out["cancel_reason"] = "khách về"
	}
	if o.typ == "room" {
		out["time_charge"] = map[string]any{"running": false, "minutes": o.timeMinutes, "billed_minutes": o.timeMinutes,
			"amount": o.timeAmount, "segments": []any{}, "stints": []map[string]any{{"id": db.NewID(), "room_id": o.room,
				"room_type": "vip", "started_at": o.openedAt, "ended_at": o.finishedAt}}}
	}
	return out
}
