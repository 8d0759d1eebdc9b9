package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// testStore is one Store under test with an HTTP client able to follow its links.
type testStore struct {
	name   string
	store  Store
	client *http.Client
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// newDiskStore returns a Disk in a temporary directory whose links point at an httptest server running
// its Handler.
func newDiskStore(t *testing.T) *Disk {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	d, err := OpenDisk(DiskConfig{Dir: t.TempDir(), PublicURL: srv.URL, Secret: testSecret})
	if err != nil {
		t.Fatalf("OpenDisk: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	mux.Handle(FilesPath, d.Handler())
	return d
}

// newS3Store returns an S3 store talking to an in-process gofakes3 server (path-style addressing) over
// TLS, as production does. (Over plain HTTP minio-go signs uploads in aws-chunked streaming form, which
// gofakes3 does not decode for multipart parts.) Its links are fetched with client.
func newS3Store(t *testing.T) (*S3, *http.Client) {
	t.Helper()
	srv := httptest.NewTLSServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	s, err := OpenS3(context.Background(), S3Config{
		Endpoint:     srv.URL,
		Transport:    srv.Client().Transport,
		Bucket:       "goodgo-test",
		AccessKey:    "test-access",
		SecretKey:    "test-secret",
		PathStyle:    true,
		CreateBucket: true,
	})
	if err != nil {
		t.Fatalf("OpenS3: %v", err)
	}
	return s, srv.Client()
}

func stores(t *testing.T) []testStore {
	s3, s3Client := newS3Store(t)
	return []testStore{
		{"disk", newDiskStore(t), http.DefaultClient},
		{"s3", s3, s3Client},
	}
}

func put(t *testing.T, s Store, key, body, contentType string) {
	t.Helper()
	if err := s.Put(context.Background(), key, strings.NewReader(body), int64(len(body)), contentType); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func read(t *testing.T, s Store, key string) (string, Info) {
	t.Helper()
	rc, info, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer rc.Close()
	body, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return string(body), info
}

func TestStorePutGet(t *testing.T) {
	big := strings.Repeat("0123456789", 200_000) // 2 MB
	tests := []struct {
		name, key, body, contentType string
		wantType                     string
	}{
		{"image", "m/merchant-1/logo.png", "\x89PNG fake", "image/png", "image/png"},
		{"no content type", "m/merchant-1/raw", "bytes", "", DefaultContentType},
		{"type with parameters", "m/merchant-1/note.txt", "xin chào", "Text/Plain; charset=UTF-8", "text/plain; charset=UTF-8"},
		{"empty file", "m/merchant-1/empty", "", "text/plain", "text/plain"},
		{"deep key", "m/merchant-1/a/b/c/d/e.jpg", "jpeg", "image/jpeg", "image/jpeg"},
		{"large file", "m/merchant-1/big.bin", big, "application/octet-stream", "application/octet-stream"},
	}
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					before := time.Now().Add(-time.Minute)
					put(t, s.store, tt.key, tt.body, tt.contentType)
					got, info := read(t, s.store, tt.key)
					if got != tt.body {
						t.Errorf("body = %d bytes, want %d", len(got), len(tt.body))
					}
					if info.Size != int64(len(tt.body)) || info.ContentType != tt.wantType {
						t.Errorf("info = %+v, want size %d and type %q", info, len(tt.body), tt.wantType)
					}
					if info.ModTime.Before(before) || info.ModTime.After(time.Now().Add(time.Minute)) {
						t.Errorf("ModTime = %v, want about now", info.ModTime)
					}
				})
			}
		})
	}
}

func TestStoreUnknownSize(t *testing.T) {
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			body := strings.Repeat("x", 100_000)
			r := iotest.HalfReader(strings.NewReader(body))
			if err := s.store.Put(context.Background(), "m/m1/unknown", r, -1, "text/plain"); err != nil {
				t.Fatalf("Put with size -1: %v", err)
			}
			if got, info := read(t, s.store, "m/m1/unknown"); got != body || info.Size != int64(len(body)) {
				t.Errorf("got %d bytes (info %d), want %d", len(got), info.Size, len(body))
			}
		})
	}
}

func TestStoreOverwriteReplacesContentAndType(t *testing.T) {
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			put(t, s.store, "m/m1/f", "old content", "text/plain")
			put(t, s.store, "m/m1/f", "new", "image/png")
			if got, info := read(t, s.store, "m/m1/f"); got != "new" || info.ContentType != "image/png" || info.Size != 3 {
				t.Errorf("after overwrite: %q %+v, want new image/png size 3", got, info)
			}
		})
	}
}

func TestStoreMissingAndDelete(t *testing.T) {
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			if _, _, err := s.store.Get(ctx, "m/m1/missing"); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("Get missing: %v, want kind not found", err)
			}
			if err := s.store.Delete(ctx, "m/m1/missing"); err != nil {
				t.Errorf("Delete missing: %v, want nil", err)
			}
			put(t, s.store, "m/m1/gone", "x", "text/plain")
			put(t, s.store, "m/m1/kept", "y", "text/plain")
			if err := s.store.Delete(ctx, "m/m1/gone"); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if _, _, err := s.store.Get(ctx, "m/m1/gone"); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("Get after Delete: %v, want kind not found", err)
			}
			if got, _ := read(t, s.store, "m/m1/kept"); got != "y" {
				t.Errorf("other file = %q after Delete, want y", got)
			}
		})
	}
}

func TestStoreRejectsBadKeys(t *testing.T) {
	keys := []string{
		"", "../etc/passwd", "m/../../etc/passwd", "/etc/passwd", "/abs", "m//x", "m/x/", "./m/x", "m/./x",
		"m/.hidden", ".meta", "m/x/..", `m\x`, "m/x y", "m/x\x00y", "m/ừ", "m/x?y", "m/x#y", "m/%2e%2e/x",
		strings.Repeat("a", 129), strings.Repeat("a/", 16) + "a", strings.Repeat("abcdefgh/", 57) + "x",
	}
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			for _, key := range keys {
				calls := map[string]error{
					"Put":    s.store.Put(ctx, key, strings.NewReader("x"), 1, "text/plain"),
					"Delete": s.store.Delete(ctx, key),
				}
				_, _, calls["Get"] = s.store.Get(ctx, key)
				_, calls["URL"] = s.store.URL(ctx, key, time.Minute)
				for op, err := range calls {
					if !apperr.Is(err, apperr.Invalid) {
						t.Errorf("%s(%q) error = %v, want kind invalid", op, key, err)
					}
				}
			}
		})
	}
}

func TestStoreChecksDeclaredSize(t *testing.T) {
	tests := []struct {
		name string
		body string
		size int64
	}{
		{"shorter than declared", "abc", 10},
		{"longer than declared", "abcdefghij", 3},
		{"empty but declared", "", 1},
		{"declared empty but not", "a", 0},
		{"one byte over a large declared size", strings.Repeat("x", 1<<20+1), 1 << 20},
	}
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			for i, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					ctx := context.Background()
					key := fmt.Sprintf("m/m1/sized-%d", i)
					err := s.store.Put(ctx, key, strings.NewReader(tt.body), tt.size, "text/plain")
					if !apperr.Is(err, apperr.Invalid) {
						t.Fatalf("Put error = %v, want kind invalid", err)
					}
					if _, _, err := s.store.Get(ctx, key); !apperr.Is(err, apperr.NotFound) {
						t.Errorf("after a failed Put, Get error = %v, want not found", err)
					}
				})
			}
		})
	}
}

func TestStoreRejectsBadContentType(t *testing.T) {
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			for _, ct := range []string{"not a type", "text/", "image/png; x", "/png"} {
				err := s.store.Put(context.Background(), "m/m1/x", strings.NewReader("x"), 1, ct)
				if !apperr.Is(err, apperr.Invalid) {
					t.Errorf("Put with content type %q: %v, want kind invalid", ct, err)
				}
			}
		})
	}
}

func TestStorePutHonoursCancellation(t *testing.T) {
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			err := s.store.Put(ctx, "m/m1/cancelled", strings.NewReader("abc"), 3, "text/plain")
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Put with a cancelled context: %v, want context.Canceled", err)
			}
		})
	}
}

func TestStoreURLDownloadsTheFile(t *testing.T) {
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			put(t, s.store, "m/m1/menu/pho.jpg", "jpeg bytes", "image/jpeg")
			link, err := s.store.URL(context.Background(), "m/m1/menu/pho.jpg", 10*time.Minute)
			if err != nil {
				t.Fatalf("URL: %v", err)
			}
			resp, err := s.client.Get(link)
			if err != nil {
				t.Fatalf("GET %s: %v", link, err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || string(body) != "jpeg bytes" || resp.Header.Get("Content-Type") != "image/jpeg" {
				t.Errorf("GET link = %d %q (%s), want 200 jpeg bytes image/jpeg", resp.StatusCode, body, resp.Header.Get("Content-Type"))
			}
		})
	}
}

func TestStoreURLRejectsBadLifetimes(t *testing.T) {
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			for _, ttl := range []time.Duration{0, -time.Second, MaxURLTTL + time.Second} {
				if _, err := s.store.URL(context.Background(), "m/m1/x", ttl); !apperr.Is(err, apperr.Invalid) {
					t.Errorf("URL with ttl %s: %v, want kind invalid", ttl, err)
				}
			}
		})
	}
}

func TestMerchantKey(t *testing.T) {
	tests := []struct {
		merchant, name, want string
		wantErr              bool
	}{
		{"0195f0a0-7c1e-7000-8000-000000000001", "logo.png", "m/0195f0a0-7c1e-7000-8000-000000000001/logo.png", false},
		{"m1", "menu/pho.jpg", "m/m1/menu/pho.jpg", false},
		{"", "x", "", true},
		{"m1", "../m2/x", "", true},
		{"../m2", "x", "", true},
		{"m1", "", "", true},
	}
	for _, tt := range tests {
		got, err := MerchantKey(tenant.ID(tt.merchant), tt.name)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("MerchantKey(%q, %q) = %q, %v; want %q, error %v", tt.merchant, tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestExactReader(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		size    int64
		wantErr bool
	}{
		{"exact", "hello", 5, false},
		{"unknown size", "hello", -1, false},
		{"short", "hell", 5, true},
		{"long", "hello!", 5, true},
		{"empty exact", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := io.ReadAll(&exactReader{r: iotest.OneByteReader(strings.NewReader(tt.body)), size: tt.size})
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && !bytes.Equal(got, []byte(tt.body)) {
				t.Errorf("read %q, want %q", got, tt.body)
			}
		})
	}
}
