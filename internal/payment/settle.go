package payment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/goodgo/goodgo/internal/payment/paymentdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// paymentRef is a payment found by its reference, across merchants.
type paymentRef struct {
	Merchant   tenant.ID
	ID         string
	ShopID     string
	Method     string
	AccountRef string
}

// locate finds the payment with reference through a system transaction (a callback names no merchant).
func (s *Service) locate(ctx context.Context, reference string) (paymentRef, bool, error) {
	if !isReference(reference) {
		return paymentRef{}, false, nil
	}
	var (
		ref   paymentRef
		found bool
	)
	err := s.db.WithSystemTx(ctx, "find the payment a provider callback names by its reference", func(tx *sql.Tx) error {
		r, err := paymentdb.New(tx).FindByReference(ctx, reference)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("find payment %s: %w", reference, err)
		}
		ref, found = paymentRef{Merchant: tenant.ID(r.MerchantID), ID: r.ID, ShopID: r.ShopID, Method: r.Method,
			AccountRef: r.AccountRef}, true
		return nil
	})
	return ref, found, err
}

// outcome is what a provider says about a payment: in an IPN, a callback, a bank transfer or a query answer.
type outcome struct {
	Method string
	Amount money.VND
	// Paid: the money was taken. Pending: nothing final yet (change nothing). Neither: the payment failed.
	Paid    bool
	Pending bool
	// TxnID is the provider's transaction id (recorded when Paid).
	TxnID string
	// Code is the provider's result code, kept on the payment.
	Code string
	// Actor names who applies the payment to the order ("vnpay", "momo" …).
	Actor string
}

// settled is what settle did.
type settled int

const (
	settledApplied        settled = iota + 1 // pending → succeeded, and the order counts it
	settledUnapplied                         // succeeded, but the order does not count it (late, refused)
	settledFailed                            // pending → failed
	settledAlready                           // nothing to do: the payment was settled before (a replay)
	settledPending                           // nothing to do: the provider has no final word yet
	settledAmountMismatch                    // the amount differs from the payment's: nothing changed
	settledNotFound                          // no such payment for this provider
)

// settle applies o to the payment ref points at, exactly once: the payment row is locked, so a concurrent
// copy of the same callback waits and then finds it settled. It is the one path of IPNs, callbacks, bank
// transfers and reconciliation queries.
func (s *Service) settle(ctx context.Context, ref paymentRef, o outcome) (settled, Payment, error) {
	var (
		res settled
		out Payment
	)
	err := s.db.WithTx(ctx, ref.Merchant, func(tx *sql.Tx) error {
		var err error
		res, out, err = s.settleTx(ctx, tx, ref, o)
		return err
	})
	if err != nil {
		return 0, Payment{}, fmt.Errorf("settle payment %s: %w", ref.ID, err)
	}
	if res != settledAlready && res != settledPending && res != settledNotFound && res != settledAmountMismatch {
		s.nudge()
	}
	return res, out, nil
}

// settleTx is settle inside tx, a transaction of ref.Merchant (the bank webhook records its transfer in the
// same transaction).
func (s *Service) settleTx(ctx context.Context, tx *sql.Tx, ref paymentRef, o outcome) (settled, Payment, error) {
	m := ref.Merchant
	q := paymentdb.New(tx)
	p, err := lockPayment(ctx, q, m, ref.ID)
	if apperr.KindOf(err) == apperr.NotFound {
		return settledNotFound, Payment{}, nil
	}
	if err != nil {
		return 0, Payment{}, err
	}
	out := toPayment(p)
	switch {
	case p.Method != o.Method:
		return settledNotFound, out, nil
	case money.VND(p.Amount) != o.Amount:
		return settledAmountMismatch, out, nil
	}
	now := s.now()
	var (
		res settled
		typ = EventSucceeded
	)
	switch {
	case p.Status == StatusPending && o.Pending:
		return settledPending, out, nil
	case p.Status == StatusPending && !o.Paid:
		if _, err := q.MarkFailed(ctx, paymentdb.MarkFailedParams{ProviderCode: o.Code, FailureReason: FailureDeclined,
			Now: now, MerchantID: string(m), ID: p.ID}); err != nil {
			return 0, out, fmt.Errorf("fail payment: %w", err)
		}
		res, typ = settledFailed, EventFailed
	case p.Status == StatusPending:
		applied, _, err := s.applyGuarded(ctx, tx, m, p, money.VND(p.Amount), o.Actor)
		if err != nil {
			return 0, out, err
		}
		if err := markSucceeded(ctx, q, m, p.ID, StatusPending, o, applied, now); err != nil {
			return 0, out, err
		}
		res = settledApplied
		if !applied {
			res, typ = settledUnapplied, EventUnapplied
		}
	case p.Status == StatusFailed && o.Paid:
		// The money was taken after the intent was cancelled, expired or declined: keep it for a refund.
		if err := markSucceeded(ctx, q, m, p.ID, StatusFailed, o, false, now); err != nil {
			return 0, out, err
		}
		res, typ = settledUnapplied, EventUnapplied
	default:
		return settledAlready, out, nil
	}
	if p, err = getPayment(ctx, q, m, p.ID); err != nil {
		return 0, out, err
	}
	out = toPayment(p)
	if err := s.emit(ctx, tx, m, typ, out, now); err != nil {
		return 0, out, err
	}
	return res, out, s.hook("settle")
}

func markSucceeded(ctx context.Context, q *paymentdb.Queries, m tenant.ID, id, from string, o outcome, applied bool, now time.Time) error {
	n, err := q.MarkSucceeded(ctx, paymentdb.MarkSucceededParams{ProviderRef: o.TxnID, ProviderCode: o.Code, Applied: applied,
		Now: now, MerchantID: string(m), ID: id, FromStatus: from})
	if err != nil {
		return fmt.Errorf("record payment %s succeeded: %w", id, err)
	}
	if n != 1 {
		return fmt.Errorf("record payment %s succeeded: it changed while locked", id)
	}
	return nil
}
