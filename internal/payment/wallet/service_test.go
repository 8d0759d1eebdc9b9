package wallet_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/payment/shift"
	"github.com/goodgo/goodgo/internal/payment/wallet"
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

// sources are the migrations the package's tests need: its own, the shift package's (the drawer of cash
// top-ups), the outbox, and the HTTP layer's idempotency keys.
var sources = []migrate.Source{httpapi.Migrations, events.Migrations, shift.Migrations, wallet.Migrations}

// fakeShops is the merchant module as the services see it: which merchant owns each shop; it has no
// registered terminals.
type fakeShops struct{ owner map[string]tenant.ID }

func (f fakeShops) CheckShop(_ context.Context, m tenant.ID, shopID string) error {
	if m == "" || f.owner[shopID] != m {
		return apperr.E(apperr.NotFound, "shop not found")
	}
	return nil
}

func (f fakeShops) CheckTerminal(context.Context, tenant.ID, string, string) error {
	return apperr.E(apperr.NotFound, "device not found")
}

// env is a wallet service over a fresh database, with the real shift service as its drawer: merchant A with
// shops A1 and A2, merchant B with shop B1.
type env struct {
	d          *db.DB
	clk        *clock.Fake
	svc        *wallet.Service
	shifts     *shift.Service
	a, b       tenant.ID
	a1, a2, b1 string
}

var t0 = time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)

func newEnv(t testing.TB, d *db.DB) *env {
	t.Helper()
	e := &env{d: d, clk: clock.NewFake(t0), a: tenant.ID(db.NewID()), b: tenant.ID(db.NewID()), a1: db.NewID(), a2: db.NewID(),
		b1: db.NewID()}
	shops := fakeShops{owner: map[string]tenant.ID{e.a1: e.a, e.a2: e.a, e.b1: e.b}}
	e.shifts = shift.New(d, e.clk, shops, nil)
	e.svc = wallet.New(d, e.clk, wallet.Options{Shops: shops, Drawer: e.shifts})
	return e
}

func anyShop(string) error { return nil }

func wantKind(t *testing.T, err error, k apperr.Kind) {
	t.Helper()
	if !apperr.Is(err, k) {
		t.Fatalf("got %v (kind %v), want kind %v", err, apperr.KindOf(err), k)
	}
}

// spend and refund post the way the payment module does: inside its own transaction.
func (e *env) spend(m tenant.ID, walletID string, amount money.VND, paymentID string) (string, error) {
	var id string
	err := e.d.WithTx(context.Background(), m, func(tx *sql.Tx) error {
		var err error
		id, err = e.svc.SpendIn(context.Background(), tx, m, walletID, amount, paymentID)
		return err
	})
	return id, err
}

func (e *env) refund(m tenant.ID, walletID string, amount money.VND, paymentID, refundID string) (string, error) {
	var id string
	err := e.d.WithTx(context.Background(), m, func(tx *sql.Tx) error {
		var err error
		id, err = e.svc.RefundIn(context.Background(), tx, m, walletID, amount, paymentID, refundID)
		return err
	})
	return id, err
}

func (e *env) balance(t testing.TB, m tenant.ID, walletID string) money.VND {
	t.Helper()
	w, err := e.svc.Get(context.Background(), m, walletID)
	if err != nil {
		t.Fatal(err)
	}
	return w.Balance
}

// checkLedger verifies merchant m's ledger straight from the tables: every transaction has at least two
// entries summing to zero, all entries sum to zero, every entry names a wallet of m or a system account,
// every wallet's balance is the sum of its entries and not negative, and no transaction left a negative
// balance behind.
func checkLedger(t testing.TB, d *db.DB, m tenant.ID) {
	t.Helper()
	err := d.ReadTx(context.Background(), m, func(tx *sql.Tx) error {
		rows, err := tx.Query(`SELECT t.id, COUNT(e.id), COALESCE(SUM(e.amount), 0), MIN(t.balance_after) FROM wallet_txns t
			LEFT JOIN wallet_entries e ON e.merchant_id = t.merchant_id AND e.txn_id = t.id
			WHERE t.merchant_id = $1 GROUP BY t.id`, string(m))
		if err != nil {
			return err
		}
		for rows.Next() {
			var (
				id           string
				n, sum, left int64
			)
			if err := rows.Scan(&id, &n, &sum, &left); err != nil {
				return err
			}
			if n < 2 || sum != 0 || left < 0 {
				t.Errorf("transaction %s: %d entries summing to %d, balance after %d", id, n, sum, left)
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		var total int64
		if err := tx.QueryRow(`SELECT COALESCE(SUM(amount), 0) FROM wallet_entries WHERE merchant_id = $1`, string(m)).Scan(&total); err != nil {
			return err
		}
		if total != 0 {
			t.Errorf("all entries sum to %d", total)
		}
		wallets := map[string]bool{}
		rows, err = tx.Query(`SELECT w.id, w.balance, COALESCE((SELECT SUM(e.amount) FROM wallet_entries e
			WHERE e.merchant_id = w.merchant_id AND e.account = w.id), 0) FROM wallets w WHERE w.merchant_id = $1`, string(m))
		if err != nil {
			return err
		}
		for rows.Next() {
			var (
				id           string
				balance, sum int64
			)
			if err := rows.Scan(&id, &balance, &sum); err != nil {
				return err
			}
			wallets[id] = true
			if balance != sum || balance < 0 {
				t.Errorf("wallet %s: balance %d, entries sum to %d", id, balance, sum)
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		rows, err = tx.Query(`SELECT DISTINCT account FROM wallet_entries WHERE merchant_id = $1`, string(m))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var account string
			if err := rows.Scan(&account); err != nil {
				return err
			}
			if !wallets[account] && !wallet.IsSystemAccount(account) {
				t.Errorf("entry on unknown account %q", account)
			}
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// accountBalance is the sum of an account's entries (a system account has no balance column).
func accountBalance(t *testing.T, d *db.DB, m tenant.ID, account string) money.VND {
	t.Helper()
	var sum money.VND
	err := d.ReadTx(context.Background(), m, func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT COALESCE(SUM(amount), 0) FROM wallet_entries WHERE merchant_id = $1 AND account = $2`,
			string(m), account).Scan(&sum)
	})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func eventTypes(t *testing.T, d *db.DB, m tenant.ID) []string {
	t.Helper()
	var out []string
	err := d.ReadTx(context.Background(), m, func(tx *sql.Tx) error {
		rows, err := tx.Query(`SELECT type FROM outbox WHERE merchant_id = $1 AND subject = $2 ORDER BY seq`, string(m), wallet.Subject)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return err
			}
			out = append(out, s)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"0912345678", "0912345678", true},
		{"0912 345 678", "0912345678", true},
		{"091.234.5678", "0912345678", true},
		{"+84 912 345 678", "0912345678", true},
		{"+84912345678", "0912345678", true},
		{"84912345678", "0912345678", true},
		{"(+84) 38-123-4567", "0381234567", true},
		{" 0701234567 ", "0701234567", true},
		{"0512345678", "0512345678", true},
		{"0812345678", "0812345678", true},
		{"0212345678", "", false}, // a landline prefix
		{"0012345678", "", false},
		{"091234567", "", false},
		{"09123456789", "", false},
		{"9123456789", "", false},
		{"09123x5678", "", false},
		{"0912+345678", "", false},
		{"++84912345678", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := wallet.NormalizePhone(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBalancedRefusesUnbalancedTransactions(t *testing.T) {
	tests := []struct {
		name    string
		entries []wallet.WalletPosting
		ok      bool
	}{
		{"two sides", []wallet.WalletPosting{{Account: "w", Amount: 100}, {Account: "spent", Amount: -100}}, true},
		{"three sides", []wallet.WalletPosting{{Account: "w", Amount: 100}, {Account: "a", Amount: -60}, {Account: "b", Amount: -40}}, true},
		{"one entry", []wallet.WalletPosting{{Account: "w", Amount: 0}}, false},
		{"none", nil, false},
		{"off by one", []wallet.WalletPosting{{Account: "w", Amount: 100}, {Account: "spent", Amount: -99}}, false},
		{"zero entry", []wallet.WalletPosting{{Account: "w", Amount: 0}, {Account: "spent", Amount: 0}}, false},
		{"no account", []wallet.WalletPosting{{Account: "", Amount: 5}, {Account: "spent", Amount: -5}}, false},
		{"overflow", []wallet.WalletPosting{{Account: "w", Amount: 1 << 62}, {Account: "a", Amount: 1 << 62}, {Account: "b", Amount: -(1 << 62)},
			{Account: "c", Amount: -(1 << 62)}}, false},
	}
	for _, tt := range tests {
		if err := wallet.Balanced(tt.entries); (err == nil) != tt.ok {
			t.Errorf("%s: %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func TestWalletsAreOpenedOncePerPhone(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		w, err := e.svc.Create(ctx, e.a, "+84 912 345 678", "  Nguyễn Văn An ")
		if err != nil {
			t.Fatal(err)
		}
		if w.Phone != "0912345678" || w.Name != "Nguyễn Văn An" || w.Balance != 0 || !w.CreatedAt.Equal(t0) {
			t.Fatalf("created: %+v", w)
		}
		_, err = e.svc.Create(ctx, e.a, "0912.345.678", "Another name")
		wantKind(t, err, apperr.Conflict)
		if cur, ok := apperr.CurrentOf(err).(wallet.Wallet); !ok || cur.ID != w.ID {
			t.Fatalf("the conflict carries the wallet: %#v", apperr.CurrentOf(err))
		}
		// The same phone at another merchant is another customer's wallet.
		wb, err := e.svc.Create(ctx, e.b, "0912345678", "An")
		if err != nil || wb.ID == w.ID {
			t.Fatalf("B's wallet: %+v, %v", wb, err)
		}
		if got, err := e.svc.Get(ctx, e.a, w.ID); err != nil || got != w {
			t.Fatalf("get: %+v, %v", got, err)
		}
		_, err = e.svc.Get(ctx, e.b, w.ID)
		wantKind(t, err, apperr.NotFound)
		page, err := e.svc.List(ctx, e.a, "84912345678", 10, "")
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != w.ID {
			t.Fatalf("by phone: %+v, %v", page, err)
		}
		if page, err := e.svc.List(ctx, e.a, "0987654321", 10, ""); err != nil || len(page.Items) != 0 {
			t.Fatalf("unknown phone: %+v, %v", page, err)
		}
		_, err = e.svc.List(ctx, e.a, "12345", 10, "")
		wantKind(t, err, apperr.Invalid)
		for name, c := range map[string][2]string{
			"landline":      {"0241234567", "An"},
			"letters":       {"09I2345678", "An"},
			"no name":       {"0987654321", "   "},
			"name too long": {"0987654321", strings.Repeat("ă", wallet.MaxName+1)},
		} {
			if _, err := e.svc.Create(ctx, e.a, c[0], c[1]); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
		// Concurrent opens of the same phone: one wallet.
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			mu    sync.Mutex
			made  []string
		)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				w, err := e.svc.Create(ctx, e.a, "0381234567", "Bình")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					made = append(made, w.ID)
				case !apperr.Is(err, apperr.Conflict):
					t.Errorf("concurrent create: %v", err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if len(made) != 1 {
			t.Fatalf("concurrent creates made %d wallets", len(made))
		}
		// Pages, newest first.
		var all []string
		cursor := ""
		for {
			page, err := e.svc.List(ctx, e.a, "", 1, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range page.Items {
				all = append(all, w.ID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if !slices.Equal(all, []string{made[0], w.ID}) {
			t.Fatalf("pages: %v", all)
		}
	})
}

func TestTopUpSpendRefundAndReversal(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		w, err := e.svc.Create(ctx, e.a, "0912345678", "An")
		if err != nil {
			t.Fatal(err)
		}
		sh, err := e.shifts.Open(ctx, e.a, e.a1, "c1", "", 100000)
		if err != nil {
			t.Fatal(err)
		}
		top, err := e.svc.TopUp(ctx, e.a, w.ID, wallet.TopUp{Amount: 200000, Method: "cash", ShopID: e.a1}, "c1", anyShop)
		if err != nil {
			t.Fatal(err)
		}
		if top.Kind != wallet.KindTopUp || top.Amount != 200000 || top.BalanceAfter != 200000 || top.ShopID != e.a1 ||
			top.CreatedBy != "c1" || !slices.Equal(top.Entries, []wallet.WalletPosting{{Account: w.ID, Amount: 200000},
			{Account: "funding:cash", Amount: -200000}}) {
			t.Fatalf("top-up: %+v", top)
		}
		bank, err := e.svc.TopUp(ctx, e.a, w.ID, wallet.TopUp{Amount: 50000, Method: "bank_transfer", ShopID: e.a2, Reference: "FT26061"}, "m1", anyShop)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.TopUp(ctx, e.a, w.ID, wallet.TopUp{Amount: 50000, Method: "bank_transfer", ShopID: e.a2, Reference: "FT26061"}, "m1", anyShop)
		wantKind(t, err, apperr.Conflict)
		if cur, ok := apperr.CurrentOf(err).(wallet.WalletTxn); !ok || cur.ID != bank.ID || len(cur.Entries) != 2 {
			t.Fatalf("the duplicate reference answers the first top-up: %#v", apperr.CurrentOf(err))
		}
		if got := e.balance(t, e.a, w.ID); got != 250000 {
			t.Fatalf("balance after top-ups: %d", got)
		}

		// Spends, with a retried one and one the balance cannot cover.
		s1, err := e.spend(e.a, w.ID, 150000, "pay-1")
		if err != nil {
			t.Fatal(err)
		}
		if again, err := e.spend(e.a, w.ID, 150000, "pay-1"); err != nil || again != s1 {
			t.Fatalf("retried spend: %q, %v (first %q)", again, err, s1)
		}
		if _, err := e.spend(e.a, w.ID, 150001, "pay-1"); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("the same payment with another amount: %v", err)
		}
		_, err = e.spend(e.a, w.ID, 100001, "pay-2")
		wantKind(t, err, apperr.Conflict)
		if cur, ok := apperr.CurrentOf(err).(wallet.Wallet); !errors.Is(err, wallet.ErrInsufficientBalance) || !ok || cur.Balance != 100000 {
			t.Fatalf("insufficient balance: %v, current %#v", err, apperr.CurrentOf(err))
		}
		if _, err := e.spend(e.a, w.ID, 100000, "pay-2"); err != nil {
			t.Fatalf("spend the whole balance: %v", err)
		}
		if got := e.balance(t, e.a, w.ID); got != 0 {
			t.Fatalf("balance after spends: %d", got)
		}

		// Refunds: never more than the payment spent, each refund id once.
		r1, err := e.refund(e.a, w.ID, 100000, "pay-1", "refund-1")
		if err != nil {
			t.Fatal(err)
		}
		if again, err := e.refund(e.a, w.ID, 100000, "pay-1", "refund-1"); err != nil || again != r1 {
			t.Fatalf("retried refund: %q, %v", again, err)
		}
		_, err = e.refund(e.a, w.ID, 50001, "pay-1", "refund-2")
		wantKind(t, err, apperr.Conflict)
		if _, err := e.refund(e.a, w.ID, 50000, "pay-1", "refund-2"); err != nil {
			t.Fatalf("refund the rest: %v", err)
		}
		_, err = e.refund(e.a, w.ID, 1, "pay-1", "refund-3")
		wantKind(t, err, apperr.Conflict)
		_, err = e.refund(e.a, w.ID, 1, "pay-unknown", "refund-4")
		wantKind(t, err, apperr.NotFound)
		if got := e.balance(t, e.a, w.ID); got != 150000 {
			t.Fatalf("balance after refunds: %d", got)
		}

		// Reversals: the bank top-up goes back; the cash one is more than the wallet holds now.
		_, err = e.svc.ReverseTopUp(ctx, e.a, w.ID, top.ID, "khách đổi ý", "m1", anyShop)
		if !errors.Is(err, wallet.ErrInsufficientBalance) {
			t.Fatalf("reversal over the balance: %v", err)
		}
		rev, err := e.svc.ReverseTopUp(ctx, e.a, w.ID, bank.ID, "chuyển nhầm", "m1", anyShop)
		if err != nil {
			t.Fatal(err)
		}
		if rev.Kind != wallet.KindTopUpReversal || rev.Amount != 50000 || rev.ReversesID != bank.ID || rev.BalanceAfter != 100000 ||
			rev.Method != "bank_transfer" || rev.Reason != "chuyển nhầm" || !slices.Equal(rev.Entries, []wallet.WalletPosting{
			{Account: w.ID, Amount: -50000}, {Account: "funding:bank_transfer", Amount: 50000}}) {
			t.Fatalf("reversal: %+v", rev)
		}
		_, err = e.svc.ReverseTopUp(ctx, e.a, w.ID, bank.ID, "again", "m1", anyShop)
		wantKind(t, err, apperr.Conflict)
		if cur, ok := apperr.CurrentOf(err).(wallet.WalletTxn); !ok || cur.ID != rev.ID {
			t.Fatalf("a second reversal answers the first: %#v", apperr.CurrentOf(err))
		}
		_, err = e.svc.ReverseTopUp(ctx, e.a, w.ID, s1, "not a top-up", "m1", anyShop)
		wantKind(t, err, apperr.NotFound)

		// The ledger: system accounts mirror the wallet, and the history lists every entry newest first.
		checkLedger(t, d, e.a)
		for account, want := range map[string]money.VND{w.ID: 100000, "funding:cash": -200000, "funding:bank_transfer": 0,
			"spent": 250000 - 150000} {
			if got := accountBalance(t, d, e.a, account); got != want {
				t.Errorf("account %s: %d, want %d", account, got, want)
			}
		}
		hist, err := e.svc.Entries(ctx, e.a, w.ID, 3, "")
		if err != nil || len(hist.Items) != 3 || hist.NextCursor == "" || hist.Items[0].TxnID != rev.ID || hist.Items[0].Amount != -50000 ||
			hist.Items[0].BalanceAfter != 100000 {
			t.Fatalf("history: %+v, %v", hist, err)
		}
		var kinds []wallet.TxnKind
		for cursor := ""; ; {
			page, err := e.svc.Entries(ctx, e.a, w.ID, 3, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range page.Items {
				kinds = append(kinds, it.Kind)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if !slices.Equal(kinds, []wallet.TxnKind{"top_up_reversal", "refund", "refund", "spend", "spend", "top_up", "top_up"}) {
			t.Fatalf("history kinds: %v", kinds)
		}
		if got := eventTypes(t, d, e.a); !slices.Equal(got, []string{wallet.EventToppedUp, wallet.EventToppedUp, wallet.EventSpent,
			wallet.EventSpent, wallet.EventRefunded, wallet.EventRefunded, wallet.EventTopUpRevert}) {
			t.Fatalf("events: %v", got)
		}

		// The cash top-up went into c1's drawer.
		det, err := e.shifts.Get(ctx, e.a, sh.ID, "c1", func(string) (bool, error) { return false, nil })
		if err != nil || det.Summary.CashSales != 200000 || det.Summary.ExpectedCash != 300000 {
			t.Fatalf("drawer after a cash top-up: %+v, %v", det.Summary, err)
		}
	})
}

func TestBadInputAndOtherMerchantsAreRefused(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		w, err := e.svc.Create(ctx, e.a, "0912345678", "An")
		if err != nil {
			t.Fatal(err)
		}
		other, err := e.svc.Create(ctx, e.a, "0987654321", "Bình")
		if err != nil {
			t.Fatal(err)
		}
		wb, err := e.svc.Create(ctx, e.b, "0912345678", "An")
		if err != nil {
			t.Fatal(err)
		}
		top, err := e.svc.TopUp(ctx, e.a, w.ID, wallet.TopUp{Amount: 100000, Method: "vnpay", ShopID: e.a1}, "c1", anyShop)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.spend(e.a, w.ID, 40000, "pay-1"); err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct {
			in   wallet.TopUp
			kind apperr.Kind
		}{
			"zero":                    {wallet.TopUp{Amount: 0, Method: "cash", ShopID: e.a1}, apperr.Invalid},
			"negative":                {wallet.TopUp{Amount: -1000, Method: "cash", ShopID: e.a1}, apperr.Invalid},
			"over the limit":          {wallet.TopUp{Amount: wallet.MaxAmount + 1, Method: "cash", ShopID: e.a1}, apperr.Invalid},
			"unknown method":          {wallet.TopUp{Amount: 1000, Method: "gold", ShopID: e.a1}, apperr.Invalid},
			"no shop":                 {wallet.TopUp{Amount: 1000, Method: "cash"}, apperr.Invalid},
			"another merchant's shop": {wallet.TopUp{Amount: 1000, Method: "cash", ShopID: e.b1}, apperr.NotFound},
		} {
			if _, err := e.svc.TopUp(ctx, e.a, w.ID, c.in, "c1", anyShop); !apperr.Is(err, c.kind) {
				t.Errorf("top-up, %s: %v, want %v", name, err, c.kind)
			}
		}
		denied := func(string) error { return apperr.E(apperr.Forbidden, "no") }
		_, err = e.svc.TopUp(ctx, e.a, w.ID, wallet.TopUp{Amount: 1000, Method: "cash", ShopID: e.a1}, "c1", denied)
		wantKind(t, err, apperr.Forbidden)
		_, err = e.svc.ReverseTopUp(ctx, e.a, w.ID, top.ID, "x", "c1", denied)
		wantKind(t, err, apperr.Forbidden)
		_, err = e.svc.ReverseTopUp(ctx, e.a, w.ID, top.ID, "  ", "m1", anyShop)
		wantKind(t, err, apperr.Invalid)
		_, err = e.svc.ReverseTopUp(ctx, e.a, other.ID, top.ID, "another wallet's top-up", "m1", anyShop)
		wantKind(t, err, apperr.NotFound)
		for name, amount := range map[string]money.VND{"zero": 0, "negative": -5000} {
			if _, err := e.spend(e.a, w.ID, amount, "pay-"+name); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("spend, %s: %v", name, err)
			}
			if _, err := e.refund(e.a, w.ID, amount, "pay-1", "refund-"+name); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("refund, %s: %v", name, err)
			}
		}
		if _, err := e.spend(e.a, w.ID, 1000, ""); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("spend without a payment: %v", err)
		}
		if _, err := e.refund(e.a, other.ID, 1000, "pay-1", "refund-x"); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("refund to a wallet the payment did not spend from: %v", err)
		}

		// Another merchant's wallet is not found, whatever the operation; so is an id that does not exist.
		for _, c := range []struct {
			m  tenant.ID
			id string
		}{{e.b, w.ID}, {e.a, wb.ID}, {e.a, db.NewID()}} {
			_, err := e.svc.Get(ctx, c.m, c.id)
			wantKind(t, err, apperr.NotFound)
			_, err = e.svc.Entries(ctx, c.m, c.id, 10, "")
			wantKind(t, err, apperr.NotFound)
			shop := e.a1 // a shop of the caller's merchant, so that the wallet is what is not found
			if c.m == e.b {
				shop = e.b1
			}
			_, err = e.svc.TopUp(ctx, c.m, c.id, wallet.TopUp{Amount: 1000, Method: "cash", ShopID: shop}, "x", anyShop)
			wantKind(t, err, apperr.NotFound)
			_, err = e.svc.ReverseTopUp(ctx, c.m, c.id, top.ID, "x", "x", anyShop)
			wantKind(t, err, apperr.NotFound)
			_, err = e.spend(c.m, c.id, 1000, "pay-"+c.id)
			wantKind(t, err, apperr.NotFound)
			_, err = e.refund(c.m, c.id, 1000, "pay-1", "refund-"+c.id)
			wantKind(t, err, apperr.NotFound)
		}
		// B's same-phone wallet is untouched, and nothing of the refused requests was written.
		if got := e.balance(t, e.b, wb.ID); got != 0 {
			t.Fatalf("B's wallet: %d", got)
		}
		if got := e.balance(t, e.a, w.ID); got != 60000 {
			t.Fatalf("A's wallet after the refused requests: %d", got)
		}
		checkLedger(t, d, e.a)
		checkLedger(t, d, e.b)
	})
}

// TestSchemaIsolatesEveryTenantTable checks the migrations: the same tables and columns on both engines, and
// on PostgreSQL row-level security enabled and forced with the tenant policy on every table (wallets never
// move in a shop transfer: no system policy).
func TestSchemaIsolatesEveryTenantTable(t *testing.T) {
	schemas := map[db.Dialect]map[string]migrate.Table{}
	dbtest.Each(t, []migrate.Source{wallet.Migrations}, func(t *testing.T, d *db.DB) {
		s, err := migrate.Schema(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		schemas[d.Dialect()] = s
		for _, name := range []string{"wallets", "wallet_txns", "wallet_entries"} {
			table, ok := s[name]
			if !ok || !slices.Contains(table.Columns, "merchant_id") {
				t.Errorf("table %s: %+v", name, table)
			}
			if d.Dialect() == db.Postgres && (!table.RLS || !table.ForceRLS || table.Policies != 1) {
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
