package report

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// BenchmarkDashboard measures the revenue dashboard of a merchant with 10 shops and a year of sales (about
// 1 million order lines, a menu of 200 products in 12 categories) on each engine, for a day of one shop, the
// last 30 days of every shop, and the whole year of every shop. The seed goes through the projection (the
// events' payloads read by the consumer's code, written with its multi-row statements, as a rebuild
// writes them). It reports the latency percentiles of the dashboard query (every rollup it reads, with the
// previous period). The seed size can be lowered with -benchlines for a quick run.
//
//	GOODGO_TEST_DATABASE_URL=… go test -run '^$' -bench Dashboard -benchtime 200x ./internal/report/
func BenchmarkDashboard(b *testing.B) {
	for _, dialect := range dbtest.Dialects() {
		b.Run(string(dialect), func(b *testing.B) {
			d := dbtest.New(b, dialect)
			if err := migrate.Up(context.Background(), d, slog.New(slog.NewTextHandler(io.Discard, nil)), Migrations); err != nil {
				b.Fatal(err)
			}
			m := tenant.ID(db.NewID())
			shops, lines, orders, took := seedYear(b, d, m, *benchLines)
			b.Logf("%s: seeded %d order lines in %d orders over 365 days and %d shops in %s", dialect, lines, orders,
				len(shops), took.Round(time.Second))
			svc := New(d, clock.NewFake(start), Options{})
			last := start.AddDate(0, 0, 364)
			for _, c := range []struct {
				name     string
				scope    Scope
				from, to time.Time
			}{
				{"one-shop-one-day", Scope{ShopID: shops[3]}, last.AddDate(0, 0, -10), last.AddDate(0, 0, -10)},
				{"all-shops-30-days", Scope{}, last.AddDate(0, 0, -29), last},
				{"all-shops-365-days", Scope{}, start, last},
			} {
				b.Run(c.name, func(b *testing.B) {
					from, to := c.from.Format(time.DateOnly), c.to.Format(time.DateOnly)
					lat := make([]time.Duration, 0, b.N)
					b.ResetTimer()
					for range b.N {
						t0 := time.Now()
						r, err := svc.Revenue(context.Background(), m, c.scope, from, to, DefaultTop)
						lat = append(lat, time.Since(t0))
						if err != nil || r.KPIs.Orders == 0 {
							b.Fatalf("dashboard: %v (%d orders)", err, r.KPIs.Orders)
						}
					}
					b.StopTimer()
					slices.Sort(lat)
					pct := func(p float64) float64 {
						return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
					}
					b.ReportMetric(pct(0.50), "p50_ms")
					b.ReportMetric(pct(0.99), "p99_ms")
				})
			}
		})
	}
}

// benchLines is the size of the benchmark's seed.
var benchLines = flag.Int("benchlines", 1_000_000, "order lines BenchmarkDashboard seeds")

// benchMenu is a menu of 200 products in 12 categories.
func benchMenu() []product {
	var out []product
	for i := range 200 {
		out = append(out, product{id: fmt.Sprintf("p-%03d", i), category: fmt.Sprintf("c-%02d", i%12),
			name: fmt.Sprintf("Món %d", i), price: int64(10+(i*7)%240) * 1000})
	}
	return out
}

// seedYear writes about wantLines order lines of merchant m over 365 days and 10 shops through the
// projection, a day of all shops per transaction. It returns the shops, the lines and orders written and
// how long it took.
func seedYear(b *testing.B, d *db.DB, m tenant.ID, wantLines int) ([]string, int, int, time.Duration) {
	b.Helper()
	t0 := time.Now()
	g := &generator{r: rand.New(rand.NewPCG(2026, 1)), start: start, days: 365, menu: benchMenu()}
	w := &world{m: m, rooms: map[string][]Place{}, staff: []string{"u-an", "u-binh", "u-chi", "u-dung", "u-em"}}
	for i := range 10 {
		shop := fmt.Sprintf("shop-%02d", i)
		w.shops = append(w.shops, shop)
		w.rooms[shop] = []Place{{ID: shop + "-r1", Name: "P1"}, {ID: shop + "-r2", Name: "P2"}}
	}
	perDay := wantLines / 365
	seen := map[string]bool{}
	lines, orders := 0, 0
	for day := range 365 {
		bt := newBatch(m, seen)
		for n := 0; n < perDay; {
			o := g.order(w, w.shops[g.r.IntN(len(w.shops))], day, []string{"dine_in", "dine_in", "takeaway", "room"}[g.r.IntN(4)])
			g.settle(o)
			data, err := json.Marshal(map[string]any{"order_id": o.id, "shop_id": o.shop, "actor": o.finishedBy, "order": o.json()})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := bt.add(EventOrderClosed, o.finishedAt, "", data); err != nil {
				b.Fatal(err)
			}
			n += len(o.lines)
			lines += len(o.lines)
			orders++
			w.tickets, w.voids = w.tickets[:0], w.voids[:0]
		}
		if err := d.WithTx(context.Background(), m, func(tx *sql.Tx) error { return store{db: d}.flush(context.Background(), tx, bt) }); err != nil {
			b.Fatal(err)
		}
	}
	if d.Dialect() == db.Postgres { // statistics, as autovacuum keeps them on a live database
		if _, err := d.Writer().ExecContext(context.Background(), "ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
	return w.shops, lines, orders, time.Since(t0)
}
