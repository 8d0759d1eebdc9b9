package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
)

// request sends a JSON request with extra headers and returns the status and raw body.
func request(t *testing.T, method, url, token string, headers map[string]string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}

// eventually polls check until it holds or the deadline passes: the stock projection follows the order
// through the outbox and the bus, so the test waits for it the way a screen would.
func eventually(t *testing.T, what string, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		ok, state := check()
		if ok {
			return
		}
		last = state
		time.Sleep(20 * time.Millisecond) // polling interval of a condition with a deadline, not a wait for an effect
	}
	t.Fatalf("%s: still %s after 15 s", what, last)
}

// The restaurant workflow through the real server, on both engines: the owner sets up a menu with a recipe,
// a cashier and the kitchen sign in with PINs, the kitchen display listens on SSE, two terminals add lines
// to one order at once (with a retried Idempotency-Key), the order goes to the kitchen, the display gets the
// ticket and bumps it, stock is deducted through the order events, and a cancel brings the stock back.
func TestRestaurantWorkflowThroughTheServer(t *testing.T) {
	for _, dialect := range dbtest.Dialects() {
		t.Run(string(dialect), func(t *testing.T) {
			cfg := testConfig(t)
			if dialect == db.Postgres {
				cfg.DatabaseURL = dbtest.URL(t, db.Postgres)
			}
			base, _ := start(t, cfg, modules())
			w := &isolationWorld{base: base}
			owner := w.must(t, "POST", "/api/v1/auth/register", "", map[string]string{"email": "chu@quan.vn",
				"password": "Quán ăn ngon 2026", "full_name": "Chủ quán", "merchant_name": "Quán Phở"}, 201)["access_token"].(string)
			shopID := w.must(t, "POST", "/api/v1/shops", owner, map[string]any{"name": "Phở Hà Nội", "business_type": "restaurant",
				"vat_rate_percent": 8}, 201)["id"].(string)
			sp := "/api/v1/shops/" + shopID
			area := w.must(t, "POST", sp+"/areas", owner, map[string]any{"name": "Tầng 1"}, 201)["id"].(string)
			table := w.must(t, "POST", sp+"/tables", owner, map[string]any{"area_id": area, "name": "Bàn 5", "seats": 4}, 201)["id"].(string)
			cat := w.must(t, "POST", "/api/v1/categories", owner, map[string]any{"name": "Món chính", "station": "kitchen"}, 201)["id"].(string)
			pho := w.must(t, "POST", "/api/v1/products", owner, map[string]any{"name": "Phở bò tái", "category_id": cat, "price": 55000}, 201)["id"].(string)
			noodles := w.must(t, "POST", sp+"/stock-items", owner, map[string]any{"name": "Bánh phở", "unit": "g", "reorder_level": 100}, 201)["stock_item_id"].(string)
			w.must(t, "POST", sp+"/stock-movements", owner, map[string]any{"stock_item_id": noodles, "kind": "receipt", "quantity": 2, "unit": "kg", "unit_cost": 20}, 201)
			w.must(t, "PUT", "/api/v1/products/"+pho+"/recipe", owner, map[string]any{"ingredients": []map[string]any{{"stock_item_id": noodles, "quantity": 200}}}, 200)
			pinLogin := func(name, role, pin string) string {
				staff := w.must(t, "POST", sp+"/staff", owner, map[string]any{"full_name": name, "role": role, "pin": pin}, 201)["id"].(string)
				return w.must(t, "POST", "/api/v1/auth/pin-login", "", map[string]any{"shop_id": shopID, "staff_id": staff, "pin": pin}, 200)["access_token"].(string)
			}
			cashier, cook := pinLogin("Thu Ngân", "cashier", "2580"), pinLogin("Đầu Bếp", "kitchen", "4826")

			// The kitchen display listens to its station.
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", base+sp+"/events?topics=kitchen.kitchen", nil)
			req.Header.Set("Authorization", "Bearer "+cook)
			res, err := http.DefaultClient.Do(req)
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("KDS stream: %v %v", res, err)
			}
			defer res.Body.Close()
			kds := make(chan string, 16)
			go func() {
				sc := bufio.NewScanner(res.Body)
				var event string
				for sc.Scan() {
					line := sc.Text()
					switch {
					case strings.HasPrefix(line, "event: "):
						event = strings.TrimPrefix(line, "event: ")
					case strings.HasPrefix(line, "data: "):
						kds <- event + " " + strings.TrimPrefix(line, "data: ")
					}
				}
			}()

			orderID := w.must(t, "POST", sp+"/orders", cashier, map[string]any{"type": "dine_in", "table_id": table, "guests": 3}, 201)["id"].(string)
			op := "/api/v1/orders/" + orderID
			// Two terminals add three lines each at once; the cashier's first add is retried with its key.
			var wg sync.WaitGroup
			var first []byte
			for term, token := range map[string]string{"a": cashier, "b": owner} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 3 {
						key := fmt.Sprintf("%s-%d", term, i)
						code, body := request(t, "POST", base+op+"/lines", token, map[string]string{"Idempotency-Key": key},
							map[string]any{"product_id": pho, "quantity": 1, "note": "terminal " + term})
						if code != 201 {
							t.Errorf("terminal %s add %d: %d %s", term, i, code, body)
						}
						if key == "a-0" {
							first = body
						}
					}
				}()
			}
			wg.Wait()
			code, replay := request(t, "POST", base+op+"/lines", cashier, map[string]string{"Idempotency-Key": "a-0"},
				map[string]any{"product_id": pho, "quantity": 1, "note": "terminal a"})
			if code != 201 || !bytes.Equal(replay, first) {
				t.Errorf("retried add: %d, same answer %v", code, bytes.Equal(replay, first))
			}
			got := w.must(t, "GET", op, cashier, nil, 200)
			if lines := got["lines"].([]any); len(lines) != 6 {
				t.Fatalf("%d lines after two terminals added 3 each (and one retry), want 6", len(lines))
			}
			if total := got["totals"].(map[string]any)["total"].(float64); total != 6*55000 {
				t.Errorf("total %v", total)
			}

			submitted := w.must(t, "POST", op+"/submit", cashier, nil, 200)
			tickets := submitted["tickets"].([]any)
			if len(tickets) != 1 || len(tickets[0].(map[string]any)["lines"].([]any)) != 6 {
				t.Fatalf("tickets: %v", tickets)
			}
			ticketID := tickets[0].(map[string]any)["id"].(string)
			select {
			case ev := <-kds:
				if !strings.HasPrefix(ev, "ticket.created ") || !strings.Contains(ev, ticketID) || !strings.Contains(ev, "Bàn 5") {
					t.Errorf("KDS got %s", ev)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("the kitchen display never got the ticket")
			}
			if again := w.must(t, "POST", op+"/submit", cashier, nil, 200)["tickets"].([]any); len(again) != 0 {
				t.Errorf("resubmitting created %d tickets", len(again))
			}
			board := w.must(t, "GET", sp+"/kitchen/tickets?station=kitchen", cook, nil, 200)["items"].([]any)
			if len(board) != 1 {
				t.Fatalf("board: %v", board)
			}
			if st := w.must(t, "POST", "/api/v1/kitchen/tickets/"+ticketID+"/bump", cook, nil, 200)["status"]; st != "preparing" {
				t.Errorf("bumped to %v", st)
			}
			w.must(t, "POST", "/api/v1/kitchen/tickets/"+ticketID+"/status", cook, map[string]any{"status": "new"}, 422)
			w.must(t, "POST", "/api/v1/kitchen/tickets/"+ticketID+"/bump", cook, nil, 200)
			w.must(t, "POST", "/api/v1/kitchen/tickets/"+ticketID+"/bump", cook, nil, 200)
			eventually(t, "the order served once its ticket is", func() (bool, string) {
				st := w.must(t, "GET", op, cashier, nil, 200)["status"].(string)
				return st == "served", st
			})

			level := func() (bool, string) {
				stock := w.must(t, "GET", sp+"/stock", owner, nil, 200)["items"].([]any)
				q := stock[0].(map[string]any)["quantity"]
				return false, fmt.Sprint(q)
			}
			eventually(t, "stock after six phở", func() (bool, string) { _, q := level(); return q == "800", q })
			w.must(t, "POST", op+"/cancel", cashier, map[string]any{"reason": "khách về"}, 200)
			eventually(t, "stock after the cancel", func() (bool, string) { _, q := level(); return q == "2000", q })
		})
	}
}

// The karaoke workflow through the real server: a rate plan for VIP rooms, a room opened, drinks added and
// sent to the bar, the bill asked for (the time stops and is priced by the same engine as the quote), a cash
// payment with change, and the order closed with the room free again.
func TestKaraokeWorkflowThroughTheServer(t *testing.T) {
	base, _ := start(t, testConfig(t), modules())
	w := &isolationWorld{base: base}
	owner := w.must(t, "POST", "/api/v1/auth/register", "", map[string]string{"email": "karaoke@quan.vn",
		"password": "Hát cho vui 2026", "full_name": "Chủ quán", "merchant_name": "Karaoke Vui"}, 201)["access_token"].(string)
	shopID := w.must(t, "POST", "/api/v1/shops", owner, map[string]any{"name": "Karaoke Vui", "business_type": "karaoke",
		"vat_rate_percent": 8}, 201)["id"].(string)
	sp := "/api/v1/shops/" + shopID
	room := w.must(t, "POST", sp+"/rooms", owner, map[string]any{"name": "VIP 1", "room_type": "vip"}, 201)["id"].(string)
	w.must(t, "PUT", sp+"/rate-plans/vip", owner, map[string]any{"block_minutes": 15, "minimum_minutes": 60, "bands": []map[string]any{
		{"day_type": "weekday", "start": "00:00", "end": "24:00", "price_per_hour": 240000}}}, 200)
	cat := w.must(t, "POST", "/api/v1/categories", owner, map[string]any{"name": "Đồ uống", "station": "bar"}, 201)["id"].(string)
	beer := w.must(t, "POST", "/api/v1/products", owner, map[string]any{"name": "Bia Hà Nội", "category_id": cat, "price": 25000}, 201)["id"].(string)

	o := w.must(t, "POST", sp+"/orders", owner, map[string]any{"type": "room", "room_id": room, "guests": 8}, 201)
	op := "/api/v1/orders/" + o["id"].(string)
	if tc, _ := o["time_charge"].(map[string]any); tc == nil || tc["running"] != true {
		t.Fatalf("a room order starts its time: %v", o["time_charge"])
	}
	w.must(t, "POST", op+"/lines", owner, map[string]any{"product_id": beer, "quantity": 10}, 201)
	if tickets := w.must(t, "POST", op+"/submit", owner, nil, 200)["tickets"].([]any); len(tickets) != 1 ||
		tickets[0].(map[string]any)["station"] != "bar" {
		t.Fatalf("drinks go to the bar: %v", tickets)
	}
	// Paying while the time runs is refused: the amount is not final.
	w.must(t, "POST", op+"/payments", owner, map[string]any{"method": "cash", "amount": 1000}, 409)
	billed := w.must(t, "POST", op+"/bill", owner, nil, 200)
	tc := billed["time_charge"].(map[string]any)
	if billed["status"] != "billing" || tc["running"] != false || tc["billed_minutes"].(float64) != 60 || tc["amount"].(float64) != 240000 {
		t.Fatalf("bill: status %v, time %v", billed["status"], tc)
	}
	due := billed["totals"].(map[string]any)["amount_due"].(float64)
	if due != 250000+240000 {
		t.Fatalf("due %v, want 10 beers and the minimum hour", due)
	}
	// Overpaying is refused; a part in cash, then the rest with change.
	w.must(t, "POST", op+"/payments", owner, map[string]any{"method": "cash", "amount": due + 1}, 409)
	w.must(t, "POST", op+"/payments", owner, map[string]any{"method": "cash", "amount": 90000}, 201)
	w.must(t, "POST", op+"/close", owner, nil, 409)
	paid := w.must(t, "POST", op+"/payments", owner, map[string]any{"method": "cash", "amount": due - 90000, "tendered": 500000}, 201)
	if paid["change"].(float64) != 500000-(due-90000) {
		t.Errorf("change %v", paid["change"])
	}
	order := paid["order"].(map[string]any)
	if order["status"] != "paid" || order["totals"].(map[string]any)["amount_due"].(float64) != 0 || len(order["payments"].([]any)) != 2 {
		t.Fatalf("after paying: %v %v", order["status"], order["totals"])
	}
	code, page := request(t, "GET", base+op+"/receipt", owner, nil, nil)
	if code != 200 || !strings.Contains(string(page), "TỔNG CỘNG") || !strings.Contains(string(page), "Bia Hà Nội") ||
		!strings.Contains(string(page), "Giờ hát: ") {
		t.Errorf("receipt page: %d\n%s", code, page)
	}
	closed := w.must(t, "POST", op+"/close", owner, nil, 200)
	if closed["status"] != "closed" {
		t.Fatalf("close: %v", closed["status"])
	}
	w.must(t, "POST", sp+"/orders", owner, map[string]any{"type": "room", "room_id": room}, 201)
}

// A customer orders from a table's QR code through the real server: with the shop's default the lines wait
// for staff; after the shop lets QR orders go straight to the kitchen they are sent at once. A rotated or
// unknown token is 404, another merchant's product 422, and nobody signs in.
func TestQRSelfOrderThroughTheServer(t *testing.T) {
	base, _ := start(t, testConfig(t), modules())
	w := &isolationWorld{base: base}
	owner := w.must(t, "POST", "/api/v1/auth/register", "", map[string]string{"email": "qr@quan.vn",
		"password": "Gọi món bằng QR 2026", "full_name": "Chủ quán", "merchant_name": "Quán QR"}, 201)["access_token"].(string)
	shopID := w.must(t, "POST", "/api/v1/shops", owner, map[string]any{"name": "Cà phê QR", "business_type": "cafe",
		"vat_rate_percent": 8}, 201)["id"].(string)
	sp := "/api/v1/shops/" + shopID
	area := w.must(t, "POST", sp+"/areas", owner, map[string]any{"name": "Sân"}, 201)["id"].(string)
	table := w.must(t, "POST", sp+"/tables", owner, map[string]any{"area_id": area, "name": "S1", "seats": 2}, 201)
	token := table["qr_token"].(string)
	cat := w.must(t, "POST", "/api/v1/categories", owner, map[string]any{"name": "Cà phê", "station": "bar"}, 201)["id"].(string)
	coffee := w.must(t, "POST", "/api/v1/products", owner, map[string]any{"name": "Bạc xỉu", "category_id": cat, "price": 32000}, 201)["id"].(string)

	placed := w.must(t, "POST", "/api/v1/public/tables/"+token+"/orders", "", map[string]any{"lines": []map[string]any{
		{"product_id": coffee, "quantity": 2, "note": "ít ngọt"}}}, 201)
	if placed["needs_confirmation"] != true || placed["total"].(float64) != 64000 ||
		placed["lines"].([]any)[0].(map[string]any)["status"] != "new" {
		t.Fatalf("first QR order: %v", placed)
	}
	orders := w.must(t, "GET", sp+"/orders", owner, nil, 200)["items"].([]any)
	if len(orders) != 1 || orders[0].(map[string]any)["table_id"] != table["id"] {
		t.Fatalf("staff see %v", orders)
	}
	info := w.must(t, "GET", "/api/v1/public/tables/"+token, "", nil, 200)
	if info["shop_id"] != shopID || info["shop_name"] != "Cà phê QR" || info["place_name"] != "S1" || info["kind"] != "table" ||
		info["needs_confirmation"] != true || info["shared_table"] != false {
		t.Fatalf("QR table: %v", info)
	}
	status := w.must(t, "GET", "/api/v1/public/tables/"+token+"/order", "", nil, 200)
	if status["order_id"] != placed["order_id"] || status["status"] != "open" || status["amount_due"].(float64) != 64000 {
		t.Fatalf("QR order status: %v", status)
	}
	w.must(t, "POST", "/api/v1/public/tables/"+token+"/call-staff", "", map[string]any{"reason": "bill"}, 202)
	w.must(t, "POST", "/api/v1/public/tables/"+token+"/call-staff", "", map[string]any{"reason": "dance"}, 422)
	w.must(t, "GET", "/api/v1/public/tables/not-a-real-token-000", "", nil, 404)
	w.must(t, "PATCH", sp, owner, map[string]any{"qr_orders_need_confirmation": false}, 200)
	again := w.must(t, "POST", "/api/v1/public/tables/"+token+"/orders", "", map[string]any{"lines": []map[string]any{
		{"product_id": coffee, "quantity": 1}}}, 201)
	lines := again["lines"].([]any)
	if again["order_id"] != placed["order_id"] || len(lines) != 2 || lines[1].(map[string]any)["status"] != "sent" ||
		lines[0].(map[string]any)["status"] != "sent" {
		t.Fatalf("second QR order joins the table's order and goes to the kitchen: %v", again)
	}
	w.must(t, "POST", "/api/v1/public/tables/not-a-real-token-000/orders", "", map[string]any{"lines": []map[string]any{
		{"product_id": coffee, "quantity": 1}}}, 404)
	w.must(t, "POST", "/api/v1/public/tables/"+token+"/orders", "", map[string]any{"lines": []map[string]any{
		{"product_id": "0190c0de-0000-7000-8000-000000000000", "quantity": 1}}}, 422)
	w.must(t, "POST", "/api/v1/public/tables/"+token+"/orders", "", map[string]any{"lines": []map[string]any{
		{"product_id": coffee, "quantity": 0}}}, 422)
	// A shop that lets parties share a table: each phone's orders are its own check.
	w.must(t, "PATCH", sp, owner, map[string]any{"several_orders_per_table": true}, 200)
	own := w.must(t, "POST", "/api/v1/public/tables/"+token+"/orders", "", map[string]any{"lines": []map[string]any{
		{"product_id": coffee, "quantity": 1}}}, 201)
	if own["order_id"] == placed["order_id"] || len(own["lines"].([]any)) != 1 {
		t.Fatalf("a party at a shared table gets its own order: %v", own)
	}
	more := w.must(t, "POST", "/api/v1/public/tables/"+token+"/orders", "", map[string]any{"order_id": own["order_id"],
		"lines": []map[string]any{{"product_id": coffee, "quantity": 2}}}, 201)
	if more["order_id"] != own["order_id"] || len(more["lines"].([]any)) != 2 {
		t.Fatalf("the party's second round joins its order: %v", more)
	}
	w.must(t, "POST", "/api/v1/public/tables/"+token+"/orders", "", map[string]any{"order_id": "0190c0de-0000-7000-8000-000000000000",
		"lines": []map[string]any{{"product_id": coffee, "quantity": 1}}}, 422)
	if orders := w.must(t, "GET", sp+"/orders", owner, nil, 200)["items"].([]any); len(orders) != 2 {
		t.Fatalf("staff see both orders at the table: %v", orders)
	}
	w.must(t, "POST", sp+"/tables/"+table["id"].(string)+"/qr-token", owner, nil, 200)
	w.must(t, "POST", "/api/v1/public/tables/"+token+"/orders", "", map[string]any{"lines": []map[string]any{
		{"product_id": coffee, "quantity": 1}}}, 404)
}

func TestVoidAboveTheThresholdWithAManagersPIN(t *testing.T) {
	base, _ := start(t, testConfig(t), modules())
	w := &isolationWorld{base: base}
	owner := w.must(t, "POST", "/api/v1/auth/register", "", map[string]string{"email": "huy@quan.vn",
		"password": "Huỷ món phải duyệt 2026", "full_name": "Chủ quán", "merchant_name": "Quán Lẩu"}, 201)["access_token"].(string)
	shopID := w.must(t, "POST", "/api/v1/shops", owner, map[string]any{"name": "Lẩu Thái", "business_type": "restaurant",
		"vat_rate_percent": 8}, 201)["id"].(string)
	sp := "/api/v1/shops/" + shopID
	w.must(t, "PATCH", sp, owner, map[string]any{"void_approval_threshold": 100000}, 200)
	cat := w.must(t, "POST", "/api/v1/categories", owner, map[string]any{"name": "Lẩu", "station": "kitchen"}, 201)["id"].(string)
	hotpot := w.must(t, "POST", "/api/v1/products", owner, map[string]any{"name": "Lẩu Thái hải sản", "category_id": cat, "price": 250000}, 201)["id"].(string)
	staff := func(name, role, pin string) (string, string) {
		id := w.must(t, "POST", sp+"/staff", owner, map[string]any{"full_name": name, "role": role, "pin": pin}, 201)["id"].(string)
		token := w.must(t, "POST", "/api/v1/auth/pin-login", "", map[string]any{"shop_id": shopID, "staff_id": id, "pin": pin}, 200)["access_token"].(string)
		return id, token
	}
	cashierID, cashier := staff("Thu Ngân", "cashier", "2580")
	managerID, _ := staff("Quản Lý", "manager", "7913")

	orderID := w.must(t, "POST", sp+"/orders", cashier, map[string]any{"type": "takeaway"}, 201)["id"].(string)
	op := "/api/v1/orders/" + orderID
	line := w.must(t, "POST", op+"/lines", cashier, map[string]any{"product_id": hotpot, "quantity": 1}, 201)["lines"].([]any)[0].(map[string]any)["id"].(string)
	w.must(t, "POST", op+"/submit", cashier, nil, 200)
	void := op + "/lines/" + line + "/void"
	w.must(t, "POST", void, cashier, map[string]any{"reason": "khách đổi món"}, 403)
	w.must(t, "POST", void, cashier, map[string]any{"reason": "khách đổi món", "approval": map[string]any{"staff_id": cashierID, "pin": "2580"}}, 403)
	w.must(t, "POST", void, cashier, map[string]any{"reason": "khách đổi món", "approval": map[string]any{"staff_id": managerID, "pin": "0000"}}, 401)
	w.must(t, "POST", void, cashier, map[string]any{"reason": "khách đổi món", "approval": map[string]any{"staff_id": managerID, "pin": "12"}}, 422)
	if o := w.must(t, "GET", op, cashier, nil, 200); o["lines"].([]any)[0].(map[string]any)["status"] != "sent" {
		t.Fatalf("a refused void changed the line: %v", o)
	}
	o := w.must(t, "POST", void, cashier, map[string]any{"reason": "khách đổi món", "approval": map[string]any{"staff_id": managerID, "pin": "7913"}}, 200)
	if l := o["lines"].([]any)[0].(map[string]any); l["status"] != "voided" || l["void_approved_by"] != managerID {
		t.Fatalf("approved void: %v", l)
	}
	found := false
	for _, e := range w.must(t, "GET", "/api/v1/audit-log", owner, nil, 200)["items"].([]any) {
		e := e.(map[string]any)
		if e["event"] == "order.void_approved" {
			found = fmt.Sprint(e) != "" && strings.Contains(fmt.Sprint(e), managerID) && strings.Contains(fmt.Sprint(e), cashierID)
		}
	}
	if !found {
		t.Error("the approved void is not in the audit log with both people")
	}
}
