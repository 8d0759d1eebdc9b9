package inventory_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/httpapi/httpapitest"
)

type world struct {
	*env
	handler http.Handler
}

func newWorld(t *testing.T, d *db.DB) *world {
	t.Helper()
	e := newEnv(t, d)
	toks := httpapitest.Tokens{
		"owner-a":    {UserID: "oa", MerchantID: e.a, Roles: []string{"owner"}, Kind: "user"},
		"owner-b":    {UserID: "ob", MerchantID: e.b, Roles: []string{"owner"}, Kind: "user"},
		"cashier-a1": {UserID: "ca", MerchantID: e.a, ShopRoles: map[string][]string{e.a1: {"cashier"}}, Kind: "staff"},
		"manager-a1": {UserID: "ma", MerchantID: e.a, ShopRoles: map[string][]string{e.a1: {"manager"}}, Kind: "staff"},
	}
	srv := httpapitest.NewServer(t, httpapi.Config{}, d, e.clk, toks)
	e.svc.Routes(srv.API)
	return &world{env: e, handler: srv.Handler()}
}

// call sends a request as the principal named token; a string body is raw JSON, for numbers json.Marshal
// would not write.
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

func TestStockOverHTTP(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		shop := "/api/v1/shops/" + w.a1
		code, item := w.call(t, "owner-a", "POST", shop+"/stock-items", `{"name":"Sữa đặc","unit":"lon","reorder_level":2.5}`)
		if code != 201 || item["reorder_level"] != 2.5 || item["quantity"] != 0.0 || item["below_reorder_level"] != true {
			t.Fatalf("create: %d %v", code, item)
		}
		id := item["stock_item_id"].(string)
		if code, u := w.call(t, "owner-a", "POST", "/api/v1/stock-items/"+id+"/units", `{"name":"thùng","factor":48}`); code != 201 {
			t.Fatalf("unit: %d %v", code, u)
		}
		code, mv := w.call(t, "owner-a", "POST", shop+"/stock-movements",
			`{"stock_item_id":"`+id+`","kind":"receipt","quantity":1,"unit":"thùng","unit_cost":21000,"supplier":"Vinamilk"}`)
		if code != 201 || mv["quantity"] != 48.0 || mv["quantity_after"] != 48.0 || mv["unit_cost"] != 21000.0 {
			t.Fatalf("receipt: %d %v", code, mv)
		}
		// A cashier may record waste, not receipts or adjustments.
		if code, mv = w.call(t, "cashier-a1", "POST", shop+"/stock-movements", `{"stock_item_id":"`+id+`","kind":"waste","quantity":0.125}`); code != 201 || mv["quantity"] != -0.125 {
			t.Fatalf("cashier waste: %d %v", code, mv)
		}
		if code, _ = w.call(t, "cashier-a1", "POST", shop+"/stock-movements", `{"stock_item_id":"`+id+`","kind":"receipt","quantity":1}`); code != 403 {
			t.Fatalf("cashier receipt: %d, want 403", code)
		}
		code, st := w.call(t, "cashier-a1", "GET", shop+"/stock", nil)
		items, _ := st["items"].([]any)
		if code != 200 || len(items) != 1 || items[0].(map[string]any)["quantity"] != 47.875 {
			t.Fatalf("stock: %d %v", code, st)
		}
		for _, path := range []string{"/stock/reorder-list", "/stock/valuation", "/stock-movements?stock_item_id=" + id, "/inventory-settings"} {
			if code, body := w.call(t, "owner-a", "GET", shop+path, nil); code != 200 {
				t.Errorf("GET %s: %d %v", path, code, body)
			}
		}
		if code, body := w.call(t, "owner-a", "PUT", "/api/v1/products/tra-sua/recipe", `{"ingredients":[{"stock_item_id":"`+id+`","quantity":0.05}]}`); code != 200 {
			t.Fatalf("recipe: %d %v", code, body)
		}
		if code, body := w.call(t, "owner-a", "POST", shop+"/stock-transfers", `{"to_shop_id":"`+w.a2+`","lines":[{"stock_item_id":"`+id+`","quantity":10}]}`); code != 201 {
			t.Fatalf("transfer: %d %v", code, body)
		}
		// A shop manager of a1 may not push stock into a2, where they have no role.
		if code, body := w.call(t, "manager-a1", "POST", shop+"/stock-transfers", `{"to_shop_id":"`+w.a2+`","lines":[{"stock_item_id":"`+id+`","quantity":1}]}`); code != 404 {
			t.Fatalf("transfer into an unreachable shop: %d %v, want 404", code, body)
		}
		code, take := w.call(t, "owner-a", "POST", shop+"/stocktakes", `{"counts":[{"stock_item_id":"`+id+`","counted":37}]}`)
		if lines, _ := take["lines"].([]any); code != 201 || len(lines) != 1 || lines[0].(map[string]any)["variance"] != -0.875 {
			t.Fatalf("stocktake: %d %v", code, take)
		}

		// Merchant B reaches none of it.
		for _, c := range []struct{ method, path, body string }{
			{"GET", shop + "/stock", ""},
			{"GET", shop + "/stock-movements", ""},
			{"POST", shop + "/stock-items", `{"name":"X","unit":"g"}`},
			{"POST", shop + "/stock-movements", `{"stock_item_id":"` + id + `","kind":"waste","quantity":1}`},
			{"PATCH", "/api/v1/stock-items/" + id, `{"name":"Y"}`},
			{"POST", "/api/v1/stock-items/" + id + "/units", `{"name":"két","factor":2}`},
			{"GET", "/api/v1/products/tra-sua/recipe", ""},
			{"PUT", "/api/v1/products/tra-sua/recipe", `{"ingredients":[]}`},
			{"PUT", "/api/v1/shops/" + w.b1 + "/inventory-settings", ``}, // B's own shop: fine below
		} {
			var body any
			if c.body != "" {
				body = c.body
			}
			if c.path == "/api/v1/shops/"+w.b1+"/inventory-settings" {
				if code, resp := w.call(t, "owner-b", c.method, c.path, `{"deduct_on":"paid"}`); code != 200 {
					t.Errorf("B's own settings: %d %v", code, resp)
				}
				continue
			}
			if code, resp := w.call(t, "owner-b", c.method, c.path, body); code != 404 {
				t.Errorf("merchant B %s %s: %d %v, want 404", c.method, c.path, code, resp)
			}
		}
		if code, resp := w.call(t, "owner-b", "POST", "/api/v1/shops/"+w.b1+"/stock-transfers",
			`{"to_shop_id":"`+w.a1+`","lines":[{"stock_item_id":"`+id+`","quantity":1}]}`); code != 404 {
			t.Errorf("transfer into another merchant's shop: %d %v, want 404", code, resp)
		}
		if q := w.level(t, w.a, w.a1, id); q != 37_000 {
			t.Errorf("level after merchant B's attempts: %s", q)
		}
	})
}

func TestBadStockInputIs422AndChangesNothing(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		shop := "/api/v1/shops/" + w.a1
		id := w.item(t, w.a, w.a1, "Bột", "kg", 0)
		bItem := w.item(t, w.b, w.b1, "Bột B", "kg", 0)
		w.move(t, w.a, w.a1, id, "receipt", 5000)
		tests := []struct {
			name, method, path, body, want string
		}{
			{"4 decimals", "POST", shop + "/stock-movements", `{"stock_item_id":"` + id + `","kind":"receipt","quantity":1.0005}`, "body.quantity"},
			{"negative receipt", "POST", shop + "/stock-movements", `{"stock_item_id":"` + id + `","kind":"receipt","quantity":-1}`, "body.quantity"},
			{"zero adjustment", "POST", shop + "/stock-movements", `{"stock_item_id":"` + id + `","kind":"adjustment","quantity":0}`, "body.quantity"},
			{"quantity as text", "POST", shop + "/stock-movements", `{"stock_item_id":"` + id + `","kind":"receipt","quantity":"1"}`, "body.quantity"},
			{"unknown unit", "POST", shop + "/stock-movements", `{"stock_item_id":"` + id + `","kind":"receipt","quantity":1,"unit":"bao"}`, "body.unit"},
			{"unit that does not convert", "POST", shop + "/stock-movements", `{"stock_item_id":"` + id + `","kind":"receipt","quantity":1,"unit":"ml"}`, "body.unit"},
			{"g beyond a thousandth of a kg", "POST", shop + "/stock-movements", `{"stock_item_id":"` + id + `","kind":"receipt","quantity":0.5,"unit":"g"}`, "body.quantity"},
			{"another merchant's item", "POST", shop + "/stock-movements", `{"stock_item_id":"` + bItem + `","kind":"receipt","quantity":1}`, "body.stock_item_id"},
			{"unknown kind", "POST", shop + "/stock-movements", `{"stock_item_id":"` + id + `","kind":"sale","quantity":1}`, "body.kind"},
			{"bad item unit", "POST", shop + "/stock-items", `{"name":"X","unit":"k9"}`, "body.unit"},
			{"negative reorder level", "POST", shop + "/stock-items", `{"name":"X","unit":"g","reorder_level":-1}`, "body.reorder_level"},
			{"recipe with B's item", "PUT", "/api/v1/products/tra-sua/recipe", `{"ingredients":[{"stock_item_id":"` + id + `","quantity":1},{"stock_item_id":"` + bItem + `","quantity":1}]}`, "body.ingredients[1].stock_item_id"},
			{"recipe quantity 0", "PUT", "/api/v1/products/tra-sua/recipe", `{"ingredients":[{"stock_item_id":"` + id + `","quantity":0}]}`, "body.ingredients[0].quantity"},
			{"recipe 4 decimals", "PUT", "/api/v1/modifier-options/tran-chau/recipe", `{"ingredients":[{"stock_item_id":"` + id + `","quantity":0.0001}]}`, "body.ingredients[0].quantity"},
			{"transfer to the same shop", "POST", shop + "/stock-transfers", `{"to_shop_id":"` + w.a1 + `","lines":[{"stock_item_id":"` + id + `","quantity":1}]}`, "body.to_shop_id"},
			{"negative count", "POST", shop + "/stocktakes", `{"counts":[{"stock_item_id":"` + id + `","counted":-2}]}`, "body.counts[0].counted"},
			{"pack factor 0", "POST", "/api/v1/stock-items/" + id + "/units", `{"name":"bao","factor":0}`, "body.factor"},
			{"deduct_on", "PUT", shop + "/inventory-settings", `{"deduct_on":"never"}`, "body.deduct_on"},
			{"bad cursor", "GET", shop + "/stock-movements?cursor=%21", "", "query.cursor"},
		}
		before := w.snapshotLevels(t)
		items, _ := w.svc.StockItems(context.Background(), w.a)
		for _, tt := range tests {
			var body any
			if tt.body != "" {
				body = tt.body
			}
			code, resp := w.call(t, "owner-a", tt.method, tt.path, body)
			if code != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d %v, want 422", tt.name, code, resp)
				continue
			}
			if locs := locations(resp); !containsString(locs, tt.want) {
				t.Errorf("%s: error locations %v, want %s", tt.name, locs, tt.want)
			}
		}
		after := w.snapshotLevels(t)
		itemsAfter, _ := w.svc.StockItems(context.Background(), w.a)
		if len(after) != len(before) || after[w.a1+"/"+id] != before[w.a1+"/"+id] || len(itemsAfter) != len(items) {
			t.Errorf("refused requests changed data: %v → %v, %d → %d items", before, after, len(items), len(itemsAfter))
		}
		if r, err := w.svc.ProductRecipe(context.Background(), w.a, "tra-sua"); err != nil || len(r.Ingredients) != 0 {
			t.Errorf("a refused recipe was stored: %+v, %v", r, err)
		}
	})
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
