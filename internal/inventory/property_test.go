package inventory_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand"
	"sync"
	"testing"

	"github.com/goodgo/goodgo/internal/inventory"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/events"
)

// snapshotLevels returns every level of merchant A's two shops.
func (e *env) snapshotLevels(t testing.TB) map[string]inventory.Quantity {
	t.Helper()
	out := map[string]inventory.Quantity{}
	for _, shop := range []string{e.a1, e.a2} {
		st, err := e.svc.Stock(context.Background(), e.a, shop)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range st.Items {
			out[shop+"/"+l.StockItemID] = l.Quantity
		}
	}
	return out
}

// TestConservationUnderRandomOperations runs seeded random sequences of every kind of movement, order
// events with duplicate deliveries and repeated lines, voids, transfers and stocktakes, and checks that
// every level equals the sum of its movements and that duplicates change nothing.
func TestConservationUnderRandomOperations(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		steps, seeds := 400, []int64{1, 2, 3}
		if d.Dialect() == db.Postgres {
			steps, seeds = 120, []int64{1}
		}
		for _, seed := range seeds {
			t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
				runRandomOperations(t, newEnv(t, d), rand.New(rand.NewSource(seed)), steps)
			})
		}
	})
}

func runRandomOperations(t *testing.T, e *env, rng *rand.Rand, steps int) {
	ctx := context.Background()
	var items []string
	for i, unit := range []string{"g", "kg", "ml", "pcs"} {
		items = append(items, e.item(t, e.a, e.a1, fmt.Sprint("Nguyên liệu ", i), unit, inventory.Quantity(rng.Intn(5000))))
	}
	for _, p := range []string{"tra-sua", "ca-phe", "tran-chau"} {
		var lines []inventory.QuantityLine
		for _, i := range rng.Perm(len(items))[:1+rng.Intn(3)] {
			lines = append(lines, inventory.QuantityLine{StockItemID: items[i], Quantity: inventory.Quantity(1 + rng.Intn(3000))})
		}
		var err error
		if p == "tran-chau" {
			_, err = e.svc.SetOptionRecipe(ctx, e.a, p, lines)
		} else {
			_, err = e.svc.SetProductRecipe(ctx, e.a, p, lines)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	shops := []string{e.a1, e.a2}
	var delivered []events.Event
	applied := map[string]bool{}            // event id → its lines were deducted when it arrived
	mode := map[string]inventory.DeductOn{} // shop → setting (the default is submit)
	var soldLines []inventory.OrderLine
	quantity := func() inventory.Quantity { return inventory.Quantity(1 + rng.Intn(20000)) }
	for step := range steps {
		shop, item := shops[rng.Intn(2)], items[rng.Intn(len(items))]
		switch op := rng.Intn(10); op {
		case 0:
			e.move(t, e.a, shop, item, inventory.Receipt, quantity())
		case 1:
			e.move(t, e.a, shop, item, inventory.Waste, quantity())
		case 2:
			e.move(t, e.a, shop, item, inventory.Adjustment, quantity()-10000)
		case 3, 4: // a sale: new lines submitted or paid
			var lines []inventory.OrderLine
			for range 1 + rng.Intn(3) {
				l := inventory.OrderLine{OrderLineID: db.NewID(), ProductID: []string{"tra-sua", "ca-phe", "banh-mi"}[rng.Intn(3)],
					Quantity: int64(1 + rng.Intn(4))}
				if rng.Intn(2) == 0 {
					l.ModifierOptionIDs = []string{"tran-chau"}
				}
				lines = append(lines, l)
			}
			typ := []string{inventory.EventOrderLinesSubmitted, inventory.EventOrderPaid}[rng.Intn(2)]
			ev := orderEvent(e.a, shop, typ, sold(shop, lines...))
			e.deliver(t, ev)
			delivered = append(delivered, ev)
			applied[ev.ID] = typ == inventory.EventOrderPaid || mode[shop] != inventory.DeductOnPaid
			soldLines = append(soldLines, lines...)
		case 5: // a duplicate: the same event again, or its lines in a new event of either type
			if len(delivered) == 0 {
				continue
			}
			before := e.snapshotLevels(t)
			ev := delivered[rng.Intn(len(delivered))]
			// Published again under a new id: only a duplicate when the first one deducted (a submission
			// ignored in "paid" mode is legitimately deducted by a later payment).
			if applied[ev.ID] && rng.Intn(2) == 0 {
				ev.ID = db.NewID()
				ev.Type = []string{inventory.EventOrderLinesSubmitted, inventory.EventOrderPaid}[rng.Intn(2)]
			}
			e.deliver(t, ev)
			if after := e.snapshotLevels(t); !maps.Equal(before, after) {
				t.Fatalf("step %d: a duplicate %s changed levels: %v → %v", step, ev.Type, before, after)
			}
		case 6: // void or refund a line sold before (maybe twice)
			if len(soldLines) == 0 {
				continue
			}
			l := soldLines[rng.Intn(len(soldLines))]
			typ := []string{inventory.EventOrderLinesVoided, inventory.EventOrderRefunded}[rng.Intn(2)]
			e.deliver(t, orderEvent(e.a, shop, typ, voided(shop, l.OrderLineID)))
		case 7:
			if _, err := e.svc.TransferStock(ctx, e.a, shop, "u", inventory.TransferInput{ToShopID: shops[1-indexOf(shops, shop)],
				Lines: []inventory.QuantityLine{{StockItemID: item, Quantity: quantity()}}}); err != nil {
				t.Fatalf("step %d: transfer: %v", step, err)
			}
		case 8:
			if _, err := e.svc.TakeStock(ctx, e.a, shop, "u", inventory.StocktakeInput{Counts: []inventory.QuantityLine{
				{StockItemID: item, Quantity: quantity()}}}); err != nil {
				t.Fatalf("step %d: stocktake: %v", step, err)
			}
		case 9:
			d := []inventory.DeductOn{inventory.DeductOnSubmit, inventory.DeductOnPaid}[rng.Intn(2)]
			if _, err := e.svc.SetSettings(ctx, e.a, shop, inventory.InventorySettings{DeductOn: d}); err != nil {
				t.Fatal(err)
			}
			mode[shop] = d
		}
	}
	checkConservation(t, e.d, e.a)
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// TestConcurrentSalesAndStocktakesLoseNothing races sale events against stocktakes of the same level: every
// movement must chain on the one before it (nothing is lost or computed from a stale level), and each
// stocktake's expected quantity must be the level its movement started from.
func TestConcurrentSalesAndStocktakesLoseNothing(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		coffee := e.item(t, e.a, e.a1, "Cà phê", "g", 0)
		e.move(t, e.a, e.a1, coffee, inventory.Receipt, inventory.Units(100000))
		if _, err := e.svc.SetProductRecipe(ctx, e.a, "ca-phe", []inventory.QuantityLine{{StockItemID: coffee, Quantity: inventory.Units(18)}}); err != nil {
			t.Fatal(err)
		}
		const sales, takes = 40, 8
		var wg sync.WaitGroup
		errs := make(chan error, sales+takes)
		stocktakes := make(chan inventory.Stocktake, takes)
		for i := range sales + takes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i%((sales+takes)/takes) == 0 {
					st, err := e.svc.TakeStock(ctx, e.a, e.a1, "u", inventory.StocktakeInput{Counts: []inventory.QuantityLine{
						{StockItemID: coffee, Quantity: inventory.Units(int64(50000 + i))}}})
					errs <- err
					stocktakes <- st
					return
				}
				errs <- e.consume(ctx, orderEvent(e.a, e.a1, inventory.EventOrderLinesSubmitted, sold(e.a1,
					inventory.OrderLine{OrderLineID: db.NewID(), ProductID: "ca-phe", Quantity: 1})))
			}()
		}
		wg.Wait()
		close(errs)
		close(stocktakes)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		checkConservation(t, d, e.a)
		page, err := e.svc.Movements(ctx, e.a, e.a1, inventory.MovementQuery{Limit: inventory.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[inventory.MovementKind]int{}
		after := map[string]inventory.Quantity{} // stocktake id → level its movement started from
		for _, m := range page.Items {
			kinds[m.Kind]++
			if m.Kind == inventory.StocktakeAdj {
				after[m.Reference] = m.QuantityAfter - m.Quantity
			}
		}
		n := 0
		for st := range stocktakes {
			n++
			l := st.Lines[0]
			if from, ok := after[st.ID]; l.Variance != 0 && (!ok || from != l.Expected) {
				t.Errorf("stocktake %s expected %s but its movement started from %s", st.ID, l.Expected, from)
			}
		}
		if kinds[inventory.Sale] != sales || n != takes {
			t.Errorf("%d sale movements and %d stocktakes, want %d and %d", kinds[inventory.Sale], n, sales, takes)
		}
	})
}
