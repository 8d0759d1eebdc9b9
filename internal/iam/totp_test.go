package iam

import (
	"bytes"
	"errors"
	"image/png"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
)

// rfc6238Secret is the SHA-1 seed of RFC 6238 appendix B ("12345678901234567890"), in base32.
const rfc6238Secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func TestTOTPEnroll(t *testing.T) {
	box := newBox(t)
	svc := NewTOTP(box, clock.NewFake(testStart))
	e, err := svc.Enroll("user-1", "chu.quan@example.vn")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(e.Secret) {
		t.Errorf("secret %q is not 160 bits of base32", e.Secret)
	}
	u, err := url.Parse(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/GoodGo:chu.quan@example.vn" {
		t.Errorf("URL %s: wrong scheme, type or label", e.URL)
	}
	want := map[string]string{"secret": e.Secret, "issuer": "GoodGo", "algorithm": "SHA1", "digits": "6", "period": "30"}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("URL parameter %s = %q, want %q", k, q.Get(k), v)
		}
	}
	img, err := png.Decode(bytes.NewReader(e.QRCode))
	if err != nil {
		t.Fatalf("QR code is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
		t.Errorf("QR code is %v, want 256×256", b)
	}
	if bytes.Contains(e.Sealed, []byte(e.Secret)) {
		t.Error("sealed secret contains the secret in clear")
	}
	opened, err := box.Open(e.Sealed, totpAD("user-1"))
	if err != nil || string(opened) != e.Secret {
		t.Errorf("sealed secret opens to %q, %v", opened, err)
	}
	again, _ := svc.Enroll("user-1", "chu.quan@example.vn")
	if again.Secret == e.Secret {
		t.Error("two enrollments got the same secret")
	}
	if _, err := svc.Enroll("", "x@example.vn"); err == nil {
		t.Error("Enroll without a user id succeeded")
	}
}

// TestTOTPVerifyRFC6238Vectors checks codes against RFC 6238 appendix B (SHA-1, last six digits).
func TestTOTPVerifyRFC6238Vectors(t *testing.T) {
	box := newBox(t)
	sealed, err := box.Seal([]byte(rfc6238Secret), totpAD("user-1"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		unix int64
		code string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
		{20000000000, "353130"},
	}
	for _, tt := range tests {
		svc := NewTOTP(box, clock.NewFake(time.Unix(tt.unix, 0)))
		step, err := svc.Verify(sealed, "user-1", tt.code, 0)
		if err != nil {
			t.Errorf("T=%d code %s refused: %v", tt.unix, tt.code, err)
			continue
		}
		if want := tt.unix / 30; step != want {
			t.Errorf("T=%d: step %d, want %d", tt.unix, step, want)
		}
	}
}

func TestTOTPVerifyWindowAndReplay(t *testing.T) {
	box := newBox(t)
	clk := clock.NewFake(testStart.Add(10 * time.Second)) // 10 s into a step
	svc := NewTOTP(box, clk)
	e, err := svc.Enroll("user-1", "chu.quan@example.vn")
	if err != nil {
		t.Fatal(err)
	}
	codeAt := func(d time.Duration) string {
		c, err := totp.GenerateCodeCustom(e.Secret, clk.Now().Add(d), totp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	now := Step(clk.Now())
	tests := []struct {
		name     string
		code     string
		lastStep int64
		wantStep int64
		wantErr  error
	}{
		{"current step", codeAt(0), 0, now, nil},
		{"previous step (clock drift)", codeAt(-30 * time.Second), 0, now - 1, nil},
		{"next step (clock drift)", codeAt(30 * time.Second), 0, now + 1, nil},
		{"two steps ago", codeAt(-60 * time.Second), 0, 0, errTOTPWrong},
		{"two steps ahead", codeAt(60 * time.Second), 0, 0, errTOTPWrong},
		{"typed with a space", codeAt(0)[:3] + " " + codeAt(0)[3:], 0, now, nil},
		{"replay of the step already used", codeAt(0), now, 0, ErrTOTPReplayed},
		{"earlier step after a later one was used", codeAt(-30 * time.Second), now, 0, ErrTOTPReplayed},
		{"next step after the current one was used", codeAt(30 * time.Second), now, now + 1, nil},
		{"five digits", codeAt(0)[:5], 0, 0, errTOTPWrong},
		{"seven digits", codeAt(0) + "1", 0, 0, errTOTPWrong},
		{"letters", "abcdef", 0, 0, errTOTPWrong},
		{"empty", "", 0, 0, errTOTPWrong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := svc.Verify(e.Sealed, "user-1", tt.code, tt.lastStep)
			if tt.wantErr == nil {
				if err != nil || got != tt.wantStep {
					t.Fatalf("Verify = %d, %v; want step %d", got, err, tt.wantStep)
				}
				return
			}
			if apperr.KindOf(err) != apperr.Unauthenticated || !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %d, %v; want unauthenticated %v", got, err, tt.wantErr)
			}
		})
	}
}

func TestTOTPSecretIsBoundToItsUser(t *testing.T) {
	box := newBox(t)
	clk := clock.NewFake(testStart)
	svc := NewTOTP(box, clk)
	e, _ := svc.Enroll("user-1", "a@example.vn")
	code, _ := totp.GenerateCode(e.Secret, clk.Now())
	if _, err := svc.Verify(e.Sealed, "user-2", code, 0); err == nil || apperr.KindOf(err) == apperr.Unauthenticated {
		t.Fatalf("user-1's secret used for user-2: %v", err)
	}
	if _, err := NewTOTP(newBox(t), clk).Verify(e.Sealed, "user-1", code, 0); err == nil {
		t.Fatal("secret opened with another key")
	}
}

func TestRecoveryCodes(t *testing.T) {
	rc, err := NewRecoveryCodes()
	if err != nil {
		t.Fatal(err)
	}
	if len(rc.Codes) != RecoveryCodeCount || len(rc.Hashes) != RecoveryCodeCount {
		t.Fatalf("%d codes, %d hashes; want %d", len(rc.Codes), len(rc.Hashes), RecoveryCodeCount)
	}
	format := regexp.MustCompile(`^[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}$`)
	seen := map[string]bool{}
	for i, c := range rc.Codes {
		if !format.MatchString(c) {
			t.Errorf("code %q has the wrong format", c)
		}
		if seen[c] {
			t.Errorf("code %q repeated", c)
		}
		seen[c] = true
		if strings.Contains(strings.Join(rc.Hashes, " "), c) || rc.Hashes[i] != HashRecoveryCode(c) {
			t.Errorf("hash %d is not the SHA-256 of code %d", i, i)
		}
	}

	code := rc.Codes[3]
	tests := []struct {
		name      string
		presented string
		want      bool
	}{
		{"as shown", code, true},
		{"lower case", strings.ToLower(code), true},
		{"without dashes", strings.ReplaceAll(code, "-", ""), true},
		{"with spaces", strings.ReplaceAll(code, "-", " "), true},
		{"one character changed", code[:len(code)-1] + string(otherRecoveryChar(code[len(code)-1])), false},
		{"truncated", code[:len(code)-1], false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hash, ok := MatchRecoveryCode(rc.Hashes, tt.presented)
			if ok != tt.want {
				t.Fatalf("MatchRecoveryCode(%q) = %v, want %v", tt.presented, ok, tt.want)
			}
			if ok && hash != rc.Hashes[3] {
				t.Errorf("matched hash %q, want the fourth", hash)
			}
		})
	}

	// Once its hash is removed (the caller's single use), the code no longer matches.
	remaining := append(append([]string{}, rc.Hashes[:3]...), rc.Hashes[4:]...)
	if _, ok := MatchRecoveryCode(remaining, code); ok {
		t.Error("used recovery code matched again")
	}
}

func otherRecoveryChar(c byte) byte {
	if c == '2' {
		return '3'
	}
	return '2'
}
