package payment_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/payment"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// fakeOrders is an order with 100,000 đ due that refuses more than is due.
type fakeOrders struct{ due money.VND }

func (f *fakeOrders) ApplyPayment(_ context.Context, tx *sql.Tx, _ tenant.ID, orderID, _, _ string, amount money.VND, _ string,
	allow func(string) error) (payment.OrderState, error) {
	if tx == nil {
		return payment.OrderState{}, errors.New("not in the payment's transaction")
	}
	if err := allow("shop-1"); err != nil {
		return payment.OrderState{}, err
	}
	if amount > f.due {
		return payment.OrderState{}, apperr.E(apperr.Conflict, "more than due")
	}
	f.due -= amount
	return payment.OrderState{ID: orderID, ShopID: "shop-1", AmountDue: f.due}, nil
}

func count(t *testing.T, d *db.DB) int {
	var n int
	if err := d.ReadTx(context.Background(), "m", func(tx *sql.Tx) error {
		return tx.QueryRow("SELECT COUNT(*) FROM payments WHERE merchant_id = 'm'").Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCashPaymentsGiveChangeAndNeverExceedWhatIsDue(t *testing.T) {
	dbtest.Each(t, []migrate.Source{events.Migrations, payment.Migrations}, func(t *testing.T, d *db.DB) {
		orders := &fakeOrders{due: 100000}
		svc := payment.New(d, clock.NewFake(time.Now()), orders, nil)
		ctx := context.Background()
		ok := func(string) error { return nil }
		res, err := svc.PayCash(ctx, "m", "order-1", 60000, 100000, "cashier", ok)
		if err != nil || res.Change != 40000 || res.Payment.Amount != 60000 || res.Payment.Status != "succeeded" {
			t.Fatalf("first payment: %+v, %v", res, err)
		}
		if res, err = svc.PayCash(ctx, "m", "order-1", 40000, 0, "cashier", ok); err != nil || res.Change != 0 {
			t.Fatalf("exact payment: %+v, %v", res, err)
		}
		for name, c := range map[string]struct{ amount, tendered money.VND }{
			"zero":               {0, 0},
			"negative":           {-5000, 0},
			"tendered too small": {50000, 20000},
		} {
			if _, err := svc.PayCash(ctx, "m", "order-1", c.amount, c.tendered, "cashier", ok); apperr.KindOf(err) != apperr.Invalid {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := svc.PayCash(ctx, "m", "order-1", 1000, 0, "cashier", ok); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("paying more than due: %v", err)
		}
		denied := apperr.E(apperr.NotFound, "not found")
		if _, err := svc.PayCash(ctx, "m", "order-1", 1, 0, "x", func(string) error { return denied }); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("another shop's order: %v", err)
		}
		if n := count(t, d); n != 2 {
			t.Errorf("%d payments stored, want the two that were taken", n)
		}
	})
}
