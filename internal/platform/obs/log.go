package obs

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

// Redacted replaces the value of an attribute that looks secret.
const Redacted = "[REDACTED]"

// NewLogger returns a JSON logger writing to w at level ("debug", "info", "warn"/"warning", "error", or
// slog's forms such as "INFO+2"; empty means info). Every attribute passes through RedactAttr, so
// passwords, tokens, PINs, one-time codes, cookies and credentials in URLs never reach the log.
//
// Redaction works on attributes: log secrets' owners as fields (slog.String("password", p) is safe), not
// inside the message text or inside arbitrary structs (a struct is marshalled as it is).
func NewLogger(w io.Writer, level string) (*slog.Logger, error) {
	var lvl slog.Level
	switch l := strings.ToLower(strings.TrimSpace(level)); l {
	case "":
		lvl = slog.LevelInfo
	case "warning":
		lvl = slog.LevelWarn
	default:
		if err := lvl.UnmarshalText([]byte(l)); err != nil {
			return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
		}
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lvl, ReplaceAttr: RedactAttr})), nil
}

// RedactAttr is a slog ReplaceAttr function. It blanks an attribute when its key, or the name of any group
// it sits in, looks secret (see IsSecretKey), and scrubs credentials out of values that are not secret by
// name: passwords in URLs (postgres://user:pw@host), secret query or DSN parameters (password=…, token=…),
// and secret entries of headers and maps.
func RedactAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 {
		switch a.Key {
		case slog.TimeKey, slog.LevelKey, slog.MessageKey, slog.SourceKey:
			return a
		}
	}
	if IsSecretKey(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	for _, g := range groups {
		if IsSecretKey(g) {
			return slog.String(a.Key, Redacted)
		}
	}
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); mayHoldCredentials(s) {
			return slog.String(a.Key, scrubString(s))
		}
	case slog.KindAny:
		if v, ok := scrubValue(a.Value.Any()); ok {
			return slog.Any(a.Key, v)
		}
	}
	return a
}

// secretFragments make a key secret wherever they appear in it, once the key is lower-cased and its
// separators removed ("X-Api-Key" → "xapikey", "vnp_SecureHash" → "vnpsecurehash").
var secretFragments = []string{
	"password", "passwd", "passphrase", "secret", "token", "apikey", "authorization", "cookie",
	"credential", "privatekey", "accesskey", "signingkey", "encryptionkey", "securehash", "signature",
	"otpauth", "sessionid", "sessionkey", "recoverycode", "backupcode",
}

// secretWords make a key secret when they are one of its words ("staff_pin", "otp", "db_dsn"); as
// fragments they would match innocent words ("shipping", "hotpot").
var secretWords = map[string]bool{
	"pwd": true, "pass": true, "pin": true, "pins": true, "otp": true, "totp": true, "hotp": true,
	"sig": true, "dsn": true, "jwt": true, "sid": true, "bearer": true, "cvv": true, "cvc": true,
}

// codeQualifiers are the words that make a following "code" secret ("mfa_code", "verification_code",
// "authorization_code"); other codes ("status_code", "bank_code", "vnp_ResponseCode") are not secret.
var codeQualifiers = map[string]bool{
	"otp": true, "mfa": true, "totp": true, "verification": true, "verify": true, "recovery": true,
	"backup": true, "auth": true, "authorization": true, "sms": true, "pin": true, "reset": true,
	"confirm": true, "confirmation": true, "security": true, "login": true, "access": true,
	"activation": true, "invite": true, "invitation": true, "one": true, "time": true, "pairing": true,
}

// IsSecretKey reports whether an attribute or group named key probably holds a secret. It splits the key
// into lower-case words at separators and camelCase boundaries and applies three rules: a secret fragment
// anywhere, a secret word, or "code(s)" alone or after a qualifier such as "mfa" or "verification".
// It runs for every logged attribute, so it does not allocate for ordinary (short ASCII) keys.
func IsSecretKey(key string) bool {
	var joinedBuf [64]byte
	var bounds [17]int // bounds[i] is where word i starts in joined; bounds[n] is its end
	joined, n, ok := splitWordsASCII(key, joinedBuf[:0], &bounds)
	if !ok {
		words := splitWords(key)
		joined = []byte(strings.Join(words, ""))
		n = len(words)
		pos := 0
		for i, w := range words[:min(n, len(bounds)-1)] {
			bounds[i] = pos
			pos += len(w)
		}
		n = min(n, len(bounds)-1)
		bounds[n] = pos
	}
	if n == 0 {
		return false
	}
	for _, f := range secretFragmentBytes {
		if bytes.Contains(joined, f) {
			return true
		}
	}
	for i := range n {
		w := joined[bounds[i]:bounds[i+1]]
		if secretWords[string(w)] {
			return true
		}
		if string(w) == "code" || string(w) == "codes" {
			if n == 1 || (i > 0 && codeQualifiers[string(joined[bounds[i-1]:bounds[i]])]) {
				return true
			}
		}
	}
	return false
}

var secretFragmentBytes = func() [][]byte {
	out := make([][]byte, len(secretFragments))
	for i, f := range secretFragments {
		out[i] = []byte(f)
	}
	return out
}()

// splitWordsASCII is splitWords for ASCII keys of up to 64 letters and digits and 16 words, writing into
// the caller's buffers; ok is false when the key does not fit and splitWords must be used.
func splitWordsASCII(key string, joined []byte, bounds *[17]int) (_ []byte, n int, ok bool) {
	inWord := false
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c >= 0x80 {
			return nil, 0, false
		}
		isUpper, isLower, isDigit := c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9'
		if !isUpper && !isLower && !isDigit {
			inWord = false
			continue
		}
		if inWord && isUpper {
			prev := key[i-1]
			nextLower := i+1 < len(key) && key[i+1] >= 'a' && key[i+1] <= 'z'
			prevUpper := prev >= 'A' && prev <= 'Z'
			if !prevUpper || nextLower {
				inWord = false
			}
		}
		if !inWord {
			if n == len(bounds)-1 {
				return nil, 0, false
			}
			bounds[n] = len(joined)
			n++
			inWord = true
		}
		if len(joined) == cap(joined) {
			return nil, 0, false
		}
		if isUpper {
			c += 'a' - 'A'
		}
		joined = append(joined, c)
	}
	bounds[n] = len(joined)
	return joined, n, true
}

// splitWords lower-cases key and splits it at non-alphanumeric runes and camelCase boundaries
// ("vnp_SecureHash" → vnp, secure, hash; "APIKey" → api, key).
func splitWords(key string) []string {
	var words []string
	var cur []rune
	runes := []rune(key)
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for i, r := range runes {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if unicode.IsUpper(r) && len(cur) > 0 {
			prev := runes[i-1]
			nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return words
}

var (
	// userinfoPassword matches the password of a URL's user info: scheme://user:password@.
	userinfoPassword = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]*):[^@\s]*@`)
	// secretParam matches key=value pairs of query strings and DSNs whose key is secret.
	secretParam = regexp.MustCompile(`(?i)\b([A-Za-z0-9_\-]*(?:password|passwd|pwd|secret|token|api_?key|apikey|sig|signature|securehash))=([^\s&;,'"]+)`)
)

func mayHoldCredentials(s string) bool {
	return strings.Contains(s, "://") || strings.Contains(s, "=")
}

// scrubString removes URL passwords and secret parameters from s.
func scrubString(s string) string {
	s = userinfoPassword.ReplaceAllString(s, "$1:"+Redacted+"@")
	return secretParam.ReplaceAllString(s, "$1="+Redacted)
}

// scrubValue returns a redacted copy of values that commonly carry secrets and whether it changed
// anything worth replacing.
func scrubValue(v any) (any, bool) {
	switch v := v.(type) {
	case error:
		if s := v.Error(); mayHoldCredentials(s) {
			return scrubString(s), true
		}
	case *url.URL:
		if v != nil {
			return scrubString(v.String()), true
		}
	case url.URL:
		return scrubString(v.String()), true
	case http.Header:
		return scrubMultiMap(v), true
	case url.Values:
		return scrubMultiMap(v), true
	case map[string][]string:
		return scrubMultiMap(v), true
	case map[string]string:
		out := make(map[string]string, len(v))
		for k, s := range v {
			out[k] = scrubEntry(k, s)
		}
		return out, true
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			switch {
			case IsSecretKey(k):
				out[k] = Redacted
			default:
				if s, ok := x.(string); ok {
					out[k] = scrubEntry(k, s)
				} else if y, changed := scrubValue(x); changed {
					out[k] = y
				} else {
					out[k] = x
				}
			}
		}
		return out, true
	}
	return nil, false
}

func scrubEntry(key, val string) string {
	if IsSecretKey(key) {
		return Redacted
	}
	if mayHoldCredentials(val) {
		return scrubString(val)
	}
	return val
}

func scrubMultiMap[M ~map[string][]string](m M) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, vals := range m {
		cp := make([]string, len(vals))
		for i, s := range vals {
			cp[i] = scrubEntry(k, s)
		}
		out[k] = cp
	}
	return out
}
