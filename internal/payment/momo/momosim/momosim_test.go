package momosim

import (
	"context"
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

	"github.com/goodgo/goodgo/internal/payment/momo"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
)

const prefix = "/sim/momo"

// merchant verifies each IPN with the real verifier and answers the next status of its script.
type merchant struct {
	t      *testing.T
	client *momo.Client
	mu     sync.Mutex
	script []int
	got    []momo.Notification
}

func (m *merchant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	n, err := m.client.VerifyIPN(body)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.t.Errorf("IPN does not verify: %v (%s)", err, body)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	m.got = append(m.got, *n)
	status := m.script[0]
	if len(m.script) > 1 {
		m.script = m.script[1:]
	}
	w.WriteHeader(status)
}

type env struct {
	sim      *Sim
	client   *momo.Client
	merchant *merchant
	ipnURL   string
	endpoint string
	browser  *http.Client
	clock    *clock.Fake
}

func newEnv(t *testing.T, script []int, after func(time.Duration) <-chan time.Time) *env {
	t.Helper()
	e := &env{merchant: &merchant{t: t, script: script}, clock: clock.NewFake(time.Date(2024, 5, 21, 2, 0, 0, 0, time.UTC))}
	msrv := httptest.NewServer(e.merchant)
	t.Cleanup(msrv.Close)
	e.ipnURL = msrv.URL + "/ipn/momo"
	if after == nil {
		after = func(time.Duration) <-chan time.Time {
			c := make(chan time.Time, 1)
			c <- time.Time{}
			return c
		}
	}
	e.sim = New(Config{PartnerCode: "MOMOSIM", AccessKey: "AK", SecretKey: "SK", MaxAttempts: 3, After: after, Clock: e.clock})
	t.Cleanup(e.sim.Close)
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", http.StripPrefix(prefix, e.sim))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.endpoint = srv.URL + prefix
	var err error
	e.client, err = momo.New(momo.Config{PartnerCode: "MOMOSIM", AccessKey: "AK", SecretKey: "SK", Endpoint: e.endpoint})
	if err != nil {
		t.Fatal(err)
	}
	e.merchant.client = e.client
	e.browser = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e
}

func (e *env) create(t *testing.T, orderID string) *momo.CreateResult {
	t.Helper()
	res, err := e.client.Create(context.Background(), momo.CreateRequest{OrderID: orderID, Amount: 120000,
		OrderInfo: "Thanh toán bàn 5", RedirectURL: "https://shop.example/momo/return?x=1", IPNURL: e.ipnURL, ExtraData: "e30="})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (e *env) wait(t *testing.T, orderID string) []Attempt {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := e.sim.WaitIPN(ctx, orderID)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestBrowserPaysThroughThePage(t *testing.T) {
	e := newEnv(t, []int{http.StatusNoContent}, nil)
	res := e.create(t, "GG-1")
	if !strings.Contains(res.PayURL, prefix+"/pay?t=") {
		t.Fatalf("payUrl %s does not point at the simulator's page", res.PayURL)
	}
	resp, err := e.browser.Get(res.PayURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "Thanh toán") || strings.Contains(string(page), "<script") {
		t.Fatalf("page %d: %s", resp.StatusCode, page)
	}
	token := regexp.MustCompile(`name="t" value="([0-9a-f]+)"`).FindSubmatch(page)[1]
	resp, err = e.browser.PostForm(strings.Split(res.PayURL, "?")[0], url.Values{"t": {string(token)}, "action": {"pay"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Host != "shop.example" || loc.Query().Get("x") != "1" {
		t.Fatalf("redirect %d %s", resp.StatusCode, loc)
	}
	n, err := e.client.VerifyRedirect(loc.Query())
	if err != nil {
		t.Fatalf("redirect does not verify: %v", err)
	}
	if !n.Paid() || n.Amount != 120000 || n.OrderID != "GG-1" || n.ExtraData != "e30=" || n.TransID == 0 {
		t.Fatalf("redirect notification %+v", n)
	}
	if a := e.wait(t, "GG-1"); len(a) != 1 || a[0].Status != 204 {
		t.Fatalf("attempts %+v", a)
	}
	if got := e.merchant.got; len(got) != 1 || got[0] != *n {
		t.Fatalf("IPN %+v, want %+v", got, n)
	}
	// The page cannot be used twice.
	resp, _ = e.browser.Get(res.PayURL)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("reused page: %d", resp.StatusCode)
	}
}

func TestIPNRetriesUntil204(t *testing.T) {
	e := newEnv(t, []int{500, 200, 204}, nil)
	e.create(t, "GG-2")
	if _, err := e.sim.Pay("GG-2", Paid); err != nil {
		t.Fatal(err)
	}
	a := e.wait(t, "GG-2")
	if len(a) != 3 || a[0].Status != 500 || a[1].Status != 200 || a[1].Err == "" || a[2].Status != 204 {
		t.Fatalf("attempts %+v", a)
	}
}

func TestIPNGivesUpAfterMaxAttempts(t *testing.T) {
	e := newEnv(t, []int{500}, nil)
	e.create(t, "GG-3")
	_, _ = e.sim.Pay("GG-3", Paid)
	if a := e.wait(t, "GG-3"); len(a) != 3 {
		t.Fatalf("%d attempts, want 3", len(a))
	}
}

func TestCloseStopsRetries(t *testing.T) {
	waiting := make(chan struct{}, 1)
	e := newEnv(t, []int{500}, func(time.Duration) <-chan time.Time {
		waiting <- struct{}{}
		return make(chan time.Time)
	})
	e.create(t, "GG-4")
	_, _ = e.sim.Pay("GG-4", Paid)
	<-waiting
	e.sim.Close()
	a, err := e.sim.WaitIPN(context.Background(), "GG-4")
	if err != nil || len(a) != 1 {
		t.Fatalf("after Close %+v %v", a, err)
	}
	if _, err := e.sim.Pay("GG-4", Paid); !errors.Is(err, ErrClosed) {
		t.Fatal(err)
	}
}

func TestDeclinedPaymentAndQuery(t *testing.T) {
	e := newEnv(t, []int{204}, nil)
	ctx := context.Background()
	e.create(t, "GG-5")
	q, err := e.client.Query(ctx, "GG-5", "")
	if err != nil || !q.Pending() {
		t.Fatalf("query before paying %+v %v", q, err)
	}
	ret, err := e.sim.Pay("GG-5", Declined)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(ret)
	n, err := e.client.VerifyRedirect(u.Query())
	if err != nil || n.Paid() || n.ResultCode != momo.ResultUserDeclined {
		t.Fatalf("declined redirect %+v %v", n, err)
	}
	e.wait(t, "GG-5")
	q, err = e.client.Query(ctx, "GG-5", "")
	if err != nil || q.Paid() || q.ResultCode != momo.ResultUserDeclined {
		t.Fatalf("query %+v %v", q, err)
	}
	if _, err := e.client.Query(ctx, "GG-404", ""); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("unknown order: %v", err)
	}
	if _, err := e.sim.Pay("GG-5", Paid); !errors.Is(err, ErrNotPending) {
		t.Fatal(err)
	}
}

func TestCreateChecks(t *testing.T) {
	e := newEnv(t, []int{204}, nil)
	ctx := context.Background()
	e.create(t, "GG-6")
	_, err := e.client.Create(ctx, momo.CreateRequest{OrderID: "GG-6", Amount: 120000, OrderInfo: "x",
		RedirectURL: "https://shop.example/r", IPNURL: e.ipnURL})
	if !errors.Is(err, &momo.APIError{Code: momo.ResultDuplicateOrderID}) || !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("duplicate orderId: %v", err)
	}
	wrong, _ := momo.New(momo.Config{PartnerCode: "MOMOSIM", AccessKey: "AK", SecretKey: "wrong", Endpoint: e.endpoint})
	_, err = wrong.Create(ctx, momo.CreateRequest{OrderID: "GG-7", Amount: 120000, OrderInfo: "x",
		RedirectURL: "https://shop.example/r", IPNURL: e.ipnURL})
	if !errors.Is(err, &momo.APIError{Code: momo.ResultAuthFailed}) {
		t.Fatalf("wrong secret: %v", err)
	}
}

func TestRefunds(t *testing.T) {
	e := newEnv(t, []int{204}, nil)
	ctx := context.Background()
	e.create(t, "GG-8")
	_, _ = e.sim.Pay("GG-8", Paid)
	e.wait(t, "GG-8")
	p, _ := e.sim.Payment("GG-8")
	rf, err := e.client.Refund(ctx, momo.RefundRequest{OrderID: "GG-8-RF1", TransID: p.TransID, Amount: 20000, Description: "trả món"})
	if err != nil || rf.Amount != 20000 || rf.TransID == p.TransID {
		t.Fatalf("refund %+v %v", rf, err)
	}
	_, err = e.client.Refund(ctx, momo.RefundRequest{OrderID: "GG-8-RF2", TransID: p.TransID, Amount: 100001})
	if !errors.Is(err, &momo.APIError{Code: momo.ResultRefundRejected}) {
		t.Fatalf("over-refund: %v", err)
	}
	_, err = e.client.Refund(ctx, momo.RefundRequest{OrderID: "GG-8-RF1", TransID: p.TransID, Amount: 1000})
	if !errors.Is(err, &momo.APIError{Code: momo.ResultDuplicateOrderID}) {
		t.Fatalf("reused refund orderId: %v", err)
	}
	if _, err = e.client.Refund(ctx, momo.RefundRequest{OrderID: "GG-8-RF3", TransID: p.TransID, Amount: 100000}); err != nil {
		t.Fatalf("refund of the rest: %v", err)
	}
	if got, _ := e.sim.Payment("GG-8"); got.Refunded != 120000 {
		t.Fatalf("refunded %d", got.Refunded)
	}
	e.create(t, "GG-9")
	_, _ = e.sim.Pay("GG-9", Declined)
	p9, _ := e.sim.Payment("GG-9")
	_, err = e.client.Refund(ctx, momo.RefundRequest{OrderID: "GG-9-RF1", TransID: p9.TransID, Amount: 1000})
	if !errors.Is(err, &momo.APIError{Code: momo.ResultRefundIneligible}) {
		t.Fatalf("refund of a declined payment: %v", err)
	}
}
