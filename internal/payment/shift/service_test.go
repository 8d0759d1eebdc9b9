package shift_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/payment/shift"
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

// sources are the migrations the package's tests need: its own, the outbox, and the HTTP layer's
// idempotency keys.
var sources = []migrate.Source{httpapi.Migrations, events.Migrations, shift.Migrations}

// fakeShops is the merchant module as the service sees it: which merchant owns each shop, and which shop
// each registered terminal belongs to.
type fakeShops struct {
	mu        sync.Mutex
	owner     map[string]tenant.ID
	terminals map[string]string
}

func (f *fakeShops) CheckShop(_ context.Context, m tenant.ID, shopID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m == "" || f.owner[shopID] != m {
		return apperr.E(apperr.NotFound, "shop not found")
	}
	return nil
}

func (f *fakeShops) CheckTerminal(ctx context.Context, m tenant.ID, shopID, deviceID string) error {
	if err := f.CheckShop(ctx, m, shopID); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.terminals[deviceID] != shopID {
		return apperr.E(apperr.NotFound, "device not found")
	}
	return nil
}

func (f *fakeShops) give(shopID string, m tenant.ID) {
	f.mu.Lock()
	f.owner[shopID] = m
	f.mu.Unlock()
}

// env is a service over a fresh database: merchant A with shops A1 (terminals dev1, dev2) and A2, merchant
// B with shop B1 (terminal devB).
type env struct {
	d                *db.DB
	clk              *clock.Fake
	shops            *fakeShops
	svc              *shift.Service
	a, b             tenant.ID
	a1, a2, b1       string
	dev1, dev2, devB string
}

var t0 = time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	e := &env{d: d, clk: clock.NewFake(t0), a: tenant.ID(db.NewID()), b: tenant.ID(db.NewID()),
		a1: db.NewID(), a2: db.NewID(), b1: db.NewID(), dev1: db.NewID(), dev2: db.NewID(), devB: db.NewID()}
	e.shops = &fakeShops{owner: map[string]tenant.ID{e.a1: e.a, e.a2: e.a, e.b1: e.b},
		terminals: map[string]string{e.dev1: e.a1, e.dev2: e.a1, e.devB: e.b1}}
	e.svc = shift.New(d, e.clk, e.shops, nil)
	return e
}

// The standings a caller can have in a shop.
var (
	asCashier shift.Access = func(string) (bool, error) { return false, nil }
	asManager shift.Access = func(string) (bool, error) { return true, nil }
	outOfShop shift.Access = func(string) (bool, error) { return false, apperr.E(apperr.NotFound, "not found") }
)

func wantKind(t *testing.T, err error, k apperr.Kind) {
	t.Helper()
	if !apperr.Is(err, k) {
		t.Fatalf("got %v (kind %v), want kind %v", err, apperr.KindOf(err), k)
	}
}

// cashIn records a cash payment the way the payment module does: inside its own transaction.
func (e *env) cashIn(t *testing.T, m tenant.ID, shopID, cashier, paymentID string, amount money.VND) (string, error) {
	t.Helper()
	var id string
	err := e.d.WithTx(context.Background(), m, func(tx *sql.Tx) error {
		var err error
		id, err = e.svc.RecordCashIn(context.Background(), tx, m, shopID, cashier, paymentID, amount)
		return err
	})
	return id, err
}

func (e *env) cashRefund(t *testing.T, m tenant.ID, shopID, cashier, refundID string, amount money.VND) (string, error) {
	t.Helper()
	var id string
	err := e.d.WithTx(context.Background(), m, func(tx *sql.Tx) error {
		var err error
		id, err = e.svc.RecordCashRefund(context.Background(), tx, m, shopID, cashier, refundID, amount)
		return err
	})
	return id, err
}

// movementSum is Σ of a shift's movements, read straight from the table.
func movementSum(t *testing.T, d *db.DB, m tenant.ID, shiftID string) (sum money.VND, n int) {
	t.Helper()
	err := d.ReadTx(context.Background(), m, func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT COALESCE(SUM(amount), 0), COUNT(*) FROM shift_movements WHERE merchant_id = $1 AND shift_id = $2`,
			string(m), shiftID).Scan(&sum, &n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return sum, n
}

// outbox returns the types and data of merchant m's events, in order.
func outbox(t *testing.T, d *db.DB, m tenant.ID) (types []string, data []map[string]any) {
	t.Helper()
	err := d.ReadTx(context.Background(), m, func(tx *sql.Tx) error {
		rows, err := tx.Query(`SELECT type, data FROM outbox WHERE merchant_id = $1 ORDER BY seq`, string(m))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var typ, raw string
			if err := rows.Scan(&typ, &raw); err != nil {
				return err
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(raw), &v); err != nil {
				return err
			}
			types, data = append(types, typ), append(data, v)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return types, data
}

func TestSummarizeAddsUpTheDrawer(t *testing.T) {
	tests := []struct {
		name   string
		totals []shift.Total
		want   shift.ShiftSummary
	}{
		{"empty", nil, shift.ShiftSummary{}},
		{"float only", []shift.Total{{Kind: shift.KindOpening, Count: 1, Sum: 500000}},
			shift.ShiftSummary{OpeningCash: 500000, ExpectedCash: 500000}},
		{"every kind", []shift.Total{
			{Kind: shift.KindOpening, Count: 1, Sum: 500000},
			{Kind: shift.KindSale, Count: 3, Sum: 235000},
			{Kind: shift.KindRefund, Count: 1, Sum: -20000},
			{Kind: shift.KindCashIn, Count: 2, Sum: 100000},
			{Kind: shift.KindCashOut, Count: 1, Sum: -200000},
		}, shift.ShiftSummary{OpeningCash: 500000, CashSales: 235000, SalesCount: 3, CashRefunds: 20000, RefundsCount: 1,
			CashIn: 100000, CashOut: 200000, ExpectedCash: 500000 + 235000 - 20000 + 100000 - 200000}},
		{"refunds over sales", []shift.Total{{Kind: shift.KindOpening, Count: 1, Sum: 0}, {Kind: shift.KindRefund, Count: 2, Sum: -30000}},
			shift.ShiftSummary{CashRefunds: 30000, RefundsCount: 2, ExpectedCash: -30000}},
	}
	for _, tt := range tests {
		if got := shift.Summarize(tt.totals); got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestShiftTakesCashAndClosesWithVariance(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		sh, err := e.svc.Open(ctx, e.a, e.a1, "c1", e.dev1, 500000)
		if err != nil {
			t.Fatal(err)
		}
		if sh.Status != shift.Open || sh.OpeningCash != 500000 || sh.CashierID != "c1" || sh.DeviceID != e.dev1 ||
			!sh.OpenedAt.Equal(t0) || sh.ClosedAt != nil || sh.CountedCash != nil {
			t.Fatalf("opened: %+v", sh)
		}
		// Two cash payments, one of them recorded twice (a retried request), and a cash refund.
		for _, p := range []struct {
			id     string
			amount money.VND
		}{{"pay-1", 150000}, {"pay-1", 150000}, {"pay-2", 85000}} {
			if got, err := e.cashIn(t, e.a, e.a1, "c1", p.id, p.amount); err != nil || got != sh.ID {
				t.Fatalf("record %s: %q, %v", p.id, got, err)
			}
		}
		if _, err := e.cashIn(t, e.a, e.a1, "c1", "pay-1", 150001); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("the same payment with another amount: %v", err)
		}
		if got, err := e.cashRefund(t, e.a, e.a1, "c1", "refund-1", 20000); err != nil || got != sh.ID {
			t.Fatalf("record refund: %q, %v", got, err)
		}
		// A payment taken by a cashier without an open shift, or in another shop, lands in no drawer.
		if got, err := e.cashIn(t, e.a, e.a1, "c2", "pay-3", 10000); err != nil || got != "" {
			t.Fatalf("cashier without a shift: %q, %v", got, err)
		}
		if got, err := e.cashIn(t, e.a, e.a2, "c1", "pay-4", 10000); err != nil || got != "" {
			t.Fatalf("cashier in another shop: %q, %v", got, err)
		}
		if _, err := e.svc.MoveCash(ctx, e.a, sh.ID, shift.CashIn, 100000, " tiền lẻ ", "c1", asCashier); err != nil {
			t.Fatal(err)
		}
		out, err := e.svc.MoveCash(ctx, e.a, sh.ID, shift.CashOut, 200000, "nộp ngân hàng", "c1", asCashier)
		if err != nil || out.Amount != -200000 || out.Kind != shift.KindCashOut || out.Reason != "nộp ngân hàng" {
			t.Fatalf("cash out: %+v, %v", out, err)
		}
		want := shift.ShiftSummary{OpeningCash: 500000, CashSales: 235000, SalesCount: 2, CashRefunds: 20000, RefundsCount: 1,
			CashIn: 100000, CashOut: 200000, ExpectedCash: 615000}
		got, err := e.svc.Get(ctx, e.a, sh.ID, "c1", asCashier)
		if err != nil || got.Summary != want || got.ID != sh.ID {
			t.Fatalf("summary: %+v, %v; want %+v", got.Summary, err, want)
		}
		if cur, err := e.svc.Current(ctx, e.a, e.a1, "c1"); err != nil || cur.ID != sh.ID || cur.Summary != want {
			t.Fatalf("current: %+v, %v", cur, err)
		}
		// Taking out more than the drawer should hold is refused.
		if _, err := e.svc.MoveCash(ctx, e.a, sh.ID, shift.CashOut, 615001, "x", "c1", asCashier); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("cash out over the drawer: %v", err)
		}

		e.clk.Advance(8 * time.Hour)
		res, err := e.svc.Close(ctx, e.a, sh.ID, 610000, "thiếu 5 nghìn", "c1", asCashier)
		if err != nil {
			t.Fatal(err)
		}
		if res.ExpectedCash != 615000 || res.Variance != -5000 || res.Shift.Status != shift.Closed ||
			*res.Shift.CountedCash != 610000 || *res.Shift.ExpectedCash != 615000 || *res.Shift.Variance != -5000 ||
			res.Shift.ClosedBy != "c1" || !res.Shift.ClosedAt.Equal(t0.Add(8*time.Hour)) || res.Shift.Note != "thiếu 5 nghìn" {
			t.Fatalf("closed: %+v", res)
		}
		if sum, n := movementSum(t, d, e.a, sh.ID); sum != 615000 || n != 6 {
			t.Fatalf("movements: Σ %d over %d rows", sum, n)
		}

		// A closed shift takes nothing more.
		_, err = e.svc.Close(ctx, e.a, sh.ID, 1, "", "c1", asCashier)
		wantKind(t, err, apperr.Conflict)
		if cur, ok := apperr.CurrentOf(err).(shift.Shift); !ok || cur.ID != sh.ID || cur.Status != shift.Closed {
			t.Fatalf("closing twice answers the closed shift: %#v", apperr.CurrentOf(err))
		}
		_, err = e.svc.MoveCash(ctx, e.a, sh.ID, shift.CashIn, 1, "x", "c1", asCashier)
		wantKind(t, err, apperr.Conflict)
		if got, err := e.cashIn(t, e.a, e.a1, "c1", "pay-5", 10000); err != nil || got != "" {
			t.Fatalf("payment after the close: %q, %v", got, err)
		}
		// The payment recorded before still answers its shift.
		if got, err := e.cashIn(t, e.a, e.a1, "c1", "pay-1", 150000); err != nil || got != sh.ID {
			t.Fatalf("replay after the close: %q, %v", got, err)
		}
		if _, err := e.svc.Current(ctx, e.a, e.a1, "c1"); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("current after the close: %v", err)
		}
		if sum, n := movementSum(t, d, e.a, sh.ID); sum != 615000 || n != 6 {
			t.Fatalf("movements after the close: Σ %d over %d rows", sum, n)
		}

		types, data := outbox(t, d, e.a)
		if !slices.Equal(types, []string{shift.EventOpened, shift.EventCashMove, shift.EventCashMove, shift.EventClosed}) {
			t.Fatalf("events: %v", types)
		}
		closed := data[3]
		if closed["variance"] != -5000.0 || closed["expected_cash"] != 615000.0 ||
			closed["shift"].(map[string]any)["closed_by"] != "c1" || closed["shift"].(map[string]any)["counted_cash"] != 610000.0 {
			t.Fatalf("closed event: %v", closed)
		}

		// The terminal and the cashier are free again.
		if _, err := e.svc.Open(ctx, e.a, e.a1, "c1", e.dev1, 0); err != nil {
			t.Fatalf("reopen: %v", err)
		}
	})
}

func TestBadInputIsRefusedAndNothingIsWritten(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		for name, c := range map[string]struct {
			shop, device string
			cash         money.VND
			kind         apperr.Kind
		}{
			"negative float":          {e.a1, "", -1, apperr.Invalid},
			"float over the limit":    {e.a1, "", shift.MaxAmount + 1, apperr.Invalid},
			"unknown terminal":        {e.a1, db.NewID(), 0, apperr.Invalid},
			"another shop's device":   {e.a2, e.dev1, 0, apperr.Invalid},
			"another merchant's one":  {e.a1, e.devB, 0, apperr.Invalid},
			"another merchant's shop": {e.b1, "", 0, apperr.NotFound},
			"unknown shop":            {db.NewID(), "", 0, apperr.NotFound},
		} {
			if _, err := e.svc.Open(ctx, e.a, c.shop, "c1", c.device, c.cash); !apperr.Is(err, c.kind) {
				t.Errorf("%s: %v, want %v", name, err, c.kind)
			}
		}
		if page, err := e.svc.List(ctx, e.a, e.a1, shift.Filter{}, 10, ""); err != nil || len(page.Items) != 0 {
			t.Fatalf("refused opens wrote shifts: %+v, %v", page, err)
		}

		sh, err := e.svc.Open(ctx, e.a, e.a1, "c1", "", 100000)
		if err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct {
			dir    shift.CashDirection
			amount money.VND
			reason string
		}{
			"zero":            {shift.CashIn, 0, "x"},
			"negative":        {shift.CashOut, -5000, "x"},
			"over the limit":  {shift.CashIn, shift.MaxAmount + 1, "x"},
			"no direction":    {"sideways", 1000, "x"},
			"no reason":       {shift.CashIn, 1000, "   "},
			"reason too long": {shift.CashIn, 1000, string(make([]rune, shift.MaxReason+1))},
		} {
			if _, err := e.svc.MoveCash(ctx, e.a, sh.ID, c.dir, c.amount, c.reason, "c1", asCashier); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("cash movement, %s: %v", name, err)
			}
		}
		for name, amount := range map[string]money.VND{"zero": 0, "negative": -1} {
			if _, err := e.cashIn(t, e.a, e.a1, "c1", "pay-"+name, amount); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("cash payment, %s: %v", name, err)
			}
			if _, err := e.cashRefund(t, e.a, e.a1, "c1", "refund-"+name, amount); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("cash refund, %s: %v", name, err)
			}
		}
		if _, err := e.cashIn(t, e.a, e.a1, "c1", "", 1000); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("cash payment without an id: %v", err)
		}
		_, err = e.svc.Close(ctx, e.a, sh.ID, -1, "", "c1", asCashier)
		wantKind(t, err, apperr.Invalid)

		// Another merchant's shift, or a shift id that does not exist, is not found, for every operation.
		for _, id := range []string{sh.ID, db.NewID()} {
			m := e.b
			if id != sh.ID {
				m = e.a
			}
			_, err := e.svc.Get(ctx, m, id, "c1", asManager)
			wantKind(t, err, apperr.NotFound)
			_, err = e.svc.MoveCash(ctx, m, id, shift.CashIn, 1000, "x", "c1", asManager)
			wantKind(t, err, apperr.NotFound)
			_, err = e.svc.Close(ctx, m, id, 0, "", "c1", asManager)
			wantKind(t, err, apperr.NotFound)
			_, err = e.svc.Movements(ctx, m, id, "c1", asManager, 10, "")
			wantKind(t, err, apperr.NotFound)
		}
		_, err = e.svc.List(ctx, e.b, e.a1, shift.Filter{}, 10, "")
		wantKind(t, err, apperr.NotFound)
		_, err = e.svc.Current(ctx, e.b, e.a1, "c1")
		wantKind(t, err, apperr.NotFound)
		// B's cashier with the same user id records nothing on A's shift.
		if got, err := e.cashIn(t, e.b, e.a1, "c1", "pay-b", 1000); err != nil || got != "" {
			t.Fatalf("B records on A's shift: %q, %v", got, err)
		}
		_, err = e.svc.List(ctx, e.a, e.a1, shift.Filter{Status: "lost"}, 10, "")
		wantKind(t, err, apperr.Invalid)
		_, err = e.svc.List(ctx, e.a, e.a1, shift.Filter{}, 0, "")
		wantKind(t, err, apperr.Invalid)

		if got, err := e.svc.Get(ctx, e.a, sh.ID, "c1", asCashier); err != nil || got.Summary.ExpectedCash != 100000 ||
			got.Status != shift.Open {
			t.Fatalf("after the refused requests: %+v, %v", got, err)
		}
	})
}

func TestOnlyTheCashierOrAManagerTouchesAShift(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		sh, err := e.svc.Open(ctx, e.a, e.a1, "c1", "", 200000)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Get(ctx, e.a, sh.ID, "c2", asCashier)
		wantKind(t, err, apperr.Forbidden)
		_, err = e.svc.MoveCash(ctx, e.a, sh.ID, shift.CashIn, 1000, "x", "c2", asCashier)
		wantKind(t, err, apperr.Forbidden)
		_, err = e.svc.Close(ctx, e.a, sh.ID, 200000, "", "c2", asCashier)
		wantKind(t, err, apperr.Forbidden)
		_, err = e.svc.Get(ctx, e.a, sh.ID, "c1", outOfShop)
		wantKind(t, err, apperr.NotFound)
		_, err = e.svc.Close(ctx, e.a, sh.ID, 200000, "", "c1", outOfShop)
		wantKind(t, err, apperr.NotFound)

		if _, err := e.svc.MoveCash(ctx, e.a, sh.ID, shift.CashOut, 50000, "bank drop", "m1", asManager); err != nil {
			t.Fatalf("manager's cash out: %v", err)
		}
		res, err := e.svc.Close(ctx, e.a, sh.ID, 150000, "", "m1", asManager)
		if err != nil || res.Shift.ClosedBy != "m1" || res.Variance != 0 || res.ExpectedCash != 150000 {
			t.Fatalf("manager closes the cashier's shift: %+v, %v", res, err)
		}
	})
}

func TestOneOpenShiftPerCashierAndPerTerminal(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		first, err := e.svc.Open(ctx, e.a, e.a1, "c1", e.dev1, 100000)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Open(ctx, e.a, e.a1, "c1", "", 0)
		wantKind(t, err, apperr.Conflict)
		if cur, ok := apperr.CurrentOf(err).(shift.Shift); !ok || cur.ID != first.ID {
			t.Fatalf("the conflict carries the open shift: %#v", apperr.CurrentOf(err))
		}
		_, err = e.svc.Open(ctx, e.a, e.a1, "c2", e.dev1, 0)
		wantKind(t, err, apperr.Conflict)
		if apperr.CurrentOf(err) != nil {
			t.Fatalf("another cashier's shift leaked in the conflict: %#v", apperr.CurrentOf(err))
		}
		// Another terminal, another shop, another merchant: all free.
		if _, err := e.svc.Open(ctx, e.a, e.a1, "c2", e.dev2, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Open(ctx, e.a, e.a2, "c1", "", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Open(ctx, e.b, e.b1, "c1", e.devB, 0); err != nil {
			t.Fatal(err)
		}
		page, err := e.svc.List(ctx, e.a, e.a1, shift.Filter{Status: shift.Open}, 10, "")
		if err != nil || len(page.Items) != 2 {
			t.Fatalf("open shifts of A1: %+v, %v", page, err)
		}
	})
}

func TestConcurrentOpensLeaveOneOpenShift(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		const n = 6
		race := func(open func(i int) error) (wins, conflicts int) {
			var (
				wg    sync.WaitGroup
				mu    sync.Mutex
				start = make(chan struct{})
			)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					err := open(i)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						wins++
					case apperr.Is(err, apperr.Conflict):
						conflicts++
					default:
						t.Errorf("open %d: %v", i, err)
					}
				}()
			}
			close(start)
			wg.Wait()
			return wins, conflicts
		}
		// The same cashier on several terminals at once.
		w, c := race(func(int) error { _, err := e.svc.Open(ctx, e.a, e.a1, "c1", "", 100000); return err })
		if w != 1 || c != n-1 {
			t.Fatalf("same cashier: %d opened, %d conflicts", w, c)
		}
		// Several cashiers on the same terminal at once.
		w, c = race(func(i int) error {
			_, err := e.svc.Open(ctx, e.a, e.a1, fmt.Sprintf("c%d", i+10), e.dev2, 0)
			return err
		})
		if w != 1 || c != n-1 {
			t.Fatalf("same terminal: %d opened, %d conflicts", w, c)
		}
		page, err := e.svc.List(ctx, e.a, e.a1, shift.Filter{}, 50, "")
		if err != nil || len(page.Items) != 2 {
			t.Fatalf("shifts stored: %+v, %v", page, err)
		}
		for _, sh := range page.Items {
			if sum, n := movementSum(t, d, e.a, sh.ID); n != 1 || sum != sh.OpeningCash {
				t.Errorf("shift %s: %d movements, Σ %d", sh.ID, n, sum)
			}
		}
	})
}

// TestPaymentsRacingTheCloseLandInTheDrawerOrNowhere records cash payments while the shift closes: each
// payment is either counted in the closed shift's expected cash or recorded on no shift, never added to a
// shift after its close.
func TestPaymentsRacingTheCloseLandInTheDrawerOrNowhere(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		for round := range 3 {
			sh, err := e.svc.Open(ctx, e.a, e.a1, "c1", "", 100000)
			if err != nil {
				t.Fatal(err)
			}
			const payments = 12
			var (
				wg      sync.WaitGroup
				start   = make(chan struct{})
				got     [payments]string
				closing shift.ShiftCloseResult
			)
			for i := range payments {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					id, err := e.cashIn(t, e.a, e.a1, "c1", fmt.Sprintf("pay-%d-%d", round, i), money.VND(1000*(i+1)))
					if err != nil {
						t.Errorf("payment %d: %v", i, err)
					}
					got[i] = id
				}()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				var err error
				if closing, err = e.svc.Close(ctx, e.a, sh.ID, 0, "", "c1", asCashier); err != nil {
					t.Errorf("close: %v", err)
				}
			}()
			close(start)
			wg.Wait()
			var counted money.VND = 100000
			for i, id := range got {
				switch id {
				case sh.ID:
					counted += money.VND(1000 * (i + 1))
				case "":
				default:
					t.Errorf("payment %d recorded on %q", i, id)
				}
			}
			sum, _ := movementSum(t, d, e.a, sh.ID)
			if closing.ExpectedCash != counted || sum != counted || closing.Variance != -counted {
				t.Fatalf("round %d: expected %d at the close, Σ movements %d, payments on the shift %d", round,
					closing.ExpectedCash, sum, counted)
			}
		}
	})
}

func TestShiftsArePagedNewestFirstAndFiltered(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		var ids []string
		for i, cashier := range []string{"c1", "c2", "c1", "c2", "c1"} {
			sh, err := e.svc.Open(ctx, e.a, e.a1, cashier, "", money.VND(1000*i))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, sh.ID)
			if i < 3 { // the last two stay open
				if _, err := e.svc.Close(ctx, e.a, sh.ID, money.VND(1000*i), "", cashier, asCashier); err != nil {
					t.Fatal(err)
				}
			}
			e.clk.Advance(time.Minute)
		}
		var all []string
		cursor := ""
		for {
			page, err := e.svc.List(ctx, e.a, e.a1, shift.Filter{}, 2, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, sh := range page.Items {
				all = append(all, sh.ID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		want := slices.Clone(ids)
		slices.Reverse(want)
		if !slices.Equal(all, want) {
			t.Fatalf("pages: %v, want %v", all, want)
		}
		for _, c := range []struct {
			f    shift.Filter
			want []string
		}{
			{shift.Filter{Status: shift.Open}, []string{ids[4], ids[3]}},
			{shift.Filter{Status: shift.Closed}, []string{ids[2], ids[1], ids[0]}},
			{shift.Filter{CashierID: "c2"}, []string{ids[3], ids[1]}},
			{shift.Filter{Status: shift.Closed, CashierID: "c1"}, []string{ids[2], ids[0]}},
		} {
			page, err := e.svc.List(ctx, e.a, e.a1, c.f, 50, "")
			var got []string
			for _, sh := range page.Items {
				got = append(got, sh.ID)
			}
			if err != nil || !slices.Equal(got, c.want) || page.NextCursor != "" {
				t.Errorf("%+v: %v, %v; want %v", c.f, got, err, c.want)
			}
		}
		mv, err := e.svc.Movements(ctx, e.a, ids[4], "c1", asCashier, 10, "")
		if err != nil || len(mv.Items) != 1 || mv.Items[0].Kind != shift.KindOpening || mv.Items[0].Amount != 4000 {
			t.Fatalf("movements: %+v, %v", mv, err)
		}
	})
}

func TestMoveShopMovesShiftsAndTheirDrawers(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		open, err := e.svc.Open(ctx, e.a, e.a1, "c1", "", 100000)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.cashIn(t, e.a, e.a1, "c1", "pay-1", 50000); err != nil {
			t.Fatal(err)
		}
		other, err := e.svc.Open(ctx, e.a, e.a2, "c1", "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if d.Dialect() == db.Postgres {
			// A tenant transaction cannot give rows away: the policies' WITH CHECK refuses the new merchant.
			err := d.WithTx(ctx, e.a, func(tx *sql.Tx) error { return e.svc.MoveShop(ctx, tx, e.a1, e.a, e.b) })
			if err == nil {
				t.Fatal("a tenant transaction moved a shop's shifts")
			}
		}
		if err := d.WithSystemTx(ctx, "test: transfer a shop", func(tx *sql.Tx) error {
			return e.svc.MoveShop(ctx, tx, e.a1, e.a, e.b)
		}); err != nil {
			t.Fatal(err)
		}
		e.shops.give(e.a1, e.b)
		got, err := e.svc.Get(ctx, e.b, open.ID, "c1", asCashier)
		if err != nil || got.Status != shift.Open || got.Summary.ExpectedCash != 150000 || got.Summary.SalesCount != 1 {
			t.Fatalf("B's moved shift: %+v, %v", got, err)
		}
		if _, err := e.svc.Get(ctx, e.a, open.ID, "c1", asManager); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("A still reads the moved shift: %v", err)
		}
		// The moved open shift keeps working for B and the payment already recorded stays recorded once.
		if got, err := e.cashIn(t, e.b, e.a1, "c1", "pay-1", 50000); err != nil || got != open.ID {
			t.Fatalf("replay under B: %q, %v", got, err)
		}
		if res, err := e.svc.Close(ctx, e.b, open.ID, 150000, "", "c1", asCashier); err != nil || res.Variance != 0 {
			t.Fatalf("B closes the moved shift: %+v, %v", res, err)
		}
		if got, err := e.svc.Get(ctx, e.a, other.ID, "c1", asCashier); err != nil || got.Status != shift.Open {
			t.Fatalf("A's other shop: %+v, %v", got, err)
		}
	})
}

// TestSchemaIsolatesEveryTenantTable checks the migrations: the same tables and columns on both engines, and
// on PostgreSQL row-level security enabled, forced, and with the tenant and system policies on every table.
func TestSchemaIsolatesEveryTenantTable(t *testing.T) {
	schemas := map[db.Dialect]map[string]migrate.Table{}
	dbtest.Each(t, []migrate.Source{shift.Migrations}, func(t *testing.T, d *db.DB) {
		s, err := migrate.Schema(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		schemas[d.Dialect()] = s
		for _, name := range []string{"shifts", "shift_movements"} {
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
