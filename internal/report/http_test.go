package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/httpapi/httpapitest"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// site is the reports over HTTP for merchant m, whose three shops sold what w says, and merchant other.
type site struct {
	w       *world
	o       *oracle
	handler http.Handler
}

func newSite(t *testing.T, d *db.DB) *site {
	t.Helper()
	g := &generator{r: rand.New(rand.NewPCG(7, 7)), start: start, days: 2}
	m, other := tenant.ID(db.NewID()), tenant.ID(db.NewID())
	w := g.world(m, 3, 60)
	dir := directory{names: names, categories: cats, shops: map[tenant.ID]map[string]ShopInfo{m: {}, other: {"b1": {Name: "B"}}}}
	shopNames := map[string]string{}
	for _, shop := range w.shops {
		shopNames[shop] = "Quán " + shop[:6]
		dir.shops[m][shop] = ShopInfo{Name: shopNames[shop], Rooms: w.rooms[shop]}
	}
	svc := New(d, clock.NewFake(start), Options{Staff: dir, Catalog: dir, Shops: dir})
	for _, ev := range w.events() {
		feed(t, d, svc, ev)
	}
	shopRole := func(shop, role string) *httpapi.Principal {
		return &httpapi.Principal{UserID: role + "-" + shop, MerchantID: m, ShopRoles: map[string][]string{shop: {role}}, Kind: "staff"}
	}
	principals := httpapitest.Tokens{
		"owner":          {UserID: "owner", MerchantID: m, Roles: []string{"owner"}, Kind: "user"},
		"manager":        {UserID: "manager", MerchantID: m, Roles: []string{"manager"}, Kind: "user"},
		"shop-manager-0": shopRole(w.shops[0], "manager"),
		"cashier-0":      shopRole(w.shops[0], "cashier"),
		"other-owner":    {UserID: "other", MerchantID: other, Roles: []string{"owner"}, Kind: "user"},
	}
	srv := httpapitest.NewServer(t, httpapi.Config{}, d, clock.NewFake(start), principals)
	svc.Routes(srv.API)
	return &site{w: w, o: &oracle{w: w, names: names, catNames: cats, shopNames: shopNames}, handler: srv.Handler()}
}

func (s *site) get(t *testing.T, token, path string) *httptest.ResponseRecorder {
	t.Helper()
	return httpapitest.Do(t, s.handler, token, http.MethodGet, path, nil)
}

func decode(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%d, not JSON: %q", rec.Code, rec.Body.String())
	}
	return out
}

func TestReportsOverHTTP(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		s := newSite(t, d)
		shop0, shop1 := s.w.shops[0], s.w.shops[1]
		from, to := start.Format("2006-01-02"), start.AddDate(0, 0, 1).Format("2006-01-02")

		// The core contract's shapes.
		rec := s.get(t, "owner", "/api/v1/reports/revenue?from="+from+"&to="+to)
		if rec.Code != http.StatusOK {
			t.Fatalf("revenue: %d %s", rec.Code, rec.Body)
		}
		body := decode(t, rec)
		kpis := body["kpis"].(map[string]any)
		for _, k := range []string{"revenue", "orders", "average_ticket", "customers"} {
			if _, ok := kpis[k]; !ok {
				t.Errorf("kpis lacks %s", k)
			}
		}
		want := s.o.revenue(from, to, Scope{}, DefaultTop)
		if int64(kpis["revenue"].(float64)) != int64(want.KPIs.Revenue) || want.KPIs.Revenue == 0 {
			t.Errorf("revenue %v, want %d", kpis["revenue"], want.KPIs.Revenue)
		}
		shapes := map[string][]string{"series": {"date", "revenue"}, "by_category": {"name", "revenue"},
			"by_payment_method": {"method", "amount"}, "by_hour": {"hour", "revenue"},
			"top_products": {"product_id", "name", "quantity", "revenue"}}
		for list, keys := range shapes {
			items, _ := body[list].([]any)
			if len(items) == 0 {
				t.Errorf("%s is empty", list)
				continue
			}
			for _, k := range keys {
				if _, ok := items[0].(map[string]any)[k]; !ok {
					t.Errorf("%s[0] lacks %s", list, k)
				}
			}
		}
		if _, ok := body["previous"].(map[string]any)["kpis"]; !ok {
			t.Error("no previous period")
		}

		rec = s.get(t, "owner", "/api/v1/shops/"+shop0+"/reports/end-of-day?date="+from)
		body = decode(t, rec)
		for _, k := range []string{"date", "orders", "gross_sales", "discounts", "net_sales", "vat", "service_charge",
			"by_payment_method", "by_category", "voids", "refunds", "cash", "by_staff", "guests"} {
			if _, ok := body[k]; !ok {
				t.Errorf("end of day lacks %s", k)
			}
		}
		if got := s.get(t, "owner", "/api/v1/reports/end-of-day?shop_id="+shop0+"&date="+from).Body.String(); got != rec.Body.String() {
			t.Error("the end-of-day report differs by path")
		}

		rec = s.get(t, "manager", "/api/v1/reports/staff-performance?from="+from+"&to="+to+"&sort=orders")
		body = decode(t, rec)
		items := body["items"].([]any)
		if len(items) == 0 {
			t.Fatal("no staff")
		}
		for _, k := range []string{"staff_id", "name", "orders", "revenue", "average_ticket", "tickets_completed_on_time_percent", "voids"} {
			if _, ok := items[0].(map[string]any)[k]; !ok {
				t.Errorf("staff item lacks %s", k)
			}
		}
		rec = s.get(t, "owner", "/api/v1/reports/venue?from="+from+"&to="+to+"&shop_id="+shop1)
		if rec.Code != http.StatusOK || decode(t, rec)["rooms"] == nil {
			t.Errorf("venue: %d %s", rec.Code, rec.Body)
		}

		// Access: a cashier reads no reports; another merchant's owner cannot reach the shop; a manager of one
		// shop sees that shop only, whatever they ask.
		for _, c := range []struct {
			token, path string
			status      int
		}{
			{"cashier-0", "/api/v1/shops/" + shop0 + "/reports/end-of-day?date=" + from, http.StatusForbidden},
			{"cashier-0", "/api/v1/reports/revenue?from=" + from + "&to=" + to, http.StatusForbidden},
			{"other-owner", "/api/v1/shops/" + shop0 + "/reports/end-of-day?date=" + from, http.StatusNotFound},
			{"other-owner", "/api/v1/reports/revenue?from=" + from + "&to=" + to + "&shop_id=" + shop0, http.StatusNotFound},
			{"shop-manager-0", "/api/v1/reports/revenue?from=" + from + "&to=" + to + "&shop_id=" + shop1, http.StatusNotFound},
			{"shop-manager-0", "/api/v1/shops/" + shop1 + "/reports/end-of-day?date=" + from, http.StatusNotFound},
			{"shop-manager-0", "/api/v1/reports/end-of-day?shop_id=" + shop1 + "&date=" + from, http.StatusNotFound},
			{"", "/api/v1/reports/revenue?from=" + from + "&to=" + to, http.StatusUnauthorized},
			{"owner", "/api/v1/reports/revenue?from=" + to + "&to=" + from, http.StatusUnprocessableEntity},
			{"owner", "/api/v1/reports/revenue?from=" + from, http.StatusUnprocessableEntity},
			{"owner", "/api/v1/reports/staff-performance?from=" + from + "&to=" + to + "&sort=height", http.StatusUnprocessableEntity},
			{"owner", "/api/v1/shops/" + shop0 + "/reports/end-of-day?date=yesterday", http.StatusUnprocessableEntity},
		} {
			if rec := s.get(t, c.token, c.path); rec.Code != c.status {
				t.Errorf("%s %s: %d, want %d (%s)", c.token, c.path, rec.Code, c.status, rec.Body)
			}
		}
		rec = s.get(t, "shop-manager-0", "/api/v1/reports/revenue?from="+from+"&to="+to)
		got := decode(t, rec)["kpis"].(map[string]any)["revenue"].(float64)
		if want := s.o.kpis(from, to, Scope{ShopID: shop0}).Revenue; int64(got) != int64(want) {
			t.Errorf("a shop's manager sees revenue %v, want their shop's %d", got, want)
		}
		if rec := s.get(t, "other-owner", "/api/v1/reports/revenue?from="+from+"&to="+to); decode(t, rec)["kpis"].(map[string]any)["revenue"].(float64) != 0 {
			t.Error("another merchant sees revenue")
		}
	})
}

func TestReportFiles(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		s := newSite(t, d)
		shop0 := s.w.shops[0]
		from, to := start.Format("2006-01-02"), start.AddDate(0, 0, 1).Format("2006-01-02")

		rec := s.get(t, "owner", "/api/v1/reports/staff-performance?from="+from+"&to="+to+"&format=csv&sort=name&shop_id="+shop0)
		if ct := rec.Header().Get("Content-Type"); rec.Code != http.StatusOK || !strings.HasPrefix(ct, "text/csv") {
			t.Fatalf("staff CSV: %d %s", rec.Code, ct)
		}
		if !strings.Contains(rec.Header().Get("Content-Disposition"), "attachment") {
			t.Error("the CSV is not an attachment")
		}
		raw := rec.Body.Bytes()
		if !bytes.HasPrefix(raw, []byte("\xEF\xBB\xBF")) {
			t.Fatal("no UTF-8 byte-order mark")
		}
		rows, err := csv.NewReader(bytes.NewReader(raw[3:])).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := s.o.staff(from, to, Scope{ShopID: shop0}, "name", false)
		if len(rows) != len(want.Items)+1 {
			t.Fatalf("%d rows, want a header and %d", len(rows), len(want.Items))
		}
		for i, it := range want.Items {
			name := it.Name
			if strings.HasPrefix(name, "@") {
				name = "'" + name // a cell a spreadsheet would run is neutralised
			}
			if rows[i+1][1] != name || rows[i+1][3] != num(it.Revenue) {
				t.Errorf("row %d: %v, want %s with revenue %d", i+1, rows[i+1], name, it.Revenue)
			}
		}

		rec = s.get(t, "owner", "/api/v1/shops/"+shop0+"/reports/end-of-day?format=csv&date="+from)
		raw = rec.Body.Bytes()
		if rec.Code != http.StatusOK || !bytes.HasPrefix(raw, []byte("\xEF\xBB\xBF")) {
			t.Fatalf("end-of-day CSV: %d", rec.Code)
		}
		rows, err = csv.NewReader(bytes.NewReader(raw[3:])).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		eod := s.o.endOfDay(shop0, from)
		found := false
		for _, r := range rows {
			for _, cell := range r {
				if len(cell) > 0 && strings.ContainsRune("=+-@", rune(cell[0])) {
					if _, err := json.Number(cell).Int64(); err != nil {
						t.Errorf("cell %q would run as a formula", cell)
					}
				}
			}
			if r[0] == "Tổng hợp" && r[1] == "Doanh thu" {
				found = r[4] == num(eod.Revenue)
			}
		}
		if !found {
			t.Errorf("no revenue row of %d in the end-of-day CSV", eod.Revenue)
		}

		rec = s.get(t, "owner", "/api/v1/shops/"+shop0+"/reports/end-of-day?format=html&date="+from)
		page := rec.Body.String()
		if ct := rec.Header().Get("Content-Type"); rec.Code != http.StatusOK || !strings.HasPrefix(ct, "text/html") {
			t.Fatalf("end-of-day page: %d %s", rec.Code, ct)
		}
		for _, want := range []string{"@page", eod.ShopName, eod.Revenue.String(), "Tiền mặt"} {
			if !strings.Contains(page, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		if strings.Contains(page, "<script") {
			t.Error("the page has a script")
		}
	})
}

func TestSettingsAndRebuildOverHTTP(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		s := newSite(t, d)
		shop0 := s.w.shops[0]
		put := func(token string, body string) *httptest.ResponseRecorder {
			return httpapitest.Do(t, s.handler, token, http.MethodPut, "/api/v1/shops/"+shop0+"/report-settings", body)
		}
		if rec := put("cashier-0", `{"open_minutes_per_day": 600, "default_target_minutes": 10, "station_targets": []}`); rec.Code != http.StatusForbidden {
			t.Errorf("a cashier changed report settings: %d", rec.Code)
		}
		if rec := put("manager", `{"open_minutes_per_day": 0, "default_target_minutes": 10}`); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("0 open minutes: %d", rec.Code)
		}
		rec := put("manager", `{"open_minutes_per_day": 600, "default_target_minutes": 10, "station_targets": [{"station": "bar", "target_minutes": 3}]}`)
		if rec.Code != http.StatusOK {
			t.Fatalf("settings: %d %s", rec.Code, rec.Body)
		}
		if got := decode(t, s.get(t, "owner", "/api/v1/shops/"+shop0+"/report-settings")); got["open_minutes_per_day"].(float64) != 600 {
			t.Errorf("settings read back: %v", got)
		}
		post := func(token string) *httptest.ResponseRecorder {
			return httpapitest.Do(t, s.handler, token, http.MethodPost, "/api/v1/reports/rebuild", nil)
		}
		if rec := post("manager"); rec.Code != http.StatusForbidden {
			t.Errorf("a manager rebuilt the reports: %d", rec.Code)
		}
		rec = post("owner")
		if rec.Code != http.StatusOK || decode(t, rec)["replayed"].(float64) == 0 {
			t.Errorf("rebuild: %d %s", rec.Code, rec.Body)
		}
	})
}
