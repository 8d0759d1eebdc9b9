// Package zalopay talks to the ZaloPay gateway, API v2 (spec §4): create an order (the customer pays in
// the ZaloPay app or on ZaloPay's page), query it, verify the callback ZaloPay POSTs when it is paid and
// build the reply, and (outside the spec, from ZaloPay's public v2 docs) refund a paid order and query the
// refund. It holds no state; the payment module keeps intents and dedupes callbacks by ZPTransID.
//
// Rules this package keeps:
//   - Every mac is hex(HMAC-SHA256(key, fields joined by "|")) in ZaloPay's fixed field order per message,
//     never alphabetical: create and refund requests sign with key1, the callback with key2.
//   - The callback mac covers the data string exactly as received; data is parsed only after it verifies,
//     with int64-exact numbers (zp_trans_id exceeds float precision).
//   - app_trans_id starts with the GMT+7 date as yymmdd_; m_refund_id with yymmdd_<app_id>_.
//   - Amounts are plain integer đồng.
package zalopay

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
)

// SandboxEndpoint is ZaloPay's test host; production is https://openapi.zalopay.vn.
const SandboxEndpoint = "https://sb-openapi.zalopay.vn"

// API paths under Config.Endpoint.
const (
	PathCreate      = "/v2/create"
	PathQuery       = "/v2/query"
	PathRefund      = "/v2/refund"       // outside the spec
	PathQueryRefund = "/v2/query_refund" // outside the spec
)

// Return codes of query, refund and query_refund: 1 success, 2 failure, 3 still processing.
const (
	ReturnSuccess    = 1
	ReturnFailed     = 2
	ReturnProcessing = 3
)

// Zone is GMT+7, the zone of the yymmdd_ prefixes.
var Zone = clock.VietnamZone

// Config is one merchant app's ZaloPay account.
type Config struct {
	AppID int64
	// Key1 signs requests; Key2 verifies callbacks.
	Key1 string
	Key2 string
	// Endpoint is the API host, e.g. SandboxEndpoint.
	Endpoint string
	// HTTPClient makes the API calls; nil means a client with a 30-second timeout.
	HTTPClient *http.Client
	// Clock stamps app_time, refund timestamps and the yymmdd_ prefixes; nil means the system clock.
	Clock clock.Clock
}

// Client signs and verifies for one app and calls ZaloPay's API. It is safe for concurrent use.
type Client struct {
	cfg   Config
	http  *http.Client
	clock clock.Clock
}

// New checks cfg and returns a client for it.
func New(cfg Config) (*Client, error) {
	if cfg.AppID <= 0 || cfg.Key1 == "" || cfg.Key2 == "" {
		return nil, errors.New("zalopay: AppID, Key1 and Key2 are required")
	}
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
			return nil, fmt.Errorf("zalopay: Endpoint %q must be an absolute http(s) URL", cfg.Endpoint)
		}
		cfg.Endpoint = strings.TrimRight(cfg.Endpoint, "/")
	}
	c := &Client{cfg: cfg, http: cfg.HTTPClient, clock: cfg.Clock}
	if c.http == nil {
		c.http = &http.Client{Timeout: 30 * time.Second}
	}
	if c.clock == nil {
		c.clock = clock.System{}
	}
	return c, nil
}

// AppID returns the app the client signs for.
func (c *Client) AppID() int64 { return c.cfg.AppID }

// MAC returns hex(HMAC-SHA256(key, fields joined by "|")).
func MAC(key string, fields ...string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(strings.Join(fields, "|")))
	return hex.EncodeToString(m.Sum(nil))
}

// validMAC compares a received mac with the expected one, ignoring the received case, in constant time.
func validMAC(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(got)), []byte(want)) == 1
}

// AppTransID returns the app_trans_id of ref created at t: t's GMT+7 date as yymmdd, "_", ref.
func AppTransID(t time.Time, ref string) string { return t.In(Zone).Format("060102") + "_" + ref }

// RefundID returns the m_refund_id of ref requested at t: yymmdd_<appID>_<ref>.
func RefundID(t time.Time, appID int64, ref string) string {
	return t.In(Zone).Format("060102") + "_" + strconv.FormatInt(appID, 10) + "_" + ref
}

// Errors a caller can test for with errors.Is. Verification errors arrive wrapped in an apperr.Error of
// kind Invalid.
var (
	ErrInvalidMAC = errors.New("zalopay: invalid mac")
	ErrWrongApp   = errors.New("zalopay: message for another app")
	ErrMalformed  = errors.New("zalopay: malformed message")
)

func invalid(sentinel error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &apperr.Error{Kind: apperr.Invalid, Message: msg, Err: fmt.Errorf("%w: %s", sentinel, msg)}
}

// APIError is a ZaloPay answer that fails a call (return_code 2, or create's anything but 1).
type APIError struct {
	Path          string
	ReturnCode    int
	SubReturnCode int
	Message       string
}

// Error describes the failed call and the provider's code.
func (e *APIError) Error() string {
	return fmt.Sprintf("zalopay %s: return_code %d/%d: %s", e.Path, e.ReturnCode, e.SubReturnCode, e.Message)
}

func apiError(path string, code, sub int, message string) error {
	return &apperr.Error{Kind: apperr.Unavailable, Message: "ZaloPay: " + message,
		Err: &APIError{Path: path, ReturnCode: code, SubReturnCode: sub, Message: message}}
}
