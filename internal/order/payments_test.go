package order_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/goodgo/goodgo/internal/order"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/money"
)

func TestPaymentsAndRefundsMoveTheBalance(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		svc, _ := newService(t, d)
		ctx := context.Background()
		c := order.Change{Actor: "cashier"}
		o, err := svc.Open(ctx, merchantA, shop1, order.OpenInput{Type: order.Takeaway}, "cashier")
		if err != nil {
			t.Fatal(err)
		}
		if o, err = svc.AddLine(ctx, merchantA, o.ID, order.LineInput{ProductID: "pho", Quantity: 2}, c); err != nil {
			t.Fatal(err)
		}
		inTx := func(fn func(tx *sql.Tx) (order.Order, error)) (order.Order, error) {
			var out order.Order
			err := d.WithTx(ctx, merchantA, func(tx *sql.Tx) error {
				var err error
				out, err = fn(tx)
				return err
			})
			return out, err
		}
		pay := func(id string, amount money.VND) (order.Order, error) {
			return inTx(func(tx *sql.Tx) (order.Order, error) {
				return svc.ApplyPayment(ctx, tx, merchantA, o.ID, order.AppliedPayment{ID: id, Method: "cash", Amount: amount}, c)
			})
		}
		refund := func(id string, amount money.VND) (order.Order, error) {
			return inTx(func(tx *sql.Tx) (order.Order, error) {
				return svc.ApplyRefund(ctx, tx, merchantA, o.ID, id, amount, c)
			})
		}
		if _, err := pay("p1", 60000); err != nil {
			t.Fatal(err)
		}
		if _, err := pay("p2", 60000); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("overpayment: %v", err)
		}
		paid, err := pay("p2", 50000)
		if err != nil || paid.Status != order.StatusPaid || paid.Totals.AmountDue != 0 || len(paid.Payments) != 2 {
			t.Fatalf("paid in full: %+v, %v", paid.Totals, err)
		}
		// A refund reopens the balance; more than is left of a payment, or an unknown payment, changes nothing.
		back, err := refund("p2", 20000)
		if err != nil || back.Status != order.StatusBilling || back.Totals.AmountDue != 20000 || back.Payments[1].Refunded != 20000 ||
			back.Payments[1].Status != "succeeded" {
			t.Fatalf("partial refund: %+v %+v, %v", back.Totals, back.Payments, err)
		}
		if _, err := refund("p2", 30001); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("refunding more than is left: %v", err)
		}
		if _, err := refund("nope", 1); apperr.KindOf(err) != apperr.NotFound {
			t.Fatalf("unknown payment: %v", err)
		}
		back, err = refund("p2", 30000)
		if err != nil || back.Payments[1].Status != "refunded" || back.Totals.Paid != 60000 || back.Totals.AmountDue != 50000 {
			t.Fatalf("full refund: %+v %+v, %v", back.Totals, back.Payments, err)
		}
		if got, _ := svc.Get(ctx, merchantA, o.ID); got.Totals.Paid != 60000 || got.Payments[1].Refunded != 50000 {
			t.Fatalf("stored: %+v %+v", got.Totals, got.Payments)
		}
		// Paid again and closed, the order is final: no refund.
		if _, err := pay("p3", 50000); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Close(ctx, merchantA, o.ID, c); err != nil {
			t.Fatal(err)
		}
		if _, err := refund("p1", 1000); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("refund on a closed order: %v", err)
		}
	})
}
