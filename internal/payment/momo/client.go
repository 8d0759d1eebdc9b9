package momo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
)

// orderIDPattern is MoMo's rule for orderId (spec §3).
var orderIDPattern = regexp.MustCompile(`^[0-9a-zA-Z]([-_.]*[0-9a-zA-Z]+)*$`)

// ValidOrderID reports whether id follows MoMo's orderId rule: letters and digits, with - _ . only between
// them, at most 200 characters.
func ValidOrderID(id string) bool { return len(id) <= 200 && orderIDPattern.MatchString(id) }

// Wallet payment limits (spec §3): 1,000 – 50,000,000 đồng.
const (
	MinWalletAmount = money.VND(1_000)
	MaxWalletAmount = money.VND(50_000_000)
)

// CreateRequest is one payment to start.
type CreateRequest struct {
	// RequestID is the idempotency key of the call (≤ 50); empty means a random one.
	RequestID string
	// OrderID is our payment reference, unique per partner: letters and digits, with - _ . only between them.
	OrderID string
	// Amount in đồng; for CaptureWallet 1,000 – 50,000,000.
	Amount money.VND
	// OrderInfo is shown to the customer; required.
	OrderInfo string
	// RedirectURL receives the browser after paying; IPNURL receives MoMo's POST.
	RedirectURL string
	IPNURL      string
	// RequestType is CaptureWallet (default), PayWithATM, PayWithCC or PayWithMethod.
	RequestType string
	// ExtraData is "" or base64 of a JSON object; MoMo echoes it in the IPN.
	ExtraData string
	// Lang of MoMo's pages: "vi" (default) or "en".
	Lang string
	// PartnerName and StoreID label the merchant and shop on MoMo's page (optional).
	PartnerName string
	StoreID     string
	// AutoCapture false asks for authorisation only (result 9000, capture later); nil leaves MoMo's default.
	AutoCapture *bool
}

// CreateResult is MoMo's accepted payment: where to send the customer.
type CreateResult struct {
	RequestID string
	OrderID   string
	Amount    money.VND
	// PayURL is MoMo's web page; Deeplink opens the MoMo app; QRCodeURL is the content of a QR to show.
	PayURL    string
	Deeplink  string
	QRCodeURL string
}

// Create starts a payment. Errors: apperr Invalid for a bad request (naming each field); an *APIError for a
// resultCode other than 0 (41 duplicate orderId is Conflict, 13 bad keys is Unknown …); apperr Unavailable
// when MoMo cannot be reached or answers garbage.
func (c *Client) Create(ctx context.Context, r CreateRequest) (*CreateResult, error) {
	var fields []apperr.FieldError
	bad := func(field, msg string) { fields = append(fields, apperr.FieldError{Field: field, Message: msg}) }
	reqID := r.RequestID
	if reqID == "" {
		reqID = newID()
	}
	if len(reqID) > 50 {
		bad("request_id", "must be at most 50 characters")
	}
	if !ValidOrderID(r.OrderID) {
		bad("order_id", "must be letters and digits, with - _ . only between them")
	}
	typ := r.RequestType
	if typ == "" {
		typ = CaptureWallet
	}
	switch typ {
	case CaptureWallet:
		if r.Amount < MinWalletAmount || r.Amount > MaxWalletAmount {
			bad("amount", "must be between 1,000 and 50,000,000 dong for the MoMo wallet")
		}
	case PayWithATM, PayWithCC, PayWithMethod:
		if r.Amount <= 0 {
			bad("amount", "must be above 0")
		}
	default:
		bad("request_type", "must be captureWallet, payWithATM, payWithCC or payWithMethod")
	}
	if r.OrderInfo == "" {
		bad("order_info", "is required")
	}
	for field, raw := range map[string]string{"redirect_url": r.RedirectURL, "ipn_url": r.IPNURL} {
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad(field, "must be an absolute http(s) URL")
		}
	}
	if r.ExtraData != "" {
		if _, err := base64.StdEncoding.DecodeString(r.ExtraData); err != nil {
			bad("extra_data", "must be empty or base64")
		}
	}
	lang := r.Lang
	if lang == "" {
		lang = "vi"
	}
	if lang != "vi" && lang != "en" {
		bad("lang", "must be vi or en")
	}
	if len(fields) > 0 {
		return nil, &apperr.Error{Kind: apperr.Invalid, Message: "invalid MoMo payment", Fields: fields}
	}
	b := CreateBody{
		PartnerCode: c.cfg.PartnerCode, PartnerName: r.PartnerName, StoreID: r.StoreID, RequestID: reqID,
		Amount: int64(r.Amount), OrderID: r.OrderID, OrderInfo: r.OrderInfo, RedirectURL: r.RedirectURL,
		IPNURL: r.IPNURL, RequestType: typ, ExtraData: r.ExtraData, Lang: lang, AutoCapture: r.AutoCapture,
		AccessKey: c.cfg.AccessKey,
	}
	b.Signature = Sign(c.cfg.SecretKey, b.RawSignature(c.cfg.AccessKey))
	var resp CreateResponse
	if err := c.post(ctx, PathCreate, b, &resp); err != nil {
		return nil, err
	}
	if resp.ResultCode != ResultSuccess {
		return nil, apiError(PathCreate, resp.ResultCode, resp.Message)
	}
	if resp.OrderID != r.OrderID || resp.PayURL == "" && resp.Deeplink == "" && resp.QRCodeURL == "" {
		return nil, upstream("MoMo create answer is for order %q or has no payment link", resp.OrderID)
	}
	return &CreateResult{RequestID: resp.RequestID, OrderID: resp.OrderID, Amount: money.VND(resp.Amount),
		PayURL: resp.PayURL, Deeplink: resp.Deeplink, QRCodeURL: resp.QRCodeURL}, nil
}

// QueryResult is the state of a payment as MoMo reports it.
type QueryResult struct {
	OrderID string
	Amount  money.VND
	// TransID is MoMo's transaction id (0 while nothing was paid); refunds need it.
	TransID    int64
	PayType    string
	ResultCode int
	Message    string
	ExtraData  string
	// ResponseTime is MoMo's clock at the answer.
	ResponseTime time.Time
}

// Paid reports whether the payment succeeded (result 0).
func (r QueryResult) Paid() bool { return r.ResultCode == ResultSuccess }

// Pending reports whether the payment is still unsettled.
func (r QueryResult) Pending() bool { return Pending(r.ResultCode) }

// Query asks MoMo for the state of orderID. The answer's resultCode describes the payment (0 paid, 1000
// pending, 1006 declined …) and comes back as a result; request-level codes are errors: 42 (no such order:
// apperr NotFound), 11–13 (keys or settings), 20 and 40 (our request).
func (c *Client) Query(ctx context.Context, orderID, requestID string) (*QueryResult, error) {
	if requestID == "" {
		requestID = newID()
	}
	if !ValidOrderID(orderID) || len(requestID) > 50 {
		return nil, apperr.WithField("order_id", "must be a MoMo orderId")
	}
	b := QueryBody{PartnerCode: c.cfg.PartnerCode, RequestID: requestID, OrderID: orderID, Lang: "vi"}
	b.Signature = Sign(c.cfg.SecretKey, b.RawSignature(c.cfg.AccessKey))
	var resp QueryResponse
	if err := c.post(ctx, PathQuery, b, &resp); err != nil {
		return nil, err
	}
	switch resp.ResultCode {
	case ResultAccessDenied, ResultUnsupportedVersion, ResultAuthFailed, ResultBadFormat, ResultDuplicateRequestID, ResultOrderNotFound:
		return nil, apiError(PathQuery, resp.ResultCode, resp.Message)
	}
	if resp.OrderID != orderID {
		return nil, upstream("MoMo query answer is for order %q", resp.OrderID)
	}
	return &QueryResult{OrderID: resp.OrderID, Amount: money.VND(resp.Amount), TransID: resp.TransID, PayType: resp.PayType,
		ResultCode: resp.ResultCode, Message: resp.Message, ExtraData: resp.ExtraData,
		ResponseTime: time.UnixMilli(resp.ResponseTime)}, nil
}

// RefundRequest refunds (part of) a paid MoMo transaction.
type RefundRequest struct {
	// RequestID is the idempotency key; empty means a random one.
	RequestID string
	// OrderID is a new, unique id for this refund (not the payment's orderId).
	OrderID string
	// TransID is MoMo's id of the payment to refund.
	TransID int64
	// Amount to refund in đồng, > 0.
	Amount money.VND
	// Description is the reason (optional).
	Description string
}

// RefundResult is MoMo's accepted refund.
type RefundResult struct {
	OrderID string
	Amount  money.VND
	// TransID is the refund's own MoMo transaction id.
	TransID      int64
	ResponseTime time.Time
}

// Refund refunds a payment. Errors: apperr Invalid for a bad request; an *APIError for a resultCode other
// than 0 (1081 already refunded or over the refundable amount is Conflict); apperr Unavailable otherwise.
func (c *Client) Refund(ctx context.Context, r RefundRequest) (*RefundResult, error) {
	var fields []apperr.FieldError
	bad := func(field, msg string) { fields = append(fields, apperr.FieldError{Field: field, Message: msg}) }
	reqID := r.RequestID
	if reqID == "" {
		reqID = newID()
	}
	if len(reqID) > 50 {
		bad("request_id", "must be at most 50 characters")
	}
	if !ValidOrderID(r.OrderID) {
		bad("order_id", "must be letters and digits, with - _ . only between them")
	}
	if r.TransID <= 0 {
		bad("trans_id", "must be the MoMo transaction id of the payment")
	}
	if r.Amount <= 0 {
		bad("amount", "must be above 0")
	}
	if len(fields) > 0 {
		return nil, &apperr.Error{Kind: apperr.Invalid, Message: "invalid MoMo refund", Fields: fields}
	}
	b := RefundBody{PartnerCode: c.cfg.PartnerCode, OrderID: r.OrderID, RequestID: reqID, Amount: int64(r.Amount),
		TransID: r.TransID, Lang: "vi", Description: r.Description}
	b.Signature = Sign(c.cfg.SecretKey, b.RawSignature(c.cfg.AccessKey))
	var resp RefundResponse
	if err := c.post(ctx, PathRefund, b, &resp); err != nil {
		return nil, err
	}
	if resp.ResultCode != ResultSuccess {
		return nil, apiError(PathRefund, resp.ResultCode, resp.Message)
	}
	if resp.OrderID != r.OrderID || resp.Amount != int64(r.Amount) {
		return nil, upstream("MoMo refund answer is for order %q, amount %d", resp.OrderID, resp.Amount)
	}
	return &RefundResult{OrderID: resp.OrderID, Amount: money.VND(resp.Amount), TransID: resp.TransID,
		ResponseTime: time.UnixMilli(resp.ResponseTime)}, nil
}

func (c *Client) post(ctx context.Context, path string, body, out any) error {
	if c.cfg.Endpoint == "" {
		return apperr.E(apperr.Unknown, "MoMo Endpoint is not configured")
	}
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("momo: encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.Endpoint+path, bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("momo: build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	resp, err := c.http.Do(req)
	if err != nil {
		return apperr.Wrap(err, apperr.Unavailable, "MoMo is unreachable")
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return apperr.Wrap(err, apperr.Unavailable, "MoMo answer was cut off")
	}
	// MoMo reports request errors with a 4xx status and a JSON body carrying a non-zero resultCode: the
	// caller turns that code into an error. Any other non-2xx answer is an outage.
	var head struct {
		ResultCode *int `json:"resultCode"`
	}
	if err := json.Unmarshal(raw, &head); err != nil || json.Unmarshal(raw, out) != nil {
		return apperr.Wrap(fmt.Errorf("%w: HTTP %d: %.200s", ErrMalformed, resp.StatusCode, raw), apperr.Unavailable,
			"MoMo answer is not valid JSON")
	}
	if resp.StatusCode/100 != 2 && (head.ResultCode == nil || *head.ResultCode == ResultSuccess) {
		return apperr.Wrap(fmt.Errorf("momo: HTTP %d: %.200s", resp.StatusCode, raw), apperr.Unavailable, "MoMo answered with an error status")
	}
	return nil
}

func upstream(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &apperr.Error{Kind: apperr.Unavailable, Message: msg, Err: fmt.Errorf("%w: %s", ErrMalformed, msg)}
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b)
}

// ---- IPN and redirect ----

// Notification is a verified IPN (or redirect): the outcome of a payment.
type Notification struct {
	PartnerCode string
	OrderID     string
	RequestID   string
	Amount      money.VND
	OrderInfo   string
	OrderType   string
	// TransID is MoMo's transaction id: the IPN dedupe key and the refund reference.
	TransID    int64
	ResultCode int
	Message    string
	PayType    string
	// ResponseTime is MoMo's clock when it settled the payment.
	ResponseTime time.Time
	ExtraData    string
}

// Paid reports whether the payment succeeded (resultCode 0).
func (n Notification) Paid() bool { return n.ResultCode == ResultSuccess }

// VerifyIPN checks the raw JSON body of an IPN and returns its notification; reply IPNAnswerStatus (204)
// once it is recorded. Errors, each an apperr Invalid wrapping a sentinel: ErrMalformed (not JSON, numbers
// that are not integers, a non-positive amount), ErrInvalidSignature, ErrWrongPartner.
func (c *Client) VerifyIPN(body []byte) (*Notification, error) {
	var b IPNBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&b); err != nil {
		return nil, invalid(ErrMalformed, "IPN body is not the expected JSON: %v", err)
	}
	return c.verify(b)
}

// VerifyRedirect checks the query of the browser redirect to redirectUrl (first value of each key), which
// carries the IPN's fields. Like any redirect it is for display: record payments from the IPN or Query.
func (c *Client) VerifyRedirect(q url.Values) (*Notification, error) {
	return c.verify(IPNBody{
		PartnerCode: q.Get("partnerCode"), OrderID: q.Get("orderId"), RequestID: q.Get("requestId"),
		Amount: json.Number(q.Get("amount")), OrderInfo: q.Get("orderInfo"), OrderType: q.Get("orderType"),
		TransID: json.Number(q.Get("transId")), ResultCode: json.Number(q.Get("resultCode")), Message: q.Get("message"),
		PayType: q.Get("payType"), ResponseTime: json.Number(q.Get("responseTime")), ExtraData: q.Get("extraData"),
		Signature: q.Get("signature"),
	})
}

func (c *Client) verify(b IPNBody) (*Notification, error) {
	if b.Signature == "" || !validSignature(c.cfg.SecretKey, b.RawSignature(c.cfg.AccessKey), b.Signature) {
		return nil, invalid(ErrInvalidSignature, "MoMo signature does not match")
	}
	if b.PartnerCode != c.cfg.PartnerCode {
		return nil, invalid(ErrWrongPartner, "partnerCode %q is not this partner", b.PartnerCode)
	}
	amount, err1 := strconv.ParseInt(string(b.Amount), 10, 64)
	transID, err2 := strconv.ParseInt(string(b.TransID), 10, 64)
	code, err3 := strconv.Atoi(string(b.ResultCode))
	at, err4 := strconv.ParseInt(string(b.ResponseTime), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || amount <= 0 || b.OrderID == "" {
		return nil, invalid(ErrMalformed, "IPN needs an orderId and integer amount > 0, transId, resultCode, responseTime")
	}
	return &Notification{PartnerCode: b.PartnerCode, OrderID: b.OrderID, RequestID: b.RequestID, Amount: money.VND(amount),
		OrderInfo: b.OrderInfo, OrderType: b.OrderType, TransID: transID, ResultCode: code, Message: b.Message,
		PayType: b.PayType, ResponseTime: time.UnixMilli(at), ExtraData: b.ExtraData}, nil
}
