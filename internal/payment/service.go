package payment

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/goodgo/goodgo/internal/payment/paymentdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// OrderState is what the payment module sees of an order after a payment.
type OrderState struct {
	ID        string
	ShopID    string
	Status    string
	AmountDue money.VND
	// Order is the whole order as the order module shows it, returned to the caller as is.
	Order any
}

// Orders applies payments to orders (the order module), inside the payment's transaction. allow checks that
// the caller may take payments in the order's shop; errors keep their kinds (a Conflict carries the order).
type Orders interface {
	ApplyPayment(ctx context.Context, tx *sql.Tx, m tenant.ID, orderID, paymentID, method string, amount money.VND,
		actor string, allow func(shopID string) error) (OrderState, error)
}

// Service runs the module's use cases.
type Service struct {
	db     *db.DB
	clk    clock.Clock
	nudge  func()
	orders Orders
}

// New returns the service over d (migrated with Migrations and events.Migrations).
func New(d *db.DB, clk clock.Clock, orders Orders, nudge func()) *Service {
	if nudge == nil {
		nudge = func() {}
	}
	return &Service{db: d, clk: clk, nudge: nudge, orders: orders}
}

// CashResult is a cash payment with the change to give and the order after it.
type CashResult struct {
	Payment Payment   `json:"payment"`
	Change  money.VND `json:"change"`
	Order   any       `json:"order"`
}

// PayCash takes amount in cash on order orderID; tendered is what the customer handed over (0: exactly the
// amount). It returns Invalid for bad amounts, and the order module's Conflict when amount is more than due.
func (s *Service) PayCash(ctx context.Context, m tenant.ID, orderID string, amount, tendered money.VND, actor string, allow func(string) error) (CashResult, error) {
	if tendered == 0 {
		tendered = amount
	}
	var f []apperr.FieldError
	if amount <= 0 {
		f = append(f, apperr.FieldError{Field: "body.amount", Message: "must be more than 0"})
	}
	if tendered < amount || tendered > maxTenderedPerCash {
		f = append(f, apperr.FieldError{Field: "body.tendered", Message: "must be at least the amount (and at most 1,000,000,000)"})
	}
	if len(f) > 0 {
		return CashResult{}, &apperr.Error{Kind: apperr.Invalid, Message: "validation failed", Fields: f}
	}
	var out CashResult
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		now := s.clk.Now().UTC().Truncate(time.Microsecond)
		id := db.NewID()
		state, err := s.orders.ApplyPayment(ctx, tx, m, orderID, id, MethodCash, amount, actor, allow)
		if err != nil {
			return err
		}
		p := Payment{ID: id, OrderID: orderID, ShopID: state.ShopID, Method: MethodCash, Amount: amount, Tendered: tendered,
			Change: tendered - amount, Status: StatusSucceeded, CreatedBy: actor, CreatedAt: now}
		if err := paymentdb.New(tx).InsertPayment(ctx, paymentdb.InsertPaymentParams{ID: id, MerchantID: string(m),
			ShopID: p.ShopID, OrderID: orderID, Method: p.Method, Amount: int64(amount), Tendered: int64(tendered),
			ChangeGiven: int64(p.Change), Status: p.Status, CreatedBy: actor, CreatedAt: now}); err != nil {
			return fmt.Errorf("insert payment: %w", err)
		}
		data, err := json.Marshal(p)
		if err != nil {
			return err
		}
		if err := events.Add(ctx, tx, events.Event{Type: EventSucceeded, Subject: Subject, MerchantID: m, ShopID: p.ShopID,
			OccurredAt: now, Data: data}); err != nil {
			return err
		}
		out = CashResult{Payment: p, Change: p.Change, Order: state.Order}
		return nil
	})
	if err != nil {
		return CashResult{}, fmt.Errorf("cash payment on order %s: %w", orderID, err)
	}
	s.nudge()
	return out, nil
}

// MoveShop moves a shop's payments to merchant to, inside a shop transfer's system transaction.
func (s *Service) MoveShop(ctx context.Context, tx *sql.Tx, shopID string, from, to tenant.ID) error {
	return paymentdb.New(tx).MoveShopPayments(ctx, paymentdb.MoveShopPaymentsParams{ToMerchantID: string(to), ShopID: shopID,
		FromMerchantID: string(from)})
}
