// Package zalopaysim is a ZaloPay v2 gateway that runs in-process, for tests, demos and local development.
// It checks and signs every message with package zalopay's own mac code:
//
//	POST {prefix}/v2/create        checks the mac (key1) and the yymmdd_ date of app_trans_id, records
//	                               the order, answers with order_url pointing at its own pay page
//	GET  {prefix}/pay?t=…          the pay page: "Thanh toán" (pay) and "Hủy" (cancel) plain forms
//	POST {prefix}/pay              records the choice, sends the callback when paid, redirects the browser
//	                               to embed_data.redirecturl (display only: apptransid, status, amount)
//	POST {prefix}/v2/query         the order's state (1 paid, 2 failed or unknown, 3 pending)
//	POST {prefix}/v2/refund        refunds a paid order: answers 3 (processing) …
//	POST {prefix}/v2/query_refund  … and the refund then reads 1 (refunded)
//
// The callback (only for paid orders, as ZaloPay does) is a POST of {"data","mac","type":1} with
// mac = HMAC-SHA256(key2, data), repeated while the reply's return_code is not 1, up to 4 attempts
// (the first and 3 retries). Close stops every retry loop. Mount the Sim under any prefix with
// http.StripPrefix. The sub_return_code values it sends are its own.
package zalopaysim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goodgo/goodgo/internal/payment/simkit"
	"github.com/goodgo/goodgo/internal/payment/zalopay"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/money"
)

// Defaults of the callback retry loop: the first attempt and 3 retries (spec §4, "up to 3×", 2nd).
const (
	DefaultRetryInterval = time.Minute
	DefaultMaxAttempts   = 4
)

// Config sets up the simulated app.
type Config struct {
	AppID int64
	Key1  string
	Key2  string
	// CallbackURL is used for orders created without callback_url (ZaloPay's registered URL).
	CallbackURL string
	// BaseURL is the simulator's public URL, prefix included; empty derives it from each create request.
	BaseURL string
	// RetryInterval separates callback attempts; 0 means DefaultRetryInterval.
	RetryInterval time.Duration
	// MaxAttempts bounds the callback attempts; 0 means DefaultMaxAttempts.
	MaxAttempts int
	// After waits between attempts; nil means time.After. Tests inject a channel they control.
	After func(time.Duration) <-chan time.Time
	// Clock checks the yymmdd_ prefixes and stamps server_time; nil means the system clock.
	Clock clock.Clock
	// HTTPClient sends callbacks; nil means a client with a 30-second timeout.
	HTTPClient *http.Client
}

// Outcome is what the simulated customer does on the pay page.
type Outcome int

// The outcomes.
const (
	Paid      Outcome = iota // callback sent, query answers 1
	Cancelled                // no callback, query answers 2
)

// Order is the simulator's record of one order.
type Order struct {
	AppTransID  string
	AppUser     string
	Amount      money.VND
	Description string
	EmbedData   string
	Item        string
	AppTime     string
	CallbackURL string
	// ReturnCode is what query answers: 3 pending, 1 paid, 2 cancelled.
	ReturnCode int
	// ZPTransID is set when paid.
	ZPTransID  int64
	ServerTime int64
	// Refunded is the sum of accepted refunds.
	Refunded money.VND
}

// Attempt is one callback attempt and the reply it got.
type Attempt struct {
	N  int
	At time.Time
	// Status is the HTTP status, 0 when no answer came.
	Status int
	// Reply is the decoded reply (zero when it did not decode).
	Reply zalopay.CallbackReply
	Err   string
}

// Errors of the programmatic API.
var (
	ErrUnknownOrder = errors.New("zalopaysim: unknown order")
	ErrNotPending   = errors.New("zalopaysim: order already completed")
	ErrClosed       = errors.New("zalopaysim: closed")
	ErrNoCallback   = errors.New("zalopaysim: no callback for this order")
)

// Sim is the simulated gateway; it is an http.Handler.
type Sim struct {
	cfg      Config
	clock    clock.Clock
	callback *simkit.Courier[Attempt] // callbacks by app_trans_id
	mux      *http.ServeMux

	mu      sync.Mutex
	orders  map[string]*order // by app_trans_id
	byToken map[string]*order
	refunds map[string]bool // m_refund_id
	nextSeq int64
}

type order struct {
	Order
	token string
}

// New returns a simulator for cfg.
func New(cfg Config) *Sim {
	s := &Sim{cfg: cfg, clock: cfg.Clock, orders: map[string]*order{}, byToken: map[string]*order{}, refunds: map[string]bool{}}
	if s.clock == nil {
		s.clock = clock.System{}
	}
	s.callback = simkit.NewCourier[Attempt](simkit.Config{Interval: cfg.RetryInterval, DefaultInterval: DefaultRetryInterval,
		MaxAttempts: cfg.MaxAttempts, DefaultMaxAttempts: DefaultMaxAttempts, After: cfg.After, Client: cfg.HTTPClient,
		Timeout: 30 * time.Second})
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST "+zalopay.PathCreate, s.create)
	s.mux.HandleFunc("POST "+zalopay.PathQuery, s.query)
	s.mux.HandleFunc("POST "+zalopay.PathRefund, s.refund)
	s.mux.HandleFunc("POST "+zalopay.PathQueryRefund, s.queryRefund)
	s.mux.HandleFunc("GET /pay", s.payPage)
	s.mux.HandleFunc("POST /pay", s.payForm)
	return s
}

// ServeHTTP serves the simulator's endpoints (paths relative to where it is mounted).
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close stops every callback retry loop, aborts callbacks in flight and waits for them.
func (s *Sim) Close() { s.callback.Close() }

// Order returns the simulator's record of appTransID.
func (s *Sim) Order(appTransID string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[appTransID]
	if !ok {
		return Order{}, false
	}
	return o.Order, true
}

// Pay completes a created order as if the customer had chosen outcome: a paid order gets its callback.
// It returns the redirect URL the browser would be sent to ("" without embed_data.redirecturl). Errors:
// ErrUnknownOrder, ErrNotPending, ErrClosed.
func (s *Sim) Pay(appTransID string, outcome Outcome) (redirectURL string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.callback.Closed() {
		return "", ErrClosed
	}
	o, ok := s.orders[appTransID]
	if !ok {
		return "", ErrUnknownOrder
	}
	if o.ReturnCode != zalopay.ReturnProcessing {
		return "", ErrNotPending
	}
	now := s.clock.Now()
	o.ServerTime = now.UnixMilli()
	status := "-49" // cancelled by the user
	if outcome == Paid {
		status = "1"
		o.ReturnCode = zalopay.ReturnSuccess
		s.nextSeq++
		day, _ := strconv.ParseInt(now.In(zalopay.Zone).Format("060102"), 10, 64)
		o.ZPTransID = day*1_000_000_000 + s.nextSeq
		data, mac := s.callbackData(o)
		body, _ := json.Marshal(zalopay.CallbackBody{Data: data, MAC: mac, Type: 1})
		target := o.CallbackURL
		s.callback.Start(o.AppTransID, func(n int) (Attempt, bool) {
			a := s.attempt(n, target, body)
			return a, a.Reply.ReturnCode == 1
		})
	} else {
		o.ReturnCode = zalopay.ReturnFailed
	}
	var embed struct {
		RedirectURL string `json:"redirecturl"`
	}
	_ = json.Unmarshal([]byte(o.EmbedData), &embed)
	if embed.RedirectURL == "" {
		return "", nil
	}
	q := url.Values{"appid": {strconv.FormatInt(s.cfg.AppID, 10)}, "apptransid": {o.AppTransID},
		"amount": {strconv.FormatInt(int64(o.Amount), 10)}, "status": {status}}
	return simkit.WithQuery(embed.RedirectURL, q.Encode()), nil
}

// callbackData builds the data document in the field order of ZaloPay's sample and its mac (key2).
func (s *Sim) callbackData(o *order) (data, mac string) {
	d := zalopay.CallbackData{AppID: num(s.cfg.AppID), AppTransID: o.AppTransID, AppTime: json.Number(o.AppTime),
		AppUser: o.AppUser, Amount: num(int64(o.Amount)), EmbedData: o.EmbedData, Item: o.Item, ZPTransID: num(o.ZPTransID),
		ServerTime: num(o.ServerTime), Channel: "38", MerchantUserID: "sim-" + o.AppUser, UserFeeAmount: "0", DiscountAmount: "0"}
	b, _ := json.Marshal(d)
	return string(b), zalopay.MAC(s.cfg.Key2, string(b))
}

func num(n int64) json.Number { return json.Number(strconv.FormatInt(n, 10)) }

// Callbacks returns the callback attempts made so far for appTransID.
func (s *Sim) Callbacks(appTransID string) []Attempt {
	return s.callback.Delivery(appTransID).Attempts()
}

// WaitCallback blocks until the callback of appTransID is settled (return_code 1, out of attempts, or
// stopped by Close) or ctx ends. ErrNoCallback when the order was not paid.
func (s *Sim) WaitCallback(ctx context.Context, appTransID string) ([]Attempt, error) {
	d := s.callback.Delivery(appTransID)
	if d == nil {
		return nil, ErrNoCallback
	}
	return d.Wait(ctx)
}

// attempt POSTs the callback once and reads the merchant's JSON reply.
func (s *Sim) attempt(n int, target string, body []byte) Attempt {
	a := Attempt{N: n, At: s.clock.Now()}
	status, raw, err := s.callback.Do(simkit.Request{Method: http.MethodPost, URL: target, Body: body})
	a.Status = status
	if status == 0 {
		a.Err = err.Error()
		return a
	}
	if err := json.Unmarshal(raw, &a.Reply); err != nil {
		a.Reply = zalopay.CallbackReply{}
		a.Err = "reply is not JSON: " + err.Error()
	}
	return a
}

// ---- API ----

// form reads a form body, or a JSON object whose values (numbers keep their text) become form values.
func form(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var m map[string]any
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return nil, err
		}
		v := url.Values{}
		for k, x := range m {
			v.Set(k, fmt.Sprint(x))
		}
		return v, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	return r.PostForm, nil
}

type failure struct {
	ReturnCode       int    `json:"return_code"`
	ReturnMessage    string `json:"return_message"`
	SubReturnCode    int    `json:"sub_return_code"`
	SubReturnMessage string `json:"sub_return_message"`
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, sub int, msg string) {
	reply(w, failure{ReturnCode: zalopay.ReturnFailed, ReturnMessage: "Giao dịch thất bại", SubReturnCode: sub, SubReturnMessage: msg})
}

// The simulator's own sub_return_codes.
const (
	subBadRequest = -1
	subBadMAC     = -2
	subBadApp     = -3
	subDuplicate  = -4
	subNotFound   = -5
	subBadAmount  = -6
	subBadDate    = -7
)

// authentic reports whether a request is for this app and its mac is HMAC-SHA256(key1) of data, answering
// the failure itself when not.
func (s *Sim) authentic(w http.ResponseWriter, appID, mac string, data ...string) bool {
	if appID != strconv.FormatInt(s.cfg.AppID, 10) {
		fail(w, subBadApp, "unknown app_id")
		return false
	}
	if mac != zalopay.MAC(s.cfg.Key1, data...) {
		fail(w, subBadMAC, "mac invalid")
		return false
	}
	return true
}

func (s *Sim) create(w http.ResponseWriter, r *http.Request) {
	v, err := form(w, r)
	if err != nil {
		fail(w, subBadRequest, "bad request body")
		return
	}
	f := zalopay.ParseCreateForm(v)
	if !s.authentic(w, f.AppID, f.MAC, f.MACData()...) {
		return
	}
	amount, errA := strconv.ParseInt(f.Amount, 10, 64)
	_, errT := strconv.ParseInt(f.AppTime, 10, 64)
	var items []json.RawMessage
	var embed map[string]any
	if errA != nil || amount <= 0 {
		fail(w, subBadAmount, "amount invalid")
		return
	}
	if errT != nil || f.AppUser == "" || f.Description == "" || len(f.AppTransID) > zalopay.MaxAppTransIDLen ||
		json.Unmarshal([]byte(f.Item), &items) != nil || json.Unmarshal([]byte(f.EmbedData), &embed) != nil {
		fail(w, subBadRequest, "bad request fields")
		return
	}
	today := s.clock.Now().In(zalopay.Zone).Format("060102") + "_"
	if !strings.HasPrefix(f.AppTransID, today) || len(f.AppTransID) == len(today) {
		fail(w, subBadDate, "app_trans_id must start with today's yymmdd_ (GMT+7)")
		return
	}
	callback := f.CallbackURL
	if callback == "" {
		callback = s.cfg.CallbackURL
	}
	base := simkit.BaseURL(s.cfg.BaseURL, r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.orders[f.AppTransID]; dup {
		fail(w, subDuplicate, "duplicate app_trans_id")
		return
	}
	o := &order{Order: Order{AppTransID: f.AppTransID, AppUser: f.AppUser, Amount: money.VND(amount),
		Description: f.Description, EmbedData: f.EmbedData, Item: f.Item, AppTime: f.AppTime, CallbackURL: callback,
		ReturnCode: zalopay.ReturnProcessing}, token: simkit.RandomHex(16)}
	s.orders[o.AppTransID] = o
	s.byToken[o.token] = o
	orderURL := base + "/pay?t=" + o.token
	reply(w, zalopay.CreateResponse{ReturnCode: zalopay.ReturnSuccess, ReturnMessage: "Giao dịch thành công",
		SubReturnCode: 1, SubReturnMessage: "Giao dịch thành công", OrderURL: orderURL, ZPTransToken: o.token,
		OrderToken: o.token, QRCode: orderURL})
}

func (s *Sim) query(w http.ResponseWriter, r *http.Request) {
	v, err := form(w, r)
	if err != nil {
		fail(w, subBadRequest, "bad request body")
		return
	}
	f := zalopay.ParseQueryForm(v)
	if !s.authentic(w, f.AppID, f.MAC, f.MACData(s.cfg.Key1)...) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[f.AppTransID]
	if !ok {
		fail(w, subNotFound, "order not found")
		return
	}
	msg := map[int]string{1: "Giao dịch thành công", 2: "Giao dịch thất bại", 3: "Giao dịch đang xử lý"}[o.ReturnCode]
	reply(w, zalopay.QueryResponse{ReturnCode: o.ReturnCode, ReturnMessage: msg, SubReturnCode: o.ReturnCode,
		SubReturnMessage: msg, IsProcessing: false, Amount: int64(o.Amount), ZPTransID: o.ZPTransID, ServerTime: o.ServerTime})
}

func (s *Sim) refund(w http.ResponseWriter, r *http.Request) {
	v, err := form(w, r)
	if err != nil {
		fail(w, subBadRequest, "bad request body")
		return
	}
	f := zalopay.ParseRefundForm(v)
	if !s.authentic(w, f.AppID, f.MAC, f.MACData()...) {
		return
	}
	appID := strconv.FormatInt(s.cfg.AppID, 10)
	amount, errA := strconv.ParseInt(f.Amount, 10, 64)
	zpID, errZ := strconv.ParseInt(f.ZPTransID, 10, 64)
	_, errT := strconv.ParseInt(f.Timestamp, 10, 64)
	if errA != nil || amount <= 0 || errZ != nil || errT != nil || f.Description == "" {
		fail(w, subBadRequest, "bad request fields")
		return
	}
	prefix := s.clock.Now().In(zalopay.Zone).Format("060102") + "_" + appID + "_"
	if !strings.HasPrefix(f.MRefundID, prefix) || len(f.MRefundID) == len(prefix) {
		fail(w, subBadDate, "m_refund_id must start with yymmdd_appid_")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refunds[f.MRefundID] {
		fail(w, subDuplicate, "duplicate m_refund_id")
		return
	}
	var paid *order
	for _, o := range s.orders {
		if o.ZPTransID == zpID && o.ReturnCode == zalopay.ReturnSuccess {
			paid = o
		}
	}
	if paid == nil {
		fail(w, subNotFound, "no paid order with this zp_trans_id")
		return
	}
	if money.VND(amount) > paid.Amount-paid.Refunded {
		fail(w, subBadAmount, "amount over the refundable amount")
		return
	}
	paid.Refunded += money.VND(amount)
	s.refunds[f.MRefundID] = true
	s.nextSeq++
	reply(w, zalopay.RefundResponse{ReturnCode: zalopay.ReturnProcessing, ReturnMessage: "Giao dịch đang xử lý",
		SubReturnCode: 3, SubReturnMessage: "Giao dịch đang xử lý", RefundID: 900_000_000 + s.nextSeq})
}

func (s *Sim) queryRefund(w http.ResponseWriter, r *http.Request) {
	v, err := form(w, r)
	if err != nil {
		fail(w, subBadRequest, "bad request body")
		return
	}
	f := zalopay.ParseQueryRefundForm(v)
	if !s.authentic(w, f.AppID, f.MAC, f.MACData()...) {
		return
	}
	s.mu.Lock()
	known := s.refunds[f.MRefundID]
	s.mu.Unlock()
	if !known {
		fail(w, subNotFound, "refund not found")
		return
	}
	reply(w, zalopay.QueryRefundResponse{ReturnCode: zalopay.ReturnSuccess, ReturnMessage: "Giao dịch thành công",
		SubReturnCode: 1, SubReturnMessage: "Giao dịch thành công"})
}

// ---- pay page ----

func (s *Sim) payPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("t")
	s.mu.Lock()
	o, ok := s.byToken[token]
	var view Order
	if ok {
		view = o.Order
	}
	s.mu.Unlock()
	if !ok || view.ReturnCode != zalopay.ReturnProcessing {
		simkit.Render(w, http.StatusBadRequest, errorTmpl, "Đơn hàng không hợp lệ hoặc đã xử lý.")
		return
	}
	simkit.Render(w, http.StatusOK, pageTmpl, struct {
		Order
		Token string
	}{view, token})
}

func (s *Sim) payForm(w http.ResponseWriter, r *http.Request) {
	if err := simkit.ParseForm(w, r); err != nil {
		simkit.Render(w, http.StatusBadRequest, errorTmpl, "Biểu mẫu không đọc được.")
		return
	}
	s.mu.Lock()
	o, ok := s.byToken[r.PostForm.Get("t")]
	var id string
	if ok {
		id = o.AppTransID
		delete(s.byToken, r.PostForm.Get("t"))
	}
	s.mu.Unlock()
	if !ok {
		simkit.Render(w, http.StatusBadRequest, errorTmpl, "Đơn hàng không hợp lệ hoặc đã xử lý.")
		return
	}
	outcome := Cancelled
	if simkit.ChosePay(r.PostForm) {
		outcome = Paid
	}
	target, err := s.Pay(id, outcome)
	switch {
	case err != nil:
		simkit.Render(w, http.StatusBadRequest, errorTmpl, "Đơn hàng đã được xử lý.")
	case target == "":
		simkit.Render(w, http.StatusOK, errorTmpl, "Đã ghi nhận. Bạn có thể đóng trang này.")
	default:
		http.Redirect(w, r, target, http.StatusSeeOther)
	}
}

const (
	title  = "ZaloPay (giả lập)"
	bg     = "#eef6ff"
	accent = "#0068ff"
)

var pageTmpl = simkit.Page(title, bg, accent, "", `
<h1>ZaloPay — thanh toán giả lập</h1>
<dl><dt>Mã giao dịch</dt><dd>{{.AppTransID}}</dd><dt>Nội dung</dt><dd>{{.Description}}</dd><dt>Số tiền</dt><dd>{{.Amount}}</dd></dl>
<form method="post" action="pay"><input type="hidden" name="t" value="{{.Token}}">
<button class="pay" name="action" value="pay">Thanh toán</button>
<button class="cancel" name="action" value="cancel">Hủy</button>
</form>`)

var errorTmpl = simkit.Page(title, bg, accent, "", `<p>{{.}}</p>`)
