// Package banksim is a bank-statement webhook service (SePay style) that runs in-process, for tests, demos
// and local development: Transfer books money into the simulated shop account and POSTs the webhook to
// Config.WebhookURL with "Authorization: Apikey <key>" and, when a signature key is set, X-Signature
// computed with package banktransfer's own Sign. A delivery is retried while the answer is not 2xx, up to
// Config.MaxAttempts times Config.RetryInterval apart; Close stops every retry loop.
//
// As an http.Handler (mount it under any prefix with http.StripPrefix) it serves a small page to send a
// transfer by hand: GET {prefix}/ and POST {prefix}/transfers.
package banksim

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goodgo/goodgo/internal/payment/banktransfer"
	"github.com/goodgo/goodgo/internal/payment/simkit"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/money"
)

// Defaults of the retry loop (SePay's own policy is not researched: these are ours).
const (
	DefaultRetryInterval = time.Minute
	DefaultMaxAttempts   = 5
)

// Config sets up the simulated account and its webhook.
type Config struct {
	// WebhookURL receives the POSTs.
	WebhookURL string
	// APIKey goes out as "Authorization: Apikey <APIKey>"; SignatureKey, when set, signs X-Signature.
	APIKey       string
	SignatureKey string
	// Bank (the "gateway") and AccountNumber name the shop's account; defaults Vietcombank, 0071000123456.
	Bank          string
	AccountNumber string
	// RetryInterval separates attempts; 0 means DefaultRetryInterval.
	RetryInterval time.Duration
	// MaxAttempts bounds the attempts of one webhook; 0 means DefaultMaxAttempts.
	MaxAttempts int
	// After waits between attempts; nil means time.After. Tests inject a channel they control.
	After func(time.Duration) <-chan time.Time
	// Clock stamps transactionDate; nil means the system clock.
	Clock clock.Clock
	// HTTPClient sends the webhooks; nil means a client with a 30-second timeout.
	HTTPClient *http.Client
}

// Attempt is one webhook delivery attempt.
type Attempt struct {
	N  int
	At time.Time
	// Status is the HTTP status of the answer, 0 when none came; 2xx ends the retries.
	Status int
	Err    string
}

// Errors of the programmatic API.
var (
	ErrClosed         = errors.New("banksim: closed")
	ErrUnknownID      = errors.New("banksim: unknown transfer")
	ErrInvalidAmount  = errors.New("banksim: amount must be above 0")
	ErrNoWebhookURL   = errors.New("banksim: no webhook URL configured")
	ErrContentTooLong = errors.New("banksim: content over 255 characters")
)

// Sim is the simulated service; it is an http.Handler.
type Sim struct {
	cfg      Config
	clock    clock.Clock
	webhooks *simkit.Courier[Attempt] // by transfer id
	mux      *http.ServeMux

	mu      sync.Mutex
	nextID  int64
	balance money.VND
}

// New returns a simulator for cfg.
func New(cfg Config) *Sim {
	s := &Sim{cfg: cfg, clock: cfg.Clock, nextID: 92700}
	if s.cfg.Bank == "" {
		s.cfg.Bank = "Vietcombank"
	}
	if s.cfg.AccountNumber == "" {
		s.cfg.AccountNumber = "0071000123456"
	}
	if s.clock == nil {
		s.clock = clock.System{}
	}
	s.webhooks = simkit.NewCourier[Attempt](simkit.Config{Interval: cfg.RetryInterval, DefaultInterval: DefaultRetryInterval,
		MaxAttempts: cfg.MaxAttempts, DefaultMaxAttempts: DefaultMaxAttempts, After: cfg.After, Client: cfg.HTTPClient,
		Timeout: 30 * time.Second})
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /{$}", s.page)
	s.mux.HandleFunc("POST /transfers", s.form)
	return s
}

// ServeHTTP serves the hand-transfer page (paths relative to where it is mounted).
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close stops every retry loop, aborts deliveries in flight and waits for them.
func (s *Sim) Close() { s.webhooks.Close() }

// Transfer books an incoming transfer of amount with the payer's note content and starts its webhook. It
// returns the webhook body (its ID is the dedupe key). Errors: ErrInvalidAmount, ErrClosed, ErrNoWebhookURL.
func (s *Sim) Transfer(amount money.VND, content string) (banktransfer.SePayBody, error) {
	return s.book("in", amount, content)
}

// Debit books an outgoing transfer (transferType "out"), which the payment module must ignore.
func (s *Sim) Debit(amount money.VND, content string) (banktransfer.SePayBody, error) {
	return s.book("out", amount, content)
}

func (s *Sim) book(direction string, amount money.VND, content string) (banktransfer.SePayBody, error) {
	if amount <= 0 {
		return banktransfer.SePayBody{}, ErrInvalidAmount
	}
	if len(content) > 255 {
		return banktransfer.SePayBody{}, ErrContentTooLong
	}
	if s.cfg.WebhookURL == "" {
		return banktransfer.SePayBody{}, ErrNoWebhookURL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.webhooks.Closed() {
		return banktransfer.SePayBody{}, ErrClosed
	}
	s.nextID++
	if direction == "in" {
		s.balance += amount
	} else {
		s.balance -= amount
	}
	now := s.clock.Now().In(clock.VietnamZone)
	id := strconv.FormatInt(s.nextID, 10)
	b := banktransfer.SePayBody{ID: json.Number(id), Gateway: s.cfg.Bank,
		TransactionDate: now.Format(banktransfer.SePayDateLayout), AccountNumber: s.cfg.AccountNumber, Content: content,
		TransferType: direction, TransferAmount: json.Number(strconv.FormatInt(int64(amount), 10)),
		Accumulated: json.Number(strconv.FormatInt(int64(s.balance), 10)), ReferenceCode: "FT" + now.Format("060102") + id,
		Description: "BankAPINotify " + content}
	raw, _ := json.Marshal(b)
	s.webhooks.Start(id, func(n int) (Attempt, bool) {
		a := s.attempt(n, raw)
		return a, a.Status/100 == 2
	})
	return b, nil
}

// Attempts returns the delivery attempts made so far for the transfer id.
func (s *Sim) Attempts(id string) []Attempt { return s.webhooks.Delivery(id).Attempts() }

// Wait blocks until the webhook of transfer id is settled (2xx, out of attempts, or stopped by Close) or
// ctx ends, and returns its attempts.
func (s *Sim) Wait(ctx context.Context, id string) ([]Attempt, error) {
	d := s.webhooks.Delivery(id)
	if d == nil {
		return nil, ErrUnknownID
	}
	return d.Wait(ctx)
}

// attempt POSTs the webhook once with its API key and, when configured, its signature; a 2xx
// acknowledges it.
func (s *Sim) attempt(n int, raw []byte) Attempt {
	a := Attempt{N: n, At: s.clock.Now()}
	h := http.Header{"Authorization": {"Apikey " + s.cfg.APIKey}}
	if s.cfg.SignatureKey != "" {
		h.Set(banktransfer.SignatureHeader, banktransfer.Sign(s.cfg.SignatureKey, raw))
	}
	status, _, err := s.webhooks.Do(simkit.Request{Method: http.MethodPost, URL: s.cfg.WebhookURL, Body: raw, Header: h})
	a.Status = status
	switch {
	case status == 0:
		a.Err = err.Error()
	case status/100 != 2:
		a.Err = "HTTP " + strconv.Itoa(status)
	}
	return a
}

// ---- hand-transfer page ----

func (s *Sim) page(w http.ResponseWriter, _ *http.Request) {
	render(w, http.StatusOK, "")
}

func (s *Sim) form(w http.ResponseWriter, r *http.Request) {
	if err := simkit.ParseForm(w, r); err != nil {
		render(w, http.StatusBadRequest, "Biểu mẫu không đọc được.")
		return
	}
	amount, err := strconv.ParseInt(strings.TrimSpace(r.PostForm.Get("amount")), 10, 64)
	if err != nil {
		render(w, http.StatusBadRequest, "Số tiền phải là số nguyên đồng.")
		return
	}
	b, err := s.Transfer(money.VND(amount), r.PostForm.Get("content"))
	if err != nil {
		render(w, http.StatusBadRequest, err.Error())
		return
	}
	render(w, http.StatusOK, "Đã gửi giao dịch "+string(b.ID)+".")
}

func render(w http.ResponseWriter, status int, msg string) { simkit.Render(w, status, pageTmpl, msg) }

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Ngân hàng (giả lập)</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:28rem}label{display:block;margin:.6rem 0}
input{font-size:1rem;padding:.4rem;width:100%}button{font-size:1rem;padding:.6rem 1.2rem}</style></head>
<body><h1>Chuyển khoản giả lập</h1>{{if .}}<p role="status">{{.}}</p>{{end}}
<form method="post" action="transfers">
<label>Số tiền (đồng) <input name="amount" inputmode="numeric" required></label>
<label>Nội dung chuyển khoản <input name="content" maxlength="255"></label>
<button>Chuyển</button></form></body></html>`))
