// Package momo talks to the MoMo e-wallet's All-In-One payment gateway, API v2 (spec §3): create a payment
// (the customer pays in the MoMo app or on MoMo's page), query it, refund it, and verify the IPN MoMo POSTs
// when a payment settles (and the browser redirect carrying the same fields). It holds no state; the payment
// module keeps intents and dedupes IPNs by TransID.
//
// Rules this package keeps:
//   - Every signature is hex(HMAC-SHA256(secretKey, raw)) where raw joins key=value pairs, keys in a–z byte
//     order, values not URL-encoded, with accessKey (ours, never in the body) among the keys. One function
//     (RawSignature) builds every raw string; each message lists its own keys.
//   - Inbound values are signed exactly as received: numbers keep their JSON text (json.Number).
//   - Amounts are plain integer đồng (money.VND) on the wire too.
//   - The IPN is answered with HTTP 204 No Content (IPNAnswerStatus) within 15 seconds.
package momo

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
)

// SandboxEndpoint is MoMo's test host; the production host comes with the merchant's contract.
const SandboxEndpoint = "https://test-payment.momo.vn"

// API paths under Config.Endpoint.
const (
	PathCreate = "/v2/gateway/api/create"
	PathQuery  = "/v2/gateway/api/query"
	PathRefund = "/v2/gateway/api/refund"
)

// IPNAnswerStatus is the reply MoMo expects to an IPN it could deliver: 204 No Content, no body.
const IPNAnswerStatus = http.StatusNoContent

// Request types (how the customer pays).
const (
	CaptureWallet = "captureWallet" // the MoMo wallet (app or QR)
	PayWithATM    = "payWithATM"    // domestic ATM card
	PayWithCC     = "payWithCC"     // international card
	PayWithMethod = "payWithMethod" // the customer picks on MoMo's page
)

// Result codes (spec §3; MoMo's result-code page). Codes past 1000 describe a transaction; the rest a request.
const (
	ResultSuccess            = 0    // final success
	ResultAccessDenied       = 11   // merchant settings forbid the call
	ResultUnsupportedVersion = 12   // API version not supported
	ResultAuthFailed         = 13   // merchant authentication failed (signature, keys)
	ResultBadFormat          = 20   // bad request format (outside the spec, MoMo result-code page)
	ResultAmountOutOfRange   = 22   // amount outside the method's range (outside the spec)
	ResultDuplicateRequestID = 40   // requestId already used (outside the spec)
	ResultDuplicateOrderID   = 41   // orderId already used (outside the spec)
	ResultOrderNotFound      = 42   // orderId invalid or not found (outside the spec)
	ResultPending            = 1000 // waiting for the customer to confirm
	ResultUserDeclined       = 1006 // the customer declined
	ResultRefundFailed       = 1080 // refund failed: check the orderId/transId (outside the spec)
	ResultRefundRejected     = 1081 // already refunded or over the refundable amount (outside the spec)
	ResultRefundIneligible   = 1088 // the payment cannot be refunded (outside the spec)
	ResultProcessing         = 7000 // being processed
	ResultProcessingProvider = 7002 // being processed by the payment instrument's provider
	ResultAwaitingReconfirm  = 8000 // waiting for the customer to re-confirm
	ResultAuthorized         = 9000 // authorized; needs capture when autoCapture is false
)

// Pending reports whether code leaves a payment unsettled: wait for the IPN or query again.
func Pending(code int) bool {
	switch code {
	case ResultPending, ResultProcessing, ResultProcessingProvider, ResultAwaitingReconfirm, ResultAuthorized:
		return true
	}
	return false
}

// Config is one merchant's MoMo account.
type Config struct {
	PartnerCode string
	AccessKey   string
	SecretKey   string
	// Endpoint is the API host, e.g. SandboxEndpoint (no trailing slash needed).
	Endpoint string
	// HTTPClient makes the API calls; nil means a client with a 30-second timeout (MoMo asks for ≥ 30 s).
	HTTPClient *http.Client
}

// Client signs and verifies for one partner and calls MoMo's API. It is safe for concurrent use.
type Client struct {
	cfg  Config
	http *http.Client
}

// New checks cfg and returns a client for it.
func New(cfg Config) (*Client, error) {
	if cfg.PartnerCode == "" || cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, errors.New("momo: PartnerCode, AccessKey and SecretKey are required")
	}
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
			return nil, fmt.Errorf("momo: Endpoint %q must be an absolute http(s) URL", cfg.Endpoint)
		}
		cfg.Endpoint = strings.TrimRight(cfg.Endpoint, "/")
	}
	c := &Client{cfg: cfg, http: cfg.HTTPClient}
	if c.http == nil {
		c.http = &http.Client{Timeout: 30 * time.Second}
	}
	return c, nil
}

// PartnerCode returns the partner the client signs for.
func (c *Client) PartnerCode() string { return c.cfg.PartnerCode }

// RawSignature joins fields as key=value pairs in a–z byte order of the keys with "&", values raw. Every
// message signature is built with it; each message's method names its keys.
func RawSignature(fields map[string]string) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(fields[k])
	}
	return b.String()
}

// Sign returns hex(HMAC-SHA256(secretKey, raw)).
func Sign(secretKey, raw string) string {
	m := hmac.New(sha256.New, []byte(secretKey))
	m.Write([]byte(raw))
	return hex.EncodeToString(m.Sum(nil))
}

// validSignature compares a received signature with Sign(secretKey, raw), ignoring the received case, in
// constant time.
func validSignature(secretKey, raw, got string) bool {
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(got)), []byte(Sign(secretKey, raw))) == 1
}

// Errors a caller can test for with errors.Is. Verification errors arrive wrapped in an apperr.Error of
// kind Invalid.
var (
	ErrInvalidSignature = errors.New("momo: invalid signature")
	ErrWrongPartner     = errors.New("momo: message for another partner")
	ErrMalformed        = errors.New("momo: malformed message")
)

func invalid(sentinel error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &apperr.Error{Kind: apperr.Invalid, Message: msg, Err: fmt.Errorf("%w: %s", sentinel, msg)}
}

// APIError is a MoMo answer with a resultCode that fails the call. Test for a code with errors.Is and a
// &APIError{Code: …}, or errors.As.
type APIError struct {
	Path    string
	Code    int
	Message string
}

// Error describes the failed call and the provider's code.
func (e *APIError) Error() string {
	return fmt.Sprintf("momo %s: resultCode %d: %s", e.Path, e.Code, e.Message)
}

// Is matches another *APIError with the same code.
func (e *APIError) Is(target error) bool {
	t, ok := target.(*APIError)
	return ok && t.Code == e.Code
}

// apiError wraps a failing resultCode with a kind: 40/41/1081/1088 Conflict, 42 NotFound, 20–22 Invalid,
// 11–13 Unknown (our keys or settings are wrong), others Unavailable.
func apiError(path string, code int, message string) error {
	kind := apperr.Unavailable
	switch code {
	case ResultDuplicateRequestID, ResultDuplicateOrderID, ResultRefundRejected, ResultRefundIneligible:
		kind = apperr.Conflict
	case ResultOrderNotFound:
		kind = apperr.NotFound
	case ResultBadFormat, 21, ResultAmountOutOfRange:
		kind = apperr.Invalid
	case ResultAccessDenied, ResultUnsupportedVersion, ResultAuthFailed:
		kind = apperr.Unknown
	}
	return &apperr.Error{Kind: kind, Message: "MoMo: " + message, Err: &APIError{Path: path, Code: code, Message: message}}
}
