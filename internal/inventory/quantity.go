package inventory

import (
	"math"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/apperr"
)

// Quantity is an amount of stock in thousandths of its unit: 1.5 kg is Quantity(1500) of an item in kg.
// It is read from and written as a JSON number with up to three decimals, parsed from the number's text
// (never through a float), so what a client sends is stored exactly.
type Quantity int64

// QuantityScale is how many Quantity units make one unit of an item.
const QuantityScale = 1000

// MaxQuantity bounds every quantity the API accepts (a billion units), so sums and products of
// quantities stay far from int64 overflow.
const MaxQuantity = Quantity(1_000_000_000 * QuantityScale)

// Units returns n whole units as a Quantity.
func Units(n int64) Quantity { return Quantity(n * QuantityScale) }

// String formats q as the shortest decimal: 24, 1.5, 0.125, -2.05.
func (q Quantity) String() string {
	neg := q < 0
	u := uint64(q)
	if neg {
		u = uint64(-q)
	}
	s := strconv.FormatUint(u/QuantityScale, 10)
	if frac := u % QuantityScale; frac != 0 {
		s += "." + strings.TrimRight(strconv.FormatUint(frac+QuantityScale, 10)[1:], "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// MarshalJSON writes q as a JSON number.
func (q Quantity) MarshalJSON() ([]byte, error) { return []byte(q.String()), nil }

// UnmarshalJSON reads a JSON number with up to three decimals exactly. Anything else (a string, more
// decimals, a value beyond MaxQuantity) is an apperr.Invalid error.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	v, err := ParseQuantity(string(b))
	if err != nil {
		return err
	}
	*q = v
	return nil
}

// Schema describes a Quantity in the OpenAPI document: a number (huma.SchemaProvider).
func (Quantity) Schema(huma.Registry) *huma.Schema { return quantitySchema() }

func quantitySchema() *huma.Schema {
	return &huma.Schema{Type: huma.TypeNumber, Format: "decimal",
		Description: "A quantity with up to 3 decimals, stored exactly (e.g. 1.5, 0.125, 24)."}
}

// errQuantity is the message of every malformed quantity.
const errQuantity = "must be a number with at most 3 decimals, between -1000000000 and 1000000000"

// ParseQuantity reads the text of a JSON number (e.g. "1.5", "-0.125", "2e3") into a Quantity. It
// returns an apperr.Invalid error unless the value has at most three decimals and lies within
// ±MaxQuantity.
func ParseQuantity(s string) (Quantity, error) {
	bad := apperr.E(apperr.Invalid, "%s", errQuantity)
	if len(s) == 0 || len(s) > 64 {
		return 0, bad
	}
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || s[i+1:] == "" || e < -100 || e > 100 {
			return 0, bad
		}
		exp = e
	}
	intPart, fracPart, hasDot := strings.Cut(mant, ".")
	if !digitsOnly(intPart) || intPart == "" || len(intPart) > 1 && intPart[0] == '0' ||
		hasDot && (fracPart == "" || !digitsOnly(fracPart)) {
		return 0, bad
	}
	// value = digits × 10^(exp − len(frac)); in thousandths: digits × 10^(exp − len(frac) + 3).
	digits := strings.TrimLeft(intPart+fracPart, "0")
	shift := exp - len(fracPart) + 3
	for shift < 0 && strings.HasSuffix(digits, "0") {
		digits, shift = digits[:len(digits)-1], shift+1
	}
	if digits == "" {
		return 0, nil
	}
	if shift < 0 {
		return 0, bad // a digit below a thousandth
	}
	if len(digits)+shift > 16 {
		return 0, bad
	}
	n, err := strconv.ParseInt(digits+strings.Repeat("0", shift), 10, 64)
	if err != nil || Quantity(n) > MaxQuantity {
		return 0, bad
	}
	if neg {
		n = -n
	}
	return Quantity(n), nil
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// mulQuantity returns q × n (n whole units sold), or false when it would leave the bounds.
func mulQuantity(q Quantity, n int64) (Quantity, bool) {
	if n == 0 || q == 0 {
		return 0, true
	}
	if n < 0 || n > math.MaxInt64/int64(MaxQuantity) {
		return 0, false
	}
	p := int64(q) * n
	return Quantity(p), p/n == int64(q)
}
