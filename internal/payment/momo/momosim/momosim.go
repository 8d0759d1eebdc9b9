// Package momosim is a MoMo AIO v2 gateway that runs in-process, for tests, demos and local development.
// It checks and signs every message with package momo's own raw-signature code:
//
//	POST {prefix}/v2/gateway/api/create   checks the signature, records the payment, answers with payUrl
//	                                      pointing at its own pay page
//	GET  {prefix}/pay?t=…                 the pay page: "Thanh toán" (pay) and "Hủy" (decline) plain forms
//	POST {prefix}/pay                     records the choice, redirects the browser to redirectUrl with the
//	                                      signed result and POSTs the IPN to ipnUrl
//	POST {prefix}/v2/gateway/api/query    the payment's state
//	POST {prefix}/v2/gateway/api/refund   refunds (part of) a paid payment
//
// The IPN is retried while the answer is not 204 No Content, up to Config.MaxAttempts times
// Config.RetryInterval apart (MoMo publishes no retry policy: the defaults are ours). Close stops every
// retry loop. Mount the Sim under any prefix with http.StripPrefix; set Config.BaseURL when the public URL
// differs from what the request shows.
package momosim

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goodgo/goodgo/internal/payment/momo"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/money"
)

// Defaults of the IPN retry loop (assumptions, see the package comment).
const (
	DefaultRetryInterval = time.Minute
	DefaultMaxAttempts   = 5
)

// Config sets up the simulated partner.
type Config struct {
	PartnerCode string
	AccessKey   string
	SecretKey   string
	// BaseURL is the simulator's public URL, prefix included (payUrl points under it); empty derives it
	// from each create request.
	BaseURL string
	// RetryInterval separates IPN attempts; 0 means DefaultRetryInterval.
	RetryInterval time.Duration
	// MaxAttempts bounds the IPN attempts of one payment; 0 means DefaultMaxAttempts.
	MaxAttempts int
	// After waits between attempts; nil means time.After. Tests inject a channel they control.
	After func(time.Duration) <-chan time.Time
	// Clock stamps responseTime; nil means the system clock.
	Clock clock.Clock
	// HTTPClient sends IPNs; nil means a client with a 15-second timeout (MoMo's answer deadline).
	HTTPClient *http.Client
}

// Outcome is what the simulated customer does on the pay page.
type Outcome int

// The outcomes and their result codes.
const (
	Paid     Outcome = iota // resultCode 0
	Declined                // resultCode 1006
)

// Payment is the simulator's record of one payment.
type Payment struct {
	OrderID     string
	RequestID   string
	Amount      money.VND
	OrderInfo   string
	RedirectURL string
	IPNURL      string
	RequestType string
	ExtraData   string
	// ResultCode is 1000 (waiting) until the customer acts, then 0 or 1006.
	ResultCode int
	// TransID is MoMo's transaction id, set when the customer acts.
	TransID int64
	// Refunded is the sum of accepted refunds.
	Refunded money.VND
}

// Attempt is one IPN delivery attempt and the HTTP status it got.
type Attempt struct {
	N  int
	At time.Time
	// Status is the HTTP status of the answer, 0 when none came; 204 ends the retries.
	Status int
	Err    string
}

// Errors of the programmatic API.
var (
	ErrUnknownOrder = errors.New("momosim: unknown order")
	ErrNotPending   = errors.New("momosim: payment already completed")
	ErrClosed       = errors.New("momosim: closed")
	ErrNoIPN        = errors.New("momosim: no IPN for this order")
)

// Sim is the simulated gateway; it is an http.Handler.
type Sim struct {
	cfg   Config
	after func(time.Duration) <-chan time.Time
	clock clock.Clock
	http  *http.Client
	mux   *http.ServeMux

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	closed     bool
	payments   map[string]*payment // by orderId
	byToken    map[string]*payment
	requestIDs map[string]bool
	refundIDs  map[string]bool
	nextTrans  int64
}

type payment struct {
	Payment
	token string
	ipn   *delivery
}

type delivery struct {
	attempts []Attempt
	done     chan struct{}
}

// New returns a simulator for cfg.
func New(cfg Config) *Sim {
	s := &Sim{cfg: cfg, after: cfg.After, clock: cfg.Clock, http: cfg.HTTPClient, payments: map[string]*payment{},
		byToken: map[string]*payment{}, requestIDs: map[string]bool{}, refundIDs: map[string]bool{}, nextTrans: 2820000000}
	if s.cfg.RetryInterval <= 0 {
		s.cfg.RetryInterval = DefaultRetryInterval
	}
	if s.cfg.MaxAttempts <= 0 {
		s.cfg.MaxAttempts = DefaultMaxAttempts
	}
	if s.after == nil {
		s.after = time.After
	}
	if s.clock == nil {
		s.clock = clock.System{}
	}
	if s.http == nil {
		s.http = &http.Client{Timeout: 15 * time.Second}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST "+momo.PathCreate, s.create)
	s.mux.HandleFunc("POST "+momo.PathQuery, s.query)
	s.mux.HandleFunc("POST "+momo.PathRefund, s.refund)
	s.mux.HandleFunc("GET /pay", s.payPage)
	s.mux.HandleFunc("POST /pay", s.payForm)
	return s
}

// ServeHTTP serves the simulator's endpoints (paths relative to where it is mounted).
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close stops every IPN retry loop, aborts IPNs in flight and waits for them. Further payments are refused.
func (s *Sim) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

// Payment returns the simulator's record of orderID.
func (s *Sim) Payment(orderID string) (Payment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[orderID]
	if !ok {
		return Payment{}, false
	}
	return p.Payment, true
}

// Pay completes a created payment as if the customer had chosen o: it records the result, starts the IPN
// and returns the redirect URL the browser would be sent to. Errors: ErrUnknownOrder, ErrNotPending,
// ErrClosed.
func (s *Sim) Pay(orderID string, o Outcome) (redirectURL string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", ErrClosed
	}
	p, ok := s.payments[orderID]
	if !ok {
		return "", ErrUnknownOrder
	}
	if p.ResultCode != momo.ResultPending {
		return "", ErrNotPending
	}
	s.nextTrans++
	p.TransID = s.nextTrans
	p.ResultCode, p.token = momo.ResultSuccess, ""
	message := "Thành công."
	if o == Declined {
		p.ResultCode, message = momo.ResultUserDeclined, "Giao dịch bị từ chối bởi người dùng."
	}
	b := momo.IPNBody{PartnerCode: s.cfg.PartnerCode, OrderID: p.OrderID, RequestID: p.RequestID,
		Amount: json.Number(strconv.FormatInt(int64(p.Amount), 10)), OrderInfo: p.OrderInfo, OrderType: "momo_wallet",
		TransID: json.Number(strconv.FormatInt(p.TransID, 10)), ResultCode: json.Number(strconv.Itoa(p.ResultCode)),
		Message: message, PayType: "qr", ResponseTime: json.Number(strconv.FormatInt(s.clock.Now().UnixMilli(), 10)),
		ExtraData: p.ExtraData}
	b.Signature = momo.Sign(s.cfg.SecretKey, b.RawSignature(s.cfg.AccessKey))
	body, _ := json.Marshal(b)
	p.ipn = &delivery{done: make(chan struct{})}
	s.wg.Add(1)
	go s.deliver(p.ipn, p.IPNURL, body)
	sep := "?"
	if strings.Contains(p.RedirectURL, "?") {
		sep = "&"
	}
	return p.RedirectURL + sep + b.Values().Encode(), nil
}

// IPNAttempts returns the IPN attempts made so far for orderID.
func (s *Sim) IPNAttempts(orderID string) []Attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.payments[orderID]; ok && p.ipn != nil {
		return append([]Attempt(nil), p.ipn.attempts...)
	}
	return nil
}

// WaitIPN blocks until the IPN of orderID is settled (answered 204, out of attempts, or stopped by Close)
// or ctx ends, and returns its attempts. ErrNoIPN when the payment has not completed.
func (s *Sim) WaitIPN(ctx context.Context, orderID string) ([]Attempt, error) {
	s.mu.Lock()
	var d *delivery
	if p, ok := s.payments[orderID]; ok {
		d = p.ipn
	}
	s.mu.Unlock()
	if d == nil {
		return nil, ErrNoIPN
	}
	select {
	case <-d.done:
		return s.IPNAttempts(orderID), nil
	case <-ctx.Done():
		return s.IPNAttempts(orderID), ctx.Err()
	}
}

func (s *Sim) deliver(d *delivery, target string, body []byte) {
	defer s.wg.Done()
	defer close(d.done)
	for n := 1; n <= s.cfg.MaxAttempts; n++ {
		if n > 1 {
			select {
			case <-s.ctx.Done():
				return
			case <-s.after(s.cfg.RetryInterval):
			}
		}
		a := Attempt{N: n, At: s.clock.Now()}
		a.Status, a.Err = s.post(target, body)
		s.mu.Lock()
		d.attempts = append(d.attempts, a)
		s.mu.Unlock()
		if a.Status == momo.IPNAnswerStatus || s.ctx.Err() != nil {
			return
		}
	}
}

func (s *Sim) post(target string, body []byte) (int, string) {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != momo.IPNAnswerStatus {
		return resp.StatusCode, "HTTP " + strconv.Itoa(resp.StatusCode) + ", want 204"
	}
	return resp.StatusCode, ""
}

// ---- API ----

// answer writes a JSON API answer; MoMo uses 400 for request errors.
func answer(w http.ResponseWriter, code int, v any) {
	status := http.StatusOK
	if code != momo.ResultSuccess && code < 1000 {
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type failure struct {
	PartnerCode  string `json:"partnerCode"`
	RequestID    string `json:"requestId"`
	OrderID      string `json:"orderId"`
	ResultCode   int    `json:"resultCode"`
	Message      string `json:"message"`
	ResponseTime int64  `json:"responseTime"`
}

func (s *Sim) fail(w http.ResponseWriter, requestID, orderID string, code int, message string) {
	answer(w, code, failure{PartnerCode: s.cfg.PartnerCode, RequestID: requestID, OrderID: orderID, ResultCode: code,
		Message: message, ResponseTime: s.clock.Now().UnixMilli()})
}

func decode(r *http.Request, v any) error {
	return json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(v)
}

func (s *Sim) create(w http.ResponseWriter, r *http.Request) {
	var b momo.CreateBody
	if err := decode(r, &b); err != nil {
		s.fail(w, "", "", momo.ResultBadFormat, "Bad format request.")
		return
	}
	if b.PartnerCode != s.cfg.PartnerCode {
		s.fail(w, b.RequestID, b.OrderID, momo.ResultAccessDenied, "Access denied.")
		return
	}
	if b.Signature != momo.Sign(s.cfg.SecretKey, b.RawSignature(s.cfg.AccessKey)) {
		s.fail(w, b.RequestID, b.OrderID, momo.ResultAuthFailed, "Merchant authentication failed.")
		return
	}
	if b.RequestID == "" || len(b.RequestID) > 50 || !momo.ValidOrderID(b.OrderID) || b.OrderInfo == "" ||
		!absolute(b.RedirectURL) || !absolute(b.IPNURL) {
		s.fail(w, b.RequestID, b.OrderID, momo.ResultBadFormat, "Bad format request.")
		return
	}
	switch b.RequestType {
	case momo.CaptureWallet:
		if b.Amount < int64(momo.MinWalletAmount) || b.Amount > int64(momo.MaxWalletAmount) {
			s.fail(w, b.RequestID, b.OrderID, momo.ResultAmountOutOfRange, "The transaction amount is out of range.")
			return
		}
	case momo.PayWithATM, momo.PayWithCC, momo.PayWithMethod:
		if b.Amount <= 0 {
			s.fail(w, b.RequestID, b.OrderID, momo.ResultAmountOutOfRange, "The transaction amount is out of range.")
			return
		}
	default:
		s.fail(w, b.RequestID, b.OrderID, momo.ResultBadFormat, "Bad format request.")
		return
	}
	base := s.baseURL(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.requestIDs[b.RequestID] {
		s.fail(w, b.RequestID, b.OrderID, momo.ResultDuplicateRequestID, "Duplicated requestId.")
		return
	}
	s.requestIDs[b.RequestID] = true
	if _, dup := s.payments[b.OrderID]; dup || s.refundIDs[b.OrderID] {
		s.fail(w, b.RequestID, b.OrderID, momo.ResultDuplicateOrderID, "Duplicated orderId.")
		return
	}
	p := &payment{Payment: Payment{OrderID: b.OrderID, RequestID: b.RequestID, Amount: money.VND(b.Amount),
		OrderInfo: b.OrderInfo, RedirectURL: b.RedirectURL, IPNURL: b.IPNURL, RequestType: b.RequestType,
		ExtraData: b.ExtraData, ResultCode: momo.ResultPending}, token: randomHex(16)}
	s.payments[p.OrderID] = p
	s.byToken[p.token] = p
	payURL := base + "/pay?t=" + p.token
	answer(w, momo.ResultSuccess, momo.CreateResponse{PartnerCode: s.cfg.PartnerCode, RequestID: b.RequestID,
		OrderID: b.OrderID, Amount: b.Amount, ResponseTime: s.clock.Now().UnixMilli(), Message: "Thành công.",
		ResultCode: momo.ResultSuccess, PayURL: payURL, Deeplink: "momo://app?action=pay&t=" + p.token, QRCodeURL: payURL})
}

func (s *Sim) query(w http.ResponseWriter, r *http.Request) {
	var b momo.QueryBody
	if err := decode(r, &b); err != nil {
		s.fail(w, "", "", momo.ResultBadFormat, "Bad format request.")
		return
	}
	if b.PartnerCode != s.cfg.PartnerCode {
		s.fail(w, b.RequestID, b.OrderID, momo.ResultAccessDenied, "Access denied.")
		return
	}
	if b.Signature != momo.Sign(s.cfg.SecretKey, b.RawSignature(s.cfg.AccessKey)) {
		s.fail(w, b.RequestID, b.OrderID, momo.ResultAuthFailed, "Merchant authentication failed.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.RequestID == "" || s.requestIDs[b.RequestID] {
		s.fail(w, b.RequestID, b.OrderID, momo.ResultDuplicateRequestID, "Duplicated requestId.")
		return
	}
	s.requestIDs[b.RequestID] = true
	p, ok := s.payments[b.OrderID]
	if !ok {
		s.fail(w, b.RequestID, b.OrderID, momo.ResultOrderNotFound, "Invalid orderId or orderId is not found.")
		return
	}
	answer(w, momo.ResultSuccess, momo.QueryResponse{PartnerCode: s.cfg.PartnerCode, RequestID: b.RequestID,
		OrderID: p.OrderID, ExtraData: p.ExtraData, Amount: int64(p.Amount), TransID: p.TransID, PayType: "qr",
		ResultCode: p.ResultCode, Message: "OK", ResponseTime: s.clock.Now().UnixMilli()})
}

func (s *Sim) refund(w http.ResponseWriter, r *http.Request) {
	var b momo.RefundBody
	if err := decode(r, &b); err != nil {
		s.fail(w, "", "", momo.ResultBadFormat, "Bad format request.")
		return
	}
	if b.PartnerCode != s.cfg.PartnerCode {
		s.fail(w, b.RequestID, b.OrderID, momo.ResultAccessDenied, "Access denied.")
		return
	}
	if b.Signature != momo.Sign(s.cfg.SecretKey, b.RawSignature(s.cfg.AccessKey)) {
		s.fail(w, b.RequestID, b.OrderID, momo.ResultAuthFailed, "Merchant authentication failed.")
		return
	}
	if b.RequestID == "" || !momo.ValidOrderID(b.OrderID) || b.Amount <= 0 || b.TransID <= 0 {
		s.fail(w, b.RequestID, b.OrderID, momo.ResultBadFormat, "Bad format request.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.requestIDs[b.RequestID] {
		s.fail(w, b.RequestID, b.OrderID, momo.ResultDuplicateRequestID, "Duplicated requestId.")
		return
	}
	s.requestIDs[b.RequestID] = true
	if _, dup := s.payments[b.OrderID]; dup || s.refundIDs[b.OrderID] {
		s.fail(w, b.RequestID, b.OrderID, momo.ResultDuplicateOrderID, "Duplicated orderId.")
		return
	}
	var paid *payment
	for _, p := range s.payments {
		if p.TransID == b.TransID {
			paid = p
		}
	}
	switch {
	case paid == nil:
		s.fail(w, b.RequestID, b.OrderID, momo.ResultRefundFailed, "Refund failed: unknown transId.")
		return
	case paid.ResultCode != momo.ResultSuccess:
		s.fail(w, b.RequestID, b.OrderID, momo.ResultRefundIneligible, "The original payment cannot be refunded.")
		return
	case money.VND(b.Amount) > paid.Amount-paid.Refunded:
		s.fail(w, b.RequestID, b.OrderID, momo.ResultRefundRejected, "Refund rejected: over the refundable amount.")
		return
	}
	paid.Refunded += money.VND(b.Amount)
	s.refundIDs[b.OrderID] = true
	s.nextTrans++
	answer(w, momo.ResultSuccess, momo.RefundResponse{PartnerCode: s.cfg.PartnerCode, OrderID: b.OrderID,
		RequestID: b.RequestID, Amount: b.Amount, TransID: s.nextTrans, ResultCode: momo.ResultSuccess,
		Message: "Thành công.", ResponseTime: s.clock.Now().UnixMilli()})
}

// baseURL is Config.BaseURL, or the scheme, host and mount prefix of r.
func (s *Sim) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimRight(s.cfg.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	full := r.URL.Path
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
		full = u.Path
	}
	return scheme + "://" + r.Host + strings.TrimSuffix(full, r.URL.Path)
}

func absolute(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// ---- pay page ----

func (s *Sim) payPage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p, ok := s.byToken[r.URL.Query().Get("t")]
	var view Payment
	if ok {
		view = p.Payment
	}
	s.mu.Unlock()
	if !ok || view.ResultCode != momo.ResultPending {
		renderError(w, "Liên kết thanh toán không hợp lệ hoặc đã dùng.")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTmpl.Execute(w, struct {
		Payment
		Token string
	}{view, r.URL.Query().Get("t")})
}

func (s *Sim) payForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		renderError(w, "Biểu mẫu không đọc được.")
		return
	}
	s.mu.Lock()
	p, ok := s.byToken[r.PostForm.Get("t")]
	var orderID string
	if ok {
		orderID = p.OrderID
		delete(s.byToken, r.PostForm.Get("t"))
	}
	s.mu.Unlock()
	if !ok {
		renderError(w, "Liên kết thanh toán không hợp lệ hoặc đã dùng.")
		return
	}
	o := Declined
	if r.PostForm.Get("action") == "pay" {
		o = Paid
	}
	target, err := s.Pay(orderID, o)
	if err != nil {
		renderError(w, "Giao dịch đã được xử lý.")
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func renderError(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_ = errorTmpl.Execute(w, msg)
}

const pageStyle = `body{font-family:system-ui,sans-serif;background:#fdf2f8;margin:0}main{max-width:28rem;margin:2rem auto;` +
	`background:#fff;border-radius:.5rem;padding:1.5rem;box-shadow:0 1px 4px #0002}h1{font-size:1.2rem;color:#a50064}` +
	`dt{color:#666}dd{margin:0 0 .6rem;font-weight:600}button{font-size:1rem;padding:.6rem 1.2rem;margin-right:.5rem;` +
	`border:0;border-radius:.3rem;cursor:pointer}.pay{background:#a50064;color:#fff}.cancel{background:#ddd}`

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>MoMo (giả lập)</title><style>` + pageStyle + `</style></head>
<body><main>
<h1>Ví MoMo — thanh toán giả lập</h1>
<dl><dt>Mã đơn</dt><dd>{{.OrderID}}</dd><dt>Nội dung</dt><dd>{{.OrderInfo}}</dd><dt>Số tiền</dt><dd>{{.Amount}}</dd></dl>
<form method="post" action="pay"><input type="hidden" name="t" value="{{.Token}}">
<button class="pay" name="action" value="pay">Thanh toán</button>
<button class="cancel" name="action" value="cancel">Hủy</button>
</form></main></body></html>`))

var errorTmpl = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>MoMo (giả lập) — lỗi</title><style>` + pageStyle + `</style></head>
<body><main><h1>Lỗi</h1><p>{{.}}</p></main></body></html>`))

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
