// Package blob stores uploaded files (menu pictures, receipts, exports) and hands out links to them that
// expire. Two stores implement the same Store interface: Disk, a directory on the local machine (the
// embedded default, with HMAC-signed links served by Disk.Handler), and S3, any S3-compatible object store
// (presigned links served by the store itself).
//
// Keys are relative slash-separated paths of safe characters, namespaced per merchant:
// MerchantKey(merchant, id) gives "m/<merchant>/<id>". Every store rejects keys that could mean anything
// else on some backend (see ValidateKey), so the same key behaves the same everywhere.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Store keeps files under keys. Implementations are safe for concurrent use.
type Store interface {
	// Put stores the content of r under key, replacing any file already there. size is the exact number of
	// bytes r yields, or -1 when unknown; a reader that yields a different count fails with kind Invalid
	// and stores nothing. An empty contentType means application/octet-stream; a malformed one is Invalid.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Get opens the file under key; the caller closes it. A missing file is kind NotFound.
	Get(ctx context.Context, key string) (io.ReadCloser, Info, error)
	// Delete removes the file under key; a missing file is not an error.
	Delete(ctx context.Context, key string) error
	// URL returns a link that lets anyone holding it download the file for ttl (at most MaxURLTTL). It does
	// not check that the file exists: fetching a missing file answers 404.
	URL(ctx context.Context, key string, ttl time.Duration) (string, error)
}

// Info describes a stored file.
type Info struct {
	Size        int64
	ContentType string
	ModTime     time.Time
}

// MaxURLTTL is the longest lifetime of a link (the S3 presigning limit, applied to every store).
const MaxURLTTL = 7 * 24 * time.Hour

// DefaultContentType is used when a file is stored without a content type.
const DefaultContentType = "application/octet-stream"

const (
	maxKeyLen      = 512
	maxSegmentLen  = 128
	maxKeySegments = 16
)

// ValidateKey reports (kind Invalid) whether key is not a usable file key. A key is 1 to 16 segments
// joined by "/", each 1 to 128 characters of A–Z, a–z, 0–9, '.', '_' or '-', not starting with '.', and
// at most 512 characters in all. So no key is absolute, climbs with "..", names a hidden file (the stores
// keep their own bookkeeping in hidden files), or needs escaping in a URL.
func ValidateKey(key string) error {
	if key == "" || len(key) > maxKeyLen {
		return apperr.E(apperr.Invalid, "file key must be 1 to %d characters", maxKeyLen)
	}
	segments := strings.Split(key, "/")
	if len(segments) > maxKeySegments {
		return apperr.E(apperr.Invalid, "file key has more than %d segments", maxKeySegments)
	}
	for _, s := range segments {
		if s == "" || len(s) > maxSegmentLen {
			return apperr.E(apperr.Invalid, "file key segments must be 1 to %d characters", maxSegmentLen)
		}
		if s[0] == '.' {
			return apperr.E(apperr.Invalid, "file key segments must not start with '.'")
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return apperr.E(apperr.Invalid, "file key contains a character other than A-Z a-z 0-9 . _ -")
			}
		}
	}
	return nil
}

// MerchantKey returns the key "m/<merchant>/<name>" that keeps a merchant's files apart from every other
// merchant's; name may itself contain "/".
func MerchantKey(merchant tenant.ID, name string) (string, error) {
	if merchant == "" {
		return "", apperr.E(apperr.Invalid, "file key needs a merchant")
	}
	key := "m/" + string(merchant) + "/" + name
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	return key, nil
}

// normalizeContentType checks ct and returns its canonical form (lower-case type, parameters kept).
func normalizeContentType(ct string) (string, error) {
	if strings.TrimSpace(ct) == "" {
		return DefaultContentType, nil
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil || !strings.Contains(mediaType, "/") {
		return "", apperr.E(apperr.Invalid, "invalid content type %q", ct)
	}
	return mime.FormatMediaType(mediaType, params), nil
}

func checkTTL(ttl time.Duration) error {
	if ttl <= 0 || ttl > MaxURLTTL {
		return apperr.E(apperr.Invalid, "link lifetime must be between 1s and %s, got %s", MaxURLTTL, ttl)
	}
	return nil
}

// errSizeMismatch is returned by exactReader when the content is shorter or longer than declared.
var errSizeMismatch = errors.New("content length differs from the declared size")

// exactReader yields r's bytes and fails if r does not hold exactly size bytes; size < 0 disables the
// check. Before handing over the bytes that complete the declared size it looks one byte further, and on
// any mismatch it returns no data with the error: readers built on io.ReadFull (as S3 uploads are) would
// otherwise drop an error that arrives together with the last bytes and store a truncated file.
type exactReader struct {
	r    io.Reader
	size int64
	n    int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.size < 0 {
		return e.r.Read(p)
	}
	if remaining := e.size - e.n; int64(len(p)) > remaining {
		p = p[:remaining]
	}
	var k int
	var err error
	if len(p) > 0 {
		k, err = e.r.Read(p)
	}
	switch {
	case err == io.EOF && e.n+int64(k) < e.size:
		return 0, fmt.Errorf("%w: got %d bytes, declared %d", errSizeMismatch, e.n+int64(k), e.size)
	case err != nil && err != io.EOF:
		return 0, err
	case e.n+int64(k) < e.size:
		e.n += int64(k)
		return k, nil
	}
	// This read reaches the declared size: make sure nothing follows before handing it over.
	var probe [1]byte
	for {
		m, perr := e.r.Read(probe[:])
		if m > 0 {
			return 0, fmt.Errorf("%w: more than the declared %d bytes", errSizeMismatch, e.size)
		}
		if perr == io.EOF {
			e.n += int64(k)
			return k, io.EOF
		}
		if perr != nil {
			return 0, perr
		}
	}
}

// contextReader stops reading once ctx is done, so a cancelled upload stops writing.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// putError gives a failed upload its kind: a size mismatch is the caller's mistake (Invalid).
func putError(key string, err error) error {
	if errors.Is(err, errSizeMismatch) {
		return apperr.Wrap(fmt.Errorf("put %s: %w", key, err), apperr.Invalid, "file size does not match its content")
	}
	if apperr.KindOf(err) != apperr.Unknown {
		return err
	}
	return fmt.Errorf("put %s: %w", key, err)
}

func notFound(key string, err error) error {
	return apperr.Wrap(fmt.Errorf("get %s: %w", key, err), apperr.NotFound, "file not found")
}

func isSizeMismatch(err error) bool { return errors.Is(err, errSizeMismatch) }
