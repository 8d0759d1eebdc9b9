package payment

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/goodgo/goodgo/internal/payment/paymentdb"
	"github.com/goodgo/goodgo/internal/payment/vnpay"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// ReconcileReport counts what one Reconcile pass did.
type ReconcileReport struct {
	// Checked pending payments; Settled by a provider's final answer (paid or failed); Expired.
	Checked, Settled, Expired int
	// RefundsChecked pending refunds; RefundsResolved got a final answer.
	RefundsChecked, RefundsResolved int
	// Errors are payments or refunds that could not be checked this time (tried again next pass).
	Errors int
}

// reconcileBatch bounds the work of one pass.
const reconcileBatch = 200

// Reconcile is the periodic job (the lead runs it every minute or so): it asks the providers about pending
// payments older than Config.ReconcileAfter and applies their final answers exactly as the IPN or callback
// would (the same code path: a payment settled meanwhile is left alone); it expires intents whose time is up
// and that the provider does not report paid (VietQR has no provider to ask: its intents just expire); and it
// resolves pending refunds whose answer was lost (VNPay: the same request id again; MoMo: the same refund
// orderId with a new request id; ZaloPay: its refund query). A failure on one item does not stop the others.
func (s *Service) Reconcile(ctx context.Context) (ReconcileReport, error) {
	var rep ReconcileReport
	before := s.now().Add(-s.cfg.ReconcileAfter)
	var pays []paymentdb.ListPendingPaymentsRow
	var refunds []paymentdb.ListPendingRefundsRow
	err := s.db.WithSystemTx(ctx, "reconcile pending payments and refunds of every merchant", func(tx *sql.Tx) error {
		q := paymentdb.New(tx)
		var err error
		if pays, err = q.ListPendingPayments(ctx, paymentdb.ListPendingPaymentsParams{Before: before, MaxRows: reconcileBatch}); err != nil {
			return err
		}
		refunds, err = q.ListPendingRefunds(ctx, paymentdb.ListPendingRefundsParams{Before: before, MaxRows: reconcileBatch})
		return err
	})
	if err != nil {
		return rep, fmt.Errorf("list pending payments: %w", err)
	}
	for _, row := range pays {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		rep.Checked++
		res, err := s.reconcilePayment(ctx, tenant.ID(row.MerchantID), row.ID)
		switch {
		case err != nil:
			rep.Errors++
		case res == settledApplied || res == settledUnapplied || res == settledFailed:
			rep.Settled++
		case res == settledExpired:
			rep.Expired++
		}
	}
	for _, row := range refunds {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		rep.RefundsChecked++
		done, err := s.reconcileRefund(ctx, tenant.ID(row.MerchantID), row.ID)
		switch {
		case err != nil:
			rep.Errors++
		case done:
			rep.RefundsResolved++
		}
	}
	return rep, nil
}

// settledExpired: reconciliation expired the intent.
const settledExpired settled = 100

// reconcilePayment asks the provider about pending payment id and settles or expires it.
func (s *Service) reconcilePayment(ctx context.Context, m tenant.ID, id string) (settled, error) {
	var p paymentdb.Payment
	if err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		p, err = getPayment(ctx, paymentdb.New(tx), m, id)
		return err
	}); err != nil {
		return 0, err
	}
	if p.Status != StatusPending {
		return settledAlready, nil
	}
	expired := p.ExpiresAt.Valid && !s.now().Before(p.ExpiresAt.Time)
	ref := paymentRef{Merchant: m, ID: p.ID, ShopID: p.ShopID, Method: p.Method, AccountRef: p.AccountRef}
	var (
		o     outcome
		known bool // the provider gave a final answer
		err   error
	)
	switch p.Method {
	case MethodVNPay:
		o, known, err = s.queryVNPay(ctx, m, p)
	case MethodMoMo:
		o, known, err = s.queryMoMo(ctx, m, p)
	case MethodZaloPay:
		o, known, err = s.queryZaloPay(ctx, m, p)
	}
	if err != nil {
		return 0, err
	}
	if known {
		res, _, err := s.settle(ctx, ref, o)
		return res, err
	}
	if !expired {
		return settledPending, nil
	}
	return s.expire(ctx, m, p.ID)
}

// expire fails pending payment id whose time is up.
func (s *Service) expire(ctx context.Context, m tenant.ID, id string) (settled, error) {
	res := settledAlready
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := paymentdb.New(tx)
		p, err := lockPayment(ctx, q, m, id)
		if err != nil {
			return err
		}
		now := s.now()
		if p.Status != StatusPending || !p.ExpiresAt.Valid || now.Before(p.ExpiresAt.Time) {
			return nil
		}
		if _, err := q.MarkFailed(ctx, paymentdb.MarkFailedParams{FailureReason: FailureExpired, Now: now, MerchantID: string(m),
			ID: id}); err != nil {
			return err
		}
		if p, err = getPayment(ctx, q, m, id); err != nil {
			return err
		}
		res = settledExpired
		return s.emit(ctx, tx, m, EventFailed, toPayment(p), now)
	})
	if err != nil {
		return 0, fmt.Errorf("expire payment %s: %w", id, err)
	}
	if res == settledExpired {
		s.nudge()
	}
	return res, nil
}

// queryVNPay asks querydr about p. A payment VNPay does not know (91: the customer never opened the page) or
// has not completed (01) has no final answer yet.
func (s *Service) queryVNPay(ctx context.Context, m tenant.ID, p paymentdb.Payment) (outcome, bool, error) {
	acc, err := s.paymentAccount(ctx, m, p.ShopID, ProviderVNPay, p.AccountRef)
	if err != nil {
		return outcome{}, false, err
	}
	c, err := s.vnpayClient(acc)
	if err != nil {
		return outcome{}, false, err
	}
	t, err := c.QueryDR(ctx, vnpay.QueryRequest{TxnRef: p.Reference, TransactionDate: p.CreatedAt, IPAddr: s.cfg.ServerIP})
	if apperr.KindOf(err) == apperr.NotFound {
		return outcome{}, false, nil
	}
	if err != nil {
		return outcome{}, false, err
	}
	o := outcome{Method: MethodVNPay, Amount: t.Amount, Code: "querydr:" + t.TransactionStatus, Actor: ProviderVNPay}
	switch {
	case t.Paid():
		o.Paid, o.TxnID = true, t.TransactionNo
	case t.TransactionStatus == "01" || t.TransactionStatus == "":
		return outcome{}, false, nil
	}
	return o, true, nil
}

// queryMoMo asks MoMo's query API about p.
func (s *Service) queryMoMo(ctx context.Context, m tenant.ID, p paymentdb.Payment) (outcome, bool, error) {
	acc, err := s.paymentAccount(ctx, m, p.ShopID, ProviderMoMo, p.AccountRef)
	if err != nil {
		return outcome{}, false, err
	}
	c, err := s.momoClient(acc)
	if err != nil {
		return outcome{}, false, err
	}
	r, err := c.Query(ctx, p.Reference, "")
	if apperr.KindOf(err) == apperr.NotFound {
		return outcome{}, false, nil
	}
	if err != nil {
		return outcome{}, false, err
	}
	if r.Pending() {
		return outcome{}, false, nil
	}
	o := outcome{Method: MethodMoMo, Amount: r.Amount, Paid: r.Paid(), Code: strconv.Itoa(r.ResultCode), Actor: ProviderMoMo}
	if o.Paid {
		o.TxnID = strconv.FormatInt(r.TransID, 10)
	}
	return o, true, nil
}

// queryZaloPay asks ZaloPay's query API about p. ZaloPay answers 2 both for a failed and for an unknown order,
// so only a paid answer is final; the rest waits for the intent's expiry.
func (s *Service) queryZaloPay(ctx context.Context, m tenant.ID, p paymentdb.Payment) (outcome, bool, error) {
	acc, err := s.paymentAccount(ctx, m, p.ShopID, ProviderZaloPay, p.AccountRef)
	if err != nil {
		return outcome{}, false, err
	}
	c, err := s.zalopayClient(acc, nil)
	if err != nil {
		return outcome{}, false, err
	}
	r, err := c.Query(ctx, p.ProviderOrderID)
	if err != nil {
		return outcome{}, false, err
	}
	if !r.Paid() {
		return outcome{}, false, nil
	}
	return outcome{Method: MethodZaloPay, Amount: r.Amount, Paid: true, TxnID: strconv.FormatInt(r.ZPTransID, 10),
		Code: "query:1", Actor: ProviderZaloPay}, true, nil
}

// reconcileRefund asks the provider again about pending refund id; it reports whether the refund is final now.
func (s *Service) reconcileRefund(ctx context.Context, m tenant.ID, id string) (bool, error) {
	var (
		r paymentdb.PaymentRefund
		p paymentdb.Payment
	)
	if err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := paymentdb.New(tx)
		var err error
		if r, err = q.GetRefund(ctx, paymentdb.GetRefundParams{MerchantID: string(m), ID: id}); err != nil {
			return err
		}
		p, err = getPayment(ctx, q, m, r.PaymentID)
		return err
	}); err != nil {
		return false, err
	}
	if r.Status != RefundPending {
		return true, nil
	}
	done := s.sendRefund(ctx, m, p, toRefund(r), true)
	return done.Status != RefundPending, nil
}
