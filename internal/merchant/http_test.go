package merchant_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/merchant"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/httpapi/httpapitest"
	"github.com/goodgo/goodgo/internal/platform/rbac"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// world is two merchants over HTTP: A with shops A1 (default, with a floor) and A2, B with shop B1, and
// principals for A's owner, manager and A1's cashier, waiter and kitchen, and B's owner.
type world struct {
	*env
	api                   huma.API
	handler               http.Handler
	a, b                  tenant.ID
	a1, a2, b1            merchant.Shop
	area                  merchant.Area
	table                 merchant.Table
	room                  merchant.Room
	staffUser             string
	device                merchant.NewDevice
	ownerA, ownerB        string
	managerA, cashierA1   string
	waiterA1, kitchenA1   string
	principalsByTokenName httpapitest.Tokens
}

func newWorld(t *testing.T, d *db.DB) *world {
	t.Helper()
	e := newEnv(t, d)
	ctx := context.Background()
	w := &world{env: e}
	ma, mb := e.merchant(t, "A"), e.merchant(t, "B")
	w.a, w.b = ma.ID, mb.ID
	w.a1, w.a2, w.b1 = e.shop(t, w.a, "A1"), e.shop(t, w.a, "A2"), e.shop(t, w.b, "B1")
	var err error
	if w.area, err = e.svc.CreateArea(ctx, w.a, w.a1.ID, merchant.AreaInput{Name: "Tầng 1"}); err != nil {
		t.Fatal(err)
	}
	if w.table, err = e.svc.CreateTable(ctx, w.a, w.a1.ID, merchant.TableInput{AreaID: w.area.ID, Name: "B1", Seats: 4}); err != nil {
		t.Fatal(err)
	}
	if w.room, err = e.svc.CreateRoom(ctx, w.a, w.a1.ID, merchant.RoomInput{Name: "P1", RoomType: "vip"}); err != nil {
		t.Fatal(err)
	}
	w.staffUser = "c"
	if _, err = e.svc.AddStaff(ctx, w.a, merchant.StaffInput{ShopID: w.a1.ID, UserID: w.staffUser, Role: "cashier"}); err != nil {
		t.Fatal(err)
	}
	if w.device, err = e.svc.RegisterDevice(ctx, w.a, w.a1.ID, "Quầy 1", ma.OwnerUserID); err != nil {
		t.Fatal(err)
	}
	if _, err = e.svc.SetProviderCredentials(ctx, w.a, w.a1.ID, "vnpay", "GOODGO01", map[string]string{"hash_secret": "x"}, ma.OwnerUserID); err != nil {
		t.Fatal(err)
	}
	w.ownerA, w.ownerB, w.managerA = "owner-a", "owner-b", "manager-a"
	w.cashierA1, w.waiterA1, w.kitchenA1 = "cashier-a1", "waiter-a1", "kitchen-a1"
	shopRole := func(user, role string) *httpapi.Principal {
		return &httpapi.Principal{UserID: user, MerchantID: w.a, ShopRoles: map[string][]string{w.a1.ID: {role}}, Kind: "staff"}
	}
	w.principalsByTokenName = httpapitest.Tokens{
		w.ownerA:    {UserID: ma.OwnerUserID, MerchantID: w.a, Roles: []string{"owner"}, Kind: "user"},
		w.ownerB:    {UserID: mb.OwnerUserID, MerchantID: w.b, Roles: []string{"owner"}, Kind: "user"},
		w.managerA:  {UserID: "m", MerchantID: w.a, Roles: []string{"manager"}, Kind: "user"},
		w.cashierA1: shopRole("c", "cashier"),
		w.waiterA1:  shopRole("w", "waiter"),
		w.kitchenA1: shopRole("k", "kitchen"),
	}
	srv := httpapitest.NewServer(t, httpapi.Config{}, d, e.clk, w.principalsByTokenName)
	e.svc.Routes(srv.API)
	w.api, w.handler = srv.API, srv.Handler()
	return w
}

// call sends a request as the principal named token and returns the status and the decoded JSON body.
func (w *world) call(t *testing.T, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	return httpapitest.Call(t, w.handler, token, method, path, body)
}

// operation is one registered operation with its permission.
type operation struct {
	id, method, path string
	perm             rbac.Permission
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
			ops = append(ops, operation{id: op.OperationID, method: method, path: path, perm: perm})
		}
	}
	slices.SortFunc(ops, func(a, b operation) int { return strings.Compare(a.id, b.id) })
	return ops
}

// url fills an operation's path with merchant A's shop (A1 unless shopID says otherwise), area, table, room.
func (w *world) url(path, shopID string) string {
	return strings.NewReplacer("{shop_id}", shopID, "{area_id}", w.area.ID, "{table_id}", w.table.ID,
		"{room_id}", w.room.ID, "{user_id}", w.staffUser, "{device_id}", w.device.ID, "{provider}", "vnpay").Replace(path)
}

// validBody is a body each operation accepts, so that what a test sees is the access decision, not validation.
func (w *world) validBody(t *testing.T, opID string) any {
	bodies := map[string]any{
		"create-shop":       map[string]any{"name": "Mới", "business_type": "bar", "vat_rate_percent": 10},
		"update-shop":       map[string]any{"name": "Đổi tên"},
		"update-merchant":   map[string]any{"name": "Đổi tên"},
		"create-area":       map[string]any{"name": "Tầng 2"},
		"update-area":       map[string]any{"name": "Tầng 3"},
		"create-table":      map[string]any{"area_id": w.area.ID, "name": "B9", "seats": 2},
		"update-table":      map[string]any{"seats": 6},
		"create-room":       map[string]any{"name": "P9", "room_type": "small"},
		"update-room":       map[string]any{"capacity": 12},
		"change-staff-role": map[string]any{"role": "waiter"},
		"register-device":   map[string]any{"name": "Quầy 2"},
		"set-payment-provider": map[string]any{"account_ref": "GOODGO01",
			"secrets": map[string]any{"hash_secret": "S3CRET"}},
		"transfer-shop": map[string]any{"to_merchant_id": string(w.b)},
	}
	b, ok := bodies[opID]
	if !ok && (strings.HasPrefix(opID, "create-") || strings.HasPrefix(opID, "update-") ||
		opID == "set-payment-provider" || strings.HasPrefix(opID, "register-") || strings.HasPrefix(opID, "change-")) {
		t.Fatalf("no valid body for %s: add one to validBody", opID)
	}
	return b
}

func TestEveryShopRouteIsNotFoundForAnotherMerchant(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		checked := 0
		for _, op := range operations(t, w.api) {
			if !strings.Contains(op.path, "{shop_id}") {
				continue
			}
			checked++
			if code, body := w.call(t, w.ownerB, op.method, w.url(op.path, w.a1.ID), w.validBody(t, op.id)); code != http.StatusNotFound {
				t.Errorf("%s %s as merchant B's owner: %d %v, want 404", op.method, op.path, code, body)
			}
		}
		if checked < 15 {
			t.Fatalf("only %d shop routes checked", checked)
		}
		code, page := w.call(t, w.ownerB, http.MethodGet, "/api/v1/shops?include_archived=true", nil)
		if items, _ := page["items"].([]any); code != 200 || len(items) != 1 || items[0].(map[string]any)["id"] != w.b1.ID {
			t.Errorf("merchant B's shop list: %d %v, want only B1", code, page)
		}
		// Merchant A's data is untouched.
		s, err := w.svc.Shop(context.Background(), w.a, w.a1.ID)
		if err != nil || s.Name != "A1" || !s.IsDefault || s.ArchivedAt != nil {
			t.Fatalf("shop A1 after merchant B's attempts: %+v, %v", s, err)
		}
		f, err := w.svc.Floor(context.Background(), w.a, w.a1.ID)
		if err != nil || len(f.Areas) != 1 || f.Areas[0].Name != "Tầng 1" || len(f.Areas[0].Tables) != 1 ||
			f.Areas[0].Tables[0] != w.table || len(f.Rooms) != 1 || f.Rooms[0] != w.room {
			t.Fatalf("floor of A1 after merchant B's attempts: %+v, %v", f, err)
		}

		// The same calls succeed for merchant A's owner, so the 404s above came from the tenant check.
		// Destructive operations go last, in an order the floor allows (tables before their area).
		ops := operations(t, w.api)
		last := map[string]int{"delete-table": 1, "delete-room": 1, "delete-area": 2, "archive-shop": 3,
			"transfer-shop": 4, "archive-merchant": 5}
		slices.SortStableFunc(ops, func(x, y operation) int { return last[x.id] - last[y.id] })
		for _, op := range ops {
			want := func(code int) bool { return code < 300 }
			switch op.id {
			case "archive-shop": // A1 is the default and A2 is live
				want = func(code int) bool { return code == http.StatusConflict }
			case "delete-area": // create-table put a second table in it
				want = func(code int) bool { return code == http.StatusConflict }
			}
			if code, body := w.call(t, w.ownerA, op.method, w.url(op.path, w.a1.ID), w.validBody(t, op.id)); !want(code) {
				t.Errorf("%s %s as merchant A's owner: %d %v", op.method, op.path, code, body)
			}
		}
	})
}

func TestStaffRolesReachOnlyTheirShopsAndMayNotManage(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		for _, token := range []string{w.cashierA1, w.waiterA1, w.kitchenA1} {
			role := w.principalsByTokenName[token].ShopRoles[w.a1.ID]
			for _, op := range operations(t, w.api) {
				body := w.validBody(t, op.id)
				if strings.Contains(op.path, "{shop_id}") {
					if code, _ := w.call(t, token, op.method, w.url(op.path, w.a2.ID), body); code != http.StatusNotFound {
						t.Errorf("%s: %s %s in a shop they do not work in: %d, want 404", token, op.method, op.path, code)
					}
				}
				code, resp := w.call(t, token, op.method, w.url(op.path, w.a1.ID), body)
				if allowed := rbac.Allows(role, op.perm); allowed != (code < 300) || !allowed && code != http.StatusForbidden {
					t.Errorf("%s: %s %s: %d %v (permission %s allowed: %v)", token, op.method, op.path, code, resp, op.perm, allowed)
				}
			}
			code, page := w.call(t, token, http.MethodGet, "/api/v1/shops", nil)
			items, _ := page["items"].([]any)
			if code != 200 || len(items) != 1 || items[0].(map[string]any)["id"] != w.a1.ID {
				t.Errorf("%s lists %d %v, want only A1", token, code, page)
			}
		}
		// A manager manages shops and floors but may not archive the merchant or create shops.
		tests := []struct {
			method, path string
			body         any
			want         int
		}{
			{http.MethodPatch, "/api/v1/shops/" + w.a2.ID, map[string]any{"service_charge_percent": 5}, 200},
			{http.MethodPost, "/api/v1/shops/" + w.a2.ID + "/areas", map[string]any{"name": "Sân"}, 201},
			{http.MethodGet, "/api/v1/merchant", nil, 200},
			{http.MethodPatch, "/api/v1/merchant", map[string]any{"phone": "0901234567"}, 403},
			{http.MethodDelete, "/api/v1/merchant", nil, 403},
			{http.MethodPost, "/api/v1/shops", map[string]any{"name": "X", "business_type": "bar", "vat_rate_percent": 0}, 403},
		}
		for _, tt := range tests {
			if code, body := w.call(t, w.managerA, tt.method, tt.path, tt.body); code != tt.want {
				t.Errorf("manager %s %s: %d %v, want %d", tt.method, tt.path, code, body, tt.want)
			}
		}
		if code, _ := w.call(t, "", http.MethodGet, "/api/v1/shops", nil); code != http.StatusUnauthorized {
			t.Errorf("anonymous list: %d, want 401", code)
		}
	})
}

func TestBadInputIs422WithFieldErrorsAndChangesNothing(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		shop := "/api/v1/shops/" + w.a1.ID
		tests := []struct {
			name, method, path string
			body               any
			wantLocation       string
		}{
			{"unknown business type", "POST", "/api/v1/shops",
				map[string]any{"name": "X", "business_type": "spa", "vat_rate_percent": 8}, "body.business_type"},
			{"vat 7", "POST", "/api/v1/shops", map[string]any{"name": "X", "business_type": "bar", "vat_rate_percent": 7},
				"body.vat_rate_percent"},
			{"empty shop name", "POST", "/api/v1/shops", map[string]any{"name": "", "business_type": "bar", "vat_rate_percent": 8},
				"body.name"},
			{"blank shop name", "POST", "/api/v1/shops", map[string]any{"name": "   ", "business_type": "bar", "vat_rate_percent": 8},
				"body.name"},
			{"negative service charge", "PATCH", shop, map[string]any{"service_charge_percent": -1}, "body.service_charge_percent"},
			{"service charge over 100", "PATCH", shop, map[string]any{"service_charge_percent": 101}, "body.service_charge_percent"},
			{"patch vat 7", "PATCH", shop, map[string]any{"vat_rate_percent": 7}, "body.vat_rate_percent"},
			{"negative seats", "POST", shop + "/tables", map[string]any{"area_id": w.area.ID, "name": "T", "seats": -2}, "body.seats"},
			{"patch seats 0", "PATCH", shop + "/tables/" + w.table.ID, map[string]any{"seats": 0}, "body.seats"},
			{"area of no shop", "POST", shop + "/tables", map[string]any{"area_id": "nope", "name": "T", "seats": 2}, "body.area_id"},
			{"empty area name", "POST", shop + "/areas", map[string]any{"name": ""}, "body.name"},
			{"empty room name", "POST", shop + "/rooms", map[string]any{"name": "", "room_type": "vip"}, "body.name"},
			{"room type not a slug", "POST", shop + "/rooms", map[string]any{"name": "R", "room_type": "V I P"}, "body.room_type"},
			{"bad email", "PATCH", "/api/v1/merchant", map[string]any{"email": "nope"}, "body.email"},
			{"unknown field", "PATCH", shop, map[string]any{"colour": "red"}, "body.colour"},
			{"bad cursor", "GET", "/api/v1/shops?cursor=zzz", nil, "query.cursor"},
			{"limit 0", "GET", "/api/v1/shops?limit=0", nil, "query.limit"},
		}
		before := snapshot(t, w)
		for _, tt := range tests {
			code, body := w.call(t, w.ownerA, tt.method, tt.path, tt.body)
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
		if after := snapshot(t, w); after != before {
			t.Errorf("refused requests changed data:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// snapshot renders merchant A's profile, shops and A1's floor, to compare before and after.
func snapshot(t *testing.T, w *world) string {
	t.Helper()
	ctx := context.Background()
	p, err := w.svc.Profile(ctx, w.a)
	if err != nil {
		t.Fatal(err)
	}
	shops, err := w.svc.ListShops(ctx, w.a, merchant.ShopQuery{IncludeArchived: true})
	if err != nil {
		t.Fatal(err)
	}
	f, err := w.svc.Floor(ctx, w.a, w.a1.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal([]any{p, shops, f})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestShopLifecycleOverHTTP(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		code, shop := w.call(t, w.ownerA, http.MethodPost, "/api/v1/shops",
			map[string]any{"name": "Quán Nhậu", "business_type": "bar", "address": "12 Nguyễn Huệ", "vat_rate_percent": 10})
		if code != http.StatusCreated {
			t.Fatalf("create shop: %d %v", code, shop)
		}
		for _, key := range []string{"id", "name", "is_default", "business_type", "address", "vat_rate_percent",
			"prices_include_vat", "service_charge_percent", "opening_hours", "receipt_header", "receipt_footer",
			"bank_bin", "bank_account_number", "bank_account_name", "created_at", "archived_at"} {
			if _, ok := shop[key]; !ok {
				t.Errorf("shop response lacks %q: %v", key, shop)
			}
		}
		if shop["is_default"] != false || shop["prices_include_vat"] != true || shop["service_charge_percent"] != 0.0 ||
			shop["vat_rate_percent"] != 10.0 || shop["archived_at"] != nil {
			t.Errorf("new shop = %v", shop)
		}
		created, _ := shop["created_at"].(string)
		if ts, err := time.Parse(time.RFC3339, created); err != nil || !strings.HasSuffix(created, "Z") || ts.IsZero() {
			t.Errorf("created_at %q is not RFC 3339 UTC", created)
		}
		id := shop["id"].(string)

		code, got := w.call(t, w.ownerA, http.MethodPatch, "/api/v1/shops/"+id, map[string]any{
			"bank_bin": "970436", "bank_account_number": "0071000123456", "bank_account_name": "NGUYEN VAN A",
			"prices_include_vat": false, "service_charge_percent": 5, "receipt_footer": "Cảm ơn quý khách!"})
		if code != 200 || got["bank_bin"] != "970436" || got["prices_include_vat"] != false || got["name"] != "Quán Nhậu" {
			t.Fatalf("patch: %d %v", code, got)
		}

		code, got = w.call(t, w.ownerA, http.MethodPost, "/api/v1/shops/"+id+"/set-default", nil)
		if code != 200 || got["is_default"] != true {
			t.Fatalf("set default: %d %v", code, got)
		}
		if code, got = w.call(t, w.ownerA, http.MethodGet, "/api/v1/shops/"+w.a1.ID, nil); code != 200 || got["is_default"] != false {
			t.Fatalf("old default after switch: %d %v", code, got)
		}
		if code, got = w.call(t, w.ownerA, http.MethodPost, "/api/v1/shops/"+id+"/archive", nil); code != http.StatusConflict {
			t.Fatalf("archive the default: %d %v, want 409", code, got)
		}
		if code, got = w.call(t, w.ownerA, http.MethodPost, "/api/v1/shops/"+w.a2.ID+"/archive", nil); code != 200 || got["archived_at"] == nil {
			t.Fatalf("archive A2: %d %v", code, got)
		}

		code, page := w.call(t, w.ownerA, http.MethodGet, "/api/v1/shops?limit=1", nil)
		items, _ := page["items"].([]any)
		if code != 200 || len(items) != 1 || page["next_cursor"] == "" {
			t.Fatalf("first page: %d %v", code, page)
		}
		code, page = w.call(t, w.ownerA, http.MethodGet, "/api/v1/shops?limit=1&cursor="+page["next_cursor"].(string), nil)
		items, _ = page["items"].([]any)
		if code != 200 || len(items) != 1 || items[0].(map[string]any)["id"] != id || page["next_cursor"] != "" {
			t.Fatalf("second (last) page: %d %v", code, page)
		}

		code, prof := w.call(t, w.ownerA, http.MethodGet, "/api/v1/merchant", nil)
		plan, _ := prof["plan"].(map[string]any)
		usage, _ := prof["usage"].(map[string]any)
		if code != 200 || plan["id"] != "pro" || prof["on_trial"] != true || usage["shops"] != 2.0 {
			t.Fatalf("merchant profile: %d %v", code, prof)
		}

		// Floor: create, read, rotate a QR token, delete.
		shopPath := "/api/v1/shops/" + id
		code, area := w.call(t, w.ownerA, http.MethodPost, shopPath+"/areas", map[string]any{"name": "Sân thượng"})
		if code != 201 {
			t.Fatalf("create area: %d %v", code, area)
		}
		code, table := w.call(t, w.ownerA, http.MethodPost, shopPath+"/tables",
			map[string]any{"area_id": area["id"], "name": "S1", "seats": 6, "shape": "round", "x": 3, "y": 4})
		if code != 201 || table["qr_token"] == "" || table["shape"] != "round" {
			t.Fatalf("create table: %d %v", code, table)
		}
		code, room := w.call(t, w.ownerA, http.MethodPost, shopPath+"/rooms", map[string]any{"name": "Phòng 1", "room_type": "medium"})
		if code != 201 || room["qr_token"] == "" {
			t.Fatalf("create room: %d %v", code, room)
		}
		code, rotated := w.call(t, w.ownerA, http.MethodPost, shopPath+"/tables/"+table["id"].(string)+"/qr-token", nil)
		if code != 200 || rotated["qr_token"] == table["qr_token"] {
			t.Fatalf("rotate: %d %v", code, rotated)
		}
		if _, err := w.svc.ResolveQRToken(context.Background(), table["qr_token"].(string)); err == nil {
			t.Error("the rotated-away token still resolves")
		}
		code, floor := w.call(t, w.ownerA, http.MethodGet, shopPath+"/floor", nil)
		areas, _ := floor["areas"].([]any)
		rooms, _ := floor["rooms"].([]any)
		if code != 200 || len(areas) != 1 || len(rooms) != 1 {
			t.Fatalf("floor: %d %v", code, floor)
		}
		tables, _ := areas[0].(map[string]any)["tables"].([]any)
		if len(tables) != 1 || tables[0].(map[string]any)["qr_token"] != rotated["qr_token"] {
			t.Fatalf("floor tables: %v", tables)
		}
		if code, body := w.call(t, w.ownerA, http.MethodDelete, shopPath+"/areas/"+area["id"].(string), nil); code != http.StatusConflict {
			t.Fatalf("delete an area with tables: %d %v, want 409", code, body)
		}
		for _, p := range []string{"/tables/" + table["id"].(string), "/rooms/" + room["id"].(string), "/areas/" + area["id"].(string)} {
			if code, body := w.call(t, w.ownerA, http.MethodDelete, shopPath+p, nil); code != http.StatusNoContent {
				t.Fatalf("delete %s: %d %v", p, code, body)
			}
			if code, _ := w.call(t, w.ownerA, http.MethodDelete, shopPath+p, nil); code != http.StatusNotFound {
				t.Fatalf("delete %s again: %d, want 404", p, code)
			}
		}

		if code, body := w.call(t, w.ownerA, http.MethodDelete, "/api/v1/merchant", nil); code != http.StatusNoContent {
			t.Fatalf("archive merchant: %d %v", code, body)
		}
		if code, prof = w.call(t, w.ownerA, http.MethodGet, "/api/v1/merchant", nil); code != 200 || prof["archived_at"] == nil {
			t.Fatalf("profile after archive: %d %v", code, prof)
		}
	})
}
