package iam

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/goodgo/goodgo/internal/platform/apperr"
)

// Argon2Params are the cost parameters of argon2id. Stored hashes carry the parameters they were made with,
// so they can change without invalidating existing passwords (see PasswordHasher.NeedsRehash).
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultArgon2Params are OWASP's recommended minimum for argon2id: 19 MiB, 2 passes, 1 lane, with a
// 16-byte salt and a 32-byte key. One hash costs about 20–40 ms of one core.
func DefaultArgon2Params() Argon2Params {
	return Argon2Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// Limits on parameters read from a stored hash, so a corrupted or planted row cannot make one verification
// take gigabytes or minutes.
const (
	maxArgon2Memory  = 1 << 20 // 1 GiB in KiB
	maxArgon2Time    = 32
	maxArgon2Threads = 32
	maxArgon2Bytes   = 128
)

func (p Argon2Params) validate() error {
	switch {
	case p.Time < 1 || p.Time > maxArgon2Time:
		return fmt.Errorf("argon2id time %d out of range 1..%d", p.Time, maxArgon2Time)
	case p.Threads < 1 || p.Threads > maxArgon2Threads:
		return fmt.Errorf("argon2id threads %d out of range 1..%d", p.Threads, maxArgon2Threads)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxArgon2Memory:
		return fmt.Errorf("argon2id memory %d KiB out of range %d..%d", p.Memory, 8*uint32(p.Threads), maxArgon2Memory)
	case p.SaltLen < 8 || p.SaltLen > maxArgon2Bytes:
		return fmt.Errorf("argon2id salt length %d out of range 8..%d", p.SaltLen, maxArgon2Bytes)
	case p.KeyLen < 16 || p.KeyLen > maxArgon2Bytes:
		return fmt.Errorf("argon2id key length %d out of range 16..%d", p.KeyLen, maxArgon2Bytes)
	}
	return nil
}

// HasherConfig configures a PasswordHasher.
type HasherConfig struct {
	// Params are the argon2id costs of new hashes; the zero value means DefaultArgon2Params.
	Params Argon2Params
	// Concurrency is how many hashes may run at once; 0 means runtime.NumCPU(). Each running hash holds
	// Params.Memory KiB, so it bounds memory as well as CPU.
	Concurrency int
}

// PasswordHasher hashes and verifies passwords with argon2id. Every hash and verification first takes a
// slot of a semaphore, so a burst of logins queues instead of taking every core (and Concurrency × 19 MiB
// is the most memory hashing ever holds). It is safe for concurrent use.
type PasswordHasher struct {
	params Argon2Params
	slots  chan struct{}
	// derive computes the argon2id key; tests replace it to observe the semaphore.
	derive func(password, salt []byte, p Argon2Params) []byte
}

// NewPasswordHasher returns a hasher with cfg's parameters.
func NewPasswordHasher(cfg HasherConfig) (*PasswordHasher, error) {
	if cfg.Params == (Argon2Params{}) {
		cfg.Params = DefaultArgon2Params()
	}
	if err := cfg.Params.validate(); err != nil {
		return nil, fmt.Errorf("password hasher: %w", err)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = runtime.NumCPU()
	}
	return &PasswordHasher{
		params: cfg.Params,
		slots:  make(chan struct{}, cfg.Concurrency),
		derive: deriveArgon2id,
	}, nil
}

func deriveArgon2id(password, salt []byte, p Argon2Params) []byte {
	return argon2.IDKey(password, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// Hash returns the PHC string of password with a new random salt:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key> (unpadded standard base64). The password is hashed exactly as
// given: no trimming, no normalisation. It fails with kind Unavailable (wrapping ctx's error) when ctx ends
// while waiting for a slot.
func (h *PasswordHasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: salt: %w", err)
	}
	key, err := h.run(ctx, []byte(password), salt, h.params)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return encodePHC(h.params, salt, key), nil
}

// Verify reports whether password matches the stored PHC hash, comparing in constant time. A malformed hash
// is an error (of kind Unknown: stored data is broken); a wrong password is (false, nil). It fails with kind
// Unavailable when ctx ends while waiting for a slot.
func (h *PasswordHasher) Verify(ctx context.Context, password, encoded string) (bool, error) {
	p, salt, want, err := decodePHC(encoded)
	if err != nil {
		return false, fmt.Errorf("verify password: %w", err)
	}
	got, err := h.run(ctx, []byte(password), salt, p)
	if err != nil {
		return false, fmt.Errorf("verify password: %w", err)
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// VerifyAbsent does the work of a Verify for an account that does not exist and returns nothing useful, so
// that a login for an unknown email costs as long as one for a known email with a wrong password and the
// response time does not reveal which emails are registered.
func (h *PasswordHasher) VerifyAbsent(ctx context.Context, password string) error {
	salt := make([]byte, h.params.SaltLen)
	if _, err := h.run(ctx, []byte(password), salt, h.params); err != nil {
		return fmt.Errorf("verify password: %w", err)
	}
	return nil
}

// NeedsRehash reports whether a stored hash was made with other parameters than the hasher's current ones
// (or cannot be read): after a successful login the caller stores Hash(password) in its place.
func (h *PasswordHasher) NeedsRehash(encoded string) bool {
	p, salt, key, err := decodePHC(encoded)
	if err != nil {
		return true
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p != h.params
}

// run derives a key inside a semaphore slot.
func (h *PasswordHasher) run(ctx context.Context, password, salt []byte, p Argon2Params) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, apperr.Wrap(err, apperr.Unavailable, "too many sign-ins at once; try again shortly")
	}
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, apperr.Wrap(ctx.Err(), apperr.Unavailable, "too many sign-ins at once; try again shortly")
	}
	defer func() { <-h.slots }()
	return h.derive(password, salt, p), nil
}

var phcEncoding = base64.RawStdEncoding

func encodePHC(p Argon2Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		phcEncoding.EncodeToString(salt), phcEncoding.EncodeToString(key))
}

var errBadPHC = errors.New("not an argon2id PHC string")

// decodePHC parses $argon2id$v=19$m=…,t=…,p=…$salt$key and checks the parameters are within sane limits.
func decodePHC(s string) (Argon2Params, []byte, []byte, error) {
	var p Argon2Params
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadPHC
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || parts[2] != fmt.Sprintf("v=%d", version) {
		return p, nil, nil, fmt.Errorf("%w: bad version field", errBadPHC)
	}
	if version != argon2.Version {
		return p, nil, nil, fmt.Errorf("%w: unsupported version %d", errBadPHC, version)
	}
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &threads); err != nil ||
		parts[3] != fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, threads) {
		return p, nil, nil, fmt.Errorf("%w: bad parameters", errBadPHC)
	}
	if threads > maxArgon2Threads {
		return p, nil, nil, fmt.Errorf("%w: %d threads", errBadPHC, threads)
	}
	p.Threads = uint8(threads)
	salt, err := phcEncoding.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, fmt.Errorf("%w: salt: %v", errBadPHC, err)
	}
	key, err := phcEncoding.DecodeString(parts[5])
	if err != nil {
		return p, nil, nil, fmt.Errorf("%w: key: %v", errBadPHC, err)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	if err := p.validate(); err != nil {
		return p, nil, nil, fmt.Errorf("%w: %v", errBadPHC, err)
	}
	return p, salt, key, nil
}

// Password rules (NIST SP 800-63B): a minimum length, a generous maximum, no composition rules, and a
// block list of passwords attackers try first.
const (
	// MinPasswordRunes is the shortest password accepted, counted in characters (runes), not bytes.
	MinPasswordRunes = 8
	// MaxPasswordBytes is the longest password accepted. argon2 reads the whole input, so an unbounded
	// length would let one request buy unbounded work; 4 KiB is far beyond any passphrase.
	MaxPasswordBytes = 4096
)

//go:embed common_passwords.txt
var commonPasswordsFile string

// PasswordPolicy decides whether a new password is acceptable. Passwords are taken exactly as typed — no
// trimming, no truncation, any Unicode — and refused when too short, too long, a single repeated
// character, one of the common passwords of common_passwords.txt, or equal to one of the account's own
// identifiers (compared case-insensitively).
type PasswordPolicy struct {
	common map[string]struct{}
}

// NewPasswordPolicy returns the policy with the embedded list of common passwords.
func NewPasswordPolicy() *PasswordPolicy {
	p := &PasswordPolicy{common: make(map[string]struct{}, 512)}
	sc := bufio.NewScanner(strings.NewReader(commonPasswordsFile))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p.common[strings.ToLower(line)] = struct{}{}
	}
	return p
}

// Check returns nil when password is acceptable, otherwise an Invalid error with one field error on field
// (e.g. "body.password") saying what to change. personal lists the account's own identifiers (email, its
// local part, name) which the password may not equal.
func (p *PasswordPolicy) Check(field, password string, personal ...string) error {
	if msg := p.problem(password, personal); msg != "" {
		return &apperr.Error{
			Kind:    apperr.Invalid,
			Message: "the password does not meet the password rules",
			Fields:  []apperr.FieldError{{Field: field, Message: msg}},
		}
	}
	return nil
}

func (p *PasswordPolicy) problem(password string, personal []string) string {
	if !utf8.ValidString(password) {
		return "must be valid UTF-8 text"
	}
	if len(password) > MaxPasswordBytes {
		return fmt.Sprintf("must be at most %d bytes long", MaxPasswordBytes)
	}
	if utf8.RuneCountInString(password) < MinPasswordRunes {
		return fmt.Sprintf("must be at least %d characters long", MinPasswordRunes)
	}
	first, _ := utf8.DecodeRuneInString(password)
	if strings.Trim(password, string(first)) == "" {
		return "must not be one character repeated"
	}
	lower := strings.ToLower(password)
	if _, ok := p.common[lower]; ok {
		return "is one of the most common passwords; choose one that is harder to guess"
	}
	for _, id := range personal {
		if id != "" && lower == strings.ToLower(id) {
			return "must not be the same as your email or name"
		}
	}
	return ""
}
