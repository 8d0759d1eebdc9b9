package order_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/order"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

var sources = []migrate.Source{events.Migrations, order.Migrations}

const (
	merchantA, merchantB = tenant.ID("merchant-a"), tenant.ID("merchant-b")
	shop1                = "shop-1"
)

// fakes: a menu of two products, a floor of one table and one room, and a kitchen that records its tickets.
type fakeCatalog struct{}

func (fakeCatalog) PriceLines(_ context.Context, m tenant.ID, shopID string, lines []order.LineRequest) ([]order.PricedLine, error) {
	out := make([]order.PricedLine, len(lines))
	for i, l := range lines {
		switch {
		case m != merchantA || shopID != shop1:
			return nil, apperr.WithField(fmt.Sprintf("lines[%d].product_id", i), "no such product")
		case l.ProductID == "pho":
			out[i] = order.PricedLine{ProductID: "pho", Name: "Phở bò", Station: "kitchen", TaxClass: "standard", UnitPrice: 55000}
		case l.ProductID == "cafe":
			out[i] = order.PricedLine{ProductID: "cafe", Name: "Cà phê sữa đá", Station: "bar", TaxClass: "standard", UnitPrice: 29000}
			if slices.Contains(l.ModifierOptionIDs, "more-milk") {
				out[i].UnitPrice += 5000
				out[i].Modifiers = []order.LineModifier{{OptionID: "more-milk", Group: "Sữa", Name: "Thêm sữa", PriceDelta: 5000}}
			}
		case l.ProductID == "sold-out":
			return nil, apperr.E(apperr.Conflict, "Bánh flan is sold out")
		default:
			return nil, apperr.WithField(fmt.Sprintf("lines[%d].product_id", i), "no such product")
		}
	}
	return out, nil
}

// fakeShops is shop1 of merchantA; settings, when set, are its table-sharing and void-approval settings.
type fakeShops struct{ settings *order.Terms }

func (f fakeShops) Terms(_ context.Context, _ *sql.Tx, m tenant.ID, shopID string) (order.Terms, error) {
	if m != merchantA || shopID != shop1 {
		return order.Terms{}, apperr.E(apperr.NotFound, "shop not found")
	}
	t := order.Terms{VATRatePercent: 8, PricesIncludeVAT: true}
	if f.settings != nil {
		t.SeveralOrdersPerTable, t.VoidApprovalThreshold = f.settings.SeveralOrdersPerTable, f.settings.VoidApprovalThreshold
	}
	return t, nil
}

func (fakeShops) Place(_ context.Context, _ *sql.Tx, _ tenant.ID, _ string, tableID, roomID string) (order.Place, error) {
	switch {
	case tableID == "table-5":
		return order.Place{Name: "Bàn 5"}, nil
	case tableID == "table-6", tableID == "table-7":
		return order.Place{Name: "Bàn " + tableID[len(tableID)-1:]}, nil
	case roomID == "room-1":
		return order.Place{Name: "Phòng 1", RoomType: "small"}, nil
	case roomID == "room-vip":
		return order.Place{Name: "Phòng VIP", RoomType: "vip"}, nil
	}
	return order.Place{}, apperr.E(apperr.NotFound, "no such table")
}

type fakeKitchen struct {
	mu      sync.Mutex
	batches [][]order.TicketLine
}

func (k *fakeKitchen) CreateTickets(_ context.Context, tx *sql.Tx, _ tenant.ID, _, _, _ string, lines []order.TicketLine) ([]order.SentTicket, error) {
	if tx == nil {
		return nil, fmt.Errorf("tickets must be created in the order's transaction")
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.batches = append(k.batches, lines)
	return []order.SentTicket{{ID: fmt.Sprint("ticket-", len(k.batches)), Station: lines[0].Station, Kind: "order", Status: "new"}}, nil
}

func newService(t *testing.T, d *db.DB) (*order.Service, *fakeKitchen) {
	k := &fakeKitchen{}
	return order.New(d, clock.NewFake(time.Date(2026, 11, 23, 5, 0, 0, 0, time.UTC)), order.Options{Catalog: fakeCatalog{},
		Shops: fakeShops{}, Kitchen: k}), k
}

func eventsOf(t *testing.T, d *db.DB, typ string) []json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	err := d.ReadTx(context.Background(), merchantA, func(tx *sql.Tx) error {
		rows, err := tx.Query("SELECT data FROM outbox WHERE merchant_id = $1 AND type = $2 ORDER BY seq", string(merchantA), typ)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				return err
			}
			out = append(out, b)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRestaurantOrderFromTableToKitchenToCancel(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		svc, k := newService(t, d)
		ctx := context.Background()
		o, err := svc.Open(ctx, merchantA, shop1, order.OpenInput{Type: order.DineIn, TableID: "table-5", Guests: 2}, "waiter")
		if err != nil || o.Status != order.StatusOpen || o.PlaceName != "Bàn 5" || o.Version != 1 {
			t.Fatalf("open: %+v, %v", o, err)
		}
		_, err = svc.Open(ctx, merchantA, shop1, order.OpenInput{Type: order.DineIn, TableID: "table-5"}, "cashier")
		if apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("second order on the table: %v, want conflict", err)
		}
		c := order.Change{Actor: "waiter"}
		o, err = svc.AddLine(ctx, merchantA, o.ID, order.LineInput{ProductID: "cafe", Quantity: 2, ModifierOptionIDs: []string{"more-milk"}, Note: "ít đá"}, c)
		if err != nil {
			t.Fatal(err)
		}
		o, err = svc.AddLine(ctx, merchantA, o.ID, order.LineInput{ProductID: "pho", Quantity: 1}, c)
		if err != nil {
			t.Fatal(err)
		}
		if o.Totals.Total != 2*34000+55000 || o.Totals.VAT != money.VND(68000).MulDiv(8, 108)+money.VND(55000).MulDiv(8, 108) || o.Version != 3 {
			t.Fatalf("totals after two lines: %+v (version %d)", o.Totals, o.Version)
		}
		// Bad input changes nothing.
		for name, in := range map[string]order.LineInput{
			"zero quantity":          {ProductID: "pho", Quantity: 0},
			"negative quantity":      {ProductID: "pho", Quantity: -2},
			"another shop's product": {ProductID: "ghost", Quantity: 1},
		} {
			_, err := svc.AddLine(ctx, merchantA, o.ID, in, c)
			if apperr.KindOf(err) != apperr.Invalid {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
		_, err = svc.AddLine(ctx, merchantA, o.ID, order.LineInput{ProductID: "sold-out", Quantity: 1}, c)
		if apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("sold out: %v", err)
		}
		// A stale version is refused with the order as it is now.
		_, err = svc.AddLine(ctx, merchantA, o.ID, order.LineInput{ProductID: "pho", Quantity: 1}, order.Change{ExpectedVersion: 2})
		if cur, ok := apperr.CurrentOf(err).(order.Order); apperr.KindOf(err) != apperr.Conflict || !ok || cur.Version != 3 || len(cur.Lines) != 2 {
			t.Fatalf("stale add: %v (current %+v)", err, apperr.CurrentOf(err))
		}

		o, tickets, err := svc.Submit(ctx, merchantA, o.ID, c)
		if err != nil || len(tickets) != 1 || o.Status != order.StatusOrdering || len(k.batches) != 1 || len(k.batches[0]) != 2 {
			t.Fatalf("submit: %+v %v %v %v", o.Status, tickets, err, k.batches)
		}
		if got := k.batches[0][0]; got.Name != "Cà phê sữa đá" || got.Quantity != 2 || got.Station != "bar" ||
			!slices.Equal(got.Modifiers, []string{"Thêm sữa"}) || got.Note != "ít đá" {
			t.Errorf("first ticket line: %+v", got)
		}
		again, none, err := svc.Submit(ctx, merchantA, o.ID, c)
		if err != nil || len(none) != 0 || again.Version != o.Version || len(k.batches) != 1 {
			t.Fatalf("resubmit with nothing new: %d tickets, version %d→%d, %v", len(none), o.Version, again.Version, err)
		}
		sent := o.Lines[0]
		_, err = svc.UpdateLine(ctx, merchantA, o.ID, sent.ID, order.LinePatch{Quantity: ptr(5)}, c)
		if apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("changing a sent line: %v", err)
		}
		if o, err = svc.VoidLine(ctx, merchantA, o.ID, sent.ID, "khách đổi ý", c); err != nil || o.Totals.Total != 55000 {
			t.Fatalf("void: %+v, %v", o.Totals, err)
		}
		_, tickets, err = svc.Submit(ctx, merchantA, o.ID, c)
		if err != nil || len(tickets) != 1 || !k.batches[1][0].Void || k.batches[1][0].OrderLineID != sent.ID {
			t.Fatalf("void submit: %v %v %+v", tickets, err, k.batches)
		}
		_, err = svc.Close(ctx, merchantA, o.ID, c)
		if apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("closing with money due: %v", err)
		}
		if o, err = svc.Cancel(ctx, merchantA, o.ID, "khách về", c); err != nil || o.Status != order.StatusCancelled {
			t.Fatalf("cancel: %+v, %v", o, err)
		}
		if len(k.batches) != 3 || !k.batches[2][0].Void || k.batches[2][0].Name != "Phở bò" {
			t.Errorf("cancel withdraws the sent phở from the kitchen: %+v", k.batches)
		}
		if _, err := svc.AddLine(ctx, merchantA, o.ID, order.LineInput{ProductID: "pho", Quantity: 1}, c); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("adding to a cancelled order: %v", err)
		}
		// The table is free again.
		if _, err := svc.Open(ctx, merchantA, shop1, order.OpenInput{Type: order.DineIn, TableID: "table-5"}, "waiter"); err != nil {
			t.Errorf("reopen the table: %v", err)
		}
		// Stock's contract: each line submitted once, each sent line's void once.
		var submitted []struct {
			Lines []struct {
				OrderLineID       string   `json:"order_line_id"`
				ProductID         string   `json:"product_id"`
				Quantity          int      `json:"quantity"`
				ModifierOptionIDs []string `json:"modifier_option_ids"`
			} `json:"lines"`
		}
		for _, raw := range eventsOf(t, d, order.EventLinesSubmited) {
			var e struct {
				Lines []struct {
					OrderLineID       string   `json:"order_line_id"`
					ProductID         string   `json:"product_id"`
					Quantity          int      `json:"quantity"`
					ModifierOptionIDs []string `json:"modifier_option_ids"`
				} `json:"lines"`
			}
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatal(err)
			}
			submitted = append(submitted, e)
		}
		if len(submitted) != 1 || len(submitted[0].Lines) != 2 || submitted[0].Lines[0].Quantity != 2 ||
			!slices.Equal(submitted[0].Lines[0].ModifierOptionIDs, []string{"more-milk"}) {
			t.Errorf("order.lines_submitted: %+v", submitted)
		}
		if voided := eventsOf(t, d, order.EventLinesVoided); len(voided) != 2 {
			t.Errorf("order.lines_voided events: %d, want the void and the cancel", len(voided))
		}
		if _, err := svc.Get(ctx, merchantB, o.ID); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("merchant B reads A's order: %v", err)
		}
	})
}

func TestTwoTerminalsAddingAtOnceLoseNothing(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		svc, _ := newService(t, d)
		ctx := context.Background()
		o, err := svc.Open(ctx, merchantA, shop1, order.OpenInput{Type: order.Room, RoomID: "room-1"}, "cashier")
		if err != nil {
			t.Fatal(err)
		}
		const terminals, each = 4, 6
		var wg sync.WaitGroup
		errs := make(chan error, terminals*each)
		for range terminals {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					_, err := svc.AddLine(ctx, merchantA, o.ID, order.LineInput{ProductID: "cafe", Quantity: 1}, order.Change{Actor: "t"})
					for apperr.KindOf(err) == apperr.Unavailable { // a serialisation failure: the terminal retries
						_, err = svc.AddLine(ctx, merchantA, o.ID, order.LineInput{ProductID: "cafe", Quantity: 1}, order.Change{Actor: "t"})
					}
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, err := svc.Get(ctx, merchantA, o.ID)
		if err != nil || len(got.Lines) != terminals*each || got.Version != 1+terminals*each ||
			got.Totals.Total != money.VND(29000*terminals*each) {
			t.Fatalf("after concurrent adds: %d lines, version %d, total %d, %v", len(got.Lines), got.Version, got.Totals.Total, err)
		}
	})
}

func TestTakeawayGetsPickupNumbers(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		svc, _ := newService(t, d)
		for want := 1; want <= 3; want++ {
			o, err := svc.Open(context.Background(), merchantA, shop1, order.OpenInput{Type: order.Takeaway}, "cashier")
			if err != nil || o.PickupNumber != want || o.PlaceName != fmt.Sprintf("#%d", want) {
				t.Fatalf("takeaway %d: %+v, %v", want, o, err)
			}
		}
		_, err := svc.Open(context.Background(), merchantA, shop1, order.OpenInput{Type: order.DineIn, TableID: "nope"}, "x")
		if apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("unknown table: %v", err)
		}
		_, err = svc.Open(context.Background(), merchantB, shop1, order.OpenInput{Type: order.Takeaway}, "x")
		if apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("another merchant's shop: %v", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func (fakeShops) Receipt(context.Context, tenant.ID, string) (order.ReceiptInfo, error) {
	return order.ReceiptInfo{Name: "Phở Hà Nội", Address: "1 Hàng Bạc", Footer: "Hẹn gặp lại"}, nil
}

func TestMoveAndMergeTables(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		svc, k := newService(t, d)
		ctx := context.Background()
		c := order.Change{Actor: "waiter"}
		a, _ := svc.Open(ctx, merchantA, shop1, order.OpenInput{Type: order.DineIn, TableID: "table-5"}, "waiter")
		if _, err := svc.AddLine(ctx, merchantA, a.ID, order.LineInput{ProductID: "pho", Quantity: 2}, c); err != nil {
			t.Fatal(err)
		}
		b, _ := svc.Open(ctx, merchantA, shop1, order.OpenInput{Type: order.DineIn, TableID: "table-7"}, "waiter")
		if _, err := svc.AddLine(ctx, merchantA, b.ID, order.LineInput{ProductID: "cafe", Quantity: 1}, c); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Submit(ctx, merchantA, b.ID, c); err != nil {
			t.Fatal(err)
		}
		// Moving onto an occupied table is refused; onto a free one frees the old.
		if _, err := svc.MoveTable(ctx, merchantA, a.ID, "table-7", c); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("move onto an occupied table: %v", err)
		}
		moved, err := svc.MoveTable(ctx, merchantA, a.ID, "table-6", c)
		if err != nil || moved.TableID != "table-6" || moved.PlaceName != "Bàn 6" {
			t.Fatalf("move: %+v, %v", moved, err)
		}
		if _, err := svc.Open(ctx, merchantA, shop1, order.OpenInput{Type: order.DineIn, TableID: "table-5"}, "w"); err != nil {
			t.Errorf("the old table is not free: %v", err)
		}
		// Merging table 7 into table 6: its sent line moves as sent, nothing goes to the kitchen again.
		batches := len(k.batches)
		merged, err := svc.Merge(ctx, merchantA, a.ID, b.ID, c)
		if err != nil || len(merged.Lines) != 2 || merged.Totals.Total != 2*55000+29000 || merged.Lines[1].Status != "sent" {
			t.Fatalf("merge: %+v, %v", merged, err)
		}
		if gone, _ := svc.Get(ctx, merchantA, b.ID); gone.Status != order.StatusCancelled || len(gone.Lines) != 0 {
			t.Errorf("the merged order: %+v", gone)
		}
		if again, tickets, err := svc.Submit(ctx, merchantA, a.ID, c); err != nil || len(tickets) != 1 || len(k.batches) != batches+1 ||
			len(k.batches[batches]) != 1 || k.batches[batches][0].Name != "Phở bò" {
			t.Errorf("submit after merge sends only table 6's own new line: %v %v %v", again.Status, tickets, err)
		}
		if _, err := svc.Merge(ctx, merchantA, a.ID, a.ID, c); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("merge into itself: %v", err)
		}
		if _, err := svc.Merge(ctx, merchantA, a.ID, b.ID, c); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("merging a cancelled order: %v", err)
		}
		if _, err := svc.Open(ctx, merchantA, shop1, order.OpenInput{Type: order.DineIn, TableID: "table-7"}, "w"); err != nil {
			t.Errorf("table 7 is not free after the merge: %v", err)
		}
	})
}

func TestSplitBillIntoChecks(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		svc, k := newService(t, d)
		ctx := context.Background()
		c := order.Change{Actor: "waiter"}
		o, _ := svc.Open(ctx, merchantA, shop1, order.OpenInput{Type: order.DineIn, TableID: "table-5", Guests: 3}, "waiter")
		for seat, product := range map[int]string{1: "pho", 2: "cafe", 3: "pho"} {
			if _, err := svc.AddLine(ctx, merchantA, o.ID, order.LineInput{ProductID: product, Quantity: 1, Seat: seat}, c); err != nil {
				t.Fatal(err)
			}
		}
		o, _, err := svc.Submit(ctx, merchantA, o.ID, c)
		if err != nil {
			t.Fatal(err)
		}
		sent := len(k.batches)
		// Bad groups change nothing.
		for name, in := range map[string]order.SplitInput{
			"unknown line":   {Groups: [][]string{{"nope"}}},
			"line twice":     {Groups: [][]string{{o.Lines[0].ID}, {o.Lines[0].ID}}},
			"empty group":    {Groups: [][]string{{}}},
			"nothing at all": {},
		} {
			if _, _, err := svc.Split(ctx, merchantA, o.ID, in, c); apperr.KindOf(err) != apperr.Invalid {
				t.Errorf("%s: %v", name, err)
			}
		}
		parent, checks, err := svc.Split(ctx, merchantA, o.ID, order.SplitInput{BySeat: true}, c)
		if err != nil || len(checks) != 3 || len(parent.Lines) != 0 || parent.Totals.Total != 0 {
			t.Fatalf("split by seat: parent %+v, %d checks, %v", parent.Totals, len(checks), err)
		}
		var sum money.VND
		for _, ch := range checks {
			if ch.SplitOf != o.ID || ch.TableID != "table-5" || len(ch.Lines) != 1 || ch.Lines[0].Status != "sent" {
				t.Errorf("check %+v", ch)
			}
			sum += ch.Totals.Total
		}
		if sum != 55000+29000+55000 || len(k.batches) != sent {
			t.Errorf("checks total %d; the kitchen got %d new batches", sum, len(k.batches)-sent)
		}
		if _, _, err := svc.Split(ctx, merchantA, checks[0].ID, order.SplitInput{BySeat: true}, c); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("splitting a check: %v", err)
		}
		// The table stays taken while checks are open, and the order closes only after them.
		if _, err := svc.Open(ctx, merchantA, shop1, order.OpenInput{Type: order.DineIn, TableID: "table-5"}, "w"); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("a new order on the split table: %v", err)
		}
		if _, err := svc.Close(ctx, merchantA, o.ID, c); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("closing the order with open checks: %v", err)
		}
		for _, ch := range checks {
			if _, err := svc.Cancel(ctx, merchantA, ch.ID, "khách về", c); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.Close(ctx, merchantA, o.ID, c); err != nil {
			t.Errorf("closing after the checks: %v", err)
		}
		// Equal parts of what is due.
		o2, _ := svc.Open(ctx, merchantA, shop1, order.OpenInput{Type: order.DineIn, TableID: "table-6"}, "waiter")
		if _, err := svc.AddLine(ctx, merchantA, o2.ID, order.LineInput{ProductID: "pho", Quantity: 2}, c); err != nil {
			t.Fatal(err)
		}
		parts, err := svc.SplitEqually(ctx, merchantA, o2.ID, 3, nil)
		if err != nil || len(parts) != 3 || parts[0]+parts[1]+parts[2] != 110000 || parts[0]-parts[2] > 1 {
			t.Errorf("equal parts: %v, %v", parts, err)
		}
	})
}
