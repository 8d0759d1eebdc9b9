package payment_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/goodgo/goodgo/internal/payment"
	"github.com/goodgo/goodgo/internal/payment/banktransfer"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
)

func TestProviderAccountsFallBackToTheEnvironmentAndSignOnlyTheirOwnPayments(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, func(_ *env, c *payment.Config, _ *payment.Deps) {
			c.VNPay.TmnCode, c.VNPay.HashSecret = "ENVDEF01", "env-secret"
		})
		ctx := context.Background()
		// Shop B has no VNPay account of its own: the environment's terminal is used.
		orderB, err := e.led.open(ctx, e.mB, e.shopB, 60000)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.svc.Pay(ctx, e.mB, orderB, payment.PayRequest{Method: payment.MethodVNPay, Amount: 60000}, "b", ok)
		if err != nil {
			t.Fatal(err)
		}
		q := vnpayQuery(res.Payment, "env-secret", func(v url.Values) { v.Set("vnp_TmnCode", "ENVDEF01") })
		if got := e.ipn(t, q); got != "00" {
			t.Fatalf("IPN on the default terminal: %s", got)
		}
		// VietQR needs the shop's bank account.
		_, err = e.svc.Pay(ctx, e.mB, orderB, payment.PayRequest{Method: payment.MethodVietQR, Amount: 1000}, "b", ok)
		wantKind(t, "VietQR without a bank account", err, apperr.Conflict)

		// Merchant B copies shop A1's terminal code with a secret of its own: it cannot sign for A1's payments.
		e.acc.set(e.mB, e.shopB, payment.ProviderVNPay, payment.Account{AccountRef: tmnCode,
			Secrets: map[string]string{payment.SecretVNPayHashSecret: "b-secret"}})
		order := e.order(t, 80000)
		p := e.pay(t, order, payment.PayRequest{Method: payment.MethodVNPay, Amount: 80000}).Payment
		if got := e.ipn(t, vnpayQuery(p, "b-secret", nil)); got != "97" {
			t.Fatalf("another merchant's secret: %s", got)
		}
		if e.paid(t, order) != 0 {
			t.Fatal("a foreign signature paid the order")
		}
		if got := e.ipn(t, vnpayQuery(p, vnpSecret, nil)); got != "00" {
			t.Fatalf("the shop's own IPN: %s", got)
		}
		// No account and no default: the method is refused before anything is written.
		e2 := newEnv(t, d)
		o2, _ := e2.led.open(ctx, e2.mB, e2.shopB, 1000)
		_, err = e2.svc.Pay(ctx, e2.mB, o2, payment.PayRequest{Method: payment.MethodZaloPay, Amount: 1000}, "b", ok)
		wantKind(t, "ZaloPay without an account", err, apperr.Conflict)
	})
}

func TestConcurrentCopiesOfABankWebhookRecordOneTransfer(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		order := e.order(t, 90000)
		p := e.pay(t, order, payment.PayRequest{Method: payment.MethodVietQR, Amount: 90000}).Payment
		raw, _ := json.Marshal(banktransfer.SePayBody{ID: "777", Gateway: "Vietcombank", TransactionDate: "2025-03-01 10:05:00",
			AccountNumber: bankNumber, Content: "IBFT " + p.Reference, TransferType: "in", TransferAmount: "90000", ReferenceCode: "FT1"})
		header := http.Header{"Authorization": {"Apikey " + bankKey}}
		var wg sync.WaitGroup
		errs := make(chan error, 6)
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- e.svc.HandleBankWebhook(context.Background(), raw, header)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("a copy failed: %v", err)
			}
		}
		if n := count(t, d, e.m, "SELECT COUNT(*) FROM bank_transfers"); n != 1 || e.paid(t, order) != 90000 ||
			count(t, d, e.m, "SELECT COUNT(*) FROM ledger_payments") != 1 {
			t.Fatalf("%d transfers, order paid %s", n, e.paid(t, order))
		}
	})
}
