// Package vnpay talks to the VNPay payment gateway, API 2.1.0 (spec §1): it builds the signed pay URL the
// customer's browser is sent to, verifies the return-URL and IPN queries VNPay sends back, answers IPNs with
// VNPay's codes, and calls the querydr and refund APIs. It holds no state; the payment module keeps intents,
// dedupes IPNs by TransactionNo and reconciles with QueryDR.
//
// Rules this package keeps:
//   - Money is integer đồng; ×100 happens only at the wire (vnp_Amount), and an inbound amount is divided
//     by 100 only after its signature is checked; an amount that is not a multiple of 100 is refused.
//   - The signed string of the pay URL, the return URL and the IPN is one function (Canonical): the vnp_*
//     parameters minus empty values and the hash fields, first value of a repeated key, sorted by key,
//     form-encoded (space → +, %XX uppercase). Inbound values are hashed exactly as received.
//   - querydr and refund sign pipe-joined raw values in VNPay's fixed orders (QueryDRBody.HashData …).
//   - Hashes are HMAC-SHA512 in hex, compared case-insensitively in constant time.
//   - Dates on the wire are yyyyMMddHHmmss in GMT+7 whatever the server's zone.
//   - The return URL is for display only: it can be forged or replayed. Only a verified IPN or a QueryDR
//     result may mark an order paid.
package vnpay

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
)

// Version is the API version this package speaks (vnp_Version).
const Version = "2.1.0"

// Sandbox endpoints (spec §1.1). Production hosts are issued with the merchant's contract.
const (
	SandboxPayURL = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
	SandboxAPIURL = "https://sandbox.vnpayment.vn/merchant_webapi/api/transaction"
)

// DateLayout is VNPay's date format; dates are GMT+7 (Zone).
const DateLayout = "20060102150405"

// Zone is GMT+7, the zone of every VNPay date, fixed so it never depends on the host's tzdata.
var Zone = clock.VietnamZone

// Config is one merchant terminal's VNPay account.
type Config struct {
	// TmnCode is the terminal code VNPay issued (vnp_TmnCode, 8 characters).
	TmnCode string
	// HashSecret is the terminal's secret for HMAC-SHA512 signatures.
	HashSecret string
	// PayURL is the browser payment page, e.g. SandboxPayURL.
	PayURL string
	// APIURL is the querydr/refund endpoint, e.g. SandboxAPIURL. Needed only by QueryDR and Refund.
	APIURL string
	// HTTPClient makes the API calls; nil means a client with a 30-second timeout.
	HTTPClient *http.Client
	// Clock stamps vnp_CreateDate of pay URLs and API calls when the request leaves it zero; nil means
	// the system clock.
	Clock clock.Clock
}

// Client signs and verifies for one terminal and calls its API. It is safe for concurrent use.
type Client struct {
	cfg   Config
	http  *http.Client
	clock clock.Clock
}

// New checks cfg and returns a client for it.
func New(cfg Config) (*Client, error) {
	if cfg.TmnCode == "" || cfg.HashSecret == "" {
		return nil, errors.New("vnpay: TmnCode and HashSecret are required")
	}
	for name, raw := range map[string]string{"PayURL": cfg.PayURL, "APIURL": cfg.APIURL} {
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
			return nil, fmt.Errorf("vnpay: %s %q must be an absolute http(s) URL without a query", name, raw)
		}
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

// TmnCode returns the terminal code the client signs for.
func (c *Client) TmnCode() string { return c.cfg.TmnCode }

// Errors a caller can test for with errors.Is. Verification errors arrive wrapped in an apperr.Error of
// kind Invalid; AnswerFor turns them into the IPN answer VNPay expects.
var (
	// ErrInvalidSignature: vnp_SecureHash is missing or does not match (VNPay's "97"). Often a wrong
	// secret/TmnCode pair: log it distinctly.
	ErrInvalidSignature = errors.New("vnpay: invalid signature")
	// ErrInvalidAmount: vnp_Amount is not a positive whole number of đồng × 100.
	ErrInvalidAmount = errors.New("vnpay: invalid amount")
	// ErrWrongTerminal: a correctly signed message names another terminal.
	ErrWrongTerminal = errors.New("vnpay: message for another terminal")
	// ErrMalformed: a signed message misses a field or has one in the wrong format.
	ErrMalformed = errors.New("vnpay: malformed message")
)

func invalid(sentinel error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &apperr.Error{Kind: apperr.Invalid, Message: msg, Err: fmt.Errorf("%w: %s", sentinel, msg)}
}

// formatDate writes t as VNPay's yyyyMMddHHmmss in GMT+7.
func formatDate(t time.Time) string { return t.In(Zone).Format(DateLayout) }

// ParseDate reads VNPay's yyyyMMddHHmmss as a GMT+7 instant.
func ParseDate(s string) (time.Time, error) {
	t, err := time.ParseInLocation(DateLayout, s, Zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("vnpay: date %q is not yyyyMMddHHmmss", s)
	}
	return t, nil
}

// Clean cleans free text for vnp_OrderInfo: Vietnamese diacritics stripped (đ → d), then only ASCII letters,
// digits and single spaces kept, trimmed and cut to max characters. VNPay forbids special characters there,
// and keeping to these makes every URL encoder agree on the signed string (spec §1.9).
func Clean(s string, max int) string {
	var b strings.Builder
	space := false
	for _, r := range fold(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		default:
			space = true
		}
	}
	out := b.String()
	if len(out) > max {
		out = strings.TrimRight(out[:max], " ")
	}
	return out
}
