package vnpay

import (
	"crypto/hmac"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"net/url"
	"strings"
)

// Hash field names, never part of the signed data.
const (
	FieldSecureHash     = "vnp_SecureHash"
	FieldSecureHashType = "vnp_SecureHashType"
)

// Canonical returns the string VNPay signs for a pay URL, a return URL or an IPN (spec §1.3 steps 1–3): the
// parameters whose keys start with "vnp_", first value of each key, without empty values and without
// vnp_SecureHash / vnp_SecureHashType, sorted by key in byte order and form-encoded as key=value pairs
// joined by "&". Values are taken as given: pass what was received, never re-formatted numbers or dates.
func Canonical(v url.Values) string {
	signed := url.Values{}
	for k, vs := range v {
		if !strings.HasPrefix(k, "vnp_") || k == FieldSecureHash || k == FieldSecureHashType || len(vs) == 0 || vs[0] == "" {
			continue
		}
		signed.Set(k, vs[0])
	}
	return signed.Encode() // sorted keys, url.QueryEscape: space → "+", other bytes → %XX uppercase
}

// Sign returns hex(HMAC-SHA512(secret, Canonical(v))), the vnp_SecureHash of v.
func Sign(secret string, v url.Values) string { return hmacHex(secret, Canonical(v)) }

// SignedQuery returns the query string to send: Canonical(v) followed by "&vnp_SecureHash=" and its hash.
// The pay URL is PayURL + "?" + SignedQuery; a simulator builds return and IPN queries the same way.
func SignedQuery(secret string, v url.Values) string {
	c := Canonical(v)
	return c + "&" + FieldSecureHash + "=" + hmacHex(secret, c)
}

// VerifyValues checks the vnp_SecureHash of v (first value of every key) against Sign(secret, v),
// case-insensitively and in constant time. It returns an error wrapping ErrInvalidSignature, or nil.
func VerifyValues(secret string, v url.Values) error {
	got := v.Get(FieldSecureHash)
	if got == "" {
		return invalid(ErrInvalidSignature, "vnp_SecureHash is missing")
	}
	if !equalHex(got, Sign(secret, v)) {
		return invalid(ErrInvalidSignature, "vnp_SecureHash does not match")
	}
	return nil
}

// PipeHash returns hex(HMAC-SHA512(secret, fields joined by "|")): the checksum of querydr and refund
// requests and responses, over raw values (no URL encoding, no keys).
func PipeHash(secret string, fields ...string) string {
	return hmacHex(secret, strings.Join(fields, "|"))
}

func hmacHex(secret, msg string) string {
	m := hmac.New(sha512.New, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// equalHex compares a received hex hash with the expected lowercase one, ignoring the received case, in
// time that does not depend on where they differ.
func equalHex(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(got)), []byte(want)) == 1
}
