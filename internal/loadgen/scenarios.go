package loadgen

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// The workflows, one cycle each. A terminal's first cycle takes every branch of its workflow (a second
// round of lines, a split bill, VietQR and cash), so that even a short run exercises all of it; later cycles
// draw their branches.

// restaurant: open a table, add lines with modifiers, send them to the kitchen (maybe a second round), show the
// bill, sometimes split it, pay each part in cash or by VietQR, close.
func (w *worker) restaurant() error {
	first := w.cycles == 0
	ids := make([]string, len(w.tables))
	for i, t := range w.tables {
		ids[i] = t.ID
	}
	table, err := w.place(ids)
	if err != nil {
		return err
	}
	o, err := w.openOrder("restaurant.open_order", map[string]any{"type": "dine_in", "table_id": table,
		"guests": 1 + w.rng.IntN(6)}, table)
	if err != nil || o == nil {
		return err
	}
	rounds := 1
	if first || w.rng.IntN(10) < 4 {
		rounds = 2
	}
	for r := range rounds {
		n := 1 + w.rng.IntN(3)
		if first && r == 0 {
			n = 3
		}
		if err := w.addLines("restaurant.add_line", o, n, 0.6); err != nil {
			return err
		}
		if err := w.submit("restaurant.submit", o); err != nil {
			return err
		}
	}
	// The guests ask for the bill.
	if _, err := w.act(call{op: "restaurant.get_order", method: http.MethodGet, path: "/api/v1/orders/" + o.ID,
		want: http.StatusOK, out: o}); err != nil {
		return err
	}
	if live := o.liveLines(); (first || w.rng.IntN(4) == 0) && len(live) >= 2 {
		var res splitResult
		if _, err := w.act(call{op: "restaurant.split", method: http.MethodPost, path: "/api/v1/orders/" + o.ID + "/split",
			idem: true, body: map[string]any{"groups": [][]string{live[:len(live)/2]}, "expected_version": o.Version},
			want: http.StatusOK, out: &res, check: func() error {
				if len(res.Checks) != 1 || res.Checks[0].Totals.AmountDue <= 0 {
					return fmt.Errorf("split made %d checks, want 1 with something due", len(res.Checks))
				}
				return nil
			}}); err != nil {
			return err
		}
		check := res.Checks[0]
		w.open = append(w.open, check.ID)
		*o = res.Order
		method := w.method(0.5)
		if first {
			method = vietQR
		}
		if err := w.settle("restaurant", &check, method); err != nil {
			return err
		}
	}
	method := w.method(0.3)
	if first {
		method = cash
	}
	return w.settle("restaurant", o, method)
}

// method draws VietQR with probability p, else cash.
func (w *worker) method(p float64) payMethod {
	if w.rng.Float64() < p {
		return vietQR
	}
	return cash
}

// karaoke: open a room (its time starts), add drinks and snacks in rounds sent to the bar and the kitchen,
// check out (the time stops and is priced by the rate plan), pay in cash or by VietQR, close.
func (w *worker) karaoke() error {
	first := w.cycles == 0
	room, err := w.place(w.rooms)
	if err != nil {
		return err
	}
	o, err := w.openOrder("karaoke.open_room", map[string]any{"type": "room", "room_id": room, "guests": 2 + w.rng.IntN(9)}, room)
	if err != nil || o == nil {
		return err
	}
	for range 1 + w.rng.IntN(3) {
		if err := w.addLines("karaoke.add_line", o, 1+w.rng.IntN(3), 0.2); err != nil {
			return err
		}
		if err := w.submit("karaoke.submit", o); err != nil {
			return err
		}
	}
	if _, err := w.act(call{op: "karaoke.bill", method: http.MethodPost, path: "/api/v1/orders/" + o.ID + "/bill", idem: true,
		want: http.StatusOK, out: o, check: func() error {
			if o.TimeCharge == nil || o.TimeCharge.Running || o.Totals.AmountDue <= 0 {
				return errors.New("the bill did not stop and price the room's time")
			}
			return nil
		}}); err != nil {
		return err
	}
	method := w.method(0.25)
	if first {
		method = cash
	} else if w.cycles == 1 {
		method = vietQR
	}
	return w.settle("karaoke", o, method)
}

// qrCustomer: a customer scans the table's QR code (the table's page and the menu, which the phone caches
// with its ETag), orders in one or two rounds and watches the order; the shop's cashier confirms the order to
// the kitchen, takes the money in cash and closes it.
func (w *worker) qrCustomer() error {
	pub := "/api/v1/public/tables/" + w.tables[0].QRToken
	if _, err := w.act(call{op: "qr.table", method: http.MethodGet, path: pub, want: http.StatusOK}); err != nil {
		return err
	}
	var header [][2]string
	if w.etag != "" {
		header = [][2]string{{"If-None-Match", w.etag}}
	}
	var etag string
	status, err := w.act(call{op: "qr.menu", method: http.MethodGet, path: "/api/v1/public/shops/" + w.shop.id + "/menu",
		header: header, etag: &etag, want: http.StatusOK, resolves: []int{http.StatusNotModified}})
	if err != nil {
		return err
	}
	if status == http.StatusOK {
		w.etag = etag
	}
	var placed qrOrder
	for r := range 1 + w.rng.IntN(2) {
		lines := make([]map[string]any, 1+w.rng.IntN(3))
		for i := range lines {
			lines[i] = w.lineBody(w.pick(0.5), 2)
		}
		if _, err := w.actPublic(call{op: "qr.place_order", method: http.MethodPost, path: pub + "/orders", idem: true,
			body: map[string]any{"lines": lines}, want: http.StatusCreated, out: &placed, check: func() error {
				if placed.OrderID == "" {
					return errors.New("no order id")
				}
				return nil
			}}); err != nil {
			return err
		}
		if r == 0 {
			w.open = append(w.open, placed.OrderID)
		}
		if _, err := w.actPublic(call{op: "qr.order_status", method: http.MethodGet, path: pub + "/order", want: http.StatusOK}); err != nil {
			return err
		}
	}
	o := &order{ID: placed.OrderID}
	if err := w.submit("qr.confirm", o); err != nil {
		return err
	}
	return w.settle("qr", o, cash)
}

// actPublic is an action of the customer's phone: a pause, then the request without the staff's session.
func (w *worker) actPublic(c call) (int, error) {
	if err := w.pause(); err != nil {
		return 0, err
	}
	return w.e.cl.do(w.e.hard, c)
}

// dashboard: a manager reads the last week's revenue of the shop, today's end-of-day report and (when the
// server has it) the staff performance.
func (w *worker) dashboard() error {
	today := time.Now().In(vietnam)
	to, from := today.Format(time.DateOnly), today.AddDate(0, 0, -6).Format(time.DateOnly)
	rangeQuery := url.Values{"from": {from}, "to": {to}, "shop_id": {w.shop.id}}.Encode()
	if _, err := w.act(call{op: "dashboard.revenue", method: http.MethodGet, path: pathRevenue + "?" + rangeQuery,
		want: http.StatusOK}); err != nil {
		return err
	}
	if _, err := w.act(call{op: "dashboard.end_of_day", method: http.MethodGet,
		path: "/api/v1/shops/" + w.shop.id + "/reports/end-of-day?date=" + to, want: http.StatusOK}); err != nil {
		return err
	}
	if w.e.caps.staffReport {
		if _, err := w.act(call{op: "dashboard.staff_performance", method: http.MethodGet,
			path: pathStaffPerfm + "?" + rangeQuery, want: http.StatusOK}); err != nil {
			return err
		}
	}
	return nil
}
