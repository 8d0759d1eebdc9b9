package catalog_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/catalog"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/httpapi/httpapitest"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/rbac"
)

// world is two merchants' cafés over HTTP (A with a second shop), with principals for A's owner, A's
// cashier in A's first shop, and B's owner.
type world struct {
	*env
	a, b      *cafe
	a2        string
	api       huma.API
	handler   http.Handler
	principal httpapitest.Tokens
}

const (
	ownerA   = "owner-a"
	ownerB   = "owner-b"
	cashierA = "cashier-a"
)

func newWorld(t testing.TB, d *db.DB) *world {
	t.Helper()
	e := newEnv(t, d)
	w := &world{env: e, a: newCafe(t, e), b: newCafe(t, e)}
	w.a2 = e.shops.add(w.a.m, "Cà phê 2")
	w.principal = httpapitest.Tokens{
		ownerA:   {UserID: "oa", MerchantID: w.a.m, Roles: []string{"owner"}, Kind: "user"},
		ownerB:   {UserID: "ob", MerchantID: w.b.m, Roles: []string{"owner"}, Kind: "user"},
		cashierA: {UserID: "ca", MerchantID: w.a.m, ShopRoles: map[string][]string{w.a.shop: {"cashier"}}, Kind: "staff"},
	}
	srv := httpapitest.NewServer(t, httpapi.Config{}, d, e.clk, w.principal)
	e.svc.Routes(srv.API)
	w.api, w.handler = srv.API, srv.Handler()
	return w
}

// do sends a request as the principal named token (none when "") and returns the recorder.
func (w *world) do(t testing.TB, token, method, path string, body any, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	return httpapitest.Do(t, w.handler, token, method, path, body, header...)
}

// call is do with the body decoded as JSON.
func (w *world) call(t testing.TB, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	return httpapitest.Call(t, w.handler, token, method, path, body)
}

type operation struct {
	id, method, path string
	perm             rbac.Permission
	public           string
}

func operations(t *testing.T, api huma.API) []operation {
	t.Helper()
	var ops []operation
	for path, item := range api.OpenAPI().Paths {
		for method, op := range map[string]*huma.Operation{http.MethodGet: item.Get, http.MethodPost: item.Post,
			http.MethodPatch: item.Patch, http.MethodDelete: item.Delete, http.MethodPut: item.Put} {
			if op == nil || op.OperationID == "" {
				continue
			}
			perm, public := rbac.Declaration(op)
			if perm == "" && public == "" {
				t.Errorf("operation %s declares no permission", op.OperationID)
			}
			ops = append(ops, operation{id: op.OperationID, method: method, path: path, perm: perm, public: public})
		}
	}
	slices.SortFunc(ops, func(a, b operation) int { return strings.Compare(a.id, b.id) })
	return ops
}

// url fills an operation's path with merchant A's resources.
func (w *world) url(path string) string {
	return strings.NewReplacer("{shop_id}", w.a.shop, "{category_id}", w.a.drinks.ID, "{product_id}", w.a.coffee.ID,
		"{group_id}", w.a.sugar.ID, "{template_id}", "cafe").Replace(path)
}

// validBody is a body each operation accepts, so that what a test sees is the access decision.
func (w *world) validBody(t *testing.T, opID string) any {
	bodies := map[string]any{
		"create-category":       map[string]any{"name": "Mới", "station": "bar"},
		"update-category":       map[string]any{"name": "Nước"},
		"reorder-categories":    map[string]any{"category_ids": []string{w.a.food.ID, w.a.drinks.ID}},
		"create-product":        map[string]any{"name": "Sinh tố bơ", "category_id": w.a.drinks.ID, "price": 40000},
		"update-product":        map[string]any{"price": 46000},
		"create-modifier-group": map[string]any{"name": "Size", "min_select": 0, "max_select": 1, "options": []any{map[string]any{"name": "L", "price_delta": 5000}}},
		"update-modifier-group": map[string]any{"name": "Đường"},
		"set-shop-product":      map[string]any{"available": false},
	}
	b, ok := bodies[opID]
	if !ok && (strings.HasPrefix(opID, "create-") || strings.HasPrefix(opID, "update-")) {
		t.Fatalf("no valid body for %s: add one to validBody", opID)
	}
	return b
}

func TestEveryRouteIsNotFoundForAnotherMerchant(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		before := w.snapshot(t)
		checked := 0
		for _, op := range operations(t, w.api) {
			if !strings.Contains(op.path, "{") || op.id == "apply-menu-template" || op.public != "" {
				continue // lists are the caller's own; templates are not a merchant's; the public menu is public
			}
			checked++
			if code, body := w.call(t, ownerB, op.method, w.url(op.path), w.validBody(t, op.id)); code != http.StatusNotFound {
				t.Errorf("%s %s as merchant B's owner: %d %v, want 404", op.method, op.path, code, body)
			}
		}
		if checked < 11 {
			t.Fatalf("only %d routes checked", checked)
		}
		for _, path := range []string{"/api/v1/categories", "/api/v1/products", "/api/v1/modifier-groups"} {
			code, list := w.call(t, ownerB, http.MethodGet, path, nil)
			items, _ := list["items"].([]any)
			for _, it := range items {
				if id := it.(map[string]any)["id"]; id == w.a.drinks.ID || id == w.a.tea.ID || id == w.a.sugar.ID {
					t.Errorf("merchant B lists A's %s", id)
				}
			}
			if code != 200 || len(items) == 0 {
				t.Errorf("B's own %s: %d %v", path, code, list)
			}
		}
		if after := w.snapshot(t); after != before {
			t.Fatalf("merchant B's attempts changed A's catalog:\n%s\n%s", before, after)
		}
		// The same calls succeed for merchant A's owner, so the 404s came from the tenant checks.
		ops := operations(t, w.api)
		last := map[string]int{"delete-modifier-group": 1, "archive-product": 1, "delete-category": 2}
		slices.SortStableFunc(ops, func(x, y operation) int { return last[x.id] - last[y.id] })
		for _, op := range ops {
			want := func(code int) bool { return code < 300 }
			if op.id == "delete-category" { // drinks still has products
				want = func(code int) bool { return code == http.StatusConflict }
			}
			body := w.validBody(t, op.id)
			if op.id == "reorder-categories" { // earlier operations added categories: list them all
				cats, _ := w.svc.Categories(context.Background(), w.a.m)
				var ids []string
				for _, c := range cats {
					ids = append([]string{c.ID}, ids...)
				}
				body = map[string]any{"category_ids": ids}
			}
			if code, body := w.call(t, ownerA, op.method, w.url(op.path), body); !want(code) {
				t.Errorf("%s %s as merchant A's owner: %d %v", op.method, op.path, code, body)
			}
		}
	})
}

// snapshot renders merchant A's catalog and its first shop's staff menu, to compare before and after.
func (w *world) snapshot(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	cats, err := w.svc.Categories(ctx, w.a.m)
	if err != nil {
		t.Fatal(err)
	}
	prods, err := w.svc.ListProducts(ctx, w.a.m, catalog.ProductQuery{IncludeArchived: true, Limit: catalog.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	groups, err := w.svc.ModifierGroups(ctx, w.a.m)
	if err != nil {
		t.Fatal(err)
	}
	menu, err := w.svc.ShopMenu(ctx, w.a.m, w.a.shop)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal([]any{cats, prods, groups})
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + string(menu.JSON)
}

func TestBadInputIs422WithFieldErrorsAndChangesNothing(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		product := "/api/v1/products/" + w.a.coffee.ID
		tests := []struct {
			name, method, path string
			body               any
			wantLocation       string
		}{
			{"negative price", "POST", "/api/v1/products", map[string]any{"name": "X", "category_id": w.a.drinks.ID, "price": -1000}, "body.price"},
			{"patch negative price", "PATCH", product, map[string]any{"price": -1}, "body.price"},
			{"unknown category", "POST", "/api/v1/products", map[string]any{"name": "X", "category_id": "nope", "price": 1}, "body.category_id"},
			{"another merchant's category", "POST", "/api/v1/products", map[string]any{"name": "X", "category_id": w.b.drinks.ID, "price": 1}, "body.category_id"},
			{"another merchant's group", "PATCH", product, map[string]any{"modifier_group_ids": []string{w.b.sugar.ID}}, "body.modifier_group_ids[0]"},
			{"variant of another product", "PATCH", product, map[string]any{"variants": []any{map[string]any{"id": w.b.coffee.Variants[0].ID, "name": "M", "price": 1}}}, "body.variants[0].id"},
			{"image without storage of yours", "POST", "/api/v1/products", map[string]any{"name": "X", "category_id": w.a.drinks.ID, "price": 1, "image_file_id": "nope"}, "body.image_file_id"},
			{"station not a slug", "POST", "/api/v1/categories", map[string]any{"name": "X", "station": "Quầy Bar"}, "body.station"},
			{"empty category name", "POST", "/api/v1/categories", map[string]any{"name": "", "station": "bar"}, "body.name"},
			{"min above max", "POST", "/api/v1/modifier-groups", map[string]any{"name": "G", "min_select": 2, "max_select": 1,
				"options": []any{map[string]any{"name": "A", "price_delta": 0}, map[string]any{"name": "B", "price_delta": 0}}}, "body.min_select"},
			{"max above options", "POST", "/api/v1/modifier-groups", map[string]any{"name": "G", "min_select": 0, "max_select": 2,
				"options": []any{map[string]any{"name": "A", "price_delta": 0}}}, "body.max_select"},
			{"negative delta", "POST", "/api/v1/modifier-groups", map[string]any{"name": "G", "min_select": 0, "max_select": 1,
				"options": []any{map[string]any{"name": "A", "price_delta": -5000}}}, "body.options[0].price_delta"},
			{"option of another merchant", "PATCH", "/api/v1/modifier-groups/" + w.a.sugar.ID, map[string]any{
				"options": []any{map[string]any{"id": w.b.lessSugar, "name": "A", "price_delta": 0}}}, "body.options[0].id"},
			{"negative shop price", "PUT", "/api/v1/shops/" + w.a.shop + "/products/" + w.a.tea.ID, map[string]any{"price": -1}, "body.price"},
			{"reorder missing one", "POST", "/api/v1/categories/reorder", map[string]any{"category_ids": []string{w.a.drinks.ID}}, "body.category_ids"},
			{"unknown field", "PATCH", product, map[string]any{"colour": "red"}, "body.colour"},
			{"bad cursor", "GET", "/api/v1/products?cursor=!!", nil, "query.cursor"},
		}
		before := w.snapshot(t)
		events := len(outbox(t, d, w.a.m))
		for _, tt := range tests {
			code, body := w.call(t, ownerA, tt.method, tt.path, tt.body)
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
		if after := w.snapshot(t); after != before {
			t.Errorf("refused requests changed data:\nbefore %s\nafter  %s", before, after)
		}
		if n := len(outbox(t, d, w.a.m)); n != events {
			t.Errorf("refused requests wrote %d events", n-events)
		}
	})
}

// publicMenu fetches a shop's public menu and returns its products by id.
func (w *world) publicMenu(t *testing.T, shop string) (int, map[string]map[string]any) {
	t.Helper()
	code, menu := w.call(t, "", http.MethodGet, "/api/v1/public/shops/"+shop+"/menu", nil)
	products := map[string]map[string]any{}
	cats, _ := menu["categories"].([]any)
	for _, c := range cats {
		ps, _ := c.(map[string]any)["products"].([]any)
		for _, p := range ps {
			products[p.(map[string]any)["id"].(string)] = p.(map[string]any)
		}
	}
	return code, products
}

func TestPublicMenuReflectsSoldOutAndPricesAtOnce(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		shopURL := "/api/v1/shops/" + w.a.shop + "/products/"
		code, products := w.publicMenu(t, w.a.shop)
		if code != 200 || products[w.a.tea.ID]["price"] != 45000.0 || products[w.a.tea.ID]["available"] != true {
			t.Fatalf("public menu: %d %v", code, products[w.a.tea.ID])
		}
		// Served from the cache now: the shop is not looked up again.
		resolved := w.shops.publicN
		if code, _ := w.publicMenu(t, w.a.shop); code != 200 || w.shops.publicN != resolved {
			t.Fatalf("second read looked the shop up again (%d → %d)", resolved, w.shops.publicN)
		}

		// A cashier marks the tea sold out: it disappears from the public menu at once, in that shop only.
		if code, body := w.call(t, cashierA, http.MethodPut, shopURL+w.a.tea.ID, map[string]any{"available": false}); code != 200 || body["available"] != false {
			t.Fatalf("sold out: %d %v", code, body)
		}
		if _, products = w.publicMenu(t, w.a.shop); products[w.a.tea.ID] != nil {
			t.Fatalf("a sold-out product is on the public menu: %v", products[w.a.tea.ID])
		}
		if _, products = w.publicMenu(t, w.a2); products[w.a.tea.ID] == nil {
			t.Fatal("the tea left the other shop's menu too")
		}
		// The combo holding the tea is sold out with it; the staff menu keeps both, marked unavailable.
		if _, products = w.publicMenu(t, w.a.shop); products[w.a.combo.ID] != nil {
			t.Fatal("a combo with a sold-out component is on the public menu")
		}
		rec := w.do(t, cashierA, http.MethodGet, "/api/v1/shops/"+w.a.shop+"/menu", nil)
		var staff catalog.Menu
		if err := json.Unmarshal(rec.Body.Bytes(), &staff); rec.Code != 200 || err != nil {
			t.Fatalf("staff menu: %d %v", rec.Code, err)
		}
		var teaSeen bool
		for _, c := range staff.Categories {
			for _, p := range c.Products {
				if p.ID == w.a.tea.ID {
					teaSeen = !p.Available
				}
			}
		}
		if !teaSeen {
			t.Fatalf("the staff menu does not show the tea as unavailable: %s", rec.Body)
		}

		// A cashier may not set prices; a manager-level role may, and the public menu shows it at once.
		if code, _ := w.call(t, cashierA, http.MethodPut, shopURL+w.a.coffee.ID, map[string]any{"price": 1000}); code != http.StatusForbidden {
			t.Fatalf("cashier sets a price: %d, want 403", code)
		}
		if code, body := w.call(t, ownerA, http.MethodPut, shopURL+w.a.coffee.ID, map[string]any{"price": 31000}); code != 200 ||
			body["price"] != 31000.0 || body["merchant_price"] != 29000.0 {
			t.Fatalf("set price: %d %v", code, body)
		}
		_, products = w.publicMenu(t, w.a.shop)
		coffee := products[w.a.coffee.ID]
		variants, _ := coffee["variants"].([]any)
		if coffee["price"] != 31000.0 || len(variants) != 2 || variants[1].(map[string]any)["price"] != 37000.0 {
			t.Fatalf("coffee after the shop price: %v", coffee)
		}
		groups, _ := coffee["modifier_groups"].([]any)
		if len(groups) != 2 || len(groups[0].(map[string]any)["options"].([]any)) != 2 {
			t.Fatalf("coffee's modifier groups on the public menu: %v", groups)
		}
		// price null goes back to the merchant price; a merchant-wide price change shows too.
		if code, body := w.call(t, ownerA, http.MethodPut, shopURL+w.a.coffee.ID, map[string]any{"price": nil}); code != 200 || body["override_price"] != nil {
			t.Fatalf("clear price: %d %v", code, body)
		}
		if code, body := w.call(t, ownerA, http.MethodPatch, "/api/v1/products/"+w.a.coffee.ID, map[string]any{"price": 30000}); code != 200 {
			t.Fatalf("merchant price: %d %v", code, body)
		}
		if _, products = w.publicMenu(t, w.a.shop); products[w.a.coffee.ID]["price"] != 30000.0 {
			t.Fatalf("coffee after clearing the shop price and raising the merchant's: %v", products[w.a.coffee.ID])
		}

		// Conditional requests: the ETag revalidates, and changes with the menu.
		rec = w.do(t, "", http.MethodGet, "/api/v1/public/shops/"+w.a.shop+"/menu", nil)
		etag := rec.Header().Get("ETag")
		if etag == "" || rec.Header().Get("Cache-Control") != "no-cache" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("menu headers: %v", rec.Header())
		}
		if rec = w.do(t, "", http.MethodGet, "/api/v1/public/shops/"+w.a.shop+"/menu", nil, "If-None-Match", etag); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
			t.Fatalf("revalidation: %d %q", rec.Code, rec.Body)
		}
		w.call(t, ownerA, http.MethodPut, shopURL+w.a.tea.ID, map[string]any{"available": true})
		if rec = w.do(t, "", http.MethodGet, "/api/v1/public/shops/"+w.a.shop+"/menu", nil, "If-None-Match", etag); rec.Code != 200 {
			t.Fatalf("revalidation after a change: %d", rec.Code)
		}

		// Unknown and archived shops are not found.
		if code, _ := w.call(t, "", http.MethodGet, "/api/v1/public/shops/"+db.NewID()+"/menu", nil); code != http.StatusNotFound {
			t.Fatalf("unknown shop: %d", code)
		}
		w.shops.archive(w.a2)
		if err := w.svc.ShopChanged(context.Background(), w.a2, w.a.m); err != nil {
			t.Fatal(err)
		}
		if code, _ := w.call(t, "", http.MethodGet, "/api/v1/public/shops/"+w.a2+"/menu", nil); code != http.StatusNotFound {
			t.Fatalf("archived shop: %d", code)
		}
	})
}

func TestStaffRolesAndAnonymousCallers(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		for _, op := range operations(t, w.api) {
			if op.public != "" {
				continue
			}
			if code, _ := w.call(t, "", op.method, w.url(op.path), w.validBody(t, op.id)); code != http.StatusUnauthorized {
				t.Errorf("anonymous %s %s: %d, want 401", op.method, op.path, code)
			}
			roles := w.principal[cashierA].RolesIn(w.a.shop)
			if !strings.Contains(op.path, "{shop_id}") {
				roles = w.principal[cashierA].AllRoles()
			}
			code, body := w.call(t, cashierA, op.method, w.url(op.path), w.validBody(t, op.id))
			if allowed := rbac.Allows(roles, op.perm); allowed != (code < 300) || !allowed && code != http.StatusForbidden {
				t.Errorf("cashier %s %s: %d %v (allowed %v)", op.method, op.path, code, body, allowed)
			}
		}
		// A cashier of shop 1 cannot reach shop 2.
		if code, _ := w.call(t, cashierA, http.MethodGet, "/api/v1/shops/"+w.a2+"/menu", nil); code != http.StatusNotFound {
			t.Errorf("cashier reads another shop's menu: %d, want 404", code)
		}
	})
}

func TestMigrationsMatchAndIsolateTenants(t *testing.T) {
	schemas := map[db.Dialect]map[string]migrate.Table{}
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		s, err := migrate.Schema(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		schemas[d.Dialect()] = s
		for name, table := range s {
			if strings.HasPrefix(name, "catalog_") && d.Dialect() == db.Postgres && (!table.RLS || !table.ForceRLS || table.Policies != 2) {
				t.Errorf("%s: RLS %v force %v policies %d, want on, on, 2", name, table.RLS, table.ForceRLS, table.Policies)
			}
		}
	})
	pg, ok := schemas[db.Postgres]
	if !ok {
		return
	}
	for name, table := range schemas[db.SQLite] {
		if strings.HasPrefix(name, "catalog_") && !slices.Equal(table.Columns, pg[name].Columns) {
			t.Errorf("%s: SQLite columns %v, PostgreSQL %v", name, table.Columns, pg[name].Columns)
		}
	}
}
