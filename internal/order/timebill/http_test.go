package timebill_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/httpapi/httpapitest"
	"github.com/goodgo/goodgo/internal/platform/rbac"
)

// world is the env over HTTP with principals: A's owner and manager, a cashier and a waiter of A1, B's owner.
type world struct {
	*env
	api     huma.API
	handler http.Handler
}

func newWorld(t *testing.T, d *db.DB) *world {
	t.Helper()
	e := newEnv(t, d)
	shopRole := func(user, role string) *httpapi.Principal {
		return &httpapi.Principal{UserID: user, MerchantID: e.a, ShopRoles: map[string][]string{e.a1: {role}}, Kind: "staff"}
	}
	srv := httpapitest.NewServer(t, httpapi.Config{}, d, e.clk, httpapitest.Tokens{
		"owner-a":    {UserID: "oa", MerchantID: e.a, Roles: []string{"owner"}, Kind: "user"},
		"manager-a":  {UserID: "ma", MerchantID: e.a, Roles: []string{"manager"}, Kind: "user"},
		"cashier-a1": shopRole("c", "cashier"),
		"waiter-a1":  shopRole("w", "waiter"),
		"owner-b":    {UserID: "ob", MerchantID: e.b, Roles: []string{"owner"}, Kind: "user"},
	})
	e.svc.Routes(srv.API)
	return &world{env: e, api: srv.API, handler: srv.Handler()}
}

// call sends a request as the principal named token and returns the status and the decoded JSON body.
func (w *world) call(t *testing.T, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	return httpapitest.Call(t, w.handler, token, method, path, body)
}

func locations(body map[string]any) []string {
	var out []string
	errs, _ := body["errors"].([]any)
	for _, e := range errs {
		loc, _ := e.(map[string]any)["location"].(string)
		out = append(out, loc)
	}
	return out
}

// planJSON is a rate plan as a client sends it.
func planJSON(block, minimum int, bands ...[4]any) map[string]any {
	var bs []map[string]any
	for _, b := range bands {
		bs = append(bs, map[string]any{"day_type": b[0], "start": b[1], "end": b[2], "price_per_hour": b[3]})
	}
	return map[string]any{"block_minutes": block, "minimum_minutes": minimum, "bands": bs}
}

var standardJSON = planJSON(15, 60,
	[4]any{"weekend", "00:00", "24:00", 300000},
	[4]any{"weekday", "18:00", "22:00", 180000},
	[4]any{"weekday", "00:00", "18:00", 120000},
	[4]any{"weekday", "22:00", "24:00", 240000},
)

func TestRatePlansOverHTTP(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		plan := "/api/v1/shops/" + w.a1 + "/rate-plans/vip"
		code, body := w.call(t, "manager-a", http.MethodPut, plan, standardJSON)
		if code != http.StatusOK || body["room_type"] != "vip" || body["shop_id"] != w.a1 || body["block_minutes"] != 15.0 {
			t.Fatalf("put: %d %v", code, body)
		}
		bands, _ := body["bands"].([]any)
		if len(bands) != 4 || bands[0].(map[string]any)["start"] != "00:00" || bands[3].(map[string]any)["day_type"] != "weekend" {
			t.Fatalf("put bands (in day type and start order): %v", bands)
		}
		if code, body := w.call(t, "cashier-a1", http.MethodGet, plan, nil); code != http.StatusOK || body["minimum_minutes"] != 60.0 {
			t.Fatalf("get: %d %v", code, body)
		}
		code, body = w.call(t, "waiter-a1", http.MethodGet, "/api/v1/shops/"+w.a1+"/rate-plans", nil)
		if items, _ := body["items"].([]any); code != http.StatusOK || len(items) != 1 || body["next_cursor"] != "" {
			t.Fatalf("list: %d %v", code, body)
		}

		// Monday 21:50–22:10 in Vietnam, sent with +07:00, answered in UTC; 20 minutes round up to the
		// 60-minute minimum at the 22:00 rate.
		code, body = w.call(t, "cashier-a1", http.MethodPost, plan+"/quote",
			map[string]any{"starts_at": "2026-03-02T21:50:00+07:00", "ends_at": "2026-03-02T22:10:00+07:00"})
		if code != http.StatusOK || body["minutes"] != 20.0 || body["billed_minutes"] != 60.0 || body["amount"] != 30000.0+40000+160000 {
			t.Fatalf("quote: %d %v", code, body)
		}
		segments, _ := body["segments"].([]any)
		first, _ := segments[0].(map[string]any)
		if len(segments) != 3 || first["starts_at"] != "2026-03-02T14:50:00Z" || first["minutes"] != 10.0 ||
			first["price_per_hour"] != 180000.0 || first["amount"] != 30000.0 || segments[2].(map[string]any)["rounding"] != true {
			t.Fatalf("quote segments: %v", segments)
		}

		for _, tt := range []struct {
			name     string
			body     map[string]any
			location string
		}{
			{"ends before it starts", map[string]any{"starts_at": "2026-03-02T22:00:00+07:00", "ends_at": "2026-03-02T21:00:00+07:00"}, "body.ends_at"},
			{"ends when it starts", map[string]any{"starts_at": "2026-03-02T22:00:00+07:00", "ends_at": "2026-03-02T22:00:00+07:00"}, "body.ends_at"},
			{"longer than 48 hours", map[string]any{"starts_at": "2026-03-02T22:00:00+07:00", "ends_at": "2026-03-04T22:00:01+07:00"}, "body.ends_at"},
		} {
			if code, body := w.call(t, "cashier-a1", http.MethodPost, plan+"/quote", tt.body); code != http.StatusUnprocessableEntity ||
				!slices.Contains(locations(body), tt.location) {
				t.Errorf("quote %s: %d %v", tt.name, code, body)
			}
		}
		if code, body := w.call(t, "cashier-a1", http.MethodPost, "/api/v1/shops/"+w.a1+"/rate-plans/small/quote",
			map[string]any{"starts_at": "2026-03-02T21:00:00+07:00", "ends_at": "2026-03-02T22:00:00+07:00"}); code != http.StatusNotFound {
			t.Fatalf("quote without a plan: %d %v", code, body)
		}

		// Staff below manager read and quote, but do not change plans.
		for _, token := range []string{"cashier-a1", "waiter-a1"} {
			if code, _ := w.call(t, token, http.MethodPut, plan, standardJSON); code != http.StatusForbidden {
				t.Errorf("put as %s: %d", token, code)
			}
			if code, _ := w.call(t, token, http.MethodDelete, plan, nil); code != http.StatusForbidden {
				t.Errorf("delete as %s: %d", token, code)
			}
		}
		if code, _ := w.call(t, "", http.MethodGet, plan, nil); code != http.StatusUnauthorized {
			t.Errorf("anonymous get: %d", code)
		}

		if code, body := w.call(t, "owner-a", http.MethodDelete, plan, nil); code != http.StatusNoContent {
			t.Fatalf("delete: %d %v", code, body)
		}
		if code, _ := w.call(t, "owner-a", http.MethodGet, plan, nil); code != http.StatusNotFound {
			t.Fatalf("get after delete: %d", code)
		}
	})
}

func TestBadRatePlansAreRefusedWithFieldErrors(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		plan := "/api/v1/shops/" + w.a1 + "/rate-plans/vip"
		if code, body := w.call(t, "owner-a", http.MethodPut, plan, standardJSON); code != http.StatusOK {
			t.Fatalf("put: %d %v", code, body)
		}
		tests := []struct {
			name     string
			path     string
			body     map[string]any
			location string
		}{
			{"a gap", plan, planJSON(1, 0, [4]any{"weekday", "00:00", "10:00", 1}, [4]any{"weekday", "11:00", "24:00", 1}), "body.bands[1].start"},
			{"an overlap", plan, planJSON(1, 0, [4]any{"weekday", "00:00", "12:00", 1}, [4]any{"weekday", "11:00", "24:00", 1}), "body.bands[1].start"},
			{"no weekday bands", plan, planJSON(1, 0, [4]any{"weekend", "00:00", "24:00", 1}), "body.bands"},
			{"a bad HH:MM", plan, planJSON(1, 0, [4]any{"weekday", "9:00", "24:00", 1}), "body.bands[0].start"},
			{"24:00 as a start", plan, planJSON(1, 0, [4]any{"weekday", "24:00", "24:00", 1}), "body.bands[0].start"},
			{"a negative price", plan, planJSON(1, 0, [4]any{"weekday", "00:00", "24:00", -1}), "body.bands[0].price_per_hour"},
			{"an unknown day type", plan, planJSON(1, 0, [4]any{"sunday", "00:00", "24:00", 1}), "body.bands[0].day_type"},
			{"block 0", plan, planJSON(0, 0, [4]any{"weekday", "00:00", "24:00", 1}), "body.block_minutes"},
			{"an upper-case room type", "/api/v1/shops/" + w.a1 + "/rate-plans/VIP", standardJSON, "path.room_type"},
		}
		for _, tt := range tests {
			code, body := w.call(t, "owner-a", http.MethodPut, tt.path, tt.body)
			if code != http.StatusUnprocessableEntity || !slices.Contains(locations(body), tt.location) {
				t.Errorf("%s: %d, locations %v, want 422 at %s (%v)", tt.name, code, locations(body), tt.location, body)
			}
		}
		// Nothing changed.
		code, body := w.call(t, "owner-a", http.MethodGet, plan, nil)
		if bands, _ := body["bands"].([]any); code != http.StatusOK || len(bands) != 4 || body["block_minutes"] != 15.0 {
			t.Fatalf("plan after refused puts: %d %v", code, body)
		}
	})
}

func TestHolidaysOverHTTP(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		holidays := "/api/v1/shops/" + w.a1 + "/holidays"
		code, body := w.call(t, "manager-a", http.MethodPost, holidays+"/import-vietnam?year=2026", nil)
		if dates, _ := body["dates"].([]any); code != http.StatusOK || body["year"] != 2026.0 || len(dates) != 11 {
			t.Fatalf("import: %d %v", code, body)
		}
		// The fake clock stands in 2026: no year means this year.
		code, body = w.call(t, "cashier-a1", http.MethodGet, holidays, nil)
		if dates, _ := body["dates"].([]any); code != http.StatusOK || len(dates) != 11 ||
			dates[1].(map[string]any)["date"] != "2026-02-16" {
			t.Fatalf("get: %d %v", code, body)
		}
		code, body = w.call(t, "manager-a", http.MethodPut, holidays+"?year=2026",
			map[string]any{"dates": []map[string]any{{"date": "2026-12-24", "name": "Giáng sinh"}}})
		if dates, _ := body["dates"].([]any); code != http.StatusOK || len(dates) != 1 {
			t.Fatalf("put: %d %v", code, body)
		}
		for _, tt := range []struct {
			name, path string
			body       map[string]any
			location   string
		}{
			{"a date of another year", holidays + "?year=2026", map[string]any{"dates": []map[string]any{{"date": "2027-01-01"}}}, "body.dates[0].date"},
			{"not a date", holidays + "?year=2026", map[string]any{"dates": []map[string]any{{"date": "2026-13-01"}}}, "body.dates[0].date"},
			{"no year", holidays, map[string]any{"dates": []map[string]any{}}, "query.year"},
		} {
			if code, body := w.call(t, "manager-a", http.MethodPut, tt.path, tt.body); code != http.StatusUnprocessableEntity ||
				!slices.Contains(locations(body), tt.location) {
				t.Errorf("put %s: %d %v", tt.name, code, body)
			}
		}
		if code, body := w.call(t, "cashier-a1", http.MethodGet, holidays+"?year=1999", nil); code != http.StatusUnprocessableEntity ||
			!slices.Contains(locations(body), "query.year") {
			t.Errorf("get 1999: %d %v", code, body)
		}
		if code, _ := w.call(t, "cashier-a1", http.MethodPost, holidays+"/import-vietnam?year=2026", nil); code != http.StatusForbidden {
			t.Errorf("import as cashier: %d", code)
		}
	})
}

// TestEveryRouteIsNotFoundForAnotherMerchant calls every operation on merchant A's shop as merchant B's
// owner, then checks A's data is untouched and that A's owner gets through the same calls.
func TestEveryRouteIsNotFoundForAnotherMerchant(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		bodies := map[string]any{
			"put-rate-plan":   standardJSON,
			"quote-rate-plan": map[string]any{"starts_at": "2026-03-02T21:00:00+07:00", "ends_at": "2026-03-02T22:00:00+07:00"},
			"put-holidays":    map[string]any{"dates": []map[string]any{{"date": "2026-12-24", "name": "Noel"}}},
		}
		type operation struct{ id, method, path string }
		var ops []operation
		for path, item := range w.api.OpenAPI().Paths {
			for method, op := range map[string]*huma.Operation{http.MethodGet: item.Get, http.MethodPost: item.Post,
				http.MethodPut: item.Put, http.MethodDelete: item.Delete, http.MethodPatch: item.Patch} {
				if op == nil || op.OperationID == "" {
					continue
				}
				if perm, public := rbac.Declaration(op); perm == "" || public != "" {
					t.Errorf("operation %s declares no permission", op.OperationID)
				}
				ops = append(ops, operation{op.OperationID, method, path})
			}
		}
		if len(ops) != 8 {
			t.Fatalf("%d operations: %+v", len(ops), ops)
		}
		// Put, import and quote before the delete, so that each of A's calls below has something to act on.
		order := map[string]int{"put-rate-plan": -2, "import-vietnam-holidays": -1, "delete-rate-plan": 1}
		slices.SortFunc(ops, func(x, y operation) int { return order[x.id] - order[y.id] })
		url := func(path string) string {
			path = strings.NewReplacer("{shop_id}", w.a1, "{room_type}", "vip").Replace(path)
			if strings.Contains(path, "/holidays") {
				path += "?year=2026"
			}
			return path
		}
		for _, op := range ops {
			if code, body := w.call(t, "owner-b", op.method, url(op.path), bodies[op.id]); code != http.StatusNotFound {
				t.Errorf("%s %s as merchant B: %d %v, want 404", op.method, op.path, code, body)
			}
		}
		if _, err := w.svc.Plan(context.Background(), w.a, w.a1, "vip"); err == nil {
			t.Fatal("merchant B's put created a plan in A's shop")
		}
		if h, err := w.svc.Holidays(context.Background(), w.a, w.a1, 2026); err != nil || len(h.Dates) != 0 {
			t.Fatalf("A's holidays after B's calls: %+v, %v", h, err)
		}
		for _, op := range ops {
			if code, body := w.call(t, "owner-a", op.method, url(op.path), bodies[op.id]); code >= 300 {
				t.Errorf("%s %s as merchant A: %d %v", op.method, op.path, code, body)
			}
		}
	})
}
