package report

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
	"github.com/goodgo/goodgo/internal/report/reportdb"
)

var sources = []migrate.Source{Migrations}

// directory is the other modules as the service sees them: people's and categories' names, and shops.
type directory struct {
	names, categories map[string]string
	shops             map[tenant.ID]map[string]ShopInfo
}

func (d directory) Names(_ context.Context, _ tenant.ID, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		if n, ok := d.names[id]; ok {
			out[id] = n
		}
	}
	return out, nil
}

func (d directory) CategoryNames(_ context.Context, _ tenant.ID, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		if n, ok := d.categories[id]; ok {
			out[id] = n
		}
	}
	return out, nil
}

func (d directory) Shop(_ context.Context, m tenant.ID, shopID string) (ShopInfo, error) {
	sh, ok := d.shops[m][shopID]
	if !ok {
		return ShopInfo{}, apperr.E(apperr.NotFound, "shop not found")
	}
	return sh, nil
}

var (
	start = time.Date(2026, 3, 1, 0, 0, 0, 0, clock.VietnamZone)
	names = map[string]string{"u-an": "Nguyễn Văn An", "u-binh": "Trần Thị Bình", "u-chi": "@Lê Chi"}
	cats  = map[string]string{"c-food": "Món ăn", "c-drink": "Đồ uống"}
)

// feed hands ev to the consumer as the bus would: in a transaction of the event's merchant.
func feed(t testing.TB, d *db.DB, svc *Service, ev events.Event) {
	t.Helper()
	if err := d.WithTx(context.Background(), ev.MerchantID, func(tx *sql.Tx) error {
		return svc.HandleEvent(context.Background(), tx, ev)
	}); err != nil {
		t.Fatalf("handle %s: %v", ev.Type, err)
	}
}

// sameJSON fails t when got and want differ, showing both.
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", " ")
	w, _ := json.MarshalIndent(want, "", " ")
	if string(g) != string(w) {
		gl, wl := strings.Split(string(g), "\n"), strings.Split(string(w), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s\n(got %d lines, want %d)", what, i+1, gl[i], wl[i], len(gl), len(wl))
			}
		}
		t.Fatalf("%s differs in length: got %d lines, want %d", what, len(gl), len(wl))
	}
}

// TestReportsEqualWhatWasSold feeds the consumer the events of random worlds — closed, split, merged and
// cancelled orders with discounts, voids, refunds, several payment methods, room time, kitchen tickets
// (some recalled), closed shifts — in a random order with a quarter of them delivered twice, and checks
// every figure of every report against a recomputation from the source data; then rebuilds the read models
// from the kept events and checks again. Several merchants share the database: each sees only its own.
func TestReportsEqualWhatWasSold(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		for seed := range uint64(3) {
			g := &generator{r: rand.New(rand.NewPCG(seed, 42)), start: start, days: 45}
			m := tenant.ID(db.NewID())
			w := g.world(m, 3, 160)
			dir := directory{names: names, categories: cats, shops: map[tenant.ID]map[string]ShopInfo{m: {}}}
			shopNames := map[string]string{}
			for i, shop := range w.shops {
				shopNames[shop] = fmt.Sprintf("Quán %d", i+1)
				dir.shops[m][shop] = ShopInfo{Name: shopNames[shop], Rooms: w.rooms[shop]}
			}
			svc := New(d, clock.NewFake(start), Options{Staff: dir, Catalog: dir, Shops: dir})
			settings := map[string]ReportSettings{
				w.shops[0]: {OpenMinutesPerDay: 960, DefaultTargetMinutes: 12, StationTargets: []StationTarget{{Station: "bar", TargetMinutes: 5}}},
				w.shops[1]: {OpenMinutesPerDay: 720, DefaultTargetMinutes: 20, StationTargets: []StationTarget{}},
			}
			for shop, st := range settings {
				if _, err := svc.SetSettings(ctx, m, shop, st); err != nil {
					t.Fatal(err)
				}
			}
			evs := w.events()
			// Outbox ids are time-ordered and a rebuild replays in id order: shuffle the ids too, so the
			// rebuild meets the events out of order as well.
			ids := make([]string, len(evs))
			for i := range evs {
				ids[i] = evs[i].ID
			}
			g.r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
			for i := range evs {
				evs[i].ID = ids[i]
			}
			g.r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
			deliveries := slices.Clone(evs)
			for _, ev := range evs {
				if g.r.IntN(4) == 0 { // delivered again, at any point (even before the first delivery)
					j := g.r.IntN(len(deliveries) + 1)
					deliveries = slices.Insert(deliveries, j, ev)
				}
			}
			for _, ev := range deliveries {
				feed(t, d, svc, ev)
			}
			o := &oracle{w: w, names: names, catNames: cats, shopNames: shopNames, settings: settings}
			t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
				checkReports(t, svc, o, g)
				replayed, skipped, err := svc.Rebuild(ctx, m)
				if err != nil {
					t.Fatal(err)
				}
				if want := len(w.events()) - 1; replayed != want || skipped != 0 { // less the ignored type
					t.Fatalf("rebuild replayed %d events (%d skipped), want %d", replayed, skipped, want)
				}
				checkReports(t, svc, o, g)
			})
		}
	})
}

// checkReports compares every report the service gives with the oracle's.
func checkReports(t *testing.T, svc *Service, o *oracle, g *generator) {
	t.Helper()
	ctx := context.Background()
	m, shops := o.w.m, o.w.shops
	day := func(i int) string { return start.AddDate(0, 0, i).Format(time.DateOnly) }
	var total money.VND
	for _, shop := range shops {
		for i := -1; i <= g.days; i++ {
			got, err := svc.EndOfDay(ctx, m, shop, day(i))
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, "end of day "+shop+" "+day(i), got, o.endOfDay(shop, day(i)))
			total += got.Revenue
		}
	}
	var sold money.VND
	for _, ord := range o.w.orders {
		for _, p := range ord.payments {
			sold += money.VND(p.amount - p.refunded)
		}
	}
	if total != sold || sold == 0 {
		t.Fatalf("the days' revenue adds up to %d, the payments kept %d", total, sold)
	}
	shop := func(i int) string { return shops[i%len(shops)] }
	scopes := []Scope{{}, {ShopID: shop(0)}, {ShopID: shop(1)}, {Shops: []string{shop(0), shop(2)}}, {Shops: []string{}}}
	ranges := [][2]string{{day(0), day(g.days)}, {day(1), day(1)}, {day(5), day(45)}, {day(2), day(g.days + 3)}, {day(31), day(44)}}
	for _, sc := range scopes {
		for _, r := range ranges {
			what := fmt.Sprintf("%v %v", sc, r)
			rev, err := svc.Revenue(ctx, m, sc, r[0], r[1], 5)
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, "revenue "+what, rev, o.revenue(r[0], r[1], sc, 5))
			var byCat, byMethod money.VND
			for _, c := range rev.ByCategory {
				byCat += c.Revenue
			}
			for _, p := range rev.ByPaymentMethod {
				byMethod += p.Amount
			}
			if byCat != rev.KPIs.Revenue || byMethod != rev.KPIs.Revenue {
				t.Fatalf("%s: categories add up to %d, methods to %d, revenue is %d", what, byCat, byMethod, rev.KPIs.Revenue)
			}
			sorts := []string{"revenue"}
			if sc.ShopID == "" && sc.Shops == nil && r == ranges[0] {
				sorts = StaffSorts() // every column once
			}
			for _, sort := range sorts {
				for _, desc := range []bool{true, false} {
					got, err := svc.StaffPerformance(ctx, m, sc, r[0], r[1], sort, desc)
					if err != nil {
						t.Fatal(err)
					}
					sameJSON(t, "staff "+what+" "+sort, got, o.staff(r[0], r[1], sc, sort, desc))
				}
			}
			v, err := svc.Venue(ctx, m, sc, r[0], r[1])
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, "venue "+what, v, o.venue(r[0], r[1], sc))
		}
	}
}

func TestSpansCoverARangeWithFewestRows(t *testing.T) {
	p := func(from, to string) period {
		pp, err := parsePeriod(from, to)
		if err != nil {
			t.Fatal(err)
		}
		return pp
	}
	tests := []struct {
		from, to string
		want     []span
	}{
		{"2026-03-05", "2026-03-05", []span{{"2026-03-05", "2026-03-05"}}},
		{"2026-03-01", "2026-03-31", []span{{"M2026-03", "M2026-03"}}},
		{"2026-03-01", "2026-03-30", []span{{"D2026-03-1", "D2026-03-2"}, {"2026-03-21", "2026-03-30"}}},
		{"2026-02-21", "2026-02-28", []span{{"D2026-02-3", "D2026-02-3"}}},
		{"2026-03-06", "2026-05-12", []span{{"2026-03-06", "2026-03-10"}, {"D2026-03-2", "D2026-03-3"},
			{"M2026-04", "M2026-04"}, {"D2026-05-1", "D2026-05-1"}, {"2026-05-11", "2026-05-12"}}},
		{"2025-12-11", "2026-02-10", []span{{"D2025-12-2", "D2025-12-3"}, {"M2026-01", "M2026-01"}, {"D2026-02-1", "D2026-02-1"}}},
	}
	for _, tt := range tests {
		if got := p(tt.from, tt.to).spans(); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("spans %s…%s = %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
	// Any range: every day is in exactly one key the spans cover, and no other day is.
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		from := start.AddDate(0, 0, r.IntN(400))
		to := from.AddDate(0, 0, r.IntN(200))
		pp := p(from.Format(time.DateOnly), to.Format(time.DateOnly))
		spans := pp.spans()
		for d := from.AddDate(0, 0, -40); d.Before(to.AddDate(0, 0, 40)); d = d.AddDate(0, 0, 1) {
			hits := 0
			for _, key := range periodKeys(d.Format(time.DateOnly)) {
				for _, sp := range spans {
					if key >= sp.from && key <= sp.to && key[0] == sp.from[0] {
						hits++
					}
				}
			}
			inside := !d.Before(from) && !d.After(to)
			if (inside && hits != 1) || (!inside && hits != 0) {
				t.Fatalf("%s…%s: day %s counted %d times (%v)", pp.fromDay(), pp.toDay(), d.Format(time.DateOnly), hits, spans)
			}
		}
	}
}

// only is the part of w that happened in the shops named, as merchant m's.
func (w *world) only(m tenant.ID, shops ...string) *world {
	out := &world{m: m, shops: shops, rooms: map[string][]Place{}, staff: w.staff}
	for _, shop := range shops {
		out.rooms[shop] = w.rooms[shop]
	}
	for _, o := range w.orders {
		if slices.Contains(shops, o.shop) {
			out.orders = append(out.orders, o)
		}
	}
	for _, t := range w.tickets {
		if slices.Contains(shops, t.shop) {
			out.tickets = append(out.tickets, t)
		}
	}
	for _, v := range w.voids {
		if slices.Contains(shops, v.shop) {
			out.voids = append(out.voids, v)
		}
	}
	for _, s := range w.shifts {
		if slices.Contains(shops, s.shop) {
			out.shifts = append(out.shifts, s)
		}
	}
	return out
}

// TestShopTransferTakesItsReports moves a shop to another merchant (the transfer's system transaction):
// its history leaves the first merchant's reports, whole, and shows in the second's, also after a rebuild.
func TestShopTransferTakesItsReports(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		g := &generator{r: rand.New(rand.NewPCG(9, 9)), start: start, days: 35}
		a, b := tenant.ID(db.NewID()), tenant.ID(db.NewID())
		w := g.world(a, 3, 90)
		moved := w.shops[2]
		dir := directory{names: names, categories: cats, shops: map[tenant.ID]map[string]ShopInfo{a: {}, b: {}}}
		for _, shop := range w.shops {
			dir.shops[a][shop] = ShopInfo{Name: "Quán " + shop, Rooms: w.rooms[shop]}
		}
		dir.shops[b][moved] = dir.shops[a][moved]
		svc := New(d, clock.NewFake(start), Options{Staff: dir, Catalog: dir, Shops: dir})
		for _, ev := range w.events() {
			feed(t, d, svc, ev)
		}
		if err := d.WithSystemTx(ctx, "test: a shop transfer", func(tx *sql.Tx) error {
			return svc.MoveShop(ctx, tx, moved, a, b)
		}); err != nil {
			t.Fatal(err)
		}
		shopNames := map[string]string{}
		for _, shop := range w.shops {
			shopNames[shop] = "Quán " + shop
		}
		oa := &oracle{w: w.only(a, w.shops[0], w.shops[1]), names: names, catNames: cats, shopNames: shopNames}
		ob := &oracle{w: w.only(b, moved), names: names, catNames: cats, shopNames: shopNames}
		checkReports(t, svc, oa, g)
		checkReports(t, svc, ob, g)
		for _, m := range []tenant.ID{a, b} {
			if _, _, err := svc.Rebuild(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		checkReports(t, svc, oa, g)
		checkReports(t, svc, ob, g)
		got, err := svc.Merchants(ctx)
		if err != nil || !slices.Contains(got, a) || !slices.Contains(got, b) {
			t.Errorf("merchants with reports: %v (%v), want %s and %s among them", got, err, a, b)
		}
		if d.Dialect() == db.Postgres { // a tenant transaction never sees across tenants, system query or not
			if err := d.ReadTx(ctx, a, func(tx *sql.Tx) error {
				ids, err := reportdb.New(tx).EventMerchants(ctx)
				if err == nil && (len(ids) != 1 || ids[0] != string(a)) {
					t.Errorf("merchant A's transaction lists merchants %v", ids)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestAllocateSharesEveryDong(t *testing.T) {
	tests := []struct {
		amount  money.VND
		weights []money.VND
		want    []money.VND
		rest    money.VND
	}{
		{100, []money.VND{1, 1, 1}, []money.VND{34, 33, 33}, 0},
		{100, []money.VND{1, 2, 2}, []money.VND{20, 40, 40}, 0},
		{101, []money.VND{10, 30, 0}, []money.VND{25, 76, 0}, 0},
		{0, []money.VND{5, 5}, []money.VND{0, 0}, 0},
		{5000, []money.VND{0, 0}, []money.VND{0, 0}, 5000},
		{5000, nil, []money.VND{}, 5000},
		{-99, []money.VND{1, 2}, []money.VND{-33, -66}, 0},
		// Large amounts do not overflow: 9e12 × 9e12 is far beyond int64.
		{9_000_000_000_000, []money.VND{9_000_000_000_000, 1}, []money.VND{9_000_000_000_000, 0}, 0},
		{9_000_000_000_000, []money.VND{4_500_000_000_000, 4_500_000_000_000}, []money.VND{4_500_000_000_000, 4_500_000_000_000}, 0},
	}
	for _, tt := range tests {
		got, rest := Allocate(tt.amount, tt.weights)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) || rest != tt.rest {
			t.Errorf("Allocate(%d, %v) = %v rest %d, want %v rest %d", tt.amount, tt.weights, got, rest, tt.want, tt.rest)
		}
	}
}

func TestBadPayloadsAreSetAside(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		svc := New(d, clock.NewFake(start), Options{})
		m := tenant.ID(db.NewID())
		for _, ev := range []events.Event{
			{ID: db.NewID(), Type: EventOrderClosed, MerchantID: m, Data: []byte(`{"order": 5}`)},
			{ID: db.NewID(), Type: EventOrderClosed, MerchantID: m, Data: []byte(`{"order_id": "x", "order": {"id": ""}}`)},
			{ID: db.NewID(), Type: EventTicketStatus, MerchantID: m, Data: []byte(`{"id": "t"}`)},
			{ID: db.NewID(), Type: EventShiftClosed, MerchantID: m, Data: []byte(`[]`)},
			{ID: "", Type: EventShiftClosed, MerchantID: m, Data: []byte(`{}`)},
		} {
			err := d.WithTx(context.Background(), m, func(tx *sql.Tx) error { return svc.HandleEvent(context.Background(), tx, ev) })
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("%s %s: got %v, want an Invalid error (the bus sets it aside)", ev.Type, ev.Data, err)
			}
		}
		replayed, _, err := svc.Rebuild(context.Background(), m)
		if err != nil || replayed != 0 {
			t.Fatalf("nothing was kept, yet a rebuild replayed %d (%v)", replayed, err)
		}
	})
}

func TestRangesAndSettingsAreChecked(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := tenant.ID(db.NewID())
		dir := directory{shops: map[tenant.ID]map[string]ShopInfo{m: {"s1": {Name: "Quán"}}}}
		svc := New(d, clock.NewFake(start), Options{Shops: dir})
		for _, r := range [][3]string{{"2026-03-02", "2026-03-01", "query.to"}, {"2026-13-01", "2026-12-01", "query.from"},
			{"2025-01-01", "2026-03-01", "query.to"}, {"2026-03-01", "", "query.to"}} {
			_, err := svc.Revenue(ctx, m, Scope{}, r[0], r[1], 0)
			if f := apperr.Fields(err); len(f) != 1 || f[0].Field != r[2] {
				t.Errorf("range %s…%s: got %v, want a field error on %s", r[0], r[1], err, r[2])
			}
		}
		if _, err := svc.Revenue(ctx, m, Scope{ShopID: "not-mine"}, "2026-03-01", "2026-03-01", 0); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another merchant's shop: got %v, want NotFound", err)
		}
		if _, err := svc.EndOfDay(ctx, m, "s1", "01/03/2026"); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("a bad date: got %v, want Invalid", err)
		}
		if _, err := svc.StaffPerformance(ctx, m, Scope{}, "2026-03-01", "2026-03-01", "height", true); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("a bad sort: got %v, want Invalid", err)
		}
		st, err := svc.Settings(ctx, m, "s1")
		if err != nil || st.OpenMinutesPerDay != 1440 || st.DefaultTargetMinutes != 15 || len(st.StationTargets) != 0 {
			t.Fatalf("default settings: %+v, %v", st, err)
		}
		for _, bad := range []ReportSettings{
			{OpenMinutesPerDay: 0, DefaultTargetMinutes: 15},
			{OpenMinutesPerDay: 600, DefaultTargetMinutes: 241},
			{OpenMinutesPerDay: 600, DefaultTargetMinutes: 15, StationTargets: []StationTarget{{"bar", 5}, {" BAR", 6}}},
			{OpenMinutesPerDay: 600, DefaultTargetMinutes: 15, StationTargets: []StationTarget{{"", 5}}},
		} {
			if _, err := svc.SetSettings(ctx, m, "s1", bad); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("settings %+v: got %v, want Invalid", bad, err)
			}
		}
		got, err := svc.SetSettings(ctx, m, "s1", ReportSettings{OpenMinutesPerDay: 600, DefaultTargetMinutes: 10,
			StationTargets: []StationTarget{{" Bar ", 4}, {"kitchen", 20}}})
		if err != nil {
			t.Fatal(err)
		}
		want := ReportSettings{OpenMinutesPerDay: 600, DefaultTargetMinutes: 10, StationTargets: []StationTarget{{"bar", 4}, {"kitchen", 20}}}
		sameJSON(t, "settings", got, want)
		if _, err := svc.SetSettings(ctx, m, "s2", want); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("settings of another merchant's shop: got %v, want NotFound", err)
		}
	})
}
