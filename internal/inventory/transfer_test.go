package inventory_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/goodgo/goodgo/internal/inventory"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
)

func TestMoveShopStockCarriesTheShopToAnotherMerchant(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		tea := e.item(t, e.a, e.a1, "Trà", "g", inventory.Units(100))
		milk := e.item(t, e.a, e.a1, "Sữa", "l", 0)
		syrup := e.item(t, e.a, e.a2, "Siro", "ml", 0) // used by a recipe only, not stocked in a1
		if _, err := e.svc.AddUnit(ctx, e.a, milk, inventory.UnitInput{Name: "thùng", Factor: inventory.Units(12)}); err != nil {
			t.Fatal(err)
		}
		e.move(t, e.a, e.a1, tea, inventory.Receipt, inventory.Units(500))
		e.move(t, e.a, e.a1, milk, inventory.Receipt, inventory.Units(12))
		if _, err := e.svc.SetProductRecipe(ctx, e.a, "tra-sua", []inventory.QuantityLine{
			{StockItemID: tea, Quantity: inventory.Units(10)}, {StockItemID: syrup, Quantity: inventory.Units(5)}}); err != nil {
			t.Fatal(err)
		}
		line := inventory.OrderLine{OrderLineID: db.NewID(), ProductID: "tra-sua", Quantity: 3}
		e.deliver(t, orderEvent(e.a, e.a1, inventory.EventOrderLinesSubmitted, sold(e.a1, line)))
		if _, err := e.svc.TakeStock(ctx, e.a, e.a1, "u", inventory.StocktakeInput{Counts: []inventory.QuantityLine{
			{StockItemID: tea, Quantity: inventory.Units(460)}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetSettings(ctx, e.a, e.a1, inventory.InventorySettings{DeductOn: inventory.DeductOnPaid}); err != nil {
			t.Fatal(err)
		}
		// The receiving merchant already has "trà" (reused) and "Sữa" in another unit (copied as "Sữa (l)").
		bTea := e.item(t, e.b, e.b1, "trà", "g", 0)
		e.item(t, e.b, e.b1, "Sữa", "ml", 0)

		ids := map[string]string{"tra-sua": "b-tra-sua"}
		err := d.WithSystemTx(ctx, "test: shop transfer", func(tx *sql.Tx) error {
			return e.svc.MoveShopStock(ctx, tx, e.a1, e.a, e.b, ids)
		})
		if err != nil {
			t.Fatal(err)
		}
		e.shops[e.a], e.shops[e.b] = []string{e.a2}, []string{e.b1, e.a1} // the merchant module moved the shop
		if ids[tea] != bTea || ids[milk] == "" || ids[milk] == milk || ids[syrup] == "" {
			t.Fatalf("item ids %v", ids)
		}
		// The shop's stock now belongs to B, with B's item ids; A's shop is empty.
		st, err := e.svc.Stock(ctx, e.b, e.a1)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]inventory.StockLevel{}
		for _, l := range st.Items {
			got[l.StockItemID] = l
		}
		if l := got[bTea]; l.Quantity != inventory.Units(460) || l.ReorderLevel != inventory.Units(100) || l.Name != "trà" {
			t.Errorf("tea in B: %+v", l)
		}
		if l := got[ids[milk]]; l.Quantity != inventory.Units(12) || l.Name != "Sữa (l)" || l.Unit != "l" {
			t.Errorf("milk in B: %+v", l)
		}
		if st, _ := e.svc.Stock(ctx, e.a, e.a1); len(st.Items) != 0 {
			t.Errorf("A still sees the shop's stock: %+v", st)
		}
		items, _ := e.svc.StockItems(ctx, e.b)
		for _, it := range items {
			if it.ID == ids[milk] && (len(it.Units) != 1 || it.Units[0].Name != "thùng") {
				t.Errorf("milk's pack unit not copied: %+v", it)
			}
		}
		// The recipe came along with mapped items; history and settings too.
		r, err := e.svc.ProductRecipe(ctx, e.b, "b-tra-sua")
		if err != nil || len(r.Ingredients) != 2 || r.Ingredients[0].StockItemID != bTea || r.Ingredients[1].StockItemID != ids[syrup] {
			t.Fatalf("recipe in B: %+v, %v", r, err)
		}
		page, err := e.svc.Movements(ctx, e.b, e.a1, inventory.MovementQuery{})
		if err != nil || len(page.Items) != 5 { // 2 receipts, 2 sales (tea, syrup), 1 stocktake
			t.Fatalf("movements in B: %d %v", len(page.Items), err)
		}
		if s, err := e.svc.Settings(ctx, e.b, e.a1); err != nil || s.DeductOn != inventory.DeductOnPaid {
			t.Errorf("settings in B: %+v, %v", s, err)
		}
		checkConservation(t, d, e.a)
		checkConservation(t, d, e.b)
		// A refund of a line sold before the transfer, now published by B, gives the stock back in B.
		e.deliver(t, orderEvent(e.b, e.a1, inventory.EventOrderRefunded, voided(e.a1, line.OrderLineID)))
		if q := e.level(t, e.b, e.a1, bTea); q != inventory.Units(490) {
			t.Errorf("tea after the refund: %s", q)
		}
		// A tenant transaction cannot run the transfer: the system policy is not satisfied.
		if d.Dialect() == db.Postgres {
			err := d.WithTx(ctx, e.b, func(tx *sql.Tx) error {
				return e.svc.MoveShopStock(ctx, tx, e.a2, e.a, e.b, map[string]string{})
			})
			if err != nil {
				t.Fatal(err)
			}
			if st, _ := e.svc.Stock(ctx, e.a, e.a2); len(st.Items) != 1 {
				t.Errorf("a tenant transaction moved another merchant's stock: %+v", st)
			}
		}
	})
}
