package payment_test

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/goodgo/goodgo/internal/payment"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

//go:embed testdata/migrations
var ledgerFiles embed.FS

// ledgerMigrations creates the tables of ledger.
var ledgerMigrations = migrate.Embedded("paytest", mustSub(ledgerFiles, "testdata"))

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// ledger is a tiny real order ledger (payment.Orders): orders with a total and what they count as paid, and
// the payments applied to them, written in the payment's transaction, so a rolled-back payment leaves no
// trace. It refuses what the order module refuses: more than is due, payments or refunds on a closed or
// cancelled order, refunds of more than a payment. It is also the cash drawer (payment.Drawer) of the tests.
type ledger struct {
	d *db.DB
	// failApply, while > 0, makes ApplyPayment fail after it wrote (an outage between applying and
	// committing): the payment's transaction must roll everything back.
	failApply atomic.Int32
}

func (l *ledger) open(ctx context.Context, m tenant.ID, shopID string, total money.VND) (string, error) {
	id := db.NewID()
	err := l.d.WithTx(ctx, m, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO ledger_orders (merchant_id, id, shop_id, status, total, paid) VALUES ($1, $2, $3, 'open', $4, 0)`,
			string(m), id, shopID, int64(total))
		return err
	})
	return id, err
}

type ledgerOrder struct {
	shopID, status string
	total, paid    money.VND
}

func (l *ledger) lock(ctx context.Context, tx *sql.Tx, m tenant.ID, orderID string) (ledgerOrder, error) {
	var o ledgerOrder
	res, err := tx.ExecContext(ctx, `UPDATE ledger_orders SET paid = paid WHERE merchant_id = $1 AND id = $2`, string(m), orderID)
	if err != nil {
		return o, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return o, apperr.E(apperr.NotFound, "order not found")
	}
	err = tx.QueryRowContext(ctx, `SELECT shop_id, status, total, paid FROM ledger_orders WHERE merchant_id = $1 AND id = $2`,
		string(m), orderID).Scan(&o.shopID, &o.status, &o.total, &o.paid)
	return o, err
}

func (o ledgerOrder) state(id string) payment.OrderState {
	return payment.OrderState{ID: id, ShopID: o.shopID, Status: o.status, AmountDue: o.total - o.paid,
		Order: map[string]any{"id": id, "total": o.total, "paid": o.paid, "status": o.status}}
}

func (l *ledger) ApplyPayment(ctx context.Context, tx *sql.Tx, m tenant.ID, orderID, paymentID, method string, amount money.VND,
	_ string, allow func(string) error) (payment.OrderState, error) {
	o, err := l.lock(ctx, tx, m, orderID)
	if err != nil {
		return payment.OrderState{}, err
	}
	if err := allow(o.shopID); err != nil {
		return payment.OrderState{}, err
	}
	switch {
	case o.status == "closed" || o.status == "cancelled":
		return payment.OrderState{}, apperr.Stale("the order is "+o.status, o.state(orderID))
	case amount > o.total-o.paid:
		return payment.OrderState{}, apperr.Stale(fmt.Sprintf("%s is more than the %s due", amount, o.total-o.paid), o.state(orderID))
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_payments (merchant_id, payment_id, order_id, method, amount) VALUES ($1, $2, $3, $4, $5)`,
		string(m), paymentID, orderID, method, int64(amount)); err != nil {
		return payment.OrderState{}, err
	}
	o.paid += amount
	o.status = "billing"
	if o.paid == o.total {
		o.status = "paid"
	}
	if _, err := tx.ExecContext(ctx, `UPDATE ledger_orders SET paid = $1, status = $2 WHERE merchant_id = $3 AND id = $4`,
		int64(o.paid), o.status, string(m), orderID); err != nil {
		return payment.OrderState{}, err
	}
	if l.failApply.Load() > 0 && l.failApply.Add(-1) >= 0 {
		return payment.OrderState{}, apperr.E(apperr.Unavailable, "injected outage after applying")
	}
	return o.state(orderID), nil
}

func (l *ledger) ApplyRefund(ctx context.Context, tx *sql.Tx, m tenant.ID, orderID, paymentID string, amount money.VND, _ string,
	allow func(string) error) (payment.OrderState, error) {
	o, err := l.lock(ctx, tx, m, orderID)
	if err != nil {
		return payment.OrderState{}, err
	}
	if err := allow(o.shopID); err != nil {
		return payment.OrderState{}, err
	}
	if o.status == "closed" || o.status == "cancelled" {
		return payment.OrderState{}, apperr.Stale("the order is "+o.status+": refunds happen before it closes", o.state(orderID))
	}
	res, err := tx.ExecContext(ctx, `UPDATE ledger_payments SET refunded = refunded + $1 WHERE merchant_id = $2 AND payment_id = $3 AND order_id = $4 AND refunded + $5 <= amount`,
		int64(amount), string(m), paymentID, orderID, int64(amount))
	if err != nil {
		return payment.OrderState{}, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return payment.OrderState{}, apperr.Stale("not that much of this payment is left on the order", o.state(orderID))
	}
	o.paid -= amount
	o.status = "billing"
	if _, err := tx.ExecContext(ctx, `UPDATE ledger_orders SET paid = $1, status = $2 WHERE merchant_id = $3 AND id = $4`,
		int64(o.paid), o.status, string(m), orderID); err != nil {
		return payment.OrderState{}, err
	}
	return o.state(orderID), nil
}

func (l *ledger) Due(ctx context.Context, m tenant.ID, orderID string, allow func(string) error) (payment.OrderState, error) {
	var o ledgerOrder
	err := l.d.ReadTx(ctx, m, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT shop_id, status, total, paid FROM ledger_orders WHERE merchant_id = $1 AND id = $2`,
			string(m), orderID).Scan(&o.shopID, &o.status, &o.total, &o.paid)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return payment.OrderState{}, apperr.E(apperr.NotFound, "order not found")
	}
	if err != nil {
		return payment.OrderState{}, err
	}
	if err := allow(o.shopID); err != nil {
		return payment.OrderState{}, err
	}
	return o.state(orderID), nil
}

// close closes a fully paid order; false when it is not fully paid (or closed already).
func (l *ledger) close(ctx context.Context, m tenant.ID, orderID string) (bool, error) {
	var n int64
	err := l.d.WithTx(ctx, m, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE ledger_orders SET status = 'closed' WHERE merchant_id = $1 AND id = $2 AND paid = total AND status <> 'closed'`,
			string(m), orderID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n == 1, err
}

func (l *ledger) order(ctx context.Context, m tenant.ID, orderID string) (ledgerOrder, error) {
	var o ledgerOrder
	err := l.d.ReadTx(ctx, m, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT shop_id, status, total, paid FROM ledger_orders WHERE merchant_id = $1 AND id = $2`,
			string(m), orderID).Scan(&o.shopID, &o.status, &o.total, &o.paid)
	})
	return o, err
}

// RecordCashIn and RecordCashRefund make the ledger the tests' drawer: one row per reference, in the
// payment's transaction.
func (l *ledger) RecordCashIn(ctx context.Context, tx *sql.Tx, m tenant.ID, _, _, paymentID string, amount money.VND) (string, error) {
	_, err := tx.ExecContext(ctx, `INSERT INTO ledger_cash (merchant_id, reference, amount) VALUES ($1, $2, $3)`, string(m), paymentID, int64(amount))
	return "drawer", err
}

func (l *ledger) RecordCashRefund(ctx context.Context, tx *sql.Tx, m tenant.ID, _, _, refundID string, amount money.VND) (string, error) {
	_, err := tx.ExecContext(ctx, `INSERT INTO ledger_cash (merchant_id, reference, amount) VALUES ($1, $2, $3)`, string(m), refundID, -int64(amount))
	return "drawer", err
}

func (l *ledger) drawer(ctx context.Context, m tenant.ID) (money.VND, error) {
	var sum money.VND
	err := l.d.ReadTx(ctx, m, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM ledger_cash WHERE merchant_id = $1`, string(m)).Scan(&sum)
	})
	return sum, err
}

// accounts is the merchant module as the payment module sees it: provider accounts and bank accounts by shop.
type accounts struct {
	mu       sync.Mutex
	owner    map[string]tenant.ID                  // shop → merchant
	provider map[string]map[string]payment.Account // shop → provider → account
	bank     map[string]payment.BankAccount        // shop → bank account
}

func newAccounts() *accounts {
	return &accounts{owner: map[string]tenant.ID{}, provider: map[string]map[string]payment.Account{},
		bank: map[string]payment.BankAccount{}}
}

func (a *accounts) set(m tenant.ID, shopID, provider string, acc payment.Account) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.owner[shopID] = m
	if a.provider[shopID] == nil {
		a.provider[shopID] = map[string]payment.Account{}
	}
	a.provider[shopID][provider] = acc
}

func (a *accounts) setBank(m tenant.ID, shopID string, b payment.BankAccount) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.owner[shopID] = m
	a.bank[shopID] = b
}

func (a *accounts) ProviderAccount(_ context.Context, m tenant.ID, shopID, provider string) (payment.Account, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	acc, ok := a.provider[shopID][provider]
	if !ok || a.owner[shopID] != m {
		return payment.Account{}, apperr.E(apperr.NotFound, "no %s account", provider)
	}
	return acc, nil
}

func (a *accounts) FindAccounts(_ context.Context, provider, ref string) ([]payment.ShopAccount, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []payment.ShopAccount
	for shop, byProvider := range a.provider {
		if acc, ok := byProvider[provider]; ok && acc.AccountRef == ref {
			out = append(out, payment.ShopAccount{MerchantID: a.owner[shop], ShopID: shop, Account: acc})
		}
	}
	return out, nil
}

func (a *accounts) CheckShop(_ context.Context, m tenant.ID, shopID string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.owner[shopID] != m {
		return apperr.E(apperr.NotFound, "shop not found")
	}
	return nil
}

func (a *accounts) BankAccount(_ context.Context, m tenant.ID, shopID string) (payment.BankAccount, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.owner[shopID] != m {
		return payment.BankAccount{}, nil
	}
	return a.bank[shopID], nil
}

// ok lets every caller in.
func ok(string) error { return nil }

// notHere is the answer for a shop the caller cannot reach.
func notHere(string) error { return apperr.E(apperr.NotFound, "not found") }

// contains reports whether s mentions every part.
func contains(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
