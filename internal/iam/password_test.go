package iam

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
)

// lightParams keep unit tests fast; the defaults are exercised by TestDefaultHashFormat and the benchmarks.
var lightParams = Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func newHasher(t testing.TB, p Argon2Params, concurrency int) *PasswordHasher {
	t.Helper()
	h, err := NewPasswordHasher(HasherConfig{Params: p, Concurrency: concurrency})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestDefaultHashFormat(t *testing.T) {
	h := newHasher(t, Argon2Params{}, 1)
	got, err := h.Hash(context.Background(), "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !want.MatchString(got) {
		t.Fatalf("hash %q does not match %v", got, want)
	}
	ok, err := h.Verify(context.Background(), "correct horse battery staple", got)
	if err != nil || !ok {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
}

// TestVerifyKnownVectors checks the PHC decoding and the derivation against hashes made independently with
// the argon2 reference implementation (Debian's argon2: `echo -n password | argon2 somesalt -id -t 1 -m 10
// -p 1 -l 32 -e`).
func TestVerifyKnownVectors(t *testing.T) {
	h := newHasher(t, lightParams, 1)
	tests := []struct {
		name, password, encoded string
		want                    bool
	}{
		{"reference vector", "password",
			"$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$yOmu3JVvan3/Ck1ClA32KGI/Mo6hI1AFq6yTPFcJPiM", true},
		{"reference vector, wrong case", "Password",
			"$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$yOmu3JVvan3/Ck1ClA32KGI/Mo6hI1AFq6yTPFcJPiM", false},
		{"two lanes, unicode password", "mậtkhẩu",
			"$argon2id$v=19$m=4096,t=2,p=2$Z29vZGdvc2FsdDE2Ynl0ZQ$HZkDdXaw63HMZJoR5NsdRP3cvF+1PAPWdclzns0Apf8", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Verify(context.Background(), tt.password, tt.encoded)
			if err != nil || got != tt.want {
				t.Fatalf("Verify = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestVerifyTakesPasswordsExactlyAsTyped(t *testing.T) {
	h := newHasher(t, lightParams, 2)
	ctx := context.Background()
	long := strings.Repeat("đúng-mật-khẩu ", 80) // 1,360 bytes
	tests := []struct {
		name, stored, presented string
		want                    bool
	}{
		{"same password", "correct horse", "correct horse", true},
		{"trailing space is part of the password", "correct horse ", "correct horse", false},
		{"leading space is part of the password", " correct horse", "correct horse", false},
		{"case matters", "Correct Horse", "correct horse", false},
		{"vietnamese", "mậtkhẩuđẹpquá", "mậtkhẩuđẹpquá", true},
		{"long password verifies", long, long, true},
		{"long password: last byte matters (no truncation)", long, long[:len(long)-1] + "!", false},
		{"long password: prefix is not enough", long, long[:1024], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored, err := h.Hash(ctx, tt.stored)
			if err != nil {
				t.Fatal(err)
			}
			got, err := h.Verify(ctx, tt.presented, stored)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHashSaltsEachPassword(t *testing.T) {
	h := newHasher(t, lightParams, 1)
	a, _ := h.Hash(context.Background(), "same password")
	b, _ := h.Hash(context.Background(), "same password")
	if a == b {
		t.Fatal("two hashes of the same password are equal")
	}
}

func TestVerifyRefusesMalformedHashes(t *testing.T) {
	h := newHasher(t, lightParams, 1)
	good, _ := h.Hash(context.Background(), "whatever you like")
	parts := strings.Split(good, "$")
	tests := []struct{ name, encoded string }{
		{"empty", ""},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", strings.Replace(good, "argon2id", "argon2i", 1)},
		{"old version", strings.Replace(good, "v=19", "v=16", 1)},
		{"missing key", strings.Join(parts[:5], "$")},
		{"salt not base64", strings.Join([]string{"", parts[1], parts[2], parts[3], "***", parts[5]}, "$")},
		{"huge memory", strings.Join([]string{"", parts[1], parts[2], "m=4194304,t=1,p=1", parts[4], parts[5]}, "$")},
		{"zero time", strings.Join([]string{"", parts[1], parts[2], "m=64,t=0,p=1", parts[4], parts[5]}, "$")},
		{"too many threads", strings.Join([]string{"", parts[1], parts[2], "m=64,t=1,p=300", parts[4], parts[5]}, "$")},
		{"trailing junk in parameters", strings.Join([]string{"", parts[1], parts[2], "m=64,t=1,p=1x", parts[4], parts[5]}, "$")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := h.Verify(context.Background(), "whatever you like", tt.encoded)
			if err == nil || ok {
				t.Fatalf("Verify(%q) = %v, %v; want an error", tt.encoded, ok, err)
			}
			if !h.NeedsRehash(tt.encoded) {
				t.Error("NeedsRehash = false for an unreadable hash")
			}
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	ctx := context.Background()
	current := newHasher(t, lightParams, 1)
	tests := []struct {
		name   string
		params Argon2Params
		want   bool
	}{
		{"same parameters", lightParams, false},
		{"less memory", Argon2Params{Memory: 32, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, true},
		{"more passes", Argon2Params{Memory: 64, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}, true},
		{"more lanes", Argon2Params{Memory: 64, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}, true},
		{"shorter salt", Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 8, KeyLen: 32}, true},
		{"shorter key", Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 16}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored, err := newHasher(t, tt.params, 1).Hash(ctx, "a good long password")
			if err != nil {
				t.Fatal(err)
			}
			if got := current.NeedsRehash(stored); got != tt.want {
				t.Errorf("NeedsRehash = %v, want %v", got, tt.want)
			}
			// Old parameters still verify: rehashing happens after a successful login.
			if ok, err := current.Verify(ctx, "a good long password", stored); err != nil || !ok {
				t.Errorf("Verify with old parameters = %v, %v", ok, err)
			}
		})
	}
}

func TestNewPasswordHasherRefusesWeakParameters(t *testing.T) {
	for _, p := range []Argon2Params{
		{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 4, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8},
	} {
		if _, err := NewPasswordHasher(HasherConfig{Params: p}); err == nil {
			t.Errorf("NewPasswordHasher(%+v) accepted", p)
		}
	}
}

func TestHasherWaitsForASlotAndGivesUpWithTheContext(t *testing.T) {
	h := newHasher(t, lightParams, 1)
	h.slots <- struct{}{} // another hash holds the only slot
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := h.Hash(ctx, "a good long password")
	if got := apperr.KindOf(err); got != apperr.Unavailable {
		t.Fatalf("Hash while the slot is taken: kind %v (%v), want unavailable", got, err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap the context's error", err)
	}
	_, err = h.Verify(ctx, "x", "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc")
	if apperr.KindOf(err) != apperr.Unavailable {
		t.Errorf("Verify with an ended context: %v, want unavailable", err)
	}
	if err := h.VerifyAbsent(ctx, "x"); apperr.KindOf(err) != apperr.Unavailable {
		t.Errorf("VerifyAbsent with an ended context: %v, want unavailable", err)
	}

	<-h.slots // the other hash finishes
	if _, err := h.Hash(context.Background(), "a good long password"); err != nil {
		t.Fatalf("Hash with a free slot: %v", err)
	}
}

func TestHasherRunsAtMostConcurrencyHashesAtOnce(t *testing.T) {
	const concurrency, callers = 2, 6
	h := newHasher(t, lightParams, concurrency)
	var (
		mu             sync.Mutex
		inside, maxRun int
		entered        = make(chan struct{}, callers)
		release        = make(chan struct{})
	)
	h.derive = func(password, salt []byte, p Argon2Params) []byte {
		mu.Lock()
		inside++
		maxRun = max(maxRun, inside)
		mu.Unlock()
		entered <- struct{}{}
		<-release
		mu.Lock()
		inside--
		mu.Unlock()
		return deriveArgon2id(password, salt, p)
	}
	var (
		wg      sync.WaitGroup
		calling = make(chan struct{}, callers)
	)
	for range callers {
		wg.Go(func() {
			calling <- struct{}{}
			if _, err := h.Hash(context.Background(), "a good long password"); err != nil {
				t.Error(err)
			}
		})
	}
	deadline := time.After(10 * time.Second)
	for range callers { // every caller is on its way into Hash …
		select {
		case <-calling:
		case <-deadline:
			t.Fatal("callers did not start")
		}
	}
	for range concurrency { // … and two of them get in
		select {
		case <-entered:
		case <-deadline:
			t.Fatal("hashes did not start")
		}
	}
	// The other four must stay queued while both slots are held. Without the semaphore they reach derive
	// within microseconds; this window only has to be long enough to see that.
	select {
	case <-entered:
		t.Fatal("a third hash ran while two held the slots")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	wg.Wait()
	if maxRun != concurrency {
		t.Errorf("at most %d hashes ran at once, want %d", maxRun, concurrency)
	}
}

func TestPasswordPolicy(t *testing.T) {
	policy := NewPasswordPolicy()
	long := strings.Repeat("xin chào GoodGo ", 70) // 1,190 bytes
	tests := []struct {
		name     string
		password string
		personal []string
		wantMsg  string // "" = accepted
	}{
		{"ordinary passphrase", "correct horse battery staple", nil, ""},
		{"exactly eight characters", "k9#mQ2!x", nil, ""},
		{"eight characters with diacritics (more bytes than runes)", "mậtkhẩu!", nil, ""},
		{"spaces kept as typed", "  two spaces around  ", nil, ""},
		{"over 1024 bytes accepted", long, nil, ""},
		{"at the byte limit", strings.Repeat("ab", MaxPasswordBytes/2), nil, ""},
		{"seven characters", "k9#mQ2!", nil, "at least 8 characters"},
		{"seven runes in fourteen bytes", "ậấầẩẫặắ", nil, "at least 8 characters"},
		{"empty", "", nil, "at least 8 characters"},
		{"over the byte limit", strings.Repeat("a", MaxPasswordBytes) + "b", nil, "at most 4096 bytes"},
		{"one character repeated", "kkkkkkkkkkkk", nil, "one character repeated"},
		{"one multibyte character repeated", "đđđđđđđđđ", nil, "one character repeated"},
		{"common: digits", "123456789", nil, "most common passwords"},
		{"common: password", "password", nil, "most common passwords"},
		{"common: case-insensitive", "PassWord123", nil, "most common passwords"},
		{"common vietnamese: matkhau123", "matkhau123", nil, "most common passwords"},
		{"common vietnamese: anhyeuem", "AnhYeuEm", nil, "most common passwords"},
		{"common vietnamese: emyeuanh", "emyeuanh", nil, "most common passwords"},
		{"common: keyboard walk", "1q2w3e4r5t", nil, "most common passwords"},
		{"same as the email", "Owner@Quan.vn", []string{"owner@quan.vn", "owner"}, "same as your email"},
		{"contains the email but is longer", "owner@quan.vn is mine", []string{"owner@quan.vn"}, ""},
		{"invalid UTF-8", "abcdefgh\xff", nil, "valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := policy.Check("body.password", tt.password, tt.personal...)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("Check refused: %v", err)
				}
				return
			}
			if apperr.KindOf(err) != apperr.Invalid {
				t.Fatalf("Check = %v, want an Invalid error", err)
			}
			fields := apperr.Fields(err)
			if len(fields) != 1 || fields[0].Field != "body.password" {
				t.Fatalf("fields = %+v, want one on body.password", fields)
			}
			if !strings.Contains(fields[0].Message, tt.wantMsg) {
				t.Errorf("message %q does not say %q", fields[0].Message, tt.wantMsg)
			}
		})
	}
}

func TestCommonPasswordListIsLoaded(t *testing.T) {
	p := NewPasswordPolicy()
	if n := len(p.common); n < 300 {
		t.Fatalf("common password list has %d entries, want a few hundred", n)
	}
	for pw := range p.common {
		if pw != strings.ToLower(pw) || strings.TrimSpace(pw) != pw || strings.HasPrefix(pw, "#") {
			t.Errorf("entry %q is not a lower-case password", pw)
		}
	}
}

// BenchmarkPasswordHash measures one default-cost hash taken through the semaphore.
func BenchmarkPasswordHash(b *testing.B) {
	h := newHasher(b, DefaultArgon2Params(), 0)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPasswordHashStorm runs 8 logins per core at once through the semaphore (capacity NumCPU): the
// throughput stays that of NumCPU parallel hashes while the rest wait instead of crowding the cores.
func BenchmarkPasswordHashStorm(b *testing.B) {
	h := newHasher(b, DefaultArgon2Params(), 0)
	stored, err := h.Hash(context.Background(), "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(8)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, err := h.Verify(context.Background(), "correct horse battery staple", stored); err != nil || !ok {
				b.Errorf("Verify = %v, %v", ok, err)
				return
			}
		}
	})
}

// FuzzVerifyStoredHash feeds Verify arbitrary stored hashes: it must never panic, never accept parameters
// beyond the limits (which would let a planted row cost gigabytes or minutes), and verify every hash it can
// decode without error.
func FuzzVerifyStoredHash(f *testing.F) {
	h := newHasher(f, lightParams, 1)
	genuine, err := h.Hash(context.Background(), "correct horse")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(genuine)
	f.Add("$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$yOmu3JVvan3/Ck1ClA32KGI/Mo6hI1AFq6yTPFcJPiM")
	f.Add("$argon2id$v=19$m=99999999,t=1,p=1$c29tZXNhbHQ$yOmu3JVvan3")
	f.Fuzz(func(t *testing.T, encoded string) {
		p, salt, key, err := decodePHC(encoded)
		if err != nil {
			return
		}
		if p.validate() != nil || uint32(len(salt)) != p.SaltLen || uint32(len(key)) != p.KeyLen {
			t.Fatalf("decodePHC accepted %q as %+v", encoded, p)
		}
		if p.Memory > 1<<16 || p.Time > 4 { // keep the fuzzer fast; the limits themselves are checked above
			return
		}
		if _, err := h.Verify(context.Background(), "correct horse", encoded); err != nil {
			t.Fatalf("decodable hash failed to verify: %v", err)
		}
	})
}
