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
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/goodgo/goodgo/internal/payment/momo"
	"github.com/goodgo/goodgo/internal/payment/simkit"
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
	clock clock.Clock
	ipn   *simkit.Courier[Attempt] // IPNs by orderId
	mux   *http.ServeMux

	mu         sync.Mutex
	payments   map[string]*payment // by orderId
	byToken    map[string]*payment
	requestIDs map[string]bool
	refundIDs  map[string]bool
	nextTrans  int64
}

type payment struct {
	Payment
	token string
}

// New returns a simulator for cfg.
func New(cfg Config) *Sim {
	s := &Sim{cfg: cfg, clock: cfg.Clock, payments: map[string]*payment{}, byToken: map[string]*payment{},
		requestIDs: map[string]bool{}, refundIDs: map[string]bool{}, nextTrans: 2820000000}
	if s.clock == nil {
		s.clock = clock.System{}
	}
	s.ipn = simkit.NewCourier[Attempt](simkit.Config{Interval: cfg.RetryInterval, DefaultInterval: DefaultRetryInterval,
		MaxAttempts: cfg.MaxAttempts, DefaultMaxAttempts: DefaultMaxAttempts, After: cfg.After, Client: cfg.HTTPClient,
		Timeout: 15 * time.Second})
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
func (s *Sim) Close() { s.ipn.Close() }

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
	if s.ipn.Closed() {
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
	target := p.IPNURL
	s.ipn.Start(p.OrderID, func(n int) (Attempt, bool) {
		a := s.attemptIPN(n, target, body)
		return a, a.Status == momo.IPNAnswerStatus
	})
	return simkit.WithQuery(p.RedirectURL, b.Values().Encode()), nil
}

// IPNAttempts returns the IPN attempts made so far for orderID.
func (s *Sim) IPNAttempts(orderID string) []Attempt { return s.ipn.Delivery(orderID).Attempts() }

// WaitIPN blocks until the IPN of orderID is settled (answered 204, out of attempts, or stopped by Close)
// or ctx ends, and returns its attempts. ErrNoIPN when the payment has not completed.
func (s *Sim) WaitIPN(ctx context.Context, orderID string) ([]Attempt, error) {
	d := s.ipn.Delivery(orderID)
	if d == nil {
		return nil, ErrNoIPN
	}
	return d.Wait(ctx)
}

// attemptIPN POSTs the IPN once; only 204 No Content acknowledges it.
func (s *Sim) attemptIPN(n int, target string, body []byte) Attempt {
	a := Attempt{N: n, At: s.clock.Now()}
	status, _, err := s.ipn.Do(simkit.Request{Method: http.MethodPost, URL: target, Body: body})
	a.Status = status
	switch {
	case status == 0:
		a.Err = err.Error()
	case status != momo.IPNAnswerStatus:
		a.Err = "HTTP " + strconv.Itoa(status) + ", want 204"
	}
	return a
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

// authentic reports whether a request comes from this partner with a valid signature over raw, answering
// the failure itself when not.
func (s *Sim) authentic(w http.ResponseWriter, partner, requestID, orderID, signature, raw string) bool {
	if partner != s.cfg.PartnerCode {
		s.fail(w, requestID, orderID, momo.ResultAccessDenied, "Access denied.")
		return false
	}
	if signature != momo.Sign(s.cfg.SecretKey, raw) {
		s.fail(w, requestID, orderID, momo.ResultAuthFailed, "Merchant authentication failed.")
		return false
	}
	return true
}

// fresh records requestID and reports whether it and orderID are both new (an orderId names one payment
// or one refund), answering the failure itself when not. Callers hold s.mu.
func (s *Sim) fresh(w http.ResponseWriter, requestID, orderID string) bool {
	if s.requestIDs[requestID] {
		s.fail(w, requestID, orderID, momo.ResultDuplicateRequestID, "Duplicated requestId.")
		return false
	}
	s.requestIDs[requestID] = true
	if _, dup := s.payments[orderID]; dup || s.refundIDs[orderID] {
		s.fail(w, requestID, orderID, momo.ResultDuplicateOrderID, "Duplicated orderId.")
		return false
	}
	return true
}

func (s *Sim) create(w http.ResponseWriter, r *http.Request) {
	var b momo.CreateBody
	if err := decode(r, &b); err != nil {
		s.fail(w, "", "", momo.ResultBadFormat, "Bad format request.")
		return
	}
	if !s.authentic(w, b.PartnerCode, b.RequestID, b.OrderID, b.Signature, b.RawSignature(s.cfg.AccessKey)) {
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
	base := simkit.BaseURL(s.cfg.BaseURL, r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.fresh(w, b.RequestID, b.OrderID) {
		return
	}
	p := &payment{Payment: Payment{OrderID: b.OrderID, RequestID: b.RequestID, Amount: money.VND(b.Amount),
		OrderInfo: b.OrderInfo, RedirectURL: b.RedirectURL, IPNURL: b.IPNURL, RequestType: b.RequestType,
		ExtraData: b.ExtraData, ResultCode: momo.ResultPending}, token: simkit.RandomHex(16)}
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
	if !s.authentic(w, b.PartnerCode, b.RequestID, b.OrderID, b.Signature, b.RawSignature(s.cfg.AccessKey)) {
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
	if !s.authentic(w, b.PartnerCode, b.RequestID, b.OrderID, b.Signature, b.RawSignature(s.cfg.AccessKey)) {
		return
	}
	if b.RequestID == "" || !momo.ValidOrderID(b.OrderID) || b.Amount <= 0 || b.TransID <= 0 {
		s.fail(w, b.RequestID, b.OrderID, momo.ResultBadFormat, "Bad format request.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.fresh(w, b.RequestID, b.OrderID) {
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
	simkit.Render(w, http.StatusOK, pageTmpl, struct {
		Payment
		Token string
	}{view, r.URL.Query().Get("t")})
}

func (s *Sim) payForm(w http.ResponseWriter, r *http.Request) {
	if err := simkit.ParseForm(w, r); err != nil {
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
	if simkit.ChosePay(r.PostForm) {
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
	simkit.Render(w, http.StatusBadRequest, errorTmpl, msg)
}

const (
	title  = "MoMo (giả lập)"
	bg     = "#fdf2f8"
	accent = "#a50064"
)

var pageTmpl = simkit.Page(title, bg, accent, "", `
<h1>Ví MoMo — thanh toán giả lập</h1>
<dl><dt>Mã đơn</dt><dd>{{.OrderID}}</dd><dt>Nội dung</dt><dd>{{.OrderInfo}}</dd><dt>Số tiền</dt><dd>{{.Amount}}</dd></dl>
<form method="post" action="pay"><input type="hidden" name="t" value="{{.Token}}">
<button class="pay" name="action" value="pay">Thanh toán</button>
<button class="cancel" name="action" value="cancel">Hủy</button>
</form>`)

var errorTmpl = simkit.Page(title+" — lỗi", bg, accent, "", `<h1>Lỗi</h1><p>{{.}}</p>`)
