package payment_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/payment"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

func count(t testing.TB, d *db.DB, m tenant.ID, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.ReadTx(context.Background(), m, func(tx *sql.Tx) error {
		return tx.QueryRow(query, args...).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func wantKind(t testing.TB, what string, err error, k apperr.Kind) {
	t.Helper()
	if apperr.KindOf(err) != k {
		t.Fatalf("%s: got %v (kind %v), want kind %v", what, err, apperr.KindOf(err), k)
	}
}

func TestCashPaymentsGiveChangeAndNeverExceedWhatIsDue(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		order := e.order(t, 100000)
		res := e.pay(t, order, payment.PayRequest{Method: payment.MethodCash, Amount: 60000, Tendered: 100000})
		if res.Change != 40000 || res.Payment.Amount != 60000 || res.Payment.Status != payment.StatusSucceeded ||
			!res.Payment.Applied || res.Payment.ShiftID != "drawer" || len(res.Payment.Reference) != payment.ReferenceLen {
			t.Fatalf("first payment: %+v", res)
		}
		if res = e.pay(t, order, payment.PayRequest{Method: payment.MethodCash, Amount: 40000}); res.Change != 0 {
			t.Fatalf("exact payment: %+v", res)
		}
		for name, r := range map[string]payment.PayRequest{
			"zero":               {Method: payment.MethodCash},
			"negative":           {Method: payment.MethodCash, Amount: -5000},
			"tendered too small": {Method: payment.MethodCash, Amount: 50000, Tendered: 20000},
			"unknown method":     {Method: "bitcoin", Amount: 1000},
			"wallet without id":  {Method: payment.MethodWallet, Amount: 1000},
		} {
			_, err := e.svc.Pay(ctx, e.m, order, r, "cashier-1", ok)
			wantKind(t, name, err, apperr.Invalid)
		}
		_, err := e.svc.Pay(ctx, e.m, order, payment.PayRequest{Method: payment.MethodCash, Amount: 1000}, "cashier-1", ok)
		wantKind(t, "paying more than due", err, apperr.Conflict)
		_, err = e.svc.Pay(ctx, e.m, order, payment.PayRequest{Method: payment.MethodCash, Amount: 1}, "x", notHere)
		wantKind(t, "another shop's order", err, apperr.NotFound)
		_, err = e.svc.Pay(ctx, e.m, db.NewID(), payment.PayRequest{Method: payment.MethodCash, Amount: 1}, "x", ok)
		wantKind(t, "unknown order", err, apperr.NotFound)
		if n := count(t, d, e.m, "SELECT COUNT(*) FROM payments"); n != 2 {
			t.Errorf("%d payments stored, want the two that were taken", n)
		}
		if cash, _ := e.led.drawer(ctx, e.m); cash != 100000 || e.paid(t, order) != 100000 {
			t.Errorf("drawer %s, order paid %s; want both 100,000", cash, e.paid(t, order))
		}
	})
}

func TestPendingIntentsHoldTheirAmountUntilSettledCancelledOrExpired(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		order := e.order(t, 100000)
		qr := e.pay(t, order, payment.PayRequest{Method: payment.MethodVietQR, Amount: 70000})
		if qr.Payment.Status != payment.StatusPending || qr.Payment.ExpiresAt == nil || qr.QRPayload == "" {
			t.Fatalf("intent: %+v", qr)
		}
		_, err := e.svc.Pay(ctx, e.m, order, payment.PayRequest{Method: payment.MethodCash, Amount: 40000}, "cashier-1", ok)
		wantKind(t, "cash over what the intent leaves", err, apperr.Conflict)
		_, err = e.svc.Pay(ctx, e.m, order, payment.PayRequest{Method: payment.MethodVNPay, Amount: 30001}, "cashier-1", ok)
		wantKind(t, "a second intent over what is left", err, apperr.Conflict)
		e.pay(t, order, payment.PayRequest{Method: payment.MethodCash, Amount: 30000})
		_, err = e.svc.Pay(ctx, e.m, order, payment.PayRequest{Method: payment.MethodVNPay, Amount: 1000}, "cashier-1", ok)
		wantKind(t, "everything is paid or held", err, apperr.Conflict)

		// Cancelling releases the hold; a cancelled intent cannot be cancelled again.
		if p, err := e.svc.Cancel(ctx, e.m, qr.Payment.ID, "cashier-1", ok); err != nil || p.Status != payment.StatusFailed ||
			p.FailureReason != payment.FailureCancelled {
			t.Fatalf("cancel: %+v, %v", p, err)
		}
		_, err = e.svc.Cancel(ctx, e.m, qr.Payment.ID, "cashier-1", ok)
		wantKind(t, "cancel twice", err, apperr.Conflict)
		second := e.pay(t, order, payment.PayRequest{Method: payment.MethodVietQR, Amount: 70000})

		// An expired intent holds nothing any more.
		e.clk.Advance(16 * time.Minute)
		if _, err := e.svc.Pay(ctx, e.m, order, payment.PayRequest{Method: payment.MethodCash, Amount: 70000}, "cashier-1", ok); err != nil {
			t.Fatalf("cash after the intent expired: %v", err)
		}
		rep, err := e.svc.Reconcile(ctx)
		if err != nil || rep.Expired != 1 {
			t.Fatalf("reconcile: %+v, %v", rep, err)
		}
		if p := e.payment(t, second.Payment.ID); p.Status != payment.StatusFailed || p.FailureReason != payment.FailureExpired {
			t.Fatalf("expired intent: %+v", p)
		}
		if e.paid(t, order) != 100000 {
			t.Fatalf("order paid %s", e.paid(t, order))
		}
	})
}

func TestPaymentsOverHTTP(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		order := e.order(t, 185000)
		path := "/api/v1/orders/" + order + "/payments"
		code, body := e.callJSON(t, "cashier", http.MethodPost, path, map[string]any{"method": "cash", "amount": 100000, "tendered": 200000})
		p, _ := body["payment"].(map[string]any)
		if code != http.StatusCreated || body["change"] != 100000.0 || p["status"] != "succeeded" || p["method"] != "cash" ||
			p["amount"] != 100000.0 || p["order_id"] != order {
			t.Fatalf("cash: %d %v", code, body)
		}
		for name, c := range map[string]struct {
			token string
			body  any
			want  int
		}{
			"waiter may not take payments": {"waiter", map[string]any{"method": "cash", "amount": 1000}, http.StatusForbidden},
			"another merchant":             {"owner-b", map[string]any{"method": "cash", "amount": 1000}, http.StatusNotFound},
			"anonymous":                    {"", map[string]any{"method": "cash", "amount": 1000}, http.StatusUnauthorized},
			"money is whole dong":          {"cashier", []byte(`{"method":"cash","amount":1000.5}`), http.StatusUnprocessableEntity},
			"money as a string":            {"cashier", []byte(`{"method":"cash","amount":"1000"}`), http.StatusUnprocessableEntity},
			"unknown method":               {"cashier", map[string]any{"method": "cheque", "amount": 1000}, http.StatusUnprocessableEntity},
			"more than due":                {"cashier", map[string]any{"method": "cash", "amount": 90000}, http.StatusConflict},
		} {
			if code, body := e.call(t, c.token, http.MethodPost, path, c.body); code != c.want {
				t.Errorf("%s: %d %s, want %d", name, code, body, c.want)
			}
		}
		code, body = e.callJSON(t, "cashier", http.MethodPost, path, map[string]any{"method": "vietqr", "amount": 85000})
		if code != http.StatusCreated || body["qr_payload"] == "" || body["qr_image_url"] == "" {
			t.Fatalf("vietqr: %d %v", code, body)
		}
		qrID := body["payment"].(map[string]any)["id"].(string)
		code, body = e.callJSON(t, "waiter", http.MethodGet, path, nil)
		items, _ := body["items"].([]any)
		if code != http.StatusOK || len(items) != 2 {
			t.Fatalf("list: %d %v", code, body)
		}
		code, body = e.callJSON(t, "cashier", http.MethodGet, "/api/v1/payments/"+qrID, nil)
		if code != http.StatusOK || body["status"] != "pending" || body["method"] != "vietqr" {
			t.Fatalf("get: %d %v", code, body)
		}
		if code, _ := e.call(t, "owner-b", http.MethodGet, "/api/v1/payments/"+qrID, nil); code != http.StatusNotFound {
			t.Fatalf("another merchant's payment: %d", code)
		}
		code, body = e.callJSON(t, "cashier", http.MethodPost, "/api/v1/payments/"+qrID+"/cancel", nil)
		if code != http.StatusOK || body["status"] != "failed" || body["failure_reason"] != "cancelled" {
			t.Fatalf("cancel: %d %v", code, body)
		}
	})
}

// decode turns a JSON value into T.
func decode[T any](t testing.TB, v any) T {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
