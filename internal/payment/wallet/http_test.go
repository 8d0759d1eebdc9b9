package wallet_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/httpapi/httpapitest"
)

// world is the env over HTTP with principals: A's owner and manager, a cashier and a waiter of A1, B's
// owner.
type world struct {
	*env
	handler http.Handler
}

func newWorld(t *testing.T, d *db.DB) *world {
	t.Helper()
	e := newEnv(t, d)
	staff := func(user, role string) *httpapi.Principal {
		return &httpapi.Principal{UserID: user, MerchantID: e.a, ShopRoles: map[string][]string{e.a1: {role}}, Kind: "staff"}
	}
	srv := httpapitest.NewServer(t, httpapi.Config{}, d, e.clk, httpapitest.Tokens{
		"owner-a":    {UserID: "oa", MerchantID: e.a, Roles: []string{"owner"}, Kind: "user"},
		"manager-a":  {UserID: "ma", MerchantID: e.a, Roles: []string{"manager"}, Kind: "user"},
		"cashier-a1": staff("c1", "cashier"),
		"waiter-a1":  staff("w", "waiter"),
		"owner-b":    {UserID: "ob", MerchantID: e.b, Roles: []string{"owner"}, Kind: "user"},
	})
	e.svc.Routes(srv.API)
	return &world{env: e, handler: srv.Handler()}
}

// call sends a request as the principal named token and returns the status and the decoded JSON body.
func (w *world) call(t *testing.T, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	return httpapitest.Call(t, w.handler, token, method, path, body)
}

func TestWalletsOverHTTP(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		code, wal := w.call(t, "cashier-a1", http.MethodPost, "/api/v1/wallets", map[string]any{"phone": "+84 912 345 678", "name": "An"})
		if code != http.StatusCreated || wal["phone"] != "0912345678" || wal["balance"] != 0.0 {
			t.Fatalf("create: %d %v", code, wal)
		}
		id := wal["id"].(string)
		base := "/api/v1/wallets/" + id
		code, body := w.call(t, "cashier-a1", http.MethodPost, "/api/v1/wallets", map[string]any{"phone": "0912345678", "name": "Khác"})
		if cur, _ := body["current"].(map[string]any); code != http.StatusConflict || cur["id"] != id {
			t.Fatalf("same phone: %d %v", code, body)
		}
		code, body = w.call(t, "cashier-a1", http.MethodGet, "/api/v1/wallets?phone="+url.QueryEscape("0912 345 678"), nil)
		if items, _ := body["items"].([]any); code != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["id"] != id {
			t.Fatalf("by phone: %d %v", code, body)
		}

		code, txn := w.call(t, "cashier-a1", http.MethodPost, base+"/top-ups", map[string]any{"amount": 200000, "method": "cash", "shop_id": w.a1})
		entries, _ := txn["entries"].([]any)
		if code != http.StatusCreated || txn["kind"] != "top_up" || txn["balance_after"] != 200000.0 || len(entries) != 2 {
			t.Fatalf("top-up: %d %v", code, txn)
		}
		topUp := txn["id"].(string)
		if code, body := w.call(t, "cashier-a1", http.MethodGet, base, nil); code != http.StatusOK || body["balance"] != 200000.0 {
			t.Fatalf("get: %d %v", code, body)
		}
		if _, err := w.spend(w.a, id, 50000, "pay-1"); err != nil {
			t.Fatal(err)
		}
		code, body = w.call(t, "manager-a", http.MethodGet, base+"/entries?limit=1", nil)
		items, _ := body["items"].([]any)
		if code != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["kind"] != "spend" ||
			items[0].(map[string]any)["amount"] != -50000.0 || body["next_cursor"] == "" {
			t.Fatalf("entries: %d %v", code, body)
		}
		code, body = w.call(t, "manager-a", http.MethodGet, base+"/entries?limit=1&cursor="+body["next_cursor"].(string), nil)
		if items, _ := body["items"].([]any); code != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["txn_id"] != topUp ||
			body["next_cursor"] != "" {
			t.Fatalf("entries, page 2: %d %v", code, body)
		}

		// Who may do what.
		for _, c := range []struct {
			token, method, path string
			body                any
			want                int
		}{
			{"waiter-a1", http.MethodPost, "/api/v1/wallets", map[string]any{"phone": "0987654321", "name": "B"}, http.StatusForbidden},
			{"waiter-a1", http.MethodGet, base, nil, http.StatusForbidden},
			{"cashier-a1", http.MethodPost, base + "/top-ups", map[string]any{"amount": 1000, "method": "cash", "shop_id": w.a2}, http.StatusNotFound},
			{"manager-a", http.MethodPost, base + "/top-ups", map[string]any{"amount": 1000, "method": "cash", "shop_id": w.b1}, http.StatusNotFound},
			{"cashier-a1", http.MethodPost, base + "/top-ups/" + topUp + "/reverse", map[string]any{"reason": "x"}, http.StatusForbidden},
			{"owner-b", http.MethodGet, base, nil, http.StatusNotFound},
			{"owner-b", http.MethodGet, base + "/entries", nil, http.StatusNotFound},
			{"owner-b", http.MethodPost, base + "/top-ups", map[string]any{"amount": 1000, "method": "cash", "shop_id": w.b1}, http.StatusNotFound},
			{"owner-b", http.MethodPost, base + "/top-ups/" + topUp + "/reverse", map[string]any{"reason": "x"}, http.StatusNotFound},
			{"", http.MethodGet, base, nil, http.StatusUnauthorized},
			// Bad input.
			{"cashier-a1", http.MethodPost, "/api/v1/wallets", map[string]any{"phone": "0241234567", "name": "B"}, http.StatusUnprocessableEntity},
			{"cashier-a1", http.MethodPost, "/api/v1/wallets", map[string]any{"phone": "0987654321", "name": ""}, http.StatusUnprocessableEntity},
			{"cashier-a1", http.MethodPost, base + "/top-ups", map[string]any{"amount": 0, "method": "cash", "shop_id": w.a1}, http.StatusUnprocessableEntity},
			{"cashier-a1", http.MethodPost, base + "/top-ups", map[string]any{"amount": -1000, "method": "cash", "shop_id": w.a1}, http.StatusUnprocessableEntity},
			{"cashier-a1", http.MethodPost, base + "/top-ups", map[string]any{"amount": 1000, "method": "gold", "shop_id": w.a1}, http.StatusUnprocessableEntity},
			{"cashier-a1", http.MethodGet, "/api/v1/wallets?phone=12345", nil, http.StatusUnprocessableEntity},
			{"manager-a", http.MethodPost, base + "/top-ups/" + topUp + "/reverse", map[string]any{"reason": ""}, http.StatusUnprocessableEntity},
		} {
			if code, body := w.call(t, c.token, c.method, c.path, c.body); code != c.want {
				t.Errorf("%s %s %s: %d %v, want %d", c.token, c.method, c.path, code, body, c.want)
			}
		}

		// The reversal needs what the wallet holds: 150,000 of the 200,000 top-up are left.
		code, body = w.call(t, "manager-a", http.MethodPost, base+"/top-ups/"+topUp+"/reverse", map[string]any{"reason": "khách đổi ý"})
		if cur, _ := body["current"].(map[string]any); code != http.StatusConflict || cur["balance"] != 150000.0 {
			t.Fatalf("reversal over the balance: %d %v", code, body)
		}
		if _, err := w.refund(w.a, id, 50000, "pay-1", "refund-1"); err != nil {
			t.Fatal(err)
		}
		code, body = w.call(t, "manager-a", http.MethodPost, base+"/top-ups/"+topUp+"/reverse", map[string]any{"reason": "khách đổi ý"})
		if code != http.StatusCreated || body["kind"] != "top_up_reversal" || body["balance_after"] != 0.0 || body["reverses_id"] != topUp {
			t.Fatalf("reversal: %d %v", code, body)
		}
		if code, body := w.call(t, "owner-a", http.MethodPost, base+"/top-ups/"+topUp+"/reverse", map[string]any{"reason": "again"}); code != http.StatusConflict {
			t.Fatalf("second reversal: %d %v", code, body)
		}
		checkLedger(t, d, w.a)
	})
}
