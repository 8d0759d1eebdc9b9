package shift_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/httpapi/httpapitest"
)

// world is the env over HTTP with principals: A's owner and manager, two cashiers and a waiter of A1, a
// cashier of A2, B's owner.
type world struct {
	*env
	handler http.Handler
}

func newWorld(t *testing.T, d *db.DB) *world {
	t.Helper()
	e := newEnv(t, d)
	staff := func(user, shop, role string) *httpapi.Principal {
		return &httpapi.Principal{UserID: user, MerchantID: e.a, ShopRoles: map[string][]string{shop: {role}}, Kind: "staff"}
	}
	srv := httpapitest.NewServer(t, httpapi.Config{}, d, e.clk, httpapitest.Tokens{
		"owner-a":     {UserID: "oa", MerchantID: e.a, Roles: []string{"owner"}, Kind: "user"},
		"manager-a":   {UserID: "ma", MerchantID: e.a, Roles: []string{"manager"}, Kind: "user"},
		"cashier-a1":  staff("c1", e.a1, "cashier"),
		"cashier2-a1": staff("c2", e.a1, "cashier"),
		"waiter-a1":   staff("w", e.a1, "waiter"),
		"cashier-a2":  staff("c3", e.a2, "cashier"),
		"owner-b":     {UserID: "ob", MerchantID: e.b, Roles: []string{"owner"}, Kind: "user"},
	})
	e.svc.Routes(srv.API)
	return &world{env: e, handler: srv.Handler()}
}

// call sends a request as the principal named token and returns the status and the decoded JSON body.
func (w *world) call(t *testing.T, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	return httpapitest.Call(t, w.handler, token, method, path, body)
}

func ids(body map[string]any) []string {
	var out []string
	items, _ := body["items"].([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

func TestShiftOverHTTP(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		shifts := "/api/v1/shops/" + w.a1 + "/shifts"
		code, sh := w.call(t, "cashier-a1", http.MethodPost, shifts, map[string]any{"opening_cash": 500000, "device_id": w.dev1})
		if code != http.StatusCreated || sh["status"] != "open" || sh["opening_cash"] != 500000.0 || sh["cashier_id"] != "c1" ||
			sh["device_id"] != w.dev1 || sh["closed_at"] != nil || sh["variance"] != nil {
			t.Fatalf("open: %d %v", code, sh)
		}
		id := sh["id"].(string)
		code, body := w.call(t, "cashier-a1", http.MethodPost, shifts, map[string]any{"opening_cash": 0})
		if cur, _ := body["current"].(map[string]any); code != http.StatusConflict || cur["id"] != id {
			t.Fatalf("second open: %d %v", code, body)
		}
		code, body = w.call(t, "cashier-a1", http.MethodGet, shifts+"/current", nil)
		if sum, _ := body["summary"].(map[string]any); code != http.StatusOK || body["id"] != id || sum["expected_cash"] != 500000.0 {
			t.Fatalf("current: %d %v", code, body)
		}
		if code, body := w.call(t, "cashier2-a1", http.MethodGet, shifts+"/current", nil); code != http.StatusNotFound {
			t.Fatalf("current without a shift: %d %v", code, body)
		}
		if _, err := w.cashIn(t, w.a, w.a1, "c1", "pay-1", 120000); err != nil {
			t.Fatal(err)
		}
		code, mv := w.call(t, "cashier-a1", http.MethodPost, "/api/v1/shifts/"+id+"/cash-movements",
			map[string]any{"type": "out", "amount": 100000, "reason": "nộp ngân hàng"})
		if code != http.StatusCreated || mv["kind"] != "cash_out" || mv["amount"] != -100000.0 || mv["shift_id"] != id {
			t.Fatalf("cash out: %d %v", code, mv)
		}
		code, body = w.call(t, "cashier-a1", http.MethodGet, "/api/v1/shifts/"+id, nil)
		sum, _ := body["summary"].(map[string]any)
		if code != http.StatusOK || sum["cash_sales"] != 120000.0 || sum["sales_count"] != 1.0 || sum["cash_out"] != 100000.0 ||
			sum["expected_cash"] != 520000.0 || body["status"] != "open" {
			t.Fatalf("get: %d %v", code, body)
		}
		code, body = w.call(t, "cashier-a1", http.MethodGet, "/api/v1/shifts/"+id+"/movements", nil)
		if items, _ := body["items"].([]any); code != http.StatusOK || len(items) != 3 {
			t.Fatalf("movements: %d %v", code, body)
		}

		// Other people: another cashier of the shop, a waiter, a cashier of another shop, another merchant.
		for _, c := range []struct {
			token  string
			method string
			path   string
			body   any
			want   int
		}{
			{"cashier2-a1", http.MethodGet, "/api/v1/shifts/" + id, nil, http.StatusForbidden},
			{"cashier2-a1", http.MethodPost, "/api/v1/shifts/" + id + "/close", map[string]any{"counted_cash": 0}, http.StatusForbidden},
			{"waiter-a1", http.MethodPost, shifts, map[string]any{"opening_cash": 0}, http.StatusForbidden},
			{"waiter-a1", http.MethodGet, "/api/v1/shifts/" + id, nil, http.StatusForbidden},
			{"cashier-a2", http.MethodGet, "/api/v1/shifts/" + id, nil, http.StatusNotFound},
			{"cashier-a2", http.MethodPost, shifts, map[string]any{"opening_cash": 0}, http.StatusNotFound},
			{"owner-b", http.MethodGet, "/api/v1/shifts/" + id, nil, http.StatusNotFound},
			{"owner-b", http.MethodPost, "/api/v1/shifts/" + id + "/cash-movements", map[string]any{"type": "in", "amount": 1, "reason": "x"}, http.StatusNotFound},
			{"owner-b", http.MethodPost, "/api/v1/shifts/" + id + "/close", map[string]any{"counted_cash": 0}, http.StatusNotFound},
			{"owner-b", http.MethodGet, shifts, nil, http.StatusNotFound},
			{"owner-b", http.MethodPost, shifts, map[string]any{"opening_cash": 0}, http.StatusNotFound},
			{"", http.MethodGet, "/api/v1/shifts/" + id, nil, http.StatusUnauthorized},
		} {
			if code, body := w.call(t, c.token, c.method, c.path, c.body); code != c.want {
				t.Errorf("%s %s %s: %d %v, want %d", c.token, c.method, c.path, code, body, c.want)
			}
		}
		// Bad input: 422 with the field named.
		for _, c := range []struct {
			path string
			body any
		}{
			{shifts, map[string]any{"opening_cash": -1}},
			{"/api/v1/shifts/" + id + "/cash-movements", map[string]any{"type": "in", "amount": 0, "reason": "x"}},
			{"/api/v1/shifts/" + id + "/cash-movements", map[string]any{"type": "in", "amount": -5, "reason": "x"}},
			{"/api/v1/shifts/" + id + "/cash-movements", map[string]any{"type": "sideways", "amount": 5, "reason": "x"}},
			{"/api/v1/shifts/" + id + "/cash-movements", map[string]any{"type": "in", "amount": 5, "reason": "  "}},
			{"/api/v1/shifts/" + id + "/close", map[string]any{"counted_cash": -1}},
		} {
			if code, body := w.call(t, "cashier-a1", http.MethodPost, c.path, c.body); code != http.StatusUnprocessableEntity {
				t.Errorf("%s %v: %d %v", c.path, c.body, code, body)
			}
		}
		code, body = w.call(t, "cashier-a1", http.MethodPost, shifts, map[string]any{"opening_cash": 0, "device_id": "nope"})
		if code != http.StatusUnprocessableEntity {
			t.Errorf("unknown terminal: %d %v", code, body)
		}

		code, body = w.call(t, "cashier-a1", http.MethodPost, "/api/v1/shifts/"+id+"/close", map[string]any{"counted_cash": 515000, "note": "ok"})
		shiftBody, _ := body["shift"].(map[string]any)
		if code != http.StatusOK || body["expected_cash"] != 520000.0 || body["variance"] != -5000.0 || shiftBody["status"] != "closed" ||
			shiftBody["counted_cash"] != 515000.0 || shiftBody["closed_by"] != "c1" {
			t.Fatalf("close: %d %v", code, body)
		}
		if code, body := w.call(t, "cashier-a1", http.MethodPost, "/api/v1/shifts/"+id+"/close", map[string]any{"counted_cash": 0}); code != http.StatusConflict {
			t.Fatalf("close twice: %d %v", code, body)
		}
		if code, body := w.call(t, "cashier-a1", http.MethodPost, "/api/v1/shifts/"+id+"/cash-movements",
			map[string]any{"type": "in", "amount": 1, "reason": "x"}); code != http.StatusConflict {
			t.Fatalf("cash into a closed shift: %d %v", code, body)
		}

		// Lists: a cashier sees their own shifts, a manager every shift, filtered by status.
		if code, _ := w.call(t, "cashier2-a1", http.MethodPost, shifts, map[string]any{"opening_cash": 1000}); code != http.StatusCreated {
			t.Fatalf("second cashier opens: %d", code)
		}
		if code, body := w.call(t, "cashier2-a1", http.MethodGet, shifts, nil); code != http.StatusOK || len(ids(body)) != 1 {
			t.Fatalf("cashier's list: %d %v", code, body)
		}
		if code, body := w.call(t, "cashier2-a1", http.MethodGet, shifts+"?cashier_id=c1", nil); code != http.StatusOK || len(ids(body)) != 1 ||
			ids(body)[0] == id {
			t.Fatalf("a cashier cannot list another's shifts: %d %v", code, body)
		}
		if code, body := w.call(t, "manager-a", http.MethodGet, shifts, nil); code != http.StatusOK || len(ids(body)) != 2 {
			t.Fatalf("manager's list: %d %v", code, body)
		}
		code, body = w.call(t, "manager-a", http.MethodGet, shifts+"?status=closed&limit=1", nil)
		if got := ids(body); code != http.StatusOK || len(got) != 1 || got[0] != id || body["next_cursor"] != "" {
			t.Fatalf("manager's closed shifts: %d %v", code, body)
		}
		if code, body := w.call(t, "manager-a", http.MethodGet, shifts+"?status=lost", nil); code != http.StatusUnprocessableEntity {
			t.Fatalf("bad status: %d %v", code, body)
		}
		if code, body := w.call(t, "manager-a", http.MethodGet, "/api/v1/shifts/"+id, nil); code != http.StatusOK || body["id"] != id {
			t.Fatalf("manager reads the cashier's shift: %d %v", code, body)
		}
	})
}

func TestConcurrentOpensOverHTTPGiveOne201(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		path := "/api/v1/shops/" + w.a1 + "/shifts"
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			codes [2]int
		)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				codes[i], _ = w.call(t, "cashier-a1", http.MethodPost, path, map[string]any{"opening_cash": 200000})
			}()
		}
		close(start)
		wg.Wait()
		if !(codes[0] == http.StatusCreated && codes[1] == http.StatusConflict) && !(codes[1] == http.StatusCreated && codes[0] == http.StatusConflict) {
			t.Fatalf("two opens: %v, want one 201 and one 409", codes)
		}
	})
}
