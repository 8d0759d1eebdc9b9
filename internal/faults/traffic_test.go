//go:build faults

package faults

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/payment/banktransfer/banksim"
	"github.com/goodgo/goodgo/internal/payment/vnpay/vnpaysim"
	"github.com/goodgo/goodgo/internal/platform/money"
)

// The payment and order traffic of the kill scenarios: POS terminals taking orders and payments by cash,
// VNPay (through a VNPay simulator in this test process, so that it outlives GoodGo and keeps retrying its
// IPNs) and VietQR (through a bank simulator in this process delivering the bank's webhook), each request
// recorded with what the terminal saw.

// providers are the simulators that stand in for VNPay and the bank, outside the GoodGo process.
type providers struct {
	vnp     *vnpaysim.Sim
	vnpHTTP *httptest.Server
	bank    *banksim.Sim
	env     map[string]string
}

const (
	vnpTmnCode = "FAULTS01"
	vnpSecret  = "faults-vnpay-hash-secret-0123456789"
	bankAPIKey = "faults-bank-webhook-key-0123456789"
)

// newProviders starts the simulators for a GoodGo served at base; env is what GoodGo needs to use them.
func newProviders(t *testing.T, base string) *providers {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	vnp := vnpaysim.New(vnpaysim.Config{TmnCode: vnpTmnCode, HashSecret: vnpSecret, IPNURL: base + "/api/v1/payments/vnpay/ipn",
		RetryInterval: 250 * time.Millisecond, MaxAttempts: 600, HTTPClient: client})
	vnpHTTP := httptest.NewServer(vnp)
	bank := banksim.New(banksim.Config{WebhookURL: base + "/api/v1/payments/bank-transfer/webhook", APIKey: bankAPIKey,
		Bank: "VCB", AccountNumber: BankAccount, RetryInterval: 250 * time.Millisecond, MaxAttempts: 600, HTTPClient: client})
	t.Cleanup(func() {
		vnp.Close()
		bank.Close()
		vnpHTTP.Close()
	})
	return &providers{vnp: vnp, vnpHTTP: vnpHTTP, bank: bank, env: map[string]string{
		"GOODGO_VNPAY_TMN_CODE":       vnpTmnCode,
		"GOODGO_VNPAY_HASH_SECRET":    vnpSecret,
		"GOODGO_VNPAY_PAY_URL":        vnpHTTP.URL + "/paymentv2/vpcpay.html",
		"GOODGO_VNPAY_API_URL":        vnpHTTP.URL + "/merchant_webapi/api/transaction",
		"GOODGO_BANK_WEBHOOK_API_KEY": bankAPIKey,
	}}
}

type method string

const (
	cash   method = "cash"
	vnpay  method = "vnpay"
	vietqr method = "vietqr"
)

// step is one request of a flow and what the terminal saw of it.
type step struct {
	name   string
	verb   string
	path   string
	body   any
	key    string
	sent   time.Time
	got    time.Time // when the answer (or the error) came
	reply  Reply
	err    error // no answer: the outcome is unknown
	acked  bool  // a 2xx came back
	doubt  bool  // no answer or a 5xx: the outcome is unknown
	redone bool  // retried after the fault with the same key, and that answered 2xx
}

// done says the step took effect as far as the terminal knows (answered 2xx, first time or on retry).
func (s *step) done() bool { return s.acked || s.redone }

// flow is one order from opening to payment.
type flow struct {
	id      string
	method  method
	qty     int64
	amount  int64
	orderID string
	steps   []*step
	// After the payment step: the payment, and whether the provider was told the customer paid.
	paymentID  string
	reference  string
	providerOn bool
	transferID string
}

func (f *flow) step(name string) *step {
	for _, s := range f.steps {
		if s.name == name {
			return s
		}
	}
	return nil
}

// traffic runs terminals against a shop and keeps every flow.
type traffic struct {
	shop  *Shop
	prov  *providers
	close bool // cash flows close the order after paying

	mu    sync.Mutex
	flows []*flow
	seq   int

	acks      atomic.Int64 // 2xx answers
	providers atomic.Int64 // payments the providers were told about
	failures  atomic.Int64 // answers that were not 2xx or no answer
}

// newFlow registers a new flow of m.
func (tr *traffic) newFlow(m method) *flow {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.seq++
	f := &flow{id: fmt.Sprintf("%s-%03d-%d", m, tr.seq, time.Now().UnixNano()%100000), method: m, qty: int64(1 + tr.seq%3)}
	f.amount = f.qty * tr.shop.Price
	tr.flows = append(tr.flows, f)
	return f
}

// snapshot returns the flows so far.
func (tr *traffic) snapshot() []*flow {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]*flow(nil), tr.flows...)
}

// send runs one step of f with api and records it. It reports whether the step was acknowledged.
func (tr *traffic) send(ctx context.Context, api *API, f *flow, s *step) bool {
	tr.mu.Lock()
	f.steps = append(f.steps, s)
	tr.mu.Unlock()
	s.sent = time.Now()
	r, err := api.Do(ctx, s.verb, s.path, s.body, s.key)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	s.reply, s.err, s.got = r, err, time.Now()
	switch {
	case err != nil || r.Status >= 500:
		s.doubt = true
		tr.failures.Add(1)
	case r.Status/100 == 2:
		s.acked = true
		tr.acks.Add(1)
	default:
		tr.failures.Add(1)
	}
	return s.acked
}

// terminal runs flows of m until ctx ends. With stopOnDoubt it stops at the first step whose outcome it
// does not know (a terminal whose server died); otherwise it drops that flow and starts another.
func (tr *traffic) terminal(ctx context.Context, api *API, m method, stopOnDoubt bool) {
	for ctx.Err() == nil {
		f := tr.newFlow(m)
		if tr.run(ctx, api, f) {
			continue
		}
		if len(f.steps) == 0 {
			continue
		}
		last := f.steps[len(f.steps)-1]
		if stopOnDoubt && last.doubt {
			return
		}
		// A terminal that got no answer or an error waits before the next order, as the POS does: the
		// Retry-After it was given, else a quarter of a second (pacing, not synchronisation).
		wait := 250 * time.Millisecond
		if secs, err := strconv.Atoi(last.reply.Header.Get("Retry-After")); err == nil && secs > 0 {
			wait = time.Duration(secs) * time.Second
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

// run takes f as far as it goes; false when a step failed.
func (tr *traffic) run(ctx context.Context, api *API, f *flow) bool {
	open := &step{name: "open", verb: "POST", path: "/api/v1/shops/" + tr.shop.ShopID + "/orders",
		body: map[string]any{"type": "takeaway", "note": f.id}, key: f.id + "-open"}
	if !tr.send(ctx, api, f, open) {
		return false
	}
	tr.mu.Lock()
	f.orderID, _ = open.reply.JSON()["id"].(string)
	tr.mu.Unlock()
	if !tr.send(ctx, api, f, tr.lineStep(f)) {
		return false
	}
	pay := tr.payStep(f)
	if !tr.send(ctx, api, f, pay) {
		return false
	}
	tr.paid(f, pay.reply)
	switch f.method {
	case cash:
		if tr.close {
			return tr.send(ctx, api, f, tr.closeStep(f))
		}
	case vnpay:
		return tr.payAtVNPay(ctx, f)
	case vietqr:
		return tr.transfer(f)
	}
	return true
}

func (tr *traffic) lineStep(f *flow) *step {
	return &step{name: "line", verb: "POST", path: "/api/v1/orders/" + f.orderID + "/lines",
		body: map[string]any{"product_id": tr.shop.ProductID, "quantity": f.qty, "note": f.id}, key: f.id + "-line"}
}

func (tr *traffic) payStep(f *flow) *step {
	body := map[string]any{"method": string(f.method), "amount": f.amount}
	switch f.method {
	case cash:
		body["tendered"] = f.amount
	case vnpay:
		body["return_url"] = tr.shop.API.Base + "/pos"
	}
	return &step{name: "pay", verb: "POST", path: "/api/v1/orders/" + f.orderID + "/payments", body: body, key: f.id + "-pay"}
}

func (tr *traffic) closeStep(f *flow) *step {
	return &step{name: "close", verb: "POST", path: "/api/v1/orders/" + f.orderID + "/close", key: f.id + "-close"}
}

// paid notes the payment a pay step answered.
func (tr *traffic) paid(f *flow, r Reply) {
	p, _ := r.JSON()["payment"].(map[string]any)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	f.paymentID, _ = p["id"].(string)
	f.reference, _ = p["reference"].(string)
}

// payAtVNPay opens the pay page at the simulator (as the customer's browser does) and pays: the simulator
// then sends the IPN to GoodGo until it is answered.
func (tr *traffic) payAtVNPay(ctx context.Context, f *flow) bool {
	url, _ := f.step("pay").reply.JSON()["payment_url"].(string)
	if url == "" {
		return false
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return false
	}
	if _, err := tr.prov.vnp.Pay(f.reference, vnpaysim.Paid); err != nil {
		return false
	}
	tr.mu.Lock()
	f.providerOn = true
	tr.mu.Unlock()
	tr.providers.Add(1)
	return true
}

// transfer makes the customer's bank transfer with the payment's reference: the bank simulator then sends
// the webhook to GoodGo until it is answered 2xx.
func (tr *traffic) transfer(f *flow) bool {
	b, err := tr.prov.bank.Transfer(money.VND(f.amount), "CK "+f.reference+" thanh toan")
	if err != nil {
		return false
	}
	tr.mu.Lock()
	f.providerOn = true
	f.transferID = b.ID.String()
	tr.mu.Unlock()
	tr.providers.Add(1)
	return true
}

// retryDoubts sends every step whose outcome is unknown again, with its key, until it gets an answer that
// is not "still running" (409 while the first attempt's claim lives) nor a server error, and records it.
func (tr *traffic) retryDoubts(ctx context.Context, t *testing.T, api *API) {
	t.Helper()
	for _, f := range tr.snapshot() {
		for _, s := range f.steps {
			if !s.doubt {
				continue
			}
			var last Reply
			err := Poll(ctx, 150*time.Second, 250*time.Millisecond, func(ctx context.Context) (bool, string) {
				r, err := api.Do(ctx, s.verb, s.path, s.body, s.key)
				if err != nil {
					return false, err.Error()
				}
				last = r
				busy := r.Status == http.StatusConflict && strings.Contains(string(r.Body), "still being processed")
				return !busy && r.Status < 500, r.String()
			})
			if err != nil {
				t.Errorf("flow %s: retrying %s with its key: %v", f.id, s.name, err)
				continue
			}
			if last.Status/100 != 2 {
				t.Errorf("flow %s: the retried %s (same key) answered %s, want 2xx", f.id, s.name, last)
				continue
			}
			tr.mu.Lock()
			s.redone = true
			if s.name == "open" && f.orderID == "" {
				f.orderID, _ = last.JSON()["id"].(string)
			}
			tr.mu.Unlock()
			if s.name == "pay" {
				tr.paid(f, last)
			}
		}
	}
}

// waitProviders waits until every IPN and webhook the providers started has been answered for good (IPN
// 00/02, webhook 2xx) and fails the test for one that never was.
func (tr *traffic) waitProviders(ctx context.Context, t *testing.T) {
	t.Helper()
	for _, f := range tr.snapshot() {
		if !f.providerOn {
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		switch f.method {
		case vnpay:
			attempts, err := tr.prov.vnp.WaitIPN(wctx, f.reference)
			if err != nil || len(attempts) == 0 || !attempts[len(attempts)-1].Answer.Final() {
				t.Errorf("flow %s: VNPay IPN never answered for good: %v %+v", f.id, err, lastOf(attempts))
			}
		case vietqr:
			attempts, err := tr.prov.bank.Wait(wctx, f.transferID)
			if err != nil || len(attempts) == 0 || attempts[len(attempts)-1].Status/100 != 2 {
				t.Errorf("flow %s: bank webhook never answered 2xx: %v %+v", f.id, err, attempts)
			}
		}
		cancel()
	}
}

func lastOf(a []vnpaysim.Attempt) any {
	if len(a) == 0 {
		return "no attempt"
	}
	return a[len(a)-1]
}

// verify checks every flow against the server: what the terminal saw acknowledged is there, what it
// retried happened once, what the providers were answered "recorded" is recorded, and nothing is twice.
// It returns the orders that are paid (or closed) with their lines, for the stock check.
func (tr *traffic) verify(ctx context.Context, t *testing.T) map[string]Order {
	t.Helper()
	paid := map[string]Order{}
	for _, f := range tr.snapshot() {
		open := f.step("open")
		if f.orderID == "" {
			if open.done() {
				t.Errorf("flow %s: the order was acknowledged without an id: %s", f.id, open.reply)
			}
			continue
		}
		o, err := tr.shop.Order(ctx, f.orderID)
		if err != nil {
			t.Errorf("flow %s: acknowledged order %s is gone: %v", f.id, f.orderID, err)
			continue
		}
		var lines int
		for _, l := range o.Lines {
			if l.Note == f.id {
				lines++
			}
		}
		if ls := f.step("line"); ls != nil {
			switch {
			case ls.done() && lines != 1:
				t.Errorf("flow %s: %d lines for one acknowledged add (key %s)", f.id, lines, ls.key)
			case lines > 1:
				t.Errorf("flow %s: %d lines for one add whose outcome was unknown", f.id, lines)
			}
		}
		var succeeded int
		var sum int64
		for _, p := range o.Payments {
			if p.Status == "succeeded" {
				succeeded++
				sum += p.Amount
			}
		}
		if succeeded > 1 || o.Totals.Paid > o.Totals.Total {
			t.Errorf("flow %s: paid twice: %d succeeded payments, paid %d of %d", f.id, succeeded, o.Totals.Paid, o.Totals.Total)
		}
		ps := f.step("pay")
		switch {
		case ps == nil:
		case f.method == cash && ps.done():
			if succeeded != 1 || sum != f.amount {
				t.Errorf("flow %s: acknowledged cash payment of %d: %d succeeded payments summing %d", f.id, f.amount, succeeded, sum)
			}
		case f.method == vnpay && f.providerOn:
			if ipnAcked(tr.prov.vnp.IPNAttempts(f.reference)) && (succeeded != 1 || sum != f.amount) {
				t.Errorf("flow %s: VNPay IPN answered 00 but the order has %d succeeded payments summing %d", f.id, succeeded, sum)
			}
		case f.method == vietqr && f.providerOn:
			if webhookAcked(tr.prov.bank.Attempts(f.transferID)) && (succeeded != 1 || sum != f.amount) {
				t.Errorf("flow %s: bank webhook answered 2xx but the order has %d succeeded payments summing %d", f.id, succeeded, sum)
			}
		}
		if cs := f.step("close"); cs != nil && cs.done() && o.Status != "closed" {
			t.Errorf("flow %s: acknowledged close, order is %s", f.id, o.Status)
		}
		if o.Status == "paid" || o.Status == "closed" {
			paid[o.ID] = o
		}
	}
	return paid
}

// callbackRetries counts the provider callback attempts that got no final answer (and were retried).
func (tr *traffic) callbackRetries() int {
	var n int
	for _, f := range tr.snapshot() {
		switch {
		case f.method == vnpay && f.providerOn:
			for _, a := range tr.prov.vnp.IPNAttempts(f.reference) {
				if !a.Answer.Final() {
					n++
				}
			}
		case f.method == vietqr && f.providerOn:
			for _, a := range tr.prov.bank.Attempts(f.transferID) {
				if a.Status/100 != 2 {
					n++
				}
			}
		}
	}
	return n
}

func ipnAcked(attempts []vnpaysim.Attempt) bool {
	for _, a := range attempts {
		if a.Answer.RspCode == "00" {
			return true
		}
	}
	return false
}

func webhookAcked(attempts []banksim.Attempt) bool {
	for _, a := range attempts {
		if a.Status/100 == 2 {
			return true
		}
	}
	return false
}

// checkStock waits until the stock is the start level less the recipes of paid's lines, each line
// deducted exactly once (one sale movement per line, no other).
func checkStock(ctx context.Context, t *testing.T, shop *Shop, paid map[string]Order) {
	t.Helper()
	var want float64
	lines := map[string]bool{}
	for _, o := range paid {
		for _, l := range o.Lines {
			want += float64(l.Quantity * shop.RecipeGrams)
			lines[l.ID] = true
		}
	}
	want = float64(shop.StockGrams) - want
	err := Poll(ctx, 60*time.Second, 100*time.Millisecond, func(ctx context.Context) (bool, string) {
		got, err := shop.Stock(ctx)
		if err != nil {
			return false, err.Error()
		}
		return got == want, strconv.FormatFloat(got, 'f', -1, 64)
	})
	if err != nil {
		t.Errorf("stock after %d paid orders, want %v: %v", len(paid), want, err)
	}
	moves, err := shop.SaleMovements(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for line, n := range moves {
		if n != 1 || !lines[line] {
			t.Errorf("order line %s: %d sale movements (paid line: %v), want exactly one for a paid line", line, n, lines[line])
		}
	}
	for line := range lines {
		if moves[line] == 0 {
			t.Errorf("paid order line %s was never deducted", line)
		}
	}
}

// errorsIn lists the steps that got an answer matching bad, grouped by step, status, Retry-After and
// detail, for messages.
func errorsIn(flows []*flow, bad func(*step) bool) []string {
	counts := map[string]int{}
	var order []string
	for _, f := range flows {
		for _, s := range f.steps {
			if !bad(s) {
				continue
			}
			detail, _ := s.reply.JSON()["detail"].(string)
			k := fmt.Sprintf("%s: %d (Retry-After %q) %q, first answered at %s", s.name, s.reply.Status,
				s.reply.Header.Get("Retry-After"), detail, s.got.Format("15:04:05.000"))
			kk := fmt.Sprintf("%s %d %q %q", s.name, s.reply.Status, s.reply.Header.Get("Retry-After"), detail)
			if counts[kk] == 0 {
				order = append(order, kk+"\x00"+k)
			}
			counts[kk]++
		}
	}
	var out []string
	for _, o := range order {
		kk, k, _ := strings.Cut(o, "\x00")
		out = append(out, fmt.Sprintf("%d× %s", counts[kk], k))
	}
	return out
}
