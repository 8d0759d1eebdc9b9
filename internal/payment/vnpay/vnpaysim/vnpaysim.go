// Package vnpaysim is a VNPay gateway that runs in-process, for tests, demos and local development. It
// serves the two VNPay endpoints the payment module uses, checked with package vnpay's own canonicalisation
// and signing code (the simulator builds what VNPay would send and signs it exactly as the verifier checks):
//
//	GET  {prefix}/paymentv2/vpcpay.html          the pay page: checks the signed pay URL (an error page
//	                                              with code 97 on a bad hash), then offers "Thanh toán"
//	                                              (pay) and "Hủy" (cancel) as plain forms
//	POST {prefix}/paymentv2/vpcpay.html          records the choice, redirects the browser to vnp_ReturnUrl
//	                                              with signed parameters and sends the IPN
//	POST {prefix}/merchant_webapi/api/transaction querydr and refund with pipe-hash checks
//
// The IPN is a GET to Config.IPNURL (VNPay registers it per merchant; it is not a pay parameter). It is
// retried while the answer is not 00 or 02, up to 10 attempts 5 minutes apart by default; tests shorten the
// interval or inject Config.After to step time. Close stops every retry loop.
//
// Mount the Sim under any prefix with http.StripPrefix. State lives in memory, guarded by a mutex.
package vnpaysim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/goodgo/goodgo/internal/payment/simkit"
	"github.com/goodgo/goodgo/internal/payment/vnpay"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/money"
)

// Defaults of VNPay's IPN retry policy (spec §1.5: up to 10 times, 5 minutes apart).
const (
	DefaultRetryInterval = 5 * time.Minute
	DefaultMaxAttempts   = 10
)

// Config sets up the simulated terminal.
type Config struct {
	// TmnCode and HashSecret are the one terminal the simulator knows.
	TmnCode    string
	HashSecret string
	// IPNURL receives the IPN GETs; empty sends none.
	IPNURL string
	// RetryInterval separates IPN attempts; 0 means DefaultRetryInterval.
	RetryInterval time.Duration
	// MaxAttempts bounds the IPN attempts of one payment; 0 means DefaultMaxAttempts.
	MaxAttempts int
	// After waits between attempts; nil means time.After. Tests inject a channel they control.
	After func(time.Duration) <-chan time.Time
	// Clock stamps vnp_PayDate and checks vnp_ExpireDate; nil means the system clock.
	Clock clock.Clock
	// HTTPClient sends IPNs; nil means a client with a 30-second timeout.
	HTTPClient *http.Client
}

// Outcome is what the simulated customer does on the pay page.
type Outcome int

// The outcomes and the codes VNPay reports for them (spec §1.6).
const (
	Paid              Outcome = iota // 00 / 00
	Cancelled                        // 24 customer cancelled / 02
	InsufficientFunds                // 51 / 02
	TimedOut                         // 11 / 02
)

func (o Outcome) codes() (response, status string) {
	switch o {
	case Paid:
		return "00", "00"
	case Cancelled:
		return "24", "02"
	case InsufficientFunds:
		return "51", "02"
	case TimedOut:
		return "11", "02"
	}
	return "99", "02"
}

// Transaction is the simulator's record of one payment.
type Transaction struct {
	TxnRef    string
	Amount    money.VND
	OrderInfo string
	BankCode  string
	ReturnURL string
	// CreateDate is the pay request's vnp_CreateDate as sent (querydr/refund must quote it).
	CreateDate string
	// Done is set once the customer paid or gave up; the codes below are then final.
	Done              bool
	ResponseCode      string
	TransactionStatus string
	TransactionNo     string
	PayDate           string
	// Refunded is the sum of accepted refunds.
	Refunded money.VND
}

// Attempt is one IPN delivery attempt and what the merchant answered.
type Attempt struct {
	N  int
	At time.Time
	// Status is the HTTP status of the answer, 0 when none came.
	Status int
	// Answer is the decoded JSON answer (zero when it did not decode).
	Answer vnpay.IPNAnswer
	// Err says why the attempt failed to get a readable answer, "" otherwise.
	Err string
}

// Errors of the programmatic API.
var (
	ErrUnknownTxn = errors.New("vnpaysim: unknown transaction")
	ErrNotPending = errors.New("vnpaysim: transaction already completed")
	ErrClosed     = errors.New("vnpaysim: closed")
	ErrNoIPN      = errors.New("vnpaysim: no IPN for this transaction")
)

// Sim is the simulated gateway. Create it with New; it is an http.Handler.
type Sim struct {
	cfg   Config
	clock clock.Clock
	ipn   *simkit.Courier[Attempt] // IPNs by vnp_TxnRef
	mux   *http.ServeMux

	mu         sync.Mutex
	txns       map[string]*txn
	requestIDs map[string]bool
	nextNo     int64
}

type txn struct {
	Transaction
	amountRaw string // vnp_Amount as sent (×100), echoed verbatim
	token     string // guards the pay form
}

// New returns a simulator for cfg.
func New(cfg Config) *Sim {
	s := &Sim{cfg: cfg, clock: cfg.Clock, txns: map[string]*txn{}, requestIDs: map[string]bool{}, nextNo: 14000000}
	if s.clock == nil {
		s.clock = clock.System{}
	}
	s.ipn = simkit.NewCourier[Attempt](simkit.Config{Interval: cfg.RetryInterval, DefaultInterval: DefaultRetryInterval,
		MaxAttempts: cfg.MaxAttempts, DefaultMaxAttempts: DefaultMaxAttempts, After: cfg.After, Client: cfg.HTTPClient,
		Timeout: 30 * time.Second})
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /paymentv2/vpcpay.html", s.payPage)
	s.mux.HandleFunc("POST /paymentv2/vpcpay.html", s.payForm)
	s.mux.HandleFunc("POST /merchant_webapi/api/transaction", s.api)
	return s
}

// ServeHTTP serves the simulator's endpoints (paths relative to where it is mounted).
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close stops every IPN retry loop, aborts IPNs in flight and waits for them to end. Further payments are
// refused.
func (s *Sim) Close() { s.ipn.Close() }

// Transaction returns the simulator's record of txnRef.
func (s *Sim) Transaction(txnRef string) (Transaction, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.txns[txnRef]
	if !ok {
		return Transaction{}, false
	}
	return t.Transaction, true
}

// Pay completes a pending payment as if the customer had chosen o on the pay page (the payment must have
// been opened with a GET of its pay URL). It records the result, starts the IPN and returns the URL the
// browser would be redirected to. Errors: ErrUnknownTxn, ErrNotPending, ErrClosed.
func (s *Sim) Pay(txnRef string, o Outcome) (returnURL string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ipn.Closed() {
		return "", ErrClosed
	}
	t, ok := s.txns[txnRef]
	if !ok {
		return "", ErrUnknownTxn
	}
	if t.Done {
		return "", ErrNotPending
	}
	t.Done = true
	t.ResponseCode, t.TransactionStatus = o.codes()
	t.PayDate = s.clock.Now().In(vnpay.Zone).Format(vnpay.DateLayout)
	t.TransactionNo = "0"
	if o == Paid {
		s.nextNo++
		t.TransactionNo = strconv.FormatInt(s.nextNo, 10)
	}
	v := url.Values{}
	v.Set("vnp_Amount", t.amountRaw)
	v.Set("vnp_BankCode", t.BankCode)
	if o == Paid {
		v.Set("vnp_BankTranNo", "VNP"+t.TransactionNo)
		v.Set("vnp_CardType", "ATM")
	}
	v.Set("vnp_OrderInfo", t.OrderInfo)
	v.Set("vnp_PayDate", t.PayDate)
	v.Set("vnp_ResponseCode", t.ResponseCode)
	v.Set("vnp_TmnCode", s.cfg.TmnCode)
	v.Set("vnp_TransactionNo", t.TransactionNo)
	v.Set("vnp_TransactionStatus", t.TransactionStatus)
	v.Set("vnp_TxnRef", t.TxnRef)
	query := vnpay.SignedQuery(s.cfg.HashSecret, v)

	if s.cfg.IPNURL != "" {
		target := simkit.WithQuery(s.cfg.IPNURL, query)
		s.ipn.Start(t.TxnRef, func(n int) (Attempt, bool) {
			a := s.attemptIPN(n, target)
			return a, a.Answer.Final()
		})
	}
	return simkit.WithQuery(t.ReturnURL, query), nil
}

// IPNAttempts returns the IPN attempts made so far for txnRef.
func (s *Sim) IPNAttempts(txnRef string) []Attempt { return s.ipn.Delivery(txnRef).Attempts() }

// WaitIPN blocks until the IPN of txnRef is settled (answered 00/02, out of attempts, or stopped by Close)
// or ctx ends, and returns its attempts. ErrNoIPN when the payment has no IPN (not completed, or no IPNURL).
func (s *Sim) WaitIPN(ctx context.Context, txnRef string) ([]Attempt, error) {
	d := s.ipn.Delivery(txnRef)
	if d == nil {
		return nil, ErrNoIPN
	}
	return d.Wait(ctx)
}

// attemptIPN GETs the IPN URL once and reads the merchant's JSON answer.
func (s *Sim) attemptIPN(n int, target string) Attempt {
	a := Attempt{N: n, At: s.clock.Now()}
	status, body, err := s.ipn.Do(simkit.Request{Method: http.MethodGet, URL: target})
	a.Status = status
	switch {
	case err != nil:
		a.Err = err.Error()
	case status != http.StatusOK:
		a.Err = "HTTP " + strconv.Itoa(status)
	default:
		if err := json.Unmarshal(body, &a.Answer); err != nil {
			a.Answer = vnpay.IPNAnswer{}
			a.Err = "answer is not JSON: " + err.Error()
		}
	}
	return a
}

// ---- pay page ----

// payError is a VNPay-style error: a code of spec §1.6 and a message.
type payError struct{ Code, Message string }

func (s *Sim) payPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	t, perr := s.open(q)
	if perr != nil {
		renderError(w, *perr)
		return
	}
	simkit.Render(w, http.StatusOK, pageTmpl, t)
}

// open validates a signed pay request and records (or finds) its pending transaction.
func (s *Sim) open(q url.Values) (*txn, *payError) {
	if q.Get("vnp_TmnCode") != s.cfg.TmnCode {
		return nil, &payError{"02", "Merchant không hợp lệ (vnp_TmnCode)"}
	}
	if err := vnpay.VerifyValues(s.cfg.HashSecret, q); err != nil {
		return nil, &payError{"97", "Chữ ký không hợp lệ (" + err.Error() + ")"}
	}
	if q.Has(vnpay.FieldSecureHashType) {
		return nil, &payError{"03", "vnp_SecureHashType không dùng trong phiên bản 2.1.0"}
	}
	for _, k := range []string{"vnp_Version", "vnp_Command", "vnp_Amount", "vnp_CreateDate", "vnp_CurrCode", "vnp_IpAddr",
		"vnp_Locale", "vnp_OrderInfo", "vnp_OrderType", "vnp_ReturnUrl", "vnp_ExpireDate", "vnp_TxnRef"} {
		if q.Get(k) == "" {
			return nil, &payError{"03", "Thiếu tham số " + k}
		}
	}
	if q.Get("vnp_Version") != vnpay.Version || q.Get("vnp_Command") != "pay" || q.Get("vnp_CurrCode") != "VND" {
		return nil, &payError{"03", "vnp_Version, vnp_Command hoặc vnp_CurrCode sai"}
	}
	raw := q.Get("vnp_Amount")
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n <= 0 || n%100 != 0 || strconv.FormatInt(n, 10) != raw {
		return nil, &payError{"03", "vnp_Amount phải là số tiền × 100"}
	}
	if u, err := url.Parse(q.Get("vnp_ReturnUrl")); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, &payError{"03", "vnp_ReturnUrl không hợp lệ"}
	}
	if _, err := vnpay.ParseDate(q.Get("vnp_CreateDate")); err != nil {
		return nil, &payError{"03", "vnp_CreateDate sai định dạng"}
	}
	expires, err := vnpay.ParseDate(q.Get("vnp_ExpireDate"))
	if err != nil {
		return nil, &payError{"03", "vnp_ExpireDate sai định dạng"}
	}
	if !s.clock.Now().Before(expires) {
		return nil, &payError{"11", "Đã hết hạn chờ thanh toán"}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	ref := q.Get("vnp_TxnRef")
	if t, ok := s.txns[ref]; ok {
		if t.Done || t.amountRaw != raw || t.CreateDate != q.Get("vnp_CreateDate") {
			return nil, &payError{"01", "Giao dịch đã tồn tại (vnp_TxnRef " + ref + ")"}
		}
		return t, nil // the customer reloaded the page
	}
	t := &txn{
		Transaction: Transaction{TxnRef: ref, Amount: money.VND(n / 100), OrderInfo: q.Get("vnp_OrderInfo"),
			BankCode: q.Get("vnp_BankCode"), ReturnURL: q.Get("vnp_ReturnUrl"), CreateDate: q.Get("vnp_CreateDate")},
		amountRaw: raw, token: simkit.RandomHex(16),
	}
	if t.BankCode == "" {
		t.BankCode = "NCB"
	}
	s.txns[ref] = t
	return t, nil
}

func (s *Sim) payForm(w http.ResponseWriter, r *http.Request) {
	if err := simkit.ParseForm(w, r); err != nil {
		renderError(w, payError{"03", "Biểu mẫu không đọc được"})
		return
	}
	ref := r.PostForm.Get("vnp_TxnRef")
	s.mu.Lock()
	t, ok := s.txns[ref]
	valid := ok && r.PostForm.Get("token") == t.token
	s.mu.Unlock()
	if !valid {
		renderError(w, payError{"03", "Phiên thanh toán không hợp lệ"})
		return
	}
	o := Cancelled
	if simkit.ChosePay(r.PostForm) {
		o = Paid
	}
	target, err := s.Pay(ref, o)
	if err != nil {
		renderError(w, payError{"01", "Giao dịch đã được xử lý"})
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func renderError(w http.ResponseWriter, e payError) {
	simkit.Render(w, http.StatusBadRequest, errorTmpl, e)
}

const (
	title  = "VNPay (giả lập)"
	bg     = "#f4f6fa"
	accent = "#005baa"
	hint   = ".hint{font-size:.85rem;background:#fff8e1;padding:.6rem;border-radius:.3rem}"
)

var pageTmpl = simkit.Page(title, bg, accent, hint, `
<h1>VNPay — cổng thanh toán giả lập</h1>
<dl><dt>Mã giao dịch</dt><dd>{{.TxnRef}}</dd><dt>Nội dung</dt><dd>{{.OrderInfo}}</dd><dt>Số tiền</dt><dd>{{.Amount}}</dd></dl>
<p class="hint">Thẻ thử: NCB 9704198526191432198 · NGUYEN VAN A · phát hành 07/15 · OTP 123456</p>
<form method="post" action="vpcpay.html">
<input type="hidden" name="vnp_TxnRef" value="{{.TxnRef}}"><input type="hidden" name="token" value="{{.Token}}">
<button class="pay" name="action" value="pay">Thanh toán</button>
<button class="cancel" name="action" value="cancel">Hủy</button>
</form>`)

var errorTmpl = simkit.Page(title+" — lỗi {{.Code}}", bg, accent, "",
	`<h1>Lỗi {{.Code}}</h1><p data-code="{{.Code}}">{{.Message}}</p>`)

// Token exposes the form token to the page template.
func (t *txn) Token() string { return t.token }
