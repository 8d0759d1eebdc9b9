package timebill_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/order/timebill"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// sources are the migrations the module's tests need: its own and the HTTP layer's idempotency keys.
var sources = []migrate.Source{httpapi.Migrations, timebill.Migrations}

// fakeShops is the merchant module as the service sees it: which merchant owns each shop.
type fakeShops struct {
	mu    sync.Mutex
	owner map[string]tenant.ID
}

func (f *fakeShops) CheckShop(_ context.Context, m tenant.ID, shopID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.owner[shopID] != m || m == "" {
		return apperr.E(apperr.NotFound, "shop not found")
	}
	return nil
}

func (f *fakeShops) give(shopID string, m tenant.ID) {
	f.mu.Lock()
	f.owner[shopID] = m
	f.mu.Unlock()
}

// env is a service over a fresh database: merchant A with shops A1 and A2, merchant B with shop B1.
type env struct {
	d          *db.DB
	clk        *clock.Fake
	shops      *fakeShops
	svc        *timebill.Service
	a, b       tenant.ID
	a1, a2, b1 string
}

var t0 = time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	e := &env{d: d, clk: clock.NewFake(t0), a: tenant.ID(db.NewID()), b: tenant.ID(db.NewID()),
		a1: db.NewID(), a2: db.NewID(), b1: db.NewID()}
	e.shops = &fakeShops{owner: map[string]tenant.ID{e.a1: e.a, e.a2: e.a, e.b1: e.b}}
	e.svc = timebill.New(d, e.clk, e.shops)
	return e
}

func wantKind(t *testing.T, err error, k apperr.Kind) {
	t.Helper()
	if !apperr.Is(err, k) {
		t.Fatalf("got %v (kind %v), want kind %v", err, apperr.KindOf(err), k)
	}
}

func TestPlansArePutReadListedAndDeleted(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		in := standard(15, 60)
		slices.Reverse(in.Bands) // stored and returned in order
		got, err := e.svc.PutPlan(ctx, e.a, e.a1, "vip", in)
		if err != nil {
			t.Fatal(err)
		}
		want := standard(15, 60)
		if got.ShopID != e.a1 || got.RoomType != "vip" || got.BlockMinutes != 15 || got.MinimumMinutes != 60 ||
			!slices.Equal(got.Bands, want.Bands) || !got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(t0) {
			t.Fatalf("put: %+v", got)
		}
		if read, err := e.svc.Plan(ctx, e.a, e.a1, "vip"); err != nil || !slices.Equal(read.Bands, want.Bands) || !read.UpdatedAt.Equal(t0) {
			t.Fatalf("read: %+v, %v", read, err)
		}

		// Putting again replaces the bands and keeps created_at.
		e.clk.Advance(time.Hour)
		got, err = e.svc.PutPlan(ctx, e.a, e.a1, "vip", vip)
		if err != nil || !slices.Equal(got.Bands, vip.Bands) || got.BlockMinutes != 30 || !got.CreatedAt.Equal(t0) ||
			!got.UpdatedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("replace: %+v, %v", got, err)
		}

		for _, rt := range []string{"small", "medium", "party-2"} {
			if _, err := e.svc.PutPlan(ctx, e.a, e.a1, rt, standard(1, 0)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.svc.PutPlan(ctx, e.a, e.a2, "other-shop", standard(1, 0)); err != nil {
			t.Fatal(err)
		}
		var seen []string
		cursor := ""
		for range 3 {
			page, err := e.svc.Plans(ctx, e.a, e.a1, 2, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range page.Items {
				seen = append(seen, p.RoomType)
				if len(p.Bands) == 0 || p.ShopID != e.a1 {
					t.Errorf("listed plan %+v", p)
				}
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if !slices.Equal(seen, []string{"medium", "party-2", "small", "vip"}) || cursor != "" {
			t.Fatalf("listed %v, cursor %q", seen, cursor)
		}

		if err := e.svc.DeletePlan(ctx, e.a, e.a1, "vip"); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Plan(ctx, e.a, e.a1, "vip")
		wantKind(t, err, apperr.NotFound)
		wantKind(t, e.svc.DeletePlan(ctx, e.a, e.a1, "vip"), apperr.NotFound)
		// The bands went with the plan: putting it again starts from nothing.
		if got, err := e.svc.PutPlan(ctx, e.a, e.a1, "vip", weekdayOnly(1, 0)); err != nil || len(got.Bands) != 3 {
			t.Fatalf("put after delete: %+v, %v", got, err)
		}
	})
}

func TestBadInputChangesNothing(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		if _, err := e.svc.PutPlan(ctx, e.a, e.a1, "vip", standard(1, 0)); err != nil {
			t.Fatal(err)
		}
		bad := standard(1, 0)
		bad.Bands[1].Start = "19:00" // a gap 18:00–19:00
		_, err := e.svc.PutPlan(ctx, e.a, e.a1, "vip", bad)
		if !hasField(err, "body.bands[1].start") {
			t.Fatalf("gap: %v %+v", err, apperr.Fields(err))
		}
		_, err = e.svc.PutPlan(ctx, e.a, e.a1, "VIP!", standard(1, 0))
		if !hasField(err, "path.room_type") {
			t.Fatalf("bad room type: %v", err)
		}
		if p, err := e.svc.Plan(ctx, e.a, e.a1, "vip"); err != nil || !slices.Equal(p.Bands, standard(1, 0).Bands) {
			t.Fatalf("plan after bad puts: %+v, %v", p, err)
		}

		if _, err := e.svc.SetHolidays(ctx, e.a, e.a1, 2026, []timebill.Holiday{{Date: "2026-04-30", Name: "30/4"}}); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			dates []timebill.Holiday
			field string
		}{
			{[]timebill.Holiday{{Date: "2026-05-01"}, {Date: "2027-01-01"}}, "body.dates[1].date"},
			{[]timebill.Holiday{{Date: "2026-05-01"}, {Date: "2026-05-01"}}, "body.dates[1].date"},
			{[]timebill.Holiday{{Date: "2026-02-30"}}, "body.dates[0].date"},
			{[]timebill.Holiday{{Date: "1/5/2026"}}, "body.dates[0].date"},
		} {
			_, err := e.svc.SetHolidays(ctx, e.a, e.a1, 2026, tt.dates)
			if !hasField(err, tt.field) {
				t.Errorf("%+v: %v %+v, want a field error at %s", tt.dates, err, apperr.Fields(err), tt.field)
			}
		}
		_, err = e.svc.SetHolidays(ctx, e.a, e.a1, 1999, nil)
		if !hasField(err, "query.year") {
			t.Errorf("year 1999: %v", err)
		}
		if h, err := e.svc.Holidays(ctx, e.a, e.a1, 2026); err != nil || len(h.Dates) != 1 || h.Dates[0].Date != "2026-04-30" {
			t.Fatalf("holidays after bad puts: %+v, %v", h, err)
		}
	})
}

func TestHolidaysAreSetPerYearAndImported(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		if _, err := e.svc.SetHolidays(ctx, e.a, e.a1, 2025, []timebill.Holiday{{Date: "2025-12-24", Name: "Giáng sinh"}}); err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.SetHolidays(ctx, e.a, e.a1, 2026, []timebill.Holiday{
			{Date: "2026-12-24", Name: " Giáng sinh "}, {Date: "2026-04-30", Name: "Ngày của quán"}})
		if err != nil {
			t.Fatal(err)
		}
		if want := []timebill.Holiday{{Date: "2026-04-30", Name: "Ngày của quán"}, {Date: "2026-12-24", Name: "Giáng sinh"}}; got.Year != 2026 || !slices.Equal(got.Dates, want) {
			t.Fatalf("set 2026: %+v", got)
		}
		// The import adds the template's dates and keeps the shop's own, names included; twice is once.
		for range 2 {
			if got, err = e.svc.ImportVietnamHolidays(ctx, e.a, e.a1, 2026); err != nil {
				t.Fatal(err)
			}
		}
		var dates []string
		for _, h := range got.Dates {
			dates = append(dates, h.Date)
		}
		want := []string{"2026-01-01", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
			"2026-04-26", "2026-04-30", "2026-05-01", "2026-09-01", "2026-09-02", "2026-12-24"}
		if !slices.Equal(dates, want) || got.Dates[7].Name != "Ngày của quán" {
			t.Fatalf("after import: %+v", got.Dates)
		}
		// Replacing 2026 leaves 2025 alone.
		if got, err := e.svc.SetHolidays(ctx, e.a, e.a1, 2026, nil); err != nil || len(got.Dates) != 0 {
			t.Fatalf("clear 2026: %+v, %v", got, err)
		}
		if got, err := e.svc.Holidays(ctx, e.a, e.a1, 2025); err != nil || len(got.Dates) != 1 {
			t.Fatalf("2025: %+v, %v", got, err)
		}
		// Another shop's calendar is its own.
		if got, err := e.svc.Holidays(ctx, e.a, e.a2, 2025); err != nil || len(got.Dates) != 0 {
			t.Fatalf("A2's 2025: %+v, %v", got, err)
		}
	})
}

func TestQuoteAndBillSessionUseTheShopsPlansAndCalendar(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		for rt, p := range map[string]timebill.RatePlan{"small": standard(1, 0), "vip": vip} {
			if _, err := e.svc.PutPlan(ctx, e.a, e.a1, rt, p); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.svc.ImportVietnamHolidays(ctx, e.a, e.a1, 2026); err != nil {
			t.Fatal(err)
		}
		// 30/4/2026 is a Thursday and a holiday of the template.
		q, err := e.svc.QuoteRoom(ctx, e.a, e.a1, "small", at("2026-04-30 14:00"), at("2026-04-30 15:00"))
		if err != nil || q.Amount != 360_000 || q.Segments[0].DayType != timebill.DayHoliday {
			t.Fatalf("holiday quote: %+v, %v", q, err)
		}
		_, err = e.svc.QuoteRoom(ctx, e.a, e.a1, "small", at("2026-04-30 14:00"), at("2026-04-30 14:00"))
		if !hasField(err, "body.ends_at") {
			t.Fatalf("empty quote: %v", err)
		}
		_, err = e.svc.QuoteRoom(ctx, e.a, e.a1, "medium", at("2026-04-30 14:00"), at("2026-04-30 15:00"))
		wantKind(t, err, apperr.NotFound)

		// The order module's session: an hour in a small room, a pause, then a move to a VIP room; the same
		// bill as the engine gives with the same plans and calendar.
		stints := []timebill.StintRef{
			{RoomType: "small", From: at("2026-04-29 23:00"), To: at("2026-04-30 00:30")},
			{RoomType: "small", From: at("2026-04-30 00:45"), To: at("2026-04-30 01:00")},
			{RoomType: "vip", From: at("2026-04-30 01:00"), To: at("2026-04-30 01:10")},
		}
		got, err := e.svc.BillSession(ctx, e.a, e.a1, stints)
		if err != nil {
			t.Fatal(err)
		}
		cal := timebill.CalendarOf(timebill.VietnamHolidays(2026))
		want, err := timebill.PriceSession(cal, []timebill.Stint{
			{Plan: standard(1, 0), From: stints[0].From, To: stints[0].To},
			{Plan: standard(1, 0), From: stints[1].From, To: stints[1].To},
			{Plan: vip, From: stints[2].From, To: stints[2].To},
		})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || got.BilledMinutes != 120 || got.Amount != 240_000+180_000+90_000+50_000+25_000 {
			t.Fatalf("bill\n got %+v\nwant %+v", got, want)
		}
		// In the caller's transaction, the same bill.
		err = d.WithTx(ctx, e.a, func(tx *sql.Tx) error {
			in, err := e.svc.BillSessionTx(ctx, tx, e.a, e.a1, stints)
			if err == nil && fmt.Sprint(in) != fmt.Sprint(want) {
				err = fmt.Errorf("in tx: %+v", in)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}

		_, err = e.svc.BillSession(ctx, e.a, e.a1, []timebill.StintRef{{RoomType: "party", From: stints[0].From, To: stints[0].To}})
		wantKind(t, err, apperr.Conflict)
		_, err = e.svc.BillSession(ctx, e.a, e.a1, nil)
		wantKind(t, err, apperr.Invalid)
		// Another merchant sees no plans in A's shop.
		_, err = e.svc.BillSession(ctx, e.b, e.a1, stints)
		wantKind(t, err, apperr.Conflict)
	})
}

func TestAnotherMerchantsShopIsNotFound(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		if _, err := e.svc.PutPlan(ctx, e.a, e.a1, "vip", vip); err != nil {
			t.Fatal(err)
		}
		calls := map[string]func() error{
			"put":      func() error { _, err := e.svc.PutPlan(ctx, e.b, e.a1, "vip", standard(1, 0)); return err },
			"get":      func() error { _, err := e.svc.Plan(ctx, e.b, e.a1, "vip"); return err },
			"list":     func() error { _, err := e.svc.Plans(ctx, e.b, e.a1, 50, ""); return err },
			"delete":   func() error { return e.svc.DeletePlan(ctx, e.b, e.a1, "vip") },
			"quote":    func() error { _, err := e.svc.QuoteRoom(ctx, e.b, e.a1, "vip", t0, t0.Add(time.Hour)); return err },
			"holidays": func() error { _, err := e.svc.Holidays(ctx, e.b, e.a1, 2026); return err },
			"set":      func() error { _, err := e.svc.SetHolidays(ctx, e.b, e.a1, 2026, nil); return err },
			"import":   func() error { _, err := e.svc.ImportVietnamHolidays(ctx, e.b, e.a1, 2026); return err },
		}
		for name, call := range calls {
			if err := call(); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("%s as merchant B: %v, want not found", name, err)
			}
		}
		if p, err := e.svc.Plan(ctx, e.a, e.a1, "vip"); err != nil || !slices.Equal(p.Bands, vip.Bands) {
			t.Fatalf("A's plan after B's calls: %+v, %v", p, err)
		}
		if h, err := e.svc.Holidays(ctx, e.a, e.a1, 2026); err != nil || len(h.Dates) != 0 {
			t.Fatalf("A's holidays after B's calls: %+v, %v", h, err)
		}
	})
}

func TestConcurrentPutsLeaveOneWholePlan(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		plans := make([]timebill.RatePlan, 8)
		for i := range plans {
			plans[i] = timebill.RatePlan{BlockMinutes: 1 + i, Bands: []timebill.Band{
				band(timebill.DayWeekday, "00:00", fmt.Sprintf("%02d:00", 1+i), money.VND(1000*(i+1))),
				band(timebill.DayWeekday, fmt.Sprintf("%02d:00", 1+i), "24:00", money.VND(2000*(i+1))),
			}}
		}
		var wg sync.WaitGroup
		errs := make([]error, len(plans))
		for i, p := range plans {
			wg.Go(func() { _, errs[i] = e.svc.PutPlan(ctx, e.a, e.a1, "vip", p) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("put %d: %v", i, err)
			}
		}
		got, err := e.svc.Plan(ctx, e.a, e.a1, "vip")
		if err != nil {
			t.Fatal(err)
		}
		if i := got.BlockMinutes - 1; i < 0 || i >= len(plans) || !slices.Equal(got.Bands, plans[i].Bands) {
			t.Fatalf("stored plan mixes puts: %+v", got)
		}
	})
}

func TestMoveShopMovesPlansAndHolidays(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		if _, err := e.svc.PutPlan(ctx, e.a, e.a1, "vip", vip); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.PutPlan(ctx, e.a, e.a2, "vip", standard(1, 0)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ImportVietnamHolidays(ctx, e.a, e.a1, 2026); err != nil {
			t.Fatal(err)
		}
		if d.Dialect() == db.Postgres {
			// A tenant transaction cannot give rows away: the policies' WITH CHECK refuses the new merchant.
			err := d.WithTx(ctx, e.a, func(tx *sql.Tx) error { return e.svc.MoveShop(ctx, tx, e.a1, e.a, e.b) })
			if err == nil {
				t.Fatal("a tenant transaction moved a shop's rows")
			}
		}
		err := d.WithSystemTx(ctx, "test: transfer a shop", func(tx *sql.Tx) error {
			return e.svc.MoveShop(ctx, tx, e.a1, e.a, e.b)
		})
		if err != nil {
			t.Fatal(err)
		}
		e.shops.give(e.a1, e.b)
		if p, err := e.svc.Plan(ctx, e.b, e.a1, "vip"); err != nil || !slices.Equal(p.Bands, vip.Bands) {
			t.Fatalf("B's plan of the moved shop: %+v, %v", p, err)
		}
		if h, err := e.svc.Holidays(ctx, e.b, e.a1, 2026); err != nil || len(h.Dates) != 11 {
			t.Fatalf("B's holidays of the moved shop: %+v, %v", h, err)
		}
		if _, err := e.svc.BillSession(ctx, e.b, e.a1, []timebill.StintRef{{RoomType: "vip", From: t0, To: t0.Add(time.Hour)}}); err != nil {
			t.Fatalf("B bills a session of the moved shop: %v", err)
		}
		// B writes to the moved shop (its lock row moved too); A keeps its other shop.
		if _, err := e.svc.PutPlan(ctx, e.b, e.a1, "small", standard(1, 0)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.BillSession(ctx, e.a, e.a1, []timebill.StintRef{{RoomType: "vip", From: t0, To: t0.Add(time.Hour)}}); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("A bills a session of the moved shop: %v", err)
		}
		if p, err := e.svc.Plan(ctx, e.a, e.a2, "vip"); err != nil || len(p.Bands) != 5 {
			t.Fatalf("A's other shop: %+v, %v", p, err)
		}
	})
}

// TestSchemaIsolatesEveryTenantTable checks the migrations: the same tables and columns on both engines, and
// on PostgreSQL row-level security enabled, forced, and with the tenant and transfer policies on every table.
func TestSchemaIsolatesEveryTenantTable(t *testing.T) {
	schemas := map[db.Dialect]map[string]migrate.Table{}
	dbtest.Each(t, []migrate.Source{timebill.Migrations}, func(t *testing.T, d *db.DB) {
		s, err := migrate.Schema(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		schemas[d.Dialect()] = s
		for _, name := range []string{"timebill_shops", "timebill_rate_plans", "timebill_rate_bands", "timebill_holidays"} {
			table, ok := s[name]
			if !ok || !slices.Contains(table.Columns, "merchant_id") {
				t.Errorf("table %s: %+v", name, table)
			}
			if d.Dialect() == db.Postgres && (!table.RLS || !table.ForceRLS || table.Policies != 2) {
				t.Errorf("tenant table %s: rls %v force %v policies %d", name, table.RLS, table.ForceRLS, table.Policies)
			}
		}
	})
	lite, pg := schemas[db.SQLite], schemas[db.Postgres]
	if pg == nil {
		return
	}
	for name, table := range lite {
		if !slices.Equal(table.Columns, pg[name].Columns) {
			t.Errorf("table %s: sqlite columns %v, postgres %v", name, table.Columns, pg[name].Columns)
		}
	}
	if len(lite) != len(pg) {
		t.Errorf("sqlite has %d tables, postgres %d", len(lite), len(pg))
	}
}
