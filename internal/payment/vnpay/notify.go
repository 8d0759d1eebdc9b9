package vnpay

import (
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/goodgo/goodgo/internal/platform/money"
)

// Notification is a verified return-URL or IPN query (spec §1.4): what VNPay says happened to a payment.
type Notification struct {
	TmnCode string
	// TxnRef is our reference from the pay request.
	TxnRef string
	// Amount in đồng (vnp_Amount ÷ 100, divided after the signature was checked).
	Amount money.VND
	// OrderInfo as echoed.
	OrderInfo string
	// TransactionNo is VNPay's transaction number: the dedupe key of IPNs and the reference of querydr and
	// refund. VNPay sends "0" for a payment that did not go through.
	TransactionNo string
	// ResponseCode and TransactionStatus are VNPay's two-digit codes (spec §1.6).
	ResponseCode      string
	TransactionStatus string
	// BankCode, BankTranNo (the bank's transaction number) and CardType (ATM, QRCODE …) are optional.
	BankCode   string
	BankTranNo string
	CardType   string
	// PayDate is vnp_PayDate (GMT+7); zero when absent.
	PayDate time.Time
}

// Paid reports whether the payment succeeded: vnp_ResponseCode and vnp_TransactionStatus both "00".
func (n Notification) Paid() bool { return n.ResponseCode == "00" && n.TransactionStatus == "00" }

// VerifyQuery verifies a return-URL or IPN query string exactly as received (r.URL.RawQuery) and returns
// its notification. A query that does not parse is malformed; see Verify for the checks.
func (c *Client) VerifyQuery(rawQuery string) (*Notification, error) {
	v, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, invalid(ErrMalformed, "query does not parse: %v", err)
	}
	return c.Verify(v)
}

// Verify checks a return-URL or IPN query (first value of a repeated key; values hashed exactly as
// received) and returns the notification it carries. Errors, each an apperr Invalid wrapping a sentinel:
// ErrInvalidSignature (hash missing or wrong: answer 97), ErrWrongTerminal (another vnp_TmnCode),
// ErrInvalidAmount (vnp_Amount not a positive multiple of 100: answer 04), ErrMalformed (vnp_TxnRef,
// vnp_ResponseCode or vnp_TransactionStatus missing, vnp_PayDate not a date). Use AnswerFor to turn an
// error into the IPN answer.
func (c *Client) Verify(v url.Values) (*Notification, error) {
	if err := VerifyValues(c.cfg.HashSecret, v); err != nil {
		return nil, err
	}
	if got := v.Get("vnp_TmnCode"); got != c.cfg.TmnCode {
		return nil, invalid(ErrWrongTerminal, "vnp_TmnCode %q is not this terminal", got)
	}
	amount, err := parseAmount100(v.Get("vnp_Amount"))
	if err != nil {
		return nil, err
	}
	n := &Notification{
		TmnCode:           v.Get("vnp_TmnCode"),
		TxnRef:            v.Get("vnp_TxnRef"),
		Amount:            amount,
		OrderInfo:         v.Get("vnp_OrderInfo"),
		TransactionNo:     v.Get("vnp_TransactionNo"),
		ResponseCode:      v.Get("vnp_ResponseCode"),
		TransactionStatus: v.Get("vnp_TransactionStatus"),
		BankCode:          v.Get("vnp_BankCode"),
		BankTranNo:        v.Get("vnp_BankTranNo"),
		CardType:          v.Get("vnp_CardType"),
	}
	if n.TxnRef == "" || n.ResponseCode == "" || n.TransactionStatus == "" {
		return nil, invalid(ErrMalformed, "vnp_TxnRef, vnp_ResponseCode and vnp_TransactionStatus are required")
	}
	if s := v.Get("vnp_PayDate"); s != "" {
		if n.PayDate, err = ParseDate(s); err != nil {
			return nil, invalid(ErrMalformed, "vnp_PayDate %q is not yyyyMMddHHmmss", s)
		}
	}
	return n, nil
}

// parseAmount100 reads a wire amount (đồng × 100): digits only, > 0, a multiple of 100.
func parseAmount100(s string) (money.VND, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, invalid(ErrInvalidAmount, "vnp_Amount %q is not digits", s)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, invalid(ErrInvalidAmount, "vnp_Amount %q is not a positive amount", s)
	}
	if n%100 != 0 {
		return 0, invalid(ErrInvalidAmount, "vnp_Amount %q is not a whole number of dong x 100", s)
	}
	return money.VND(n / 100), nil
}

// RspCode is the code of an IPN answer (spec §1.5).
type RspCode string

// The IPN answer codes. VNPay stops retrying on 00 and 02 and retries on every other code (and on no
// answer), up to 10 times 5 minutes apart.
const (
	RspConfirmSuccess   RspCode = "00" // IPN recorded (also for a failed payment that was recorded)
	RspOrderNotFound    RspCode = "01" // unknown vnp_TxnRef
	RspAlreadyConfirmed RspCode = "02" // the order is no longer pending (a replay)
	RspInvalidAmount    RspCode = "04" // vnp_Amount ÷ 100 differs from the order's amount
	RspInvalidSignature RspCode = "97" // checksum mismatch
	RspUnknownError     RspCode = "99" // anything else
)

// Message returns the message VNPay's SDKs send with the code.
func (c RspCode) Message() string {
	switch c {
	case RspConfirmSuccess:
		return "Confirm Success"
	case RspOrderNotFound:
		return "Order not found"
	case RspAlreadyConfirmed:
		return "Order already confirmed"
	case RspInvalidAmount:
		return "Invalid amount"
	case RspInvalidSignature:
		return "Invalid signature"
	}
	return "Unknown error"
}

// IPNAnswer is the JSON body of the HTTP 200 reply to an IPN: {"RspCode":"00","Message":"Confirm Success"}.
type IPNAnswer struct {
	RspCode RspCode `json:"RspCode"`
	Message string  `json:"Message"`
}

// Answer returns the IPN answer for code with its standard message.
func Answer(code RspCode) IPNAnswer { return IPNAnswer{RspCode: code, Message: code.Message()} }

// Final reports whether VNPay stops retrying the IPN after this answer (00 or 02).
func (a IPNAnswer) Final() bool {
	return a.RspCode == RspConfirmSuccess || a.RspCode == RspAlreadyConfirmed
}

// AnswerFor maps an error of Verify to its IPN answer: a bad signature 97, a bad amount 04, anything else
// 99. (Order lookups are the caller's: 01 unknown order, 04 amount differs, 02 already settled, 00 done.)
func AnswerFor(err error) IPNAnswer {
	switch {
	case err == nil:
		return Answer(RspConfirmSuccess)
	case errors.Is(err, ErrInvalidSignature):
		return Answer(RspInvalidSignature)
	case errors.Is(err, ErrInvalidAmount):
		return Answer(RspInvalidAmount)
	}
	return Answer(RspUnknownError)
}
