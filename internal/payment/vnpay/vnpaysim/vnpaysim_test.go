package vnpaysim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/payment/vnpay"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/money"
)

const (
	tmn    = "GOODGO01"
	secret = "sim-secret"
	prefix = "/sim/vnpay"
)

// merchant is the test's IPN endpoint: it verifies each IPN with the real verifier and answers the next code
// of its script (the last code repeats).
type merchant struct {
	t      *testing.T
	client *vnpay.Client
	mu     sync.Mutex
	script []vnpay.RspCode
	got    []vnpay.Notification
}

func (m *merchant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n, err := m.client.Verify(r.URL.Query())
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.t.Errorf("IPN does not verify: %v (%s)", err, r.URL.RawQuery)
		_ = json.NewEncoder(w).Encode(vnpay.AnswerFor(err))
		return
	}
	m.got = append(m.got, *n)
	code := m.script[0]
	if len(m.script) > 1 {
		m.script = m.script[1:]
	}
	_ = json.NewEncoder(w).Encode(vnpay.Answer(code))
}

func (m *merchant) notifications() []vnpay.Notification {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]vnpay.Notification(nil), m.got...)
}

type env struct {
	sim      *Sim
	client   *vnpay.Client
	merchant *merchant
	clock    *clock.Fake
	browser  *http.Client
	waits    chan time.Duration // every interval the retry loop waited for
	base     string             // the simulator's URL, prefix included
}

// immediate is an After that fires at once and reports the interval asked for.
func immediate(waits chan time.Duration) func(time.Duration) <-chan time.Time {
	return func(d time.Duration) <-chan time.Time {
		waits <- d
		c := make(chan time.Time, 1)
		c <- time.Time{}
		return c
	}
}

func newEnv(t *testing.T, script []vnpay.RspCode, after func(chan time.Duration) func(time.Duration) <-chan time.Time) *env {
	t.Helper()
	e := &env{clock: clock.NewFake(time.Date(2024, 5, 21, 2, 0, 0, 0, time.UTC)), waits: make(chan time.Duration, 100)}
	e.merchant = &merchant{t: t, script: script}
	merchantSrv := httptest.NewServer(e.merchant)
	t.Cleanup(merchantSrv.Close)

	if after == nil {
		after = immediate
	}
	e.sim = New(Config{TmnCode: tmn, HashSecret: secret, IPNURL: merchantSrv.URL + "/ipn/vnpay", MaxAttempts: 4,
		RetryInterval: 7 * time.Millisecond, After: after(e.waits), Clock: e.clock})
	t.Cleanup(e.sim.Close)
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", http.StripPrefix(prefix, e.sim))
	simSrv := httptest.NewServer(mux)
	t.Cleanup(simSrv.Close)

	e.base = simSrv.URL + prefix
	var err error
	e.client, err = vnpay.New(vnpay.Config{TmnCode: tmn, HashSecret: secret, Clock: e.clock,
		PayURL: e.base + "/paymentv2/vpcpay.html", APIURL: e.base + "/merchant_webapi/api/transaction"})
	if err != nil {
		t.Fatal(err)
	}
	e.merchant.client = e.client
	e.browser = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e
}

func payRequest(ref string) vnpay.PayRequest {
	return vnpay.PayRequest{TxnRef: ref, Amount: 185000, OrderInfo: "Thanh toán bàn 5", IPAddr: "203.0.113.7",
		ReturnURL: "https://shop.example/pay/return?o=" + ref}
}

// open GETs the pay URL like a browser and returns the page.
func (e *env) open(t *testing.T, ref string) (status int, page string) {
	t.Helper()
	u, err := e.client.PayURL(payRequest(ref))
	if err != nil {
		t.Fatal(err)
	}
	return e.get(t, u)
}

func (e *env) get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := e.browser.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *env) wait(t *testing.T, ref string) []Attempt {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := e.sim.WaitIPN(ctx, ref)
	if err != nil {
		t.Fatalf("WaitIPN: %v", err)
	}
	return a
}

func TestBrowserPaysThroughThePage(t *testing.T) {
	e := newEnv(t, []vnpay.RspCode{vnpay.RspConfirmSuccess}, nil)
	status, page := e.open(t, "GG-1")
	if status != http.StatusOK || !strings.Contains(page, "Thanh toán") || !strings.Contains(page, "Hủy") ||
		!strings.Contains(page, "9704198526191432198") || strings.Contains(page, "<script") {
		t.Fatalf("pay page %d:\n%s", status, page)
	}
	action := regexp.MustCompile(`<form method="post" action="([^"]+)"`).FindStringSubmatch(page)[1]
	token := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(page)[1]
	u, _ := e.client.PayURL(payRequest("GG-1"))
	formURL, _ := url.Parse(u)
	formURL, _ = formURL.Parse(action)
	resp, err := e.browser.PostForm(formURL.String(), url.Values{"vnp_TxnRef": {"GG-1"}, "token": {token}, "action": {"pay"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("form answer %d", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc.Host != "shop.example" || loc.Query().Get("o") != "GG-1" {
		t.Fatalf("redirect to %s", loc)
	}
	n, err := e.client.Verify(loc.Query())
	if err != nil {
		t.Fatalf("return URL does not verify: %v", err)
	}
	if !n.Paid() || n.Amount != 185000 || n.TxnRef != "GG-1" || n.TransactionNo == "" || n.TransactionNo == "0" {
		t.Fatalf("return notification %+v", n)
	}
	if !n.PayDate.Equal(e.clock.Now()) {
		t.Fatalf("PayDate %v, want %v", n.PayDate, e.clock.Now())
	}
	attempts := e.wait(t, "GG-1")
	if len(attempts) != 1 || attempts[0].Answer.RspCode != "00" || attempts[0].Status != 200 {
		t.Fatalf("attempts %+v", attempts)
	}
	if got := e.merchant.notifications(); len(got) != 1 || got[0] != *n {
		t.Fatalf("IPN %+v, want the return's %+v", got, n)
	}
}

func TestIPNRetriesUntilConfirmed(t *testing.T) {
	e := newEnv(t, []vnpay.RspCode{vnpay.RspUnknownError, vnpay.RspOrderNotFound, vnpay.RspConfirmSuccess}, nil)
	e.open(t, "GG-2")
	if _, err := e.sim.Pay("GG-2", Paid); err != nil {
		t.Fatal(err)
	}
	attempts := e.wait(t, "GG-2")
	var codes []string
	for i, a := range attempts {
		codes = append(codes, string(a.Answer.RspCode))
		if a.N != i+1 {
			t.Errorf("attempt %d numbered %d", i+1, a.N)
		}
	}
	if got := strings.Join(codes, ","); got != "99,01,00" {
		t.Fatalf("answers %s, want 99,01,00", got)
	}
	if n := len(e.waits); n != 2 {
		t.Fatalf("waited %d times between 3 attempts, want 2", n)
	}
	if d := <-e.waits; d != 7*time.Millisecond {
		t.Fatalf("waited %v, want the configured 7ms", d)
	}
	if n := e.merchant.notifications(); len(n) != 3 || n[0] != n[2] {
		t.Fatalf("retries must resend the same IPN: %+v", n)
	}
}

func TestIPNStopsOnAlreadyConfirmed(t *testing.T) {
	e := newEnv(t, []vnpay.RspCode{vnpay.RspAlreadyConfirmed, vnpay.RspUnknownError}, nil)
	e.open(t, "GG-3")
	if _, err := e.sim.Pay("GG-3", Paid); err != nil {
		t.Fatal(err)
	}
	if a := e.wait(t, "GG-3"); len(a) != 1 || a[0].Answer.RspCode != "02" {
		t.Fatalf("attempts %+v", a)
	}
}

func TestIPNGivesUpAfterMaxAttempts(t *testing.T) {
	e := newEnv(t, []vnpay.RspCode{vnpay.RspInvalidAmount}, nil)
	e.open(t, "GG-4")
	if _, err := e.sim.Pay("GG-4", Paid); err != nil {
		t.Fatal(err)
	}
	if a := e.wait(t, "GG-4"); len(a) != 4 {
		t.Fatalf("%d attempts, want MaxAttempts = 4", len(a))
	}
}

func TestIPNRetriesOnNonJSONAndErrorStatus(t *testing.T) {
	e := newEnv(t, []vnpay.RspCode{vnpay.RspConfirmSuccess}, nil)
	var calls int
	var mu sync.Mutex
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		switch n {
		case 1:
			http.Error(w, "boom", http.StatusInternalServerError)
		case 2:
			_, _ = io.WriteString(w, "OK")
		default:
			e.merchant.ServeHTTP(w, r)
		}
	}))
	defer bad.Close()
	e.sim.cfg.IPNURL = bad.URL
	e.open(t, "GG-5")
	if _, err := e.sim.Pay("GG-5", Paid); err != nil {
		t.Fatal(err)
	}
	a := e.wait(t, "GG-5")
	if len(a) != 3 || a[0].Status != 500 || a[0].Err == "" || a[1].Err == "" || a[2].Answer.RspCode != "00" {
		t.Fatalf("attempts %+v", a)
	}
}

func TestCloseStopsRetries(t *testing.T) {
	waiting := make(chan time.Duration, 1)
	never := func(chan time.Duration) func(time.Duration) <-chan time.Time {
		return func(d time.Duration) <-chan time.Time {
			waiting <- d
			return make(chan time.Time) // never fires: only Close ends the wait
		}
	}
	e := newEnv(t, []vnpay.RspCode{vnpay.RspUnknownError}, never)
	e.open(t, "GG-6")
	if _, err := e.sim.Pay("GG-6", Paid); err != nil {
		t.Fatal(err)
	}
	<-waiting // the first attempt is recorded and the loop waits to retry
	e.sim.Close()
	a, err := e.sim.WaitIPN(context.Background(), "GG-6")
	if err != nil || len(a) != 1 || a[0].Answer.RspCode != "99" {
		t.Fatalf("after Close: %+v, %v", a, err)
	}
	if _, err := e.sim.Pay("GG-6", Paid); !errors.Is(err, ErrClosed) {
		t.Fatalf("Pay after Close: %v", err)
	}
}

func TestCancelledPaymentIsReportedUnpaid(t *testing.T) {
	e := newEnv(t, []vnpay.RspCode{vnpay.RspConfirmSuccess}, nil)
	e.open(t, "GG-7")
	ret, err := e.sim.Pay("GG-7", Cancelled)
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.client.VerifyQuery(ret[strings.Index(ret, "?")+1:])
	if err != nil {
		t.Fatal(err)
	}
	if n.Paid() || n.ResponseCode != "24" || n.TransactionStatus != "02" || n.TransactionNo != "0" {
		t.Fatalf("cancelled: %+v", n)
	}
	e.wait(t, "GG-7")
	if _, err := e.sim.Pay("GG-7", Paid); !errors.Is(err, ErrNotPending) {
		t.Fatalf("second Pay: %v", err)
	}
	if _, err := e.sim.Pay("nope", Paid); !errors.Is(err, ErrUnknownTxn) {
		t.Fatalf("unknown Pay: %v", err)
	}
}

func TestPayPageRejectsBadRequests(t *testing.T) {
	e := newEnv(t, []vnpay.RspCode{vnpay.RspConfirmSuccess}, nil)
	good, _ := e.client.PayURL(payRequest("GG-8"))
	tampered := strings.Replace(good, "vnp_Amount=18500000", "vnp_Amount=100", 1)
	other, _ := vnpay.New(vnpay.Config{TmnCode: "OTHER001", HashSecret: secret, PayURL: e.base + "/paymentv2/vpcpay.html"})
	otherURL, _ := other.PayURL(payRequest("GG-8"))
	withType := good + "&vnp_SecureHashType=HmacSHA512"
	expired := payRequest("GG-9")
	expired.CreatedAt = e.clock.Now().Add(-time.Hour)
	expiredURL, _ := e.client.PayURL(expired)
	for _, tt := range []struct{ name, url, code string }{
		{"tampered", tampered, "97"},
		{"other terminal", otherURL, "02"},
		{"hash type in 2.1.0", withType, "03"},
		{"expired", expiredURL, "11"},
	} {
		status, page := e.get(t, tt.url)
		if status != http.StatusBadRequest || !strings.Contains(page, `data-code="`+tt.code+`"`) {
			t.Errorf("%s: %d %s", tt.name, status, page)
		}
	}
	// A reload of a pending payment shows the page again; a completed one is refused.
	if s, _ := e.get(t, good); s != 200 {
		t.Fatalf("first open %d", s)
	}
	if s, _ := e.get(t, good); s != 200 {
		t.Fatalf("reload %d", s)
	}
	_, _ = e.sim.Pay("GG-8", Paid)
	e.wait(t, "GG-8")
	if s, page := e.get(t, good); s != http.StatusBadRequest || !strings.Contains(page, `data-code="01"`) {
		t.Fatalf("reopen of a paid txn: %d", s)
	}
	// A form post without the page's token is refused.
	resp, err := e.browser.PostForm(strings.Split(good, "?")[0], url.Values{"vnp_TxnRef": {"GG-8"}, "token": {"x"}, "action": {"pay"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("form without token: %d", resp.StatusCode)
	}
}

func TestQueryDRAgainstSimulator(t *testing.T) {
	e := newEnv(t, []vnpay.RspCode{vnpay.RspConfirmSuccess}, nil)
	e.open(t, "GG-10")
	ctx := context.Background()
	q := vnpay.QueryRequest{TxnRef: "GG-10", TransactionDate: e.clock.Now(), IPAddr: "10.0.0.1"}
	tx, err := e.client.QueryDR(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if tx.Paid() || tx.TransactionStatus != "01" || tx.Amount != 185000 {
		t.Fatalf("pending: %+v", tx)
	}
	ret, _ := e.sim.Pay("GG-10", Paid)
	e.wait(t, "GG-10")
	tx, err = e.client.QueryDR(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := e.client.VerifyQuery(ret[strings.Index(ret, "?")+1:])
	if !tx.Paid() || tx.TransactionNo != n.TransactionNo || !tx.PayDate.Equal(n.PayDate) {
		t.Fatalf("paid: %+v", tx)
	}

	q.RequestID = "dup-1"
	if _, err := e.client.QueryDR(ctx, q); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.QueryDR(ctx, q); !errors.Is(err, vnpay.ErrDuplicateRequest) {
		t.Fatalf("duplicate request: %v", err)
	}
	q.RequestID = ""
	for name, edit := range map[string]func(*vnpay.QueryRequest){
		"unknown ref": func(q *vnpay.QueryRequest) { q.TxnRef = "GG-404" },
		"wrong date":  func(q *vnpay.QueryRequest) { q.TransactionDate = q.TransactionDate.Add(time.Second) },
	} {
		qq := q
		edit(&qq)
		if _, err := e.client.QueryDR(ctx, qq); !errors.Is(err, vnpay.ErrTxnNotFound) {
			t.Errorf("%s: %v", name, err)
		}
	}
	wrong, _ := vnpay.New(vnpay.Config{TmnCode: tmn, HashSecret: "wrong", APIURL: e.base + "/merchant_webapi/api/transaction"})
	if _, err := wrong.QueryDR(ctx, q); !errors.Is(err, vnpay.ErrChecksum) {
		t.Errorf("wrong secret: %v", err)
	}
}

func TestRefundAgainstSimulator(t *testing.T) {
	e := newEnv(t, []vnpay.RspCode{vnpay.RspConfirmSuccess}, nil)
	ctx := context.Background()
	created := e.clock.Now()
	e.open(t, "GG-11")
	ret, _ := e.sim.Pay("GG-11", Paid)
	n, _ := e.client.VerifyQuery(ret[strings.Index(ret, "?")+1:])
	refund := func(amount int64, partial bool) error {
		_, err := e.client.Refund(ctx, vnpay.RefundRequest{TxnRef: "GG-11", Amount: money.VND(amount), Partial: partial,
			TransactionNo: n.TransactionNo, TransactionDate: created, CreateBy: "quan ly", IPAddr: "10.0.0.1"})
		return err
	}
	if err := refund(200000, true); !isCode(err, "03") {
		t.Fatalf("refund above the payment: %v", err)
	}
	if err := refund(100000, false); !isCode(err, "03") {
		t.Fatalf("full refund of part: %v", err)
	}
	tx, err := e.client.Refund(ctx, vnpay.RefundRequest{TxnRef: "GG-11", Amount: 85000, Partial: true,
		TransactionDate: created, CreateBy: "quan ly", IPAddr: "10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if tx.Amount != 85000 || tx.TransactionType != vnpay.TypePartialRefund || tx.TransactionStatus != "05" {
		t.Fatalf("partial refund %+v", tx)
	}
	if err := refund(100000, false); err != nil {
		t.Fatalf("refund of the rest: %v", err)
	}
	if got, _ := e.sim.Transaction("GG-11"); got.Refunded != 185000 {
		t.Fatalf("refunded %d", got.Refunded)
	}
	if err := refund(1000, true); !errors.Is(err, vnpay.ErrDuplicateRequest) {
		t.Fatalf("refund of a refunded payment: %v", err)
	}

	e.open(t, "GG-12")
	_, _ = e.sim.Pay("GG-12", Cancelled)
	_, err = e.client.Refund(ctx, vnpay.RefundRequest{TxnRef: "GG-12", Amount: 185000, TransactionDate: created,
		CreateBy: "quan ly", IPAddr: "10.0.0.1"})
	if !errors.Is(err, vnpay.ErrRefundRefused) {
		t.Fatalf("refund of a cancelled payment: %v", err)
	}
}

func isCode(err error, code string) bool {
	var e *vnpay.APIError
	return errors.As(err, &e) && e.Code == code
}
