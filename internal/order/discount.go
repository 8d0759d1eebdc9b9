package order

import (
	"context"
	"database/sql"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goodgo/goodgo/internal/order/orderdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// DiscountInput sets a discount: kind percent (value 1–100) or fixed (value in đồng), with a reason; kind
// "" (or value 0) removes it.
type DiscountInput struct {
	Kind   string
	Value  int64
	Reason string
}

func (d DiscountInput) validate() (DiscountInput, error) {
	d.Reason = strings.TrimSpace(d.Reason)
	if d.Kind == "" || d.Value == 0 {
		return DiscountInput{}, nil
	}
	var f []apperr.FieldError
	switch {
	case d.Kind == "percent" && (d.Value < 1 || d.Value > 100):
		f = append(f, apperr.FieldError{Field: "body.value", Message: "a percentage is 1 to 100"})
	case d.Kind == "fixed" && (d.Value < 1 || d.Value > 1_000_000_000):
		f = append(f, apperr.FieldError{Field: "body.value", Message: "a fixed discount is 1 to 1,000,000,000 đồng"})
	case d.Kind != "percent" && d.Kind != "fixed":
		f = append(f, apperr.FieldError{Field: "body.kind", Message: "must be percent or fixed"})
	}
	if d.Reason == "" || utf8.RuneCountInString(d.Reason) > 200 {
		f = append(f, apperr.FieldError{Field: "body.reason", Message: "say why, in at most 200 characters"})
	}
	if len(f) > 0 {
		return DiscountInput{}, &apperr.Error{Kind: apperr.Invalid, Message: "validation failed", Fields: f}
	}
	return d, nil
}

// DiscountLine sets (or removes) a line's discount.
func (s *Service) DiscountLine(ctx context.Context, m tenant.ID, orderID, lineID string, in DiscountInput, c Change) (Order, error) {
	d, err := in.validate()
	if err != nil {
		return Order{}, err
	}
	return s.change(ctx, m, orderID, c, func(ctx context.Context, tx *sql.Tx, o *Order, now time.Time) error {
		if o.Status == StatusPaid {
			return apperr.Stale("the order is paid", *o)
		}
		n, err := orderdb.New(tx).SetLineDiscount(ctx, orderdb.SetLineDiscountParams{Kind: d.Kind, Value: d.Value, Reason: d.Reason,
			MerchantID: string(m), ID: lineID})
		if err != nil {
			return err
		}
		if n == 0 {
			if _, err := findLine(o, lineID); err != nil {
				return err
			}
			return apperr.Stale("a voided line takes no discount", *o)
		}
		return nil
	})
}

// DiscountOrder sets (or removes) the whole order's discount.
func (s *Service) DiscountOrder(ctx context.Context, m tenant.ID, orderID string, in DiscountInput, c Change) (Order, error) {
	d, err := in.validate()
	if err != nil {
		return Order{}, err
	}
	return s.change(ctx, m, orderID, c, func(ctx context.Context, tx *sql.Tx, o *Order, now time.Time) error {
		if o.Status == StatusPaid {
			return apperr.Stale("the order is paid", *o)
		}
		if err := orderdb.New(tx).SetOrderDiscount(ctx, orderdb.SetOrderDiscountParams{Kind: d.Kind, Value: d.Value, Reason: d.Reason,
			MerchantID: string(m), ID: o.ID}); err != nil {
			return err
		}
		o.Discount = nil
		if d.Kind != "" {
			o.Discount = &Discount{Kind: d.Kind, Value: d.Value, Reason: d.Reason}
		}
		return nil
	})
}
