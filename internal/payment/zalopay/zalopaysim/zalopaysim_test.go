package zalopaysim

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

	"github.com/goodgo/goodgo/internal/payment/zalopay"
	"github.com/goodgo/goodgo/internal/platform/clock"
)

const prefix = "/sim/zalopay"

// merchant verifies each callback with the real verifier and replies with the next code of its script.
type merchant struct {
	t      *testing.T
	client *zalopay.Client
	mu     sync.Mutex
	script []int
	got    []zalopay.Callback
}

func (m *merchant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	cb, err := m.client.VerifyCallback(body)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.t.Errorf("callback does not verify: %v (%s)", err, body)
		_ = json.NewEncoder(w).Encode(zalopay.ReplyFor(err))
		return
	}
	m.got = append(m.got, *cb)
	code := m.script[0]
	if len(m.script) > 1 {
		m.script = m.script[1:]
	}
	_ = json.NewEncoder(w).Encode(zalopay.CallbackReply{ReturnCode: code, ReturnMessage: "x"})
}

type env struct {
	sim      *Sim
	client   *zalopay.Client
	merchant *merchant
	browser  *http.Client
	clock    *clock.Fake
	endpoint string
}

func newEnv(t *testing.T, script []int, after func(time.Duration) <-chan time.Time) *env {
	t.Helper()
	e := &env{merchant: &merchant{t: t, script: script}, clock: clock.NewFake(time.Date(2024, 5, 20, 17, 30, 0, 0, time.UTC))}
	msrv := httptest.NewServer(e.merchant)
	t.Cleanup(msrv.Close)
	if after == nil {
		after = func(time.Duration) <-chan time.Time {
			c := make(chan time.Time, 1)
			c <- time.Time{}
			return c
		}
	}
	e.sim = New(Config{AppID: 2553, Key1: "k1", Key2: "k2", CallbackURL: msrv.URL + "/cb/zalopay", After: after, Clock: e.clock})
	t.Cleanup(e.sim.Close)
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", http.StripPrefix(prefix, e.sim))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.endpoint = srv.URL + prefix
	var err error
	e.client, err = zalopay.New(zalopay.Config{AppID: 2553, Key1: "k1", Key2: "k2", Endpoint: e.endpoint, Clock: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	e.merchant.client = e.client
	e.browser = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e
}

func (e *env) create(t *testing.T, ref string) *zalopay.CreateResult {
	t.Helper()
	res, err := e.client.Create(context.Background(), zalopay.CreateRequest{Ref: ref, AppUser: "goodgo", Amount: 75000,
		Description: "Thanh toán bàn 7", RedirectURL: "https://shop.example/zp/return"})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (e *env) wait(t *testing.T, id string) []Attempt {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := e.sim.WaitCallback(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestBrowserPaysThroughThePage(t *testing.T) {
	e := newEnv(t, []int{1}, nil)
	res := e.create(t, "GG1")
	if res.AppTransID != "240521_GG1" {
		t.Fatalf("app_trans_id %s", res.AppTransID)
	}
	resp, err := e.browser.Get(res.OrderURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "Thanh toán") || strings.Contains(string(page), "<script") {
		t.Fatalf("page %d %s", resp.StatusCode, page)
	}
	token := regexp.MustCompile(`name="t" value="([0-9a-f]+)"`).FindSubmatch(page)[1]
	resp, err = e.browser.PostForm(strings.Split(res.OrderURL, "?")[0], url.Values{"t": {string(token)}, "action": {"pay"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Host != "shop.example" || loc.Query().Get("apptransid") != "240521_GG1" ||
		loc.Query().Get("status") != "1" {
		t.Fatalf("redirect %d %s", resp.StatusCode, loc)
	}
	a := e.wait(t, "240521_GG1")
	if len(a) != 1 || a[0].Reply.ReturnCode != 1 {
		t.Fatalf("attempts %+v", a)
	}
	cb := e.merchant.got[0]
	o, _ := e.sim.Order("240521_GG1")
	if cb.AppTransID != "240521_GG1" || cb.Amount != 75000 || cb.ZPTransID != o.ZPTransID || cb.ZPTransID/1_000_000_000 != 240521 {
		t.Fatalf("callback %+v, order %+v", cb, o)
	}
	q, err := e.client.Query(context.Background(), "240521_GG1")
	if err != nil || !q.Paid() || q.ZPTransID != cb.ZPTransID || q.Amount != 75000 {
		t.Fatalf("query %+v %v", q, err)
	}
}

func TestCallbackRetriesUpTo3Times(t *testing.T) {
	e := newEnv(t, []int{0, -1, 2, 1}, nil)
	e.create(t, "GG2")
	if _, err := e.sim.Pay("240521_GG2", Paid); err != nil {
		t.Fatal(err)
	}
	a := e.wait(t, "240521_GG2")
	if len(a) != 4 || a[3].Reply.ReturnCode != 1 {
		t.Fatalf("attempts %+v", a)
	}
	e2 := newEnv(t, []int{0}, nil)
	e2.create(t, "GG3")
	_, _ = e2.sim.Pay("240521_GG3", Paid)
	if a := e2.wait(t, "240521_GG3"); len(a) != 4 {
		t.Fatalf("%d attempts, want the first and 3 retries", len(a))
	}
}

func TestCloseStopsRetries(t *testing.T) {
	waiting := make(chan struct{}, 1)
	e := newEnv(t, []int{0}, func(time.Duration) <-chan time.Time {
		waiting <- struct{}{}
		return make(chan time.Time)
	})
	e.create(t, "GG4")
	_, _ = e.sim.Pay("240521_GG4", Paid)
	<-waiting
	e.sim.Close()
	a, err := e.sim.WaitCallback(context.Background(), "240521_GG4")
	if err != nil || len(a) != 1 {
		t.Fatalf("after Close %+v %v", a, err)
	}
	if _, err := e.sim.Pay("240521_GG4", Paid); !errors.Is(err, ErrClosed) {
		t.Fatal(err)
	}
}

func TestCancelledOrderHasNoCallback(t *testing.T) {
	e := newEnv(t, []int{1}, nil)
	e.create(t, "GG5")
	ret, err := e.sim.Pay("240521_GG5", Cancelled)
	if err != nil || !strings.Contains(ret, "status=-49") {
		t.Fatalf("redirect %s %v", ret, err)
	}
	if _, err := e.sim.WaitCallback(context.Background(), "240521_GG5"); !errors.Is(err, ErrNoCallback) {
		t.Fatalf("callback for a cancelled order: %v", err)
	}
	q, err := e.client.Query(context.Background(), "240521_GG5")
	if err != nil || q.ReturnCode != zalopay.ReturnFailed {
		t.Fatalf("query %+v %v", q, err)
	}
	if _, err := e.sim.Pay("240521_GG5", Paid); !errors.Is(err, ErrNotPending) {
		t.Fatal(err)
	}
}

func TestCreateChecks(t *testing.T) {
	e := newEnv(t, []int{1}, nil)
	ctx := context.Background()
	e.create(t, "GG6")
	if _, err := e.client.Create(ctx, zalopay.CreateRequest{Ref: "GG6", AppUser: "u", Amount: 1000, Description: "d"}); err == nil {
		t.Fatal("duplicate app_trans_id accepted")
	}
	// A client whose clock says yesterday writes a stale yymmdd_ prefix: refused.
	stale, _ := zalopay.New(zalopay.Config{AppID: 2553, Key1: "k1", Key2: "k2", Endpoint: e.endpoint,
		Clock: clock.NewFake(e.clock.Now().Add(-24 * time.Hour))})
	_, err := stale.Create(ctx, zalopay.CreateRequest{Ref: "GG7", AppUser: "u", Amount: 1000, Description: "d"})
	var apiErr *zalopay.APIError
	if !errors.As(err, &apiErr) || apiErr.SubReturnCode != subBadDate {
		t.Fatalf("stale date: %v", err)
	}
	wrong, _ := zalopay.New(zalopay.Config{AppID: 2553, Key1: "bad", Key2: "k2", Endpoint: e.endpoint, Clock: e.clock})
	_, err = wrong.Create(ctx, zalopay.CreateRequest{Ref: "GG8", AppUser: "u", Amount: 1000, Description: "d"})
	if !errors.As(err, &apiErr) || apiErr.SubReturnCode != subBadMAC {
		t.Fatalf("wrong key1: %v", err)
	}
}

func TestRefunds(t *testing.T) {
	e := newEnv(t, []int{1}, nil)
	ctx := context.Background()
	e.create(t, "GG9")
	_, _ = e.sim.Pay("240521_GG9", Paid)
	e.wait(t, "240521_GG9")
	o, _ := e.sim.Order("240521_GG9")
	res, err := e.client.Refund(ctx, zalopay.RefundRequest{Ref: "RF1", ZPTransID: o.ZPTransID, Amount: 25000, Description: "tra mon"})
	if err != nil || res.ReturnCode != zalopay.ReturnProcessing || res.MRefundID != "240521_2553_RF1" {
		t.Fatalf("refund %+v %v", res, err)
	}
	code, err := e.client.QueryRefund(ctx, res.MRefundID)
	if err != nil || code != zalopay.ReturnSuccess {
		t.Fatalf("query refund %d %v", code, err)
	}
	for name, r := range map[string]zalopay.RefundRequest{
		"duplicate id":  {Ref: "RF1", ZPTransID: o.ZPTransID, Amount: 1000, Description: "x"},
		"over amount":   {Ref: "RF2", ZPTransID: o.ZPTransID, Amount: 50001, Description: "x"},
		"unknown order": {Ref: "RF3", ZPTransID: 1, Amount: 1000, Description: "x"},
	} {
		if _, err := e.client.Refund(ctx, r); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if code, err := e.client.QueryRefund(ctx, "240521_2553_NOPE"); err != nil || code != zalopay.ReturnFailed {
		t.Fatalf("unknown refund: %d %v", code, err)
	}
}
