package order

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/goodgo/goodgo/internal/order/orderdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// EventPaid is written when an order's amount due reaches 0; its data lists every live line (the stock's
// contract for shops that deduct when paid).
const EventPaid = "order.paid"

// ApplyPayment records a succeeded payment of amount on order orderID inside the payment module's
// transaction tx: the order's paid amount and its payments list change with the payment row, or neither
// does. A payment larger than what is due is refused (409 with the order), as is a payment on a room whose
// time still runs (ask for the bill first, so the amount is final). When nothing is left due the order is
// paid and order.paid is written.
func (s *Service) ApplyPayment(ctx context.Context, tx *sql.Tx, m tenant.ID, orderID string, p AppliedPayment, c Change) (Order, error) {
	if p.Amount <= 0 {
		return Order{}, apperr.WithField("body.amount", "must be more than 0")
	}
	return s.changeTx(ctx, tx, m, orderID, c, func(ctx context.Context, tx *sql.Tx, o *Order, now time.Time) error {
		if err := s.fill(ctx, tx, m, o, now); err != nil {
			return err
		}
		if o.TimeCharge != nil && o.TimeCharge.Running {
			return apperr.Stale("the room's time is still running: ask for the bill first so the amount is final", *o)
		}
		if o.TimeCharge != nil && o.TimeCharge.PricingError != "" {
			return apperr.Stale("the room's time cannot be priced: "+o.TimeCharge.PricingError, *o)
		}
		if p.Amount > o.Totals.AmountDue {
			return apperr.Stale(fmt.Sprintf("%s is more than the %s due", p.Amount, o.Totals.AmountDue), *o)
		}
		if err := orderdb.New(tx).InsertOrderPayment(ctx, orderdb.InsertOrderPaymentParams{ID: p.ID, MerchantID: string(m),
			OrderID: o.ID, Method: p.Method, Amount: int64(p.Amount), Status: "succeeded", CreatedAt: now}); err != nil {
			return fmt.Errorf("record payment: %w", err)
		}
		o.Totals.Paid += p.Amount
		o.Payments = append(o.Payments, AppliedPayment{ID: p.ID, Method: p.Method, Amount: p.Amount, Status: "succeeded"})
		if o.Totals.Total-o.Totals.Paid > 0 {
			return nil
		}
		o.Status = StatusPaid
		var lines []submittedLine
		for _, l := range o.Lines {
			if l.Status != "voided" {
				lines = append(lines, submittedLine{OrderLineID: l.ID, ProductID: l.ProductID, Quantity: l.Quantity, ModifierOptionIDs: optionIDs(l)})
			}
		}
		return addEvent(ctx, tx, m, Subject, EventPaid, now, linesSubmitted{OrderID: o.ID, ShopID: o.ShopID, Lines: nonNil(lines)})
	})
}

// EventRefunded is written when part of a payment on an order is given back (not "order.refunded", which
// the stock reads as goods coming back).
const EventRefunded = "order.payment_refunded"

// ApplyRefund gives back amount of payment paymentID of order orderID inside the payment module's
// transaction tx: what the order counts as paid goes down by amount, so its balance reopens (a paid order
// is back to billing). A closed or cancelled order is final (409), as is more than is left of the payment.
func (s *Service) ApplyRefund(ctx context.Context, tx *sql.Tx, m tenant.ID, orderID, paymentID string, amount money.VND, c Change) (Order, error) {
	if amount <= 0 {
		return Order{}, apperr.WithField("body.amount", "must be more than 0")
	}
	return s.changeTx(ctx, tx, m, orderID, c, func(ctx context.Context, tx *sql.Tx, o *Order, now time.Time) error {
		i := slices.IndexFunc(o.Payments, func(p AppliedPayment) bool { return p.ID == paymentID })
		if i < 0 {
			return apperr.E(apperr.NotFound, "payment %s is not on this order", paymentID)
		}
		p := &o.Payments[i]
		if left := p.Amount - p.Refunded; amount > left {
			return apperr.Stale(fmt.Sprintf("only %s of this payment is left to refund", left), *o)
		}
		n, err := orderdb.New(tx).RefundOrderPayment(ctx, orderdb.RefundOrderPaymentParams{Amount: int64(amount),
			MerchantID: string(m), OrderID: o.ID, ID: paymentID})
		if err != nil {
			return fmt.Errorf("refund payment: %w", err)
		}
		if n != 1 {
			return apperr.Stale("this payment changed meanwhile", *o)
		}
		p.Refunded += amount
		if p.Refunded == p.Amount {
			p.Status = "refunded"
		}
		o.Totals.Paid -= amount
		if o.Status == StatusPaid {
			o.Status = StatusBilling
		}
		return addEvent(ctx, tx, m, Subject, EventRefunded, now, map[string]any{"order_id": o.ID, "shop_id": o.ShopID,
			"payment_id": paymentID, "amount": amount})
	})
}
