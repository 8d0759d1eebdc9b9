package payment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/payment/momo"
	"github.com/goodgo/goodgo/internal/payment/paymentdb"
	"github.com/goodgo/goodgo/internal/payment/vnpay"
	"github.com/goodgo/goodgo/internal/payment/zalopay"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// providerRefund reports whether refunds of method go through the provider's refund API.
func providerRefund(method string) bool {
	return method == MethodVNPay || method == MethodMoMo || method == MethodZaloPay
}

// Refund gives back amount of payment paymentID, for reason. The order's balance reopens by amount in the
// refund's own transaction (not for an unapplied payment, which the order never counted). Cash comes out of
// the cashier's drawer, a wallet payment goes back to the wallet, a VietQR transfer is sent back by hand
// (recorded succeeded at once); VNPay, MoMo and ZaloPay refunds are committed pending, then sent to the
// provider with the refund's id as the request id, and marked succeeded or failed from the answer (a failed
// one gives the order its amount back as paid when it can) — when the answer is lost, the refund stays
// pending and Reconcile resolves it.
//
// Errors: Invalid for a bad amount or a missing reason; NotFound for a payment the caller cannot see;
// Conflict for a payment still pending (refund before capture), failed, or with less left than amount, and
// for an order that is closed or cancelled.
func (s *Service) Refund(ctx context.Context, m tenant.ID, paymentID string, amount money.VND, reason, actor string,
	allow func(string) error) (Refund, error) {
	reason = strings.TrimSpace(reason)
	var f []apperr.FieldError
	if amount <= 0 || amount > maxAmount {
		f = append(f, apperr.FieldError{Field: "body.amount", Message: "must be between 1 and 1,000,000,000"})
	}
	if reason == "" || len(reason) > maxReason {
		f = append(f, apperr.FieldError{Field: "body.reason", Message: "must say why, in at most 500 characters"})
	}
	if len(f) > 0 {
		return Refund{}, &apperr.Error{Kind: apperr.Invalid, Message: "validation failed", Fields: f}
	}
	id := db.NewID()
	var (
		out Refund
		pay paymentdb.Payment
	)
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := paymentdb.New(tx)
		p, err := lockPayment(ctx, q, m, paymentID)
		if err != nil {
			return err
		}
		if err := allow(p.ShopID); err != nil {
			return err
		}
		switch p.Status {
		case StatusPending:
			return apperr.Stale("the payment is still pending: nothing was taken to refund yet", toPayment(p))
		case StatusFailed:
			return apperr.Stale("the payment failed: nothing was taken to refund", toPayment(p))
		}
		now := s.now()
		n, err := q.ReserveRefund(ctx, paymentdb.ReserveRefundParams{Amount: int64(amount), Now: now, MerchantID: string(m), ID: p.ID})
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.Stale(fmt.Sprintf("only %s of this payment is left to refund", money.VND(p.Amount-p.Refunded)), toPayment(p))
		}
		if p.Applied {
			if _, err := s.lockOrder(ctx, q, m, p.OrderID, p.ShopID); err != nil {
				return err
			}
			if _, err := s.orders.ApplyRefund(ctx, tx, m, p.OrderID, p.ID, amount, actor, allow); err != nil {
				return err
			}
			if err := s.bumpOrder(ctx, q, m, p.OrderID); err != nil {
				return err
			}
		}
		status := RefundSucceeded
		switch {
		case providerRefund(p.Method):
			status = RefundPending
		case p.Method == MethodCash && s.drawer != nil:
			if _, err := s.drawer.RecordCashRefund(ctx, tx, m, p.ShopID, actor, id, amount); err != nil {
				return err
			}
		case p.Method == MethodWallet:
			if s.wallets == nil {
				return apperr.E(apperr.Conflict, "wallet refunds are not available")
			}
			if _, err := s.wallets.RefundIn(ctx, tx, m, p.WalletID, amount, p.ID, id); err != nil {
				return err
			}
		}
		if err := q.InsertRefund(ctx, paymentdb.InsertRefundParams{ID: id, MerchantID: string(m), ShopID: p.ShopID,
			OrderID: p.OrderID, PaymentID: p.ID, Method: p.Method, Amount: int64(amount), Reason: reason, Status: status,
			Applied: p.Applied, CreatedBy: actor, CreatedAt: now}); err != nil {
			return fmt.Errorf("insert refund: %w", err)
		}
		if status == RefundSucceeded {
			if err := s.refundSucceeded(ctx, q, m, p.ID, now); err != nil {
				return err
			}
		}
		r, err := q.GetRefund(ctx, paymentdb.GetRefundParams{MerchantID: string(m), ID: id})
		if err != nil {
			return err
		}
		out = toRefund(r)
		if pay, err = getPayment(ctx, q, m, p.ID); err != nil {
			return err
		}
		typ := EventRefunded
		if status == RefundPending {
			typ = EventUpdated // the refund is under way; payment.refunded follows when the provider confirms it
		}
		pp := toPayment(pay)
		if err := s.emitData(ctx, tx, m, typ, p.ShopID, out, &pp, now); err != nil {
			return err
		}
		return s.hook("refund")
	})
	if err != nil {
		return Refund{}, fmt.Errorf("refund payment %s: %w", paymentID, err)
	}
	s.nudge()
	if out.Status != RefundPending {
		return out, nil
	}
	return s.sendRefund(ctx, m, pay, out, false), nil
}

// refundSucceeded marks the payment refunded when its succeeded refunds reach its amount.
func (s *Service) refundSucceeded(ctx context.Context, q *paymentdb.Queries, m tenant.ID, paymentID string, now time.Time) error {
	p, err := getPayment(ctx, q, m, paymentID)
	if err != nil {
		return err
	}
	done, err := q.SumSucceededRefunds(ctx, paymentdb.SumSucceededRefundsParams{MerchantID: string(m), PaymentID: paymentID})
	if err != nil {
		return err
	}
	if done >= p.Amount {
		return q.MarkRefunded(ctx, paymentdb.MarkRefundedParams{Now: now, MerchantID: string(m), ID: paymentID})
	}
	return nil
}

// refundAnswer is what a provider said about a refund: final (ok or not) or unknown (ask again later).
type refundAnswer struct {
	final       bool
	ok          bool
	providerRef string
	failure     string
}

// sendRefund asks the provider to refund r (retry: Reconcile asking again) and records a final answer. It
// returns the refund as recorded; a refund whose answer is unknown stays pending.
func (s *Service) sendRefund(ctx context.Context, m tenant.ID, p paymentdb.Payment, r Refund, retry bool) Refund {
	a := s.askRefund(ctx, m, p, r, retry)
	if !a.final {
		if a.providerRef != "" && a.providerRef != r.ProviderRef {
			_ = s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
				return paymentdb.New(tx).SetRefundProviderRef(ctx, paymentdb.SetRefundProviderRefParams{
					ProviderRef: a.providerRef, Now: s.now(), MerchantID: string(m), ID: r.ID})
			})
			r.ProviderRef = a.providerRef
		}
		return r
	}
	done, err := s.finishRefund(ctx, m, r.ID, a)
	if err != nil {
		return r // still pending: Reconcile finishes it
	}
	return done
}

// askRefund calls the provider's refund API (or, on a retry, its refund status) for r.
func (s *Service) askRefund(ctx context.Context, m tenant.ID, p paymentdb.Payment, r Refund, retry bool) refundAnswer {
	provider := map[string]string{MethodVNPay: ProviderVNPay, MethodMoMo: ProviderMoMo, MethodZaloPay: ProviderZaloPay}[p.Method]
	acc, err := s.paymentAccount(ctx, m, p.ShopID, provider, p.AccountRef)
	if err != nil {
		if apperr.KindOf(err) == apperr.Conflict {
			return refundAnswer{final: true, failure: apperr.Message(err)}
		}
		return refundAnswer{}
	}
	requestID := compactID(r.ID)
	switch p.Method {
	case MethodVNPay:
		c, err := s.vnpayClient(acc)
		if err != nil {
			return refundAnswer{final: true, failure: apperr.Message(err)}
		}
		if retry && s.now().Sub(r.CreatedAt) > 20*time.Hour {
			return refundAnswer{} // VNPay request ids are unique per day only: a manager must check this one
		}
		t, err := c.Refund(ctx, vnpay.RefundRequest{RequestID: requestID, TxnRef: p.Reference, Amount: r.Amount,
			Partial: !(r.Amount == money.VND(p.Amount) && money.VND(p.Refunded) == r.Amount), OrderInfo: r.Reason,
			TransactionNo: p.ProviderRef, TransactionDate: p.CreatedAt, CreateBy: "goodgo " + r.CreatedBy, IPAddr: s.cfg.ServerIP})
		switch {
		case err == nil:
			return refundAnswer{final: true, ok: true, providerRef: t.TransactionNo}
		case retry && errors.Is(err, vnpay.ErrDuplicateRequest):
			// The same request id reached VNPay before: the refund was taken (spec §1.6: 94 refund in progress).
			return refundAnswer{final: true, ok: true}
		}
		return refundFailure(err)
	case MethodMoMo:
		c, err := s.momoClient(acc)
		if err != nil {
			return refundAnswer{final: true, failure: apperr.Message(err)}
		}
		transID, err := strconv.ParseInt(p.ProviderRef, 10, 64)
		if err != nil {
			return refundAnswer{final: true, failure: "the payment has no MoMo transaction id"}
		}
		req := momo.RefundRequest{RequestID: requestID, OrderID: requestID, TransID: transID, Amount: r.Amount, Description: r.Reason}
		if retry {
			req.RequestID = "" // a fresh request id; the refund's orderId stays, so MoMo refunds it at most once
		}
		res, err := c.Refund(ctx, req)
		switch {
		case err == nil:
			return refundAnswer{final: true, ok: true, providerRef: strconv.FormatInt(res.TransID, 10)}
		case retry && errors.Is(err, &momo.APIError{Code: momo.ResultDuplicateOrderID}):
			return refundAnswer{final: true, ok: true} // the first request was accepted
		}
		return refundFailure(err)
	case MethodZaloPay:
		c, err := s.zalopayClient(acc, &r.CreatedAt)
		if err != nil {
			return refundAnswer{final: true, failure: apperr.Message(err)}
		}
		zpID, err := strconv.ParseInt(p.ProviderRef, 10, 64)
		if err != nil {
			return refundAnswer{final: true, failure: "the payment has no ZaloPay transaction id"}
		}
		mRefundID := zalopay.RefundID(r.CreatedAt, zalopayAppID(acc), requestID)
		if retry {
			code, err := c.QueryRefund(ctx, mRefundID)
			switch {
			case err != nil:
				return refundAnswer{}
			case code == zalopay.ReturnSuccess:
				return refundAnswer{final: true, ok: true, providerRef: mRefundID}
			case code == zalopay.ReturnFailed:
				return refundAnswer{final: true, failure: "ZaloPay reports the refund failed", providerRef: mRefundID}
			}
			return refundAnswer{providerRef: mRefundID}
		}
		res, err := c.Refund(ctx, zalopay.RefundRequest{Ref: requestID, ZPTransID: zpID, Amount: r.Amount,
			Description: strings.ReplaceAll(r.Reason, "|", "/")})
		switch {
		case err == nil && res.ReturnCode == zalopay.ReturnSuccess:
			return refundAnswer{final: true, ok: true, providerRef: res.MRefundID}
		case err == nil:
			return refundAnswer{providerRef: res.MRefundID} // processing: Reconcile queries it
		}
		a := refundFailure(err)
		a.providerRef = mRefundID
		return a
	}
	return refundAnswer{final: true, failure: "no refund API for " + p.Method}
}

func zalopayAppID(a Account) int64 {
	id, _ := strconv.ParseInt(a.AccountRef, 10, 64)
	return id
}

// refundFailure classifies a provider error: a transport problem leaves the outcome unknown, anything else is
// the provider refusing (final).
func refundFailure(err error) refundAnswer {
	if apperr.KindOf(err) == apperr.Unavailable {
		var vn *vnpay.APIError
		var mo *momo.APIError
		var zp *zalopay.APIError
		if !errors.As(err, &vn) && !errors.As(err, &mo) && !errors.As(err, &zp) {
			return refundAnswer{}
		}
	}
	return refundAnswer{final: true, failure: apperr.Message(err)}
}

// finishRefund records a provider's final answer a on pending refund refundID, once: succeeded, or failed
// (the payment's amount may be refunded again, and the order takes the amount back as paid when it can).
func (s *Service) finishRefund(ctx context.Context, m tenant.ID, refundID string, a refundAnswer) (Refund, error) {
	var out Refund
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := paymentdb.New(tx)
		r, err := q.GetRefund(ctx, paymentdb.GetRefundParams{MerchantID: string(m), ID: refundID})
		if err != nil {
			return err
		}
		p, err := lockPayment(ctx, q, m, r.PaymentID)
		if err != nil {
			return err
		}
		if r, err = q.GetRefund(ctx, paymentdb.GetRefundParams{MerchantID: string(m), ID: refundID}); err != nil {
			return err
		}
		out = toRefund(r)
		if r.Status != RefundPending {
			return nil // finished by a concurrent caller
		}
		now := s.now()
		status, reinstated, typ := RefundSucceeded, false, EventRefunded
		if !a.ok {
			status, typ = RefundFailed, EventRefundFailed
			if err := q.ReleaseRefund(ctx, paymentdb.ReleaseRefundParams{Amount: r.Amount, Now: now, MerchantID: string(m),
				ID: p.ID}); err != nil {
				return err
			}
			if r.Applied {
				// The order's balance reopened when the refund was asked: give it the amount back as paid.
				reinstate := p
				reinstate.ID = r.ID
				if reinstated, _, err = s.applyGuarded(ctx, tx, m, reinstate, money.VND(r.Amount), "system"); err != nil {
					return err
				}
			}
		}
		n, err := q.SettleRefund(ctx, paymentdb.SettleRefundParams{Status: status, ProviderRef: firstNonEmpty(a.providerRef, r.ProviderRef),
			Failure: a.failure, Reinstated: reinstated, Now: now, MerchantID: string(m), ID: r.ID})
		if err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("refund %s changed while its payment was locked", r.ID)
		}
		if status == RefundSucceeded {
			if err := s.refundSucceeded(ctx, q, m, p.ID, now); err != nil {
				return err
			}
		}
		if r, err = q.GetRefund(ctx, paymentdb.GetRefundParams{MerchantID: string(m), ID: refundID}); err != nil {
			return err
		}
		out = toRefund(r)
		pay, err := getPayment(ctx, q, m, p.ID)
		if err != nil {
			return err
		}
		pp := toPayment(pay)
		if err := s.emitData(ctx, tx, m, typ, p.ShopID, out, &pp, now); err != nil {
			return err
		}
		return s.hook("refund-finish")
	})
	if err != nil {
		return Refund{}, fmt.Errorf("finish refund %s: %w", refundID, err)
	}
	s.nudge()
	return out, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
