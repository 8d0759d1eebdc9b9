package inventory_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/goodgo/goodgo/internal/inventory"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/migrate"
)

// BenchmarkDeduction measures stock deduction through the consumer path (inbox + HandleOrderEvent): each
// op is one order.lines_submitted event of 5 lines whose products use 3 ingredients each, i.e. 15 sale
// movements; movements/s is the figure to read.
func BenchmarkDeduction(b *testing.B) {
	for _, dialect := range dbtest.Dialects() {
		b.Run(string(dialect), func(b *testing.B) {
			ctx := context.Background()
			d := dbtest.New(b, dialect)
			if err := migrate.Up(ctx, d, slog.New(slog.NewTextHandler(io.Discard, nil)), sources...); err != nil {
				b.Fatal(err)
			}
			e := newEnv(b, d)
			var products []string
			for p := range 5 {
				product := fmt.Sprint("product-", p)
				products = append(products, product)
				var lines []inventory.QuantityLine
				for i := range 3 {
					it := e.item(b, e.a, e.a1, fmt.Sprintf("Nguyên liệu %d-%d", p, i), "g", inventory.Units(10))
					lines = append(lines, inventory.QuantityLine{StockItemID: it, Quantity: inventory.Units(15)})
				}
				if _, err := e.svc.SetProductRecipe(ctx, e.a, product, lines); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for b.Loop() {
				var lines []inventory.OrderLine
				for _, p := range products {
					lines = append(lines, inventory.OrderLine{OrderLineID: db.NewID(), ProductID: p, Quantity: 2})
				}
				if err := e.consume(ctx, orderEvent(e.a, e.a1, inventory.EventOrderLinesSubmitted, sold(e.a1, lines...))); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*15)/b.Elapsed().Seconds(), "movements/s")
		})
	}
}
