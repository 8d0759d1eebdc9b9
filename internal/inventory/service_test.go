package inventory_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/inventory"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// sources are the migrations the module's tests need: its own, the outbox and inbox, and idempotency keys.
var sources = []migrate.Source{events.Migrations, httpapi.Migrations, inventory.Migrations}

var t0 = time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)

// fakeShops is the merchant module as the service sees it: live shops per merchant.
type fakeShops map[tenant.ID][]string

func (f fakeShops) CheckShop(_ context.Context, m tenant.ID, shopID string) error {
	if slices.Contains(f[m], shopID) {
		return nil
	}
	return apperr.E(apperr.NotFound, "shop not found")
}

// fakeCatalog is the catalog module: products and modifier options per merchant.
type fakeCatalog map[tenant.ID][]string

func (f fakeCatalog) CheckProduct(_ context.Context, m tenant.ID, id string) error {
	if strings.HasPrefix(id, "product-") {
		return nil // the benchmark's products
	}
	if slices.Contains(f[m], id) {
		return nil
	}
	return apperr.E(apperr.NotFound, "product not found")
}

func (f fakeCatalog) CheckModifierOption(ctx context.Context, m tenant.ID, id string) error {
	return f.CheckProduct(ctx, m, id)
}

// env is a service over a fresh database: merchant A with shops a1 and a2, merchant B with shop b1, and a
// catalog of products and options for each.
type env struct {
	d          *db.DB
	clk        *clock.Fake
	svc        *inventory.Service
	a, b       tenant.ID
	a1, a2, b1 string
	consume    events.Handler
	nudges     int
	shops      fakeShops
}

func newEnv(t testing.TB, d *db.DB) *env {
	e := &env{d: d, clk: clock.NewFake(t0), a: tenant.ID(db.NewID()), b: tenant.ID(db.NewID()),
		a1: db.NewID(), a2: db.NewID(), b1: db.NewID()}
	shops := fakeShops{e.a: {e.a1, e.a2}, e.b: {e.b1}}
	catalog := fakeCatalog{e.a: {"tra-sua", "ca-phe", "tran-chau", "banh-mi"}, e.b: {"b-product", "b-tra-sua"}}
	e.shops = shops
	e.svc = inventory.New(d, e.clk, inventory.Options{Shops: shops, Catalog: catalog, Nudge: func() { e.nudges++ }})
	e.consume = events.ConsumeWithClock(d, e.clk, "inventory", e.svc.HandleOrderEvent)
	return e
}

func (e *env) item(t testing.TB, m tenant.ID, shop, name, unit string, reorder inventory.Quantity) string {
	t.Helper()
	l, err := e.svc.CreateStockItem(context.Background(), m, shop, inventory.ItemInput{Name: name, Unit: unit, ReorderLevel: reorder})
	if err != nil {
		t.Fatalf("create stock item %s: %v", name, err)
	}
	return l.StockItemID
}

func (e *env) move(t testing.TB, m tenant.ID, shop, item string, kind inventory.MovementKind, q inventory.Quantity) inventory.StockMovement {
	t.Helper()
	mv, err := e.svc.RecordMovement(context.Background(), m, shop, "tester", inventory.MovementInput{StockItemID: item, Kind: kind, Quantity: q})
	if err != nil {
		t.Fatalf("%s %s of %s: %v", kind, q, item, err)
	}
	return mv
}

func (e *env) level(t testing.TB, m tenant.ID, shop, item string) inventory.Quantity {
	t.Helper()
	st, err := e.svc.Stock(context.Background(), m, shop)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range st.Items {
		if l.StockItemID == item {
			return l.Quantity
		}
	}
	return 0
}

// orderEvent builds an order event of merchant m as the order module would publish it.
func orderEvent(m tenant.ID, shop, typ string, data any) events.Event {
	b, _ := json.Marshal(data)
	return events.Event{ID: db.NewID(), Type: typ, Subject: inventory.OrderSubject, MerchantID: m, ShopID: shop, Data: b}
}

func sold(shop string, lines ...inventory.OrderLine) inventory.OrderLines {
	return inventory.OrderLines{OrderID: db.NewID(), ShopID: shop, Lines: lines}
}

func voided(shop string, lineIDs ...string) inventory.OrderLinesReversed {
	r := inventory.OrderLinesReversed{OrderID: db.NewID(), ShopID: shop}
	for _, id := range lineIDs {
		r.Lines = append(r.Lines, inventory.OrderLineRef{OrderLineID: id})
	}
	return r
}

func (e *env) deliver(t testing.TB, ev events.Event) {
	t.Helper()
	if err := e.consume(context.Background(), ev); err != nil {
		t.Fatalf("deliver %s: %v", ev.Type, err)
	}
}

func wantKind(t testing.TB, err error, want apperr.Kind) {
	t.Helper()
	if got := apperr.KindOf(err); got != want {
		t.Fatalf("error kind = %v (%v), want %v", got, err, want)
	}
}

func wantField(t testing.TB, err error, field string) {
	t.Helper()
	wantKind(t, err, apperr.Invalid)
	for _, f := range apperr.Fields(err) {
		if f.Field == field {
			return
		}
	}
	t.Fatalf("fields %+v, want one at %s", apperr.Fields(err), field)
}

// checkConservation checks that every level of merchant m equals the sum of its movements, and that each
// level's movements chain: in id order, each quantity_after is the previous one plus the delta.
func checkConservation(t testing.TB, d *db.DB, m tenant.ID) {
	t.Helper()
	err := d.ReadTx(context.Background(), m, func(tx *sql.Tx) error {
		levels := map[[2]string]int64{}
		rows, err := tx.Query("SELECT shop_id, stock_item_id, quantity FROM inventory_levels WHERE merchant_id = $1", string(m))
		if err != nil {
			return err
		}
		for rows.Next() {
			var shop, item string
			var q int64
			if err := rows.Scan(&shop, &item, &q); err != nil {
				return err
			}
			levels[[2]string{shop, item}] = q
		}
		if err := rows.Close(); err != nil {
			return err
		}
		rows, err = tx.Query(`SELECT shop_id, stock_item_id, delta, quantity_after FROM inventory_movements
			WHERE merchant_id = $1 ORDER BY shop_id, stock_item_id, id`, string(m))
		if err != nil {
			return err
		}
		defer rows.Close()
		sums := map[[2]string]int64{}
		for rows.Next() {
			var shop, item string
			var delta, after int64
			if err := rows.Scan(&shop, &item, &delta, &after); err != nil {
				return err
			}
			k := [2]string{shop, item}
			if sums[k]+delta != after {
				t.Errorf("%v: movement of %d after %d says %d", k, delta, sums[k], after)
			}
			sums[k] += delta
		}
		for k, q := range levels {
			if sums[k] != q {
				t.Errorf("%v: level %d, movements sum to %d", k, q, sums[k])
			}
		}
		for k := range sums {
			if _, ok := levels[k]; !ok {
				t.Errorf("%v: movements without a level", k)
			}
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// outbox returns the types and subjects of merchant m's events, oldest first.
func outbox(t testing.TB, d *db.DB, m tenant.ID) []string {
	t.Helper()
	var out []string
	err := d.ReadTx(context.Background(), m, func(tx *sql.Tx) error {
		rows, err := tx.Query("SELECT type, subject FROM outbox WHERE merchant_id = $1 ORDER BY seq", string(m))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var typ, subject string
			if err := rows.Scan(&typ, &subject); err != nil {
				return err
			}
			out = append(out, typ+"@"+subject)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStockItemsAreMerchantWideAndLevelsPerShop(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		sugar := e.item(t, e.a, e.a1, "Đường", "kg", inventory.Units(2))
		// The same name in another shop (other case, decomposed Unicode) reuses the merchant's item.
		l, err := e.svc.CreateStockItem(ctx, e.a, e.a2, inventory.ItemInput{Name: "  đường", Unit: "KG", ReorderLevel: 500})
		if err != nil || l.StockItemID != sugar || l.Name != "Đường" || l.ReorderLevel != 500 || l.Quantity != 0 {
			t.Fatalf("reuse: %+v, %v", l, err)
		}
		_, err = e.svc.CreateStockItem(ctx, e.a, e.a2, inventory.ItemInput{Name: "ĐƯỜNG", Unit: "kg"})
		wantKind(t, err, apperr.Conflict)
		_, err = e.svc.CreateStockItem(ctx, e.a, e.a1, inventory.ItemInput{Name: "Đường", Unit: "g"})
		wantField(t, err, "unit")
		_, err = e.svc.CreateStockItem(ctx, e.a, e.b1, inventory.ItemInput{Name: "Sữa", Unit: "l"})
		wantKind(t, err, apperr.NotFound)
		// Merchant B's "Đường" is its own item.
		if other := e.item(t, e.b, e.b1, "Đường", "kg", 0); other == sugar {
			t.Fatal("merchant B got merchant A's item")
		}
		items, err := e.svc.StockItems(ctx, e.a)
		if err != nil || len(items) != 1 || items[0].ID != sugar {
			t.Fatalf("A's items: %+v, %v", items, err)
		}

		// Pack units and conversions.
		beer := e.item(t, e.a, e.a1, "Bia Sài Gòn", "lon", 0)
		if _, err := e.svc.AddUnit(ctx, e.a, beer, inventory.UnitInput{Name: "Thùng", Factor: inventory.Units(24)}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.AddUnit(ctx, e.a, beer, inventory.UnitInput{Name: "thùng", Factor: inventory.Units(20)})
		wantKind(t, err, apperr.Conflict)
		_, err = e.svc.AddUnit(ctx, e.b, beer, inventory.UnitInput{Name: "két", Factor: inventory.Units(20)})
		wantKind(t, err, apperr.NotFound)
		mv, err := e.svc.RecordMovement(ctx, e.a, e.a1, "u", inventory.MovementInput{StockItemID: beer, Kind: inventory.Receipt,
			Quantity: inventory.Units(2), Unit: "thùng"})
		if err != nil || mv.Quantity != inventory.Units(48) || mv.QuantityAfter != inventory.Units(48) {
			t.Fatalf("2 thùng: %+v, %v", mv, err)
		}
		mv, err = e.svc.RecordMovement(ctx, e.a, e.a1, "u", inventory.MovementInput{StockItemID: sugar, Kind: inventory.Receipt,
			Quantity: inventory.Units(1500), Unit: "g"})
		if err != nil || mv.Quantity != 1500 {
			t.Fatalf("1500 g of a kg item: %+v, %v", mv, err)
		}
		for _, bad := range []struct {
			in    inventory.MovementInput
			field string
		}{
			{inventory.MovementInput{StockItemID: sugar, Kind: inventory.Receipt, Quantity: 1, Unit: "ml"}, "unit"},
			{inventory.MovementInput{StockItemID: sugar, Kind: inventory.Receipt, Quantity: 1, Unit: "hộp"}, "unit"},
			{inventory.MovementInput{StockItemID: sugar, Kind: inventory.Receipt, Quantity: 1, Unit: "g"}, "quantity"},
			{inventory.MovementInput{StockItemID: sugar, Kind: inventory.Receipt, Quantity: -1}, "quantity"},
			{inventory.MovementInput{StockItemID: sugar, Kind: inventory.Waste, Quantity: 0}, "quantity"},
			{inventory.MovementInput{StockItemID: sugar, Kind: inventory.Adjustment, Quantity: 0}, "quantity"},
			{inventory.MovementInput{StockItemID: sugar, Kind: inventory.Sale, Quantity: 1}, "kind"},
			{inventory.MovementInput{StockItemID: sugar, Kind: inventory.Waste, Quantity: 1, UnitCost: new(money.VND)}, "unit_cost"},
			{inventory.MovementInput{StockItemID: "nope", Kind: inventory.Receipt, Quantity: 1}, "stock_item_id"},
		} {
			_, err := e.svc.RecordMovement(ctx, e.a, e.a1, "u", bad.in)
			wantField(t, err, bad.field)
		}
		// Merchant B cannot move A's item (a field error: the body names it).
		_, err = e.svc.RecordMovement(ctx, e.b, e.b1, "u", inventory.MovementInput{StockItemID: sugar, Kind: inventory.Receipt, Quantity: 1})
		wantField(t, err, "stock_item_id")
		if got := e.level(t, e.a, e.a1, sugar); got != 1500 {
			t.Fatalf("sugar after refused movements: %s", got)
		}
		checkConservation(t, d, e.a)
	})
}

func TestReorderAlertIsWrittenExactlyOnCrossing(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		milk := e.item(t, e.a, e.a1, "Sữa tươi", "l", inventory.Units(5))
		below, restored := inventory.EventBelowReorderLevel+"@", inventory.EventRestored+"@"
		shopTopic, moduleTopic := inventory.ShopSubject(e.a1), inventory.Subject
		steps := []struct {
			kind inventory.MovementKind
			q    inventory.Quantity
			want []string // events this movement writes
		}{
			{inventory.Receipt, inventory.Units(10), []string{restored + shopTopic, restored + moduleTopic}}, // 0 < 5 → 10
			{inventory.Waste, inventory.Units(5), nil},                                                       // 10 → 5: not below
			{inventory.Waste, 1, []string{below + shopTopic, below + moduleTopic}},                           // 5 → 4.999
			{inventory.Waste, inventory.Units(1), nil},                                                       // still below
			{inventory.Adjustment, inventory.Units(10), []string{restored + shopTopic, restored + moduleTopic}},
			{inventory.Adjustment, -inventory.Units(20), []string{below + shopTopic, below + moduleTopic}},
		}
		seen := 0
		for i, s := range steps {
			nudges := e.nudges
			mv := e.move(t, e.a, e.a1, milk, s.kind, s.q)
			got := outbox(t, d, e.a)[seen:]
			seen += len(got)
			if !slices.Equal(got, s.want) {
				t.Errorf("step %d (%s %s → %s): events %v, want %v", i, s.kind, s.q, mv.QuantityAfter, got, s.want)
			}
			if (len(s.want) > 0) != (e.nudges > nudges) {
				t.Errorf("step %d: nudged %d times", i, e.nudges-nudges)
			}
		}
		if mv := e.move(t, e.a, e.a1, milk, inventory.Waste, 1); !mv.NegativeStock {
			t.Errorf("a negative level is not reported: %+v", mv)
		}
		list, err := e.svc.ReorderList(context.Background(), e.a, e.a1)
		if err != nil || len(list.Items) != 1 || list.Items[0].SuggestedQuantity != inventory.Units(10)-list.Items[0].Quantity {
			t.Fatalf("reorder list: %+v, %v", list, err)
		}
		// The alert carries the level.
		err = d.ReadTx(context.Background(), e.a, func(tx *sql.Tx) error {
			var data string
			if err := tx.QueryRow("SELECT data FROM outbox WHERE merchant_id = $1 AND subject = $2 ORDER BY seq DESC LIMIT 1",
				string(e.a), shopTopic).Scan(&data); err != nil {
				return err
			}
			var a inventory.ReorderAlert
			if err := json.Unmarshal([]byte(data), &a); err != nil {
				return err
			}
			if a.ShopID != e.a1 || a.StockItemID != milk || a.Name != "Sữa tươi" || a.Unit != "l" ||
				a.Quantity != -6001 || a.ReorderLevel != inventory.Units(5) {
				t.Errorf("alert data %+v", a)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		checkConservation(t, d, e.a)
	})
}

func TestValuationAtWeightedAverageCost(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		coffee := e.item(t, e.a, e.a1, "Cà phê hạt", "kg", 0)
		receive := func(q inventory.Quantity, cost money.VND) {
			if _, err := e.svc.RecordMovement(ctx, e.a, e.a1, "u", inventory.MovementInput{StockItemID: coffee,
				Kind: inventory.Receipt, Quantity: q, UnitCost: &cost}); err != nil {
				t.Fatal(err)
			}
		}
		receive(inventory.Units(2), 200_000)
		receive(inventory.Units(1), 230_001) // (400000 + 230001) / 3 = 210000.33 → 210000
		e.move(t, e.a, e.a1, coffee, inventory.Waste, 500)
		v, err := e.svc.Valuation(ctx, e.a, e.a1)
		if err != nil || len(v.Items) != 1 {
			t.Fatalf("valuation: %+v, %v", v, err)
		}
		if it := v.Items[0]; it.AverageCost != 210_000 || it.Quantity != 2500 || it.Value != 525_000 || v.Total != 525_000 {
			t.Errorf("valuation %+v", v)
		}
		// A transfer carries the sender's average cost into the receiving shop.
		if _, err := e.svc.TransferStock(ctx, e.a, e.a1, "u", inventory.TransferInput{ToShopID: e.a2,
			Lines: []inventory.QuantityLine{{StockItemID: coffee, Quantity: 500, Unit: ""}}}); err != nil {
			t.Fatal(err)
		}
		v, err = e.svc.Valuation(ctx, e.a, e.a2)
		if err != nil || len(v.Items) != 1 || v.Items[0].AverageCost != 210_000 || v.Total != 105_000 {
			t.Errorf("receiving shop valuation %+v, %v", v, err)
		}
	})
}

func TestDeductionHappensOncePerLineAndItem(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		tea := e.item(t, e.a, e.a1, "Trà", "g", 0)
		milk := e.item(t, e.a, e.a1, "Sữa", "ml", 0)
		pearls := e.item(t, e.a, e.a1, "Trân châu", "g", 0)
		for _, it := range []string{tea, milk, pearls} {
			e.move(t, e.a, e.a1, it, inventory.Receipt, inventory.Units(10000))
		}
		if _, err := e.svc.SetProductRecipe(ctx, e.a, "tra-sua", []inventory.QuantityLine{
			{StockItemID: tea, Quantity: inventory.Units(10)}, {StockItemID: milk, Quantity: 100, Unit: "l"}}); err != nil {
			t.Fatal(err)
		}
		// The topping uses milk too: one line deducts milk once, with both quantities.
		if _, err := e.svc.SetOptionRecipe(ctx, e.a, "tran-chau", []inventory.QuantityLine{
			{StockItemID: pearls, Quantity: inventory.Units(30)}, {StockItemID: milk, Quantity: inventory.Units(20)}}); err != nil {
			t.Fatal(err)
		}
		line := inventory.OrderLine{OrderLineID: db.NewID(), ProductID: "tra-sua", Quantity: 2, ModifierOptionIDs: []string{"tran-chau"}}
		plain := inventory.OrderLine{OrderLineID: db.NewID(), ProductID: "banh-mi", Quantity: 1} // no recipe
		submitted := orderEvent(e.a, e.a1, inventory.EventOrderLinesSubmitted, sold(e.a1, line, plain))
		e.deliver(t, submitted)
		e.deliver(t, submitted) // redelivery: the inbox
		// The same lines again in another event (a repeated publish), then paid: the unique key.
		e.deliver(t, orderEvent(e.a, e.a1, inventory.EventOrderLinesSubmitted, sold(e.a1, line)))
		e.deliver(t, orderEvent(e.a, e.a1, inventory.EventOrderPaid, sold(e.a1, line, plain)))
		want := map[string]inventory.Quantity{tea: inventory.Units(10000 - 20), milk: inventory.Units(10000 - 240),
			pearls: inventory.Units(10000 - 60)}
		for it, q := range want {
			if got := e.level(t, e.a, e.a1, it); got != q {
				t.Errorf("level of %s = %s, want %s", it, got, q)
			}
		}
		page, err := e.svc.Movements(ctx, e.a, e.a1, inventory.MovementQuery{})
		if err != nil {
			t.Fatal(err)
		}
		sales := 0
		for _, m := range page.Items {
			if m.Kind == inventory.Sale {
				sales++
				if m.Reference != line.OrderLineID || m.Actor != "order" {
					t.Errorf("sale movement %+v", m)
				}
			}
		}
		if sales != 3 {
			t.Errorf("%d sale movements, want 3 (one per item of the line)", sales)
		}
		// Void reverses once; a refund of the same line afterwards changes nothing.
		e.deliver(t, orderEvent(e.a, e.a1, inventory.EventOrderLinesVoided, voided(e.a1, line.OrderLineID, plain.OrderLineID)))
		e.deliver(t, orderEvent(e.a, e.a1, inventory.EventOrderRefunded, voided(e.a1, line.OrderLineID)))
		for _, it := range []string{tea, milk, pearls} {
			if got := e.level(t, e.a, e.a1, it); got != inventory.Units(10000) {
				t.Errorf("level of %s after void = %s", it, got)
			}
		}
		// A line voided before it was deducted gives nothing back.
		never := inventory.OrderLine{OrderLineID: db.NewID(), ProductID: "tra-sua", Quantity: 1}
		e.deliver(t, orderEvent(e.a, e.a1, inventory.EventOrderLinesVoided, voided(e.a1, never.OrderLineID)))
		if got := e.level(t, e.a, e.a1, tea); got != inventory.Units(10000) {
			t.Errorf("tea after voiding an undeducted line = %s", got)
		}

		// deduct_on = paid: submission deducts nothing, payment does.
		if _, err := e.svc.SetSettings(ctx, e.a, e.a1, inventory.InventorySettings{DeductOn: inventory.DeductOnPaid}); err != nil {
			t.Fatal(err)
		}
		late := inventory.OrderLine{OrderLineID: db.NewID(), ProductID: "tra-sua", Quantity: 1}
		e.deliver(t, orderEvent(e.a, e.a1, inventory.EventOrderLinesSubmitted, sold(e.a1, late)))
		if got := e.level(t, e.a, e.a1, tea); got != inventory.Units(10000) {
			t.Errorf("tea after submission in paid mode = %s", got)
		}
		e.deliver(t, orderEvent(e.a, e.a1, inventory.EventOrderPaid, sold(e.a1, late)))
		if got := e.level(t, e.a, e.a1, tea); got != inventory.Units(9990) {
			t.Errorf("tea after payment in paid mode = %s", got)
		}

		// Unknown types are ignored; malformed payloads are permanent errors.
		e.deliver(t, orderEvent(e.a, e.a1, "order.updated", map[string]any{"id": "x"}))
		err = e.consume(ctx, orderEvent(e.a, e.a1, inventory.EventOrderPaid, map[string]any{"lines": "nope"}))
		wantKind(t, err, apperr.Invalid)
		err = e.consume(ctx, orderEvent(e.a, e.a1, inventory.EventOrderPaid,
			sold(e.a1, inventory.OrderLine{OrderLineID: db.NewID(), ProductID: "tra-sua", Quantity: 0})))
		wantKind(t, err, apperr.Invalid)
		// Merchant B's events never touch A's stock, even naming A's products and shop.
		e.deliver(t, orderEvent(e.b, e.a1, inventory.EventOrderPaid, sold(e.a1,
			inventory.OrderLine{OrderLineID: db.NewID(), ProductID: "tra-sua", Quantity: 5})))
		if got := e.level(t, e.a, e.a1, tea); got != inventory.Units(9990) {
			t.Errorf("tea after merchant B's event = %s", got)
		}
		checkConservation(t, d, e.a)
		checkConservation(t, d, e.b)
	})
}

func TestRecipeValidation(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		tea := e.item(t, e.a, e.a1, "Trà", "g", 0)
		bItem := e.item(t, e.b, e.b1, "Trà B", "g", 0)
		r, err := e.svc.SetProductRecipe(ctx, e.a, "tra-sua", []inventory.QuantityLine{{StockItemID: tea, Quantity: 2500}})
		if err != nil || len(r.Ingredients) != 1 || r.Ingredients[0].Quantity != 2500 || r.ProductID != "tra-sua" {
			t.Fatalf("set recipe: %+v, %v", r, err)
		}
		_, err = e.svc.SetProductRecipe(ctx, e.a, "tra-sua", []inventory.QuantityLine{{StockItemID: tea, Quantity: 1}, {StockItemID: bItem, Quantity: 1}})
		wantField(t, err, "ingredients[1].stock_item_id")
		_, err = e.svc.SetProductRecipe(ctx, e.a, "tra-sua", []inventory.QuantityLine{{StockItemID: tea, Quantity: -1}})
		wantField(t, err, "ingredients[0].quantity")
		_, err = e.svc.SetProductRecipe(ctx, e.a, "tra-sua", []inventory.QuantityLine{{StockItemID: tea, Quantity: 1, Unit: "ml"}})
		wantField(t, err, "ingredients[0].unit")
		_, err = e.svc.SetProductRecipe(ctx, e.a, "tra-sua", []inventory.QuantityLine{{StockItemID: tea, Quantity: 1}, {StockItemID: tea, Quantity: 1}})
		wantField(t, err, "ingredients[1].stock_item_id")
		_, err = e.svc.SetProductRecipe(ctx, e.a, "b-product", nil)
		wantKind(t, err, apperr.NotFound)
		_, err = e.svc.OptionRecipe(ctx, e.a, "b-product")
		wantKind(t, err, apperr.NotFound)
		if r, err = e.svc.ProductRecipe(ctx, e.a, "tra-sua"); err != nil || len(r.Ingredients) != 1 || r.Ingredients[0].Quantity != 2500 {
			t.Fatalf("recipe after refused changes: %+v, %v", r, err)
		}
		if r, err = e.svc.SetProductRecipe(ctx, e.a, "tra-sua", nil); err != nil || len(r.Ingredients) != 0 {
			t.Fatalf("clear: %+v, %v", r, err)
		}
	})
}

func TestTransferMovesBothSidesOrNeither(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		beer := e.item(t, e.a, e.a1, "Bia", "lon", 0)
		ice := e.item(t, e.a, e.a1, "Đá", "kg", 0)
		if _, err := e.svc.AddUnit(ctx, e.a, beer, inventory.UnitInput{Name: "thùng", Factor: inventory.Units(24)}); err != nil {
			t.Fatal(err)
		}
		e.move(t, e.a, e.a1, beer, inventory.Receipt, inventory.Units(48))
		tr, err := e.svc.TransferStock(ctx, e.a, e.a1, "u", inventory.TransferInput{ToShopID: e.a2, Lines: []inventory.QuantityLine{
			{StockItemID: beer, Quantity: inventory.Units(1), Unit: "thùng"}, {StockItemID: ice, Quantity: inventory.Units(3)}}})
		if err != nil || len(tr.Lines) != 2 || tr.Lines[0].Quantity != inventory.Units(24) {
			t.Fatalf("transfer: %+v, %v", tr, err)
		}
		if a1, a2 := e.level(t, e.a, e.a1, beer), e.level(t, e.a, e.a2, beer); a1 != inventory.Units(24) || a2 != inventory.Units(24) {
			t.Errorf("beer: a1 %s a2 %s", a1, a2)
		}
		if a1, a2 := e.level(t, e.a, e.a1, ice), e.level(t, e.a, e.a2, ice); a1 != -inventory.Units(3) || a2 != inventory.Units(3) {
			t.Errorf("ice: a1 %s a2 %s", a1, a2)
		}
		page, err := e.svc.Movements(ctx, e.a, e.a2, inventory.MovementQuery{StockItemID: beer})
		if err != nil || len(page.Items) != 1 || page.Items[0].Kind != inventory.TransferIn || page.Items[0].Reference != tr.ID {
			t.Fatalf("a2 beer movements: %+v, %v", page, err)
		}
		before := outbox(t, d, e.a)
		// Refused: same shop, another merchant's shop, a bad line (nothing moves, not even the good line).
		_, err = e.svc.TransferStock(ctx, e.a, e.a1, "u", inventory.TransferInput{ToShopID: e.a1,
			Lines: []inventory.QuantityLine{{StockItemID: beer, Quantity: 1}}})
		wantField(t, err, "to_shop_id")
		_, err = e.svc.TransferStock(ctx, e.a, e.a1, "u", inventory.TransferInput{ToShopID: e.b1,
			Lines: []inventory.QuantityLine{{StockItemID: beer, Quantity: 1}}})
		wantKind(t, err, apperr.NotFound)
		_, err = e.svc.TransferStock(ctx, e.a, e.a1, "u", inventory.TransferInput{ToShopID: e.a2,
			Lines: []inventory.QuantityLine{{StockItemID: beer, Quantity: 1}, {StockItemID: ice, Quantity: 1, Unit: "lon"}}})
		wantField(t, err, "lines[1].unit")
		if got := e.level(t, e.a, e.a1, beer); got != inventory.Units(24) {
			t.Errorf("beer after refused transfers: %s", got)
		}
		if after := outbox(t, d, e.a); len(after) != len(before) {
			t.Errorf("refused transfers wrote events: %v", after[len(before):])
		}
		checkConservation(t, d, e.a)
	})
}

func TestStocktakeRecordsVariances(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		rice := e.item(t, e.a, e.a1, "Gạo", "kg", 0)
		eggs := e.item(t, e.a, e.a1, "Trứng", "pcs", 0)
		e.move(t, e.a, e.a1, rice, inventory.Receipt, inventory.Units(20))
		e.move(t, e.a, e.a1, eggs, inventory.Receipt, inventory.Units(30))
		st, err := e.svc.TakeStock(ctx, e.a, e.a1, "u", inventory.StocktakeInput{Counts: []inventory.QuantityLine{
			{StockItemID: rice, Quantity: inventory.Units(18500), Unit: "g"}, {StockItemID: eggs, Quantity: inventory.Units(30)}}})
		if err != nil {
			t.Fatal(err)
		}
		want := []inventory.StocktakeLine{
			{StockItemID: rice, Expected: inventory.Units(20), Counted: 18500, Variance: -1500},
			{StockItemID: eggs, Expected: inventory.Units(30), Counted: inventory.Units(30), Variance: 0},
		}
		if !slices.Equal(st.Lines, want) {
			t.Errorf("stocktake lines %+v, want %+v", st.Lines, want)
		}
		page, _ := e.svc.Movements(ctx, e.a, e.a1, inventory.MovementQuery{StockItemID: eggs})
		if len(page.Items) != 1 {
			t.Errorf("a zero variance recorded a movement: %+v", page.Items)
		}
		_, err = e.svc.TakeStock(ctx, e.a, e.a1, "u", inventory.StocktakeInput{Counts: []inventory.QuantityLine{{StockItemID: rice, Quantity: -1}}})
		wantField(t, err, "counts[0].counted")
		_, err = e.svc.TakeStock(ctx, e.a, e.a1, "u", inventory.StocktakeInput{Counts: []inventory.QuantityLine{
			{StockItemID: rice, Quantity: 1}, {StockItemID: rice, Quantity: 2}}})
		wantField(t, err, "counts[1].stock_item_id")
		if got := e.level(t, e.a, e.a1, rice); got != 18500 {
			t.Errorf("rice = %s", got)
		}
		checkConservation(t, d, e.a)
	})
}

func TestMovementsPageNewestFirst(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		salt := e.item(t, e.a, e.a1, "Muối", "g", 0)
		var ids []string
		for i := range 5 {
			ids = append(ids, e.move(t, e.a, e.a1, salt, inventory.Receipt, inventory.Quantity(i+1)).ID)
		}
		var got []string
		cursor := ""
		for {
			page, err := e.svc.Movements(ctx, e.a, e.a1, inventory.MovementQuery{Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range page.Items {
				got = append(got, m.ID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		slices.Reverse(ids)
		if !slices.Equal(got, ids) {
			t.Errorf("pages %v, want %v", got, ids)
		}
		_, err := e.svc.Movements(ctx, e.a, e.a1, inventory.MovementQuery{Cursor: "!!"})
		wantField(t, err, "cursor")
		_, err = e.svc.Movements(ctx, e.b, e.a1, inventory.MovementQuery{})
		wantKind(t, err, apperr.NotFound)
	})
}

// TestSchemaIsolatesEveryTenantTable checks the migrations: the same tables and columns on both engines, and
// on PostgreSQL row-level security enabled and forced, with the tenant and the system_transfer policies.
func TestSchemaIsolatesEveryTenantTable(t *testing.T) {
	schemas := map[db.Dialect]map[string]migrate.Table{}
	dbtest.Each(t, []migrate.Source{inventory.Migrations}, func(t *testing.T, d *db.DB) {
		s, err := migrate.Schema(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		schemas[d.Dialect()] = s
		for name, table := range s {
			if !slices.Contains(table.Columns, "merchant_id") {
				t.Errorf("table %s has no merchant_id", name)
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

// TestTenantTransactionsCannotUseTheTransferPolicy checks on PostgreSQL that a tenant transaction sees
// nothing of another merchant's stock although the tables admit the system path.
func TestTenantTransactionsCannotUseTheTransferPolicy(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		if d.Dialect() != db.Postgres {
			t.Skip("row-level security is PostgreSQL's; SQLite relies on every query's merchant filter")
		}
		e := newEnv(t, d)
		e.move(t, e.a, e.a1, e.item(t, e.a, e.a1, "Bơ", "kg", 0), inventory.Receipt, 1)
		err := d.ReadTx(context.Background(), e.b, func(tx *sql.Tx) error {
			for _, table := range []string{"inventory_stock_items", "inventory_levels", "inventory_movements"} {
				var n int
				if err := tx.QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE merchant_id = $1", table), string(e.a)).Scan(&n); err != nil {
					return err
				}
				if n != 0 {
					t.Errorf("merchant B's transaction counts %d rows of A's %s", n, table)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
