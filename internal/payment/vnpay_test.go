package payment_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/payment"
	"github.com/goodgo/goodgo/internal/payment/vnpay"
	"github.com/goodgo/goodgo/internal/payment/vnpay/vnpaysim"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
)

func TestVNPayIPNAnswersEachCaseAndChangesStateOnlyWhenAccepted(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		order := e.order(t, 200000)
		// A split bill: VNPay takes 120,000 of 200,000.
		res := e.pay(t, order, payment.PayRequest{Method: payment.MethodVNPay, Amount: 120000, ReturnURL: "https://pos.example/back"})
		p := res.Payment
		if p.Status != payment.StatusPending || !strings.HasPrefix(res.PaymentURL, e.srv.URL+"/sim/vnpay/paymentv2/vpcpay.html?") ||
			p.ExpiresAt == nil || p.ExpiresAt.Sub(p.CreatedAt) < 50*time.Minute {
			t.Fatalf("intent: %+v", res)
		}
		payURL, _ := url.Parse(res.PaymentURL)
		if q := payURL.Query(); q.Get("vnp_TxnRef") != p.Reference || q.Get("vnp_Amount") != "12000000" ||
			q.Get("vnp_ReturnUrl") != e.srv.URL+payment.PathVNPayReturn || q.Get("vnp_TmnCode") != tmnCode {
			t.Fatalf("pay URL: %s", res.PaymentURL)
		}
		unchanged := func(what string) {
			t.Helper()
			if got := e.payment(t, p.ID); got.Status != payment.StatusPending || got.ProviderRef != "" || e.paid(t, order) != 0 {
				t.Fatalf("%s changed the payment: %+v, order paid %s", what, got, e.paid(t, order))
			}
		}
		other := p
		other.Reference = "GG" + strings.Repeat("A", payment.ReferenceLen-2)
		for _, c := range []struct {
			name, query, want string
		}{
			{"forged with another secret", vnpayQuery(p, "not-the-secret", nil), "97"},
			{"tampered after signing", strings.Replace(vnpayQuery(p, vnpSecret, nil), "vnp_Amount=12000000", "vnp_Amount=100", 1), "97"},
			{"no hash", "vnp_TmnCode=" + tmnCode + "&vnp_TxnRef=" + p.Reference + "&vnp_Amount=12000000", "97"},
			{"unknown terminal", vnpayQuery(p, vnpSecret, func(v url.Values) { v.Set("vnp_TmnCode", "OTHER001") }), "97"},
			{"not a query", "%zz", "97"},
			{"unknown reference", vnpayQuery(other, vnpSecret, nil), "01"},
			{"malformed reference", vnpayQuery(p, vnpSecret, func(v url.Values) { v.Set("vnp_TxnRef", "x';--") }), "01"},
			{"the whole bill, not this payment", vnpayQuery(p, vnpSecret, func(v url.Values) { v.Set("vnp_Amount", "20000000") }), "04"},
			{"not whole dong", vnpayQuery(p, vnpSecret, func(v url.Values) { v.Set("vnp_Amount", "12000050") }), "04"},
			{"negative", vnpayQuery(p, vnpSecret, func(v url.Values) { v.Set("vnp_Amount", "-12000000") }), "04"},
		} {
			if got := e.ipn(t, c.query); got != c.want {
				t.Errorf("%s: RspCode %s, want %s", c.name, got, c.want)
			}
			unchanged(c.name)
		}

		valid := vnpayQuery(p, vnpSecret, nil)
		if got := e.ipn(t, valid); got != "00" {
			t.Fatalf("valid IPN: %s", got)
		}
		got := e.payment(t, p.ID)
		if got.Status != payment.StatusSucceeded || !got.Applied || got.ProviderRef != "14000001" || e.paid(t, order) != 120000 {
			t.Fatalf("after the IPN: %+v, order paid %s", got, e.paid(t, order))
		}
		if got := e.ipn(t, valid); got != "02" {
			t.Errorf("replay: %s", got)
		}
		failedAfter := vnpayQuery(p, vnpSecret, func(v url.Values) { v.Set("vnp_ResponseCode", "24"); v.Set("vnp_TransactionStatus", "02") })
		if got := e.ipn(t, failedAfter); got != "02" {
			t.Errorf("a failure after the success: %s", got)
		}
		if got := e.payment(t, p.ID); got.Status != payment.StatusSucceeded || e.paid(t, order) != 120000 {
			t.Fatalf("replays changed the payment: %+v, paid %s", got, e.paid(t, order))
		}

		// A declined payment is recorded failed (00) and releases its hold; a success arriving after it is
		// money taken: recorded, unapplied, listed for a manager.
		declined := e.pay(t, order, payment.PayRequest{Method: payment.MethodVNPay, Amount: 80000}).Payment
		if got := e.ipn(t, vnpayQuery(declined, vnpSecret, func(v url.Values) {
			v.Set("vnp_ResponseCode", "24")
			v.Set("vnp_TransactionStatus", "02")
			v.Set("vnp_TransactionNo", "0")
		})); got != "00" {
			t.Fatalf("declined: %s", got)
		}
		if got := e.payment(t, declined.ID); got.Status != payment.StatusFailed || got.FailureReason != payment.FailureDeclined ||
			got.ProviderRef != "" {
			t.Fatalf("declined payment: %+v", got)
		}
		e.pay(t, order, payment.PayRequest{Method: payment.MethodCash, Amount: 80000})
		if got := e.ipn(t, vnpayQuery(declined, vnpSecret, func(v url.Values) { v.Set("vnp_TransactionNo", "14000002") })); got != "00" {
			t.Fatalf("late success: %s", got)
		}
		late := e.payment(t, declined.ID)
		if late.Status != payment.StatusSucceeded || late.Applied || e.paid(t, order) != 200000 {
			t.Fatalf("late success: %+v, paid %s", late, e.paid(t, order))
		}
		code, body := e.callJSON(t, "manager", http.MethodGet, "/api/v1/shops/"+e.shop+"/payments?status=unapplied", nil)
		items, _ := body["items"].([]any)
		if code != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["id"] != declined.ID {
			t.Fatalf("unapplied list: %d %v", code, body)
		}
		if code, _ := e.call(t, "cashier", http.MethodGet, "/api/v1/shops/"+e.shop+"/payments?status=unapplied", nil); code != http.StatusForbidden {
			t.Fatalf("a cashier lists unapplied payments: %d", code)
		}
	})
}

func TestVNPayConcurrentDuplicateIPNsApplyOnce(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		order := e.order(t, 90000)
		p := e.pay(t, order, payment.PayRequest{Method: payment.MethodVNPay, Amount: 90000}).Payment
		q := vnpayQuery(p, vnpSecret, nil)
		const copies = 8
		answers := make(chan string, copies)
		var wg sync.WaitGroup
		for range copies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers <- string(e.svc.HandleVNPayIPN(context.Background(), q).RspCode)
			}()
		}
		wg.Wait()
		close(answers)
		n := map[string]int{}
		for a := range answers {
			n[a]++
		}
		if n["00"] != 1 || n["02"] != copies-1 {
			t.Fatalf("answers %v: want one 00 and the rest 02", n)
		}
		if e.paid(t, order) != 90000 || count(t, d, e.m, "SELECT COUNT(*) FROM ledger_payments") != 1 {
			t.Fatalf("order paid %s", e.paid(t, order))
		}
	})
}

func TestVNPaySimulatorRetriesApplyOnceAfterAFailedCommit(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := ctxT(t)
		for _, fault := range []string{"commit fails after applying", "the order module fails after writing"} {
			order := e.order(t, 150000)
			res := e.pay(t, order, payment.PayRequest{Method: payment.MethodVNPay, Amount: 150000})
			e.openVNPayPage(t, res.PaymentURL)
			var once sync.Once
			if fault == "commit fails after applying" {
				payment.SetBeforeCommit(e.svc, func(stage string) error {
					var err error
					once.Do(func() { err = errors.New("crash before commit") })
					return err
				})
			} else {
				payment.SetBeforeCommit(e.svc, nil)
				e.led.failApply.Store(1)
			}
			back, err := e.vnp.Pay(res.Payment.Reference, vnpaysim.Paid)
			if err != nil {
				t.Fatal(err)
			}
			attempts, err := e.vnp.WaitIPN(ctx, res.Payment.Reference)
			if err != nil {
				t.Fatal(err)
			}
			if len(attempts) != 2 || attempts[0].Answer.RspCode != vnpay.RspUnknownError || attempts[1].Answer.RspCode != vnpay.RspConfirmSuccess {
				t.Fatalf("%s: attempts %+v, want 99 then 00", fault, attempts)
			}
			if e.paid(t, order) != 150000 || count(t, d, e.m, "SELECT COUNT(*) FROM ledger_payments WHERE order_id = $1", order) != 1 {
				t.Fatalf("%s: order paid %s", fault, e.paid(t, order))
			}
			// The browser's return changes nothing and sends it to the payment's page (no return_url: JSON).
			u, _ := url.Parse(back)
			code, body := e.callJSON(t, "", http.MethodGet, payment.PathVNPayReturn+"?"+u.RawQuery, nil)
			if code != http.StatusOK || body["verified"] != true || body["status"] != "succeeded" || body["provider_says_paid"] != true {
				t.Fatalf("return: %d %v", code, body)
			}
		}
		payment.SetBeforeCommit(e.svc, nil)
	})
}

func TestVNPayReturnIsDisplayOnly(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		order := e.order(t, 50000)
		p := e.pay(t, order, payment.PayRequest{Method: payment.MethodVNPay, Amount: 50000, ReturnURL: "https://pos.example/paid?x=1"}).Payment
		q := vnpayQuery(p, vnpSecret, nil)
		code, raw := e.call(t, "", http.MethodGet, payment.PathVNPayReturn+"?"+q, nil)
		if code != http.StatusSeeOther {
			t.Fatalf("return: %d %s", code, raw)
		}
		code, body := e.callJSON(t, "", http.MethodGet, payment.PathVNPayReturn+"?"+vnpayQuery(p, "forged", nil), nil)
		if code != http.StatusOK || body["verified"] != false || body["payment_id"] != nil {
			t.Fatalf("forged return: %d %v", code, body)
		}
		if got := e.payment(t, p.ID); got.Status != payment.StatusPending || e.paid(t, order) != 0 {
			t.Fatalf("the return changed the payment: %+v", got)
		}
	})
}

func TestVNPayReconcileAppliesWhatTheIPNLostAndExpiresTheRest(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := ctxT(t)
		order := e.order(t, 100000)
		paid := e.pay(t, order, payment.PayRequest{Method: payment.MethodVNPay, Amount: 60000})
		abandoned := e.pay(t, order, payment.PayRequest{Method: payment.MethodVNPay, Amount: 40000})
		e.openVNPayPage(t, paid.PaymentURL)
		e.openVNPayPage(t, abandoned.PaymentURL)
		payment.SetBeforeCommit(e.svc, func(string) error { return errors.New("database down") })
		if _, err := e.vnp.Pay(paid.Payment.Reference, vnpaysim.Paid); err != nil {
			t.Fatal(err)
		}
		attempts, err := e.vnp.WaitIPN(ctx, paid.Payment.Reference)
		if err != nil || len(attempts) != 4 || attempts[3].Answer.RspCode != vnpay.RspUnknownError {
			t.Fatalf("IPN attempts: %+v, %v", attempts, err)
		}
		payment.SetBeforeCommit(e.svc, nil)
		if e.paid(t, order) != 0 {
			t.Fatal("a failed IPN changed the order")
		}
		rep, err := e.svc.Reconcile(ctx)
		if err != nil || rep.Checked != 0 {
			t.Fatalf("too early: %+v, %v", rep, err)
		}
		e.clk.Advance(6 * time.Minute)
		if rep, err = e.svc.Reconcile(ctx); err != nil || rep.Checked != 2 || rep.Settled != 1 || rep.Expired != 0 || rep.Errors != 0 {
			t.Fatalf("reconcile: %+v, %v", rep, err)
		}
		if got := e.payment(t, paid.Payment.ID); got.Status != payment.StatusSucceeded || !got.Applied || got.ProviderRef == "" ||
			e.paid(t, order) != 60000 {
			t.Fatalf("reconciled payment: %+v, paid %s", got, e.paid(t, order))
		}
		// The late IPN of VNPay is then a replay.
		if got := e.ipn(t, vnpayQuery(e.payment(t, paid.Payment.ID), vnpSecret, func(v url.Values) {
			v.Set("vnp_TransactionNo", e.payment(t, paid.Payment.ID).ProviderRef)
		})); got != "02" {
			t.Fatalf("IPN after reconciliation: %s", got)
		}
		e.clk.Advance(time.Hour)
		if rep, err = e.svc.Reconcile(ctx); err != nil || rep.Checked != 1 || rep.Expired != 1 {
			t.Fatalf("expiry: %+v, %v", rep, err)
		}
		if got := e.payment(t, abandoned.Payment.ID); got.Status != payment.StatusFailed || got.FailureReason != payment.FailureExpired {
			t.Fatalf("abandoned payment: %+v", got)
		}
	})
}

func TestVNPayRefundsThroughTheProvider(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := ctxT(t)
		order := e.order(t, 100000)
		res := e.pay(t, order, payment.PayRequest{Method: payment.MethodVNPay, Amount: 100000})
		id := res.Payment.ID
		refunds := "/api/v1/payments/" + id + "/refunds"
		// Refund before capture: refused, nothing changes.
		if code, body := e.call(t, "manager", http.MethodPost, refunds, map[string]any{"amount": 1000, "reason": "test"}); code != http.StatusConflict {
			t.Fatalf("refund of a pending payment: %d %s", code, body)
		}
		e.openVNPayPage(t, res.PaymentURL)
		if _, err := e.vnp.Pay(res.Payment.Reference, vnpaysim.Paid); err != nil {
			t.Fatal(err)
		}
		if _, err := e.vnp.WaitIPN(ctx, res.Payment.Reference); err != nil {
			t.Fatal(err)
		}
		if e.paid(t, order) != 100000 {
			t.Fatalf("paid %s", e.paid(t, order))
		}
		if code, _ := e.call(t, "cashier", http.MethodPost, refunds, map[string]any{"amount": 1000, "reason": "test"}); code != http.StatusForbidden {
			t.Fatalf("a cashier refunds: %d", code)
		}
		if code, _ := e.call(t, "manager", http.MethodPost, refunds, map[string]any{"amount": 1000}); code != http.StatusUnprocessableEntity {
			t.Fatalf("no reason: %d", code)
		}
		code, body := e.callJSON(t, "manager", http.MethodPost, refunds, map[string]any{"amount": 30000, "reason": "món hỏng"})
		if code != http.StatusCreated || body["status"] != "succeeded" || body["applied"] != true || body["provider_ref"] == "" {
			t.Fatalf("partial refund: %d %v", code, body)
		}
		if tx, _ := e.vnp.Transaction(res.Payment.Reference); tx.Refunded != 30000 || e.paid(t, order) != 70000 {
			t.Fatalf("after the refund: VNPay refunded %s, order paid %s", tx.Refunded, e.paid(t, order))
		}
		if code, _ := e.call(t, "manager", http.MethodPost, refunds, map[string]any{"amount": 70001, "reason": "x"}); code != http.StatusConflict {
			t.Fatalf("refund over what is left: %d", code)
		}

		// The provider refunds but our answer is lost (the finishing transaction fails): the refund stays
		// pending and reconciliation resolves it with the same request id, without refunding twice.
		payment.SetBeforeCommit(e.svc, func(stage string) error {
			if stage == "refund-finish" {
				return errors.New("crash after the provider answered")
			}
			return nil
		})
		r, err := e.svc.Refund(ctx, e.m, id, 70000, "khách trả lại", "manager-1", ok)
		if err != nil || r.Status != payment.RefundPending {
			t.Fatalf("refund with a lost answer: %+v, %v", r, err)
		}
		payment.SetBeforeCommit(e.svc, nil)
		if tx, _ := e.vnp.Transaction(res.Payment.Reference); tx.Refunded != 100000 {
			t.Fatalf("VNPay refunded %s", tx.Refunded)
		}
		e.clk.Advance(6 * time.Minute)
		rep, err := e.svc.Reconcile(ctx)
		if err != nil || rep.RefundsChecked != 1 || rep.RefundsResolved != 1 {
			t.Fatalf("reconcile: %+v, %v", rep, err)
		}
		got := e.payment(t, id)
		if got.Status != payment.StatusRefunded || got.Refunded != 100000 || len(got.Refunds) != 2 ||
			got.Refunds[1].Status != payment.RefundSucceeded || e.paid(t, order) != 0 {
			t.Fatalf("after reconciliation: %+v, order paid %s", got, e.paid(t, order))
		}
		if tx, _ := e.vnp.Transaction(res.Payment.Reference); tx.Refunded != 100000 {
			t.Fatalf("VNPay refunded %s: twice?", tx.Refunded)
		}
		_, err = e.svc.Refund(ctx, e.m, id, 1, "again", "manager-1", ok)
		if apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("refund of a refunded payment: %v", err)
		}
	})
}
