package vietqr

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Fold strips Vietnamese diacritics from s: tone and vowel marks go ("chuyển khoản" → "chuyen khoan") and
// đ/Đ become d/D. Characters that are not Latin letters with marks pass unchanged.
func Fold(s string) string {
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
	return norm.NFC.String(b.String())
}

// Label turns free text (a shop name, a city) into an ANS display label of at most max characters:
// diacritics stripped, characters outside printable ASCII dropped, runs of spaces collapsed, trimmed.
func Label(s string, max int) string {
	var b strings.Builder
	space := false
	for _, r := range Fold(s) {
		switch {
		case r == ' ' || unicode.IsSpace(r):
			space = b.Len() > 0
		case r > 0x20 && r < 0x7F:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	out := b.String()
	if len(out) > max {
		out = strings.TrimRight(out[:max], " ")
	}
	return out
}

// NormalizeNote reduces a bank transfer note to what survives every bank's rewriting: diacritics stripped,
// letters upper-cased, and everything that is not an ASCII letter or digit (spaces, dashes, dots) dropped.
// "Thanh toán GG-1234 ." → "THANHTOANGG1234".
func NormalizeNote(s string) string {
	var b strings.Builder
	for _, r := range Fold(s) {
		switch {
		case r >= '0' && r <= '9', r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		}
	}
	return b.String()
}

// NoteContains reports whether the transfer note content carries code, both normalised with NormalizeNote
// (banks prepend their own text, drop punctuation and change case). An empty code matches nothing.
//
// Matching is by substring, so codes must not be prefixes of one another: give order codes a fixed
// length (or a check character) so "GG12" cannot be found inside "GG123".
func NoteContains(content, code string) bool {
	c := NormalizeNote(code)
	return c != "" && strings.Contains(NormalizeNote(content), c)
}
