package app

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
)

// isolationWorld is merchant A's data, made through the API by A's owner, and merchant B's owner.
type isolationWorld struct {
	base     string
	ownerA   string
	ownerB   string
	ids      map[string]string // path parameter name → one of A's ids
	bodies   map[string]any    // operation id → a body the operation accepts
	queries  map[string]string // operation id → a query string the operation needs
	secretOf []string          // values of A that must never appear in B's answers
}

func (w *isolationWorld) must(t testing.TB, method, path, token string, body any, want int) map[string]any {
	t.Helper()
	var out map[string]any
	if code := call(t, method, w.base+path, token, body, &out); code != want {
		t.Fatalf("%s %s: %d %v, want %d", method, path, code, out, want)
	}
	return out
}

func newIsolationWorld(t *testing.T, base string) *isolationWorld {
	w := &isolationWorld{base: base, ids: map[string]string{}}
	signUp := func(email, merchant string) string {
		r := w.must(t, "POST", "/api/v1/auth/register", "", map[string]string{"email": email,
			"password": "Quán ăn ngon 2026", "full_name": "Chủ quán", "merchant_name": merchant}, 201)
		return r["access_token"].(string)
	}
	w.ownerA, w.ownerB = signUp("a@example.vn", "Quán A"), signUp("b@example.vn", "Quán B")
	a := w.ownerA
	shop := w.must(t, "POST", "/api/v1/shops", a, map[string]any{"name": "Chi nhánh A", "business_type": "karaoke",
		"address": "1 Lê Lợi", "vat_rate_percent": 8}, 201)
	w.ids["shop_id"] = shop["id"].(string)
	sp := "/api/v1/shops/" + w.ids["shop_id"]
	otherShop := w.must(t, "POST", "/api/v1/shops", a, map[string]any{"name": "Chi nhánh A2", "business_type": "cafe",
		"vat_rate_percent": 8}, 201)["id"].(string)
	w.ids["area_id"] = w.must(t, "POST", sp+"/areas", a, map[string]any{"name": "Tầng 1"}, 201)["id"].(string)
	table := w.must(t, "POST", sp+"/tables", a, map[string]any{"area_id": w.ids["area_id"], "name": "B1", "seats": 4}, 201)
	w.ids["table_id"] = table["id"].(string)
	room := w.must(t, "POST", sp+"/rooms", a, map[string]any{"name": "P1", "room_type": "vip"}, 201)
	w.ids["room_id"] = room["id"].(string)
	w.ids["user_id"] = w.must(t, "POST", sp+"/staff", a, map[string]any{"full_name": "Trần Thị Bình", "role": "cashier",
		"pin": "4826"}, 201)["id"].(string)
	device := w.must(t, "POST", sp+"/devices", a, map[string]any{"name": "Quầy 1"}, 201)
	w.ids["device_id"] = device["id"].(string)
	w.must(t, "PUT", sp+"/payment-providers/vnpay", a, map[string]any{"account_ref": "TMNA0001",
		"secrets": map[string]string{"hash_secret": "A-SECRET"}}, 200)
	w.ids["provider"] = "vnpay"

	// The menu, stock and files.
	w.ids["category_id"] = w.must(t, "POST", "/api/v1/categories", a, map[string]any{"name": "Đồ uống A", "station": "bar"}, 201)["id"].(string)
	group := w.must(t, "POST", "/api/v1/modifier-groups", a, map[string]any{"name": "Mức đường A", "min_select": 0,
		"max_select": 1, "options": []map[string]any{{"name": "Ít đường A", "price_delta": 0}}}, 201)
	w.ids["group_id"] = group["id"].(string)
	w.ids["option_id"] = group["options"].([]any)[0].(map[string]any)["id"].(string)
	w.ids["product_id"] = w.must(t, "POST", "/api/v1/products", a, map[string]any{"name": "Cà phê A", "category_id": w.ids["category_id"],
		"price": 29000, "modifier_group_ids": []string{w.ids["group_id"]}}, 201)["id"].(string)
	w.ids["stock_item_id"] = w.must(t, "POST", sp+"/stock-items", a, map[string]any{"name": "Cà phê hạt A", "unit": "g",
		"reorder_level": 500}, 201)["stock_item_id"].(string)
	w.ids["file_id"] = uploadPNG(t, base, a)
	ratePlan := map[string]any{"block_minutes": 15, "minimum_minutes": 60, "bands": []map[string]any{
		{"day_type": "weekday", "start": "00:00", "end": "18:00", "price_per_hour": 150000},
		{"day_type": "weekday", "start": "18:00", "end": "24:00", "price_per_hour": 220000}}}
	w.must(t, "PUT", sp+"/rate-plans/vip", a, ratePlan, 200)
	w.ids["room_type"] = "vip"
	w.ids["printer_id"] = w.must(t, "POST", sp+"/printers", a, map[string]any{"name": "Máy in bar A", "kind": "kitchen",
		"station": "bar", "address": "127.0.0.1:9"}, 201)["id"].(string)
	w.ids["order_id"] = w.must(t, "POST", sp+"/orders", a, map[string]any{"type": "dine_in", "table_id": w.ids["table_id"],
		"guests": 2}, 201)["id"].(string)
	withLine := w.must(t, "POST", "/api/v1/orders/"+w.ids["order_id"]+"/lines", a, map[string]any{"product_id": w.ids["product_id"],
		"quantity": 2, "modifier_option_ids": []string{w.ids["option_id"]}, "note": "ít đá A"}, 201)
	w.ids["line_id"] = withLine["lines"].([]any)[0].(map[string]any)["id"].(string)
	submitted := w.must(t, "POST", "/api/v1/orders/"+w.ids["order_id"]+"/submit", a, nil, 200)
	w.ids["ticket_id"] = submitted["tickets"].([]any)[0].(map[string]any)["id"].(string)
	jobs := w.must(t, "GET", sp+"/print-jobs", a, nil, 200)["items"].([]any)
	if len(jobs) != 1 {
		t.Fatalf("print jobs after the submit: %v, want the bar ticket's", jobs)
	}
	w.ids["job_id"] = jobs[0].(map[string]any)["id"].(string)
	w.secretOf = append(w.secretOf, w.ids["printer_id"], w.ids["job_id"], "Máy in bar A")
	tomorrow := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Hour)
	w.ids["booking_id"] = w.must(t, "POST", sp+"/bookings", a, map[string]any{"table_id": w.ids["table_id"],
		"starts_at": tomorrow, "ends_at": tomorrow.Add(2 * time.Hour), "party_size": 4, "customer_name": "Khách A",
		"customer_phone": "0901234567"}, 201)["id"].(string)
	w.secretOf = append(w.secretOf, w.ids["booking_id"], "Khách A", "0901234567")
	w.ids["payment_id"] = w.must(t, "POST", "/api/v1/orders/"+w.ids["order_id"]+"/payments", a, map[string]any{"method": "cash",
		"amount": 1000}, 201)["payment"].(map[string]any)["id"].(string)
	// A transfer into A's bank account that names no payment waits for A's manager.
	w.must(t, "PUT", sp+"/payment-providers/bank_transfer", a, map[string]any{"account_ref": "9704000111",
		"secrets": map[string]string{"api_key": "A-BANK-KEY"}}, 200)
	if code, body := request(t, "POST", base+"/api/v1/payments/bank-transfer/webhook", "", map[string]string{"Authorization": "Apikey A-BANK-KEY"},
		map[string]any{"id": 777001, "gateway": "VCB", "transactionDate": "2026-11-23 10:00:00", "accountNumber": "9704000111",
			"transferType": "in", "transferAmount": 5000, "content": "chuyen tien A", "referenceCode": "FT-A"}); code != 200 {
		t.Fatalf("bank webhook: %d %s", code, body)
	}
	transfers := w.must(t, "GET", sp+"/bank-transfers?status=unmatched", a, nil, 200)["items"].([]any)
	if len(transfers) != 1 {
		t.Fatalf("unmatched transfers: %v", transfers)
	}
	w.ids["transfer_id"] = transfers[0].(map[string]any)["id"].(string)
	w.secretOf = append(w.secretOf, w.ids["payment_id"], w.ids["transfer_id"], "9704000111", "chuyen tien A", "FT-A")
	w.ids["shift_id"] = w.must(t, "POST", sp+"/shifts", a, map[string]any{"opening_cash": 500000}, 201)["id"].(string)
	w.ids["wallet_id"] = w.must(t, "POST", "/api/v1/wallets", a, map[string]any{"phone": "0987654321", "name": "Khách ví A"}, 201)["id"].(string)
	topUp := w.must(t, "POST", "/api/v1/wallets/"+w.ids["wallet_id"]+"/top-ups", a, map[string]any{"amount": 200000,
		"method": "cash", "shop_id": w.ids["shop_id"]}, 201)
	w.ids["txn_id"] = topUp["id"].(string)
	w.secretOf = append(w.secretOf, w.ids["shift_id"], w.ids["wallet_id"], w.ids["txn_id"], "0987654321", "Khách ví A")
	w.queries = map[string]string{"split-order-equally": "?parts=2", "put-holidays": "?year=2026", "import-vietnam-holidays": "?year=2026", "get-end-of-day-report": "?date=2026-03-01", "get-qr-code": "?table_id=" + w.ids["table_id"], "get-booking-availability": "?starts_at=" + tomorrow.Format(time.RFC3339) +
		"&ends_at=" + tomorrow.Add(time.Hour).Format(time.RFC3339) + "&party_size=2"}
	w.secretOf = append(w.secretOf, w.ids["category_id"], w.ids["group_id"], w.ids["option_id"], w.ids["product_id"],
		w.ids["stock_item_id"], w.ids["file_id"], w.ids["ticket_id"], w.ids["order_id"], w.ids["line_id"], "ít đá A", "Đồ uống A", "Mức đường A", "Cà phê A", "Cà phê hạt A")

	w.secretOf = append(w.secretOf, w.ids["shop_id"], w.ids["area_id"], w.ids["table_id"], w.ids["room_id"], w.ids["user_id"],
		w.ids["device_id"], table["qr_token"].(string), room["qr_token"].(string), device["device_secret"].(string),
		"TMNA0001", "A-SECRET", "Chi nhánh A", "Trần Thị Bình")
	w.bodies = map[string]any{
		"update-shop":                map[string]any{"name": "Đổi tên"},
		"create-area":                map[string]any{"name": "Tầng 2"},
		"update-area":                map[string]any{"name": "Tầng 3"},
		"create-table":               map[string]any{"area_id": w.ids["area_id"], "name": "B9", "seats": 2},
		"update-table":               map[string]any{"seats": 6},
		"create-room":                map[string]any{"name": "P9", "room_type": "small"},
		"update-room":                map[string]any{"capacity": 12},
		"create-staff":               map[string]any{"full_name": "Kẻ lạ", "role": "waiter", "pin": "1111"},
		"change-staff-role":          map[string]any{"role": "waiter"},
		"register-device":            map[string]any{"name": "Quầy lạ"},
		"set-payment-provider":       map[string]any{"account_ref": "TMNB0001", "secrets": map[string]string{"hash_secret": "x"}},
		"transfer-shop":              map[string]any{"to_merchant_id": "ignored"},
		"update-category":            map[string]any{"name": "Đổi"},
		"update-modifier-group":      map[string]any{"name": "Đổi"},
		"update-product":             map[string]any{"name": "Đổi"},
		"set-shop-product":           map[string]any{"available": false},
		"put-product-recipe":         map[string]any{"ingredients": []map[string]any{{"stock_item_id": w.ids["stock_item_id"], "quantity": 18}}},
		"put-modifier-option-recipe": map[string]any{"ingredients": []map[string]any{{"stock_item_id": w.ids["stock_item_id"], "quantity": 1}}},
		"create-stock-item":          map[string]any{"name": "Sữa đặc", "unit": "g"},
		"create-stock-transfer":      map[string]any{"to_shop_id": otherShop, "lines": []map[string]any{{"stock_item_id": w.ids["stock_item_id"], "quantity": 1}}},
		"create-stocktake":           map[string]any{"counts": []map[string]any{{"stock_item_id": w.ids["stock_item_id"], "counted": 1}}},
		"record-stock-movement":      map[string]any{"stock_item_id": w.ids["stock_item_id"], "kind": "receipt", "quantity": 1},
		"rename-stock-item":          map[string]any{"name": "Đổi"},
		"update-stock-level":         map[string]any{"reorder_level": 5},
		"update-inventory-settings":  map[string]any{"deduct_on": "paid"},
		"set-kitchen-ticket-status":  map[string]any{"status": "preparing"},
		"add-stock-unit":             map[string]any{"name": "thùng", "factor": 24},
		"open-order":                 map[string]any{"type": "takeaway"},
		"add-order-line":             map[string]any{"product_id": w.ids["product_id"], "quantity": 1},
		"update-order-line":          map[string]any{"quantity": 3},
		"void-order-line":            map[string]any{"reason": "khách đổi món"},
		"cancel-order":               map[string]any{"reason": "khách về"},
		"create-booking": map[string]any{"table_id": w.ids["table_id"], "starts_at": tomorrow.Add(5 * time.Hour),
			"ends_at": tomorrow.Add(6 * time.Hour), "party_size": 2, "customer_name": "Lạ", "customer_phone": "0912345678"},
		"update-booking":             map[string]any{"party_size": 3},
		"create-printer":             map[string]any{"name": "Lạ", "kind": "receipt", "address": "127.0.0.1:9"},
		"update-printer":             map[string]any{"name": "Đổi"},
		"put-rate-plan":              ratePlan,
		"split-order":                map[string]any{"by_seat": true},
		"discount-order-line":        map[string]any{"kind": "percent", "value": 10, "reason": "khách quen"},
		"discount-order":             map[string]any{"kind": "fixed", "value": 5000, "reason": "khách quen"},
		"move-order-table":           map[string]any{"table_id": w.ids["table_id"]},
		"merge-orders":               map[string]any{"order_id": w.ids["order_id"]},
		"create-order-payment":       map[string]any{"method": "cash", "amount": 1000},
		"change-order-room":          map[string]any{"room_id": w.ids["room_id"]},
		"correct-order-timer":        map[string]any{"started_at": time.Now().Add(-time.Hour)},
		"put-holidays":               map[string]any{"dates": []map[string]any{{"date": "2026-12-24", "name": "Giáng sinh"}}},
		"refund-payment":             map[string]any{"amount": 500, "reason": "lạ"},
		"assign-bank-transfer":       map[string]any{"order_id": w.ids["order_id"]},
		"dismiss-bank-transfer":      map[string]any{"reason": "lạ"},
		"set-report-settings":        map[string]any{"open_minutes_per_day": 600, "default_target_minutes": 15, "station_targets": []any{}},
		"open-shift":                 map[string]any{"opening_cash": 100000},
		"close-shift":                map[string]any{"counted_cash": 100000},
		"create-shift-cash-movement": map[string]any{"type": "in", "amount": 1000, "reason": "lạ"},
		"create-wallet-top-up":       map[string]any{"amount": 1000, "method": "cash", "shop_id": w.ids["shop_id"]},
		"reverse-wallet-top-up":      map[string]any{"reason": "lạ"},
		"quote-rate-plan":            map[string]any{"starts_at": "2026-11-23T19:00:00+07:00", "ends_at": "2026-11-23T21:10:00+07:00"},
	}
	return w
}

type apiOperation struct {
	id, method, path string
	secured          bool
	needsBody        bool
}

func apiOperations(t *testing.T, base string) []apiOperation {
	t.Helper()
	res, err := http.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string           `json:"operationId"`
			Security    []map[string]any `json:"security"`
			RequestBody *struct {
				Required bool `json:"required"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var ops []apiOperation
	for path, methods := range doc.Paths {
		for method, op := range methods {
			ops = append(ops, apiOperation{id: op.OperationID, method: strings.ToUpper(method), path: path,
				secured: len(op.Security) > 0, needsBody: op.RequestBody != nil && op.RequestBody.Required})
		}
	}
	slices.SortFunc(ops, func(a, b apiOperation) int { return strings.Compare(a.id, b.id) })
	return ops
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// notTenantData are the secured operations whose path names no merchant's data, and why.
var notTenantData = map[string]string{
	"apply-menu-template": "menu templates are the platform's, the same for every merchant",
}

// uploadPNG uploads a small PNG as the caller and returns the file's id.
func uploadPNG(t *testing.T, base, token string) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	var pngBytes bytes.Buffer
	if err := png.Encode(&pngBytes, img); err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreateFormFile("file", "logo.png")
	part.Write(pngBytes.Bytes())
	mw.Close()
	req, _ := http.NewRequest("POST", base+"/api/v1/files", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	if res.StatusCode != 201 {
		t.Fatalf("upload: %d %v", res.StatusCode, out)
	}
	return out["id"].(string)
}

// TestEveryRouteHidesAnotherMerchantsData walks every operation of the API as merchant B's owner against
// merchant A's data: each one that names a resource in its path answers 404, and each list B may read
// shows nothing of A. A new route with a path parameter the walk has no fixture for fails the test, so
// every module's routes are covered as they are added. It runs on SQLite and, when configured, on
// PostgreSQL as a non-superuser (row-level security in force).
func TestEveryRouteHidesAnotherMerchantsData(t *testing.T) {
	for _, dialect := range dbtest.Dialects() {
		t.Run(string(dialect), func(t *testing.T) {
			cfg := testConfig(t)
			if dialect == db.Postgres {
				cfg.DatabaseURL = dbtest.URL(t, db.Postgres)
			}
			base, _ := start(t, cfg, modules())
			w := newIsolationWorld(t, base)
			checked := 0
			for _, op := range apiOperations(t, base) {
				if !op.secured {
					continue // public routes take no tenant from a token; their own tests cover them
				}
				if _, ok := notTenantData[op.id]; ok {
					continue
				}
				params := pathParam.FindAllStringSubmatch(op.path, -1)
				if len(params) == 0 {
					if op.method != http.MethodGet {
						continue // creates or changes B's own data
					}
					var out any
					code := call(t, op.method, base+op.path, w.ownerB, nil, &out)
					blob, _ := json.Marshal(out)
					for _, v := range w.secretOf {
						if strings.Contains(string(blob), v) {
							t.Errorf("GET %s as merchant B (%d) shows merchant A's %q", op.path, code, v)
						}
					}
					checked++
					continue
				}
				url := op.path
				for _, p := range params {
					v, ok := w.ids[p[1]]
					if !ok {
						t.Errorf("%s %s: no fixture for {%s}; add one of merchant A's to newIsolationWorld", op.method, op.path, p[1])
						continue
					}
					url = strings.ReplaceAll(url, p[0], v)
				}
				body, ok := w.bodies[op.id]
				if op.needsBody && !ok {
					t.Errorf("%s %s: no body for %s; add a valid one to newIsolationWorld", op.method, op.path, op.id)
					continue
				}
				var out map[string]any
				if code := call(t, op.method, base+url+w.queries[op.id], w.ownerB, body, &out); code != http.StatusNotFound {
					t.Errorf("%s %s as merchant B's owner: %d %v, want 404", op.method, op.path, code, out)
				}
				checked++
			}
			if checked < 30 {
				t.Errorf("only %d operations checked", checked)
			}
			// A's data is as A left it.
			shop := w.must(t, "GET", "/api/v1/shops/"+w.ids["shop_id"], w.ownerA, nil, 200)
			if shop["name"] != "Chi nhánh A" || shop["archived_at"] != nil {
				t.Errorf("A's shop after B's attempts: %v", shop)
			}
			staff := w.must(t, "GET", "/api/v1/shops/"+w.ids["shop_id"]+"/staff", w.ownerA, nil, 200)
			if items := staff["items"].([]any); len(items) != 1 || items[0].(map[string]any)["role"] != "cashier" {
				t.Errorf("A's staff after B's attempts: %v", staff)
			}
			t.Logf("%d operations checked", checked)
		})
	}
}

// Through the real server, on both engines: role changes and a shop transfer land in the audit logs (the
// transfer's entries are written by the system transaction into both merchants' logs), and the shop with its
// floor changes hands.
func TestShopTransferAndStaffChangesAreAudited(t *testing.T) {
	for _, dialect := range dbtest.Dialects() {
		t.Run(string(dialect), func(t *testing.T) {
			cfg := testConfig(t)
			if dialect == db.Postgres {
				cfg.DatabaseURL = dbtest.URL(t, db.Postgres)
			}
			base, _ := start(t, cfg, modules())
			w := newIsolationWorld(t, base)
			sp := "/api/v1/shops/" + w.ids["shop_id"]
			w.must(t, "PATCH", sp+"/staff/"+w.ids["user_id"], w.ownerA, map[string]any{"role": "waiter"}, 200)
			merchantB := w.must(t, "GET", "/api/v1/me", w.ownerB, nil, 200)["merchant"].(map[string]any)["id"].(string)
			// An open order blocks the transfer; once it is cancelled the shop moves.
			w.must(t, "POST", sp+"/transfer", w.ownerA, map[string]any{"to_merchant_id": merchantB}, 409)
			w.must(t, "POST", "/api/v1/payments/"+w.ids["payment_id"]+"/refunds", w.ownerA, map[string]any{"amount": 1000,
				"reason": "đóng cửa"}, 201)
			w.must(t, "POST", "/api/v1/orders/"+w.ids["order_id"]+"/cancel", w.ownerA, map[string]any{"reason": "đóng cửa"}, 200)
			moved := w.must(t, "POST", sp+"/transfer", w.ownerA, map[string]any{"to_merchant_id": merchantB}, 200)
			if moved["is_default"] != true {
				t.Errorf("B had no shop, so the moved shop is its default: %v", moved)
			}
			w.must(t, "GET", sp, w.ownerA, nil, 404)
			floor := w.must(t, "GET", sp+"/floor", w.ownerB, nil, 200)
			if rooms, _ := floor["rooms"].([]any); len(rooms) != 1 {
				t.Errorf("B's floor of the moved shop: %v", floor)
			}
			staff := w.must(t, "GET", sp+"/staff", w.ownerB, nil, 200)
			if items := staff["items"].([]any); len(items) != 0 {
				t.Errorf("memberships survived the transfer: %v", items)
			}
			events := func(token string) []string {
				var out []string
				for _, e := range w.must(t, "GET", "/api/v1/audit-log?limit=200", token, nil, 200)["items"].([]any) {
					out = append(out, e.(map[string]any)["event"].(string))
				}
				return out
			}
			a, b := events(w.ownerA), events(w.ownerB)
			for _, want := range []string{"staff.role_changed", "device.registered", "payment_provider.credentials_set", "shop.transferred_out"} {
				if !slices.Contains(a, want) {
					t.Errorf("A's audit log %v lacks %s", a, want)
				}
			}
			if !slices.Contains(b, "shop.transferred_in") || slices.Contains(b, "staff.role_changed") {
				t.Errorf("B's audit log: %v", b)
			}
		})
	}
}
