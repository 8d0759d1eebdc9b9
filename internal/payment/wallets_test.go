package payment_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/payment"
	"github.com/goodgo/goodgo/internal/payment/momo"
	"github.com/goodgo/goodgo/internal/payment/momo/momosim"
	"github.com/goodgo/goodgo/internal/payment/shift"
	"github.com/goodgo/goodgo/internal/payment/wallet"
	"github.com/goodgo/goodgo/internal/payment/zalopay"
	"github.com/goodgo/goodgo/internal/payment/zalopay/zalopaysim"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// momoIPN is the IPN MoMo would send for p, signed with secret; change edits it before signing.
func momoIPN(p payment.Payment, secret string, change func(*momo.IPNBody)) []byte {
	b := momo.IPNBody{PartnerCode: momoPartner, OrderID: p.Reference, RequestID: "r1", Amount: json.Number(strconv.FormatInt(int64(p.Amount), 10)),
		OrderInfo: "x", OrderType: "momo_wallet", TransID: "2820000001", ResultCode: "0", Message: "ok", PayType: "qr",
		ResponseTime: "1740798000000", ExtraData: ""}
	if change != nil {
		change(&b)
	}
	b.Signature = momo.Sign(secret, b.RawSignature(momoAccess))
	raw, _ := json.Marshal(b)
	return raw
}

func TestMoMoPaymentsIPNsAndRefunds(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := ctxT(t)
		order := e.order(t, 120000)
		code, body := e.callJSON(t, "cashier", http.MethodPost, "/api/v1/orders/"+order+"/payments",
			map[string]any{"method": "momo", "amount": 120000, "return_url": "https://pos.example/done"})
		if code != http.StatusCreated || !strings.HasPrefix(body["payment_url"].(string), e.srv.URL+"/sim/momo/pay?") || body["deeplink"] == "" {
			t.Fatalf("create: %d %v", code, body)
		}
		p := decode[payment.Payment](t, body["payment"])
		if _, err := e.mo.Pay(p.Reference, momosim.Paid); err != nil {
			t.Fatal(err)
		}
		attempts, err := e.mo.WaitIPN(ctx, p.Reference)
		if err != nil || len(attempts) != 1 || attempts[0].Status != http.StatusNoContent {
			t.Fatalf("IPN: %+v, %v", attempts, err)
		}
		got := e.payment(t, p.ID)
		if got.Status != payment.StatusSucceeded || !got.Applied || got.ProviderRef == "" || e.paid(t, order) != 120000 {
			t.Fatalf("paid: %+v, order paid %s", got, e.paid(t, order))
		}
		for _, c := range []struct {
			name string
			body []byte
			want int
		}{
			{"replay", momoIPN(got, momoSecret, func(b *momo.IPNBody) { b.TransID = json.Number(got.ProviderRef) }), http.StatusNoContent},
			{"forged", momoIPN(got, "forged", nil), http.StatusUnauthorized},
			{"unknown partner", momoIPN(got, momoSecret, func(b *momo.IPNBody) { b.PartnerCode = "OTHER" }), http.StatusUnauthorized},
			{"wrong amount", momoIPN(got, momoSecret, func(b *momo.IPNBody) { b.Amount = "1000" }), http.StatusUnprocessableEntity},
			{"unknown order", momoIPN(got, momoSecret, func(b *momo.IPNBody) { b.OrderID = "GG" + strings.Repeat("B", 14) }), http.StatusNotFound},
			{"amount not an integer", momoIPN(got, momoSecret, func(b *momo.IPNBody) { b.Amount = "120000.5" }), http.StatusUnprocessableEntity},
			{"not JSON", []byte("amount=1"), http.StatusUnprocessableEntity},
		} {
			if st, raw := e.call(t, "", http.MethodPost, payment.PathMoMoIPN, c.body); st != c.want {
				t.Errorf("%s: %d %s, want %d", c.name, st, raw, c.want)
			}
		}
		if e.paid(t, order) != 120000 || count(t, d, e.m, "SELECT COUNT(*) FROM ledger_payments") != 1 {
			t.Fatalf("bad IPNs changed the order: paid %s", e.paid(t, order))
		}

		// Refund: the provider answers; then a refund whose answer is lost is resolved by reconciliation.
		r, err := e.svc.Refund(ctx, e.m, p.ID, 20000, "thiếu món", "manager-1", ok)
		if err != nil || r.Status != payment.RefundSucceeded || e.paid(t, order) != 100000 {
			t.Fatalf("refund: %+v, %v", r, err)
		}
		payment.SetBeforeCommit(e.svc, func(stage string) error {
			if stage == "refund-finish" {
				return errors.New("crash")
			}
			return nil
		})
		if r, err = e.svc.Refund(ctx, e.m, p.ID, 100000, "hủy đơn", "manager-1", ok); err != nil || r.Status != payment.RefundPending {
			t.Fatalf("refund with a lost answer: %+v, %v", r, err)
		}
		payment.SetBeforeCommit(e.svc, nil)
		e.clk.Advance(6 * time.Minute)
		if rep, err := e.svc.Reconcile(ctx); err != nil || rep.RefundsResolved != 1 {
			t.Fatalf("reconcile: %+v, %v", rep, err)
		}
		if sim, _ := e.mo.Payment(p.Reference); sim.Refunded != 120000 || e.payment(t, p.ID).Status != payment.StatusRefunded || e.paid(t, order) != 0 {
			t.Fatalf("MoMo refunded %s, payment %+v", sim.Refunded, e.payment(t, p.ID))
		}

		// A declined payment is recorded failed.
		order2 := e.order(t, 50000)
		declined := e.pay(t, order2, payment.PayRequest{Method: payment.MethodMoMo, Amount: 50000}).Payment
		if _, err := e.mo.Pay(declined.Reference, momosim.Declined); err != nil {
			t.Fatal(err)
		}
		if _, err := e.mo.WaitIPN(ctx, declined.Reference); err != nil {
			t.Fatal(err)
		}
		if got := e.payment(t, declined.ID); got.Status != payment.StatusFailed || got.FailureReason != payment.FailureDeclined {
			t.Fatalf("declined: %+v", got)
		}
		// MoMo's amount limits are checked before anything is written.
		_, err = e.svc.Pay(ctx, e.m, order2, payment.PayRequest{Method: payment.MethodMoMo, Amount: 500}, "cashier-1", ok)
		wantKind(t, "below MoMo's minimum", err, apperr.Invalid)
	})
}

func TestZaloPayPaymentsCallbacksAndRefunds(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := ctxT(t)
		order := e.order(t, 75000)
		res := e.pay(t, order, payment.PayRequest{Method: payment.MethodZaloPay, Amount: 75000, ReturnURL: "https://pos.example/zp"})
		if !strings.HasPrefix(res.PaymentURL, e.srv.URL+"/sim/zalopay/") {
			t.Fatalf("create: %+v", res)
		}
		p := res.Payment
		appTransID := zalopay.AppTransID(t0, p.Reference)
		back, err := e.zp.Pay(appTransID, zalopaysim.Paid)
		if err != nil {
			t.Fatal(err)
		}
		attempts, err := e.zp.WaitCallback(ctx, appTransID)
		if err != nil || len(attempts) != 1 {
			t.Fatalf("callback: %+v, %v", attempts, err)
		}
		got := e.payment(t, p.ID)
		if got.Status != payment.StatusSucceeded || !got.Applied || e.paid(t, order) != 75000 {
			t.Fatalf("paid: %+v", got)
		}
		// The browser's return shows what was recorded and goes to the return_url.
		u, _ := url.Parse(back)
		if st, _ := e.call(t, "", http.MethodGet, payment.PathZaloPayReturn+"?"+u.RawQuery, nil); st != http.StatusSeeOther {
			t.Fatalf("return: %d", st)
		}

		callback := func(key string, data map[string]any) []byte {
			raw, _ := json.Marshal(data)
			body, _ := json.Marshal(zalopay.CallbackBody{Data: string(raw), MAC: zalopay.MAC(key, string(raw)), Type: 1})
			return body
		}
		data := map[string]any{"app_id": zpAppID, "app_trans_id": appTransID, "app_time": 1, "app_user": "x", "amount": 75000,
			"embed_data": "{}", "item": "[]", "zp_trans_id": 250301000000099, "server_time": 1, "channel": 38}
		for _, c := range []struct {
			name string
			body []byte
			want int
		}{
			{"replay", callback(zpKey2, data), 1},
			{"forged", callback("forged", data), -1},
			{"wrong amount", callback(zpKey2, with(data, "amount", 1000)), 0},
			{"unknown order", callback(zpKey2, with(data, "app_trans_id", "250301_GG"+strings.Repeat("C", 14))), 0},
			{"fractional amount", callback(zpKey2, with(data, "amount", 75000.5)), 0},
			{"not JSON", []byte("{"), 0},
		} {
			st, body := e.callJSON(t, "", http.MethodPost, payment.PathZaloPayCallback, c.body)
			if st != http.StatusOK || body["return_code"] != float64(c.want) {
				t.Errorf("%s: %d %v, want return_code %d", c.name, st, body, c.want)
			}
		}
		if e.paid(t, order) != 75000 || count(t, d, e.m, "SELECT COUNT(*) FROM ledger_payments") != 1 {
			t.Fatalf("callbacks changed the order: paid %s", e.paid(t, order))
		}

		// ZaloPay answers a refund "processing": it stays pending until reconciliation reads it refunded.
		r, err := e.svc.Refund(ctx, e.m, p.ID, 75000, "khách hủy", "manager-1", ok)
		if err != nil || r.Status != payment.RefundPending || r.ProviderRef == "" || e.paid(t, order) != 0 {
			t.Fatalf("refund: %+v, %v, paid %s", r, err, e.paid(t, order))
		}
		e.clk.Advance(6 * time.Minute)
		if rep, err := e.svc.Reconcile(ctx); err != nil || rep.RefundsResolved != 1 {
			t.Fatalf("reconcile: %+v, %v", rep, err)
		}
		if got := e.payment(t, p.ID); got.Status != payment.StatusRefunded || got.Refunds[0].Status != payment.RefundSucceeded {
			t.Fatalf("refunded: %+v", got)
		}
	})
}

func with(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for key, val := range m {
		out[key] = val
	}
	out[k] = v
	return out
}

// shops is the merchant module as the wallet and shift packages ask it: every shop and terminal is live.
type shops struct{}

func (shops) CheckShop(context.Context, tenant.ID, string) error             { return nil }
func (shops) CheckTerminal(context.Context, tenant.ID, string, string) error { return nil }

func TestWalletAndDrawerMoveInThePaymentsTransaction(t *testing.T) {
	srcs := append([]migrate.Source{wallet.Migrations, shift.Migrations}, sources...)
	dbtest.Each(t, srcs, func(t *testing.T, d *db.DB) {
		var (
			wallets *wallet.Service
			drawer  *shift.Service
		)
		e := newEnv(t, d, func(e *env, _ *payment.Config, deps *payment.Deps) {
			wallets = wallet.New(d, e.clk, wallet.Options{Shops: shops{}})
			drawer = shift.New(d, e.clk, shops{}, nil)
			deps.Wallets, deps.Drawer = wallets, drawer
		})
		ctx := context.Background()
		w, err := wallets.Create(ctx, e.m, "0901234567", "Chị Lan")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wallets.TopUp(ctx, e.m, w.ID, wallet.TopUp{Amount: 100000, Method: "bank_transfer", ShopID: e.shop, Reference: "tu1"}, "cashier-1", ok); err != nil {
			t.Fatal(err)
		}
		if _, err := drawer.Open(ctx, e.m, e.shop, "cashier-1", "", 200000); err != nil {
			t.Fatal(err)
		}
		order := e.order(t, 150000)
		_, err = e.svc.Pay(ctx, e.m, order, payment.PayRequest{Method: payment.MethodWallet, Amount: 120000, WalletID: w.ID}, "cashier-1", ok)
		wantKind(t, "more than the wallet holds", err, apperr.Conflict)
		if e.paid(t, order) != 0 {
			t.Fatal("a refused wallet payment changed the order")
		}
		wp := e.pay(t, order, payment.PayRequest{Method: payment.MethodWallet, Amount: 100000, WalletID: w.ID}).Payment
		cp := e.pay(t, order, payment.PayRequest{Method: payment.MethodCash, Amount: 50000, Tendered: 100000}).Payment
		if bal, _ := wallets.Get(ctx, e.m, w.ID); bal.Balance != 0 || e.paid(t, order) != 150000 || cp.ShiftID == "" {
			t.Fatalf("wallet %+v, paid %s, cash payment %+v", bal, e.paid(t, order), cp)
		}
		cur, err := drawer.Current(ctx, e.m, e.shop, "cashier-1")
		if err != nil || cur.Summary.ExpectedCash != 250000 {
			t.Fatalf("drawer: %+v, %v", cur.Summary, err)
		}
		if _, err := e.svc.Refund(ctx, e.m, wp.ID, 30000, "đổi món", "manager-1", ok); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Refund(ctx, e.m, cp.ID, 50000, "khách không ăn", "cashier-1", ok); err != nil {
			t.Fatal(err)
		}
		bal, _ := wallets.Get(ctx, e.m, w.ID)
		cur, _ = drawer.Current(ctx, e.m, e.shop, "cashier-1")
		if bal.Balance != 30000 || cur.Summary.ExpectedCash != 200000 || e.paid(t, order) != 70000 {
			t.Fatalf("after refunds: wallet %s, drawer %s, paid %s", bal.Balance, cur.Summary.ExpectedCash, e.paid(t, order))
		}
		// Refunds happen before an order closes: once closed, the order refuses and nothing moves.
		e.pay(t, order, payment.PayRequest{Method: payment.MethodCash, Amount: 80000})
		if closed, err := e.led.close(ctx, e.m, order); err != nil || !closed {
			t.Fatalf("close: %v %v", closed, err)
		}
		_, err = e.svc.Refund(ctx, e.m, wp.ID, 1000, "late", "manager-1", ok)
		wantKind(t, "refund of a closed order", err, apperr.Conflict)
		if bal, _ := wallets.Get(ctx, e.m, w.ID); bal.Balance != 30000 || e.payment(t, wp.ID).Refunded != 30000 {
			t.Fatalf("a refused refund moved money: wallet %s", bal.Balance)
		}
	})
}
