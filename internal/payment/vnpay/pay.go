package vnpay

import (
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
)

// MaxAmount is the largest payment vnp_Amount can carry: 12 digits after ×100.
const MaxAmount = money.VND(9_999_999_999)

// DefaultExpiry is how long a pay URL stays usable when PayRequest.ExpiresAt is zero.
const DefaultExpiry = 15 * time.Minute

// PayRequest is one payment to start (spec §1.2).
type PayRequest struct {
	// TxnRef is our reference for the payment, unique per day: 1–100 of A–Z a–z 0–9 . _ -
	TxnRef string
	// Amount in đồng, > 0; sent ×100.
	Amount money.VND
	// OrderInfo describes the payment; it is cleaned with Clean (no diacritics, letters, digits, spaces)
	// and must keep at least one character.
	OrderInfo string
	// OrderType is VNPay's category code; empty means "other" (180000 cuisine, 100000 food & goods …).
	OrderType string
	// BankCode preselects a method (VNPAYQR, VNBANK, INTCARD, a bank code); empty lets the customer choose.
	BankCode string
	// Locale of VNPay's pages: "vn" (default) or "en".
	Locale string
	// IPAddr is the customer's IP address.
	IPAddr string
	// ReturnURL is where VNPay sends the browser back (display only; state changes come by IPN).
	ReturnURL string
	// CreatedAt stamps vnp_CreateDate; zero means the client's clock now. Keep it: querydr and refund
	// need it as vnp_TransactionDate.
	CreatedAt time.Time
	// ExpiresAt stamps vnp_ExpireDate; zero means CreatedAt + DefaultExpiry.
	ExpiresAt time.Time
}

// PayURL validates r and returns the signed URL to redirect the customer to: PayURL?<params>&vnp_SecureHash=…
// (no vnp_SecureHashType in 2.1.0). Bad input gets an apperr Invalid error naming each field.
func (c *Client) PayURL(r PayRequest) (string, error) {
	v, err := c.payValues(r)
	if err != nil {
		return "", err
	}
	if c.cfg.PayURL == "" {
		return "", apperr.E(apperr.Unknown, "vnpay: PayURL is not configured")
	}
	return c.cfg.PayURL + "?" + SignedQuery(c.cfg.HashSecret, v), nil
}

func (c *Client) payValues(r PayRequest) (url.Values, error) {
	var fields []apperr.FieldError
	bad := func(field, msg string) { fields = append(fields, apperr.FieldError{Field: field, Message: msg}) }

	if !isRef(r.TxnRef, 100) {
		bad("txn_ref", "must be 1–100 letters, digits, '.', '_' or '-'")
	}
	if r.Amount <= 0 || r.Amount > MaxAmount {
		bad("amount", "must be between 1 and 9,999,999,999 dong")
	}
	info := Clean(r.OrderInfo, 255)
	if info == "" {
		bad("order_info", "must keep at least one letter or digit")
	}
	orderType := r.OrderType
	if orderType == "" {
		orderType = "other"
	}
	if !isLowerAlnum(orderType, 100) {
		bad("order_type", "must be a VNPay category code such as other or 180000")
	}
	if r.BankCode != "" && (len(r.BankCode) < 3 || !isUpperAlnum(r.BankCode, 20)) {
		bad("bank_code", "must be 3–20 uppercase letters or digits")
	}
	locale := r.Locale
	if locale == "" {
		locale = "vn"
	}
	if locale != "vn" && locale != "en" {
		bad("locale", "must be vn or en")
	}
	if _, err := netip.ParseAddr(r.IPAddr); err != nil {
		bad("ip_addr", "must be an IP address")
	}
	if u, err := url.Parse(r.ReturnURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		len(r.ReturnURL) < 10 || len(r.ReturnURL) > 255 {
		bad("return_url", "must be an absolute http(s) URL of 10–255 characters")
	}
	created := r.CreatedAt
	if created.IsZero() {
		created = c.clock.Now()
	}
	expires := r.ExpiresAt
	if expires.IsZero() {
		expires = created.Add(DefaultExpiry)
	}
	if !expires.After(created) {
		bad("expires_at", "must be after created_at")
	}
	if len(fields) > 0 {
		return nil, &apperr.Error{Kind: apperr.Invalid, Message: "invalid VNPay payment", Fields: fields}
	}
	v := url.Values{}
	v.Set("vnp_Version", Version)
	v.Set("vnp_Command", "pay")
	v.Set("vnp_TmnCode", c.cfg.TmnCode)
	v.Set("vnp_Amount", strconv.FormatInt(int64(r.Amount)*100, 10))
	v.Set("vnp_BankCode", r.BankCode) // dropped by Canonical when empty
	v.Set("vnp_CreateDate", formatDate(created))
	v.Set("vnp_CurrCode", "VND")
	v.Set("vnp_IpAddr", r.IPAddr)
	v.Set("vnp_Locale", locale)
	v.Set("vnp_OrderInfo", info)
	v.Set("vnp_OrderType", orderType)
	v.Set("vnp_ReturnUrl", r.ReturnURL)
	v.Set("vnp_ExpireDate", formatDate(expires))
	v.Set("vnp_TxnRef", r.TxnRef)
	return v, nil
}

// isRef reports whether s is 1–max characters of A–Z a–z 0–9 . _ - (characters every URL encoder
// leaves alone, so the signed string cannot differ between VNPay and us).
func isRef(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func isLowerAlnum(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isUpperAlnum(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
