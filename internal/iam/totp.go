package iam

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
	"github.com/skip2/go-qrcode"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/secretbox"
)

// TOTP parameters: what every authenticator app understands (RFC 6238 defaults).
const (
	TOTPIssuer  = "GoodGo"
	totpPeriod  = 30 * time.Second
	totpDigits  = otp.DigitsSix
	totpSkew    = 1  // steps accepted either side of now, for clock drift and typing time
	totpSecret  = 20 // bytes: 160 bits, as RFC 4226 recommends for HMAC-SHA1
	totpQRPixel = 256
)

// TOTP enrolls users in time-based one-time passwords and checks their codes. Secrets leave it only
// sealed (secretbox, bound to the user id), so storage never holds them in clear; the storage itself, and
// the per-user last accepted step it must keep, belong to the caller.
type TOTP struct {
	box   *secretbox.Box
	clock clock.Clock
}

// NewTOTP returns a TOTP service sealing secrets with box (give it its own key, e.g.
// Kit.DeriveKey("iam-totp")).
func NewTOTP(box *secretbox.Box, c clock.Clock) *TOTP {
	return &TOTP{box: box, clock: c}
}

// TOTPEnrollment is a new TOTP secret in the forms the enrollment answer and the storage need.
type TOTPEnrollment struct {
	// Secret is the base32 secret, shown once for manual entry into an authenticator app.
	Secret string
	// URL is the otpauth:// URI (issuer "GoodGo", account = the user's email) the QR code carries.
	URL string
	// QRCode is a PNG image of URL.
	QRCode []byte
	// Sealed is what to store: the secret sealed for this user. Pass it back to Verify.
	Sealed []byte
}

// Enroll makes a new random secret for userID, whose authenticator will show it as "GoodGo (email)". The
// enrollment only takes effect once the caller has stored Sealed and the user confirmed a first code.
func (t *TOTP) Enroll(userID, email string) (TOTPEnrollment, error) {
	if userID == "" || email == "" {
		return TOTPEnrollment{}, errors.New("enroll TOTP: user id and email are required")
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      TOTPIssuer,
		AccountName: email,
		Period:      uint(totpPeriod / time.Second),
		SecretSize:  totpSecret,
		Digits:      totpDigits,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("enroll TOTP: %w", err)
	}
	png, err := qrcode.Encode(key.URL(), qrcode.Medium, totpQRPixel)
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("enroll TOTP: QR code: %w", err)
	}
	sealed, err := t.box.Seal([]byte(key.Secret()), totpAD(userID))
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("enroll TOTP: %w", err)
	}
	return TOTPEnrollment{Secret: key.Secret(), URL: key.URL(), QRCode: png, Sealed: sealed}, nil
}

// totpAD binds a sealed secret to its user, so a secret copied onto another user's row does not open.
func totpAD(userID string) []byte { return []byte("iam_totp:" + userID) }

// Reasons a code is refused, wrapped in the Unauthenticated error Verify returns.
var (
	// ErrTOTPReplayed: the code is right but its time step was already used (or an earlier one was): a code
	// works once.
	ErrTOTPReplayed = errors.New("one-time code already used")
	errTOTPWrong    = errors.New("wrong one-time code")
)

// Step is the TOTP time step of t: the number of 30-second periods since the Unix epoch.
func Step(t time.Time) int64 { return t.Unix() / int64(totpPeriod/time.Second) }

// Verify checks a code against userID's sealed secret. It accepts the code of the current time step or of
// one step either side, but only a step later than lastStep — the step the caller recorded at the user's
// previous success (0 for none) — so no code works twice. On success it returns the accepted step, which
// the caller must record as the new lastStep, atomically with respect to other logins (e.g. UPDATE … SET
// totp_last_step = $step WHERE user_id = $1 AND totp_last_step < $step, and refuse if no row changed).
//
// A wrong or replayed code fails with kind Unauthenticated (wrapping ErrTOTPReplayed for a replay); a
// sealed secret that does not open for userID is an error of kind Unknown.
func (t *TOTP) Verify(sealed []byte, userID, code string, lastStep int64) (int64, error) {
	secret, err := t.box.Open(sealed, totpAD(userID))
	if err != nil {
		return 0, fmt.Errorf("verify TOTP of %s: %w", userID, err)
	}
	code = strings.Join(strings.Fields(code), "") // "123 456" as typed from the app's display
	if len(code) != totpDigits.Length() || strings.Trim(code, "0123456789") != "" {
		return 0, apperr.Wrap(errTOTPWrong, apperr.Unauthenticated, "the code is wrong or already used")
	}
	now := Step(t.clock.Now())
	var accepted, replayed int64 = -1, -1
	// Compare with every step of the window, without stopping early, so timing does not tell which matched.
	for step := now - totpSkew; step <= now+totpSkew; step++ {
		want, err := hotp.GenerateCodeCustom(string(secret), uint64(step), hotp.ValidateOpts{
			Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
		})
		if err != nil {
			return 0, fmt.Errorf("verify TOTP of %s: %w", userID, err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			if step > lastStep {
				accepted = max(accepted, step)
			} else {
				replayed = step
			}
		}
	}
	switch {
	case accepted >= 0:
		return accepted, nil
	case replayed >= 0:
		return 0, apperr.Wrap(ErrTOTPReplayed, apperr.Unauthenticated, "the code is wrong or already used")
	}
	return 0, apperr.Wrap(errTOTPWrong, apperr.Unauthenticated, "the code is wrong or already used")
}

// Recovery codes let a user in when the authenticator is lost. Each is 16 characters from a 32-letter
// alphabet without look-alikes (no 0/O, 1/I), so 80 random bits, shown grouped as XXXX-XXXX-XXXX-XXXX.
//
// They are stored as SHA-256, not argon2id: with 80 bits of entropy an offline search of a leaked hash is
// out of reach (2^80 SHA-256 evaluations), so a slow hash would add nothing but cost — and checking one
// presented code against ten argon2id hashes would take ten hash-times of CPU per attempt.
const (
	RecoveryCodeCount = 10
	recoveryAlphabet  = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	recoveryLen       = 16
)

// RecoveryCodes are a new set of codes: Codes are shown to the user once, Hashes are stored.
type RecoveryCodes struct {
	Codes  []string
	Hashes []string
}

// NewRecoveryCodes makes RecoveryCodeCount fresh codes. Storing them replaces any earlier set.
func NewRecoveryCodes() (RecoveryCodes, error) {
	var rc RecoveryCodes
	buf := make([]byte, recoveryLen)
	for range RecoveryCodeCount {
		if _, err := rand.Read(buf); err != nil {
			return RecoveryCodes{}, fmt.Errorf("recovery codes: %w", err)
		}
		var b strings.Builder
		for i, x := range buf {
			if i > 0 && i%4 == 0 {
				b.WriteByte('-')
			}
			b.WriteByte(recoveryAlphabet[x%32]) // 256 is a multiple of 32: no bias
		}
		code := b.String()
		rc.Codes = append(rc.Codes, code)
		rc.Hashes = append(rc.Hashes, HashRecoveryCode(code))
	}
	return rc, nil
}

// normalizeRecoveryCode accepts a code as people type it: any case, with or without dashes and spaces.
func normalizeRecoveryCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToUpper(code))
}

// HashRecoveryCode returns the stored form of a recovery code (hex SHA-256 of its normalised form).
func HashRecoveryCode(code string) string {
	sum := sha256.Sum256([]byte(normalizeRecoveryCode(code)))
	return hex.EncodeToString(sum[:])
}

// MatchRecoveryCode finds the stored hash a presented code matches, comparing with every hash in constant
// time. Single use is the caller's: it deletes the matched hash with a statement that reports whether it
// was still there (DELETE … WHERE user_id = $1 AND code_hash = $2, one row affected), so two concurrent
// uses of one code cannot both succeed.
func MatchRecoveryCode(hashes []string, code string) (string, bool) {
	if len(normalizeRecoveryCode(code)) != recoveryLen {
		return "", false
	}
	presented := []byte(HashRecoveryCode(code))
	found := -1
	for i, h := range hashes {
		if subtle.ConstantTimeCompare([]byte(h), presented) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return hashes[found], true
}
