package booking_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/booking"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/httpapi/httpapitest"
	"github.com/goodgo/goodgo/internal/platform/rbac"
)

// The principals of world, by token name.
const (
	ownerA    = "owner-a"
	ownerB    = "owner-b"
	cashierA1 = "cashier-a1"
	kitchenA1 = "kitchen-a1"
	waiterA2  = "waiter-a2"
)

// world is env over HTTP, with merchant A's owner, A1's cashier and kitchen, A2's waiter and B's owner.
type world struct {
	*env
	api     huma.API
	handler http.Handler
}

func newWorld(t *testing.T, d *db.DB) *world {
	t.Helper()
	e := newEnv(t, d)
	shopRole := func(shop, role string) *httpapi.Principal {
		return &httpapi.Principal{UserID: role + "-user", MerchantID: e.a, ShopRoles: map[string][]string{shop: {role}}, Kind: "staff"}
	}
	principals := httpapitest.Tokens{
		ownerA:    {UserID: "owner-of-a", MerchantID: e.a, Roles: []string{"owner"}, Kind: "user"},
		ownerB:    {UserID: "owner-of-b", MerchantID: e.b, Roles: []string{"owner"}, Kind: "user"},
		cashierA1: shopRole(e.a1, "cashier"),
		kitchenA1: shopRole(e.a1, "kitchen"),
		waiterA2:  shopRole(e.a2, "waiter"),
	}
	srv := httpapitest.NewServer(t, httpapi.Config{}, d, e.clk, principals)
	e.svc.Routes(srv.API)
	return &world{env: e, api: srv.API, handler: srv.Handler()}
}

// call sends a request as the principal named token and returns the status and the decoded JSON body.
func (w *world) call(t *testing.T, token, method, path string, body any, headers ...string) (int, map[string]any) {
	t.Helper()
	return httpapitest.Call(t, w.handler, token, method, path, body, headers...)
}

// body is a valid create-booking body for table B4 of A1 over [start, end), times sent with +07:00.
func (w *world) body(start, end time.Time) map[string]any {
	return map[string]any{"table_id": w.t4.ID, "starts_at": start.In(vietnam).Format(time.RFC3339),
		"ends_at": end.In(vietnam).Format(time.RFC3339), "party_size": 4, "customer_name": "Trần Thị Bình",
		"customer_phone": "+84 987 654 321", "note": "sinh nhật"}
}

var vietnam = time.FixedZone("ICT", 7*60*60)

// bookOverHTTP creates a booking of B4 for [start, end) as A1's cashier and returns its id.
func (w *world) bookOverHTTP(t *testing.T, start, end time.Time) string {
	t.Helper()
	code, b := w.call(t, cashierA1, "POST", "/api/v1/shops/"+w.a1+"/bookings", w.body(start, end))
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, b)
	}
	return b["id"].(string)
}

type operation struct{ id, method, path string }

func operations(t *testing.T, api huma.API) []operation {
	t.Helper()
	var ops []operation
	for path, item := range api.OpenAPI().Paths {
		for method, op := range map[string]*huma.Operation{http.MethodGet: item.Get, http.MethodPost: item.Post,
			http.MethodPatch: item.Patch, http.MethodDelete: item.Delete, http.MethodPut: item.Put} {
			if op == nil || op.OperationID == "" {
				continue
			}
			if perm, _ := rbac.Declaration(op); perm != rbac.FloorRead {
				t.Errorf("operation %s declares %q, want %s", op.OperationID, perm, rbac.FloorRead)
			}
			ops = append(ops, operation{id: op.OperationID, method: method, path: path})
		}
	}
	slices.SortFunc(ops, func(a, b operation) int { return strings.Compare(a.id, b.id) })
	return ops
}

// request is what an operation is sent in the access tests: its URL (shop A1, booking id) and a valid body.
func (w *world) request(op operation, bookingID string) (string, any) {
	u := strings.NewReplacer("{shop_id}", w.a1, "{booking_id}", bookingID).Replace(op.path)
	now := w.clk.Now()
	switch op.id {
	case "create-booking": // B6: the tests book B4 before calling the operation
		b := w.body(now.Add(30*time.Minute), now.Add(time.Hour))
		b["table_id"] = w.t6.ID
		return u, b
	case "update-booking":
		return u, map[string]any{"party_size": 3}
	case "get-booking-availability":
		q := url.Values{"starts_at": {now.Format(time.RFC3339)}, "ends_at": {now.Add(time.Hour).Format(time.RFC3339)},
			"party_size": {"2"}}
		return u + "?" + q.Encode(), nil
	case "cancel-booking":
		return u, map[string]any{"reason": "khách hủy"}
	}
	return u, nil
}

func TestConcurrentRequestsForOneSlotCreateExactlyOne(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		const n = 20
		codes := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				codes[i], _ = w.call(t, cashierA1, "POST", "/api/v1/shops/"+w.a1+"/bookings", w.body(at(1), at(3)))
			})
		}
		wg.Wait()
		created := 0
		for _, c := range codes {
			switch c {
			case http.StatusCreated:
				created++
			case http.StatusConflict:
			default:
				t.Errorf("status %d, want 201 or 409", c)
			}
		}
		if created != 1 {
			t.Fatalf("%d of %d concurrent requests for one slot got 201, want 1 (%v)", created, n, codes)
		}
	})
}

func TestEveryBookingRouteIsNotFoundOutsideTheCallersShops(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		ops := operations(t, w.api)
		if len(ops) != 9 {
			t.Fatalf("%d operations: %v", len(ops), ops)
		}
		id := w.bookOverHTTP(t, at(1), at(3))
		before, _ := w.svc.Booking(context.Background(), w.a, id)
		for _, op := range ops {
			u, body := w.request(op, id)
			for _, token := range []string{ownerB, waiterA2} {
				if code, resp := w.call(t, token, op.method, u, body); code != http.StatusNotFound {
					t.Errorf("%s %s as %s: %d %v, want 404", op.method, u, token, code, resp)
				}
			}
			if code, _ := w.call(t, "", op.method, u, body); code != http.StatusUnauthorized {
				t.Errorf("%s %s anonymously: %d, want 401", op.method, u, code)
			}
		}
		if after, _ := w.svc.Booking(context.Background(), w.a, id); after != before {
			t.Fatalf("refused calls changed the booking: %+v → %+v", before, after)
		}
		if page, _ := w.svc.List(context.Background(), w.a, w.a1, booking.ListQuery{}); len(page.Items) != 1 {
			t.Fatalf("refused calls created bookings: %+v", page.Items)
		}

		// Every shop role of A1 (the kitchen too) may call each operation, on a fresh booking that starts now.
		if _, err := w.svc.Cancel(context.Background(), w.a, id, ""); err != nil {
			t.Fatal(err)
		}
		for _, token := range []string{cashierA1, kitchenA1, ownerA} {
			for _, op := range ops {
				w.clk.Advance(2 * time.Hour)
				now := w.clk.Now()
				id := w.bookOverHTTP(t, now, now.Add(time.Hour))
				u, body := w.request(op, id)
				if code, resp := w.call(t, token, op.method, u, body); code >= 300 {
					t.Errorf("%s %s as %s: %d %v", op.method, u, token, code, resp)
				}
			}
		}
	})
}

func TestBadInputIs422WithFieldErrorsAndChangesNothing(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		id := w.bookOverHTTP(t, at(5), at(6))
		shop := "/api/v1/shops/" + w.a1
		with := func(k string, v any) map[string]any {
			b := w.body(at(1), at(3))
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
			return b
		}
		avail := func(start, end, party string) string {
			return shop + "/availability?" + url.Values{"starts_at": {start}, "ends_at": {end}, "party_size": {party}}.Encode()
		}
		tests := []struct {
			name, method, path string
			body               any
			wantLocation       string
		}{
			{"no table or room", "POST", shop + "/bookings", with("table_id", nil), "body.table_id"},
			{"table and room", "POST", shop + "/bookings", with("room_id", w.vip.ID), "body.table_id"},
			{"merchant B's table", "POST", shop + "/bookings", with("table_id", w.tb.ID), "body.table_id"},
			{"unknown room", "POST", shop + "/bookings", map[string]any{"room_id": "r0", "starts_at": at(1),
				"ends_at": at(2), "party_size": 2, "customer_name": "An", "customer_phone": "0912345678"}, "body.room_id"},
			{"end before start", "POST", shop + "/bookings", with("ends_at", at(0)), "body.ends_at"},
			{"25 hours", "POST", shop + "/bookings", with("ends_at", at(26)), "body.ends_at"},
			{"in the past", "POST", shop + "/bookings", with("starts_at", t0.Add(-time.Hour)), "body.starts_at"},
			{"not a time", "POST", shop + "/bookings", with("starts_at", "19h"), "body.starts_at"},
			{"party 0", "POST", shop + "/bookings", with("party_size", 0), "body.party_size"},
			{"party 501", "POST", shop + "/bookings", with("party_size", 501), "body.party_size"},
			{"no name", "POST", shop + "/bookings", with("customer_name", " "), "body.customer_name"},
			{"foreign phone", "POST", shop + "/bookings", with("customer_phone", "+33612345678"), "body.customer_phone"},
			{"negative deposit", "POST", shop + "/bookings", with("deposit_amount", -5), "body.deposit_amount"},
			{"unknown field", "POST", shop + "/bookings", with("colour", "red"), "body.colour"},
			{"patch phone", "PATCH", "/api/v1/bookings/" + id, map[string]any{"customer_phone": "123"}, "body.customer_phone"},
			{"patch both", "PATCH", "/api/v1/bookings/" + id, map[string]any{"table_id": w.t2.ID, "room_id": w.vip.ID},
				"body.table_id"},
			{"bad If-Match", "PATCH", "/api/v1/bookings/" + id, map[string]any{"note": "x"}, "header.If-Match"},
			{"long reason", "POST", "/api/v1/bookings/" + id + "/cancel", map[string]any{"reason": strings.Repeat("x", 501)},
				"body.reason"},
			{"bad status", "GET", shop + "/bookings?status=done", nil, "query.status"},
			{"bad cursor", "GET", shop + "/bookings?cursor=zzz", nil, "query.cursor"},
			{"to before from", "GET", shop + "/bookings?" + url.Values{"from": {at(2).Format(time.RFC3339)},
				"to": {at(1).Format(time.RFC3339)}}.Encode(), nil, "query.to"},
			{"availability without party", "GET", shop + "/availability?" + url.Values{"starts_at": {at(1).Format(time.RFC3339)},
				"ends_at": {at(2).Format(time.RFC3339)}}.Encode(), nil, "query.party_size"},
			{"availability reversed", "GET", avail(at(2).Format(time.RFC3339), at(1).Format(time.RFC3339), "2"), nil,
				"query.ends_at"},
			{"availability party 0", "GET", avail(at(1).Format(time.RFC3339), at(2).Format(time.RFC3339), "0"), nil,
				"query.party_size"},
		}
		before, _ := w.svc.Booking(context.Background(), w.a, id)
		for _, tt := range tests {
			var headers []string
			if tt.wantLocation == "header.If-Match" {
				headers = []string{"If-Match", "abc"}
			}
			code, body := w.call(t, cashierA1, tt.method, tt.path, tt.body, headers...)
			if code != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d %v, want 422", tt.name, code, body)
				continue
			}
			var locations []string
			errs, _ := body["errors"].([]any)
			for _, e := range errs {
				loc, _ := e.(map[string]any)["location"].(string)
				locations = append(locations, loc)
			}
			if !slices.Contains(locations, tt.wantLocation) {
				t.Errorf("%s: error locations %v, want %s", tt.name, locations, tt.wantLocation)
			}
		}
		if after, _ := w.svc.Booking(context.Background(), w.a, id); after != before {
			t.Errorf("refused requests changed the booking: %+v → %+v", before, after)
		}
		if page, _ := w.svc.List(context.Background(), w.a, w.a1, booking.ListQuery{}); len(page.Items) != 1 {
			t.Errorf("refused requests created bookings: %d", len(page.Items))
		}
	})
}

func TestBookingLifecycleOverHTTP(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		shop := "/api/v1/shops/" + w.a1
		code, b := w.call(t, cashierA1, "POST", shop+"/bookings", w.body(at(1), at(3)))
		if code != http.StatusCreated || b["status"] != "pending" || b["starts_at"] != "2026-03-03T12:00:00Z" ||
			b["customer_phone"] != "0987654321" || b["table_id"] != w.t4.ID || b["room_id"] != "" ||
			b["deposit_status"] != "none" || b["version"] != 1.0 || b["created_by"] != "cashier-user" {
			t.Fatalf("create: %d %v", code, b)
		}
		id := b["id"].(string)
		booking := "/api/v1/bookings/" + id
		if code, got := w.call(t, cashierA1, "POST", shop+"/bookings", w.body(at(2), at(4))); code != http.StatusConflict {
			t.Fatalf("overlapping booking: %d %v", code, got)
		}
		if code, _ := w.call(t, cashierA1, "POST", shop+"/bookings", w.body(at(3), at(4))); code != http.StatusCreated {
			t.Fatalf("touching booking: %d", code)
		}

		q := url.Values{"starts_at": {at(1).In(vietnam).Format(time.RFC3339)}, "ends_at": {at(2).Format(time.RFC3339)},
			"party_size": {"4"}}
		code, a := w.call(t, kitchenA1, "GET", shop+"/availability?"+q.Encode(), nil)
		tables, _ := a["tables"].([]any)
		rooms, _ := a["rooms"].([]any)
		if code != 200 || len(tables) != 1 || len(rooms) != 2 {
			t.Fatalf("availability: %d %v", code, a)
		}
		if got := tables[0].(map[string]any); got["id"] != w.t6.ID || got["name"] != "B6" || got["seats"] != 6.0 ||
			got["area_id"] != w.t6.AreaID {
			t.Fatalf("free table: %v", got)
		}
		if got := rooms[1].(map[string]any); got["id"] != w.vip.ID || got["room_type"] != "vip" || got["capacity"] != 10.0 {
			t.Fatalf("free room: %v", got)
		}

		// PATCH with a stale If-Match is refused; with the current one it applies.
		if code, got := w.call(t, cashierA1, "PATCH", booking, map[string]any{"party_size": 5}, "If-Match", `"7"`); code != http.StatusConflict {
			t.Fatalf("stale If-Match: %d %v", code, got)
		}
		code, b = w.call(t, cashierA1, "PATCH", booking, map[string]any{"party_size": 5, "table_id": w.t6.ID}, "If-Match", `"1"`)
		if code != 200 || b["party_size"] != 5.0 || b["table_id"] != w.t6.ID || b["version"] != 2.0 {
			t.Fatalf("patch: %d %v", code, b)
		}
		if code, b = w.call(t, cashierA1, "POST", booking+"/confirm", nil); code != 200 || b["status"] != "confirmed" {
			t.Fatalf("confirm: %d %v", code, b)
		}
		if code, b = w.call(t, cashierA1, "POST", booking+"/confirm", nil); code != http.StatusConflict {
			t.Fatalf("confirm twice: %d %v", code, b)
		}
		if code, b = w.call(t, cashierA1, "POST", booking+"/no-show", nil); code != http.StatusConflict {
			t.Fatalf("no-show before the slot: %d %v", code, b)
		}
		code, b = w.call(t, cashierA1, "POST", booking+"/check-in", nil)
		if code != 200 || b["status"] != "checked_in" || b["order_id"] != "order-of-"+id {
			t.Fatalf("check-in: %d %v", code, b)
		}
		for _, action := range []string{"cancel", "confirm", "check-in", "no-show"} {
			if code, b = w.call(t, cashierA1, "POST", booking+"/"+action, nil); code != http.StatusConflict {
				t.Errorf("%s after check-in: %d %v", action, code, b)
			}
		}
		if code, b = w.call(t, cashierA1, "PATCH", booking, map[string]any{"note": "x"}); code != http.StatusConflict {
			t.Errorf("patch after check-in: %d %v", code, b)
		}
		if code, b = w.call(t, cashierA1, "GET", booking, nil); code != 200 || b["status"] != "checked_in" || b["version"] != 4.0 {
			t.Fatalf("get: %d %v", code, b)
		}

		code, page := w.call(t, cashierA1, "GET", shop+"/bookings?status=checked_in", nil)
		if items, _ := page["items"].([]any); code != 200 || len(items) != 1 || items[0].(map[string]any)["id"] != id ||
			page["next_cursor"] != "" {
			t.Fatalf("list: %d %v", code, page)
		}
		code, page = w.call(t, cashierA1, "GET", shop+"/bookings?limit=1", nil)
		if items, _ := page["items"].([]any); code != 200 || len(items) != 1 || page["next_cursor"] == "" {
			t.Fatalf("first page: %d %v", code, page)
		}
		code, page = w.call(t, waiterA2, "GET", "/api/v1/shops/"+w.a2+"/bookings", nil)
		if items, _ := page["items"].([]any); code != 200 || items == nil || len(items) != 0 {
			t.Fatalf("empty list: %d %v", code, page)
		}
	})
}
