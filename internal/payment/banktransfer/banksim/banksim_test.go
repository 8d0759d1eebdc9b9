package banksim

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/payment/banktransfer"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/money"
)

var secrets = banktransfer.Secrets{APIKey: "shop-key", SignatureKey: "sig-key"}

// receiver parses each webhook with the real provider and answers the next status of its script.
type receiver struct {
	t      *testing.T
	mu     sync.Mutex
	script []int
	got    []banktransfer.Transfer
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	tr, err := banktransfer.SePay{}.Parse(raw, r.Header, secrets)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err != nil {
		rc.t.Errorf("webhook refused: %v (%s)", err, raw)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	rc.got = append(rc.got, tr)
	status := rc.script[0]
	if len(rc.script) > 1 {
		rc.script = rc.script[1:]
	}
	w.WriteHeader(status)
}

func newSim(t *testing.T, script []int, after func(time.Duration) <-chan time.Time) (*Sim, *receiver) {
	t.Helper()
	rc := &receiver{t: t, script: script}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	if after == nil {
		after = func(time.Duration) <-chan time.Time {
			c := make(chan time.Time, 1)
			c <- time.Time{}
			return c
		}
	}
	s := New(Config{WebhookURL: srv.URL + "/webhooks/bank/sepay", APIKey: secrets.APIKey, SignatureKey: secrets.SignatureKey,
		MaxAttempts: 3, After: after, Clock: clock.NewFake(time.Date(2024, 5, 21, 2, 0, 0, 0, time.UTC))})
	t.Cleanup(s.Close)
	return s, rc
}

func wait(t *testing.T, s *Sim, id string) []Attempt {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := s.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestTransferPostsSignedWebhook(t *testing.T) {
	s, rc := newSim(t, []int{200}, nil)
	b, err := s.Transfer(185000, "MBVCB.123.GG7K2QX9.CT tu 0071000 toi")
	if err != nil {
		t.Fatal(err)
	}
	if a := wait(t, s, string(b.ID)); len(a) != 1 || a[0].Status != 200 {
		t.Fatalf("attempts %+v", a)
	}
	got := rc.got[0]
	if got.ID != string(b.ID) || got.Amount != 185000 || !got.Incoming || got.Content != "MBVCB.123.GG7K2QX9.CT tu 0071000 toi" ||
		got.AccountNumber != "0071000123456" || got.Bank != "Vietcombank" ||
		!got.At.Equal(time.Date(2024, 5, 21, 9, 0, 0, 0, clock.VietnamZone)) {
		t.Fatalf("transfer %+v", got)
	}
	d, err := s.Debit(5000, "phi")
	if err != nil {
		t.Fatal(err)
	}
	wait(t, s, string(d.ID))
	if rc.got[1].Incoming || d.ID == b.ID {
		t.Fatalf("debit %+v", rc.got[1])
	}
}

func TestRetriesOnNon2xx(t *testing.T) {
	s, rc := newSim(t, []int{500, 404, 204}, nil)
	b, _ := s.Transfer(1000, "GG1")
	a := wait(t, s, string(b.ID))
	if len(a) != 3 || a[0].Status != 500 || a[1].Status != 404 || a[2].Status != 204 || a[2].Err != "" {
		t.Fatalf("attempts %+v", a)
	}
	if len(rc.got) != 3 || rc.got[0].ID != rc.got[2].ID {
		t.Fatalf("retries must resend the same transfer: %+v", rc.got)
	}
	s2, _ := newSim(t, []int{503}, nil)
	b2, _ := s2.Transfer(1000, "GG2")
	if a := wait(t, s2, string(b2.ID)); len(a) != 3 {
		t.Fatalf("%d attempts, want MaxAttempts 3", len(a))
	}
}

func TestCloseStopsRetries(t *testing.T) {
	waiting := make(chan struct{}, 1)
	s, _ := newSim(t, []int{500}, func(time.Duration) <-chan time.Time {
		waiting <- struct{}{}
		return make(chan time.Time)
	})
	b, _ := s.Transfer(1000, "GG3")
	<-waiting
	s.Close()
	a, err := s.Wait(context.Background(), string(b.ID))
	if err != nil || len(a) != 1 {
		t.Fatalf("after Close %+v %v", a, err)
	}
	if _, err := s.Transfer(1000, "x"); !errors.Is(err, ErrClosed) {
		t.Fatal(err)
	}
}

func TestTransferValidates(t *testing.T) {
	s, _ := newSim(t, []int{200}, nil)
	if _, err := s.Transfer(0, "x"); !errors.Is(err, ErrInvalidAmount) {
		t.Fatal(err)
	}
	if _, err := s.Transfer(1, strings.Repeat("x", 256)); !errors.Is(err, ErrContentTooLong) {
		t.Fatal(err)
	}
	if _, err := s.Wait(context.Background(), "nope"); !errors.Is(err, ErrUnknownID) {
		t.Fatal(err)
	}
	if _, err := New(Config{}).Transfer(money.VND(1), "x"); !errors.Is(err, ErrNoWebhookURL) {
		t.Fatal(err)
	}
}

func TestHandTransferPage(t *testing.T) {
	s, rc := newSim(t, []int{200}, nil)
	mux := http.NewServeMux()
	mux.Handle("/sim/bank/", http.StripPrefix("/sim/bank", s))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/sim/bank/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `action="transfers"`) || strings.Contains(string(page), "<script") {
		t.Fatalf("page %d %s", resp.StatusCode, page)
	}
	resp, err = http.PostForm(srv.URL+"/sim/bank/transfers", url.Values{"amount": {"250000"}, "content": {"GG9 thanh toan"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("form %d", resp.StatusCode)
	}
	wait(t, s, "92701")
	if len(rc.got) != 1 || rc.got[0].Amount != 250000 {
		t.Fatalf("got %+v", rc.got)
	}
	resp, _ = http.PostForm(srv.URL+"/sim/bank/transfers", url.Values{"amount": {"12.5"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("fractional amount: %d", resp.StatusCode)
	}
}
