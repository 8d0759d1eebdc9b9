package secretbox

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
)

func newKey(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func newBox(t testing.TB, keys ...[]byte) *Box {
	t.Helper()
	b, err := New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpenRoundTrip(t *testing.T) {
	box := newBox(t, newKey(t))
	tests := []struct {
		name      string
		plaintext []byte
		ad        []byte
	}{
		{"empty secret without associated data", nil, nil},
		{"TOTP seed bound to a user", []byte("JBSWY3DPEHPK3PXP"), []byte("user:0190f1c2")},
		{"binary key material", bytes.Repeat([]byte{0, 0xff}, 600), []byte("iam_signing_keys:k1")},
		{"unicode", []byte("mật khẩu bí mật"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed, err := box.Seal(tt.plaintext, tt.ad)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(sealed), len(tt.plaintext)+Overhead; got != want {
				t.Errorf("sealed length = %d, want %d", got, want)
			}
			if len(tt.plaintext) > 4 && bytes.Contains(sealed, tt.plaintext) {
				t.Error("sealed value contains the plaintext")
			}
			got, err := box.Open(sealed, tt.ad)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Errorf("Open = %q, want %q", got, tt.plaintext)
			}
			text, err := box.SealString(tt.plaintext, tt.ad)
			if err != nil {
				t.Fatal(err)
			}
			if strings.ContainsAny(text, "+/=") {
				t.Errorf("text form %q is not unpadded base64url", text)
			}
			got, err = box.OpenString(text, tt.ad)
			if err != nil || !bytes.Equal(got, tt.plaintext) {
				t.Errorf("OpenString = %q, %v; want %q", got, err, tt.plaintext)
			}
		})
	}
}

func TestSealUsesAFreshNonceEachTime(t *testing.T) {
	box := newBox(t, newKey(t))
	a, _ := box.Seal([]byte("same"), nil)
	b, _ := box.Seal([]byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are identical")
	}
	if bytes.Equal(a[headerSize:headerSize+nonceSize], b[headerSize:headerSize+nonceSize]) {
		t.Fatal("nonce reused")
	}
}

func TestOpenDetectsTamperingAtEveryByte(t *testing.T) {
	box := newBox(t, newKey(t))
	sealed, err := box.Seal([]byte("provider secret"), []byte("shop:1"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x01
		if _, err := box.Open(bad, []byte("shop:1")); err == nil {
			t.Errorf("flipping a bit of byte %d went unnoticed", i)
		}
	}
	if _, err := box.Open(sealed[:len(sealed)-1], []byte("shop:1")); err == nil {
		t.Error("truncated value opened")
	}
	if _, err := box.Open(append(bytes.Clone(sealed), 0), []byte("shop:1")); err == nil {
		t.Error("extended value opened")
	}
}

func TestOpenRefuses(t *testing.T) {
	key := newKey(t)
	box := newBox(t, key)
	sealed, err := box.Seal([]byte("seed"), []byte("user:1"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		box     *Box
		sealed  []byte
		ad      []byte
		wantErr error
	}{
		{"wrong key", newBox(t, newKey(t)), sealed, []byte("user:1"), ErrOpen},
		{"wrong associated data (row swapped)", box, sealed, []byte("user:2"), ErrOpen},
		{"associated data dropped", box, sealed, nil, ErrOpen},
		{"too short", box, sealed[:Overhead-1], []byte("user:1"), ErrMalformed},
		{"unknown format version", box, append([]byte{0x02}, sealed[1:]...), []byte("user:1"), ErrMalformed},
		{"nil", box, nil, nil, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.box.Open(tt.sealed, tt.ad)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Open = %q, %v; want error %v", got, err, tt.wantErr)
			}
		})
	}
	if _, err := box.OpenString("not base64!", nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("OpenString(garbage) error = %v, want ErrMalformed", err)
	}
}

func TestKeyRotation(t *testing.T) {
	oldKey, newKeyBytes := newKey(t), newKey(t)
	oldBox := newBox(t, oldKey)
	sealedOld, err := oldBox.Seal([]byte("sealed before rotation"), []byte("row:7"))
	if err != nil {
		t.Fatal(err)
	}

	rotated := newBox(t, newKeyBytes, oldKey)
	got, err := rotated.Open(sealedOld, []byte("row:7"))
	if err != nil || string(got) != "sealed before rotation" {
		t.Fatalf("rotated box opens old value = %q, %v", got, err)
	}
	if !rotated.NeedsReseal(sealedOld, []byte("row:7")) {
		t.Error("a value sealed with the old key does not need resealing")
	}

	sealedNew, err := rotated.Seal([]byte("sealed after rotation"), []byte("row:7"))
	if err != nil {
		t.Fatal(err)
	}
	if rotated.NeedsReseal(sealedNew, []byte("row:7")) {
		t.Error("a value sealed with the current key needs resealing")
	}
	if _, err := oldBox.Open(sealedNew, []byte("row:7")); !errors.Is(err, ErrOpen) {
		t.Errorf("old box opened a value sealed with the new key: %v", err)
	}

	// Once the old key is dropped, values still sealed with it no longer open.
	newOnly := newBox(t, newKeyBytes)
	if _, err := newOnly.Open(sealedOld, []byte("row:7")); !errors.Is(err, ErrOpen) {
		t.Errorf("box without the old key opened an old value: %v", err)
	}
}

func TestOpenTriesEveryKeySharingAHint(t *testing.T) {
	// Find two keys whose one-byte hints collide; Open must still find the right one.
	first := newKey(t)
	var second []byte
	for range 1 << 16 {
		k := newKey(t)
		if keyHint(k) == keyHint(first) {
			second = k
			break
		}
	}
	if second == nil {
		t.Fatal("no hint collision found in 65536 tries")
	}
	sealed, err := newBox(t, second).Seal([]byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := newBox(t, first, second).Open(sealed, nil)
	if err != nil || string(got) != "x" {
		t.Fatalf("Open with colliding hints = %q, %v", got, err)
	}
}

func TestNewRefusesBadKeys(t *testing.T) {
	tests := []struct {
		name string
		keys [][]byte
	}{
		{"no key", nil},
		{"short key", [][]byte{make([]byte, 16)}},
		{"long key", [][]byte{make([]byte, 33)}},
		{"second key bad", [][]byte{make([]byte, 32), make([]byte, 31)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.keys...); err == nil {
				t.Fatal("New accepted bad keys")
			}
		})
	}
}

func FuzzOpen(f *testing.F) {
	box := newBox(f, bytes.Repeat([]byte{7}, KeySize))
	sealed, _ := box.Seal([]byte("seed"), []byte("ad"))
	f.Add(sealed, []byte("ad"))
	f.Add([]byte{1, 2, 3}, []byte(nil))
	f.Fuzz(func(t *testing.T, sealed, ad []byte) {
		plain, err := box.Open(sealed, ad)
		if err == nil {
			// Anything that opens must be a genuine seal: sealing it again must open to the same bytes.
			again, err := box.Seal(plain, ad)
			if err != nil {
				t.Fatal(err)
			}
			if back, err := box.Open(again, ad); err != nil || !bytes.Equal(back, plain) {
				t.Fatalf("round trip of opened value failed: %v", err)
			}
		}
	})
}

func BenchmarkSealOpen(b *testing.B) {
	box := newBox(b, newKey(b))
	secret := bytes.Repeat([]byte("s"), 32)
	ad := []byte("user:0190f1c2")
	b.ReportAllocs()
	for b.Loop() {
		sealed, err := box.Seal(secret, ad)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := box.Open(sealed, ad); err != nil {
			b.Fatal(err)
		}
	}
}
