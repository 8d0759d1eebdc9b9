package payment_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/goodgo/goodgo/internal/payment"
	"github.com/goodgo/goodgo/internal/payment/banktransfer"
	"github.com/goodgo/goodgo/internal/payment/vietqr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/money"
)

// transfer books an incoming transfer in the bank simulator and waits for its webhook; it returns the body.
func (e *env) transfer(t *testing.T, amount money.VND, note string) banktransfer.SePayBody {
	t.Helper()
	b, err := e.bank.Transfer(amount, note)
	if err != nil {
		t.Fatal(err)
	}
	attempts, err := e.bank.Wait(ctxT(t), string(b.ID))
	if err != nil || len(attempts) == 0 || attempts[len(attempts)-1].Status != http.StatusOK {
		t.Fatalf("webhook of %s: %+v, %v", b.ID, attempts, err)
	}
	return b
}

func (e *env) transfers(t *testing.T, status string) []map[string]any {
	t.Helper()
	code, body := e.callJSON(t, "manager", http.MethodGet, "/api/v1/shops/"+e.shop+"/bank-transfers?status="+status, nil)
	if code != http.StatusOK {
		t.Fatalf("list transfers: %d %v", code, body)
	}
	var out []map[string]any
	for _, it := range body["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

func TestVietQRPaymentsAreConfirmedByTheBankWebhook(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		order := e.order(t, 150000)
		res := e.pay(t, order, payment.PayRequest{Method: payment.MethodVietQR, Amount: 150000})
		code, err := vietqr.Parse(res.QRPayload)
		if err != nil || code.Payload.Amount != 150000 || code.Payload.Purpose != res.Payment.Reference ||
			code.Payload.BankBIN != bankBIN || code.Payload.Account != bankNumber || code.Payload.Static {
			t.Fatalf("QR payload %q: %+v, %v", res.QRPayload, code, err)
		}
		st, img := e.call(t, "cashier", http.MethodGet, "/api/v1/payments/"+res.Payment.ID+"/qr.png", nil)
		if st != http.StatusOK || !bytes.HasPrefix(img, []byte("\x89PNG")) {
			t.Fatalf("PNG: %d", st)
		}
		public := strings.TrimPrefix(res.PublicQRURL, e.srv.URL)
		if st, svg := e.call(t, "", http.MethodGet, public, nil); st != http.StatusOK || !bytes.Contains(svg, []byte("<svg")) {
			t.Fatalf("public SVG %s: %d", public, st)
		}
		if st, _ := e.call(t, "", http.MethodGet, "/api/v1/public/payments/"+strings.Repeat("0", 32)+"/qr.svg", nil); st != http.StatusNotFound {
			t.Fatalf("unknown token: %d", st)
		}

		// Bad key: 401, nothing kept.
		raw, _ := json.Marshal(banktransfer.SePayBody{ID: "1", Gateway: "Vietcombank", TransactionDate: "2025-03-01 10:05:00",
			AccountNumber: bankNumber, Content: res.Payment.Reference, TransferType: "in", TransferAmount: "150000"})
		if st, body := e.call(t, "", http.MethodPost, payment.PathBankWebhook, raw, "Authorization", "Apikey wrong"); st != http.StatusUnauthorized {
			t.Fatalf("bad key: %d %s", st, body)
		}
		if st, _ := e.call(t, "", http.MethodPost, payment.PathBankWebhook, raw); st != http.StatusUnauthorized {
			t.Fatalf("no key: %d", st)
		}
		fraction := bytes.Replace(raw, []byte(`"transferAmount":150000`), []byte(`"transferAmount":150000.5`), 1)
		if st, _ := e.call(t, "", http.MethodPost, payment.PathBankWebhook, fraction, "Authorization", "Apikey "+bankKey); st != http.StatusUnprocessableEntity {
			t.Fatalf("fractional amount: %d", st)
		}
		if n := count(t, d, e.m, "SELECT COUNT(*) FROM bank_transfers"); n != 0 || e.paid(t, order) != 0 {
			t.Fatalf("refused webhooks left %d transfers", n)
		}

		// The bank rewrites the note (case, spaces, its own text): still matched.
		note := "MBVCB.123 CT tu 0123 " + strings.ToLower(res.Payment.Reference[:8]) + " " + res.Payment.Reference[8:] + " thanh toan"
		b := e.transfer(t, 150000, note)
		got := e.payment(t, res.Payment.ID)
		if got.Status != payment.StatusSucceeded || !got.Applied || got.ProviderRef != "sepay:"+string(b.ID) || e.paid(t, order) != 150000 {
			t.Fatalf("matched: %+v, paid %s", got, e.paid(t, order))
		}
		if ts := e.transfers(t, "matched"); len(ts) != 1 || ts[0]["payment_id"] != res.Payment.ID {
			t.Fatalf("matched transfers: %v", ts)
		}
		// The same webhook again (the service retries): one transfer, paid once.
		again, _ := json.Marshal(b)
		if st, body := e.callJSON(t, "", http.MethodPost, payment.PathBankWebhook, again, "Authorization", "Apikey "+bankKey); st != http.StatusOK || body["success"] != true {
			t.Fatalf("replay: %d %v", st, body)
		}
		if n := count(t, d, e.m, "SELECT COUNT(*) FROM bank_transfers"); n != 1 || e.paid(t, order) != 150000 {
			t.Fatalf("replay: %d transfers, paid %s", n, e.paid(t, order))
		}
		if st, _ := e.call(t, "cashier", http.MethodGet, "/api/v1/payments/"+res.Payment.ID+"/qr.png", nil); st != http.StatusConflict {
			t.Fatalf("QR of a paid payment: %d", st)
		}
	})
}

func TestBankTransfersShortOverOrWithoutACodeWaitForAManager(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		// Short: 40,000 of 100,000 is a payment of its own; the intent waits for the other 60,000.
		order := e.order(t, 100000)
		intent := e.pay(t, order, payment.PayRequest{Method: payment.MethodVietQR, Amount: 100000}).Payment
		e.transfer(t, 40000, "thanh toan "+intent.Reference)
		if got := e.payment(t, intent.ID); got.Status != payment.StatusPending || got.Amount != 60000 || e.paid(t, order) != 40000 {
			t.Fatalf("after a short transfer: %+v, paid %s", got, e.paid(t, order))
		}
		partial := e.transfers(t, "partial")
		if len(partial) != 1 || partial[0]["payment_id"] == intent.ID {
			t.Fatalf("partial: %v", partial)
		}
		e.transfer(t, 60000, intent.Reference)
		if got := e.payment(t, intent.ID); got.Status != payment.StatusSucceeded || e.paid(t, order) != 100000 {
			t.Fatalf("the rest: %+v, paid %s", got, e.paid(t, order))
		}

		// Over: unmatched, nothing applied.
		order2 := e.order(t, 100000)
		over := e.pay(t, order2, payment.PayRequest{Method: payment.MethodVietQR, Amount: 50000}).Payment
		e.transfer(t, 70000, over.Reference)
		// No code, and money out.
		e.transfer(t, 20000, "chuyen tien an trua")
		if _, err := e.bank.Debit(10000, "rut tien"); err != nil {
			t.Fatal(err)
		}
		if e.paid(t, order2) != 0 || e.payment(t, over.ID).Status != payment.StatusPending {
			t.Fatal("an unmatched transfer changed the order")
		}
		unmatched := e.transfers(t, "unmatched")
		if len(unmatched) != 2 {
			t.Fatalf("unmatched: %v", unmatched)
		}
		var overID, noCodeID string
		for _, u := range unmatched {
			if u["amount"] == 70000.0 {
				overID = u["id"].(string)
			} else {
				noCodeID = u["id"].(string)
			}
		}

		// A manager assigns the 70,000: the pending intent holds 50,000 of the order, so cancel it first.
		assign := "/api/v1/bank-transfers/" + overID + "/assign"
		if st, _ := e.call(t, "cashier", http.MethodPost, assign, map[string]any{"order_id": order2}); st != http.StatusForbidden {
			t.Fatalf("a cashier assigns: %d", st)
		}
		if st, body := e.call(t, "manager", http.MethodPost, assign, map[string]any{"order_id": order2}); st != http.StatusConflict {
			t.Fatalf("assign over a hold: %d %s", st, body)
		}
		if st, _ := e.call(t, "cashier", http.MethodPost, "/api/v1/payments/"+over.ID+"/cancel", nil); st != http.StatusOK {
			t.Fatalf("cancel: %d", st)
		}
		st, body := e.callJSON(t, "manager", http.MethodPost, assign, map[string]any{"order_id": order2})
		if st != http.StatusOK || body["status"] != "assigned" || body["order_id"] != order2 || e.paid(t, order2) != 70000 {
			t.Fatalf("assign: %d %v, paid %s", st, body, e.paid(t, order2))
		}
		if st, _ := e.call(t, "manager", http.MethodPost, assign, map[string]any{"order_id": order2}); st != http.StatusConflict {
			t.Fatalf("assign twice: %d", st)
		}
		dismiss := "/api/v1/bank-transfers/" + noCodeID + "/dismiss"
		if st, _ := e.call(t, "manager", http.MethodPost, dismiss, map[string]any{"reason": ""}); st != http.StatusUnprocessableEntity {
			t.Fatalf("dismiss without a reason: %d", st)
		}
		st, body = e.callJSON(t, "manager", http.MethodPost, dismiss, map[string]any{"reason": "chuyển nhầm, đã trả lại"})
		if st != http.StatusOK || body["status"] != "dismissed" || body["note"] != "chuyển nhầm, đã trả lại" {
			t.Fatalf("dismiss: %d %v", st, body)
		}
		if st, _ := e.call(t, "manager", http.MethodPost, dismiss, map[string]any{"reason": "again"}); st != http.StatusConflict {
			t.Fatalf("dismiss twice: %d", st)
		}
		if st, _ := e.call(t, "owner-b", http.MethodPost, dismiss, map[string]any{"reason": "x"}); st != http.StatusNotFound {
			t.Fatalf("another merchant dismisses: %d", st)
		}
		if ignored := e.transfers(t, "ignored"); len(ignored) != 1 || ignored[0]["incoming"] != false {
			t.Fatalf("ignored: %v", ignored)
		}
	})
}
