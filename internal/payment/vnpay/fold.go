package vnpay

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// fold strips Vietnamese diacritics: marks go after canonical decomposition and đ/Đ become d/D.
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteByte('d')
		case r == 'Đ':
			b.WriteByte('D')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
