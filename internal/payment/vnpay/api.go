package vnpay

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
)

// Text is a string field of querydr/refund JSON. VNPay sends codes and amounts sometimes as JSON strings and
// sometimes as numbers; Text takes either and keeps the text exactly as written (a number's literal), which
// is what the response hash covers. null reads as "".
type Text string

// UnmarshalJSON accepts a JSON string, number or null.
func (t *Text) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case bytes.Equal(data, []byte("null")):
		*t = ""
	case len(data) > 0 && data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*t = Text(s)
	default:
		var n json.Number
		if err := json.Unmarshal(data, &n); err != nil {
			return fmt.Errorf("vnpay: field is neither a string nor a number: %s", data)
		}
		*t = Text(data)
	}
	return nil
}

// API commands.
const (
	CommandQueryDR = "querydr"
	CommandRefund  = "refund"
)

// Refund transaction types (vnp_TransactionType); querydr also reports TypePay.
const (
	TypePay           = "01"
	TypeFullRefund    = "02"
	TypePartialRefund = "03"
)

// QueryDRBody is the JSON of a querydr request (spec §1.7).
type QueryDRBody struct {
	RequestID       Text `json:"vnp_RequestId"`
	Version         Text `json:"vnp_Version"`
	Command         Text `json:"vnp_Command"`
	TmnCode         Text `json:"vnp_TmnCode"`
	TxnRef          Text `json:"vnp_TxnRef"`
	OrderInfo       Text `json:"vnp_OrderInfo"`
	TransactionNo   Text `json:"vnp_TransactionNo,omitempty"`
	TransactionDate Text `json:"vnp_TransactionDate"`
	CreateDate      Text `json:"vnp_CreateDate"`
	IPAddr          Text `json:"vnp_IpAddr"`
	SecureHash      Text `json:"vnp_SecureHash"`
}

// HashData lists the signed values in VNPay's order:
// RequestId|Version|Command|TmnCode|TxnRef|TransactionDate|CreateDate|IpAddr|OrderInfo.
func (b QueryDRBody) HashData() []string {
	return texts(b.RequestID, b.Version, b.Command, b.TmnCode, b.TxnRef, b.TransactionDate, b.CreateDate, b.IPAddr, b.OrderInfo)
}

// Sign sets SecureHash for secret.
func (b *QueryDRBody) Sign(secret string) { b.SecureHash = Text(PipeHash(secret, b.HashData()...)) }

// Valid reports whether SecureHash matches secret (case-insensitive, constant time).
func (b QueryDRBody) Valid(secret string) bool {
	return equalHex(string(b.SecureHash), PipeHash(secret, b.HashData()...))
}

// QueryDRResponse is the JSON of a querydr response.
type QueryDRResponse struct {
	ResponseID        Text `json:"vnp_ResponseId"`
	Command           Text `json:"vnp_Command"`
	ResponseCode      Text `json:"vnp_ResponseCode"`
	Message           Text `json:"vnp_Message"`
	TmnCode           Text `json:"vnp_TmnCode"`
	TxnRef            Text `json:"vnp_TxnRef"`
	Amount            Text `json:"vnp_Amount"`
	BankCode          Text `json:"vnp_BankCode"`
	PayDate           Text `json:"vnp_PayDate"`
	TransactionNo     Text `json:"vnp_TransactionNo"`
	TransactionType   Text `json:"vnp_TransactionType"`
	TransactionStatus Text `json:"vnp_TransactionStatus"`
	OrderInfo         Text `json:"vnp_OrderInfo"`
	PromotionCode     Text `json:"vnp_PromotionCode"`
	PromotionAmount   Text `json:"vnp_PromotionAmount"`
	SecureHash        Text `json:"vnp_SecureHash"`
}

// HashData lists the signed values in the order of spec §1.7 (absent fields are empty strings):
// ResponseId|Command|ResponseCode|Message|TmnCode|TxnRef|Amount|BankCode|PayDate|TransactionNo|
// TransactionType|TransactionStatus|OrderInfo|PromotionCode|PromotionAmount.
func (r QueryDRResponse) HashData() []string {
	return texts(r.ResponseID, r.Command, r.ResponseCode, r.Message, r.TmnCode, r.TxnRef, r.Amount, r.BankCode,
		r.PayDate, r.TransactionNo, r.TransactionType, r.TransactionStatus, r.OrderInfo, r.PromotionCode, r.PromotionAmount)
}

// Sign sets SecureHash for secret.
func (r *QueryDRResponse) Sign(secret string) { r.SecureHash = Text(PipeHash(secret, r.HashData()...)) }

// RefundBody is the JSON of a refund request (spec §1.8).
type RefundBody struct {
	RequestID       Text `json:"vnp_RequestId"`
	Version         Text `json:"vnp_Version"`
	Command         Text `json:"vnp_Command"`
	TmnCode         Text `json:"vnp_TmnCode"`
	TransactionType Text `json:"vnp_TransactionType"`
	TxnRef          Text `json:"vnp_TxnRef"`
	Amount          Text `json:"vnp_Amount"`
	OrderInfo       Text `json:"vnp_OrderInfo"`
	TransactionNo   Text `json:"vnp_TransactionNo"`
	TransactionDate Text `json:"vnp_TransactionDate"`
	CreateBy        Text `json:"vnp_CreateBy"`
	CreateDate      Text `json:"vnp_CreateDate"`
	IPAddr          Text `json:"vnp_IpAddr"`
	SecureHash      Text `json:"vnp_SecureHash"`
}

// HashData lists the signed values in VNPay's order: RequestId|Version|Command|TmnCode|TransactionType|
// TxnRef|Amount|TransactionNo|TransactionDate|CreateBy|CreateDate|IpAddr|OrderInfo.
func (b RefundBody) HashData() []string {
	return texts(b.RequestID, b.Version, b.Command, b.TmnCode, b.TransactionType, b.TxnRef, b.Amount, b.TransactionNo,
		b.TransactionDate, b.CreateBy, b.CreateDate, b.IPAddr, b.OrderInfo)
}

// Sign sets SecureHash for secret.
func (b *RefundBody) Sign(secret string) { b.SecureHash = Text(PipeHash(secret, b.HashData()...)) }

// Valid reports whether SecureHash matches secret.
func (b RefundBody) Valid(secret string) bool {
	return equalHex(string(b.SecureHash), PipeHash(secret, b.HashData()...))
}

// RefundResponse is the JSON of a refund response: querydr's fields without the promotion pair.
type RefundResponse struct {
	ResponseID        Text `json:"vnp_ResponseId"`
	Command           Text `json:"vnp_Command"`
	ResponseCode      Text `json:"vnp_ResponseCode"`
	Message           Text `json:"vnp_Message"`
	TmnCode           Text `json:"vnp_TmnCode"`
	TxnRef            Text `json:"vnp_TxnRef"`
	Amount            Text `json:"vnp_Amount"`
	BankCode          Text `json:"vnp_BankCode"`
	PayDate           Text `json:"vnp_PayDate"`
	TransactionNo     Text `json:"vnp_TransactionNo"`
	TransactionType   Text `json:"vnp_TransactionType"`
	TransactionStatus Text `json:"vnp_TransactionStatus"`
	OrderInfo         Text `json:"vnp_OrderInfo"`
	SecureHash        Text `json:"vnp_SecureHash"`
}

// HashData lists the signed values: querydr's response order without PromotionCode|PromotionAmount.
func (r RefundResponse) HashData() []string {
	return texts(r.ResponseID, r.Command, r.ResponseCode, r.Message, r.TmnCode, r.TxnRef, r.Amount, r.BankCode,
		r.PayDate, r.TransactionNo, r.TransactionType, r.TransactionStatus, r.OrderInfo)
}

// Sign sets SecureHash for secret.
func (r *RefundResponse) Sign(secret string) { r.SecureHash = Text(PipeHash(secret, r.HashData()...)) }

func texts(ts ...Text) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}

// APIError is a querydr/refund answer other than "00". Test for a code with errors.Is and the Err* values.
type APIError struct {
	Command string
	Code    string
	Message string
}

// Error describes the failed call and the provider's code.
func (e *APIError) Error() string {
	return fmt.Sprintf("vnpay %s: code %s: %s", e.Command, e.Code, e.Message)
}

// Is matches another *APIError with the same code, so errors.Is(err, ErrTxnNotFound) works.
func (e *APIError) Is(target error) bool {
	t, ok := target.(*APIError)
	return ok && t.Code == e.Code
}

// The API codes a caller acts on (spec §1.6). They arrive wrapped in an apperr.Error: 91 NotFound, 94 and 95
// Conflict, 97 Unknown (our secret or TmnCode is wrong), other codes Unavailable.
var (
	ErrTxnNotFound      = &APIError{Code: "91", Message: "transaction not found"}
	ErrDuplicateRequest = &APIError{Code: "94", Message: "duplicate request, or a refund already in progress"}
	ErrRefundRefused    = &APIError{Code: "95", Message: "original transaction not successful, refund refused"}
	ErrChecksum         = &APIError{Code: "97", Message: "VNPay rejected our checksum"}
)

func apiError(command, code, message string) error {
	e := &APIError{Command: command, Code: code, Message: message}
	kind := apperr.Unavailable
	switch code {
	case "91":
		kind = apperr.NotFound
	case "94", "95":
		kind = apperr.Conflict
	case "97":
		kind = apperr.Unknown
	}
	return &apperr.Error{Kind: kind, Message: "VNPay " + command + ": " + e.Message, Err: e}
}

// Transaction is a verified querydr or refund response.
type Transaction struct {
	// ResponseCode is the API answer, "00" here (other codes are errors).
	ResponseCode string
	Message      string
	TxnRef       string
	// Amount in đồng (vnp_Amount ÷ 100, after the hash was checked); 0 when VNPay left it out.
	Amount   money.VND
	BankCode string
	// PayDate is vnp_PayDate in GMT+7; zero when absent.
	PayDate       time.Time
	TransactionNo string
	// TransactionType is TypePay, TypeFullRefund or TypePartialRefund.
	TransactionType string
	// TransactionStatus is VNPay's status of the transaction (00 success, 01 not completed, 02 error,
	// 04 reversed, 05 refund processing, 06 refund sent to bank, 07 suspected fraud, 09 refund rejected).
	TransactionStatus string
	OrderInfo         string
	// PromotionCode and PromotionAmount (raw, as VNPay wrote it; querydr only).
	PromotionCode   string
	PromotionAmount string
}

// Paid reports whether the queried payment succeeded (status 00 of a pay transaction).
func (t Transaction) Paid() bool {
	return t.TransactionStatus == "00" && (t.TransactionType == "" || t.TransactionType == TypePay)
}

// QueryRequest asks VNPay for the state of a payment (querydr).
type QueryRequest struct {
	// RequestID is unique per day (1–32 of A–Z a–z 0–9 . _ -); empty means a random one.
	RequestID string
	// TxnRef of the payment.
	TxnRef string
	// OrderInfo describes the query; cleaned with Clean, empty means "Query <TxnRef>".
	OrderInfo string
	// TransactionNo is VNPay's number for the payment, when known (digits).
	TransactionNo string
	// TransactionDate is the pay request's CreatedAt (its vnp_CreateDate).
	TransactionDate time.Time
	// IPAddr is our server's IP address.
	IPAddr string
}

// QueryDR asks VNPay for a payment's state and returns the verified answer. Errors: apperr Invalid for a
// bad request; an *APIError for a code other than 00 (ErrTxnNotFound, ErrDuplicateRequest, ErrChecksum …);
// ErrInvalidSignature or ErrMalformed (kind Unavailable) for a response that fails its hash or names
// another payment; apperr Unavailable when VNPay cannot be reached.
func (c *Client) QueryDR(ctx context.Context, r QueryRequest) (*Transaction, error) {
	info := Clean(r.OrderInfo, 255)
	if info == "" {
		info = Clean("Query "+r.TxnRef, 255)
	}
	reqID, fields := c.checkAPIRequest(r.RequestID, r.TxnRef, r.TransactionNo, r.TransactionDate, r.IPAddr)
	if len(fields) > 0 {
		return nil, &apperr.Error{Kind: apperr.Invalid, Message: "invalid VNPay query", Fields: fields}
	}
	b := QueryDRBody{
		RequestID: Text(reqID), Version: Version, Command: CommandQueryDR, TmnCode: Text(c.cfg.TmnCode),
		TxnRef: Text(r.TxnRef), OrderInfo: Text(info), TransactionNo: Text(r.TransactionNo),
		TransactionDate: Text(formatDate(r.TransactionDate)), CreateDate: Text(formatDate(c.clock.Now())),
		IPAddr: Text(r.IPAddr),
	}
	b.Sign(c.cfg.HashSecret)
	var resp QueryDRResponse
	if err := c.post(ctx, b, &resp); err != nil {
		return nil, err
	}
	if err := c.checkResponse(CommandQueryDR, string(resp.ResponseCode), string(resp.Message), string(resp.SecureHash),
		resp.HashData(), string(resp.TmnCode), string(resp.TxnRef), r.TxnRef); err != nil {
		return nil, err
	}
	t, err := transaction(resp.ResponseCode, resp.Message, resp.TxnRef, resp.Amount, resp.BankCode, resp.PayDate,
		resp.TransactionNo, resp.TransactionType, resp.TransactionStatus, resp.OrderInfo)
	if err != nil {
		return nil, err
	}
	t.PromotionCode, t.PromotionAmount = string(resp.PromotionCode), string(resp.PromotionAmount)
	return t, nil
}

// RefundRequest asks VNPay to refund (part of) a successful payment.
type RefundRequest struct {
	// RequestID is unique per day; empty means a random one.
	RequestID string
	// TxnRef of the payment to refund.
	TxnRef string
	// Amount to refund in đồng, > 0 and at most the payment's amount.
	Amount money.VND
	// Partial makes it a partial refund (type 03); otherwise a full refund (type 02).
	Partial bool
	// OrderInfo is the reason; cleaned with Clean, empty means "Refund <TxnRef>".
	OrderInfo string
	// TransactionNo is VNPay's number for the payment; empty sends "0", as VNPay's own demo does.
	TransactionNo string
	// TransactionDate is the pay request's CreatedAt.
	TransactionDate time.Time
	// CreateBy names who refunds (a user name; cleaned with Clean).
	CreateBy string
	// IPAddr is our server's IP address.
	IPAddr string
}

// Refund asks VNPay to refund a payment and returns the verified answer. Errors as QueryDR; in addition
// ErrDuplicateRequest (94: a refund is already in progress) and ErrRefundRefused (95: the payment did not
// succeed). VNPay restricts refunds in its sandbox.
func (c *Client) Refund(ctx context.Context, r RefundRequest) (*Transaction, error) {
	info := Clean(r.OrderInfo, 255)
	if info == "" {
		info = Clean("Refund "+r.TxnRef, 255)
	}
	txnNo := r.TransactionNo
	if txnNo == "" {
		txnNo = "0"
	}
	reqID, fields := c.checkAPIRequest(r.RequestID, r.TxnRef, txnNo, r.TransactionDate, r.IPAddr)
	if r.Amount <= 0 || r.Amount > MaxAmount {
		fields = append(fields, apperr.FieldError{Field: "amount", Message: "must be between 1 and 9,999,999,999 dong"})
	}
	createBy := Clean(r.CreateBy, 250)
	if createBy == "" {
		fields = append(fields, apperr.FieldError{Field: "create_by", Message: "must name who refunds"})
	}
	if len(fields) > 0 {
		return nil, &apperr.Error{Kind: apperr.Invalid, Message: "invalid VNPay refund", Fields: fields}
	}
	typ := TypeFullRefund
	if r.Partial {
		typ = TypePartialRefund
	}
	b := RefundBody{
		RequestID: Text(reqID), Version: Version, Command: CommandRefund, TmnCode: Text(c.cfg.TmnCode),
		TransactionType: Text(typ), TxnRef: Text(r.TxnRef), Amount: Text(strconv.FormatInt(int64(r.Amount)*100, 10)),
		OrderInfo: Text(info), TransactionNo: Text(txnNo), TransactionDate: Text(formatDate(r.TransactionDate)),
		CreateBy: Text(createBy), CreateDate: Text(formatDate(c.clock.Now())), IPAddr: Text(r.IPAddr),
	}
	b.Sign(c.cfg.HashSecret)
	var resp RefundResponse
	if err := c.post(ctx, b, &resp); err != nil {
		return nil, err
	}
	if err := c.checkResponse(CommandRefund, string(resp.ResponseCode), string(resp.Message), string(resp.SecureHash),
		resp.HashData(), string(resp.TmnCode), string(resp.TxnRef), r.TxnRef); err != nil {
		return nil, err
	}
	return transaction(resp.ResponseCode, resp.Message, resp.TxnRef, resp.Amount, resp.BankCode, resp.PayDate,
		resp.TransactionNo, resp.TransactionType, resp.TransactionStatus, resp.OrderInfo)
}

func (c *Client) checkAPIRequest(requestID, txnRef, txnNo string, txnDate time.Time, ip string) (string, []apperr.FieldError) {
	var fields []apperr.FieldError
	bad := func(field, msg string) { fields = append(fields, apperr.FieldError{Field: field, Message: msg}) }
	if requestID == "" {
		requestID = newRequestID()
	}
	if !isRef(requestID, 32) {
		bad("request_id", "must be 1–32 letters, digits, '.', '_' or '-'")
	}
	if !isRef(txnRef, 100) {
		bad("txn_ref", "must be 1–100 letters, digits, '.', '_' or '-'")
	}
	if txnNo != "" && (!isDigitsOnly(txnNo) || len(txnNo) > 15) {
		bad("transaction_no", "must be VNPay's transaction number (digits)")
	}
	if txnDate.IsZero() {
		bad("transaction_date", "must be the payment's creation time")
	}
	if _, err := netip.ParseAddr(ip); err != nil {
		bad("ip_addr", "must be an IP address")
	}
	if c.cfg.APIURL == "" {
		bad("api_url", "VNPay APIURL is not configured")
	}
	return requestID, fields
}

// post sends body as JSON to the API URL and decodes the answer into out.
func (c *Client) post(ctx context.Context, body, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("vnpay: encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.APIURL, bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("vnpay: build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return apperr.Wrap(err, apperr.Unavailable, "VNPay is unreachable")
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return apperr.Wrap(err, apperr.Unavailable, "VNPay answer was cut off")
	}
	if resp.StatusCode/100 != 2 {
		return apperr.Wrap(fmt.Errorf("vnpay: HTTP %d: %.200s", resp.StatusCode, raw), apperr.Unavailable, "VNPay answered with an error status")
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return apperr.Wrap(fmt.Errorf("%w: %v", ErrMalformed, err), apperr.Unavailable, "VNPay answer is not valid JSON")
	}
	return nil
}

// checkResponse verifies an API answer: a present hash must match; a 00 answer must carry one; a code other
// than 00 becomes an *APIError; a verified 00 answer must be for our terminal and payment.
func (c *Client) checkResponse(command, code, message, hash string, hashData []string, tmn, gotRef, wantRef string) error {
	if hash != "" && !equalHex(hash, PipeHash(c.cfg.HashSecret, hashData...)) {
		return upstream(ErrInvalidSignature, "VNPay %s answer fails its checksum", command)
	}
	if code != "00" {
		return apiError(command, code, message)
	}
	if hash == "" {
		return upstream(ErrInvalidSignature, "VNPay %s answer has no checksum", command)
	}
	if tmn != c.cfg.TmnCode || gotRef != wantRef {
		return upstream(ErrMalformed, "VNPay %s answer is for terminal %q, payment %q", command, tmn, gotRef)
	}
	return nil
}

func transaction(code, message, txnRef, amount, bank, payDate, txnNo, typ, status, info Text) (*Transaction, error) {
	t := &Transaction{
		ResponseCode: string(code), Message: string(message), TxnRef: string(txnRef), BankCode: string(bank),
		TransactionNo: string(txnNo), TransactionType: string(typ), TransactionStatus: string(status), OrderInfo: string(info),
	}
	if amount != "" {
		a, err := parseAmount100(string(amount))
		if err != nil {
			return nil, upstream(ErrInvalidAmount, "VNPay answer amount %q is not dong x 100", amount)
		}
		t.Amount = a
	}
	if payDate != "" {
		d, err := ParseDate(string(payDate))
		if err != nil {
			return nil, upstream(ErrMalformed, "VNPay answer pay date %q is not yyyyMMddHHmmss", payDate)
		}
		t.PayDate = d
	}
	return t, nil
}

// upstream is an answer from VNPay we cannot trust or read: the caller should retry or reconcile later.
func upstream(sentinel error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &apperr.Error{Kind: apperr.Unavailable, Message: msg, Err: fmt.Errorf("%w: %s", sentinel, msg)}
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b)
}

func isDigitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
