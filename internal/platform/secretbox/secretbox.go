// Package secretbox seals small secrets before they are stored — MFA seeds, token signing keys, payment
// provider credentials — so that a copy of the database alone does not reveal them.
//
// Sealing is AES-256-GCM with a random 96-bit nonce. A sealed value starts with a format version byte and a
// one-byte key hint, so keys can rotate: a Box is built from one or more 32-byte keys, the first seals and
// every one opens. Associated data binds a ciphertext to where it belongs (e.g. its row id), so sealed values
// cannot be moved between rows unnoticed.
//
// Sealed layout (version 1):
//
//	version (1 byte, 0x01) | key hint (1 byte) | nonce (12 bytes) | ciphertext | GCM tag (16 bytes)
//
// The version byte and the key hint are authenticated along with the caller's associated data.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// KeySize is the length of every key a Box takes: 32 bytes for AES-256.
const KeySize = 32

// Overhead is how many bytes Seal adds to the plaintext.
const Overhead = headerSize + nonceSize + tagSize

const (
	version1   = 0x01
	headerSize = 2 // version + key hint
	nonceSize  = 12
	tagSize    = 16
)

// Errors returned by Open. A value sealed under a key the Box no longer holds, a tampered value and a value
// opened with the wrong associated data all fail with ErrOpen: the three are indistinguishable by design.
var (
	// ErrMalformed reports input too short or of an unknown format version to be a sealed value.
	ErrMalformed = errors.New("secretbox: malformed sealed value")
	// ErrOpen reports that no key of the Box authenticates the value with the given associated data.
	ErrOpen = errors.New("secretbox: cannot open sealed value (wrong key, wrong associated data or tampered)")
)

// Box seals with its first key and opens with any of its keys. It is safe for concurrent use.
type Box struct {
	keys []boxKey
}

type boxKey struct {
	hint byte
	aead cipher.AEAD
}

// New returns a Box over keys, each KeySize bytes. keys[0] seals new values; the others only open values
// sealed before a rotation. To rotate, put the new key first and keep the old ones until every stored value
// has been resealed (see NeedsReseal).
func New(keys ...[]byte) (*Box, error) {
	if len(keys) == 0 {
		return nil, errors.New("secretbox: no key")
	}
	b := &Box{keys: make([]boxKey, 0, len(keys))}
	for i, k := range keys {
		if len(k) != KeySize {
			return nil, fmt.Errorf("secretbox: key %d is %d bytes, want %d", i, len(k), KeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("secretbox: key %d: %w", i, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secretbox: key %d: %w", i, err)
		}
		b.keys = append(b.keys, boxKey{hint: keyHint(k), aead: aead})
	}
	return b, nil
}

// keyHint names a key in one byte without revealing it: the first byte of an HMAC of a fixed label. Two keys
// may share a hint (1 in 256); Open then tries both, and GCM tells which one sealed the value.
func keyHint(key []byte) byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("goodgo secretbox key hint"))
	return m.Sum(nil)[0]
}

// Seal encrypts plaintext with the Box's first key, binding it to ad (nil for none). Every call uses a new
// random nonce, so sealing the same secret twice gives different values.
func (b *Box) Seal(plaintext, ad []byte) ([]byte, error) {
	k := b.keys[0]
	out := make([]byte, headerSize+nonceSize, Overhead+len(plaintext))
	out[0], out[1] = version1, k.hint
	if _, err := rand.Read(out[headerSize:]); err != nil {
		return nil, fmt.Errorf("secretbox: nonce: %w", err)
	}
	nonce := out[headerSize : headerSize+nonceSize]
	return k.aead.Seal(out, nonce, plaintext, additionalData(out[:headerSize], ad)), nil
}

// Open decrypts a value made by Seal with any key of the Box, checking that it was sealed with the same ad.
// It returns ErrMalformed or ErrOpen (wrapped) when it cannot.
func (b *Box) Open(sealed, ad []byte) ([]byte, error) {
	if len(sealed) < Overhead {
		return nil, ErrMalformed
	}
	if sealed[0] != version1 {
		return nil, fmt.Errorf("%w: format version %d", ErrMalformed, sealed[0])
	}
	header, nonce, ciphertext := sealed[:headerSize], sealed[headerSize:headerSize+nonceSize], sealed[headerSize+nonceSize:]
	aad := additionalData(header, ad)
	for _, k := range b.keys {
		if k.hint != header[1] {
			continue
		}
		if plain, err := k.aead.Open(nil, nonce, ciphertext, aad); err == nil {
			return plain, nil
		}
	}
	return nil, ErrOpen
}

// NeedsReseal reports whether sealed was made with a key other than the Box's first (or cannot be opened
// at all): such values should be opened and sealed again so that old keys can be dropped.
func (b *Box) NeedsReseal(sealed, ad []byte) bool {
	if len(sealed) < Overhead || sealed[0] != version1 {
		return true
	}
	k := b.keys[0]
	if k.hint != sealed[1] {
		return true
	}
	_, err := k.aead.Open(nil, sealed[headerSize:headerSize+nonceSize], sealed[headerSize+nonceSize:],
		additionalData(sealed[:headerSize], ad))
	return err != nil
}

// SealString is Seal with the result in unpadded base64url, for text columns and configuration.
func (b *Box) SealString(plaintext, ad []byte) (string, error) {
	sealed, err := b.Seal(plaintext, ad)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// OpenString opens a value made by SealString.
func (b *Box) OpenString(sealed string, ad []byte) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return b.Open(raw, ad)
}

// additionalData authenticates the header together with the caller's associated data. The header has a
// fixed length, so the concatenation is unambiguous.
func additionalData(header, ad []byte) []byte {
	out := make([]byte, 0, len(header)+len(ad))
	return append(append(out, header...), ad...)
}
