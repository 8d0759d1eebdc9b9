// Package money holds amounts of Vietnamese đồng. VND has no minor unit, so an amount is a whole number of
// đồng in an int64; floats never come near money.
package money

import (
	"fmt"
	"strconv"
	"strings"
)

// VND is an amount of Vietnamese đồng.
type VND int64

// String formats the amount the Vietnamese way: 185.000 ₫.
func (v VND) String() string {
	s := strconv.FormatInt(int64(v), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	b.WriteString(" ₫")
	return b.String()
}

// Percent returns v × basisPoints / 10000 rounded half away from zero; 8% is 800 basis points.
func (v VND) Percent(basisPoints int64) VND {
	return VND(divRoundHalfUp(int64(v)*basisPoints, 10000))
}

// MulDiv returns v × num / den rounded half away from zero. It panics when den is 0.
func (v VND) MulDiv(num, den int64) VND {
	if den == 0 {
		panic("money: division by zero")
	}
	return VND(divRoundHalfUp(int64(v)*num, den))
}

// Split divides v into n parts that differ by at most one đồng and add up to v exactly; the first parts
// carry the remainder. It returns an error when n < 1.
func (v VND) Split(n int) ([]VND, error) {
	if n < 1 {
		return nil, fmt.Errorf("money: split into %d parts", n)
	}
	base, rem := int64(v)/int64(n), int64(v)%int64(n)
	parts := make([]VND, n)
	for i := range parts {
		parts[i] = VND(base)
		if rem > 0 {
			parts[i]++
			rem--
		} else if rem < 0 {
			parts[i]--
			rem++
		}
	}
	return parts, nil
}

func divRoundHalfUp(a, b int64) int64 {
	if b < 0 {
		a, b = -a, -b
	}
	q, r := a/b, a%b
	if r < 0 {
		r = -r
	}
	if 2*r >= b {
		if a < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}
