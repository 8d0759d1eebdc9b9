// Package banktransfer reads the webhooks of bank-statement services (spec §2.8): VietQR has no payment
// callback, so a shop learns that a customer's transfer arrived from a service that watches its bank
// account (SePay, Casso, payOS …) and POSTs each statement line. A Provider authenticates one service's
// webhook and turns it into a Transfer; the payment module matches Transfer.Content against order codes
// (vietqr.NoteContains) and the amount, dedupes by Transfer.ID and keeps unmatched transfers for a manager.
//
// Authentication (per shop secrets, compared in constant time):
//   - "Authorization: Apikey <key>" with the shop's API key, always;
//   - when a signature key is configured, header X-Signature = hex(HMAC-SHA256(key, raw body)) over the
//     body exactly as received (our convention for services that can sign; SePay itself sends only the
//     API key).
//
// SePay's body is the first format; add another service by writing a Provider.
package banktransfer

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
)

// SignatureHeader carries hex(HMAC-SHA256(signature key, raw body)) when the shop configured a key.
const SignatureHeader = "X-Signature"

// MaxBody is the largest webhook body a Provider reads; read at most this much from the request.
const MaxBody = 64 << 10

// Transfer is one statement line: money that moved on the shop's account.
type Transfer struct {
	// Provider names the service that reported it ("sepay").
	Provider string
	// ID is the service's id of the line: the dedupe key (with Provider).
	ID string
	// Bank is the bank's name as the service writes it ("Vietcombank").
	Bank string
	// At is when the bank booked the transfer.
	At time.Time
	// AccountNumber is the shop's account the line belongs to.
	AccountNumber string
	// Incoming is true for money in, false for money out.
	Incoming bool
	// Amount in đồng, > 0.
	Amount money.VND
	// Content is the transfer note as the bank wrote it; it should carry the order code.
	Content string
	// Reference is the bank's reference of the transfer ("MBVCB.3278907687").
	Reference string
}

// Secrets are one shop's webhook credentials.
type Secrets struct {
	// APIKey must arrive as "Authorization: Apikey <APIKey>"; an empty APIKey refuses every call.
	APIKey string
	// SignatureKey, when set, requires a valid X-Signature.
	SignatureKey string
}

// Provider reads one service's webhook. Parse authenticates the call with s and returns the transfer;
// errors are apperr kinds: Unauthenticated (key or signature wrong: wraps ErrUnauthenticated), Invalid (body
// not the expected JSON, non-integer or non-positive amount: wraps ErrMalformed), TooLarge.
type Provider interface {
	Name() string
	Parse(raw []byte, header http.Header, s Secrets) (Transfer, error)
}

// Errors a caller can test for with errors.Is.
var (
	ErrUnauthenticated = errors.New("banktransfer: webhook not authenticated")
	ErrMalformed       = errors.New("banktransfer: malformed webhook")
)

// Sign returns hex(HMAC-SHA256(key, body)), the X-Signature of body.
func Sign(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Authenticate checks the Authorization header (scheme "Apikey", case-insensitive) against s.APIKey and,
// when s.SignatureKey is set, the X-Signature of raw. Every provider calls it before reading the body.
func Authenticate(raw []byte, header http.Header, s Secrets) error {
	if s.APIKey == "" {
		return unauthenticated("no webhook API key is configured")
	}
	scheme, key, _ := strings.Cut(strings.TrimSpace(header.Get("Authorization")), " ")
	if !strings.EqualFold(scheme, "Apikey") || !equalSecret(strings.TrimSpace(key), s.APIKey) {
		return unauthenticated("Authorization must be \"Apikey <key>\" with the shop's key")
	}
	if s.SignatureKey != "" {
		got := strings.ToLower(strings.TrimSpace(header.Get(SignatureHeader)))
		if subtle.ConstantTimeCompare([]byte(got), []byte(Sign(s.SignatureKey, raw))) != 1 {
			return unauthenticated(SignatureHeader + " does not match the body")
		}
	}
	return nil
}

// equalSecret compares two secrets in time independent of their content and length.
func equalSecret(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

func unauthenticated(msg string) error {
	return &apperr.Error{Kind: apperr.Unauthenticated, Message: msg, Err: fmt.Errorf("%w: %s", ErrUnauthenticated, msg)}
}

func malformed(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &apperr.Error{Kind: apperr.Invalid, Message: msg, Err: fmt.Errorf("%w: %s", ErrMalformed, msg)}
}
